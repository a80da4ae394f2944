use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, BufReader, ReadBuf};

use super::*;

async fn read_all_lines(input: &[u8], max: usize) -> Vec<(ReadOutcome, String)> {
    let mut reader = BufReader::with_capacity(4, input);
    let mut line = Vec::new();
    let mut out = Vec::new();
    loop {
        let outcome = read_line(&mut reader, &mut line, max).await.unwrap();
        out.push((outcome, String::from_utf8_lossy(&line).into_owned()));
        if outcome != ReadOutcome::Line {
            return out;
        }
    }
}

#[tokio::test]
async fn splits_lines_across_small_buffers_and_strips_crlf() {
    let out = read_all_lines(b"{\"a\":1}\r\n\nhello world\n", 64).await;
    assert_eq!(
        out,
        [
            (ReadOutcome::Line, "{\"a\":1}".to_owned()),
            (ReadOutcome::Line, String::new()),
            (ReadOutcome::Line, "hello world".to_owned()),
            (ReadOutcome::Eof, String::new()),
        ]
    );
}

#[tokio::test]
async fn unterminated_tail_is_reported_as_truncated() {
    let out = read_all_lines(b"ok\n{\"v\":1,\"id\"", 64).await;
    assert_eq!(
        out.last().unwrap(),
        &(ReadOutcome::Truncated, "{\"v\":1,\"id\"".to_owned())
    );
}

#[tokio::test]
async fn a_line_of_exactly_the_limit_passes_and_one_more_byte_does_not() {
    let out = read_all_lines(b"12345\n123456\n", 5).await;
    assert_eq!(out[0], (ReadOutcome::Line, "12345".to_owned()));
    assert_eq!(out[1].0, ReadOutcome::TooLarge);
}

/// An endless source of `x` that counts how much was pulled from it.
struct Endless {
    pulled: usize,
}

impl AsyncRead for Endless {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining();
        buf.put_slice(&vec![b'x'; n]);
        self.pulled += n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn an_endless_line_stops_at_the_limit_without_buffering_more() {
    const MAX: usize = 1 << 20;
    const READ_BUFFER: usize = 8 * 1024;
    let mut reader = BufReader::with_capacity(READ_BUFFER, Endless { pulled: 0 });
    let mut line = Vec::new();
    let outcome = read_line(&mut reader, &mut line, MAX).await.unwrap();
    assert_eq!(outcome, ReadOutcome::TooLarge);
    assert!(line.len() <= MAX);
    assert!(line.capacity() <= 2 * MAX, "capacity {}", line.capacity());
    let pulled = reader.get_ref().pulled;
    assert!(pulled <= MAX + READ_BUFFER, "pulled {pulled} bytes");
}

#[test]
fn encode_appends_exactly_one_newline() {
    let bytes = encode(&serde_json::json!({"a": "b\nc"})).unwrap();
    assert_eq!(bytes, b"{\"a\":\"b\\nc\"}\n");
}
