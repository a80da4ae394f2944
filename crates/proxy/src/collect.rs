//! Reading a request body into one buffer before an account is chosen.
//!
//! The router decides from the whole body (the session key sits near the end of a Codex body,
//! a compaction item anywhere in its history), so it must hold all of it. Collecting the frames
//! into a list and copying them into one buffer at the end held the body twice at the peak and
//! copied it once more than needed; with a `content-length` (every Codex request has one) the
//! buffer is sized once and each frame is appended as it arrives, overlapping the copy with the
//! network.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum CollectError {
    /// Bigger than the limit (announced or actually sent).
    TooLarge,
    /// The client's stream failed mid-body.
    Broken,
}

/// The first allocation when no `content-length` says better: a small Codex body fits.
const UNKNOWN_LEN_START: usize = 64 << 10;

/// Reads `body` whole, refusing more than `limit` bytes. `announced` is the request's
/// `content-length`, when it has one; a body that exceeds it is read anyway (hyper enforces
/// the framing) but never allocated past `limit`.
pub async fn collect(body: Body, announced: Option<u64>, limit: usize) -> Result<Bytes, CollectError> {
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(CollectError::TooLarge);
    }
    let mut body = body;
    let first = match body.frame().await {
        None => return Ok(Bytes::new()),
        Some(Err(_)) => return Err(CollectError::Broken),
        Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
    };
    if first.len() > limit {
        return Err(CollectError::TooLarge);
    }
    // A body that came in one frame is passed on as it is, without a copy.
    if announced.is_some_and(|n| n == first.len() as u64) {
        return Ok(first);
    }
    let capacity = announced.map_or(UNKNOWN_LEN_START, |n| n as usize).min(limit);
    let mut buf = BytesMut::with_capacity(capacity.max(first.len()));
    buf.extend_from_slice(&first);
    drop(first);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(CollectError::Broken);
        };
        let Ok(data) = frame.into_data() else { continue };
        if buf.len() + data.len() > limit {
            return Err(CollectError::TooLarge);
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn chunked(parts: &[&'static [u8]]) -> Body {
        let frames: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Body::from_stream(stream::iter(frames))
    }

    #[tokio::test]
    async fn frames_are_joined_in_order_and_a_single_frame_is_passed_on_as_is() {
        let got = collect(chunked(&[b"ab", b"cd", b"e"]), Some(5), 10).await;
        assert_eq!(got, Ok(Bytes::from_static(b"abcde")));
        let got = collect(chunked(&[b"abc", b"de"]), None, 10).await;
        assert_eq!(got, Ok(Bytes::from_static(b"abcde")));
        let got = collect(chunked(&[b"whole"]), Some(5), 10).await;
        assert_eq!(got, Ok(Bytes::from_static(b"whole")));
        assert_eq!(collect(chunked(&[]), Some(0), 10).await, Ok(Bytes::new()));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_whether_announced_or_only_sent() {
        assert_eq!(
            collect(chunked(&[b"x"]), Some(11), 10).await,
            Err(CollectError::TooLarge),
            "announced too large: refused before reading"
        );
        assert_eq!(
            collect(chunked(&[b"123456", b"78901"]), None, 10).await,
            Err(CollectError::TooLarge)
        );
        assert_eq!(
            collect(chunked(&[b"12345678901"]), None, 10).await,
            Err(CollectError::TooLarge)
        );
        assert_eq!(
            collect(chunked(&[b"1234567890"]), None, 10).await,
            Ok(Bytes::from_static(b"1234567890")),
            "exactly the limit is fine"
        );
    }

    #[tokio::test]
    async fn a_stream_that_breaks_mid_body_is_a_broken_body() {
        let frames: Vec<Result<Bytes, std::io::Error>> =
            vec![Ok(Bytes::from_static(b"ab")), Err(std::io::Error::other("reset"))];
        let got = collect(Body::from_stream(stream::iter(frames)), Some(4), 10).await;
        assert_eq!(got, Err(CollectError::Broken));
    }
}
