//! Fixture files for import tests, shared by the unit tests (through `#[path]`) and the
//! integration tests. Tokens are fake JWTs with the claims layout of the real issuer; every
//! refresh token contains `SECRET` and every email `@example.test`, so a leak is easy to spot.
#![allow(dead_code, reason = "each test binary uses a different part of the fixtures")]

use codex_router_test_support::make_jwt;
use serde_json::{Value, json};

/// One identity: workspace, user, plan, email.
#[derive(Clone, Copy)]
pub struct Who {
    pub account: &'static str,
    pub user: &'static str,
    pub plan: &'static str,
    pub email: &'static str,
}

pub const ALICE: Who = Who {
    account: "ws-alice",
    user: "user-alice",
    plan: "pro",
    email: "alice@example.test",
};
pub const BOB: Who = Who {
    account: "ws-bob",
    user: "user-bob",
    plan: "plus",
    email: "bob@example.test",
};
/// Same Team workspace as `TEAM_B`, another person: a different account (SPEC §5).
pub const TEAM_A: Who = Who {
    account: "ws-team",
    user: "user-ta",
    plan: "team",
    email: "ta@example.test",
};
pub const TEAM_B: Who = Who {
    account: "ws-team",
    user: "user-tb",
    plan: "team",
    email: "tb@example.test",
};

/// 2030-01-01T00:00:00Z, a base for expiries.
pub const T0: i64 = 1_893_456_000;

/// An access or id token for `who`, expiring at `exp` (Unix seconds).
pub fn jwt(who: Who, exp: i64) -> String {
    make_jwt(&json!({
        "exp": exp,
        "sub": who.user,
        "email": who.email,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": who.account,
            "chatgpt_user_id": who.user,
            "chatgpt_plan_type": who.plan,
        },
    }))
}

/// A refresh token that names its chain, e.g. `rt-SECRET-ws-alice-1`.
pub fn refresh(who: Who, chain: u32) -> String {
    format!("rt-SECRET-{}-{chain}", who.user)
}

/// A Codex CLI `auth.json` holding `who`'s login, access token expiring at `exp`.
pub fn codex_auth(who: Who, chain: u32, exp: i64, last_refresh: &str) -> Vec<u8> {
    let doc = json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": jwt(who, exp),
            "access_token": jwt(who, exp),
            "refresh_token": refresh(who, chain),
            "account_id": who.account,
        },
        "last_refresh": last_refresh,
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

/// One v3 account record of codex-multi-auth.
pub fn multi_entry(who: Who, chain: u32, exp: i64, label: &str) -> Value {
    json!({
        "recordId": format!("record:{}", who.user),
        "accountId": who.account,
        "accountIdSource": "token",
        "accountLabel": label,
        "email": who.email,
        "refreshToken": refresh(who, chain),
        "accessToken": jwt(who, exp),
        "expiresAt": exp * 1000,
        "addedAt": 1_750_000_000_000_i64,
        "lastUsed": 1_750_000_000_000_i64,
        "rateLimitResetTimes": {"gpt-5-codex": 1_750_000_060_000_i64},
    })
}

/// A codex-multi-auth accounts file of `version` with `entries`.
pub fn multi_auth(version: u32, entries: Vec<Value>) -> Vec<u8> {
    let doc = json!({
        "version": version,
        "accounts": entries,
        "activeIndex": 0,
        "activeIndexByFamily": {"codex": 0},
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

/// Fails if `text` shows a token or an email of the fixtures.
pub fn assert_no_secrets(text: &str) {
    for needle in ["SECRET", "@example.test", "eyJ"] {
        assert!(!text.contains(needle), "`{needle}` leaked into: {text}");
    }
}
