//! Binding Codex's `config.toml` to the router and back (SPEC §3 `bind/`, §7), for
//! `codexctl rotation bind-app|unbind-app|enable|disable|status`.
//!
//! # Layout
//! Pure (text in, text out, no IO), so every rule is tested without a filesystem:
//! - [`edit`] — [`bind`], [`unbind_surgical`], [`strip_binding`] over `toml_edit`, keeping the
//!   user's comments, order and line endings, for both bindings ([`BindMode`]: the provider
//!   table, or the native top-level `openai_base_url`); helped by `text` (CRLF/BOM),
//!   `top_level` (the root keys), `tables` (the provider tables) and `layout` (positions,
//!   comments).
//! - [`mod@inspect`] — [`inspect()`]: what a config says about the binding, for `status`.
//! - [`state`] — the `bind/state.json` schema and its validation.
//! - `bind_plan`, `unbind_plan` — what bind and unbind will write, decided from what was read.
//!
//! IO, thin:
//! - [`bind_app()`], [`unbind_app()`] — lock `bind/bind.lock`, read, plan, re-read, write.
//! - [`status()`] — read-only; [`native_binding()`] — the daemon's read of a native bind.
//! - [`read_binding()`] — the binding every reporter shows: follows a moved `CODEX_HOME` and
//!   builds the one `binding` object ([`BindingView`]) of `status`.
//! - [`login`] — is Codex signed in with ChatGPT (the native binding needs it)?
//! - [`fsio`] — [`BindFs`], the injectable writer, with retries of transient errors.
//!
//! The client key is a [`codex_router_core::Secret`]: it is written into `config.toml` and
//! nowhere else, and no error, log line or `Debug` output shows it or the file's content.

mod bind_app;
mod bind_plan;
mod binding_read;
pub mod edit;
mod error;
pub mod fsio;
pub mod inspect;
mod layout;
pub mod login;
mod native;
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
pub use binding_read::{BindingRead, NO_CODEX_HOME, read_binding};
pub use codex_router_protocol::status::BindingView;
pub use edit::{Originals, Stripped, bind, bind_over, strip_binding, unbind_surgical, unbind_surgical_to};
pub use error::{BindError, TomlProblem};
pub use fsio::{BindFs, RealFs};
pub use inspect::{Binding, inspect};
pub use login::{LoginState, login_state};
pub use native::{NativeBinding, native_binding};
pub use provider::{
    ANCESTOR_PROVIDER_ID, BindMode, BindSpec, MODEL_PROVIDER_KEY, MODEL_PROVIDERS_KEY, OPENAI_BASE_URL_KEY,
    PROVIDER_ID, base_url, router_url_port,
};
pub use report::{BindReport, Note, UnbindOutcome, UnbindReport};
pub use state::{BindState, InvalidState, sha256_hex};
pub use state_io::BindPaths;
pub use status::{BindStatus, ConfigStatus, StateStatus, status};
pub use unbind_app::{unbind_app, unbind_app_with};
