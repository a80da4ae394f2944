//! Request bodies and headers shaped like the real Codex CLI's (`shared/reference/codex-client.md` §1):
//! about 55 KB of JSON whose first input item carries the tools, developer messages carrying the
//! instructions, then history. Overhead that grows with the body (reading it, peeking at it, copying it)
//! only shows with a body of the real size.
//!
//! The thread id appears in the body (`prompt_cache_key`, `client_metadata`) and in headers; a template
//! with fixed-width slots lets each request get its own id with one copy instead of a re-serialisation,
//! so the load generator stays cheap.

use bytes::Bytes;
use serde_json::{Value, json};

/// Width of a thread id (a UUID's).
pub const THREAD_LEN: usize = 36;
const PLACEHOLDER: &str = "ffffffff-ffff-4fff-bfff-ffffffffffff";

/// A deterministic UUID-shaped thread id.
pub fn thread_id(n: u64) -> String {
    format!("0b5e7c00-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff)
}

/// The serialised body with the byte offsets where the thread id goes.
#[derive(Debug)]
pub struct BodyTemplate {
    bytes: Vec<u8>,
    slots: Vec<usize>,
}

impl BodyTemplate {
    /// The Codex-shaped body: ~33 KB of tools, ~16 KB of instructions, a few KB of history.
    pub fn codex_like() -> Self {
        Self::of(&codex_body(PLACEHOLDER))
    }

    /// About 1 KB: the shape of a short sub-agent call or a first turn without tools (the
    /// small-body cells, where the proxy's per-request work is not hidden behind moving 55 KB).
    pub fn small() -> Self {
        Self::of(&small_body(PLACEHOLDER))
    }

    /// The body-size curve's bodies: the small body below 55 KB, the Codex-shaped one above, grown
    /// to `bytes` (within a few KB) with a long history of ~8 KB turns, which is how a Codex body
    /// actually reaches megabytes (tool outputs and file contents in the history).
    pub fn sized(bytes: usize) -> Self {
        let mut body = if bytes < 50_000 {
            small_body(PLACEHOLDER)
        } else {
            codex_body(PLACEHOLDER)
        };
        let mut len = body.to_string().len();
        if let Some(input) = body["input"].as_array_mut() {
            let turn = prose(8_000 / PROSE.len() + 1);
            let mut i = 0;
            while len + turn.len() / 2 < bytes {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                let m = message(role, &turn);
                len += m.to_string().len() + 1;
                input.insert(input.len() - 1, m);
                i += 1;
            }
        }
        Self::of(&body)
    }

    fn of(body: &Value) -> Self {
        let bytes = body.to_string().into_bytes();
        let needle = PLACEHOLDER.as_bytes();
        let slots = bytes
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect();
        Self { bytes, slots }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The body for one thread. `thread` must be [`THREAD_LEN`] bytes (see [`thread_id`]).
    pub fn render(&self, thread: &str) -> Bytes {
        let mut out = self.bytes.clone();
        if thread.len() == THREAD_LEN {
            for &at in &self.slots {
                out[at..at + THREAD_LEN].copy_from_slice(thread.as_bytes());
            }
        }
        Bytes::from(out)
    }
}

/// Headers the real client sends besides `authorization` (`codex-client.md` §1), for one thread.
pub fn codex_headers(thread: &str) -> Vec<(&'static str, String)> {
    let metadata = json!({
        "installation_id": "5d1c3f7e-0000-4000-8000-000000000001",
        "session_id": thread, "thread_id": thread, "turn_id": "turn-1", "window_id": format!("{thread}:0"),
        "window_number": 0, "request_kind": "turn", "history_initialization": "new",
        "sandbox": "workspace-write", "model": "gpt-5.1-codex", "reasoning_effort": "low",
    });
    vec![
        ("x-codex-beta-features", "remote_compaction_v2".to_owned()),
        ("x-codex-window-id", format!("{thread}:0")),
        ("x-codex-turn-metadata", metadata.to_string()),
        ("x-openai-internal-codex-responses-lite", "true".to_owned()),
        ("x-client-request-id", thread.to_owned()),
        ("session-id", thread.to_owned()),
        ("thread-id", thread.to_owned()),
        ("accept", "text/event-stream".to_owned()),
        ("content-type", "application/json".to_owned()),
        ("originator", "codex_exec".to_owned()),
        (
            "user-agent",
            "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)".to_owned(),
        ),
    ]
}

const PROSE: &str = "The agent works inside the user's repository. It reads files before editing them, keeps \
changes minimal and focused, runs the project's own tests and formatters, never invents APIs, explains what it \
changed and why, and asks before running anything destructive or reaching the network. ";

fn prose(n: usize) -> String {
    PROSE.repeat(n)
}

fn codex_body(thread: &str) -> Value {
    let tools: Vec<Value> = (0..28).map(tool).collect();
    let mut input = vec![json!({"type": "additional_tools", "role": "developer", "tools": [
        {"type": "namespace", "name": "functions", "tools": tools}
    ]})];
    for (i, reps) in [(0, 24), (1, 20), (2, 12), (3, 8)] {
        input.push(message(
            "developer",
            &format!("<instructions part=\"{i}\">{}</instructions>", prose(reps)),
        ));
    }
    input.push(message(
        "user",
        "<environment_context><cwd>/home/dev/project</cwd><shell>bash</shell></environment_context>",
    ));
    for turn in 0..4 {
        input.push(message(
            "user",
            &format!("Turn {turn}: please look at src/lib.rs and explain the error handling."),
        ));
        input.push(message("assistant", &prose(3)));
    }
    input.push(message("user", "say pong"));
    json!({
        "model": "gpt-5.1-codex",
        "input": input,
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "low", "context": "all_turns"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": thread,
        "text": {"verbosity": "low"},
        "client_metadata": {
            "thread_id": thread, "turn_id": "turn-1", "session_id": thread, "root_turn_id": "turn-1",
            "x-codex-window-id": format!("{thread}:0"),
            "x-codex-installation-id": "5d1c3f7e-0000-4000-8000-000000000001",
        },
    })
}

fn small_body(thread: &str) -> Value {
    json!({
        "model": "gpt-5.1-codex",
        "input": [
            message("developer", &format!("<instructions>{}</instructions>", prose(1))),
            message("user", "say pong"),
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "low"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": thread,
        "client_metadata": {"thread_id": thread, "session_id": thread},
    })
}

fn message(role: &str, text: &str) -> Value {
    let kind = if role == "assistant" {
        "output_text"
    } else {
        "input_text"
    };
    json!({"type": "message", "role": role, "content": [{"type": kind, "text": text}]})
}

fn tool(i: usize) -> Value {
    json!({
        "type": "function",
        "name": format!("tool_{i:02}"),
        "description": format!("Tool {i}. {}", prose(2)),
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Path of the file, relative to the workspace root."},
                "command": {"type": "array", "items": {"type": "string"}, "description": "argv to run."},
                "timeout_ms": {"type": "integer", "description": "Give up after this many milliseconds."},
                "justification": {"type": "string", "description": "Why this needs to run, shown to the user."},
            },
            "required": ["path"],
            "additionalProperties": false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_codex_sized_and_renders_each_thread() {
        let t = BodyTemplate::codex_like();
        assert!((50_000..60_000).contains(&t.len()), "body is {} bytes", t.len());
        let a = t.render(&thread_id(1));
        let v: Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v["prompt_cache_key"], thread_id(1));
        assert_eq!(v["client_metadata"]["thread_id"], thread_id(1));
        assert_eq!(thread_id(u64::MAX).len(), THREAD_LEN);
    }

    #[test]
    fn sized_bodies_come_within_a_few_kilobytes_of_their_size_and_stay_codex_shaped() {
        for want in [1_000, 55_000, 1_000_000, 8_000_000] {
            let t = BodyTemplate::sized(want);
            let slack = 8_000.max(want / 20);
            assert!(t.len().abs_diff(want) < slack, "{want}: {} bytes", t.len());
            let v: Value = serde_json::from_slice(&t.render(&thread_id(3))).unwrap();
            assert_eq!(v["prompt_cache_key"], thread_id(3));
            assert_eq!(v["input"].as_array().unwrap().last().unwrap()["role"], "user");
        }
    }

    #[test]
    fn small_body_is_about_a_kilobyte_and_renders_each_thread() {
        let t = BodyTemplate::small();
        assert!((700..1_500).contains(&t.len()), "body is {} bytes", t.len());
        let v: Value = serde_json::from_slice(&t.render(&thread_id(7))).unwrap();
        assert_eq!(v["prompt_cache_key"], thread_id(7));
    }
}
