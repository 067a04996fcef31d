//! What an uploaded image's first bytes must say before Vireo writes it into a storage domain. Pure;
//! the upload service (`server/src/service/disk_upload.rs`) calls `upload_head_problem` on the
//! buffered head of the body before it makes the volume.
//!
//! The danger is not a broken image (QEMU refuses those) but a valid one that points elsewhere: a
//! qcow2 with a backing file or an external data file names a *host* path, and a VM given that
//! image would read (or, for a data file, write) that host file. So such headers are refused.

use super::storage::{detect_format, format_bytes, DiskFormat, DETECT_BYTES, MAX_DISK_BYTES};

/// The bytes of the head the checks read: enough for ISO detection (the volume descriptor at
/// 32 KiB) and far more than any qcow2 header Vireo accepts.
pub const HEAD_BYTES: usize = DETECT_BYTES;

/// A qcow2 version 2 header is 72 bytes; version 3 adds fields up to `header_length` (≥ 104).
const QCOW2_V2_HEADER: usize = 72;
const QCOW2_V3_MIN_HEADER: usize = 104;
/// incompatible_features bit 1: QEMU marked the image corrupt.
const INCOMPAT_CORRUPT: u64 = 1 << 1;
/// incompatible_features bit 2: the guest's data lives in an external file named in the header.
const INCOMPAT_DATA_FILE: u64 = 1 << 2;

fn be_u32(head: &[u8], at: usize) -> Option<u32> {
    head.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
}

fn be_u64(head: &[u8], at: usize) -> Option<u64> {
    head.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
}

/// Why this qcow2 header may not be stored, or `None` when it is a self-contained qcow2 v2/v3
/// image. `head` starts at byte 0 of the file (the magic is assumed checked by `detect_format`).
pub fn qcow2_header_problem(head: &[u8]) -> Option<String> {
    let cut_off = || Some("The qcow2 header is cut off: the file is shorter than its header says.".to_string());
    let Some(version) = be_u32(head, 4) else {
        return cut_off();
    };
    let header_length = match version {
        2 => QCOW2_V2_HEADER,
        3 => match be_u32(head, 100) {
            Some(n) if (n as usize) < QCOW2_V3_MIN_HEADER => {
                return Some(format!(
                    "The qcow2 header claims {n} bytes; version 3 needs at least {QCOW2_V3_MIN_HEADER}."
                ))
            }
            Some(n) => n as usize,
            None => return cut_off(),
        },
        other => {
            return Some(format!(
                "qcow2 version {other} is not supported; convert the image to qcow2 version 2 or 3 (qemu-img convert -O qcow2)."
            ))
        }
    };
    if head.len() < header_length.min(HEAD_BYTES) {
        return cut_off();
    }
    if let Some(size) = be_u64(head, 24).filter(|s| *s > MAX_DISK_BYTES) {
        return Some(format!(
            "The image's disk is {} ({size} bytes); Vireo's disks are at most {}.",
            format_bytes(size),
            format_bytes(MAX_DISK_BYTES)
        ));
    }
    if be_u64(head, 8).is_some_and(|offset| offset != 0) {
        return Some(
            "The qcow2 image names a backing file: a VM would read a file of the host through it. \
             Upload a self-contained image (qemu-img convert -O qcow2 flattens it)."
                .into(),
        );
    }
    if version == 3 {
        let incompatible = be_u64(head, 72).unwrap_or(0);
        if incompatible & INCOMPAT_DATA_FILE != 0 {
            return Some(
                "The qcow2 image keeps its data in an external file of the host. Upload a \
                 self-contained image (qemu-img convert -O qcow2)."
                    .into(),
            );
        }
        if incompatible & INCOMPAT_CORRUPT != 0 {
            return Some("QEMU marked this qcow2 image corrupt; repair it with qemu-img check -r all first.".into());
        }
    }
    None
}

/// The virtual size a qcow2 header declares (bytes 24..32): the disk the guest sees. `None` for a
/// head too short to hold it.
pub fn qcow2_virtual_size(head: &[u8]) -> Option<u64> {
    be_u64(head, 24)
}

/// Other disk image formats QEMU would open by their magic. Vireo stores only qcow2, raw and ISO;
/// uploaded as "raw", one of these would be a raw disk full of another format's metadata.
fn other_image_format(head: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], usize, &str); 5] = [
        (b"QED\0", 0, "QED"),
        (b"KDMV", 0, "VMDK"),
        (b"conectix", 0, "VHD"),
        (b"vhdxfile", 0, "VHDX"),
        (b"<<< Oracle VM VirtualBox Disk Image >>>", 0, "VDI"),
    ];
    MAGICS
        .iter()
        .find(|(magic, at, _)| head.get(*at..*at + magic.len()) == Some(*magic))
        .map(|(_, _, name)| *name)
}

/// Whether the head of an upload declared as `declared` may be stored: the format its bytes show
/// must be the declared one, and a qcow2 header must be self-contained. `head` is the first
/// `HEAD_BYTES` of the file, or the whole file when it is shorter (judged on what there is: a
/// short file cannot be an ISO, whose magic sits at 32 KiB).
pub fn upload_head_problem(declared: DiskFormat, head: &[u8]) -> Option<String> {
    if let Some(other) = other_image_format(head) {
        return Some(format!(
            "This file is a {other} image; convert it to qcow2 first (qemu-img convert -O qcow2)."
        ));
    }
    let detected = detect_format(head);
    if detected != declared {
        return Some(match detected {
            DiskFormat::Qcow2 => "This file is a qcow2 image; choose QCOW2 as its format.".to_string(),
            DiskFormat::Iso => "This file is an ISO image; choose ISO as its format.".to_string(),
            DiskFormat::Raw => format!(
                "This file is not a {} image (its first bytes say raw); choose Raw, or check the file.",
                declared.label()
            ),
        });
    }
    match detected {
        DiskFormat::Qcow2 => qcow2_header_problem(head),
        DiskFormat::Raw | DiskFormat::Iso => None,
    }
}

/// The format a file name suggests (`.qcow2`, `.iso`, `.img`/`.raw`), for the dialog's first guess.
pub fn format_from_file_name(name: &str) -> Option<DiskFormat> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "qcow2" | "qcow" => Some(DiskFormat::Qcow2),
        "iso" => Some(DiskFormat::Iso),
        "img" | "raw" => Some(DiskFormat::Raw),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A qcow2 header as `qemu-img create` writes it (version 3, 104-byte header, 64 KiB clusters).
    fn qcow2(version: u32) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..4].copy_from_slice(b"QFI\xfb");
        h[4..8].copy_from_slice(&version.to_be_bytes());
        h[20..24].copy_from_slice(&16u32.to_be_bytes());
        h[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        if version == 3 {
            h[96..100].copy_from_slice(&4u32.to_be_bytes());
            h[100..104].copy_from_slice(&104u32.to_be_bytes());
        }
        h
    }

    #[test]
    fn self_contained_qcow2_v2_and_v3_pass() {
        assert_eq!(qcow2_header_problem(&qcow2(3)), None);
        assert_eq!(qcow2_header_problem(&qcow2(2)), None);
        assert_eq!(qcow2_virtual_size(&qcow2(3)), Some(1 << 30));
        assert_eq!(qcow2_virtual_size(b"QFI\xfb"), None);
        assert_eq!(upload_head_problem(DiskFormat::Qcow2, &qcow2(3)), None);
        // A whole small file shorter than HEAD_BYTES is judged on what there is.
        assert_eq!(upload_head_problem(DiskFormat::Qcow2, &qcow2(3)[..104]), None);
    }

    #[test]
    fn a_backing_file_or_external_data_file_is_refused() {
        let mut backed = qcow2(3);
        backed[8..16].copy_from_slice(&512u64.to_be_bytes());
        assert!(qcow2_header_problem(&backed).is_some_and(|m| m.contains("backing file")));
        let mut backed_v2 = qcow2(2);
        backed_v2[15] = 0x48;
        assert!(qcow2_header_problem(&backed_v2).is_some_and(|m| m.contains("backing file")));
        let mut data_file = qcow2(3);
        data_file[79] = 0b100;
        assert!(qcow2_header_problem(&data_file).is_some_and(|m| m.contains("external file")));
        let mut corrupt = qcow2(3);
        corrupt[79] = 0b010;
        assert!(qcow2_header_problem(&corrupt).is_some_and(|m| m.contains("corrupt")));
        // Version 2 has no feature fields: bytes 72.. are not read as features.
        let mut v2 = qcow2(2);
        v2[79] = 0b100;
        assert_eq!(qcow2_header_problem(&v2), None);
    }

    #[test]
    fn other_versions_and_cut_off_headers_are_refused() {
        for version in [0, 1, 4, u32::MAX] {
            assert!(
                qcow2_header_problem(&qcow2(version)).is_some_and(|m| m.contains("version")),
                "{version}"
            );
        }
        assert!(qcow2_header_problem(b"QFI\xfb").is_some_and(|m| m.contains("cut off")));
        assert!(qcow2_header_problem(&qcow2(3)[..80]).is_some_and(|m| m.contains("cut off")));
        assert!(qcow2_header_problem(&qcow2(2)[..71]).is_some_and(|m| m.contains("cut off")));
        let mut short_claim = qcow2(3);
        short_claim[100..104].copy_from_slice(&72u32.to_be_bytes());
        assert!(qcow2_header_problem(&short_claim).is_some_and(|m| m.contains("at least")));
        let mut long_claim = qcow2(3);
        long_claim[100..104].copy_from_slice(&4096u32.to_be_bytes());
        assert!(qcow2_header_problem(&long_claim).is_some_and(|m| m.contains("cut off")));
        let mut huge_disk = qcow2(3);
        huge_disk[24..32].copy_from_slice(&(MAX_DISK_BYTES + 1).to_be_bytes());
        assert!(qcow2_header_problem(&huge_disk).is_some_and(|m| m.contains("at most")));
        // A huge claim is bounded by what Vireo reads, not trusted as an allocation size.
        let mut huge = qcow2(3);
        huge.resize(HEAD_BYTES, 0);
        huge[100..104].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(qcow2_header_problem(&huge), None);
    }

    #[test]
    fn the_declared_format_must_be_the_detected_one() {
        let mut iso = vec![0u8; HEAD_BYTES];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        let raw = vec![0u8; 4096];
        assert_eq!(upload_head_problem(DiskFormat::Iso, &iso), None);
        assert_eq!(upload_head_problem(DiskFormat::Raw, &raw), None);
        assert!(upload_head_problem(DiskFormat::Raw, &qcow2(3)).is_some_and(|m| m.contains("QCOW2")));
        assert!(upload_head_problem(DiskFormat::Raw, &iso).is_some_and(|m| m.contains("ISO")));
        assert!(upload_head_problem(DiskFormat::Qcow2, &raw).is_some_and(|m| m.contains("raw")));
        assert!(upload_head_problem(DiskFormat::Iso, &raw).is_some_and(|m| m.contains("raw")));
        // An ISO cut before its volume descriptor is not an ISO.
        assert!(upload_head_problem(DiskFormat::Iso, &iso[..0x8003]).is_some());
        assert!(upload_head_problem(DiskFormat::Raw, b"").is_none());
    }

    #[test]
    fn other_image_formats_are_named() {
        let mut vmdk = vec![0u8; 512];
        vmdk[..4].copy_from_slice(b"KDMV");
        assert!(upload_head_problem(DiskFormat::Raw, &vmdk).is_some_and(|m| m.contains("VMDK")));
        assert!(upload_head_problem(DiskFormat::Raw, b"QED\0rest").is_some_and(|m| m.contains("QED")));
    }

    #[test]
    fn file_names_suggest_a_format() {
        assert_eq!(format_from_file_name("debian.QCOW2"), Some(DiskFormat::Qcow2));
        assert_eq!(format_from_file_name("install.iso"), Some(DiskFormat::Iso));
        assert_eq!(format_from_file_name("disk.img"), Some(DiskFormat::Raw));
        assert_eq!(format_from_file_name("disk.raw"), Some(DiskFormat::Raw));
        assert_eq!(format_from_file_name("noext"), None);
        assert_eq!(format_from_file_name("x.vmdk"), None);
    }
}
