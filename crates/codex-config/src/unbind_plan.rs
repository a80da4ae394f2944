//! What an unbind is going to do, decided from the bind state and the file as read (pure).

use std::path::Path;

use crate::bind_plan::as_text;
use crate::edit::{strip_binding, unbind_surgical_to};
use crate::error::BindError;
use crate::report::{Note, UnbindOutcome};
use crate::state::{BindState, sha256_hex};
use crate::state_io::Loaded;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Write { bytes: Vec<u8>, mode: u32 },
    Delete,
    Nothing,
}

#[derive(Debug)]
pub(crate) struct UnbindPlan {
    pub(crate) action: Action,
    pub(crate) outcome: UnbindOutcome,
    pub(crate) notes: Vec<Note>,
}

/// Decide the unbind. `mode` is the current file's permission bits (`None`: missing file or
/// Windows).
pub(crate) fn plan(
    config_path: &Path,
    loaded: &Loaded,
    current: Option<&[u8]>,
    mode: Option<u32>,
) -> Result<UnbindPlan, BindError> {
    let file = Current {
        path: config_path,
        bytes: current,
        mode,
    };
    match loaded {
        Loaded::Valid { state, original, .. } => with_state(&file, state, original.as_deref()),
        Loaded::Invalid(invalid) => {
            let Some(bytes) = current else {
                return Ok(nothing(UnbindOutcome::NothingToDo, Vec::new()));
            };
            let text = as_text(config_path, bytes)?;
            let edited = unbind_surgical_to(text, &invalid.originals()).map_err(|e| e.at(config_path))?;
            let action = Action::Write {
                bytes: edited.into_bytes(),
                mode: file.keep_mode(),
            };
            Ok(surgical(action, bytes, mode, Vec::new()))
        }
        Loaded::Missing { .. } => without_state(&file),
    }
}

/// `config.toml` as read.
struct Current<'a> {
    path: &'a Path,
    /// `None`: the file is missing.
    bytes: Option<&'a [u8]>,
    mode: Option<u32>,
}

impl Current<'_> {
    /// The mode an edited file keeps: its own, `0600` when unknown.
    fn keep_mode(&self) -> u32 {
        self.mode.unwrap_or(0o600)
    }
}

/// A valid bind state: put the original back when the file is as the bind left it, else
/// take out only what the bind put in.
fn with_state(
    file: &Current<'_>,
    state: &BindState,
    original: Option<&[u8]>,
) -> Result<UnbindPlan, BindError> {
    let original_mode = state.original_mode.unwrap_or(file.keep_mode());
    let mode_note = |notes: &mut Vec<Note>| {
        if let Some(to) = state.original_mode.filter(|to| file.mode != Some(*to)) {
            notes.push(Note::ModeRestored { to });
        }
    };
    let restore = |note: Note| {
        let mut notes = vec![note];
        let action = match original {
            Some(bytes) if state.original_existed => {
                mode_note(&mut notes);
                Action::Write {
                    bytes: bytes.to_vec(),
                    mode: original_mode,
                }
            }
            _ => Action::Delete,
        };
        UnbindPlan {
            action,
            outcome: UnbindOutcome::Restored,
            notes,
        }
    };
    let Some(bytes) = file.bytes else {
        if state.original_existed {
            return Ok(restore(Note::RecreatedDeletedFile));
        }
        return Ok(nothing(UnbindOutcome::NothingToDo, Vec::new()));
    };
    if sha256_hex(bytes) == state.bound_sha256 {
        let note = if state.original_existed {
            Note::RestoredOriginal
        } else {
            Note::RemovedCreatedFile
        };
        return Ok(restore(note));
    }
    let text = as_text(file.path, bytes)?;
    let edited = unbind_surgical_to(text, &state.originals()).map_err(|e| e.at(file.path))?;
    let mut notes = vec![Note::KeptUserEdits];
    let action = if !state.original_existed && edited.trim().is_empty() {
        Action::Delete
    } else {
        mode_note(&mut notes);
        Action::Write {
            bytes: edited.into_bytes(),
            mode: original_mode,
        }
    };
    Ok(surgical(action, bytes, file.mode, notes))
}

/// No bind state: remove a binding found in the file anyway, or do nothing.
fn without_state(file: &Current<'_>) -> Result<UnbindPlan, BindError> {
    let Some(bytes) = file.bytes else {
        return Ok(nothing(UnbindOutcome::NothingToDo, vec![Note::NotBound]));
    };
    let stripped = strip_binding(as_text(file.path, bytes)?).map_err(|e| e.at(file.path))?;
    if stripped.found.is_empty() {
        return Ok(nothing(UnbindOutcome::NothingToDo, vec![Note::NotBound]));
    }
    let notes = vec![Note::RemovedBindingWithoutState {
        providers: stripped.found.iter().map(|p| (*p).to_owned()).collect(),
    }];
    let action = Action::Write {
        bytes: stripped.text.into_bytes(),
        mode: file.keep_mode(),
    };
    Ok(surgical(action, bytes, file.mode, notes))
}

fn nothing(outcome: UnbindOutcome, notes: Vec<Note>) -> UnbindPlan {
    UnbindPlan {
        action: Action::Nothing,
        outcome,
        notes,
    }
}

/// A surgical edit; writing the same bytes with the same mode is no write at all (the user
/// removed the binding by hand, say).
fn surgical(action: Action, current: &[u8], mode: Option<u32>, notes: Vec<Note>) -> UnbindPlan {
    match action {
        Action::Write {
            bytes,
            mode: new_mode,
        } if bytes == current && mode.is_none_or(|m| m & 0o7777 == new_mode) => {
            let notes = notes.into_iter().filter(|n| *n != Note::KeptUserEdits).collect();
            nothing(UnbindOutcome::NothingToDo, notes)
        }
        action => UnbindPlan {
            action,
            outcome: UnbindOutcome::Surgical,
            notes,
        },
    }
}
