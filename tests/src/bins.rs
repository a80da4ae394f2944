//! Where the binaries under test are.
//!
//! `cargo test` builds a package's binaries only for that package's own integration tests, and
//! this crate is a separate package: neither `cargo test -p codex-router-e2e` nor
//! `cargo test --workspace` puts an up-to-date `codex-routerd` in the target directory (a
//! dev-dependency builds the library only; artifact dependencies are unstable). So the first
//! test of a run calls `cargo build -p codex-routerd -p codexctl` into this test executable's
//! own target directory and profile. When everything is fresh that takes well under a second.
//! Running the test executable outside cargo (no `CARGO` variable), or with
//! `CODEX_ROUTER_E2E_NO_BUILD=1`, uses whatever binaries are already there.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Bins {
    pub routerd: PathBuf,
    pub ctl: PathBuf,
}

static BINS: OnceLock<Bins> = OnceLock::new();

/// The binaries, built on first use.
///
/// # Panics
/// When they cannot be built or found: no e2e test can run without them.
pub fn bins() -> &'static Bins {
    BINS.get_or_init(|| {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
        // <target>/<profile>/deps/<test-binary>
        let Some(profile_dir) = exe.parent().and_then(Path::parent) else {
            panic!("unexpected test executable location {}", exe.display());
        };
        if std::env::var_os("CODEX_ROUTER_E2E_NO_BUILD").is_none()
            && let Some(cargo) = std::env::var_os("CARGO")
        {
            build(Path::new(&cargo), profile_dir);
        }
        let bin = |name: &str| {
            let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            assert!(
                path.is_file(),
                "{} is missing: run `cargo build -p codex-routerd -p codexctl`",
                path.display()
            );
            path
        };
        Bins {
            routerd: bin("codex-routerd"),
            ctl: bin("codexctl"),
        }
    })
}

fn build(cargo: &Path, profile_dir: &Path) {
    let Some(target_dir) = profile_dir.parent() else {
        panic!("no target directory above {}", profile_dir.display());
    };
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug");
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--bins",
        "-p",
        "codex-routerd",
        "-p",
        "codexctl",
        "--target-dir",
    ])
    .arg(target_dir)
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running cargo build: {e}"));
    assert!(
        out.status.success(),
        "cargo build -p codex-routerd -p codexctl failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
