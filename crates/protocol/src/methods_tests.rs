//! Snapshots of every method's params and results, plus name round trips.

use serde_json::json;

use super::*;

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn method_names_round_trip_and_are_unique() {
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        [
            "ping",
            "status",
            "status.subscribe",
            "accounts.list",
            "accounts.add",
            "accounts.remove",
            "accounts.enable",
            "accounts.disable",
            "accounts.label",
            "accounts.refresh",
            "config.show",
            "config.reload",
            "daemon.stop",
            "proxy.info",
            "accounts.check",
        ]
    );
    for method in Method::ALL {
        assert_eq!(Method::from_name(method.name()), Some(method));
        assert_eq!(method.to_string(), method.name());
    }
    assert_eq!(Method::from_name("accounts.nope"), None);
}

#[test]
fn only_status_subscribe_is_a_subscription() {
    let subs: Vec<Method> = Method::ALL.into_iter().filter(|m| m.is_subscription()).collect();
    assert_eq!(subs, [Method::StatusSubscribe]);
}

#[test]
fn ping_result_snapshot() {
    let result = PingResult {
        version: "0.1.0".into(),
        pid: 42,
        instance_id: "b7c1".into(),
    };
    assert_eq!(
        to_json(&result),
        r#"{"version":"0.1.0","pid":42,"instance_id":"b7c1"}"#
    );
}

#[test]
fn account_params_snapshots() {
    assert_eq!(
        to_json(&AccountParams { account: "2".into() }),
        r#"{"account":"2"}"#
    );
    let label = LabelParams {
        account: "pro-1".into(),
        label: "work".into(),
    };
    assert_eq!(to_json(&label), r#"{"account":"pro-1","label":"work"}"#);
    let add = AddAccountParams {
        account: json!({"id": "a1"}),
    };
    assert_eq!(to_json(&add), r#"{"account":{"id":"a1"}}"#);
}

#[test]
fn params_reject_unknown_and_missing_fields() {
    let err =
        decode_params::<AccountParams>(ACCOUNTS_REMOVE, json!({"account": "1", "force": true})).unwrap_err();
    assert_eq!(err.method, "accounts.remove");
    assert!(err.reason.contains("force"), "{err}");
    assert!(decode_params::<LabelParams>(ACCOUNTS_LABEL, json!({"account": "1"})).is_err());
    let ok: AccountParams = decode_params(ACCOUNTS_ENABLE, json!({"account": "a1"})).unwrap();
    assert_eq!(ok.account, "a1");
}

#[test]
fn refresh_params_snapshots_and_validation() {
    assert_eq!(to_json(&RefreshParams::account("2")), r#"{"account":"2"}"#);
    assert_eq!(to_json(&RefreshParams::all()), r#"{"all":true}"#);

    let one: RefreshParams = decode_params(ACCOUNTS_REFRESH, json!({"account": "x"})).unwrap();
    assert_eq!(
        one.target(ACCOUNTS_REFRESH).unwrap(),
        RefreshTarget::Account("x".into())
    );
    let all: RefreshParams = decode_params(ACCOUNTS_REFRESH, json!({"all": true})).unwrap();
    assert_eq!(all.target(ACCOUNTS_REFRESH).unwrap(), RefreshTarget::All);

    for bad in [
        json!({}),
        json!({"all": false}),
        json!({"account": "x", "all": true}),
    ] {
        let params: RefreshParams = decode_params(ACCOUNTS_REFRESH, bad.clone()).unwrap();
        assert!(params.target(ACCOUNTS_REFRESH).is_err(), "{bad}");
    }
}

#[test]
fn result_snapshots() {
    let account = AccountResult {
        id: "a1".into(),
        label: "pro-1".into(),
    };
    assert_eq!(to_json(&account), r#"{"id":"a1","label":"pro-1"}"#);

    let added = AddAccountResult {
        id: "a1".into(),
        label: "pro-1".into(),
        created: true,
    };
    assert_eq!(to_json(&added), r#"{"id":"a1","label":"pro-1","created":true}"#);

    let refresh = RefreshResult {
        accounts: vec![
            RefreshOutcome {
                id: "a1".into(),
                label: "pro-1".into(),
                ok: true,
                error: None,
            },
            RefreshOutcome {
                id: "a2".into(),
                label: "team-1".into(),
                ok: false,
                error: Some("refresh token reused".into()),
            },
        ],
    };
    assert_eq!(
        to_json(&refresh),
        concat!(
            r#"{"accounts":[{"id":"a1","label":"pro-1","ok":true},"#,
            r#"{"id":"a2","label":"team-1","ok":false,"error":"refresh token reused"}]}"#
        )
    );

    let reload = ReloadResult {
        applied: vec!["rotation.strategy".into()],
        needs_restart: vec!["proxy.listen".into()],
    };
    assert_eq!(
        to_json(&reload),
        r#"{"applied":["rotation.strategy"],"needs_restart":["proxy.listen"]}"#
    );

    assert_eq!(to_json(&StopResult { pid: 42 }), r#"{"pid":42}"#);

    let info = ProxyInfo {
        listen: "127.0.0.1:2456".into(),
        client_key: "ab".repeat(32),
    };
    assert_eq!(
        to_json(&info),
        format!(
            r#"{{"listen":"127.0.0.1:2456","client_key":"{}"}}"#,
            "ab".repeat(32)
        )
    );
}

#[test]
fn results_tolerate_fields_added_by_a_newer_daemon() {
    let ping: PingResult =
        serde_json::from_value(json!({"version": "9", "pid": 1, "instance_id": "i", "extra": 1})).unwrap();
    assert_eq!(ping.pid, 1);
}

#[test]
fn proxy_info_debug_never_shows_the_client_key() {
    let info = ProxyInfo {
        listen: "127.0.0.1:1".into(),
        client_key: "secret-key-value".into(),
    };
    let debug = format!("{info:?}");
    assert!(!debug.contains("secret-key-value"), "{debug}");
    assert!(debug.contains("<redacted>"));
}

#[test]
fn check_params_and_result_snapshots() {
    assert_eq!(to_json(&CheckParams::account("2")), r#"{"account":"2"}"#);
    assert_eq!(to_json(&CheckParams::all()), r#"{"all":true}"#);
    let all: CheckParams = decode_params(ACCOUNTS_CHECK, json!({"all": true})).unwrap();
    assert_eq!(all.target(ACCOUNTS_CHECK).unwrap(), RefreshTarget::All);
    for bad in [json!({}), json!({"account": "x", "all": true})] {
        let params: CheckParams = decode_params(ACCOUNTS_CHECK, bad.clone()).unwrap();
        let err = params.target(ACCOUNTS_CHECK).unwrap_err();
        assert_eq!(err.method, ACCOUNTS_CHECK, "{bad}");
    }
    assert!(decode_params::<CheckParams>(ACCOUNTS_CHECK, json!({"force": true})).is_err());

    let result = CheckResult {
        accounts: vec![CheckOutcome {
            id: "a1".into(),
            label: "pro-1".into(),
            ok: false,
            error: Some("usage answer had status 500".into()),
            quota: None,
            reset_early: false,
        }],
    };
    assert_eq!(
        to_json(&result),
        concat!(
            r#"{"accounts":[{"id":"a1","label":"pro-1","ok":false,"#,
            r#""error":"usage answer had status 500","quota":null,"reset_early":false}]}"#
        )
    );
}

/// An `accounts.list` row is the status row, then the owner-only members, flat.
#[test]
fn an_accounts_list_row_extends_the_status_row() {
    let text = r#"{"accounts":[{"id":"i","label":"a","state":"ready","state_reason":null,"until":null,"plan_type":null,"quota":null,"requests":0,"failures":0,"in_flight":0,"last_used":null,"reset_early_at":null,"email":"a@example.com","source":null,"enabled":true,"added_at":null,"linked_auth_json":null}]}"#;
    let list: AccountsList = serde_json::from_str(text).unwrap();
    assert_eq!(list.accounts[0].row.label, "a");
    assert_eq!(list.accounts[0].email.as_deref(), Some("a@example.com"));
    assert_eq!(serde_json::to_string(&list).unwrap(), text);
}
