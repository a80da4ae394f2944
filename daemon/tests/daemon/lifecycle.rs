//! Start-up and shut-down through the control plane, and the control plane under load.

use std::time::Duration;

use codex_router_ipc::protocol::ErrorCode;
use codex_router_test_support::{Behavior, Gate};
use codex_routerd::RunOptions;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{Daemon, Setup, read};
use crate::schema::assert_valid;

// `daemon.stop` mid-stream lets the stream finish inside the drain window, then `run` returns Ok
// having written state.json and removed its files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_stop_drains_an_active_stream_then_flushes_state() {
    let d = Daemon::start(Setup::accounts(&["alpha"]).proxy("drain_timeout = \"60s\"")).await;
    let gate = Gate::new();
    d.fake
        .script("alpha", Behavior::PauseAfterEvents(3, gate.clone()));
    let resp = d.send().await;
    assert_eq!(resp.status(), 200);

    let stopped = d.call("daemon.stop", json!({})).await.unwrap();
    assert_eq!(stopped, json!({"pid": std::process::id()}));
    assert!(!d.task.is_finished(), "run() must wait for the open stream");
    assert!(d.paths.daemon_json.exists());
    gate.open();
    let reply = read(resp).await;
    assert!(reply.completed(), "the stream ran to its end: {}", reply.body);

    let Daemon {
        task,
        paths,
        home: _home,
        ..
    } = d;
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("run returns after the drain")
        .unwrap()
        .unwrap();
    let state: Value = serde_json::from_slice(&std::fs::read(&paths.state).unwrap()).unwrap();
    let accounts = state["accounts"].as_object().unwrap();
    assert_eq!(
        accounts
            .values()
            .map(|a| a["requests"].as_u64().unwrap())
            .sum::<u64>(),
        1,
        "{state}"
    );
    assert!(!paths.daemon_json.exists(), "daemon.json removed");
    assert!(!paths.socket.exists(), "control socket removed");
}

// The control plane never disturbs traffic: 50 concurrent status calls while 100 streams are
// open: every call answers with a consistent snapshot and every stream completes untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_calls_under_load_leave_streams_alone() {
    let d = Daemon::start(Setup::accounts(&["a", "b", "c", "d"])).await;
    let gate = Gate::new();
    for id in ["a", "b", "c", "d"] {
        d.fake
            .script_always(id, Behavior::PauseAfterEvents(3, gate.clone()));
    }
    let heads = futures_util::future::join_all((0..100).map(|_| d.send())).await;
    assert!(heads.iter().all(|r| r.status() == 200));

    let docs = futures_util::future::join_all((0..50).map(|_| d.call("status", json!({})))).await;
    for doc in docs {
        let doc = doc.expect("every status call answers");
        assert_valid(&doc);
        let in_flight: u64 = doc["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["in_flight"].as_u64().unwrap())
            .sum();
        assert_eq!(
            in_flight, 100,
            "one consistent snapshot: every open stream counted once"
        );
        assert_eq!(doc["counters"]["streams_started"], 100);
    }

    gate.open();
    let replies = futures_util::future::join_all(heads.into_iter().map(read)).await;
    assert!(
        replies.iter().all(|r| r.status == 200 && r.completed()),
        "a stream was disturbed"
    );
    let c = d.status().await["counters"].clone();
    assert_eq!(
        (&c["streams_completed"], &c["streams_failed"]),
        (&json!(100), &json!(0))
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_proxy_info_and_protocol_errors() {
    let d = Daemon::start(Setup::default()).await;
    let info = codex_router_store::read_daemon_info(&d.paths.daemon_json)
        .unwrap()
        .unwrap();
    let ping = d.call("ping", json!({})).await.unwrap();
    assert_eq!(
        ping,
        json!({"version": codex_routerd::VERSION, "pid": std::process::id(), "instance_id": info.instance_id})
    );
    let proxy = d.call("proxy.info", json!({})).await.unwrap();
    assert_eq!(
        proxy,
        json!({"listen": d.listen.to_string(), "client_key": d.key})
    );
    let err = d.call("accounts.frobnicate", json!({})).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UnknownMethod));
    let err = d.call("status", json!({"verbose": true})).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidParams));
    d.stop().await.unwrap();
}

// A daemon that finds another one answering on the control socket exits with an error and
// leaves the other's files alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_control_socket_stops_start_up() {
    let home = tempfile::tempdir().unwrap();
    let paths = codex_router_store::RouterPaths::from_home(home.path().to_path_buf());
    paths.ensure_dirs().unwrap();
    let other = codex_router_ipc::bind(&paths.socket).unwrap();
    let text = "[proxy]\nlisten = \"127.0.0.1:0\"\n";
    let settings = codex_router_settings::load(Some(text), &|_| None).unwrap();
    let opts = RunOptions {
        env: Some(codex_routerd::DaemonEnv::default()),
        ready: None,
        clock: None,
    };
    let res = codex_routerd::run_with(paths.clone(), settings, CancellationToken::new(), opts).await;
    let err = res.unwrap_err().to_string();
    assert!(err.contains("already answers"), "{err}");
    assert!(!paths.daemon_json.exists());
    assert!(paths.socket.exists(), "the live daemon's socket is left alone");
    drop(other);
}
