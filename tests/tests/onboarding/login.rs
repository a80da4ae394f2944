//! The browser (PKCE) login with `--no-browser`, the redirect URL piped on stdin,
//! with the daemon running and with it down. The browser is played by reqwest: GET the authorize
//! URL codexctl printed, without following the redirect, and paste its `Location`.

use std::process::ExitStatus;

use codex_router_e2e::{Home, STEP, Upstream};
use codex_router_test_support::{FakeAccount, decode_jwt_claims};
use serde_json::Value;

use crate::{assert_no_secrets, listed, no_reuse, start_daemon, stop_daemon, stored};

/// Runs `accounts login --no-browser`, answers its prompt with the issuer's redirect (its
/// `state` replaced when `forge` is given), and returns how it ended.
fn pasted_login(home: &Home, upstream: &Upstream, forge: Option<&str>) -> (ExitStatus, String, String) {
    let mut ctl = home.spawn_ctl(&["accounts", "login", "--no-browser"]);
    let line = ctl
        .wait_for_stdout("/oauth/authorize?", STEP)
        .expect("codexctl printed no authorize URL");
    let url = line
        .split_whitespace()
        .find(|w| w.contains("/oauth/authorize?"))
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&upstream.fake.issuer_url()),
        "the daemon's issuer: {url}"
    );
    let mut location = upstream.rt.block_on(redirect_location(&url));
    if let Some(state) = forge {
        let (base, _) = location.split_once("&state=").unwrap();
        location = format!("{base}&state={state}");
    }
    ctl.write_line(&location);
    ctl.finish(STEP)
}

/// What the fake issuer redirects the browser to after the (fake) user signed in.
async fn redirect_location(url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let resp = browser.get(url).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://localhost:1455/auth/callback?"),
        "{location}"
    );
    location
}

fn token_exchanges(upstream: &Upstream) -> usize {
    upstream
        .fake
        .issuer_requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

/// The stored account holds tokens the fake issued for `ws-login`: its access token's claims
/// name that workspace, and the issuer accepts its refresh token (exactly once).
fn assert_issued(home: &Home, upstream: &Upstream, account: &Value) {
    assert_eq!(account["source"], "login");
    assert_eq!(account["chatgpt_account_id"], "ws-login");
    assert_eq!(account["plan_type"], "pro");
    let claims = decode_jwt_claims(account["tokens"]["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_account_id"],
        "ws-login"
    );
    let before = upstream.fake.refresh_calls();
    let out = home.run_ctl(&["accounts", "refresh", "pro-1"]);
    assert!(
        out.status.success(),
        "the issuer accepts its refresh token: {}",
        crate::show(&out)
    );
    assert_eq!(upstream.fake.refresh_calls(), before + 1);
}

fn login_upstream() -> Upstream {
    let upstream = Upstream::start();
    upstream
        .fake
        .set_login_identity(FakeAccount::new("ws-login", "pro"));
    upstream
}

#[test]
fn pasted_redirect_login_with_the_daemon_running_adds_the_issued_account() {
    let upstream = login_upstream();
    let home = Home::with_fake(&upstream);
    start_daemon(&home);
    let (status, out, err) = pasted_login(&home, &upstream, None);
    assert!(status.success(), "{out}\n{err}");
    assert!(out.contains("added account pro-1 (plan pro)"), "{out}");
    assert!(
        !out.contains("daemon not running"),
        "went through the daemon: {out}"
    );
    assert_no_secrets(&format!("{out}{err}"));
    let rows = listed(&home);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["label"], "pro-1");
    stop_daemon(&home);
    let account = stored(&home)["accounts"][0].clone();
    start_daemon(&home);
    assert_issued(&home, &upstream, &account);
    no_reuse(&upstream);
}

#[test]
fn pasted_redirect_login_with_the_daemon_down_writes_accounts_json() {
    let upstream = login_upstream();
    let home = Home::with_fake(&upstream);
    let (status, out, err) = pasted_login(&home, &upstream, None);
    assert!(status.success(), "{out}\n{err}");
    assert!(
        out.contains("added account pro-1 (plan pro) (daemon not running: wrote accounts.json)"),
        "{out}"
    );
    let file = stored(&home);
    assert_eq!(file["accounts"].as_array().unwrap().len(), 1, "{file:#}");
    start_daemon(&home);
    assert_issued(&home, &upstream, &file["accounts"][0]);
    no_reuse(&upstream);
}

#[test]
fn a_wrong_state_is_refused_and_adds_nothing_daemon_up_or_down() {
    let upstream = login_upstream();
    let home = Home::with_fake(&upstream);
    for daemon_up in [false, true] {
        if daemon_up {
            start_daemon(&home);
        }
        let (status, out, err) = pasted_login(&home, &upstream, Some("forged"));
        assert_eq!(status.code(), Some(1), "{out}\n{err}");
        assert!(
            err.contains("state mismatch") && err.contains("nothing was added"),
            "{err}"
        );
        assert_eq!(
            token_exchanges(&upstream),
            0,
            "the code of a forged redirect is never exchanged"
        );
    }
    assert!(listed(&home).is_empty());
    stop_daemon(&home);
    assert!(stored(&home)["accounts"].as_array().is_none_or(Vec::is_empty));
    no_reuse(&upstream);
}

#[test]
fn a_login_that_times_out_adds_nothing() {
    let upstream = login_upstream();
    let mut home = Home::with_fake(&upstream);
    home.set_env("CODEXCTL_LOGIN_TIMEOUT_MS", "200");
    // stdin stays open and silent: the user never pastes.
    let ctl = home.spawn_ctl(&["accounts", "login", "--no-browser"]);
    let (status, _, err) = ctl.finish(STEP);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("no sign-in arrived") && err.contains("nothing was added"),
        "{err}"
    );
    assert!(!home.paths.accounts.exists(), "nothing written");
    assert_eq!(token_exchanges(&upstream), 0);
    no_reuse(&upstream);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_login_adds_nothing() {
    use rustix::process::{Pid, Signal, kill_process};
    let upstream = login_upstream();
    let home = Home::with_fake(&upstream);
    let ctl = home.spawn_ctl(&["accounts", "login", "--no-browser"]);
    ctl.wait_for_stdout("/oauth/authorize?", STEP).unwrap();
    // Ctrl-C, as the terminal sends it.
    kill_process(
        Pid::from_raw(i32::try_from(ctl.pid()).unwrap()).unwrap(),
        Signal::INT,
    )
    .unwrap();
    let (status, _, err) = ctl.finish(STEP);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("login cancelled; nothing was added"), "{err}");
    assert!(!home.paths.accounts.exists(), "nothing written");
    no_reuse(&upstream);
}

/// The default browser flow: the callback server on `localhost:1455` catches the redirect. No
/// browser is launched (PATH holds no launcher), so the URL is printed for the user to open.
/// When something else holds port 1455 (a `codex login` in progress) the test cannot run: it
/// fails with that reason, unless the run opts out with `CODEX_ROUTER_SKIP_PORT_1455` (SPEC §10).
#[test]
fn browser_login_catches_the_redirect_on_port_1455() {
    let Ok(probe) = std::net::TcpListener::bind("127.0.0.1:1455") else {
        if std::env::var_os("CODEX_ROUTER_SKIP_PORT_1455").is_some() {
            eprintln!(
                "SKIPPED browser_login_catches_the_redirect_on_port_1455: port 1455 is in use; \
                 opted out with CODEX_ROUTER_SKIP_PORT_1455"
            );
            return;
        }
        panic!(
            "port 1455 is in use here (a `codex login` in progress?): the browser login test cannot \
             run; free the port or set CODEX_ROUTER_SKIP_PORT_1455=1 to skip it explicitly"
        );
    };
    drop(probe);
    let upstream = login_upstream();
    let mut home = Home::with_fake(&upstream);
    let empty = home.root().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    home.set_env("PATH", empty.to_str().unwrap());
    let ctl = home.spawn_ctl(&["accounts", "login", "--label", "laptop"]);
    let line = ctl.wait_for_stdout("/oauth/authorize?", STEP).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.contains("/oauth/authorize?"))
        .unwrap();
    let location = upstream.rt.block_on(redirect_location(url));
    let page = upstream.rt.block_on(async {
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(&location)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    });
    assert_eq!(page.0, reqwest::StatusCode::OK, "{}", page.1);
    assert!(page.1.contains("Signed in"), "{}", page.1);
    let (status, out, err) = ctl.finish(STEP);
    assert!(status.success(), "{out}\n{err}");
    assert!(out.contains("Open this URL in a browser"), "no launcher: {out}");
    assert!(out.contains("added account laptop (plan pro)"), "{out}");
    assert_eq!(stored(&home)["accounts"][0]["label"], "laptop");
    no_reuse(&upstream);
}
