use serde_json::value::RawValue;

use super::*;

fn items(texts: &[&str]) -> Vec<Box<RawValue>> {
    texts
        .iter()
        .map(|t| RawValue::from_string(format!("{{\"t\":\"{t}\"}}")).unwrap())
        .collect()
}

fn texts(node: &ContextNode) -> Vec<String> {
    node.full_items().iter().map(|r| r.get().to_owned()).collect()
}

#[test]
fn a_chain_of_responses_rebuilds_the_whole_conversation_in_order() {
    let mut s = ContextStore::new(1 << 20);
    let a = s.insert(1, "r1".into(), None, items(&["sys", "u1", "out1"]));
    let b = s.insert(1, "r2".into(), Some(a), items(&["tool1", "out2"]));
    s.insert(1, "r3".into(), Some(b), items(&["tool2", "out3"]));
    let Lookup::Found(n) = s.get(1, "r3") else {
        panic!("r3 kept")
    };
    assert_eq!(
        texts(&n),
        ["sys", "u1", "out1", "tool1", "out2", "tool2", "out3"].map(|t| format!("{{\"t\":\"{t}\"}}"))
    );
    assert!(
        matches!(s.get(2, "r3"), Lookup::Unknown),
        "contexts are per connection"
    );
}

#[test]
fn each_response_costs_only_what_it_added() {
    let mut s = ContextStore::new(1 << 20);
    let mut parent = None;
    for i in 0..50 {
        parent = Some(s.insert(1, format!("r{i}"), parent, items(&["x"])));
    }
    // 50 nodes of one 9-byte item plus the id: linear, not quadratic.
    assert!(s.bytes() < 50 * 16, "{}", s.bytes());
}

#[test]
fn the_least_recently_used_connection_is_dropped_first_and_says_so() {
    let mut s = ContextStore::new(100);
    s.insert(1, "a".into(), None, items(&["0123456789012345678901234567890"]));
    s.insert(2, "b".into(), None, items(&["0123456789012345678901234567890"]));
    // Connection 1 used again: 2 is now the oldest.
    assert!(matches!(s.get(1, "a"), Lookup::Found(_)));
    s.insert(3, "c".into(), None, items(&["0123456789012345678901234567890"]));
    assert!(s.bytes() <= 100);
    assert!(matches!(s.get(2, "b"), Lookup::Evicted));
    assert!(matches!(s.get(1, "a"), Lookup::Found(_)));
    assert!(matches!(s.get(3, "c"), Lookup::Found(_)));
}

#[test]
fn a_context_larger_than_the_bound_is_not_kept() {
    let mut s = ContextStore::new(10);
    s.insert(1, "a".into(), None, items(&["far too long for ten bytes"]));
    assert_eq!(s.bytes(), 0);
    assert!(matches!(s.get(1, "a"), Lookup::Evicted));
}

#[test]
fn closing_connections_returns_the_store_to_zero() {
    let mut s = ContextStore::new(1 << 20);
    for c in 0..20 {
        let p = s.insert(c, "r1".into(), None, items(&["a", "b"]));
        s.insert(c, "r2".into(), Some(p), items(&["c"]));
    }
    assert!(s.bytes() > 0);
    for c in 0..20 {
        s.remove(c);
    }
    assert_eq!(s.bytes(), 0);
    assert_eq!(s.connections(), 0);
}

#[test]
fn a_compaction_item_anywhere_up_the_chain_marks_the_conversation() {
    let mut s = ContextStore::new(1 << 20);
    let a = s.insert(1, "r1".into(), None, items(&["u1"]));
    assert!(!a.has_compaction());
    let c = RawValue::from_string(r#"{"type":"compaction","encrypted_content":"E"}"#.into()).unwrap();
    let b = s.insert(1, "r2".into(), Some(a), vec![c]);
    let n = s.insert(1, "r3".into(), Some(b), items(&["the word compaction in text"]));
    assert!(n.has_compaction());
}
