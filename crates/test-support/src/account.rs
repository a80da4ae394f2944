//! Identities the fake issuer knows and the token sets it hands out.

use std::fmt;

/// One ChatGPT identity. `chatgpt_account_id` is the workspace (what the backend routes on); several users
/// may share it, as in a Team workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeAccount {
    pub chatgpt_account_id: String,
    pub user_id: String,
    pub email: String,
    pub plan_type: String,
    /// Lifetime of the first access token `add_account`/`issue_tokens` mint. Negative means the token's `exp`
    /// claim is already in the past, so the router sees an expired token at load time.
    pub access_ttl_secs: i64,
}

impl FakeAccount {
    /// Derives the rest of the identity from the id so tests only name what they care about.
    pub fn new(id: &str, plan: &str) -> Self {
        Self {
            chatgpt_account_id: id.to_owned(),
            user_id: format!("user-{id}"),
            email: format!("{id}@example.test"),
            plan_type: plan.to_owned(),
            access_ttl_secs: 3600,
        }
    }

    /// Same identity, another user of the same workspace (Team seats share `chatgpt_account_id`).
    pub fn with_user(mut self, user_id: &str) -> Self {
        self.user_id = user_id.to_owned();
        self
    }

    pub fn with_ttl(mut self, access_ttl_secs: i64) -> Self {
        self.access_ttl_secs = access_ttl_secs;
        self
    }
}

/// A token set as the issuer returns it. `Debug` hides the tokens: tests print these in assertion failures
/// and the project's rule is that secrets never reach output, fake or not.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    /// The access token's `exp` claim.
    pub expires_at_unix: i64,
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("id_token", &"<redacted>")
            .field("expires_at_unix", &self.expires_at_unix)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_derives_identity() {
        let a = FakeAccount::new("acc-1", "pro");
        assert_eq!(a.user_id, "user-acc-1");
        assert_eq!(a.email, "acc-1@example.test");
        assert_eq!(a.access_ttl_secs, 3600);
    }

    #[test]
    fn debug_hides_tokens() {
        let t = IssuedTokens {
            access_token: "secret-a".into(),
            refresh_token: "secret-r".into(),
            id_token: "secret-i".into(),
            expires_at_unix: 5,
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"));
        assert!(shown.contains("expires_at_unix: 5"));
    }
}
