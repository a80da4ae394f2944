//! Account labels: safe in an HTTP header, never derived from an email (SPEC §5).

/// 1–64 of `[A-Za-z0-9._-]`.
pub fn is_valid_label(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// `<plan_type>-<n>` with the smallest `n` not already taken.
pub fn derive_label<'a>(plan_type: Option<&str>, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let plan: String = plan_type
        .unwrap_or("account")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    let plan = if plan.is_empty() {
        "account".to_owned()
    } else {
        plan
    };
    (1..)
        .map(|n| format!("{plan}-{n}"))
        .find(|l| !taken.clone().any(|t| t == l))
        .unwrap_or(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(is_valid_label("pro-1"));
        assert!(is_valid_label("a.b_c-D9"));
        assert!(!is_valid_label(""));
        assert!(!is_valid_label("has space"));
        assert!(!is_valid_label("me@example.com"));
        assert!(!is_valid_label(&"x".repeat(65)));
    }

    #[test]
    fn derived_labels_skip_taken() {
        let taken = ["pro-1", "pro-2", "plus-1"];
        assert_eq!(derive_label(Some("pro"), taken.iter().copied()), "pro-3");
        assert_eq!(derive_label(None, taken.iter().copied()), "account-1");
        assert!(is_valid_label(&derive_label(
            Some("weird plan!"),
            taken.iter().copied()
        )));
    }
}
