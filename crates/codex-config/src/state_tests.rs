use std::path::PathBuf;

use codex_router_core::Timestamp;

use super::*;

fn state(original: Option<&[u8]>) -> BindState {
    BindState {
        config_path: PathBuf::from("/home/me/.codex/config.toml"),
        original_existed: original.is_some(),
        original_sha256: original.map(sha256_hex),
        original_mode: original.map(|_| 0o644),
        original_model_provider: Some("openai".to_owned()),
        bound_sha256: sha256_hex(b"bound"),
        port: 2456,
        bound_at: Timestamp::from_unix_secs(1_780_000_000),
        mode: crate::provider::BindMode::Native,
        original_openai_base_url: Some("https://proxy.example/v1".to_owned()),
    }
}

fn with(state: &BindState, field: &str, value: serde_json::Value) -> Vec<u8> {
    let mut json = serde_json::to_value(state).unwrap();
    json[field] = value;
    serde_json::to_vec(&json).unwrap()
}

#[test]
fn the_state_has_the_spec_fields_plus_mode_and_original_openai_base_url() {
    let json: serde_json::Value = serde_json::from_slice(&encode(&state(Some(b"x"))).unwrap()).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "config_path",
            "original_existed",
            "original_sha256",
            "original_mode",
            "original_model_provider",
            "bound_sha256",
            "port",
            "bound_at",
            "mode",
            "original_openai_base_url"
        ]
    );
}

#[test]
fn a_consistent_state_is_valid() {
    let original = b"model = \"x\"\n";
    let s = state(Some(original));
    assert_eq!(validate(&encode(&s).unwrap(), Some(original)).unwrap(), s);
    let none = state(None);
    assert_eq!(validate(&encode(&none).unwrap(), None).unwrap(), none);
}

// A persisted port is validated: a state with a port outside 1..=65535 is not trusted.
#[test]
fn ports_outside_1_to_65535_are_rejected() {
    let s = state(None);
    for port in [0, 70_000, -1] {
        let err = validate(&with(&s, "port", port.into()), None).unwrap_err();
        assert!(err.reason.contains(&format!("port {port}")), "{}", err.reason);
        assert_eq!(err.original_model_provider.as_deref(), Some("openai"));
    }
}

// A tampered state is rejected: the saved original must match its recorded hash.
#[test]
fn a_tampered_original_is_rejected() {
    let s = state(Some(b"original"));
    let bytes = encode(&s).unwrap();
    assert!(
        validate(&bytes, Some(b"tampered"))
            .unwrap_err()
            .reason
            .contains("SHA-256")
    );
    assert!(validate(&bytes, None).unwrap_err().reason.contains("missing"));
    let none = encode(&state(None)).unwrap();
    assert!(validate(&none, Some(b"stray")).is_err());
}

#[test]
fn garbage_is_rejected_without_quoting_it() {
    let err = validate(b"{\"port\": \"secret-ish\"", None).unwrap_err();
    assert!(err.reason.contains("unreadable") && !err.reason.contains("secret-ish"));
    assert_eq!(err.original_model_provider, None);
    let s = state(None);
    assert!(validate(&with(&s, "bound_sha256", "nope".into()), None).is_err());
}

// A state written before the native binding existed stays valid.
#[test]
fn a_state_without_mode_reads_as_a_provider_binding() {
    let s = state(None);
    let mut json = serde_json::to_value(&s).unwrap();
    let obj = json.as_object_mut().unwrap();
    obj.remove("mode");
    obj.remove("original_openai_base_url");
    let old = validate(&serde_json::to_vec(&json).unwrap(), None).unwrap();
    assert_eq!(old.mode, crate::provider::BindMode::Provider);
    assert_eq!(old.original_openai_base_url, None);
}

#[test]
fn the_mode_is_written_as_a_lowercase_word_and_an_unknown_one_is_not_trusted() {
    let json: serde_json::Value = serde_json::from_slice(&encode(&state(None)).unwrap()).unwrap();
    assert_eq!(json["mode"], "native");
    let err = validate(&with(&state(None), "mode", "sideways".into()), None).unwrap_err();
    assert!(err.reason.contains("unreadable"), "{}", err.reason);
}

#[test]
fn an_invalid_state_still_offers_its_original_openai_base_url() {
    let err = validate(&with(&state(None), "port", 0.into()), None).unwrap_err();
    assert_eq!(
        err.originals().openai_base_url.as_deref(),
        Some("https://proxy.example/v1")
    );
}
