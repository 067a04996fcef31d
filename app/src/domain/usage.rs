//! Usage samples (CPU and memory of running VMs and Up hosts, one every sampling interval, kept for
//! the last hour) and the rules that turn libvirt's cumulative counters into them. Pure: the
//! server's sampler (`server/src/service/usage.rs`) gathers the counters and stores the samples;
//! the General sub-tabs draw them (`usage_chart.rs`).

use super::string_enum::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// What a sample is of.
    pub enum UsageKind {
        Vm = "vm" => "VM",
        Host = "host" => "Host",
    }
}

/// How far back the General sub-tabs look, in seconds.
pub const WINDOW_SECS: i64 = 3600;

/// The most samples one object's history holds when read (an hour at the default 15 s interval).
/// A shorter interval (tests) shows the most recent ones.
pub const MAX_SAMPLES: usize = 240;

/// One sample of one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageSample {
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// Of all its vCPUs (a VM) or all its CPUs (a host); `None` for the first sample after a start
    /// (a rate needs two readings) or when the driver does not report CPU time.
    pub cpu_percent: Option<f32>,
    /// A VM's memory in use on its host (resident, else its balloon's size); a host's used memory.
    pub memory_bytes: Option<u64>,
    /// `memory_bytes` of the VM's maximum or of the host's total.
    pub memory_percent: Option<f32>,
}

/// An object's last hour, oldest first, with the server's clock and the sampling interval (a gap of
/// more than a few intervals is drawn as a gap: the VM was down or the host unreachable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageHistory {
    pub samples: Vec<UsageSample>,
    pub now: i64,
    pub interval_secs: u32,
}

/// A host's cumulative CPU times across all its CPUs (`virNodeGetCPUStats`), in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCpuTimes {
    /// Everything but idle and I/O wait.
    pub busy_ns: u64,
    /// Everything, idle included.
    pub total_ns: u64,
}

impl NodeCpuTimes {
    /// From libvirt's named fields: `kernel`/`user`/`idle`/`iowait` on Linux (the test driver says
    /// `system` for `kernel`); fields it does not know count as busy. `None` when there are none.
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = (&'a str, u64)>) -> Option<Self> {
        let mut times = Self::default();
        let mut any = false;
        for (name, value) in fields {
            // `utilization` is a percentage some drivers add, not a time.
            if name == "utilization" {
                continue;
            }
            any = true;
            times.total_ns = times.total_ns.saturating_add(value);
            if name != "idle" && name != "iowait" {
                times.busy_ns = times.busy_ns.saturating_add(value);
            }
        }
        any.then_some(times)
    }
}

/// A host's CPU use between two readings, 0–100. `None` when no time passed (or the counters
/// went backwards: the host restarted).
pub fn node_cpu_percent(before: NodeCpuTimes, after: NodeCpuTimes) -> Option<f32> {
    let total = after.total_ns.checked_sub(before.total_ns)?;
    let busy = after.busy_ns.checked_sub(before.busy_ns)?;
    if total == 0 {
        return None;
    }
    Some(clamp_percent(busy as f64 / total as f64 * 100.0))
}

/// A VM's CPU use between two readings of its cumulative CPU time, as a share of all its vCPUs
/// over the elapsed wall time, 0–100. `None` without time passed, vCPUs, or with the counter gone
/// backwards (the VM restarted between the readings).
pub fn vm_cpu_percent(cpu_ns_before: u64, cpu_ns_after: u64, elapsed_ns: u64, vcpus: u32) -> Option<f32> {
    let used = cpu_ns_after.checked_sub(cpu_ns_before)?;
    if elapsed_ns == 0 || vcpus == 0 {
        return None;
    }
    Some(clamp_percent(
        used as f64 / (elapsed_ns as f64 * f64::from(vcpus)) * 100.0,
    ))
}

/// `part` of `whole` in percent, 0–100; `None` when `whole` is 0.
pub fn percent_of(part: u64, whole: u64) -> Option<f32> {
    (whole > 0).then(|| clamp_percent(part as f64 / whole as f64 * 100.0))
}

/// Rounding and scheduling jitter can read a hair above 100 %.
fn clamp_percent(p: f64) -> f32 {
    if p.is_finite() {
        p.clamp(0.0, 100.0) as f32
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_s_cpu_is_its_cpu_time_over_wall_time_and_vcpus() {
        // 2 s of CPU time over 10 s of wall time on 2 vCPUs: 10 %.
        assert_eq!(
            vm_cpu_percent(1_000_000_000, 3_000_000_000, 10_000_000_000, 2),
            Some(10.0)
        );
        // A busy 1-vCPU guest can read a hair over 100 %: clamped.
        assert_eq!(vm_cpu_percent(0, 10_100_000_000, 10_000_000_000, 1), Some(100.0));
        // Restarted between readings, no time, no vCPUs: no rate.
        assert_eq!(vm_cpu_percent(5, 4, 10, 1), None);
        assert_eq!(vm_cpu_percent(0, 4, 0, 1), None);
        assert_eq!(vm_cpu_percent(0, 4, 10, 0), None);
    }

    #[test]
    fn a_host_s_cpu_is_busy_time_over_all_time() {
        let before = NodeCpuTimes::from_fields([("kernel", 10), ("user", 30), ("idle", 50), ("iowait", 10)]).unwrap();
        assert_eq!(
            before,
            NodeCpuTimes {
                busy_ns: 40,
                total_ns: 100
            }
        );
        let after = NodeCpuTimes::from_fields([("kernel", 20), ("user", 45), ("idle", 120), ("iowait", 15)]).unwrap();
        // 25 busy of 100 elapsed.
        assert_eq!(node_cpu_percent(before, after), Some(25.0));
        // The test driver's counters never move: no rate rather than 0 %.
        assert_eq!(node_cpu_percent(after, after), None);
        assert_eq!(node_cpu_percent(after, before), None);
        assert_eq!(NodeCpuTimes::from_fields([]), None);
        assert_eq!(NodeCpuTimes::from_fields([("utilization", 7)]), None);
    }

    #[test]
    fn memory_percent_is_bounded() {
        assert_eq!(percent_of(512, 2048), Some(25.0));
        assert_eq!(percent_of(4096, 2048), Some(100.0));
        assert_eq!(percent_of(1, 0), None);
    }
}
