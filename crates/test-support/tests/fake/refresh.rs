//! The refresh grant: rotation, single use, and the scripted failures.

use std::time::Duration;

use codex_router_test_support::{FakeBackend, RefreshBehavior, decode_jwt_claims};
use serde_json::{Value, json};

use crate::common::{body_json, client, codex_body, fake_with_account, responses};

const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

async fn refresh(fake: &FakeBackend, refresh_token: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/oauth/token", fake.issuer_url()))
        .json(&json!({"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token}))
        .send()
        .await
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_is_refused() {
    let (fake, t) = fake_with_account().await;
    let resp = refresh(&fake, &t.refresh_token).await.expect("send");
    assert_eq!(resp.status(), 200);
    let body = body_json(resp).await;
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    let new_access = body["access_token"].as_str().expect("access");
    let new_refresh = body["refresh_token"].as_str().expect("refresh");
    assert_ne!(new_refresh, t.refresh_token);
    let claims = decode_jwt_claims(body["id_token"].as_str().expect("id")).expect("jwt");
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_account_id"],
        "acc-a"
    );

    // The new access token works on the backend.
    let ok = responses(&fake, new_access, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);

    let reused = refresh(&fake, &t.refresh_token).await.expect("send");
    assert_eq!(reused.status(), 401);
    assert_eq!(
        reused.text().await.expect("text"),
        r#"{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used to generate a new access token. Please try signing in again."}}"#
    );
    assert_eq!(fake.refresh_calls(), 2);
    assert_eq!(fake.refresh_reuse_count(), 1);
    let captured = fake.issuer_requests();
    assert_eq!(captured[0].param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(captured[0].account.as_deref(), Some("acc-a"));

    // The rotated chain keeps working, form-encoded too.
    let form = client()
        .post(format!("{}/oauth/token", fake.issuer_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={new_refresh}"
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(form.status(), 200);
}

#[tokio::test]
async fn unknown_invalidated_and_malformed_refreshes() {
    let (fake, t) = fake_with_account().await;
    let unknown = refresh(&fake, "rt_never_issued").await.expect("send");
    assert_eq!(unknown.status(), 400);
    assert_eq!(body_json(unknown).await["error"], "invalid_grant");

    fake.invalidate_account("acc-a");
    let revoked = refresh(&fake, &t.refresh_token).await.expect("send");
    assert_eq!(revoked.status(), 401);
    assert_eq!(
        body_json(revoked).await["error"]["code"],
        "refresh_token_invalidated"
    );

    let no_client = client()
        .post(format!("{}/oauth/token", fake.issuer_url()))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(no_client.status(), 400);
    assert_eq!(body_json(no_client).await["error"], "invalid_request");
    assert_eq!(fake.refresh_calls(), 3);
    assert_eq!(fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_rotate_once() {
    let (fake, t) = fake_with_account().await;
    fake.set_refresh_delay(Duration::from_millis(100));
    let (a, b) = tokio::join!(refresh(&fake, &t.refresh_token), refresh(&fake, &t.refresh_token));
    let mut statuses = [a.expect("a").status().as_u16(), b.expect("b").status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
    assert_eq!(fake.refresh_calls(), 2);
    assert_eq!(fake.refresh_reuse_count(), 1);
}

#[tokio::test]
async fn scripted_refresh_failures_do_not_spend_the_token() {
    let (fake, t) = fake_with_account().await;
    fake.script_refresh(RefreshBehavior::Status(500, r#"{"error":"server_error"}"#.into()));
    fake.script_refresh(RefreshBehavior::DropConnection);
    fake.script_refresh(RefreshBehavior::Delay(Duration::from_millis(50)));

    let failed = refresh(&fake, &t.refresh_token).await.expect("send");
    assert_eq!(failed.status(), 500);
    assert!(
        refresh(&fake, &t.refresh_token).await.is_err(),
        "dropped connection is a transport error"
    );
    let started = std::time::Instant::now();
    let ok = refresh(&fake, &t.refresh_token).await.expect("send");
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(ok.status(), 200, "neither failure consumed the token");
    assert_eq!(fake.refresh_calls(), 3);
}

#[tokio::test]
async fn rotate_then_drop_spends_the_token_without_answering() {
    let (fake, t) = fake_with_account().await;
    fake.script_refresh(RefreshBehavior::RotateThenDrop);
    assert!(refresh(&fake, &t.refresh_token).await.is_err());
    let again = refresh(&fake, &t.refresh_token).await.expect("send");
    assert_eq!(again.status(), 401);
    let body: Value = body_json(again).await;
    assert_eq!(body["error"]["code"], "refresh_token_reused");
    assert_eq!(fake.refresh_reuse_count(), 1);
}
