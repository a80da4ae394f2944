use codex_router_service::fake::FakeServiceManager;
use codex_router_service::{Availability, ManagerKind};

use super::*;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The environment, as a closure that owns what it needs (`Ctx` wants a `'static` one).
    fn getter(&self) -> impl Fn(&str) -> Option<String> + 'static {
        let root = self.dir.path().to_owned();
        move |key: &str| match key {
            "CODEX_ROUTER_HOME" => Some(root.join("router").display().to_string()),
            "CODEX_HOME" => Some(root.join("codex").display().to_string()),
            "HOME" => Some(root.display().to_string()),
            "USER" => Some("j".to_owned()),
            _ => None,
        }
    }

    fn spec(&self) -> ServiceSpec {
        let root = self.dir.path();
        ServiceSpec {
            daemon_exe: root.join("bin").join("codex-routerd"),
            router_home: root.join("router"),
            codex_home: root.join("codex"),
            log_dir: root.join("router").join("logs"),
            user: "j".to_owned(),
        }
    }
}

fn options(dry_run: bool, linger: Choice) -> Options {
    Options { dry_run, linger }
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_asks_nothing() {
    let env = Env::new();
    let get = env.getter();
    let ctx = Ctx::new(/*json*/ true, &get).unwrap();
    let fake = FakeServiceManager::available();
    let report = install_with(&ctx, &fake, &env.spec(), &options(true, Choice::Ask))
        .await
        .unwrap();
    assert!(report.dry_run);
    let state = fake.snapshot();
    assert!(!state.installed);
    assert_eq!(state.calls, vec!["install --dry-run"]);
}

#[tokio::test]
async fn install_with_linger_runs_both_and_no_linger_only_installs() {
    let env = Env::new();
    let get = env.getter();
    let ctx = Ctx::new(true, &get).unwrap();
    let fake = FakeServiceManager::available();
    install_with(&ctx, &fake, &env.spec(), &options(false, Choice::Yes))
        .await
        .unwrap();
    let state = fake.snapshot();
    assert!(state.installed && state.active);
    if Platform::current() == Platform::Linux {
        assert_eq!(state.calls, vec!["install", "enable_linger"]);
        assert_eq!(state.linger, Some(true));
    } else {
        assert_eq!(state.calls, vec!["install"], "lingering is a Linux notion");
    }

    let fake = FakeServiceManager::available();
    install_with(&ctx, &fake, &env.spec(), &options(false, Choice::No))
        .await
        .unwrap();
    assert_eq!(fake.snapshot().calls, vec!["install"]);
}

#[tokio::test]
async fn without_a_service_manager_install_refuses_before_touching_anything() {
    let env = Env::new();
    let get = env.getter();
    let ctx = Ctx::new(true, &get).unwrap();
    let fake = FakeServiceManager::new(Availability::Unavailable {
        kind: ManagerKind::SystemdUser,
        reason: "no user bus".into(),
        advice: "run `codexctl daemon start` from ~/.profile".into(),
    });
    let err = install_with(&ctx, &fake, &env.spec(), &options(false, Choice::Yes))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no user bus") && err.contains("~/.profile"), "{err}");
    assert!(fake.snapshot().calls.is_empty(), "nothing was attempted");
    assert!(!env.dir.path().join("router").exists(), "nothing was created");
}
