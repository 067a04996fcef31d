//! `VmConfig`: the one configuration type shared by VMs, Templates and Pools. Every High Performance
//! rule (profile defaults, gates, recommendations, validation, next-run diff) is a pure function over
//! it, and the domain XML builder turns it into libvirt XML. Stored as JSONB; the columns the grids
//! filter and sort on are generated from it in SQL.

use super::cpu_set::CpuSet;
use super::network::Nic;
use super::storage::{default_boot_devices, BootDevice, DiskAttachment};
use super::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

string_enum! {
    /// "Optimized for" (oVirt's VM type). Wire and URL form: oVirt's REST values; label: the words
    /// oVirt's dialog uses.
    #[derive(Default)]
    pub enum OptimizedFor {
        #[default]
        Server = "server" => "Server",
        Desktop = "desktop" => "Desktop",
        HighPerformance = "high_performance" => "High Performance",
    }
}

impl fmt::Display for OptimizedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CpuTopology {
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
}

/// Hard input bounds, far above anything valid (validation's own limits are lower: 288 vCPUs,
/// 4 TiB). Nothing the rules compute is sized by a user's number before it is checked against these,
/// so a configuration with 200 M vCPUs is refused without building anything of that size.
pub const MAX_VCPUS_BOUND: u32 = 512;
pub const MAX_MEMORY_BOUND_MIB: u64 = 16 * 1024 * 1024; // 16 TiB
pub const MAX_NUMA_NODES: usize = 64;

impl CpuTopology {
    /// sockets × cores × threads, saturating: for display and for configurations already validated.
    pub fn vcpus(&self) -> u32 {
        self.sockets.saturating_mul(self.cores).saturating_mul(self.threads)
    }

    /// sockets × cores × threads, `None` when it does not fit a u32.
    pub fn checked_vcpus(&self) -> Option<u32> {
        self.sockets.checked_mul(self.cores)?.checked_mul(self.threads)
    }
}

impl Default for CpuTopology {
    fn default() -> Self {
        Self {
            sockets: 1,
            cores: 1,
            threads: 1,
        }
    }
}

string_enum! {
    /// oVirt's migration modes (its `placement_policy/affinity` values); High Performance disables
    /// migration (A6) so the VM stays on its pinned host.
    #[derive(Default)]
    pub enum MigrationMode {
        /// Automatic and manual migration.
        #[default]
        Migratable = "migratable" => "Allow manual and automatic migration",
        /// Manual migration only.
        UserMigratable = "user_migratable" => "Allow manual migration only",
        /// Never migrated.
        Pinned = "pinned" => "Do not allow migration",
    }
}

string_enum! {
    /// libvirt's `<numatune><memory mode>` (and oVirt's `numa_tune_mode`); the dialog shows the
    /// values themselves.
    #[derive(Default)]
    pub enum NumaTuneMode {
        #[default]
        Strict = "strict" => "strict",
        Interleave = "interleave" => "interleave",
        Preferred = "preferred" => "preferred",
    }
}

string_enum! {
    /// How a VM's vCPUs get host CPUs: oVirt 4.5's CPU pinning policies (its REST
    /// `cpu_pinning_policy` values). `manual` is the fixed pins saved with the VM; the others are
    /// computed by the rules on the host at each start (and released at stop), so an HP pool's VMs
    /// and VMs that may start on several hosts never share a CPU.
    #[derive(Default)]
    pub enum CpuPinningPolicy {
        /// No pinning (or, for configurations saved before policies existed, whatever pins they carry).
        #[default]
        None = "none" => "None",
        /// The pins saved with the VM, on its pinned host.
        Manual = "manual" => "Manual",
        /// Free, sibling-aware host CPUs picked at start, within one NUMA cell where the VM fits.
        Dedicated = "dedicated" => "Dedicated",
        /// As dedicated, but each vCPU gets a whole core and its sibling threads are left idle.
        IsolateThreads = "isolate_threads" => "Isolate Threads",
        /// The VM's CPU topology and vNUMA fitted to the host's at start, then pinned as dedicated.
        ResizeAndPinNuma = "resize_and_pin_numa" => "Resize and Pin NUMA",
    }
}

string_enum! {
    /// Where the QEMU emulator thread runs under a start-time pinning policy (Nova's
    /// `hw:emulator_threads_policy`, KubeVirt's `isolateEmulatorThread`).
    #[derive(Default)]
    pub enum EmulatorThreadPolicy {
        /// With the host's housekeeping CPUs (the ones no VM is pinned to).
        #[default]
        Share = "share" => "Share with housekeeping CPUs",
        /// On a host CPU of its own, taken like a vCPU's.
        Isolate = "isolate" => "Isolate on its own CPU",
    }
}

string_enum! {
    /// The machine type (`<os><type machine=...>`). New VMs get q35 (PCIe, as `virt-install` writes
    /// for a modern guest); configurations saved before this field existed keep libvirt's default,
    /// i440fx, until they are edited, so a running guest never sees its chipset change under it.
    pub enum MachineType {
        I440fx = "pc" => "i440fx (legacy PC)",
        Q35 = "q35" => "Q35 (PCIe)",
    }
}

impl MachineType {
    /// What a stored configuration without a machine type had: libvirt's default for x86.
    pub fn legacy() -> Self {
        Self::I440fx
    }
}

/// One vCPU pinned to a set of host CPUs (`<vcpupin vcpu='0' cpuset='2'/>`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VcpuPin {
    pub vcpu: u32,
    pub cpuset: CpuSet,
}

/// One IO thread (1-based, as libvirt numbers them) pinned to host CPUs (`<iothreadpin/>`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IoThreadPin {
    pub iothread: u32,
    pub cpuset: CpuSet,
}

/// One guest NUMA node: which vCPUs and how much memory it holds, and which host cells back it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VNumaNode {
    pub index: u32,
    pub cpus: CpuSet,
    pub memory_mib: u64,
    /// Host NUMA cells this node is pinned to (`<memnode nodeset=...>`); empty = not pinned.
    #[serde(default)]
    pub host_nodes: Vec<u32>,
}

/// Memory backed by huge pages of one size (`<memoryBacking><hugepages><page size=...>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HugePages {
    pub size_kib: u64,
    /// Pages the VM needs: memory / size. Kept explicitly because the seed's dialog asks for it and
    /// validation checks it against memory and the host's free pages.
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VmConfig {
    // --- General
    pub optimized_for: OptimizedFor,
    /// An id from the OS type catalogue (`rhel_9x64`, `windows_2022`, ...).
    pub os_type: String,
    pub memory_mib: u64,
    pub cpu: CpuTopology,
    pub stateless: bool,
    /// The machine type; a stored configuration without one is i440fx (see `MachineType`).
    #[serde(default = "MachineType::legacy")]
    pub machine: MachineType,

    // --- Console (A1-A4)
    /// No graphics and no video device.
    pub headless: bool,
    pub serial_console: bool,
    pub usb_enabled: bool,
    pub soundcard_enabled: bool,
    /// The QEMU guest agent's virtio-serial channel (`org.qemu.guest_agent.0`): where the guest runs
    /// the agent, libvirt asks it for the guest's addresses. Every VM had it before it was a
    /// setting, so a stored configuration without the field keeps it on.
    pub guest_agent: bool,
    /// A virtio-rng device fed from the host's `/dev/urandom` (oVirt's "VirtIO-RNG Device
    /// Enabled"): the guest's entropy at boot. Stored configurations without the field had none.
    #[serde(default)]
    pub virtio_rng: bool,

    // --- Host (A5-A7, placement)
    /// Hosts the VM may start on; empty means any host of its cluster. High Performance VMs are
    /// pinned to the first one.
    pub placement_hosts: Vec<Uuid>,
    pub migration: MigrationMode,
    pub cpu_passthrough: bool,
    pub invtsc: bool,

    // --- High Availability (A10, A11)
    pub high_availability: bool,
    /// oVirt's HA priority (0 to `MAX_HA_PRIORITY`; its dialog offers Low 1, Medium 50, High 100):
    /// kept whether or not HA is on, as the engine keeps it.
    pub ha_priority: u32,
    pub watchdog: bool,

    // --- Resource Allocation (A8, A9, R1-R5)
    /// Number of IO threads; 0 means IO threads are off.
    pub io_threads: u32,
    pub memory_balloon: bool,
    pub cpu_pinning: Vec<VcpuPin>,
    pub emulator_pin: Option<CpuSet>,
    pub io_thread_pins: Vec<IoThreadPin>,
    pub numa_nodes: Vec<VNumaNode>,
    pub numa_tune_mode: NumaTuneMode,
    /// How vCPUs get host CPUs (`manual` uses `cpu_pinning`; the start-time policies compute pins
    /// on the host at each start).
    pub cpu_pinning_policy: CpuPinningPolicy,
    /// Where the emulator thread runs under a start-time policy.
    pub emulator_thread_policy: EmulatorThreadPolicy,
    /// Real-time vCPUs (`<vcpusched scheduler='fifo'>`): the vCPUs that run SCHED_FIFO; `None` is off.
    /// At least one vCPU stays out of the mask for housekeeping (Nova's `hw:cpu_realtime_mask`).
    pub realtime_vcpus: Option<CpuSet>,
    /// KSM off for this VM (`<memoryBacking><nosharepages/>`).
    pub ksm_disabled: bool,
    pub huge_pages: Option<HugePages>,

    // --- Disks and boot (General's "Instance Images", Boot Options)
    /// The disks attached, in order; their volumes live in the `disks` table.
    pub disks: Vec<DiskAttachment>,
    /// An ISO disk in the CD-ROM drive.
    pub cdrom: Option<Uuid>,
    /// The boot order.
    pub boot_devices: Vec<BootDevice>,

    // --- Network interfaces (Network Interfaces sub-tab; A14, R7)
    /// The NICs, in order (the guest sees them in this order).
    pub nics: Vec<Nic>,
    /// virtio NICs get one queue pair per vCPU (at most 16) on profiles that allow multiqueue
    /// (oVirt's `multi_queues_enabled`; High Performance turns it on, A14).
    pub multi_queues_enabled: bool,
}

impl Default for VmConfig {
    /// A plain Server VM: 1 GiB, one vCPU, graphics, USB, balloon, migratable.
    fn default() -> Self {
        Self {
            optimized_for: OptimizedFor::Server,
            os_type: "other".into(),
            memory_mib: 1024,
            cpu: CpuTopology::default(),
            stateless: false,
            machine: MachineType::Q35,
            headless: false,
            serial_console: false,
            usb_enabled: true,
            soundcard_enabled: false,
            guest_agent: true,
            virtio_rng: true,
            placement_hosts: Vec::new(),
            migration: MigrationMode::Migratable,
            cpu_passthrough: false,
            invtsc: false,
            high_availability: false,
            ha_priority: 0,
            watchdog: false,
            io_threads: 0,
            memory_balloon: true,
            cpu_pinning: Vec::new(),
            emulator_pin: None,
            io_thread_pins: Vec::new(),
            numa_nodes: Vec::new(),
            numa_tune_mode: NumaTuneMode::Strict,
            cpu_pinning_policy: CpuPinningPolicy::None,
            emulator_thread_policy: EmulatorThreadPolicy::Share,
            realtime_vcpus: None,
            ksm_disabled: false,
            huge_pages: None,
            disks: Vec::new(),
            cdrom: None,
            boot_devices: default_boot_devices(),
            nics: Vec::new(),
            multi_queues_enabled: false,
        }
    }
}

impl VmConfig {
    pub fn vcpus(&self) -> u32 {
        self.cpu.vcpus()
    }

    /// The host a pinned VM runs on: the first placement host.
    pub fn pinned_host(&self) -> Option<Uuid> {
        self.placement_hosts.first().copied()
    }

    /// Every host CPU this VM's pins hold: vCPUs, emulator and IO threads.
    pub fn claimed_cpus(&self) -> CpuSet {
        let mut set = self.pinned_cpus();
        if let Some(e) = &self.emulator_pin {
            set.extend(e);
        }
        for p in &self.io_thread_pins {
            set.extend(&p.cpuset);
        }
        set
    }

    /// This configuration without what binds it to one host: the placement hosts, the host CPUs of
    /// the vCPU, emulator and IO-thread pins, and the host NUMA cells of the vNUMA nodes. A template
    /// made from a VM takes this, because every VM made from the template would otherwise claim the
    /// same host's CPUs and cells. The guest's own shape (topology, vNUMA nodes, huge pages, IO
    /// threads, migration mode) stays. NICs lose their MACs: every VM made from the template gets
    /// its own. Manual pinning becomes `dedicated`: each VM made from it gets CPUs of its own at
    /// start (issue 19), where the pins would have had them all fight over the same ones.
    pub fn without_host_bindings(&self) -> VmConfig {
        let mut cfg = self.clone();
        if cfg.cpu_pinning_policy == CpuPinningPolicy::Manual {
            cfg.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
        }
        for nic in &mut cfg.nics {
            nic.mac = None;
        }
        cfg.placement_hosts.clear();
        cfg.cpu_pinning.clear();
        cfg.emulator_pin = None;
        cfg.io_thread_pins.clear();
        for node in &mut cfg.numa_nodes {
            node.host_nodes.clear();
        }
        cfg
    }

    /// All host CPUs the vCPU pinning uses.
    pub fn pinned_cpus(&self) -> CpuSet {
        let mut set = CpuSet::new();
        for pin in &self.cpu_pinning {
            set.extend(&pin.cpuset);
        }
        set
    }
}

string_enum! {
    /// OS families decide what "Optimized for" may offer: High Performance is not for Windows (seed).
    pub enum OsFamily {
        Linux = "linux" => "Linux",
        Windows = "windows" => "Windows",
        Other = "other" => "Other",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsType {
    pub id: String,
    pub name: String,
    pub family: OsFamily,
}

/// A cluster compatibility version, `4.1` ... `4.8`. Ordered, so gates compare versions directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CompatVersion {
    pub major: u32,
    pub minor: u32,
}

impl CompatVersion {
    pub const SUPPORTED: [CompatVersion; 8] = [
        Self::new(4, 1),
        Self::new(4, 2),
        Self::new(4, 3),
        Self::new(4, 4),
        Self::new(4, 5),
        Self::new(4, 6),
        Self::new(4, 7),
        Self::new(4, 8),
    ];
    pub const LATEST: CompatVersion = Self::new(4, 8);
    /// High Performance and huge pages need at least this level (seed: "not supported prior to 4.2").
    pub const HIGH_PERFORMANCE: CompatVersion = Self::new(4, 2);

    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (a, b) = text.trim().split_once('.')?;
        let v = Self::new(a.parse().ok()?, b.parse().ok()?);
        Self::SUPPORTED.contains(&v).then_some(v)
    }
}

impl fmt::Display for CompatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimized_for_round_trips_through_its_wire_form() {
        for v in OptimizedFor::ALL {
            assert_eq!(OptimizedFor::parse(v.as_str()), Some(v));
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
        }
        assert_eq!(OptimizedFor::parse("HighPerformance"), None);
        assert_eq!(OptimizedFor::HighPerformance.to_string(), "High Performance");
    }

    #[test]
    fn config_json_round_trips_and_tolerates_missing_fields() {
        let mut cfg = VmConfig {
            optimized_for: OptimizedFor::HighPerformance,
            cpu: CpuTopology {
                sockets: 2,
                cores: 4,
                threads: 2,
            },
            ..VmConfig::default()
        };
        cfg.cpu_pinning.push(VcpuPin {
            vcpu: 0,
            cpuset: CpuSet::parse("2").unwrap(),
        });
        cfg.huge_pages = Some(HugePages {
            size_kib: 2048,
            count: 512,
        });
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(json["optimized_for"], "high_performance");
        assert_eq!(json["cpu_pinning"][0]["cpuset"], "2");
        assert_eq!(serde_json::from_value::<VmConfig>(json).unwrap(), cfg);

        // Rows written by an older Vireo lack newer fields: they take the defaults.
        let old: VmConfig = serde_json::from_str(r#"{"memory_mib": 2048}"#).unwrap();
        assert_eq!(old.memory_mib, 2048);
        assert_eq!(old.optimized_for, OptimizedFor::Server);
        assert_eq!(cfg.vcpus(), 16);
    }

    #[test]
    fn a_template_made_from_a_vm_drops_its_host_bindings() {
        let host = Uuid::from_u128(7);
        let cpus = |t: &str| CpuSet::parse(t).expect("a valid CPU set");
        let vm = VmConfig {
            optimized_for: OptimizedFor::HighPerformance,
            cpu: CpuTopology {
                sockets: 1,
                cores: 2,
                threads: 1,
            },
            placement_hosts: vec![host],
            migration: MigrationMode::Pinned,
            io_threads: 1,
            cpu_pinning: vec![
                VcpuPin {
                    vcpu: 0,
                    cpuset: cpus("2"),
                },
                VcpuPin {
                    vcpu: 1,
                    cpuset: cpus("3"),
                },
            ],
            emulator_pin: Some(cpus("0")),
            io_thread_pins: vec![IoThreadPin {
                iothread: 1,
                cpuset: cpus("1"),
            }],
            numa_nodes: vec![VNumaNode {
                index: 0,
                cpus: cpus("0-1"),
                memory_mib: 1024,
                host_nodes: vec![0],
            }],
            huge_pages: Some(HugePages {
                size_kib: 2048,
                count: 512,
            }),
            ..VmConfig::default()
        };
        let template = vm.without_host_bindings();
        assert!(template.placement_hosts.is_empty());
        assert!(template.cpu_pinning.is_empty());
        assert_eq!(template.emulator_pin, None);
        assert!(template.io_thread_pins.is_empty());
        assert!(template.claimed_cpus().is_empty());
        assert_eq!(template.numa_nodes.len(), 1, "the guest keeps its vNUMA node");
        assert!(template.numa_nodes[0].host_nodes.is_empty(), "but not the host cell");
        let manual = VmConfig {
            cpu_pinning_policy: CpuPinningPolicy::Manual,
            ..vm.clone()
        };
        assert_eq!(
            manual.without_host_bindings().cpu_pinning_policy,
            CpuPinningPolicy::Dedicated,
            "manual pins become CPUs of its own at each start"
        );
        // Everything else is the VM's.
        let rebound = VmConfig {
            placement_hosts: vm.placement_hosts.clone(),
            cpu_pinning: vm.cpu_pinning.clone(),
            emulator_pin: vm.emulator_pin.clone(),
            io_thread_pins: vm.io_thread_pins.clone(),
            numa_nodes: vm.numa_nodes.clone(),
            ..template
        };
        assert_eq!(rebound, vm);
    }

    #[test]
    fn compat_versions_order_and_parse() {
        assert!(CompatVersion::new(4, 1) < CompatVersion::HIGH_PERFORMANCE);
        assert!(CompatVersion::LATEST >= CompatVersion::HIGH_PERFORMANCE);
        assert_eq!(CompatVersion::parse("4.8"), Some(CompatVersion::LATEST));
        assert_eq!(CompatVersion::parse("4.9"), None);
        assert_eq!(CompatVersion::parse("x"), None);
        assert_eq!(CompatVersion::new(4, 2).to_string(), "4.2");
    }

    #[test]
    fn topology_counts_vcpus_without_overflow() {
        assert_eq!(
            CpuTopology {
                sockets: 2,
                cores: 8,
                threads: 2
            }
            .vcpus(),
            32
        );
        assert_eq!(
            CpuTopology {
                sockets: u32::MAX,
                cores: 2,
                threads: 2
            }
            .vcpus(),
            u32::MAX
        );
        let wraps = CpuTopology {
            sockets: 65_536,
            cores: 65_536,
            threads: 1,
        };
        assert_eq!(wraps.checked_vcpus(), None, "2^32 does not wrap to 0");
        assert_eq!(CpuTopology::default().checked_vcpus(), Some(1));
    }

    #[test]
    fn stored_configurations_keep_their_machine_and_new_ones_are_q35() {
        // A configuration stored before the field existed: libvirt's default (i440fx), not q35.
        let stored: VmConfig = serde_json::from_str(r#"{"memory_mib": 2048}"#).unwrap();
        assert_eq!(stored.machine, MachineType::I440fx);
        assert_eq!(stored.cpu_pinning_policy, CpuPinningPolicy::None);
        assert_eq!(stored.realtime_vcpus, None);
        assert_eq!(VmConfig::default().machine, MachineType::Q35);
        // The guest agent channel every VM already had stays; the RNG they had not stays off.
        assert!(stored.guest_agent && !stored.virtio_rng);
        assert!(VmConfig::default().guest_agent && VmConfig::default().virtio_rng);
        let round: VmConfig = serde_json::from_str(&serde_json::to_string(&VmConfig::default()).unwrap()).unwrap();
        assert_eq!(round, VmConfig::default());
    }
}
