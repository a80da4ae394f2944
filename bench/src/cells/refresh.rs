//! Refresh under load: every account's access token is already expired when the daemon starts, and the
//! load begins the moment it is ready. Refresh tokens are single use, so the fake issuer must see
//! exactly one refresh per account however many requests wanted one (SPEC §6 single flight), and no
//! client request may fail.

use crate::cells::Ctx;
use crate::checks::{self, Check};
use crate::cli::FakeArgs;
use crate::load::{self, LoadSpec, Sessions};
use crate::report::{CellReport, TargetReport};
use crate::rig::TargetKind;
use crate::stats::RunSummary;
use crate::status;

pub const NAME: &str = "refresh";
pub const TITLE: &str = "every access token expired at start; load from the first moment";

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<CellReport> {
    let accounts = ctx.plan.refresh_accounts;
    let concurrency = ctx.plan.refresh_concurrency;
    let mut report = CellReport::new(NAME, TITLE);
    report.param("accounts", accounts);
    report.param("concurrency", concurrency);
    report.param("duration_s", ctx.plan.duration.as_secs_f64());
    let fake = FakeArgs {
        accounts,
        expired: true,
        deltas: ctx.plan.deltas,
        ..FakeArgs::default()
    };
    ctx.wait_for_quiet().await;
    let mut rig = ctx.rig(&fake, None, false).await?;
    report
        .daemon
        .startup_ms
        .push(rig.daemon.startup.as_secs_f64() * 1000.0);
    let target = rig.target(TargetKind::Router)?;
    let spec = LoadSpec {
        concurrency,
        duration: ctx.plan.duration,
        per_vu: None,
        sessions: Sessions::PerVu,
        seed: ctx.next_seed(),
        jitter: std::time::Duration::ZERO,
    };
    let run = load::run(target, ctx.body.clone(), &spec).await;
    rig.tally.add(TargetKind::Router, &run);
    ctx.checks
        .push(checks::errors(NAME, "router", run.errors, &run.error_examples));
    let counts = rig.fake.counts().await;
    let refreshes = status::read(&rig.daemon)
        .await
        .ok()
        .and_then(|r| r.counters.get("refreshes").copied());
    let counter_checks = checks::counters(&mut rig, NAME, false).await;
    ctx.checks.extend(counter_checks);
    rig.stop().await;
    let counts = counts?;
    report
        .derived
        .insert("refresh_calls".into(), counts.refresh_calls as f64);
    report.derived.insert("accounts".into(), accounts as f64);
    report
        .derived
        .insert("refresh_reuse".into(), counts.refresh_reuse as f64);
    ctx.checks.push(Check::new(
        NAME,
        "one refresh per account",
        counts.refresh_calls == accounts,
        format!(
            "fake issuer saw {} refresh grants for {accounts} accounts ({} presenting an already spent \
             token; per account {:?})",
            counts.refresh_calls, counts.refresh_reuse, counts.refresh_by_account
        ),
    ));
    ctx.checks.push(Check::new(
        NAME,
        "refreshes counter",
        refreshes == Some(accounts as u64),
        format!("status refreshes = {refreshes:?}, accounts = {accounts}"),
    ));
    report
        .targets
        .push(TargetReport::new("router", vec![RunSummary::of(&run)]));
    Ok(report)
}
