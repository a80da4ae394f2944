//! A minimal scripted issuer on `127.0.0.1:0`: it records every request and answers from a
//! per-path script (404 when the script is empty). It checks what we *send*; the stateful
//! behaviour of the real issuer (rotation, reuse, PKCE) is the FakeBackend's job.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is a test failure"
)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use codex_router_oauth::{CODEX_CLIENT_ID, OAuthClient, client_builder};

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub content_type: String,
    pub body: String,
}

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    script: HashMap<String, VecDeque<(u16, String)>>,
}

#[derive(Clone)]
pub struct Stub {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Stub {
    pub async fn start() -> Stub {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = inner.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { answer(&state, &uri, &headers, &body) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Stub { url, inner }
    }

    /// Queues one answer for `path`.
    pub fn script(&self, path: &str, status: u16, body: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .script
            .entry(path.to_owned())
            .or_default()
            .push_back((status, body.to_owned()));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// An OAuthClient on this stub, with the project's client configuration.
    pub fn client(&self) -> OAuthClient {
        OAuthClient::new(http(), &self.url, CODEX_CLIENT_ID)
    }
}

/// The project's client, minus proxies: loopback must not go through one the environment names.
pub fn http() -> reqwest::Client {
    client_builder(Duration::from_secs(5)).no_proxy().build().unwrap()
}

fn answer(inner: &Mutex<Inner>, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> axum::response::Response {
    let mut inner = inner.lock().unwrap();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    inner.seen.push(Seen {
        path: uri.path().to_owned(),
        content_type,
        body: String::from_utf8_lossy(body).into_owned(),
    });
    let (status, body) = inner
        .script
        .get_mut(uri.path())
        .and_then(VecDeque::pop_front)
        .unwrap_or((404, r#"{"detail":"Not Found"}"#.to_owned()));
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

/// A listener that accepts connections and never answers.
pub async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    url
}
