//! Removing clusters, hosts, templates and pools. Nothing still in use is removed: the refusal names
//! what uses it. A pool takes its VMs with it (all must be down). Every attempt is audited.

use crate::service::audit::{Object, Outcome};
use crate::service::configs::BLANK_TEMPLATE;
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

impl VireoService {
    async fn removal_event(&self, actor: &Actor, kind: &str, id: Uuid, name: &str, result: &Result<(), AppError>) {
        // `data_center` is "data center" in words.
        let label = kind.replace('_', " ");
        let (success, message) = match result {
            Ok(()) => (true, format!("{} {name} removed.", capitalized(&label))),
            Err(e) => (false, format!("Removing {label} {name} failed: {e}")),
        };
        self.audit(
            actor.user(),
            &format!("{}.remove", kind.replace(' ', "_")),
            Object::new(kind, Some(id), name),
            Outcome::or_refused(success, message),
        )
        .await;
    }

    /// The role check for removing `kind` `id` (action `{kind}.remove`); a refusal is audited there.
    pub(crate) async fn may_remove(
        &self,
        user: &CurrentUser,
        permission: Permission,
        kind: &str,
        id: Uuid,
        name: &str,
    ) -> Result<Actor, AppError> {
        self.authorize(user, permission, &format!("{kind}.remove"), kind, Some(id), name)
            .await
    }

    /// One removal: the role check, then `remove` (what must not be in use, and the delete), its
    /// outcome audited either way.
    async fn removal(
        &self,
        user: &CurrentUser,
        permission: Permission,
        (kind, id, name): (&str, Uuid, &str),
        remove: impl AsyncFnOnce(&Actor) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let actor = self.may_remove(user, permission, kind, id, name).await?;
        let result = remove(&actor).await;
        self.removal_event(&actor, kind, id, name, &result).await;
        result
    }

    pub async fn remove_cluster(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let cluster = self
            .repo
            .cluster(id)
            .await?
            .ok_or_else(|| AppError::not_found("Cluster"))?;
        let what = ("cluster", id, cluster.name.as_str());
        self.removal(user, Permission::ManageInfrastructure, what, async |actor| {
            let usage = self.repo.cluster_usage(id).await?;
            usage.unused_or(|users| {
                format!(
                    "Cluster {} is still used by {users}. Move or remove them first.",
                    cluster.name
                )
            })?;
            self.repo.delete_cluster(actor, id).await.map(|_| ())
        })
        .await
    }

    /// Removes a data center that owns no cluster (oVirt's engine refuses the same).
    pub async fn remove_data_center_unused(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let dc = self
            .repo
            .data_center(id)
            .await?
            .ok_or_else(|| AppError::not_found("Data center"))?;
        let what = ("data_center", id, dc.name.as_str());
        self.removal(user, Permission::ManageInfrastructure, what, async |actor| {
            let usage = self.repo.data_center_usage(id).await?;
            usage
                .unused_or(|users| format!("Data center {} still owns {users}. Move or remove them first.", dc.name))?;
            self.repo.delete_data_center(actor, id).await.map(|_| ())
        })
        .await
    }

    pub async fn remove_host(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let host = self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))?;
        let what = ("host", id, host.name.as_str());
        self.removal(user, Permission::ManageInfrastructure, what, async |actor| {
            let usage = self.repo.host_usage(id).await?;
            usage.unused_or(|users| {
                format!(
                    "Host {} still runs or holds pinned {users}. Stop them or change their placement first.",
                    host.name
                )
            })?;
            // Its storage domains go with it, but not Vireo's disks in them (the database refuses).
            let disks: i64 = self
                .repo
                .list_storage_domains(false)
                .await?
                .iter()
                .filter(|d| d.host_id == id)
                .map(|d| d.disk_count)
                .sum();
            if disks > 0 {
                return Err(AppError::conflict(format!(
                    "Host {} holds {disks} disk(s) in its storage domains. Remove them first.",
                    host.name
                )));
            }
            self.repo.delete_host(actor, id).await.map(|_| ())
        })
        .await
    }

    pub async fn remove_template(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let template = self
            .repo
            .config_record(ConfigKind::Template, id)
            .await?
            .ok_or_else(|| AppError::not_found("Template"))?;
        let what = ("template", id, template.name.as_str());
        self.removal(user, Permission::ManageVms, what, async |actor| {
            if id == BLANK_TEMPLATE {
                return Err(AppError::conflict(
                    "The Blank template is built in and cannot be removed.",
                ));
            }
            let usage = self.repo.template_usage(id).await?;
            usage.unused_or(|users| {
                format!(
                    "Template {} is still used by {users}. Remove them first.",
                    template.name
                )
            })?;
            self.repo.delete_template(actor, id).await.map(|_| ())
        })
        .await
    }

    /// Removes the pool and its VMs; refused while any of them runs.
    pub async fn remove_pool(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let pool = self
            .repo
            .config_record(ConfigKind::Pool, id)
            .await?
            .ok_or_else(|| AppError::not_found("Pool"))?;
        self.removal(user, Permission::ManageVms, ("pool", id, &pool.name), async |actor| {
            let vms = self.repo.pool_vm_records(id).await?;
            let running: Vec<&str> = vms.iter().filter(|v| v.running()).map(|v| v.name.as_str()).collect();
            if !running.is_empty() {
                return Err(AppError::conflict(format!(
                    "Pool {} still has running VMs: {}. Shut them down first.",
                    pool.name,
                    running.join(", ")
                )));
            }
            for vm in &vms {
                // Pool VMs hold the template's disks (their per-start overlays are gone when they stop).
                self.remove_vm_checked(actor, vm.id, false, true).await?;
            }
            self.repo.delete_pool(actor, id).await.map(|_| ())
        })
        .await
    }
}

fn capitalized(kind: &str) -> String {
    let mut c = kind.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
