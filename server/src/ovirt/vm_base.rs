//! `VmConfig` as oVirt's `VmBase` (the fields VMs, Templates, a Pool's VM and Instance Types share),
//! both ways: `config_elements` writes it, `BasePatch` reads a request's elements into a partial
//! update (absent = unchanged, empty list = cleared).
//!
//! oVirt has no element for some of Vireo's High Performance settings; they travel in a `<vireo>`
//! element that oVirt clients ignore: `headless`, `invtsc`, `watchdog`, `ksm_enabled`,
//! `emulator_pin`, `io_thread_pins`, `hugepage_count`, `emulator_thread_policy` (share/isolate,
//! under a start-time `cpu_pinning_policy`), `realtime_vcpus` (the real-time mask, empty when off),
//! `guest_agent` (the QEMU guest agent's channel) and `virtio_rng` (also oVirt's `rng_device`, whose
//! only source here is the host's `/dev/urandom`: present when on, absent when off).
//!
//! Units (as the engine): memory in bytes (whole MiB here), huge page size in KiB.

use super::fault::Fault;
use super::href::reference;
use super::read::{Obj, Ref};
use super::xml::El;
use uuid::Uuid;
use vireo_app::domain::cpu_policy::is_start_time;
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::vm_config::{
    CpuPinningPolicy, EmulatorThreadPolicy, HugePages, IoThreadPin, MachineType, MigrationMode, NumaTuneMode,
    OptimizedFor, VcpuPin, VmConfig,
};

const MIB: u64 = 1024 * 1024;

/// Elements of `VmBase` this module reads.
pub const BASE_ELEMENTS: &[&str] = &[
    "console",
    "cpu",
    "cpu_pinning_policy",
    "custom_properties",
    "high_availability",
    "io",
    "memory",
    "memory_policy",
    "multi_queues_enabled",
    "numa_tune_mode",
    "os",
    "placement_policy",
    "rng_device",
    "soundcard_enabled",
    "stateless",
    "type",
    "usb",
    "vireo",
];

/// Elements a GET returns (or clients commonly send at their defaults) that describe nothing Vireo
/// configures: accepted and ignored so an object read can be sent back unchanged.
pub const IGNORED_ELEMENTS: &[&str] = &[
    "actions",
    // Read by `BasePatch` (the chipset) for VMs, templates and pools; instance types ignore it.
    "bios",
    "comment",
    "cpu_profile",
    "cpu_shares",
    "creation_time",
    "delete_protected",
    "display",
    "large_icon",
    "link",
    "migration",
    "migration_downtime",
    "next_run_configuration_exists",
    "origin",
    "quota",
    "small_icon",
    "sso",
    "start_paused",
    "status",
    "storage_error_resume_behaviour",
    "time_zone",
    "tunnel_migration",
];

fn bool_el(name: &str, v: bool) -> El {
    El::leaf(name, v)
}

fn enabled(name: &str, v: bool) -> El {
    El::new(name).child(bool_el("enabled", v))
}

/// The `VmBase` elements of a configuration.
pub fn config_elements(cfg: &VmConfig, arch: &str) -> Vec<El> {
    let memory = cfg.memory_mib * MIB;
    let mut cpu = El::new("cpu").text("architecture", arch);
    if !cfg.cpu_pinning.is_empty() {
        cpu = cpu.child(
            El::new("cpu_tune").child(
                El::new("vcpu_pins").children(
                    cfg.cpu_pinning
                        .iter()
                        .map(|p| El::new("vcpu_pin").text("cpu_set", &p.cpuset).text("vcpu", p.vcpu)),
                ),
            ),
        );
    }
    cpu = cpu
        .text(
            "mode",
            if cfg.cpu_passthrough {
                "host_passthrough"
            } else {
                "custom"
            },
        )
        .child(
            El::new("topology")
                .text("cores", cfg.cpu.cores)
                .text("sockets", cfg.cpu.sockets)
                .text("threads", cfg.cpu.threads),
        );
    let mut custom = El::new("custom_properties");
    if let Some(hp) = cfg.huge_pages {
        custom = custom.child(
            El::new("custom_property")
                .text("name", "hugepages")
                .text("value", hp.size_kib),
        );
    }
    let mut out = vec![
        // The machine as oVirt names chipset and firmware together (SeaBIOS, no boot menu; Vireo
        // names no loader). Clients read `bios.boot_menu.enabled` and `bios.type`.
        El::new("bios").child(enabled("boot_menu", false)).text(
            "type",
            match cfg.machine {
                MachineType::I440fx => "i440fx_sea_bios",
                MachineType::Q35 => "q35_sea_bios",
            },
        ),
        enabled("console", cfg.serial_console),
        cpu,
        El::leaf("cpu_pinning_policy", rest_pinning_policy(cfg).as_str()),
        custom,
    ];
    if !cfg.headless {
        out.push(El::new("display").text("monitors", 1).text("type", "vnc"));
    }
    out.extend([
        El::new("high_availability")
            .child(bool_el("enabled", cfg.high_availability))
            .text("priority", cfg.ha_priority),
        El::new("io").text("threads", cfg.io_threads),
        El::leaf("memory", memory),
        El::new("memory_policy")
            .child(bool_el("ballooning", cfg.memory_balloon))
            .text("guaranteed", memory)
            .text("max", memory),
        El::leaf("numa_tune_mode", cfg.numa_tune_mode.as_str()),
        El::new("os")
            .child(El::new("boot").child(El::new("devices").text("device", "hd")))
            .text("type", &cfg.os_type),
        El::new("placement_policy")
            .text("affinity", cfg.migration.as_str())
            .child(El::new("hosts").children(cfg.placement_hosts.iter().map(|h| reference("host", "hosts", *h)))),
        bool_el("multi_queues_enabled", cfg.multi_queues_enabled),
    ]);
    if cfg.virtio_rng {
        out.push(El::new("rng_device").text("source", "urandom"));
    }
    out.extend([
        bool_el("soundcard_enabled", cfg.soundcard_enabled),
        // No single sign-on through a guest agent: no methods.
        El::new("sso").child(El::new("methods")),
        bool_el("stateless", cfg.stateless),
        El::leaf("type", cfg.optimized_for.as_str()),
        enabled("usb", cfg.usb_enabled),
        vireo_element(cfg),
    ]);
    out
}

/// The policy oVirt clients read: the configuration's, except that pins saved before policies
/// existed (policy `none` with pins) are what oVirt calls `manual`.
pub fn rest_pinning_policy(cfg: &VmConfig) -> CpuPinningPolicy {
    if cfg.cpu_pinning_policy == CpuPinningPolicy::None && !cfg.cpu_pinning.is_empty() {
        CpuPinningPolicy::Manual
    } else {
        cfg.cpu_pinning_policy
    }
}

fn vireo_element(cfg: &VmConfig) -> El {
    El::new("vireo")
        .child(bool_el("headless", cfg.headless))
        .child(bool_el("invtsc", cfg.invtsc))
        .child(bool_el("watchdog", cfg.watchdog))
        .child(bool_el("ksm_enabled", !cfg.ksm_disabled))
        .child(bool_el("guest_agent", cfg.guest_agent))
        .child(bool_el("virtio_rng", cfg.virtio_rng))
        .child(El::leaf(
            "emulator_pin",
            cfg.emulator_pin.as_ref().map(ToString::to_string).unwrap_or_default(),
        ))
        .child(El::new("io_thread_pins").children(cfg.io_thread_pins.iter().map(|p| {
            El::new("io_thread_pin")
                .text("cpu_set", &p.cpuset)
                .text("io_thread", p.iothread)
        })))
        .child_opt(cfg.huge_pages.map(|hp| El::leaf("hugepage_count", hp.count)))
        .child(El::leaf("emulator_thread_policy", cfg.emulator_thread_policy.as_str()))
        // Real-time vCPUs (issue 19): the mask, empty when off.
        .child(El::leaf(
            "realtime_vcpus",
            cfg.realtime_vcpus.as_ref().map(ToString::to_string).unwrap_or_default(),
        ))
}

/// A partial update of a configuration, read from a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasePatch {
    pub optimized_for: Option<OptimizedFor>,
    pub os_type: Option<String>,
    pub memory_mib: Option<u64>,
    pub ballooning: Option<bool>,
    pub sockets: Option<u32>,
    pub cores: Option<u32>,
    pub threads: Option<u32>,
    pub cpu_passthrough: Option<bool>,
    pub vcpu_pins: Option<Vec<VcpuPin>>,
    pub pinning_policy: Option<CpuPinningPolicy>,
    pub io_threads: Option<u32>,
    /// `Some(None)`: huge pages cleared (custom properties sent without `hugepages`).
    pub huge_page_size: Option<Option<u64>>,
    pub serial_console: Option<bool>,
    pub soundcard: Option<bool>,
    pub multi_queues: Option<bool>,
    pub usb: Option<bool>,
    pub migration: Option<MigrationMode>,
    pub placement_hosts: Option<Vec<Ref>>,
    pub high_availability: Option<bool>,
    pub ha_priority: Option<u32>,
    pub numa_tune_mode: Option<NumaTuneMode>,
    pub stateless: Option<bool>,
    pub headless: Option<bool>,
    pub invtsc: Option<bool>,
    pub watchdog: Option<bool>,
    pub ksm_enabled: Option<bool>,
    pub emulator_pin: Option<Option<CpuSet>>,
    pub io_thread_pins: Option<Vec<IoThreadPin>>,
    pub huge_page_count: Option<u64>,
    pub emulator_thread_policy: Option<EmulatorThreadPolicy>,
    /// `Some(None)`: real-time switched off (`<realtime_vcpus/>` sent empty).
    pub realtime_vcpus: Option<Option<CpuSet>>,
    /// The chipset, from oVirt's `bios/type` (`cluster_default`: unchanged).
    pub machine: Option<MachineType>,
    pub guest_agent: Option<bool>,
    /// From `<rng_device>` (on) or `<vireo><virtio_rng>`.
    pub virtio_rng: Option<bool>,
}

fn cpu_set(obj: &Obj, name: &str) -> Result<Option<CpuSet>, Fault> {
    match obj.text(name)? {
        None => Ok(None),
        Some(t) => CpuSet::parse(&t)
            .map(Some)
            .map_err(|e| Fault::invalid(&format!("{}/{name}", obj.path()), format!("'{t}': {e}"))),
    }
}

impl BasePatch {
    /// Reads the `VmBase` elements of `obj` (the caller checks which elements are allowed).
    pub fn read(obj: &Obj) -> Result<Self, Fault> {
        let mut p = BasePatch {
            optimized_for: obj
                .one_of("type", &OptimizedFor::STRS)?
                .and_then(|t| OptimizedFor::parse(&t)),
            stateless: obj.bool("stateless")?,
            soundcard: obj.bool("soundcard_enabled")?,
            multi_queues: obj.bool("multi_queues_enabled")?,
            numa_tune_mode: obj
                .one_of("numa_tune_mode", &NumaTuneMode::STRS)?
                .and_then(|m| NumaTuneMode::parse(&m)),
            // oVirt 4.5's values, all five: the start-time ones pick host CPUs at each start.
            pinning_policy: obj
                .one_of("cpu_pinning_policy", &CpuPinningPolicy::STRS)?
                .and_then(|p| CpuPinningPolicy::parse(&p)),
            ..Self::default()
        };
        if let Some(bytes) = obj.u64("memory")? {
            p.memory_mib = Some(whole_mib(obj, "memory", bytes)?);
        }
        if let Some(mp) = obj.get("memory_policy")? {
            mp.allow(&[
                "ballooning",
                "guaranteed",
                "max",
                "over_commit",
                "transparent_hugepages",
            ])?;
            p.ballooning = mp.bool("ballooning")?;
            // Vireo gives every VM all of its memory: guaranteed and max are read for their types only.
            mp.u64("guaranteed")?;
            mp.u64("max")?;
        }
        if let Some(cpu) = obj.get("cpu")? {
            cpu.allow(&["architecture", "cpu_tune", "mode", "topology", "type"])?;
            if let Some(t) = cpu.get("topology")? {
                t.allow(&["sockets", "cores", "threads"])?;
                p.sockets = t.u32("sockets")?;
                p.cores = t.u32("cores")?;
                p.threads = t.u32("threads")?;
            }
            p.cpu_passthrough = match cpu.one_of("mode", &["custom", "host_model", "host_passthrough"])? {
                None => None,
                Some(m) if m == "host_passthrough" => Some(true),
                Some(m) if m == "custom" => Some(false),
                Some(_) => {
                    return Err(Fault::invalid(
                        &format!("{}/mode", cpu.path()),
                        "host_model is not supported; use host_passthrough or custom",
                    ))
                }
            };
            if let Some(tune) = cpu.get("cpu_tune")? {
                tune.allow(&["vcpu_pins"])?;
                if let Some(pins) = tune.items("vcpu_pins", "vcpu_pin")? {
                    let mut out = Vec::new();
                    for pin in pins {
                        pin.allow(&["vcpu", "cpu_set"])?;
                        let (Some(vcpu), Some(cpuset)) = (pin.u32("vcpu")?, cpu_set(&pin, "cpu_set")?) else {
                            return Err(Fault::invalid(pin.path(), "a vCPU pin needs <vcpu> and <cpu_set>"));
                        };
                        out.push(VcpuPin { vcpu, cpuset });
                    }
                    p.vcpu_pins = Some(out);
                }
            }
        }
        if let Some(io) = obj.get("io")? {
            io.allow(&["threads"])?;
            p.io_threads = io.u32("threads")?;
        }
        if let Some(props) = obj.items("custom_properties", "custom_property")? {
            let mut size = None;
            for prop in props {
                prop.allow(&["name", "value", "regexp"])?;
                match prop.text("name")?.as_deref() {
                    Some("hugepages") => {
                        size = prop.parse::<u64>("value", "a page size in KiB (2048 or 1048576)")?;
                    }
                    Some(other) => {
                        return Err(Fault::invalid(
                            prop.path(),
                            format!("Vireo knows no custom property '{other}'; it supports: hugepages"),
                        ))
                    }
                    None => return Err(Fault::invalid(prop.path(), "a custom property needs a <name>")),
                }
            }
            p.huge_page_size = Some(size);
        }
        for (name, slot) in [
            ("console", &mut p.serial_console),
            ("usb", &mut p.usb),
            ("high_availability", &mut p.high_availability),
        ] {
            if let Some(el) = obj.get(name)? {
                el.allow(&["enabled", "priority", "type"])?;
                *slot = el.bool("enabled")?;
            }
        }
        if let Some(ha) = obj.get("high_availability")? {
            p.ha_priority = ha.u32("priority")?;
        }
        if let Some(os) = obj.get("os")? {
            os.allow(&["type", "boot"])?;
            p.os_type = os.text("type")?;
        }
        if let Some(pp) = obj.get("placement_policy")? {
            pp.allow(&["affinity", "hosts"])?;
            p.migration = pp
                .one_of("affinity", &MigrationMode::STRS)?
                .and_then(|a| MigrationMode::parse(&a));
            if let Some(hosts) = pp.items("hosts", "host")? {
                p.placement_hosts = Some(hosts.iter().map(|h| h.as_reference()).collect::<Result<_, _>>()?);
            }
        }
        // oVirt names chipset and firmware together; Vireo boots SeaBIOS only (no UEFI loader).
        if let Some(bios) = obj.get("bios")? {
            bios.allow(&["boot_menu", "type"])?;
            p.machine = match bios
                .one_of(
                    "type",
                    &[
                        "cluster_default",
                        "i440fx_sea_bios",
                        "q35_sea_bios",
                        "q35_ovmf",
                        "q35_secure_boot",
                    ],
                )?
                .as_deref()
            {
                None | Some("cluster_default") => None,
                Some("i440fx_sea_bios") => Some(MachineType::I440fx),
                Some("q35_sea_bios") => Some(MachineType::Q35),
                Some(_) => {
                    return Err(Fault::invalid(
                        &format!("{}/type", bios.path()),
                        "Vireo boots SeaBIOS only; use q35_sea_bios or i440fx_sea_bios",
                    ))
                }
            };
        }
        if let Some(rng) = obj.get("rng_device")? {
            rng.allow(&["source", "rate"])?;
            if rng.get("rate")?.is_some() {
                return Err(Fault::invalid(
                    &format!("{}/rate", rng.path()),
                    "Vireo sets no rate limit on the random number generator; leave out <rate>",
                ));
            }
            // /dev/random and /dev/urandom are the same pool on the kernels Vireo runs on.
            rng.one_of("source", &["urandom", "random"])?;
            p.virtio_rng = Some(true);
        }
        if let Some(v) = obj.get("vireo")? {
            v.allow(&[
                "guest_agent",
                "virtio_rng",
                "headless",
                "invtsc",
                "watchdog",
                "ksm_enabled",
                "emulator_pin",
                "io_thread_pins",
                "hugepage_count",
                "emulator_thread_policy",
                "realtime_vcpus",
            ])?;
            p.emulator_thread_policy = v
                .one_of("emulator_thread_policy", &EmulatorThreadPolicy::STRS)?
                .and_then(|e| EmulatorThreadPolicy::parse(&e));
            p.headless = v.bool("headless")?;
            p.guest_agent = v.bool("guest_agent")?;
            if let Some(on) = v.bool("virtio_rng")? {
                if p.virtio_rng == Some(true) && !on {
                    return Err(Fault::invalid(
                        &format!("{}/virtio_rng", v.path()),
                        "'false' contradicts the <rng_device> sent with it",
                    ));
                }
                p.virtio_rng = Some(on);
            }
            p.invtsc = v.bool("invtsc")?;
            p.watchdog = v.bool("watchdog")?;
            p.ksm_enabled = v.bool("ksm_enabled")?;
            p.huge_page_count = v.u64("hugepage_count")?;
            if let Some(text) = v.text("emulator_pin")? {
                p.emulator_pin = Some(if text.is_empty() {
                    None
                } else {
                    cpu_set(&v, "emulator_pin")?
                });
            }
            if let Some(text) = v.text("realtime_vcpus")? {
                p.realtime_vcpus = Some(if text.is_empty() {
                    None
                } else {
                    cpu_set(&v, "realtime_vcpus")?
                });
            }
            if let Some(pins) = v.items("io_thread_pins", "io_thread_pin")? {
                let mut out = Vec::new();
                for pin in pins {
                    pin.allow(&["io_thread", "cpu_set"])?;
                    let (Some(iothread), Some(cpuset)) = (pin.u32("io_thread")?, cpu_set(&pin, "cpu_set")?) else {
                        return Err(Fault::invalid(
                            pin.path(),
                            "an IO thread pin needs <io_thread> and <cpu_set>",
                        ));
                    };
                    out.push(IoThreadPin { iothread, cpuset });
                }
                p.io_thread_pins = Some(out);
            }
        }
        if p.pinning_policy == Some(CpuPinningPolicy::None) && p.vcpu_pins.as_ref().is_some_and(|v| !v.is_empty()) {
            return Err(Fault::invalid(
                &format!("{}/cpu_pinning_policy", obj.path()),
                "'none' contradicts the vCPU pins sent with it",
            ));
        }
        Ok(p)
    }

    /// Applies everything but `type` (the profile is applied first by the caller) to `cfg`.
    /// `hosts` are the resolved `placement_hosts`.
    pub fn apply(&self, cfg: &mut VmConfig, hosts: Option<Vec<Uuid>>) {
        macro_rules! set {
            ($($field:ident => $target:expr),* $(,)?) => {
                $(if let Some(v) = self.$field.clone() { $target = v; })*
            };
        }
        set! {
            os_type => cfg.os_type,
            memory_mib => cfg.memory_mib,
            ballooning => cfg.memory_balloon,
            sockets => cfg.cpu.sockets,
            cores => cfg.cpu.cores,
            threads => cfg.cpu.threads,
            cpu_passthrough => cfg.cpu_passthrough,
            vcpu_pins => cfg.cpu_pinning,
            io_threads => cfg.io_threads,
            serial_console => cfg.serial_console,
            soundcard => cfg.soundcard_enabled,
            multi_queues => cfg.multi_queues_enabled,
            usb => cfg.usb_enabled,
            migration => cfg.migration,
            high_availability => cfg.high_availability,
            ha_priority => cfg.ha_priority,
            numa_tune_mode => cfg.numa_tune_mode,
            stateless => cfg.stateless,
            headless => cfg.headless,
            invtsc => cfg.invtsc,
            watchdog => cfg.watchdog,
            emulator_pin => cfg.emulator_pin,
            io_thread_pins => cfg.io_thread_pins,
            emulator_thread_policy => cfg.emulator_thread_policy,
            realtime_vcpus => cfg.realtime_vcpus,
            machine => cfg.machine,
            guest_agent => cfg.guest_agent,
            virtio_rng => cfg.virtio_rng,
        }
        if let Some(on) = self.ksm_enabled {
            cfg.ksm_disabled = !on;
        }
        match self.pinning_policy {
            // Pins sent without a policy are oVirt's manual pinning.
            None if self.vcpu_pins.as_ref().is_some_and(|v| !v.is_empty()) => {
                cfg.cpu_pinning_policy = CpuPinningPolicy::Manual;
            }
            None => {}
            Some(policy) => {
                cfg.cpu_pinning_policy = policy;
                if policy == CpuPinningPolicy::None {
                    cfg.cpu_pinning.clear();
                }
                // A start-time policy chooses the pins at each start: saved ones the request does
                // not send go (ones it sends stay, for validation to refuse by name).
                if is_start_time(policy) {
                    if self.vcpu_pins.is_none() {
                        cfg.cpu_pinning.clear();
                    }
                    if self.emulator_pin.is_none() {
                        cfg.emulator_pin = None;
                    }
                    if self.io_thread_pins.is_none() {
                        cfg.io_thread_pins.clear();
                    }
                    for node in &mut cfg.numa_nodes {
                        node.host_nodes.clear();
                    }
                }
            }
        }
        if let Some(hosts) = hosts {
            cfg.placement_hosts = hosts;
        }
        if let Some(size) = self.huge_page_size {
            cfg.huge_pages = size.map(|size_kib| HugePages { size_kib, count: 0 });
        }
        // The page count follows the memory unless the request sets it (validation checks it).
        if let Some(hp) = cfg.huge_pages.as_mut() {
            hp.count = self
                .huge_page_count
                .unwrap_or_else(|| (cfg.memory_mib * 1024).checked_div(hp.size_kib).unwrap_or(0));
        }
    }

    /// Whether the request chose a CPU pinning policy itself.
    pub fn sets_pinning_policy(&self) -> bool {
        self.pinning_policy.is_some()
    }
}

fn whole_mib(obj: &Obj, name: &str, bytes: u64) -> Result<u64, Fault> {
    if bytes == 0 || !bytes.is_multiple_of(MIB) {
        return Err(Fault::invalid(
            &format!("{}/{name}", obj.path()),
            format!("{bytes} bytes is not a whole number of MiB (at least 1 MiB)"),
        ));
    }
    Ok(bytes / MIB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovirt::xml::parse;

    fn patch(xml: &str) -> Result<BasePatch, Fault> {
        let node = parse(xml).unwrap();
        let obj = Obj::root(&node, "vm").unwrap();
        BasePatch::read(&obj)
    }

    #[test]
    fn reads_the_sdk_add_request_fields() {
        let p = patch(include_str!(
            "../../tests/fixtures/ovirt-wire-samples/vm_add_request.xml"
        ))
        .unwrap();
        assert_eq!(p.optimized_for, Some(OptimizedFor::HighPerformance));
        assert_eq!(p.memory_mib, Some(4096));
        assert_eq!(p.ballooning, Some(false));
        assert_eq!((p.sockets, p.cores, p.threads), (Some(1), Some(4), Some(1)));
        assert_eq!(p.cpu_passthrough, Some(true));
        assert_eq!(p.vcpu_pins.as_ref().unwrap().len(), 4);
        assert_eq!(p.vcpu_pins.as_ref().unwrap()[1].cpuset, CpuSet::single(3));
        assert_eq!(p.huge_page_size, Some(Some(1_048_576)));
        assert_eq!(p.io_threads, Some(1));
        assert_eq!(p.serial_console, Some(true));
        assert_eq!(
            (p.usb, p.soundcard, p.high_availability),
            (Some(false), Some(false), Some(false))
        );
        assert_eq!(p.migration, Some(MigrationMode::Pinned));
        assert_eq!(p.placement_hosts, Some(vec![Ref::Name("host1".into())]));
        assert_eq!(p.os_type.as_deref(), Some("rhel_8x64"));
    }

    #[test]
    fn absent_means_unchanged_and_empty_means_cleared() {
        let mut cfg = VmConfig {
            cpu_pinning: vec![VcpuPin {
                vcpu: 0,
                cpuset: CpuSet::single(2),
            }],
            huge_pages: Some(HugePages {
                size_kib: 2048,
                count: 512,
            }),
            ..VmConfig::default()
        };
        let before = cfg.clone();
        patch("<vm><description>x</description></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg, before);
        patch("<vm><cpu><cpu_tune><vcpu_pins/></cpu_tune></cpu><custom_properties/></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert!(cfg.cpu_pinning.is_empty());
        assert_eq!(cfg.huge_pages, None);
    }

    #[test]
    fn huge_page_count_follows_memory() {
        let mut cfg = VmConfig::default();
        patch("<vm><memory>2147483648</memory><custom_properties><custom_property><name>hugepages</name><value>2048</value></custom_property></custom_properties></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(
            cfg.huge_pages,
            Some(HugePages {
                size_kib: 2048,
                count: 1024
            })
        );
        patch("<vm><memory>4294967296</memory></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.huge_pages.unwrap().count, 2048);
    }

    #[test]
    fn vireo_extensions_round_trip() {
        let cfg = VmConfig {
            headless: true,
            ksm_disabled: true,
            emulator_pin: Some(CpuSet::single(0)),
            io_thread_pins: vec![IoThreadPin {
                iothread: 1,
                cpuset: CpuSet::single(5),
            }],
            io_threads: 1,
            huge_pages: Some(HugePages {
                size_kib: 2048,
                count: 512,
            }),
            realtime_vcpus: Some(CpuSet::from_ids([1, 2, 3])),
            guest_agent: false,
            virtio_rng: false,
            ..VmConfig::default()
        };
        let doc = El::new("vm").children(config_elements(&cfg, "x86_64"));
        let text = String::from_utf8(doc.to_document()).unwrap();
        let mut back = VmConfig::default();
        patch(&text).unwrap().apply(&mut back, Some(vec![]));
        back.optimized_for = cfg.optimized_for;
        assert_eq!(back, cfg);
    }

    #[test]
    fn the_random_number_generator_is_ovirts_rng_device_and_the_agent_is_vireos() {
        let written = |cfg: &VmConfig| {
            let text = String::from_utf8(El::new("vm").children(config_elements(cfg, "x86_64")).to_document()).unwrap();
            crate::ovirt::xml::parse(&text).unwrap()
        };
        let on = written(&VmConfig::default());
        let source = on.child("rng_device").and_then(|r| r.child("source"));
        assert_eq!(source.map(|s| s.text.as_str()), Some("urandom"));
        let agent = on.child("vireo").and_then(|v| v.child("guest_agent"));
        assert_eq!(agent.map(|a| a.text.as_str()), Some("true"));
        let off = VmConfig {
            virtio_rng: false,
            ..VmConfig::default()
        };
        assert!(written(&off).child("rng_device").is_none(), "absent when off");

        let mut cfg = off.clone();
        patch("<vm><rng_device><source>urandom</source></rng_device></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert!(cfg.virtio_rng);
        patch("<vm><vireo><virtio_rng>false</virtio_rng><guest_agent>false</guest_agent></vireo></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert!(!cfg.virtio_rng && !cfg.guest_agent);
        assert!(patch("<vm><rng_device><source>hwrng</source></rng_device></vm>").is_err());
        assert!(patch("<vm><rng_device><rate><bytes>10</bytes></rate></rng_device></vm>").is_err());
        assert!(
            patch("<vm><rng_device/><vireo><virtio_rng>false</virtio_rng></vireo></vm>").is_err(),
            "contradiction"
        );
    }

    #[test]
    fn the_real_time_mask_travels_in_vireo_and_empty_switches_it_off() {
        let on = patch("<vm><vireo><realtime_vcpus>1-3</realtime_vcpus></vireo></vm>").unwrap();
        assert_eq!(on.realtime_vcpus, Some(Some(CpuSet::from_ids([1, 2, 3]))));
        let mut cfg = VmConfig::default();
        on.apply(&mut cfg, None);
        assert_eq!(
            cfg.realtime_vcpus.as_ref().map(ToString::to_string).as_deref(),
            Some("1-3")
        );
        // Absent: unchanged; empty: off.
        patch("<vm><vireo/></vm>").unwrap().apply(&mut cfg, None);
        assert!(cfg.realtime_vcpus.is_some());
        patch("<vm><vireo><realtime_vcpus/></vireo></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.realtime_vcpus, None);
        let e = patch("<vm><vireo><realtime_vcpus>3-1</realtime_vcpus></vireo></vm>").unwrap_err();
        assert_eq!(e.fields[0].field, "vm/vireo/realtime_vcpus");
        // Written back: the mask, or empty when off; the chipset as oVirt's bios type.
        let text = |cfg: &VmConfig| {
            String::from_utf8(El::new("vm").children(config_elements(cfg, "x86_64")).to_document()).unwrap()
        };
        assert!(text(&cfg).contains("<realtime_vcpus></realtime_vcpus>") || text(&cfg).contains("<realtime_vcpus/>"));
        assert!(text(&VmConfig::default()).contains("<type>q35_sea_bios</type>"));
        let legacy = VmConfig {
            machine: MachineType::I440fx,
            ..VmConfig::default()
        };
        assert!(text(&legacy).contains("<type>i440fx_sea_bios</type>"));
        // And read back: a GET sent back unchanged keeps the machine; cluster_default changes nothing.
        let mut cfg = legacy.clone();
        patch(&text(&legacy)).unwrap().apply(&mut cfg, None);
        assert_eq!(cfg.machine, MachineType::I440fx);
        patch("<vm><bios><type>q35_sea_bios</type></bios></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.machine, MachineType::Q35);
        patch("<vm><bios><type>cluster_default</type></bios></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.machine, MachineType::Q35);
        let e = patch("<vm><bios><type>q35_ovmf</type></bios></vm>").unwrap_err();
        assert!(e.detail.contains("SeaBIOS only"), "{}", e.detail);
    }

    #[test]
    fn wrong_types_and_unknown_elements_name_their_path() {
        let e = patch("<vm><memory>lots</memory></vm>").unwrap_err();
        assert_eq!(e.fields[0].field, "vm/memory");
        let e = patch("<vm><memory>1000</memory></vm>").unwrap_err();
        assert!(e.detail.contains("whole number of MiB"));
        let e = patch("<vm><cpu><topology><cores>x</cores></topology></cpu></vm>").unwrap_err();
        assert_eq!(e.fields[0].field, "vm/cpu/topology/cores");
        let e = patch("<vm><cpu><bogus/></cpu></vm>").unwrap_err();
        assert_eq!(e.fields[0].field, "vm/cpu/bogus");
        let e = patch("<vm><usb><enabled>maybe</enabled></usb></vm>").unwrap_err();
        assert!(e.detail.contains("not true or false"));
        let e = patch("<vm><type>gaming</type></vm>").unwrap_err();
        assert!(e.detail.contains("high_performance"));
        let e = patch("<vm><cpu><cpu_tune><vcpu_pins><vcpu_pin><vcpu>0</vcpu><cpu_set>0-99999</cpu_set></vcpu_pin></vcpu_pins></cpu_tune></cpu></vm>").unwrap_err();
        assert!(e.detail.contains("largest supported"), "{}", e.detail);
        let e = patch("<vm><custom_properties><custom_property><name>sndbuf</name><value>0</value></custom_property></custom_properties></vm>").unwrap_err();
        assert!(e.detail.contains("no custom property 'sndbuf'"));
        let e = patch("<vm><cpu_pinning_policy>none</cpu_pinning_policy><cpu><cpu_tune><vcpu_pins><vcpu_pin><vcpu>0</vcpu><cpu_set>1</cpu_set></vcpu_pin></vcpu_pins></cpu_tune></cpu></vm>").unwrap_err();
        assert!(e.detail.contains("contradicts"));
        let e = patch("<vm><cpu_pinning_policy>pinned</cpu_pinning_policy></vm>").unwrap_err();
        assert!(e.detail.contains("isolate_threads"), "{}", e.detail);
    }

    #[test]
    fn cpu_pinning_policies_read_and_write_as_ovirt_45() {
        for policy in CpuPinningPolicy::ALL {
            let mut cfg = VmConfig::default();
            patch(&format!(
                "<vm><cpu_pinning_policy>{}</cpu_pinning_policy></vm>",
                policy.as_str()
            ))
            .unwrap()
            .apply(&mut cfg, None);
            assert_eq!(cfg.cpu_pinning_policy, policy);
            let els = config_elements(&cfg, "x86_64");
            let written = els.iter().find(|e| e.name() == "cpu_pinning_policy").unwrap();
            let doc = El::new("vm").child(written.clone());
            let text = String::from_utf8(doc.to_document()).unwrap();
            assert!(text.contains(&format!(">{}<", policy.as_str())), "{text}");
        }
        // Pins without a policy are manual pinning; a start-time policy drops saved pins.
        let mut cfg = VmConfig::default();
        patch("<vm><cpu><cpu_tune><vcpu_pins><vcpu_pin><vcpu>0</vcpu><cpu_set>1</cpu_set></vcpu_pin></vcpu_pins></cpu_tune></cpu></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.cpu_pinning_policy, CpuPinningPolicy::Manual);
        cfg.emulator_pin = Some(CpuSet::single(0));
        patch("<vm><cpu_pinning_policy>dedicated</cpu_pinning_policy></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.cpu_pinning_policy, CpuPinningPolicy::Dedicated);
        assert!(cfg.cpu_pinning.is_empty() && cfg.emulator_pin.is_none());
        // Legacy pins (saved before policies) read as manual.
        let legacy = VmConfig {
            cpu_pinning: vec![VcpuPin {
                vcpu: 0,
                cpuset: CpuSet::single(2),
            }],
            ..VmConfig::default()
        };
        assert_eq!(rest_pinning_policy(&legacy), CpuPinningPolicy::Manual);
        let mut cfg = VmConfig::default();
        patch("<vm><vireo><emulator_thread_policy>isolate</emulator_thread_policy></vireo></vm>")
            .unwrap()
            .apply(&mut cfg, None);
        assert_eq!(cfg.emulator_thread_policy, EmulatorThreadPolicy::Isolate);
        assert!(patch("<vm><vireo><emulator_thread_policy>own</emulator_thread_policy></vireo></vm>").is_err());
    }
}
