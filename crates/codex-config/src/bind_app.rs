//! `bind-app` on disk: lock, save the original once, edit, write atomically (SPEC §7).
//!
//! Order of writes on a first bind: `config.toml.orig`, then `state.json`, then `config.toml`.
//! A crash before the last step leaves a state describing a bind that did not happen, which
//! is harmless: unbind finds the file not matching `bound_sha256`, removes nothing it does not
//! find, and the original is still saved. A failed write undoes the earlier steps.

use std::path::Path;

use codex_router_core::Timestamp;
use codex_router_store::lock_blocking;

use crate::bind_plan::{BindPlan, Prior, mode_notes, plan};
use crate::edit::Originals;
use crate::error::BindError;
use crate::fsio::{BindFs, Io, RealFs, ensure_dir, mode_of, read_optional, write_target};
use crate::login::check_native_login;
use crate::provider::{BindMode, BindSpec};
use crate::report::{BindReport, Note};
use crate::state::encode;
use crate::state_io::{BindPaths, Loaded, check_same_config, load};

/// How often `config.toml` is re-read and the edit redone when it changed under us.
pub(crate) const ATTEMPTS: u32 = 3;

/// Bind Codex's `config.toml` to the router. Works without the daemon: `spec` carries the
/// port and key the caller got from it.
pub fn bind_app(
    config_path: &Path,
    bind_dir: &Path,
    spec: &BindSpec,
    now: Timestamp,
) -> Result<BindReport, BindError> {
    bind_app_with(&RealFs, config_path, bind_dir, spec, now)
}

/// [`bind_app`] over any [`BindFs`] (tests inject failures through it).
pub fn bind_app_with(
    fs: &dyn BindFs,
    config_path: &Path,
    bind_dir: &Path,
    spec: &BindSpec,
    now: Timestamp,
) -> Result<BindReport, BindError> {
    spec.check()?;
    if spec.mode == BindMode::Native {
        // Before anything is written, `bind/` included: a refused bind leaves no trace.
        check_native_login(config_path)?;
    }
    let io = Io { fs };
    let paths = BindPaths::new(bind_dir);
    ensure_dir(bind_dir)?;
    // Held until return: one read-modify-write at a time, so overlapping binds end consistent.
    let _lock = lock_blocking(&paths.lock)?;
    let mut notes = Vec::new();
    let (prior, hint) = take_prior(io, &paths, config_path, now, &mut notes)?;
    let job = Job {
        io,
        paths: &paths,
        config_path,
        prior: prior.as_ref(),
        hint: &hint,
        spec,
        now,
    };
    let mut saved = false;
    let res = job.run(&mut saved);
    if res.is_err() && saved {
        undo(io, &paths, prior.as_ref());
    }
    let (changed, more_notes) = res?;
    notes.extend(more_notes);
    Ok(BindReport {
        config_path: config_path.to_owned(),
        port: spec.port,
        mode: spec.mode,
        changed,
        first_bind: prior.is_none(),
        notes,
    })
}

/// One bind, under the lock.
struct Job<'a> {
    io: Io<'a>,
    paths: &'a BindPaths,
    config_path: &'a Path,
    prior: Option<&'a Prior>,
    hint: &'a Originals,
    spec: &'a BindSpec,
    now: Timestamp,
}

impl Job<'_> {
    /// Read, plan, save the state, re-read, write; up to [`ATTEMPTS`] times while the file
    /// keeps changing. `saved` is set once `bind/` was written to, so the caller can undo it.
    fn run(&self, saved: &mut bool) -> Result<(bool, Vec<Note>), BindError> {
        let target = write_target(self.config_path);
        for _ in 0..ATTEMPTS {
            let current = read_optional(&target)?;
            let mode = mode_of(&target)?;
            let plan = plan(
                self.config_path,
                current.as_deref(),
                self.prior,
                self.hint,
                self.spec,
                self.now,
            )?
            .with_mode(mode, self.prior.is_none());
            if plan.unchanged(current.as_deref(), mode, self.prior) {
                return Ok((false, mode_notes(self.spec)));
            }
            if current.is_none()
                && let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty())
            {
                ensure_dir(parent)?;
            }
            *saved = true;
            save_state(self.io, self.paths, &plan, self.prior)?;
            // Just before the rename: if Codex or the user wrote the file meanwhile, start
            // over from what is there now rather than overwrite it.
            if read_optional(&target)? != current {
                continue;
            }
            self.io.write(&target, plan.bound.as_bytes(), 0o600)?;
            let switched_from = self.prior.map(|p| p.state.mode);
            return Ok((
                true,
                plan.notes(current.is_none(), mode, self.spec, switched_from),
            ));
        }
        Err(BindError::ConfigKeptChanging {
            path: self.config_path.to_owned(),
            attempts: ATTEMPTS,
        })
    }
}

/// The trusted state of an earlier bind, if any. Untrusted or stray files are moved aside
/// (never deleted) and reported; the bind then starts afresh, with the original keys a
/// damaged state still names as a hint.
fn take_prior(
    io: Io<'_>,
    paths: &BindPaths,
    config_path: &Path,
    now: Timestamp,
    notes: &mut Vec<Note>,
) -> Result<(Option<Prior>, Originals), BindError> {
    match load(paths)? {
        Loaded::Valid { state, raw, .. } => {
            check_same_config(paths, &state, config_path)?;
            Ok((Some(Prior { state, raw }), Originals::default()))
        }
        Loaded::Invalid(invalid) => {
            let kept = keep_aside_all(io, paths, now)?;
            let hint = invalid.originals();
            notes.push(Note::InvalidState {
                reason: invalid.reason,
                kept,
            });
            Ok((None, hint))
        }
        Loaded::Missing { stray_original } => {
            if stray_original && let Some(kept) = io.keep_aside(&paths.original, "stray", now.as_unix_ms())? {
                notes.push(Note::StrayOriginalKeptAside { kept });
            }
            Ok((None, Originals::default()))
        }
    }
}

/// Move `state.json` and `config.toml.orig` aside as `*.invalid-<ms>`.
pub(crate) fn keep_aside_all(
    io: Io<'_>,
    paths: &BindPaths,
    now: Timestamp,
) -> Result<Vec<std::path::PathBuf>, BindError> {
    let mut kept = Vec::new();
    for path in [&paths.state, &paths.original] {
        kept.extend(io.keep_aside(path, "invalid", now.as_unix_ms())?);
    }
    Ok(kept)
}

/// Write `config.toml.orig` (first bind) and `state.json`.
fn save_state(
    io: Io<'_>,
    paths: &BindPaths,
    plan: &BindPlan,
    prior: Option<&Prior>,
) -> Result<(), BindError> {
    if prior.is_none() {
        match &plan.original {
            Some(original) => io.write(&paths.original, original, 0o600)?,
            None => io.remove(&paths.original)?,
        }
    }
    let bytes = encode(&plan.state)
        .map_err(|err| BindError::write(&paths.state, std::io::Error::other(err.to_string())))?;
    io.write(&paths.state, &bytes, 0o600)
}

/// Put `bind/` back as it was before this call, as far as possible; failures are logged, the
/// caller reports the error that led here.
fn undo(io: Io<'_>, paths: &BindPaths, prior: Option<&Prior>) {
    let res = match prior {
        Some(prior) => io.write(&paths.state, &prior.raw, 0o600),
        None => io.remove(&paths.state).and_then(|()| io.remove(&paths.original)),
    };
    if let Err(err) = res {
        tracing::warn!(error = %err, "cannot undo the bind state after a failed bind");
    }
}
