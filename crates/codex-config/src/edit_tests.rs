use codex_router_core::Secret;
use toml_edit::DocumentMut;

use super::*;
use crate::inspect::inspect;

const KEY: &str = "k3y-00112233445566778899aabbccddeeff00112233445566778899aabbccddee";

fn spec() -> BindSpec {
    BindSpec {
        port: 2456,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: crate::provider::BindMode::Provider,
    }
}

fn parsed(text: &str) -> DocumentMut {
    text.parse().unwrap()
}

// Bind never writes port 0 (so a cold start never slips a zero port into the file).
#[test]
fn port_zero_is_refused() {
    let spec = BindSpec { port: 0, ..spec() };
    assert!(matches!(bind("model = \"x\"\n", &spec), Err(BindError::PortZero)));
}

#[test]
fn an_empty_client_key_is_refused() {
    let spec = BindSpec {
        client_key: Secret::new(""),
        ..spec()
    };
    assert!(matches!(bind("", &spec), Err(BindError::EmptyClientKey)));
}

// `model_provider` lands at the top level even when the file opens with `[[array-of-tables]]`.
#[test]
fn model_provider_lands_in_the_root_even_before_an_array_of_tables() {
    let bound = bind("[[profiles.x]]\nmodel = \"o3\"\n", &spec()).unwrap();
    assert!(
        bound.starts_with("model_provider = \"codex-router\"\n\n[[profiles.x]]\n"),
        "{bound}"
    );
    let doc = parsed(&bound);
    assert_eq!(doc["model_provider"].as_str(), Some("codex-router"));
    let entry = doc["profiles"]["x"].as_array_of_tables().unwrap().get(0).unwrap();
    assert!(!entry.contains_key("model_provider"));
}

// `model_provider` lands at the top level even when the file opens with a table.
#[test]
fn model_provider_lands_in_the_root_before_a_leading_table_and_its_comments() {
    let bound = bind("# mine\n[tui]\nx = 1\n", &spec()).unwrap();
    assert!(
        bound.starts_with("model_provider = \"codex-router\"\n\n# mine\n[tui]\nx = 1\n"),
        "{bound}"
    );
    assert_eq!(unbind_surgical(&bound, None).unwrap(), "# mine\n[tui]\nx = 1\n");
}

#[test]
fn an_existing_top_level_value_is_replaced_in_place_and_put_back() {
    let text = "model_provider = 'openai' # mine\n[tui]\n";
    let bound = bind(text, &spec()).unwrap();
    assert!(
        bound.starts_with("model_provider = \"codex-router\" # mine\n[tui]\n"),
        "{bound}"
    );
    let unbound = unbind_surgical(&bound, Some("openai")).unwrap();
    assert_eq!(unbound, "model_provider = \"openai\" # mine\n[tui]\n");
}

// The provider table is removed together with its sub-tables (`.http_headers`).
#[test]
fn an_earlier_provider_and_all_its_sub_tables_are_replaced_and_removed() {
    let text = "[model_providers.codex-router]\nname = \"old\"\n\n[model_providers.codex-router.http_headers]\n\
                X = \"1\"\n\n[tui]\nx = 1\n\n[model_providers.codex-router.capabilities]\nremote_compaction = \"v2\"\n";
    let bound = bind(text, &spec()).unwrap();
    assert!(
        !bound.contains("http_headers") && !bound.contains("capabilities"),
        "{bound}"
    );
    assert_eq!(bound.matches("[model_providers.codex-router]").count(), 1);
    // The blank line that separated the old table from [tui] is the user's: it stays.
    let unbound = unbind_surgical(&bound, None).unwrap();
    assert_eq!(unbound, "\n[tui]\nx = 1\n");
}

#[test]
fn remote_compaction_writes_the_capabilities_sub_table() {
    let spec = BindSpec {
        remote_compaction: true,
        ..spec()
    };
    let bound = bind("", &spec).unwrap();
    assert!(bound.ends_with("\n\n[model_providers.codex-router.capabilities]\nremote_compaction = \"v2\"\n"));
    assert_eq!(unbind_surgical(&bound, None).unwrap(), "");
}

// CRLF files stay CRLF; a file without a trailing newline is handled.
#[test]
fn crlf_stays_crlf_and_a_missing_final_newline_is_handled() {
    let bound = bind("a = 1\r\n[t]\r\nb = 2", &spec()).unwrap();
    assert!(!bound.replace("\r\n", "").contains('\n'), "{bound:?}");
    assert_eq!(
        unbind_surgical(&bound, None).unwrap(),
        "a = 1\r\n[t]\r\nb = 2\r\n"
    );
}

#[test]
fn the_ancestors_binding_is_replaced_and_recognised() {
    let text = "model_provider = \"codex-multi-auth-runtime-proxy\"\n\n\
                [model_providers.codex-multi-auth-runtime-proxy]\nname = \"codex-multi-auth\"\n";
    let bound = bind(text, &spec()).unwrap();
    assert!(!bound.contains("codex-multi-auth"), "{bound}");
    let stripped = strip_binding(text).unwrap();
    assert_eq!(stripped.found, vec!["codex-multi-auth-runtime-proxy"]);
    assert_eq!(stripped.text, "");
}

#[test]
fn surgical_unbind_keeps_what_the_user_changed_since() {
    let text = "model = \"gpt-5\"\n\n[tui]\nx = 1\n";
    let bound = bind(text, &spec()).unwrap();
    let edited = bound.replace("gpt-5", "o3").replace("x = 1", "x = 1\ny = 2");
    let unbound = unbind_surgical(&edited, None).unwrap();
    assert_eq!(unbound, "model = \"o3\"\n\n[tui]\nx = 1\ny = 2\n");
}

#[test]
fn a_provider_the_user_chose_since_the_bind_is_kept() {
    let bound = bind("model_provider = \"openai\"\n", &spec()).unwrap();
    let edited = bound.replace("model_provider = \"codex-router\"", "model_provider = \"azure\"");
    let unbound = unbind_surgical(&edited, Some("openai")).unwrap();
    assert_eq!(unbound, "model_provider = \"azure\"\n");
}

#[test]
fn comments_above_a_removed_header_stay_in_the_file() {
    let text =
        "a = 1\n\n# about the table below\n[model_providers.codex-router]\nname = \"x\"\n\n# tui\n[tui]\n";
    let unbound = unbind_surgical(text, None).unwrap();
    assert_eq!(unbound, "a = 1\n\n# about the table below\n\n# tui\n[tui]\n");
}

#[test]
fn comments_above_a_removed_model_provider_stay_in_the_file() {
    let text = "# route through the router\nmodel_provider = \"codex-router\"\nmodel = \"x\"\n";
    assert_eq!(
        unbind_surgical(text, None).unwrap(),
        "# route through the router\nmodel = \"x\"\n"
    );
}

#[test]
fn a_file_without_binding_comes_back_byte_for_byte() {
    let text = "a = 1\n[t]\nb = 2"; // no final newline: would gain one through toml_edit
    assert_eq!(unbind_surgical(text, Some("openai")).unwrap(), text);
    assert!(strip_binding(text).unwrap().found.is_empty());
}

#[test]
fn inline_and_dotted_provider_forms_are_handled() {
    let inline = "model_providers = { ollama = { name = \"Ollama\" } }\n";
    let bound = bind(inline, &spec()).unwrap();
    let doc = parsed(&bound);
    assert_eq!(doc["model_providers"]["ollama"]["name"].as_str(), Some("Ollama"));
    assert!(inspect(&bound).unwrap().bound);

    let dotted = "model_providers.codex-router.name = \"old\"\nmodel_providers.ollama.name = \"Ollama\"\n";
    let bound = bind(dotted, &spec()).unwrap();
    let doc = parsed(&bound);
    assert_eq!(
        doc["model_providers"]["codex-router"]["name"].as_str(),
        Some("codex-router")
    );
    assert_eq!(doc["model_providers"]["ollama"]["name"].as_str(), Some("Ollama"));
    let unbound = unbind_surgical(&bound, None).unwrap();
    assert_eq!(unbound, "model_providers.ollama.name = \"Ollama\"\n");
}

#[test]
fn keys_of_the_wrong_type_are_refused_not_guessed() {
    assert!(matches!(
        bind("model_provider = 3\n", &spec()),
        Err(BindError::UnexpectedShape {
            key: "model_provider",
            ..
        })
    ));
    assert!(matches!(
        bind("model_providers = \"x\"\n", &spec()),
        Err(BindError::UnexpectedShape {
            key: "model_providers",
            ..
        })
    ));
}

#[test]
fn malformed_toml_is_an_error_that_shows_no_content() {
    let text = format!("experimental_bearer_token = \"{KEY}\"\n[broken\n");
    let err = unbind_surgical(&text, None).unwrap_err();
    assert!(matches!(err, BindError::Toml(ref p) if p.line == 2), "{err:?}");
    assert!(!err.to_string().contains(KEY) && !format!("{err:?}").contains(KEY));
}

#[test]
fn the_client_key_is_never_in_debug_output() {
    assert!(!format!("{:?}", spec()).contains(KEY));
    let binding = inspect(&bind("", &spec()).unwrap()).unwrap();
    assert!(!format!("{binding:?}").contains(KEY));
}
