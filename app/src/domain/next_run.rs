//! Editing a running VM: which changed fields apply at once and which wait for the next start.
//! The comparison walks the configuration's serialised fields, so a field added to `VmConfig` is
//! covered without touching this file; `fields::FIELDS` says which ones are hot.

use super::fields;
use super::vm_config::VmConfig;
use serde::{Deserialize, Serialize};

/// Top-level configuration fields whose values differ.
pub fn changed_fields(old: &VmConfig, new: &VmConfig) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    out.sort_by_key(|k| fields::FIELDS.iter().position(|m| m.key == k).unwrap_or(usize::MAX));
    out
}

fn needs_restart(key: &str) -> bool {
    fields::meta(key).is_none_or(|m| m.needs_restart)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningEdit {
    /// The configuration in effect now: the old one with the hot fields taken from the edit.
    pub now: VmConfig,
    /// The edited configuration, to apply at the next start, when any changed field needs a restart.
    pub next_run: Option<VmConfig>,
    /// Labels of the fields waiting for the restart.
    pub pending: Vec<String>,
}

/// Splits an edit of a running VM. When a next-run configuration is already pending, the caller
/// passes it as `edited`'s base: the dialog edits the pending configuration, not the running one.
pub fn split_running_edit(current: &VmConfig, edited: &VmConfig) -> RunningEdit {
    let changed = changed_fields(current, edited);
    let mut now = current.clone();
    // Hot fields: copy them over through the same serialised view.
    if let (Ok(serde_json::Value::Object(mut cur)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(current), serde_json::to_value(edited))
    {
        for key in changed.iter().filter(|k| !needs_restart(k)) {
            if let Some(v) = new.get(key) {
                cur.insert(key.clone(), v.clone());
            }
        }
        if let Ok(cfg) = serde_json::from_value(serde_json::Value::Object(cur)) {
            now = cfg;
        }
    }
    let pending: Vec<String> = changed
        .iter()
        .filter(|k| needs_restart(k))
        .map(|k| fields::label(k).to_string())
        .collect();
    RunningEdit {
        next_run: (!pending.is_empty()).then(|| edited.clone()),
        now,
        pending,
    }
}

/// An edit saved explicitly for the next run (the API's `?next_run=true`): nothing changes now,
/// every changed field waits for the next start.
pub fn defer_entire_edit(current: &VmConfig, edited: &VmConfig) -> RunningEdit {
    let pending: Vec<String> = changed_fields(current, edited)
        .iter()
        .map(|k| fields::label(k).to_string())
        .collect();
    RunningEdit {
        now: current.clone(),
        next_run: (!pending.is_empty()).then(|| edited.clone()),
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vm_config::{HugePages, OptimizedFor};

    #[test]
    fn lists_changed_fields_in_dialog_order() {
        let a = VmConfig::default();
        let b = VmConfig {
            memory_mib: 2048,
            high_availability: true,
            optimized_for: OptimizedFor::Desktop,
            ..a.clone()
        };
        assert_eq!(
            changed_fields(&a, &b),
            vec!["optimized_for", "memory_mib", "high_availability"]
        );
        assert!(changed_fields(&a, &a).is_empty());
    }

    #[test]
    fn hot_fields_apply_now_the_rest_waits_for_a_restart() {
        let running = VmConfig::default();
        let edited = VmConfig {
            high_availability: true,
            huge_pages: Some(HugePages {
                size_kib: 2048,
                count: 512,
            }),
            ..running.clone()
        };
        let split = split_running_edit(&running, &edited);
        assert!(split.now.high_availability, "HA is hot");
        assert_eq!(split.now.huge_pages, None, "huge pages wait");
        assert_eq!(split.next_run, Some(edited.clone()));
        assert_eq!(split.pending, vec!["Huge Pages".to_string()]);
    }

    #[test]
    fn an_edit_of_only_hot_fields_leaves_no_next_run() {
        let running = VmConfig::default();
        let edited = VmConfig {
            high_availability: true,
            ..running.clone()
        };
        let split = split_running_edit(&running, &edited);
        assert_eq!(split.now, edited);
        assert_eq!(split.next_run, None);
        assert!(split.pending.is_empty());
    }

    #[test]
    fn a_deferred_edit_changes_nothing_now_even_hot_fields() {
        let running = VmConfig::default();
        let edited = VmConfig {
            high_availability: true,
            memory_mib: 2048,
            ..running.clone()
        };
        let split = defer_entire_edit(&running, &edited);
        assert_eq!(split.now, running);
        assert_eq!(split.next_run, Some(edited));
        assert_eq!(split.pending.len(), 2);
        assert_eq!(defer_entire_edit(&running, &running).next_run, None);
    }

    #[test]
    fn disks_the_cd_and_the_boot_sequence_wait_for_a_restart() {
        use crate::domain::storage::{BootDevice, DiskAttachment};
        use uuid::Uuid;
        let running = VmConfig {
            disks: vec![DiskAttachment::new(Uuid::from_u128(1), true)],
            ..VmConfig::default()
        };
        let mut edited = running.clone();
        edited.disks.push(DiskAttachment::new(Uuid::from_u128(2), false));
        edited.disks[0].cache = crate::domain::storage::DiskCache::None;
        edited.cdrom = Some(Uuid::from_u128(3));
        edited.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
        assert_eq!(
            changed_fields(&running, &edited),
            vec!["disks", "cdrom", "boot_devices"]
        );
        let split = split_running_edit(&running, &edited);
        assert_eq!(
            split.now, running,
            "the service plugs what it can live; the domain rule waits"
        );
        assert_eq!(split.next_run, Some(edited.clone()));
        assert_eq!(split.pending, vec!["Disks", "Attach CD", "Boot Sequence"]);
        // Changing only one disk's tuning is a change of `disks` too.
        let mut tuned = running.clone();
        tuned.disks[0].iothread = Some(1);
        assert_eq!(split_running_edit(&running, &tuned).pending, vec!["Disks"]);
    }

    #[test]
    fn nic_changes_and_multiqueue_wait_for_a_restart() {
        use crate::domain::network::{MacAddress, Nic, NicModel};
        use uuid::Uuid;
        let nic = |n: u128| Nic {
            mac: MacAddress::from_u64(0x56_6f_00_00_00_00 + n as u64),
            ..Nic::with_id(Uuid::from_u128(n), format!("nic{n}"), Some(Uuid::from_u128(100)))
        };
        let running = VmConfig {
            nics: vec![nic(1)],
            ..VmConfig::default()
        };
        // Each kind of NIC change on its own: added, removed, and each field edited.
        let mut edits: Vec<VmConfig> = Vec::new();
        let mut added = running.clone();
        added.nics.push(nic(2));
        edits.push(added);
        let mut removed = running.clone();
        removed.nics.clear();
        edits.push(removed);
        for change in [
            |n: &mut Nic| n.model = NicModel::E1000e,
            |n: &mut Nic| n.linked = false,
            |n: &mut Nic| n.plugged = false,
            |n: &mut Nic| n.vnic_profile_id = None,
            |n: &mut Nic| n.mac = MacAddress::from_u64(0x56_6f_00_00_00_09),
            |n: &mut Nic| n.name = "eth0".into(),
        ] {
            let mut edited = running.clone();
            change(&mut edited.nics[0]);
            edits.push(edited);
        }
        for edited in &edits {
            assert_eq!(changed_fields(&running, edited), vec!["nics"]);
            let split = split_running_edit(&running, edited);
            assert_eq!(
                split.now, running,
                "the service plugs what it can live; the domain rule waits"
            );
            assert_eq!(split.next_run.as_ref(), Some(edited));
            assert_eq!(split.pending, vec!["Network Interfaces"]);
        }
        let multiqueue = VmConfig {
            multi_queues_enabled: true,
            high_availability: true,
            ..running.clone()
        };
        let split = split_running_edit(&running, &multiqueue);
        assert_eq!(split.pending, vec!["Multi Queues Enabled"]);
        assert!(split.now.high_availability && !split.now.multi_queues_enabled);
        // Both, in dialog order.
        let mut both = multiqueue.clone();
        both.nics[0].linked = false;
        assert_eq!(
            changed_fields(&running, &both),
            vec!["high_availability", "multi_queues_enabled", "nics"]
        );
        assert_eq!(
            split_running_edit(&running, &both).pending,
            vec!["Multi Queues Enabled", "Network Interfaces"]
        );
    }

    #[test]
    fn every_restart_field_is_labelled() {
        let a = VmConfig::default();
        let b = VmConfig {
            usb_enabled: false,
            io_threads: 2,
            ksm_disabled: true,
            ..a.clone()
        };
        assert_eq!(
            split_running_edit(&a, &b).pending,
            vec![
                "USB Support".to_string(),
                "IO Threads".to_string(),
                "Disable KSM for this VM".to_string()
            ]
        );
    }
}
