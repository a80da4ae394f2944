//! The daemon's own counters (SPEC §9), read over the control socket's `status` method when the daemon
//! serves it, else from `GET /metrics` (the same counters in Prometheus text). Either way they are
//! compared with what the harness itself counted.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use codex_router_ipc::IpcClient;
use serde::Serialize;
use serde_json::Value;

use crate::client;
use crate::daemon::Daemon;

/// The counters `status --json` documents.
pub const COUNTERS: [&str; 10] = [
    "total_requests",
    "upstream_requests",
    "retries",
    "rotations",
    "streams_started",
    "streams_completed",
    "streams_failed",
    "refreshes",
    "refresh_failures",
    "pool_exhausted",
];

#[derive(Debug, Clone, Default, Serialize)]
pub struct StatusReading {
    /// `ipc` or `metrics`.
    pub source: String,
    pub counters: BTreeMap<String, u64>,
    /// Upstream calls per account label.
    pub account_requests: BTreeMap<String, u64>,
}

/// Reads the counters, preferring the control socket.
pub async fn read(daemon: &Daemon) -> anyhow::Result<StatusReading> {
    match ipc_status(daemon).await {
        Ok(v) => Ok(from_status_json(&v)),
        Err(_) => metrics(daemon).await,
    }
}

/// One `status` call on a fresh connection.
pub async fn ipc_status(daemon: &Daemon) -> anyhow::Result<Value> {
    let mut c = IpcClient::connect(&daemon.socket())
        .await
        .context("connecting to the control socket")?;
    c.set_timeout(Some(Duration::from_secs(5)));
    c.call("status", serde_json::json!({}))
        .await
        .context("calling status")
}

pub fn from_status_json(v: &Value) -> StatusReading {
    let counters = COUNTERS
        .iter()
        .filter_map(|&k| Some((k.to_owned(), v.get("counters")?.get(k)?.as_u64()?)))
        .collect();
    let account_requests = v
        .get("accounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a.get("label")?.as_str()?.to_owned(), a.get("requests")?.as_u64()?)))
        .collect();
    StatusReading {
        source: "ipc".to_owned(),
        counters,
        account_requests,
    }
}

async fn metrics(daemon: &Daemon) -> anyhow::Result<StatusReading> {
    let (status, body) = client::get(daemon.listen, "/metrics", Some(&daemon.key)).await?;
    anyhow::ensure!(status == 200, "GET /metrics answered {status}");
    Ok(parse_metrics(&String::from_utf8_lossy(&body)))
}

/// `codex_router_<name>_total N` and `codex_router_account_requests_total{account="L"} N` lines.
pub fn parse_metrics(text: &str) -> StatusReading {
    let mut out = StatusReading {
        source: "metrics".to_owned(),
        ..StatusReading::default()
    };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<u64>() else {
            continue;
        };
        if let Some(label) = name
            .strip_prefix("codex_router_account_requests_total{account=\"")
            .and_then(|r| r.strip_suffix("\"}"))
        {
            out.account_requests.insert(label.to_owned(), value);
        } else if let Some(counter) = name
            .strip_prefix("codex_router_")
            .and_then(|r| r.strip_suffix("_total"))
            && COUNTERS.contains(&counter)
        {
            out.counters.insert(counter.to_owned(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metrics_and_status() {
        let m = parse_metrics(
            "# HELP x\ncodex_router_total_requests_total 7\ncodex_router_account_requests_total{account=\"a\"} 3\n",
        );
        assert_eq!(m.counters.get("total_requests"), Some(&7));
        assert_eq!(m.account_requests.get("a"), Some(&3));
        let s = from_status_json(&serde_json::json!({
            "counters": {"total_requests": 2, "retries": 1},
            "accounts": [{"label": "b", "requests": 5}]
        }));
        assert_eq!(s.counters.get("retries"), Some(&1));
        assert_eq!(s.account_requests.get("b"), Some(&5));
    }
}
