//! Just enough SSE parsing to classify the opening events of a stream (SPEC §4.2 hold).
//!
//! Bytes are kept exactly as received; the parser only finds event boundaries and reads each
//! event's `data`. After the hold is released nothing is parsed again.

use codex_router_core::sse_line::LineSplitter;

/// One complete event: `None` data for a comment-only block.
#[derive(Debug, PartialEq, Eq)]
pub struct RawEvent {
    /// The `event:` field, when the block has one (the backend names every event).
    pub event: Option<String>,
    pub data: Option<String>,
}

/// Reads events out of a stream as its chunks arrive. Each byte is looked at once; only an
/// unfinished last line is copied, to be completed by the next chunk.
#[derive(Default)]
pub struct SseSplitter {
    lines: LineSplitter,
    /// The unfinished last line, without a line end.
    partial: Vec<u8>,
    fields: Fields,
}

/// Which named events' `data` a reader needs; `None`: all of them.
type KeepData = Option<fn(&str) -> bool>;

/// The fields of the event being read.
#[derive(Default)]
struct Fields {
    event: Option<String>,
    data: Option<String>,
    /// A line other than blanks was seen (a comment-only block is still an event).
    any: bool,
    /// Named events whose `data` is kept (see [`SseSplitter::keeping_data_of`]).
    keep: KeepData,
}

impl Fields {
    fn line(&mut self, line: &[u8], out: &mut Vec<RawEvent>) {
        if line.is_empty() {
            if self.any || self.data.is_some() {
                out.push(RawEvent {
                    event: self.event.take(),
                    data: self.data.take(),
                });
            }
            *self = Fields {
                keep: self.keep,
                ..Fields::default()
            };
            return;
        }
        self.any |= !line.trim_ascii().is_empty();
        if let Some(rest) = line.strip_prefix(b"event:") {
            self.event = Some(String::from_utf8_lossy(rest.trim_ascii()).into_owned());
        } else if let Some(rest) = line.strip_prefix(b"data:") {
            if let (Some(keep), Some(name)) = (self.keep, &self.event)
                && !keep(name)
            {
                return;
            }
            let rest = String::from_utf8_lossy(rest.strip_prefix(b" ").unwrap_or(rest));
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(&rest);
                }
                None => self.data = Some(rest.into_owned()),
            }
        }
    }
}

impl SseSplitter {
    /// A splitter that keeps the `data` of a named event only when `keep(name)` says so: the
    /// hold classifies most events by name, and the backend's `response.created` echoes the
    /// whole request's instructions and tools, tens of kilobytes not worth copying into a string.
    /// An event whose data was dropped still comes out, with its name and `data: None`.
    pub fn keeping_data_of(keep: fn(&str) -> bool) -> Self {
        let mut s = Self::default();
        s.fields.keep = Some(keep);
        s
    }

    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<RawEvent> {
        let mut out = Vec::new();
        let mut pos = 0;
        if !self.partial.is_empty() {
            let Some(rest_of_line) = self.lines.next_line(chunk, &mut pos) else {
                self.partial.extend_from_slice(chunk);
                return out;
            };
            self.partial.extend_from_slice(rest_of_line);
            self.fields.line(&self.partial, &mut out);
            self.partial.clear();
        }
        while let Some(line) = self.lines.next_line(chunk, &mut pos) {
            self.fields.line(line, &mut out);
        }
        self.partial
            .extend_from_slice(chunk.get(pos..).unwrap_or_default());
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

    #[test]
    fn data_of_named_events_the_reader_does_not_need_is_not_kept() {
        let mut s = SseSplitter::keeping_data_of(|name| name == "error");
        let ev = s.push(b"event: big\ndata: {\"x\":1}\n\nevent: error\ndata: e\n\ndata: bare\n\n");
        assert_eq!(ev.len(), 3);
        assert_eq!(
            (ev[0].event.as_deref(), ev[0].data.as_deref()),
            (Some("big"), None)
        );
        assert_eq!(
            (ev[1].event.as_deref(), ev[1].data.as_deref()),
            (Some("error"), Some("e"))
        );
        assert_eq!(
            (ev[2].event.as_deref(), ev[2].data.as_deref()),
            (None, Some("bare"))
        );
    }

    #[test]
    fn a_lone_cr_ends_lines_and_events() {
        let mut s = SseSplitter::default();
        let ev = s.push(b"event: x\rdata: 1\r\rdata: 2\r\n\r\n");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].event.as_deref(), Some("x"));
        assert_eq!(ev[0].data.as_deref(), Some("1"));
        assert_eq!(ev[1].data.as_deref(), Some("2"));
    }

    #[test]
    fn a_crlf_cut_in_two_does_not_end_the_event() {
        let mut s = SseSplitter::default();
        assert!(s.push(b"data: a\r").is_empty());
        assert!(s.push(b"\ndata: b\r").is_empty());
        let ev = s.push(b"\n\r\n");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].data.as_deref(), Some("a\nb"));
    }

    #[test]
    fn blank_blocks_are_not_events_and_any_cut_gives_the_same_events() {
        let stream: &[u8] = b"\n\n  \n\nevent: e\r\ndata: {\"k\":1}\r\n\r\n: ping\n\n";
        let mut whole = SseSplitter::default();
        let expected = whole.push(stream);
        assert_eq!(expected.len(), 2);
        for cut in 0..=stream.len() {
            let mut s = SseSplitter::default();
            let mut got = s.push(&stream[..cut]);
            got.extend(s.push(&stream[cut..]));
            assert_eq!(got, expected, "cut at {cut}");
        }
    }
}
