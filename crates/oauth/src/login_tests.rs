use super::*;

fn pkce() -> Pkce {
    Pkce::from_verifier(Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
}

#[test]
fn authorize_url_carries_every_parameter_codex_sends() {
    let url = authorize_url(
        "https://auth.openai.com/",
        "app_EMoamEEZ73f0CkXaXp7hrann",
        "http://localhost:1455/auth/callback",
        &pkce(),
        "st&te=1 2+3",
    );
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        parsed.as_str().split('?').next(),
        Some("https://auth.openai.com/oauth/authorize")
    );
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let want = [
        ("response_type", "code"),
        ("client_id", "app_EMoamEEZ73f0CkXaXp7hrann"),
        ("redirect_uri", "http://localhost:1455/auth/callback"),
        ("scope", "openid profile email offline_access"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", "st&te=1 2+3"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    assert_eq!(pairs, want);
    // Spaces as %20 (like Codex), reserved characters escaped.
    assert!(
        url.contains("scope=openid%20profile%20email%20offline_access"),
        "{url}"
    );
    assert!(
        url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"),
        "{url}"
    );
    assert!(url.contains("state=st%26te%3D1%202%2B3"), "{url}");
    assert!(!url.contains("dBjftJeZ"), "the verifier never leaves the process");
}

#[test]
fn redirect_gives_the_code_when_the_state_matches() {
    let full = "http://localhost:1455/auth/callback?code=ac_123&scope=openid&state=s1";
    assert_eq!(parse_redirect(full, "s1"), Ok("ac_123".into()));
    // Pasted with whitespace, as a bare query, or as a path with a query.
    assert_eq!(parse_redirect("  code=ac_1&state=s1\n", "s1"), Ok("ac_1".into()));
    assert_eq!(
        parse_redirect("/auth/callback?state=s1&code=ac%2F2#frag", "s1"),
        Ok("ac/2".into())
    );
}

#[test]
fn redirect_with_another_state_is_refused_whatever_it_carries() {
    let cases = [
        "http://localhost:1455/auth/callback?code=ac&state=other",
        "http://localhost:1455/auth/callback?code=ac",
        "http://localhost:1455/auth/callback?code=ac&state=",
        "http://localhost:1455/auth/callback?error=access_denied",
    ];
    for url in cases {
        assert_eq!(parse_redirect(url, "s1"), Err(LoginError::StateMismatch), "{url}");
    }
    assert_eq!(
        parse_redirect("?code=ac&state=", ""),
        Err(LoginError::StateMismatch)
    );
}

#[test]
fn redirect_error_is_reported_with_its_description() {
    let url =
        "http://localhost:1455/auth/callback?error=access_denied&error_description=User+said+no&state=s1";
    let err = parse_redirect(url, "s1").unwrap_err();
    assert_eq!(
        err,
        LoginError::Denied {
            error: "access_denied".into(),
            description: Some("User said no".into())
        }
    );
    assert_eq!(
        err.to_string(),
        "the sign-in was refused (access_denied): User said no"
    );
    let bare = parse_redirect("?error=server_error&state=s1", "s1").unwrap_err();
    assert_eq!(bare.to_string(), "the sign-in was refused (server_error)");
}

#[test]
fn text_that_is_not_a_redirect_is_invalid() {
    for text in [
        "",
        "hello",
        "http://localhost:1455/auth/callback",
        "https://example.com/?foo=bar",
    ] {
        assert_eq!(
            parse_redirect(text, "s1"),
            Err(LoginError::InvalidRedirect),
            "{text:?}"
        );
    }
    assert_eq!(parse_redirect("?state=s1", "s1"), Err(LoginError::MissingCode));
    assert_eq!(
        parse_redirect("?state=s1&code=", "s1"),
        Err(LoginError::MissingCode)
    );
}

#[test]
fn issuer_failure_scrubs_what_was_presented() {
    let body = br#"{"error":"invalid_grant","error_description":"code ac_secret is spent"}"#;
    let err = issuer_failure(400, body, &["ac_secret", "verifier"]);
    assert_eq!(
        err,
        LoginError::Issuer {
            status: 400,
            code: Some("invalid_grant".into()),
            message: "code <redacted> is spent".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the issuer answered HTTP 400 (invalid_grant): code <redacted> is spent"
    );
}
