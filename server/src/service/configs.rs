//! The New/Edit dialogs' service (`ConfigBackend`): dialog options, the rules' context, drafts for
//! VMs, Templates and Pools, `preview` (rules only) and VM details. Saving is `config_save.rs`; the
//! checks preview and save share are `config_checks.rs`. The rules themselves are the pure functions
//! in `vireo_app::domain`; these files gather their context from the database and write the result.

use crate::repository::ConfigRecord;
use crate::service::config_save::SaveOptions;
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::cpu_map::VmPins;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::next_run::split_running_edit;
use vireo_app::domain::recommendations::recommendations;
use vireo_app::domain::rule_context::{ClusterFacts, CpuClaim, HostFacts, RuleContext};
use vireo_app::domain::validation::validate_config;
use vireo_app::domain::vm_config::{CompatVersion, MachineType, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::{
    ClusterView, CurrentUser, DialogOptions, DraftEnvelope, HostOption, HostView, Preview, SaveOutcome,
};

pub const BLANK_TEMPLATE: Uuid = Uuid::nil();

/// Takes a VM's huge pages out of a host's free counts: from its vNUMA nodes' cells when pinned,
/// else from the cells in order.
pub fn hold_pages(topology: &mut vireo_app::domain::host_topology::HostTopology, cfg: &VmConfig) {
    let Some(hp) = cfg.huge_pages else { return };
    let mut take = |cell_id: Option<u32>, mut pages: u64| {
        for cell in topology
            .cells
            .iter_mut()
            .filter(|c| cell_id.is_none_or(|id| c.id == id))
        {
            for p in cell.pages.iter_mut().filter(|p| p.size_kib == hp.size_kib) {
                let n = pages.min(p.free);
                p.free -= n;
                pages -= n;
            }
        }
    };
    let pinned = !cfg.numa_nodes.is_empty() && cfg.numa_nodes.iter().all(|n| n.host_nodes.len() == 1);
    if pinned {
        for n in &cfg.numa_nodes {
            take(Some(n.host_nodes[0]), n.memory_mib * 1024 / hp.size_kib);
        }
    } else {
        take(None, hp.count);
    }
}

/// The rules' facts about a cluster.
pub fn cluster_facts(cluster: &ClusterView) -> ClusterFacts {
    ClusterFacts {
        id: cluster.id,
        name: cluster.name.clone(),
        version: cluster.compat_version,
        ksm_enabled: cluster.ksm_enabled,
        ballooning_enabled: cluster.ballooning_enabled,
    }
}

/// The rules' facts about a host, given the other VMs pinned to it (`placement_hosts[0]`, the one
/// being edited left out): the CPUs they claim and the huge pages they hold. Shared by the dialog's
/// context and the Dashboard's one-pass check, so both judge a VM alike.
pub fn host_facts<'a>(h: &HostView, others: impl Iterator<Item = &'a ConfigRecord>) -> HostFacts {
    let mut topology = h.topology.clone();
    let mut claims = Vec::new();
    for vm in others {
        // Pending next-run pins count too: they take effect at the VM's next start.
        let mut cpus = vm.config.claimed_cpus();
        if let Some(next) = &vm.next_run {
            cpus.extend(&next.claimed_cpus());
        }
        if !cpus.is_empty() {
            claims.push(CpuClaim {
                vm_name: vm.name.clone(),
                cpus,
            });
        }
        // Huge pages: a simulated host only knows its pages through Vireo, so every VM pinned
        // there holds its pages; on a real host libvirt's free counts already reflect running
        // VMs, so only the stopped ones are held back.
        if h.simulated_topology.is_some() || !vm.running() {
            hold_pages(&mut topology, &vm.config);
        }
    }
    HostFacts {
        id: h.id,
        name: h.name.clone(),
        cluster_id: h.cluster_id,
        topology,
        ksm_running: h.ksm_running,
        claims,
        running: Vec::new(),
        simulated: h.simulated_topology.is_some(),
    }
}

#[async_trait::async_trait]
impl ConfigBackend for VireoService {
    async fn dialog_options(&self) -> Result<DialogOptions, AppError> {
        let hosts = self.repo.list_hosts().await?;
        Ok(DialogOptions {
            clusters: self.repo.list_clusters().await?,
            os_types: self.repo.list_os_types().await?,
            templates: self.repo.template_options().await?,
            instance_types: self.repo.list_instance_types().await?,
            hosts: hosts
                .into_iter()
                .map(|h| HostOption {
                    id: h.id,
                    name: h.name,
                    cluster_id: h.cluster_id,
                    invtsc: h.topology.has_invtsc(),
                    huge_page_sizes: h.topology.huge_page_sizes(),
                })
                .collect(),
            storage_domains: self.repo.list_storage_domains(true).await?,
            isos: self.repo.iso_disks().await?,
            vnic_profiles: self.repo.list_vnic_profiles().await?,
        })
    }

    /// The rules' view of a cluster: its facts, the OS family, and its hosts with what other VMs
    /// pinned there hold (`exclude` = the object being edited, whose own pins are not a conflict).
    async fn rule_context(
        &self,
        cluster_id: Option<Uuid>,
        os_type: &str,
        exclude: Option<Uuid>,
    ) -> Result<RuleContext, AppError> {
        let cluster = match cluster_id {
            Some(id) => self
                .repo
                .cluster_facts(id)
                .await?
                .ok_or_else(|| AppError::validation("cluster_id", "That cluster does not exist."))?,
            None => {
                return Ok(RuleContext {
                    cluster: ClusterFacts {
                        id: Uuid::nil(),
                        name: "(none)".into(),
                        version: CompatVersion::LATEST,
                        ksm_enabled: false,
                        ballooning_enabled: true,
                    },
                    os_family: self.repo.os_family(os_type).await?,
                    hosts: Vec::new(),
                })
            }
        };
        // The cluster's hosts, and what the other VMs claim and hold on them: one query each for
        // the whole cluster, not two per host.
        let in_cluster: Vec<HostView> = self
            .repo
            .list_hosts()
            .await?
            .into_iter()
            .filter(|h| h.cluster_id == cluster.id)
            .collect();
        let ids: Vec<Uuid> = in_cluster.iter().map(|h| h.id).collect();
        let mut pinned = self.repo.vms_pinned_to_hosts(&ids, exclude).await?;
        let mut holding = self
            .repo
            .cpu_holders_on_hosts(&ids, exclude.unwrap_or_else(Uuid::nil))
            .await?;
        let hosts = in_cluster
            .iter()
            .map(|h| {
                let others = pinned.remove(&h.id).unwrap_or_default();
                let mut facts = host_facts(h, others.iter());
                let rows = holding.remove(&h.id).unwrap_or_default();
                facts.running = super::lifecycle::holders_on(&h.topology, &rows)
                    .into_iter()
                    .map(|holder| CpuClaim {
                        vm_name: holder.vm_name,
                        cpus: holder.cpus,
                    })
                    .collect();
                facts
            })
            .collect();
        Ok(RuleContext {
            cluster,
            os_family: self.repo.os_family(os_type).await?,
            hosts,
        })
    }

    async fn new_draft(&self, kind: ConfigKind, template_id: Option<Uuid>) -> Result<VmDraft, AppError> {
        let template_id = template_id.unwrap_or(BLANK_TEMPLATE);
        let template = self
            .repo
            .config_record(ConfigKind::Template, template_id)
            .await?
            .ok_or_else(|| AppError::not_found("Template"))?;
        let mut config = template.config.clone();
        // Every new object gets the modern machine, whatever the template was stored with (Blank
        // predates the field, so it reads as i440fx); only existing VMs keep theirs.
        config.machine = MachineType::Q35;
        if kind == ConfigKind::Pool {
            // A pool's VMs are stateless.
            config.stateless = true;
        }
        let mut draft = VmDraft::new(kind, config);
        let default_cluster = self.repo.list_clusters().await?.into_iter().next().map(|c| c.id);
        draft.cluster_id = template.cluster_id.or(default_cluster);
        if kind != ConfigKind::Template {
            draft.template_id = Some(template_id);
            draft.applied_template = Some(template_id);
        }
        Ok(draft)
    }

    async fn load_draft(&self, kind: ConfigKind, id: Uuid) -> Result<DraftEnvelope, AppError> {
        let rec = self
            .repo
            .config_record(kind, id)
            .await?
            .ok_or_else(|| AppError::not_found(kind.label()))?;
        if kind == ConfigKind::Template && id == BLANK_TEMPLATE {
            return Err(AppError::validation(
                "name",
                "The Blank template is built in and cannot be edited.",
            ));
        }
        let running = rec.running();
        let pending_next_run = match &rec.next_run {
            Some(next) => split_running_edit(&rec.config, next).pending,
            None => Vec::new(),
        };
        // A running VM is edited from its pending configuration, so earlier pending edits stay.
        let config = rec.next_run.clone().unwrap_or_else(|| rec.config.clone());
        let mut draft = VmDraft::new(kind, config);
        draft.id = Some(rec.id);
        draft.version = Some(rec.version);
        draft.name = rec.name.clone();
        draft.description = rec.description.clone();
        draft.cluster_id = rec.cluster_id;
        draft.template_id = rec.template_id;
        draft.instance_type_id = rec.instance_type_id;
        draft.pool_size = rec.size.max(0) as u32;
        draft.prestarted = rec.prestarted.max(0) as u32;
        Ok(DraftEnvelope {
            draft,
            running,
            pending_next_run,
        })
    }

    async fn preview(&self, draft: &VmDraft) -> Result<Preview, AppError> {
        let ctx = self
            .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
            .await?;
        let (draft, blocked) = self.settle(draft, &ctx).await?;
        let mut errors = draft.validate_identity();
        errors.extend(blocked);
        errors.extend(self.reference_errors(&draft).await?);
        errors.extend(validate_config(&draft.config, &ctx));
        let mut pending_restart = Vec::new();
        if let Some(id) = draft.id.filter(|_| draft.kind == ConfigKind::Vm) {
            if let Some(rec) = self.repo.config_record(ConfigKind::Vm, id).await? {
                if rec.running() {
                    pending_restart = split_running_edit(&rec.config, &draft.config).pending;
                }
            }
        }
        let recommendations = if errors.is_empty() {
            recommendations(&draft.config, &ctx)
        } else {
            Vec::new()
        };
        Ok(Preview {
            errors,
            recommendations,
            pending_restart,
        })
    }

    async fn save(&self, user: &CurrentUser, draft: VmDraft, save_anyway: bool) -> Result<SaveOutcome, AppError> {
        self.save_with(
            user,
            draft,
            SaveOptions {
                save_anyway,
                defer_to_next_run: false,
            },
        )
        .await
    }

    async fn vm_details(&self, id: Uuid) -> Result<vireo_app::models::VmDetails, AppError> {
        let rec = self
            .repo
            .config_record(ConfigKind::Vm, id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))?;
        // The grid row of this VM (names of its cluster, host, template, pool; uptime).
        let row = self
            .repo
            .vm_grid_row(id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))?;
        let os_name = self
            .repo
            .list_os_types()
            .await?
            .into_iter()
            .find(|o| o.id == rec.config.os_type)
            .map_or_else(|| rec.config.os_type.clone(), |o| o.name);
        let pinned_host = match rec.config.pinned_host() {
            Some(h) => self.repo.host(h).await?.map(|h| h.name),
            None => None,
        };
        // The CPU map of its own pins: on the host it is pinned to, else the one it runs on.
        let cpu_map = match rec.config.pinned_host().or(rec.host_id) {
            Some(h) => self.repo.host(h).await?.map(|host| vireo_app::models::CpuMapData {
                host_id: host.id,
                host_name: host.name,
                topology: host.topology,
                vms: vec![VmPins::of(rec.id, &rec.name, &rec.config)],
            }),
            None => None,
        };
        let pending_next_run = rec
            .next_run
            .as_ref()
            .map(|n| split_running_edit(&rec.config, n).pending)
            .unwrap_or_default();
        Ok(vireo_app::models::VmDetails {
            row,
            os_name,
            // A running VM as it runs: with the pins its CPU pinning policy chose at start (the
            // General sub-tab and the CPU map read these).
            config: rec.effective_config(),
            pinned_host,
            pending_next_run,
            reported_nics: if rec.status == vireo_app::models::VmStatus::Down {
                Vec::new()
            } else {
                self.repo.reported_nics(id).await?
            },
            cpu_map,
        })
    }
}
