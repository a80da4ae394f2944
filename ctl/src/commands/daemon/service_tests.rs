//! `daemon start|stop` go through the service manager when the service is installed (SPEC §9),
//! driven here with the in-memory `FakeServiceManager` on a temporary router home.

use codex_router_service::ServiceManager;
use codex_router_service::fake::FakeServiceManager;

use super::{start, stop};
use crate::ctx::Ctx;

fn env(root: &std::path::Path) -> impl Fn(&str) -> Option<String> + 'static {
    let root = root.to_owned();
    move |key: &str| match key {
        "CODEX_ROUTER_HOME" => Some(root.join("router").display().to_string()),
        "CODEX_HOME" => Some(root.join("codex").display().to_string()),
        "HOME" => Some(root.display().to_string()),
        // Nothing answers in this test: give up at once instead of after 10 s.
        "CODEXCTL_START_TIMEOUT_MS" => Some("50".to_owned()),
        "CODEXCTL_STOP_GRACE_MS" => Some("50".to_owned()),
        _ => None,
    }
}

fn installed(active: bool) -> FakeServiceManager {
    let fake = FakeServiceManager::available();
    {
        let mut s = fake.state.lock().unwrap();
        s.installed = true;
        s.active = active;
    }
    fake
}

#[tokio::test]
async fn start_asks_the_installed_service_and_waits_for_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let get = env(dir.path());
    let ctx = Ctx::new(true, &get).unwrap();
    let fake = installed(false);
    let err = start::ensure_running_with(&ctx, &fake).await.unwrap_err();
    // The fake starts nothing, so no daemon answers; what matters is who was asked.
    assert_eq!(fake.snapshot().calls, vec!["start"]);
    let text = format!("{err:#}");
    assert!(
        text.contains("started the codex-router service") && text.contains("did not answer"),
        "{text}"
    );
}

#[tokio::test]
async fn stop_goes_through_the_service_only_when_it_runs_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let get = env(dir.path());
    let ctx = Ctx::new(true, &get).unwrap();

    let fake = installed(true);
    let stopped = stop::stop_daemon_with(&ctx, &fake).await.unwrap();
    assert!(stopped.via_service);
    assert_eq!(fake.snapshot().calls, vec!["stop"]);
    assert!(!fake.status().active);

    // Installed but not running: nothing to ask the manager; no detached daemon either.
    let fake = installed(false);
    let stopped = stop::stop_daemon_with(&ctx, &fake).await.unwrap();
    assert!(!stopped.via_service && stopped.pid.is_none());
    assert!(fake.snapshot().calls.is_empty());
    assert_eq!(stopped.to_json()["running"], false);
}
