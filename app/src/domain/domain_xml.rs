//! `VmConfig` → libvirt domain XML, written with quick-xml's writer: every name,
//! description and value is escaped by the writer, never concatenated into markup.
//!
//! Mapping of the High Performance profile: A1 no `<graphics>` and `<video><model type='none'/>`;
//! A2 `<serial>` + `<console>` and, on x86, `<os><bios useserial='yes'/>` (the firmware's output on
//! the serial console too); A3 `<controller type='usb' model='none'/>`; A4 no `<sound>`; A5
//! `<cpu mode='host-passthrough'>`; A7 `<feature policy='require' name='invtsc'/>`; A8
//! `<iothreads>`; A9 `<memballoon model='none'/>`; A11 no `<watchdog>`; R1 `<cputune>` vcpupin +
//! emulatorpin; R2 iothreadpin; R3 `<numatune>` + `<cpu><numa>`; R4 `<nosharepages/>`; R5
//! `<hugepages><page/>`; A12 `<disk><driver cache='none' io='native'>`; A13 a virtio-blk disk's
//! `<driver iothread>`, a virtio-scsi disk's controller `<driver iothread>` (one controller per IO
//! thread); R6 the bus (`<target bus='virtio'|'scsi'>`, not `sata`) and the same driver attributes.
//! High Performance virtio-scsi controllers also get `<driver queues>` = vCPUs (at most 16). A10
//! (HA) is Vireo's own restart, not XML.
//!
//! Disks: `<disk type='file' device='disk'>` per attachment, in `VmConfig.disks` order, with its
//! volume path and format, `<serial>` from the disk id, `<readonly/>`; the CD-ROM is a read-only
//! SATA `device='cdrom'`. With a disk or CD-ROM, the boot sequence is per-device `<boot order>`.
//!
//! NICs: `<interface>` per plugged NIC, in `VmConfig.nics` order, after the storage devices:
//! `type='network'`/`'bridge'` with its `<source>` (an unconnected NIC, oVirt's "Empty" profile, is
//! `type='user'` with its link forced down), `<mac>`, `<model>`, `<filterref>` from the vNIC
//! profile and `<link state>`. A14 (virtio NICs, multiqueue on) and R7 (no emulated NIC model)
//! show as a virtio NIC's `<driver queues=N>` with N = vCPUs (at most 16), written when the VM
//! has multiqueue on and the profile allows it. The backend is left to libvirt, which takes the
//! in-kernel vhost-net wherever the host has `/dev/vhost-net`: naming `vhost` outright makes a start
//! fail on a host without it ("vhost-net was requested for an interface, but is unavailable", seen
//! under KVM in a container), for no gain where it exists. Every VM gets the QEMU guest agent's
//! `<channel>` (guest addresses).
//!
//! Consoles: the serial console is a `pty` (`<serial>` + `<console>`), which Vireo reaches through
//! `virDomainOpenConsole`. The graphical console is VNC listening on a UNIX socket on the host
//! (`<graphics type='vnc'><listen type='socket'/></graphics>`): libvirt picks the socket's path under
//! its own run directory, no TCP port is opened on the host (so no port range to firewall and nothing
//! a neighbour on the host's network can reach), and Vireo gets a connected descriptor from libvirt
//! with `virDomainOpenGraphicsFD`, which it bridges to noVNC or to the REST API's one-time relay.

use super::cpu_set::CpuSet;
use super::network::{nic_queues, MacAddress, Nic, NicModel, NETWORK_FILTERS};
use super::storage::{BootDevice, DiskAttachment, DiskCache, DiskFormat, DiskInterface, DiskIo, MAX_SCSI_QUEUES};
use super::vm_config::{MachineType, OptimizedFor, VmConfig};
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io;
use uuid::Uuid;

/// Vireo's namespace for its `<metadata>` element.
pub const METADATA_NS: &str = "https://vireo.dev/xmlns/domain/1.0";

/// The virtio-serial port name the QEMU guest agent listens on.
pub const GUEST_AGENT_CHANNEL: &str = "org.qemu.guest_agent.0";

#[derive(Clone, Debug)]
pub struct DomainSpec<'a> {
    /// Vireo's VM id, used as the domain UUID.
    pub uuid: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub config: &'a VmConfig,
    /// `kvm`, `qemu` or `test`, from the host's driver.
    pub domain_type: &'a str,
    /// The host's architecture (`x86_64`).
    pub arch: &'a str,
    /// CPU features to disable under host-passthrough on this host (per-host quirk list; e.g.
    /// `arch-capabilities`, which some nested-virtualisation hosts cannot pass through).
    pub disabled_cpu_features: &'a [String],
    /// The attached disks, in the order of `config.disks` (that order names them: `vda`, `vdb`, …).
    pub disks: &'a [DiskDevice],
    /// The ISO image in the CD-ROM drive (`config.cdrom`'s volume path), if any.
    pub cdrom_path: Option<&'a str>,
    /// The NICs, in the order of `config.nics` (each resolved to what backs it on this host).
    pub nics: &'a [NicDevice],
}

/// One NIC as the domain needs it: the VM's NIC (`VmConfig.nics`' entry) with what its vNIC
/// profile resolves to on the host the VM starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NicDevice {
    pub nic: Nic,
    pub source: NicSource,
    /// The profile's libvirt nwfilter (one of `network::NETWORK_FILTERS`).
    pub network_filter: Option<String>,
    /// The profile allows multiqueue (queues are written when the VM also has it on).
    pub multiqueue: bool,
}

/// What a NIC connects to on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NicSource {
    /// `<interface type='network'><source network=…>`.
    Network(String),
    /// `<interface type='bridge'><source bridge=…>`.
    Bridge(String),
    /// oVirt's "Empty" profile: the device is there, connected to nothing, its link down.
    Unconnected,
}

/// One attached disk as the domain needs it: where its volume is on the host and its format (from
/// the `disks` table), and how it is attached (`VmConfig.disks`' entry for it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskDevice {
    pub path: String,
    pub format: DiskFormat,
    pub attachment: DiskAttachment,
}

/// SATA ports per AHCI controller (q35's built-in one has six; libvirt adds more as addressed).
const SATA_UNITS: usize = 6;

/// libvirt's target name for the `index`th device with this prefix: `vda` … `vdz`, `vdaa`, ….
fn drive_name(prefix: &str, index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    letters.reverse();
    format!("{prefix}{}", letters.into_iter().collect::<String>())
}

/// What the guest sees as the disk's serial (`/dev/disk/by-id/virtio-…`): the disk id's first 20
/// hex digits, the most a virtio-blk serial holds.
fn disk_serial(attachment: &DiskAttachment) -> String {
    attachment.disk_id.simple().to_string().chars().take(20).collect()
}

/// The boot order: per device (`<boot order>`) when a disk or the CD-ROM is there to carry it,
/// following `config.boot_devices` (the disk is the bootable one, else the first). libvirt
/// refuses per-device orders next to `<os><boot>`, so `<os><boot dev='hd'/>` is kept only for a
/// VM where no device got an order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BootPlan {
    /// (index into `spec.disks`, order)
    disk: Option<(usize, u32)>,
    cdrom: Option<u32>,
}

impl BootPlan {
    fn new(spec: &DomainSpec) -> Self {
        let boot_disk = spec
            .disks
            .iter()
            .position(|d| d.attachment.bootable)
            .or((!spec.disks.is_empty()).then_some(0));
        let mut plan = Self::default();
        let mut next = 1;
        for device in &spec.config.boot_devices {
            match device {
                BootDevice::Hd => {
                    if let (Some(index), None) = (boot_disk, plan.disk) {
                        plan.disk = Some((index, next));
                        next += 1;
                    }
                }
                BootDevice::Cdrom => {
                    if spec.cdrom_path.is_some() && plan.cdrom.is_none() {
                        plan.cdrom = Some(next);
                        next += 1;
                    }
                }
            }
        }
        plan
    }

    fn per_device(&self) -> bool {
        self.disk.is_some() || self.cdrom.is_some()
    }

    fn disk_order(&self, index: usize) -> Option<u32> {
        self.disk.filter(|(i, _)| *i == index).map(|(_, order)| order)
    }
}

/// XML 1.0 cannot carry most control characters even escaped; drop them (descriptions are checked
/// on input too, this keeps the builder total).
fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{FFFE}' && *c != '\u{FFFF}'))
        .collect()
}

fn empty(w: &mut Writer<Vec<u8>>, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_empty()
        .map(|_| ())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, attrs: &[(&str, &str)], value: &str) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_text_content(BytesText::new(&xml_safe(value)))
        .map(|_| ())
}

pub fn domain_xml(spec: &DomainSpec) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = write_domain(&mut w, spec);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_domain(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let c = spec.config;
    // Built only from validated configurations (memory ≤ 4 TiB, so no overflow); saturating anyway
    // so that a value that slipped past can never wrap into a tiny one (pentest row 12 started a
    // VM with memory="0").
    debug_assert!(c.memory_mib <= super::validation::MAX_MEMORY_MIB, "unvalidated memory");
    let memory_kib = c.memory_mib.saturating_mul(1024).to_string();
    let uuid = spec.uuid.to_string();
    w.create_element("domain")
        .with_attribute(("type", spec.domain_type))
        .write_inner_content(|w| {
            text(w, "name", &[], spec.name)?;
            text(w, "uuid", &[], &uuid)?;
            if !spec.description.is_empty() {
                text(w, "description", &[], spec.description)?;
            }
            w.create_element("metadata").write_inner_content(|w| {
                w.create_element("vireo:vm")
                    .with_attribute(("xmlns:vireo", METADATA_NS))
                    .write_inner_content(|w| {
                        text(w, "vireo:optimized-for", &[], c.optimized_for.as_str())?;
                        text(
                            w,
                            "vireo:high-availability",
                            &[],
                            if c.high_availability { "on" } else { "off" },
                        )
                    })?;
                Ok(())
            })?;
            text(w, "memory", &[("unit", "KiB")], &memory_kib)?;
            text(w, "currentMemory", &[("unit", "KiB")], &memory_kib)?;
            let realtime = realtime_vcpus(c);
            if c.huge_pages.is_some() || c.ksm_disabled || realtime.is_some() {
                w.create_element("memoryBacking").write_inner_content(|w| {
                    if let Some(hp) = c.huge_pages {
                        w.create_element("hugepages").write_inner_content(|w| {
                            empty(w, "page", &[("size", &hp.size_kib.to_string()), ("unit", "KiB")])
                        })?;
                    }
                    if c.ksm_disabled {
                        empty(w, "nosharepages", &[])?;
                    }
                    // Real-time vCPUs: the guest's memory is never swapped out, so a SCHED_FIFO
                    // vCPU never waits on a page fault to the host's swap.
                    if realtime.is_some() {
                        empty(w, "locked", &[])?;
                    }
                    Ok(())
                })?;
            }
            text(w, "vcpu", &[("placement", "static")], &c.vcpus().to_string())?;
            if c.io_threads > 0 {
                text(w, "iothreads", &[], &c.io_threads.to_string())?;
            }
            if !c.cpu_pinning.is_empty()
                || c.emulator_pin.is_some()
                || !c.io_thread_pins.is_empty()
                || realtime.is_some()
            {
                w.create_element("cputune").write_inner_content(|w| {
                    for pin in &c.cpu_pinning {
                        empty(
                            w,
                            "vcpupin",
                            &[("vcpu", &pin.vcpu.to_string()), ("cpuset", &pin.cpuset.to_string())],
                        )?;
                    }
                    if let Some(e) = &c.emulator_pin {
                        empty(w, "emulatorpin", &[("cpuset", &e.to_string())])?;
                    }
                    for pin in &c.io_thread_pins {
                        empty(
                            w,
                            "iothreadpin",
                            &[
                                ("iothread", &pin.iothread.to_string()),
                                ("cpuset", &pin.cpuset.to_string()),
                            ],
                        )?;
                    }
                    // Priority 1, as Nova and KubeVirt use: above every normal thread, below the
                    // host kernel's own real-time threads (which must keep running).
                    if let Some(vcpus) = &realtime {
                        empty(
                            w,
                            "vcpusched",
                            &[("vcpus", vcpus), ("scheduler", "fifo"), ("priority", "1")],
                        )?;
                    }
                    Ok(())
                })?;
            }
            let pinned_nodes: Vec<_> = c.numa_nodes.iter().filter(|n| !n.host_nodes.is_empty()).collect();
            if !pinned_nodes.is_empty() {
                let mode = c.numa_tune_mode.as_str();
                let mut all: Vec<u32> = pinned_nodes.iter().flat_map(|n| n.host_nodes.iter().copied()).collect();
                all.sort_unstable();
                all.dedup();
                let join = |v: &[u32]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",");
                w.create_element("numatune").write_inner_content(|w| {
                    empty(w, "memory", &[("mode", mode), ("nodeset", &join(&all))])?;
                    for n in &pinned_nodes {
                        empty(
                            w,
                            "memnode",
                            &[
                                ("cellid", &n.index.to_string()),
                                ("mode", mode),
                                ("nodeset", &join(&n.host_nodes)),
                            ],
                        )?;
                    }
                    Ok(())
                })?;
            }
            let boot = BootPlan::new(spec);
            w.create_element("os").write_inner_content(|w| {
                // pc and q35 are x86 machines; elsewhere the hypervisor's default stays.
                if x86(spec) {
                    text(
                        w,
                        "type",
                        &[("arch", spec.arch), ("machine", c.machine.as_str())],
                        "hvm",
                    )?;
                } else {
                    text(w, "type", &[("arch", spec.arch)], "hvm")?;
                }
                if !boot.per_device() {
                    empty(w, "boot", &[("dev", "hd")])?;
                }
                if firmware_to_serial(spec) {
                    empty(w, "bios", &[("useserial", "yes")])?;
                }
                Ok(())
            })?;
            w.create_element("features").write_inner_content(|w| {
                empty(w, "acpi", &[])?;
                empty(w, "apic", &[])
            })?;
            write_cpu(w, spec)?;
            write_clock(w, spec)?;
            text(w, "on_poweroff", &[], "destroy")?;
            text(w, "on_reboot", &[], "restart")?;
            // A crashed VM stops; Vireo's HA monitor restarts it (so it can also record why).
            text(w, "on_crash", &[], "destroy")?;
            // No guest-initiated S3/S4 (as virt-install writes): a suspended server guest looks
            // like a hung one to Vireo's monitor, and resuming it needs a wake-up Vireo never sends.
            w.create_element("pm").write_inner_content(|w| {
                empty(w, "suspend-to-mem", &[("enabled", "no")])?;
                empty(w, "suspend-to-disk", &[("enabled", "no")])
            })?;
            write_devices(w, spec, boot)?;
            Ok(())
        })?;
    Ok(())
}

/// SeaBIOS's output copied to the serial port: a VM with a serial console (A2) shows its boot
/// messages there before the guest's getty. x86 only (SeaBIOS is x86's BIOS; libvirt refuses the
/// element elsewhere), and only with the `<serial>` device libvirt requires for it.
fn firmware_to_serial(spec: &DomainSpec) -> bool {
    spec.config.serial_console && x86(spec)
}

/// The real-time mask as libvirt's `vcpus` attribute, when it names at least one of the VM's
/// vCPUs. Built only from validated configurations (the rules keep a housekeeping vCPU out and the
/// mask within the VM); vCPUs past the VM's count are dropped anyway, so the XML never names a
/// vCPU the domain lacks.
fn realtime_vcpus(c: &VmConfig) -> Option<String> {
    let mask = c.realtime_vcpus.as_ref()?;
    let vcpus = c.vcpus();
    let inside = CpuSet::from_ids(mask.ids().filter(|v| *v < vcpus));
    (!inside.is_empty()).then(|| inside.to_string())
}

fn x86(spec: &DomainSpec) -> bool {
    matches!(spec.arch, "x86_64" | "i686")
}

/// UTC, with the x86 timers `virt-install` writes for a KVM guest: the RTC catches up on ticks
/// lost while the vCPU was descheduled (the guest's wall clock stays right), the PIT delivers
/// late ticks late instead of in a burst, and no HPET (guests use the kvm-clock; an emulated
/// HPET only costs exits).
fn write_clock(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let clock = w.create_element("clock").with_attribute(("offset", "utc"));
    if !x86(spec) {
        clock.write_empty()?;
        return Ok(());
    }
    clock.write_inner_content(|w| {
        empty(w, "timer", &[("name", "rtc"), ("tickpolicy", "catchup")])?;
        empty(w, "timer", &[("name", "pit"), ("tickpolicy", "delay")])?;
        empty(w, "timer", &[("name", "hpet"), ("present", "no")])
    })?;
    Ok(())
}

/// Hot-plug room on q35: free PCIe root ports beyond those the cold-plugged devices take. PCIe
/// has no hot-pluggable root bus (i440fx's PCI bus has), so a device plugged into a running q35
/// VM needs an empty root port; `virt-install` writes 14 ports for a guest with a handful of
/// devices, which leaves about this many free.
pub const FREE_ROOT_PORTS: usize = 8;

/// The devices libvirt puts on a root port of their own on q35 (PCIe endpoints: virtio devices,
/// the xHCI controller, e1000e; a conventional PCI device it puts behind a bridge instead, and
/// counting one here only leaves one more port free).
fn root_port_devices(spec: &DomainSpec) -> usize {
    let c = spec.config;
    let virtio_blk = spec
        .disks
        .iter()
        .filter(|d| d.attachment.interface == DiskInterface::Virtio)
        .count();
    let mut scsi_threads: Vec<Option<u32>> = spec
        .disks
        .iter()
        .filter(|d| d.attachment.interface == DiskInterface::VirtioScsi)
        .map(|d| d.attachment.iothread)
        .collect();
    scsi_threads.sort_unstable();
    scsi_threads.dedup();
    let nics = spec.nics.iter().filter(|d| d.nic.plugged).count();
    let flags = [c.usb_enabled, c.guest_agent, c.memory_balloon, c.virtio_rng];
    virtio_blk + scsi_threads.len() + nics + flags.into_iter().filter(|on| *on).count()
}

/// q35's PCI Express root and its root ports, numbered 1… (libvirt places the ports, eight to a
/// multifunction slot, and plugs each cold-plugged endpoint into the next free one).
fn write_pcie_controllers(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    empty(
        w,
        "controller",
        &[("type", "pci"), ("index", "0"), ("model", "pcie-root")],
    )?;
    for index in 1..=root_port_devices(spec) + FREE_ROOT_PORTS {
        empty(
            w,
            "controller",
            &[
                ("type", "pci"),
                ("index", &index.to_string()),
                ("model", "pcie-root-port"),
            ],
        )?;
    }
    Ok(())
}

fn write_cpu(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let c = spec.config;
    let mut el = w.create_element("cpu");
    el = if c.cpu_passthrough {
        el.with_attributes([("mode", "host-passthrough"), ("check", "none"), ("migratable", "off")])
    } else {
        el.with_attribute(("mode", "host-model"))
    };
    el.write_inner_content(|w| {
        empty(
            w,
            "topology",
            &[
                ("sockets", &c.cpu.sockets.to_string()),
                ("dies", "1"),
                ("cores", &c.cpu.cores.to_string()),
                ("threads", &c.cpu.threads.to_string()),
            ],
        )?;
        if c.invtsc {
            empty(w, "feature", &[("policy", "require"), ("name", "invtsc")])?;
        }
        if c.cpu_passthrough {
            for feature in spec.disabled_cpu_features {
                empty(w, "feature", &[("policy", "disable"), ("name", feature)])?;
            }
        }
        if !c.numa_nodes.is_empty() {
            w.create_element("numa").write_inner_content(|w| {
                for n in &c.numa_nodes {
                    empty(
                        w,
                        "cell",
                        &[
                            ("id", &n.index.to_string()),
                            ("cpus", &n.cpus.to_string()),
                            ("memory", &n.memory_mib.saturating_mul(1024).to_string()),
                            ("unit", "KiB"),
                        ],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The disks, the CD-ROM and the virtio-scsi controllers they need.
///
/// virtio-blk disks are `vdX` with their IO thread on `<driver iothread>`. virtio-scsi disks are
/// served by their controller's IO thread, so each IO thread the SCSI disks use gets a controller
/// of its own (in order of first use) and each disk an explicit address on it; SATA disks and the
/// CD-ROM get explicit AHCI addresses. SCSI and SATA share the `sdX` names, and libvirt would
/// otherwise derive addresses from those names (a second controller of its own choosing from the
/// 16th name on).
fn write_storage(w: &mut Writer<Vec<u8>>, spec: &DomainSpec, boot: BootPlan) -> io::Result<()> {
    let c = spec.config;
    let mut scsi_controllers: Vec<(Option<u32>, usize)> = Vec::new();
    let (mut vd, mut sd, mut sata) = (0usize, 0usize, 0usize);
    let mut sata_address = || {
        let n = sata;
        sata += 1;
        ((n / SATA_UNITS).to_string(), (n % SATA_UNITS).to_string())
    };
    for (index, disk) in spec.disks.iter().enumerate() {
        let a = &disk.attachment;
        let (dev, bus, address) = match a.interface {
            DiskInterface::Virtio => {
                vd += 1;
                (drive_name("vd", vd - 1), "virtio", None)
            }
            DiskInterface::VirtioScsi => {
                let k = match scsi_controllers.iter().position(|(t, _)| *t == a.iothread) {
                    Some(k) => k,
                    None => {
                        scsi_controllers.push((a.iothread, 0));
                        scsi_controllers.len() - 1
                    }
                };
                let unit = &mut scsi_controllers[k].1;
                // Unit 7 is the controller's own on a wide SCSI bus; libvirt skips it too.
                let mut u = *unit;
                if u >= 7 {
                    u += 1;
                }
                *unit += 1;
                sd += 1;
                (drive_name("sd", sd - 1), "scsi", Some((k.to_string(), u.to_string())))
            }
            DiskInterface::Sata => {
                sd += 1;
                (drive_name("sd", sd - 1), "sata", Some(sata_address()))
            }
        };
        let iothread = a
            .iothread
            .filter(|_| a.interface == DiskInterface::Virtio)
            .map(|t| t.to_string());
        let mut driver: Vec<(&str, &str)> = vec![("name", "qemu"), ("type", disk.format.driver_type())];
        if a.cache != DiskCache::Default {
            driver.push(("cache", a.cache.as_str()));
        }
        if a.io != DiskIo::Default {
            driver.push(("io", a.io.as_str()));
        }
        if let Some(t) = &iothread {
            driver.push(("iothread", t));
        }
        w.create_element("disk")
            .with_attributes([("type", "file"), ("device", "disk")])
            .write_inner_content(|w| {
                empty(w, "driver", &driver)?;
                empty(w, "source", &[("file", &xml_safe(&disk.path))])?;
                empty(w, "target", &[("dev", &dev), ("bus", bus)])?;
                if let Some(order) = boot.disk_order(index) {
                    empty(w, "boot", &[("order", &order.to_string())])?;
                }
                if a.read_only {
                    empty(w, "readonly", &[])?;
                }
                text(w, "serial", &[], &disk_serial(a))?;
                if let Some((controller, unit)) = &address {
                    drive_address(w, controller, unit)?;
                }
                Ok(())
            })?;
    }
    if let Some(path) = spec.cdrom_path {
        let dev = drive_name("sd", sd);
        let (controller, unit) = sata_address();
        w.create_element("disk")
            .with_attributes([("type", "file"), ("device", "cdrom")])
            .write_inner_content(|w| {
                empty(
                    w,
                    "driver",
                    &[("name", "qemu"), ("type", DiskFormat::Iso.driver_type())],
                )?;
                empty(w, "source", &[("file", &xml_safe(path))])?;
                empty(w, "target", &[("dev", &dev), ("bus", "sata")])?;
                if let Some(order) = boot.cdrom {
                    empty(w, "boot", &[("order", &order.to_string())])?;
                }
                empty(w, "readonly", &[])?;
                drive_address(w, &controller, &unit)
            })?;
    }
    // High Performance: one request queue per vCPU (capped), so no vCPU waits on another's queue.
    let queues =
        (c.optimized_for == OptimizedFor::HighPerformance).then(|| c.vcpus().clamp(1, MAX_SCSI_QUEUES).to_string());
    for (k, (iothread, _)) in scsi_controllers.iter().enumerate() {
        let index = k.to_string();
        let iothread = iothread.map(|t| t.to_string());
        let mut driver: Vec<(&str, &str)> = Vec::new();
        if let Some(q) = &queues {
            driver.push(("queues", q));
        }
        if let Some(t) = &iothread {
            driver.push(("iothread", t));
        }
        let el = w.create_element("controller").with_attributes([
            ("type", "scsi"),
            ("index", index.as_str()),
            ("model", "virtio-scsi"),
        ]);
        if driver.is_empty() {
            el.write_empty()?;
        } else {
            el.write_inner_content(|w| empty(w, "driver", &driver))?;
        }
    }
    Ok(())
}

fn drive_address(w: &mut Writer<Vec<u8>>, controller: &str, unit: &str) -> io::Result<()> {
    empty(
        w,
        "address",
        &[
            ("type", "drive"),
            ("controller", controller),
            ("bus", "0"),
            ("target", "0"),
            ("unit", unit),
        ],
    )
}

/// The plugged NICs, in `spec.nics` order (an unplugged NIC keeps its settings in the
/// configuration but is no device of the domain).
///
/// Child order is libvirt's own (`virsh dumpxml` writes it so): `<mac>`, `<source>`, `<model>`,
/// `<driver>`, `<filterref>`, `<link>`. An unconnected NIC (oVirt's "Empty" profile) is QEMU's
/// user networking with its link forced down: the guest sees the device, nothing flows, and no
/// host network or bridge is needed. It gets neither `<driver>` nor `<filterref>`: vhost,
/// multiqueue and nwfilter need a tap device, which user networking has not.
fn write_interfaces(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let c = spec.config;
    let queues = nic_queues(c.vcpus()).map(|q| q.to_string());
    for device in spec.nics.iter().filter(|d| d.nic.plugged) {
        let nic = &device.nic;
        let (kind, source) = match &device.source {
            NicSource::Network(name) => ("network", Some(("network", xml_safe(name)))),
            NicSource::Bridge(name) => ("bridge", Some(("bridge", xml_safe(name)))),
            NicSource::Unconnected => ("user", None),
        };
        let connected = source.is_some();
        let mac = nic.mac.map(|m| m.to_string());
        // virtio only: the emulated models have no queues.
        let virtio = connected && nic.model == NicModel::Virtio;
        let multiqueue = virtio && c.multi_queues_enabled && device.multiqueue;
        let mut driver: Vec<(&str, &str)> = Vec::new();
        if let Some(q) = queues.as_deref().filter(|_| multiqueue) {
            driver.push(("queues", q));
        }
        // Only the filters Vireo offers ever reach the XML (the service refuses others earlier).
        let filter = device
            .network_filter
            .as_deref()
            .filter(|f| connected && NETWORK_FILTERS.contains(f));
        let link = if connected && nic.linked { "up" } else { "down" };
        w.create_element("interface")
            .with_attribute(("type", kind))
            .write_inner_content(|w| {
                if let Some(mac) = &mac {
                    empty(w, "mac", &[("address", mac)])?;
                }
                if let Some((attr, name)) = &source {
                    empty(w, "source", &[(attr, name)])?;
                }
                empty(w, "model", &[("type", nic.model.libvirt_model())])?;
                if !driver.is_empty() {
                    empty(w, "driver", &driver)?;
                }
                if let Some(filter) = filter {
                    empty(w, "filterref", &[("filter", filter)])?;
                }
                empty(w, "link", &[("state", link)])
            })?;
    }
    Ok(())
}

fn write_devices(w: &mut Writer<Vec<u8>>, spec: &DomainSpec, boot: BootPlan) -> io::Result<()> {
    let c = spec.config;
    w.create_element("devices").write_inner_content(|w| {
        if c.machine == MachineType::Q35 && x86(spec) {
            write_pcie_controllers(w, spec)?;
        }
        write_storage(w, spec, boot)?;
        write_interfaces(w, spec)?;
        if c.usb_enabled {
            empty(w, "controller", &[("type", "usb"), ("model", "qemu-xhci")])?;
            empty(w, "input", &[("type", "tablet"), ("bus", "usb")])?;
        } else {
            empty(w, "controller", &[("type", "usb"), ("model", "none")])?;
        }
        if c.serial_console {
            w.create_element("serial")
                .with_attribute(("type", "pty"))
                .write_inner_content(|w| empty(w, "target", &[("port", "0")]))?;
            w.create_element("console")
                .with_attribute(("type", "pty"))
                .write_inner_content(|w| empty(w, "target", &[("type", "serial"), ("port", "0")]))?;
        }
        // The QEMU guest agent's channel (libvirt picks the socket path and adds the virtio-serial
        // controller): where a guest runs the agent, libvirt asks it for the guest's addresses.
        if c.guest_agent {
            w.create_element("channel")
                .with_attribute(("type", "unix"))
                .write_inner_content(|w| empty(w, "target", &[("type", "virtio"), ("name", GUEST_AGENT_CHANNEL)]))?;
        }
        if c.headless {
            w.create_element("video")
                .write_inner_content(|w| empty(w, "model", &[("type", "none")]))?;
        } else {
            // A UNIX socket whose path libvirt picks: no TCP port on the host (see the module comment).
            w.create_element("graphics")
                .with_attribute(("type", "vnc"))
                .write_inner_content(|w| empty(w, "listen", &[("type", "socket")]))?;
            w.create_element("video")
                .write_inner_content(|w| empty(w, "model", &[("type", "virtio"), ("heads", "1")]))?;
        }
        if c.soundcard_enabled {
            empty(w, "sound", &[("model", "ich9")])?;
        }
        if c.watchdog {
            empty(w, "watchdog", &[("model", "i6300esb"), ("action", "reset")])?;
        }
        empty(
            w,
            "memballoon",
            &[("model", if c.memory_balloon { "virtio" } else { "none" })],
        )?;
        // Entropy from the host's non-blocking pool (virt-install's choice): /dev/random could
        // stall the host's other readers.
        if c.virtio_rng {
            w.create_element("rng")
                .with_attribute(("model", "virtio"))
                .write_inner_content(|w| text(w, "backend", &[("model", "random")], "/dev/urandom"))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The `<disk>` element of the disk with this id, cut from a domain XML this module wrote: what
/// a running VM gets plugged in (or out) live. `None` when the domain has no such disk.
pub fn disk_element(domain_xml: &str, disk_id: Uuid) -> Option<String> {
    use quick_xml::events::Event;
    use quick_xml::Reader;
    let serial = DiskAttachment::new(disk_id, false);
    let serial = disk_serial(&serial);
    let mut reader = Reader::from_str(domain_xml);
    let mut capture: Option<(Writer<Vec<u8>>, usize)> = None;
    let mut depth = 0usize;
    let mut in_serial = false;
    let mut matched = false;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Eof => return None,
            Event::Start(e) => {
                depth += 1;
                if capture.is_none() && e.name().0 == "disk" {
                    capture = Some((Writer::new_with_indent(Vec::new(), b' ', 2), depth));
                    matched = false;
                }
                in_serial = e.name().0 == "serial";
            }
            Event::End(_) => in_serial = false,
            Event::Text(t) if in_serial => {
                matched |= &t[..] == serial.as_str();
            }
            _ => {}
        }
        if let Some((w, _)) = capture.as_mut() {
            w.write_event(event.borrow()).ok()?;
        }
        if let Event::End(e) = &event {
            if let Some((w, start)) = capture.take() {
                if e.name().0 == "disk" && depth == start {
                    if matched {
                        return String::from_utf8(w.into_inner()).ok();
                    }
                } else {
                    capture = Some((w, start));
                }
            }
            depth = depth.saturating_sub(1);
        }
    }
}

/// The `<interface>` element with this MAC, cut from a domain XML this module wrote: what a running
/// VM gets plugged in (or out, or updated) live. `None` when the domain has no such NIC.
pub fn interface_element(domain_xml: &str, mac: MacAddress) -> Option<String> {
    use quick_xml::events::Event;
    use quick_xml::Reader;
    let wanted = mac.to_string();
    let mut reader = Reader::from_str(domain_xml);
    let mut capture: Option<(Writer<Vec<u8>>, usize)> = None;
    let mut depth = 0usize;
    let mut matched = false;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Eof => return None,
            Event::Start(e) => {
                depth += 1;
                if capture.is_none() && e.name().0 == "interface" {
                    capture = Some((Writer::new_with_indent(Vec::new(), b' ', 2), depth));
                    matched = false;
                }
            }
            Event::Empty(e) if capture.is_some() && e.name().0 == "mac" => {
                matched |= e
                    .try_get_attribute("address")
                    .ok()
                    .flatten()
                    .map(|a| a.value.eq_ignore_ascii_case(&wanted))
                    .unwrap_or(false);
            }
            _ => {}
        }
        if let Some((w, _)) = capture.as_mut() {
            w.write_event(event.borrow()).ok()?;
        }
        if let Event::End(e) = &event {
            if let Some((w, start)) = capture.take() {
                if e.name().0 == "interface" && depth == start {
                    if matched {
                        return String::from_utf8(w.into_inner()).ok();
                    }
                } else {
                    capture = Some((w, start));
                }
            }
            depth = depth.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests;
