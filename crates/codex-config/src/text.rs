//! Getting a user's file in and out of `toml_edit` without changing its line endings.
//!
//! `toml_edit` reads CRLF but always writes LF, and it has no notion of a byte-order mark. So a
//! text is split into its [`Shape`] (line ending, BOM) and an LF-only body before parsing, and
//! the edited body is put back into that shape afterwards, so CRLF files stay CRLF.
//! A file whose first line break is CRLF is a CRLF file; a file that mixes both comes back
//! all-CRLF, the one lossy case, and only on the surgical path (an unchanged file is restored
//! from its saved bytes).

use toml_edit::DocumentMut;

use crate::error::{BindError, TomlProblem};

const BOM: char = '\u{feff}';

/// What a text looks like around its TOML: how lines end, whether it starts with a BOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) crlf: bool,
    pub(crate) bom: bool,
}

/// Split `text` into its shape and the LF-only body.
pub(crate) fn normalize(text: &str) -> (Shape, String) {
    let (bom, rest) = match text.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let crlf = rest.find('\n').is_some_and(|idx| rest[..idx].ends_with('\r'));
    let body = if rest.contains("\r\n") {
        rest.replace("\r\n", "\n")
    } else {
        rest.to_owned()
    };
    (Shape { crlf, bom }, body)
}

/// Put an LF-only `body` back into `shape`.
pub(crate) fn restore(shape: Shape, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 16 + 3);
    if shape.bom {
        out.push(BOM);
    }
    if shape.crlf {
        out.push_str(&body.replace('\n', "\r\n"));
    } else {
        out.push_str(body);
    }
    out
}

/// Parse an LF-only body. The error keeps the position and the parser's description but not
/// the parser's rendering, which quotes the offending line (it may hold the client key).
pub(crate) fn parse(body: &str) -> Result<DocumentMut, BindError> {
    body.parse::<DocumentMut>().map_err(|err| {
        let offset = err.span().map_or(0, |span| span.start);
        let (line, column) = position(body, offset);
        BindError::Toml(TomlProblem {
            line,
            column,
            message: err.message().trim_end().to_owned(),
        })
    })
}

/// 1-based line and character column of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_bom_survive_a_round_trip() {
        let text = "\u{feff}a = 1\r\n# c\r\n";
        let (shape, body) = normalize(text);
        assert_eq!(
            shape,
            Shape {
                crlf: true,
                bom: true
            }
        );
        assert_eq!(body, "a = 1\n# c\n");
        assert_eq!(restore(shape, &body), text);
    }

    #[test]
    fn lf_text_is_left_alone() {
        let (shape, body) = normalize("a = 1\nb = 2");
        assert_eq!(
            shape,
            Shape {
                crlf: false,
                bom: false
            }
        );
        assert_eq!(restore(shape, &body), "a = 1\nb = 2");
    }

    #[test]
    fn parse_errors_give_a_position_but_never_the_line() {
        let err = parse("ok = 1\nexperimental_bearer_token = \"s3cr3t\n").unwrap_err();
        let BindError::Toml(problem) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(problem.line, 2);
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(!format!("{err:?}").contains("s3cr3t"));
    }
}
