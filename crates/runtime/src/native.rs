//! Codex's own ChatGPT login, while the native binding is active (SPEC §4 "Client
//! authentication", §7 `bind-app --native`).
//!
//! Under the native binding Codex keeps its built-in provider and sends its *own* access token
//! (the one in `$CODEX_HOME/auth.json`) as the bearer of its model traffic. Whoever holds that
//! token can already use that account, so the proxy accepts it as well as the client key. Codex
//! refreshes the token itself, so the file is re-read — at most once a second (by the runtime's
//! clock), so a busy stream of requests costs one small read a second, not one per request.
//! (Comparing modification times instead would miss a rewrite of the same length within a
//! coarse timestamp tick.) A change of the binding itself (`bind/state.json`: bound, unbound,
//! switched) is seen at once: one `stat` per check, so Codex's first request after
//! `bind-app --native` is never refused. The same reading names the account Codex is signed in
//! to, which the pool spares.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::{decode_claims, identity};
use parking_lot::Mutex;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Where Codex's home is while the native binding is active; `None` otherwise.
pub type Locate = Arc<dyn Fn() -> Option<PathBuf> + Send + Sync>;

/// Where "now" comes from (the runtime's clock, manual in tests).
pub type Now = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A file's modification time and length; `None` when it does not exist.
type Stamp = Option<(Option<SystemTime>, u64)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().map(|m| (m.modified().ok(), m.len()))
}

/// What the last reading found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeView {
    /// The native binding is active (its Codex home is known).
    pub active: bool,
    /// `$CODEX_HOME/auth.json` holds a ChatGPT login with an access token.
    pub signed_in: bool,
    /// That login's identity (`chatgpt_account_id`, user), when its tokens name one.
    pub identity: Option<(String, String)>,
}

#[derive(Default)]
struct Cache {
    checked_at: Option<Timestamp>,
    binding: Stamp,
    token: Option<Secret>,
    view: NativeView,
}

pub struct NativeLogin {
    locate: Locate,
    /// `bind/state.json`: when its stamp changes the binding is read again at once.
    binding: PathBuf,
    now: Now,
    recheck: Duration,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for NativeLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeLogin")
            .field("recheck", &self.recheck)
            .finish_non_exhaustive()
    }
}

/// The access token and identity of a Codex `auth.json`, if it holds a ChatGPT login.
fn read_login(path: &Path) -> Option<(Secret, Option<(String, String)>)> {
    let bytes = std::fs::read(path).ok()?;
    let doc: Value = serde_json::from_slice(&bytes).ok()?;
    let tokens = doc.get("tokens")?;
    let access = tokens.get("access_token")?.as_str().filter(|t| !t.is_empty())?;
    let ident = ["id_token", "access_token"]
        .iter()
        .filter_map(|k| tokens.get(k).and_then(Value::as_str))
        .filter_map(|t| decode_claims(t).ok())
        .find_map(|c| identity(&c));
    Some((Secret::new(access), ident))
}

impl NativeLogin {
    /// Re-reads Codex's login at most once a second, and at once when `binding` (the bind
    /// state file) changes.
    pub fn new(locate: Locate, binding: PathBuf, now: Now) -> Self {
        Self {
            locate,
            binding,
            now,
            recheck: Duration::from_secs(1),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The current reading; returns it and whether it changed since the previous one.
    pub fn view(&self) -> (NativeView, bool) {
        let mut c = self.cache.lock();
        let now = (self.now)();
        let binding = stamp(&self.binding);
        if c.binding == binding && c.checked_at.is_some_and(|t| now.since(t) < self.recheck) {
            return (c.view.clone(), false);
        }
        c.checked_at = Some(now);
        c.binding = binding;
        let before = c.view.clone();
        let login = (self.locate)().map(|home| read_login(&home.join("auth.json")));
        c.view = NativeView {
            active: login.is_some(),
            signed_in: matches!(login, Some(Some(_))),
            identity: login
                .as_ref()
                .and_then(|l| l.as_ref())
                .and_then(|(_, id)| id.clone()),
        };
        c.token = login.flatten().map(|(t, _)| t);
        let changed = c.view != before;
        (c.view.clone(), changed)
    }

    /// Whether `presented` is Codex's current access token while natively bound (constant
    /// time). Never true without the native binding.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        self.view();
        self.token_matches(presented)
    }

    /// [`Self::accepts`] against the last reading, without re-checking the file.
    pub fn token_matches(&self, presented: &[u8]) -> bool {
        let c = self.cache.lock();
        match (&c.token, c.view.active) {
            (Some(t), true) => !presented.is_empty() && bool::from(t.expose().as_bytes().ct_eq(presented)),
            _ => false,
        }
    }
}

#[cfg(test)]
#[path = "native_tests.rs"]
mod tests;
