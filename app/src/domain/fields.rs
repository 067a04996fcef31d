//! One table of the configuration's fields: the label the dialog shows, the side tab that holds it,
//! and whether changing it on a running VM needs a restart. Change lists, field errors, tab markers
//! and next-run lists all name fields by these keys.

use serde::{Deserialize, Serialize};

/// The side tabs of the New/Edit VM, Template and Pool dialogs (oVirt's words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogTab {
    General,
    Pool,
    Console,
    Host,
    HighAvailability,
    ResourceAllocation,
    BootOptions,
}

impl DialogTab {
    pub const ALL: [DialogTab; 7] = [
        Self::General,
        Self::Pool,
        Self::Console,
        Self::Host,
        Self::HighAvailability,
        Self::ResourceAllocation,
        Self::BootOptions,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::General => "General",
            Self::Pool => "Pool",
            Self::Console => "Console",
            Self::Host => "Host",
            Self::HighAvailability => "High Availability",
            Self::ResourceAllocation => "Resource Allocation",
            Self::BootOptions => "Boot Options",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Pool => "pool",
            Self::Console => "console",
            Self::Host => "host",
            Self::HighAvailability => "high-availability",
            Self::ResourceAllocation => "resource-allocation",
            Self::BootOptions => "boot-options",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }
}

pub struct FieldMeta {
    pub key: &'static str,
    pub label: &'static str,
    pub tab: DialogTab,
    /// Changing it while the VM runs is saved as next-run configuration.
    pub needs_restart: bool,
}

const fn f(key: &'static str, label: &'static str, tab: DialogTab, needs_restart: bool) -> FieldMeta {
    FieldMeta {
        key,
        label,
        tab,
        needs_restart,
    }
}

use DialogTab::*;

pub const FIELDS: &[FieldMeta] = &[
    f("name", "Name", General, false),
    f("description", "Description", General, false),
    f("cluster_id", "Cluster", General, true),
    f("template_id", "Template", General, true),
    f("instance_type_id", "Instance Type", General, true),
    f("os_type", "Operating System", General, true),
    f("optimized_for", "Optimized for", General, true),
    f("memory_mib", "Memory Size", General, true),
    f("cpu", "Total Virtual CPUs", General, true),
    f("cpu.sockets", "Virtual Sockets", General, true),
    f("cpu.cores", "Cores per Virtual Socket", General, true),
    f("cpu.threads", "Threads per Core", General, true),
    f("stateless", "Stateless", General, true),
    f("machine", "Chipset", General, true),
    f("pool_size", "Number of VMs", Pool, false),
    f("prestarted", "Prestarted VMs", Pool, false),
    f("headless", "Headless Mode", Console, true),
    f("serial_console", "Enable VirtIO serial console", Console, true),
    f("usb_enabled", "USB Support", Console, true),
    f("soundcard_enabled", "Soundcard Enabled", Console, true),
    f("guest_agent", "QEMU Guest Agent Channel", Console, true),
    f("virtio_rng", "VirtIO-RNG Device Enabled", Console, true),
    f("placement_hosts", "Start Running On", Host, true),
    f("migration", "Migration Mode", Host, true),
    f("cpu_passthrough", "Pass-Through Host CPU", Host, true),
    f("invtsc", "Invariant TSC (invtsc)", Host, true),
    f("numa_nodes", "NUMA Nodes", Host, true),
    f("numa_tune_mode", "NUMA Tune Mode", Host, true),
    f("high_availability", "Highly Available", HighAvailability, false),
    f("watchdog", "Watchdog", HighAvailability, true),
    f("io_threads", "IO Threads", ResourceAllocation, true),
    f("memory_balloon", "Memory Balloon Device", ResourceAllocation, true),
    f("cpu_pinning_policy", "CPU Pinning Policy", ResourceAllocation, true),
    f(
        "emulator_thread_policy",
        "Emulator Thread Policy",
        ResourceAllocation,
        true,
    ),
    f("cpu_pinning", "CPU Pinning Topology", ResourceAllocation, true),
    f("emulator_pin", "Emulator Thread Pinning", ResourceAllocation, true),
    f("io_thread_pins", "IO Thread Pinning", ResourceAllocation, true),
    f("realtime_vcpus", "Real-time vCPUs", ResourceAllocation, true),
    f("ksm_disabled", "Disable KSM for this VM", ResourceAllocation, true),
    f("huge_pages", "Huge Pages", ResourceAllocation, true),
    f("multi_queues_enabled", "Multi Queues Enabled", ResourceAllocation, true),
    // Attaching or detaching a disk on a running VM is tried live (hotplug) by the service; what
    // the host cannot plug live waits for the next start.
    f("disks", "Disks", General, true),
    f("new_disks", "New Disks", General, false),
    // oVirt's General tab holds "Instantiate VM network interfaces". Plugging, unplugging and
    // relinking a NIC on a running VM is tried live by the service (like disks); the domain rule
    // saves every NIC change for the next start.
    f("nics", "Network Interfaces", General, true),
    f("cdrom", "Attach CD", BootOptions, true),
    f("boot_devices", "Boot Sequence", BootOptions, true),
];

pub fn meta(key: &str) -> Option<&'static FieldMeta> {
    // Nested keys (`numa_nodes[1].memory_mib`) belong to their top-level field.
    let top = key.split(['[', '.']).next().unwrap_or(key);
    FIELDS
        .iter()
        .find(|m| m.key == key)
        .or_else(|| FIELDS.iter().find(|m| m.key == top))
}

pub fn label(key: &str) -> &'static str {
    meta(key).map_or("Setting", |m| m.label)
}

/// The tab holding a field; unknown keys (object-level errors) land on General.
pub fn tab_of(key: &str) -> DialogTab {
    meta(key).map_or(DialogTab::General, |m| m.tab)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_findable() {
        for (i, m) in FIELDS.iter().enumerate() {
            assert!(FIELDS[i + 1..].iter().all(|o| o.key != m.key), "{} twice", m.key);
            assert_eq!(meta(m.key).unwrap().key, m.key);
        }
    }

    #[test]
    fn nested_keys_map_to_their_field_and_tab() {
        assert_eq!(tab_of("numa_nodes[1].memory_mib"), DialogTab::Host);
        assert_eq!(tab_of("cpu.cores"), DialogTab::General);
        // Per-disk keys (`disks[2].iothread`) in change lists and field errors.
        assert_eq!(
            (label("disks[2].iothread"), tab_of("disks[2].iothread")),
            ("Disks", DialogTab::General)
        );
        assert_eq!(tab_of("boot_devices"), DialogTab::BootOptions);
        // Per-NIC keys (`nics[1].mac`) likewise.
        assert_eq!(
            (label("nics[1].mac"), tab_of("nics[1].mac")),
            ("Network Interfaces", DialogTab::General)
        );
        assert_eq!(
            (label("multi_queues_enabled"), tab_of("multi_queues_enabled")),
            ("Multi Queues Enabled", DialogTab::ResourceAllocation)
        );
        assert!(meta("nics").unwrap().needs_restart && meta("multi_queues_enabled").unwrap().needs_restart);
        assert_eq!(label("cpu_pinning"), "CPU Pinning Topology");
        assert_eq!(tab_of("something_else"), DialogTab::General);
        assert_eq!(label("nope"), "Setting");
    }

    #[test]
    fn tabs_round_trip_their_ids() {
        for t in DialogTab::ALL {
            assert_eq!(DialogTab::parse(t.id()), Some(t));
        }
        assert_eq!(DialogTab::parse("x"), None);
    }
}
