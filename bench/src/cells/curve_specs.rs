//! The cells behind the scale curves that reuse the interleaved throughput run: the pool growing
//! (accounts) and the body growing. The session curve is [`Spec::sessions`]; the stream curve is the
//! slow-streams cell at several sizes (`slow.rs`).

use std::sync::Arc;

use crate::body::BodyTemplate;
use crate::cells::throughput::Spec;
use crate::load::Sessions;
use crate::plan::Plan;

/// `1k`, `55k`, `1m`, `8m`: the short form used in cell names.
pub fn size_label(bytes: usize) -> String {
    match bytes {
        b if b >= 1_000_000 && b % 1_000_000 == 0 => format!("{}m", b / 1_000_000),
        b if b >= 1_000 && b % 1_000 == 0 => format!("{}k", b / 1_000),
        b => b.to_string(),
    }
}

/// The pool curve: the small-body, new-session cell at c=16 with `accounts` accounts in the pool,
/// so selection ranks the whole pool on every request (a bound session would look at one account).
pub fn accounts(plan: &Plan, accounts: usize) -> Spec {
    let mut spec = Spec::small_new_session(plan, 16);
    spec.name = format!("accounts-{accounts}");
    spec.title = format!("{accounts} accounts in the pool, small bodies, new session per request, c=16");
    spec.fake.accounts = accounts;
    spec
}

/// The body curve: one Codex session (bound, as a real conversation is) at concurrency 1, so the
/// added time to first byte and the daemon's high-water mark belong to one request of that size.
pub fn body(plan: &Plan, bytes: usize) -> Spec {
    let mut spec = Spec::zero_delay(plan, 1);
    spec.name = format!("body-{}", size_label(bytes));
    spec.title = format!("{bytes} byte bodies, one session, concurrency 1");
    spec.sessions = Sessions::PerVu;
    spec.reps = plan.body_reps;
    spec.body = Some(Arc::new(BodyTemplate::sized(bytes)));
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_round_sizes_shortly() {
        assert_eq!(size_label(1_000), "1k");
        assert_eq!(size_label(55_000), "55k");
        assert_eq!(size_label(8_000_000), "8m");
        assert_eq!(size_label(1_500), "1500");
    }
}
