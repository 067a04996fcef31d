//! The subset of oVirt's search language the REST API accepts in `?search=`: `field=value` and
//! `field!=value` conditions (values quoted or not, `*` as a wildcard), joined by `and`/`or` (`and`
//! binds tighter), then optionally `sortby field [asc|desc]` and `page N`. A leading `Vms:` style
//! prefix is allowed. A bare word means "name contains it". Unknown fields are a clear error.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub negated: bool,
    /// The value as given, `*` wildcards included.
    pub value: String,
}

impl Condition {
    pub fn has_wildcard(&self) -> bool {
        self.value.contains('*')
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OvirtQuery {
    /// OR of ANDs; empty = everything.
    pub any_of: Vec<Vec<Condition>>,
    /// Field and descending?
    pub sort: Option<(String, bool)>,
    /// 1-based page of `max` results.
    pub page: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    /// A quoted string (quotes removed).
    Quoted(String),
    Eq,
    NotEq,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                flush(&mut word, &mut out);
                let mut quoted = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => quoted.push(c),
                        None => return Err("A quote in the search is not closed.".into()),
                    }
                }
                out.push(Token::Quoted(quoted));
            }
            '=' => {
                flush(&mut word, &mut out);
                out.push(Token::Eq);
            }
            '!' if chars.peek() == Some(&'=') => {
                chars.next();
                flush(&mut word, &mut out);
                out.push(Token::NotEq);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

fn keyword(t: Option<&Token>, k: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
}

/// The last page (`page N`) and the largest page size (`?max=`) the API serves: (page − 1) × max
/// stays an ordinary OFFSET (page 4294967295 of 4294967295 overflowed i64, pentest row 8).
pub const MAX_PAGE: u32 = 1_000_000;
pub const MAX_PAGE_SIZE: u32 = 10_000;

/// Most conditions one search may hold: each becomes a bound condition in the query.
pub const MAX_CONDITIONS: usize = 50;

/// Parses `text` for a collection whose searchable (and sortable) fields are `fields`.
pub fn parse_ovirt_search(text: &str, fields: &[&str]) -> Result<OvirtQuery, String> {
    if text.chars().count() > 1000 {
        return Err("The search is longer than 1000 characters.".into());
    }
    // PostgreSQL refuses NUL in text values (pentest row 13: a 500); no stored value holds any
    // control character, so none can match anyway.
    if let Some(c) = super::search::control_character(text) {
        return Err(format!("The search contains a control character ({c})."));
    }
    let mut tokens = tokenize(text)?;
    // "Vms: name=x" — the collection prefix the engine's own UI writes.
    if let Some(Token::Word(w)) = tokens.first() {
        if let Some((prefix, rest)) = w.split_once(':') {
            if prefix.chars().all(|c| c.is_ascii_alphabetic()) {
                if rest.is_empty() {
                    tokens.remove(0);
                } else {
                    tokens[0] = Token::Word(rest.to_string());
                }
            }
        }
    }
    let field_of = |name: &str| -> Result<String, String> {
        let lower = name.to_lowercase();
        if fields.contains(&lower.as_str()) {
            Ok(lower)
        } else {
            Err(format!(
                "Unknown search field '{name}'. This collection can be searched by: {}.",
                fields.join(", ")
            ))
        }
    };
    let mut query = OvirtQuery::default();
    let mut group: Vec<Condition> = Vec::new();
    let mut i = 0;
    let mut expect_condition = true;
    while i < tokens.len() {
        let t = &tokens[i];
        if keyword(Some(t), "sortby") {
            let field = match tokens.get(i + 1) {
                Some(Token::Word(f)) => field_of(f)?,
                _ => return Err("'sortby' needs a field name.".into()),
            };
            i += 2;
            let mut desc = false;
            if keyword(tokens.get(i), "desc") {
                desc = true;
                i += 1;
            } else if keyword(tokens.get(i), "asc") {
                i += 1;
            }
            query.sort = Some((field, desc));
            continue;
        }
        if keyword(Some(t), "page") {
            let n = match tokens.get(i + 1) {
                Some(Token::Word(n)) => n.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n)),
                _ => None,
            }
            .ok_or_else(|| format!("'page' needs a page number from 1 to {MAX_PAGE}."))?;
            query.page = Some(n);
            i += 2;
            continue;
        }
        if query.sort.is_some() || query.page.is_some() {
            return Err("Conditions must come before 'sortby' and 'page'.".into());
        }
        if !expect_condition {
            if keyword(Some(t), "and") {
                expect_condition = true;
                i += 1;
                continue;
            }
            if keyword(Some(t), "or") {
                query.any_of.push(std::mem::take(&mut group));
                expect_condition = true;
                i += 1;
                continue;
            }
            // oVirt treats juxtaposed conditions as AND.
        }
        let value_at = |j: usize| match tokens.get(j) {
            Some(Token::Word(v)) | Some(Token::Quoted(v)) => Some(v.clone()),
            _ => None,
        };
        match (t, tokens.get(i + 1)) {
            (Token::Word(f), Some(op @ (Token::Eq | Token::NotEq))) => {
                let field = field_of(f)?;
                let value = value_at(i + 2).ok_or_else(|| format!("'{f}' needs a value after the operator."))?;
                group.push(Condition {
                    field,
                    negated: *op == Token::NotEq,
                    value,
                });
                i += 3;
            }
            (Token::Word(w) | Token::Quoted(w), _) if fields.contains(&"name") => {
                group.push(Condition {
                    field: "name".into(),
                    negated: false,
                    value: format!("*{w}*"),
                });
                i += 1;
            }
            _ => return Err("The search is not understood; write conditions as field=value.".into()),
        }
        expect_condition = false;
    }
    if expect_condition && (!group.is_empty() || !query.any_of.is_empty()) {
        return Err("The search ends with 'and' or 'or'.".into());
    }
    if !group.is_empty() {
        query.any_of.push(group);
    }
    let conditions: usize = query.any_of.iter().map(Vec::len).sum();
    if conditions > MAX_CONDITIONS {
        return Err(format!(
            "The search has {conditions} conditions; at most {MAX_CONDITIONS} are accepted."
        ));
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM_FIELDS: &[&str] = &["name", "status", "cluster", "host", "type", "id"];

    fn cond(field: &str, negated: bool, value: &str) -> Condition {
        Condition {
            field: field.into(),
            negated,
            value: value.into(),
        }
    }

    #[test]
    fn reads_what_real_clients_send() {
        let q = parse_ovirt_search("name=hp*", VM_FIELDS).unwrap();
        assert_eq!(q.any_of, vec![vec![cond("name", false, "hp*")]]);
        assert!(q.any_of[0][0].has_wildcard());
        // Ansible quotes names.
        let q = parse_ovirt_search("name=\"web server 1\"", VM_FIELDS).unwrap();
        assert_eq!(q.any_of, vec![vec![cond("name", false, "web server 1")]]);
        let q = parse_ovirt_search("Vms: status=down", VM_FIELDS).unwrap();
        assert_eq!(q.any_of, vec![vec![cond("status", false, "down")]]);
        assert_eq!(parse_ovirt_search("", VM_FIELDS).unwrap(), OvirtQuery::default());
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let q = parse_ovirt_search("name=a* and status=up or cluster!=Edge", VM_FIELDS).unwrap();
        assert_eq!(
            q.any_of,
            vec![
                vec![cond("name", false, "a*"), cond("status", false, "up")],
                vec![cond("cluster", true, "Edge")],
            ]
        );
        // Juxtaposition is AND, and operators need no spaces around them.
        let q = parse_ovirt_search("Status = up TYPE=high_performance", VM_FIELDS).unwrap();
        assert_eq!(
            q.any_of,
            vec![vec![
                cond("status", false, "up"),
                cond("type", false, "high_performance")
            ]]
        );
    }

    #[test]
    fn sortby_and_page() {
        let q = parse_ovirt_search("status=up sortby name desc page 2", VM_FIELDS).unwrap();
        assert_eq!(q.sort, Some(("name".into(), true)));
        assert_eq!(q.page, Some(2));
        let q = parse_ovirt_search("sortby status", VM_FIELDS).unwrap();
        assert_eq!(q.sort, Some(("status".into(), false)));
        assert!(q.any_of.is_empty());
        let q = parse_ovirt_search("page 3", VM_FIELDS).unwrap();
        assert_eq!(q.page, Some(3));
    }

    #[test]
    fn a_bare_word_searches_names() {
        let q = parse_ovirt_search("db", VM_FIELDS).unwrap();
        assert_eq!(q.any_of, vec![vec![cond("name", false, "*db*")]]);
    }

    #[test]
    fn mistakes_are_clear_errors() {
        let err = parse_ovirt_search("colour=red", VM_FIELDS).unwrap_err();
        assert!(
            err.contains("Unknown search field 'colour'") && err.contains("status"),
            "{err}"
        );
        let long = "a".repeat(1001);
        for (text, says) in [
            ("name=\"open", "quote"),
            ("name=", "needs a value"),
            ("name=a and", "ends with"),
            ("name=a or", "ends with"),
            ("page x", "page number"),
            ("page 0", "page number"),
            ("sortby", "field name"),
            ("sortby bogus", "Unknown"),
            ("sortby name name=x", "before 'sortby'"),
            (long.as_str(), "longer"),
        ] {
            let err = parse_ovirt_search(text, VM_FIELDS).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        assert!(parse_ovirt_search("= x", VM_FIELDS).is_err());
    }

    /// Pentest row 13: a NUL in `search=` reached PostgreSQL and answered 500; control characters
    /// are refused (the handler turns this into a 400 fault), and so are too many conditions.
    #[test]
    fn control_characters_and_too_many_conditions_are_refused() {
        for text in ["name=a\0b", "name=\"a\0\"", "\0", "status=up\u{1b}", "name=x\r\n"] {
            let err = parse_ovirt_search(text, VM_FIELDS).unwrap_err();
            assert!(err.contains("control character (U+"), "{text:?}: {err}");
        }
        assert!(parse_ovirt_search("page 4294967295", VM_FIELDS)
            .unwrap_err()
            .contains("from 1 to 1000000"));
        assert_eq!(
            parse_ovirt_search("page 1000000", VM_FIELDS).unwrap().page,
            Some(MAX_PAGE)
        );
        let many = vec!["name=a"; MAX_CONDITIONS + 1].join(" or ");
        assert!(parse_ovirt_search(&many, VM_FIELDS).unwrap_err().contains("at most 50"));
        let most = vec!["name=a"; MAX_CONDITIONS].join(" and ");
        assert_eq!(
            parse_ovirt_search(&most, VM_FIELDS).unwrap().any_of[0].len(),
            MAX_CONDITIONS
        );
    }
}
