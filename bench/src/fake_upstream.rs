//! `codex-router-bench fake-upstream`: the test-support `FakeBackend` in a process of its own, so the
//! proxy under test competes with it for the CPU exactly as it would with a real upstream's network
//! stack, and the harness's own allocations never show up in either.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use codex_router_test_support::{Behavior, FakeAccount, FakeBackend, StreamConfig, bodies};
use tokio::io::AsyncBufReadExt as _;

use crate::cli::{FakeArgs, LimitKind};
use crate::wire::{Ack, CMD_COUNTS, CMD_LIMIT_ONCE, CMD_QUIT, Counts, Hello, HelloAccount};

/// Account ids are also router labels, so they must stay within `[A-Za-z0-9._-]`.
pub fn account_id(i: usize) -> String {
    format!("bench-a{i}")
}

const PLAN: &str = "plus";

pub fn run(args: &FakeArgs) -> anyhow::Result<()> {
    raise_nofile();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    rt.block_on(serve(args))
}

/// Thousands of concurrent streams need more than the usual 1024 descriptors.
pub fn raise_nofile() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("codex-router-bench: could not raise the open-files limit: {e}");
    }
}

async fn serve(args: &FakeArgs) -> anyhow::Result<()> {
    let fake = FakeBackend::try_start()
        .await
        .context("binding the fake upstream")?;
    fake.set_stream(StreamConfig {
        deltas: args.deltas,
        delay: Duration::from_millis(args.delay_ms),
        ..StreamConfig::default()
    });
    let ttl = if args.expired { -60 } else { 3600 };
    let accounts = (0..args.accounts)
        .map(|i| {
            let id = account_id(i);
            let t = fake.add_account(FakeAccount::new(&id, PLAN).with_ttl(ttl));
            HelloAccount {
                id,
                plan_type: PLAN.to_owned(),
                access_token: t.access_token,
                refresh_token: t.refresh_token,
                id_token: t.id_token,
                expires_at_unix: t.expires_at_unix,
            }
        })
        .collect::<Vec<_>>();
    if let Some(i) = args.limit_account {
        let id = accounts
            .get(i)
            .map(|a| a.id.clone())
            .context("--limit-account is out of range")?;
        fake.script_always(&id, limit_behavior(&args.limit));
    }
    let hello = Hello {
        addr: fake.addr(),
        base_url: fake.base_url(),
        issuer_url: fake.issuer_url(),
        accounts,
    };
    print_line(&serde_json::to_string(&hello).context("encoding the hello line")?)?;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.context("reading stdin")? {
        match line.trim() {
            CMD_COUNTS => {
                let counts = counts(&fake, &hello.accounts);
                print_line(&serde_json::to_string(&counts).context("encoding counts")?)?;
            }
            CMD_QUIT => break,
            "" => {}
            other => match other.strip_prefix(CMD_LIMIT_ONCE) {
                Some(arg) => {
                    let ack = limit_once(&fake, &hello.accounts, arg.trim());
                    print_line(&serde_json::to_string(&ack).context("encoding the ack")?)?;
                }
                None => anyhow::bail!(
                    "unknown command {other:?} (expected `{CMD_COUNTS}`, `{CMD_LIMIT_ONCE} <index>` or `{CMD_QUIT}`)"
                ),
            },
        }
    }
    Ok(())
}

/// `limit-once <index>`: the account's next request answers a usage limit (an hour away), once. A
/// WebSocket `response.create` gets it as the wrapped 429 error event, which is what makes the router
/// move a live conversation to another account.
fn limit_once(fake: &FakeBackend, accounts: &[HelloAccount], arg: &str) -> Ack {
    match arg.parse::<usize>().ok().and_then(|i| accounts.get(i)) {
        Some(a) => {
            fake.script(&a.id, Behavior::usage_limit_in(3600));
            Ack {
                ok: true,
                error: None,
            }
        }
        None => Ack {
            ok: false,
            error: Some(format!(
                "no account at index {arg:?} (there are {})",
                accounts.len()
            )),
        },
    }
}

fn limit_behavior(kind: &LimitKind) -> Behavior {
    match kind {
        LimitKind::Short => Behavior::Http {
            status: 429,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("retry-after-ms".to_owned(), "0".to_owned()),
            ],
            body: bodies::rate_limit_exceeded(),
        },
        LimitKind::Usage(secs) => Behavior::usage_limit_in(*secs),
    }
}

fn counts(fake: &FakeBackend, accounts: &[HelloAccount]) -> Counts {
    let frames = fake.ws_frames();
    let mut refresh_by_account = std::collections::BTreeMap::new();
    for r in fake.issuer_requests().iter().filter(|r| r.path == "/oauth/token") {
        let who = r.account.clone().unwrap_or_else(|| "unknown".to_owned());
        *refresh_by_account.entry(who).or_insert(0) += 1;
    }
    Counts {
        refresh_by_account,
        refresh_calls: fake.refresh_calls(),
        refresh_reuse: fake.refresh_reuse_count(),
        responses_calls: accounts
            .iter()
            .map(|a| (a.id.clone(), fake.responses_calls(&a.id)))
            .collect(),
        usage_calls: accounts
            .iter()
            .map(|a| (a.id.clone(), fake.usage_calls(&a.id)))
            .collect(),
        active: fake.active_responses(),
        http_body_bytes: fake
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/codex/responses"))
            .map(|r| r.body.len() as u64)
            .sum(),
        ws_frame_bytes: frames.iter().map(|f| f.len as u64).sum(),
        ws_frames: frames.len(),
        ws_incremental: frames.iter().filter(|f| f.incremental).count(),
    }
}

fn print_line(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("writing stdout")?;
    out.flush().context("flushing stdout")
}
