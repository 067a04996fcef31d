//! `/clusters`: name, description, data center, compatibility version, CPU architecture, and the
//! Optimization settings the High Performance rules read (KSM, memory ballooning), saved by the
//! cluster dialog's service — plus what Vireo's clusters are whatever is asked (`FACTS`: no
//! fencing, no migration, no RNG sources, …), the scheduling policy Vireo runs (`none`), the MAC
//! pool (`VIREO_MAC_RANGE`) and the `networks` link, as oVirt's clients read them.

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::{link, object, reference};
use super::read::Obj;
use super::xml::{El, Node};
use super::{mac_pools, refs, scheduling_policies};
use crate::web::state::AppState;
use axum::http::StatusCode;
use uuid::Uuid;
use vireo_app::backend::ClusterBackend;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::FieldError;
use vireo_app::models::{ClusterDraft, ClusterView, CurrentUser};

const ELEMENTS: &[&str] = &[
    "name",
    "description",
    "ballooning_enabled",
    "cpu",
    "data_center",
    "ksm",
    "mac_pool",
    "scheduling_policy",
    "custom_scheduling_policy_properties",
    "version",
];
/// What an engine's GET carries (so a client may send back) that is decided per VM or per host in
/// Vireo, not by the cluster.
const IGNORED: &[&str] = &[
    "link",
    "actions",
    // A VM's BIOS type is its own (new VMs default to Q35 with UEFI or SeaBIOS per template).
    "bios_type",
    // Hosts are set up outside Vireo: it neither enables FIPS nor manages their firewall.
    "fips_mode",
    "firewall_type",
];

/// What Vireo's clusters are, whatever a request asks: (path under `<cluster>`, value — `None`
/// for an element that is empty because Vireo has nothing there —, why). A GET answers exactly
/// these; a request may repeat them, and anything else under these elements is refused (409)
/// with the reason: Vireo does not silently drop what it cannot do. oVirt's clients read them
/// (Ansible's `ovirt_cluster` compares each for idempotency).
const FACTS: &[(&str, Option<&str>, &str)] = &[
    ("comment", Some(""), "Vireo's clusters have a description, no comment"),
    (
        "error_handling/on_error",
        Some("do_not_migrate"),
        "Vireo never migrates VMs off a failing host (highly available ones are restarted where they ran)",
    ),
    (
        "fencing_policy/enabled",
        Some("false"),
        "Vireo does no fencing: it never power-cycles a host that stops answering, so nothing is skipped either",
    ),
    (
        "fencing_policy/skip_if_connectivity_broken/enabled",
        Some("false"),
        "Vireo does no fencing: it never power-cycles a host that stops answering, so nothing is skipped either",
    ),
    (
        "fencing_policy/skip_if_gluster_bricks_up",
        Some("false"),
        "Vireo does no fencing: it never power-cycles a host that stops answering, so nothing is skipped either",
    ),
    (
        "fencing_policy/skip_if_gluster_quorum_not_met",
        Some("false"),
        "Vireo does no fencing: it never power-cycles a host that stops answering, so nothing is skipped either",
    ),
    (
        "fencing_policy/skip_if_sd_active/enabled",
        Some("false"),
        "Vireo does no fencing: it never power-cycles a host that stops answering, so nothing is skipped either",
    ),
    (
        "gluster_service",
        Some("false"),
        "Vireo's hosts run VMs; they serve no Gluster storage",
    ),
    (
        "ha_reservation",
        Some("false"),
        "Vireo reserves no cluster capacity for highly available VMs",
    ),
    (
        "ksm/merge_across_nodes",
        Some("true"),
        "Vireo leaves the hosts' KSM merging across NUMA nodes at the kernel's default (on)",
    ),
    (
        "maintenance_reason_required",
        Some("false"),
        "Vireo asks no reason for host maintenance",
    ),
    (
        "memory_policy/over_commit/percent",
        Some("100"),
        "Vireo schedules VMs into the hosts' physical memory: no memory over-commitment, transparent huge pages as the hosts have them",
    ),
    (
        "memory_policy/transparent_hugepages/enabled",
        Some("true"),
        "Vireo schedules VMs into the hosts' physical memory: no memory over-commitment, transparent huge pages as the hosts have them",
    ),
    (
        "migration/bandwidth",
        None,
        "Vireo does not migrate VMs (each runs on the host it started on), so there are no migration settings",
    ),
    (
        "optional_reason",
        Some("false"),
        "Vireo asks no reason for shutting a VM down",
    ),
    (
        "required_rng_sources",
        None,
        "Vireo gives VMs no random number generator device, so hosts need no source",
    ),
    (
        "switch_type",
        Some("legacy"),
        "Vireo's networks are Linux bridges (libvirt networks or host bridges), not Open vSwitch",
    ),
    (
        "threads_as_cores",
        Some("false"),
        "Vireo counts a host's CPU threads as threads, not as cores",
    ),
    (
        "trusted_service",
        Some("false"),
        "Vireo has no host attestation service",
    ),
    (
        "tunnel_migration",
        Some("false"),
        "Vireo does not migrate VMs (each runs on the host it started on), so there are no migration settings",
    ),
    (
        "virt_service",
        Some("true"),
        "Vireo's hosts run VMs; they serve no Gluster storage",
    ),
];

/// The first segment of each fact: the elements `FACTS` governs.
fn fact_elements() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    FACTS.iter().filter_map(move |(path, _, _)| {
        let top = path.split('/').next().unwrap_or(path);
        (!seen.contains(&top)).then(|| {
            seen.push(top);
            top
        })
    })
}

/// The facts under `prefix` (`""` for the top) as elements, in `FACTS`' order.
fn facts_under(prefix: &str) -> Vec<El> {
    let mut out: Vec<El> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (path, value, _) in FACTS {
        let Some(rest) = (if prefix.is_empty() {
            Some(*path)
        } else {
            path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
        }) else {
            continue;
        };
        let name = rest.split('/').next().unwrap_or(rest);
        if names.contains(&name) {
            continue;
        }
        names.push(name);
        out.push(if rest == name {
            match value {
                Some(v) => El::leaf(name, v),
                None => El::new(name),
            }
        } else {
            let deeper = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            El::new(name).children(facts_under(&deeper))
        });
    }
    out
}

/// A boolean as the SDK may write it (`1`/`0` too), else the text lower-cased.
fn normalized(text: &str) -> String {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" => "true".into(),
        "0" => "false".into(),
        t => t.to_string(),
    }
}

/// Refused: what the request asks is not what Vireo does (409, the engine's answer to a request
/// its rules refuse), naming the element.
fn refused(path: &str, message: String) -> Fault {
    Fault {
        fields: vec![FieldError::new(path, message.clone())],
        ..Fault::new(StatusCode::CONFLICT, "Operation Failed", format!("[{message}]"))
    }
}

/// Checks the request's element `node` at `path` (relative to `<cluster>`) against `FACTS`: each
/// value given must be Vireo's, each element one Vireo answers.
fn check_facts(node: &Node, path: &str) -> Result<(), Fault> {
    let at = |p: &str| format!("cluster/{p}");
    let why = |p: &str| {
        let top = p.split('/').next().unwrap_or(p);
        FACTS
            .iter()
            .find(|(f, _, _)| f.split('/').next() == Some(top))
            .map_or("Vireo does not support it", |(_, _, why)| *why)
    };
    if let Some((_, value, reason)) = FACTS.iter().find(|(f, _, _)| *f == path) {
        return match value {
            Some(v) if node.children.is_empty() && normalized(&node.text) == *v => Ok(()),
            Some(v) => Err(refused(
                &at(path),
                format!("{path} is {v} in Vireo and cannot be changed: {reason}."),
            )),
            None if node.children.is_empty() && node.text.trim().is_empty() => Ok(()),
            None => Err(refused(&at(path), format!("{path} cannot be set: {reason}."))),
        };
    }
    let is_container = FACTS
        .iter()
        .any(|(f, _, _)| f.strip_prefix(path).is_some_and(|r| r.starts_with('/')));
    if !is_container {
        return Err(refused(&at(path), format!("{path} cannot be set: {}.", why(path))));
    }
    for c in &node.children {
        check_facts(c, &format!("{path}/{}", c.name))?;
    }
    Ok(())
}

/// oVirt's `Architecture` for a stored one: the model says `ppc64` for POWER, whose little-endian
/// flavour Vireo (as libvirt) calls `ppc64le`; the SDK reads an unknown value as nothing.
pub(super) fn wire_arch(stored: &str) -> &str {
    match stored {
        "ppc64le" => "ppc64",
        other => other,
    }
}

/// The stored architecture for oVirt's name (the service refuses what it does not know).
fn stored_arch(wire: String) -> String {
    match wire.as_str() {
        "ppc64" => "ppc64le".into(),
        _ => wire,
    }
}

pub(super) fn cluster_element(c: &ClusterView) -> El {
    let mut facts = facts_under("");
    // KSM's switch is the cluster's setting; merging across NUMA nodes is a fact.
    if let Some(ksm) = facts.iter_mut().find(|e| e.name() == "ksm") {
        ksm.child_elements_mut().insert(0, El::leaf("enabled", c.ksm_enabled));
    }
    object("cluster", "clusters", c.id)
        .text("name", &c.name)
        .text("description", &c.description)
        .child(link("clusters", c.id, "networks"))
        .text("ballooning_enabled", c.ballooning_enabled)
        // No CPU type: a VM's CPU is its host's (host-model, or host-passthrough).
        .child(El::new("cpu").text("architecture", wire_arch(&c.cpu_arch)))
        .child(reference("data_center", "datacenters", c.data_center_id))
        .children(facts)
        .child(mac_pools::pool_reference())
        .child(scheduling_policies::cluster_policy())
        .child(
            El::new("version")
                .text("major", c.compat_version.major)
                .text("minor", c.compat_version.minor),
        )
}

/// Applies a `<cluster>` request to a draft (its data center resolved by id or name).
async fn read_cluster(state: &AppState, obj: &Obj<'_>, draft: &mut ClusterDraft) -> Result<(), Fault> {
    let facts: Vec<&str> = fact_elements().collect();
    obj.allow(&[ELEMENTS, IGNORED, &facts].concat())?;
    for c in &obj.node.children {
        if facts.contains(&c.name.as_str()) && c.name != "ksm" {
            check_facts(c, &c.name)?;
        }
    }
    if let Some(r) = obj.reference("data_center")? {
        draft.data_center_id = Some(refs::data_center(state, &r).await?);
    }
    if let Some(r) = obj.reference("scheduling_policy")? {
        scheduling_policies::check_choice(&r, "cluster/scheduling_policy")?;
    }
    if let Some(props) = obj.items("custom_scheduling_policy_properties", "property")? {
        if !props.is_empty() {
            return Err(refused(
                "cluster/custom_scheduling_policy_properties",
                "Vireo's placement (the 'none' policy) takes no properties.".into(),
            ));
        }
    }
    if let Some(r) = obj.reference("mac_pool")? {
        mac_pools::check_choice(&r)?;
    }
    if let Some(n) = obj.text("name")? {
        draft.name = n;
    }
    if let Some(d) = obj.text("description")? {
        draft.description = d;
    }
    if let Some(b) = obj.bool("ballooning_enabled")? {
        draft.ballooning_enabled = b;
    }
    if let Some(cpu) = obj.get("cpu")? {
        cpu.allow(&["architecture", "type"])?;
        if let Some(a) = cpu.text("architecture")? {
            draft.cpu_arch = stored_arch(a);
        }
        if cpu.text("type")?.is_some_and(|t| !t.is_empty()) {
            return Err(refused(
                "cluster/cpu/type",
                "Vireo's clusters have no CPU type: a VM's CPU is its host's (host-model, or host-passthrough for CPU pass-through).".into(),
            ));
        }
    }
    if let Some(ksm) = obj.get("ksm")? {
        ksm.allow(&["enabled", "merge_across_nodes"])?;
        if let Some(k) = ksm.bool("enabled")? {
            draft.ksm_enabled = k;
        }
        if let Some(m) = ksm.get("merge_across_nodes")? {
            check_facts(m.node, "ksm/merge_across_nodes")?;
        }
    }
    if let Some(v) = obj.get("version")? {
        v.allow(&["major", "minor"])?;
        let current = CompatVersion::parse(&draft.compat_version).unwrap_or(CompatVersion::LATEST);
        let major = v.u32("major")?.unwrap_or(current.major);
        let minor = v.u32("minor")?.unwrap_or(current.minor);
        // The service refuses versions outside 4.1–4.8 with a field error.
        draft.compat_version = format!("{major}.{minor}");
    }
    Ok(())
}

impl ApiObject for kind::Cluster {
    api_object! {
        ClusterView, "clusters" listed as "clusters", Clusters,
        cluster_element, whole(list_clusters, cluster)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<ClusterView, Fault> {
        let mut draft = ClusterDraft {
            id: None,
            version: None,
            name: String::new(),
            description: String::new(),
            data_center_id: None,
            compat_version: CompatVersion::LATEST.to_string(),
            cpu_arch: "x86_64".into(),
            ksm_enabled: true,
            ballooning_enabled: true,
        };
        read_cluster(state, obj, &mut draft).await?;
        Fault::require("Cluster", "add", &[("name", !draft.name.is_empty())])?;
        Ok(state.service.save_cluster(user, draft).await?)
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<ClusterView, Fault> {
        let body = body?;
        let c = Self::existing(state, id).await?;
        let mut draft = ClusterDraft {
            id: Some(c.id),
            version: Some(c.version),
            name: c.name,
            description: c.description,
            data_center_id: Some(c.data_center_id),
            compat_version: c.compat_version.to_string(),
            cpu_arch: c.cpu_arch,
            ksm_enabled: c.ksm_enabled,
            ballooning_enabled: c.ballooning_enabled,
        };
        read_cluster(state, &body.obj(), &mut draft).await?;
        Ok(state.service.save_cluster(user, draft).await?)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_cluster(user, id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovirt::xml::parse;

    fn facts_document() -> Node {
        let el = El::new("cluster").children(facts_under(""));
        parse(std::str::from_utf8(&el.to_document()).expect("utf-8")).expect("parses")
    }

    #[test]
    fn what_a_get_answers_is_accepted_back() {
        let doc = facts_document();
        let tops: Vec<&str> = fact_elements().collect();
        assert_eq!(doc.children.len(), tops.len());
        for c in &doc.children {
            check_facts(c, &c.name).unwrap_or_else(|f| panic!("{}: {}", c.name, f.detail));
        }
        assert_eq!(
            doc.child("fencing_policy")
                .and_then(|f| f.child("skip_if_sd_active"))
                .and_then(|s| s.child("enabled"))
                .map(|e| e.text.as_str()),
            Some("false")
        );
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        let doc = parse(
            "<cluster><fencing_policy><enabled>1</enabled></fencing_policy><migration><policy id=\"x\"/></migration><fencing_policy><enabled>0</enabled></fencing_policy></cluster>",
        )
        .expect("parses");
        let f = check_facts(&doc.children[0], "fencing_policy").unwrap_err();
        assert_eq!(f.status, StatusCode::CONFLICT);
        assert_eq!(f.fields[0].field, "cluster/fencing_policy/enabled");
        let f = check_facts(&doc.children[1], "migration").unwrap_err();
        assert!(
            f.detail.contains("migration/policy") && f.detail.contains("does not migrate"),
            "{}",
            f.detail
        );
        // `0` is the SDK's other spelling of false.
        assert!(check_facts(&doc.children[2], "fencing_policy").is_ok());
    }
}
