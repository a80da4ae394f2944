use std::path::Path;

use super::*;

#[test]
fn fnv1a64_matches_the_published_test_vectors() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
}

#[test]
fn pipe_name_carries_user_and_a_stable_hash() {
    let name = pipe_name(
        r"C:\Users\John Smith\AppData\Local\codex-router\run\codexctl.sock",
        "John Smith",
    );
    let expected_hash = fnv1a64(br"c:\users\john smith\appdata\local\codex-router\run\codexctl.sock") >> 16;
    assert_eq!(
        name,
        format!(r"\\.\pipe\codex-router-john_smith-{expected_hash:012x}")
    );
    assert!(name.starts_with(r"\\.\pipe\codex-router-john_smith-"));
    assert_eq!(name.len(), r"\\.\pipe\codex-router-john_smith-".len() + 12);
}

#[test]
fn pipe_name_ignores_case_and_separator_differences() {
    let a = pipe_name(r"C:\Users\Me\codex-router\run\codexctl.sock", "me");
    let b = pipe_name("c:/users/me/codex-router/run/codexctl.sock", "ME");
    assert_eq!(a, b);
}

#[test]
fn different_homes_and_users_get_different_pipes() {
    let home_a = pipe_name(r"C:\a\run\codexctl.sock", "me");
    let home_b = pipe_name(r"C:\b\run\codexctl.sock", "me");
    let other_user = pipe_name(r"C:\a\run\codexctl.sock", "you");
    assert_ne!(home_a, home_b);
    assert_ne!(home_a, other_user);
}

#[test]
fn hostile_user_names_are_sanitised() {
    assert_eq!(sanitise_user(r"DOMAIN\Jöhn&%"), "domain_j_hn__");
    assert_eq!(sanitise_user(""), "user");
    assert_eq!(sanitise_user(&"x".repeat(300)).len(), 64);
    let name = pipe_name("/p", "a\\b/c\"d");
    assert!(name.starts_with(r"\\.\pipe\codex-router-a_b_c_d-"), "{name}");
}

#[test]
fn endpoint_follows_the_platform() {
    let path = Path::new("/home/me/.local/share/codex-router/run/codexctl.sock");
    let endpoint = endpoint_name(path, "me");
    if cfg!(windows) {
        assert_eq!(endpoint, Endpoint::Pipe(pipe_name(&path.to_string_lossy(), "me")));
    } else {
        assert_eq!(endpoint, Endpoint::Path(path.to_path_buf()));
        assert_eq!(endpoint.to_string(), path.display().to_string());
    }
}
