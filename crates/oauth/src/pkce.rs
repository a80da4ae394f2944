//! PKCE (RFC 7636) for the browser login, and the `state` value that ties a redirect to the
//! login attempt that started it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_router_core::Secret;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// A verifier and its S256 challenge. The challenge travels in the authorize URL and may be
/// shown; the verifier proves the code exchange comes from us, so it is a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair: 64 random bytes as unpadded base64url (86 characters, within RFC 7636's
    /// 43..=128), exactly as Codex generates it.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_verifier(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The pair for a given verifier: `challenge = BASE64URL(SHA256(verifier))`.
    pub fn from_verifier(verifier: Secret) -> Self {
        let digest = Sha256::digest(verifier.expose().as_bytes());
        let challenge = URL_SAFE_NO_PAD.encode(digest);
        Self { verifier, challenge }
    }
}

/// A fresh `state` for one login attempt: 32 random bytes as unpadded base64url.
pub fn generate_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let pkce = Pkce::from_verifier(Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_pairs_are_well_formed_and_distinct() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_eq!(a.verifier.expose().len(), 86);
        assert!(
            a.verifier
                .expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(a, Pkce::from_verifier(a.verifier.clone()));
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(generate_state(), generate_state());
        assert_eq!(generate_state().len(), 43);
    }

    #[test]
    fn debug_hides_the_verifier() {
        let pkce = Pkce::generate();
        assert!(!format!("{pkce:?}").contains(pkce.verifier.expose()));
    }
}
