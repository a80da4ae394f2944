//! One repetition's processes: a fake upstream, a daemon in front of it, and nginx when available; plus
//! the harness's own tally of what it sent through the router, to check the daemon's counters against.
//!
//! Every repetition gets fresh processes: the fake keeps every request it received (55 KB bodies) for
//! the life of its process, so a long-lived fake would grow by gigabytes over a run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use http::{HeaderName, HeaderValue};
use serde::Serialize;

use crate::cli::FakeArgs;
use crate::client::Target;
use crate::daemon::Daemon;
use crate::fakeproc::FakeProc;
use crate::load::RunResult;
use crate::nginx::Nginx;

/// The client path all targets serve (Codex's own, `base_url` + `/responses`).
pub const RESPONSES_PATH: &str = "/backend-api/codex/responses";

/// The executables a run uses.
#[derive(Debug, Clone)]
pub struct Bins {
    /// This harness (spawned again as `fake-upstream`).
    pub me: PathBuf,
    pub routerd: PathBuf,
    pub codexctl: Option<PathBuf>,
    pub nginx: Option<PathBuf>,
    /// Extra environment for the daemon (`--daemon-env`).
    pub daemon_env: Vec<(String, String)>,
    /// A command the daemon runs under (`--daemon-wrapper`), split into words.
    pub daemon_wrapper: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The fake itself, with the headers of the account at this index.
    Direct(usize),
    Router,
    Nginx,
}

/// What the harness sent through the router and saw come back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RouterTally {
    /// Requests sent (answered or not).
    pub requests: u64,
    /// 200 streams read to `response.completed`.
    pub ok: u64,
    /// Sum of `x-codex-router-attempts`.
    pub upstream: u64,
    /// Answers that took more than one attempt.
    pub multi_attempt: u64,
    pub by_account: BTreeMap<String, u64>,
    /// Requests sent straight to the fake (direct and nginx): the fake counts those too.
    pub bypass: u64,
}

impl RouterTally {
    pub fn add(&mut self, kind: TargetKind, run: &RunResult) {
        let sent = run.samples.len() as u64 + run.errors;
        if kind != TargetKind::Router {
            self.bypass += sent;
            return;
        }
        self.requests += sent;
        for s in &run.samples {
            self.ok += u64::from(s.ok());
            let attempts = u64::from(s.attempts.unwrap_or(1));
            self.upstream += attempts;
            self.multi_attempt += u64::from(attempts > 1);
            if let Some(a) = &s.account {
                *self.by_account.entry(a.clone()).or_insert(0) += 1;
            }
        }
    }
}

#[derive(Debug)]
pub struct Rig {
    pub fake: FakeProc,
    pub daemon: Daemon,
    pub nginx: Option<Nginx>,
    pub tally: RouterTally,
}

impl Rig {
    pub async fn start(
        bins: &Bins,
        fake: &FakeArgs,
        config_toml: Option<&str>,
        nginx: bool,
        sessions: usize,
    ) -> anyhow::Result<Self> {
        let fake = FakeProc::spawn(&bins.me, fake).await?;
        let daemon = Daemon::start(
            &bins.routerd,
            &fake.hello,
            config_toml,
            sessions,
            &bins.daemon_env,
            &bins.daemon_wrapper,
        )
        .await?;
        let nginx = match (&bins.nginx, nginx, fake.hello.accounts.first()) {
            (Some(exe), true, Some(account)) => Some(Nginx::start(exe, fake.hello.addr, account).await?),
            _ => None,
        };
        Ok(Self {
            fake,
            daemon,
            nginx,
            tally: RouterTally::default(),
        })
    }

    pub fn target(&self, kind: TargetKind) -> anyhow::Result<Arc<Target>> {
        let header = |name: &'static str, value: String| -> anyhow::Result<(HeaderName, HeaderValue)> {
            Ok((
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).context("header value")?,
            ))
        };
        let target = match kind {
            TargetKind::Direct(i) => {
                let a = self.fake.hello.accounts.get(i).context("no such account")?;
                Target {
                    name: "direct".to_owned(),
                    addr: self.fake.hello.addr,
                    path: RESPONSES_PATH.to_owned(),
                    auth: vec![
                        header("authorization", format!("Bearer {}", a.access_token))?,
                        header("chatgpt-account-id", a.id.clone())?,
                    ],
                }
            }
            TargetKind::Router => Target {
                name: "router".to_owned(),
                addr: self.daemon.listen,
                path: RESPONSES_PATH.to_owned(),
                auth: vec![header("authorization", format!("Bearer {}", self.daemon.key))?],
            },
            TargetKind::Nginx => Target {
                name: "nginx".to_owned(),
                addr: self.nginx.as_ref().context("nginx is not running")?.listen,
                path: RESPONSES_PATH.to_owned(),
                auth: Vec::new(),
            },
        };
        Ok(Arc::new(target))
    }

    pub async fn stop(self) {
        if let Some(n) = self.nginx {
            n.stop().await;
        }
        self.daemon.stop().await;
        self.fake.stop().await;
    }
}
