use codex_router_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a background file task failed")]
    TaskFailed,
    #[error("no account matches {0:?}")]
    UnknownAccount(String),
}
