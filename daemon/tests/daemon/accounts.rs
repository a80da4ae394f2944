//! `accounts.*` over the control socket: changes take effect on the very next proxy request,
//! persist through the daemon, and fail with the documented codes.

use codex_router_ipc::protocol::ErrorCode;
use codex_router_store::{JsonLoad, StoredStatus};
use codex_router_test_support::{Behavior, FakeAccount, RefreshBehavior, bodies};
use serde_json::{Value, json};

use crate::common::{Daemon, Setup, row};
use crate::schema;

fn stored_accounts(d: &Daemon) -> Vec<codex_router_store::StoredAccount> {
    match codex_router_store::load_accounts(&d.paths.accounts).unwrap() {
        JsonLoad::Loaded(file) => file.accounts,
        _ => panic!("accounts.json is not loadable"),
    }
}

fn code(res: Result<Value, codex_router_ipc::IpcError>) -> ErrorCode {
    res.unwrap_err()
        .code()
        .cloned()
        .expect("an error answer from the daemon")
}

// `accounts disable` applies to the very next proxy request, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_takes_effect_on_the_next_request() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    assert_eq!(d.request().await.account(), Some("alpha"));
    let r = d
        .call("accounts.disable", json!({"account": "alpha"}))
        .await
        .unwrap();
    assert_eq!(r["label"], "alpha");
    assert!(r["id"].is_string());
    assert_eq!(d.request().await.account(), Some("bravo"));
    let doc = d.status().await;
    schema::assert_valid(&doc);
    assert_eq!(
        (&row(&doc, "alpha")["state"], &row(&doc, "alpha")["state_reason"]),
        (&json!("disabled"), &json!("user"))
    );
    assert!(!stored_accounts(&d)[0].enabled, "persisted at once");
    // By 1-based index this time.
    assert_eq!(
        d.call("accounts.enable", json!({"account": "1"})).await.unwrap()["label"],
        "alpha"
    );
    assert_eq!(d.request().await.account(), Some("alpha"));
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_remove_resolve_references_and_report_errors() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    let id_bravo = row(&d.status().await, "bravo")["id"].as_str().unwrap().to_owned();
    let r = d
        .call("accounts.label", json!({"account": id_bravo, "label": "work.2"}))
        .await
        .unwrap();
    assert_eq!(r, json!({"id": id_bravo, "label": "work.2"}));
    assert_eq!(
        code(
            d.call("accounts.label", json!({"account": "alpha", "label": "work.2"}))
                .await
        ),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(
            d.call("accounts.label", json!({"account": "alpha", "label": "a b"}))
                .await
        ),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        code(
            d.call("accounts.label", json!({"account": "alpha", "label": ""}))
                .await
        ),
        ErrorCode::InvalidParams
    );
    let missing = d
        .call("accounts.remove", json!({"account": "9"}))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some(&ErrorCode::NotFound));
    assert!(missing.to_string().contains("'9'"), "{missing}");
    assert_eq!(
        code(
            d.call("accounts.remove", json!({"account": "alpha", "force": true}))
                .await
        ),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        code(d.call("accounts.remove", json!({})).await),
        ErrorCode::InvalidParams
    );

    assert_eq!(
        d.call("accounts.remove", json!({"account": "alpha"}))
            .await
            .unwrap()["label"],
        "alpha"
    );
    let reply = d.request().await;
    assert_eq!((reply.status, reply.account()), (200, Some("work.2")));
    let stored = stored_accounts(&d);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].label.as_deref(), Some("work.2"));
    let list = d.call("accounts.list", json!({})).await.unwrap();
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    d.stop().await.unwrap();
}

// SPEC §4.2: `not_entitled` is skipped until the user re-enables the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_a_not_entitled_account_makes_it_ready_again() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    d.fake.script("alpha", Behavior::usage_not_included());
    assert_eq!(d.request().await.account(), Some("bravo"));
    let doc = d.status().await;
    assert_eq!(
        (&row(&doc, "alpha")["state"], &row(&doc, "alpha")["state_reason"]),
        (&json!("disabled"), &json!("not_entitled"))
    );
    d.call("accounts.enable", json!({"account": "alpha"}))
        .await
        .unwrap();
    assert_eq!(row(&d.status().await, "alpha")["state"], "ready");
    assert_eq!(stored_accounts(&d)[0].status, StoredStatus::Ok);
    assert_eq!(d.request().await.account(), Some("alpha"));
    d.stop().await.unwrap();
}

// `not_entitled` clears by itself: `accounts check` reaches a `not_entitled` account, and a
// refreshed token that shows another plan clears the state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_check_clears_not_entitled_when_the_refreshed_token_shows_another_plan() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    d.fake.script("alpha", Behavior::usage_not_included());
    assert_eq!(d.request().await.account(), Some("bravo"));
    let res = d
        .call("accounts.check", json!({"account": "alpha"}))
        .await
        .unwrap();
    assert_eq!(res["accounts"][0]["ok"], false, "same plan: still not entitled");
    assert_eq!(row(&d.status().await, "alpha")["state_reason"], "not_entitled");
    d.fake.change_plan("alpha", "team");
    let res = d
        .call("accounts.check", json!({"account": "alpha"}))
        .await
        .unwrap();
    assert_eq!(res["accounts"][0]["ok"], true, "{res}");
    let doc = d.status().await;
    assert_eq!(
        (&row(&doc, "alpha")["state"], &row(&doc, "alpha")["plan_type"]),
        (&json!("ready"), &json!("team"))
    );
    assert_eq!(stored_accounts(&d)[0].status, StoredStatus::Ok);
    assert_eq!(d.request().await.account(), Some("alpha"));
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_adds_owner_fields_to_the_status_rows() {
    let d = Daemon::start(Setup::accounts(&["alpha"])).await;
    let list = d.call("accounts.list", json!({})).await.unwrap();
    let a = &list["accounts"][0];
    assert_eq!(a["label"], "alpha");
    assert_eq!(
        a["email"], "alpha@example.test",
        "SPEC §5: emails appear in accounts list only"
    );
    assert_eq!(
        (&a["source"], &a["enabled"], &a["linked_auth_json"]),
        (&json!("manual"), &json!(true), &Value::Null)
    );
    assert!(a["added_at"].is_string());
    let status_row = row(&d.status().await, "alpha").clone();
    for key in status_row.as_object().unwrap().keys() {
        assert!(a.get(key).is_some(), "accounts.list row lacks status field {key}");
    }
    let text = list.to_string();
    for s in stored_accounts(&d) {
        assert!(
            !text.contains(s.tokens.access_token.expose()) && !text.contains(s.tokens.refresh_token.expose())
        );
    }
    d.stop().await.unwrap();
}

fn record(tokens: &codex_router_test_support::IssuedTokens, label: Option<&str>) -> Value {
    let mut account = json!({"tokens": {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                                        "id_token": tokens.id_token}, "source": "login"});
    if let Some(label) = label {
        account["label"] = label.into();
    }
    json!({ "account": account })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_creates_then_merges_the_same_identity() {
    let d = Daemon::start(Setup::default()).await;
    let first = d.fake.add_account(FakeAccount::new("charlie", "plus"));
    let r = d.call("accounts.add", record(&first, Some("c1"))).await.unwrap();
    assert_eq!((&r["label"], &r["created"]), (&json!("c1"), &json!(true)));
    let doc = d.status().await;
    assert!(doc.get("hint").is_none());
    assert_eq!(doc["accounts"][0]["plan_type"], "plus");
    assert_eq!(d.request().await.account(), Some("c1"));

    // A second login of the same identity: merged, fresher tokens kept, nothing duplicated.
    let second = d.fake.issue_tokens("charlie");
    let again = d.call("accounts.add", record(&second, None)).await.unwrap();
    assert_eq!(
        (&again["id"], &again["label"], &again["created"]),
        (&r["id"], &json!("c1"), &json!(false))
    );
    let stored = stored_accounts(&d);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].tokens.refresh_token.expose(), second.refresh_token);
    assert_eq!(stored[0].source.as_deref(), Some("login"));

    let bad = d
        .call("accounts.add", json!({"account": {"label": "x"}}))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(&ErrorCode::InvalidParams));
    let bad = d
        .call(
            "accounts.add",
            json!({"account": {"tokens": {"access_token": "sk-secret-value", "refresh_token": 7}}}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(&ErrorCode::InvalidParams));
    assert!(!bad.to_string().contains("sk-secret-value"), "{bad}");
    assert_eq!(stored_accounts(&d).len(), 1);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_reports_each_account_and_never_presents_a_dead_token() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"])).await;
    let r = d
        .call("accounts.refresh", json!({"account": "alpha"}))
        .await
        .unwrap();
    assert_eq!(r["accounts"][0]["ok"], true);
    assert_eq!(r["accounts"][0]["label"], "alpha");
    d.fake.script_refresh(RefreshBehavior::Status(
        400,
        bodies::invalid_grant("refresh token expired"),
    ));
    let r = d
        .call("accounts.refresh", json!({"account": "bravo"}))
        .await
        .unwrap();
    let failed = &r["accounts"][0];
    assert_eq!(failed["ok"], false);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("codexctl accounts login"),
        "{failed}"
    );
    assert_eq!(row(&d.status().await, "bravo")["state"], "needs_login");
    let calls = d.fake.refresh_calls();
    let all = d.call("accounts.refresh", json!({"all": true})).await.unwrap();
    let oks: Vec<(&Value, &Value)> = all["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (&a["label"], &a["ok"]))
        .collect();
    assert_eq!(
        oks,
        [(&json!("alpha"), &json!(true)), (&json!("bravo"), &json!(false))]
    );
    assert_eq!(
        d.fake.refresh_calls(),
        calls + 1,
        "bravo's refused token is not presented again"
    );
    let counters = &d.status().await["counters"];
    assert_eq!(
        (&counters["refreshes"], &counters["refresh_failures"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        code(d.call("accounts.refresh", json!({})).await),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        code(
            d.call("accounts.refresh", json!({"account": "alpha", "all": true}))
                .await
        ),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        code(d.call("accounts.refresh", json!({"account": "zulu"})).await),
        ErrorCode::NotFound
    );
    d.stop().await.unwrap();
}
