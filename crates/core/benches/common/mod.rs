//! The pool both benchmarks start from: `accounts` healthy accounts and room for `max_sessions`
//! sessions that outlive any run, so no measurement includes an eviction or an expiry.

use std::time::Duration;

use codex_router_core::account::AccountStatus;
use codex_router_core::pool::{AccountMeta, Pool, PoolConfig};

pub fn pool(accounts: usize, max_sessions: usize) -> Pool {
    let mut p = Pool::new(PoolConfig {
        max_sessions,
        session_ttl: Duration::from_secs(24 * 3600),
        ..PoolConfig::default()
    });
    p.sync_accounts(
        (0..accounts)
            .map(|i| AccountMeta {
                id: format!("id{i}"),
                label: format!("acct-{i}"),
                plan_type: Some("pro".into()),
                enabled: true,
                status: AccountStatus::Ok,
            })
            .collect(),
    );
    p
}
