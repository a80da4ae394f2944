//! `rotation status [--json]`: the binding as found, next to the daemon it should reach.
//! Read-only (a status command changes no shared state): the config and `bind/` are read without
//! a lock, the daemon only answers `ping` and `proxy.info`; nothing is created, started or
//! written. Exit 0 either way.

use codex_router_codex_config::BindingView;
use codex_router_core::Secret;
use codex_router_protocol::methods::{self, ProxyInfo};
use codex_router_settings::ListenAddr;
use serde_json::{Value, json};

use super::problems::{Problem, Severity, problems};
use crate::binding::{self, DaemonSide, View};
use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, probe};
use crate::output;

pub async fn status(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let view = View::read(ctx);
    let (side, daemon) = daemon_side(ctx).await;
    let found = problems(&view, &side);
    let mut doc = view.to_json(Some(&side));
    doc["daemon"] = daemon;
    doc["problems"] = json!(found.iter().map(Problem::to_json).collect::<Vec<_>>());
    if ctx.json {
        return output::json(&doc);
    }
    output::print(&render(&doc, &view.view(&side), &found))
}

/// The daemon's port and key (for the comparison) and what to show about it.
pub async fn daemon_side(ctx: &Ctx<'_>) -> (DaemonSide, Value) {
    match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let pid = daemon.ping.pid;
            let info = match daemon.call(methods::PROXY_INFO, json!({})).await {
                Ok(v) => decode::<ProxyInfo>(v),
                Err(e) => Err(e),
            };
            match info {
                Ok(info) => {
                    let port = info.listen.parse::<ListenAddr>().map_or(0, |a| a.port());
                    let side = DaemonSide::Up {
                        port,
                        key: Secret::new(info.client_key),
                    };
                    (side, json!({"running": true, "pid": pid, "listen": info.listen}))
                }
                Err(e) => (
                    DaemonSide::Down,
                    json!({"running": false, "pid": pid,
                           "detail": format!("pid {pid} answers `ping` but not `proxy.info`: {e:#}")}),
                ),
            }
        }
        Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => {
            (DaemonSide::Down, json!({"running": false, "detail": detail}))
        }
    }
}

fn render(doc: &Value, binding: &BindingView, found: &[Problem]) -> String {
    let running = doc["daemon"]["running"] == true;
    let mut out = format!("binding   {}\n", binding::describe(binding, running));
    let text = |v: &Value| crate::commands::status_render::text(Some(v));
    out.push_str(&format!("config    {}", text(&doc["config_path"])));
    if let Some(reason) = doc["config"]["reason"].as_str() {
        out.push_str(&format!(" ({reason})"));
    }
    out.push('\n');
    if binding.is_native() {
        let native = &doc["native"];
        out.push_str(&format!("mode      native: {}\n", text(&native["codex_will"])));
        out.push_str(&format!(
            "login     {}\n",
            if native["signed_in"] == true {
                "Codex is signed in with ChatGPT (its own login; the router accepts its bearer)".to_owned()
            } else {
                format!("Codex is not signed in with ChatGPT ({})", text(&native["login"]))
            }
        ));
    } else if binding.bound {
        out.push_str(&format!(
            "mode      provider: {} on port {}{}\n",
            text(&doc["provider"]),
            binding.port.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            if binding.remote_compaction {
                ", remote compaction on"
            } else {
                ""
            },
        ));
    }
    if binding.bound {
        let override_key = if binding.is_native() {
            "`-c model_provider=...` or `-c openai_base_url=...`"
        } else {
            "`-c model_provider=...`"
        };
        out.push_str(&format!(
            "profiles  {}; a {override_key} on Codex's command line bypasses it too\n",
            if binding.bypassed_by.is_empty() {
                "no profile bypasses the binding".to_owned()
            } else {
                format!("bypassed by {}", binding.bypassed_by.join(", "))
            }
        ));
    }
    out.push_str(&format!("state     {}\n", state_line(&doc["bind_state"])));
    if running {
        out.push_str(&format!(
            "daemon    running: pid {}, listening on {}\n",
            text(&doc["daemon"]["pid"]),
            text(&doc["daemon"]["listen"])
        ));
    } else {
        out.push_str(&format!(
            "daemon    not running ({})\n",
            text(&doc["daemon"]["detail"])
        ));
    }
    for p in found {
        let tag = if p.severity == Severity::Fail {
            "problem"
        } else {
            "warning"
        };
        out.push_str(&format!("{tag}   {}\n          fix: {}\n", p.message, p.fix));
    }
    out
}

fn state_line(state: &Value) -> String {
    match state["state"].as_str() {
        Some("valid") if state["edited_since_bind"] == true => format!(
            "bind/state.json ({} binding, bound at {}); config.toml was edited since, so unbind-app removes \
             only the binding",
            state["mode"].as_str().unwrap_or("?"),
            state["bound_at"].as_str().unwrap_or("?")
        ),
        Some("valid") => format!(
            "bind/state.json ({} binding, bound at {}); unbind-app restores the original file exactly",
            state["mode"].as_str().unwrap_or("?"),
            state["bound_at"].as_str().unwrap_or("?")
        ),
        Some("invalid") => format!(
            "bind/state.json is not trusted: {}",
            state["reason"].as_str().unwrap_or("?")
        ),
        Some("missing") => "no bind state".to_owned(),
        _ => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_native_table_says_what_codex_will_do_and_whether_it_is_signed_in() {
        let doc = json!({
            "bound": true, "mode": "native", "port": 2456, "config_path": "/h/.codex/config.toml",
            "config": {"state": "ok"}, "bypassed_by": [],
            "native": {"signed_in": false, "login": "api_key", "codex_will": binding::native_summary(2456)},
            "bind_state": {"state": "valid", "mode": "native", "bound_at": "2026-12-07T00:00:00Z"},
            "daemon": {"running": true, "pid": 7, "listen": "127.0.0.1:2456"},
        });
        let view = BindingView {
            bound: true,
            mode: Some("native".to_owned()),
            port: Some(2456),
            matches_daemon: true,
            ..BindingView::default()
        };
        let out = render(&doc, &view, &[]);
        assert!(out.contains("bound natively"), "{out}");
        assert!(
            out.contains("mode      native: Codex keeps its built-in provider"),
            "{out}"
        );
        assert!(out.contains("not signed in with ChatGPT (api_key)"), "{out}");
        assert!(out.contains("`-c openai_base_url=...`"), "{out}");
        assert!(out.contains("native binding, bound at"), "{out}");
    }
}
