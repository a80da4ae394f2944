//! The router's files on disk (SPEC §3, §5): where they live, how they are written, locked and
//! read back.
//!
//! # Layout
//! - [`paths`] — [`RouterPaths`], the router home and everything in it; the Codex home.
//! - [`atomic`] — crash-safe replacement ([`write_atomic`]) with retries of transient errors,
//!   and cleanup of temp files left by a crash.
//! - [`retry`] — the transient-error retry every write, rename and removal goes through.
//! - [`dirs`] — directories created private to the owner.
//! - [`user`] — the login name from the environment.
//! - [`lock`] — fs4 whole-file locks released on drop ([`FileLock`]).
//! - [`accounts`] — the `accounts.json` schema and its load/save.
//! - [`state`] — generic JSON files that are moved aside, never overwritten, when unreadable.
//! - [`client_key`] — the local client key.
//! - [`daemon_info`] — `run/daemon.json`.
//! - [`normalize`] — completing hand-written or imported accounts; duplicate merging.
//! - [`linked`] — a Codex `auth.json` linked to an account: its health, reading and writing back.
//!
//! Nothing here logs or returns file content: the files hold tokens, and the errors
//! ([`StoreError`]) name paths and remedies only.

pub mod accounts;
pub mod atomic;
pub mod client_key;
pub mod daemon_info;
pub mod dirs;
mod error;
mod json_error;
pub mod linked;
pub mod lock;
pub mod normalize;
pub mod paths;
pub mod retry;
pub mod state;
pub mod user;

pub use accounts::{
    ACCOUNTS_VERSION, AccountsFile, AccountsLoad, StoredAccount, StoredStatus, StoredTokens, load_accounts,
    save_accounts,
};
pub use atomic::{create_atomic, remove_stale_tmp, write_atomic, write_atomic_streamed};
pub use client_key::{load_or_create_client_key, read_client_key};
pub use daemon_info::{DaemonInfo, read_daemon_info, remove_daemon_info, write_daemon_info};
pub use dirs::{create_dir_with_mode, create_private_dir};
pub use error::StoreError;
pub use lock::{FileLock, lock_blocking, lock_with_timeout, read_lock_pid, try_lock};
pub use paths::{Platform, RouterPaths, codex_home, platform_data_dir};
pub use state::{JsonLoad, load_json, save_json};
