//! Getting accounts into the pool: the library behind `codexctl accounts login|import`
//! (SPEC §5, §6). It produces and merges [`StoredAccount`](codex_router_store::StoredAccount)s
//! in memory; it never writes `accounts.json` — the caller hands the result to the daemon
//! (IPC `accounts.add`) or, with the daemon down, saves it under the accounts lock.
//!
//! # Layout
//! - [`import`] — Codex `auth.json` ([`parse_codex_auth`]) and codex-multi-auth v1/v3
//!   ([`parse_multi_auth`]) files; [`read_sources`] reads a whole batch before anything
//!   changes; [`merge_into`] dedupes by identity, freshest tokens winning, and reports by label;
//!   [`linked_notice`] is what to tell the user when Codex's own login is imported.
//! - [`login`] — the browser PKCE flow ([`BrowserLogin`], [`CallbackServer`], pasted redirects),
//!   the device-code flow ([`device_login`]) and [`open_browser`].
//! - `error` — [`ImportError`] and [`LoginFlowError`].
//!
//! # Invariants
//! - No token, email, code or verifier appears in an error message or a `Debug` output: errors
//!   name files, fields and positions; accounts are named by label.
//! - Nothing is half-added: every flow returns accounts, and an import reads every file before
//!   merging any of them.
//! - Source files are only read. The link to Codex's `auth.json` is recorded here; writing
//!   refreshed tokens back is the daemon's job (`codex-router-runtime`'s `linked` module).

mod error;
pub mod import;
pub mod login;

pub use error::{ImportError, ImportProblem, LoginFlowError};
pub use import::{
    ImportBatch, ImportReport, ImportSource, SOURCE_CODEX_AUTH, SOURCE_MULTI_AUTH, import_into,
    link_codex_login, linked_notice, merge_into, parse_codex_auth, parse_multi_auth, read_sources,
};
pub use login::{
    BrowserCommand, BrowserLogin, CallbackServer, SOURCE_LOGIN, account_from_tokens, browser_command,
    check_label, code_from_pasted, device_login, device_login_paced, open_browser,
};

#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod fixtures;
