use super::*;

/// Every line the splitter completes when `chunks` arrive one after another, the unfinished
/// rest carried over as a caller does.
fn lines(chunks: &[&[u8]]) -> Vec<String> {
    let mut splitter = LineSplitter::default();
    let mut partial = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        partial.extend_from_slice(chunk);
        let mut pos = 0;
        while let Some(line) = splitter.next_line(&partial, &mut pos) {
            out.push(String::from_utf8_lossy(line).into_owned());
        }
        partial.drain(..pos);
    }
    out
}

#[test]
fn each_line_end_the_spec_allows() {
    assert_eq!(lines(&[b"a\nb\n"]), ["a", "b"]);
    assert_eq!(lines(&[b"a\r\nb\r\n"]), ["a", "b"]);
    assert_eq!(lines(&[b"a\rb\r"]), ["a", "b"]);
    assert_eq!(lines(&[b"a\rb\nc\r\nd\r"]), ["a", "b", "c", "d"]);
}

#[test]
fn blank_lines_are_lines() {
    assert_eq!(lines(&[b"a\n\nb\r\n\r\nc\r\r"]), ["a", "", "b", "", "c", ""]);
    assert_eq!(lines(&[b"\n"]), [""]);
}

#[test]
fn an_unfinished_line_waits_for_its_end() {
    assert!(lines(&[b"data: x"]).is_empty());
    assert_eq!(lines(&[b"da", b"ta: x", b"\n"]), ["data: x"]);
}

#[test]
fn a_crlf_split_across_two_buffers_is_one_line_end() {
    assert_eq!(lines(&[b"a\r", b"\nb\n"]), ["a", "b"]);
    assert_eq!(lines(&[b"a\r", b"\n", b"\n"]), ["a", ""]);
    assert_eq!(lines(&[b"a\r", b"", b"\nb\r"]), ["a", "b"]);
}

#[test]
fn a_cr_at_the_end_then_another_line_is_a_lone_cr() {
    assert_eq!(lines(&[b"a\r", b"b\n"]), ["a", "b"]);
    assert_eq!(lines(&[b"a\r", b"\r"]), ["a", ""]);
}

#[test]
fn positions_stay_in_the_buffer() {
    let mut splitter = LineSplitter::default();
    let mut pos = 0;
    assert_eq!(splitter.next_line(b"ab", &mut pos), None);
    assert_eq!(pos, 0);
    let mut past = 5;
    assert_eq!(splitter.next_line(b"ab", &mut past), None);
}

#[test]
fn any_cut_gives_the_same_lines() {
    let stream: &[u8] = b"event: a\r\ndata: 1\r\n\r\n: c\rdata: 2\n\ndata: 3\r\r";
    let whole = lines(&[stream]);
    for cut in 0..=stream.len() {
        let (head, tail) = stream.split_at(cut);
        assert_eq!(lines(&[head, tail]), whole, "cut at {cut}");
    }
}
