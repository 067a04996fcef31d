//! A VM, Template or Pool as the New/Edit dialog holds it: identity fields plus the `VmConfig`. The
//! same draft goes to `preview` and `save`, from the hydrated dialog (JSON) and from a plain form
//! post (the flat field list below), so both paths parse and validate identically.

use super::cpu_set::CpuSet;
use super::naming::name_error;
use super::network::{MacAddress, Nic, NicModel, MAX_NICS};
use super::pinning::{format_io_thread_pins, format_vcpu_pins, parse_io_thread_pins, parse_vcpu_pins};
use super::storage::{default_boot_devices, disk_bytes_from_gib, BootDevice, DiskAttachment, DiskFormat, GIB};
use super::string_enum::string_enum;
use super::vm_config::{
    CpuPinningPolicy, CpuTopology, EmulatorThreadPolicy, HugePages, MachineType, MigrationMode, NumaTuneMode,
    OptimizedFor, VNumaNode, VmConfig,
};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

string_enum! {
    /// Which of the three tables holding a `VmConfig` an object lives in. Label: the noun for
    /// messages and titles.
    pub enum ConfigKind {
        Vm = "vm" => "VM",
        Template = "template" => "Template",
        Pool = "pool" => "Pool",
    }
}

impl ConfigKind {
    /// The table the kind is stored in (what live updates name).
    pub fn table(self) -> &'static str {
        match self {
            Self::Vm => "vms",
            Self::Template => "templates",
            Self::Pool => "vm_pools",
        }
    }

    /// The grid page the kind lives on.
    pub fn page(self) -> &'static str {
        match self {
            Self::Vm => "/vms",
            Self::Template => "/templates",
            Self::Pool => "/pools",
        }
    }
}

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_POOL_SIZE: u32 = 1000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmDraft {
    pub kind: ConfigKind,
    /// Set when editing.
    pub id: Option<Uuid>,
    /// The version the edit started from (optimistic locking).
    pub version: Option<i32>,
    pub name: String,
    pub description: String,
    pub cluster_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    /// The template the configuration was last inherited from: when `template_id` differs (a plain
    /// form post changed the select), a new object inherits from the new template on the next round.
    #[serde(default)]
    pub applied_template: Option<Uuid>,
    pub instance_type_id: Option<Uuid>,
    /// Pools: how many VMs, and how many of them kept running.
    pub pool_size: u32,
    pub prestarted: u32,
    /// The profile whose defaults the configuration last received: when `config.optimized_for`
    /// differs (a plain form post changed the select), the profile is applied on the next round.
    pub applied_profile: OptimizedFor,
    pub config: VmConfig,
    /// Disks to create when the draft is saved; `config.disks` attaches them by their ids (chosen
    /// when the draft is made, so the rules see every attachment alike).
    #[serde(default)]
    pub new_disks: Vec<NewDisk>,
    /// A VM made from a template: copy the template's disks in full ("Clone") instead of thin
    /// qcow2 overlays on them ("Thin", the default).
    #[serde(default)]
    pub clone_disks: bool,
}

/// A disk the dialog creates with its VM or Template (oVirt's "Instance Images: Create").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDisk {
    pub id: Uuid,
    pub name: String,
    pub size_bytes: u64,
    pub format: super::storage::DiskFormat,
    pub storage_domain_id: Uuid,
    /// Thin provisioned (space taken as written) rather than preallocated.
    pub sparse: bool,
}

impl VmDraft {
    pub fn new(kind: ConfigKind, config: VmConfig) -> Self {
        Self {
            kind,
            id: None,
            version: None,
            name: String::new(),
            description: String::new(),
            cluster_id: None,
            template_id: None,
            applied_template: None,
            instance_type_id: None,
            pool_size: if kind == ConfigKind::Pool { 1 } else { 0 },
            prestarted: 0,
            applied_profile: config.optimized_for,
            config,
            new_disks: Vec::new(),
            clone_disks: false,
        }
    }

    /// Identity checks that need no database (name rules, lengths, pool sizes).
    pub fn validate_identity(&self) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = name_error("name", self.kind.label(), &self.name).into_iter().collect();
        if self.description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("The description can be at most {MAX_DESCRIPTION} characters."),
            ));
        }
        if self.kind != ConfigKind::Template && self.cluster_id.is_none() {
            errors.push(FieldError::new("cluster_id", "Choose a cluster."));
        }
        if self.kind == ConfigKind::Pool {
            if self.template_id.is_none() {
                errors.push(FieldError::new(
                    "template_id",
                    "A pool's VMs are made from a template: choose one.",
                ));
            }
            if self.pool_size == 0 || self.pool_size > MAX_POOL_SIZE {
                errors.push(FieldError::new(
                    "pool_size",
                    format!("A pool holds 1 to {MAX_POOL_SIZE} VMs."),
                ));
            }
            if self.prestarted > self.pool_size {
                errors.push(FieldError::new(
                    "prestarted",
                    "No more prestarted VMs than the pool holds.",
                ));
            }
        }
        errors
    }
}

/// The disk a new VM gets by default ("Create boot disk"): 10 GiB of thin QCOW2.
pub const DEFAULT_BOOT_DISK_GIB: u64 = 10;

/// A new boot disk with `id` in `storage_domain_id`, at the defaults.
pub fn default_boot_disk(id: Uuid, storage_domain_id: Uuid) -> NewDisk {
    NewDisk {
        id,
        name: String::new(),
        size_bytes: DEFAULT_BOOT_DISK_GIB * GIB,
        format: DiskFormat::Qcow2,
        storage_domain_id,
        sparse: true,
    }
}

/// Adds `disk` to the draft's new disks and attaches it (on VirtIO; bootable unless another
/// attachment already is). Nothing changes when it is there already.
pub fn add_new_disk(d: &mut VmDraft, disk: NewDisk) {
    if !d.new_disks.iter().any(|n| n.id == disk.id) {
        d.new_disks.push(disk.clone());
    }
    if !d.config.disks.iter().any(|a| a.disk_id == disk.id) {
        let bootable = !d.config.disks.iter().any(|a| a.bootable);
        d.config.disks.push(DiskAttachment::new(disk.id, bootable));
    }
}

/// Takes a new disk out of the draft again (and its attachment).
pub fn drop_new_disk(d: &mut VmDraft, id: Uuid) {
    d.new_disks.retain(|n| n.id != id);
    d.config.disks.retain(|a| a.disk_id != id);
}

/// The new disks' names follow the object's: `web1_Disk1`, `web1_Disk2` (at most 64 characters).
pub fn name_new_disks(d: &mut VmDraft) {
    let owner = d.name.clone();
    for (i, disk) in d.new_disks.iter_mut().enumerate() {
        disk.name = format!("{owner}_Disk{}", i + 1).chars().take(64).collect();
    }
}

/// The attachments travel in one hidden field as JSON; a longer one is refused.
pub const MAX_DISKS_JSON: usize = 16 * 1024;

/// The boot disk block's fields, whether or not "Create boot disk" is ticked: the dialog shows
/// them again as they were (and keeps the disk's id) when the box is off. `None` when the form has
/// no such block (no `disk_id`).
pub fn form_new_disk(pairs: &[(String, String)]) -> Option<(NewDisk, Vec<FieldError>)> {
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let id = Uuid::parse_str(&get("disk_id")?).ok()?;
    let mut errors = Vec::new();
    let size_text = get("disk_size_gib").unwrap_or_default();
    let size_bytes = match size_text.parse::<f64>().ok().and_then(disk_bytes_from_gib) {
        Some(bytes) => bytes,
        None => {
            errors.push(FieldError::new(
                "new_disks",
                format!("Disk size must be a number of GiB (up to 65536), not '{size_text}'."),
            ));
            DEFAULT_BOOT_DISK_GIB * GIB
        }
    };
    let format = match get("disk_format").as_deref().map(DiskFormat::parse) {
        Some(Some(f)) if f != DiskFormat::Iso => f,
        None => DiskFormat::Qcow2,
        Some(_) => {
            errors.push(FieldError::new("new_disks", "Choose QCOW2 or Raw for the disk."));
            DiskFormat::Qcow2
        }
    };
    let storage_domain_id = match get("disk_storage_domain").filter(|v| !v.is_empty()) {
        Some(v) => Uuid::parse_str(&v).unwrap_or_else(|_| {
            errors.push(FieldError::new("new_disks", "Choose a storage domain from the list."));
            Uuid::nil()
        }),
        None => Uuid::nil(),
    };
    let sparse = get("disk_sparse").is_some_and(|v| v == "on" || v == "true" || v == "1");
    Some((
        NewDisk {
            id,
            name: String::new(),
            size_bytes,
            format,
            storage_domain_id,
            sparse,
        },
        errors,
    ))
}

// ---------------------------------------------------------------------------------------------
// Flat form encoding: the field names the dialog's inputs carry. Checkboxes are present when on.

/// A topology with `total` vCPUs: keeps sockets and threads per core when they divide it, else one
/// socket of `total` single-thread cores.
pub fn reshape_to_total(cpu: CpuTopology, total: u32) -> CpuTopology {
    let keep = cpu.sockets.saturating_mul(cpu.threads);
    if total > 0 && keep > 0 && total.is_multiple_of(keep) {
        CpuTopology {
            sockets: cpu.sockets,
            cores: total / keep,
            threads: cpu.threads,
        }
    } else {
        CpuTopology {
            sockets: 1,
            cores: total,
            threads: 1,
        }
    }
}

/// The draft as form fields, in a stable order.
pub fn to_pairs(d: &VmDraft) -> Vec<(String, String)> {
    let c = &d.config;
    let mut p: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| p.push((k.to_string(), v));
    put("draft", "1".into());
    put("kind", d.kind.as_str().into());
    if let Some(id) = d.id {
        put("id", id.to_string());
    }
    if let Some(v) = d.version {
        put("version", v.to_string());
    }
    put("name", d.name.clone());
    put("description", d.description.clone());
    put("cluster_id", d.cluster_id.map(|u| u.to_string()).unwrap_or_default());
    put("template_id", d.template_id.map(|u| u.to_string()).unwrap_or_default());
    put(
        "applied_template",
        d.applied_template.map(|u| u.to_string()).unwrap_or_default(),
    );
    put(
        "instance_type_id",
        d.instance_type_id.map(|u| u.to_string()).unwrap_or_default(),
    );
    put("pool_size", d.pool_size.to_string());
    put("prestarted", d.prestarted.to_string());
    put("applied_profile", d.applied_profile.as_str().into());
    put("optimized_for", c.optimized_for.as_str().into());
    put("os_type", c.os_type.clone());
    put("memory_mib", c.memory_mib.to_string());
    put("vcpus", c.vcpus().to_string());
    put("vcpus_was", c.vcpus().to_string());
    put("sockets", c.cpu.sockets.to_string());
    put("cores", c.cpu.cores.to_string());
    put("threads", c.cpu.threads.to_string());
    put("machine", c.machine.as_str().into());
    let flags = [
        ("stateless", c.stateless),
        ("headless", c.headless),
        ("serial_console", c.serial_console),
        ("usb_enabled", c.usb_enabled),
        ("soundcard_enabled", c.soundcard_enabled),
        ("guest_agent", c.guest_agent),
        ("virtio_rng", c.virtio_rng),
        ("cpu_passthrough", c.cpu_passthrough),
        ("invtsc", c.invtsc),
        ("high_availability", c.high_availability),
        ("watchdog", c.watchdog),
        ("memory_balloon", c.memory_balloon),
        ("ksm_disabled", c.ksm_disabled),
        ("multi_queues_enabled", c.multi_queues_enabled),
    ];
    for (k, on) in flags {
        if on {
            put(k, "on".into());
        }
    }
    put(
        "placement_host",
        c.placement_hosts.first().map(|u| u.to_string()).unwrap_or_default(),
    );
    put("migration", c.migration.as_str().into());
    if c.io_threads > 0 {
        put("io_threads_enabled", "on".into());
    }
    put("io_threads", c.io_threads.max(1).to_string());
    put("cpu_pinning_policy", c.cpu_pinning_policy.as_str().into());
    put("emulator_thread_policy", c.emulator_thread_policy.as_str().into());
    put("cpu_pinning", format_vcpu_pins(&c.cpu_pinning));
    put(
        "emulator_pin",
        c.emulator_pin.as_ref().map(|s| s.to_string()).unwrap_or_default(),
    );
    put("io_thread_pins", format_io_thread_pins(&c.io_thread_pins));
    // Real-time: the checkbox and the mask (kept in its input while the box is off).
    if c.realtime_vcpus.is_some() {
        put("realtime", "on".into());
    }
    put(
        "realtime_vcpus",
        c.realtime_vcpus.as_ref().map(|s| s.to_string()).unwrap_or_default(),
    );
    put("numa_tune_mode", c.numa_tune_mode.as_str().into());
    put("numa_count", c.numa_nodes.len().to_string());
    for n in &c.numa_nodes {
        put(&format!("numa_{}_cpus", n.index), n.cpus.to_string());
        put(&format!("numa_{}_memory", n.index), n.memory_mib.to_string());
        put(
            &format!("numa_{}_host", n.index),
            n.host_nodes.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(","),
        );
    }
    put(
        "huge_page_size",
        c.huge_pages
            .map(|h| h.size_kib.to_string())
            .unwrap_or_else(|| "none".into()),
    );
    put(
        "huge_page_count",
        c.huge_pages.map(|h| h.count.to_string()).unwrap_or_default(),
    );
    // Disks: the attachments as JSON, the dialog's one new disk as its fields (the dialog creates
    // at most one disk with its object), the template's disks thin or cloned, the CD and the boot
    // sequence.
    put(
        "disks_json",
        serde_json::to_string(&c.disks).unwrap_or_else(|_| "[]".into()),
    );
    if let Some(disk) = d.new_disks.first() {
        put("disk_create", "on".into());
        put_new_disk(&mut put, disk);
    }
    put("clone_disks", if d.clone_disks { "clone" } else { "thin" }.into());
    put("cdrom", c.cdrom.map(|u| u.to_string()).unwrap_or_default());
    put("boot_first", c.boot_devices.first().map_or("", |b| b.as_str()).into());
    put("boot_second", c.boot_devices.get(1).map_or("", |b| b.as_str()).into());
    // NICs: each as its fields, `nic.{i}.…` in order (checkboxes present when on).
    for (i, n) in c.nics.iter().enumerate() {
        let key = |field: &str| format!("nic.{i}.{field}");
        put(&key("id"), n.id.to_string());
        put(&key("name"), n.name.clone());
        put(
            &key("profile"),
            n.vnic_profile_id.map(|u| u.to_string()).unwrap_or_default(),
        );
        put(&key("model"), n.model.as_str().into());
        put(&key("mac"), n.mac.map(|m| m.to_string()).unwrap_or_default());
        if n.linked {
            put(&key("linked"), "on".into());
        }
        if n.plugged {
            put(&key("plugged"), "on".into());
        }
    }
    p
}

/// The NICs of a form post: every index `i` that some `nic.{i}.…` field names, in index order (a
/// row the dialog removed leaves a gap, not a shift), at most `MAX_NICS` of them. Each bad value
/// is a field error on `nics[{position}].…` and the NIC keeps a default for it.
pub fn form_nics(pairs: &[(String, String)]) -> (Vec<Nic>, Vec<FieldError>) {
    let mut indexes: Vec<usize> = pairs
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("nic.")?.split_once('.')?.0.parse().ok())
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    let mut errors = Vec::new();
    if indexes.len() > MAX_NICS {
        errors.push(FieldError::new(
            "nics",
            format!("A VM can have at most {MAX_NICS} network interfaces."),
        ));
        indexes.truncate(MAX_NICS);
    }
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let mut nics = Vec::with_capacity(indexes.len());
    for (position, i) in indexes.into_iter().enumerate() {
        let value = |field: &str| get(&format!("nic.{i}.{field}")).unwrap_or_default();
        let on = |field: &str| matches!(value(field).as_str(), "on" | "true" | "1");
        let mut error = |field: &str, message: String| {
            errors.push(FieldError::new(format!("nics[{position}]{field}"), message));
        };
        let name = value("name");
        let called = if name.is_empty() {
            format!("NIC {}", position + 1)
        } else {
            name.clone()
        };
        let id = match Uuid::parse_str(&value("id")) {
            Ok(id) => id,
            Err(_) => {
                error("", format!("{called}: the form lost this NIC's id; add the NIC again."));
                Uuid::nil()
            }
        };
        let vnic_profile_id = match value("profile") {
            p if p.is_empty() => None,
            p => Uuid::parse_str(&p).map(Some).unwrap_or_else(|_| {
                error(
                    ".vnic_profile_id",
                    format!("{called}: choose a vNIC profile from the list."),
                );
                None
            }),
        };
        let model = match value("model") {
            m if m.is_empty() => NicModel::default(),
            m => NicModel::parse(&m).unwrap_or_else(|| {
                error(".model", format!("{called}: choose a NIC type from the list."));
                NicModel::default()
            }),
        };
        let mac = match value("mac") {
            m if m.is_empty() => None,
            m => MacAddress::parse(&m).map(Some).unwrap_or_else(|e| {
                error(".mac", format!("{called}: {e}"));
                None
            }),
        };
        nics.push(Nic {
            id,
            name,
            vnic_profile_id,
            model,
            mac,
            linked: on("linked"),
            plugged: on("plugged"),
        });
    }
    (nics, errors)
}

/// The boot disk block's fields (`disk_create` aside).
pub fn put_new_disk(put: &mut impl FnMut(&str, String), disk: &NewDisk) {
    put("disk_id", disk.id.to_string());
    put("disk_size_gib", gib_text(disk.size_bytes));
    put("disk_format", disk.format.as_str().into());
    put("disk_storage_domain", disk.storage_domain_id.to_string());
    if disk.sparse {
        put("disk_sparse", "on".into());
    }
}

/// A size in GiB as the dialog shows it: whole GiB plainly, anything else with its fraction.
pub fn gib_text(bytes: u64) -> String {
    if bytes.is_multiple_of(GIB) {
        (bytes / GIB).to_string()
    } else {
        format!("{}", bytes as f64 / GIB as f64)
    }
}

/// Parses form fields back into a draft. Every unparsable value is a field error (the draft keeps
/// the default for it), so the dialog can show the input again with its message.
pub fn from_pairs(pairs: &[(String, String)]) -> (VmDraft, Vec<FieldError>) {
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let on = |k: &str| get(k).is_some_and(|v| v == "on" || v == "true" || v == "1");
    let mut errors = Vec::new();
    let kind = get("kind")
        .and_then(|k| ConfigKind::parse(&k))
        .unwrap_or(ConfigKind::Vm);
    let mut c = VmConfig::default();

    fn num<T: std::str::FromStr>(
        get: &dyn Fn(&str) -> Option<String>,
        errors: &mut Vec<FieldError>,
        key: &str,
        field: &str,
        label: &str,
        default: T,
    ) -> T {
        match get(key) {
            None => default,
            Some(v) if v.is_empty() => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    field,
                    format!("{label} must be a whole number, not '{v}'."),
                ));
                default
            }),
        }
    }
    fn uuid(get: &dyn Fn(&str) -> Option<String>, errors: &mut Vec<FieldError>, key: &str) -> Option<Uuid> {
        let v = get(key).filter(|v| !v.is_empty())?;
        match Uuid::parse_str(&v) {
            Ok(u) => Some(u),
            Err(_) => {
                errors.push(FieldError::new(key, "Choose an entry from the list."));
                None
            }
        }
    }
    let getter: &dyn Fn(&str) -> Option<String> = &get;

    let profile = |k: &str| get(k).and_then(|v| OptimizedFor::parse(&v));
    c.optimized_for = profile("optimized_for").unwrap_or_default();
    if let Some(os) = get("os_type").filter(|v| !v.is_empty()) {
        c.os_type = os;
    }
    c.memory_mib = num(
        getter,
        &mut errors,
        "memory_mib",
        "memory_mib",
        "Memory Size",
        c.memory_mib,
    );
    c.cpu = CpuTopology {
        sockets: num(getter, &mut errors, "sockets", "cpu.sockets", "Virtual sockets", 1),
        cores: num(getter, &mut errors, "cores", "cpu.cores", "Cores per virtual socket", 1),
        threads: num(getter, &mut errors, "threads", "cpu.threads", "Threads per core", 1),
    };
    // "Total Virtual CPUs" wins when the user changed it (it differs from the value it was sent with).
    let total: u32 = num(getter, &mut errors, "vcpus", "cpu", "Total Virtual CPUs", c.vcpus());
    let total_was: u32 = num(getter, &mut errors, "vcpus_was", "cpu", "Total Virtual CPUs", total);
    if total != total_was {
        c.cpu = reshape_to_total(c.cpu, total);
    }
    c.stateless = on("stateless");
    c.headless = on("headless");
    c.serial_console = on("serial_console");
    c.usb_enabled = on("usb_enabled");
    c.soundcard_enabled = on("soundcard_enabled");
    c.guest_agent = on("guest_agent");
    c.virtio_rng = on("virtio_rng");
    // A form without the field (an old page) gets a new object's machine; the dialog always sends it.
    match get("machine").filter(|v| !v.is_empty()).map(|v| MachineType::parse(&v)) {
        None => {}
        Some(Some(m)) => c.machine = m,
        Some(None) => errors.push(FieldError::new("machine", "Choose a chipset from the list.")),
    }
    c.cpu_passthrough = on("cpu_passthrough");
    c.invtsc = on("invtsc");
    c.high_availability = on("high_availability");
    c.watchdog = on("watchdog");
    c.memory_balloon = on("memory_balloon");
    c.ksm_disabled = on("ksm_disabled");
    c.multi_queues_enabled = on("multi_queues_enabled");
    c.placement_hosts = uuid(getter, &mut errors, "placement_host").into_iter().collect();
    if let Some(e) = errors.iter_mut().find(|e| e.field == "placement_host") {
        e.field = "placement_hosts".into();
    }
    c.migration = get("migration")
        .and_then(|m| MigrationMode::parse(&m))
        .unwrap_or_default();
    // "Enable IO Threads" plus a count; the count only matters while enabled.
    let io_count = num(
        getter,
        &mut errors,
        "io_threads",
        "io_threads",
        "Num Of IO Threads",
        1u32,
    );
    c.io_threads = if on("io_threads_enabled") { io_count.max(1) } else { 0 };
    c.cpu_pinning_policy = get("cpu_pinning_policy")
        .and_then(|m| CpuPinningPolicy::parse(&m))
        .unwrap_or_default();
    c.emulator_thread_policy = get("emulator_thread_policy")
        .and_then(|m| EmulatorThreadPolicy::parse(&m))
        .unwrap_or_default();
    match parse_vcpu_pins(&get("cpu_pinning").unwrap_or_default()) {
        Ok(pins) => c.cpu_pinning = pins,
        Err(e) => errors.push(FieldError::new("cpu_pinning", format!("CPU Pinning Topology: {e}"))),
    }
    // Real-time vCPUs: the mask counts only while "Real-time" is ticked. Ticked with the mask left
    // empty (a page without JavaScript does not fill it in) proposes every vCPU but vCPU 0; the
    // rules then judge it (a one-vCPU VM gets their error). A bad mask is a field error.
    if on("realtime") {
        match get("realtime_vcpus").filter(|v| !v.is_empty()) {
            None => c.realtime_vcpus = Some(super::realtime::default_mask(c.vcpus()).unwrap_or_default()),
            Some(text) => match CpuSet::parse(&text) {
                Ok(set) => c.realtime_vcpus = Some(set),
                Err(e) => errors.push(FieldError::new("realtime_vcpus", format!("Real-time vCPUs: {e}"))),
            },
        }
    }
    match get("emulator_pin").filter(|v| !v.is_empty()).map(|v| CpuSet::parse(&v)) {
        None => {}
        Some(Ok(set)) => c.emulator_pin = Some(set),
        Some(Err(e)) => errors.push(FieldError::new("emulator_pin", format!("Emulator Thread Pinning: {e}"))),
    }
    match parse_io_thread_pins(&get("io_thread_pins").unwrap_or_default()) {
        Ok(pins) => c.io_thread_pins = pins,
        Err(e) => errors.push(FieldError::new("io_thread_pins", format!("IO Thread Pinning: {e}"))),
    }
    c.numa_tune_mode = get("numa_tune_mode")
        .and_then(|m| NumaTuneMode::parse(&m))
        .unwrap_or_default();
    let numa_count: u32 = num(getter, &mut errors, "numa_count", "numa_nodes", "NUMA Node Count", 0);
    if numa_count > 64 {
        errors.push(FieldError::new("numa_nodes", "At most 64 NUMA nodes."));
    } else {
        for i in 0..numa_count {
            let cpus = match get(&format!("numa_{i}_cpus"))
                .filter(|v| !v.is_empty())
                .map(|v| CpuSet::parse(&v))
            {
                Some(Ok(set)) => set,
                Some(Err(e)) => {
                    errors.push(FieldError::new("numa_nodes", format!("NUMA node {i} vCPUs: {e}")));
                    CpuSet::new()
                }
                None => CpuSet::new(),
            };
            let memory_mib = num(
                getter,
                &mut errors,
                &format!("numa_{i}_memory"),
                "numa_nodes",
                &format!("NUMA node {i} memory"),
                0u64,
            );
            let mut host_nodes = Vec::new();
            for part in get(&format!("numa_{i}_host"))
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match part.parse() {
                    Ok(n) => host_nodes.push(n),
                    Err(_) => errors.push(FieldError::new(
                        "numa_nodes",
                        format!("NUMA node {i}: '{part}' is not a host NUMA cell number."),
                    )),
                }
            }
            c.numa_nodes.push(VNumaNode {
                index: i,
                cpus,
                memory_mib,
                host_nodes,
            });
        }
    }
    match get("huge_page_size").as_deref() {
        None | Some("") | Some("none") => c.huge_pages = None,
        Some(size) => match size.parse::<u64>() {
            Ok(size_kib) => {
                // Checked: the memory is not validated yet (a huge value must not overflow here).
                let default_count = c
                    .memory_mib
                    .checked_mul(1024)
                    .and_then(|kib| kib.checked_div(size_kib))
                    .unwrap_or(0);
                let count = num(
                    getter,
                    &mut errors,
                    "huge_page_count",
                    "huge_pages",
                    "Huge page count",
                    default_count,
                );
                c.huge_pages = Some(HugePages { size_kib, count });
            }
            Err(_) => errors.push(FieldError::new("huge_pages", "Choose a huge page size from the list.")),
        },
    }

    let mut d = VmDraft::new(kind, c);
    d.id = uuid(getter, &mut errors, "id");
    d.version = get("version").and_then(|v| v.parse().ok());
    d.name = get("name").unwrap_or_default();
    d.description = get("description").unwrap_or_default();
    d.cluster_id = uuid(getter, &mut errors, "cluster_id");
    d.template_id = uuid(getter, &mut errors, "template_id");
    d.applied_template = uuid(getter, &mut errors, "applied_template");
    d.instance_type_id = uuid(getter, &mut errors, "instance_type_id");
    d.pool_size = num(
        getter,
        &mut errors,
        "pool_size",
        "pool_size",
        "Number of VMs",
        if kind == ConfigKind::Pool { 1 } else { 0 },
    );
    d.prestarted = num(getter, &mut errors, "prestarted", "prestarted", "Prestarted VMs", 0);
    d.applied_profile = profile("applied_profile").unwrap_or(d.config.optimized_for);

    match get("disks_json").filter(|v| !v.is_empty()) {
        None => {}
        Some(json) if json.len() > MAX_DISKS_JSON => {
            errors.push(FieldError::new("disks", "The disk list is too long."))
        }
        Some(json) => match serde_json::from_str::<Vec<DiskAttachment>>(&json) {
            Ok(disks) => d.config.disks = disks,
            Err(_) => errors.push(FieldError::new("disks", "The disk list could not be read.")),
        },
    }
    if let Some((disk, disk_errors)) = form_new_disk(pairs) {
        if on("disk_create") {
            errors.extend(disk_errors);
            add_new_disk(&mut d, disk);
        } else {
            // "Create boot disk" unticked: neither the disk nor its attachment.
            drop_new_disk(&mut d, disk.id);
        }
    }
    name_new_disks(&mut d);
    d.clone_disks = get("clone_disks").as_deref() == Some("clone");
    d.config.cdrom = uuid(getter, &mut errors, "cdrom");
    let boot = |k: &str| get(k).filter(|v| !v.is_empty()).map(|v| BootDevice::parse(&v));
    match boot("boot_first") {
        None => d.config.boot_devices = default_boot_devices(),
        Some(Some(first)) => d.config.boot_devices = vec![first],
        Some(None) => errors.push(FieldError::new("boot_devices", "Choose a boot device from the list.")),
    }
    match boot("boot_second") {
        None => {}
        Some(Some(second)) => d.config.boot_devices.push(second),
        Some(None) => errors.push(FieldError::new("boot_devices", "Choose a boot device from the list.")),
    }
    let (nics, nic_errors) = form_nics(pairs);
    d.config.nics = nics;
    errors.extend(nic_errors);
    (d, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommendations::{apply_fixes, RecommendationId::*};
    use crate::domain::test_hosts::hp_ctx;

    fn full_draft() -> VmDraft {
        let base = VmConfig {
            optimized_for: OptimizedFor::HighPerformance,
            cpu: CpuTopology {
                sockets: 2,
                cores: 2,
                threads: 2,
            },
            memory_mib: 8192,
            io_threads: 2,
            stateless: true,
            ..VmConfig::default()
        };
        let mut d = VmDraft::new(ConfigKind::Pool, apply_fixes(&base, &hp_ctx(), &[R1, R2, R3, R4, R5]));
        d.id = Some(Uuid::from_u128(7));
        d.version = Some(3);
        d.name = "db-pool".into();
        d.description = "with, commas & = signs".into();
        d.cluster_id = Some(Uuid::from_u128(9));
        d.template_id = Some(Uuid::nil());
        d.applied_template = Some(Uuid::nil());
        d.pool_size = 4;
        d.prestarted = 1;
        d.config.nics = sample_nics();
        d.config.multi_queues_enabled = true;
        d
    }

    /// NICs with every field away from its default somewhere.
    fn sample_nics() -> Vec<Nic> {
        vec![
            Nic {
                mac: Some(MacAddress::parse("56:6f:00:00:00:01").unwrap()),
                ..Nic::with_id(Uuid::from_u128(0x41), "nic1", Some(Uuid::from_u128(0x51)))
            },
            Nic {
                model: NicModel::E1000e,
                linked: false,
                ..Nic::with_id(Uuid::from_u128(0x42), "nic2", None)
            },
            Nic {
                model: NicModel::Rtl8139,
                plugged: false,
                mac: Some(MacAddress::parse("02:00:00:00:00:0a").unwrap()),
                ..Nic::with_id(Uuid::from_u128(0x43), "backup-net", Some(Uuid::from_u128(0x52)))
            },
        ]
    }

    #[test]
    fn a_draft_survives_the_form_round_trip() {
        let d = full_draft();
        assert!(d.config.numa_nodes.len() == 2 && d.config.huge_pages.is_some());
        let (back, errors) = from_pairs(&to_pairs(&d));
        assert_eq!(errors, vec![]);
        assert_eq!(back, d);
        let plain = VmDraft::new(ConfigKind::Vm, VmConfig::default());
        assert_eq!(from_pairs(&to_pairs(&plain)).0, plain);
    }

    #[test]
    fn machine_devices_and_the_real_time_mask_survive_the_form_round_trip() {
        let mut d = full_draft();
        d.config.machine = MachineType::I440fx;
        d.config.guest_agent = false;
        d.config.virtio_rng = true;
        d.config.realtime_vcpus = Some(CpuSet::from_ids([1, 2, 3]));
        let pairs = to_pairs(&d);
        let (back, errors) = from_pairs(&pairs);
        assert_eq!(errors, vec![]);
        assert_eq!(back, d, "an existing i440fx VM keeps its machine through the form");
        // "Real-time" unticked: the mask left in its input does not count.
        let unticked: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "realtime").cloned().collect();
        assert_eq!(from_pairs(&unticked).0.config.realtime_vcpus, None);
        // Ticked with a bad or empty mask, or a chipset not offered: field errors.
        let with = |extra: &[(&str, &str)]| {
            let mut p = pairs.clone();
            p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            from_pairs(&p).1.into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(with(&[("realtime_vcpus", "3-1")]), vec!["realtime_vcpus"]);
        // Ticked, mask left empty: every vCPU but vCPU 0.
        let mut empty = pairs.clone();
        empty.push(("realtime_vcpus".into(), String::new()));
        let (proposed, errors) = from_pairs(&empty);
        assert_eq!(errors, vec![]);
        assert_eq!(
            proposed.config.realtime_vcpus.unwrap().to_string(),
            format!("1-{}", d.config.vcpus() - 1)
        );
        assert_eq!(with(&[("machine", "isapc")]), vec!["machine"]);
    }

    #[test]
    fn bad_values_become_field_errors() {
        let pairs: Vec<(String, String)> = [
            ("memory_mib", "lots"),
            ("sockets", "-1"),
            ("cpu_pinning", "0#x"),
            ("emulator_pin", "9-1"),
            ("io_thread_pins", "a#1"),
            ("cluster_id", "not-a-uuid"),
            ("placement_host", "nope"),
            ("numa_count", "1"),
            ("numa_0_cpus", "zz"),
            ("numa_0_host", "x"),
            ("huge_page_size", "big"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (d, errors) = from_pairs(&pairs);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "memory_mib",
                "cpu.sockets",
                "placement_hosts",
                "cpu_pinning",
                "emulator_pin",
                "io_thread_pins",
                "numa_nodes",
                "numa_nodes",
                "huge_pages",
                "cluster_id"
            ]
        );
        assert_eq!(errors[0].message, "Memory Size must be a whole number, not 'lots'.");
        assert_eq!(d.config.memory_mib, VmConfig::default().memory_mib);
    }

    #[test]
    fn unchecked_boxes_are_off_and_the_profile_change_is_visible() {
        let mut pairs = to_pairs(&VmDraft::new(ConfigKind::Vm, VmConfig::default()));
        pairs.retain(|(k, _)| k != "usb_enabled" && k != "memory_balloon");
        pairs.push(("optimized_for".into(), "high_performance".into()));
        let (d, _) = from_pairs(&pairs);
        assert!(!d.config.usb_enabled && !d.config.memory_balloon);
        assert_eq!(d.config.optimized_for, OptimizedFor::HighPerformance);
        assert_eq!(
            d.applied_profile,
            OptimizedFor::Server,
            "the profile is not applied yet"
        );
    }

    #[test]
    fn identity_rules() {
        let mut d = VmDraft::new(ConfigKind::Pool, VmConfig::default());
        d.name = "bad name".into();
        d.pool_size = 0;
        d.prestarted = 2;
        d.description = "x".repeat(MAX_DESCRIPTION + 1);
        let fields: Vec<String> = d.validate_identity().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "description",
                "cluster_id",
                "template_id",
                "pool_size",
                "prestarted"
            ]
        );
        let mut t = VmDraft::new(ConfigKind::Template, VmConfig::default());
        t.name = "tpl".into();
        assert_eq!(t.validate_identity(), vec![], "templates need no cluster");
    }

    #[test]
    fn a_changed_total_reshapes_the_topology() {
        let mut pairs = to_pairs(&full_draft());
        for (k, v) in pairs.iter_mut() {
            if k == "vcpus" {
                *v = "12".into();
            }
        }
        let (d, errors) = from_pairs(&pairs);
        assert_eq!(errors, vec![]);
        assert_eq!(
            d.config.cpu,
            CpuTopology {
                sockets: 2,
                cores: 3,
                threads: 2
            }
        );
        assert_eq!(
            reshape_to_total(
                CpuTopology {
                    sockets: 2,
                    cores: 1,
                    threads: 2
                },
                7
            ),
            CpuTopology {
                sockets: 1,
                cores: 7,
                threads: 1
            }
        );
    }

    #[test]
    fn io_threads_follow_their_checkbox() {
        let mut pairs = to_pairs(&full_draft());
        pairs.retain(|(k, _)| k != "io_threads_enabled");
        assert_eq!(from_pairs(&pairs).0.config.io_threads, 0);
        let plain = to_pairs(&VmDraft::new(ConfigKind::Vm, VmConfig::default()));
        assert!(
            plain.iter().any(|(k, v)| k == "io_threads" && v == "1"),
            "the count shows 1 while off"
        );
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn with_disks() -> VmDraft {
        let mut d = VmDraft::new(ConfigKind::Vm, VmConfig::default());
        d.name = "web1".into();
        d.cluster_id = Some(Uuid::from_u128(9));
        d.config.disks.push(DiskAttachment {
            read_only: true,
            ..DiskAttachment::new(Uuid::from_u128(20), false)
        });
        let mut boot = default_boot_disk(Uuid::from_u128(21), Uuid::from_u128(30));
        boot.size_bytes = 3 * GIB / 2;
        boot.sparse = false;
        add_new_disk(&mut d, boot);
        name_new_disks(&mut d);
        d.clone_disks = true;
        d.config.cdrom = Some(Uuid::from_u128(40));
        d.config.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
        d
    }

    #[test]
    fn disks_cd_and_boot_sequence_survive_the_form_round_trip() {
        let d = with_disks();
        assert_eq!(d.new_disks[0].name, "web1_Disk1");
        assert!(
            d.config.disks[1].bootable && !d.config.disks[0].bootable,
            "the new disk boots: no other did"
        );
        let sent = to_pairs(&d);
        assert!(sent.iter().any(|(k, v)| k == "disk_size_gib" && v == "1.5"));
        let (back, errors) = from_pairs(&sent);
        assert_eq!(errors, vec![]);
        assert_eq!(back, d);
    }

    #[test]
    fn an_unticked_boot_disk_goes_but_its_fields_and_id_stay() {
        let d = with_disks();
        let mut sent = to_pairs(&d);
        sent.retain(|(k, _)| k != "disk_create");
        let (back, errors) = from_pairs(&sent);
        assert_eq!(errors, vec![]);
        assert!(back.new_disks.is_empty());
        assert_eq!(
            back.config.disks,
            d.config.disks[..1].to_vec(),
            "its attachment went too"
        );
        let (spare, spare_errors) = form_new_disk(&sent).expect("the block is there");
        assert!(spare_errors.is_empty());
        assert_eq!(
            (spare.id, spare.size_bytes),
            (d.new_disks[0].id, d.new_disks[0].size_bytes)
        );
        // Ticked again: the same id comes back, attached.
        sent.push(("disk_create".into(), "on".into()));
        let (again, _) = from_pairs(&sent);
        assert_eq!(again.new_disks[0].id, d.new_disks[0].id);
        assert!(again.config.disks.iter().any(|a| a.disk_id == d.new_disks[0].id));
    }

    #[test]
    fn a_form_without_disk_fields_keeps_the_defaults() {
        let (d, errors) = from_pairs(&pairs(&[("kind", "vm"), ("name", "x")]));
        assert_eq!(errors, vec![]);
        assert!(d.config.disks.is_empty() && d.new_disks.is_empty() && !d.clone_disks);
        assert_eq!(d.config.boot_devices, default_boot_devices());
        assert_eq!(d.config.cdrom, None);
    }

    #[test]
    fn bad_disk_fields_become_field_errors() {
        let id = Uuid::from_u128(5).to_string();
        let (d, errors) = from_pairs(&pairs(&[
            ("disk_id", &id),
            ("disk_create", "on"),
            ("disk_size_gib", "huge"),
            ("disk_format", "iso"),
            ("disk_storage_domain", "nope"),
            ("disks_json", "{not json"),
            ("cdrom", "cd"),
            ("boot_first", "floppy"),
            ("boot_second", "net"),
        ]));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "disks",
                "new_disks",
                "new_disks",
                "new_disks",
                "cdrom",
                "boot_devices",
                "boot_devices"
            ]
        );
        assert_eq!(
            d.new_disks[0].size_bytes,
            DEFAULT_BOOT_DISK_GIB * GIB,
            "the default stands in"
        );
        let long = format!("[{}]", " ".repeat(MAX_DISKS_JSON));
        let (_, errors) = from_pairs(&pairs(&[("disks_json", &long)]));
        assert_eq!(errors[0].message, "The disk list is too long.");
        let (d, _) = from_pairs(&pairs(&[("disk_size_gib", "5")]));
        assert!(d.new_disks.is_empty(), "no disk without its id");
    }

    fn nic_fields(sent: &[(String, String)]) -> Vec<(&str, &str)> {
        sent.iter()
            .filter(|(k, _)| k.starts_with("nic.") || k == "multi_queues_enabled")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn nics_and_multiqueue_survive_the_form_round_trip() {
        let mut d = VmDraft::new(ConfigKind::Vm, VmConfig::default());
        d.config.nics = sample_nics();
        d.config.multi_queues_enabled = true;
        let sent = to_pairs(&d);
        let id = |n: u128| Uuid::from_u128(n).to_string();
        assert_eq!(
            nic_fields(&sent),
            vec![
                ("multi_queues_enabled", "on"),
                ("nic.0.id", id(0x41).as_str()),
                ("nic.0.name", "nic1"),
                ("nic.0.profile", id(0x51).as_str()),
                ("nic.0.model", "virtio"),
                ("nic.0.mac", "56:6f:00:00:00:01"),
                ("nic.0.linked", "on"),
                ("nic.0.plugged", "on"),
                ("nic.1.id", id(0x42).as_str()),
                ("nic.1.name", "nic2"),
                ("nic.1.profile", ""),
                ("nic.1.model", "e1000e"),
                ("nic.1.mac", ""),
                ("nic.1.plugged", "on"),
                ("nic.2.id", id(0x43).as_str()),
                ("nic.2.name", "backup-net"),
                ("nic.2.profile", id(0x52).as_str()),
                ("nic.2.model", "rtl8139"),
                ("nic.2.mac", "02:00:00:00:00:0a"),
                ("nic.2.linked", "on"),
            ]
        );
        let (back, errors) = from_pairs(&sent);
        assert_eq!(errors, vec![]);
        assert_eq!(back, d);
        // Off: the box is absent, and so is every NIC the form does not carry.
        let plain = VmDraft::new(ConfigKind::Vm, VmConfig::default());
        assert!(nic_fields(&to_pairs(&plain)).is_empty());
        assert_eq!(from_pairs(&to_pairs(&plain)).0, plain);
    }

    #[test]
    fn nic_rows_keep_their_order_across_gaps_and_are_bounded() {
        let id = |n: u128| Uuid::from_u128(n).to_string();
        let (d, errors) = from_pairs(&pairs(&[
            ("nic.7.id", &id(7)),
            ("nic.7.name", "seventh"),
            ("nic.2.id", &id(2)),
            ("nic.2.name", "second"),
            ("nic.2.model", " e1000e "),
            ("nic.x.name", "not a row"),
            ("nic.99999999999999999999999.name", "not a row either"),
            ("nicname", "nor this"),
        ]));
        assert_eq!(errors, vec![], "values are trimmed as every field's are");
        let names: Vec<&str> = d.config.nics.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, vec!["second", "seventh"]);
        assert_eq!(d.config.nics[0].model, NicModel::E1000e);
        assert!(!d.config.nics[0].linked && !d.config.nics[0].plugged, "unticked boxes");

        let many: Vec<(String, String)> = (0..40)
            .flat_map(|i| {
                [
                    (format!("nic.{i}.id"), id(i as u128 + 1)),
                    (format!("nic.{i}.name"), format!("nic{i}")),
                ]
            })
            .collect();
        let (d, errors) = from_pairs(&many);
        assert_eq!(d.config.nics.len(), MAX_NICS);
        assert_eq!(
            errors,
            vec![FieldError::new("nics", "A VM can have at most 16 network interfaces.")]
        );
    }

    #[test]
    fn bad_nic_values_become_field_errors_not_panics() {
        let (d, errors) = from_pairs(&pairs(&[
            ("nic.0.id", "not-a-uuid"),
            ("nic.0.name", "nic1"),
            ("nic.0.profile", "default"),
            ("nic.0.model", "ne2k_pci"),
            ("nic.0.mac", "56:6f:00:00:00"),
            ("nic.1.id", ""),
            ("nic.1.mac", "\u{e9}\u{e9}:\u{e9}\u{e9}:00:00:00:01:zz"),
            ("nic.2.id", &Uuid::from_u128(3).to_string()),
            ("nic.2.name", "nic3"),
            ("nic.2.mac", "01:00:5e:00:00:01"),
        ]));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "nics[0]",
                "nics[0].vnic_profile_id",
                "nics[0].model",
                "nics[0].mac",
                "nics[1]",
                "nics[1].mac"
            ]
        );
        assert_eq!(
            errors[3].message,
            "nic1: A MAC address is six pairs of hex digits, e.g. 56:6f:1a:2b:3c:4d."
        );
        assert!(errors[4].message.starts_with("NIC 2: "), "{}", errors[4].message);
        // The NICs are kept with defaults where their values were bad, so the dialog shows them
        // again; a multicast MAC parses and is validation's to refuse.
        assert_eq!(d.config.nics.len(), 3);
        assert_eq!(
            (
                d.config.nics[0].model,
                d.config.nics[0].mac,
                d.config.nics[0].vnic_profile_id
            ),
            (NicModel::Virtio, None, None)
        );
        assert!(d.config.nics[2].mac.is_some_and(|m| m.is_multicast()));
        assert!(crate::domain::fields::tab_of(&errors[3].field) == crate::domain::fields::DialogTab::General);
    }

    #[test]
    fn sizes_show_in_gib() {
        assert_eq!(gib_text(10 * GIB), "10");
        assert_eq!(gib_text(GIB / 2), "0.5");
    }

    #[test]
    fn kinds_round_trip() {
        for k in [ConfigKind::Vm, ConfigKind::Template, ConfigKind::Pool] {
            assert_eq!(ConfigKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ConfigKind::Pool.page(), "/pools");
    }
}
