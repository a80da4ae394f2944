//! The `codexctl` binary against a scripted daemon: an in-process control socket whose answers
//! each test chooses, to pin what the real daemon never does on purpose (a wrong pid, an
//! unparseable reply) and the exact rendering of what it does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use codex_router_ipc::{BoxFuture, BoxStream, Handler, RpcError, bind, serve};
use codex_router_protocol::ErrorCode;
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Answers `ping` with `pid`, everything else from `replies` (method → result, or an error when
/// the value is `{"error": code}`); `status.subscribe` streams `events` and ends.
struct Scripted {
    pid: u32,
    replies: Value,
    events: Vec<Value>,
}

impl Handler for Scripted {
    fn call(&self, method: String, _params: Value) -> BoxFuture<'static, Result<Value, RpcError>> {
        let reply = if method == "ping" {
            self.replies.get("ping").cloned().map_or_else(
                || Ok(json!({"version": "0.1.0", "pid": self.pid, "instance_id": "t"})),
                Ok,
            )
        } else {
            match self.replies.get(&method) {
                Some(v) if v.get("error").is_some() => Err(RpcError::new(
                    ErrorCode::from_wire(v["error"].as_str().unwrap()),
                    "no account matches '9'",
                )),
                Some(v) => Ok(v.clone()),
                None => Err(RpcError::unknown_method(&method)),
            }
        };
        async move { reply }.boxed()
    }

    fn subscribe(&self, method: &str, _params: Value) -> Option<Result<BoxStream<'static, Value>, RpcError>> {
        (method == "status.subscribe").then(|| Ok(futures_util::stream::iter(self.events.clone()).boxed()))
    }
}

struct Fixture {
    home: tempfile::TempDir,
    stop: CancellationToken,
}

impl Fixture {
    async fn start(handler: Scripted) -> Fixture {
        let home = tempfile::tempdir().unwrap();
        let listener = bind(&home.path().join("run").join("codexctl.sock")).unwrap();
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, Arc::new(handler), stop.clone()));
        Fixture { home, stop }
    }

    async fn ctl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codexctl"));
        cmd.args(args)
            .env("CODEX_ROUTER_HOME", self.home.path())
            .env("CODEX_HOME", self.home.path().join("codex"))
            .stdin(Stdio::null());
        let run = tokio::task::spawn_blocking(move || cmd.output().unwrap());
        tokio::time::timeout(std::time::Duration::from_secs(30), run)
            .await
            .unwrap()
            .unwrap()
    }

    fn lock_file(&self) -> std::path::PathBuf {
        self.home.path().join("run").join("daemon.lock")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn scripted(replies: Value) -> Scripted {
    Scripted {
        pid: 4242,
        replies,
        events: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pid_that_is_not_the_lock_holder_is_not_trusted() {
    // A recycled pid is not trusted: the socket answers, but as another process than the one
    // run/daemon.lock names.
    let f = Fixture::start(scripted(json!({"status": status_doc(0)}))).await;
    std::fs::write(f.lock_file(), format!("{}\n", std::process::id())).unwrap();
    let out = f.ctl(&["status"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("not trusting it"), "{}", text(&out));
    std::fs::write(f.lock_file(), "4242\n").unwrap();
    let out = f.ctl(&["status"]).await;
    assert_eq!(out.status.code(), Some(0), "matching pids: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn unparseable_replies_are_shown_raw() {
    // Replies that cannot be understood are quoted raw in the error.
    let f = Fixture::start(scripted(json!({
        "status": ["not", "a", "status"],
        "accounts.list": {"rows": 1},
        "config.reload": {"applied": "everything"},
    })))
    .await;
    for (args, raw) in [
        (&["status"][..], r#"["not","a","status"]"#),
        (&["accounts", "list"], r#"{"rows":1}"#),
        (&["config", "reload"], r#"{"applied":"everything"}"#),
    ] {
        let out = f.ctl(args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(raw), "{args:?}: {}", text(&out));
    }
    let bad_ping = Fixture::start(scripted(json!({"ping": {"pid": "x"}}))).await;
    let out = bad_ping.ctl(&["daemon", "status"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(r#"{"pid":"x"}"#), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_errors_fail_with_their_message() {
    let f = Fixture::start(scripted(json!({"accounts.disable": {"error": "not_found"}}))).await;
    let out = f.ctl(&["accounts", "disable", "9"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not_found: no account matches '9'"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_draws_each_pushed_snapshot_and_ends_with_the_stream() {
    let snapshot = status_doc;
    let f = Fixture::start(Scripted {
        pid: 4242,
        replies: json!({}),
        events: vec![snapshot(1), snapshot(2)],
    })
    .await;
    let out = f.ctl(&["status", "--watch", "--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "the daemon ended the stream: {}",
        text(&out)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, vec![snapshot(1), snapshot(2)]);
    let out = f.ctl(&["status", "--watch"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 requests") && stdout.contains("2 requests"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_show_renders_the_daemons_rows() {
    let f = Fixture::start(scripted(json!({"config.show": {
        "path": "/h/config.toml", "file_exists": false, "reload_pending": [], "restart_pending": ["proxy.listen"],
        "settings": [{"key": "proxy.listen", "value": "127.0.0.1:2456", "source": "env CODEX_ROUTER_LISTEN"}],
    }})))
    .await;
    let out = f.ctl(&["config", "show"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("proxy.listen  127.0.0.1:2456  env CODEX_ROUTER_LISTEN"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("daemon restart"),
        "{}",
        text(&out)
    );
    let out = f.ctl(&["config", "show", "--json"]).await;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["daemon_running"], true);
    assert_eq!(doc["settings"][0]["source"], "env CODEX_ROUTER_LISTEN");
}

/// The smallest status document the CLI draws: daemon 4242, `total` requests, no accounts.
fn status_doc(total: u64) -> Value {
    json!({
        "daemon": {"pid": 4242, "version": "0.1.0", "started_at": "2026-01-01T00:00:00Z", "uptime_s": 0,
                   "listen": "127.0.0.1:2456", "socket": "/s"},
        "binding": {"bound": false, "config_path": null, "port": null, "matches_daemon": false,
                    "bypassed_by": []},
        "storage": {"state": "empty", "path": "/a"},
        "counters": {"total_requests": total},
        "accounts": [],
    })
}
