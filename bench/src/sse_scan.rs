//! Finds SSE event boundaries in a byte stream as it arrives, to time events the way a client sees
//! them. It only looks for blank lines and the event type: the proxy relays the fake's bytes verbatim, and a
//! full parser would put the load generator's cost into every measurement.

use std::time::Instant;

use codex_router_core::sse_line::LineSplitter;

/// The event whose arrival is "first output" (SPEC §4.2 holds only the output-free opening events).
pub const OUTPUT_EVENT: &[u8] = b"response.output_text.delta";
const COMPLETED_EVENT: &[u8] = b"response.completed";

/// What the event being read is, as far as the scanner cares.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No line of the event yet: a blank line here ends nothing.
    #[default]
    Empty,
    Unnamed,
    Output,
    Completed,
    Other,
}

/// Per-request scanner state. Gaps go into a caller-owned vector so one allocation serves many requests.
#[derive(Debug, Default)]
pub struct EventScanner {
    buf: Vec<u8>,
    lines: LineSplitter,
    kind: Kind,
    pub events: u32,
    pub first_output: Option<Instant>,
    pub completed: bool,
    last_event: Option<Instant>,
    /// Events after the first output that arrived in the same read as the event before them.
    pub coalesced: u32,
}

impl EventScanner {
    /// Takes one read. `gaps_us` receives the time between consecutive events from the first output event
    /// on (the opening events are held back by design, so gaps before it say nothing about batching).
    pub fn feed(&mut self, chunk: &[u8], at: Instant, gaps_us: &mut Vec<u32>) {
        self.buf.extend_from_slice(chunk);
        let mut pos = 0;
        let mut in_this_read = 0u32;
        while let Some(line) = self.lines.next_line(&self.buf, &mut pos) {
            if !line.is_empty() {
                self.kind = line_kind(self.kind, line);
                continue;
            }
            let kind = std::mem::take(&mut self.kind);
            if kind == Kind::Empty {
                continue;
            }
            if self.first_output.is_none() && kind == Kind::Output {
                self.first_output = Some(at);
            } else if self.first_output.is_some() {
                if let Some(last) = self.last_event {
                    let gap = at.saturating_duration_since(last).as_micros();
                    gaps_us.push(u32::try_from(gap).unwrap_or(u32::MAX));
                }
                if in_this_read > 0 {
                    self.coalesced += 1;
                }
            }
            if kind == Kind::Completed {
                self.completed = true;
            }
            self.events += 1;
            self.last_event = Some(at);
            in_this_read += 1;
        }
        self.buf.drain(..pos);
    }
}

/// The event's kind after one more of its lines: `event: <type>` when present, else the
/// `"type":"<type>"` of the data.
fn line_kind(kind: Kind, line: &[u8]) -> Kind {
    if !matches!(kind, Kind::Empty | Kind::Unnamed) {
        return kind;
    }
    let name = match line.strip_prefix(b"event: ") {
        Some(name) => Some(name),
        None => type_in(line),
    };
    match name {
        Some(OUTPUT_EVENT) => Kind::Output,
        Some(COMPLETED_EVENT) => Kind::Completed,
        Some(_) => Kind::Other,
        None => Kind::Unnamed,
    }
}

fn type_in(line: &[u8]) -> Option<&[u8]> {
    let key = b"\"type\":\"";
    let at = line.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = &line[at..];
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_events_across_reads_and_times_gaps_after_first_output() {
        let mut s = EventScanner::default();
        let mut gaps = Vec::new();
        let t = Instant::now();
        s.feed(
            b"event: response.created\ndata: {}\n\nevent: response.output_te",
            t,
            &mut gaps,
        );
        assert_eq!(s.events, 1);
        assert!(s.first_output.is_none());
        s.feed(
            b"xt.delta\ndata: {}\n\nevent: response.output_text.delta\ndata: {}\n\n",
            t,
            &mut gaps,
        );
        assert_eq!(s.events, 3);
        assert!(s.first_output.is_some());
        assert_eq!((gaps.len(), s.coalesced), (1, 1));
        s.feed(b"data: {\"type\":\"response.completed\"}\n\n", t, &mut gaps);
        assert!(s.completed);
        assert_eq!(gaps.len(), 2);
    }
}
