//! `config.show` and `config.reload`: effective values with their sources; a reload applies
//! live what it can, names what needs a restart, and changes nothing when the file is invalid.

use codex_router_ipc::protocol::ErrorCode;
use codex_router_test_support::{Behavior, Gate};
use serde_json::{Value, json};

use crate::common::{Daemon, Setup, read};

fn entry<'a>(show: &'a Value, key: &str) -> &'a Value {
    show["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))
}

// `config reload` applies live: it changes max_attempts for the very next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_changes_max_attempts_live() {
    let fill_first = "strategy = \"fill-first\"";
    let d = Daemon::start(
        Setup::accounts(&["alpha", "bravo", "charlie"])
            .rotation(fill_first)
            .rotation("max_attempts = 1"),
    )
    .await;
    d.fake.script("alpha", Behavior::server_error(500));
    d.fake.script("bravo", Behavior::server_error(500));
    let reply = d.request().await;
    assert_eq!((reply.status, reply.attempts()), (503, Some(1)), "{}", reply.body);
    assert_eq!(d.fake.responses_calls("bravo"), 0);

    d.write_config("127.0.0.1:0", &[fill_first, "max_attempts = 3"]);
    let r = d.call("config.reload", json!({})).await.unwrap();
    assert_eq!(
        r,
        json!({"applied": ["rotation.max_attempts"], "needs_restart": []})
    );
    let reply = d.request().await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("charlie"), Some(2)),
        "{}",
        reply.body
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_reload_is_refused_and_changes_nothing() {
    let d = Daemon::start(Setup::accounts(&["alpha"])).await;
    d.write_config("127.0.0.1:0", &["max_attempts = \"many\""]);
    let err = d.call("config.reload", json!({})).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidParams));
    assert!(err.to_string().contains("rotation.max_attempts"), "{err}");
    let codex_router_ipc::IpcError::Rpc(rpc) = &err else {
        panic!("{err}")
    };
    assert_eq!(rpc.data, Some(json!({"key": "rotation.max_attempts"})));
    // `config show` reports the broken file the same way; the daemon keeps serving.
    assert_eq!(
        d.call("config.show", json!({})).await.unwrap_err().code(),
        Some(&ErrorCode::InvalidParams)
    );
    assert_eq!(d.request().await.status, 200);
    d.write_config("127.0.0.1:0", &[]);
    let r = d.call("config.reload", json!({})).await.unwrap();
    assert_eq!(
        r,
        json!({"applied": [], "needs_restart": []}),
        "the refused values never applied"
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_names_sources_and_pending_changes_and_listen_needs_a_restart() {
    let setup = Setup {
        env: vec![("CODEX_AUTH_FETCH_TIMEOUT_MS".into(), "45000".into())],
        ..Setup::accounts(&["alpha"])
    };
    let d = Daemon::start(setup).await;
    let show = d.call("config.show", json!({})).await.unwrap();
    assert_eq!(show["path"], d.paths.config.display().to_string());
    assert_eq!(show["file_exists"], true);
    assert_eq!(
        entry(&show, "proxy.listen"),
        &json!({"key": "proxy.listen", "value": "127.0.0.1:0", "source": "config.toml"})
    );
    assert_eq!(entry(&show, "rotation.max_attempts")["source"], "default");
    assert_eq!(
        entry(&show, "upstream.headers_timeout")["source"],
        "env CODEX_AUTH_FETCH_TIMEOUT_MS"
    );
    assert_eq!(
        (&show["reload_pending"], &show["restart_pending"]),
        (&json!([]), &json!([]))
    );

    // A stream open across the reload is not disturbed (SPEC §8: no connection dropped).
    let gate = Gate::new();
    d.fake
        .script("alpha", Behavior::PauseAfterEvents(3, gate.clone()));
    let open = d.send().await;
    d.write_config("127.0.0.1:1", &["strategy = \"round-robin\""]);
    let show = d.call("config.show", json!({})).await.unwrap();
    assert_eq!(show["reload_pending"], json!(["rotation.strategy"]));
    assert_eq!(show["restart_pending"], json!(["proxy.listen"]));
    let r = d.call("config.reload", json!({})).await.unwrap();
    assert_eq!(
        r,
        json!({"applied": ["rotation.strategy"], "needs_restart": ["proxy.listen"]})
    );
    gate.open();
    assert!(read(open).await.completed());
    // Nothing was rebound: the proxy answers where it did, and says so.
    assert_eq!(d.request().await.status, 200);
    assert_eq!(d.status().await["daemon"]["listen"], d.listen.to_string());
    let again = d.call("config.reload", json!({})).await.unwrap();
    assert_eq!(again, json!({"applied": [], "needs_restart": ["proxy.listen"]}));
    assert_eq!(
        d.call("config.show", json!({})).await.unwrap()["reload_pending"],
        json!([])
    );
    d.stop().await.unwrap();
}
