//! Just enough SSE parsing to classify the opening events of a stream (SPEC §4.2 hold).
//!
//! Bytes are kept exactly as received; the parser only finds event boundaries and reads each
//! event's `data`. After the hold is released nothing is parsed again.

/// One complete event: `None` data for a comment-only block.
#[derive(Debug, PartialEq, Eq)]
pub struct RawEvent {
    /// The `event:` field, when the block has one (the backend names every event).
    pub event: Option<String>,
    pub data: Option<String>,
}

#[derive(Default)]
pub struct SseSplitter {
    pending: Vec<u8>,
}

fn boundary(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i + 1 < buf.len() {
        if buf[i] == b'\n' && buf[i + 1] == b'\n' {
            return Some((i, 2));
        }
        if buf[i] == b'\n' && buf[i + 1] == b'\r' && buf.get(i + 2) == Some(&b'\n') {
            return Some((i, 3));
        }
        i += 1;
    }
    None
}

impl SseSplitter {
    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<RawEvent> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some((end, sep)) = boundary(&self.pending) {
            let block: Vec<u8> = self.pending.drain(..end + sep).collect();
            let text = String::from_utf8_lossy(&block[..end]);
            let mut data: Option<String> = None;
            let mut event: Option<String> = None;
            for line in text.lines() {
                let line = line.trim_end_matches('\r');
                if let Some(rest) = line.strip_prefix("event:") {
                    event = Some(rest.trim().to_owned());
                } else if let Some(rest) = line.strip_prefix("data:") {
                    let rest = rest.strip_prefix(' ').unwrap_or(rest);
                    match &mut data {
                        Some(d) => {
                            d.push('\n');
                            d.push_str(rest);
                        }
                        None => data = Some(rest.to_owned()),
                    }
                }
            }
            if data.is_none() && text.trim().is_empty() {
                continue;
            }
            out.push(RawEvent { event, data });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_chunks_and_reads_comments() {
        let mut s = SseSplitter::default();
        assert!(s.push(b"event: response.created\ndata: {\"type\":").is_empty());
        let ev = s.push(b"\"response.created\"}\n\n: keep-alive\n\ndata: a\ndata: b\r\n\r\n");
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].data.as_deref(), Some("{\"type\":\"response.created\"}"));
        assert_eq!(ev[1].data, None);
        assert_eq!(ev[2].data.as_deref(), Some("a\nb"));
    }
}
