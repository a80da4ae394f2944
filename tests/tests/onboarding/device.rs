//! The device-code login: pending answers, then the account; an expired code is a clear error.
//! `CODEXCTL_DEVICE_POLL_MS` replaces the issuer's poll interval (a whole second at the fake) so
//! pending answers cost no wall time.

use codex_router_e2e::{Home, STEP, Upstream};
use codex_router_test_support::FakeAccount;

use crate::{assert_no_secrets, listed, no_reuse, show, start_daemon, stdout, stop_daemon, stored};

fn device_home(upstream: &Upstream) -> Home {
    upstream
        .fake
        .set_login_identity(FakeAccount::new("ws-device", "plus"));
    let mut home = Home::with_fake(upstream);
    home.set_env("CODEXCTL_DEVICE_POLL_MS", "10");
    home
}

#[test]
fn pending_pending_success_adds_the_account_through_the_daemon() {
    let upstream = Upstream::start();
    let home = device_home(&upstream);
    upstream.fake.set_device_pending(2);
    start_daemon(&home);
    let out = home.run_ctl(&["accounts", "login", "--device", "--label", "dev-box"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    // The prompt: where to go and what to type, each on a line of its own.
    let issuer = upstream.fake.issuer_url();
    assert!(text.contains(&format!("    {issuer}/codex/device\n")), "{text}");
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("code: ")),
        "{text}"
    );
    assert!(text.contains("added account dev-box (plan plus)"), "{text}");
    // stdout is not a terminal: no spinner frames, carriage returns or escape codes.
    assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    assert_no_secrets(&text);
    assert_eq!(upstream.fake.device_polls(), 3, "pending, pending, success");
    let rows = listed(&home);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["label"], "dev-box");
    assert_eq!(rows[0]["source"], "login");
    stop_daemon(&home);
    assert_eq!(stored(&home)["accounts"][0]["chatgpt_account_id"], "ws-device");
    no_reuse(&upstream);
}

#[test]
fn an_expired_device_code_is_a_clear_error_and_adds_nothing() {
    let upstream = Upstream::start();
    let home = device_home(&upstream);
    upstream.fake.set_device_pending(usize::MAX);
    let ctl = home.spawn_ctl(&["accounts", "login", "--device"]);
    ctl.wait_for_stdout("code: ", STEP)
        .expect("codexctl showed no user code");
    upstream.fake.expire_device_code();
    let (status, out, err) = ctl.finish(STEP);
    assert_eq!(status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("the device code expired before the sign-in was completed; start the login again"),
        "{err}"
    );
    assert!(err.contains("nothing was added"), "{err}");
    assert!(!home.paths.accounts.exists(), "nothing written");
    no_reuse(&upstream);
}
