//! The seam between the transport and the daemon: the server parses frames and enforces the
//! protocol, a [`Handler`] decides what each method does.
//!
//! Boxed futures instead of `async fn` in the trait keep it object-safe (`Arc<dyn Handler>`)
//! without the `async_trait` macro; `'static` futures let the server drive them without
//! borrowing the handler across an await.

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use serde_json::Value;

use crate::RpcError;

/// Implements the control-plane methods.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request. Return [`RpcError::unknown_method`] for a method you do not know
    /// and an `invalid_params` error for params that do not decode.
    fn call(&self, method: String, params: Value) -> BoxFuture<'static, Result<Value, RpcError>>;

    /// `None` when `method` is not a subscription (the server then uses [`Handler::call`]).
    /// Otherwise the stream's items are sent as `event` frames until it ends or the client
    /// hangs up; dropping the stream is how the handler learns of the hang-up.
    fn subscribe(&self, method: &str, params: Value) -> Option<Result<BoxStream<'static, Value>, RpcError>> {
        let _ = (method, params);
        None
    }
}
