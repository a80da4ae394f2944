//! Shared by the integration tests: fixtures, a spec, temp dirs.
#![allow(dead_code)] // each test binary uses a part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::fs;
use std::path::{Path, PathBuf};

use codex_router_codex_config::BindSpec;
use codex_router_core::{Secret, Timestamp};

/// A fake client key: 64 hex characters, like the real ones.
pub const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const PORT: u16 = 2456;

pub fn spec() -> BindSpec {
    BindSpec {
        port: PORT,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Provider,
    }
}

pub fn now() -> Timestamp {
    Timestamp::from_unix_secs(1_780_000_000)
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The inputs: every `<name>.toml` that is not an expected output.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_owned))
        .filter(|n| !n.contains('.'))
        .collect();
    names.sort();
    names
}

pub fn read_fixture(name: &str) -> Option<Vec<u8>> {
    fs::read(fixtures_dir().join(name)).ok()
}

/// A Codex home and a router `bind/` dir in one temp dir.
pub struct Homes {
    pub tmp: tempfile::TempDir,
    pub config: PathBuf,
    pub bind_dir: PathBuf,
}

pub fn homes() -> Homes {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("codex").join("config.toml");
    let bind_dir = tmp.path().join("router").join("bind");
    Homes {
        tmp,
        config,
        bind_dir,
    }
}

pub fn write_config(homes: &Homes, bytes: &[u8], mode: u32) {
    fs::create_dir_all(homes.config.parent().unwrap()).unwrap();
    fs::write(&homes.config, bytes).unwrap();
    set_mode(&homes.config, mode);
}

pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A [`BindFs`] over the real one that fails some calls, or runs a hook before them.
pub struct FlakyFs {
    /// Fail writes (or, with `removes`, removals) of files with this name...
    pub file_name: &'static str,
    pub removes: bool,
    /// ...this many times (`u32::MAX`: always)...
    pub failures: u32,
    /// ...with this error kind.
    pub kind: std::io::ErrorKind,
    /// Calls seen for `file_name`.
    pub calls: std::sync::atomic::AtomicU32,
    /// Run before every counted call, with its number (from 1).
    pub hook: Option<Box<dyn Fn(u32) + Sync>>,
}

impl FlakyFs {
    pub fn failing(file_name: &'static str, failures: u32) -> Self {
        Self {
            file_name,
            removes: false,
            failures,
            kind: std::io::ErrorKind::ResourceBusy,
            calls: Default::default(),
            hook: None,
        }
    }

    pub fn hooked(file_name: &'static str, hook: impl Fn(u32) + Sync + 'static) -> Self {
        Self {
            hook: Some(Box::new(hook)),
            ..Self::failing(file_name, 0)
        }
    }

    pub fn calls(&self) -> u32 {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn failing_removes(file_name: &'static str, failures: u32) -> Self {
        Self {
            removes: true,
            ..Self::failing(file_name, failures)
        }
    }

    fn check(&self, path: &Path, removal: bool) -> std::io::Result<()> {
        if path.file_name().and_then(|n| n.to_str()) != Some(self.file_name) || removal != self.removes {
            return Ok(());
        }
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let Some(hook) = &self.hook {
            hook(n);
        }
        if n <= self.failures {
            return Err(std::io::Error::from(self.kind));
        }
        Ok(())
    }
}

impl codex_router_codex_config::BindFs for FlakyFs {
    fn write(&self, path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
        self.check(path, false)?;
        codex_router_codex_config::RealFs.write(path, bytes, mode)
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        self.check(path, true)?;
        codex_router_codex_config::RealFs.remove(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        codex_router_codex_config::RealFs.rename(from, to)
    }
}

pub fn native_spec() -> BindSpec {
    BindSpec {
        mode: codex_router_codex_config::BindMode::Native,
        ..spec()
    }
}

/// A ChatGPT `auth.json` as Codex writes it, next to the config (the native bind needs one).
pub const ACCESS_TOKEN: &str = "at-0123456789";

pub fn sign_in(homes: &Homes) {
    let home = homes.config.parent().unwrap();
    fs::create_dir_all(home).unwrap();
    let auth = format!(
        r#"{{"OPENAI_API_KEY":null,"tokens":{{"id_token":"i","access_token":"{ACCESS_TOKEN}","refresh_token":"r","account_id":"acc"}}}}"#
    );
    fs::write(home.join("auth.json"), auth).unwrap();
}

/// [`homes`], signed in with ChatGPT.
pub fn signed_in_homes() -> Homes {
    let homes = homes();
    sign_in(&homes);
    homes
}
