//! Codex's own `auth.json`, for accounts imported from it (SPEC §6 "Import").
//!
//! After such an import Codex and the router hold the same refresh chain; the router becomes its
//! only refresher and writes each new token set back, so Codex never holds a spent refresh
//! token. The file is touched only while it still holds the same identity, checked on the bytes
//! read right before the atomic rename; when that cannot be determined it is left alone.

use std::path::Path;

use codex_router_core::claims::{decode_claims, identity};
use codex_router_core::{Secret, Timestamp};
use serde_json::Value;

use crate::{StoreError, StoredTokens, write_atomic};

fn tokens_identity(tokens: &Value) -> Option<(String, String)> {
    ["id_token", "access_token"]
        .iter()
        .filter_map(|k| tokens.get(k).and_then(Value::as_str))
        .filter_map(|t| decode_claims(t).ok())
        .find_map(|c| identity(&c))
}

/// The file's tokens, if it holds `expected`'s identity.
pub fn read_same_identity(path: &Path, expected: &(String, String)) -> Option<StoredTokens> {
    let bytes = std::fs::read(path).ok()?;
    let doc: Value = serde_json::from_slice(&bytes).ok()?;
    let tokens = doc.get("tokens")?;
    if tokens_identity(tokens).as_ref() != Some(expected) {
        return None;
    }
    let s = |k: &str| tokens.get(k).and_then(Value::as_str).map(Secret::new);
    Some(StoredTokens {
        access_token: s("access_token")?,
        refresh_token: s("refresh_token")?,
        id_token: s("id_token"),
        expires_at: None,
    })
}

/// Writes `tokens` into the file's `tokens` object (and `last_refresh`), keeping every other
/// field. Returns false, writing nothing, when the file holds another identity.
pub fn write_back(
    path: &Path,
    tokens: &StoredTokens,
    expected: &(String, String),
    last_refresh: Option<Timestamp>,
) -> Result<bool, StoreError> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Read {
        path: path.to_owned(),
        source,
    })?;
    let Ok(mut doc) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(false);
    };
    let Some(current) = doc.get("tokens") else {
        return Ok(false);
    };
    if tokens_identity(current).as_ref() != Some(expected) {
        return Ok(false);
    }
    let Some(t) = doc.get_mut("tokens").and_then(Value::as_object_mut) else {
        return Ok(false);
    };
    t.insert(
        "access_token".into(),
        Value::String(tokens.access_token.expose().to_owned()),
    );
    t.insert(
        "refresh_token".into(),
        Value::String(tokens.refresh_token.expose().to_owned()),
    );
    if let Some(idt) = &tokens.id_token {
        t.insert("id_token".into(), Value::String(idt.expose().to_owned()));
    }
    if let (Some(lr), Some(obj)) = (last_refresh, doc.as_object_mut()) {
        obj.insert("last_refresh".into(), Value::String(lr.to_rfc3339()));
    }
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| StoreError::Encode {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    out.push(b'\n');
    write_atomic(path, &out, 0o600)?;
    Ok(true)
}

/// How a linked Codex `auth.json` stands: whether the router can still keep Codex's login alive,
/// and if not, what the user should do. Shown by `status` and `doctor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkHealth {
    pub account_id: String,
    pub label: String,
    pub path: std::path::PathBuf,
    /// `ok`, `other_account` (Codex is signed in to another identity now), `unreadable` (missing,
    /// signed out, not Codex's format) or `write_failed` (the last write-back failed).
    pub state: &'static str,
    /// What is wrong, in a sentence; `None` when `ok`.
    pub message: Option<String>,
    /// What to run; `None` when `ok`.
    pub fix: Option<String>,
}

/// The state of the file at `path` for an account of identity `expected`, judged on its bytes now.
pub fn file_state(path: &Path, expected: &(String, String)) -> &'static str {
    let Ok(bytes) = std::fs::read(path) else {
        return "unreadable";
    };
    let Some(tokens) = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|d| d.get("tokens").cloned())
    else {
        return "unreadable";
    };
    match tokens_identity(&tokens) {
        Some(found) if &found == expected => "ok",
        Some(_) => "other_account",
        None => "unreadable",
    }
}

/// The health of one link: the file's state now, else the last write-back's failure.
pub fn health(
    account_id: &str,
    label: &str,
    path: &Path,
    expected: Option<&(String, String)>,
    last_write_error: Option<&str>,
) -> LinkHealth {
    let state = match expected {
        Some(identity) => file_state(path, identity),
        None => "unreadable",
    };
    let state = if state == "ok" && last_write_error.is_some() {
        "write_failed"
    } else {
        state
    };
    let shown = path.display();
    let (message, fix) = match state {
        "ok" => (None, None),
        "other_account" => (
            Some(format!(
                "Codex's {shown} now holds another account, so the router leaves it alone and no longer \
                 keeps Codex's login of {label} fresh"
            )),
            Some(format!(
                "nothing, if Codex should stay on the other account; to link {label} again, sign Codex in \
                 to it (`codex login`) and run `codexctl accounts import`"
            )),
        ),
        "write_failed" => (
            Some(format!(
                "the router could not write refreshed tokens of {label} into {shown} ({}); Codex may hold a \
                 spent refresh token",
                last_write_error.unwrap_or("unknown error")
            )),
            Some(format!(
                "make {shown} writable by you; the next refresh writes it again"
            )),
        ),
        _ => (
            Some(format!(
                "{shown}, linked to {label}, is missing or holds no ChatGPT login the router can read, so \
                 the router leaves it alone"
            )),
            Some("sign Codex in again (`codex login`), then run `codexctl accounts import`".to_owned()),
        ),
    };
    LinkHealth {
        account_id: account_id.to_owned(),
        label: label.to_owned(),
        path: path.to_owned(),
        state,
        message,
        fix,
    }
}
