//! What codex-router sends to the issuer and how it reads the answers, against a scripted stub.

mod stub;

use std::time::Duration;

use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::{CODEX_CLIENT_ID, DevicePoll, LoginError, OAuthClient, RefreshError, TokenSet};
use serde_json::json;
use stub::Stub;

const TOKENS: &str = r#"{"access_token":"at-2","refresh_token":"rt-2","id_token":"it-2","expires_in":3600}"#;

#[tokio::test]
async fn refresh_posts_exactly_the_json_body_codex_sends() {
    let stub = Stub::start().await;
    stub.script("/oauth/token", 200, TOKENS);
    let set = stub.client().refresh(&Secret::new("rt-1")).await.unwrap();
    assert_eq!(
        set,
        TokenSet {
            access_token: Secret::new("at-2"),
            refresh_token: Some(Secret::new("rt-2")),
            id_token: Some(Secret::new("it-2")),
            expires_in: Some(3600),
        }
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "exactly one presentation, no retry");
    assert_eq!(seen[0].path, "/oauth/token");
    assert_eq!(seen[0].content_type, "application/json");
    let want =
        format!(r#"{{"client_id":"{CODEX_CLIENT_ID}","grant_type":"refresh_token","refresh_token":"rt-1"}}"#);
    assert_eq!(seen[0].body, want);
}

#[tokio::test]
async fn refresh_failures_are_classified_and_never_retried() {
    let stub = Stub::start().await;
    let reused =
        r#"{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used"}}"#;
    stub.script("/oauth/token", 401, reused);
    stub.script(
        "/oauth/token",
        400,
        r#"{"error":"invalid_grant","error_description":"bad"}"#,
    );
    stub.script(
        "/oauth/token",
        500,
        r#"{"error":{"code":"server_error","message":"oops"}}"#,
    );
    stub.script(
        "/oauth/token",
        429,
        r#"{"error":{"code":"rate_limited","message":"slow"}}"#,
    );
    stub.script(
        "/oauth/token",
        200,
        r#"{"refresh_token":"rt-x","token_type":"Bearer"}"#,
    );
    let client = stub.client();
    let token = Secret::new("rt-presented");

    let err = client.refresh(&token).await.unwrap_err();
    assert!(err.is_permanent() && err.is_reused(), "{err:?}");
    let err = client.refresh(&token).await.unwrap_err();
    assert_eq!(err.code(), Some("invalid_grant"));
    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(
            err,
            RefreshError::Transient {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(
            err,
            RefreshError::Transient {
                status: Some(429),
                ..
            }
        ),
        "{err:?}"
    );
    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(
            err,
            RefreshError::Transient {
                status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("without an access_token"), "{err}");
    assert!(!err.to_string().contains("rt-x"));
    assert_eq!(stub.seen().len(), 5, "one request per call");
}

#[tokio::test]
async fn unreachable_issuer_is_connect_failed_not_spent_and_names_no_token() {
    // A network error during refresh: a connection that never opened sent nothing; unlike a lost
    // answer (`Transient` without a status), the token is certainly not spent.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = OAuthClient::new(stub::http(), format!("http://{addr}"), CODEX_CLIENT_ID);
    let err = client.refresh(&Secret::new("rt-secret-value")).await.unwrap_err();
    assert!(matches!(err, RefreshError::ConnectFailed { .. }), "{err:?}");
    assert!(!err.is_permanent());
    assert!(!format!("{err} {err:?}").contains("rt-secret-value"));
}

#[tokio::test]
async fn a_silent_issuer_times_out_as_transient() {
    let url = stub::silent_server().await;
    let client =
        OAuthClient::new(stub::http(), url, CODEX_CLIENT_ID).with_request_timeout(Duration::from_millis(300));
    let err = client.refresh(&Secret::new("rt-1")).await.unwrap_err();
    assert!(
        matches!(err, RefreshError::Transient { status: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn code_exchange_is_form_encoded_and_needs_a_refresh_token() {
    let stub = Stub::start().await;
    stub.script("/oauth/token", 200, TOKENS);
    stub.script("/oauth/token", 200, r#"{"access_token":"at-only"}"#);
    stub.script(
        "/oauth/token",
        400,
        r#"{"error":"invalid_grant","error_description":"code ac 1 was used"}"#,
    );
    let client = stub.client();
    let verifier = Secret::new("ver-secret");
    let redirect = "http://localhost:1455/auth/callback";

    let set = client.exchange_code("ac 1", &verifier, redirect).await.unwrap();
    assert_eq!(set.refresh_token, Some(Secret::new("rt-2")));
    let seen = &stub.seen()[0];
    assert_eq!(seen.content_type, "application/x-www-form-urlencoded");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(seen.body.as_bytes())
        .into_owned()
        .collect();
    let want = [
        ("grant_type", "authorization_code"),
        ("code", "ac 1"),
        ("redirect_uri", redirect),
        ("client_id", CODEX_CLIENT_ID),
        ("code_verifier", "ver-secret"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    assert_eq!(form, want);

    let err = client
        .exchange_code("ac 1", &verifier, redirect)
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::InvalidResponse(_)), "{err:?}");
    assert!(err.to_string().contains("refresh_token"), "{err}");

    let err = client
        .exchange_code("ac 1", &verifier, redirect)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LoginError::Issuer {
            status: 400,
            code: Some("invalid_grant".into()),
            message: "code <redacted> was used".into()
        }
    );
}

#[tokio::test]
async fn device_flow_polls_until_authorized_then_exchanges() {
    let stub = Stub::start().await;
    stub.script(
        "/api/accounts/deviceauth/usercode",
        200,
        r#"{"device_auth_id":"dev-secret","user_code":"ABCD-1234","interval":"7"}"#,
    );
    stub.script(
        "/api/accounts/deviceauth/token",
        403,
        r#"{"error":"authorization_pending"}"#,
    );
    stub.script("/api/accounts/deviceauth/token", 404, "");
    let authorized = r#"{"authorization_code":"ac-dev","code_challenge":"ch","code_verifier":"ver-dev"}"#;
    stub.script("/api/accounts/deviceauth/token", 200, authorized);
    stub.script("/oauth/token", 200, TOKENS);
    let client = stub.client();

    let mut code = client.device_start().await.unwrap();
    assert_eq!(code.user_code, "ABCD-1234");
    assert_eq!(code.interval, Duration::from_secs(7));
    assert_eq!(code.verification_url, format!("{}/codex/device", stub.url));
    assert!(
        !format!("{code:?}").contains("dev-secret"),
        "the device id is a secret"
    );

    code.interval = Duration::from_millis(1);
    let set = client.device_complete(&code).await.unwrap();
    assert_eq!(set.access_token, Secret::new("at-2"));

    let seen = stub.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/accounts/deviceauth/usercode",
            "/api/accounts/deviceauth/token",
            "/api/accounts/deviceauth/token",
            "/api/accounts/deviceauth/token",
            "/oauth/token",
        ]
    );
    let body = |i: usize| serde_json::from_str::<serde_json::Value>(&seen[i].body).unwrap();
    assert_eq!(body(0), json!({"client_id": CODEX_CLIENT_ID}));
    assert_eq!(
        body(1),
        json!({"device_auth_id": "dev-secret", "user_code": "ABCD-1234"})
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(seen[4].body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("code").as_deref(), Some("ac-dev"));
    assert_eq!(get("code_verifier").as_deref(), Some("ver-dev"));
    assert_eq!(
        get("redirect_uri"),
        Some(format!("{}/deviceauth/callback", stub.url))
    );
}

#[tokio::test]
async fn device_flow_errors() {
    let stub = Stub::start().await;
    let client = stub.client();
    // Nothing scripted: the usercode endpoint answers 404.
    assert_eq!(
        client.device_start().await.unwrap_err(),
        LoginError::DeviceNotEnabled
    );

    stub.script(
        "/api/accounts/deviceauth/usercode",
        200,
        r#"{"device_auth_id":"d","usercode":"U-1","interval":3}"#,
    );
    let mut code = client.device_start().await.unwrap();
    assert_eq!(
        (code.user_code.as_str(), code.interval),
        ("U-1", Duration::from_secs(3))
    );

    stub.script(
        "/api/accounts/deviceauth/token",
        500,
        r#"{"error":{"code":"server_error","message":"boom"}}"#,
    );
    let err = client.device_poll(&code).await.unwrap_err();
    assert!(matches!(err, LoginError::Issuer { status: 500, .. }), "{err:?}");

    stub.script("/api/accounts/deviceauth/token", 403, "");
    assert_eq!(client.device_poll(&code).await, Ok(DevicePoll::Pending));

    let n_before = stub.seen().len();
    code.expires_at = Timestamp::from_unix_secs(1);
    assert_eq!(client.device_poll(&code).await, Err(LoginError::DeviceExpired));
    assert_eq!(stub.seen().len(), n_before, "an expired code is not polled");
}
