//! The Dashboard (`DashboardBackend`): a few aggregate reads summed by the pure
//! `domain::dashboard::summarize`, and the High Performance VMs missing recommended settings.
//!
//! Those VMs are judged by the rules themselves (`domain::recommendations`), which need what SQL
//! cannot express: each VM's cluster facts and its hosts' topologies net of the CPUs and huge pages
//! the *other* pinned VMs hold. A stored flag would go stale whenever another VM is saved, started
//! or stopped, or a host's pages or KSM change, so the set is computed here instead, in one pass:
//! one query for the VMs the rules look at (High Performance or pinned), the hosts, clusters and OS
//! families once, then every context built in memory. The VM grid's `recommendations:missing` term
//! filters by this same set, so the Dashboard's count and the grid it links to always agree.

use crate::repository::ConfigRecord;
use crate::service::configs::{cluster_facts, host_facts};
use crate::service::VireoService;
use std::collections::HashMap;
use uuid::Uuid;
use vireo_app::backend::DashboardBackend;
use vireo_app::domain::dashboard::{summarize, Dashboard, HostFact};
use vireo_app::domain::recommendations::recommendations;
use vireo_app::domain::rule_context::RuleContext;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::error::AppError;
use vireo_app::models::HostView;

impl VireoService {
    /// The High Performance VMs with at least one unmet recommendation, by name.
    pub async fn hp_vms_missing_recommendations(&self) -> Result<Vec<Uuid>, AppError> {
        let vms = self.repo.vms_for_rule_pass().await?;
        if !vms.iter().any(is_high_performance) {
            return Ok(Vec::new());
        }
        let hosts = self.repo.list_hosts().await?;
        let clusters = self.repo.list_clusters().await?;
        let families: HashMap<String, _> = self
            .repo
            .list_os_types()
            .await?
            .into_iter()
            .map(|o| (o.id, o.family))
            .collect();
        Ok(missing_in(&vms, &hosts, &clusters, &families))
    }
}

/// The judged configuration: what the VM will be (its pending next-run edit, as the dialog shows it).
fn judged(vm: &ConfigRecord) -> &vireo_app::domain::vm_config::VmConfig {
    vm.next_run.as_ref().unwrap_or(&vm.config)
}

fn is_high_performance(vm: &ConfigRecord) -> bool {
    judged(vm).optimized_for == OptimizedFor::HighPerformance
}

/// The rule pass over records already read: each High Performance VM's context as
/// `ConfigBackend::rule_context` builds it (its cluster's hosts, the other pinned VMs' claims).
fn missing_in(
    vms: &[ConfigRecord],
    hosts: &[HostView],
    clusters: &[vireo_app::models::ClusterView],
    families: &HashMap<String, vireo_app::domain::vm_config::OsFamily>,
) -> Vec<Uuid> {
    let pinned_to = |host: Uuid, except: Uuid| {
        vms.iter()
            .filter(move |vm| vm.id != except && vm.config.placement_hosts.first() == Some(&host))
    };
    vms.iter()
        .filter(|vm| is_high_performance(vm))
        .filter(|vm| {
            // A VM always has a cluster; one the rules cannot place is not reported either way.
            let Some(cluster) = clusters.iter().find(|c| Some(c.id) == vm.cluster_id) else {
                return false;
            };
            let cfg = judged(vm);
            let ctx = RuleContext {
                cluster: cluster_facts(cluster),
                os_family: families.get(&cfg.os_type).copied(),
                hosts: hosts
                    .iter()
                    .filter(|h| h.cluster_id == cluster.id)
                    .map(|h| host_facts(h, pinned_to(h.id, vm.id)))
                    .collect(),
            };
            !recommendations(cfg, &ctx).is_empty()
        })
        .map(|vm| vm.id)
        .collect()
}

#[async_trait::async_trait]
impl DashboardBackend for VireoService {
    async fn dashboard(&self) -> Result<Dashboard, AppError> {
        let (hosts, clusters, tallies, missing) = tokio::try_join!(
            self.repo.list_hosts(),
            self.repo.list_clusters(),
            self.repo.vm_tallies(),
            self.hp_vms_missing_recommendations(),
        )?;
        let facts: Vec<HostFact<'_>> = hosts
            .iter()
            .map(|h| HostFact {
                id: h.id,
                name: &h.name,
                cluster_id: h.cluster_id,
                status: h.status,
                topology: &h.topology,
            })
            .collect();
        let clusters: Vec<(Uuid, String)> = clusters.into_iter().map(|c| (c.id, c.name)).collect();
        Ok(summarize(&clusters, &facts, &tallies, missing.len() as u64))
    }
}
