//! Bounded soak of the real daemon (RSS and open files sampled: no growth trend, no error other
//! than the scripted ones; docs/reliability.md), outside the default test run:
//!
//! ```sh
//! cargo run --release -p codex-router-e2e --example soak -- --minutes 10 --concurrency 200
//! ```
//!
//! A fake upstream with six accounts streams answers with 20 ms between events; `concurrency`
//! clients run Codex-shaped turns back to back; every few seconds one account hits its usage
//! limit for ten seconds (accounts flip between healthy and limited). The daemon's RSS and open
//! file descriptors are sampled every 10 s. It fails (exit 1) when any request fails for a
//! reason other than the scripted limits, or when RSS or file descriptors keep growing (the last
//! third of the samples averages more than 20 % above the middle third).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a tool, not library code

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use codex_router_e2e::home::account_record;
use codex_router_e2e::{Home, Upstream};
use codex_router_store::read_daemon_info;
use codex_router_test_support::{Behavior, StreamConfig};
use serde_json::json;

const ACCOUNTS: usize = 6;

struct Args {
    minutes: f64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        minutes: 10.0,
        concurrency: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--minutes" => a.minutes = value.parse().expect("--minutes takes a number"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency takes a number"),
            other => panic!("unknown flag {other}; use --minutes N --concurrency N"),
        }
    }
    a
}

fn sample(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    (rss_kb, fds)
}

fn growth(series: &[f64]) -> f64 {
    let third = series.len() / 3;
    if third == 0 {
        return 0.0;
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let middle = mean(&series[third..2 * third]);
    let last = mean(&series[2 * third..]);
    if middle == 0.0 {
        0.0
    } else {
        (last - middle) / middle
    }
}

fn main() {
    let args = args();
    let upstream = Upstream::start();
    upstream.fake.set_stream(StreamConfig {
        deltas: 10,
        ..StreamConfig::with_delay(Duration::from_millis(20))
    });
    let ids: Vec<String> = (0..ACCOUNTS).map(|i| format!("acct-{i}")).collect();
    let records: Vec<_> = ids
        .iter()
        .map(|id| account_record(&upstream.account(id, "pro")))
        .collect();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&records);
    let mut daemon = home.spawn_daemon();
    daemon.wait_ready(&home.paths.socket);
    let pid = daemon.pid();
    let info = read_daemon_info(&home.paths.daemon_json).unwrap().unwrap();
    let key = std::fs::read_to_string(&home.paths.client_key)
        .unwrap()
        .trim()
        .to_owned();
    let url = format!("http://{}/backend-api/codex/responses", info.listen);
    let deadline = Instant::now() + Duration::from_secs_f64(args.minutes * 60.0);
    let ok = Arc::new(AtomicU64::new(0));
    let limited = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let client = upstream.rt.block_on(async {
        codex_router_oauth::client_builder(Duration::from_secs(5))
            .no_proxy()
            .build()
            .unwrap()
    });
    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            let (client, url, key) = (client.clone(), url.clone(), key.clone());
            let (ok, limited, failed) = (ok.clone(), limited.clone(), failed.clone());
            upstream.rt.spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    n += 1;
                    let body = json!({"model":"m","stream":true,"store":false,
                        "prompt_cache_key": format!("w{w}-{}", n % 5),"input":[{"type":"message","role":"user","content":"hi"}]});
                    let res = client.post(&url).bearer_auth(&key).json(&body).send().await;
                    match res {
                        Ok(r) if r.status().is_success() => match r.bytes().await {
                            Ok(b) if b.windows(18).any(|w| w == b"response.completed") => ok.fetch_add(1, Ordering::Relaxed),
                            _ => failed.fetch_add(1, Ordering::Relaxed),
                        },
                        // Every account limited at once can happen with several flipped: scripted.
                        Ok(r) if r.status().as_u16() == 429 || r.status().as_u16() == 503 => {
                            limited.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut samples: Vec<(f64, u64, usize)> = Vec::new();
    let mut flip = 0usize;
    while Instant::now() < deadline {
        let id = &ids[flip % ACCOUNTS];
        upstream.fake.script(id, Behavior::usage_limit_in(10));
        flip += 1;
        std::thread::sleep(Duration::from_secs(5)); // the soak's own pacing, not a readiness wait
        if flip.is_multiple_of(2) {
            let (rss, fds) = sample(pid);
            samples.push((started.elapsed().as_secs_f64(), rss, fds));
            println!(
                "t={:>5.0}s rss={:>6} KiB fds={:>4} ok={} limited={} failed={}",
                started.elapsed().as_secs_f64(),
                rss,
                fds,
                ok.load(Ordering::Relaxed),
                limited.load(Ordering::Relaxed),
                failed.load(Ordering::Relaxed)
            );
        }
    }
    for w in workers {
        let _ = upstream.rt.block_on(w);
    }
    let rss: Vec<f64> = samples.iter().map(|s| s.1 as f64).collect();
    let fds: Vec<f64> = samples.iter().map(|s| s.2 as f64).collect();
    let (g_rss, g_fds) = (growth(&rss), growth(&fds));
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "soak: {:.1} min, {} clients, {} streams completed, {} answered rate-limited (scripted), {} failed; RSS growth {:+.1} %, fd growth {:+.1} %",
        args.minutes,
        args.concurrency,
        ok.load(Ordering::Relaxed),
        limited.load(Ordering::Relaxed),
        failed,
        g_rss * 100.0,
        g_fds * 100.0
    );
    let pass = failed == 0 && g_rss <= 0.2 && g_fds <= 0.2;
    println!("{}", if pass { "PASS" } else { "FAIL" });
    drop(daemon);
    std::process::exit(i32::from(!pass));
}
