//! The handshake is checked before anything is opened upstream (a web page can open a
//! WebSocket to 127.0.0.1: `Origin` is the line of defence), and bad frames do not kill the
//! connection or the daemon.

use futures_util::SinkExt as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::client::{self, create, open_conversation, request};
use crate::common::{Router, Setup, user, within};

#[tokio::test]
async fn handshakes_with_an_origin_a_foreign_host_or_a_wrong_key_are_refused_before_any_upgrade() {
    let mut setup = Setup::new(1);
    setup.proxy.max_body_bytes = 4096;
    let r = Router::start(setup).await;
    within("guards", 30, async {
        for origin in ["https://evil.example", "null", "http://127.0.0.1"] {
            let mut req = client::handshake(&r, "t");
            req.headers_mut().insert("origin", origin.parse().unwrap());
            let (status, body) = client::refused(req).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (403, Some("router_forbidden")),
                "{origin}"
            );
        }
        let mut req = client::handshake(&r, "t");
        req.headers_mut().insert("host", "evil.example".parse().unwrap());
        assert_eq!(client::refused(req).await.0, 403);
        let mut req = client::handshake(&r, "t");
        req.headers_mut()
            .insert("authorization", "Bearer wrong".parse().unwrap());
        let (status, body) = client::refused(req).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("router_unauthorized"))
        );
        let mut req = client::handshake(&r, "t");
        req.headers_mut().remove("authorization");
        assert_eq!(client::refused(req).await.0, 401);
    })
    .await;
    assert_eq!(
        r.fake.ws_connections_total("acct-0"),
        0,
        "nothing opened upstream"
    );
    assert!(r.fake.requests().is_empty(), "nothing reached the upstream");
}

#[tokio::test]
async fn a_frame_over_the_body_limit_closes_with_1009_and_a_garbage_frame_gets_a_wrapped_400() {
    let mut setup = Setup::new(1);
    setup.proxy.max_body_bytes = 4096;
    let r = Router::start(setup).await;
    within("frames", 30, async {
        let mut ws = client::connect(&r, "thread-g").await;
        ws.send(Message::text("{not json")).await.unwrap();
        let garbage = client::read_response(&mut ws).await;
        let err = garbage.error().expect("a wrapped error");
        assert_eq!(err["status"], 400);
        assert_eq!(err["error"]["code"], "router_bad_frame");
        // The connection survived.
        let ok = open_conversation(&mut ws, "thread-g").await;
        assert!(ok.completed());
        let big = create("thread-g", None, vec![user(&"x".repeat(8192))]);
        client::send(&mut ws, &big).await;
        match client::next(&mut ws).await {
            Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
            other => panic!("expected close 1009, got {other:?}"),
        }
        // Another connection is served as before.
        let mut ws = client::connect(&r, "thread-g2").await;
        let again = request(&mut ws, &create("thread-g2", None, vec![user("hi")])).await;
        assert!(again.completed());
    })
    .await;
}
