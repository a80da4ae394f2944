//! The native binding's daemon side (SPEC §4, §7): Codex's own bearer accepted by the proxy,
//! and the account Codex is signed in to spared by the pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use codex_router_protocol::status::CodexLogin;
use codex_router_proxy::NativeBearer;
use codex_router_runtime::Runtime;
use codex_router_runtime::native::{Locate, NativeLogin, NativeView, Now};
use codex_router_store::normalize::identity_of;

/// Codex's home while `bind/state.json` says the native binding is active.
fn native_home(bind_dir: &Path) -> Option<PathBuf> {
    codex_router_codex_config::native_binding(bind_dir).map(|n| n.codex_home)
}

pub struct DaemonNative {
    login: NativeLogin,
    runtime: Runtime,
    spare: AtomicBool,
}

impl DaemonNative {
    pub fn new(bind_dir: PathBuf, runtime: Runtime, spare: bool) -> Arc<Self> {
        let state = bind_dir.join("state.json");
        let locate: Locate = Arc::new(move || native_home(&bind_dir));
        let clock = runtime.clone();
        let now: Now = Arc::new(move || clock.now());
        Arc::new(Self {
            login: NativeLogin::new(locate, state, now),
            runtime,
            spare: AtomicBool::new(spare),
        })
    }

    /// `[rotation] spare_codex_login` after a reload.
    pub fn set_spare(&self, on: bool) {
        self.spare.store(on, Ordering::Relaxed);
        let (view, _) = self.login.view();
        self.sync(&view);
    }

    /// The pool account with the login's identity (matched by identity, SPEC §5).
    fn account_of(&self, view: &NativeView) -> Option<(String, String)> {
        let ident = view.identity.as_ref()?;
        self.runtime
            .accounts()
            .iter()
            .find(|a| identity_of(a).as_ref() == Some(ident))
            .and_then(|a| Some((a.id.clone()?, a.label.clone()?)))
    }

    fn sync(&self, view: &NativeView) {
        let spared = if view.active && self.spare.load(Ordering::Relaxed) {
            self.account_of(view).map(|(id, _)| id)
        } else {
            None
        };
        self.runtime.with_pool(|p| {
            if p.spared() != spared.as_deref() {
                p.set_spared(spared);
            }
        });
    }

    /// What `status` shows; also re-applies the sparing (accounts may have changed).
    pub fn status(&self) -> Option<CodexLogin> {
        let (view, _) = self.login.view();
        self.sync(&view);
        if !view.active {
            return None;
        }
        let account = self.account_of(&view);
        let in_pool = account.is_some();
        Some(CodexLogin {
            signed_in: view.signed_in,
            spared: in_pool && self.spare.load(Ordering::Relaxed),
            in_pool,
            account: account.map(|(_, label)| label),
            quota: None,
        })
    }
}

impl NativeBearer for DaemonNative {
    fn accepts(&self, bearer: &[u8]) -> bool {
        let (view, changed) = self.login.view();
        if changed {
            self.sync(&view);
        }
        self.login.token_matches(bearer)
    }
}
