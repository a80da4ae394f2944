//! `status` / `status --json` (SPEC §9): every field present, schema-valid, one consistent
//! snapshot, in every storage state and after failures.

use std::time::Duration;

use codex_router_test_support::{Behavior, UsageState};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::{Daemon, Setup, row};
use crate::schema::assert_valid;

/// Secrets and emails never reach status output.
fn assert_no_secrets(d: &Daemon, doc: &Value) {
    let text = doc.to_string();
    assert!(!text.contains(&d.key), "client key in status");
    assert!(!text.contains("@example.test"), "email in status");
    let accounts = codex_router_store::load_accounts(&d.paths.accounts).unwrap();
    if let codex_router_store::JsonLoad::Loaded(file) = accounts {
        for a in file.accounts {
            assert!(
                !text.contains(a.tokens.access_token.expose()),
                "access token in status"
            );
            assert!(
                !text.contains(a.tokens.refresh_token.expose()),
                "refresh token in status"
            );
        }
    }
}

// Empty storage reports itself and says how to add an account, and the document still carries
// every field of the status contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_accounts_status_is_complete_and_has_a_hint() {
    let d = Daemon::start(Setup::default()).await;
    let doc = d.status().await;
    assert_valid(&doc);
    assert_eq!(doc["daemon"]["pid"], std::process::id());
    assert_eq!(doc["daemon"]["version"], codex_routerd::VERSION);
    assert_eq!(doc["daemon"]["listen"], d.listen.to_string());
    assert_ne!(d.listen.port(), 0);
    assert_eq!(doc["daemon"]["socket"], d.paths.socket.display().to_string());
    let info = codex_router_store::read_daemon_info(&d.paths.daemon_json)
        .unwrap()
        .unwrap();
    assert_eq!(info.listen, d.listen.to_string());
    assert_eq!(doc["daemon"]["instance_id"], info.instance_id);
    assert_eq!(doc["storage"]["state"], "missing");
    assert_eq!(doc["storage"]["path"], d.paths.accounts.display().to_string());
    assert_eq!(doc["storage"]["kept_aside"], Value::Null);
    assert_eq!(doc["accounts"], json!([]));
    assert_eq!(doc["last_account"], Value::Null);
    assert_eq!(doc["last_error"], Value::Null);
    let hint = doc["hint"].as_str().unwrap();
    assert!(
        hint.contains("codexctl accounts login") && hint.contains("codexctl accounts import"),
        "{hint}"
    );
    let codex_config = d.codex_home.join("config.toml").display().to_string();
    assert_eq!(
        doc["binding"],
        json!({"bound": false, "config_path": codex_config, "port": null, "matches_daemon": false, "bypassed_by": [],
               "key_matches": null, "state": "missing", "remote_compaction": false, "error": null})
    );
    assert_eq!(
        d.call("accounts.list", json!({})).await.unwrap(),
        json!({"accounts": []})
    );
    d.stop().await.unwrap();
}

// A corrupt accounts.json is kept aside, reported, and never overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_accounts_json_is_reported_with_the_kept_aside_file() {
    let garbage = "{\"version\": 1, \"accounts\": [ {\"tokens\": ";
    let d = Daemon::start(Setup {
        accounts_file: Some(garbage.into()),
        ..Setup::default()
    })
    .await;
    let doc = d.status().await;
    assert_valid(&doc);
    assert_eq!(doc["storage"]["state"], "corrupt");
    let aside = doc["storage"]["kept_aside"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(&aside).unwrap(),
        garbage,
        "the bad file is kept byte for byte"
    );
    assert!(doc["storage"]["reason"].is_string());
    assert!(doc["hint"].as_str().unwrap().contains(&aside));
    assert_eq!(doc["accounts"], json!([]));
    d.stop().await.unwrap();
}

// After failures, counters, last_account, last_error and the rows agree: one document never
// mixes the halves of two requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_after_failures_shows_cooldowns_quota_and_last_error() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    d.fake.set_usage("bravo", UsageState::used("pro", 12.0, 3.0));
    d.fake.script("alpha", Behavior::usage_limit_in(3600));
    let reply = d.request().await;
    assert_eq!((reply.status, reply.account()), (200, Some("bravo")));
    assert!(reply.completed());

    let doc = d.status().await;
    assert_valid(&doc);
    assert_no_secrets(&d, &doc);
    assert_eq!(doc["last_account"], "bravo");
    let err = &doc["last_error"];
    assert_eq!(
        (&err["account"], &err["kind"], &err["http_status"]),
        (&json!("alpha"), &json!("rate_limited"), &json!(429))
    );
    let alpha = row(&doc, "alpha");
    assert_eq!(
        (&alpha["state"], &alpha["state_reason"]),
        (&json!("rate_limited"), &json!("usage_limit"))
    );
    assert!(alpha["until"].is_string());
    assert_eq!(alpha["failures"], 1);
    let bravo = row(&doc, "bravo");
    assert_eq!(bravo["state"], "ready");
    assert_eq!(bravo["quota"]["source"], "headers");
    assert_eq!(bravo["quota"]["primary"]["used_percent"], 12.0);
    assert_eq!(bravo["quota"]["secondary"]["used_percent"], 3.0);
    assert_eq!(bravo["quota"]["primary"]["window_minutes"], 300);
    assert!(bravo["last_used"].is_string());
    let c = &doc["counters"];
    assert_eq!(
        (&c["total_requests"], &c["upstream_requests"], &c["retries"]),
        (&json!(1), &json!(2), &json!(1))
    );
    assert_eq!(
        (&c["rotations"], &c["streams_started"], &c["streams_completed"]),
        (&json!(1), &json!(1), &json!(1))
    );

    // Now bravo fails too: nothing is left, and the newest error is bravo's.
    d.fake.script("bravo", Behavior::server_error(500));
    let reply = d.request().await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let doc = d.status().await;
    assert_valid(&doc);
    let err = &doc["last_error"];
    assert_eq!(
        (&err["account"], &err["kind"], &err["http_status"]),
        (&json!("bravo"), &json!("server_error"), &json!(500))
    );
    let bravo = row(&doc, "bravo");
    assert_eq!(
        (&bravo["state"], &bravo["state_reason"]),
        (&json!("cooling_down"), &json!("server_error"))
    );
    assert_eq!(
        doc["last_account"], "bravo",
        "last_account names the last account that served"
    );
    assert_eq!(doc["counters"]["pool_exhausted"], 1);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_subscribe_sends_a_snapshot_at_once_then_changes() {
    let d = Daemon::start(Setup::accounts(&["alpha"])).await;
    let mut client = d.client().await;
    let mut events = Box::pin(client.subscribe("status.subscribe", json!({})).await.unwrap());
    let first = events.next().await.unwrap().unwrap();
    assert_valid(&first);
    assert_eq!(first["counters"]["total_requests"], 0);
    assert_eq!(d.request().await.status, 200);
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let ev = events.next().await.unwrap().unwrap();
            assert_valid(&ev);
            if ev["counters"]["streams_completed"] == 1 {
                return ev;
            }
        }
    })
    .await
    .expect("a change reaches the subscriber");
    assert_eq!(seen["last_account"], "alpha");
    drop(events);
    // The connection belonged to the subscription; calls still work on a new one.
    assert!(d.call("ping", json!({})).await.is_ok());
    d.stop().await.unwrap();
}

/// No blocking file IO on the runtime's worker: the binding is read off it and cached between
/// documents; every change to Codex's `config.toml` still shows in the next `status`, through IPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_follows_every_change_of_the_codex_config() {
    use codex_router_codex_config::{BindSpec, bind_app};
    let d = Daemon::start(Setup::default()).await;
    let config = d.codex_home.join("config.toml");
    let binding = |doc: &Value| {
        (
            doc["binding"]["bound"].as_bool().unwrap(),
            doc["binding"]["port"].as_u64(),
            doc["binding"]["matches_daemon"].as_bool().unwrap(),
        )
    };
    assert_eq!(binding(&d.status().await), (false, None, false));
    assert_eq!(binding(&d.status().await), (false, None, false));

    let spec = BindSpec {
        port: d.listen.port(),
        client_key: codex_router_core::Secret::new(d.key.clone()),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Provider,
    };
    bind_app(
        &config,
        &d.paths.bind_dir,
        &spec,
        codex_router_core::Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    let port = u64::from(d.listen.port());
    let doc = d.status().await;
    assert_valid(&doc);
    assert_eq!(binding(&doc), (true, Some(port), true));
    assert_eq!(doc["binding"]["state"], "valid");

    // Edited by hand to another port: no longer this daemon.
    let text = std::fs::read_to_string(&config).unwrap();
    let edited = text.replace(&format!(":{port}"), ":1");
    assert_ne!(edited, text);
    std::fs::write(&config, edited).unwrap();
    assert_eq!(binding(&d.status().await), (true, Some(1), false));

    std::fs::remove_file(&config).unwrap();
    assert_eq!(binding(&d.status().await), (false, None, false));
    d.stop().await.unwrap();
}
