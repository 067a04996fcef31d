//! Host-level settings the High Performance recommendations lean on: KSM (node memory parameter
//! `shm_run`) and huge page pools (`virNodeAllocPages`). A test-driver host with a simulated
//! topology has no such kernel knobs, so Vireo keeps these values itself and says so.

use crate::repository::NewEvent;
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::domain::host_topology::page_size_label;
use vireo_app::domain::recommendations::HostAction;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, HostView};

impl VireoService {
    async fn host_or_404(&self, id: Uuid) -> Result<HostView, AppError> {
        self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))
    }

    async fn host_event(&self, actor: &Actor, host: &HostView, action: &str, success: bool, message: String) {
        self.repo
            .record_event(NewEvent {
                user: actor.user(),
                username: None,
                severity: if success { "info" } else { "error" },
                action,
                object_kind: "host",
                object_id: Some(host.id),
                object_name: Some(&host.name),
                success,
                message,
            })
            .await;
    }

    pub async fn set_host_ksm_impl(
        &self,
        user: &CurrentUser,
        host_id: Uuid,
        running: bool,
    ) -> Result<HostView, AppError> {
        let host = self.host_or_404(host_id).await?;
        let actor = &self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                "host.ksm",
                "host",
                Some(host.id),
                &host.name,
            )
            .await?;
        let verb = if running { "started" } else { "stopped" };
        if host.simulated_topology.is_none() {
            if let Err(e) = self.hypervisor.set_ksm(&host.uri, running).await {
                let message = format!("Could not switch KSM on host {}: {e}", host.name);
                self.host_event(actor, &host, "host.ksm", false, message.clone()).await;
                return Err(AppError::host(message));
            }
        }
        self.repo.set_host_ksm(actor, host.id, Some(running)).await?;
        let note = if host.simulated_topology.is_some() {
            " (simulated host: recorded in Vireo)"
        } else {
            ""
        };
        self.host_event(
            actor,
            &host,
            "host.ksm",
            true,
            format!("KSM {verb} on host {}{note}.", host.name),
        )
        .await;
        self.host_or_404(host_id).await
    }

    pub async fn apply_host_action_impl(&self, user: &CurrentUser, action: HostAction) -> Result<HostView, AppError> {
        let HostAction::AllocateHugePages {
            host_id,
            size_kib,
            per_cell,
            ..
        } = action;
        let host = self.host_or_404(host_id).await?;
        let actor = &self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                "host.hugepages",
                "host",
                Some(host.id),
                &host.name,
            )
            .await?;
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
                self.host_event(actor, &host, "host.hugepages", false, message.clone())
                    .await;
                return Err(AppError::host(message));
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
        let note = if host.simulated_topology.is_some() {
            " (simulated host: recorded in Vireo)"
        } else {
            ""
        };
        self.host_event(
            actor,
            &host,
            "host.hugepages",
            true,
            format!("Allocated {total} more {label} pages on host {}{note}.", host.name),
        )
        .await;
        self.host_or_404(host_id).await
    }
}
