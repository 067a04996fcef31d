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

/// A domain's UUID with its raw state and reason.
pub type RawDomainState = (uuid::Uuid, c_int, c_int);

/// Every domain on the connection with its raw state and reason, in one call
/// (`virConnectGetAllDomainStats`, state group only): one round trip for the whole host, where
/// listing the domains and asking each for its state costs one round trip per domain (a host with
/// thousands of domains, or hundreds of simulated hosts on one test driver, read every 2 s).
/// `Ok(None)` when the driver does not have the call.
pub fn all_domain_states(conn: &Connect) -> Result<Option<Vec<RawDomainState>>, HypervisorError> {
    const STATE: &CStr = c"state.state";
    const REASON: &CStr = c"state.reason";
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: libvirt allocates `records` (a NULL-terminated array) and returns its length.
    let n = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), sys::VIR_DOMAIN_STATS_STATE, &mut records, 0) };
    if n < 0 {
        // SAFETY: reads this thread's last libvirt error.
        if unsafe { sys::virGetLastErrorCode() } == sys::VIR_ERR_NO_SUPPORT as c_int {
            return Ok(None);
        }
        return Err(last_error());
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: `records` holds `n` valid record pointers, freed together below.
        let record = unsafe { &**records.add(i) };
        let mut uuid = [0u8; sys::VIR_UUID_BUFLEN as usize];
        // SAFETY: a valid domain of the record; the buffer has VIR_UUID_BUFLEN bytes. A local call.
        if unsafe { sys::virDomainGetUUID(record.dom, uuid.as_mut_ptr()) } < 0 {
            continue;
        }
        let (mut state, mut reason): (c_int, c_int) = (0, 0);
        // SAFETY: the record's `nparams` typed parameters; a missing one leaves the zero (no state).
        unsafe {
            sys::virTypedParamsGetInt(record.params, record.nparams, STATE.as_ptr(), &mut state);
            sys::virTypedParamsGetInt(record.params, record.nparams, REASON.as_ptr(), &mut reason);
        }
        out.push((uuid::Uuid::from_bytes(uuid), state, reason));
    }
    // SAFETY: frees the records (and their domains) libvirt allocated above, once.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    Ok(Some(out))
}

/// One domain's raw state and reason (`virDomainGetState`).
pub fn domain_state(dom: &virt::domain::Domain) -> Result<(c_int, c_int), HypervisorError> {
    let (mut state, mut reason): (c_int, c_int) = (0, 0);
    // SAFETY: a live domain handle; libvirt writes both integers.
    if unsafe { sys::virDomainGetState(dom.as_ptr(), &mut state, &mut reason, 0) } < 0 {
        return Err(last_error());
    }
    Ok((state, reason))
}
