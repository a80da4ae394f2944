use codex_router_service::fake::FakeServiceManager;
use codex_router_service::{Availability, ManagerKind};

use super::*;
use crate::Status;

const T: Timestamp = Timestamp::from_unix_secs(1_789_000_000);

#[test]
fn clock_behind_install_or_behind_a_file_fails() {
    let hour = Duration::from_secs(3600);
    assert_eq!(
        clock_verdict(T, Some(T.minus(hour)), Some(("f".into(), T))).status,
        Status::Ok
    );
    // A dead RTC battery: years before the install.
    let c = clock_verdict(Timestamp::from_unix_secs(946_684_800), Some(T), None);
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.detail.contains("earlier than this codexctl was installed"),
        "{c:?}"
    );
    // The clock jumped back an hour since the daemon wrote state.json.
    let c = clock_verdict(T, None, Some(("state.json".into(), T.plus(hour))));
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.detail.contains("state.json") && c.detail.contains("backwards"),
        "{c:?}"
    );
    // A few seconds of skew are tolerated.
    assert_eq!(
        clock_verdict(T, None, Some(("f".into(), T.plus(Duration::from_secs(30))))).status,
        Status::Ok
    );
}

#[test]
fn no_proxy_must_cover_both_loopback_names() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    };
    assert_eq!(proxy_verdict(&env(&[])).status, Status::Ok);
    let c = proxy_verdict(&env(&[("HTTPS_PROXY", "http://proxy:3128")]));
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.contains("127.0.0.1 and localhost"), "{c:?}");
    assert!(c.fix.unwrap().contains("NO_PROXY=127.0.0.1,localhost"));
    let c = proxy_verdict(&env(&[
        ("http_proxy", "http://p"),
        ("no_proxy", "localhost,.corp"),
    ]));
    assert!(
        c.status == Status::Fail && c.detail.contains("cover 127.0.0.1:"),
        "{c:?}"
    );
    for ok in [
        "127.0.0.1,localhost",
        "*",
        " LOCALHOST , 127.0.0.0/8 ",
        ".localhost,127.0.0.1:2456",
    ] {
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(Box::new([("HTTPS_PROXY", "http://p"), ("NO_PROXY", ok)]));
        assert_eq!(proxy_verdict(&env(pairs)).status, Status::Ok, "{ok}");
    }
    assert!(!covers("10.0.0.0/8", "127.0.0.1"));
}

#[test]
fn service_checks_follow_the_fake_manager() {
    // No service manager (a container): skipped with the reason, never failed.
    let none = FakeServiceManager::new(Availability::Unavailable {
        kind: ManagerKind::SystemdUser,
        reason: "no user bus".into(),
        advice: "run `codexctl daemon start` at login".into(),
    });
    let c = service(&none);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].status, Status::Skip);
    assert!(c[0].detail.contains("no user bus"), "{c:?}");

    let m = FakeServiceManager::available();
    assert_eq!(service(&m)[0].status, Status::Warn, "not installed");

    let m = FakeServiceManager::available();
    {
        let mut s = m.state.lock().unwrap();
        s.installed = true;
        s.active = false;
        s.linger = Some(false);
    }
    let c = service(&m);
    assert_eq!(c[0].status, Status::Fail, "installed but stopped");
    assert_eq!(c[0].fix.as_deref(), Some("run `codexctl daemon start`"));
    if Platform::current() == Platform::Linux {
        assert_eq!(c[1].id, "linger");
        assert_eq!(c[1].status, Status::Warn);
    }
}
