//! A moment shown as oVirt shows it: in the browser's local time, relative ("3 min ago",
//! "yesterday", then the date), with the exact local time on hover. The server knows no time zone,
//! so its HTML (and the page with JavaScript off) carries the UTC time: ISO in `datetime`, a UTC
//! text as fallback. Once hydrated the text turns local and relative and is refreshed each minute.
//! The wording is the pure `relative_text`; the browser only supplies the clock and the zone.

use leptos::prelude::*;

/// `<time datetime="2024-05-01T12:00:00Z" title="…">3 min ago</time>` for a UTC time as the server
/// sends it (RFC 3339 `…T…Z`, or `YYYY-MM-DD HH:MM[:SS]`); any other text is shown as it is.
#[component]
pub fn LocalTime(#[prop(into)] utc: String) -> impl IntoView {
    let Some(iso) = utc_iso(&utc) else {
        return view! { <span>{utc}</span> }.into_any();
    };
    let fallback = utc_text(&iso);
    // The browser's clock (ms since the epoch); None on the server and until hydrated, so the
    // hydrated HTML first matches the server's.
    let now = RwSignal::new(None::<f64>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        now.set(Some(js_sys::Date::now()));
        if let Ok(handle) = set_interval_with_handle(
            move || now.set(Some(js_sys::Date::now())),
            std::time::Duration::from_secs(60),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let (text_iso, title_iso, text_fallback) = (iso.clone(), iso.clone(), fallback.clone());
    let text = move || {
        now.get()
            .and_then(|now| browser::moment(&text_iso, now))
            .map(|(relative, _)| relative)
            .unwrap_or_else(|| text_fallback.clone())
    };
    let title = move || {
        now.get()
            .and_then(|now| browser::moment(&title_iso, now))
            .map(|(_, exact)| exact)
            .unwrap_or_else(|| fallback.clone())
    };
    view! {
        <time datetime=iso title=title>
            {text}
        </time>
    }
    .into_any()
}

/// A moment's wall-clock reading in some zone, and that zone's offset from UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Minutes east of UTC (UTC+02:00 is 120).
    pub offset_min: i32,
}

impl Stamp {
    /// "2024-05-01 14:03"
    pub fn date_time(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }

    /// "2024-05-01 14:03:09 UTC+02:00": the hover text.
    pub fn exact(&self) -> String {
        let sign = if self.offset_min < 0 { '-' } else { '+' };
        let off = self.offset_min.unsigned_abs();
        format!(
            "{}:{:02} UTC{sign}{:02}:{:02}",
            self.date_time(),
            self.second,
            off / 60,
            off % 60
        )
    }
}

/// The relative wording: `elapsed_secs` since the moment, `days_ago` between the local calendar
/// days of now and of the moment, `local` the moment in local time (for older ones).
/// Under a minute (or slightly ahead: clocks drift) "just now"; then minutes, hours (under a
/// day), "yesterday", and the local date and time.
pub fn relative_text(elapsed_secs: i64, days_ago: i64, local: &Stamp) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match elapsed_secs {
        s if s < -MINUTE => local.date_time(),
        s if s < MINUTE => "just now".into(),
        s if s < HOUR => format!("{} min ago", s / MINUTE),
        s if s < DAY => format!("{} h ago", s / HOUR),
        _ if days_ago == 1 => "yesterday".into(),
        _ => local.date_time(),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`), to
/// count calendar days between two local dates.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The server's UTC text as an ISO 8601 UTC time (`2024-05-01T12:00:00Z`, or without seconds when
/// it had none); None for anything else.
pub fn utc_iso(utc: &str) -> Option<String> {
    let s = utc.trim().trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' '])?;
    let digits = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    let date_ok = d.len() == 3 && digits(d[0], 4) && digits(d[1], 2) && digits(d[2], 2);
    let time_ok = (t.len() == 2 || t.len() == 3) && t.iter().all(|p| digits(p, 2));
    (date_ok && time_ok).then(|| format!("{date}T{time}Z"))
}

/// "2024-05-01 12:00:00 UTC": what the page says before (or without) JavaScript.
pub fn utc_text(iso: &str) -> String {
    format!("{} UTC", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

/// The browser's side: its clock and time zone read through `Date`.
#[cfg(feature = "hydrate")]
mod browser {
    use super::{days_from_civil, relative_text, Stamp};
    use js_sys::Date;
    use wasm_bindgen::JsValue;

    fn local(d: &Date) -> Stamp {
        Stamp {
            year: d.get_full_year() as i32,
            month: d.get_month() + 1,
            day: d.get_date(),
            hour: d.get_hours(),
            minute: d.get_minutes(),
            second: d.get_seconds(),
            // getTimezoneOffset is minutes *behind* UTC.
            offset_min: -(d.get_timezone_offset() as i32),
        }
    }

    /// (relative text, exact local time) of the ISO UTC time `iso` at `now_ms`.
    pub fn moment(iso: &str, now_ms: f64) -> Option<(String, String)> {
        let then = Date::new(&JsValue::from_str(iso));
        let then_ms = then.get_time();
        if then_ms.is_nan() {
            return None;
        }
        let (t, n) = (local(&then), local(&Date::new(&JsValue::from_f64(now_ms))));
        let days_ago = days_from_civil(n.year, n.month, n.day) - days_from_civil(t.year, t.month, t.day);
        let elapsed = ((now_ms - then_ms) / 1000.0).floor() as i64;
        Some((relative_text(elapsed, days_ago, &t), t.exact()))
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    /// Never called: the clock is only read once hydrated.
    pub fn moment(_iso: &str, _now_ms: f64) -> Option<(String, String)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Stamp = Stamp {
        year: 2024,
        month: 5,
        day: 1,
        hour: 9,
        minute: 5,
        second: 7,
        offset_min: 120,
    };

    #[test]
    fn the_wording_follows_the_elapsed_time() {
        assert_eq!(relative_text(0, 0, &AT), "just now");
        assert_eq!(relative_text(59, 0, &AT), "just now");
        assert_eq!(relative_text(-30, 0, &AT), "just now", "a clock a little ahead");
        assert_eq!(relative_text(60, 0, &AT), "1 min ago");
        assert_eq!(relative_text(3 * 60 + 59, 0, &AT), "3 min ago");
        assert_eq!(relative_text(3599, 0, &AT), "59 min ago");
        assert_eq!(relative_text(3600, 0, &AT), "1 h ago");
        assert_eq!(relative_text(2 * 3600 + 1800, 0, &AT), "2 h ago");
        assert_eq!(
            relative_text(23 * 3600, 1, &AT),
            "23 h ago",
            "under a day: hours, even past midnight"
        );
        assert_eq!(relative_text(30 * 3600, 1, &AT), "yesterday");
        assert_eq!(relative_text(40 * 3600, 2, &AT), "2024-05-01 09:05");
        assert_eq!(relative_text(400 * 86_400, 400, &AT), "2024-05-01 09:05");
        assert_eq!(
            relative_text(-3600, -1, &AT),
            "2024-05-01 09:05",
            "well in the future: the date"
        );
    }

    #[test]
    fn the_exact_time_names_its_zone() {
        assert_eq!(AT.exact(), "2024-05-01 09:05:07 UTC+02:00");
        let west = Stamp {
            offset_min: -(3 * 60 + 30),
            ..AT
        };
        assert_eq!(west.exact(), "2024-05-01 09:05:07 UTC-03:30");
        assert_eq!(Stamp { offset_min: 0, ..AT }.exact(), "2024-05-01 09:05:07 UTC+00:00");
    }

    #[test]
    fn calendar_days_count_across_months_years_and_leap_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2,
            "2000 is leap"
        );
        assert_eq!(
            days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28),
            1,
            "1900 is not"
        );
        assert_eq!(days_from_civil(2025, 1, 1) - days_from_civil(2024, 12, 31), 1);
        assert_eq!(days_from_civil(2024, 5, 1), 19_844);
    }

    #[test]
    fn server_times_become_iso_utc() {
        assert_eq!(utc_iso("2024-05-01T12:00:09Z").as_deref(), Some("2024-05-01T12:00:09Z"));
        assert_eq!(utc_iso("2024-05-01 12:00").as_deref(), Some("2024-05-01T12:00Z"));
        assert_eq!(utc_iso("yesterday"), None);
        assert_eq!(utc_iso("2024-5-01 12:00"), None);
        assert_eq!(utc_iso("2024-05-01 12:00:00:00"), None);
        assert_eq!(utc_iso(""), None);
        assert_eq!(utc_text("2024-05-01T12:00:09Z"), "2024-05-01 12:00:09 UTC");
        assert_eq!(utc_text("2024-05-01T12:00Z"), "2024-05-01 12:00 UTC");
    }
}
