use std::path::Path;

use super::*;

const CHATGPT: &[u8] =
    br#"{"OPENAI_API_KEY":null,"tokens":{"id_token":"x","access_token":"at-secret","refresh_token":"r","account_id":"acc"},"last_refresh":"2026-01-01T00:00:00Z"}"#;

#[test]
fn a_chatgpt_auth_json_is_a_chatgpt_login() {
    assert_eq!(login_state(Some(CHATGPT)), LoginState::ChatGpt);
    assert!(require_chatgpt(&LoginState::ChatGpt, Path::new("/h/auth.json"), None).is_ok());
}

#[test]
fn an_api_key_login_missing_file_or_empty_tokens_are_not_chatgpt() {
    assert_eq!(
        login_state(Some(br#"{"OPENAI_API_KEY":"sk-x","tokens":null}"#)),
        LoginState::ApiKey
    );
    assert_eq!(login_state(None), LoginState::Missing);
    assert_eq!(
        login_state(Some(br#"{"tokens":{"access_token":""}}"#)),
        LoginState::NoToken
    );
    assert_eq!(login_state(Some(b"{}")), LoginState::NoToken);
}

#[test]
fn an_unreadable_auth_json_is_reported_without_quoting_it() {
    let state = login_state(Some(b"{\"tokens\": at-secret"));
    let LoginState::Unreadable(reason) = &state else {
        panic!("{state:?}")
    };
    assert!(!reason.contains("at-secret"));
    assert!(matches!(login_state(Some(b"[1]")), LoginState::Unreadable(_)));
}

#[test]
fn refusing_a_native_bind_says_to_run_codex_login() {
    let err = require_chatgpt(&LoginState::ApiKey, Path::new("/h/auth.json"), Some("file")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`codex login`") && text.contains("API key"),
        "{text}"
    );
    assert!(
        text.contains("/h/auth.json") && text.contains("not changed"),
        "{text}"
    );
    assert!(!text.contains("keyring"), "{text}");
}

#[test]
fn refusing_a_native_bind_names_the_keyring_setting_when_codex_may_use_the_keyring() {
    for store in ["keyring", "auto"] {
        let err = require_chatgpt(&LoginState::Missing, Path::new("/h/auth.json"), Some(store)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("cli_auth_credentials_store = \"{store}\"")),
            "{text}"
        );
        assert!(text.contains("cli_auth_credentials_store = \"file\""), "{text}");
    }
}

#[test]
fn auth_json_sits_next_to_the_config_path_as_given() {
    assert_eq!(
        auth_path(Path::new("/home/me/.codex/config.toml")),
        Path::new("/home/me/.codex/auth.json")
    );
}
