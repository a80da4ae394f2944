//! Where SSE lines end. The spec lets a line end at CRLF, LF or a lone CR, and a stream may be
//! cut anywhere, even between the CR and the LF of one line end: the proxy's hold, the fake
//! backend's parser and the benchmark's scanner all cut lines here so they agree on that.
//!
//! One pass over the bytes, no allocation: lines are slices of the caller's buffer.

/// Cuts a byte stream into lines, buffer by buffer.
///
/// The only state kept between buffers is whether the last one ended in a CR: an LF that starts
/// the next buffer then completes that CRLF instead of ending an empty line (which would end
/// an SSE event early).
#[derive(Debug, Default, Clone, Copy)]
pub struct LineSplitter {
    after_cr: bool,
}

impl LineSplitter {
    /// The next complete line of `buf[*pos..]`, without its line end, and `*pos` moved past
    /// that end. `None` when what is left is an unfinished line: the caller keeps it and
    /// passes it again, followed by the next bytes.
    pub fn next_line<'a>(&mut self, buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
        let mut rest = buf.get(*pos..)?;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(after_lf) = rest.strip_prefix(b"\n") {
                rest = after_lf;
                *pos += 1;
            }
        }
        let at = memchr::memchr2(b'\n', b'\r', rest)?;
        let mut len = at + 1;
        if rest[at] == b'\r' {
            match rest.get(len) {
                Some(b'\n') => len += 1,
                Some(_) => {}
                None => self.after_cr = true,
            }
        }
        *pos += len;
        Some(&rest[..at])
    }
}

#[cfg(test)]
#[path = "sse_line_tests.rs"]
mod tests;
