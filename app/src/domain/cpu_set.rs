//! A set of host CPU ids, written the way libvirt and oVirt write them: `0-3,8,10-11`, optionally with
//! exclusions (`0-7,^2`). Stored and sent as that string so the database and the API stay readable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

/// Largest CPU id Vireo accepts in a set; libvirt's own limit is far larger, but no host Vireo manages
/// has more than this many CPUs and the bound keeps hostile input (`0-4294967295`) cheap to reject.
pub const MAX_CPU_ID: u32 = 4095;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpuSet(BTreeSet<u32>);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CpuSetError {
    #[error("the CPU set is empty")]
    Empty,
    #[error("'{0}' is not a CPU number or range")]
    BadToken(String),
    #[error("range {0}-{1} runs backwards")]
    Backwards(u32, u32),
    #[error("CPU {0} is above the largest supported id ({MAX_CPU_ID})")]
    TooLarge(u32),
}

impl CpuSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_ids(ids: impl IntoIterator<Item = u32>) -> Self {
        Self(ids.into_iter().collect())
    }

    pub fn single(id: u32) -> Self {
        Self::from_ids([id])
    }

    /// Parses `0-3,8,^2`. Exclusions (`^n`) remove ids added anywhere in the string.
    pub fn parse(text: &str) -> Result<Self, CpuSetError> {
        let mut include = BTreeSet::new();
        let mut exclude = BTreeSet::new();
        for raw in text.split(',') {
            let token = raw.trim();
            if token.is_empty() {
                return Err(CpuSetError::BadToken(raw.to_string()));
            }
            if let Some(rest) = token.strip_prefix('^') {
                exclude.insert(parse_id(rest, token)?);
            } else if let Some((a, b)) = token.split_once('-') {
                let (lo, hi) = (parse_id(a, token)?, parse_id(b, token)?);
                if lo > hi {
                    return Err(CpuSetError::Backwards(lo, hi));
                }
                include.extend(lo..=hi);
            } else {
                include.insert(parse_id(token, token)?);
            }
        }
        let set: BTreeSet<u32> = include.difference(&exclude).copied().collect();
        if set.is_empty() {
            return Err(CpuSetError::Empty);
        }
        Ok(Self(set))
    }

    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, id: u32) -> bool {
        self.0.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn insert(&mut self, id: u32) {
        self.0.insert(id);
    }

    pub fn extend(&mut self, other: &CpuSet) {
        self.0.extend(other.ids());
    }

    pub fn union(&self, other: &CpuSet) -> CpuSet {
        Self(self.0.union(&other.0).copied().collect())
    }

    pub fn intersects(&self, other: &CpuSet) -> bool {
        self.0.intersection(&other.0).next().is_some()
    }

    pub fn is_subset(&self, other: &CpuSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn first(&self) -> Option<u32> {
        self.0.first().copied()
    }
}

fn parse_id(text: &str, token: &str) -> Result<u32, CpuSetError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CpuSetError::BadToken(token.to_string()));
    }
    let id: u32 = text.parse().map_err(|_| CpuSetError::TooLarge(u32::MAX))?;
    if id > MAX_CPU_ID {
        return Err(CpuSetError::TooLarge(id));
    }
    Ok(id)
}

/// Canonical form: ascending, every run of two or more consecutive ids written as a range
/// (`0-3,5,7-8`), which is what libvirt prints back.
impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut iter = self.0.iter().copied().peekable();
        while let Some(start) = iter.next() {
            let mut end = start;
            while iter.peek() == Some(&(end + 1)) {
                end += 1;
                iter.next();
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if end == start {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for CpuSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CpuSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_singles_and_exclusions() {
        let set = CpuSet::parse("0-3,8, 10-11,^2").unwrap();
        assert_eq!(set.ids().collect::<Vec<_>>(), vec![0, 1, 3, 8, 10, 11]);
        assert_eq!(set.to_string(), "0-1,3,8,10-11");
    }

    #[test]
    fn canonical_form_round_trips() {
        for text in ["0", "0-1", "2,4,6", "0-15,32-47"] {
            assert_eq!(CpuSet::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(CpuSet::parse(""), Err(CpuSetError::BadToken(String::new())));
        assert_eq!(CpuSet::parse("a"), Err(CpuSetError::BadToken("a".into())));
        assert_eq!(CpuSet::parse("1,,2"), Err(CpuSetError::BadToken(String::new())));
        assert_eq!(CpuSet::parse("3-1"), Err(CpuSetError::Backwards(3, 1)));
        assert_eq!(CpuSet::parse("-1"), Err(CpuSetError::BadToken("-1".into())));
        assert_eq!(CpuSet::parse("0-99999"), Err(CpuSetError::TooLarge(99999)));
        assert_eq!(CpuSet::parse("99999999999"), Err(CpuSetError::TooLarge(u32::MAX)));
        assert_eq!(CpuSet::parse("1,^1"), Err(CpuSetError::Empty));
    }

    #[test]
    fn serde_uses_the_string_form() {
        let set = CpuSet::from_ids([4, 5, 6, 9]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, "\"4-6,9\"");
        assert_eq!(serde_json::from_str::<CpuSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<CpuSet>("\"x\"").is_err());
    }
}
