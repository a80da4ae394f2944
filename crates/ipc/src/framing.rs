//! Newline-delimited frames with a hard size cap, shared by the server and the client.
//!
//! The cap is enforced while reading: bytes are copied out of the socket buffer only until the
//! line would exceed the limit, so a peer sending an endless line costs at most
//! `MAX_FRAME_BYTES` plus one read buffer, never the whole line.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// How reading one line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadOutcome {
    /// A complete line is in the buffer (without its `\n` or a trailing `\r`).
    Line,
    /// The peer hung up between frames.
    Eof,
    /// The peer hung up in the middle of a line; the partial bytes are in the buffer.
    Truncated,
    /// The line exceeded the limit; reading stopped there and the stream is no longer in sync.
    TooLarge,
}

/// Reads one `\n`-terminated line into `line` (cleared first), holding at most `max` bytes.
pub(crate) async fn read_line<R>(reader: &mut R, line: &mut Vec<u8>, max: usize) -> io::Result<ReadOutcome>
where
    R: AsyncBufRead + Unpin,
{
    line.clear();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            let outcome = if line.is_empty() {
                ReadOutcome::Eof
            } else {
                ReadOutcome::Truncated
            };
            return Ok(outcome);
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = match newline {
            Some(idx) => available.get(..idx).unwrap_or(available),
            None => available,
        };
        if line.len() + chunk.len() > max {
            return Ok(ReadOutcome::TooLarge);
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(ReadOutcome::Line);
        }
    }
}

/// Serialises `frame` as one line, `\n` included.
pub(crate) fn encode<T: Serialize>(frame: &T) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec(frame).map_err(io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes already-encoded frame bytes and flushes, so the peer sees the frame now.
pub(crate) async fn write_bytes<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

/// Encodes and writes one frame.
pub(crate) async fn write_frame<W, T>(writer: &mut W, frame: &T) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    write_bytes(writer, &encode(frame)?).await
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
