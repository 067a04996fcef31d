//! `/hosts`: libvirt hosts with the topology the High Performance rules pin against, and their NUMA
//! cells (`/numanodes`, memory in MiB). `address` is the libvirt URI; a bare host name becomes
//! `qemu+ssh://root@NAME/system`. Vireo adds `<vireo>` with the simulated topology (test driver)
//! and free huge pages per size. PUT changes KSM (the only host setting Vireo manages).

use super::fault::Fault;
use super::read::Obj;
use super::vms::search_ids;
use super::xml::El;
use super::{
    action_complete, created, expect_root, link, object, ok, parse_id, read_body, reference, refs, ListParams, API,
};
use crate::repository::ApiCollection;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use uuid::Uuid;
use vireo_app::domain::host_topology::NumaCell;
use vireo_app::models::{AddHostRequest, CurrentUser, HostStatus, HostView};

const ELEMENTS: &[&str] = &["name", "address", "cluster", "ksm", "vireo"];
const IGNORED: &[&str] = &[
    "link",
    "actions",
    "comment",
    "description",
    "root_password",
    "port",
    "ssh",
    "cpu",
    "memory",
    "max_scheduling_memory",
    "numa_supported",
    "status",
    "type",
    "transparent_hugepages",
    "summary",
    "os",
    "version",
    "libvirt_version",
    "hardware_information",
    "kdump_status",
    "auto_numa_status",
    "protocol",
];

fn status(s: HostStatus) -> &'static str {
    match s {
        HostStatus::Up => "up",
        HostStatus::NonResponsive => "non_responsive",
        HostStatus::Maintenance => "maintenance",
    }
}

fn host_element(h: &HostView) -> El {
    let t = &h.topology;
    let memory = t.memory_kib() * 1024;
    let mut cpu = El::new("cpu");
    if let Some(model) = &t.cpu_model {
        cpu = cpu.text("name", model);
    }
    cpu = cpu.child(
        El::new("topology")
            .text("cores", t.cores_per_socket)
            .text("sockets", t.sockets)
            .text("threads", t.threads_per_core),
    );
    let mut vireo = El::new("vireo").text("uri", &h.uri);
    if let Some(sim) = &h.simulated_topology {
        vireo = vireo.text("simulated_topology", sim);
    }
    vireo = vireo.child(
        El::new("hugepages").children(t.huge_page_sizes().into_iter().map(|size| {
            El::new("hugepage")
                .text("size", size)
                .text("total", t.total_pages(size))
                .text("free", t.free_pages(size, &[]))
        })),
    );
    if let Some(e) = &h.last_error {
        vireo = vireo.text("last_error", e);
    }
    let mut host = object("host", "hosts", h.id)
        .text("name", &h.name)
        .child(link("hosts", h.id, "numanodes"))
        .text("address", &h.uri)
        .child(cpu);
    if let Some(k) = h.ksm_running {
        host = host.child(El::new("ksm").text("enabled", k));
    }
    host.text("max_scheduling_memory", memory)
        .text("memory", memory)
        .text("numa_supported", t.cells.len() > 1)
        .text("status", status(h.status))
        .child(El::new("summary").text("total", h.vm_count))
        .child(vireo)
        .child(reference("cluster", "clusters", h.cluster_id))
}

pub async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, Fault> {
    let ids = search_ids(&state, ApiCollection::Hosts, &p).await?;
    let all = state.repo.list_hosts().await?;
    let items = ids.iter().filter_map(|id| all.iter().find(|h| h.id == *id));
    Ok(ok(El::new("hosts").children(items.map(host_element))))
}

async fn view(state: &AppState, id: &str) -> Result<HostView, Fault> {
    let id = parse_id(id, "host")?;
    state
        .repo
        .host(id)
        .await?
        .ok_or_else(|| Fault::not_found(&format!("host {id}")))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    Ok(ok(host_element(&view(&state, &id).await?)))
}

fn numa_id(host: Uuid, cell: u32) -> Uuid {
    Uuid::new_v5(&host, format!("numa/{cell}").as_bytes())
}

fn numa_element(h: &HostView, cell: &NumaCell) -> El {
    let id = numa_id(h.id, cell.id);
    El::new("host_numa_node")
        .attr("href", format!("{API}/hosts/{}/numanodes/{id}", h.id))
        .attr("id", id)
        .child(
            El::new("cpu")
                .child(El::new("cores").children(cell.cpus.iter().map(|c| El::new("core").text("index", c.id)))),
        )
        .text("index", cell.id)
        .text("memory", cell.memory_kib / 1024)
        .child(El::new("vireo").child(
            El::new("hugepages").children(cell.pages.iter().filter(|p| p.size_kib > 4).map(|p| {
                El::new("hugepage")
                    .text("size", p.size_kib)
                    .text("total", p.total)
                    .text("free", p.free)
            })),
        ))
        .child(reference("host", "hosts", h.id))
}

pub async fn numa_nodes(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    let h = view(&state, &id).await?;
    Ok(ok(
        El::new("host_numa_nodes").children(h.topology.cells.iter().map(|c| numa_element(&h, c)))
    ))
}

pub async fn numa_node(
    State(state): State<AppState>,
    Path((id, nid)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let h = view(&state, &id).await?;
    let cell = h
        .topology
        .cells
        .iter()
        .find(|c| numa_id(h.id, c.id).to_string() == nid)
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {nid} of host {}", h.name)))?;
    Ok(ok(numa_element(&h, cell)))
}

/// `address` as a libvirt URI.
fn uri_of(address: &str) -> String {
    if address.contains(':') {
        address.to_string()
    } else {
        format!("qemu+ssh://root@{address}/system")
    }
}

fn read_vireo(obj: &Obj) -> Result<Option<String>, Fault> {
    match obj.get("vireo")? {
        None => Ok(None),
        Some(v) => {
            v.allow(&["simulated_topology", "uri", "hugepages", "last_error"])?;
            v.text("simulated_topology")
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    body: Body,
) -> Result<Response, Fault> {
    let node = read_body(body).await?;
    let obj = expect_root(&node, "host")?;
    obj.allow(&[ELEMENTS, IGNORED].concat())?;
    let name = obj.text("name")?.unwrap_or_default();
    let address = obj.text("address")?.unwrap_or_default();
    let cluster = obj.reference("cluster")?;
    let mut missing = Vec::new();
    if name.is_empty() {
        missing.push("name");
    }
    if address.is_empty() {
        missing.push("address");
    }
    if cluster.is_none() {
        missing.push("cluster");
    }
    let Some(cluster) = cluster.filter(|_| missing.is_empty()) else {
        return Err(Fault::incomplete("Host", &missing, "add"));
    };
    let req = AddHostRequest {
        name,
        cluster_id: refs::cluster(&state, &cluster).await?,
        uri: uri_of(&address),
        simulated_topology: read_vireo(&obj)?,
    };
    let host = vireo_app::backend::Backend::add_host(state.service.as_ref(), &user, req).await?;
    Ok(created(host_element(&host)))
}

pub async fn update(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Fault> {
    let h = view(&state, &id).await?;
    let node = read_body(body).await?;
    let obj = expect_root(&node, "host")?;
    obj.allow(&[ELEMENTS, IGNORED].concat())?;
    read_vireo(&obj)?;
    if obj.text("name")?.is_some_and(|n| n != h.name) {
        return Err(Fault::invalid(
            "host/name",
            "hosts cannot be renamed; remove and add the host again",
        ));
    }
    if obj.text("address")?.is_some_and(|a| uri_of(&a) != h.uri) {
        return Err(Fault::invalid("host/address", "a host's address cannot be changed"));
    }
    if let Some(c) = obj.reference("cluster")? {
        if refs::cluster(&state, &c).await? != h.cluster_id {
            return Err(Fault::invalid(
                "host/cluster",
                "moving hosts between clusters is not supported",
            ));
        }
    }
    let mut host = h;
    if let Some(ksm) = obj.get("ksm")? {
        ksm.allow(&["enabled", "merge_across_nodes"])?;
        if let Some(on) = ksm.bool("enabled")? {
            host = state.service.set_host_ksm_impl(&user, host.id, on).await?;
        }
    }
    Ok(ok(host_element(&host)))
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Result<Response, Fault> {
    let h = view(&state, &id).await?;
    state.service.remove_host_impl(&user, h.id).await?;
    Ok(action_complete())
}
