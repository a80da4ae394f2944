use codex_router_core::Secret;

use super::*;
use crate::edit::bind;
use crate::provider::BindSpec;

fn bound(port: u16, key: &str) -> String {
    let spec = BindSpec {
        port,
        client_key: Secret::new(key),
        remote_compaction: false,
        mode: crate::provider::BindMode::Provider,
    };
    bind("profile = \"dev\"\n", &spec).unwrap()
}

#[test]
fn a_bound_file_reads_as_bound_with_its_port_and_key() {
    let binding = inspect(&bound(2456, "abc")).unwrap();
    assert!(binding.bound && binding.provider_table && binding.carries_binding());
    assert_eq!(binding.port, Some(2456));
    assert_eq!(binding.model_provider.as_deref(), Some("codex-router"));
    assert!(binding.key_matches(&Secret::new("abc")));
    assert!(!binding.key_matches(&Secret::new("abd")));
    assert!(!binding.key_matches(&Secret::new("ab")));
    assert!(!binding.remote_compaction && !binding.ancestor_binding);
}

#[test]
fn an_unbound_file_reads_as_unbound() {
    let binding = inspect("model = \"x\"\n").unwrap();
    assert!(!binding.bound && !binding.carries_binding());
    assert_eq!(binding.port, None);
    assert!(!binding.key_matches(&Secret::new("")));
}

#[test]
fn a_table_without_the_top_level_key_is_not_bound() {
    let text = bound(2456, "abc").replace("model_provider = \"codex-router\"\n", "");
    let binding = inspect(&text).unwrap();
    assert!(!binding.bound && binding.provider_table && binding.carries_binding());
}

#[test]
fn the_ancestors_binding_is_recognised() {
    let binding = inspect("model_provider = \"codex-multi-auth-runtime-proxy\"\n").unwrap();
    assert!(binding.ancestor_binding && binding.carries_binding() && !binding.bound);
}

#[test]
fn profiles_with_their_own_provider_are_listed() {
    let text = format!(
        "{}\n[profiles.dev]\nmodel_provider = \"openai\"\n\n[profiles.ok]\nmodel_provider = \"codex-router\"\n\n\
         [profiles.plain]\nmodel = \"o3\"\n\n[[profiles.arr]]\nmodel_provider = \"azure\"\n",
        bound(2456, "abc")
    );
    let binding = inspect(&text).unwrap();
    assert_eq!(binding.has_profiles_overriding, vec!["dev", "arr"]);
    assert_eq!(binding.active_profile.as_deref(), Some("dev"));
    assert!(binding.active_profile_bypasses());
}

#[test]
fn ports_are_read_from_urls() {
    assert_eq!(port_of("http://127.0.0.1:2456/backend-api/codex"), Some(2456));
    assert_eq!(port_of("http://[::1]:80/x"), Some(80));
    assert_eq!(port_of("http://localhost/x"), None);
    assert_eq!(port_of("http://[::1]/x"), None);
    assert_eq!(port_of("http://127.0.0.1:0/x"), None);
    assert_eq!(port_of("http://127.0.0.1:70000/x"), None);
}
