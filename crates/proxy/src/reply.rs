//! The router's own answers, all JSON `{"error":{"code":..,"message":..}}`.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use codex_router_core::exhausted::Exhausted;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::headers::set_router_headers;

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The upstream's own answer, relayed because no other account could replace it; `None` (the
/// last attempt never got one) is a 502 of the router's own.
pub(crate) fn upstream_answer(
    answer: Option<(StatusCode, HeaderMap, Bytes)>,
    label: &str,
    attempts: u32,
) -> Response {
    let Some((status, headers, bytes)) = answer else {
        return error(
            StatusCode::BAD_GATEWAY,
            "router_upstream_error",
            "the upstream failed",
        );
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    set_router_headers(resp.headers_mut(), Some(label), attempts);
    resp
}

pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, &json!({"error": {"code": code, "message": message}}))
}

pub fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "router_unauthorized",
        "missing or wrong codex-router client key (see client.key in the router home)",
    )
}

pub fn forbidden() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "router_forbidden",
        "codex-router only serves local clients: requests with an Origin header or a non-loopback Host are refused",
    )
}

pub fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "router_not_found",
        "codex-router does not serve this path",
    )
}

pub fn too_large(limit: u64) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "router_payload_too_large",
        &format!("request body exceeds the {limit}-byte limit ([proxy] max_body_bytes)"),
    )
}

pub fn bad_request_body() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "router_bad_request",
        "the request body could not be read",
    )
}

pub fn exhausted(e: &Exhausted, attempts: u32) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut resp = json_response(status, &e.body());
    if let Some(secs) = e.retry_after_secs() {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    set_router_headers(resp.headers_mut(), None, attempts);
    resp
}
