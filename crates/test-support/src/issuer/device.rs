//! Device-code login, shaped like Codex's client (`codex-rs/login/src/device_code_auth.rs`):
//!
//! 1. `POST /api/accounts/deviceauth/usercode` `{"client_id"}` → `{"device_auth_id","user_code","interval"}`
//!    (`interval` is a string of whole seconds).
//! 2. `POST /api/accounts/deviceauth/token` `{"device_auth_id","user_code"}` → `403` while the user has not
//!    approved (Codex keeps polling on 403 and 404), then `200 {"authorization_code","code_challenge",
//!    "code_verifier"}`: the server made the PKCE pair.
//! 3. The client exchanges the code at `/oauth/token` (`grant_type=authorization_code`) with
//!    `redirect_uri = {issuer}/deviceauth/callback`.
//!
//! An expired device code answers `410` with `deviceauth_expired`, a status Codex does not retry.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use rand::Rng as _;
use serde_json::json;

use super::{body_params, capture, param, s256_challenge};
use crate::routes::json_response;
use crate::server::Shared;
use crate::state::{AuthCode, DeviceAuth, random_string};

pub(crate) async fn usercode(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    capture(&shared, &method, &uri, &headers, &body);
    let params = body_params(
        &body,
        headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    if param(&params, "client_id").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id is required",
        );
    }
    let mut state = shared.state.lock();
    let Some(identity) = state.login_identity.clone() else {
        return error(
            StatusCode::BAD_REQUEST,
            "no_login_identity",
            "the fake issuer has no login identity: call FakeBackend::set_login_identity first",
        );
    };
    let device_auth_id = format!("deviceauth_{}", random_string(24));
    let user_code = user_code();
    let pending_left = state.device_pending;
    let interval = state.device_interval_secs.unwrap_or(1);
    state.device.insert(
        device_auth_id.clone(),
        DeviceAuth {
            user_code: user_code.clone(),
            identity,
            pending_left,
            expired: false,
            approved: None,
        },
    );
    drop(state);
    let body =
        json!({"device_auth_id": device_auth_id, "user_code": user_code, "interval": interval.to_string()});
    json_response(StatusCode::OK, body.to_string())
}

pub(crate) async fn poll(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    capture(&shared, &method, &uri, &headers, &body);
    let params = body_params(
        &body,
        headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let (Some(id), Some(code)) = (param(&params, "device_auth_id"), param(&params, "user_code")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "device_auth_id and user_code are required",
        );
    };
    let redirect_uri = format!("{}/deviceauth/callback", shared.issuer_url);
    let mut state = shared.state.lock();
    state.device_polls += 1;
    let Some(device) = state.device.get_mut(id).filter(|d| d.user_code == code) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_device_auth",
            "Unknown device authorization.",
        );
    };
    if device.expired {
        return error(
            StatusCode::GONE,
            "deviceauth_expired",
            "The device code has expired. Please try again.",
        );
    }
    if device.pending_left > 0 {
        device.pending_left -= 1;
        return error(
            StatusCode::FORBIDDEN,
            "deviceauth_authorization_pending",
            "The user has not yet completed authorization.",
        );
    }
    let (auth_code, challenge, verifier) = match &device.approved {
        Some(approved) => approved.clone(),
        None => {
            let verifier = random_string(64);
            let approved = (
                format!("ac_{}", random_string(32)),
                s256_challenge(&verifier),
                verifier,
            );
            device.approved = Some(approved.clone());
            let identity = device.identity.clone();
            state.codes.insert(
                approved.0.clone(),
                AuthCode {
                    identity,
                    code_challenge: approved.1.clone(),
                    redirect_uri,
                    client_id: None,
                    used: false,
                },
            );
            approved
        }
    };
    drop(state);
    let body =
        json!({"authorization_code": auth_code, "code_challenge": challenge, "code_verifier": verifier});
    json_response(StatusCode::OK, body.to_string())
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"code": code, "message": message}}).to_string(),
    )
}

/// `ABCD-1234`: letters without look-alikes, then digits, like the codes users type.
fn user_code() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let letters: String = (0..4)
        .map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())]))
        .collect();
    format!("{letters}-{:04}", rng.random_range(0..10_000))
}
