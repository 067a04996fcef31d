//! Name rules for every object Vireo stores: 1-64 characters of `[A-Za-z0-9._-]` (they become libvirt
//! domain names and appear in URLs and oVirt search queries, where anything else needs quoting).

use crate::error::FieldError;

pub const MAX_NAME_LEN: usize = 64;

pub fn name_error(field: &str, kind: &str, name: &str) -> Option<FieldError> {
    let message = if name.is_empty() {
        format!("The {kind} needs a name.")
    } else if name.chars().count() > MAX_NAME_LEN {
        format!("A {kind} name can be at most {MAX_NAME_LEN} characters.")
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        format!("A {kind} name may use only letters, digits, '.', '_' and '-' (not '{bad}').")
    } else {
        return None;
    };
    Some(FieldError::new(field, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for ok in ["a", "db-01", "web.prod_2", &"x".repeat(64)] {
            assert_eq!(name_error("name", "VM", ok), None, "{ok}");
        }
    }

    #[test]
    fn rejects_empty_long_and_odd_characters() {
        assert_eq!(name_error("name", "VM", "").unwrap().message, "The VM needs a name.");
        assert!(name_error("name", "VM", &"x".repeat(65))
            .unwrap()
            .message
            .contains("at most 64"));
        let e = name_error("name", "host", "a b").unwrap();
        assert_eq!(e.field, "name");
        assert!(e.message.contains("not ' '"), "{}", e.message);
        assert!(name_error("name", "VM", "<script>").is_some());
        assert!(name_error("name", "VM", "vm\u{e9}").is_some());
    }
}
