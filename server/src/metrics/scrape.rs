//! The `/metrics` body: the process's counts, then the database pool, hosts and VMs by status, and
//! the latest usage readings. Two aggregate queries; no libvirt call.

use super::exposition::{Exposition, Kind};
use crate::service::usage::UsageSnapshot;
use crate::web::state::AppState;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::error::AppError;
use vireo_app::models::VmStatus;

/// The whole body.
pub async fn render(state: &AppState) -> Result<String, AppError> {
    let hosts = state.repo.host_status_counts().await?;
    let tallies = state.repo.vm_tallies().await?;
    let mut out = Exposition::new();
    super::write_process(&mut out);

    let pool = state.repo.pool();
    let size = f64::from(pool.size());
    let idle = pool.num_idle() as f64;
    out.family(
        "vireo_db_pool_connections",
        Kind::Gauge,
        "PostgreSQL connections Vireo holds, by state.",
    );
    out.sample("vireo_db_pool_connections", &[("state", "idle")], idle);
    out.sample(
        "vireo_db_pool_connections",
        &[("state", "in_use")],
        (size - idle).max(0.0),
    );
    out.family(
        "vireo_db_pool_max_connections",
        Kind::Gauge,
        "The most PostgreSQL connections Vireo opens.",
    );
    out.sample(
        "vireo_db_pool_max_connections",
        &[],
        f64::from(pool.options().get_max_connections()),
    );

    out.family("vireo_hosts", Kind::Gauge, "Hosts by status.");
    for (status, n) in &hosts {
        out.sample("vireo_hosts", &[("status", status.as_str())], *n as f64);
    }
    write_vms(&mut out, &tallies);
    write_usage(&mut out, &state.service.usage.latest());
    Ok(out.finish())
}

/// VMs by status and type: every combination, zeros included (a series that vanishes at 0 would
/// read as "no data" rather than "none").
fn write_vms(out: &mut Exposition, tallies: &[vireo_app::domain::dashboard::VmTally]) {
    out.family("vireo_vms", Kind::Gauge, "VMs by status and type (Optimized for).");
    for status in VmStatus::ALL {
        for kind in OptimizedFor::ALL {
            let n: u64 = tallies
                .iter()
                .filter(|t| t.status == status && t.optimized_for == kind)
                .map(|t| t.count)
                .sum();
            out.sample(
                "vireo_vms",
                &[("status", status.as_str()), ("type", kind.as_str())],
                n as f64,
            );
        }
    }
}

/// Per running VM and per Up host, from the sampler's latest pass; a counter the host's driver does
/// not report is left out, not written as 0.
fn write_usage(out: &mut Exposition, usage: &UsageSnapshot) {
    type Field = fn(&crate::hypervisor::DomainStats) -> Option<f64>;
    let vm_families: [(&str, Kind, &str, Field); 6] = [
        (
            "vireo_vm_cpu_seconds_total",
            Kind::Counter,
            "CPU time a running VM used since it started.",
            |s| s.cpu_time_ns.map(|n| n as f64 / 1e9),
        ),
        (
            "vireo_vm_memory_bytes",
            Kind::Gauge,
            "Memory a running VM uses on its host (resident, else its balloon's size).",
            |s| s.memory_kib.map(|k| k as f64 * 1024.0),
        ),
        (
            "vireo_vm_disk_read_bytes_total",
            Kind::Counter,
            "Bytes a running VM read from all its disks.",
            |s| s.disk_read_bytes.map(|b| b as f64),
        ),
        (
            "vireo_vm_disk_write_bytes_total",
            Kind::Counter,
            "Bytes a running VM wrote to all its disks.",
            |s| s.disk_write_bytes.map(|b| b as f64),
        ),
        (
            "vireo_vm_network_receive_bytes_total",
            Kind::Counter,
            "Bytes a running VM received on all its NICs.",
            |s| s.net_rx_bytes.map(|b| b as f64),
        ),
        (
            "vireo_vm_network_transmit_bytes_total",
            Kind::Counter,
            "Bytes a running VM sent on all its NICs.",
            |s| s.net_tx_bytes.map(|b| b as f64),
        ),
    ];
    for (name, kind, help, field) in vm_families {
        out.family(name, kind, help);
        for vm in &usage.vms {
            if let Some(value) = field(&vm.stats) {
                let id = vm.id.to_string();
                out.sample(
                    name,
                    &[
                        ("vm_id", id.as_str()),
                        ("vm", vm.name.as_str()),
                        ("host", vm.host.as_str()),
                    ],
                    value,
                );
            }
        }
    }
    out.family(
        "vireo_host_cpu_percent",
        Kind::Gauge,
        "An Up host's CPU use over the last sampling interval, percent of all its CPUs.",
    );
    for host in &usage.hosts {
        if let Some(p) = host.cpu_percent {
            out.sample("vireo_host_cpu_percent", &[("host", host.name.as_str())], f64::from(p));
        }
    }
    out.family(
        "vireo_host_memory_used_bytes",
        Kind::Gauge,
        "An Up host's memory in use (not free, buffers or page cache).",
    );
    for host in &usage.hosts {
        if let Some(k) = host.usage.memory_used_kib {
            out.sample(
                "vireo_host_memory_used_bytes",
                &[("host", host.name.as_str())],
                k as f64 * 1024.0,
            );
        }
    }
    out.family("vireo_host_memory_total_bytes", Kind::Gauge, "An Up host's memory.");
    for host in &usage.hosts {
        if let Some(k) = host.usage.memory_total_kib {
            out.sample(
                "vireo_host_memory_total_bytes",
                &[("host", host.name.as_str())],
                k as f64 * 1024.0,
            );
        }
    }
}
