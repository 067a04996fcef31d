//! `/schedulingpolicies`: oVirt's built-in scheduling policies, under the engine's fixed ids, each
//! saying whether Vireo runs it. Vireo's placement is the engine's `none` policy — no load
//! balancing: a starting VM goes to its pinned host, else to the host holding its disks, else to
//! its cluster's up host with the fewest VMs, and running VMs are never moved (Vireo does not
//! migrate). Every cluster answers `none`; choosing another is refused with the reason (409), and
//! the list is read-only (the engine's built-ins are locked too).

use super::fault::Fault;
use super::href::object;
use super::read::Ref;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::error::FieldError;

/// A built-in policy: the engine's id and name, and what it means for Vireo.
pub struct Policy {
    pub id: Uuid,
    pub name: &'static str,
    /// Whether Vireo places VMs this way.
    pub runs: bool,
    pub description: &'static str,
}

/// The engine's `none` policy: Vireo's placement.
pub const VIREO: Uuid = Uuid::from_u128(0xb4ed2332_a7ac_4d5f_9596_99a439cb2812);

/// The engine's built-in policies (ids from ovirt-engine's `InternalClusterPolicies`).
pub const POLICIES: [Policy; 5] = [
    Policy {
        id: VIREO,
        name: "none",
        runs: true,
        description: "Vireo's placement: a starting VM runs on its pinned host, else on the host holding its disks, else on its cluster's up host with the fewest VMs; running VMs are never moved (no load balancing: Vireo does not migrate VMs).",
    },
    Policy {
        id: Uuid::from_u128(0x20d25257_b4bd_4589_92a6_c4c5c5d3fd1a),
        name: "evenly_distributed",
        runs: false,
        description: "oVirt's engine spreads CPU load by migrating running VMs between hosts. Vireo does not migrate VMs, so it does not run this policy.",
    },
    Policy {
        id: Uuid::from_u128(0x5a2b0939_7d46_4b73_a469_e9c2c7fc6a53),
        name: "power_saving",
        runs: false,
        description: "oVirt's engine packs VMs onto fewer hosts by migrating them, so idle hosts can be powered down. Vireo does not migrate VMs or power hosts, so it does not run this policy.",
    },
    Policy {
        id: Uuid::from_u128(0x8d5d7bec_68de_4a67_b53e_0ac54686d579),
        name: "vm_evenly_distributed",
        runs: false,
        description: "oVirt's engine evens the number of VMs per host by migrating running VMs. Vireo starts a VM on the host with the fewest VMs but never migrates, which is the 'none' policy.",
    },
    Policy {
        id: Uuid::from_u128(0x7677771e_5eab_422e_83fa_dc04080d21b7),
        name: "cluster_maintenance",
        runs: false,
        description: "oVirt's engine lets only highly available VMs start while a cluster is in maintenance. Vireo has no cluster maintenance mode, so it does not run this policy.",
    },
];

fn policy_element(p: &Policy) -> El {
    object("scheduling_policy", "schedulingpolicies", p.id)
        .text("name", p.name)
        .text("description", p.description)
        .text("default_policy", p.id == VIREO)
        .text("locked", true)
        .child(El::new("vireo").text("runs", p.runs))
}

/// The `<scheduling_policy href id/>` every cluster carries.
pub fn cluster_policy() -> El {
    super::href::reference("scheduling_policy", "schedulingpolicies", VIREO)
}

/// A cluster's `<scheduling_policy>` request: `none` (by id or name) is what Vireo does; another
/// built-in is refused with the reason (409), an unknown one is a 404.
pub fn check_choice(r: &Ref, path: &str) -> Result<(), Fault> {
    let found = POLICIES.iter().find(|p| match r {
        Ref::Id(id) => p.id == *id,
        Ref::Name(n) => p.name.eq_ignore_ascii_case(n),
    });
    match found {
        Some(p) if p.runs => Ok(()),
        Some(p) => {
            let message = format!(
                "Vireo does not run scheduling policy '{}': {} Its clusters use 'none'.",
                p.name, p.description
            );
            Err(Fault {
                fields: vec![FieldError::new(path, message.clone())],
                ..Fault::new(StatusCode::CONFLICT, "Operation Failed", format!("[{message}]"))
            })
        }
        None => Err(match r {
            Ref::Id(id) => Fault::not_found(&format!("scheduling policy {id}")),
            Ref::Name(n) => Fault::not_found(&format!("scheduling policy '{n}'")),
        }),
    }
}

/// `GET /schedulingpolicies`.
pub async fn list() -> Response {
    ok(El::new("scheduling_policies").children(POLICIES.iter().map(policy_element)))
}

/// `GET /schedulingpolicies/{id}`.
pub async fn get_one(Path(id): Path<String>) -> Result<Response, Fault> {
    POLICIES
        .iter()
        .find(|p| p.id.to_string() == id)
        .map(|p| ok(policy_element(p)))
        .ok_or_else(|| Fault::not_found(&format!("scheduling policy {id}")))
}

/// Adding, changing or removing a policy: Vireo has one placement.
async fn read_only() -> Fault {
    Fault::new(
        StatusCode::CONFLICT,
        "Operation Failed",
        "[Vireo's scheduling policies are oVirt's built-in ones, read-only: Vireo places VMs one way (the 'none' policy).]",
    )
}

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router.route("/schedulingpolicies", get(list).post(read_only)).route(
        "/schedulingpolicies/{id}",
        get(get_one).put(read_only).delete(read_only),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_none_is_run_and_names_and_ids_resolve() {
        assert!(check_choice(&Ref::Name("none".into()), "p").is_ok());
        assert!(check_choice(&Ref::Id(VIREO), "p").is_ok());
        let f = check_choice(&Ref::Name("power_saving".into()), "cluster/scheduling_policy").unwrap_err();
        assert_eq!(f.status, StatusCode::CONFLICT);
        assert!(f.detail.contains("does not migrate"), "{}", f.detail);
        assert_eq!(
            check_choice(&Ref::Name("nope".into()), "p").unwrap_err().status,
            StatusCode::NOT_FOUND
        );
        let ids: std::collections::HashSet<Uuid> = POLICIES.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), POLICIES.len());
    }
}
