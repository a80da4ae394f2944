//! The Responses API event sequence the fake streams (OpenAI Responses event format, as Codex parses it).

use serde_json::{Value, json};

use crate::behavior::StreamConfig;
use crate::usage::UsageState;

/// Per-request facts the events mention.
pub(crate) struct EventCtx {
    pub response_id: String,
    pub model: String,
    pub created_at: i64,
    /// Minted for the serving account: the reasoning item's (or compaction item's) `encrypted_content`.
    pub blob: String,
    pub item_suffix: String,
    pub input_tokens: u64,
}

impl EventCtx {
    pub(super) fn response(&self, status: &str, output: Vec<Value>, usage: Value) -> Value {
        json!({
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": output,
            "usage": usage,
            "error": null,
            "incomplete_details": null,
            "store": false,
        })
    }

    pub(super) fn usage(&self, output_tokens: u64, reasoning_tokens: u64) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": self.input_tokens + output_tokens,
        })
    }
}

/// The full successful sequence, numbered. With `compaction`, the only output item is one `compaction`
/// item, which is what Codex's remote compaction v2 requires.
pub(crate) fn normal_events(ctx: &EventCtx, cfg: &StreamConfig, compaction: bool) -> Vec<Value> {
    let mut events = vec![
        json!({"type": "response.created", "response": ctx.response("in_progress", vec![], Value::Null)}),
        json!({"type": "response.in_progress", "response": ctx.response("in_progress", vec![], Value::Null)}),
    ];
    let (output, output_tokens) = if compaction {
        let item = compaction_item(ctx);
        events.push(json!({"type": "response.output_item.added", "output_index": 0, "item": item}));
        events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": item}));
        (vec![item], 64)
    } else {
        message_events(ctx, cfg, &mut events)
    };
    let reasoning_tokens = if compaction { 0 } else { 16 };
    events.push(json!({
        "type": "response.completed",
        "response": ctx.response("completed", output, ctx.usage(output_tokens, reasoning_tokens)),
    }));
    number(events)
}

/// Reasoning item, then the message with its deltas; returns the output items and output tokens.
fn message_events(ctx: &EventCtx, cfg: &StreamConfig, events: &mut Vec<Value>) -> (Vec<Value>, u64) {
    let reasoning_id = format!("rs_{}", ctx.item_suffix);
    let message_id = format!("msg_{}", ctx.item_suffix);
    let reasoning =
        json!({"type": "reasoning", "id": reasoning_id, "summary": [], "encrypted_content": ctx.blob});
    events.push(json!({
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "reasoning", "id": reasoning_id, "summary": []},
    }));
    events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning}));
    events.push(json!({
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {"type": "message", "id": message_id, "status": "in_progress", "role": "assistant", "content": []},
    }));
    let mut text = String::new();
    for _ in 0..cfg.deltas {
        text.push_str(&cfg.delta_text);
        events.push(json!({
            "type": "response.output_text.delta",
            "item_id": message_id,
            "output_index": 1,
            "content_index": 0,
            "delta": cfg.delta_text,
        }));
    }
    let message = json!({
        "type": "message",
        "id": message_id,
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    });
    events.push(json!({"type": "response.output_item.done", "output_index": 1, "item": message}));
    let output_tokens = 16 + u64::try_from(cfg.deltas).unwrap_or(u64::MAX);
    (vec![reasoning, message], output_tokens)
}

pub(crate) fn compaction_item(ctx: &EventCtx) -> Value {
    json!({"type": "compaction", "encrypted_content": ctx.blob})
}

/// Opening events chosen by type, taken in order from the normal sequence so they are the real thing
/// (`codex.rate_limits` comes from the account's windows; an unknown type gets a bare `{"type":..}`), then
/// the closing failure event, all renumbered.
pub(crate) fn failure_events(
    normal: &[Value],
    before: &[String],
    usage: &UsageState,
    closing: Value,
) -> Vec<Value> {
    let mut used = vec![false; normal.len()];
    let mut events: Vec<Value> = before
        .iter()
        .map(|kind| {
            if kind == "codex.rate_limits" {
                return rate_limits_event(usage);
            }
            let found = normal
                .iter()
                .enumerate()
                .find(|(i, ev)| !used[*i] && ev.get("type").and_then(Value::as_str) == Some(kind.as_str()));
            match found {
                Some((i, ev)) => {
                    used[i] = true;
                    ev.clone()
                }
                None => json!({"type": kind}),
            }
        })
        .collect();
    events.push(closing);
    number(events)
}

pub(crate) fn failed_event(ctx: &EventCtx, error: &Value) -> Value {
    let mut response = ctx.response("failed", vec![], Value::Null);
    if let Some(obj) = response.as_object_mut() {
        obj.insert("error".into(), error.clone());
    }
    json!({"type": "response.failed", "response": response})
}

pub(crate) fn error_event(error: &Value) -> Value {
    json!({"type": "error", "error": error})
}

/// The WebSocket-style rate-limit snapshot (§1.3), for tests of the router's hold-back window.
fn rate_limits_event(usage: &UsageState) -> Value {
    let window = |w: &Option<crate::usage::Window>| {
        w.as_ref().map(|w| {
            json!({"used_percent": w.used_percent, "window_minutes": w.window_minutes, "reset_at": w.reset_at})
        })
    };
    json!({
        "type": "codex.rate_limits",
        "plan_type": usage.plan_type,
        "rate_limits": {"primary": window(&usage.primary), "secondary": window(&usage.secondary)},
        "credits": null,
        "metered_limit_name": "codex",
        "limit_name": null,
    })
}

/// Sets `sequence_number` to each event's position.
pub(super) fn number(mut events: Vec<Value>) -> Vec<Value> {
    for (i, ev) in events.iter_mut().enumerate() {
        if let Some(obj) = ev.as_object_mut() {
            obj.insert("sequence_number".into(), json!(i));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EventCtx {
        EventCtx {
            response_id: "resp_1".into(),
            model: "gpt-test".into(),
            created_at: 10,
            blob: "ENC.x".into(),
            item_suffix: "1".into(),
            input_tokens: 5,
        }
    }

    fn kinds(events: &[Value]) -> Vec<&str> {
        events.iter().filter_map(|e| e["type"].as_str()).collect()
    }

    #[test]
    fn normal_sequence_has_the_documented_order() {
        let events = normal_events(&ctx(), &StreamConfig::default(), false);
        assert_eq!(
            kinds(&events),
            vec![
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.output_item.done",
                "response.output_item.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_item.done",
                "response.completed",
            ]
        );
        for (i, ev) in events.iter().enumerate() {
            assert_eq!(ev["sequence_number"], i);
        }
        assert_eq!(events[3]["item"]["encrypted_content"], "ENC.x");
        let done = &events[9]["response"];
        assert_eq!(done["output"][1]["content"][0]["text"], "pong pong pong ");
        assert_eq!(done["usage"]["total_tokens"], 5 + 19);
    }

    #[test]
    fn compaction_outputs_exactly_one_item() {
        let events = normal_events(&ctx(), &StreamConfig::default(), true);
        let output = events
            .last()
            .map(|e| e["response"]["output"].clone())
            .unwrap_or_default();
        assert_eq!(
            output,
            json!([{"type": "compaction", "encrypted_content": "ENC.x"}])
        );
    }

    #[test]
    fn failure_events_pick_real_openers() {
        let c = ctx();
        let normal = normal_events(&c, &StreamConfig::default(), false);
        let before = vec![
            "response.created".to_owned(),
            "codex.rate_limits".to_owned(),
            "x.custom".to_owned(),
        ];
        let events = failure_events(
            &normal,
            &before,
            &UsageState::default(),
            failed_event(&c, &json!({"code": "c"})),
        );
        assert_eq!(
            kinds(&events),
            vec![
                "response.created",
                "codex.rate_limits",
                "x.custom",
                "response.failed"
            ]
        );
        assert_eq!(events[0]["response"]["id"], "resp_1");
        assert_eq!(events[3]["response"]["error"]["code"], "c");
        assert_eq!(events[3]["response"]["status"], "failed");
        assert_eq!(events[3]["sequence_number"], 3);
    }
}
