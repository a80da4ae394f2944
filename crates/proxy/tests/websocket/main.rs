//! The WebSocket transport through the router (SPEC §4.4), against the fake backend's
//! WebSocket, with a real tokio-tungstenite client on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
#[path = "../common/mod.rs"]
mod common;

mod conversation;
mod failover;
mod guards;
mod lifecycle;
mod scale;
