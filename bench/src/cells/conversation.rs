//! The WebSocket conversation cells: what the WebSocket transport saves a Codex conversation.
//!
//! - `ws-conversation` (and `ws-conversation-c4`, the same with a few conversations at once): a
//!   conversation of `steps` steps over WebSocket straight to the fake (`ws-direct`), over WebSocket
//!   through the router (`ws-router`), and over HTTP through the router re-sending the whole history each
//!   step (`http-router`), interleaved like the HTTP cells (fresh processes per repetition, order reversed
//!   every other one). Per step: time to `response.completed` and bytes the client sent; per target: bytes
//!   the fake received (what went upstream).
//! - `ws-failover`: router WebSocket conversations in which the serving account answers one step with a
//!   usage limit (`limit-once` on the fake's stdin), so the router moves that step to another account
//!   with a full re-send; its time is compared with the conversation's normal steps.
//! - `conversation-grows`: one long conversation per target, time and bytes at every step, HTTP against
//!   WebSocket (SPEC §10's "conversation length over HTTP vs WebSocket" curve).
//!
//! Correctness is checked in every mode: every step ended with `response.completed` (any other ending
//! fails the cell), the router's WebSocket path really was incremental upstream, and the failover step
//! really went to another account in full.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::body::thread_id;
use crate::cells::Ctx;
use crate::checks::Check;
use crate::cli::FakeArgs;
use crate::client::Target;
use crate::conv::{Conversation, Step, Transport, tool_output};
use crate::procfs::CpuMeter;
use crate::report::{CellReport, StepStat};
use crate::rig::{Rig, TargetKind};
use crate::stats::{Dist, median, ms};
use crate::wire::Counts;

pub const CONV: &str = "ws-conversation";
pub const CONV_C4: &str = "ws-conversation-c4";
pub const FAILOVER: &str = "ws-failover";
pub const GROW: &str = "conversation-grows";

/// An incremental step's request is one small item plus the request's fixed fields: anything near
/// this size means the router (or the harness) re-sent the history.
pub const INCREMENTAL_MAX_BYTES: usize = 1000;

/// The three ways a conversation reaches the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    WsDirect,
    WsRouter,
    HttpRouter,
}

impl Path {
    pub const ALL: [Path; 3] = [Path::WsDirect, Path::WsRouter, Path::HttpRouter];

    pub fn name(self) -> &'static str {
        match self {
            Path::WsDirect => "ws-direct",
            Path::WsRouter => "ws-router",
            Path::HttpRouter => "http-router",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Path::WsDirect => "ws_direct",
            Path::WsRouter => "ws_router",
            Path::HttpRouter => "http_router",
        }
    }

    fn transport(self) -> Transport {
        match self {
            Path::HttpRouter => Transport::Http,
            _ => Transport::Ws,
        }
    }

    fn kind(self) -> TargetKind {
        match self {
            Path::WsDirect => TargetKind::Direct(0),
            _ => TargetKind::Router,
        }
    }
}

/// One cell's shape.
#[derive(Debug, Clone)]
struct Spec {
    name: &'static str,
    title: String,
    paths: Vec<Path>,
    steps: usize,
    reps: usize,
    concurrency: usize,
    per_worker: usize,
}

pub fn conversation_title(ctx: &Ctx, concurrent: bool) -> String {
    let w = &ctx.plan.ws;
    if concurrent {
        format!(
            "{}-step conversations, {} at once: WebSocket direct, WebSocket and HTTP through the router",
            w.steps, w.concurrency
        )
    } else {
        format!(
            "{}-step conversations one after another: WebSocket direct, WebSocket and HTTP (full history) \
             through the router",
            w.steps
        )
    }
}

pub fn grow_title(ctx: &Ctx) -> String {
    format!(
        "one conversation of {} steps: time and bytes per step, HTTP against WebSocket",
        ctx.plan.ws.grow_steps
    )
}

pub const FAILOVER_TITLE: &str =
    "router WebSocket conversations whose account answers one step with a usage limit (moved in full)";

pub async fn run_conversation(ctx: &mut Ctx, concurrent: bool) -> anyhow::Result<CellReport> {
    let w = ctx.plan.ws.clone();
    let spec = Spec {
        name: if concurrent { CONV_C4 } else { CONV },
        title: conversation_title(ctx, concurrent),
        paths: Path::ALL.to_vec(),
        steps: w.steps,
        reps: w.reps,
        concurrency: if concurrent { w.concurrency } else { 1 },
        per_worker: if concurrent { w.per_worker } else { w.conversations },
    };
    run_paths(ctx, &spec).await
}

pub async fn run_grow(ctx: &mut Ctx) -> anyhow::Result<CellReport> {
    let w = ctx.plan.ws.clone();
    let spec = Spec {
        name: GROW,
        title: grow_title(ctx),
        paths: Path::ALL.to_vec(),
        steps: w.grow_steps,
        reps: w.grow_reps,
        concurrency: 1,
        per_worker: w.grow_conversations,
    };
    run_paths(ctx, &spec).await
}

/// Each path's steps over all repetitions, plus each repetition's summary for pairing.
#[derive(Debug, Default)]
struct PathRuns {
    steps: Vec<Step>,
    reps: Vec<RepSummary>,
}

#[derive(Debug, Clone, Copy)]
struct RepSummary {
    step1_us: f64,
    incremental_us: f64,
    conversations: usize,
    client_bytes: u64,
    upstream_bytes: u64,
    /// Frames the fake received, and those naming a previous response.
    ws_frames: usize,
    ws_incremental: usize,
}

async fn run_paths(ctx: &mut Ctx, spec: &Spec) -> anyhow::Result<CellReport> {
    let mut report = CellReport::new(spec.name, &spec.title);
    report.param("steps", spec.steps);
    report.param("reps", spec.reps);
    report.param("concurrency", spec.concurrency);
    report.param("conversations_per_worker", spec.per_worker);
    report.param("deltas", ctx.plan.deltas);
    let fake = FakeArgs {
        accounts: 2,
        deltas: ctx.plan.deltas,
        ..FakeArgs::default()
    };
    let mut runs: BTreeMap<&'static str, PathRuns> = BTreeMap::new();
    let mut busy = Vec::new();
    for rep in 0..spec.reps {
        ctx.wait_for_quiet().await;
        let mut rig = ctx.rig(&fake, None, false).await?;
        report
            .daemon
            .startup_ms
            .push(rig.daemon.startup.as_secs_f64() * 1000.0);
        let mut paths = spec.paths.clone();
        if rep % 2 == 1 {
            paths.reverse();
        }
        let meter = CpuMeter::start();
        let mut result = Ok(());
        for path in paths {
            match run_path(ctx, &mut rig, spec, path).await {
                Ok((steps, summary)) => {
                    let r = runs.entry(path.name()).or_default();
                    r.steps.extend(steps);
                    r.reps.push(summary);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // These cells are short (a few seconds), so a busy repetition is reported rather than re-run:
        // the reader sees how much of the machine other work took while they ran.
        if let Some(foreign) = meter.foreign_share() {
            busy.push(foreign);
        }
        rig.stop().await;
        result?;
    }
    if !ctx.plan.smoke && busy.iter().any(|&b| b > super::throughput::FOREIGN_LIMIT) {
        let shares: Vec<String> = busy.iter().map(|b| format!("{:.0}%", b * 100.0)).collect();
        report.notes.push(format!(
            "other processes used {} of the machine during the repetitions (not re-run): treat the \
             milliseconds with care; the bytes are exact",
            shares.join(", ")
        ));
    }
    summarise(&mut report, &runs, spec.steps);
    checks_for(ctx, spec, &runs);
    Ok(report)
}

/// A warm-up conversation, then the measured ones; the fake's counts around the measured part give
/// what went upstream.
async fn run_path(
    ctx: &mut Ctx,
    rig: &mut Rig,
    spec: &Spec,
    path: Path,
) -> anyhow::Result<(Vec<Step>, RepSummary)> {
    let target = rig.target(path.kind())?;
    let body = ctx.body.clone();
    let warm_seed = ctx.next_seed();
    conversations(&target, path, &body, warm_seed, 1, 1, spec.steps).await?;
    let before = rig.fake.counts().await?;
    let seed = ctx.next_seed();
    let per_conv = conversations(
        &target,
        path,
        &body,
        seed,
        spec.concurrency,
        spec.per_worker,
        spec.steps,
    )
    .await?;
    let after = rig.fake.counts().await?;
    let steps: Vec<Step> = per_conv.into_iter().flatten().collect();
    let us = |keep: &dyn Fn(&Step) -> bool| {
        Dist::of(steps.iter().filter(|s| keep(s)).map(|s| s.total_us).collect()).p50_us as f64
    };
    let summary = RepSummary {
        step1_us: us(&|s| s.step == 1),
        incremental_us: us(&|s| s.step > 1),
        conversations: spec.concurrency * spec.per_worker,
        client_bytes: steps.iter().map(|s| s.sent_bytes as u64).sum(),
        upstream_bytes: (after.http_body_bytes + after.ws_frame_bytes)
            .saturating_sub(before.http_body_bytes + before.ws_frame_bytes),
        ws_frames: after.ws_frames.saturating_sub(before.ws_frames),
        ws_incremental: after.ws_incremental.saturating_sub(before.ws_incremental),
    };
    Ok((steps, summary))
}

/// `concurrency` workers, each running `per_worker` conversations of `steps` steps one after another.
async fn conversations(
    target: &Arc<Target>,
    path: Path,
    body: &Arc<crate::body::BodyTemplate>,
    seed: u64,
    concurrency: usize,
    per_worker: usize,
    steps: usize,
) -> anyhow::Result<Vec<Vec<Step>>> {
    let handles: Vec<_> = (0..concurrency)
        .map(|w| {
            let (target, body) = (Arc::clone(target), Arc::clone(body));
            tokio::spawn(async move {
                let mut out = Vec::new();
                for c in 0..per_worker {
                    let thread = thread_id(seed << 24 | (w as u64) << 12 | c as u64);
                    out.push(one(&target, path, &body.render(&thread), &thread, steps).await?);
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.extend(h.await.context("a conversation task panicked")??);
    }
    Ok(out)
}

/// One conversation of `steps` steps on a connection of its own.
async fn one(
    target: &Target,
    path: Path,
    body: &[u8],
    thread: &str,
    steps: usize,
) -> anyhow::Result<Vec<Step>> {
    let mut conv = Conversation::open(target, path.transport(), thread, body).await?;
    let mut out = Vec::with_capacity(steps);
    for n in 1..=steps {
        out.push(conv.step(target, thread, tool_output(n)).await?);
    }
    conv.close().await;
    Ok(out)
}

fn summarise(report: &mut CellReport, runs: &BTreeMap<&'static str, PathRuns>, steps: usize) {
    for path in Path::ALL {
        let Some(r) = runs.get(path.name()) else { continue };
        for n in 1..=steps {
            let of_step: Vec<&Step> = r.steps.iter().filter(|s| s.step == n).collect();
            let d = Dist::of(of_step.iter().map(|s| s.total_us).collect());
            report.steps.push(StepStat {
                target: path.name().to_owned(),
                step: n,
                n: d.n,
                time_p50_ms: ms(d.p50_us),
                time_p99_ms: ms(d.p99_us),
                sent_bytes: median(&of_step.iter().map(|s| s.sent_bytes as f64).collect::<Vec<_>>()),
            });
        }
        let k = path.key();
        let d = &mut report.derived;
        let med = |f: &dyn Fn(&RepSummary) -> f64| median(&r.reps.iter().map(f).collect::<Vec<_>>());
        d.insert(format!("{k}_step1_p50_ms"), med(&|x| x.step1_us / 1000.0));
        d.insert(
            format!("{k}_incremental_p50_ms"),
            med(&|x| x.incremental_us / 1000.0),
        );
        d.insert(
            format!("{k}_client_bytes_per_conversation"),
            med(&|x| x.client_bytes as f64 / x.conversations as f64),
        );
        d.insert(
            format!("{k}_upstream_bytes_per_conversation"),
            med(&|x| x.upstream_bytes as f64 / x.conversations as f64),
        );
    }
    let (Some(direct), Some(router)) = (runs.get("ws-direct"), runs.get("ws-router")) else {
        return;
    };
    let paired = |f: &dyn Fn(&RepSummary) -> f64| {
        median(
            &direct
                .reps
                .iter()
                .zip(&router.reps)
                .map(|(a, b)| (f(b) - f(a)) / 1000.0)
                .collect::<Vec<_>>(),
        )
    };
    let (s1, inc) = (paired(&|x| x.step1_us), paired(&|x| x.incremental_us));
    report.derived.insert("ws_router_added_step1_p50_ms".into(), s1);
    report
        .derived
        .insert("ws_router_added_incremental_p50_ms".into(), inc);
    if let Some(http) = runs.get("http-router") {
        let ratio = median(
            &http
                .reps
                .iter()
                .zip(&router.reps)
                .map(|(h, w)| w.upstream_bytes as f64 / h.upstream_bytes as f64)
                .collect::<Vec<_>>(),
        );
        report
            .derived
            .insert("ws_vs_http_upstream_bytes_ratio".into(), ratio);
    }
}

/// The router's WebSocket path must really be incremental, upstream as well as from the client, and
/// the HTTP path must really re-send its history (else the comparison measures nothing).
fn checks_for(ctx: &mut Ctx, spec: &Spec, runs: &BTreeMap<&'static str, PathRuns>) {
    let later = spec.steps.saturating_sub(1);
    for path in [Path::WsDirect, Path::WsRouter] {
        let Some(r) = runs.get(path.name()) else { continue };
        let big: Vec<usize> = r
            .steps
            .iter()
            .filter(|s| s.step > 1 && s.sent_bytes > INCREMENTAL_MAX_BYTES)
            .map(|s| s.sent_bytes)
            .collect();
        let expected: usize = r.reps.iter().map(|x| x.conversations * later).sum();
        let got: usize = r.reps.iter().map(|x| x.ws_incremental).sum();
        let frames: usize = r.reps.iter().map(|x| x.conversations * spec.steps).sum();
        let got_frames: usize = r.reps.iter().map(|x| x.ws_frames).sum();
        let ok = big.is_empty() && got == expected && got_frames == frames;
        ctx.checks.push(Check::new(
            spec.name,
            &format!("incremental ({})", path.name()),
            ok,
            format!(
                "steps ≥ 2 sent ≤ {INCREMENTAL_MAX_BYTES} B each ({} larger); upstream frames {got_frames} \
                 (expected {frames}), of which naming a previous response {got} (expected {expected})",
                big.len()
            ),
        ));
    }
    if let Some(r) = runs.get("http-router") {
        let steps_ok = r
            .steps
            .iter()
            .all(|s| s.step == 1 || s.sent_bytes > INCREMENTAL_MAX_BYTES);
        let ws_free = r.reps.iter().all(|x| x.ws_frames == 0);
        ctx.checks.push(Check::new(
            spec.name,
            "full history (http-router)",
            steps_ok && ws_free,
            format!("every step re-sent the history: {steps_ok}; no WebSocket frame upstream: {ws_free}"),
        ));
    }
    let n: usize = runs.values().map(|r| r.steps.len()).sum();
    let expected: usize = runs
        .values()
        .map(|r| r.reps.iter().map(|x| x.conversations).sum::<usize>() * spec.steps)
        .sum();
    ctx.checks.push(Check::new(
        spec.name,
        "every step completed",
        n == expected && n > 0,
        format!("{n} of {expected} steps ended with response.completed"),
    ));
}

/// The failover cell: router WebSocket conversations, one usage limit each at `failover_step`.
pub async fn run_failover(ctx: &mut Ctx) -> anyhow::Result<CellReport> {
    let w = ctx.plan.ws.clone();
    let mut report = CellReport::new(FAILOVER, FAILOVER_TITLE);
    report.param("steps", w.steps);
    report.param("failover_step", w.failover_step);
    report.param("conversations", w.failover_conversations);
    report.param("reps", w.failover_reps);
    if w.failover_step < 2 || w.failover_step > w.steps {
        bail!("the failover step must be an incremental step (2..={})", w.steps);
    }
    // Each conversation leaves its first account limited for an hour, so every conversation of a
    // repetition needs an account of its own plus one to move to.
    let fake = FakeArgs {
        accounts: w.failover_conversations + 1,
        deltas: ctx.plan.deltas,
        ..FakeArgs::default()
    };
    let (mut normal, mut failover, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let (mut moved_ok, mut moved_total) = (0usize, 0usize);
    let mut details = Vec::new();
    for _ in 0..w.failover_reps {
        ctx.wait_for_quiet().await;
        let mut rig = ctx.rig(&fake, None, false).await?;
        let target = rig.target(TargetKind::Router)?;
        // Warm the daemon's path (and its first upstream connection) like the other cells do.
        let warm = thread_id(ctx.next_seed() << 24);
        let res = one(&target, Path::WsRouter, &ctx.body.render(&warm), &warm, 2).await;
        if let Err(e) = res {
            rig.stop().await;
            return Err(e);
        }
        let seed = ctx.next_seed();
        let mut result = Ok(());
        for c in 0..w.failover_conversations {
            let thread = thread_id(seed << 24 | c as u64);
            match failover_conversation(&mut rig, &target, &ctx.body.render(&thread), &thread, &w).await {
                Ok(conv) => {
                    moved_total += 1;
                    moved_ok += usize::from(conv.moved);
                    if !conv.moved {
                        details.push(conv.detail.clone());
                    }
                    let others: Vec<f64> = conv
                        .steps
                        .iter()
                        .filter(|s| s.step > 1 && s.step != w.failover_step)
                        .map(|s| s.total_us as f64)
                        .collect();
                    let own_normal = median(&others);
                    if let Some(f) = conv.steps.iter().find(|s| s.step == w.failover_step) {
                        failover.push(f.total_us);
                        added.push((f.total_us as f64 - own_normal) / 1000.0);
                    }
                    normal.extend(
                        conv.steps
                            .iter()
                            .filter(|s| s.step > 1 && s.step != w.failover_step)
                            .map(|s| s.total_us),
                    );
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        rig.stop().await;
        result?;
    }
    let (n, f) = (Dist::of(normal), Dist::of(failover));
    let d = &mut report.derived;
    d.insert("normal_step_p50_ms".into(), ms(n.p50_us));
    d.insert("normal_step_p99_ms".into(), ms(n.p99_us));
    d.insert("failover_step_p50_ms".into(), ms(f.p50_us));
    d.insert("failover_step_max_ms".into(), ms(f.max_us));
    d.insert("failover_added_p50_ms".into(), median(&added));
    d.insert("failover_samples".into(), f.n as f64);
    ctx.checks.push(Check::new(
        FAILOVER,
        "failover step moved in full",
        moved_total > 0 && moved_ok == moved_total,
        if details.is_empty() {
            format!(
                "{moved_ok} of {moved_total} limited steps completed for the client on another account from a \
                 full re-send, the following steps incremental again"
            )
        } else {
            format!("{moved_ok} of {moved_total}: {}", details.join("; "))
        },
    ));
    Ok(report)
}

struct FailoverConv {
    steps: Vec<Step>,
    moved: bool,
    detail: String,
}

/// One conversation whose serving account answers `failover_step` with a usage limit. The serving
/// account is read from the fake's per-account request counts after step 1 (the router does not name
/// the account on a WebSocket); the fake's frame counts then show whether the step went elsewhere in
/// full and the later steps were incremental again.
async fn failover_conversation(
    rig: &mut Rig,
    target: &Target,
    body: &[u8],
    thread: &str,
    w: &crate::plan::WsPlan,
) -> anyhow::Result<FailoverConv> {
    let mut conv = Conversation::open(target, Transport::Ws, thread, body).await?;
    let c0 = rig.fake.counts().await?;
    let mut steps = Vec::with_capacity(w.steps);
    let mut serving: Option<String> = None;
    let mut at_limit: Option<Counts> = None;
    for n in 1..=w.steps {
        if n == w.failover_step {
            let now = rig.fake.counts().await?;
            let account = serving.clone().context("no serving account")?;
            let index = rig
                .fake
                .hello
                .accounts
                .iter()
                .position(|a| a.id == account)
                .context("the serving account is not the fake's")?;
            rig.fake.limit_once(index).await?;
            at_limit = Some(now);
        }
        steps.push(conv.step(target, thread, tool_output(n)).await?);
        if n == 1 {
            let c1 = rig.fake.counts().await?;
            serving = c1
                .responses_calls
                .iter()
                .find(|(id, calls)| c0.responses_calls.get(*id).copied().unwrap_or(0) < **calls)
                .map(|(id, _)| id.clone());
        }
    }
    conv.close().await;
    let end = rig.fake.counts().await?;
    let at = at_limit.context("the failover step never ran")?;
    // From the limited step on: the refused frame (incremental, on the old account), the full re-send on
    // the new one, then one incremental frame per later step.
    let later = w.steps - w.failover_step;
    let frames = end.ws_frames - at.ws_frames;
    let incremental = end.ws_incremental - at.ws_incremental;
    let account = serving.unwrap_or_default();
    let old_calls = |c: &Counts| c.responses_calls.get(&account).copied().unwrap_or(0);
    let moved = frames == later + 2 && incremental == later + 1 && old_calls(&end) == old_calls(&at) + 1;
    Ok(FailoverConv {
        steps,
        moved,
        detail: format!(
            "{frames} frames upstream from the limited step on (expected {}), {incremental} incremental \
             (expected {}), {} more on the limited account (expected 1)",
            later + 2,
            later + 1,
            old_calls(&end) - old_calls(&at)
        ),
    })
}
