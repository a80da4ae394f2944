//! Which Codex CLI version a real-Codex test run installs: one list, `tests/codex-versions.toml`
//! (Codex changes fast — 0.154 moved the usage display, 0.156 broke every peer that
//! proxied `chatgpt_base_url` — and users run the latest, so the tests run several).
//!
//! The list is compiled in (`include_str!`), so a test binary and the file it was built from
//! always agree; the CI workflow and `.ci/run` read the same file. A run selects one entry with
//! [`VERSION_ENV`]: a role name or an exact version, unset meaning [`Role::Pinned`].

use std::fmt;

/// The list, as written.
pub const VERSIONS_TOML: &str = include_str!("../codex-versions.toml");

/// Selects the version for this run: `pinned`, `latest`, `older`, or an exact `X.Y.Z`.
pub const VERSION_ENV: &str = "CODEX_ROUTER_CODEX_VERSION";

/// Why a version is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The version the client reference was measured with; the default.
    Pinned,
    /// The newest stable release when the list was last moved.
    Latest,
    /// One minor older than pinned.
    Older,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Pinned, Role::Latest, Role::Older];

    /// The key in `codex-versions.toml`, and the name [`VERSION_ENV`] accepts.
    pub fn key(self) -> &'static str {
        match self {
            Role::Pinned => "pinned",
            Role::Latest => "latest",
            Role::Older => "older",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The parsed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodexVersions {
    pub pinned: String,
    pub latest: String,
    pub older: String,
}

impl CodexVersions {
    /// The version for `role`.
    pub fn get(&self, role: Role) -> &str {
        match role {
            Role::Pinned => &self.pinned,
            Role::Latest => &self.latest,
            Role::Older => &self.older,
        }
    }

    /// Every listed version once, pinned first (the CI matrix).
    pub fn all(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for role in Role::ALL {
            let version = self.get(role);
            if !out.contains(&version) {
                out.push(version);
            }
        }
        out
    }

    /// What [`VERSION_ENV`]'s value selects: `None`/empty is pinned, a role name its version,
    /// an exact version itself (to try one before listing it). Anything else is an error, so
    /// a typo in CI fails instead of silently testing the default.
    pub fn select(&self, value: Option<&str>) -> Result<String, String> {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return Ok(self.pinned.clone());
        }
        if let Some(role) = Role::ALL.into_iter().find(|r| r.key() == value) {
            return Ok(self.get(role).to_owned());
        }
        if is_version(value) {
            return Ok(value.to_owned());
        }
        Err(format!(
            "{VERSION_ENV}={value:?}: expected pinned, latest, older or a version such as 0.171.0"
        ))
    }
}

/// Parses `codex-versions.toml`.
pub fn parse(text: &str) -> Result<CodexVersions, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("codex-versions.toml: {e}"))?;
    let get = |role: Role| -> Result<String, String> {
        let value = table
            .get(role.key())
            .and_then(toml::Value::as_str)
            .ok_or_else(|| format!("codex-versions.toml: `{role}` is missing or not a string"))?;
        if is_version(value) {
            Ok(value.to_owned())
        } else {
            Err(format!("codex-versions.toml: `{role}` = {value:?} is not X.Y.Z"))
        }
    };
    Ok(CodexVersions {
        pinned: get(Role::Pinned)?,
        latest: get(Role::Latest)?,
        older: get(Role::Older)?,
    })
}

/// The compiled-in list.
pub fn versions() -> Result<CodexVersions, String> {
    parse(VERSIONS_TOML)
}

/// The version this run installs: [`VERSION_ENV`] applied to the compiled-in list.
pub fn selected() -> Result<String, String> {
    versions()?.select(std::env::var(VERSION_ENV).ok().as_deref())
}

/// `X.Y.Z` with decimal parts (npm versions of `@openai/codex` are plain releases).
fn is_version(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_parses_and_names_three_distinct_versions() {
        let v = versions().unwrap();
        assert_eq!(v.all().len(), 3, "{v:?}");
        assert_eq!(v.all()[0], v.pinned);
    }

    #[test]
    fn selection_by_role_or_exact_version() {
        let v = parse("pinned = \"0.169.0\"\nlatest = \"0.171.0\"\nolder = \"0.168.0\"\n").unwrap();
        assert_eq!(v.select(None).unwrap(), "0.169.0");
        assert_eq!(v.select(Some("")).unwrap(), "0.169.0");
        assert_eq!(v.select(Some("latest")).unwrap(), "0.171.0");
        assert_eq!(v.select(Some("older")).unwrap(), "0.168.0");
        assert_eq!(v.select(Some("0.170.0")).unwrap(), "0.170.0");
        assert!(v.select(Some("lastest")).is_err());
        assert!(v.select(Some("0.171")).is_err());
    }

    #[test]
    fn a_malformed_list_is_an_error() {
        assert!(parse("pinned = \"0.169.0\"").is_err());
        assert!(parse("pinned = \"x\"\nlatest = \"0.171.0\"\nolder = \"0.168.0\"").is_err());
        assert!(parse("pinned = [").is_err());
    }
}
