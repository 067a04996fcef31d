//! Instance types: memory, CPU topology and a few hardware settings applied on top of a VM's profile.
//! They never set Optimized for (seed: "it has no influence on the VM high performance type"), but
//! what they set overrides the profile's values — and the dialog lists every override.

use super::draft::MAX_DESCRIPTION;
use super::naming::name_error;
use super::profile::{io_threads_text, on_off, Change};
use super::validation::{MAX_IO_THREADS, MAX_MEMORY_MIB, MAX_VCPUS};
use super::vm_config::{CpuTopology, VmConfig};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceTypeSpec {
    pub memory_mib: Option<u64>,
    pub cpu: Option<CpuTopology>,
    pub io_threads: Option<u32>,
    pub memory_balloon: Option<bool>,
    pub usb_enabled: Option<bool>,
    pub soundcard_enabled: Option<bool>,
    pub headless: Option<bool>,
}

/// Where a boolean setting lives in the configuration.
type BoolSlot = fn(&mut VmConfig) -> &mut bool;

pub fn apply_instance_type(cfg: &VmConfig, name: &str, spec: &InstanceTypeSpec) -> (VmConfig, Vec<Change>) {
    let mut out = cfg.clone();
    let mut changes = Vec::new();
    let reason = format!(
        "Instance type {name} sets it (over the {} profile)",
        cfg.optimized_for.label()
    );
    if let Some(v) = spec.memory_mib.filter(|v| *v != out.memory_mib) {
        changes.push(Change::new(
            "memory_mib",
            format!("{} MiB", out.memory_mib),
            format!("{v} MiB"),
            reason.clone(),
        ));
        out.memory_mib = v;
    }
    if let Some(v) = spec.cpu.filter(|v| *v != out.cpu) {
        let t = |c: CpuTopology| format!("{} × {} × {}", c.sockets, c.cores, c.threads);
        changes.push(Change::new("cpu", t(out.cpu), t(v), reason.clone()));
        out.cpu = v;
    }
    if let Some(v) = spec.io_threads.filter(|v| *v != out.io_threads) {
        changes.push(Change::new(
            "io_threads",
            io_threads_text(out.io_threads),
            io_threads_text(v),
            reason.clone(),
        ));
        out.io_threads = v;
    }
    let bools: [(&str, Option<bool>, BoolSlot); 4] = [
        ("memory_balloon", spec.memory_balloon, |c| &mut c.memory_balloon),
        ("usb_enabled", spec.usb_enabled, |c| &mut c.usb_enabled),
        ("soundcard_enabled", spec.soundcard_enabled, |c| {
            &mut c.soundcard_enabled
        }),
        ("headless", spec.headless, |c| &mut c.headless),
    ];
    for (field, value, slot) in bools {
        if let Some(v) = value {
            let place = slot(&mut out);
            if *place != v {
                changes.push(Change::new(field, on_off(*place), on_off(v), reason.clone()));
                *place = v;
            }
        }
    }
    (out, changes)
}

/// Checks an instance type before it is saved (the same bounds as a VM's configuration).
pub fn validate_instance_type(name: &str, description: &str, spec: &InstanceTypeSpec) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = name_error("name", "instance type", name).into_iter().collect();
    if description.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new(
            "description",
            format!("The description can be at most {MAX_DESCRIPTION} characters."),
        ));
    }
    if let Some(m) = spec.memory_mib.filter(|m| *m == 0 || *m > MAX_MEMORY_MIB) {
        errors.push(FieldError::new(
            "memory_mib",
            format!("Memory Size must be between 1 MiB and {MAX_MEMORY_MIB} MiB; {m} MiB is not."),
        ));
    }
    if let Some(cpu) = spec.cpu {
        if cpu.sockets == 0 || cpu.cores == 0 || cpu.threads == 0 {
            errors.push(FieldError::new(
                "cpu",
                "Sockets, cores and threads must each be at least 1.",
            ));
        } else if cpu.vcpus() > MAX_VCPUS {
            errors.push(FieldError::new(
                "cpu",
                format!("At most {MAX_VCPUS} vCPUs; this has {}.", cpu.vcpus()),
            ));
        }
    }
    if spec.io_threads.is_some_and(|n| n > MAX_IO_THREADS) {
        errors.push(FieldError::new(
            "io_threads",
            format!("At most {MAX_IO_THREADS} IO threads."),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::{apply_profile, ProfileContext};
    use crate::domain::vm_config::OptimizedFor;

    #[test]
    fn overrides_after_the_profile_and_lists_each_override() {
        let hp = apply_profile(
            &VmConfig::default(),
            OptimizedFor::HighPerformance,
            &ProfileContext::default(),
        )
        .config;
        let spec = InstanceTypeSpec {
            memory_mib: Some(8192),
            cpu: Some(CpuTopology {
                sockets: 1,
                cores: 4,
                threads: 1,
            }),
            memory_balloon: Some(true),
            usb_enabled: Some(false),
            ..InstanceTypeSpec::default()
        };
        let (cfg, changes) = apply_instance_type(&hp, "Large", &spec);
        assert_eq!(
            cfg.optimized_for,
            OptimizedFor::HighPerformance,
            "never the profile itself"
        );
        assert_eq!(cfg.memory_mib, 8192);
        assert_eq!(cfg.vcpus(), 4);
        assert!(cfg.memory_balloon, "overrides A9");
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["memory_mib", "cpu", "memory_balloon"],
            "USB already off: not an override"
        );
        assert!(changes[0].reason.contains("Instance type Large") && changes[0].reason.contains("High Performance"));
        assert_eq!(changes[1].new, "1 × 4 × 1");
    }

    #[test]
    fn an_empty_spec_changes_nothing() {
        let (cfg, changes) = apply_instance_type(&VmConfig::default(), "None", &InstanceTypeSpec::default());
        assert_eq!(cfg, VmConfig::default());
        assert!(changes.is_empty());
    }

    #[test]
    fn instance_types_are_checked_like_vm_settings() {
        let ok = InstanceTypeSpec {
            memory_mib: Some(2048),
            cpu: Some(CpuTopology {
                sockets: 1,
                cores: 2,
                threads: 1,
            }),
            ..InstanceTypeSpec::default()
        };
        assert!(validate_instance_type("Medium", "", &ok).is_empty());
        let bad = InstanceTypeSpec {
            memory_mib: Some(0),
            cpu: Some(CpuTopology {
                sockets: 0,
                cores: 1,
                threads: 1,
            }),
            io_threads: Some(1000),
            ..InstanceTypeSpec::default()
        };
        let fields: Vec<String> = validate_instance_type("", "", &bad)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["name", "memory_mib", "cpu", "io_threads"]);
    }
}
