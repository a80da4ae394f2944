use super::*;
use serde_json::json;

/// A hand-made unsigned JWT with `payload` as its claims.
pub(crate) fn jwt(payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).unwrap());
    format!("{header}.{body}.sig")
}

#[test]
fn reads_the_namespaced_auth_claims() {
    let token = jwt(&json!({
        "sub": "auth0|abc",
        "email": "ada@example.com",
        "exp": 1_789_435_516,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": "acct-1",
            "chatgpt_user_id": "user-1",
            "user_id": "legacy-user",
            "chatgpt_plan_type": "plus"
        }
    }));
    let claims = decode_claims(&token).unwrap();
    assert_eq!(
        claims,
        Claims {
            chatgpt_account_id: Some("acct-1".into()),
            chatgpt_user_id: Some("user-1".into()),
            sub: Some("auth0|abc".into()),
            email: Some("ada@example.com".into()),
            plan_type: Some("plus".into()),
            exp: Some(Timestamp::from_unix_secs(1_789_435_516)),
        }
    );
    assert_eq!(identity(&claims), Some(("acct-1".into(), "user-1".into())));
}

#[test]
fn user_id_and_profile_email_are_fallbacks() {
    let token = jwt(&json!({
        "https://api.openai.com/auth": { "chatgpt_account_id": "acct-1", "user_id": "legacy-user" },
        "https://api.openai.com/profile": { "email": "bob@example.com" }
    }));
    let claims = decode_claims(&token).unwrap();
    assert_eq!(claims.chatgpt_user_id.as_deref(), Some("legacy-user"));
    assert_eq!(claims.email.as_deref(), Some("bob@example.com"));
}

#[test]
fn identity_falls_back_to_sub_and_needs_an_account_id() {
    let with_sub =
        jwt(&json!({ "sub": "s-1", "https://api.openai.com/auth": { "chatgpt_account_id": "a" } }));
    let claims = decode_claims(&with_sub).unwrap();
    assert_eq!(identity(&claims), Some(("a".into(), "s-1".into())));

    let no_account = jwt(&json!({ "sub": "s-1" }));
    assert_eq!(identity(&decode_claims(&no_account).unwrap()), None);

    let no_person = jwt(&json!({ "https://api.openai.com/auth": { "chatgpt_account_id": "a" } }));
    assert_eq!(identity(&decode_claims(&no_person).unwrap()), None);
}

#[test]
fn missing_or_mistyped_claims_are_none_not_errors() {
    let token = jwt(&json!({
        "sub": "",
        "email": null,
        "exp": "not a number",
        "https://api.openai.com/auth": "not an object"
    }));
    assert_eq!(decode_claims(&token).unwrap(), Claims::default());
    assert_eq!(decode_claims(&jwt(&json!({}))).unwrap(), Claims::default());
}

#[test]
fn exp_tolerates_floats_and_strings() {
    let float = jwt(&json!({ "exp": 1000.9 }));
    assert_eq!(
        decode_claims(&float).unwrap().exp,
        Some(Timestamp::from_unix_secs(1000))
    );
    let text = jwt(&json!({ "exp": "2000" }));
    assert_eq!(
        decode_claims(&text).unwrap().exp,
        Some(Timestamp::from_unix_secs(2000))
    );
}

#[test]
fn padded_payload_and_empty_signature_are_accepted() {
    let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#);
    let padded = format!("h.{payload}==.");
    assert_eq!(decode_claims(&padded).unwrap().sub.as_deref(), Some("x"));
}

#[test]
fn malformed_tokens_are_errors_that_do_not_quote_the_token() {
    let cases = [
        ("not-a-jwt-secretvalue", ClaimsError::NotAJwt),
        ("a.b.c.d", ClaimsError::NotAJwt),
        ("h..s", ClaimsError::NotAJwt),
        ("h.!!secretvalue!!.s", ClaimsError::Base64),
        (
            &*format!("h.{}.s", URL_SAFE_NO_PAD.encode(b"[1,2]")),
            ClaimsError::NotAnObject,
        ),
        (
            &*format!("h.{}.s", URL_SAFE_NO_PAD.encode(b"secretvalue")),
            ClaimsError::NotAnObject,
        ),
    ];
    for (token, want) in cases {
        let err = decode_claims(token).unwrap_err();
        assert_eq!(err, want, "{token}");
        assert!(!err.to_string().contains("secretvalue"));
    }
}

#[test]
fn debug_omits_the_email() {
    let claims = Claims {
        email: Some("ada@example.com".into()),
        ..Claims::default()
    };
    let text = format!("{claims:?}");
    assert!(!text.contains("ada@"), "{text}");
    assert!(text.contains("<omitted>"));
}
