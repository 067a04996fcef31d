//! Counters and histograms by label values, for what the process itself counts (HTTP requests,
//! libvirt calls). Observing takes a read lock and a few atomic adds; only a label set seen for the
//! first time takes the write lock. Each family holds at most `max_series` label sets: beyond that
//! observations go to one `other` set, so no input can grow the body or the memory without bound.

use super::exposition::Exposition;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The label value of the overflow set.
pub const OVERFLOW: &str = "other";

/// Label values of one series.
type Key<const N: usize> = [String; N];

struct Series<const N: usize, T> {
    map: RwLock<BTreeMap<Key<N>, Arc<T>>>,
    max: usize,
}

impl<const N: usize, T: Default> Series<N, T> {
    fn new(max: usize) -> Self {
        Self {
            map: RwLock::default(),
            max,
        }
    }

    fn get(&self, labels: [&str; N]) -> Arc<T> {
        let key: Key<N> = labels.map(str::to_string);
        if let Some(found) = self.map.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return found.clone();
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        let key = if map.len() >= self.max && !map.contains_key(&key) {
            std::array::from_fn(|_| OVERFLOW.to_string())
        } else {
            key
        };
        map.entry(key).or_default().clone()
    }

    fn snapshot(&self) -> Vec<(Key<N>, Arc<T>)> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

#[derive(Default)]
pub struct Counter(AtomicU64);

/// A counter per label set.
pub struct CounterVec<const N: usize> {
    labels: [&'static str; N],
    series: Series<N, Counter>,
}

impl<const N: usize> CounterVec<N> {
    pub fn new(labels: [&'static str; N], max_series: usize) -> Self {
        Self {
            labels,
            series: Series::new(max_series),
        }
    }

    pub fn inc(&self, labels: [&str; N]) {
        self.series.get(labels).0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn write(&self, out: &mut Exposition, name: &str) {
        for (key, counter) in self.series.snapshot() {
            let labels = pairs(&self.labels, &key);
            out.sample(name, &labels, counter.0.load(Ordering::Relaxed) as f64);
        }
    }

    /// How many label sets it holds (for tests of the bound).
    pub fn len(&self) -> usize {
        self.series.snapshot().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bucket counts (not cumulative; one more than the bounds) and the sum in nanoseconds.
pub struct Histogram {
    counts: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: (0..=LATENCY_BOUNDS.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// Upper bounds in seconds of the latency buckets: from a cached page (a few ms) to a libvirt call
/// that ran into its deadline (20 s).
pub const LATENCY_BOUNDS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let bucket = LATENCY_BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BOUNDS.len());
        if let Some(c) = self.counts.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// A latency histogram per label set.
pub struct HistogramVec<const N: usize> {
    labels: [&'static str; N],
    series: Series<N, Histogram>,
}

impl<const N: usize> HistogramVec<N> {
    pub fn new(labels: [&'static str; N], max_series: usize) -> Self {
        Self {
            labels,
            series: Series::new(max_series),
        }
    }

    pub fn observe(&self, labels: [&str; N], took: Duration) {
        self.series.get(labels).observe(took);
    }

    pub fn write(&self, out: &mut Exposition, name: &str) {
        for (key, h) in self.series.snapshot() {
            let labels = pairs(&self.labels, &key);
            let counts: Vec<u64> = h.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            out.histogram(name, &labels, &LATENCY_BOUNDS, &counts, sum);
        }
    }
}

fn pairs<'a, const N: usize>(names: &[&'static str; N], values: &'a Key<N>) -> Vec<(&'static str, &'a str)> {
    names.iter().copied().zip(values.iter().map(String::as_str)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_beyond_the_bound_fold_into_other() {
        let c = CounterVec::new(["route"], 3);
        for i in 0..100 {
            c.inc([&format!("/r{i}")]);
        }
        assert_eq!(c.len(), 4, "three sets and the overflow");
        let mut out = Exposition::new();
        c.write(&mut out, "n");
        let body = out.finish();
        assert!(body.contains("n{route=\"other\"} 97\n"), "{body}");
    }

    #[test]
    fn a_histogram_counts_each_observation_in_one_bucket() {
        let h = HistogramVec::new(["call"], 10);
        h.observe(["ping"], Duration::from_micros(500));
        h.observe(["ping"], Duration::from_millis(40));
        h.observe(["ping"], Duration::from_secs(60));
        let mut out = Exposition::new();
        h.write(&mut out, "t");
        let body = out.finish();
        assert!(body.contains("t_bucket{call=\"ping\",le=\"0.001\"} 1\n"), "{body}");
        assert!(body.contains("t_bucket{call=\"ping\",le=\"0.05\"} 2\n"), "{body}");
        assert!(body.contains("t_bucket{call=\"ping\",le=\"30\"} 2\n"), "{body}");
        assert!(body.contains("t_bucket{call=\"ping\",le=\"+Inf\"} 3\n"), "{body}");
        assert!(body.contains("t_count{call=\"ping\"} 3\n"), "{body}");
        assert!(body.contains("t_sum{call=\"ping\"} 60.0405\n"), "{body}");
    }
}
