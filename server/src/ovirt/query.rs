//! The query parameters handlers read: a list's `?search`/`?max`/`?case_sensitive`, and the
//! `?next_run`/`?force` flags.

use serde::Deserialize;

/// Query parameters of list calls (others the SDK may send, such as `all_content`, are accepted).
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub search: Option<String>,
    pub max: Option<i64>,
    pub case_sensitive: Option<String>,
    /// `?follow=`: links to inline (`follow.rs`).
    pub follow: Option<String>,
}

/// `?next_run=true`, `?force=true`.
#[derive(Debug, Default, Deserialize)]
pub struct Flags {
    pub next_run: Option<String>,
    pub force: Option<String>,
    /// `DELETE /vms/{id}?detach_only=true`: keep the VM's disks (oVirt removes them by default).
    pub detach_only: Option<String>,
}

/// A flag's value as the SDK sends it: `true` (any case) or `1`.
pub fn flag(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}
