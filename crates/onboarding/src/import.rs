//! `codexctl accounts import [PATH...] [--multi-auth PATH]...` (SPEC §6): reading Codex and
//! codex-multi-auth files into accounts, and merging them into the pool.
//!
//! Importing happens in two steps so that a bad file changes nothing: [`read_sources`] reads
//! and parses *every* file first (any error aborts the whole batch), then [`merge_into`]
//! folds the accounts into the pool in memory. Writing the pool is the caller's business
//! (through the daemon's `accounts.add`, or `save_accounts` under the accounts lock). The
//! source files themselves are only ever read.

mod codex_auth;
mod json;
mod merge;
mod multi_auth;

use std::path::{Path, PathBuf};

use codex_router_store::StoredAccount;

pub use codex_auth::parse_codex_auth;
pub use merge::{ImportReport, import_into, merge_into};
pub use multi_auth::parse_multi_auth;

use crate::error::{ImportError, ImportProblem};

/// `source` of an account imported from a Codex `auth.json`.
pub const SOURCE_CODEX_AUTH: &str = "import:codex-auth";
/// `source` of an account imported from a codex-multi-auth accounts file.
pub const SOURCE_MULTI_AUTH: &str = "import:multi-auth";

/// An entry that was not imported: a description naming no email (a label, or the file and
/// position), and the reason.
pub type Skipped = (String, String);

/// One file to import, by kind: the two formats are told apart by the command line, not
/// guessed, and a file of the other kind is refused with a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// A Codex CLI `auth.json` (positional paths; the default is `$CODEX_HOME/auth.json`).
    CodexAuth(PathBuf),
    /// A codex-multi-auth `openai-codex-accounts.json` (`--multi-auth PATH`).
    MultiAuth(PathBuf),
}

impl ImportSource {
    pub fn path(&self) -> &Path {
        match self {
            Self::CodexAuth(p) | Self::MultiAuth(p) => p,
        }
    }
}

/// Everything read from a batch of files, ready for [`import_into`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub accounts: Vec<StoredAccount>,
    /// Entries that could not become accounts (a multi-auth entry without a refresh token).
    pub skipped: Vec<Skipped>,
}

/// Reads and parses every source, in order. The first unreadable or malformed file aborts the
/// batch with an error naming it, so the pool is never changed by half an import.
pub fn read_sources(sources: &[ImportSource]) -> Result<ImportBatch, ImportError> {
    let mut batch = ImportBatch::default();
    for source in sources {
        // The link is followed by the daemon later, from its own working directory.
        let path = std::path::absolute(source.path()).unwrap_or_else(|_| source.path().to_owned());
        let bytes = std::fs::read(&path).map_err(|e| import_error(&path, ImportProblem::Read(e)))?;
        match source {
            ImportSource::CodexAuth(_) => batch.accounts.extend(parse_codex_auth(&path, &bytes)?),
            ImportSource::MultiAuth(_) => {
                let (accounts, skipped) = multi_auth::parse_multi_auth_detailed(&path, &bytes)?;
                batch.accounts.extend(accounts);
                batch.skipped.extend(skipped);
            }
        }
    }
    Ok(batch)
}

/// Links the account Codex itself is signed in to, by identity (SPEC §5), to Codex's own
/// `auth.json` (`codex_auth`, i.e. `$CODEX_HOME/auth.json`), whichever file its tokens came
/// from; no other account and no other path is ever linked. Linking a copy or a backup would
/// make the router write refreshed tokens there while Codex's real file keeps the spent
/// refresh token, logging Codex out at its next refresh: the failure the link exists to
/// prevent. An unreadable or signed-out `codex_auth` links nothing. Returns whether an
/// account was linked.
pub fn link_codex_login(batch: &mut ImportBatch, codex_auth: &Path) -> bool {
    let path = std::path::absolute(codex_auth).unwrap_or_else(|_| codex_auth.to_owned());
    let Ok(bytes) = std::fs::read(&path) else {
        return false;
    };
    let Ok(signed_in) = parse_codex_auth(&path, &bytes) else {
        return false;
    };
    let Some(identity) = signed_in.first().and_then(merge::identity) else {
        return false;
    };
    let mut linked = false;
    for a in &mut batch.accounts {
        let same = merge::identity(a).as_ref() == Some(&identity);
        a.linked_auth_json = same.then(|| path.clone());
        linked |= same;
    }
    linked
}

/// What to tell the user when an imported account is linked to Codex's own `auth.json`
/// (SPEC §6: "Say so to the user at import time"). `label` names the account, `auth_json` the
/// file; neither is a secret.
pub fn linked_notice(label: &str, auth_json: &Path) -> String {
    format!(
        "Account {label} is the login Codex itself uses ({path}). Refresh tokens are single use, so \
         from now on codex-router is the only refresher of this login: it writes each refreshed token \
         set back into {path} while that file still holds the same account, so Codex keeps a working \
         login. If Codex is signed in to another account later, the file is left alone.",
        path = auth_json.display()
    )
}

pub(crate) fn import_error(path: &Path, problem: ImportProblem) -> ImportError {
    ImportError {
        path: path.to_owned(),
        problem,
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
