//! Moving a conversation to another account (SPEC §4.3): replayed reasoning survives a forced
//! move, and no `invalid_encrypted_content` reaches the client.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_core::pool::Strategy;
use codex_router_test_support::{Behavior, bodies, encrypted_content_owner, mint_encrypted_content};
use common::{Reply, Router, Setup, blobs_in, user};
use serde_json::{Value, json};

fn history(turns: &[(&str, &Reply)], next: &str) -> Vec<Value> {
    let mut input = Vec::new();
    for (prompt, reply) in turns {
        input.push(user(prompt));
        input.extend(reply.output_items());
    }
    input.push(user(next));
    input
}

fn no_encrypted_error(reply: &Reply) {
    assert!(
        !reply.body.contains("invalid_encrypted_content"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("could not be verified"), "{}", reply.body);
}

#[tokio::test]
async fn a_three_turn_conversation_survives_a_forced_move_between_accounts() {
    let r = Router::start(Setup::new(2)).await;
    let t1 = r.turn("conv", vec![user("one")]).await;
    assert_eq!((t1.status, t1.account()), (200, Some("acct-0")));
    // The fake's reasoning item carries a blob only acct-0 can read.
    let blob1 = t1.output_items()[0]["encrypted_content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(encrypted_content_owner(&blob1).as_deref(), Some("acct-0"));

    let t2 = r.turn("conv", history(&[("one", &t1)], "two")).await;
    assert_eq!(
        (t2.status, t2.account(), t2.attempts()),
        (200, Some("acct-0"), Some(1))
    );

    // acct-0 runs out between turns: turn 3 replays acct-0's reasoning and must move.
    r.fake.script("acct-0", Behavior::usage_limit_in(3600));
    let input3 = history(&[("one", &t1), ("two", &t2)], "three");
    assert_eq!(
        blobs_in(&serde_json::to_vec(&json!({"input": input3})).unwrap()).len(),
        2
    );
    let t3 = r
        .turn_with(
            "conv",
            input3,
            &[("x-codex-turn-state", "routing-token-of-acct-0")],
        )
        .await;
    assert_eq!(t3.status, 200, "{}", t3.body);
    assert_eq!((t3.account(), t3.attempts()), (Some("acct-1"), Some(2)));
    no_encrypted_error(&t3);
    assert_eq!(common::kinds(&t3), common::normal_kinds());
    let reqs = r.fake.requests();
    let (on_a, on_b) = (&reqs[reqs.len() - 2], &reqs[reqs.len() - 1]);
    assert_eq!(on_a.header("chatgpt-account-id"), Some("acct-0"));
    assert_eq!(on_b.header("chatgpt-account-id"), Some("acct-1"));
    // acct-0 got the history as Codex sent it; acct-1 got it without foreign blobs, the
    // empty reasoning items dropped, and every message kept in order.
    assert_eq!(blobs_in(&on_a.body).len(), 2);
    assert!(
        blobs_in(&on_b.body).is_empty(),
        "no encrypted_content reaches acct-1"
    );
    assert_eq!(on_b.input_types(), ["message"; 5]);
    let texts: Vec<Value> = on_b.json().unwrap()["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].clone())
        .collect();
    assert_eq!(texts[0], user("one")["content"]);
    assert_eq!(texts[4], user("three")["content"]);
    // acct-0's routing token is not forwarded on a move.
    assert_eq!(on_a.header("x-codex-turn-state"), Some("routing-token-of-acct-0"));
    assert_eq!(on_b.header("x-codex-turn-state"), None);
    assert_eq!(r.status().counters.rotations, 1);

    // The conversation goes on, bound to acct-1 now. Codex still replays acct-0's blobs from
    // its history; whatever the router does with them, no error reaches the client.
    let t4 = r
        .turn(
            "conv",
            history(&[("one", &t1), ("two", &t2), ("three", &t3)], "four"),
        )
        .await;
    assert_eq!((t4.status, t4.account()), (200, Some("acct-1")), "{}", t4.body);
    no_encrypted_error(&t4);
    // The session is known to carry foreign history: cleaned up front, no 400 round trip.
    assert_eq!(t4.attempts(), Some(1));
    let last = r.fake.requests().pop().unwrap();
    assert!(
        blobs_in(&last.body)
            .iter()
            .all(|b| encrypted_content_owner(b).as_deref() == Some("acct-1"))
    );
}

#[tokio::test]
async fn an_unknown_session_with_foreign_history_gets_one_cleaned_retry_on_the_same_account() {
    // A new router home: the session map has never seen this conversation.
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    let foreign = mint_encrypted_content("an-account-elsewhere", 7);
    let input = vec![
        user("earlier"),
        json!({"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thought"}],"content":null,"encrypted_content": foreign}),
        json!({"type":"reasoning","id":"rs_2","summary":[],"content":null,"encrypted_content": foreign}),
        user("now"),
    ];
    let reply = r.turn("resumed-thread", input).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    no_encrypted_error(&reply);
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    let reqs = r.fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        blobs_in(&reqs[0].body).len(),
        2,
        "first sent as the client sent it"
    );
    assert!(blobs_in(&reqs[1].body).is_empty());
    assert_eq!(
        reqs[1].input_types(),
        ["message", "reasoning", "message"],
        "the reasoning with a summary stays"
    );
    // Not the account's fault.
    let a = r.view("acct-0");
    assert_eq!((a.state.as_str(), a.failures), ("ready", 0));
    assert!(r.status().last_error.is_none());
}

#[tokio::test]
async fn a_session_whose_affinity_expired_lands_elsewhere_and_is_cleaned_on_the_400() {
    let r = Router::start(Setup::new(2)).await;
    let t1 = r.turn("old-thread", vec![user("one")]).await;
    assert_eq!(t1.account(), Some("acct-0"));
    // Past the 30-minute session TTL the mapping is gone; the LRU account is acct-1.
    r.clock.advance(Duration::from_secs(31 * 60));
    let t2 = r.turn("old-thread", history(&[("one", &t1)], "two")).await;
    assert_eq!(t2.status, 200, "{}", t2.body);
    no_encrypted_error(&t2);
    assert_eq!((t2.account(), t2.attempts()), (Some("acct-1"), Some(2)));
}

#[tokio::test]
async fn a_cleaned_retry_that_fails_again_passes_the_error_through() {
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    let body = bodies::invalid_encrypted_content("gAAAAABincidentblobRg==");
    r.fake.script("acct-0", Behavior::json(400, body.clone()));
    r.fake.script("acct-0", Behavior::json(400, body.clone()));
    let input = vec![
        user("a"),
        json!({"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"t"}],"encrypted_content": mint_encrypted_content("acct-0", 1)}),
        user("b"),
    ];
    let reply = r.turn("s", input).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body, body);
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    assert_eq!(
        r.fake.responses_calls("acct-1"),
        0,
        "not the account's fault: no failover"
    );
    assert_eq!(r.state_of("acct-0"), ("ready", None));
}

#[tokio::test]
async fn an_in_band_invalid_encrypted_content_is_retried_cleaned_like_the_400() {
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    r.fake.script(
        "acct-0",
        Behavior::InBandFailure {
            before: vec!["response.created".into()],
            error: json!({"type":"invalid_request_error","code":"invalid_encrypted_content","message":"The encrypted content gAAA...Rg== could not be verified."}),
        },
    );
    let input = vec![
        user("a"),
        json!({"type":"reasoning","id":"rs_1","summary":[],"encrypted_content": mint_encrypted_content("acct-0", 1)}),
        user("b"),
    ];
    let reply = r.turn("s", input).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    no_encrypted_error(&reply);
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    assert!(blobs_in(&r.fake.requests()[1].body).is_empty());
}

#[tokio::test]
async fn an_in_band_invalid_encrypted_content_that_cleaning_does_not_fix_reaches_the_client_as_the_upstreams_own_error()
 {
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    let failure = || Behavior::InBandFailure {
        before: vec!["response.created".into()],
        error: json!({"type":"invalid_request_error","code":"invalid_encrypted_content","message":"The encrypted content gAAA...Rg== could not be verified."}),
    };
    r.fake.script("acct-0", failure());
    r.fake.script("acct-0", failure());
    let input = vec![
        user("a"),
        json!({"type":"reasoning","id":"rs_1","summary":[],"encrypted_content": mint_encrypted_content("acct-0", 1)}),
        user("b"),
    ];
    let reply = r.turn("s", input).await;
    assert_eq!(
        reply.status, 200,
        "the upstream's own answer, not a router 502: {}",
        reply.body
    );
    assert!(
        reply.body.contains("response.failed") && reply.body.contains("invalid_encrypted_content"),
        "{}",
        reply.body
    );
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    assert_eq!(
        r.fake.responses_calls("acct-1"),
        0,
        "not the account's fault: no failover"
    );
}

#[tokio::test]
async fn a_compaction_bound_session_moves_only_when_forced_and_says_so() {
    let r = Router::start(Setup::new(2)).await;
    let compaction = json!({"type":"compaction","encrypted_content": mint_encrypted_content("acct-0", 99)});
    // Bind the session to acct-0 first.
    let t1 = r.turn("compacted", vec![user("one")]).await;
    assert_eq!(t1.account(), Some("acct-0"));
    let input = vec![compaction.clone(), user("two")];
    let t2 = r.turn("compacted", input.clone()).await;
    assert_eq!((t2.status, t2.account()), (200, Some("acct-0")));
    assert!(!t2.headers.contains_key("x-codex-router-context"));
    r.fake.script("acct-0", Behavior::usage_limit_in(3600));
    let t3 = r.turn("compacted", input).await;
    assert_eq!((t3.status, t3.account()), (200, Some("acct-1")), "{}", t3.body);
    assert_eq!(t3.headers["x-codex-router-context"], "compaction-dropped");
    let last = r.fake.requests().pop().unwrap();
    assert_eq!(last.input_types(), ["message"]);
}
