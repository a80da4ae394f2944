//! What the demo shows: the story, line by line, and the live account table under it.
//!
//! On a terminal the table is redrawn in place after every step (cursor up, clear, draw, in one
//! write) and story lines scroll above it. Anywhere else there are no escape codes: story lines
//! as they happen, and the table printed whole at the end of each act. With `--json` nothing is
//! printed until the end, when the story comes out as one document.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use codex_router_core::Timestamp;
use codex_router_demo::Show;
use codex_router_protocol::status::StatusDoc;

use crate::commands::status_render::state_cell;
use crate::output;
use crate::table::Table;
use crate::timefmt::relative;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tty,
    Plain,
    Json,
}

#[derive(Debug)]
pub struct Screen {
    mode: Mode,
    /// Lines of the table currently on screen (terminal mode), erased before the next draw.
    live: usize,
    table: String,
    story: Vec<String>,
}

impl Screen {
    pub fn new(json: bool) -> Self {
        let mode = match (json, std::io::stdout().is_terminal()) {
            (true, _) => Mode::Json,
            (false, true) => Mode::Tty,
            (false, false) => Mode::Plain,
        };
        Self {
            mode,
            live: 0,
            table: String::new(),
            story: Vec::new(),
        }
    }

    /// A human is watching: worth pausing between steps.
    pub fn is_tty(&self) -> bool {
        self.mode == Mode::Tty
    }

    pub fn story(&self) -> &[String] {
        &self.story
    }

    /// One line of the story.
    pub fn say(&mut self, line: &str) -> anyhow::Result<()> {
        self.story.push(line.to_owned());
        match self.mode {
            Mode::Json => Ok(()),
            Mode::Plain => output::line(line),
            Mode::Tty => {
                let frame = format!("{}{line}\n{}", self.erase(), self.table);
                self.live = self.table.lines().count();
                output::print(&frame)
            }
        }
    }

    /// The table from a status snapshot. On a terminal it replaces the one drawn; elsewhere it is
    /// printed only at the end of an act (`act_done`).
    pub fn table(
        &mut self,
        snapshot: &StatusDoc,
        sessions: &BTreeMap<String, Vec<&str>>,
        now: Timestamp,
        act_done: bool,
    ) -> anyhow::Result<()> {
        self.table = render(snapshot, sessions, now);
        match self.mode {
            Mode::Json => Ok(()),
            Mode::Plain if act_done => output::print(&format!("\n{}\n", self.table)),
            Mode::Plain => Ok(()),
            Mode::Tty => {
                let frame = format!("{}{}", self.erase(), self.table);
                self.live = self.table.lines().count();
                output::print(&frame)
            }
        }
    }

    /// Leaves the last table on screen as plain text and stops redrawing.
    pub fn freeze(&mut self) {
        self.live = 0;
    }

    fn erase(&self) -> String {
        if self.live == 0 {
            String::new()
        } else {
            format!("\x1b[{}F\x1b[J", self.live)
        }
    }
}

impl Show for Screen {
    type Error = anyhow::Error;

    fn say(&mut self, line: &str) -> anyhow::Result<()> {
        Screen::say(self, line)
    }

    fn is_tty(&self) -> bool {
        Screen::is_tty(self)
    }

    fn show_table(
        &mut self,
        status: &StatusDoc,
        sessions: &BTreeMap<String, Vec<&str>>,
        act_done: bool,
    ) -> anyhow::Result<()> {
        self.table(status, sessions, crate::timefmt::now(), act_done)
    }
}

/// The accounts as the daemon reports them, plus which demo sessions each one serves.
pub fn render(snapshot: &StatusDoc, sessions: &BTreeMap<String, Vec<&str>>, now: Timestamp) -> String {
    let mut t = Table::new(&[
        "ACCOUNT", "PLAN", "STATE", "UNTIL", "5H USED", "REQUESTS", "SESSIONS",
    ]);
    for a in &snapshot.accounts {
        let used = a
            .quota
            .as_ref()
            .and_then(|q| q.primary.as_ref())
            .map_or_else(|| "-".to_owned(), |w| format!("{:.0}%", w.used_percent));
        let served = sessions
            .get(&a.label)
            .map_or_else(|| "-".to_owned(), |s| s.join(", "));
        t.row(vec![
            a.label.clone(),
            a.plan_type.clone().unwrap_or_else(|| "-".to_owned()),
            state_cell(&a.state, a.state_reason.as_deref()),
            a.until.map_or_else(|| "-".to_owned(), |t| relative(t, now)),
            used,
            a.requests.to_string(),
            served,
        ]);
    }
    let c = &snapshot.counters;
    format!(
        "{}requests {}, rotations {}, token refreshes {}, upstream calls {}\n",
        t.render(),
        c.total_requests,
        c.rotations,
        c.refreshes,
        c.upstream_requests,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// `partial` with the sections the table does not read.
    fn doc(mut partial: Value) -> StatusDoc {
        partial["daemon"] = json!({"pid": 1, "version": "0", "started_at": "1970-01-01T00:00:00Z",
                                   "uptime_s": 0, "listen": "127.0.0.1:1", "socket": "/s"});
        partial["binding"] = json!({"bound": false, "config_path": null, "port": null,
                                    "matches_daemon": false, "bypassed_by": []});
        partial["storage"] = json!({"state": "ok", "path": "/a", "kept_aside": null, "reason": null});
        serde_json::from_value(partial).unwrap()
    }

    #[test]
    fn the_table_shows_state_quota_requests_and_sessions_without_escape_codes() {
        let now = Timestamp::from_unix_secs(1_000_000);
        let snapshot = json!({
            "counters": {"total_requests": 7, "rotations": 1, "refreshes": 1, "upstream_requests": 9},
            "accounts": [
                {"id": "t", "label": "team", "plan_type": "team", "state": "rate_limited", "state_reason": "usage_limit",
                 "until": "1970-01-12T14:46:40Z", "quota": {"primary": {"used_percent": 100.0}, "secondary": null, "source": "usage",
                           "read_at": "1970-01-01T00:00:00Z"}, "requests": 3},
                {"id": "s", "label": "spare", "plan_type": "plus", "state": "ready", "state_reason": null, "until": null,
                 "quota": null, "requests": 4},
            ],
        });
        let sessions = BTreeMap::from([("spare".to_owned(), vec!["alpha", "bravo"])]);
        let out = render(&doc(snapshot), &sessions, now);
        assert!(!out.contains('\x1b'), "{out}");
        let team = out.lines().find(|l| l.starts_with("team")).unwrap();
        assert!(
            team.contains("rate_limited (usage_limit)")
                && team.contains("in 1h 00m")
                && team.contains("100%"),
            "{out}"
        );
        let spare = out.lines().find(|l| l.starts_with("spare")).unwrap();
        assert!(spare.ends_with("alpha, bravo"), "{out}");
        assert!(
            out.ends_with("requests 7, rotations 1, token refreshes 1, upstream calls 9\n"),
            "{out}"
        );
    }
}
