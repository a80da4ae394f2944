//! The two sequences besides a message and a compaction: a `function_call` answer (so a real Codex client
//! runs a tool and comes back with its output) and a WebSocket prewarm (`generate: false`), which Codex
//! sends first on every connection and whose id it names in its first real request.

use serde_json::{Value, json};

use super::events::{EventCtx, number};

/// Reasoning (with the account-bound blob, as every real answer has), then one `function_call` item.
pub(crate) fn function_call_events(ctx: &EventCtx, name: &str, arguments: &str) -> Vec<Value> {
    let reasoning_id = format!("rs_{}", ctx.item_suffix);
    let reasoning =
        json!({"type": "reasoning", "id": reasoning_id, "summary": [], "encrypted_content": ctx.blob});
    let call = |status: &str, arguments: &str| {
        json!({
            "type": "function_call",
            "id": format!("fc_{}", ctx.item_suffix),
            "call_id": format!("call_{}", ctx.item_suffix),
            "name": name,
            "arguments": arguments,
            "status": status,
        })
    };
    let done = call("completed", arguments);
    number(vec![
        json!({"type": "response.created", "response": ctx.response("in_progress", vec![], Value::Null)}),
        json!({"type": "response.in_progress", "response": ctx.response("in_progress", vec![], Value::Null)}),
        json!({
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": reasoning_id, "summary": []},
        }),
        json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning}),
        json!({"type": "response.output_item.added", "output_index": 1, "item": call("in_progress", "")}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": done}),
        json!({
            "type": "response.completed",
            "response": ctx.response("completed", vec![reasoning, done], ctx.usage(24, 16)),
        }),
    ])
}

/// `response.created`, then `response.completed` with no output and nothing charged.
pub(crate) fn prewarm_events(ctx: &EventCtx) -> Vec<Value> {
    let usage = json!({
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    });
    number(vec![
        json!({"type": "response.created", "response": ctx.response("in_progress", vec![], Value::Null)}),
        json!({"type": "response.completed", "response": ctx.response("completed", vec![], usage)}),
    ])
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

    #[test]
    fn function_call_follows_reasoning() {
        let events = function_call_events(&ctx(), "shell", r#"{"command":["echo","hi"]}"#);
        let output = &events[6]["response"]["output"];
        assert_eq!(output[0]["encrypted_content"], "ENC.x");
        assert_eq!(output[1]["type"], "function_call");
        assert_eq!(output[1]["call_id"], "call_1");
        assert_eq!(output[1]["arguments"], r#"{"command":["echo","hi"]}"#);
        assert_eq!(events[5]["item"], output[1]);
        assert_eq!(events[6]["sequence_number"], 6);
    }

    #[test]
    fn prewarm_is_empty() {
        let events = prewarm_events(&ctx());
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["type"], "response.completed");
        assert_eq!(events[1]["response"]["output"], json!([]));
    }
}
