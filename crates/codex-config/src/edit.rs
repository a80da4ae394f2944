//! The pure edits: text in, text out, no IO (SPEC §7).
//!
//! Every function parses the user's file with `toml_edit`, changes only what the binding owns
//! (the top-level `model_provider` and `[model_providers.codex-router]` with its sub-tables)
//! and prints the rest as it was: comments, blank lines, key order, quoting, line endings.
//!
//! A new provider table goes at the end of the file, after any trailing comments (they stay
//! with the table they followed), behind one blank line. [`unbind_surgical`] removes exactly
//! that blank line again, so unbinding a file bound by [`bind`] gives back the original text,
//! with one exception: a file not ending in a line break gets one.

use toml_edit::DocumentMut;

use crate::error::BindError;
use crate::layout::{max_position, relocate, separator, strip_separator, take_trailer};
use crate::provider::{BINDING_IDS, BindSpec, PROVIDER_ID, provider_table};
use crate::tables::{self, Removed};
use crate::text::{normalize, parse, restore};
use crate::top_level;

/// The user's file with the binding in place: top-level `model_provider = "codex-router"` and
/// a fresh `[model_providers.codex-router]` replacing any earlier one (and any binding of the
/// ancestor). Binding a bound file gives the same bytes.
pub fn bind(text: &str, spec: &BindSpec) -> Result<String, BindError> {
    spec.check()?;
    let (shape, body) = normalize(text);
    let mut doc = parse(&body)?;
    top_level::get(&doc)?;
    let mut removed = tables::remove_bindings(&mut doc)?;
    // The new table takes the place of an earlier one of ours, else of the ancestor's.
    let slot = BINDING_IDS
        .iter()
        .find_map(|id| removed.iter().position(|r| r.id == *id && r.header.is_some()))
        .map(|idx| removed.swap_remove(idx));
    give_back_comments(&mut doc, removed);

    let mut table = provider_table(spec);
    match slot.and_then(|r| r.header) {
        Some((pos, prefix)) => {
            table.set_position(pos);
            table.decor_mut().set_prefix(prefix);
        }
        None => {
            let trailer = take_trailer(&mut doc);
            let pos = max_position(&doc) + 1;
            table.set_position(pos);
            table
                .decor_mut()
                .set_prefix(format!("{trailer}{}", separator(&doc, pos)));
        }
    }
    tables::insert(&mut doc, PROVIDER_ID, table)?;
    // After the table, so that the blank line `set` may put before the first header is
    // taken away by `strip` before the table goes.
    top_level::set(&mut doc, PROVIDER_ID);
    Ok(restore(shape, &doc.to_string()))
}

/// The user's file without the binding: the `codex-router` provider (and the ancestor's) is
/// removed with all its sub-tables, and a top-level `model_provider` naming either goes back
/// to `original_model_provider`, or away if there was none. Everything else, including what
/// the user changed since the bind, is kept. A file with no binding comes back byte for byte.
pub fn unbind_surgical(text: &str, original_model_provider: Option<&str>) -> Result<String, BindError> {
    Ok(strip(text, original_model_provider)?.text)
}

/// What [`strip_binding`] found and left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The text without any binding.
    pub text: String,
    /// The provider ids of the bindings found (`codex-router`, the ancestor's), each once.
    pub found: Vec<&'static str>,
}

/// The file minus any binding, ours or the ancestor's, with no original `model_provider` to
/// put back: what is saved as the original when a bound file turns up without bind state.
pub fn strip_binding(text: &str) -> Result<Stripped, BindError> {
    strip(text, None)
}

/// [`strip_binding`], putting `original_model_provider` back if the top level named a binding.
pub(crate) fn strip(text: &str, original_model_provider: Option<&str>) -> Result<Stripped, BindError> {
    let (shape, body) = normalize(text);
    let mut doc = parse(&body)?;
    // The reverse of `bind`: the top-level key first, then the tables.
    let pointed = top_level::get(&doc)
        .ok()
        .flatten()
        .and_then(|current| BINDING_IDS.into_iter().find(|id| *id == current));
    if pointed.is_some() {
        match original_model_provider.filter(|id| !BINDING_IDS.contains(id)) {
            Some(original) => top_level::set(&mut doc, original),
            None => top_level::remove(&mut doc),
        }
    }
    let removed = match tables::remove_bindings(&mut doc) {
        Ok(removed) => removed,
        // Not a table: then it holds no binding either.
        Err(BindError::UnexpectedShape { .. }) => Vec::new(),
        Err(err) => return Err(err),
    };
    let mut found: Vec<&'static str> = removed.iter().map(|r| r.id).chain(pointed).collect();
    found.sort_unstable();
    found.dedup();
    if found.is_empty() {
        return Ok(Stripped {
            text: text.to_owned(),
            found,
        });
    }
    give_back_comments(&mut doc, removed);
    Ok(Stripped {
        text: restore(shape, &doc.to_string()),
        found,
    })
}

/// The comments that stood above removed headers go to the next header (or the end).
fn give_back_comments(doc: &mut DocumentMut, mut removed: Vec<Removed>) {
    removed.sort_by_key(|r| r.header.as_ref().map(|(pos, _)| *pos));
    for (pos, prefix) in removed.into_iter().filter_map(|r| r.header) {
        let text = strip_separator(doc, pos, &prefix).to_owned();
        relocate(doc, pos, &text);
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
