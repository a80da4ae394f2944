//! `rotation bind-app`: point Codex's `config.toml` at the running daemon (SPEC §7).
//!
//! The port and key come from the daemon itself (`proxy.info`), never from a setting or a guess: a
//! daemon that is not up and cannot be started means no bind at all, with the file untouched, and a
//! port of 0 is refused before anything is read. The edit itself, its lock (`bind/bind.lock`),
//! backup and state are `codex-config`'s.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Context;
use codex_router_codex_config::{BindMode, BindReport, BindSpec, base_url, bind_app};
use codex_router_core::Secret;
use codex_router_protocol::methods::{self, ProxyInfo};
use codex_router_settings::ListenAddr;
use serde_json::{Value, json};

use super::{codex_config_path, say};
use crate::commands::daemon::start::{Started, ensure_running};
use crate::ctx::Ctx;
use crate::liveness::{Daemon, decode};
use crate::{output, timefmt};

pub async fn bind_app_cmd(ctx: &Ctx<'_>, remote_compaction: bool, mode: BindMode) -> anyhow::Result<()> {
    let config = codex_config_path(ctx)?;
    let (mut daemon, how) = ensure_running(ctx)
        .await
        .context("Codex was not bound (config.toml is unchanged): the daemon is not running")?;
    if how != Started::Already {
        say(ctx, &format!("started codex-routerd (pid {})", daemon.ping.pid));
    }
    let report = bind(ctx, &mut daemon, remote_compaction, mode).await?;
    print_report(ctx, &report, remote_compaction, &config)
}

/// Ask `daemon` where it listens and bind Codex to that. Blocks on `bind/bind.lock` while
/// another bind or unbind runs (two `rotation enable`s at once end with one binding).
/// `mode`: the binding to write; the other one, if present, is replaced in the same edit.
pub async fn bind(
    ctx: &Ctx<'_>,
    daemon: &mut Daemon,
    remote_compaction: bool,
    mode: BindMode,
) -> anyhow::Result<BindReport> {
    let config = codex_config_path(ctx)?;
    let info: ProxyInfo = decode(daemon.call(methods::PROXY_INFO, json!({})).await?)?;
    let port = bind_port(&info.listen)?;
    let spec = BindSpec {
        port,
        client_key: Secret::new(info.client_key),
        remote_compaction: remote_compaction && mode == BindMode::Provider,
        mode,
    };
    let report = bind_app(&config, &ctx.paths.bind_dir, &spec, timefmt::now())?;
    Ok(report)
}

/// The port Codex is given for the daemon's `listen` address. Codex is always pointed at
/// `127.0.0.1` (a `localhost` listen address is written as such), so a daemon listening on
/// another loopback address is refused rather than bound to a port nothing answers on; port 0
/// means the daemon never said where it listens, and is never written.
pub fn bind_port(listen: &str) -> anyhow::Result<u16> {
    let addr: ListenAddr = listen
        .parse()
        .map_err(|e| anyhow::anyhow!("the daemon reported an unusable listen address {listen:?}: {e}"))?;
    let socket = addr.socket_addr();
    if socket.port() == 0 {
        anyhow::bail!(
            "the daemon reported port 0; refusing to bind Codex to it (config.toml is unchanged): restart \
             it with `codexctl daemon restart`"
        );
    }
    if socket.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        anyhow::bail!(
            "the daemon listens on {listen}, but Codex is always bound to 127.0.0.1; set `[proxy] listen = \
             \"127.0.0.1:{}\"` in the router's config.toml, restart the daemon, and bind again \
             (config.toml is unchanged)",
            socket.port()
        );
    }
    Ok(socket.port())
}

/// Human: one line on what happened, then one per note. JSON: the report, key-free.
pub fn print_report(
    ctx: &Ctx<'_>,
    report: &BindReport,
    remote_compaction: bool,
    config: &std::path::Path,
) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(&report_json(report, remote_compaction));
    }
    let url = base_url(report.port);
    let head = match (report.mode, report.changed) {
        (BindMode::Provider, true) => format!(
            "bound Codex to the router: {} now sends its requests to {url}",
            config.display()
        ),
        (BindMode::Native, true) => format!(
            "bound Codex natively: {} now sets openai_base_url = \"{url}\" and nothing else",
            config.display()
        ),
        (mode, false) => format!(
            "Codex is already bound ({mode}) to {url} ({}); nothing changed",
            config.display()
        ),
    };
    output::line(&head)?;
    for note in &report.notes {
        output::line(&format!("  note: {note}"))?;
    }
    Ok(())
}

pub fn report_json(report: &BindReport, remote_compaction: bool) -> Value {
    json!({
        "bound": true,
        "mode": report.mode.as_str(),
        "changed": report.changed,
        "first_bind": report.first_bind,
        "config_path": report.config_path,
        "port": report.port,
        "base_url": base_url(report.port),
        "remote_compaction": remote_compaction && report.mode == BindMode::Provider,
        "notes": report.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_become_a_127_0_0_1_port() {
        assert_eq!(bind_port("127.0.0.1:2456").unwrap(), 2456);
        assert_eq!(bind_port("localhost:3000").unwrap(), 3000);
        // Bind never writes port 0.
        let err = bind_port("127.0.0.1:0").unwrap_err().to_string();
        assert!(err.contains("port 0") && err.contains("unchanged"), "{err}");
        for other in ["[::1]:2456", "127.0.0.2:2456", "nonsense"] {
            let err = bind_port(other).unwrap_err().to_string();
            assert!(
                err.contains("unchanged") || err.contains("unusable"),
                "{other}: {err}"
            );
        }
    }

    #[test]
    fn report_json_names_the_notes_and_never_the_key() {
        let report = BindReport {
            config_path: "/h/.codex/config.toml".into(),
            port: 2456,
            mode: codex_router_codex_config::BindMode::Provider,
            changed: true,
            first_bind: true,
            notes: vec![
                codex_router_codex_config::Note::ModeTightened { from: 0o644 },
                codex_router_codex_config::Note::DesktopAppLimits,
                codex_router_codex_config::Note::RestartCodex,
            ],
        };
        let v = report_json(&report, false);
        assert_eq!(v["base_url"], "http://127.0.0.1:2456/backend-api/codex");
        let notes = v["notes"].as_array().unwrap();
        assert!(notes[0].as_str().unwrap().contains("0644"));
        assert!(notes[1].as_str().unwrap().contains("model picker"));
        assert!(notes[2].as_str().unwrap().contains("restart"));
    }
}

#[cfg(test)]
mod native_tests {
    use codex_router_codex_config::Note;

    use super::*;

    #[test]
    fn a_native_bind_report_says_what_codex_keeps_and_to_restart() {
        let report = BindReport {
            config_path: "/h/.codex/config.toml".into(),
            port: 2456,
            mode: BindMode::Native,
            changed: true,
            first_bind: false,
            notes: vec![
                Note::Switched {
                    from: BindMode::Provider,
                    to: BindMode::Native,
                },
                Note::NativeKeeps,
                Note::RestartCodex,
            ],
        };
        let v = report_json(&report, true);
        assert_eq!(v["mode"], "native");
        assert_eq!(
            v["remote_compaction"], false,
            "the native binding has no such option"
        );
        let notes: Vec<&str> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        assert!(
            notes[0].contains("nothing of the provider binding is left"),
            "{notes:?}"
        );
        assert!(notes[1].contains("own ChatGPT login") && notes[1].contains("model picker"));
        assert!(notes[1].contains("WebSocket"));
        assert!(notes[2].contains("restart running Codex sessions"));
    }
}
