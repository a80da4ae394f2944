//! The SSE splitter behind the hold (SPEC §4.2) over arbitrary chunking and garbage: the events
//! found never depend on where the network cut the bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use codex_router_proxy::sse::SseSplitter;
use proptest::prelude::*;

fn events_of(chunks: &[Vec<u8>]) -> Vec<Option<String>> {
    let mut s = SseSplitter::default();
    chunks.iter().flat_map(|c| s.push(c)).map(|e| e.data).collect()
}

proptest! {
    #[test]
    fn chunk_boundaries_do_not_change_the_events(
        datas in prop::collection::vec("[a-z{}\":, ]{0,30}", 1..8),
        crlf in any::<bool>(),
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let stream: String = datas.iter().map(|d| format!("event: x{nl}data: {d}{nl}{nl}")).collect();
        let bytes = stream.as_bytes();
        let whole = events_of(&[bytes.to_vec()]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for c in cuts {
            chunks.push(bytes[start..c].to_vec());
            start = c;
        }
        chunks.push(bytes[start..].to_vec());
        prop_assert_eq!(events_of(&chunks), whole.clone());
        let expect: Vec<Option<String>> = datas.into_iter().map(Some).collect();
        prop_assert_eq!(whole, expect);
    }

    #[test]
    fn garbage_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let _ = events_of(&chunks);
    }
}
