//! Puts the OS trust store back when `SSL_CERT_FILE`/`SSL_CERT_DIR` displaced it.
//!
//! `rustls-native-certs` (what reqwest's `rustls-tls-native-roots` uses) loads *only* the
//! environment's locations when either variable is set, even an empty `SSL_CERT_FILE`. SPEC §4
//! wants the OS store *plus* the extra file: a corporate CA file usually holds only the TLS
//! inspecting proxy's CA, and hosts reached directly (`NO_PROXY`) still need the public roots.
//! So when a variable is set we read the first OS bundle file that exists and add it.
//!
//! Every certificate is checked the way reqwest will check it (`RootCertStore::add`) before it
//! is handed over: reqwest fails `build()` on the first certificate rustls rejects, and OS
//! bundles do contain oddities that the native loader skips silently. Failures here never fail
//! the client; they are logged and the environment's roots still apply.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// OS bundle files, most common first (the same list Go and openssl-probe use). On Windows the
/// store is not a file, so nothing is added back there.
#[cfg(unix)]
const OS_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Gentoo, NixOS
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // Fedora, RHEL 7+
    "/etc/pki/tls/certs/ca-bundle.crt",   // older Fedora/RHEL
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // Alpine, macOS, OpenBSD
    "/usr/local/share/certs/ca-root-nss.crt", // FreeBSD
];
#[cfg(not(unix))]
const OS_BUNDLES: &[&str] = &[];

/// The OS roots reqwest will not load because the environment names other locations; empty
/// when it names none (reqwest loads the OS store itself then).
pub(crate) fn os_roots_displaced_by_env() -> Vec<reqwest::Certificate> {
    let env_file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let env_dirs = std::env::var_os("SSL_CERT_DIR")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|p| !p.as_os_str().is_empty()));
    let candidates = OS_BUNDLES.iter().map(Path::new);
    match bundle_to_add(env_file.as_deref(), env_dirs, candidates) {
        Some(path) => load_bundle(&path),
        None => Vec::new(),
    }
}

/// Which OS bundle to add: none when the environment sets no location (the OS store is loaded
/// anyway) or when `SSL_CERT_FILE` already is that bundle (as on NixOS and in many containers).
fn bundle_to_add<'a>(
    env_file: Option<&Path>,
    env_dirs: bool,
    candidates: impl IntoIterator<Item = &'a Path>,
) -> Option<PathBuf> {
    if env_file.is_none() && !env_dirs {
        return None;
    }
    let bundle = candidates.into_iter().find(|p| p.is_file())?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    match env_file {
        Some(file) if same(file, bundle) => None,
        _ => Some(bundle.to_path_buf()),
    }
}

/// The certificates of a PEM bundle that rustls accepts as trust anchors.
fn load_bundle(path: &Path) -> Vec<reqwest::Certificate> {
    bundle_ders(path)
        .into_iter()
        .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
        .collect()
}

/// The DER certificates of a PEM bundle that rustls accepts as trust anchors.
fn bundle_ders(path: &Path) -> Vec<CertificateDer<'static>> {
    let pem = match std::fs::read(path) {
        Ok(pem) => pem,
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "cannot read the OS trust bundle");
            return Vec::new();
        }
    };
    let mut n_skipped = 0usize;
    let mut certs = Vec::new();
    for der in CertificateDer::pem_slice_iter(&pem) {
        let accepted = der.ok().filter(|der| {
            let mut probe = rustls::RootCertStore::empty();
            probe.add(der.clone()).is_ok()
        });
        match accepted {
            Some(der) => certs.push(der),
            None => n_skipped += 1,
        }
    }
    tracing::debug!(path = %path.display(), n_added = certs.len(), n_skipped, "added OS trust roots");
    certs
}

/// The trust roots for TLS clients that reqwest does not build (the upstream WebSocket): the
/// same set reqwest ends up with — the native loader's roots (the OS store, or the
/// environment's `SSL_CERT_FILE`/`SSL_CERT_DIR`) plus the OS bundle those displaced.
pub fn root_store() -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for err in &native.errors {
        tracing::debug!(%err, "a native trust root could not be loaded");
    }
    let (n_added, n_skipped) = store.add_parsable_certificates(native.certs);
    tracing::debug!(
        n_added,
        n_skipped,
        "native trust roots for the upstream WebSocket"
    );
    let env_file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let env_dirs = std::env::var_os("SSL_CERT_DIR")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|p| !p.as_os_str().is_empty()));
    if let Some(path) = bundle_to_add(env_file.as_deref(), env_dirs, OS_BUNDLES.iter().map(Path::new)) {
        store.add_parsable_certificates(bundle_ders(&path));
    }
    store
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
