//! libvirt's storage API for the `Hypervisor` trait: pools (Vireo's storage domains) and their
//! volumes (disks), and plugging disks into running domains. Pool and volume XML is written and
//! read by the pure `vireo_app::domain::storage_xml`.

use super::connection_pool::Session;
use super::errors::{libvirt_error, HypervisorError};
use super::{PoolInfo, VolumeInfo};
use std::time::Duration;
use uuid::Uuid;
use vireo_app::domain::storage_xml::{self, VolumeSpec};
use virt::enumutil::Enum::Known;
use virt::error::ErrorNumber;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt_sys as sys;

/// Creating a preallocated volume or copying one writes the whole size: allow for a slow disk
/// (the call still ends when libvirt answers).
pub(super) const LONG_CALL: Duration = Duration::from_secs(30 * 60);

pub(super) fn pool_info(pool: &StoragePool) -> Result<PoolInfo, HypervisorError> {
    let xml = pool.xml_desc(0).map_err(libvirt_error)?;
    let facts = storage_xml::parse_pool_xml(&xml).map_err(HypervisorError::Libvirt)?;
    let info = pool.info().map_err(libvirt_error)?;
    Ok(PoolInfo {
        uuid: pool.uuid().ok(),
        name: pool.name().map_err(libvirt_error)?,
        pool_type: facts.pool_type,
        path: facts.path,
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        active: pool.is_active().map_err(libvirt_error)?,
    })
}

pub(super) fn volume_info(vol: &StorageVol) -> Result<VolumeInfo, HypervisorError> {
    let info = vol.info().map_err(libvirt_error)?;
    Ok(VolumeInfo {
        name: vol.name().map_err(libvirt_error)?,
        path: vol.path().map_err(libvirt_error)?,
        capacity: info.capacity,
        allocation: info.allocation,
    })
}

pub(super) fn pools(s: &Session<'_>) -> Result<Vec<PoolInfo>, HypervisorError> {
    let mut out = Vec::new();
    for pool in s.conn.list_all_storage_pools(0).map_err(libvirt_error)? {
        out.push(pool_info(&pool)?);
    }
    Ok(out)
}

pub(super) fn pool(s: &Session<'_>, name: &str) -> Result<StoragePool, HypervisorError> {
    s.conn.lookup_storage_pool_by_name(name).map_err(libvirt_error)
}

/// Defines a directory pool, builds its folder, starts it and marks it autostarted. A failure
/// after the definition undefines it again, so a refused pool leaves nothing behind.
pub(super) fn define_dir_pool(s: &Session<'_>, name: &str, path: &str) -> Result<PoolInfo, HypervisorError> {
    let xml = storage_xml::dir_pool_xml(name, path);
    let pool = s.conn.define_storage_pool_xml(&xml, 0).map_err(libvirt_error)?;
    let started = pool
        .build(sys::VIR_STORAGE_POOL_BUILD_NEW)
        .and_then(|()| pool.create(sys::VIR_STORAGE_POOL_CREATE_NORMAL))
        .and_then(|()| pool.set_autostart(true).map(|_| ()));
    if let Err(e) = started {
        if pool.is_active().unwrap_or(false) {
            let _ = pool.destroy();
        }
        let _ = pool.undefine();
        return Err(libvirt_error(e));
    }
    pool_info(&pool)
}

/// Stops and undefines the pool; its folder and files stay on the host.
pub(super) fn remove_pool(s: &Session<'_>, name: &str) -> Result<(), HypervisorError> {
    let pool = pool(s, name)?;
    if pool.is_active().map_err(libvirt_error)? {
        pool.destroy().map_err(libvirt_error)?;
    }
    pool.undefine().map_err(libvirt_error)
}

pub(super) fn refresh_pool(s: &Session<'_>, name: &str) -> Result<PoolInfo, HypervisorError> {
    let pool = pool(s, name)?;
    if pool.is_active().map_err(libvirt_error)? {
        // The test driver does not implement refresh; its sizes are always current.
        if let Err(e) = pool.refresh(0) {
            if !unsupported(&e) {
                return Err(libvirt_error(e));
            }
        }
    }
    pool_info(&pool)
}

pub(super) fn volumes(s: &Session<'_>, pool_name: &str) -> Result<Vec<VolumeInfo>, HypervisorError> {
    let pool = pool(s, pool_name)?;
    let mut out = Vec::new();
    for vol in pool.list_all_volumes(0).map_err(libvirt_error)? {
        out.push(volume_info(&vol)?);
    }
    Ok(out)
}

/// The volume, or `None` when the pool does not have it.
pub(super) fn find_volume(s: &Session<'_>, pool_name: &str, name: &str) -> Result<Option<StorageVol>, HypervisorError> {
    let pool = pool(s, pool_name)?;
    match pool.lookup_storage_vol_by_name(name) {
        Ok(vol) => Ok(Some(vol)),
        Err(e) if e.code() == Known(ErrorNumber::NoStorageVolume) => Ok(None),
        Err(e) => Err(libvirt_error(e)),
    }
}

pub(super) fn create_volume(
    s: &Session<'_>,
    pool_name: &str,
    spec: &VolumeSpec,
) -> Result<VolumeInfo, HypervisorError> {
    let pool = pool(s, pool_name)?;
    let xml = storage_xml::volume_xml(spec);
    // qcow2 with preallocated metadata: the guest's writes need not grow the image's tables.
    let flags = if spec.preallocate && spec.backing.is_none() && spec.format.driver_type() == "qcow2" {
        sys::VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA
    } else {
        0
    };
    let vol = StorageVol::create_xml(&pool, &xml, flags).map_err(libvirt_error)?;
    volume_info(&vol)
}

/// A full copy of `source` as the new volume `spec` (same pool).
pub(super) fn clone_volume(
    s: &Session<'_>,
    pool_name: &str,
    source: &str,
    spec: &VolumeSpec,
) -> Result<VolumeInfo, HypervisorError> {
    let pool = pool(s, pool_name)?;
    let source = pool.lookup_storage_vol_by_name(source).map_err(libvirt_error)?;
    let xml = storage_xml::volume_xml(spec);
    let vol = StorageVol::create_xml_from(&pool, &xml, &source, 0).map_err(libvirt_error)?;
    volume_info(&vol)
}

/// Deletes the volume; one the pool does not have is already gone.
pub(super) fn delete_volume(s: &Session<'_>, pool_name: &str, name: &str) -> Result<(), HypervisorError> {
    match find_volume(s, pool_name, name)? {
        Some(vol) => vol.delete(sys::VIR_STORAGE_VOL_DELETE_NORMAL).map_err(libvirt_error),
        None => Ok(()),
    }
}

pub(super) fn resize_volume(
    s: &Session<'_>,
    pool_name: &str,
    name: &str,
    capacity: u64,
) -> Result<VolumeInfo, HypervisorError> {
    let vol = find_volume(s, pool_name, name)?
        .ok_or_else(|| HypervisorError::Libvirt(format!("the host has no volume {name}")))?;
    vol.resize(capacity, 0).map_err(|e| {
        if unsupported(&e) {
            HypervisorError::Libvirt("this host cannot resize volumes (libvirt's test driver does not)".into())
        } else {
            libvirt_error(e)
        }
    })?;
    volume_info(&vol)
}

/// The whole upload's deadline: ten minutes, plus a second per MiB (an upload slower than 1 MiB/s
/// on average is given up; the client's own stall is caught sooner by the service's idle timeout).
pub(super) fn upload_deadline(length: u64) -> Duration {
    Duration::from_secs(600 + length / (1 << 20))
}

/// Streams `length` bytes from `chunks` into the volume from offset 0 (`virStorageVolUpload`),
/// then finishes the stream. Runs on the blocking pool: `blocking_recv` waits for the next chunk,
/// and the bounded channel makes a fast client wait for libvirt. The channel closing before
/// `length` bytes (the client went away, or the service stopped on a bad body) or a failed send
/// aborts the stream, so libvirt closes the file; the caller deletes the volume.
pub(super) fn upload_volume(
    s: &Session<'_>,
    pool_name: &str,
    name: &str,
    length: u64,
    mut chunks: tokio::sync::mpsc::Receiver<axum::body::Bytes>,
) -> Result<u64, HypervisorError> {
    let vol = find_volume(s, pool_name, name)?
        .ok_or_else(|| HypervisorError::Libvirt(format!("the host has no volume {name}")))?;
    let stream = Stream::new(s.conn, 0).map_err(libvirt_error)?;
    vol.upload(&stream, 0, length, 0).map_err(|e| {
        if unsupported(&e) {
            HypervisorError::Libvirt("this host cannot receive uploads (libvirt's test driver does not)".into())
        } else {
            libvirt_error(e)
        }
    })?;
    let fail = |stream: Stream, why: HypervisorError| {
        // The stream is given up either way; the abort's own error adds nothing to `why`.
        let _ = stream.abort();
        Err(why)
    };
    let mut written: u64 = 0;
    while let Some(chunk) = chunks.blocking_recv() {
        if written + chunk.len() as u64 > length {
            return fail(
                stream,
                HypervisorError::Libvirt(format!("more than the {length} bytes announced arrived")),
            );
        }
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            // A send may take only part of the buffer: send the rest until it is all gone.
            match stream.send(rest) {
                Ok(sent) if sent > 0 => rest = rest.get(sent as usize..).unwrap_or_default(),
                Ok(_) => return fail(stream, HypervisorError::Libvirt("the host stopped taking data".into())),
                Err(e) => return fail(stream, libvirt_error(e)),
            }
        }
        written += chunk.len() as u64;
    }
    if written != length {
        return fail(
            stream,
            HypervisorError::Libvirt(format!("the upload ended after {written} of {length} bytes")),
        );
    }
    stream.finish().map_err(libvirt_error)?;
    Ok(written)
}

/// Plugs (`attach`) or unplugs a device on a running domain, in its live and persistent
/// definitions. `Ok(false)` when the host cannot do it live (the change then waits for the next
/// start), an error when the host refused the device itself.
pub(super) fn change_device(s: &Session<'_>, id: Uuid, xml: &str, attach: bool) -> Result<bool, HypervisorError> {
    let Some(dom) = s.domain(id)? else {
        return Ok(false);
    };
    if !dom.is_active().map_err(libvirt_error)? {
        return Ok(false);
    }
    let flags = sys::VIR_DOMAIN_AFFECT_LIVE | sys::VIR_DOMAIN_AFFECT_CONFIG;
    let done = if attach {
        dom.attach_device_flags(xml, flags)
    } else {
        dom.detach_device_flags(xml, flags)
    };
    match done {
        Ok(()) => Ok(true),
        Err(e) if unsupported(&e) => Ok(false),
        Err(e) => Err(libvirt_error(e)),
    }
}

/// libvirt's "this driver does not do that" (the test driver lacks upload, resize, refresh and
/// hotplug).
pub(super) fn unsupported(e: &virt::error::Error) -> bool {
    e.code() == Known(ErrorNumber::NoSupport)
}
