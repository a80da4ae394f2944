//! Browser (PKCE) and device-code logins.

use codex_router_test_support::{FakeAccount, FakeBackend, decode_jwt_claims};
use reqwest::Url;
use serde_json::{Value, json};

use crate::common::{body_json, client};

const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
const REDIRECT: &str = "http://localhost:1455/auth/callback";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// GETs the authorize URL Codex would open and returns the `code` from the redirect.
async fn authorize(fake: &FakeBackend) -> String {
    let mut url = Url::parse(&format!("{}/oauth/authorize", fake.issuer_url())).expect("url");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("id_token_add_organizations", "true")
        .append_pair("codex_cli_simplified_flow", "true")
        .append_pair("state", "st ate/1");
    let resp = client().get(url).send().await.expect("send");
    assert_eq!(resp.status(), 302);
    let location = Url::parse(resp.headers()["location"].to_str().expect("ascii")).expect("location");
    assert_eq!(location.as_str().split('?').next(), Some(REDIRECT));
    let param = |k: &str| {
        location
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("st ate/1"));
    param("code").expect("code")
}

async fn exchange(fake: &FakeBackend, code: &str, verifier: &str, redirect: &str) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect)
        .append_pair("client_id", CLIENT_ID)
        .append_pair("code_verifier", verifier)
        .finish();
    client()
        .post(format!("{}/oauth/token", fake.issuer_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn pkce_code_exchange_validates_verifier_redirect_and_single_use() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acc-new", "team"));
    let code = authorize(&fake).await;
    let recorded = fake.authorize_requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].param("scope"),
        Some("openid profile email offline_access")
    );
    assert_eq!(recorded[0].param("id_token_add_organizations"), Some("true"));
    assert_eq!(recorded[0].param("codex_cli_simplified_flow"), Some("true"));

    let wrong_verifier = exchange(&fake, &code, "not-the-verifier", REDIRECT).await;
    assert_eq!(wrong_verifier.status(), 400);
    assert_eq!(body_json(wrong_verifier).await["error"], "invalid_grant");
    let wrong_redirect = exchange(&fake, &code, VERIFIER, "http://localhost:9999/cb").await;
    assert_eq!(wrong_redirect.status(), 400);

    let ok = exchange(&fake, &code, VERIFIER, REDIRECT).await;
    assert_eq!(ok.status(), 200);
    let tokens = body_json(ok).await;
    let claims = decode_jwt_claims(tokens["id_token"].as_str().expect("id")).expect("jwt");
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_account_id"],
        "acc-new"
    );
    assert_eq!(claims["https://api.openai.com/auth"]["chatgpt_plan_type"], "team");
    assert!(tokens["refresh_token"].is_string());

    let again = exchange(&fake, &code, VERIFIER, REDIRECT).await;
    assert_eq!(again.status(), 400, "a code is single use");
}

#[tokio::test]
async fn authorize_rejects_plain_pkce() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acc-new", "plus"));
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&code_challenge=abc&code_challenge_method=plain&state=s",
        fake.issuer_url(),
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    );
    let resp = client().get(url).send().await.expect("send");
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.contains("error=invalid_request"), "{location}");
    assert!(location.contains("state=s"));
}

async fn post_json(fake: &FakeBackend, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", fake.issuer_url()))
        .json(body)
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn device_flow_pends_then_yields_an_exchangeable_code() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acc-dev", "plus"));
    fake.set_device_pending(2);
    let start = post_json(
        &fake,
        "/api/accounts/deviceauth/usercode",
        &json!({"client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(start.status(), 200);
    let start = body_json(start).await;
    assert_eq!(start["interval"], "1");
    let user_code = start["user_code"].as_str().expect("user code");
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    let poll = json!({"device_auth_id": start["device_auth_id"], "user_code": user_code});

    for _ in 0..2 {
        let pending = post_json(&fake, "/api/accounts/deviceauth/token", &poll).await;
        assert_eq!(pending.status(), 403);
        assert_eq!(
            body_json(pending).await["error"]["code"],
            "deviceauth_authorization_pending"
        );
    }
    let approved = post_json(&fake, "/api/accounts/deviceauth/token", &poll).await;
    assert_eq!(approved.status(), 200);
    let approved = body_json(approved).await;
    assert_eq!(fake.device_polls(), 3);

    let redirect = format!("{}/deviceauth/callback", fake.issuer_url());
    let code = approved["authorization_code"].as_str().expect("code");
    let verifier = approved["code_verifier"].as_str().expect("verifier");
    let tokens = exchange(&fake, code, verifier, &redirect).await;
    assert_eq!(tokens.status(), 200);
    let tokens = body_json(tokens).await;
    let claims = decode_jwt_claims(tokens["access_token"].as_str().expect("access")).expect("jwt");
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_account_id"],
        "acc-dev"
    );
}

#[tokio::test]
async fn expired_device_code_stops_polling() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acc-dev", "plus"));
    fake.set_device_pending(5);
    let start = body_json(
        post_json(
            &fake,
            "/api/accounts/deviceauth/usercode",
            &json!({"client_id": CLIENT_ID}),
        )
        .await,
    )
    .await;
    let poll = json!({"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]});
    fake.expire_device_code();
    let expired = post_json(&fake, "/api/accounts/deviceauth/token", &poll).await;
    assert_eq!(expired.status(), 410);
    assert_eq!(body_json(expired).await["error"]["code"], "deviceauth_expired");

    let wrong = post_json(
        &fake,
        "/api/accounts/deviceauth/token",
        &json!({"device_auth_id": "x", "user_code": "y"}),
    )
    .await;
    assert_eq!(wrong.status(), 400);
}
