//! The fake `chatgpt.com/backend-api`: authentication like the real one, then the Responses stream, the
//! models list, the usage endpoint, and an echo for every other path. The Responses route also speaks
//! WebSocket (`ws.rs` for the handshake, `ws_conn.rs` for a connection, `ws_state.rs` for what is kept).

mod calls;
mod events;
mod responses;
mod stream;
mod ws;
mod ws_conn;
mod ws_errors;
mod ws_io;
pub(crate) mod ws_state;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use serde_json::json;

use crate::bodies;
use crate::capture::CapturedRequest;
use crate::clock::now_unix;
use crate::routes::json_response;
use crate::server::Shared;
use crate::state::{BearerStatus, random_string};

const RESPONSES: &str = "/backend-api/codex/responses";
const COMPACT: &str = "/backend-api/codex/responses/compact";
const MODELS: &str = "/backend-api/codex/models";
const USAGE: &str = "/backend-api/wham/usage";

/// Every `/backend-api` request lands here so that each one is captured before anything else happens. A
/// `GET /codex/responses` with `Upgrade: websocket` becomes a WebSocket (`ws.rs`) once authenticated.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return with_request_id(json_response(StatusCode::BAD_REQUEST, bodies::unparsable_json()));
    };
    let (method, uri) = (parts.method.clone(), parts.uri.clone());
    let path = uri.path().to_owned();
    let status = capture(&shared, &method, &uri, &parts.headers, &body);
    let account = match authenticate(&status, &parts.headers) {
        Ok(account) => account,
        Err((body, code)) => return auth_error(body, code),
    };
    match (method, path.as_str()) {
        (Method::GET, RESPONSES) if ws::is_upgrade(&parts.headers) => {
            ws::handshake(shared, account, &mut parts).await
        }
        (Method::POST, RESPONSES) => responses::handle(shared, account, body, false).await,
        (Method::POST, COMPACT) => responses::handle(shared, account, body, true).await,
        (Method::GET, MODELS) => models(),
        (Method::GET, USAGE) => usage(&shared, &account),
        (method, _) => with_request_id(json_response(
            StatusCode::OK,
            json!({"path": path, "query": uri.query(), "method": method.as_str()}).to_string(),
        )),
    }
}

/// Records the request and counts it against the bearer's account; returns what the bearer resolved to.
fn capture(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> BearerStatus {
    let now = now_unix();
    let mut state = shared.state.lock();
    let status = bearer(headers).map_or(BearerStatus::Unknown, |t| state.bearer_status(t, now));
    let mut captured = CapturedRequest::new(method, uri, headers, body.clone());
    captured.account = status.account().map(str::to_owned);
    if let Some(account) = status.account() {
        let path = uri.path();
        if *method == Method::POST && (path == RESPONSES || path == COMPACT) {
            *state.responses_calls.entry(account.to_owned()).or_default() += 1;
        }
        if *method == Method::GET && path == USAGE {
            *state.usage_calls.entry(account.to_owned()).or_default() += 1;
        }
    }
    state.requests.push(captured);
    drop(state);
    // After the push, so a test woken by this sees the request in `requests()`.
    shared.captured.send_modify(|n| *n += 1);
    status
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The real backend's order: unknown token, revoked, expired, then the workspace header. The error is the
/// 401 body and its code.
fn authenticate(status: &BearerStatus, headers: &HeaderMap) -> Result<String, (String, &'static str)> {
    match status {
        BearerStatus::Unknown => Err((bodies::invalid_api_key(), "invalid_api_key")),
        BearerStatus::Invalidated(_) => Err((bodies::token_invalidated(), "token_invalidated")),
        BearerStatus::Expired(_) => Err((bodies::token_expired(), "token_expired")),
        BearerStatus::Valid(account) => {
            let named = headers.get("chatgpt-account-id").and_then(|v| v.to_str().ok());
            if named == Some(account.as_str()) {
                Ok(account.clone())
            } else {
                Err((bodies::account_mismatch(), "account_mismatch"))
            }
        }
    }
}

fn auth_error(body: String, code: &'static str) -> Response {
    let mut resp = with_request_id(json_response(StatusCode::UNAUTHORIZED, body));
    resp.headers_mut()
        .insert("x-openai-authorization-error", HeaderValue::from_static(code));
    resp
}

pub(crate) fn with_request_id(mut resp: Response) -> Response {
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        resp.headers_mut().insert("x-request-id", id);
    }
    resp
}

pub(crate) fn request_id() -> String {
    format!("req_{}", random_string(24))
}

fn models() -> Response {
    let body = json!({"models": [
        model("gpt-5.1-codex", "Optimized for Codex.", 1),
        model("gpt-5.1-codex-mini", "Cheaper, faster, less capable.", 2),
        model("gpt-5.1", "Broad world knowledge with strong general reasoning.", 3),
    ]});
    let mut resp = with_request_id(json_response(StatusCode::OK, body.to_string()));
    resp.headers_mut()
        .insert("x-models-etag", HeaderValue::from_static("\"fake-models-v1\""));
    resp
}

fn model(slug: &str, description: &str, priority: u32) -> serde_json::Value {
    json!({
        "slug": slug,
        "display_name": slug,
        "description": description,
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [
            {"effort": "low", "description": "Fast responses with lighter reasoning"},
            {"effort": "medium", "description": "Balances speed and reasoning depth"},
            {"effort": "high", "description": "Greater reasoning depth for complex problems"},
        ],
        "visibility": "list",
        "supported_in_api": true,
        "priority": priority,
    })
}

pub(crate) fn usage(shared: &Shared, account: &str) -> Response {
    let body = {
        let state = shared.state.lock();
        let usage = state.usage.get(account).cloned().unwrap_or_default();
        let identity = state.identity(account);
        usage.wham_body(
            now_unix(),
            identity.map(|a| {
                (
                    a.chatgpt_account_id.as_str(),
                    a.user_id.as_str(),
                    a.email.as_str(),
                )
            }),
        )
    };
    with_request_id(json_response(StatusCode::OK, body.to_string())).into_response()
}
