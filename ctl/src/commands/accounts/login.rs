//! `codexctl accounts login [--device] [--no-browser] [--label L]` (SPEC §6, docs/onboarding.md).
//!
//! The flows are `codex-router-onboarding`'s; this module picks one, talks to the user, and
//! hands the account over ([`super::adding`]). The sign-in runs against the issuer the daemon
//! uses (`[oauth] issuer` / `CODEX_ROUTER_ISSUER`), so a test can point both at one fake.
//!
//! Nothing is written until the flow has returned an account: a timeout, a refusal, a wrong
//! `state` or Ctrl-C (raced against the flow; once the account exists the write is not
//! interrupted) leaves the pool as it was.

use std::time::Duration;

use anyhow::Context;
use codex_router_oauth::{DEFAULT_REDIRECT_URI, OAuthClient, decode_claims};
use codex_router_onboarding::login::DEFAULT_LOGIN_TIMEOUT;
use codex_router_onboarding::{
    BrowserLogin, CallbackServer, LoginFlowError, check_label, device_login_paced, merge_into, open_browser,
};
use codex_router_store::{AccountsFile, StoredAccount};
use serde_json::json;

use super::adding::{self, Via};
use super::login_io::{Ui, read_pasted};
use crate::cli::LoginArgs;
use crate::ctx::Ctx;
use crate::interrupt::armed_ctrl_c;
use crate::{output, timefmt};

/// What the login did, for the report.
#[derive(Debug)]
struct Outcome {
    id: String,
    label: String,
    plan: Option<String>,
    created: bool,
    via: Via,
    /// The requested label, when another account already had it.
    label_taken: Option<String>,
}

pub async fn run(ctx: &Ctx<'_>, args: &LoginArgs) -> anyhow::Result<()> {
    // Before the user signs in for nothing; the label is not repeated (people type emails there).
    check_label(args.label.as_deref())?;
    let oauth = oauth_client(ctx)?;
    let interrupted = armed_ctrl_c().await;
    let ui = Ui::new(ctx.json);
    // Only the device flow waits with nothing to do; elsewhere a spinner would redraw the line
    // the user is pasting into.
    let spinner = async {
        if args.device {
            ui.spin().await
        } else {
            std::future::pending().await
        }
    };
    let flow = async {
        tokio::select! {
            account = sign_in(ctx, &oauth, args, &ui) => account,
            never = spinner => match never {},
        }
    };
    let account = tokio::select! {
        account = flow => account,
        () = interrupted => {
            ui.clear_spinner();
            anyhow::bail!("login cancelled; nothing was added");
        }
    };
    ui.clear_spinner();
    let outcome = add(ctx, account?).await?;
    report(ctx, &outcome)
}

async fn sign_in(
    ctx: &Ctx<'_>,
    oauth: &OAuthClient,
    args: &LoginArgs,
    ui: &Ui,
) -> anyhow::Result<StoredAccount> {
    let label = args.label.as_deref();
    let timeout = ctx
        .env_ms("CODEXCTL_LOGIN_TIMEOUT_MS")
        .unwrap_or(DEFAULT_LOGIN_TIMEOUT);
    if args.device {
        // Test hook: the fake issuer's interval is a whole second per pending answer.
        let pace = ctx.env_ms("CODEXCTL_DEVICE_POLL_MS");
        let wait = |interval: Duration| tokio::time::sleep(pace.unwrap_or(interval));
        return device_login_paced(oauth, label, wait, |c| ui.device_prompt(c), |n| ui.device_poll(n))
            .await
            .map_err(failed);
    }
    if args.no_browser {
        let login = BrowserLogin::start(oauth, DEFAULT_REDIRECT_URI);
        ui.say(&format!(
            "Open this URL in a browser and sign in:\n\n    {}\n\nThe browser then goes to \
             http://localhost:1455/auth/callback?code=... and fails to load; that is expected. Copy \
             that address from the address bar, paste it here and press Enter:",
            login.url()
        ));
        let pasted = match tokio::time::timeout(timeout, read_pasted()).await {
            Ok(pasted) => pasted.context("login failed (nothing was added)")?,
            Err(_) => return Err(failed(LoginFlowError::Timeout { waited: timeout })),
        };
        return login
            .complete_from_pasted(oauth, &pasted, label)
            .await
            .map_err(failed);
    }
    // Bound before the browser opens: a busy port is an immediate error, not a stray redirect.
    let server = CallbackServer::bind_default().await.map_err(failed)?;
    let login = BrowserLogin::start(oauth, DEFAULT_REDIRECT_URI);
    let opened = open_browser(login.url());
    let how = if opened {
        "Your browser should open; if it does not, open this URL"
    } else {
        "Open this URL in a browser"
    };
    ui.say(&format!(
        "{how} and sign in (Ctrl-C to cancel):\n\n    {}\n\nNo browser on this machine? Use \
         `codexctl accounts login --device` or `--no-browser`.",
        login.url()
    ));
    login
        .complete_with_server(oauth, server, timeout, label)
        .await
        .map_err(failed)
}

/// The OAuth client for the issuer the daemon uses: same settings file, same environment.
fn oauth_client(ctx: &Ctx<'_>) -> anyhow::Result<OAuthClient> {
    let text = codex_router_settings::read_file(&ctx.paths.config).context("reading the router settings")?;
    let settings = codex_router_settings::load(text.as_deref(), ctx.env_fn())
        .with_context(|| format!("invalid router settings in {}", ctx.paths.config.display()))?;
    let http = codex_router_oauth::client_builder(settings.upstream.connect_timeout)
        .build()
        .context("building the HTTP client")?;
    Ok(OAuthClient::new(
        http,
        settings.oauth.issuer,
        settings.oauth.client_id,
    ))
}

fn failed(err: LoginFlowError) -> anyhow::Error {
    let already_said = err.to_string().contains("nothing was added");
    let context = if already_said {
        "login failed"
    } else {
        "login failed (nothing was added)"
    };
    anyhow::Error::new(err).context(context)
}

async fn add(ctx: &Ctx<'_>, account: StoredAccount) -> anyhow::Result<Outcome> {
    let plan = plan_of(&account);
    let requested = account.label.clone();
    if let Some(mut daemon) = adding::daemon(&ctx.paths).await {
        let (done, dropped) = adding::add_via_daemon(&mut daemon, account).await?;
        return Ok(Outcome {
            id: done.id,
            label: done.label,
            plan,
            created: done.created,
            via: Via::Daemon,
            label_taken: requested.filter(|_| dropped),
        });
    }
    adding::with_locked_file(&ctx.paths, |file| Ok(add_to_file(file, account, plan)))
}

/// The daemon-down twin of `accounts.add`: merged by identity, and a requested label is given
/// to the account unless another account has it. Returns the outcome and whether to save.
fn add_to_file(file: &mut AccountsFile, account: StoredAccount, plan: Option<String>) -> (Outcome, bool) {
    let requested = account.label.clone();
    let report = merge_into(file, vec![account], timefmt::now());
    let (mut label, created, mut changed) = match (report.added.first(), report.merged.first()) {
        (Some(label), _) => (label.clone(), true, true),
        (None, Some((label, _))) => (label.clone(), false, true),
        // The very same tokens again: nothing to write.
        (None, None) => (
            report.skipped.first().map(|s| s.0.clone()).unwrap_or_default(),
            false,
            false,
        ),
    };
    let mut label_taken = None;
    if let Some(wanted) = requested.filter(|w| *w != label) {
        if file.accounts.iter().any(|a| a.label.as_deref() == Some(&wanted)) {
            label_taken = Some(wanted);
        } else if let Some(a) = file
            .accounts
            .iter_mut()
            .find(|a| a.label.as_deref() == Some(&label))
        {
            a.label = Some(wanted.clone());
            label = wanted;
            changed = true;
        }
    }
    let id = file
        .accounts
        .iter()
        .find(|a| a.label.as_deref() == Some(&label))
        .and_then(|a| a.id.clone())
        .unwrap_or_default();
    let outcome = Outcome {
        id,
        label,
        plan,
        created,
        via: Via::File,
        label_taken,
    };
    (outcome, changed)
}

/// The plan from the token claims (`chatgpt_plan_type`), for the report.
fn plan_of(account: &StoredAccount) -> Option<String> {
    let from = |jwt: &str| decode_claims(jwt).ok().and_then(|c| c.plan_type);
    from(account.tokens.access_token.expose())
        .or_else(|| account.tokens.id_token.as_ref().and_then(|t| from(t.expose())))
}

fn report(ctx: &Ctx<'_>, o: &Outcome) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(&json!({
            "action": "login", "id": o.id, "label": o.label, "plan_type": o.plan,
            "created": o.created, "via": o.via.as_str(), "label_taken": o.label_taken,
        }));
    }
    let plan = o.plan.as_deref().unwrap_or("unknown");
    let what = if o.created {
        format!("added account {} (plan {plan})", o.label)
    } else {
        format!(
            "account {} (plan {plan}) was already in the pool: merged, keeping the freshest tokens",
            o.label
        )
    };
    output::line(&format!("{what}{}", o.via.note()))?;
    if let Some(wanted) = &o.label_taken {
        output::line(&format!(
            "the label {wanted} is used by another account, so this one is {}; rename it with \
             `codexctl accounts label {} NEW`",
            o.label, o.label
        ))?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
