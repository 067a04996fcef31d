//! The grids' search box: free words (matched against name and description) plus `field:value`
//! terms, all combined with AND — e.g. `db type:high_performance status:up cluster:Default`.
//! Values may be quoted (`cluster:"Edge West"`). Unknown fields and bad values are clear errors.

use crate::domain::vm_config::OptimizedFor;
use crate::error::FieldError;
use crate::models::{HostStatus, VmStatus};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Search {
    /// Words that must each appear in the name or the description (case-insensitive).
    pub words: Vec<String>,
    /// `field:value` terms, field lower-cased.
    pub terms: Vec<(String, String)>,
}

impl Search {
    pub fn term(&self, field: &str) -> Vec<&str> {
        self.terms
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Splits into tokens, keeping quoted stretches together.
fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err("A quote is not closed.".into());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Most words and terms one search may hold: each becomes a condition in the grid's query.
pub const MAX_SEARCH_TERMS: usize = 20;

/// The first control character in `text`, as `U+0000`. PostgreSQL refuses NUL in text values (a
/// NUL in a search was a 500, pentest row 13), and no name or value Vireo stores holds any.
pub fn control_character(text: &str) -> Option<String> {
    text.chars()
        .find(|c| c.is_control())
        .map(|c| format!("U+{:04X}", u32::from(c)))
}

/// Parses `text` for a grid that accepts `fields`, each with its allowed values (`None` = any).
pub fn parse_search(text: &str, fields: &[(&str, Option<&[&str]>)]) -> Result<Search, FieldError> {
    let err = |m: String| FieldError::new("search", m);
    if text.chars().count() > 500 {
        return Err(err("The search is longer than 500 characters.".into()));
    }
    if let Some(c) = control_character(text) {
        return Err(err(format!(
            "The search contains a control character ({c}); type it without one."
        )));
    }
    let tokens = tokens(text).map_err(err)?;
    if tokens.len() > MAX_SEARCH_TERMS {
        return Err(err(format!(
            "The search has {} words and terms; at most {MAX_SEARCH_TERMS} are accepted.",
            tokens.len()
        )));
    }
    let mut search = Search::default();
    for token in tokens {
        match token.split_once(':') {
            Some((field, value)) => {
                let field = field.to_lowercase();
                let Some((_, allowed)) = fields.iter().find(|(f, _)| *f == field) else {
                    let known: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
                    return Err(err(format!(
                        "Unknown search field '{field}'. Use one of: {}.",
                        known.join(", ")
                    )));
                };
                if value.is_empty() {
                    return Err(err(format!("'{field}:' needs a value.")));
                }
                if let Some(allowed) = allowed {
                    if !allowed.contains(&value.to_lowercase().as_str()) {
                        return Err(err(format!(
                            "'{value}' is not a {field}. Use one of: {}.",
                            allowed.join(", ")
                        )));
                    }
                    search.terms.push((field, value.to_lowercase()));
                } else {
                    search.terms.push((field, value.to_string()));
                }
            }
            None => search.words.push(token),
        }
    }
    Ok(search)
}

pub const TYPES: &[&str] = &OptimizedFor::STRS;
pub const VM_STATUSES: &[&str] = &VmStatus::STRS;
pub const HOST_STATUSES: &[&str] = &HostStatus::STRS;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::collections::{CLUSTERS, VMS};

    const VM_FIELDS: &[(&str, Option<&[&str]>)] = VMS.grid_terms;
    const CLUSTER_FIELDS: &[(&str, Option<&[&str]>)] = CLUSTERS.grid_terms;

    #[test]
    fn words_and_terms_combine() {
        let s = parse_search(
            "db  type:High_Performance status:up cluster:\"Edge West\" prod",
            VM_FIELDS,
        )
        .unwrap();
        assert_eq!(s.words, vec!["db", "prod"]);
        assert_eq!(
            s.terms,
            vec![
                ("type".into(), "high_performance".into()),
                ("status".into(), "up".into()),
                ("cluster".into(), "Edge West".into())
            ]
        );
        assert_eq!(s.term("cluster"), vec!["Edge West"]);
        assert_eq!(parse_search("", VM_FIELDS).unwrap(), Search::default());
    }

    #[test]
    fn bad_terms_are_clear_errors() {
        let e = parse_search("colour:red", VM_FIELDS).unwrap_err();
        assert_eq!(e.field, "search");
        assert!(
            e.message.contains("Unknown search field 'colour'") && e.message.contains("type, status"),
            "{}",
            e.message
        );
        assert!(parse_search("status:sleeping", VM_FIELDS)
            .unwrap_err()
            .message
            .contains("'sleeping' is not a status"));
        assert!(parse_search("type:", VM_FIELDS)
            .unwrap_err()
            .message
            .contains("needs a value"));
        assert!(parse_search("\"open", VM_FIELDS).unwrap_err().message.contains("quote"));
        assert!(parse_search(&"x".repeat(501), VM_FIELDS).is_err());
        assert!(parse_search("type:server", CLUSTER_FIELDS).is_err());
    }

    /// Pentest row 13: a NUL reached PostgreSQL (which refuses it in text) and answered 500. Every
    /// control character is now a `search` field error, quoted or not, and so are too many terms.
    #[test]
    fn control_characters_and_too_many_terms_are_field_errors() {
        for text in ["db\0", "\0", "cluster:\"a\0b\"", "x\u{7}", "a\tb", "\u{9f}"] {
            let e = parse_search(text, VM_FIELDS).unwrap_err();
            assert_eq!(e.field, "search");
            assert!(e.message.contains("control character (U+"), "{}", e.message);
        }
        assert!(parse_search("db\0", VM_FIELDS).unwrap_err().message.contains("U+0000"));
        let many = vec!["w"; MAX_SEARCH_TERMS + 1].join(" ");
        let e = parse_search(&many, VM_FIELDS).unwrap_err();
        assert_eq!(e.field, "search");
        assert!(e.message.contains("at most 20"), "{}", e.message);
        let most = vec!["w"; MAX_SEARCH_TERMS].join(" ");
        assert_eq!(parse_search(&most, VM_FIELDS).unwrap().words.len(), MAX_SEARCH_TERMS);
        assert!(
            parse_search("naïve café 日本", VM_FIELDS).is_ok(),
            "non-ASCII text is not control"
        );
    }
}
