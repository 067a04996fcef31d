//! The CPU pinning topology string, in oVirt's syntax: `vcpu#cpuset` pairs joined by `_`, e.g.
//! `0#2_1#18_2#3-4,^4`. The dialog edits it as text, the REST API carries it as pins; both go through
//! here. IO thread pins use the same syntax with 1-based IO thread numbers.

use super::cpu_set::CpuSet;
use super::vm_config::{IoThreadPin, VcpuPin, MAX_VCPUS_BOUND};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinningError {
    #[error("'{0}' is not 'vCPU#CPUs' (for example 0#2 or 1#4-5,^5)")]
    Syntax(String),
    #[error("'{text}': {reason}")]
    CpuSet { text: String, reason: String },
    #[error("{0} is pinned twice")]
    Duplicate(u32),
    #[error("the pinning is {0} characters long; at most {MAX_PIN_TEXT} are accepted")]
    TooLong(usize),
    #[error("more than {MAX_VCPUS_BOUND} pins")]
    TooMany,
}

/// Longest pinning text parsed: 512 pins of a dozen characters each need ~6 KB; the bound keeps a
/// hostile string from being split and parsed at all.
pub const MAX_PIN_TEXT: usize = 64 * 1024;

/// At most 40 characters of a piece of input, for messages that quote it back.
fn quote(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Parses `0#2_1#18`. Whitespace around items is ignored; an empty string means "no pinning".
pub fn parse_pairs(text: &str) -> Result<Vec<(u32, CpuSet)>, PinningError> {
    if text.len() > MAX_PIN_TEXT {
        return Err(PinningError::TooLong(text.len()));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    // No VM has more vCPUs (or IO threads) than this, so more pins can only be an attack.
    if text.split('_').nth(MAX_VCPUS_BOUND as usize).is_some() {
        return Err(PinningError::TooMany);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in text.split('_') {
        let item = item.trim();
        let (index, set) = item.split_once('#').ok_or_else(|| PinningError::Syntax(quote(item)))?;
        let index_text = index.trim();
        if index_text.is_empty() || !index_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinningError::Syntax(quote(item)));
        }
        let index: u32 = index_text.parse().map_err(|_| PinningError::Syntax(quote(item)))?;
        let set = CpuSet::parse(set).map_err(|e| PinningError::CpuSet {
            text: quote(item),
            reason: e.to_string(),
        })?;
        if !seen.insert(index) {
            return Err(PinningError::Duplicate(index));
        }
        out.push((index, set));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

pub fn parse_vcpu_pins(text: &str) -> Result<Vec<VcpuPin>, PinningError> {
    Ok(parse_pairs(text)?
        .into_iter()
        .map(|(vcpu, cpuset)| VcpuPin { vcpu, cpuset })
        .collect())
}

pub fn parse_io_thread_pins(text: &str) -> Result<Vec<IoThreadPin>, PinningError> {
    Ok(parse_pairs(text)?
        .into_iter()
        .map(|(iothread, cpuset)| IoThreadPin { iothread, cpuset })
        .collect())
}

pub fn format_vcpu_pins(pins: &[VcpuPin]) -> String {
    pins.iter()
        .map(|p| format!("{}#{}", p.vcpu, p.cpuset))
        .collect::<Vec<_>>()
        .join("_")
}

pub fn format_io_thread_pins(pins: &[IoThreadPin]) -> String {
    pins.iter()
        .map(|p| format!("{}#{}", p.iothread, p.cpuset))
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_ovirts_syntax() {
        let pins = parse_vcpu_pins("1#4-5,^5_0#2").unwrap();
        assert_eq!(pins.len(), 2);
        assert_eq!(pins[0].vcpu, 0, "sorted by vCPU");
        assert_eq!(pins[1].cpuset.to_string(), "4");
        assert_eq!(format_vcpu_pins(&pins), "0#2_1#4");
        assert_eq!(parse_vcpu_pins("  ").unwrap(), vec![]);
        let io = parse_io_thread_pins("1#7").unwrap();
        assert_eq!(format_io_thread_pins(&io), "1#7");
    }

    #[test]
    fn rejects_malformed_strings() {
        assert!(matches!(parse_pairs("0:2"), Err(PinningError::Syntax(_))));
        assert!(matches!(parse_pairs("#2"), Err(PinningError::Syntax(_))));
        assert!(matches!(parse_pairs("a#2"), Err(PinningError::Syntax(_))));
        assert!(matches!(parse_pairs("0#2__1#3"), Err(PinningError::Syntax(_))));
        assert!(matches!(parse_pairs("0#x"), Err(PinningError::CpuSet { .. })));
        assert!(matches!(parse_pairs("0#3-1"), Err(PinningError::CpuSet { .. })));
        assert_eq!(parse_pairs("0#1_0#2"), Err(PinningError::Duplicate(0)));
        assert!(parse_pairs("99999999999#1").is_err());
        let msg = parse_pairs("0-1").unwrap_err().to_string();
        assert!(msg.contains("vCPU#CPUs"), "{msg}");
    }

    /// Pentest row 5: pin lists are bounded before any CPU set in them is parsed.
    #[test]
    fn pin_lists_are_bounded() {
        let many = (0..=MAX_VCPUS_BOUND)
            .map(|v| format!("{v}#1"))
            .collect::<Vec<_>>()
            .join("_");
        assert_eq!(parse_pairs(&many), Err(PinningError::TooMany));
        let max = (0..MAX_VCPUS_BOUND)
            .map(|v| format!("{v}#0-4095"))
            .collect::<Vec<_>>()
            .join("_");
        assert_eq!(parse_pairs(&max).unwrap().len(), MAX_VCPUS_BOUND as usize);
        let long = format!("0#{}", "1,".repeat(40_000));
        assert!(matches!(parse_pairs(&long), Err(PinningError::TooLong(_))));
        let long_set = format!("0#{}1", "1,".repeat(10_000));
        assert!(matches!(parse_pairs(&long_set), Err(PinningError::CpuSet { .. })));
    }
}
