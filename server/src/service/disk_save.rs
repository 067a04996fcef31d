//! The disks of a VM, Template or Pool draft on save: what its attachments refer to is checked
//! (with preview), and the volumes it needs are made before the configuration is written — the
//! dialog's new disks, and for a new VM made from a template, a thin overlay on each of the
//! template's disks (or a full copy: "Clone"). If the configuration then cannot be written, the
//! volumes made for it are deleted again.

use crate::repository::DiskRecord;
use crate::service::storage::{disk_size_error, VolumeSource};
use crate::service::VireoService;
use std::collections::HashSet;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::naming::name_error;
use vireo_app::domain::storage::{DiskContent, DiskFormat, MAX_DISKS};
use vireo_app::error::{AppError, FieldError};

/// A disk a save made, to delete if the save fails after it.
pub(crate) struct MadeDisk(DiskRecord);

/// `<vm>_<disk>` within the 64 characters a disk name may have.
fn derived_name(owner: &str, disk: &str) -> String {
    format!("{owner}_{disk}").chars().take(64).collect()
}

impl VireoService {
    /// The template's own disks (the ones a new VM made from it gets overlays or copies of).
    async fn template_disk_ids(&self, draft: &VmDraft) -> Result<HashSet<Uuid>, AppError> {
        let Some(template) = draft.template_id else {
            return Ok(HashSet::new());
        };
        Ok(self
            .repo
            .config_record(ConfigKind::Template, template)
            .await?
            .map(|t| t.config.disks.iter().map(|a| a.disk_id).collect())
            .unwrap_or_default())
    }

    /// Field errors for the draft's disks: new disks well formed and in an active storage domain,
    /// attachments naming data disks that exist and are not another object's, the CD-ROM an ISO.
    pub(super) async fn disk_reference_errors(&self, draft: &VmDraft) -> Result<Vec<FieldError>, AppError> {
        let mut errors = Vec::new();
        if draft.new_disks.len() > MAX_DISKS {
            errors.push(FieldError::new(
                "new_disks",
                format!("At most {MAX_DISKS} new disks at once."),
            ));
            return Ok(errors);
        }
        let new_ids: HashSet<Uuid> = draft.new_disks.iter().map(|d| d.id).collect();
        if new_ids.len() != draft.new_disks.len() {
            errors.push(FieldError::new("new_disks", "Two new disks have the same id."));
        }
        for (i, d) in draft.new_disks.iter().enumerate() {
            let field = |f: &str| format!("new_disks[{i}].{f}");
            errors.extend(name_error(&field("name"), "disk", &d.name));
            errors.extend(disk_size_error(&field("size_bytes"), d.size_bytes));
            if d.format == DiskFormat::Iso {
                errors.push(FieldError::new(field("format"), "Choose QCOW2 or Raw for a new disk."));
            }
            match self.repo.storage_domain(d.storage_domain_id).await? {
                None => errors.push(FieldError::new(field("storage_domain_id"), "Choose a storage domain.")),
                Some(sd) if sd.view.status != vireo_app::domain::storage::StorageDomainStatus::Active => {
                    errors.push(FieldError::new(
                        field("storage_domain_id"),
                        format!("Storage domain {} is {}.", sd.view.name, sd.view.status.label()),
                    ))
                }
                Some(_) => {}
            }
        }
        let mut ids: Vec<Uuid> = draft.config.disks.iter().map(|a| a.disk_id).collect();
        ids.extend(draft.config.cdrom);
        ids.extend(new_ids.iter().copied());
        let stored = self.repo.disks(&ids).await?;
        for d in &draft.new_disks {
            if stored.iter().any(|s| s.view.id == d.id) {
                errors.push(FieldError::new(
                    "new_disks",
                    "A new disk's id is taken; open the dialog again.",
                ));
            }
        }
        let template_disks = self.template_disk_ids(draft).await?;
        for (i, a) in draft.config.disks.iter().enumerate() {
            let field = format!("disks[{i}]");
            if new_ids.contains(&a.disk_id) {
                continue;
            }
            let Some(disk) = stored.iter().find(|s| s.view.id == a.disk_id) else {
                errors.push(FieldError::new(field, "This disk does not exist (any more)."));
                continue;
            };
            if disk.view.content == DiskContent::Iso {
                errors.push(FieldError::new(
                    field,
                    format!("{} is an ISO image: put it in the CD-ROM instead.", disk.view.name),
                ));
                continue;
            }
            // A template's disks are shared by the pools made from it, and new VMs get their own
            // copies of them; any other disk belongs to one object.
            let shared_by_design = template_disks.contains(&a.disk_id)
                && (draft.kind == ConfigKind::Pool || (draft.kind == ConfigKind::Vm && draft.id.is_none()));
            let elsewhere = disk
                .view
                .attached_to
                .iter()
                .find(|o| Some(o.id) != draft.id && o.kind != ConfigKind::Pool);
            if let (Some(owner), false) = (elsewhere, shared_by_design) {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "Disk {} is attached to {} {}.",
                        disk.view.name,
                        owner.kind.label(),
                        owner.name
                    ),
                ));
            }
        }
        if let Some(cd) = draft.config.cdrom {
            match stored.iter().find(|s| s.view.id == cd) {
                Some(d) if d.view.content == DiskContent::Iso => {}
                Some(d) => errors.push(FieldError::new(
                    "cdrom",
                    format!("{} is not an ISO image.", d.view.name),
                )),
                None => errors.push(FieldError::new("cdrom", "That ISO image does not exist (any more).")),
            }
        }
        Ok(errors)
    }

    /// Makes the volumes the draft needs and rewrites its attachments to them. On failure the
    /// volumes made so far are deleted and nothing else changed.
    pub(super) async fn prepare_disks(&self, actor: &Actor, draft: &mut VmDraft) -> Result<Vec<MadeDisk>, AppError> {
        let mut made = Vec::new();
        match self.make_disks(actor, draft, &mut made).await {
            Ok(()) => Ok(made),
            Err(e) => {
                self.undo_disks(actor, &made).await;
                Err(e)
            }
        }
    }

    async fn make_disks(&self, actor: &Actor, draft: &mut VmDraft, made: &mut Vec<MadeDisk>) -> Result<(), AppError> {
        for d in std::mem::take(&mut draft.new_disks) {
            let domain = self
                .repo
                .storage_domain(d.storage_domain_id)
                .await?
                .ok_or_else(|| AppError::validation("new_disks", "Choose a storage domain."))?;
            let disk = self
                .create_volume_for(
                    actor,
                    d.id,
                    &d.name,
                    "",
                    &domain,
                    d.size_bytes,
                    d.format,
                    VolumeSource::Empty { preallocate: !d.sparse },
                )
                .await?;
            made.push(MadeDisk(disk));
        }
        // A new VM from a template: its own volume for each of the template's disks.
        if draft.kind == ConfigKind::Vm && draft.id.is_none() {
            let template_disks = self.template_disk_ids(draft).await?;
            for a in draft
                .config
                .disks
                .iter_mut()
                .filter(|a| template_disks.contains(&a.disk_id))
            {
                let base = self.disk_record(a.disk_id).await?;
                let domain = self
                    .repo
                    .storage_domain(base.view.storage_domain_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("storage domain"))?;
                let id = Uuid::new_v4();
                let size = base.view.provisioned_bytes.max(0) as u64;
                // An overlay is always qcow2 (only qcow2 has a backing file); a copy keeps the format.
                let (format, source) = if draft.clone_disks {
                    (base.view.format, VolumeSource::Copy(&base))
                } else {
                    (DiskFormat::Qcow2, VolumeSource::Overlay(&base))
                };
                let name = derived_name(&draft.name, &base.view.name);
                let disk = self
                    .create_volume_for(actor, id, &name, "", &domain, size, format, source)
                    .await?;
                a.disk_id = id;
                made.push(MadeDisk(disk));
            }
        }
        Ok(())
    }

    /// Deletes volumes a failed save made (last first: overlays before what they are made from).
    pub(super) async fn undo_disks(&self, actor: &Actor, made: &[MadeDisk]) {
        for MadeDisk(disk) in made.iter().rev() {
            if let Err(e) = self.delete_disk_and_volume(actor, disk).await {
                tracing::warn!(disk = %disk.view.name, error = %e, "could not delete a disk of a failed save");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::derived_name;

    #[test]
    fn derived_names_fit_the_limit() {
        assert_eq!(derived_name("web1", "root"), "web1_root");
        assert_eq!(derived_name(&"v".repeat(64), "root").chars().count(), 64);
    }
}
