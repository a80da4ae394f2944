//! `unbind-app` on disk (SPEC §7). Works with the daemon down: it needs only `bind/`.
//!
//! An unchanged file gets its original bytes and mode back exactly (or is deleted if it did
//! not exist); an edited one loses only the binding. The bind state goes last, once
//! `config.toml` is written: a crash before that leaves the state for the next unbind.

use std::path::Path;
use std::time::SystemTime;

use codex_router_core::Timestamp;
use codex_router_store::lock_blocking;

use crate::bind_app::{ATTEMPTS, keep_aside_all};
use crate::error::BindError;
use crate::fsio::{BindFs, Io, RealFs, ensure_dir, mode_of, read_optional, write_target};
use crate::report::{Note, UnbindReport};
use crate::state_io::{BindPaths, Loaded, check_same_config, load};
use crate::unbind_plan::{Action, plan};

/// Unbind Codex's `config.toml` from the router.
pub fn unbind_app(config_path: &Path, bind_dir: &Path) -> Result<UnbindReport, BindError> {
    let now = Timestamp::now_from(SystemTime::now());
    unbind_app_with(&RealFs, config_path, bind_dir, now)
}

/// [`unbind_app`] over any [`BindFs`]; `now` names files moved aside.
pub fn unbind_app_with(
    fs: &dyn BindFs,
    config_path: &Path,
    bind_dir: &Path,
    now: Timestamp,
) -> Result<UnbindReport, BindError> {
    let io = Io { fs };
    let paths = BindPaths::new(bind_dir);
    ensure_dir(bind_dir)?;
    let _lock = lock_blocking(&paths.lock)?;
    let loaded = load(&paths)?;
    if let Loaded::Valid { state, .. } = &loaded {
        check_same_config(&paths, state, config_path)?;
    }
    let target = write_target(config_path);
    for _ in 0..ATTEMPTS {
        let current = read_optional(&target)?;
        let mode = mode_of(&target)?;
        let mut plan = plan(config_path, &loaded, current.as_deref(), mode)?;
        if read_optional(&target)? != current {
            continue;
        }
        let changed = match &plan.action {
            Action::Write { bytes, mode } => {
                io.write(&target, bytes, *mode)?;
                true
            }
            Action::Delete => {
                io.remove(&target)?;
                true
            }
            Action::Nothing => false,
        };
        match &loaded {
            Loaded::Valid { .. } => {
                io.remove(&paths.state)?;
                io.remove(&paths.original)?;
            }
            Loaded::Invalid(invalid) => {
                let kept = keep_aside_all(io, &paths, now)?;
                plan.notes.insert(
                    0,
                    Note::InvalidState {
                        reason: invalid.reason.clone(),
                        kept,
                    },
                );
            }
            Loaded::Missing { .. } => {}
        }
        if changed {
            plan.notes.push(Note::RestartCodex);
        }
        return Ok(UnbindReport {
            config_path: config_path.to_owned(),
            outcome: plan.outcome,
            changed,
            notes: plan.notes,
        });
    }
    Err(BindError::ConfigKeptChanging {
        path: config_path.to_owned(),
        attempts: ATTEMPTS,
    })
}
