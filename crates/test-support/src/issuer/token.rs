//! `POST /oauth/token`: the `refresh_token` grant (rotating, single use) and the `authorization_code`
//! grant (PKCE S256, single use per code).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::json;

use super::{body_params, capture, param, s256_challenge};
use crate::account::IssuedTokens;
use crate::behavior::RefreshBehavior;
use crate::bodies;
use crate::routes::json_response;
use crate::server::{DropConnection, Shared};
use crate::state::{RefreshOutcome, login_ttl};

pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    capture(&shared, &method, &uri, &headers, &body);
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = body_params(&body, content_type);
    match param(&params, "grant_type") {
        Some("refresh_token") => refresh(&shared, &params).await,
        Some("authorization_code") => exchange_code(&shared, &params),
        Some(other) => json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": format!("Unsupported grant type: {other}")})
                .to_string(),
        ),
        None => bad_request("Missing required parameter: grant_type"),
    }
}

fn bad_request(description: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, bodies::invalid_request(description))
}

async fn refresh(shared: &Shared, params: &[(String, String)]) -> Response {
    let (script, delay) = {
        let mut state = shared.state.lock();
        state.refresh_calls += 1;
        (state.refresh_script.pop_front(), state.refresh_delay)
    };
    let mut rotate_then_drop = false;
    match script {
        Some(RefreshBehavior::Status(status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return json_response(status, body);
        }
        Some(RefreshBehavior::DropConnection) => return DropConnection::response(),
        Some(RefreshBehavior::Delay(d)) => tokio::time::sleep(d).await,
        Some(RefreshBehavior::RotateThenDrop) => rotate_then_drop = true,
        None => {}
    }
    if delay > Duration::ZERO {
        tokio::time::sleep(delay).await;
    }
    if param(params, "client_id").is_none() {
        return bad_request("Missing required parameter: client_id");
    }
    let Some(refresh_token) = param(params, "refresh_token") else {
        return bad_request("Missing required parameter: refresh_token");
    };
    let outcome = shared.state.lock().present_refresh(refresh_token);
    match outcome {
        RefreshOutcome::Rotated(_, _) if rotate_then_drop => DropConnection::response(),
        RefreshOutcome::Rotated(tokens, ttl) => token_response(&tokens, ttl),
        RefreshOutcome::Reused => json_response(StatusCode::UNAUTHORIZED, bodies::refresh_token_reused()),
        RefreshOutcome::Invalidated => {
            json_response(StatusCode::UNAUTHORIZED, bodies::refresh_token_invalidated())
        }
        RefreshOutcome::Unknown => json_response(
            StatusCode::BAD_REQUEST,
            bodies::invalid_grant("The refresh token is invalid or was not issued to this client."),
        ),
    }
}

fn exchange_code(shared: &Shared, params: &[(String, String)]) -> Response {
    let (Some(code), Some(verifier), Some(redirect_uri), Some(client_id)) = (
        param(params, "code"),
        param(params, "code_verifier"),
        param(params, "redirect_uri"),
        param(params, "client_id"),
    ) else {
        return bad_request("code, code_verifier, redirect_uri and client_id are required");
    };
    let mut state = shared.state.lock();
    let Some(grant) = state.codes.get_mut(code) else {
        return invalid_grant("Invalid authorization code.");
    };
    if grant.used {
        return invalid_grant("The authorization code has already been used.");
    }
    if grant.redirect_uri != redirect_uri {
        return invalid_grant("redirect_uri does not match the authorization request.");
    }
    if grant.client_id.as_deref().is_some_and(|c| c != client_id) {
        return invalid_grant("client_id does not match the authorization request.");
    }
    if s256_challenge(verifier) != grant.code_challenge {
        return invalid_grant("code_verifier does not match the code_challenge.");
    }
    grant.used = true;
    let identity = grant.identity.clone();
    let ttl = login_ttl(&identity);
    let tokens = state.issue(&identity, ttl);
    drop(state);
    token_response(&tokens, ttl)
}

fn invalid_grant(description: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, bodies::invalid_grant(description))
}

fn token_response(tokens: &IssuedTokens, ttl: i64) -> Response {
    let body = json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token,
        "expires_in": ttl,
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
    });
    json_response(StatusCode::OK, body.to_string())
}
