//! The usage chart's geometry: an object's last hour of samples (`usage.rs`) as polylines in a plot
//! area, CPU % and memory % on one 0–100 % axis, time from an hour ago to now. Pure, so the
//! component (`components/usage_chart.rs`) only draws what this computes.

use super::usage::{UsageHistory, UsageSample, WINDOW_SECS};

/// The plot area inside the SVG, in its user units: x grows right, y grows down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

/// What the chart draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartLines {
    /// CPU % as runs of points; a run ends where samples are missing (the VM was down, the host
    /// unreachable), so a gap is drawn as a gap and not as a straight line across it.
    pub cpu: Vec<Vec<(f32, f32)>>,
    /// Memory % likewise.
    pub memory: Vec<Vec<(f32, f32)>>,
    /// Time axis: x and label (`-60 min` … `now`).
    pub x_ticks: Vec<(f32, String)>,
    /// Percent axis: y and label (`0%` … `100%`).
    pub y_ticks: Vec<(f32, String)>,
    /// The samples inside the window, oldest first (the hidden table lists them).
    pub samples: Vec<UsageSample>,
}

/// Samples further apart than this many intervals belong to different runs.
const GAP_INTERVALS: i64 = 3;

/// The chart of `history` in `plot`.
pub fn build(history: &UsageHistory, plot: Plot) -> ChartLines {
    let start = history.now - WINDOW_SECS;
    let mut samples: Vec<UsageSample> = history
        .samples
        .iter()
        .filter(|s| s.at >= start && s.at <= history.now)
        .cloned()
        .collect();
    samples.sort_by_key(|s| s.at);
    let x = |at: i64| plot.left + (plot.right - plot.left) * ((at - start) as f32 / WINDOW_SECS as f32);
    let y = |percent: f32| plot.bottom - (plot.bottom - plot.top) * (percent.clamp(0.0, 100.0) / 100.0);
    let gap = i64::from(history.interval_secs.max(1)) * GAP_INTERVALS;
    let runs = |value: fn(&UsageSample) -> Option<f32>| {
        let mut runs: Vec<Vec<(f32, f32)>> = Vec::new();
        let mut last_at: Option<i64> = None;
        for s in &samples {
            let Some(v) = value(s) else {
                last_at = None;
                continue;
            };
            let continues = last_at.is_some_and(|prev| s.at - prev <= gap);
            if !continues {
                runs.push(Vec::new());
            }
            if let Some(run) = runs.last_mut() {
                run.push((round1(x(s.at)), round1(y(v))));
            }
            last_at = Some(s.at);
        }
        runs
    };
    let cpu = runs(|s| s.cpu_percent);
    let memory = runs(|s| s.memory_percent);
    let x_ticks = (0..=4)
        .map(|i| {
            let minutes_ago = 60 - i * 15;
            let label = if minutes_ago == 0 {
                "now".to_string()
            } else {
                format!("-{minutes_ago} min")
            };
            (round1(x(history.now - minutes_ago * 60)), label)
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|i| {
            let p = i as f32 * 25.0;
            (round1(y(p)), format!("{p:.0}%"))
        })
        .collect();
    ChartLines {
        cpu,
        memory,
        x_ticks,
        y_ticks,
        samples,
    }
}

/// A run as an SVG `points` attribute: `x,y x,y …`.
pub fn points_attr(run: &[(f32, f32)]) -> String {
    run.iter()
        .map(|(x, y)| format!("{x},{y}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How long before `now` a sample was taken, for the chart's table: `just now`, `40 s ago`,
/// `12 min ago`.
pub fn ago_text(now: i64, at: i64) -> String {
    match now.saturating_sub(at) {
        s if s < 5 => "just now".into(),
        s if s < 60 => format!("{s} s ago"),
        s => format!("{} min ago", s / 60),
    }
}

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Plot = Plot {
        left: 40.0,
        right: 400.0,
        top: 10.0,
        bottom: 110.0,
    };

    fn sample(at: i64, cpu: Option<f32>, mem: Option<f32>) -> UsageSample {
        UsageSample {
            at,
            cpu_percent: cpu,
            memory_bytes: mem.map(|m| (m * 10.0) as u64),
            memory_percent: mem,
        }
    }

    fn history(samples: Vec<UsageSample>) -> UsageHistory {
        UsageHistory {
            samples,
            now: 10_000,
            interval_secs: 15,
        }
    }

    #[test]
    fn points_map_time_to_x_and_percent_to_y() {
        let h = history(vec![
            sample(10_000 - 3600, Some(0.0), Some(50.0)),
            sample(10_000 - 1800, Some(100.0), Some(50.0)),
        ]);
        // Half an hour apart at a 15 s interval is a gap: two runs of one point each.
        let chart = build(&h, PLOT);
        assert_eq!(chart.cpu, vec![vec![(40.0, 110.0)], vec![(220.0, 10.0)]]);
        assert_eq!(chart.memory, vec![vec![(40.0, 60.0)], vec![(220.0, 60.0)]]);
    }

    #[test]
    fn consecutive_samples_join_and_missing_values_break_a_run() {
        let h = history(vec![
            sample(9_970, None, Some(10.0)),
            sample(9_985, Some(20.0), Some(10.0)),
            sample(10_000, Some(40.0), Some(10.0)),
        ]);
        let chart = build(&h, PLOT);
        assert_eq!(chart.cpu.len(), 1);
        assert_eq!(chart.cpu[0].len(), 2);
        assert_eq!(chart.memory.len(), 1);
        assert_eq!(chart.memory[0].len(), 3);
        assert_eq!(chart.cpu[0][1], (400.0, 70.0));
        assert_eq!(points_attr(&chart.cpu[0]), "398.5,90 400,70");
    }

    #[test]
    fn samples_outside_the_hour_are_left_out_and_the_rest_sorted() {
        let h = history(vec![
            sample(10_000, Some(1.0), None),
            sample(10_000 - 3601, Some(1.0), None),
            sample(10_001, Some(1.0), None),
            sample(9_990, Some(1.0), None),
        ]);
        let chart = build(&h, PLOT);
        let times: Vec<i64> = chart.samples.iter().map(|s| s.at).collect();
        assert_eq!(times, vec![9_990, 10_000]);
        assert!(chart.memory.is_empty());
    }

    #[test]
    fn axes_have_five_labelled_ticks() {
        let chart = build(&history(Vec::new()), PLOT);
        assert_eq!(
            chart.x_ticks,
            vec![
                (40.0, "-60 min".to_string()),
                (130.0, "-45 min".to_string()),
                (220.0, "-30 min".to_string()),
                (310.0, "-15 min".to_string()),
                (400.0, "now".to_string()),
            ]
        );
        assert_eq!(chart.y_ticks.first(), Some(&(110.0, "0%".to_string())));
        assert_eq!(chart.y_ticks.last(), Some(&(10.0, "100%".to_string())));
        assert!(chart.cpu.is_empty() && chart.samples.is_empty());
    }

    #[test]
    fn sample_ages_read_in_seconds_then_minutes() {
        assert_eq!(ago_text(100, 100), "just now");
        assert_eq!(ago_text(100, 101), "just now");
        assert_eq!(ago_text(100, 60), "40 s ago");
        assert_eq!(ago_text(1000, 280), "12 min ago");
    }

    #[test]
    fn out_of_range_percentages_stay_inside_the_plot() {
        let chart = build(&history(vec![sample(10_000, Some(250.0), Some(-5.0))]), PLOT);
        assert_eq!(chart.cpu, vec![vec![(400.0, 10.0)]]);
        assert_eq!(chart.memory, vec![vec![(400.0, 110.0)]]);
    }
}
