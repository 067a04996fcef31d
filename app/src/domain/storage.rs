//! Storage as oVirt users know it, on libvirt's storage API: a **storage domain** is a libvirt
//! storage pool on a host, a **disk** is a volume in one, and a VM or Template holds **disk
//! attachments** (in its `VmConfig`, so the High Performance rules, the next-run diff and the
//! dialog see them like every other setting). Pure types and rules; no I/O.
//!
//! Volume names on the host are never user text: Vireo names each volume after its disk's id
//! (`volume_name`), so a disk's alias cannot reach a path.

use super::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// At most this many disks (data disks; the CD-ROM is separate) per VM or Template.
pub const MAX_DISKS: usize = 16;
/// The largest disk Vireo creates or grows to: 64 TiB.
pub const MAX_DISK_BYTES: u64 = 64 << 40;
/// The smallest: 1 MiB.
pub const MIN_DISK_BYTES: u64 = 1 << 20;
/// virtio-scsi request queues are capped here (oVirt caps them at 16 as well; more gives nothing).
pub const MAX_SCSI_QUEUES: u32 = 16;
pub const GIB: u64 = 1 << 30;

string_enum! {
    /// A volume's format. ISO images are raw on disk; Vireo keeps them apart because they attach as
    /// a CD-ROM, read only.
    #[derive(Default)]
    pub enum DiskFormat {
        #[default]
        Qcow2 = "qcow2" => "QCOW2",
        Raw = "raw" => "Raw",
        Iso = "iso" => "ISO",
    }
}

impl DiskFormat {
    /// The format libvirt and QEMU call it (`<format type>`, `<driver type>`).
    pub fn driver_type(self) -> &'static str {
        match self {
            Self::Qcow2 => "qcow2",
            Self::Raw | Self::Iso => "raw",
        }
    }

    /// The file name suffix of Vireo's volumes of this format.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Qcow2 => "qcow2",
            Self::Raw => "img",
            Self::Iso => "iso",
        }
    }
}

/// The libvirt volume name of a disk: its id and the format's suffix, never the user's alias.
pub fn volume_name(disk_id: Uuid, format: DiskFormat) -> String {
    format!("vireo-{disk_id}.{}", format.suffix())
}

string_enum! {
    /// The bus a disk is attached on; wire values are oVirt's `disk_interface`.
    #[derive(Default)]
    pub enum DiskInterface {
        #[default]
        Virtio = "virtio" => "VirtIO",
        VirtioScsi = "virtio_scsi" => "VirtIO-SCSI",
        /// Emulated: every request goes through QEMU's AHCI model. For installers that lack virtio
        /// drivers; High Performance recommends moving off it.
        Sata = "sata" => "SATA (emulated)",
    }
}

impl DiskInterface {
    /// Paravirtual buses (the ones an IO thread can serve).
    pub fn is_paravirtual(self) -> bool {
        !matches!(self, Self::Sata)
    }
}

string_enum! {
    /// The host page cache mode (`<driver cache>`); `default` leaves it to QEMU (writeback).
    #[derive(Default)]
    pub enum DiskCache {
        #[default]
        Default = "default" => "Hypervisor default",
        None = "none" => "none (bypass the host page cache)",
        Writeback = "writeback" => "writeback",
        Writethrough = "writethrough" => "writethrough",
    }
}

string_enum! {
    /// The IO mode (`<driver io>`); `native` (Linux AIO) needs `cache='none'`.
    #[derive(Default)]
    pub enum DiskIo {
        #[default]
        Default = "default" => "Hypervisor default",
        Native = "native" => "native",
        Threads = "threads" => "threads",
    }
}

string_enum! {
    /// A device the VM boots from, in the order the VM tries them (oVirt's `boot/devices`).
    pub enum BootDevice {
        Hd = "hd" => "Hard Disk",
        Cdrom = "cdrom" => "CD-ROM",
    }
}

/// One disk attached to a VM or Template (oVirt's disk attachment).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiskAttachment {
    pub disk_id: Uuid,
    #[serde(default)]
    pub interface: DiskInterface,
    #[serde(default)]
    pub bootable: bool,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub cache: DiskCache,
    #[serde(default)]
    pub io: DiskIo,
    /// The IO thread serving this disk (1-based, as libvirt numbers them); `None` = QEMU's main
    /// loop. Only for paravirtual buses.
    #[serde(default)]
    pub iothread: Option<u32>,
}

impl DiskAttachment {
    /// A plain attachment on virtio-blk.
    pub fn new(disk_id: Uuid, bootable: bool) -> Self {
        Self {
            disk_id,
            interface: DiskInterface::Virtio,
            bootable,
            read_only: false,
            cache: DiskCache::Default,
            io: DiskIo::Default,
            iothread: None,
        }
    }
}

/// The IO thread serving the `n`th disk on a paravirtual bus (0-based, counting only those): round
/// robin over the VM's `io_threads`, numbered from 1, as oVirt spreads disks over its IO threads.
/// `None` when the VM has no IO threads.
pub fn round_robin_iothread(n: usize, io_threads: u32) -> Option<u32> {
    let threads = usize::try_from(io_threads).ok().filter(|t| *t > 0)?;
    u32::try_from(n % threads).ok().map(|i| i + 1)
}

/// `disks` tuned as High Performance wants them: no host page cache (`cache='none'`), Linux native
/// AIO (`io='native'`), and each paravirtual disk on an IO thread, round robin over `io_threads`.
/// With `move_off_emulated`, SATA disks move to virtio-blk first (R6's fix does; the profile itself
/// leaves the bus alone, because a guest without virtio drivers would lose its disk). Disks left
/// on SATA get no IO thread: QEMU's AHCI model cannot use one.
pub fn high_performance_disks(
    disks: &[DiskAttachment],
    io_threads: u32,
    move_off_emulated: bool,
) -> Vec<DiskAttachment> {
    let mut paravirtual = 0;
    disks
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if move_off_emulated && d.interface == DiskInterface::Sata {
                d.interface = DiskInterface::Virtio;
            }
            d.cache = DiskCache::None;
            d.io = DiskIo::Native;
            d.iothread = if d.interface.is_paravirtual() {
                paravirtual += 1;
                round_robin_iothread(paravirtual - 1, io_threads)
            } else {
                None
            };
            d
        })
        .collect()
}

/// `disks` with the hypervisor's default cache and IO modes and no IO thread: what leaving High
/// Performance restores (the other profiles turn IO threads off, so no disk may keep one).
pub fn default_tuned_disks(disks: &[DiskAttachment]) -> Vec<DiskAttachment> {
    disks
        .iter()
        .map(|d| DiskAttachment {
            cache: DiskCache::Default,
            io: DiskIo::Default,
            iothread: None,
            ..d.clone()
        })
        .collect()
}

/// An attachment's IO thread as the change lists show it.
pub fn iothread_text(iothread: Option<u32>) -> String {
    iothread.map_or_else(|| "none".into(), |t| t.to_string())
}

/// An attachment's cache and IO modes as the change lists show them.
pub fn disk_tuning_text(d: &DiskAttachment) -> String {
    format!("cache {}, io {}", d.cache.as_str(), d.io.as_str())
}

/// The default boot order: the disks.
pub fn default_boot_devices() -> Vec<BootDevice> {
    vec![BootDevice::Hd]
}

string_enum! {
    /// A disk's state (oVirt's `disk_status`): `locked` while Vireo creates, copies or uploads it,
    /// `illegal` when its volume is gone from the host or an operation on it failed half-way.
    #[derive(Default)]
    pub enum DiskStatus {
        #[default]
        Ok = "ok" => "OK",
        Locked = "locked" => "Locked",
        Illegal = "illegal" => "Illegal",
    }
}

string_enum! {
    /// What a disk holds: a guest's data or an installer image.
    #[derive(Default)]
    pub enum DiskContent {
        #[default]
        Data = "data" => "Data",
        Iso = "iso" => "ISO",
    }
}

string_enum! {
    /// A storage domain's state: its libvirt pool is running, defined but stopped, or its host
    /// cannot be asked.
    #[derive(Default)]
    pub enum StorageDomainStatus {
        #[default]
        Active = "active" => "Active",
        Inactive = "inactive" => "Inactive",
        Unknown = "unknown" => "Unknown",
    }
}

/// Bytes as the grids show them: `10 GiB`, `512 MiB`, `1.5 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || (value.fract() == 0.0) {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What an image's first bytes say it is. QCOW2 starts with `QFI\xfb`; an ISO 9660 image has
/// `CD001` at byte 32769 (the first volume descriptor); anything else is taken as raw.
pub fn detect_format(head: &[u8]) -> DiskFormat {
    const ISO_MAGIC_AT: usize = 0x8001;
    if head.starts_with(b"QFI\xfb") {
        DiskFormat::Qcow2
    } else if head.get(ISO_MAGIC_AT..ISO_MAGIC_AT + 5) == Some(b"CD001") {
        DiskFormat::Iso
    } else {
        DiskFormat::Raw
    }
}

/// How many bytes of an image `detect_format` needs to see.
pub const DETECT_BYTES: usize = 0x8001 + 5;

/// A storage domain's name as the user gives it: 1–64 characters of letters, digits, `-`, `_`
/// and `.` (it becomes the libvirt pool's name), not starting with `.` or `-`.
pub fn storage_domain_name_error(name: &str) -> Option<String> {
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (!name_ok).then(|| "Use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.' or '-'.".to_string())
}

/// A directory pool's path on its host: absolute, normalised (no `.`/`..` parts, no `//`), at most
/// 255 bytes of printable characters without quotes, backslashes or control characters. It reaches
/// libvirt as XML text, never a shell, but a path Vireo cannot show plainly is refused anyway.
pub fn pool_path_error(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("Give an absolute path, such as /var/lib/vireo/images.".into());
    }
    if path.len() > 255 {
        return Some("The path is longer than 255 characters.".into());
    }
    if path
        .chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\'' | '\\' | '`' | '$'))
    {
        return Some("The path holds characters Vireo does not accept in a path.".into());
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Some("The root folder cannot be a storage domain.".into());
    }
    if trimmed
        .split('/')
        .skip(1)
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Some("Give the path without '.', '..' or '//' parts.".into());
    }
    const SYSTEM: [&str; 7] = ["/proc", "/sys", "/dev", "/etc", "/boot", "/run", "/bin"];
    if SYSTEM
        .iter()
        .any(|s| trimmed == *s || trimmed.starts_with(&format!("{s}/")))
    {
        return Some("System folders cannot hold a storage domain.".into());
    }
    None
}

/// A disk size in GiB as the dialogs ask for it, in bytes; `None` outside 1 MiB–64 TiB.
pub fn disk_bytes_from_gib(gib: f64) -> Option<u64> {
    if !gib.is_finite() || gib <= 0.0 {
        return None;
    }
    let bytes = (gib * GIB as f64).round();
    (bytes >= MIN_DISK_BYTES as f64 && bytes <= MAX_DISK_BYTES as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_come_from_the_id_and_format() {
        let id = Uuid::from_u128(1);
        assert_eq!(
            volume_name(id, DiskFormat::Qcow2),
            "vireo-00000000-0000-0000-0000-000000000001.qcow2"
        );
        assert!(volume_name(id, DiskFormat::Iso).ends_with(".iso"));
        assert!(volume_name(id, DiskFormat::Raw).ends_with(".img"));
        assert_eq!(DiskFormat::Iso.driver_type(), "raw");
    }

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        assert_eq!(detect_format(b"QFI\xfb\0\0\0\x03rest"), DiskFormat::Qcow2);
        let mut iso = vec![0u8; DETECT_BYTES];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        assert_eq!(detect_format(&iso), DiskFormat::Iso);
        assert_eq!(detect_format(&[0u8; 512]), DiskFormat::Raw);
        assert_eq!(detect_format(b""), DiskFormat::Raw);
        assert_eq!(detect_format(b"QFI"), DiskFormat::Raw, "a cut-off header is not qcow2");
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(10 * GIB), "10 GiB");
        assert_eq!(format_bytes(GIB + GIB / 2), "1.5 GiB");
        assert_eq!(format_bytes(512 << 20), "512 MiB");
        assert_eq!(format_bytes(u64::MAX), "16777216 TiB");
    }

    #[test]
    fn storage_domain_names_are_plain() {
        assert_eq!(storage_domain_name_error("images-1.fast"), None);
        for bad in ["", ".hidden", "-x", "a b", "a/b", "ä", &"x".repeat(65)] {
            assert!(storage_domain_name_error(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn pool_paths_are_absolute_clean_and_not_system_folders() {
        assert_eq!(pool_path_error("/var/lib/vireo/images"), None);
        assert_eq!(pool_path_error("/srv/vm images/"), None);
        for bad in [
            "relative",
            "/",
            "/etc",
            "/etc/libvirt",
            "/proc/self",
            "/srv/../etc",
            "/srv//x",
            "/srv/./x",
            "/srv/x\ny",
            "/srv/$(reboot)",
            &format!("/{}", "x".repeat(300)),
        ] {
            assert!(pool_path_error(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn disk_sizes_are_bounded() {
        assert_eq!(disk_bytes_from_gib(10.0), Some(10 * GIB));
        assert_eq!(disk_bytes_from_gib(0.5), Some(GIB / 2));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9, 1e-9] {
            assert_eq!(disk_bytes_from_gib(bad), None, "{bad}");
        }
    }

    #[test]
    fn io_threads_are_dealt_round_robin_from_one() {
        assert_eq!(round_robin_iothread(0, 0), None);
        assert_eq!(round_robin_iothread(5, 0), None);
        let dealt: Vec<_> = (0..5).map(|n| round_robin_iothread(n, 2)).collect();
        assert_eq!(dealt, vec![Some(1), Some(2), Some(1), Some(2), Some(1)]);
        assert!(round_robin_iothread(usize::MAX, u32::MAX).is_some_and(|t| t >= 1));
    }

    fn disk(n: u128, interface: DiskInterface) -> DiskAttachment {
        DiskAttachment {
            interface,
            ..DiskAttachment::new(Uuid::from_u128(n), n == 1)
        }
    }

    #[test]
    fn high_performance_tuning_counts_only_paravirtual_disks() {
        let disks = [
            disk(1, DiskInterface::Virtio),
            disk(2, DiskInterface::Sata),
            disk(3, DiskInterface::VirtioScsi),
            disk(4, DiskInterface::Virtio),
        ];
        let tuned = high_performance_disks(&disks, 2, false);
        assert!(tuned
            .iter()
            .all(|d| d.cache == DiskCache::None && d.io == DiskIo::Native));
        let threads: Vec<_> = tuned.iter().map(|d| d.iothread).collect();
        assert_eq!(
            threads,
            vec![Some(1), None, Some(2), Some(1)],
            "SATA is skipped, not counted"
        );
        assert_eq!(tuned[1].interface, DiskInterface::Sata, "the profile keeps the bus");
        assert_eq!(tuned[0].disk_id, disks[0].disk_id);
        assert!(tuned[0].bootable);

        let moved = high_performance_disks(&disks, 2, true);
        let threads: Vec<_> = moved.iter().map(|d| d.iothread).collect();
        assert_eq!(threads, vec![Some(1), Some(2), Some(1), Some(2)]);
        assert_eq!(moved[1].interface, DiskInterface::Virtio);
        assert_eq!(
            moved[2].interface,
            DiskInterface::VirtioScsi,
            "virtio-scsi is paravirtual already"
        );

        let no_threads = high_performance_disks(&disks, 0, true);
        assert!(no_threads.iter().all(|d| d.iothread.is_none()));
        assert!(high_performance_disks(&[], 4, true).is_empty());
    }

    #[test]
    fn default_tuning_clears_what_high_performance_set() {
        let tuned = high_performance_disks(&[disk(1, DiskInterface::VirtioScsi)], 1, false);
        let back = default_tuned_disks(&tuned);
        assert_eq!(back, vec![disk(1, DiskInterface::VirtioScsi)]);
        assert_eq!(disk_tuning_text(&tuned[0]), "cache none, io native");
        assert_eq!(iothread_text(tuned[0].iothread), "1");
        assert_eq!(iothread_text(None), "none");
    }

    #[test]
    fn attachments_read_from_older_json_take_defaults() {
        let a: DiskAttachment =
            serde_json::from_str(r#"{"disk_id":"00000000-0000-0000-0000-000000000002"}"#).expect("parses");
        assert_eq!(a, DiskAttachment::new(Uuid::from_u128(2), false));
        assert!(DiskInterface::Virtio.is_paravirtual() && !DiskInterface::Sata.is_paravirtual());
    }
}
