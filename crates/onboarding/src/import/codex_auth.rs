//! Codex CLI's own `auth.json` (`$CODEX_HOME/auth.json`):
//! `{"auth_mode","OPENAI_API_KEY","tokens":{"id_token","access_token","refresh_token","account_id"},
//! "last_refresh"}`.
//!
//! The file holds one ChatGPT login. Parsing one never links it: only Codex's own
//! `$CODEX_HOME/auth.json` is linked, and only to the account Codex is signed in to, by
//! identity ([`super::link_codex_login`]). A copy or a backup is just a source of tokens.

use std::path::Path;

use codex_router_core::{Secret, Timestamp};
use codex_router_store::normalize::claims_of;
use codex_router_store::{StoredAccount, StoredTokens};
use serde_json::{Map, Value};

use super::json::{lenient_str, opt_str, parse_object, req_str};
use super::{SOURCE_CODEX_AUTH, import_error};
use crate::error::{ImportError, ImportProblem};

/// The account in a Codex `auth.json` at `path` (named in errors). An API-key-only file is refused with
/// [`ImportProblem::ApiKeyOnly`]: an API key is not an account the pool can rotate.
pub fn parse_codex_auth(path: &Path, bytes: &[u8]) -> Result<Vec<StoredAccount>, ImportError> {
    read(path, bytes).map_err(|problem| import_error(path, problem))
}

fn read(_path: &Path, bytes: &[u8]) -> Result<Vec<StoredAccount>, ImportProblem> {
    let doc = parse_object(bytes)?;
    let tokens = match doc.get("tokens") {
        Some(Value::Object(tokens)) => tokens,
        Some(Value::Null) | None => return Err(no_tokens(&doc)),
        Some(_) => return Err(ImportProblem::field("tokens", "must be an object")),
    };
    let field = |key: &str| format!("tokens.{key}");
    let refresh = req_str(tokens, "refresh_token", || field("refresh_token"))?;
    let access = req_str(tokens, "access_token", || field("access_token"))?;
    let id_token = opt_str(tokens, "id_token", || field("id_token"))?;

    let mut account = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        id_token: id_token.map(Secret::new),
        expires_at: None,
    });
    account.source = Some(SOURCE_CODEX_AUTH.to_owned());
    // Codex writes `last_refresh` itself; a value that does not parse only loses the
    // tie-breaker between equally fresh token sets, so it is not worth refusing the file.
    account.last_refresh = lenient_str(&doc, "last_refresh").and_then(|s| Timestamp::parse_rfc3339(s).ok());
    // The claims are the authority on the workspace; Codex's copy is the fallback for tokens
    // whose claims lack it.
    if claims_of(&account).chatgpt_account_id.is_none() {
        account.chatgpt_account_id = lenient_str(tokens, "account_id").map(str::to_owned);
    }
    Ok(vec![account])
}

/// Why a file without `tokens` holds nothing to import, with the most helpful explanation.
fn no_tokens(doc: &Map<String, Value>) -> ImportProblem {
    if doc.contains_key("accounts") && doc.contains_key("version") {
        return ImportProblem::LooksLikeMultiAuth;
    }
    let has_api_key = lenient_str(doc, "OPENAI_API_KEY").is_some();
    let api_key_mode = lenient_str(doc, "auth_mode").is_some_and(|m| m.eq_ignore_ascii_case("apikey"));
    if has_api_key || api_key_mode {
        ImportProblem::ApiKeyOnly
    } else {
        ImportProblem::NoLogin
    }
}
