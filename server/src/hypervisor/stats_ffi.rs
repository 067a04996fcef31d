//! Usage counters through `virt-sys`: `virConnectGetAllDomainStats` (the `virt` crate's wrapper
//! hands out raw records it never frees), `virNodeGetCPUStats` and `virNodeGetMemoryStats`. Drivers
//! report what they can: a field the host does not report stays `None`, and a call the driver does
//! not have falls back to the older per-domain `virDomainGetInfo` or to node info.

use super::node_ffi::last_error;
use super::{DomainStats, HypervisorError, NodeUsage};
use std::ffi::CStr;
use std::os::raw::{c_int, c_uint};
use uuid::Uuid;
use vireo_app::domain::usage::NodeCpuTimes;
use virt::connect::Connect;
use virt_sys as sys;

/// The stats groups Vireo reads: CPU time, balloon (memory), vCPU count, interfaces, block devices.
const GROUPS: c_uint = sys::VIR_DOMAIN_STATS_CPU_TOTAL
    | sys::VIR_DOMAIN_STATS_BALLOON
    | sys::VIR_DOMAIN_STATS_VCPU
    | sys::VIR_DOMAIN_STATS_INTERFACE
    | sys::VIR_DOMAIN_STATS_BLOCK;

/// Counters of every running domain on the host.
pub fn all_domain_stats(conn: &Connect) -> Result<Vec<DomainStats>, HypervisorError> {
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: libvirt allocates the NULL-terminated record list into `records`; freed below.
    let n = unsafe {
        sys::virConnectGetAllDomainStats(
            conn.as_ptr(),
            GROUPS,
            &mut records,
            sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
        )
    };
    if n < 0 {
        // Drivers without the call: one `virDomainGetInfo` per running domain.
        return domain_infos(conn);
    }
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for i in 0..usize::try_from(n).unwrap_or(0) {
        // SAFETY: `records` holds `n` valid record pointers.
        let record = unsafe { *records.add(i) };
        if record.is_null() {
            continue;
        }
        // SAFETY: a record libvirt returned: its domain and `nparams` typed parameters.
        let (dom, params) = unsafe { ((*record).dom, typed_params((*record).params, (*record).nparams)) };
        let Some(id) = domain_uuid(dom) else { continue };
        let mut stats = from_params(id, &params);
        if stats.cpu_time_ns.is_none() {
            // The test driver reports no counters in the stats call; its domain info has them.
            fill_from_info(dom, &mut stats);
        }
        out.push(stats);
    }
    // SAFETY: frees the records, their parameters and their domain references, and the list.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    Ok(out)
}

/// The typed parameters as (name, value) for the integer ones (every counter Vireo reads is one).
///
/// # Safety
/// `params` must point at `n` initialised entries (or be null with `n` 0).
unsafe fn typed_params(params: sys::virTypedParameterPtr, n: c_int) -> Vec<(String, u64)> {
    let n = usize::try_from(n).unwrap_or(0);
    if params.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: the caller promises `n` entries.
    let slice = unsafe { std::slice::from_raw_parts(params, n) };
    slice
        .iter()
        .filter_map(|p| {
            // SAFETY: `field` is a NUL-terminated fixed-size array libvirt fills.
            let name = unsafe { CStr::from_ptr(p.field.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            // SAFETY: the union member read is the one `type_` names.
            let value = unsafe {
                match p.type_ as u32 {
                    sys::VIR_TYPED_PARAM_ULLONG => Some(p.value.ul),
                    sys::VIR_TYPED_PARAM_LLONG => u64::try_from(p.value.l).ok(),
                    sys::VIR_TYPED_PARAM_UINT => Some(u64::from(p.value.ui)),
                    sys::VIR_TYPED_PARAM_INT => u64::try_from(p.value.i).ok(),
                    _ => None,
                }
            }?;
            Some((name, value))
        })
        .collect()
}

fn domain_uuid(dom: sys::virDomainPtr) -> Option<Uuid> {
    let mut buf = [0 as std::os::raw::c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    // SAFETY: `dom` is a live domain of the record; the buffer has the size libvirt needs.
    if unsafe { sys::virDomainGetUUIDString(dom, buf.as_mut_ptr()) } < 0 {
        return None;
    }
    // SAFETY: libvirt wrote a NUL-terminated string.
    Uuid::parse_str(&unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy()).ok()
}

/// Fills what `virDomainGetInfo` knows (CPU time, vCPUs, memory) and the stats call did not say.
fn fill_from_info(dom: sys::virDomainPtr, stats: &mut DomainStats) {
    // SAFETY: plain data; all-zero is a valid value.
    let mut info: sys::virDomainInfo = unsafe { std::mem::zeroed() };
    // `c_ulong` is 32 bits on some targets, hence the casts below.
    // SAFETY: `dom` is live, `info` is the struct libvirt fills.
    if unsafe { sys::virDomainGetInfo(dom, &mut info) } < 0 {
        return;
    }
    stats.cpu_time_ns = stats.cpu_time_ns.or(Some(info.cpuTime));
    stats.vcpus = stats.vcpus.or(Some(u32::from(info.nrVirtCpu)));
    stats.memory_kib = stats.memory_kib.or(Some(info.memory as u64));
    stats.memory_max_kib = stats.memory_max_kib.or(Some(info.maxMem as u64));
}

/// Without `virConnectGetAllDomainStats`: the running domains' `virDomainGetInfo`.
fn domain_infos(conn: &Connect) -> Result<Vec<DomainStats>, HypervisorError> {
    let domains = conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        .map_err(super::errors::libvirt_error)?;
    Ok(domains
        .iter()
        .filter_map(|dom| {
            let id = dom.uuid().ok()?;
            let info = dom.info().ok();
            Some(DomainStats {
                id,
                cpu_time_ns: info.as_ref().map(|i| i.cpu_time),
                vcpus: info.as_ref().map(|i| i.nr_virt_cpu),
                memory_kib: info.as_ref().map(|i| i.memory),
                memory_max_kib: info.as_ref().map(|i| i.max_mem),
                ..DomainStats::default()
            })
        })
        .collect())
}

/// A domain's counters from its stats record's parameters: `cpu.time`, `vcpu.current`,
/// `balloon.rss` (else `balloon.current`) and `balloon.maximum` in KiB, and the sums over
/// `block.<n>.rd.bytes`/`wr.bytes` and `net.<n>.rx.bytes`/`tx.bytes`.
pub fn from_params(id: Uuid, params: &[(String, u64)]) -> DomainStats {
    let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
    let sum = |prefix: &str, suffix: &str| {
        let mut found = false;
        let total = params
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
            })
            .inspect(|_| found = true)
            .fold(0u64, |acc, (_, v)| acc.saturating_add(*v));
        found.then_some(total)
    };
    DomainStats {
        id,
        cpu_time_ns: get("cpu.time"),
        vcpus: get("vcpu.current").and_then(|v| u32::try_from(v).ok()),
        memory_kib: get("balloon.rss").or_else(|| get("balloon.current")),
        memory_max_kib: get("balloon.maximum"),
        disk_read_bytes: sum("block.", ".rd.bytes"),
        disk_write_bytes: sum("block.", ".wr.bytes"),
        net_rx_bytes: sum("net.", ".rx.bytes"),
        net_tx_bytes: sum("net.", ".tx.bytes"),
    }
}

/// The host's CPU times and memory.
pub fn node_usage(conn: &Connect) -> NodeUsage {
    let cpu = node_cpu_times(conn);
    let (memory_total_kib, memory_used_kib) = match node_memory(conn) {
        Some((total, used)) => (Some(total), Some(used)),
        // The test driver has no memory stats: node info's size and the free memory.
        None => {
            let total = conn.node_info().ok().map(|i| i.memory);
            let free = conn.free_memory().ok().map(|b| b / 1024);
            (total, total.zip(free).map(|(t, f)| t.saturating_sub(f)))
        }
    };
    NodeUsage {
        cpu,
        memory_total_kib,
        memory_used_kib,
    }
}

/// Named values of a `virNodeGetCPUStats`/`virNodeGetMemoryStats`-shaped call (same layout).
fn node_fields(
    call: impl Fn(*mut sys::virNodeCPUStats, *mut c_int) -> c_int,
) -> Result<Vec<(String, u64)>, HypervisorError> {
    let mut n: c_int = 0;
    if call(std::ptr::null_mut(), &mut n) < 0 {
        return Err(last_error());
    }
    // A host reports a handful; more would be a confused driver.
    let count = usize::try_from(n).unwrap_or(0).min(64);
    if count == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: plain data; all-zero is a valid value.
    let mut params: Vec<sys::virNodeCPUStats> = vec![unsafe { std::mem::zeroed() }; count];
    let mut n = c_int::try_from(count).unwrap_or(0);
    if call(params.as_mut_ptr(), &mut n) < 0 {
        return Err(last_error());
    }
    Ok(params
        .iter()
        .take(usize::try_from(n).unwrap_or(0))
        // SAFETY: `field` is a NUL-terminated fixed-size array libvirt fills.
        .map(|p| {
            (
                unsafe { CStr::from_ptr(p.field.as_ptr()) }
                    .to_string_lossy()
                    .into_owned(),
                p.value,
            )
        })
        .collect())
}

fn node_cpu_times(conn: &Connect) -> Option<NodeCpuTimes> {
    let fields = node_fields(|params, n| {
        // SAFETY: null params asks for the count; otherwise `params` holds `*n` entries.
        unsafe { sys::virNodeGetCPUStats(conn.as_ptr(), sys::VIR_NODE_CPU_STATS_ALL_CPUS, params, n, 0) }
    })
    .ok()?;
    NodeCpuTimes::from_fields(fields.iter().map(|(k, v)| (k.as_str(), *v)))
}

/// (total, used) KiB: total less free, buffers and page cache.
fn node_memory(conn: &Connect) -> Option<(u64, u64)> {
    let fields = node_fields(|params, n| {
        // SAFETY: as above; `virNodeMemoryStats` has the same layout as `virNodeCPUStats`.
        unsafe {
            sys::virNodeGetMemoryStats(
                conn.as_ptr(),
                sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
                params.cast::<sys::virNodeMemoryStats>(),
                n,
                0,
            )
        }
    })
    .ok()?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
    let total = get("total")?;
    let reclaimable = [get("free"), get("buffers"), get("cached")]
        .into_iter()
        .flatten()
        .fold(0u64, u64::saturating_add);
    Some((total, total.saturating_sub(reclaimable)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: u64) -> (String, u64) {
        (k.to_string(), v)
    }

    #[test]
    fn counters_are_read_and_summed_over_devices() {
        let id = Uuid::nil();
        let s = from_params(
            id,
            &[
                p("cpu.time", 5_000),
                p("vcpu.current", 2),
                p("balloon.current", 2048),
                p("balloon.maximum", 4096),
                p("balloon.rss", 1024),
                p("block.count", 2),
                p("block.0.rd.bytes", 10),
                p("block.1.rd.bytes", 5),
                p("block.0.wr.bytes", 7),
                p("block.0.rd.reqs", 99),
                p("net.count", 1),
                p("net.0.rx.bytes", 100),
                p("net.0.tx.bytes", 50),
            ],
        );
        assert_eq!(
            s,
            DomainStats {
                id,
                cpu_time_ns: Some(5_000),
                vcpus: Some(2),
                memory_kib: Some(1024),
                memory_max_kib: Some(4096),
                disk_read_bytes: Some(15),
                disk_write_bytes: Some(7),
                net_rx_bytes: Some(100),
                net_tx_bytes: Some(50),
            }
        );
    }

    #[test]
    fn what_a_driver_does_not_report_stays_unknown() {
        // The test driver's record: only the state group.
        let s = from_params(Uuid::nil(), &[p("state.state", 1), p("state.reason", 0)]);
        assert_eq!(
            s,
            DomainStats {
                id: Uuid::nil(),
                ..DomainStats::default()
            }
        );
        // Without rss the balloon's size stands in; a VM without disks has no disk counters.
        let s = from_params(Uuid::nil(), &[p("balloon.current", 2048), p("block.count", 0)]);
        assert_eq!(s.memory_kib, Some(2048));
        assert_eq!(s.disk_read_bytes, None);
        // Only `<group>.<index>.<counter>` counts: no `block.x.rd.bytes` or `block..rd.bytes`.
        let s = from_params(Uuid::nil(), &[p("block.x.rd.bytes", 9), p("block..rd.bytes", 9)]);
        assert_eq!(s.disk_read_bytes, None);
    }
}
