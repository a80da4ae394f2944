//! The files in `bind/` (SPEC §3): finding, loading and checking them.

use std::path::{Path, PathBuf};

use crate::error::BindError;
use crate::fsio::read_optional;
use crate::state::{BindState, InvalidState, validate};

/// The bind directory's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindPaths {
    pub dir: PathBuf,
    /// `state.json`.
    pub state: PathBuf,
    /// `config.toml.orig`: the original bytes of Codex's config.
    pub original: PathBuf,
    /// `bind.lock`: held for every read-modify-write of the binding.
    pub lock: PathBuf,
}

impl BindPaths {
    pub fn new(bind_dir: &Path) -> Self {
        Self {
            dir: bind_dir.to_owned(),
            state: bind_dir.join("state.json"),
            original: bind_dir.join("config.toml.orig"),
            lock: bind_dir.join("bind.lock"),
        }
    }
}

/// What `bind/` holds.
#[derive(Debug)]
pub(crate) enum Loaded {
    /// No `state.json`. `stray_original`: a `config.toml.orig` is there anyway.
    Missing {
        stray_original: bool,
    },
    Valid {
        state: BindState,
        /// The verified original bytes (`None` when there was no original).
        original: Option<Vec<u8>>,
        /// `state.json` as read, to put back if a re-bind fails half-way.
        raw: Vec<u8>,
    },
    Invalid(InvalidState),
}

pub(crate) fn load(paths: &BindPaths) -> Result<Loaded, BindError> {
    let original = read_optional(&paths.original)?;
    let Some(raw) = read_optional(&paths.state)? else {
        return Ok(Loaded::Missing {
            stray_original: original.is_some(),
        });
    };
    Ok(match validate(&raw, original.as_deref()) {
        Ok(state) => Loaded::Valid { state, original, raw },
        Err(invalid) => Loaded::Invalid(invalid),
    })
}

/// A valid state must be about `config_path`: acting on another file's state would restore
/// the wrong original.
pub(crate) fn check_same_config(
    paths: &BindPaths,
    state: &BindState,
    config_path: &Path,
) -> Result<(), BindError> {
    let same = state.config_path == config_path
        || matches!(
            (state.config_path.canonicalize(), config_path.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        );
    if same {
        Ok(())
    } else {
        Err(BindError::OtherConfig {
            bind_dir: paths.dir.clone(),
            bound: state.config_path.clone(),
            requested: config_path.to_owned(),
        })
    }
}
