//! The conversations the router keeps per WebSocket connection so a request can move to
//! another account without the client noticing (SPEC §4.4 "Failover without the client
//! noticing").
//!
//! Over one connection Codex sends only the new items of each request and names the
//! response it continues (`previous_response_id`). Another account's connection does not know
//! that response, so a move re-sends the whole conversation: the items of every response up
//! the chain. Each response is kept as a node holding only what it added (its new input and
//! its output) and a link to the response it continued, so a conversation of n steps costs
//! its own size, not n copies of its history.
//!
//! The store is bounded by bytes over all connections; when it is full the least recently
//! used connection's conversations are dropped whole (a half-dropped chain could not be
//! re-sent anyway), and that connection is marked so a move it needs later is answered with
//! the reconnect error instead of a truncated history.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::value::RawValue;

/// One response's contribution to its conversation.
#[derive(Debug)]
pub struct ContextNode {
    parent: Option<Arc<ContextNode>>,
    items: Vec<Box<RawValue>>,
    bytes: usize,
    /// The conversation up to here holds a remote `compaction` item (SPEC §4.3: bound harder).
    compaction: bool,
}

#[derive(serde::Deserialize)]
struct ItemType<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

fn is_compaction(item: &RawValue) -> bool {
    // Cheap test first: most items never mention the word.
    item.get().contains("compaction")
        && serde_json::from_str::<ItemType<'_>>(item.get())
            .is_ok_and(|t| t.kind.as_deref() == Some("compaction"))
}

impl ContextNode {
    /// Whether the conversation up to this response holds a remote `compaction` item, which
    /// an incremental request does not show in its own input.
    pub fn has_compaction(&self) -> bool {
        self.compaction
    }

    /// Every item of the conversation up to and including this response, oldest first.
    pub fn full_items(&self) -> Vec<&RawValue> {
        let mut chain = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            chain.push(n);
            node = n.parent.as_deref();
        }
        chain
            .iter()
            .rev()
            .flat_map(|n| n.items.iter().map(AsRef::as_ref))
            .collect()
    }
}

#[derive(Debug, Default)]
struct Connection {
    responses: HashMap<String, Arc<ContextNode>>,
    bytes: usize,
    last_use: u64,
    /// Its context was dropped to stay within the bound.
    evicted: bool,
}

/// What a connection asked for was there, never existed, or was dropped for room.
#[derive(Debug)]
pub enum Lookup {
    Found(Arc<ContextNode>),
    Unknown,
    Evicted,
}

/// Kept context of every open connection, bounded by `max_bytes` in total.
#[derive(Debug, Default)]
pub struct ContextStore {
    connections: HashMap<u64, Connection>,
    /// last_use tick → connection, oldest first: eviction never scans.
    order: BTreeMap<u64, u64>,
    bytes: usize,
    max_bytes: usize,
    tick: u64,
}

impl ContextStore {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            ..Self::default()
        }
    }

    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
        self.evict_to_fit(None);
    }

    /// Bytes kept over all connections.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    fn touch(&mut self, conn: u64) {
        self.tick += 1;
        let tick = self.tick;
        let c = self.connections.entry(conn).or_default();
        if c.last_use != 0 {
            self.order.remove(&c.last_use);
        }
        c.last_use = tick;
        self.order.insert(tick, conn);
    }

    /// The kept context of `response_id` on `conn`.
    pub fn get(&mut self, conn: u64, response_id: &str) -> Lookup {
        let Some(c) = self.connections.get(&conn) else {
            return Lookup::Unknown;
        };
        match c.responses.get(response_id) {
            Some(node) => {
                let node = Arc::clone(node);
                self.touch(conn);
                Lookup::Found(node)
            }
            None if c.evicted => Lookup::Evicted,
            None => Lookup::Unknown,
        }
    }

    /// Keeps a completed response: `parent` is the context it continued (`None` for a request
    /// sent in full), `items` its new input followed by its output.
    pub fn insert(
        &mut self,
        conn: u64,
        response_id: String,
        parent: Option<Arc<ContextNode>>,
        items: Vec<Box<RawValue>>,
    ) -> Arc<ContextNode> {
        let bytes = items.iter().map(|i| i.get().len()).sum::<usize>() + response_id.len();
        let compaction =
            parent.as_ref().is_some_and(|p| p.compaction) || items.iter().any(|i| is_compaction(i));
        let node = Arc::new(ContextNode {
            parent,
            items,
            bytes,
            compaction,
        });
        self.touch(conn);
        if let Some(c) = self.connections.get_mut(&conn) {
            if let Some(old) = c.responses.insert(response_id, Arc::clone(&node)) {
                c.bytes -= old.bytes;
                self.bytes -= old.bytes;
            }
            c.bytes += bytes;
            self.bytes += bytes;
        }
        self.evict_to_fit(Some(conn));
        node
    }

    /// Drops the least recently used connections' context until the total fits; `current` goes
    /// last (it is the one being served).
    fn evict_to_fit(&mut self, current: Option<u64>) {
        while self.bytes > self.max_bytes {
            let victim = self
                .order
                .values()
                .copied()
                .find(|&c| Some(c) != current)
                .or(current);
            let Some(victim) = victim else { return };
            self.clear(victim);
            if Some(victim) == current {
                return;
            }
        }
    }

    fn clear(&mut self, conn: u64) {
        if let Some(c) = self.connections.get_mut(&conn) {
            self.bytes -= c.bytes;
            c.bytes = 0;
            c.responses.clear();
            c.evicted = true;
            self.order.remove(&c.last_use);
            c.last_use = 0;
        }
    }

    /// Forgets a closed connection.
    pub fn remove(&mut self, conn: u64) {
        if let Some(c) = self.connections.remove(&conn) {
            self.bytes -= c.bytes;
            self.order.remove(&c.last_use);
        }
    }
}

#[cfg(test)]
#[path = "ws_context_tests.rs"]
mod tests;
