//! Integration tests of the fake backend and issuer over real HTTP (reqwest), as the router will use them.
#![allow(
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

mod auth;
mod behaviors;
mod body_checks;
mod common;
mod login;
mod refresh;
mod streaming;
mod websocket;
mod websocket_scripts;
