//! The Prometheus text exposition format (version 0.0.4), written by hand: a family is a `# HELP`
//! and a `# TYPE` line followed by its samples, `name{label="value",…} number`. Label values are
//! escaped (`\\`, `\"`, `\n`), HELP text too (`\\`, `\n`), so a VM named with quotes, newlines or
//! backslashes cannot break a line or forge a sample.

use std::fmt::Write as _;

/// The `Content-Type` of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A family's kind, as its `# TYPE` line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// The body being written. Writing to a `String` cannot fail, so no method returns an error.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a family: its HELP and TYPE lines. `name` and `help` are Vireo's own constants.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample line. Label names are Vireo's constants; values are escaped.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(key);
                self.out.push_str("=\"");
                escape_label_into(&mut self.out, val);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&number(value));
        self.out.push('\n');
    }

    /// A histogram's samples: cumulative `_bucket`s (`le` the upper bounds, then `+Inf`), `_sum`
    /// and `_count`. `counts[i]` is how many observations fell in bucket `i` alone (not cumulative);
    /// it has one more entry than `bounds` (the overflow).
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], bounds: &[f64], counts: &[u64], sum: f64) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        let les = bounds
            .iter()
            .map(|b| number(*b))
            .chain(std::iter::once("+Inf".to_string()));
        for (i, le) in les.enumerate() {
            cumulative += counts.get(i).copied().unwrap_or(0);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, cumulative as f64);
        }
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, cumulative as f64);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value as the format wants it inside its double quotes.
fn escape_label_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: integers without a fraction, `NaN`/`+Inf`/`-Inf` spelled as the format does.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_so_a_name_cannot_forge_a_line() {
        let mut e = Exposition::new();
        e.family("vireo_vm_memory_bytes", Kind::Gauge, "Memory.");
        e.sample(
            "vireo_vm_memory_bytes",
            &[("vm", "a\"b\\c\nvireo_fake 1"), ("host", "h")],
            5.0,
        );
        let body = e.finish();
        assert_eq!(
            body,
            "# HELP vireo_vm_memory_bytes Memory.\n# TYPE vireo_vm_memory_bytes gauge\n\
             vireo_vm_memory_bytes{vm=\"a\\\"b\\\\c\\nvireo_fake 1\",host=\"h\"} 5\n"
        );
        // Every line is a comment or a sample of the family: the newline did not start a new one.
        assert!(body
            .lines()
            .all(|l| l.starts_with('#') || l.starts_with("vireo_vm_memory_bytes{")));
    }

    #[test]
    fn help_text_is_escaped_and_numbers_read_as_the_format_wants() {
        let mut e = Exposition::new();
        e.family("x", Kind::Counter, "line\\one\nline two");
        e.sample("x", &[], 0.25);
        e.sample("x", &[], 3.0);
        e.sample("x", &[], f64::INFINITY);
        e.sample("x", &[], f64::NAN);
        assert_eq!(
            e.finish(),
            "# HELP x line\\\\one\\nline two\n# TYPE x counter\nx 0.25\nx 3\nx +Inf\nx NaN\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_in_inf() {
        let mut e = Exposition::new();
        e.histogram("h", &[("route", "/a")], &[0.1, 1.0], &[2, 1, 4], 9.5);
        assert_eq!(
            e.finish(),
            "h_bucket{route=\"/a\",le=\"0.1\"} 2\nh_bucket{route=\"/a\",le=\"1\"} 3\n\
             h_bucket{route=\"/a\",le=\"+Inf\"} 7\nh_sum{route=\"/a\"} 9.5\nh_count{route=\"/a\"} 7\n"
        );
    }
}
