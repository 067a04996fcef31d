//! A set of host CPU ids, written the way libvirt and oVirt write them: `0-3,8,10-11`, optionally with
//! exclusions (`0-7,^2`). Stored and sent as that string so the database and the API stay readable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

/// Largest CPU id Vireo accepts in a set; libvirt's own limit is far larger, but no host Vireo manages
/// has more than this many CPUs and the bound keeps hostile input (`0-4294967295`) cheap to reject.
pub const MAX_CPU_ID: u32 = 4095;
/// Most CPUs a set can hold: every id up to `MAX_CPU_ID`.
pub const MAX_CPUS: usize = MAX_CPU_ID as usize + 1;
/// Longest set text Vireo parses. The canonical form of any set of ids up to `MAX_CPU_ID` is below
/// 10 KB (the worst case, every other id, is ~9.7 KB), so this refuses only text Vireo never writes,
/// and it bounds the parse: 1.7 MB of `0-4095,0-4095,…` once stalled the server for 19 s.
pub const MAX_CPU_SET_TEXT: usize = 16 * 1024;

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
    #[error("the CPU set text is {0} characters long; at most {MAX_CPU_SET_TEXT} are accepted")]
    TooLong(usize),
}

/// The ids a set being parsed holds, one bit each: a range costs at most `MAX_CPUS / 64` word
/// writes however often it is repeated, and nothing grows with the numbers in the text.
struct Bits([u64; MAX_CPUS / 64]);

impl Bits {
    fn new() -> Self {
        Self([0; MAX_CPUS / 64])
    }

    /// Sets `lo..=hi`; both are at most `MAX_CPU_ID` (checked by `parse_id`).
    fn set_range(&mut self, lo: u32, hi: u32) {
        let (lo, hi) = (lo as usize, hi as usize);
        for word in lo / 64..=hi / 64 {
            let first = if word == lo / 64 { lo % 64 } else { 0 };
            let last = if word == hi / 64 { hi % 64 } else { 63 };
            // Bits first..=last of this word.
            let mask = (u64::MAX >> (63 - last)) & (u64::MAX << first);
            self.0[word] |= mask;
        }
    }

    /// The set ids in ascending order, visiting only set bits: testing all 4,096 per parse made
    /// decoding a 128-CPU host's topology take ~640 µs (its CPU sets, one by one), which every
    /// start and save paid for each host of the cluster (issue 16).
    fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros();
                // Clears the lowest set bit.
                rest &= rest - 1;
                Some(w as u32 * 64 + b)
            })
        })
    }
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

    /// Parses `0-3,8,^2`. Exclusions (`^n`) remove ids added anywhere in the string. Refuses text
    /// longer than `MAX_CPU_SET_TEXT` and ids above `MAX_CPU_ID` before doing any work that grows
    /// with them, so a set never holds more than `MAX_CPUS` ids.
    pub fn parse(text: &str) -> Result<Self, CpuSetError> {
        if text.len() > MAX_CPU_SET_TEXT {
            return Err(CpuSetError::TooLong(text.len()));
        }
        let mut include = Bits::new();
        let mut exclude = Bits::new();
        for raw in text.split(',') {
            let token = raw.trim();
            if token.is_empty() {
                return Err(CpuSetError::BadToken(raw.to_string()));
            }
            if let Some(rest) = token.strip_prefix('^') {
                let id = parse_id(rest, token)?;
                exclude.set_range(id, id);
            } else if let Some((a, b)) = token.split_once('-') {
                let (lo, hi) = (parse_id(a, token)?, parse_id(b, token)?);
                if lo > hi {
                    return Err(CpuSetError::Backwards(lo, hi));
                }
                include.set_range(lo, hi);
            } else {
                let id = parse_id(token, token)?;
                include.set_range(id, id);
            }
        }
        for (inc, exc) in include.0.iter_mut().zip(exclude.0.iter()) {
            *inc &= !exc;
        }
        let set: BTreeSet<u32> = include.ids().collect();
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

/// Reads what `Serialize` wrote, the empty set (`""`) included: a configuration being edited may
/// hold one (a NUMA node whose CPUs are not filled in yet, from the plain form) and travels as JSON
/// (the dialog's data, a page's hydration data), so it must come back as it went. Typed text is
/// read by `parse`, which refuses an empty set; the rules refuse one where it is wrong (validation).
impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(CpuSet::new());
        }
        CpuSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_round_trips_through_serde_the_empty_one_too() {
        for set in [CpuSet::new(), CpuSet::single(0), CpuSet::parse("0-3,8,^2").unwrap()] {
            let text = serde_json::to_string(&set).unwrap();
            assert_eq!(serde_json::from_str::<CpuSet>(&text).unwrap(), set, "{text}");
        }
        assert_eq!(serde_json::to_string(&CpuSet::new()).unwrap(), "\"\"");
        // Only the exact empty text is the empty set; what `parse` refuses stays refused.
        for bad in ["\" \"", "\",\"", "\"^1\"", "\"x\""] {
            assert!(serde_json::from_str::<CpuSet>(bad).is_err(), "{bad}");
        }
        assert_eq!(CpuSet::parse(""), Err(CpuSetError::BadToken(String::new())));
    }

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
        assert_eq!(CpuSet::parse("4096"), Err(CpuSetError::TooLarge(4096)));
        assert_eq!(CpuSet::parse("0-4096"), Err(CpuSetError::TooLarge(4096)));
    }

    /// Pentest row 5: 1.7 MB of repeated ranges took 19 s (every range re-inserted 4,096 ids into a
    /// BTreeSet). Over-long text is refused by its length alone; text just under the limit, all of it
    /// full ranges, parses with bit operations only and still yields at most 4,096 ids.
    #[test]
    fn hostile_sizes_are_refused_or_cheap() {
        let huge = "0-4095,".repeat(250_000);
        assert_eq!(CpuSet::parse(&huge), Err(CpuSetError::TooLong(huge.len())));
        assert!(CpuSet::parse(&huge).unwrap_err().to_string().contains("at most 16384"));
        let mut under = "0-4095,".repeat(MAX_CPU_SET_TEXT / 7);
        under.pop();
        let set = CpuSet::parse(&under).unwrap();
        assert_eq!(set.len(), MAX_CPUS);
        assert_eq!(set.to_string(), "0-4095");
    }

    #[test]
    fn the_bitset_matches_a_plain_set_at_word_edges() {
        let set = CpuSet::parse("62-65,127,128,^64,4032-4095,0").unwrap();
        let want: Vec<u32> = [0, 62, 63, 65, 127, 128].into_iter().chain(4032..=4095).collect();
        assert_eq!(set.ids().collect::<Vec<_>>(), want);
    }

    /// Whatever Vireo writes it can read back: the longest canonical form fits the text limit.
    #[test]
    fn the_longest_canonical_set_is_within_the_text_limit() {
        let every_other = CpuSet::from_ids((0..=MAX_CPU_ID).step_by(2));
        let text = every_other.to_string();
        assert!(text.len() < MAX_CPU_SET_TEXT, "{}", text.len());
        assert_eq!(CpuSet::parse(&text).unwrap(), every_other);
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
