//! `codexctl accounts login --device`: the device-code flow, for machines without a browser.
//!
//! The issuer hands out a user code; the caller shows it (`on_prompt`), and this polls at the
//! issuer's interval until the user has signed in elsewhere, the code expires
//! ([`codex_router_oauth::LoginError::DeviceExpired`]), or the caller drops the future.

use std::future::Future;
use std::time::Duration;

use codex_router_oauth::{DeviceCode, DevicePoll, OAuthClient};
use codex_router_store::StoredAccount;

use super::{account_from_tokens, check_label, wall_clock};
use crate::error::LoginFlowError;

/// Runs the device-code login: `on_prompt` is called once with the code to show, `on_poll`
/// after each "not yet" answer with the number of polls so far (for a progress mark).
pub async fn device_login(
    oauth: &OAuthClient,
    label: Option<&str>,
    on_prompt: impl Fn(&DeviceCode),
    on_poll: impl Fn(usize),
) -> Result<StoredAccount, LoginFlowError> {
    device_login_paced(oauth, label, tokio::time::sleep, on_prompt, on_poll).await
}

/// [`device_login`] with the wait between polls supplied by the caller (it receives the
/// issuer's interval). Tests pass an immediate wait so pending answers cost no wall time; a
/// caller may also race the wait against Ctrl-C.
pub async fn device_login_paced<W, F>(
    oauth: &OAuthClient,
    label: Option<&str>,
    wait: W,
    on_prompt: impl Fn(&DeviceCode),
    on_poll: impl Fn(usize),
) -> Result<StoredAccount, LoginFlowError>
where
    W: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    check_label(label)?;
    let code = oauth.device_start().await?;
    on_prompt(&code);
    let mut n_polls = 0;
    loop {
        n_polls += 1;
        match oauth.device_poll(&code).await? {
            DevicePoll::Pending => {
                on_poll(n_polls);
                wait(code.interval).await;
            }
            DevicePoll::Authorized {
                authorization_code,
                code_verifier,
            } => {
                let set = oauth.device_exchange(&authorization_code, &code_verifier).await?;
                return account_from_tokens(set, label, wall_clock());
            }
        }
    }
}
