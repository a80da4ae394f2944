//! Backend authentication, the models list, the usage endpoint and the echo.

use codex_router_test_support::{FakeAccount, UsageState, Window, bodies, decode_jwt_claims};
use serde_json::{Value, json};

use crate::common::{body_json, client, codex_body, fake_with_account, responses};

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("json")
}

#[tokio::test]
async fn tokens_carry_real_claims() {
    let (_fake, t) = fake_with_account().await;
    let claims = decode_jwt_claims(&t.access_token).expect("jwt");
    assert_eq!(claims["sub"], "user-acc-a");
    assert_eq!(claims["email"], "acc-a@example.test");
    assert_eq!(claims["exp"], t.expires_at_unix);
    let auth = &claims["https://api.openai.com/auth"];
    assert_eq!(auth["chatgpt_account_id"], "acc-a");
    assert_eq!(auth["chatgpt_user_id"], "user-acc-a");
    assert_eq!(auth["chatgpt_plan_type"], "pro");
    assert_eq!(
        claims["https://api.openai.com/profile"]["email"],
        "acc-a@example.test"
    );
    let id = decode_jwt_claims(&t.id_token).expect("id jwt");
    assert_eq!(id["https://api.openai.com/auth"]["chatgpt_account_id"], "acc-a");
    assert_ne!(id["jti"], claims["jti"]);
}

#[tokio::test]
async fn unknown_expired_invalidated_and_mismatched_tokens_get_real_401s() {
    let (fake, t) = fake_with_account().await;
    let body = codex_body(&[]);

    let unknown = responses(&fake, "not-a-token", "acc-a", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(unknown.status(), 401);
    assert_eq!(body_json(unknown).await, parse(&bodies::invalid_api_key()));

    let mismatch = responses(&fake, &t.access_token, "acc-other", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(mismatch.status(), 401);
    assert_eq!(body_json(mismatch).await["error"]["code"], "account_mismatch");
    let missing = client()
        .post(format!("{}/codex/responses", fake.base_url()))
        .bearer_auth(&t.access_token)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(body_json(missing).await["error"]["code"], "account_mismatch");

    fake.expire_access_tokens("acc-a");
    let expired = responses(&fake, &t.access_token, "acc-a", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(expired.status(), 401);
    assert_eq!(expired.headers()["x-openai-authorization-error"], "token_expired");
    assert_eq!(
        expired.text().await.expect("text"),
        r#"{"error":{"message":"Provided authentication token is expired. Please try signing in again.","type":null,"code":"token_expired","param":null},"status":401}"#
    );

    // A second chain issued after the expiry works; invalidation then revokes it too.
    let fresh = fake.issue_tokens("acc-a");
    let ok = responses(&fake, &fresh.access_token, "acc-a", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    ok.bytes().await.expect("body");
    fake.invalidate_account("acc-a");
    let revoked = responses(&fake, &fresh.access_token, "acc-a", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(revoked.status(), 401);
    assert_eq!(body_json(revoked).await["error"]["code"], "token_invalidated");

    // Every request that named a token of acc-a counts, 401s included.
    assert_eq!(fake.responses_calls("acc-a"), 5);
    let captured = fake.requests();
    assert_eq!(captured.len(), 6);
    assert_eq!(captured[0].account, None);
    assert_eq!(captured[1].account.as_deref(), Some("acc-a"));
}

#[tokio::test]
async fn exp_claim_in_the_past_is_expired() {
    let fake = codex_router_test_support::FakeBackend::start().await;
    let t = fake.add_account(FakeAccount::new("acc-old", "plus").with_ttl(-60));
    let resp = responses(&fake, &t.access_token, "acc-old", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    assert_eq!(body_json(resp).await["error"]["code"], "token_expired");
}

#[tokio::test]
async fn usage_endpoint_reports_the_set_windows() {
    let (fake, t) = fake_with_account().await;
    let reset_at = 1_900_000_000;
    fake.set_usage(
        "acc-a",
        UsageState {
            primary: Some(Window {
                used_percent: 42.0,
                window_minutes: 300,
                reset_at,
            }),
            secondary: Some(Window {
                used_percent: 7.5,
                window_minutes: 10080,
                reset_at: reset_at + 100,
            }),
            plan_type: "pro".into(),
        },
    );
    let resp = client()
        .get(format!("{}/wham/usage", fake.base_url()))
        .bearer_auth(&t.access_token)
        .header("chatgpt-account-id", "acc-a")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body = body_json(resp).await;
    assert_eq!(body["plan_type"], "pro");
    let primary = &body["rate_limit"]["primary_window"];
    assert_eq!(primary["used_percent"], 42);
    assert_eq!(primary["limit_window_seconds"], 18000);
    assert_eq!(primary["reset_at"], reset_at);
    assert!(primary["reset_after_seconds"].as_i64().is_some_and(|s| s > 0));
    assert_eq!(body["rate_limit"]["secondary_window"]["used_percent"], 7.5);
    assert_eq!(body["rate_limit"]["limit_reached"], false);
    assert_eq!(fake.usage_calls("acc-a"), 1);

    let headers = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(headers.headers()["x-codex-primary-used-percent"], "42");
    assert_eq!(headers.headers()["x-codex-secondary-used-percent"], "7.5");
    assert_eq!(
        headers.headers()["x-codex-primary-reset-at"],
        reset_at.to_string().as_str()
    );

    let unauthenticated = client()
        .get(format!("{}/wham/usage", fake.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn models_and_echo() {
    let (fake, t) = fake_with_account().await;
    let models = client()
        .get(format!("{}/codex/models?client_version=0.169.0", fake.base_url()))
        .bearer_auth(&t.access_token)
        .header("chatgpt-account-id", "acc-a")
        .send()
        .await
        .expect("send");
    assert_eq!(models.status(), 200);
    let body = body_json(models).await;
    assert!(
        body["models"]
            .as_array()
            .is_some_and(|m| !m.is_empty() && m[0]["slug"].is_string())
    );

    let echo = client()
        .delete(format!("{}/some/other/path?x=1&y=2", fake.base_url()))
        .bearer_auth(&t.access_token)
        .header("chatgpt-account-id", "acc-a")
        .send()
        .await
        .expect("send");
    assert_eq!(echo.status(), 200);
    assert_eq!(
        body_json(echo).await,
        json!({"path": "/backend-api/some/other/path", "query": "x=1&y=2", "method": "DELETE"})
    );
    let captured = fake.requests();
    assert_eq!(captured[1].query.as_deref(), Some("x=1&y=2"));
    assert_eq!(captured[1].header("chatgpt-account-id"), Some("acc-a"));

    let anonymous = client()
        .get(format!("{}/anything", fake.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);
    let outside = client()
        .get(format!("{}/nope", fake.issuer_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(outside.status(), 404);
}
