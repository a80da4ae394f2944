//! Binding Codex's `config.toml` to the router and back (SPEC §3 `bind/`, §7), for
//! `codexctl rotation bind-app|unbind-app|enable|disable|status`.
//!
//! # Layout
//! Pure (text in, text out, no IO), so every rule is tested without a filesystem:
//! - [`edit`] — [`bind`], [`unbind_surgical`], [`strip_binding`] over `toml_edit`, keeping the
//!   user's comments, order and line endings; helped by `text` (CRLF/BOM), `top_level` (the
//!   root `model_provider`), `tables` (the provider tables) and `layout` (positions, comments).
//! - [`mod@inspect`] — [`inspect()`]: what a config says about the binding, for `status`.
//! - [`state`] — the `bind/state.json` schema and its validation.
//! - `bind_plan`, `unbind_plan` — what bind and unbind will write, decided from what was read.
//!
//! IO, thin:
//! - [`bind_app()`], [`unbind_app()`] — lock `bind/bind.lock`, read, plan, re-read, write.
//! - [`status()`] — read-only.
//! - [`fsio`] — [`BindFs`], the injectable writer, with retries of transient errors.
//!
//! The client key is a [`codex_router_core::Secret`]: it is written into `config.toml` and
//! nowhere else, and no error, log line or `Debug` output shows it or the file's content.

mod bind_app;
mod bind_plan;
pub mod edit;
mod error;
pub mod fsio;
pub mod inspect;
mod layout;
mod provider;
mod report;
pub mod state;
mod state_io;
mod status;
mod tables;
mod text;
mod top_level;
mod unbind_app;
mod unbind_plan;

pub use bind_app::{bind_app, bind_app_with};
pub use edit::{Stripped, bind, strip_binding, unbind_surgical};
pub use error::{BindError, TomlProblem};
pub use fsio::{BindFs, RealFs};
pub use inspect::{Binding, inspect};
pub use provider::{
    ANCESTOR_PROVIDER_ID, BindSpec, MODEL_PROVIDER_KEY, MODEL_PROVIDERS_KEY, PROVIDER_ID, base_url,
};
pub use report::{BindReport, Note, UnbindOutcome, UnbindReport};
pub use state::{BindState, InvalidState, sha256_hex};
pub use state_io::BindPaths;
pub use status::{BindStatus, ConfigStatus, StateStatus, status};
pub use unbind_app::{unbind_app, unbind_app_with};
