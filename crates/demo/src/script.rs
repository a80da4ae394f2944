//! The scripted session, in four acts: three Codex sessions start and spread over the accounts;
//! they stay where they are; one account hits its usage limit and its session moves; an access
//! token expires and is refreshed. Every claim the story makes is read back from what happened
//! (the router's response headers, its status, the fake issuer's counters), not assumed.

use std::collections::BTreeMap;
use std::time::Duration;

use codex_router_protocol::status::StatusDoc;
use codex_router_test_support::{Behavior, FakeBackend, UsageState, encrypted_content_owner};
use serde_json::Value;

use crate::client::{self, Session};
use crate::rig::{ACCOUNTS, DemoAccount, Rig, START_USED};
use crate::{DemoError, StoryError};

/// How long a usage limit the fake reports lasts.
const LIMIT_SECS: i64 = 2 * 3600;
/// Quota a turn costs in the fake's 5-hour window, so the table visibly moves.
const TURN_COST: f64 = 7.0;
/// The pause between steps when a human watches.
const PACE: Duration = Duration::from_millis(700);

/// What the story can truthfully say at the end.
#[derive(Debug, Default)]
pub struct Facts {
    /// (session, from, to) of the move after the usage limit.
    pub moved: Option<(String, String, String)>,
    /// (account, refresh calls the issuer saw for it).
    pub refreshed: Option<(String, usize)>,
    pub sticky: bool,
    pub refresh_reuse: usize,
    /// The last status document, for the summary.
    pub status: Option<StatusDoc>,
}

/// Where the story is told. `codexctl` draws the account table under the story lines; the
/// script only says what happened and hands over the daemon's status after each step.
pub trait Show {
    /// The caller's own error, handed back untouched.
    type Error;

    /// One line of the story.
    fn say(&mut self, line: &str) -> Result<(), Self::Error>;

    /// A human is watching: worth pausing between steps.
    fn is_tty(&self) -> bool;

    /// The accounts from a `status` document, with the sessions each serves; `act_done` at the
    /// end of an act.
    fn show_table(
        &mut self,
        status: &StatusDoc,
        sessions: &BTreeMap<String, Vec<&str>>,
        act_done: bool,
    ) -> Result<(), Self::Error>;
}

type Step<T, S> = Result<T, StoryError<<S as Show>::Error>>;

struct Story<'a, S: Show> {
    rig: &'a mut Rig,
    screen: &'a mut S,
    http: reqwest::Client,
    sessions: Vec<Session>,
    /// Which account serves each session now.
    serving: BTreeMap<&'static str, String>,
    used: BTreeMap<&'static str, f64>,
    facts: Facts,
}

pub async fn run<S: Show>(rig: &mut Rig, screen: &mut S) -> Step<Facts, S> {
    let mut story = Story {
        rig,
        screen,
        http: client::http()?,
        sessions: ["alpha", "bravo", "charlie"]
            .into_iter()
            .map(Session::new)
            .collect(),
        serving: BTreeMap::new(),
        used: ACCOUNTS.iter().map(|a| (a.label, START_USED)).collect(),
        facts: Facts::default(),
    };
    story.act(
        "1. Three Codex sessions start; each new session goes to the account with the most quota left.",
    )?;
    for i in 0..3 {
        story.step(i, "").await?;
    }
    story.act_done().await?;
    story.act("2. They keep working; each session stays on its account (sticky sessions).")?;
    let before = story.serving.clone();
    for i in 0..3 {
        story.step(i, "").await?;
    }
    story.facts.sticky = story.serving == before;
    story.act_done().await?;
    story.usage_limit().await?;
    story.expired_token().await?;
    story.facts.refresh_reuse = story.rig.fake.refresh_reuse_count();
    story.facts.status = Some(story.status().await?);
    Ok(story.facts)
}

impl<S: Show> Story<'_, S> {
    fn say(&mut self, line: &str) -> Step<(), S> {
        self.screen.say(line).map_err(StoryError::Show)
    }

    fn act(&mut self, title: &str) -> Step<(), S> {
        self.say("")?;
        self.say(title)
    }

    /// One turn of session `i`, shown as `  alpha    turn 2 -> personal`.
    async fn step(&mut self, i: usize, note: &str) -> Step<client::Turn, S> {
        let turn = client::turn(&self.http, &self.rig.proxy, &mut self.sessions[i]).await?;
        let session = &self.sessions[i];
        self.serving.insert(session.name, turn.account.clone());
        let calls = if turn.attempts > 1 {
            format!(" ({} upstream calls)", turn.attempts)
        } else {
            String::new()
        };
        let line = format!(
            "   {:<8} turn {} -> {}{calls}{note}",
            session.name, session.turns, turn.account
        );
        self.say(&line)?;
        self.spend(&turn.account);
        self.redraw(false).await?;
        if self.screen.is_tty() {
            tokio::time::sleep(PACE).await;
        }
        Ok(turn)
    }

    async fn usage_limit(&mut self) -> Step<(), S> {
        let victim = self.serving.get("bravo").cloned().unwrap_or_default();
        self.act(&format!(
            "3. {victim} hits its usage limit in the middle of session bravo."
        ))?;
        if let Some(a) = account(&victim) {
            self.rig
                .fake
                .script(a.workspace, Behavior::usage_limit_in(LIMIT_SECS));
            self.rig
                .fake
                .set_usage(a.workspace, UsageState::used(a.plan, 100.0, 40.0));
        }
        if let Some(used) = self.used.get_mut(victim.as_str()) {
            *used = 100.0;
        }
        let turn = self.step(1, "").await?;
        if turn.account != victim {
            let history = match account(&turn.account) {
                Some(to) if forwarded_clean(&self.rig.fake, to.workspace) => format!(
                    " The conversation went along: the router stripped the encrypted reasoning only {victim} \
                     can read."
                ),
                _ => String::new(),
            };
            self.say(&format!(
                "   {victim} answered 429 usage_limit_reached; the router rested it until its window resets and \
                 moved session bravo to {} before Codex saw a byte.{history}",
                turn.account
            ))?;
            self.facts.moved = Some(("bravo".to_owned(), victim, turn.account));
        }
        self.step(1, " (stays on its new account)").await?;
        self.act_done().await
    }

    async fn expired_token(&mut self) -> Step<(), S> {
        let victim = self.facts.moved.as_ref().map(|m| m.1.clone()).unwrap_or_default();
        let i = [2, 0]
            .into_iter()
            .find(|i| self.serving.get(self.sessions[*i].name) != Some(&victim))
            .unwrap_or(2);
        let target = self
            .serving
            .get(self.sessions[i].name)
            .cloned()
            .unwrap_or_default();
        self.act(&format!("4. The access token of {target} expires."))?;
        let Some(a) = account(&target) else {
            return Err(DemoError::UnknownAccount(target).into());
        };
        self.rig.fake.expire_access_tokens(a.workspace);
        let before = self.rig.fake.refresh_calls();
        let turn = self.step(i, "").await?;
        let calls = self.rig.fake.refresh_calls() - before;
        if calls > 0 {
            self.say(&format!(
                "   The backend answered 401 token_expired. The router refreshed {target}'s token ({calls} call to \
                 the issuer; the old refresh token is spent and never presented again), saved it, and retried \
                 on {}: Codex saw an ordinary answer.",
                turn.account
            ))?;
            self.facts.refreshed = Some((target, calls));
        }
        self.act_done().await
    }

    /// Each turn costs quota, as it would for real.
    fn spend(&mut self, label: &str) {
        let (Some(a), Some(used)) = (account(label), self.used.get_mut(label)) else {
            return;
        };
        if *used < 100.0 {
            *used = (*used + TURN_COST).min(99.0);
            self.rig
                .fake
                .set_usage(a.workspace, UsageState::used(a.plan, *used, *used / 3.0));
        }
    }

    async fn status(&mut self) -> Step<StatusDoc, S> {
        Ok(self.rig.status().await?)
    }

    async fn redraw(&mut self, act_done: bool) -> Step<(), S> {
        let status = self.status().await?;
        let mut by_account: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (session, account) in &self.serving {
            by_account.entry(account.clone()).or_default().push(session);
        }
        self.screen
            .show_table(&status, &by_account, act_done)
            .map_err(StoryError::Show)
    }

    async fn act_done(&mut self) -> Step<(), S> {
        self.redraw(true).await
    }
}

/// Whether the last request the fake saw for `workspace` replayed only reasoning that workspace
/// can read (a moved session's history arrives with the old account's blobs stripped).
fn forwarded_clean(fake: &FakeBackend, workspace: &str) -> bool {
    let requests = fake.requests();
    let Some(last) = requests
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses") && r.account.as_deref() == Some(workspace))
    else {
        return false;
    };
    let Ok(body) = serde_json::from_slice::<Value>(&last.body) else {
        return false;
    };
    body["input"].as_array().is_some_and(|items| {
        items
            .iter()
            .filter_map(|item| item["encrypted_content"].as_str())
            .all(|blob| encrypted_content_owner(blob).as_deref() == Some(workspace))
    })
}

fn account(label: &str) -> Option<DemoAccount> {
    ACCOUNTS.into_iter().find(|a| a.label == label)
}
