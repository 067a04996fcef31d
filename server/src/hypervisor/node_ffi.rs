//! Node calls the `virt` crate does not wrap, through `virt-sys`. Each function keeps its unsafe
//! blocks to the FFI calls and frees what libvirt allocates.

use super::HypervisorError;
use std::ffi::CStr;
use std::os::raw::{c_int, c_uint, c_ulonglong};
use virt::connect::Connect;
use virt_sys as sys;

pub(super) fn last_error() -> HypervisorError {
    // SAFETY: returns a pointer to a thread-local string owned by libvirt, or null.
    let msg = unsafe { sys::virGetLastErrorMessage() };
    if msg.is_null() {
        return HypervisorError::Libvirt("libvirt reported an unknown error".into());
    }
    // SAFETY: non-null and NUL-terminated, valid until the next libvirt call on this thread.
    HypervisorError::Libvirt(unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned())
}

const SHM_RUN: &CStr = c"shm_run";

pub fn shm_run(conn: &Connect) -> Result<u32, HypervisorError> {
    let mut count: c_int = 0;
    // SAFETY: a null params array asks libvirt for the parameter count only.
    if unsafe { sys::virNodeGetMemoryParameters(conn.as_ptr(), std::ptr::null_mut(), &mut count, 0) } < 0 {
        return Err(last_error());
    }
    if count <= 0 {
        return Err(HypervisorError::Libvirt("the host reports no memory parameters".into()));
    }
    // SAFETY: virTypedParameter is plain data; all-zero is its empty value.
    let mut params: Vec<sys::virTypedParameter> = vec![unsafe { std::mem::zeroed() }; count as usize];
    // SAFETY: `params` holds `count` entries, as libvirt asked for.
    if unsafe { sys::virNodeGetMemoryParameters(conn.as_ptr(), params.as_mut_ptr(), &mut count, 0) } < 0 {
        return Err(last_error());
    }
    let mut value: c_uint = 0;
    // SAFETY: `params` holds `count` initialised entries.
    let found = unsafe { sys::virTypedParamsGetUInt(params.as_mut_ptr(), count, SHM_RUN.as_ptr(), &mut value) };
    // SAFETY: frees the string values libvirt may have allocated inside the entries.
    unsafe { sys::virTypedParamsClear(params.as_mut_ptr(), count) };
    match found {
        1 => Ok(value),
        0 => Err(HypervisorError::Libvirt(
            "the host does not report shm_run (no KSM)".into(),
        )),
        _ => Err(last_error()),
    }
}

pub fn set_shm_run(conn: &Connect, value: u32) -> Result<(), HypervisorError> {
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n: c_int = 0;
    let mut max: c_int = 0;
    // SAFETY: libvirt grows `params` and records its size in `n` and `max`.
    if unsafe { sys::virTypedParamsAddUInt(&mut params, &mut n, &mut max, SHM_RUN.as_ptr(), value) } < 0 {
        return Err(last_error());
    }
    // SAFETY: `params` holds the `n` entries built above.
    let rc = unsafe { sys::virNodeSetMemoryParameters(conn.as_ptr(), params, n, 0) };
    let err = (rc < 0).then(last_error);
    // SAFETY: frees what virTypedParamsAddUInt allocated.
    unsafe { sys::virTypedParamsFree(params, n) };
    err.map_or(Ok(()), Err)
}

pub fn alloc_pages(conn: &Connect, size_kib: u32, count: u64, cell: u32) -> Result<(), HypervisorError> {
    let mut sizes = [size_kib as c_uint];
    let mut counts = [count as c_ulonglong];
    let cell =
        c_int::try_from(cell).map_err(|_| HypervisorError::Libvirt(format!("NUMA cell {cell} is out of range")))?;
    // SAFETY: one page size and one count, for the single cell `cell`.
    let rc = unsafe {
        sys::virNodeAllocPages(
            conn.as_ptr(),
            1,
            sizes.as_mut_ptr(),
            counts.as_mut_ptr(),
            cell,
            1,
            sys::VIR_NODE_ALLOC_PAGES_ADD,
        )
    };
    if rc < 0 {
        return Err(last_error());
    }
    Ok(())
}
