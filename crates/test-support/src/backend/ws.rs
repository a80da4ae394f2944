//! The WebSocket handshake on `GET /backend-api/codex/responses` (SPEC §4.4, codex-client.md §7).
//!
//! The caller (`dispatch`) has already captured and authenticated the request exactly like the HTTP path,
//! so a bad bearer gets the same 401 and never an upgrade. Then, in order: `set_websocket(false)` → 404
//! (a server without WebSocket, for the router's HTTP fallback), a scripted handshake answer, and finally
//! `101` with the headers Codex reads (`x-codex-turn-state`, `x-models-etag`, `x-reasoning-included`,
//! `openai-model`) plus `x-request-id` and the account's `x-codex-*` windows.
//!
//! The upgrade is done by hand (hyper's `OnUpgrade` from the request, `derive_accept_key`, and
//! `WebSocketStream::from_raw_socket`) rather than with axum's `ws` feature: the same handler must be able
//! to answer a handshake with any scripted status, to add its own 101 headers, to decline
//! `permessage-deflate` by simply not echoing extensions, and the connection must be able to drop its TCP
//! socket without a close frame, which axum's `WebSocket` does not expose.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::responses::{http, stream_headers, usage_limit};
use super::stream::append_headers;
use super::with_request_id;
use super::ws_conn;
use super::ws_state::OpenGuard;
use crate::behavior::Behavior;
use crate::routes::json_response;
use crate::server::{DropConnection, Shared};
use crate::state::random_string;

/// The model the handshake announces: Codex sends none before its first frame.
const HANDSHAKE_MODEL: &str = "gpt-5.1-codex";

/// `Upgrade: websocket` (any case, possibly in a list).
pub(super) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("websocket")))
}

pub(super) async fn handshake(
    shared: Arc<Shared>,
    account: String,
    parts: &mut http::request::Parts,
) -> Response {
    let (disabled, scripted, usage) = {
        let mut state = shared.state.lock();
        let scripted = state
            .ws
            .handshake_script
            .get_mut(&account)
            .and_then(std::collections::VecDeque::pop_front);
        let usage = state.usage.get(&account).cloned().unwrap_or_default();
        (state.ws.disabled, scripted, usage)
    };
    if disabled {
        return with_request_id(json_response(
            StatusCode::NOT_FOUND,
            r#"{"detail":"Not Found"}"#.to_owned(),
        ));
    }
    match scripted {
        Some(Behavior::Http {
            status,
            headers,
            body,
        }) => return http(status, &headers, body),
        Some(Behavior::UsageLimit {
            resets_in_seconds,
            resets_at,
            plan_type,
        }) => return usage_limit(&usage, resets_in_seconds, resets_at, plan_type.as_deref()),
        Some(Behavior::StallBeforeHeaders) => {
            // Ends when hyper drops this future: the client gave up or the fake shut down.
            let never: std::convert::Infallible = std::future::pending().await;
            match never {}
        }
        Some(Behavior::DropAfterEvents(_)) => return DropConnection::response(),
        Some(Behavior::DelayHeaders(d)) => tokio::time::sleep(d).await,
        Some(Behavior::WaitForGate(gate)) => gate.wait().await,
        // Every other behaviour shapes a stream, which a handshake does not have: upgrade normally.
        Some(_) | None => {}
    }
    let key = parts.headers.get("sec-websocket-key").map(HeaderValue::as_bytes);
    let version_ok = parts
        .headers
        .get("sec-websocket-version")
        .is_some_and(|v| v.as_bytes() == b"13");
    let (Some(key), true) = (key, version_ok) else {
        return with_request_id(json_response(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"Invalid WebSocket handshake.","type":"invalid_request_error","code":null,"param":null}}"#.to_owned(),
        ));
    };
    let accept = derive_accept_key(key);
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        // Only reachable if the accept loop stopped serving upgrades.
        return with_request_id(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            responses_error("connection cannot be upgraded"),
        ));
    };
    let guard = OpenGuard::register(&shared, &account);
    tokio::spawn(run(Arc::clone(&shared), account, guard, on_upgrade));
    switching_protocols(&accept, &stream_headers(&usage))
}

/// The 101. No `sec-websocket-extensions`: `permessage-deflate` is declined, as a server may.
fn switching_protocols(accept: &str, extra: &[(String, String)]) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let turn_state = format!("ts_{}", random_string(32));
    let headers = [
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-accept", accept),
        ("x-codex-turn-state", turn_state.as_str()),
        ("x-models-etag", "\"fake-models-v1\""),
        ("x-reasoning-included", "true"),
        ("openai-model", HANDSHAKE_MODEL),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    append_headers(&mut resp, &headers);
    append_headers(&mut resp, extra);
    resp
}

/// Waits for hyper to hand over the socket (after the 101 is written), then serves it until it ends or
/// the fake is dropped.
async fn run(shared: Arc<Shared>, account: String, guard: OpenGuard, on_upgrade: OnUpgrade) {
    let cancel = shared.cancel.clone();
    let serve = async {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                tracing::debug!(%err, "fake backend: WebSocket upgrade failed");
                return;
            }
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        ws_conn::serve(ws, shared, account, guard.serial).await;
    };
    tokio::select! {
        () = cancel.cancelled() => {}
        () = serve => {}
    }
    drop(guard);
}

fn responses_error(message: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": "server_error", "code": null, "param": null}})
        .to_string()
}
