//! `codexctl config show|reload`.
//!
//! `show` asks the daemon for the settings it runs with; with the daemon down it computes them
//! the way the daemon would, from `config.toml` and this shell's environment (the settings crate
//! runs the daemon's exact code). Either way every key comes with its value and its source.
//! The daemon's answer is normalised to `{"key","value","source"}` rows when it has that shape;
//! anything else is printed raw rather than guessed at.

use codex_router_protocol::methods::{self, ReloadResult};
use serde_json::{Value, json};

use crate::cli::ConfigCommand;
use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, probe};
use crate::output;
use crate::table::Table;

pub async fn run(ctx: &Ctx<'_>, cmd: &ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::Show => show(ctx).await,
        ConfigCommand::Reload => reload(ctx).await,
    }
}

async fn show(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let (rows, pending) = match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let reply = daemon.call(methods::CONFIG_SHOW, json!({})).await?;
            match rows_of(&reply) {
                Some(rows) => (rows, Some(pending_of(&reply))),
                None if ctx.json => return output::json(&reply),
                None => {
                    anyhow::bail!("unexpected config.show reply from codex-routerd: {reply}")
                }
            }
        }
        Liveness::Down { .. } | Liveness::Unresponsive { .. } => (local(ctx)?, None),
    };
    if ctx.json {
        let mut doc = json!({
            "daemon_running": pending.is_some(), "config_path": ctx.paths.config, "settings": rows,
        });
        if let Some((reload, restart)) = &pending {
            doc["reload_pending"] = json!(reload);
            doc["restart_pending"] = json!(restart);
        }
        return output::json(&doc);
    }
    if let Some((reload, restart)) = &pending {
        if !reload.is_empty() {
            output::error_line(&format!(
                "codexctl: config.toml changed since the daemon read it; `codexctl config reload` applies: {}",
                reload.join(", ")
            ));
        }
        if !restart.is_empty() {
            output::error_line(&format!(
                "codexctl: changed keys that need `codexctl daemon restart`: {}",
                restart.join(", ")
            ));
        }
    } else {
        output::error_line(&format!(
            "codexctl: daemon is not running; computed from {} and this shell's environment",
            ctx.paths.config.display()
        ));
    }
    let mut t = Table::new(&["KEY", "VALUE", "SOURCE"]);
    for row in &rows {
        let cell = |k: &str| crate::commands::status_render::text(row.get(k));
        t.row(vec![cell("key"), cell("value"), cell("source")]);
    }
    output::print(&t.render())
}

/// Settings as the daemon would compute them from here.
fn local(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Value>> {
    let text = codex_router_settings::read_file(&ctx.paths.config)?;
    let (_, entries) = codex_router_settings::load_with_sources(text.as_deref(), ctx.env_fn())?;
    Ok(entries
        .iter()
        .map(|e| json!({"key": e.key, "value": e.value, "source": e.source.to_string()}))
        .collect())
}

/// The daemon's `reload_pending` / `restart_pending` key lists (empty when absent).
fn pending_of(reply: &Value) -> (Vec<String>, Vec<String>) {
    let keys = |k: &str| -> Vec<String> {
        reply
            .get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    (keys("reload_pending"), keys("restart_pending"))
}

/// `[{key,value,source}]`, `{"settings"|"entries": [...]}`, or `{"<key>": {value, source}}`.
fn rows_of(reply: &Value) -> Option<Vec<Value>> {
    let list = reply
        .as_array()
        .or_else(|| reply.get("settings").and_then(Value::as_array))
        .or_else(|| reply.get("entries").and_then(Value::as_array));
    if let Some(list) = list {
        return list.iter().all(|r| r.get("key").is_some()).then(|| list.clone());
    }
    let map = reply.as_object().filter(|m| !m.is_empty())?;
    map.iter()
        .map(|(key, v)| {
            let v = v.as_object()?;
            Some(json!({"key": key, "value": v.get("value")?, "source": v.get("source")?}))
        })
        .collect()
}

async fn reload(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let mut daemon = probe(&ctx.paths).await.require()?;
    let raw = daemon.call(methods::CONFIG_RELOAD, json!({})).await?;
    let result: ReloadResult = decode(raw.clone())?;
    if ctx.json {
        return output::json(&raw);
    }
    if result.applied.is_empty() {
        output::line("reloaded: nothing changed")?;
    } else {
        output::line(&format!("applied: {}", result.applied.join(", ")))?;
    }
    if !result.needs_restart.is_empty() {
        output::line(&format!(
            "needs a restart to take effect: {} (run `codexctl daemon restart`)",
            result.needs_restart.join(", ")
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_reply_shapes() {
        let row = json!({"key": "proxy.listen", "value": "127.0.0.1:2456", "source": "default"});
        assert_eq!(rows_of(&json!([row.clone()])).unwrap(), vec![row.clone()]);
        assert_eq!(
            rows_of(&json!({"settings": [row.clone()]})).unwrap(),
            vec![row.clone()]
        );
        let map = json!({"proxy.listen": {"value": "127.0.0.1:2456", "source": "default"}});
        assert_eq!(rows_of(&map).unwrap(), vec![row]);
        assert!(rows_of(&json!({"weird": 1})).is_none());
        assert!(rows_of(&json!("text")).is_none());
    }
}
