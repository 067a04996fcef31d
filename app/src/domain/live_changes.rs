//! Live updates' change sets and who must refetch on them. PostgreSQL's triggers announce each
//! statement's real changes on `vireo_changes` (migration `20261205160001_row_change_notifications`),
//! the server's listener coalesces them into one [`ChangeSet`] per 150 ms, and every `/api/stream`
//! event carries that set; the browser asks [`should_refetch`] whether a view shows any of it, so a
//! change to one VM refetches the grid pages that show it and leaves the 99 others alone.
//!
//! The text form (the NOTIFY payload and the SSE `data:` line alike) is entries separated by one
//! space, each one of:
//!
//! - `*`: anything may have changed (a stream fell behind): refetch everything shown;
//! - `vms`: a table alone: rows were added or removed, renamed, or more than [`MAX_IDS`] changed:
//!   refetch anything showing that table;
//! - `vms:ID,ID`: only these existing rows changed in place (`events:ID,ID`: new events about these
//!   objects).
//!
//! A text that does not parse is read as `*`: a change is never ignored because it was unreadable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Ids listed per table; more become the table alone (a NOTIFY payload stays far below
/// PostgreSQL's 8,000 bytes, and an event stays small for a thousand open streams).
pub const MAX_IDS: usize = 64;
/// Tables in one set; more become `*` (Vireo announces about fifteen).
pub const MAX_TABLES: usize = 32;
/// The tables PostgreSQL announces (the migration's triggers; an integration test checks the two
/// agree). `vm_reported_nics` is announced as `vms` (the addresses are a column of the VMs grid).
pub const ANNOUNCED: &[&str] = &[
    "clusters",
    "data_centers",
    "disks",
    "events",
    "host_network_backings",
    "hosts",
    "instance_types",
    "networks",
    "storage_domains",
    "templates",
    "users",
    "vm_pools",
    "vms",
    "vnic_profiles",
];
/// A table name or an id longer than this is not one of ours.
const MAX_WORD: usize = 64;

/// What changed in one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableChange {
    /// Only these rows, in place.
    Rows(BTreeSet<String>),
    /// Rows added or removed, renamed, or too many to list.
    Any,
}

/// Changes to several tables, bounded (see the module's text form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    everything: bool,
    tables: BTreeMap<String, TableChange>,
}

impl ChangeSet {
    /// `*`: anything may have changed.
    pub fn everything() -> Self {
        Self {
            everything: true,
            tables: BTreeMap::new(),
        }
    }

    /// The text form read into a set (unreadable → [`ChangeSet::everything`]).
    pub fn parse(text: &str) -> Self {
        let mut set = Self::default();
        set.add_text(text);
        set
    }

    /// Adds the entries of a text (a NOTIFY payload, an event's data).
    pub fn add_text(&mut self, text: &str) {
        for entry in text.split(' ').filter(|e| !e.is_empty()) {
            if self.everything {
                return;
            }
            match parse_entry(entry) {
                Some((table, change)) => self.add(table, change),
                None => self.set_everything(),
            }
        }
    }

    /// Adds one table's change, keeping the bounds.
    pub fn add(&mut self, table: &str, change: TableChange) {
        if self.everything {
            return;
        }
        if !self.tables.contains_key(table) && self.tables.len() >= MAX_TABLES {
            self.set_everything();
            return;
        }
        let slot = self
            .tables
            .entry(table.to_string())
            .or_insert_with(|| TableChange::Rows(BTreeSet::new()));
        match change {
            TableChange::Any => *slot = TableChange::Any,
            TableChange::Rows(more) => {
                if let TableChange::Rows(have) = &mut *slot {
                    have.extend(more);
                    if have.len() > MAX_IDS {
                        *slot = TableChange::Any;
                    }
                }
            }
        }
    }

    /// Everything in `other` too.
    pub fn merge(&mut self, other: ChangeSet) {
        if other.everything {
            self.set_everything();
        }
        for (table, change) in other.tables {
            self.add(&table, change);
        }
    }

    fn set_everything(&mut self) {
        self.everything = true;
        self.tables.clear();
    }

    pub fn is_empty(&self) -> bool {
        !self.everything && self.tables.is_empty()
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// What changed in `table`, unless it is `*` (then everything did).
    pub fn table(&self, table: &str) -> Option<&TableChange> {
        self.tables.get(table)
    }

    /// Anything at all in `table` (or `*`).
    pub fn touches_table(&self, table: &str) -> bool {
        self.everything || self.tables.contains_key(table)
    }
}

/// `table` or `table:id,id` (`*` is not an entry of one table: `None`, as anything malformed).
fn parse_entry(entry: &str) -> Option<(&str, TableChange)> {
    let (table, ids) = match entry.split_once(':') {
        Some((table, ids)) => (table, Some(ids)),
        None => (entry, None),
    };
    if !is_table_name(table) {
        return None;
    }
    let Some(ids) = ids else {
        return Some((table, TableChange::Any));
    };
    let mut rows = BTreeSet::new();
    for id in ids.split(',') {
        if !is_id(id) {
            return None;
        }
        if rows.len() == MAX_IDS {
            return Some((table, TableChange::Any));
        }
        rows.insert(id.to_string());
    }
    Some((table, TableChange::Rows(rows)))
}

fn is_table_name(word: &str) -> bool {
    !word.is_empty() && word.len() <= MAX_WORD && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Row ids: UUIDs, and the events' bigint ids.
fn is_id(word: &str) -> bool {
    !word.is_empty() && word.len() <= MAX_WORD && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The text form: what goes out on `/api/stream`.
impl fmt::Display for ChangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.everything {
            return f.write_str("*");
        }
        for (n, (table, change)) in self.tables.iter().enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            f.write_str(table)?;
            if let TableChange::Rows(ids) = change {
                for (i, id) in ids.iter().enumerate() {
                    f.write_str(if i == 0 { ":" } else { "," })?;
                    f.write_str(id)?;
                }
            }
        }
        Ok(())
    }
}

/// The tables a view reads: the one it lists or shows (`table`) and those it shows something of
/// (`also`: a cluster's name in the VMs grid, the VM counts in the Hosts grid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveTables {
    pub table: &'static str,
    /// Whether `table`'s announcements name the rows a grid lists (not for `events`, whose ids are
    /// the objects new events are about): then a page ignores changes to rows it does not show.
    pub by_row: bool,
    pub also: &'static [&'static str],
}

impl LiveTables {
    /// Listed by row, reading `also` besides.
    pub const fn rows(table: &'static str, also: &'static [&'static str]) -> Self {
        Self {
            table,
            by_row: true,
            also,
        }
    }
}

/// What a view shows of its [`LiveTables::table`].
#[derive(Clone, Copy, Debug)]
pub enum Shown<'a> {
    /// All of it, or a summary of it (the Dashboard's counts, the Events grid).
    All,
    /// A grid's page: these rows. `order_may_change`: whether an update of another row could move it
    /// onto the page ([`order_may_change`]).
    Page { ids: &'a [String], order_may_change: bool },
    /// One row (a VM's details), or for `events` the events about one object.
    Row(&'a str),
}

/// Whether a view that reads `tables` and shows `shown` of its table must refetch after `changes`.
pub fn should_refetch(changes: &ChangeSet, tables: &LiveTables, shown: Shown<'_>) -> bool {
    if changes.everything || tables.also.iter().any(|t| changes.touches_table(t)) {
        return true;
    }
    match (changes.table(tables.table), shown) {
        (None, _) => false,
        (Some(TableChange::Any), _) | (Some(_), Shown::All) => true,
        (Some(TableChange::Rows(ids)), Shown::Row(id)) => ids.contains(id),
        (
            Some(TableChange::Rows(ids)),
            Shown::Page {
                ids: page,
                order_may_change,
            },
        ) => order_may_change || page.iter().any(|id| ids.contains(id)),
    }
}

/// Whether an in-place update of a row not on a grid's page could bring it onto the page: when a
/// search narrows the grid (the row may start matching) or it is sorted by anything but the name
/// (the row's place may move). Sorted by name alone, only a rename moves a row, and renames are
/// announced as the table alone.
pub fn order_may_change(search: &str, sort: &str) -> bool {
    !search.trim().is_empty() || sort != "name"
}

/// How long a page waits before reopening a live-update stream the browser gave up on, after
/// `failures` closed streams in a row: 1 s doubling to a minute, each drawn from its upper half by
/// `jitter` (0 ≤ jitter < 1, a random number) so pages that lost the server together come back
/// spread out.
pub fn reconnect_delay_ms(failures: u32, jitter: f64) -> u32 {
    const FIRST_MS: u32 = 1_000;
    const LONGEST_MS: u32 = 60_000;
    let ceiling = FIRST_MS.saturating_mul(1 << failures.min(6)).min(LONGEST_MS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = ceiling / 2;
    // At most `half`: the product of a number in [0, 1] and a u32 below 60,000.
    half + (f64::from(half) * jitter) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id-{i:04}")).collect()
    }

    #[test]
    fn the_text_form_reads_and_writes_back() {
        for text in ["", "*", "events", "vms:a-1", "events:7 hosts vms:a-1,b-2"] {
            assert_eq!(ChangeSet::parse(text).to_string(), text, "{text:?}");
        }
        let set = ChangeSet::parse("vms:b,a vms:c hosts");
        assert_eq!(set.to_string(), "hosts vms:a,b,c");
        assert_eq!(set.table("hosts"), Some(&TableChange::Any));
        assert!(ChangeSet::parse("").is_empty());
    }

    #[test]
    fn anything_unreadable_is_everything() {
        // The old format (tables joined by commas), bad names, bad ids, empty ids: never ignored.
        for text in [
            "vms,events",
            "VMS",
            "vms:",
            "vms:a,,b",
            "vms:a;b",
            "vms:a b:c:d",
            "x:y:z",
            &"v".repeat(65),
            &format!("vms:{}", "a".repeat(65)),
        ] {
            assert!(ChangeSet::parse(text).is_everything(), "{text:?}");
        }
        let mut set = ChangeSet::parse("vms:a");
        set.add_text("hosts *");
        assert_eq!(set.to_string(), "*");
    }

    #[test]
    fn a_table_alone_absorbs_its_ids_in_either_order() {
        let mut set = ChangeSet::parse("vms:a");
        set.add_text("vms");
        assert_eq!(set.to_string(), "vms");
        set.add_text("vms:b");
        assert_eq!(set.to_string(), "vms");
    }

    #[test]
    fn ids_are_bounded_per_table() {
        let mut set = ChangeSet::default();
        for id in ids(MAX_IDS) {
            set.add_text(&format!("vms:{id}"));
        }
        assert!(matches!(set.table("vms"), Some(TableChange::Rows(r)) if r.len() == MAX_IDS));
        set.add_text("vms:one-more");
        assert_eq!(set.table("vms"), Some(&TableChange::Any));
        // Repeating a listed id is not one more.
        let mut set = ChangeSet::default();
        for _ in 0..3 * MAX_IDS {
            set.add_text("vms:same");
        }
        assert_eq!(set.to_string(), "vms:same");
        // One entry listing too many is the table alone too.
        let long = format!("vms:{}", ids(MAX_IDS + 1).join(","));
        assert_eq!(ChangeSet::parse(&long).to_string(), "vms");
    }

    #[test]
    fn tables_are_bounded() {
        let mut set = ChangeSet::default();
        let names: Vec<String> = (0..=MAX_TABLES).map(|i| format!("t_{}", "x".repeat(i))).collect();
        for name in &names[..MAX_TABLES] {
            set.add_text(name);
        }
        assert!(!set.is_everything());
        set.add_text(&names[0]);
        assert!(!set.is_everything(), "a table already in the set is not one more");
        set.add_text(&names[MAX_TABLES]);
        assert!(set.is_everything());
    }

    #[test]
    fn merging_keeps_the_bounds_and_everything() {
        let mut a = ChangeSet::parse("vms:a");
        a.merge(ChangeSet::parse("vms:b hosts:h"));
        assert_eq!(a.to_string(), "hosts:h vms:a,b");
        a.merge(ChangeSet::everything());
        assert!(a.is_everything());
        a.merge(ChangeSet::parse("vms:c"));
        assert_eq!(a.to_string(), "*");
    }

    const VMS: LiveTables = LiveTables::rows("vms", &["hosts", "clusters"]);

    fn page(ids: &[String]) -> Shown<'_> {
        Shown::Page {
            ids,
            order_may_change: false,
        }
    }

    #[test]
    fn a_grid_page_refetches_for_its_own_rows_only() {
        let on_page = ids(3);
        let set = ChangeSet::parse("vms:id-0001 events:id-0001");
        assert!(should_refetch(&set, &VMS, page(&on_page)));
        let set = ChangeSet::parse("vms:elsewhere events:elsewhere");
        assert!(!should_refetch(&set, &VMS, page(&on_page)));
        assert!(!should_refetch(&ChangeSet::default(), &VMS, page(&on_page)));
        // An empty page (still loading) has no rows to match.
        assert!(!should_refetch(&set, &VMS, page(&[])));
    }

    #[test]
    fn inserts_removals_renames_lag_and_read_tables_refetch_every_page() {
        let on_page = ids(3);
        for text in ["vms", "*", "hosts", "clusters:c1", "vms:elsewhere hosts:h"] {
            assert!(should_refetch(&ChangeSet::parse(text), &VMS, page(&on_page)), "{text}");
        }
        // A table the grid does not read (every write's audit event) does not.
        assert!(!should_refetch(
            &ChangeSet::parse("events templates:t"),
            &VMS,
            page(&on_page)
        ));
    }

    #[test]
    fn a_searched_or_reordered_page_refetches_for_any_row() {
        let on_page = ids(3);
        let set = ChangeSet::parse("vms:elsewhere");
        let moving = Shown::Page {
            ids: &on_page,
            order_may_change: true,
        };
        assert!(should_refetch(&set, &VMS, moving));
        assert!(order_may_change("status:up", "name"));
        assert!(order_may_change("", "status"));
        assert!(!order_may_change("  ", "name"));
    }

    #[test]
    fn one_row_refetches_for_itself_and_whole_views_for_anything() {
        let set = ChangeSet::parse("vms:a");
        assert!(should_refetch(&set, &VMS, Shown::Row("a")));
        assert!(!should_refetch(&set, &VMS, Shown::Row("b")));
        assert!(should_refetch(&ChangeSet::parse("vms"), &VMS, Shown::Row("b")));
        assert!(should_refetch(&set, &VMS, Shown::All));
        let events = LiveTables {
            table: "events",
            by_row: false,
            also: &[],
        };
        let set = ChangeSet::parse("events:a");
        assert!(should_refetch(&set, &events, Shown::All));
        assert!(should_refetch(&set, &events, Shown::Row("a")));
        assert!(!should_refetch(&set, &events, Shown::Row("b")));
        assert!(!should_refetch(&ChangeSet::parse("vms:b"), &events, Shown::All));
    }

    #[test]
    fn reopening_waits_longer_after_each_failure_and_spreads_pages_out() {
        assert_eq!(reconnect_delay_ms(0, 0.0), 500);
        assert_eq!(reconnect_delay_ms(0, 1.0), 1_000);
        assert_eq!(reconnect_delay_ms(1, 0.0), 1_000);
        assert_eq!(reconnect_delay_ms(3, 0.5), 6_000);
        // Capped at a minute however many failures, and any jitter stays in range.
        for failures in [6, 7, 31, 32, u32::MAX] {
            assert_eq!(reconnect_delay_ms(failures, 1.0), 60_000, "{failures}");
            assert_eq!(reconnect_delay_ms(failures, 0.0), 30_000, "{failures}");
        }
        for jitter in [f64::NAN, f64::INFINITY, -1.0, 2.0] {
            let d = reconnect_delay_ms(2, jitter);
            assert!((2_000..=4_000).contains(&d), "{jitter}: {d}");
        }
        let mut last = 0;
        for failures in 0..8 {
            let d = reconnect_delay_ms(failures, 0.99);
            assert!(d >= last, "{failures}");
            last = d;
        }
    }
}
