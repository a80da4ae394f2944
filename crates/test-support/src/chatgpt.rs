//! [`FakeChatgpt`]: the HTTPS side of `chatgpt.com` that Codex calls at `chatgpt_base_url`, for tests of the
//! native binding (SPEC §7).
//!
//! Natively bound, Codex sends only its model traffic to the router; workspace discovery, plugins, settings,
//! MCP, analytics and usage still go to `chatgpt_base_url` (`reference/codex-client.md` §8). Codex ≥0.156
//! requires that origin to be HTTPS and the discovery to list the signed-in account, so a plain-HTTP fake
//! cannot stand in for it. This one serves TLS on `127.0.0.1:0` with a leaf certificate for `127.0.0.1` and
//! `localhost`, signed by a CA made when the fake starts; Codex trusts it through `CODEX_CA_CERTIFICATE`
//! ([`FakeChatgpt::write_ca_pem`]). Nothing is generated ahead of time, so no key material lives in the tree.
//!
//! It answers `GET …/wham/accounts/check` with the configured accounts (the shape §8 measured), `GET
//! …/wham/usage` with the linked [`FakeBackend`]'s usage body for the bearer's account, and `200 {}` to
//! everything else, capturing every request first (method, path, headers — the bearer and
//! `chatgpt-account-id` included) so a test can prove which credentials reached it.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::{CancellationToken, DropGuard};
use tower::ServiceExt as _;

use crate::capture::CapturedRequest;
use crate::clock::now_unix;
use crate::handle::FakeBackend;
use crate::routes::json_response;
use crate::server::Shared;

/// A TLS handshake that has not finished by then is abandoned, so a client that connects and stalls
/// cannot pin a task for the fake's whole life.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why [`FakeChatgpt::try_start`] failed.
#[derive(Debug)]
pub enum FakeChatgptError {
    /// Binding the loopback port.
    Io(std::io::Error),
    /// Generating the test CA or the leaf certificate.
    Certificate(rcgen::Error),
    /// Building the TLS server configuration from them.
    Tls(rustls::Error),
}

impl fmt::Display for FakeChatgptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "fake chatgpt: binding 127.0.0.1:0: {e}"),
            Self::Certificate(e) => write!(f, "fake chatgpt: generating the test certificates: {e}"),
            Self::Tls(e) => write!(f, "fake chatgpt: TLS configuration: {e}"),
        }
    }
}

impl std::error::Error for FakeChatgptError {}

/// A fake `https://chatgpt.com/backend-api/` on a loopback port with a test CA. Cheap to clone; the server
/// stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeChatgpt {
    inner: Arc<Inner>,
}

impl fmt::Debug for FakeChatgpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeChatgpt")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

struct Inner {
    shared: Arc<ChatgptShared>,
    addr: SocketAddr,
    ca_pem: String,
    _stop: DropGuard,
}

struct ChatgptShared {
    requests: Mutex<Vec<CapturedRequest>>,
    /// The ids `wham/accounts/check` lists.
    accounts: Mutex<Vec<String>>,
    /// The fake backend whose tokens this fake recognises (to name a bearer's account and answer usage).
    /// Its `Shared`, not its handle: this link must not keep the backend's server alive.
    backend: Option<Arc<Shared>>,
}

impl FakeChatgpt {
    /// Serves on `127.0.0.1:0`, listing `signed_in` in workspace discovery. Bearers are not resolved to
    /// accounts (see [`FakeChatgpt::start_linked`]).
    ///
    /// # Panics
    /// When the port or the certificates cannot be had: a test cannot run without them.
    pub async fn start(signed_in: &str) -> FakeChatgpt {
        match Self::try_start(signed_in, None).await {
            Ok(fake) => fake,
            Err(err) => panic!("{err}"),
        }
    }

    /// Like [`FakeChatgpt::start`], and recognises `backend`'s tokens: captured requests name the bearer's
    /// account, and `wham/usage` answers with that account's usage.
    ///
    /// # Panics
    /// When the port or the certificates cannot be had.
    pub async fn start_linked(backend: &FakeBackend, signed_in: &str) -> FakeChatgpt {
        match Self::try_start(signed_in, Some(backend)).await {
            Ok(fake) => fake,
            Err(err) => panic!("{err}"),
        }
    }

    /// The fallible start under both constructors.
    pub async fn try_start(
        signed_in: &str,
        backend: Option<&FakeBackend>,
    ) -> Result<FakeChatgpt, FakeChatgptError> {
        let certs = TestCertificates::generate().map_err(FakeChatgptError::Certificate)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(FakeChatgptError::Tls)?
            .with_no_client_auth()
            .with_single_cert(vec![certs.leaf], certs.leaf_key)
            .map_err(FakeChatgptError::Tls)?;
        // HTTP/1.1 only: the server below speaks nothing else, and a client offering h2 falls back.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(FakeChatgptError::Io)?;
        let addr = listener.local_addr().map_err(FakeChatgptError::Io)?;
        let shared = Arc::new(ChatgptShared {
            requests: Mutex::new(Vec::new()),
            accounts: Mutex::new(vec![signed_in.to_owned()]),
            backend: backend.map(FakeBackend::shared_arc),
        });
        let router = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let cancel = CancellationToken::new();
        tokio::spawn(accept_loop(listener, acceptor, router, cancel.clone()));
        Ok(FakeChatgpt {
            inner: Arc::new(Inner {
                shared,
                addr,
                ca_pem: certs.ca_pem,
                _stop: cancel.drop_guard(),
            }),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `https://127.0.0.1:PORT/backend-api/`: the form of Codex's default `chatgpt_base_url`
    /// (`https://chatgpt.com/backend-api/`), trailing slash included.
    pub fn base_url(&self) -> String {
        format!("https://{}/backend-api/", self.inner.addr)
    }

    /// The test CA's certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }

    /// Writes the CA certificate to `path`, for `CODEX_CA_CERTIFICATE`.
    pub fn write_ca_pem(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, &self.inner.ca_pem)
    }

    /// The account ids workspace discovery lists from now on (an empty list makes Codex refuse with
    /// "selected workspace missing from routing discovery").
    pub fn set_accounts(&self, ids: &[&str]) {
        *self.inner.shared.accounts.lock() = ids.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.inner.shared.requests.lock().clone()
    }
}

/// Every request: captured, then answered by path.
async fn handle(State(shared): State<Arc<ChatgptShared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut captured = CapturedRequest::new(&parts.method, &parts.uri, &parts.headers, body);
    let account = match (&shared.backend, crate::backend::bearer(&parts.headers)) {
        (Some(backend), Some(token)) => backend
            .state
            .lock()
            .bearer_status(token, now_unix())
            .account()
            .map(str::to_owned),
        _ => None,
    };
    captured.account.clone_from(&account);
    shared.requests.lock().push(captured);

    let path = parts.uri.path();
    if path.ends_with("/wham/accounts/check") {
        let accounts: Vec<_> = shared
            .accounts
            .lock()
            .iter()
            .map(|id| {
                json!({"id": id, "workspace_backend_origin": "NO_CONSTRAINT",
                    "account_routing_override": "NO_CONSTRAINT"})
            })
            .collect();
        return json_response(StatusCode::OK, json!({"accounts": accounts}).to_string());
    }
    if path.ends_with("/wham/usage")
        && let (Some(backend), Some(account)) = (&shared.backend, &account)
    {
        return crate::backend::usage(backend, account);
    }
    json_response(StatusCode::OK, "{}".to_owned())
}

/// Accepts until `cancel` fires; each connection does its TLS handshake and is served on its own task.
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    cancel: CancellationToken,
) {
    while let Some(tcp) = crate::server::accept_next(&listener, &cancel, "fake chatgpt").await {
        let (acceptor, router, cancel) = (acceptor.clone(), router.clone(), cancel.clone());
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    tracing::debug!(%err, "fake chatgpt TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let resp: Result<Response, Infallible> = router.oneshot(req.map(Body::new)).await;
                    resp
                }
            });
            let conn =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                res = conn => {
                    if let Err(err) = res {
                        tracing::trace!(%err, "fake chatgpt connection ended with an error");
                    }
                }
                () = cancel.cancelled() => {}
            }
        });
    }
}

/// A CA made for this fake alone and the server certificate it signed.
struct TestCertificates {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: PrivateKeyDer<'static>,
}

impl TestCertificates {
    fn generate() -> Result<Self, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "codex-router test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate()?;
        // `new` turns "127.0.0.1" into an IP-address SAN, which is what a client checks for an IP host.
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        leaf.distinguished_name.push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
        Ok(Self {
            ca_pem: ca_cert.pem(),
            leaf: leaf_cert.der().clone(),
            leaf_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FakeAccount;

    fn trusting(ca_pem: &str) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM");
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca)
            .no_proxy()
            .build()
            .expect("client")
    }

    #[tokio::test]
    async fn discovery_lists_the_signed_in_account_and_everything_else_is_an_empty_object() {
        let fake = FakeChatgpt::start("acct-l").await;
        let client = trusting(fake.ca_pem());
        let base = fake.base_url();
        assert!(base.starts_with("https://127.0.0.1:") && base.ends_with("/backend-api/"));
        let resp = client
            .get(format!("{base}wham/accounts/check"))
            .bearer_auth("tok-l")
            .header("chatgpt-account-id", "acct-l")
            .send()
            .await
            .expect("discovery");
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(
            body,
            json!({"accounts": [{"id": "acct-l", "workspace_backend_origin": "NO_CONSTRAINT",
                "account_routing_override": "NO_CONSTRAINT"}]})
        );
        let resp = client
            .post(format!("{base}codex/analytics-events/events"))
            .body("{\"events\":[]}")
            .send()
            .await
            .expect("analytics");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.expect("body"), "{}");

        let seen = fake.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str()),
            ("GET", "/backend-api/wham/accounts/check")
        );
        assert_eq!(seen[0].header("authorization"), Some("Bearer tok-l"));
        assert_eq!(seen[0].header("chatgpt-account-id"), Some("acct-l"));
        assert_eq!(seen[0].account, None, "not linked to a backend");
        assert_eq!(seen[1].method, "POST");
        assert_eq!(&seen[1].body[..], b"{\"events\":[]}");

        fake.set_accounts(&["acct-x", "acct-y"]);
        let body: serde_json::Value = client
            .get(format!("{base}wham/accounts/check"))
            .send()
            .await
            .expect("discovery")
            .json()
            .await
            .expect("json");
        assert_eq!(body["accounts"][1]["id"], "acct-y");
    }

    #[tokio::test]
    async fn the_certificate_holds_for_localhost_and_only_for_a_client_trusting_the_test_ca() {
        let fake = FakeChatgpt::start("acct-l").await;
        let by_name = format!(
            "https://localhost:{}/backend-api/ps/plugins/installed",
            fake.addr().port()
        );
        let resp = trusting(fake.ca_pem())
            .get(&by_name)
            .send()
            .await
            .expect("by name");
        assert_eq!(resp.status(), 200);
        let other = FakeChatgpt::start("acct-l").await;
        let err = trusting(other.ca_pem())
            .get(&by_name)
            .send()
            .await
            .expect_err("another CA's client must refuse this certificate");
        assert!(
            format!("{err:?}").to_lowercase().contains("certificate"),
            "{err:?}"
        );
        assert_eq!(fake.requests().len(), 1, "the refused handshake sent no request");

        let dir = tempfile_dir();
        let path = dir.join("ca.pem");
        fake.write_ca_pem(&path).expect("write");
        let written = std::fs::read_to_string(&path).expect("read");
        assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(written, fake.ca_pem());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[tokio::test]
    async fn linked_to_the_backend_it_names_the_bearers_account_and_answers_its_usage() {
        let backend = FakeBackend::start().await;
        let tokens = backend.add_account(FakeAccount::new("acct-l", "plus"));
        let fake = FakeChatgpt::start_linked(&backend, "acct-l").await;
        let resp = trusting(fake.ca_pem())
            .get(format!("{}wham/usage", fake.base_url()))
            .bearer_auth(&tokens.access_token)
            .header("chatgpt-account-id", "acct-l")
            .send()
            .await
            .expect("usage");
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body["account_id"], "acct-l", "{body}");
        assert_eq!(fake.requests()[0].account.as_deref(), Some("acct-l"));
        assert!(backend.requests().is_empty(), "the backend itself saw nothing");
    }

    /// A private directory under the system temp dir (the crate has no `tempfile` dependency).
    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fake-chatgpt-{}", crate::state::random_string(12)));
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }
}
