//! No token, client key or email in any log line or response header (SPEC §5). Its own test
//! binary, because it installs the process-wide subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use codex_router_core::pool::Strategy;
use codex_router_test_support::{Behavior, RefreshBehavior, bodies};
use common::{KEY, Reply, Router, Setup, Streamed, user, within};
use parking_lot::Mutex;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

fn tokens_of(file: &codex_router_store::AccountsFile) -> Vec<String> {
    file.accounts
        .iter()
        .flat_map(|a| {
            let t = &a.tokens;
            let mut v = vec![
                t.access_token.expose().to_owned(),
                t.refresh_token.expose().to_owned(),
            ];
            v.extend(t.id_token.as_ref().map(|i| i.expose().to_owned()));
            v
        })
        .collect()
}

/// Every secret, plus the JWTs' payload and signature segments on their own (a log line that
/// printed half a token would still leak it).
fn needles(secrets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        out.push(s.clone());
        out.extend(s.split('.').filter(|seg| seg.len() >= 16).map(str::to_owned));
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_email_in_logs_or_response_headers() {
    // No account email in response headers, and the client key masked in logs.
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mut setup = Setup::new(4).strategy(Strategy::FillFirst);
    setup.proxy.idle_timeout = Duration::from_millis(300);
    let r = Router::start(setup).await;
    let initial = r.stored_accounts();
    let mut replies: Vec<Reply> = Vec::new();

    // A refresh on a 401 (tokens and refresh tokens rotate).
    r.fake.expire_access_tokens("acct-0");
    replies.push(r.turn("s1", vec![user("refresh")]).await);
    assert_eq!(replies.last().unwrap().status, 200);
    // A failover on a 5xx, and one on a usage limit that names no reset (usage probe).
    r.fake.script("acct-0", Behavior::server_error(500));
    replies.push(r.anonymous().await);
    r.fake.script(
        "acct-1",
        Behavior::UsageLimit {
            resets_in_seconds: None,
            resets_at: None,
            plan_type: None,
        },
    );
    replies.push(r.anonymous().await);
    // A permanent refresh failure, and a refresh whose connection drops.
    r.fake.expire_access_tokens("acct-2");
    r.fake.script_refresh(RefreshBehavior::Status(
        400,
        bodies::invalid_grant("The refresh token is invalid."),
    ));
    r.fake.expire_access_tokens("acct-3");
    r.fake.script_refresh(RefreshBehavior::DropConnection);
    replies.push(r.anonymous().await);
    // A token invalidated upstream.
    r.clock.advance(Duration::from_secs(10));
    r.fake.script("acct-0", Behavior::token_invalidated());
    replies.push(r.anonymous().await);
    // A stream that breaks after output.
    r.clock.advance(Duration::from_secs(3600));
    r.fake.script("acct-3", Behavior::StallAfterEvents(4));
    let resp = r.open_turn("s2", vec![user("stall")]).await;
    let head = Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: String::new(),
    };
    assert!(within("broken stream", 5, Streamed::read(resp)).await.broken);
    replies.push(head);
    // Exhaustion: everyone rate limited.
    for i in 0..4 {
        r.fake
            .script_always(&format!("acct-{i}"), Behavior::usage_limit_in(7200));
    }
    r.clock.advance(Duration::from_secs(10));
    replies.push(r.turn("s3", vec![user("exhausted")]).await);
    replies.push(r.turn("s3", vec![user("exhausted")]).await);
    // Refused client keys, in every form.
    for (name, value) in [
        ("authorization", "Bearer nope"),
        ("x-api-key", "nope"),
        ("x-codex-router-key", "nope"),
    ] {
        let resp = r
            .client
            .post(r.url("/v1/responses"))
            .header(name, value)
            .body("{}")
            .send()
            .await
            .unwrap();
        replies.push(Reply::read(resp).await);
    }
    let metrics = r
        .client
        .get(r.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    replies.push(Reply::read(metrics).await);

    // Collect every secret that existed during the run.
    let mut secrets = tokens_of(&initial);
    secrets.extend(tokens_of(&r.stored_accounts()));
    for q in r.fake.requests() {
        if let Some(bearer) = q.header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
            secrets.push(bearer.to_owned());
        }
    }
    for q in r.fake.issuer_requests() {
        secrets.extend(q.param("refresh_token"));
    }
    secrets.push(KEY.to_owned());
    let secrets = needles(&secrets);
    assert!(
        secrets.len() > 20,
        "the scenarios rotated tokens: {}",
        secrets.len()
    );
    let emails: Vec<String> = (0..4).map(|i| format!("acct-{i}@example.test")).collect();

    let text = String::from_utf8(logs.0.lock().clone()).unwrap();
    // The capture works, and the scenarios above really ran.
    for expected in [
        "token refreshed",
        "refresh refused for good",
        "token refresh failed",
        "pool exhausted",
        "upstream stream broke",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} line in the captured logs"
        );
    }
    let product_lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("codex_router_test_support"))
        .collect();
    for line in &product_lines {
        for s in secrets.iter().chain(&emails) {
            assert!(
                !line.contains(s.as_str()),
                "a secret or email in a log line: {line}"
            );
        }
    }
    for reply in &replies {
        for (name, value) in &reply.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            for s in secrets.iter().chain(&emails) {
                assert!(
                    !value.contains(s.as_str()),
                    "a secret or email in response header {name}"
                );
            }
        }
        // The router's own answers (errors, metrics) never carry them either.
        if reply.status != 200
            || reply
                .headers
                .get("content-type")
                .is_some_and(|v| v != "text/event-stream")
        {
            for s in secrets.iter().chain(&emails) {
                assert!(
                    !reply.body.contains(s.as_str()),
                    "a secret or email in a {} body",
                    reply.status
                );
            }
        }
    }
    // Debug output of the state handles and snapshots is safe to log, too.
    let debug = format!(
        "{:?} {:?} {:?}",
        r.runtime.accounts(),
        r.status(),
        r.fake.requests()
    );
    for s in secrets.iter().chain(&emails) {
        assert!(!debug.contains(s.as_str()), "a secret or email in Debug output");
    }
    std::io::stdout().flush().unwrap();
}
