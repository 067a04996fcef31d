//! Saving a VM, Template or Pool draft: one transaction, version-checked, audited. A running VM's
//! edit is split into what applies now and what waits for its next start; a pool's VMs follow the
//! pool's configuration. The dialog (`ConfigBackend::save`) and the REST API both end in `save_with`.

use crate::repository::{ConfigRecord, ConfigWrite, Repository};
use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::network::MacAddress;
use vireo_app::domain::next_run::{defer_entire_edit, split_running_edit};
use vireo_app::domain::recommendations::recommendations;
use vireo_app::domain::validation::validate_config;
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, SaveOutcome};

#[derive(Clone, Copy, Debug, Default)]
pub struct SaveOptions {
    /// Save even when recommendations are unmet (the dialog's "Save anyway"; always for the API,
    /// which has no review step).
    pub save_anyway: bool,
    /// A running VM keeps running as it is; the whole edit waits for its next start.
    pub defer_to_next_run: bool,
}

impl VireoService {
    /// Saves a draft; the dialog and the REST API both end here.
    pub async fn save_with(
        &self,
        user: &CurrentUser,
        draft: VmDraft,
        options: SaveOptions,
    ) -> Result<SaveOutcome, AppError> {
        let kind = draft.kind;
        let action = format!(
            "{}.{}",
            kind.as_str(),
            if draft.id.is_some() { "update" } else { "create" }
        );
        let actor = self
            .authorize(
                user,
                Permission::ManageVms,
                &action,
                kind.as_str(),
                draft.id,
                &draft.name,
            )
            .await?;
        let result = self.save_checked(&actor, draft.clone(), options).await;
        let (success, message, object_id) = match &result {
            Ok(SaveOutcome::Saved {
                id, pending_restart, ..
            }) => (
                true,
                if pending_restart.is_empty() {
                    format!("{} {} saved.", kind.label(), draft.name)
                } else {
                    format!(
                        "{} {} saved; after its next start: {}.",
                        kind.label(),
                        draft.name,
                        pending_restart.join(", ")
                    )
                },
                Some(*id),
            ),
            // Nothing was written: the user is looking at the recommendations.
            Ok(SaveOutcome::NeedsReview { .. }) => return result,
            Err(e) => (
                false,
                format!("Saving {} {} failed: {e}", kind.label(), draft.name),
                draft.id,
            ),
        };
        self.audit(
            actor.user(),
            &action,
            Object::new(kind.as_str(), object_id, &draft.name),
            Outcome::or_refused(success, message),
        )
        .await;
        result
    }

    /// Saves a draft whose device list (disks, NICs) a sub-tab or the REST API changed, as the
    /// dialog's save would (validated, version-checked, audited; the API has no review step, so
    /// unmet recommendations do not stop it). A High Performance VM's devices are first tuned by
    /// `fix` (R6 for disks, R7 for NICs), so a device added or changed does not fall behind.
    pub(crate) async fn save_device_edit(
        &self,
        user: &CurrentUser,
        mut draft: VmDraft,
        fix: vireo_app::domain::recommendations::RecommendationId,
    ) -> Result<SaveOutcome, AppError> {
        if draft.config.optimized_for == vireo_app::domain::vm_config::OptimizedFor::HighPerformance {
            let ctx = self
                .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
                .await?;
            draft.config = vireo_app::domain::recommendations::apply_fixes(&draft.config, &ctx, &[fix]);
        }
        let options = SaveOptions {
            save_anyway: true,
            defer_to_next_run: false,
        };
        self.save_with(user, draft, options).await
    }

    async fn save_checked(&self, actor: &Actor, draft: VmDraft, options: SaveOptions) -> Result<SaveOutcome, AppError> {
        let ctx = self
            .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
            .await?;
        let (draft, blocked) = self.settle(&draft, &ctx).await?;
        let mut errors = draft.validate_identity();
        errors.extend(blocked);
        errors.extend(self.reference_errors(&draft).await?);
        errors.extend(validate_config(&draft.config, &ctx));
        if !errors.is_empty() {
            return Err(AppError::Validation { errors });
        }
        if !options.save_anyway {
            let recs = recommendations(&draft.config, &ctx);
            if !recs.is_empty() {
                return Ok(SaveOutcome::NeedsReview { recommendations: recs });
            }
        }
        // Volumes first (libvirt), then the configuration that attaches them; a configuration that
        // cannot be written takes its new volumes with it.
        let mut draft = draft;
        let created = self.prepare_disks(actor, &mut draft).await?;
        let result = self.write_config(actor, &draft, options).await;
        if result.is_err() {
            self.undo_disks(actor, &created).await;
        }
        result
    }

    async fn write_config(
        &self,
        actor: &Actor,
        draft: &VmDraft,
        options: SaveOptions,
    ) -> Result<SaveOutcome, AppError> {
        let mut tx = self
            .repo
            .pool()
            .begin()
            .await
            .map_err(crate::repository::internal_error)?;
        let kind = draft.kind;
        if Repository::config_name_taken(&mut tx, kind, &draft.name, draft.id).await? {
            return Err(AppError::validation(
                "name",
                format!("A {} named '{}' already exists.", kind.label(), draft.name),
            ));
        }
        let id = draft.id.unwrap_or_else(Uuid::new_v4);
        let mut pending_restart = Vec::new();
        let current = match draft.id {
            None => None,
            Some(id) => {
                let current = Repository::lock_config(&mut tx, kind, id)
                    .await?
                    .ok_or_else(|| AppError::not_found(kind.label()))?;
                let expected = draft
                    .version
                    .ok_or_else(|| AppError::validation("version", "The edit lacks its version."))?;
                if current.version != expected {
                    return Err(stale_edit(kind, &current));
                }
                if kind == ConfigKind::Pool && (draft.pool_size as i32) < current.size {
                    return Err(AppError::validation(
                        "pool_size",
                        format!(
                            "A pool cannot shrink (it holds {} VMs); remove VMs from it instead.",
                            current.size
                        ),
                    ));
                }
                Some(current)
            }
        };
        // Templates and Pools carry no MACs (each VM made from them gets its own); a VM's NICs
        // without one keep the one they had or get one from the range, under the cursor's lock.
        let mut config = draft.config.clone();
        if kind == ConfigKind::Vm {
            let previous: Vec<&VmConfig> = current
                .iter()
                .flat_map(|c| std::iter::once(&c.config).chain(c.next_run.as_ref()))
                .collect();
            self.fill_macs(&mut tx, &mut config, &previous).await?;
        } else {
            for nic in &mut config.nics {
                nic.mac = None;
            }
        }
        let mut write = ConfigWrite {
            kind,
            id,
            name: &draft.name,
            description: &draft.description,
            cluster_id: draft.cluster_id,
            template_id: draft.template_id,
            instance_type_id: draft.instance_type_id,
            pool_id: None,
            size: draft.pool_size as i32,
            prestarted: draft.prestarted as i32,
            config: &config,
            next_run: None,
        };
        let now_config;
        let next_config;
        match &current {
            None => Repository::insert_config(&mut tx, actor, &write).await?,
            Some(current) => {
                if kind == ConfigKind::Vm && current.running() {
                    let split = if options.defer_to_next_run {
                        defer_entire_edit(&current.config, &config)
                    } else {
                        split_running_edit(&current.config, &config)
                    };
                    now_config = split.now;
                    next_config = split.next_run;
                    pending_restart = split.pending;
                    write.config = &now_config;
                    write.next_run = next_config.as_ref();
                }
                Repository::update_config(&mut tx, actor, &write, current.version).await?;
            }
        }
        if kind == ConfigKind::Pool {
            self.sync_pool_vms(&mut tx, actor, draft, id).await?;
        }
        tx.commit().await.map_err(crate::repository::internal_error)?;
        Ok(SaveOutcome::Saved {
            id,
            kind,
            pending_restart,
        })
    }

    /// A pool holds `size` VMs named `<pool>-<n>`, made from the pool's configuration (stateless).
    /// Stopped VMs take a changed configuration at once; running ones at their next start.
    async fn sync_pool_vms(
        &self,
        conn: &mut sqlx::PgConnection,
        actor: &Actor,
        draft: &VmDraft,
        pool_id: Uuid,
    ) -> Result<(), AppError> {
        let mut config = draft.config.clone();
        config.stateless = true;
        for nic in &mut config.nics {
            nic.mac = None;
        }
        let existing = Repository::pool_vms(conn, pool_id).await?;
        for vm in &existing {
            // Each pool VM keeps the MAC of each NIC it already has (same NIC id); new NICs get
            // fresh ones.
            let mut own = config.clone();
            let previous: Vec<&VmConfig> = std::iter::once(&vm.config).chain(vm.next_run.as_ref()).collect();
            self.fill_macs(conn, &mut own, &previous).await?;
            let (now, next) = if vm.running() {
                let split = split_running_edit(&vm.config, &own);
                (split.now, split.next_run)
            } else {
                (own, None)
            };
            let write = pool_vm_write(draft, pool_id, vm.id, &vm.name, &now, next.as_ref());
            Repository::update_config(conn, actor, &write, vm.version).await?;
        }
        let mut n = 1;
        let mut have = existing.len() as u32;
        while have < draft.pool_size {
            let name = format!("{}-{n}", draft.name);
            n += 1;
            if existing.iter().any(|v| v.name == name) {
                continue;
            }
            if Repository::config_name_taken(conn, ConfigKind::Vm, &name, None).await? {
                return Err(AppError::validation(
                    "name",
                    format!("The pool's VM name {name} is taken by another VM."),
                ));
            }
            let mut own = config.clone();
            self.fill_macs(conn, &mut own, &[]).await?;
            let write = pool_vm_write(draft, pool_id, Uuid::new_v4(), &name, &own, None);
            Repository::insert_config(conn, actor, &write).await?;
            have += 1;
        }
        Ok(())
    }
}

impl VireoService {
    /// Gives every NIC of a VM's `config` without a MAC the one the same NIC (by id) has in
    /// `previous` (the VM's stored configurations), else a fresh one from the range. Runs in the
    /// save's transaction: the range's cursor stays locked until it commits.
    pub(crate) async fn fill_macs(
        &self,
        conn: &mut sqlx::PgConnection,
        config: &mut VmConfig,
        previous: &[&VmConfig],
    ) -> Result<(), AppError> {
        for nic in config.nics.iter_mut().filter(|n| n.mac.is_none()) {
            nic.mac = previous
                .iter()
                .flat_map(|c| c.nics.iter())
                .find(|p| p.id == nic.id)
                .and_then(|p| p.mac);
        }
        let missing = config.nics.iter().filter(|n| n.mac.is_none()).count();
        if missing == 0 {
            return Ok(());
        }
        let reserved: std::collections::HashSet<MacAddress> = config.nics.iter().filter_map(|n| n.mac).collect();
        let mut fresh = Repository::allocate_macs(conn, self.mac_range, missing, &reserved)
            .await?
            .into_iter();
        for nic in config.nics.iter_mut().filter(|n| n.mac.is_none()) {
            nic.mac = fresh.next();
        }
        Ok(())
    }
}

fn pool_vm_write<'a>(
    draft: &'a VmDraft,
    pool_id: Uuid,
    id: Uuid,
    name: &'a str,
    config: &'a VmConfig,
    next_run: Option<&'a VmConfig>,
) -> ConfigWrite<'a> {
    ConfigWrite {
        kind: ConfigKind::Vm,
        id,
        name,
        description: &draft.description,
        cluster_id: draft.cluster_id,
        template_id: draft.template_id,
        instance_type_id: None,
        pool_id: Some(pool_id),
        size: 0,
        prestarted: 0,
        config,
        next_run,
    }
}

fn stale_edit(kind: ConfigKind, current: &ConfigRecord) -> AppError {
    AppError::conflict(format!(
        "{} {} was changed by someone else after you opened it (it is now at version {}). Nothing was saved: close the dialog and open it again to see their changes.",
        kind.label(),
        current.name,
        current.version
    ))
}
