//! The native binding's pure edit (docs/binding.md): one top-level key, no trace of the provider
//! binding, the user's own `openai_base_url` kept and put back.

use codex_router_core::Secret;
use toml_edit::DocumentMut;

use super::*;
use crate::inspect::inspect;

const URL: &str = "http://127.0.0.1:2456/backend-api/codex";

fn spec(mode: BindMode) -> BindSpec {
    BindSpec {
        port: 2456,
        client_key: Secret::new("k3y"),
        remote_compaction: false,
        mode,
    }
}

fn native() -> BindSpec {
    spec(BindMode::Native)
}

fn root_keys(text: &str) -> Vec<String> {
    let doc: DocumentMut = text.parse().unwrap();
    doc.as_table()
        .iter()
        .filter(|(_, item)| item.is_value())
        .map(|(k, _)| k.to_owned())
        .collect()
}

#[test]
fn native_bind_writes_only_the_top_level_openai_base_url_even_before_a_leading_table() {
    for text in [
        "",
        "# mine\n[tui]\nx = 1\n",
        "[[profiles.x]]\nmodel = \"o3\"\n",
        "model = \"x\"\n",
    ] {
        let bound = bind(text, &native()).unwrap();
        let doc: DocumentMut = bound.parse().unwrap();
        assert_eq!(doc["openai_base_url"].as_str(), Some(URL), "{text:?}");
        assert!(doc.get("chatgpt_base_url").is_none());
        assert!(doc.get("model_provider").is_none());
        assert!(doc.get("model_providers").is_none());
        assert_eq!(unbind_surgical_to(&bound, &Originals::default()).unwrap(), text);
    }
    let bound = bind("# mine\n[tui]\nx = 1\n", &native()).unwrap();
    assert_eq!(
        bound,
        format!("openai_base_url = \"{URL}\"\n\n# mine\n[tui]\nx = 1\n")
    );
}

#[test]
fn native_bind_leaves_the_users_model_provider_and_provider_tables_alone() {
    let text = "model_provider = \"openai\" # explicit\n[model_providers.ollama]\nname = \"O\"\n";
    let bound = bind(text, &native()).unwrap();
    assert_eq!(root_keys(&bound), ["model_provider", "openai_base_url"]);
    assert!(bound.contains("[model_providers.ollama]"));
    assert_eq!(inspect(&bound).unwrap().mode(), Some(BindMode::Native));
}

#[test]
fn native_bind_replaces_an_earlier_openai_base_url_in_place_and_unbind_puts_it_back() {
    let text = "model = \"x\"\nopenai_base_url = \"https://corp.example/v1\" # proxy\n[tui]\n";
    let bound = bind(text, &native()).unwrap();
    assert_eq!(
        bound,
        format!("model = \"x\"\nopenai_base_url = \"{URL}\" # proxy\n[tui]\n")
    );
    let originals = Originals {
        openai_base_url: Some("https://corp.example/v1".to_owned()),
        ..Originals::default()
    };
    assert_eq!(unbind_surgical_to(&bound, &originals).unwrap(), text);
}

#[test]
fn binding_natively_twice_gives_the_same_bytes_and_a_new_port_is_written_in_place() {
    let text = "a = 1\n[tui]\nb = 2\n";
    let once = bind(text, &native()).unwrap();
    assert_eq!(bind(&once, &native()).unwrap(), once);
    let moved = bind(
        &once,
        &BindSpec {
            port: 3000,
            ..native()
        },
    )
    .unwrap();
    assert_eq!(moved, once.replace("2456", "3000"));
}

#[test]
fn native_bind_on_a_provider_bound_file_removes_the_provider_binding_and_restores_model_provider() {
    let text = "model_provider = \"openai\" # mine\nmodel = \"x\"\n\n[tui]\nx = 1\n";
    let provider = bind(text, &spec(BindMode::Provider)).unwrap();
    let originals = Originals {
        model_provider: Some("openai".to_owned()),
        ..Originals::default()
    };
    let switched = bind_over(&provider, &native(), &originals).unwrap();
    assert_eq!(switched, bind(text, &native()).unwrap());
    let found = inspect(&switched).unwrap();
    assert!(!found.provider_table && !found.bound && found.model_provider.as_deref() == Some("openai"));
    assert!(!switched.contains("k3y"), "the client key is gone");
    assert_eq!(unbind_surgical_to(&switched, &originals).unwrap(), text);
}

#[test]
fn provider_bind_on_a_natively_bound_file_removes_openai_base_url_and_restores_the_users_value() {
    let text = "openai_base_url = \"https://corp.example/v1\"\n[tui]\nx = 1\n";
    let originals = Originals {
        openai_base_url: Some("https://corp.example/v1".to_owned()),
        ..Originals::default()
    };
    let native_bound = bind(text, &native()).unwrap();
    let switched = bind_over(&native_bound, &spec(BindMode::Provider), &originals).unwrap();
    assert_eq!(switched, bind(text, &spec(BindMode::Provider)).unwrap());
    assert_eq!(unbind_surgical_to(&switched, &originals).unwrap(), text);
    // Without originals the router URL just goes.
    let plain = bind(&bind("", &native()).unwrap(), &spec(BindMode::Provider)).unwrap();
    assert!(!plain.contains("openai_base_url"));
}

#[test]
fn strip_binding_finds_a_native_binding_and_never_touches_a_users_own_url() {
    let bound = bind(
        "model = \"x\"\n",
        &BindSpec {
            port: 7777,
            ..native()
        },
    )
    .unwrap();
    let stripped = strip_binding(&bound).unwrap();
    assert_eq!(stripped.found, ["openai_base_url"]);
    assert_eq!(stripped.text, "model = \"x\"\n");
    for own in [
        "openai_base_url = \"https://corp.example/v1\"\n",
        "openai_base_url = \"http://127.0.0.1:2456/v1\"\n",
        "openai_base_url = \"http://localhost:2456/backend-api/codex\"\n",
        "[tui]\nopenai_base_url = \"http://127.0.0.1:2456/backend-api/codex\"\n",
    ] {
        let stripped = strip_binding(own).unwrap();
        assert!(stripped.found.is_empty(), "{own}");
        assert_eq!(stripped.text, own);
    }
}

#[test]
fn router_urls_are_recognised_exactly() {
    use crate::provider::router_url_port;
    assert_eq!(router_url_port(URL), Some(2456));
    assert_eq!(router_url_port("http://127.0.0.1:1/backend-api/codex"), Some(1));
    for not in [
        "http://127.0.0.1:0/backend-api/codex",
        "http://127.0.0.1:70000/backend-api/codex",
        "http://127.0.0.1:02456/backend-api/codex",
        "http://127.0.0.1:/backend-api/codex",
        "https://127.0.0.1:2456/backend-api/codex",
        "http://127.0.0.1:2456/backend-api/codex/",
        "http://127.0.0.1:+1/backend-api/codex",
    ] {
        assert_eq!(router_url_port(not), None, "{not}");
    }
}

#[test]
fn a_non_string_openai_base_url_is_refused_by_the_native_bind() {
    let err = bind("openai_base_url = 3\n", &native()).unwrap_err();
    assert!(
        matches!(
            err,
            BindError::UnexpectedShape {
                key: "openai_base_url",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn the_native_bind_needs_no_client_key_but_still_a_port() {
    let keyless = BindSpec {
        client_key: Secret::new(""),
        ..native()
    };
    assert!(bind("", &keyless).is_ok());
    assert!(matches!(
        bind("", &BindSpec { port: 0, ..native() }),
        Err(BindError::PortZero)
    ));
}

#[test]
fn crlf_and_bom_survive_the_native_bind_and_unbind() {
    let text = "\u{feff}# c\r\nmodel = \"x\"\r\n[tui]\r\nx = 1\r\n";
    let bound = bind(text, &native()).unwrap();
    assert!(bound.starts_with('\u{feff}'));
    assert_eq!(bound.matches('\n').count(), bound.matches("\r\n").count());
    assert_eq!(unbind_surgical_to(&bound, &Originals::default()).unwrap(), text);
}
