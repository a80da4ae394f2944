//! Account-bound `encrypted_content` blobs.
//!
//! The real backend encrypts reasoning and compaction items with a key only the producing account can use,
//! so replaying them on another account fails with `invalid_encrypted_content`. The fake gets the same
//! property by writing the minting account into the blob and checking it on the way back in.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const PREFIX: &str = "ENC.";

/// A blob minted for `chatgpt_account_id`. `serial` keeps blobs unique.
pub fn mint_encrypted_content(chatgpt_account_id: &str, serial: u64) -> String {
    format!(
        "{PREFIX}{}",
        STANDARD.encode(format!("{chatgpt_account_id}:{serial}"))
    )
}

/// The account a blob was minted for; `None` for anything the fake did not mint (which the backend treats
/// as foreign, exactly like a blob from another account).
pub fn encrypted_content_owner(blob: &str) -> Option<String> {
    let encoded = blob.strip_prefix(PREFIX)?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (account, serial) = decoded.rsplit_once(':')?;
    serial.parse::<u64>().ok()?;
    Some(account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_round_trips() {
        let blob = mint_encrypted_content("acc:with:colons", 7);
        assert_eq!(encrypted_content_owner(&blob).as_deref(), Some("acc:with:colons"));
        assert_ne!(blob, mint_encrypted_content("acc:with:colons", 8));
    }

    #[test]
    fn foreign_or_garbage_has_no_owner() {
        assert_eq!(encrypted_content_owner("gAAAAABnotours=="), None);
        assert_eq!(encrypted_content_owner("ENC.!!!"), None);
        assert_eq!(
            encrypted_content_owner(&format!("ENC.{}", STANDARD.encode("nocolon"))),
            None
        );
    }
}
