//! `bind/state.json` (SPEC §3): what the first bind saved, and how to tell a trustworthy state
//! from a damaged or tampered one. Pure: bytes in, verdict out.
//!
//! The state is trusted only if it parses, its port is in 1..=65535, and
//! `bind/config.toml.orig` is exactly what it says (present with the recorded SHA-256 when
//! the original existed, absent when it did not). Anything else is [`InvalidState`]: reported,
//! and unbind falls back to the surgical removal, since restoring unverified bytes could put
//! back something that was never the user's file.

use std::path::PathBuf;

use codex_router_core::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::edit::Originals;
use crate::provider::BindMode;

/// The bind state: the fields SPEC §3 lists, plus the binding's `mode` and the original
/// `openai_base_url` of the native binding (docs/binding.md). Both new fields default when
/// absent, so a state written before the native binding existed stays valid and reads as a
/// provider binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindState {
    /// The Codex `config.toml` this state is about, as given to the binder.
    pub config_path: PathBuf,
    /// Whether `config.toml` existed before the first bind.
    pub original_existed: bool,
    /// SHA-256 (lowercase hex) of `bind/config.toml.orig`; `null` when there was no original.
    pub original_sha256: Option<String>,
    /// Unix permission bits of the original (`420` is `0644`); `null` when there was no
    /// original, and on Windows.
    pub original_mode: Option<u32>,
    /// The original top-level `model_provider`, put back by a surgical unbind.
    pub original_model_provider: Option<String>,
    /// SHA-256 of the `config.toml` the last bind wrote: a file still matching it was not
    /// edited since, and unbind restores the original bytes exactly.
    pub bound_sha256: String,
    /// The port the last bind wrote.
    pub port: u16,
    /// When the last bind wrote `config.toml`.
    pub bound_at: Timestamp,
    /// Which binding the last bind wrote.
    #[serde(default)]
    pub mode: BindMode,
    /// The original top-level `openai_base_url`, put back by a surgical unbind of a native
    /// binding.
    #[serde(default)]
    pub original_openai_base_url: Option<String>,
}

impl BindState {
    /// The original keys a surgical unbind puts back.
    pub fn originals(&self) -> Originals {
        Originals {
            model_provider: self.original_model_provider.clone(),
            openai_base_url: self.original_openai_base_url.clone(),
        }
    }
}

/// A bind state that cannot be trusted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidState {
    /// For the user: what is wrong, without file content.
    pub reason: String,
    /// The `original_model_provider` it held if it parsed at all: still the best guess for a
    /// surgical unbind.
    pub original_model_provider: Option<String>,
    /// The same for `original_openai_base_url`.
    pub original_openai_base_url: Option<String>,
}

impl InvalidState {
    /// The best guess at the original keys.
    pub fn originals(&self) -> Originals {
        Originals {
            model_provider: self.original_model_provider.clone(),
            openai_base_url: self.original_openai_base_url.clone(),
        }
    }
}

/// The same fields read loosely, so a port of 70000 or 0 is reported as such instead of as
/// a type error.
#[derive(Deserialize)]
struct RawState {
    config_path: PathBuf,
    original_existed: bool,
    original_sha256: Option<String>,
    original_mode: Option<u32>,
    original_model_provider: Option<String>,
    bound_sha256: String,
    port: i64,
    bound_at: Timestamp,
    #[serde(default)]
    mode: BindMode,
    #[serde(default)]
    original_openai_base_url: Option<String>,
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Check `state.json`'s bytes against `config.toml.orig`'s (`None`: no such file).
pub fn validate(state_json: &[u8], original: Option<&[u8]>) -> Result<BindState, InvalidState> {
    let raw: RawState = serde_json::from_slice(state_json).map_err(|err| InvalidState {
        reason: format!(
            "bind/state.json is unreadable ({:?} error at line {}, column {})",
            err.classify(),
            err.line(),
            err.column()
        ),
        original_model_provider: None,
        original_openai_base_url: None,
    })?;
    let invalid = |reason: String| InvalidState {
        reason,
        original_model_provider: raw.original_model_provider.clone(),
        original_openai_base_url: raw.original_openai_base_url.clone(),
    };
    let port = u16::try_from(raw.port).ok().filter(|p| *p != 0).ok_or_else(|| {
        invalid(format!(
            "bind/state.json holds port {}, outside 1..65535",
            raw.port
        ))
    })?;
    if !is_sha256_hex(&raw.bound_sha256) {
        return Err(invalid("bind/state.json holds no valid bound_sha256".to_owned()));
    }
    match (raw.original_existed, original, raw.original_sha256.as_deref()) {
        (true, Some(bytes), Some(recorded)) if sha256_hex(bytes) == recorded => {}
        (true, Some(_), _) => {
            return Err(invalid(
                "bind/config.toml.orig does not match the SHA-256 recorded in bind/state.json".to_owned(),
            ));
        }
        (true, None, _) => return Err(invalid("bind/config.toml.orig is missing".to_owned())),
        (false, None, _) => {}
        (false, Some(_), _) => {
            return Err(invalid(
                "bind/state.json says there was no original config.toml, yet bind/config.toml.orig exists"
                    .to_owned(),
            ));
        }
    }
    Ok(BindState {
        config_path: raw.config_path,
        original_existed: raw.original_existed,
        original_sha256: raw.original_sha256,
        original_mode: raw.original_mode,
        original_model_provider: raw.original_model_provider,
        bound_sha256: raw.bound_sha256,
        port,
        bound_at: raw.bound_at,
        mode: raw.mode,
        original_openai_base_url: raw.original_openai_base_url,
    })
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The state as written: pretty JSON with a final newline. Fails only for a `config_path`
/// that is not UTF-8.
pub fn encode(state: &BindState) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(state)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
