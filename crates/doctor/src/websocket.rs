//! Is the router's WebSocket route reachable end to end? Codex's built-in provider (the native
//! binding) always opens a WebSocket first, and the provider binding asks for one too: a
//! handshake through the daemon opens the upstream WebSocket of an account, so a `101` proves the
//! whole path (daemon, an account's credentials, the backend's WebSocket).

use std::time::Duration;

use codex_router_core::Secret;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::report::Check;

/// What a handshake attempt came back with.
#[derive(Debug)]
pub enum Probe {
    Upgraded { account: Option<String> },
    Refused { status: u16, message: Option<String> },
    Failed(String),
}

/// The check from a probe's result (pure: tested on every OS).
pub fn check(probe: &Probe) -> Check {
    match probe {
        Probe::Upgraded { account } => Check::ok(
            "websocket",
            format!(
                "a WebSocket through the router reached the backend{}",
                account.as_ref().map(|a| format!(" (as {a})")).unwrap_or_default()
            ),
        ),
        Probe::Refused {
            status: 429 | 503,
            message,
        } => Check::warn(
            "websocket",
            format!(
                "the router's WebSocket works but no account can serve now: {}",
                message.as_deref().unwrap_or("pool exhausted")
            ),
            "see `codexctl status` for when an account comes back",
        ),
        Probe::Refused { status, message } => Check::fail(
            "websocket",
            format!(
                "the router refused a WebSocket handshake with HTTP {status}: {}",
                message.as_deref().unwrap_or("no message")
            ),
            "see `codexctl daemon logs` and `codexctl status`",
        ),
        Probe::Failed(why) => Check::fail(
            "websocket",
            format!("no WebSocket through the router: {why}"),
            "see `codexctl daemon logs`",
        ),
    }
}

/// Opens and closes one WebSocket through the daemon at `port` with the client key.
pub async fn probe(port: u16, key: &Secret) -> Probe {
    let url = format!("ws://127.0.0.1:{port}/backend-api/codex/responses");
    let mut req = match url.into_client_request() {
        Ok(r) => r,
        Err(e) => return Probe::Failed(e.to_string()),
    };
    match http::HeaderValue::from_str(&format!("Bearer {}", key.expose())) {
        Ok(mut v) => {
            v.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, v);
        }
        Err(_) => return Probe::Failed("the client key is not a valid header".to_owned()),
    }
    let attempt = tokio_tungstenite::connect_async(req);
    match tokio::time::timeout(Duration::from_secs(15), attempt).await {
        Err(_) => Probe::Failed("the handshake took longer than 15 s".to_owned()),
        Ok(Ok((mut ws, resp))) => {
            let account = resp
                .headers()
                .get("x-codex-router-account")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = ws.close(None).await;
            Probe::Upgraded { account }
        }
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            let message = resp
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned));
            Probe::Refused {
                status: resp.status().as_u16(),
                message,
            }
        }
        Ok(Err(e)) => Probe::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn a_handshake_result_becomes_a_check_with_its_fix() {
        let ok = check(&Probe::Upgraded {
            account: Some("pro-1".into()),
        });
        assert_eq!(ok.status, Status::Ok);
        assert!(ok.detail.contains("pro-1"));
        let busy = check(&Probe::Refused {
            status: 429,
            message: Some("try again at 11:54".into()),
        });
        assert_eq!(busy.status, Status::Warn);
        let refused = check(&Probe::Refused {
            status: 401,
            message: None,
        });
        assert_eq!(refused.status, Status::Fail);
        assert!(refused.detail.contains("401"));
        assert_eq!(
            check(&Probe::Failed("connection refused".into())).status,
            Status::Fail
        );
    }
}
