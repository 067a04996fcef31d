//! What `/metrics` reports (Prometheus text format, `exposition.rs`). Two kinds of facts:
//!
//! - the process's own counts, kept here for the life of the process (`PROCESS`): HTTP requests by
//!   route template, method and status with a latency histogram by route (`web/metrics_endpoint.rs`'s
//!   middleware), and libvirt call latency and errors by `Hypervisor` method
//!   (`hypervisor/connection_pool.rs`);
//! - the state of what Vireo manages, read at scrape time from what is already at hand
//!   (`scrape.rs`): the database pool, hosts by status and VMs by status and type (one aggregate
//!   query each), and the latest usage the host monitor sampled (`service/usage.rs`; never a libvirt
//!   call at scrape time).
//!
//! Written by hand rather than with the `prometheus` or `metrics` crates: the families that matter
//! are snapshots (per-VM series come and go with the VMs, which those registries would keep
//! reporting until removed by hand), the counters are a few atomics, and the text format is a page
//! of code whose escaping is tested here.

pub mod exposition;
pub mod instruments;
pub mod scrape;

use exposition::{Exposition, Kind};
use instruments::{CounterVec, HistogramVec};
use std::sync::LazyLock;
use std::time::Duration;

/// Counts kept by the process.
struct ProcessMetrics {
    http_requests: CounterVec<3>,
    http_duration: HistogramVec<1>,
    libvirt_duration: HistogramVec<1>,
    libvirt_errors: CounterVec<1>,
}

/// Label sets per family at most (routes are the router's templates, a few hundred; methods and
/// statuses a handful each).
const MAX_HTTP_SERIES: usize = 2000;
const MAX_ROUTES: usize = 500;
/// `Hypervisor` methods.
const MAX_CALLS: usize = 100;

static PROCESS: LazyLock<ProcessMetrics> = LazyLock::new(|| ProcessMetrics {
    http_requests: CounterVec::new(["route", "method", "status"], MAX_HTTP_SERIES),
    http_duration: HistogramVec::new(["route"], MAX_ROUTES),
    libvirt_duration: HistogramVec::new(["call"], MAX_CALLS),
    libvirt_errors: CounterVec::new(["call"], MAX_CALLS),
});

/// The route label of a request no route matched (a 404, or the Leptos fallback).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Counts an answered request. `route` is the matched route's template (never the path itself, so
/// ids and made-up paths cannot multiply the series) or [`UNMATCHED_ROUTE`].
pub fn http_request(route: &str, method: &http::Method, status: u16, took: Duration) {
    // Methods beyond the standard ones are the client's invention: one label for all of them.
    const STANDARD: [http::Method; 7] = [
        http::Method::GET,
        http::Method::POST,
        http::Method::PUT,
        http::Method::DELETE,
        http::Method::HEAD,
        http::Method::OPTIONS,
        http::Method::PATCH,
    ];
    let method = if STANDARD.contains(method) {
        method.as_str()
    } else {
        "other"
    };
    let status = status.to_string();
    PROCESS.http_requests.inc([route, method, status.as_str()]);
    PROCESS.http_duration.observe([route], took);
}

/// Times a libvirt call by its `Hypervisor` method name.
pub fn libvirt_call(name: &'static str, took: Duration, ok: bool) {
    PROCESS.libvirt_duration.observe([name], took);
    if !ok {
        PROCESS.libvirt_errors.inc([name]);
    }
}

/// The process's families.
fn write_process(out: &mut Exposition) {
    out.family(
        "vireo_http_requests_total",
        Kind::Counter,
        "HTTP requests answered, by route template, method and status.",
    );
    PROCESS.http_requests.write(out, "vireo_http_requests_total");
    out.family(
        "vireo_http_request_duration_seconds",
        Kind::Histogram,
        "Time to answer an HTTP request (to the response head), by route template.",
    );
    PROCESS.http_duration.write(out, "vireo_http_request_duration_seconds");
    out.family(
        "vireo_libvirt_call_duration_seconds",
        Kind::Histogram,
        "Time of a libvirt call (queueing on the blocking pool included), by Hypervisor method.",
    );
    PROCESS
        .libvirt_duration
        .write(out, "vireo_libvirt_call_duration_seconds");
    out.family(
        "vireo_libvirt_call_errors_total",
        Kind::Counter,
        "libvirt calls that failed (timeouts included), by Hypervisor method.",
    );
    PROCESS.libvirt_errors.write(out, "vireo_libvirt_call_errors_total");
}
