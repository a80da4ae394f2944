//! What bind and unbind tell the user. `codexctl` prints each [`Note`] on its own line; the
//! enum keeps them testable and lets `--json` name them.

use std::fmt;
use std::path::PathBuf;

use crate::provider::BindMode;

/// One thing worth telling about a bind or unbind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// There was no `config.toml`; it was created (`0600`).
    Created,
    /// The file was readable by others; it now holds the client key, so it became `0600`.
    ModeTightened { from: u32 },
    /// No bind state, but the file was already bound (a lost state, or the ancestor's proxy):
    /// the file minus that binding was saved as the original, never the bound file itself.
    AdoptedBinding { providers: Vec<String> },
    /// The bind state could not be trusted; its files were moved aside, not deleted.
    InvalidState { reason: String, kept: Vec<PathBuf> },
    /// A `config.toml.orig` without a state (a bind interrupted long ago) was moved aside.
    StrayOriginalKeptAside { kept: PathBuf },
    /// These profiles set a provider (or, natively bound, a base URL) of their own; Codex run
    /// with them bypasses the router.
    ProfilesBypass {
        profiles: Vec<String>,
        active: Option<String>,
    },
    /// Codex reads its config at session start.
    RestartCodex,
    /// What the desktop app cannot show while bound (SPEC §7).
    DesktopAppLimits,
    /// What `--remote-compaction` costs (SPEC §7, §4.3).
    RemoteCompactionCost,
    /// What the native binding keeps (SPEC §7).
    NativeKeeps,
    /// The built-in provider compacts remotely, and no setting changes that (§4.3).
    NativeRemoteCompaction,
    /// The other binding was replaced: nothing of it is left.
    Switched { from: BindMode, to: BindMode },
    /// Unbind: the file was unchanged since the bind; the original bytes are back.
    RestoredOriginal,
    /// Unbind: there was no `config.toml` before the bind and it was unchanged; it was deleted.
    RemovedCreatedFile,
    /// Unbind: the file was edited since the bind; only the binding was removed.
    KeptUserEdits,
    /// Unbind: the original permission bits were put back.
    ModeRestored { to: u32 },
    /// Unbind: `config.toml` had been deleted since the bind; the original was put back.
    RecreatedDeletedFile,
    /// Unbind: no bind state, but the file carried a binding, which was removed.
    RemovedBindingWithoutState { providers: Vec<String> },
    /// Unbind: nothing was bound.
    NotBound,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Created => f.write_str("config.toml did not exist; created it with mode 0600"),
            Note::ModeTightened { from } => write!(
                f,
                "config.toml was mode {from:04o}; a bound config.toml is kept 0600, as the provider \
                 binding writes the router's client key into it (unbind-app puts {from:04o} back)"
            ),
            Note::AdoptedBinding { providers } => write!(
                f,
                "config.toml already carried a binding ({}) but no bind state was found; the file \
                 without that binding was saved as the original",
                providers.join(", ")
            ),
            Note::InvalidState { reason, kept } => {
                write!(f, "the bind state was not trusted: {reason}")?;
                if !kept.is_empty() {
                    let kept: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
                    write!(f, "; kept aside as {}", kept.join(", "))?;
                }
                Ok(())
            }
            Note::StrayOriginalKeptAside { kept } => write!(
                f,
                "found bind/config.toml.orig without bind state; kept aside as {}",
                kept.display()
            ),
            Note::ProfilesBypass { profiles, active } => {
                write!(
                    f,
                    "Codex profiles that choose their own model_provider or openai_base_url bypass the router: {}",
                    profiles.join(", ")
                )?;
                match active {
                    Some(active) => write!(
                        f,
                        " (\"{active}\" is the default profile: Codex bypasses the router)"
                    ),
                    None => Ok(()),
                }
            }
            Note::RestartCodex => f.write_str(
                "Codex reads config.toml at session start: restart running Codex sessions (CLI and desktop \
                 app) for the change to take effect",
            ),
            Note::DesktopAppLimits => f.write_str(
                "while bound, the Codex desktop app has no model picker and no account view (Codex's own \
                 ChatGPT login is not used)",
            ),
            Note::RemoteCompactionCost => f.write_str(
                "remote compaction is on: a compacted conversation is readable by the account that \
                 compacted it only, so moving it to another account loses its earlier history",
            ),
            Note::NativeKeeps => f.write_str(
                "native binding: Codex keeps its built-in OpenAI provider, its own ChatGPT login, the desktop \
                 app's model picker and account view, and WebSocket; only its model traffic goes to the router, \
                 with Codex's own bearer (login, workspace discovery and usage still go to chatgpt.com)",
            ),
            Note::NativeRemoteCompaction => f.write_str(
                "the built-in provider compacts remotely and no Codex setting turns that off: a conversation \
                 compacted by one account stays with that account where it can",
            ),
            Note::Switched { from, to } => write!(
                f,
                "replaced the {from} binding with the {to} binding; nothing of the {from} binding is left"
            ),
            Note::RestoredOriginal => {
                f.write_str("config.toml was unchanged since the bind; restored the original bytes")
            }
            Note::RemovedCreatedFile => {
                f.write_str("config.toml did not exist before the bind and was unchanged; removed it")
            }
            Note::KeptUserEdits => f.write_str(
                "config.toml was edited since the bind; removed only the binding and kept the edits",
            ),
            Note::ModeRestored { to } => write!(f, "restored config.toml's original mode {to:04o}"),
            Note::RecreatedDeletedFile => {
                f.write_str("config.toml had been deleted since the bind; put the original back")
            }
            Note::RemovedBindingWithoutState { providers } => write!(
                f,
                "no bind state was found, but config.toml carried a binding ({}); removed it",
                providers.join(", ")
            ),
            Note::NotBound => f.write_str("Codex was not bound; nothing to do"),
        }
    }
}

/// The result of [`crate::bind_app`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindReport {
    pub config_path: PathBuf,
    pub port: u16,
    /// The binding written.
    pub mode: BindMode,
    /// `config.toml` was written (false when it already held this exact binding).
    pub changed: bool,
    /// This bind saved the original (there was no valid bind state before).
    pub first_bind: bool,
    pub notes: Vec<Note>,
}

/// How [`crate::unbind_app`] left `config.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnbindOutcome {
    /// The original bytes are back exactly (or the file is gone, if it never existed).
    Restored,
    /// Only the binding was removed; the rest of the file, edits included, is kept.
    Surgical,
    /// There was no binding to remove.
    NothingToDo,
}

/// The result of [`crate::unbind_app`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbindReport {
    pub config_path: PathBuf,
    pub outcome: UnbindOutcome,
    /// `config.toml` was written or removed.
    pub changed: bool,
    pub notes: Vec<Note>,
}
