//! A VM's disks when it starts: the devices its domain gets (each attachment with its volume's
//! path and format, the CD-ROM's ISO), the host they tie it to, and for a stateless VM a fresh
//! thin overlay on each disk at every start, deleted when it stops (what it wrote is gone, its
//! disks are as they were).

use crate::repository::{ConfigRecord, DiskRecord};
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::domain::domain_xml::DiskDevice;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::storage::{DiskFormat, DiskStatus};
use vireo_app::domain::storage_xml::VolumeSpec;
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::AppError;

/// What a VM's domain needs of its disks.
#[derive(Default)]
pub(crate) struct VmDisks {
    pub devices: Vec<DiskDevice>,
    pub cdrom_path: Option<String>,
    /// The host the disks are on (a VM runs where its disks are).
    pub host_id: Option<Uuid>,
    /// The disks themselves, in `devices`' order.
    records: Vec<DiskRecord>,
}

/// The volume of a stateless VM's per-start overlay on one of its disks.
fn stateless_volume(vm: Uuid, disk: Uuid) -> String {
    format!("vireo-stateless-{vm}-{disk}.qcow2")
}

impl VireoService {
    /// The devices for `config`'s disks. Refused when a disk is gone, busy, or on another host
    /// than the others.
    pub(crate) async fn vm_disks(&self, vm_name: &str, config: &VmConfig) -> Result<VmDisks, AppError> {
        let mut ids: Vec<Uuid> = config.disks.iter().map(|a| a.disk_id).collect();
        ids.extend(config.cdrom);
        let stored = self.repo.disks(&ids).await?;
        let find = |id: Uuid| {
            stored
                .iter()
                .find(|d| d.view.id == id)
                .ok_or_else(|| AppError::conflict(format!("A disk of VM {vm_name} no longer exists; edit the VM.")))
        };
        let mut out = VmDisks::default();
        let mut place = |disk: &DiskRecord| -> Result<(), AppError> {
            if disk.view.status != DiskStatus::Ok {
                return Err(AppError::conflict(format!(
                    "Disk {} of VM {vm_name} is {}; it cannot start until the disk is OK.",
                    disk.view.name,
                    disk.view.status.label()
                )));
            }
            match out.host_id {
                Some(host) if host != disk.view.host_id => Err(AppError::conflict(format!(
                    "The disks of VM {vm_name} are on different hosts; a VM runs where its disks are."
                ))),
                _ => {
                    out.host_id = Some(disk.view.host_id);
                    Ok(())
                }
            }
        };
        for a in &config.disks {
            let disk = find(a.disk_id)?;
            place(disk)?;
            out.devices.push(DiskDevice {
                path: disk.view.path.clone(),
                format: disk.view.format,
                attachment: a.clone(),
            });
            out.records.push(disk.clone());
        }
        if let Some(cd) = config.cdrom {
            let iso = find(cd)?;
            place(iso)?;
            out.cdrom_path = Some(iso.view.path.clone());
        }
        Ok(out)
    }

    /// A stateless VM about to start: a fresh overlay on each disk (an old one left by a crash
    /// is replaced), and the devices pointed at them.
    pub(crate) async fn stateless_overlays(&self, vm: Uuid, disks: &mut VmDisks) -> Result<(), AppError> {
        for (device, disk) in disks.devices.iter_mut().zip(&disks.records) {
            let volume = stateless_volume(vm, disk.view.id);
            let host_error = |e: crate::hypervisor::HypervisorError| AppError::host(e.to_string());
            self.hypervisor
                .delete_volume(&disk.host_uri, &disk.pool, &volume)
                .await
                .map_err(host_error)?;
            let made = self
                .hypervisor
                .create_volume(
                    &disk.host_uri,
                    &disk.pool,
                    VolumeSpec {
                        name: volume,
                        capacity_bytes: disk.view.provisioned_bytes.max(0) as u64,
                        format: DiskFormat::Qcow2,
                        preallocate: false,
                        backing: Some((disk.view.path.clone(), disk.view.format)),
                    },
                )
                .await
                .map_err(host_error)?;
            device.path = made.path;
            device.format = DiskFormat::Qcow2;
        }
        Ok(())
    }

    /// Deletes a stopped stateless VM's overlays (no-op for other VMs and for overlays already
    /// gone). Failures are logged: the next start replaces them anyway.
    pub(crate) async fn drop_stateless_overlays(&self, vm: Uuid) {
        let Ok(Some(rec)) = self.repo.config_record(ConfigKind::Vm, vm).await else {
            return;
        };
        self.drop_overlays_of(&rec).await;
    }

    pub(crate) async fn drop_overlays_of(&self, rec: &ConfigRecord) {
        // Every stop passes here: what the guest reported (its addresses) holds no more.
        if let Err(e) = self.repo.clear_reported_nics(rec.id).await {
            tracing::warn!(vm = %rec.name, error = %e, "could not clear the guest's reported addresses");
        }
        if !rec.config.stateless {
            return;
        }
        let ids: Vec<Uuid> = rec.config.disks.iter().map(|a| a.disk_id).collect();
        for disk in self.repo.disks(&ids).await.unwrap_or_default() {
            let volume = stateless_volume(rec.id, disk.view.id);
            if let Err(e) = self.hypervisor.delete_volume(&disk.host_uri, &disk.pool, &volume).await {
                tracing::warn!(vm = %rec.name, disk = %disk.view.name, error = %e, "could not delete a stateless overlay");
            }
        }
    }
}
