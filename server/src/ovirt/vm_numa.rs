//! `/vms/{id}/numanodes`: a VM's vNUMA nodes (ids derived from the VM's id and the node's
//! index), read from and edited in the pending configuration when there is one, saved through the
//! dialog's validation.

use super::extract::kind;
use super::extract::{ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{reference, API};
use super::read::Obj;
use super::response::{action_complete, created, ok};
use super::vms::{change_config, edit_config, editable_config, record};
use super::xml::El;
use crate::repository::ConfigRecord;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::vm_config::{NumaTuneMode, VNumaNode, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

fn numa_id(vm: Uuid, index: u32) -> Uuid {
    Uuid::new_v5(&vm, format!("numa/{index}").as_bytes())
}

fn numa_element(vm: Uuid, cfg: &VmConfig, node: &VNumaNode) -> El {
    let id = numa_id(vm, node.index);
    El::new("vm_numa_node")
        .attr("href", format!("{API}/vms/{vm}/numanodes/{id}"))
        .attr("id", id)
        .child(
            El::new("cpu").child(El::new("cores").children(node.cpus.ids().map(|c| El::new("core").text("index", c)))),
        )
        .text("index", node.index)
        .text("memory", node.memory_mib)
        .child(
            El::new("numa_node_pins").children(
                node.host_nodes
                    .iter()
                    .map(|h| El::new("numa_node_pin").text("index", h)),
            ),
        )
        .text("numa_tune_mode", cfg.numa_tune_mode.as_str())
        .child(reference("vm", "vms", vm))
}

pub async fn numa_nodes(State(state): State<AppState>, ApiId { id, .. }: ApiId<kind::Vm>) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let cfg = editable_config(&rec);
    Ok(ok(
        El::new("vm_numa_nodes").children(cfg.numa_nodes.iter().map(|n| numa_element(rec.id, cfg, n)))
    ))
}

fn find_node(rec: &ConfigRecord, nid: &str) -> Result<u32, Fault> {
    let cfg = editable_config(rec);
    cfg.numa_nodes
        .iter()
        .find(|n| numa_id(rec.id, n.index).to_string() == nid)
        .map(|n| n.index)
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {nid} of VM {}", rec.name)))
}

/// Node `index` of the VM as the API shows it.
fn node_element(rec: &ConfigRecord, index: u32) -> Result<El, Fault> {
    let cfg = editable_config(rec);
    cfg.numa_nodes
        .iter()
        .find(|n| n.index == index)
        .map(|node| numa_element(rec.id, cfg, node))
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {index} of VM {}", rec.name)))
}

/// Saves `edit` and, when the request names one, its tune mode (a VM-wide setting a node request
/// carries); answers node `index` as saved.
async fn edit_node(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    (index, tune): (u32, Option<NumaTuneMode>),
    edit: impl FnOnce(&mut VmConfig) -> Result<(), Fault>,
) -> Result<El, Fault> {
    let rec = edit_config(state, user, id, |cfg| {
        edit(cfg)?;
        if let Some(t) = tune {
            cfg.numa_tune_mode = t;
        }
        Ok(())
    })
    .await?;
    node_element(&rec, index)
}

pub async fn numa_node(
    State(state): State<AppState>,
    ApiIdAnd { id, sub: nid, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let index = find_node(&rec, &nid)?;
    Ok(ok(node_element(&rec, index)?))
}

/// A `<vm_numa_node>` request: every part optional (the caller checks what an add needs).
struct NumaRequest {
    index: Option<u32>,
    memory_mib: Option<u64>,
    cpus: Option<CpuSet>,
    host_nodes: Option<Vec<u32>>,
    tune: Option<NumaTuneMode>,
}

fn read_numa(obj: &Obj) -> Result<NumaRequest, Fault> {
    obj.allow(&[
        "cpu",
        "index",
        "memory",
        "numa_node_pins",
        "numa_tune_mode",
        "name",
        "vm",
        "link",
    ])?;
    let cpus = match obj.get("cpu")? {
        None => None,
        Some(cpu) => {
            cpu.allow(&["cores"])?;
            match cpu.items("cores", "core")? {
                None => None,
                Some(cores) => {
                    let mut ids = Vec::new();
                    for core in cores {
                        core.allow(&["index"])?;
                        ids.push(
                            core.u32("index")?
                                .ok_or_else(|| Fault::invalid(core.path(), "a core needs its <index>"))?,
                        );
                    }
                    Some(CpuSet::from_ids(ids))
                }
            }
        }
    };
    let host_nodes = match obj.items("numa_node_pins", "numa_node_pin")? {
        None => None,
        Some(pins) => {
            let mut out = Vec::new();
            for pin in pins {
                pin.allow(&["index", "host_numa_node", "pinned"])?;
                out.push(
                    pin.u32("index")?
                        .ok_or_else(|| Fault::invalid(pin.path(), "a pin needs the host NUMA node's <index>"))?,
                );
            }
            Some(out)
        }
    };
    Ok(NumaRequest {
        index: obj.u32("index")?,
        memory_mib: obj.u64("memory")?,
        cpus,
        host_nodes,
        tune: obj
            .one_of("numa_tune_mode", &NumaTuneMode::STRS)?
            .and_then(|m| NumaTuneMode::parse(&m)),
    })
}

pub async fn add_numa_node(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::Vm>,
    body: XmlBody<kind::VmNumaNode>,
) -> Result<Response, Fault> {
    let req = read_numa(&body.obj())?;
    Fault::require(
        "VirtualNumaNode",
        "add",
        &[
            ("index", req.index.is_some()),
            ("memory", req.memory_mib.is_some()),
            ("cpu.cores", req.cpus.is_some()),
        ],
    )?;
    let index = req.index.unwrap_or_default();
    let node = edit_node(&state, &user, id, (index, req.tune), |cfg| {
        if cfg.numa_nodes.iter().any(|n| n.index == index) {
            return Err(AppError::conflict(format!("The VM already has NUMA node {index}.")).into());
        }
        cfg.numa_nodes.push(VNumaNode {
            index,
            cpus: req.cpus.unwrap_or_default(),
            memory_mib: req.memory_mib.unwrap_or_default(),
            host_nodes: req.host_nodes.unwrap_or_default(),
        });
        cfg.numa_nodes.sort_by_key(|n| n.index);
        Ok(())
    })
    .await?;
    Ok(created(node))
}

pub async fn update_numa_node(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub: nid, .. }: ApiIdAnd<kind::Vm>,
    body: Result<XmlBody<kind::VmNumaNode>, Fault>,
) -> Result<Response, Fault> {
    // A missing VM or node is reported before anything about the body.
    let rec = record(&state, id).await?;
    let index = find_node(&rec, &nid)?;
    let req = read_numa(&body?.obj())?;
    if req.index.is_some_and(|i| i != index) {
        return Err(Fault::invalid(
            "vm_numa_node/index",
            "a NUMA node's index cannot be changed",
        ));
    }
    let node = edit_node(&state, &user, rec.id, (index, req.tune), |cfg| {
        let Some(n) = cfg.numa_nodes.iter_mut().find(|n| n.index == index) else {
            return Err(Fault::not_found("NUMA node"));
        };
        if let Some(m) = req.memory_mib {
            n.memory_mib = m;
        }
        if let Some(c) = req.cpus {
            n.cpus = c;
        }
        if let Some(h) = req.host_nodes {
            n.host_nodes = h;
        }
        Ok(())
    })
    .await?;
    Ok(ok(node))
}

pub async fn remove_numa_node(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub: nid, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let index = find_node(&rec, &nid)?;
    change_config(&state, &user, rec.id, |cfg| cfg.numa_nodes.retain(|n| n.index != index)).await?;
    Ok(action_complete())
}
