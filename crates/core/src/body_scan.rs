//! The fast path of [`crate::body::peek`]: a structural scan that finds the few keys selection
//! needs without decoding the rest of a ~55 KB Codex body.
//!
//! Almost all of a Codex body is string content (tool schemas, instructions, history), so the
//! scan jumps from quote to quote with `memchr` and only looks at the bytes between strings.
//! It answers exactly what the strict serde peek answers for every valid JSON body; whenever it
//! meets something it does not decode itself (an escaped key or value it must read, a
//! duplicate key, an unexpected type, trailing bytes) it gives up and the caller runs the strict
//! peek. On *invalid* JSON it may still read keys the strict parser would refuse: those bodies
//! are refused by the upstream anyway, and a key only chooses an account.

use memchr::{memchr, memchr2};

use crate::body::BodyPeek;

/// `None`: not decided here, run the strict peek.
pub(crate) fn fast_peek(body: &[u8]) -> Option<BodyPeek> {
    let mut s = Scanner { b: body, i: 0 };
    let mut out = BodyPeek::default();
    let mut seen = [false; 4];
    s.object(|s, key| {
        let slot = match key {
            b"prompt_cache_key" => 0,
            b"previous_response_id" => 1,
            b"metadata" => 2,
            b"input" => 3,
            _ => return s.skip_value(),
        };
        if std::mem::replace(&mut seen[slot], true) {
            return None;
        }
        match slot {
            0 => out.prompt_cache_key = s.opt_string()?,
            1 => out.previous_response_id = s.opt_string()?,
            2 => out.metadata_session_id = s.metadata()?,
            _ => (out.has_compaction, out.has_encrypted) = s.input()?,
        }
        Some(())
    })?;
    s.ws();
    (s.i == body.len()).then_some(out)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// At an opening quote: the raw contents and whether they hold an escape.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            let k = j + memchr2(b'"', b'\\', self.b.get(j..)?)?;
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some((&self.b[start..k], escaped));
            }
            escaped = true;
            j = k + 2;
        }
    }

    /// An object, calling `field` at each value with its (unescaped-free) key.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let (key, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `null` or a string without escapes; anything else is left to the strict peek.
    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'"' => {
                let (raw, escaped) = self.string()?;
                if escaped {
                    return None;
                }
                Some(Some(std::str::from_utf8(raw).ok()?.to_owned()))
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    fn metadata(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| None),
            b'{' => {
                let mut session = None;
                let mut seen = false;
                self.object(|s, key| {
                    if key != b"session_id" {
                        return s.skip_value();
                    }
                    if std::mem::replace(&mut seen, true) {
                        return None;
                    }
                    session = s.opt_string()?;
                    Some(())
                })?;
                Some(session)
            }
            _ => None,
        }
    }

    /// `(has_compaction, has_encrypted)` of the `input` value.
    fn input(&mut self) -> Option<(bool, bool)> {
        match self.peek()? {
            b'"' => self.string().map(|_| (false, false)),
            b'n' => self.literal(b"null").map(|()| (false, false)),
            b'[' => {
                self.i += 1;
                let mut flags = (false, false);
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(flags);
                }
                loop {
                    if self.peek()? == b'{' {
                        let (compaction, encrypted) = self.item()?;
                        flags.0 |= compaction;
                        flags.1 |= encrypted;
                    } else {
                        self.skip_value()?;
                    }
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(flags);
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// One input item: is it a `compaction`, does it carry `encrypted_content`?
    fn item(&mut self) -> Option<(bool, bool)> {
        let (mut kind, mut encrypted) = (None::<bool>, None::<bool>);
        self.object(|s, key| match key {
            b"type" if kind.is_none() => {
                kind = Some(s.opt_string()?.as_deref() == Some("compaction"));
                Some(())
            }
            b"encrypted_content" if encrypted.is_none() => {
                let present = s.peek()? != b'n';
                s.skip_value()?;
                encrypted = Some(present);
                Some(())
            }
            b"type" | b"encrypted_content" => None,
            _ => s.skip_value(),
        })?;
        Some((kind.unwrap_or(false), encrypted.unwrap_or(false)))
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => self.skip_container(),
            _ => {
                let start = self.i;
                while let Some(c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                (self.i > start).then_some(())
            }
        }
    }

    /// Skips a whole object or array: strings are jumped over, brackets between them counted.
    fn skip_container(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let rest = self.b.get(self.i..)?;
            let gap_end = self.i + memchr(b'"', rest).unwrap_or(rest.len());
            while self.i < gap_end {
                match self.b[self.i] {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            self.i += 1;
                            return Some(());
                        }
                    }
                    _ => {}
                }
                self.i += 1;
            }
            if self.i >= self.b.len() {
                return None;
            }
            self.string()?;
        }
    }
}

#[cfg(test)]
#[path = "body_scan_tests.rs"]
mod tests;
