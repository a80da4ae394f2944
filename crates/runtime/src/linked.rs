//! Codex's own `auth.json`, for accounts imported from it (SPEC §6 "Import").
//!
//! After such an import Codex and the router hold the same refresh chain; the router becomes its
//! only refresher and writes each new token set back, so Codex never holds a spent refresh
//! token. The file is touched only while it still holds the same identity, checked on the bytes
//! read right before the atomic rename; when that cannot be determined it is left alone.

use std::path::Path;

use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::{decode_claims, identity};
use codex_router_store::{StoreError, StoredTokens, write_atomic};
use serde_json::Value;

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
