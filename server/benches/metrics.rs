//! What `/metrics` costs: the counting every HTTP request pays (one counter and one histogram
//! observation, from two threads at once over 200 routes), and writing a body of 1,000 running
//! VMs' six families in the exposition format. Run with `cargo bench -p vireo-server --bench metrics`.

use std::time::{Duration, Instant};
use vireo_server::metrics::exposition::{Exposition, Kind};

const OBSERVATIONS: usize = 1_000_000;
const VMS: usize = 1_000;

fn count_requests() {
    let routes: Vec<String> = (0..200).map(|i| format!("/route/{i}/{{id}}")).collect();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let routes = &routes;
            s.spawn(move || {
                for i in 0..OBSERVATIONS / 2 {
                    let route = &routes[(i + t) % routes.len()];
                    let status = if i % 10 == 0 { 404 } else { 200 };
                    vireo_server::metrics::http_request(
                        route,
                        &http::Method::GET,
                        status,
                        Duration::from_micros((i % 5000) as u64),
                    );
                }
            });
        }
    });
    let took = started.elapsed();
    println!(
        "count a request: {:.0} ns each ({OBSERVATIONS} from 2 threads in {:.2} s)",
        took.as_nanos() as f64 / OBSERVATIONS as f64,
        took.as_secs_f64()
    );
}

fn write_body() {
    let names: Vec<(String, String, String)> = (0..VMS)
        .map(|i| {
            (
                uuid::Uuid::new_v4().to_string(),
                format!("vm-\"{i}\"\\x"),
                format!("host-{}", i % 8),
            )
        })
        .collect();
    let runs = 50;
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..runs {
        let mut out = Exposition::new();
        for family in 0..6 {
            let name = format!("vireo_vm_family_{family}");
            out.family(&name, Kind::Counter, "A per-VM family.");
            for (id, vm, host) in &names {
                out.sample(
                    &name,
                    &[("vm_id", id.as_str()), ("vm", vm.as_str()), ("host", host.as_str())],
                    123_456_789.0,
                );
            }
        }
        bytes = out.finish().len();
    }
    let took = started.elapsed();
    println!(
        "write {VMS} VMs × 6 families: {:.2} ms per body of {} KiB",
        took.as_secs_f64() * 1000.0 / f64::from(runs),
        bytes / 1024
    );
}

fn main() {
    count_requests();
    write_body();
}
