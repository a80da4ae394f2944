//! [`Home`]: one temporary router home and the environment both binaries get in it.
//!
//! The environment is explicit: `CODEX_ROUTER_HOME`, a private `CODEX_HOME` and `HOME`, listen on
//! `127.0.0.1:0`, upstream and issuer on loopback (the fake, or a port nobody listens on), and
//! the override variables of the developer's shell removed. Dropping the home kills any daemon
//! still holding its `run/daemon.lock`, so a failing test never leaks a detached daemon.

use std::path::Path;
use std::process::{Command, Output};

use codex_router_store::{RouterPaths, read_lock_pid, try_lock};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::bins::bins;
use crate::process::{DaemonProcess, run_bounded};
use crate::upstream::Upstream;

/// Variables of the developer's shell that would change what the binaries do.
const SCRUBBED: &[&str] = &[
    "CODEX_ROUTER_LISTEN",
    "CODEX_ROUTER_UPSTREAM",
    "CODEX_ROUTER_ISSUER",
    "CODEX_ROUTER_LOG",
    "CODEX_AUTH_FETCH_TIMEOUT_MS",
    "CODEX_AUTH_STREAM_STALL_TIMEOUT_MS",
    "CODEXCTL_STOP_GRACE_MS",
    "CODEXCTL_START_TIMEOUT_MS",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "CI",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
];

#[derive(Debug)]
pub struct Home {
    pub paths: RouterPaths,
    env: Vec<(String, String)>,
    /// Never the machine's systemd/launchd unless a test asks for it, with XDG_CONFIG_HOME and
    /// HOME in its temporary root (read-only probes only).
    system_service_manager: bool,
    dir: TempDir,
}

impl Home {
    /// A home whose upstream and issuer are a loopback port nobody listens on.
    pub fn new() -> Home {
        let dead = codex_router_test_support::unused_local_addr();
        Self::with_upstream(&format!("http://{dead}/backend-api"), &format!("http://{dead}"))
    }

    /// A home whose upstream and issuer are the fake.
    pub fn with_fake(upstream: &Upstream) -> Home {
        Self::with_upstream(&upstream.fake.base_url(), &upstream.fake.issuer_url())
    }

    fn with_upstream(base_url: &str, issuer: &str) -> Home {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let root = dir.path().to_owned();
        let home = root.join("router");
        let env = vec![
            ("CODEX_ROUTER_HOME".to_owned(), path_str(&home)),
            ("CODEX_HOME".to_owned(), path_str(&root.join("codex"))),
            ("HOME".to_owned(), path_str(&root)),
            ("CODEX_ROUTER_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("CODEX_ROUTER_UPSTREAM".to_owned(), base_url.to_owned()),
            ("CODEX_ROUTER_ISSUER".to_owned(), issuer.to_owned()),
            ("CODEX_ROUTER_LOG".to_owned(), "info".to_owned()),
            ("NO_PROXY".to_owned(), "127.0.0.1,localhost".to_owned()),
            // A panic would print its backtrace: makes "no backtrace" assertions meaningful.
            ("RUST_BACKTRACE".to_owned(), "1".to_owned()),
        ];
        Home {
            paths: RouterPaths::from_home(home),
            env,
            system_service_manager: false,
            dir,
        }
    }

    /// Lets `codexctl` drive the platform's real service manager from now on.
    pub fn use_system_service_manager(&mut self) {
        self.system_service_manager = true;
    }

    /// Sets (or replaces) one variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A `Command` for `program` with this home's environment.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for key in SCRUBBED {
            cmd.env_remove(key);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.current_dir(self.dir.path());
        cmd
    }

    pub fn ctl(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(&bins().ctl);
        if !self.system_service_manager {
            cmd.args(["--service-manager", "none"]);
        }
        cmd.args(args);
        cmd
    }

    /// Runs `codexctl args...` to completion (bounded by [`crate::STEP`]).
    pub fn run_ctl(&self, args: &[&str]) -> Output {
        run_bounded(self.ctl(args))
    }

    /// Starts `codex-routerd` in the foreground with its stderr captured.
    pub fn spawn_daemon(&self) -> DaemonProcess {
        DaemonProcess::spawn(self.command(&bins().routerd))
    }

    /// Writes `accounts.json` (`{"version":1,"accounts":[...]}`) before a daemon starts.
    pub fn write_accounts(&self, accounts: &[Value]) {
        self.paths
            .ensure_dirs()
            .unwrap_or_else(|e| panic!("creating the home: {e}"));
        let text = json!({"version": 1, "accounts": accounts}).to_string();
        std::fs::write(&self.paths.accounts, text).unwrap_or_else(|e| panic!("writing accounts.json: {e}"));
    }

    /// Writes the router's `config.toml`.
    pub fn write_config(&self, toml: &str) {
        self.paths
            .ensure_dirs()
            .unwrap_or_else(|e| panic!("creating the home: {e}"));
        std::fs::write(&self.paths.config, toml).unwrap_or_else(|e| panic!("writing config.toml: {e}"));
    }

    /// The pid holding `run/daemon.lock`, if any process holds it.
    pub fn lock_holder(&self) -> Option<u32> {
        match try_lock(&self.paths.daemon_lock) {
            Ok(Some(_)) | Err(_) => None,
            Ok(None) => read_lock_pid(&self.paths.daemon_lock),
        }
    }
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Some(pid) = self.lock_holder().filter(|pid| *pid != std::process::id()) {
            crate::process::kill(pid);
        }
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One `accounts.json` record holding just a token set, the way a user may write it by hand.
pub fn account_record(tokens: &codex_router_test_support::IssuedTokens) -> Value {
    json!({"tokens": {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token,
    }})
}
