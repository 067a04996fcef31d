//! The server log: human-readable lines by default, one JSON object per line with
//! `VIREO_LOG_FORMAT=json` (`--log-format json`) for log collectors. `RUST_LOG` filters both.

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`; empty (a variable set to nothing) means the default, as for every
    /// other setting.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("'{other}' is not a log format: text or json")),
        }
    }
}

/// The filter when `RUST_LOG` is unset: Vireo's info, quieter libraries.
const DEFAULT_FILTER: &str = "info,tower_http=info,sqlx=warn,tower_sessions=warn";

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        // Flattened: `message` and the event's fields sit beside `timestamp`, `level` and
        // `target`, where collectors look for them.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(""), Ok(LogFormat::Text));
        for bad in ["JSON", "xml", "yes"] {
            assert!(LogFormat::parse(bad).is_err(), "{bad}");
        }
    }
}
