//! Checks about the machine: the clock, the login service and lingering, and the proxy
//! environment Codex runs with.
//!
//! The clock check is offline and uses references the clock cannot have written itself
//! wrongly in advance: it must not be earlier than when this `codexctl` was installed (its
//! executable's mtime: a dead RTC battery puts the clock years back), nor earlier than the last
//! write of any router file or the daemon's start (a clock that jumped backwards makes
//! cooldowns and quota resets last far too long).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use codex_router_core::Timestamp;
use codex_router_protocol::status::StatusDoc;
use codex_router_service::{Availability, Platform, ServiceManager};
use codex_router_store::RouterPaths;

use crate::report::Check;

/// Router files may be dated this far ahead (coarse file systems, a clock slewed by NTP).
const FILE_SLACK: Duration = Duration::from_secs(5 * 60);
/// The executable may have been built on a machine whose clock was a little ahead.
const EXE_SLACK: Duration = Duration::from_secs(24 * 3600);
const CLOCK_FIX: &str = "set the system clock (e.g. turn on NTP: `timedatectl set-ntp true`)";

/// `snapshot` is the daemon's `status` document when it answered (it says when it started).
pub fn clock(paths: &RouterPaths, snapshot: Option<&StatusDoc>) -> Check {
    let now = Timestamp::now_from(SystemTime::now());
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.metadata().ok()?.modified().ok())
        .map(Timestamp::now_from);
    let mut newest = newest_write(&router_files(paths));
    if let Some(started) = snapshot.map(|s| s.daemon.started_at)
        && newest.as_ref().is_none_or(|(_, t)| started > *t)
    {
        newest = Some(("the daemon's start".to_owned(), started));
    }
    clock_verdict(now, exe, newest)
}

/// Pure, for tests: `exe` is when codexctl was installed, `newest` the latest router write.
pub fn clock_verdict(now: Timestamp, exe: Option<Timestamp>, newest: Option<(String, Timestamp)>) -> Check {
    if let Some(exe) = exe.filter(|e| now.plus(EXE_SLACK) < *e) {
        return Check::fail(
            "clock",
            format!("the system clock says {now}, earlier than this codexctl was installed ({exe})"),
            CLOCK_FIX,
        );
    }
    if let Some((what, at)) = newest.as_ref().filter(|(_, at)| now.plus(FILE_SLACK) < *at) {
        return Check::fail(
            "clock",
            format!("the system clock says {now}, but {what} is dated {at}: the clock went backwards"),
            CLOCK_FIX,
        );
    }
    Check::ok(
        "clock",
        format!("{now}, later than codexctl's install and every router file's last write"),
    )
}

fn router_files(p: &RouterPaths) -> Vec<PathBuf> {
    let mut files = vec![
        p.accounts.clone(),
        p.state.clone(),
        p.client_key.clone(),
        p.config.clone(),
        p.daemon_json.clone(),
        p.bind_dir.join("state.json"),
    ];
    if let Ok(entries) = std::fs::read_dir(&p.logs_dir) {
        files.extend(entries.flatten().map(|e| e.path()));
    }
    files
}

fn newest_write(files: &[PathBuf]) -> Option<(String, Timestamp)> {
    files
        .iter()
        .filter_map(|f: &PathBuf| {
            let at = Path::new(f).metadata().ok()?.modified().ok()?;
            Some((f.display().to_string(), Timestamp::now_from(at)))
        })
        .max_by_key(|(_, at)| *at)
}

/// Installed and running, and (Linux) lingering. Skipped where there is no service manager:
/// in a container these cannot pass, and the daemon then runs detached by design.
pub fn service(manager: &dyn ServiceManager) -> Vec<Check> {
    let kind = match manager.detect() {
        Availability::Available(kind) => kind.name(),
        Availability::Unavailable { reason, advice, .. } => {
            return vec![Check::skip(
                "service",
                format!(
                    "no service manager here ({reason}), so the daemon does not start at login; {advice}"
                ),
            )];
        }
    };
    let status = manager.status();
    let mut out = vec![match (status.installed, status.active) {
        (false, _) => Check::warn(
            "service",
            format!("not installed: the daemon does not start at login nor restart after a crash ({kind})"),
            "run `codexctl service install` (or `codexctl rotation enable`)",
        ),
        (true, false) => Check::fail(
            "service",
            format!("installed ({}) but not running", status.definition_path.display()),
            "run `codexctl daemon start`",
        ),
        (true, true) => Check::ok("service", format!("installed and running ({kind})")),
    }];
    if Platform::current() == Platform::Linux && status.installed {
        out.push(match status.linger {
            Some(true) => Check::ok("linger", "on: the daemon keeps running after logout"),
            Some(false) => Check::warn(
                "linger",
                "off: systemd stops the daemon when your last session ends",
                "run `loginctl enable-linger $USER`",
            ),
            None => Check::skip(
                "linger",
                "cannot read the lingering setting (`loginctl` did not answer)",
            ),
        });
    }
    out
}

const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// SPEC §4 Networks: with a proxy set, `NO_PROXY` must cover `127.0.0.1` and `localhost`, or
/// Codex sends its requests for the router to the proxy.
pub fn proxy_verdict(env: &dyn Fn(&str) -> Option<String>) -> Check {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let Some(var) = PROXY_VARS.iter().find(|k| set(k).is_some()) else {
        return Check::ok(
            "proxy_env",
            "no HTTP(S) proxy is set: Codex reaches the router directly",
        );
    };
    let no_proxy = set("NO_PROXY").or_else(|| set("no_proxy")).unwrap_or_default();
    let missing: Vec<&str> = ["127.0.0.1", "localhost"]
        .into_iter()
        .filter(|host| !covers(&no_proxy, host))
        .collect();
    if missing.is_empty() {
        return Check::ok(
            "proxy_env",
            format!("{var} is set and NO_PROXY covers 127.0.0.1 and localhost"),
        );
    }
    Check::fail(
        "proxy_env",
        format!(
            "{var} is set but NO_PROXY does not cover {}: Codex would send the router's requests to the proxy",
            missing.join(" and ")
        ),
        "export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY} in your shell profile",
    )
}

/// Whether a `NO_PROXY` list exempts `host`: `*`, the host itself (a leading dot and a port
/// ignored), or, for 127.0.0.1, a `127.x` CIDR block.
fn covers(list: &str, host: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let entry = entry.trim_start_matches('.');
            let name = entry
                .rsplit_once(':')
                .filter(|(h, _)| !h.contains(':'))
                .map_or(entry, |(h, _)| h);
            name == "*" || name == host || (host == "127.0.0.1" && loopback_cidr(name))
        })
}

fn loopback_cidr(entry: &str) -> bool {
    let Some((net, bits)) = entry.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    u32::from(net) & mask == u32::from(std::net::Ipv4Addr::LOCALHOST) & mask
}

#[cfg(test)]
#[path = "system_tests.rs"]
mod tests;
