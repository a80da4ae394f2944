//! The route table: backend routes under `/backend-api`, issuer routes at the root, like the two real hosts
//! (`chatgpt.com/backend-api` and `auth.openai.com`) folded onto one port.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};

use crate::server::Shared;
use crate::{backend, issuer};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/backend-api", any(backend::dispatch))
        .route("/backend-api/{*rest}", any(backend::dispatch))
        .route("/oauth/token", post(issuer::token::token))
        .route("/oauth/authorize", get(issuer::authorize::authorize))
        .route(
            "/api/accounts/deviceauth/usercode",
            post(issuer::device::usercode),
        )
        .route("/api/accounts/deviceauth/token", post(issuer::device::poll))
        .fallback(not_found)
        // Codex request bodies run to megabytes (full history replay); the router enforces its own limit.
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

async fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, r#"{"detail":"Not Found"}"#.to_owned())
}

/// A JSON answer with the body bytes exactly as given.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(http::header::CONTENT_TYPE, "application/json")], body).into_response()
}
