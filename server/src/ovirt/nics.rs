//! `/vms/{id}/nics` and `/templates/{id}/nics`: a VM's or Template's network interfaces, and
//! `/vms/{id}/reporteddevices` (also per NIC): what the guest reports on them.
//!
//! A NIC names a `vnic_profile` (by id, as oVirt's clients send it; `<vnic_profile/>` without one
//! is oVirt's "Empty": connected to nothing), an `interface` (`virtio`, `e1000e`, `rtl8139`), a
//! `mac` (`<mac><address>`; a VM's NIC without one gets the next free address of Vireo's range,
//! a Template's NICs carry none), `linked` and `plugged`. On a running VM Vireo plugs the change
//! in live when the host can; otherwise it waits for the next start, and the answer says so with
//! Vireo's reason in `<vireo><pending_reason>` (oVirt has no element for it).
//! The deprecated `<network>` reference of old clients is read as that network's default profile.

use super::disk_attachments::Owner;
use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{reference, API};
use super::read::{Obj, Ref};
use super::response::{action_complete, created, ok};
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::backend::NetworkBackend;
use vireo_app::domain::network::{next_nic_name, MacAddress, Nic, NicModel};
use vireo_app::error::AppError;
use vireo_app::models::{AttachedNic, NicChangeOutcome, ReportedNic, VnicProfileView};

const ELEMENTS: &[&str] = &[
    "name",
    "description",
    "interface",
    "mac",
    "linked",
    "plugged",
    "vnic_profile",
    "network",
    // Accepted with the one value Vireo has.
    "on_boot",
    "vireo",
];
/// What a GET returns that a client may send back: accepted, ignored.
const READ_ONLY: &[&str] = &[
    "link",
    "actions",
    "vm",
    "template",
    "synced",
    "reported_devices",
    "statistics",
];

fn nic_element<K: Owner>(owner: Uuid, a: &AttachedNic, pending_reason: Option<&str>) -> El {
    let nic = &a.nic;
    let mut vireo = El::new("vireo").text("pending", a.pending);
    if let (Some(reason), true) = (pending_reason, a.pending) {
        vireo = vireo.text("pending_reason", reason);
    }
    let href = format!("{API}/{}/{owner}/nics/{}", K::PATH, nic.id);
    let mut el = El::new("nic")
        .attr("href", &href)
        .attr("id", nic.id)
        .child(
            El::new("link")
                .attr("href", format!("{href}/reporteddevices"))
                .attr("rel", "reporteddevices"),
        )
        .text("name", &nic.name)
        .text("interface", nic.model.as_str())
        .text("linked", nic.linked);
    if let Some(mac) = nic.mac {
        el = el.child(El::new("mac").text("address", mac));
    }
    el = el
        .text("on_boot", true)
        .text("plugged", nic.plugged)
        .text("synced", !a.pending)
        .child(vireo);
    if let Some(profile) = nic.vnic_profile_id {
        el = el.child(reference("vnic_profile", "vnicprofiles", profile));
    }
    el.child(reference(K::TAG, K::PATH, owner))
}

/// The owner's NICs (a missing owner is a 404 naming it).
async fn attached<K: Owner>(state: &AppState, id: Uuid) -> Result<Vec<AttachedNic>, Fault> {
    state.service.vm_nics(K::CONFIG, id).await.map_err(|e| match e {
        AppError::NotFound { .. } => K::missing(id),
        other => other.into(),
    })
}

/// NIC `sub` of the owner, or a 404.
async fn find<K: Owner>(state: &AppState, id: Uuid, sub: &str) -> Result<AttachedNic, Fault> {
    attached::<K>(state, id)
        .await?
        .into_iter()
        .find(|a| a.nic.id.to_string() == sub)
        .ok_or_else(|| Fault::not_found(&format!("NIC {sub} of {} {id}", K::WHAT)))
}

pub async fn list<K: Owner>(State(state): State<AppState>, ApiId { id, .. }: ApiId<K>) -> Result<Response, Fault> {
    let all = attached::<K>(&state, id).await?;
    Ok(ok(
        El::new("nics").children(all.iter().map(|a| nic_element::<K>(id, a, None)))
    ))
}

pub async fn get_one<K: Owner>(
    State(state): State<AppState>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
) -> Result<Response, Fault> {
    let a = find::<K>(&state, id, &sub).await?;
    Ok(ok(nic_element::<K>(id, &a, None)))
}

/// What a `<nic>` asks for, each part optional (`profile: Some(None)`: the Empty profile).
#[derive(Default)]
struct NicRequest {
    name: Option<String>,
    model: Option<NicModel>,
    mac: Option<MacAddress>,
    linked: Option<bool>,
    plugged: Option<bool>,
    profile: Option<Option<Uuid>>,
}

impl NicRequest {
    fn apply(self, nic: &mut Nic) {
        if let Some(n) = self.name {
            nic.name = n;
        }
        if let Some(m) = self.model {
            nic.model = m;
        }
        if let Some(mac) = self.mac {
            nic.mac = Some(mac);
        }
        if let Some(l) = self.linked {
            nic.linked = l;
        }
        if let Some(p) = self.plugged {
            nic.plugged = p;
        }
        if let Some(p) = self.profile {
            nic.vnic_profile_id = p;
        }
    }
}

/// A profile by id (its `<name>` alone is ambiguous: every network has a profile named after it,
/// and profiles of different networks share names), checked to exist.
fn profile_ref(profiles: &[VnicProfileView], obj: &Obj, r: Ref) -> Result<Uuid, Fault> {
    match r {
        Ref::Id(id) => profiles
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.id)
            .ok_or_else(|| Fault::not_found(&format!("vNIC profile {id}"))),
        Ref::Name(name) => {
            let named: Vec<&VnicProfileView> = profiles.iter().filter(|p| p.name == name).collect();
            match named.as_slice() {
                [one] => Ok(one.id),
                [] => Err(Fault::not_found(&format!("vNIC profile '{name}'"))),
                _ => Err(Fault::invalid(
                    obj.path(),
                    format!("several vNIC profiles are named '{name}'; give the one you mean by its id"),
                )),
            }
        }
    }
}

async fn read_nic(state: &AppState, obj: &Obj<'_>) -> Result<NicRequest, Fault> {
    obj.allow(&[ELEMENTS, READ_ONLY].concat())?;
    if obj.bool("on_boot")? == Some(false) {
        return Err(Fault::invalid(
            &format!("{}/on_boot", obj.path()),
            "Vireo plugs a NIC at every start; use <plugged>false</plugged> to keep it out",
        ));
    }
    let mac = match obj.get("mac")? {
        None => None,
        Some(m) => {
            m.allow(&["address"])?;
            match m.text("address")? {
                None => None,
                Some(text) if text.is_empty() => None,
                Some(text) => {
                    Some(MacAddress::parse(&text).map_err(|e| Fault::invalid(&format!("{}/address", m.path()), e))?)
                }
            }
        }
    };
    let profiles = if obj.get("vnic_profile")?.is_some() || obj.get("network")?.is_some() {
        state.service.list_vnic_profiles().await?
    } else {
        Vec::new()
    };
    let profile = match obj.get("vnic_profile")? {
        Some(p) if p.node.attr("id").is_none() && p.text("name")?.is_none() => Some(None),
        Some(p) => Some(Some(profile_ref(&profiles, &p, p.as_reference()?)?)),
        None => match obj.get("network")? {
            // Old clients name the network: its default profile.
            Some(n) => {
                let r = n.as_reference()?;
                let found = profiles.iter().find(|p| {
                    p.is_default
                        && match &r {
                            Ref::Id(id) => p.network_id == *id,
                            Ref::Name(name) => p.network_name == *name,
                        }
                });
                match found {
                    Some(p) => Some(Some(p.id)),
                    None => return Err(Fault::not_found("network")),
                }
            }
            None => None,
        },
    };
    Ok(NicRequest {
        name: obj.text("name")?,
        model: obj
            .one_of("interface", &NicModel::STRS)?
            .and_then(|m| NicModel::parse(&m)),
        mac,
        linked: obj.bool("linked")?,
        plugged: obj.bool("plugged")?,
        profile,
    })
}

/// The answer after a change: the NIC as it now is, with why it waits if it does.
async fn answer<K: Owner>(state: &AppState, id: Uuid, nic: Uuid, outcome: &NicChangeOutcome) -> Result<El, Fault> {
    let a = find::<K>(state, id, &nic.to_string()).await?;
    let reason = match outcome {
        NicChangeOutcome::NextRun { reason } => Some(reason.as_str()),
        NicChangeOutcome::Live => None,
    };
    Ok(nic_element::<K>(id, &a, reason))
}

pub async fn add<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<K>,
    body: Result<XmlBody<kind::Nic>, Fault>,
) -> Result<Response, Fault> {
    // A missing owner is reported before anything about the body.
    let existing = attached::<K>(&state, id).await?;
    let body = body?;
    let req = read_nic(&state, &body.obj()).await?;
    let nics: Vec<Nic> = existing.into_iter().map(|a| a.nic).collect();
    let mut nic = Nic::new(next_nic_name(&nics), None);
    req.apply(&mut nic);
    let nic_id = nic.id;
    let outcome = state.service.add_nic(&user, K::CONFIG, id, nic).await?;
    Ok(created(answer::<K>(&state, id, nic_id, &outcome).await?))
}

pub async fn update<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
    body: Result<XmlBody<kind::Nic>, Fault>,
) -> Result<Response, Fault> {
    // A missing owner or NIC is reported before anything about the body.
    let current = find::<K>(&state, id, &sub).await?;
    let body = body?;
    let req = read_nic(&state, &body.obj()).await?;
    let mut nic = current.nic.clone();
    req.apply(&mut nic);
    let outcome = if nic == current.nic {
        NicChangeOutcome::Live
    } else {
        state.service.update_nic(&user, K::CONFIG, id, nic).await?
    };
    Ok(ok(answer::<K>(&state, id, current.nic.id, &outcome).await?))
}

pub async fn remove<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
) -> Result<Response, Fault> {
    let current = find::<K>(&state, id, &sub).await?;
    state.service.remove_nic(&user, K::CONFIG, id, current.nic.id).await?;
    Ok(action_complete())
}

/// A reported device's id: stable for one VM, MAC and guest interface name (oVirt gives them ids;
/// libvirt does not, so Vireo derives one).
fn reported_id(vm: Uuid, r: &ReportedNic) -> Uuid {
    Uuid::new_v5(&vm, format!("{}/{}", r.mac, r.name).as_bytes())
}

fn reported_element(vm: Uuid, r: &ReportedNic) -> El {
    let id = reported_id(vm, r);
    let ips = r.addresses.iter().map(|a| {
        let address = a.split('/').next().unwrap_or(a);
        let version = if address.contains(':') { "v6" } else { "v4" };
        El::new("ip").text("address", address).text("version", version)
    });
    El::new("reported_device")
        .attr("href", format!("{API}/vms/{vm}/reporteddevices/{id}"))
        .attr("id", id)
        .text("name", &r.name)
        .text("description", "guest reported data")
        .child(El::new("ips").children(ips))
        .child(El::new("mac").text("address", &r.mac))
        .text("type", "network")
        .child(reference("vm", "vms", vm))
}

/// The VM's reported devices (a missing VM is a 404).
async fn reported(state: &AppState, id: Uuid) -> Result<Vec<ReportedNic>, Fault> {
    state.service.reported_nics(id).await.map_err(|e| match e {
        AppError::NotFound { .. } => kind::Vm::missing(id),
        other => other.into(),
    })
}

pub async fn reported_devices(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::Vm>,
) -> Result<Response, Fault> {
    let all = reported(&state, id).await?;
    Ok(ok(
        El::new("reported_devices").children(all.iter().map(|r| reported_element(id, r)))
    ))
}

pub async fn reported_device(
    State(state): State<AppState>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let found = reported(&state, id)
        .await?
        .into_iter()
        .find(|r| reported_id(id, r).to_string() == sub)
        .ok_or_else(|| Fault::not_found(&format!("reported device {sub} of VM {id}")))?;
    Ok(ok(reported_element(id, &found)))
}

/// `/vms/{id}/nics/{nic}/reporteddevices`: what the guest reports on that NIC (matched by MAC).
pub async fn nic_reported_devices(
    State(state): State<AppState>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let nic = find::<kind::Vm>(&state, id, &sub).await?;
    let mac = nic.nic.mac.map(|m| m.to_string());
    let all = reported(&state, id).await?;
    Ok(ok(El::new("reported_devices").children(
        all.iter()
            .filter(|r| mac.as_deref().is_some_and(|m| r.mac.eq_ignore_ascii_case(m)))
            .map(|r| reported_element(id, r)),
    )))
}

/// `/{owner}/{id}/nics` and `/{owner}/{id}/nics/{nic_id}`.
pub fn routes<K: Owner>(router: Router<AppState>) -> Router<AppState> {
    router
        .route(&format!("/{}/{{id}}/nics", K::PATH), get(list::<K>).post(add::<K>))
        .route(
            &format!("/{}/{{id}}/nics/{{nid}}", K::PATH),
            get(get_one::<K>).put(update::<K>).delete(remove::<K>),
        )
}
