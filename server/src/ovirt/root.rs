//! `GET /ovirt-engine/api`: product information (API version 4.5, which clients such as Ansible's
//! `engine_version()` read), the Blank template, a summary, and who is logged in. The `<link>`s name
//! every collection (the SDK ignores them; curl users follow them).

use super::extract::ApiUser;
use super::fault::Fault;
use super::href::{link_to, reference, API};
use super::response::ok;
use super::xml::date;
use super::xml::El;
use crate::service::configs::BLANK_TEMPLATE;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use vireo_app::domain::storage::StorageDomainStatus;

const COLLECTIONS: [&str; 15] = [
    "clusters",
    "datacenters",
    "disks",
    "hosts",
    "instancetypes",
    "macpools",
    "networkfilters",
    "networks",
    "operatingsystems",
    "schedulingpolicies",
    "storagedomains",
    "templates",
    "vmpools",
    "vms",
    "vnicprofiles",
];

pub async fn get_root(State(state): State<AppState>, ApiUser(user): ApiUser) -> Result<Response, Fault> {
    let s = state.repo.api_summary().await?;
    let domains = state.repo.list_storage_domains(false).await?;
    let domains_active = domains
        .iter()
        .filter(|d| d.status == StorageDomainStatus::Active)
        .count() as i64;
    let counts = |tag: &str, active: i64, total: i64| El::new(tag).text("active", active).text("total", total);
    let mut api = El::new("api");
    for c in COLLECTIONS {
        api = api.child(link_to(&format!("{API}/{c}"), c));
        if matches!(
            c,
            "vms"
                | "hosts"
                | "templates"
                | "clusters"
                | "datacenters"
                | "disks"
                | "storagedomains"
                | "networks"
                | "vnicprofiles"
        ) {
            api = api.child(link_to(&format!("{API}/{c}?search={{query}}"), &format!("{c}/search")));
        }
    }
    let api = api
        .child(
            El::new("product_info")
                .text("name", "Vireo")
                .text("vendor", "Vireo")
                .child(
                    El::new("version")
                        .text("build", 0)
                        .text("full_version", format!("4.5.0-vireo-{}", env!("CARGO_PKG_VERSION")))
                        .text("major", 4)
                        .text("minor", 5)
                        .text("revision", 0),
                ),
        )
        .child(El::new("special_objects").child(reference("blank_template", "templates", BLANK_TEMPLATE)))
        .child(
            El::new("summary")
                .child(counts("hosts", s.hosts_up, s.hosts))
                .child(counts("storage_domains", domains_active, domains.len() as i64))
                .child(counts("users", s.users, s.users))
                .child(counts("vms", s.vms_up, s.vms)),
        )
        .text("time", date(time::OffsetDateTime::now_utc()))
        .child(reference("authenticated_user", "users", user.id))
        .child(reference("effective_user", "users", user.id));
    Ok(ok(api))
}
