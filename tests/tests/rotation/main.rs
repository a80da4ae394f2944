//! End-to-end tests of the binding and the login service with the real `codexctl` and
//! `codex-routerd` binaries, each on a temporary HOME, CODEX_HOME and CODEX_ROUTER_HOME (never the
//! machine's own): binding Codex (`rotation bind-app|unbind-app|enable|disable|status`), the login
//! service's dry run, and `doctor`. The service manager is `none` (the harness default) unless a
//! test says otherwise, so these tests never reach the machine's systemd or launchd.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod bind;
mod bound_down;
mod doctor;
mod enable_race;
mod service;

pub use codex_router_e2e::{show, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Output;

use codex_router_e2e::home::account_record;
use codex_router_e2e::{Home, Upstream};

/// Asserts success and returns the output.
pub fn ok(home: &Home, args: &[&str]) -> Output {
    let out = home.run_ctl(args);
    assert!(
        out.status.success(),
        "codexctl {}: {}",
        args.join(" "),
        show(&out)
    );
    out
}

/// A home with the fake upstream and one healthy account.
pub fn home_with_account(upstream: &Upstream) -> Home {
    let home = Home::with_fake(upstream);
    home.write_accounts(&[account_record(&upstream.account("acc-1", "pro"))]);
    home
}

/// `$CODEX_HOME/config.toml` of this home.
pub fn codex_config(home: &Home) -> PathBuf {
    home.root().join("codex").join("config.toml")
}

/// A user's config, with comments and a mode Codex leaves it in, written before any bind.
pub fn write_user_config(home: &Home) -> Vec<u8> {
    let text =
        b"# my Codex settings\nmodel = \"gpt-5\" # the default\n\n[profiles.fast]\nmodel = \"gpt-5-mini\"\n";
    let path = codex_config(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    set_mode(&path, 0o644);
    text.to_vec()
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) {}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The port the running daemon reports.
pub fn daemon_port(home: &Home) -> u16 {
    let out = ok(home, &["daemon", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listen = v["listen"].as_str().unwrap();
    listen.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// The router's client key, as the daemon created it.
pub fn client_key(home: &Home) -> String {
    std::fs::read_to_string(&home.paths.client_key)
        .unwrap()
        .trim()
        .to_owned()
}

/// Every file under `dir`, recursively, with its bytes: a snapshot to prove nothing changed.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}
