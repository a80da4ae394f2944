use std::collections::HashMap;
use std::sync::Arc;

use codex_router_test_support::{FakeAccount, FakeBackend};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn the_proxy_variable_follows_the_scheme_and_no_proxy_exempts_hosts_and_domains() {
    let e = env(&[
        ("HTTPS_PROXY", "http://proxy.corp:3128"),
        ("HTTP_PROXY", "plain:8080"),
    ]);
    let p = proxy_for(true, "chatgpt.com", &e).unwrap();
    assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
    let p = proxy_for(false, "127.0.0.1", &e).unwrap();
    assert_eq!(
        (p.host.as_str(), p.port),
        ("plain", 8080),
        "a scheme-less value is http://"
    );
    let all = env(&[("all_proxy", "http://fallback:1")]);
    assert_eq!(proxy_for(true, "chatgpt.com", &all).unwrap().host, "fallback");
    assert!(proxy_for(true, "chatgpt.com", env(&[])).is_none());
    for no in [
        "chatgpt.com",
        ".chatgpt.com",
        "CHATGPT.COM",
        "other, chatgpt.com:443",
        "*",
    ] {
        let e = env(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)]);
        assert!(proxy_for(true, "chatgpt.com", &e).is_none(), "{no}");
    }
    let e = env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "openai.com")]);
    assert!(proxy_for(true, "chatgpt.com", &e).is_some());
    let e = env(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "gpt.com")]);
    assert!(
        proxy_for(true, "chatgpt.com", &e).is_some(),
        "a suffix match needs a dot boundary"
    );
    let e = env(&[("HTTPS_PROXY", "socks5://p:1")]);
    assert!(proxy_for(true, "chatgpt.com", &e).is_none());
}

#[test]
fn proxy_credentials_become_basic_auth_and_never_reach_debug() {
    let e = env(&[("HTTPS_PROXY", "http://me:s%40cret@p:1")]);
    let p = proxy_for(true, "chatgpt.com", &e).unwrap();
    assert_eq!(
        p.auth.as_deref(),
        Some(
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("me:s@cret")
            )
            .as_str()
        )
    );
    assert!(!format!("{p:?}").contains("cret"));
}

/// A CONNECT proxy on 127.0.0.1 that records each request line and pipes bytes both ways.
async fn connect_proxy(seen: Arc<Mutex<Vec<String>>>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut b).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                seen.lock().push(text.clone());
                let target = text.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_upstream_websocket_goes_through_the_connect_proxy_the_environment_names() {
    let fake = FakeBackend::start().await;
    let tokens = fake.add_account(FakeAccount::new("acct-0", "pro"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let proxy = connect_proxy(Arc::clone(&seen)).await;
    let url = super::super::upstream::ws_url(&fake.base_url()).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {}", tokens.access_token).parse().unwrap(),
    );
    headers.insert("chatgpt-account-id", "acct-0".parse().unwrap());
    let proxy_env = env(&[("HTTP_PROXY", &format!("http://{proxy}"))]);
    let opened = super::super::upstream::connect(
        &url,
        headers.clone(),
        Duration::from_secs(5),
        Duration::from_secs(5),
        &proxy_env,
    )
    .await;
    assert!(opened.is_ok(), "the handshake went through the tunnel");
    let lines = seen.lock().clone();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(&format!("CONNECT {} HTTP/1.1", fake.addr())),
        "{lines:?}"
    );
    // NO_PROXY covering the host: straight to it, the proxy sees nothing more.
    let direct_env = env(&[
        ("HTTP_PROXY", &format!("http://{proxy}")),
        ("NO_PROXY", "127.0.0.1"),
    ]);
    let opened = super::super::upstream::connect(
        &url,
        headers,
        Duration::from_secs(5),
        Duration::from_secs(5),
        &direct_env,
    )
    .await;
    assert!(opened.is_ok());
    assert_eq!(seen.lock().len(), 1);
}
