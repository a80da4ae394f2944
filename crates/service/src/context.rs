//! Where the service files go on each platform, as pure functions of a [`ServiceContext`].
//!
//! - Linux: `$XDG_CONFIG_HOME/systemd/user/codex-routerd.service` (`~/.config/…` when unset
//!   or relative, as systemd's user search path has it).
//! - macOS: `~/Library/LaunchAgents/com.codex-router.daemon.plist`.
//! - Windows: the task lives in Task Scheduler; its XML is kept as
//!   `<router home>\codex-routerd-task.xml` so `status` can show what was registered.
//!
//! `<router home>/service.json` records what `install` created, so `uninstall` removes
//! exactly that (see [`crate::record`]).

use std::path::PathBuf;

use codex_router_store::{Platform, RouterPaths};

use crate::error::ServiceError;

use crate::spec::{LAUNCHD_LABEL, TASK_NAME, UNIT_NAME};

/// The facts about the user's session the installer needs, gathered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceContext {
    pub platform: Platform,
    /// The user's home directory.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME` when set to an absolute path (Linux only).
    pub config_home: Option<PathBuf>,
    /// The numeric user id (macOS names its launchd domain `gui/<uid>`).
    pub uid: Option<u32>,
    /// The login name (for `loginctl` and the Windows task).
    pub user: String,
    /// The router home: where the install record (and the Windows task XML) live.
    pub router_home: PathBuf,
}

impl ServiceContext {
    /// The context of the current process: environment read through `env`, the uid from the
    /// OS, the router home resolved as the daemon resolves it.
    pub fn current(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ServiceError> {
        let platform = Platform::current();
        let home_var = if platform == Platform::Windows {
            "USERPROFILE"
        } else {
            "HOME"
        };
        let home = env(home_var)
            .filter(|h| !h.trim().is_empty())
            .map(PathBuf::from)
            .ok_or(ServiceError::NoHome { var: home_var })?;
        Ok(ServiceContext {
            platform,
            config_home: env("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute()),
            uid: current_uid(),
            user: codex_router_store::user::qualified_user_name(platform, env).unwrap_or_default(),
            router_home: RouterPaths::resolve(env)?.home,
            home,
        })
    }

    /// Where the service definition file goes.
    pub fn definition_path(&self) -> PathBuf {
        match self.platform {
            Platform::Linux => self
                .config_home
                .clone()
                .unwrap_or_else(|| self.home.join(".config"))
                .join("systemd")
                .join("user")
                .join(UNIT_NAME),
            Platform::MacOs => self
                .home
                .join("Library")
                .join("LaunchAgents")
                .join(format!("{LAUNCHD_LABEL}.plist")),
            Platform::Windows => self.router_home.join(format!("{TASK_NAME}-task.xml")),
        }
    }

    /// `<router home>/service.json`: what `install` created.
    pub fn record_path(&self) -> PathBuf {
        self.router_home.join("service.json")
    }

    /// The launchd domain of this user's GUI session, `gui/<uid>`.
    pub(crate) fn launchd_domain(&self) -> String {
        format!("gui/{}", self.uid.unwrap_or_default())
    }
}

#[cfg(unix)]
fn current_uid() -> Option<u32> {
    Some(rustix::process::getuid().as_raw())
}

#[cfg(not(unix))]
fn current_uid() -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn ctx(platform: Platform, config_home: Option<&str>) -> ServiceContext {
        ServiceContext {
            platform,
            home: PathBuf::from("/home/j"),
            config_home: config_home.map(PathBuf::from),
            uid: Some(501),
            user: "j".to_owned(),
            router_home: PathBuf::from("/data/router"),
        }
    }

    #[test]
    fn definition_paths_follow_each_platform() {
        let linux = ctx(Platform::Linux, None).definition_path();
        assert_eq!(
            linux,
            Path::new("/home/j/.config/systemd/user/codex-routerd.service")
        );
        let xdg = ctx(Platform::Linux, Some("/xdg")).definition_path();
        assert_eq!(xdg, Path::new("/xdg/systemd/user/codex-routerd.service"));
        let mac = ctx(Platform::MacOs, None).definition_path();
        assert_eq!(
            mac,
            Path::new("/home/j/Library/LaunchAgents/com.codex-router.daemon.plist")
        );
        let win = ctx(Platform::Windows, None).definition_path();
        assert_eq!(win, Path::new("/data/router/codex-routerd-task.xml"));
        assert_eq!(ctx(Platform::MacOs, None).launchd_domain(), "gui/501");
    }

    #[cfg(unix)]
    #[test]
    fn a_relative_xdg_config_home_is_ignored() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/j".to_owned()),
            "XDG_CONFIG_HOME" => Some("relative/cfg".to_owned()),
            "CODEX_ROUTER_HOME" => Some("/r".to_owned()),
            "USER" => Some("j".to_owned()),
            _ => None,
        };
        let ctx = ServiceContext::current(&env).unwrap();
        assert_eq!(ctx.config_home, None);
        assert_eq!(ctx.router_home, Path::new("/r"));
    }
}
