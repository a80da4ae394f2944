//! The templates in `packaging/`, embedded, and how their placeholders are filled.
//!
//! The files in `packaging/` *are* the templates (nothing else describes the services), so a
//! reviewer reads one file per platform. Placeholders are `@NAME@`. Filling is one pass over
//! the template: a value is never scanned again, so a path that happens to contain `@ROUTER_HOME@`
//! stays as it is. Every value is escaped for its format by the caller before it gets here.

pub(crate) const SYSTEMD_UNIT: &str = include_str!("../../../packaging/systemd/codex-routerd.service.in");
pub(crate) const LAUNCHD_PLIST: &str =
    include_str!("../../../packaging/launchd/com.codex-router.daemon.plist.in");
pub(crate) const WINDOWS_TASK: &str = include_str!("../../../packaging/windows/codex-routerd-task.xml.in");

/// `template` with each `@NAME@` whose `NAME` is in `values` replaced by its value. Anything
/// else, including an `@` that starts no known placeholder, is copied unchanged.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let replaced = placeholder_name(after).and_then(|name| {
            let (_, value) = values.iter().find(|(key, _)| *key == name)?;
            Some((name.len(), *value))
        });
        match replaced {
            Some((len, value)) => {
                out.push_str(value);
                rest = &after[len + 1..];
            }
            None => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `NAME` of a placeholder starting right after an `@`: `[A-Z_]+` closed by `@`.
fn placeholder_name(s: &str) -> Option<&str> {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
        .count();
    (len > 0 && s.as_bytes().get(len) == Some(&b'@')).then(|| &s[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every placeholder the template uses, in order of first use.
    fn placeholders(template: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for (idx, _) in template.match_indices('@') {
            if let Some(name) = placeholder_name(&template[idx + 1..])
                && !found.contains(&name)
            {
                found.push(name);
            }
        }
        found
    }

    #[test]
    fn values_are_not_rescanned_and_unknown_at_signs_stay() {
        let out = fill("a @X@ b @Y@ c @ d @lower@ @X@", &[("X", "@Y@"), ("Y", "y@")]);
        assert_eq!(out, "a @Y@ b y@ c @ d @lower@ @Y@");
    }

    #[test]
    fn templates_use_exactly_the_placeholders_the_generators_fill() {
        assert_eq!(
            placeholders(SYSTEMD_UNIT),
            [
                "EXEC_START",
                "ENV_ROUTER_HOME",
                "ENV_CODEX_HOME",
                "LOG_FILE",
                "READ_WRITE_PATHS"
            ]
        );
        assert_eq!(
            placeholders(LAUNCHD_PLIST),
            ["PROGRAM_ARGUMENTS", "ROUTER_HOME", "CODEX_HOME", "LOG_FILE"]
        );
        assert_eq!(placeholders(WINDOWS_TASK), ["USER", "COMMAND", "ARGUMENTS"]);
    }
}
