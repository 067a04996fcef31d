//! Hosts: adding one (the address validated, the topology read through libvirt or from the shipped
//! file of a simulated host), and host-level settings the High Performance recommendations lean on: KSM (node memory parameter
//! `shm_run`) and huge page pools (`virNodeAllocPages`). A test-driver host with a simulated
//! topology has no such kernel knobs, so Vireo keeps these values itself and says so.

use crate::hypervisor::{topology_files, HypervisorError};
use crate::repository::NewHost;
use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::HostBackend;
use vireo_app::domain::cpu_map::VmPins;
use vireo_app::domain::host_address::{HostAddress, ValidHostAddress};
use vireo_app::domain::host_topology::{page_size_label, HostTopology};
use vireo_app::domain::naming::name_error;
use vireo_app::domain::recommendations::HostAction;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{
    AddHostRequest, CpuMapData, CurrentUser, HostKeyScan, HostStatus, HostView, SshIdentity, TopologyFile,
};

impl VireoService {
    /// Reads a host's topology: from libvirt for real hosts, from the shipped file for test-driver
    /// hosts (after checking the test driver itself answers).
    pub async fn read_topology(&self, uri: &str, simulated: Option<&str>) -> Result<HostTopology, HypervisorError> {
        let probe = self.hypervisor.probe(uri).await?;
        match simulated {
            Some(id) => match topology_files::load(id) {
                Some(Ok(t)) => Ok(t),
                Some(Err(e)) => Err(HypervisorError::Capabilities(e.to_string())),
                None => Err(HypervisorError::Capabilities(format!("no shipped topology '{id}'"))),
            },
            None => Ok(probe.topology),
        }
    }

    /// Validates everything about a new host before Vireo connects anywhere: the name, the address
    /// fields (`host_address`: the only way a URI is made from user input), the cluster, and that
    /// neither name nor (for real hosts) URI is taken. Simulated hosts share the test driver's URI.
    async fn validate_new_host(&self, req: &AddHostRequest) -> Result<ValidHostAddress, AppError> {
        let mut errors: Vec<FieldError> = name_error("name", "host", &req.name).into_iter().collect();
        let valid = req
            .address_fields()
            .validate(&topology_files::ids())
            .map_err(|e| errors.extend(e))
            .ok();
        if self.repo.cluster(req.cluster_id).await?.is_none() {
            errors.push(FieldError::new("cluster_id", "That cluster does not exist."));
        }
        if let (true, Some(valid)) = (errors.is_empty(), &valid) {
            let uri = valid.address.uri();
            let unique_uri = (!valid.address.is_simulated()).then_some(uri.as_str());
            match self.repo.host_name_or_uri_taken(&req.name, unique_uri).await? {
                Some("name") => errors.push(FieldError::new(
                    "name",
                    format!("A host named '{}' already exists.", req.name),
                )),
                Some(_) => errors.push(FieldError::new("address", format!("Host {uri} is already added."))),
                None => {}
            }
        }
        match valid {
            Some(valid) if errors.is_empty() => Ok(valid),
            _ => Err(AppError::Validation { errors }),
        }
    }

    async fn host_or_404(&self, id: Uuid) -> Result<HostView, AppError> {
        self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))
    }

    async fn host_event(&self, actor: &Actor, host: &HostView, action: &str, success: bool, message: String) {
        let object = Object::new("host", Some(host.id), &host.name);
        self.operation_event(actor, action, object, success, message).await;
    }

    /// The host a setting changes, and the actor the role check allows to change it.
    async fn host_to_change(&self, user: &CurrentUser, id: Uuid, action: &str) -> Result<(HostView, Actor), AppError> {
        let host = self.host_or_404(id).await?;
        let actor = self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                action,
                "host",
                Some(host.id),
                &host.name,
            )
            .await?;
        Ok((host, actor))
    }

    /// A host setting the host refused: the event records the message, the caller answers it.
    async fn host_refused(&self, actor: &Actor, host: &HostView, action: &str, message: String) -> AppError {
        self.host_event(actor, host, action, false, message.clone()).await;
        AppError::host(message)
    }

    /// A host setting done (`done`: what, "KSM started"): the event says so — and, for a simulated
    /// host, that only Vireo's record changed — and the answer is the host as it is now.
    async fn host_changed(
        &self,
        actor: &Actor,
        host: &HostView,
        action: &str,
        done: &str,
    ) -> Result<HostView, AppError> {
        let note = if host.simulated_topology.is_some() {
            " (simulated host: recorded in Vireo)"
        } else {
            ""
        };
        let message = format!("{done} on host {}{note}.", host.name);
        self.host_event(actor, host, action, true, message).await;
        self.host_or_404(host.id).await
    }
}

#[async_trait::async_trait]
impl HostBackend for VireoService {
    async fn host_cpu_map(&self, host_id: Uuid) -> Result<CpuMapData, AppError> {
        let host = self
            .repo
            .host(host_id)
            .await?
            .ok_or_else(|| AppError::not_found("host"))?;
        let vms = self
            .repo
            .vms_on_cpu_map(host_id)
            .await?
            .iter()
            // A VM running here under a start-time policy is drawn with the CPUs its start got.
            .map(|vm| {
                if vm.host_id == Some(host_id) {
                    VmPins::of(vm.id, &vm.name, &vm.effective_config())
                } else {
                    VmPins::of(vm.id, &vm.name, &vm.config)
                }
            })
            .collect();
        Ok(CpuMapData {
            host_id,
            host_name: host.name,
            topology: host.topology,
            vms,
        })
    }

    async fn list_hosts(&self) -> Result<Vec<HostView>, AppError> {
        self.repo.list_hosts().await
    }

    async fn add_host(&self, user: &CurrentUser, req: AddHostRequest) -> Result<HostView, AppError> {
        let actor = self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                "host.add",
                "host",
                None,
                &req.name,
            )
            .await?;
        self.add_host_as(&actor, req).await
    }

    fn topology_files(&self) -> Vec<TopologyFile> {
        topology_files::list()
    }

    async fn ssh_identity(&self) -> Result<SshIdentity, AppError> {
        let files = self.ssh_files()?.clone();
        let public_key = tokio::task::spawn_blocking(move || files.public_key())
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| AppError::host(format!("Vireo's SSH key is not available: {e}")))?;
        Ok(SshIdentity {
            // `restrict`: no forwarding, no pty, no agent; libvirt's transport only runs its helper.
            authorized_keys_line: format!("restrict {public_key}"),
            public_key,
        })
    }

    async fn scan_host_key(&self, user: &CurrentUser, req: AddHostRequest) -> Result<HostKeyScan, AppError> {
        // Fetching a key makes the server connect out: admins only, as adding a host.
        self.authorize(
            user,
            Permission::ManageInfrastructure,
            "host.scan_key",
            "host",
            None,
            &req.name,
        )
        .await?;
        let valid = req
            .address_fields()
            .validate(&topology_files::ids())
            .map_err(|errors| AppError::Validation { errors })?;
        let key = self.fetch_host_key(&valid.address).await?;
        Ok(HostKeyScan {
            fingerprint: key.fingerprint(),
            key_type: key.key_type().to_string(),
            from: key_origin(&valid.address),
        })
    }

    async fn set_host_ksm(&self, user: &CurrentUser, host_id: Uuid, running: bool) -> Result<HostView, AppError> {
        let (host, actor) = &self.host_to_change(user, host_id, "host.ksm").await?;
        let verb = if running { "started" } else { "stopped" };
        if host.simulated_topology.is_none() {
            if let Err(e) = self.hypervisor.set_ksm(&host.uri, running).await {
                let message = format!("Could not switch KSM on host {}: {e}", host.name);
                return Err(self.host_refused(actor, host, "host.ksm", message).await);
            }
        }
        self.repo.set_host_ksm(actor, host.id, Some(running)).await?;
        self.host_changed(actor, host, "host.ksm", &format!("KSM {verb}")).await
    }

    async fn apply_host_action(&self, user: &CurrentUser, action: HostAction) -> Result<HostView, AppError> {
        let HostAction::AllocateHugePages {
            host_id,
            size_kib,
            per_cell,
            ..
        } = action;
        let (host, actor) = &self.host_to_change(user, host_id, "host.hugepages").await?;
        if !host.topology.huge_page_sizes().contains(&size_kib) {
            return Err(AppError::validation(
                "huge_pages",
                format!("Host {} has no {} huge pages.", host.name, page_size_label(size_kib)),
            ));
        }
        if per_cell.iter().any(|(cell, _)| host.topology.cell(*cell).is_none()) {
            return Err(AppError::validation(
                "huge_pages",
                format!("Host {} has no such NUMA cell.", host.name),
            ));
        }
        // Counts come from the caller: checked sums, never a wrap-around.
        let too_many = || {
            AppError::validation(
                "huge_pages",
                format!("That is more memory than host {} has.", host.name),
            )
        };
        let total = per_cell
            .iter()
            .try_fold(0u64, |sum, (_, n)| sum.checked_add(*n))
            .ok_or_else(too_many)?;
        // The pages must fit in the cells' memory.
        for (cell, count) in &per_cell {
            let c = host.topology.cell(*cell).ok_or(AppError::Internal)?;
            let huge_kib: u64 = c
                .pages
                .iter()
                .filter(|p| p.size_kib > 4)
                .map(|p| p.total.saturating_mul(p.size_kib))
                .fold(0u64, u64::saturating_add);
            let wanted = count.checked_mul(size_kib).ok_or_else(too_many)?;
            if huge_kib.saturating_add(wanted) > c.memory_kib {
                return Err(AppError::validation(
                    "huge_pages",
                    format!(
                        "Cell {cell} of host {} has too little memory for {count} more {} pages.",
                        host.name,
                        page_size_label(size_kib)
                    ),
                ));
            }
        }
        let label = page_size_label(size_kib);
        if host.simulated_topology.is_none() {
            if let Err(e) = self.hypervisor.allocate_pages(&host.uri, size_kib, &per_cell).await {
                let message = format!("Could not allocate {total} {label} pages on host {}: {e}", host.name);
                return Err(self.host_refused(actor, host, "host.hugepages", message).await);
            }
            // Re-read what the kernel actually reserved.
            if let Ok(probe) = self.hypervisor.probe(&host.uri).await {
                self.repo.set_host_topology(host.id, &probe.topology).await?;
            }
        } else {
            let mut topology = host.topology.clone();
            for (cell, count) in &per_cell {
                if let Some(c) = topology.cells.iter_mut().find(|c| c.id == *cell) {
                    match c.pages.iter_mut().find(|p| p.size_kib == size_kib) {
                        Some(p) => {
                            p.total += count;
                            p.free += count;
                        }
                        None => c.pages.push(vireo_app::domain::host_topology::PageCount {
                            size_kib,
                            total: *count,
                            free: *count,
                        }),
                    }
                }
            }
            self.repo.set_host_topology(host.id, &topology).await?;
        }
        let done = format!("Allocated {total} more {label} pages");
        self.host_changed(actor, host, "host.hugepages", &done).await
    }
}

/// `host:port` an SSH host's key comes from.
fn key_origin(address: &HostAddress) -> String {
    let host = address.host().map(|h| h.as_str()).unwrap_or_default();
    format!("{host}:{}", address.port().unwrap_or(22))
}

/// A fingerprint as typed or posted: `SHA256:` and 43 base64 characters.
fn is_fingerprint(s: &str) -> bool {
    s.strip_prefix("SHA256:")
        .is_some_and(|b| b.len() == 43 && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'))
}

impl VireoService {
    fn ssh_files(&self) -> Result<&crate::ssh::SshFiles, AppError> {
        self.ssh
            .as_ref()
            .ok_or_else(|| AppError::host("This Vireo command does not connect to SSH hosts."))
    }

    /// An SSH host's key, fetched now (`ssh-keyscan` on the blocking pool).
    async fn fetch_host_key(&self, address: &HostAddress) -> Result<crate::ssh::HostKey, AppError> {
        let HostAddress::Ssh { host, port, .. } = address else {
            return Err(AppError::validation(
                "transport",
                "Only SSH hosts have a host key to confirm.",
            ));
        };
        let (host, port) = (host.clone(), port.map_or(22, |p| p.get()));
        tokio::task::spawn_blocking(move || crate::ssh::scan(&host, port))
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                AppError::host(format!(
                    "Could not connect to {}: the host did not answer ({e})",
                    address.uri()
                ))
            })
    }

    /// Makes Vireo's SSH key if it has none, and routes every SSH host's connection through its
    /// pinned key (from the database) — at start, before the first connection.
    pub async fn route_ssh_hosts(&self) {
        let Some(files) = self.ssh.clone() else {
            return;
        };
        let pins = match self.repo.pinned_ssh_host_keys().await {
            Ok(pins) => pins,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the SSH hosts' pinned keys");
                Vec::new()
            }
        };
        let routes = tokio::task::spawn_blocking(move || {
            if let Err(e) = files.ensure_identity() {
                tracing::warn!(error = %e, "no SSH key: SSH hosts cannot be added or reached");
            }
            pins.into_iter()
                .filter_map(|(uri, key)| {
                    let address = HostAddress::parse_uri(&uri).ok()?;
                    let pinned = crate::ssh::HostKey::parse(&key)?;
                    match files.pin(&address, &pinned) {
                        Ok(open_uri) => Some((uri, crate::hypervisor::SshRoute { open_uri, pinned })),
                        Err(e) => {
                            tracing::warn!(uri, error = %e, "could not write the host's known_hosts file");
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (uri, route) in routes {
            self.hypervisor.route_ssh(&uri, Some(route));
        }
    }

    /// An SSH host about to be added: its key fetched again and compared with the fingerprint the
    /// admin confirmed (none confirmed yet: a field error showing it), then pinned — written to
    /// its known_hosts file and routed — so the connection that follows accepts that key only.
    async fn pin_confirmed_key(&self, address: &HostAddress, confirmed: &str) -> Result<crate::ssh::HostKey, AppError> {
        let confirmed = confirmed.trim();
        if !confirmed.is_empty() && !is_fingerprint(confirmed) {
            return Err(AppError::validation(
                "host_key_sha256",
                "Not a host key fingerprint (SHA256: and 43 characters); fetch the host key again.",
            ));
        }
        let key = self.fetch_host_key(address).await?;
        let presented = key.fingerprint();
        if confirmed.is_empty() {
            return Err(AppError::validation(
                "host_key_sha256",
                format!(
                    "Confirm the host key first: {} presents {} {presented}. Compare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host).",
                    key_origin(address),
                    key.key_type()
                ),
            ));
        }
        if confirmed != presented {
            return Err(AppError::validation(
                "host_key_sha256",
                format!(
                    "Host key mismatch: you confirmed {confirmed}, but {} now presents {presented}. Nothing was added; fetch the host key again and check it.",
                    key_origin(address)
                ),
            ));
        }
        let files = self.ssh_files()?.clone();
        let (pin_address, pin_key) = (address.clone(), key.clone());
        let open_uri = tokio::task::spawn_blocking(move || {
            files.ensure_identity()?;
            files.pin(&pin_address, &pin_key)
        })
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(|e| AppError::host(format!("Could not pin the host key: {e}")))?;
        self.hypervisor.route_ssh(
            &address.uri(),
            Some(crate::hypervisor::SshRoute {
                open_uri,
                pinned: key.clone(),
            }),
        );
        Ok(key)
    }

    /// Adds a host as `actor` (a checked user, or Vireo itself for the `seed-hosts` command): the
    /// address validated, the topology read, the row written, its storage and networks read.
    pub(crate) async fn add_host_as(&self, actor: &Actor, req: AddHostRequest) -> Result<HostView, AppError> {
        let user = actor.user();
        let new_host = Object::new("host", None, &req.name);
        let valid = match self.validate_new_host(&req).await {
            Ok(v) => v,
            Err(e) => {
                // The messages are Vireo's own (they never quote the refused input beyond the name).
                let message = format!("Adding host refused: {e}");
                self.audit(user, "host.add", new_host, Outcome::Failed(message)).await;
                return Err(e);
            }
        };
        let uri = valid.address.uri();
        let simulated = valid.simulated_topology;
        let pinned = match &valid.address {
            HostAddress::Ssh { .. } => match self.pin_confirmed_key(&valid.address, &req.host_key_sha256).await {
                Ok(key) => Some(key),
                Err(e) => {
                    let message = match &e {
                        AppError::Validation { errors } => format!(
                            "Adding host refused: {}",
                            errors.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ")
                        ),
                        other => other.to_string(),
                    };
                    self.audit(user, "host.add", new_host, Outcome::Failed(message)).await;
                    return Err(e);
                }
            },
            _ => None,
        };
        let topology = match self.read_topology(&uri, simulated.as_deref()).await {
            Ok(t) => t,
            Err(e) => {
                if pinned.is_some() {
                    self.hypervisor.route_ssh(&uri, None);
                }
                // `e` is a fixed text per failure kind for connection failures (`HypervisorError::
                // Connect`); the URI is the one Vireo built from validated parts.
                let message = format!("Could not connect to {uri}: {e}");
                self.audit(user, "host.add", new_host, Outcome::Failed(message.clone()))
                    .await;
                return Err(AppError::host(message));
            }
        };
        let id = self
            .repo
            .insert_host(
                actor,
                NewHost {
                    name: &req.name,
                    cluster_id: req.cluster_id,
                    uri: &uri,
                    status: HostStatus::Up,
                    simulated_topology: simulated.as_deref(),
                    topology: &topology,
                    ksm_running: None,
                    last_error: None,
                    ssh_host_key: pinned.as_ref().map(|k| k.stored()).as_deref(),
                },
            )
            .await?;
        let message = match &pinned {
            Some(key) => format!(
                "Host {} added ({uri}, host key {} {} pinned).",
                req.name,
                key.key_type(),
                key.fingerprint()
            ),
            None => format!("Host {} added ({uri}).", req.name),
        };
        let added = Object::new("host", Some(id), &req.name);
        self.audit(user, "host.add", added, Outcome::Done(message)).await;
        let host = self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))?;
        // Its storage pools become storage domains; a failure here only leaves them to the next
        // periodic read.
        if let Err(e) = self.sync_host_storage(&host).await {
            tracing::warn!(host = %host.name, error = %e, "could not read the new host's storage pools");
        }
        // Its libvirt networks and bridges: where the cluster's networks are present.
        if let Err(e) = self.sync_host_networks(&host).await {
            tracing::warn!(host = %host.name, error = %e, "could not read the new host's networks");
        }
        Ok(host)
    }
}
