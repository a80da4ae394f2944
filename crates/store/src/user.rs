//! Who the current user is, as the environment says: the service definitions, `loginctl` and
//! the Windows pipe name all need the same answer.

use crate::paths::Platform;

/// The bare login name: `USERNAME` on Windows, `USER` else `LOGNAME` elsewhere. A blank value
/// counts as unset (a `docker exec` shell may export `USER=`).
pub fn login_name(platform: Platform, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |key: &str| env(key).filter(|value| !value.trim().is_empty());
    match platform {
        Platform::Windows => get("USERNAME"),
        Platform::Linux | Platform::MacOs => get("USER").or_else(|| get("LOGNAME")),
    }
}

/// The login name as the service manager spells it: `DOMAIN\user` on Windows when the domain
/// is known (Task Scheduler's `<UserId>`), the bare name elsewhere.
pub fn qualified_user_name(platform: Platform, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let user = login_name(platform, env)?;
    if platform != Platform::Windows {
        return Some(user);
    }
    Some(
        match env("USERDOMAIN").filter(|domain| !domain.trim().is_empty()) {
            Some(domain) => format!("{domain}\\{user}"),
            None => user,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn unix_prefers_user_then_logname_and_skips_blanks() {
        let both = env(&[("USER", "j"), ("LOGNAME", "l")]);
        assert_eq!(login_name(Platform::Linux, &both).as_deref(), Some("j"));
        let blank = env(&[("USER", " "), ("LOGNAME", "l")]);
        assert_eq!(login_name(Platform::MacOs, &blank).as_deref(), Some("l"));
        assert_eq!(login_name(Platform::Linux, &env(&[("USERNAME", "w")])), None);
    }

    #[test]
    fn windows_reads_username_and_qualifies_with_the_domain() {
        let vars = env(&[("USERNAME", "w"), ("USERDOMAIN", "CORP"), ("USER", "u")]);
        assert_eq!(login_name(Platform::Windows, &vars).as_deref(), Some("w"));
        assert_eq!(
            qualified_user_name(Platform::Windows, &vars).as_deref(),
            Some("CORP\\w")
        );
        let local = env(&[("USERNAME", "w")]);
        assert_eq!(
            qualified_user_name(Platform::Windows, &local).as_deref(),
            Some("w")
        );
        assert_eq!(qualified_user_name(Platform::Linux, &vars).as_deref(), Some("u"));
    }
}
