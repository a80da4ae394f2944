//! What a bind is going to write, decided from what was read: pure, so the IO layer can redo
//! it when `config.toml` changes under it.

use std::path::Path;

use codex_router_core::Timestamp;

use crate::edit::{Originals, bind_over, strip};
use crate::error::BindError;
use crate::inspect::inspect;
use crate::provider::{BindMode, BindSpec};
use crate::report::Note;
use crate::state::{BindState, sha256_hex};

/// A trusted state from an earlier bind.
#[derive(Debug)]
pub(crate) struct Prior {
    pub(crate) state: BindState,
    pub(crate) raw: Vec<u8>,
}

/// No `Debug`: `bound` holds the client key.
pub(crate) struct BindPlan {
    /// The new `config.toml`.
    pub(crate) bound: String,
    /// The state to write.
    pub(crate) state: BindState,
    /// The bytes to save as `config.toml.orig` on a first bind (`None`: there was no file).
    pub(crate) original: Option<Vec<u8>>,
    /// Bindings found in a file that had no bind state (never saved as part of the original).
    pub(crate) adopted: Vec<&'static str>,
}

pub(crate) fn as_text<'a>(config_path: &Path, bytes: &'a [u8]) -> Result<&'a str, BindError> {
    std::str::from_utf8(bytes).map_err(|_| BindError::NotUtf8 {
        path: config_path.to_owned(),
    })
}

/// `hint`: the original keys a damaged state still named, put back in the original if the
/// file turns out to be bound already. With a `prior` state, its originals are put back
/// instead where the other binding had taken a key over (a provider ↔ native switch).
pub(crate) fn plan(
    config_path: &Path,
    current: Option<&[u8]>,
    prior: Option<&Prior>,
    hint: &Originals,
    spec: &BindSpec,
    now: Timestamp,
) -> Result<BindPlan, BindError> {
    let text = current
        .map(|b| as_text(config_path, b))
        .transpose()?
        .unwrap_or("");
    if let Some(prior) = prior {
        let bound = bind_over(text, spec, &prior.state.originals()).map_err(|e| e.at(config_path))?;
        let state = BindState {
            port: spec.port,
            bound_sha256: sha256_hex(bound.as_bytes()),
            bound_at: now,
            mode: spec.mode,
            ..prior.state.clone()
        };
        return Ok(BindPlan {
            bound,
            state,
            original: None,
            adopted: Vec::new(),
        });
    }
    let bound = bind_over(text, spec, hint).map_err(|e| e.at(config_path))?;
    let bound_sha256 = sha256_hex(bound.as_bytes());
    // First bind: the original is the file as it is, or, if it is already bound (a lost
    // state, the ancestor's proxy), the file minus that binding.
    let (original, adopted) = match current {
        None => (None, Vec::new()),
        Some(bytes) => {
            let stripped = strip(text, hint).map_err(|e| e.at(config_path))?;
            if stripped.found.is_empty() {
                (Some(bytes.to_vec()), Vec::new())
            } else {
                (Some(stripped.text.into_bytes()), stripped.found)
            }
        }
    };
    let found = match &original {
        Some(bytes) => Some(inspect(as_text(config_path, bytes)?).map_err(|e| e.at(config_path))?),
        None => None,
    };
    let (original_model_provider, original_openai_base_url) = match found {
        Some(found) => (found.model_provider, found.openai_base_url),
        None => (None, None),
    };
    let state = BindState {
        config_path: config_path.to_owned(),
        original_existed: original.is_some(),
        original_sha256: original.as_deref().map(sha256_hex),
        original_mode: None,
        original_model_provider,
        bound_sha256,
        port: spec.port,
        bound_at: now,
        mode: spec.mode,
        original_openai_base_url,
    };
    Ok(BindPlan {
        bound,
        state,
        original,
        adopted,
    })
}

impl BindPlan {
    /// The state with the original's permission bits, known only once the file is stat'ed.
    pub(crate) fn with_mode(mut self, mode: Option<u32>, first_bind: bool) -> Self {
        if first_bind && self.original.is_some() {
            self.state.original_mode = mode;
        }
        self
    }

    /// Nothing to write: the file already holds this binding, with the same state and mode.
    pub(crate) fn unchanged(&self, current: Option<&[u8]>, mode: Option<u32>, prior: Option<&Prior>) -> bool {
        let Some(prior) = prior else { return false };
        current == Some(self.bound.as_bytes())
            && prior.state.port == self.state.port
            && prior.state.mode == self.state.mode
            && prior.state.bound_sha256 == self.state.bound_sha256
            && mode.is_none_or(|m| m & 0o777 == 0o600)
    }

    /// What to tell the user after writing. `switched_from`: the mode of the binding this
    /// bind replaced.
    pub(crate) fn notes(
        &self,
        created: bool,
        mode: Option<u32>,
        spec: &BindSpec,
        switched_from: Option<BindMode>,
    ) -> Vec<Note> {
        let mut notes = Vec::new();
        if created {
            notes.push(Note::Created);
        }
        if let Some(from) = switched_from.filter(|from| *from != spec.mode) {
            notes.push(Note::Switched { from, to: spec.mode });
        }
        if let Some(from) = mode.filter(|m| m & 0o777 != 0o600) {
            notes.push(Note::ModeTightened { from });
        }
        if !self.adopted.is_empty() {
            notes.push(Note::AdoptedBinding {
                providers: self.adopted.iter().map(|p| (*p).to_owned()).collect(),
            });
        }
        if let Ok(binding) = inspect(&self.bound) {
            let profiles = binding.bypassing_profiles(spec.mode).to_vec();
            if !profiles.is_empty() {
                let active = binding.active_profile.clone().filter(|p| profiles.contains(p));
                notes.push(Note::ProfilesBypass { profiles, active });
            }
        }
        notes.extend(mode_notes(spec));
        notes.push(Note::RestartCodex);
        notes
    }
}

/// What each binding keeps and costs, said on every bind (also when nothing changed).
pub(crate) fn mode_notes(spec: &BindSpec) -> Vec<Note> {
    match spec.mode {
        BindMode::Provider if spec.remote_compaction => {
            vec![Note::RemoteCompactionCost, Note::DesktopAppLimits]
        }
        BindMode::Provider => vec![Note::DesktopAppLimits],
        BindMode::Native => vec![Note::NativeKeeps, Note::NativeRemoteCompaction],
    }
}
