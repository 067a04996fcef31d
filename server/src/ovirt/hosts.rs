//! `/hosts`: libvirt hosts with the topology the High Performance rules pin against, and their NUMA
//! cells (`/numanodes`, memory in MiB). As in oVirt, `address` is the host's name or IP address: an
//! added host is reached over SSH (`<ssh><port>`, `<ssh><user><user_name>`, user `root` by default
//! as in oVirt). Any other transport travels as Vireo's URI in `<vireo><uri>`, accepted only when it
//! is one Vireo would build itself (`HostAddress::parse_uri`); anything else is a 400 and nothing
//! is stored. Vireo adds `<vireo>` with the URI, the simulated topology (test driver) and free huge
//! pages per size. PUT changes KSM (the only host setting Vireo manages).

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::extract::{ApiId, ApiIdAnd};
use super::fault::Fault;
use super::href::{link, object, reference, API};
use super::read::Obj;
use super::refs;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;
use vireo_app::backend::HostBackend;
use vireo_app::domain::host_address::{HostAddress, Transport};
use vireo_app::domain::host_topology::NumaCell;
use vireo_app::error::FieldError;
use vireo_app::models::{AddHostRequest, CurrentUser, HostStatus, HostView};

const ELEMENTS: &[&str] = &["name", "address", "cluster", "ksm", "ssh", "vireo"];
const IGNORED: &[&str] = &[
    "link",
    "actions",
    "comment",
    "description",
    "root_password",
    "port",
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
        .text("address", display_address(&h.uri))
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

async fn view(state: &AppState, id: Uuid) -> Result<HostView, Fault> {
    kind::Host::existing(state, id).await
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

pub async fn numa_nodes(State(state): State<AppState>, ApiId { id, .. }: ApiId<kind::Host>) -> Result<Response, Fault> {
    let h = view(&state, id).await?;
    Ok(ok(
        El::new("host_numa_nodes").children(h.topology.cells.iter().map(|c| numa_element(&h, c)))
    ))
}

pub async fn numa_node(
    State(state): State<AppState>,
    ApiIdAnd { id, sub: nid, .. }: ApiIdAnd<kind::Host>,
) -> Result<Response, Fault> {
    let h = view(&state, id).await?;
    let cell = h
        .topology
        .cells
        .iter()
        .find(|c| numa_id(h.id, c.id).to_string() == nid)
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {nid} of host {}", h.name)))?;
    Ok(ok(numa_element(&h, cell)))
}

/// oVirt's `address` for a stored URI: the host name for remote hosts, `localhost` for this
/// machine and simulated hosts; the URI itself for a stored row Vireo would not build (it is shown
/// as is, never connected to).
fn display_address(uri: &str) -> String {
    HostAddress::parse_uri(uri)
        .map(|a| a.display_address().to_string())
        .unwrap_or_else(|_| uri.to_string())
}

/// The API path of an `AddressFields` field, for a `<fault>`.
fn api_path(field: &str, from_uri: bool) -> &'static str {
    match field {
        "address" if from_uri => "host/vireo/uri",
        "address" => "host/address",
        "user" => "host/ssh/user/user_name",
        "port" => "host/ssh/port",
        "simulated_topology" => "host/vireo/simulated_topology",
        _ => "host/vireo/uri",
    }
}

/// What the body says about where the host is, as the Add-host form's fields (validated here for
/// a 400 with the API's paths, and again by the service).
struct AddressParts {
    transport: String,
    address: String,
    user: String,
    port: String,
    simulated_topology: String,
    /// `<ssh><fingerprint>`: the SSH host key's `SHA256:…` fingerprint the client confirms.
    fingerprint: String,
}

fn read_address(obj: &Obj) -> Result<AddressParts, Fault> {
    let address = obj.text("address")?.unwrap_or_default();
    let (ssh_port, ssh_user, fingerprint) = match obj.get("ssh")? {
        None => (None, None, None),
        Some(ssh) => {
            // Elements a GET of an oVirt host carries; Vireo manages none of them.
            ssh.allow(&[
                "port",
                "user",
                "authentication_method",
                "fingerprint",
                "public_key",
                "sshfp_fingerprint",
            ])?;
            let user = match ssh.get("user")? {
                None => None,
                Some(u) => {
                    u.allow(&["user_name", "name", "principal", "domain", "link"])?;
                    u.text("user_name")?
                }
            };
            (ssh.text("port")?, user, ssh.text("fingerprint")?)
        }
    };
    let (uri, simulated_topology) = match obj.get("vireo")? {
        None => (None, None),
        Some(v) => {
            v.allow(&["simulated_topology", "uri", "hugepages", "last_error"])?;
            (v.text("uri")?, v.text("simulated_topology")?)
        }
    };
    let simulated_topology = simulated_topology.unwrap_or_default();
    let Some(uri) = uri else {
        // oVirt's way: a host name, reached over SSH as root unless the body names a user.
        return Ok(AddressParts {
            transport: Transport::Ssh.as_str().into(),
            address,
            user: ssh_user.unwrap_or_else(|| "root".into()),
            port: ssh_port.unwrap_or_default(),
            simulated_topology,
            fingerprint: fingerprint.unwrap_or_default(),
        });
    };
    let parsed = HostAddress::parse_uri(&uri).map_err(|refused| Fault::invalid("host/vireo/uri", &refused.0))?;
    // A body may carry both, as a GET returns them; they must agree.
    if !address.is_empty() && address != parsed.display_address() {
        return Err(Fault::invalid(
            "host/address",
            "the address does not match <vireo><uri>; send one of them",
        ));
    }
    if ssh_user.is_some() || ssh_port.is_some() {
        // (A fingerprint may come with a URI.)
        return Err(Fault::invalid(
            "host/ssh",
            "with <vireo><uri> the user and port are part of the URI",
        ));
    }
    Ok(AddressParts {
        transport: parsed.transport().as_str().into(),
        address: parsed.host().map(|h| h.as_str().to_string()).unwrap_or_default(),
        user: parsed.user().map(|u| u.as_str().to_string()).unwrap_or_default(),
        port: parsed.port().map(|p| p.to_string()).unwrap_or_default(),
        simulated_topology,
        fingerprint: fingerprint.unwrap_or_default(),
    })
}

impl ApiObject for kind::Host {
    api_object! {
        HostView, "hosts" listed as "hosts", Hosts,
        host_element, whole(list_hosts, host)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<HostView, Fault> {
        obj.allow(&[ELEMENTS, IGNORED].concat())?;
        let name = obj.text("name")?.unwrap_or_default();
        let has_uri = obj
            .get("vireo")?
            .is_some_and(|v| v.node.children.iter().any(|c| c.name == "uri"));
        let address_given = has_uri || obj.text("address")?.is_some_and(|a| !a.is_empty());
        let cluster = obj.reference("cluster")?;
        let mut missing = Vec::new();
        if name.is_empty() {
            missing.push("name");
        }
        if !address_given {
            missing.push("address");
        }
        if cluster.is_none() {
            missing.push("cluster");
        }
        let Some(cluster) = cluster.filter(|_| missing.is_empty()) else {
            return Err(Fault::incomplete("Host", &missing, "add"));
        };
        let parts = read_address(obj)?;
        let req = AddHostRequest {
            name,
            cluster_id: refs::cluster(state, &cluster).await?,
            transport: parts.transport,
            address: parts.address,
            user: parts.user,
            port: parts.port,
            simulated_topology: parts.simulated_topology,
            host_key_sha256: parts.fingerprint,
        };
        // Bad address parts are bad input (400, with the API's path), not a rule refusal (409).
        if let Err(errors) = req.address_fields().validate(&crate::hypervisor::topology_files::ids()) {
            let fields: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError::new(api_path(&e.field, has_uri), e.message))
                .collect();
            let detail = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Fault {
                fields,
                ..Fault::new(StatusCode::BAD_REQUEST, "Invalid input", format!("[{detail}]"))
            });
        }
        Ok(HostBackend::add_host(state.service.as_ref(), user, req).await?)
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<HostView, Fault> {
        // A missing host is reported before anything about the body.
        let h = view(state, id).await?;
        let body = body?;
        let obj = body.obj();
        obj.allow(&[ELEMENTS, IGNORED].concat())?;
        if let Some(v) = obj.get("vireo")? {
            v.allow(&["simulated_topology", "uri", "hugepages", "last_error"])?;
            if v.text("uri")?.is_some_and(|u| u != h.uri) {
                return Err(Fault::invalid("host/vireo/uri", "a host's address cannot be changed"));
            }
        }
        if obj.text("name")?.is_some_and(|n| n != h.name) {
            return Err(Fault::invalid(
                "host/name",
                "hosts cannot be renamed; remove and add the host again",
            ));
        }
        if obj.text("address")?.is_some_and(|a| a != display_address(&h.uri)) {
            return Err(Fault::invalid("host/address", "a host's address cannot be changed"));
        }
        if let Some(c) = obj.reference("cluster")? {
            if refs::cluster(state, &c).await? != h.cluster_id {
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
                host = state.service.set_host_ksm(user, host.id, on).await?;
            }
        }
        Ok(host)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        let h = view(state, id).await?;
        Ok(state.service.remove_host(user, h.id).await?)
    }
}
