//! The pure edits: text in, text out, no IO (SPEC §7).
//!
//! Every function parses the user's file with `toml_edit`, changes only what a binding owns
//! and prints the rest as it was: comments, blank lines, key order, quoting, line endings.
//! The provider binding owns the top-level `model_provider` and
//! `[model_providers.codex-router]` with its sub-tables; the native binding owns the
//! top-level `openai_base_url` while it holds a router URL. Binding in one mode first removes
//! the other binding, so a file never carries both.
//!
//! A new provider table goes at the end of the file, after any trailing comments (they stay
//! with the table they followed), behind one blank line. [`unbind_surgical`] removes exactly
//! that blank line again, so unbinding a file bound by [`bind`] gives back the original text,
//! with one exception: a file not ending in a line break gets one.

use toml_edit::DocumentMut;

use crate::error::BindError;
use crate::layout::{max_position, relocate, separator, strip_separator, take_trailer};
use crate::provider::{
    BINDING_IDS, BindMode, BindSpec, MODEL_PROVIDER_KEY, OPENAI_BASE_URL_KEY, PROVIDER_ID, base_url,
    provider_table, router_url_port,
};
use crate::tables::{self, Removed};
use crate::text::{normalize, parse, restore};
use crate::top_level;

/// What the user's file held before the first bind, in the keys a binding overwrites: put
/// back when a binding is removed from a file that was edited since (or switched away from).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Originals {
    /// The original top-level `model_provider`.
    pub model_provider: Option<String>,
    /// The original top-level `openai_base_url`.
    pub openai_base_url: Option<String>,
}

/// The user's file with the binding `spec.mode` names in place, and no trace of the other
/// one. Provider: top-level `model_provider = "codex-router"` and a fresh
/// `[model_providers.codex-router]` replacing any earlier one (and any binding of the
/// ancestor). Native: only the top-level `openai_base_url`. Binding a bound file gives the
/// same bytes.
pub fn bind(text: &str, spec: &BindSpec) -> Result<String, BindError> {
    bind_over(text, spec, &Originals::default())
}

/// [`bind`], putting `originals` back in the keys the other binding had taken over.
pub fn bind_over(text: &str, spec: &BindSpec, originals: &Originals) -> Result<String, BindError> {
    spec.check()?;
    let (shape, body) = normalize(text);
    let mut doc = parse(&body)?;
    top_level::get(&doc, MODEL_PROVIDER_KEY)?;
    match spec.mode {
        BindMode::Provider => {
            unset_native(&mut doc, originals.openai_base_url.as_deref())?;
            bind_provider(&mut doc, spec)?;
        }
        BindMode::Native => {
            top_level::get(&doc, OPENAI_BASE_URL_KEY)?;
            strip_provider(&mut doc, originals.model_provider.as_deref())?;
            top_level::set(&mut doc, OPENAI_BASE_URL_KEY, &base_url(spec.port));
        }
    }
    Ok(restore(shape, &doc.to_string()))
}

fn bind_provider(doc: &mut DocumentMut, spec: &BindSpec) -> Result<(), BindError> {
    let mut removed = tables::remove_bindings(doc)?;
    // The new table takes the place of an earlier one of ours, else of the ancestor's.
    let slot = BINDING_IDS
        .iter()
        .find_map(|id| removed.iter().position(|r| r.id == *id && r.header.is_some()))
        .map(|idx| removed.swap_remove(idx));
    give_back_comments(doc, removed);

    let mut table = provider_table(spec);
    match slot.and_then(|r| r.header) {
        Some((pos, prefix)) => {
            table.set_position(pos);
            table.decor_mut().set_prefix(prefix);
        }
        None => {
            let trailer = take_trailer(doc);
            let pos = max_position(doc) + 1;
            table.set_position(pos);
            table
                .decor_mut()
                .set_prefix(format!("{trailer}{}", separator(doc, pos)));
        }
    }
    tables::insert(doc, PROVIDER_ID, table)?;
    // After the table, so that the blank line `set` may put before the first header is
    // taken away by `strip` before the table goes.
    top_level::set(doc, MODEL_PROVIDER_KEY, PROVIDER_ID);
    Ok(())
}

/// The user's file without the binding: the `codex-router` provider (and the ancestor's) is
/// removed with all its sub-tables, and a top-level `model_provider` naming either goes back
/// to `original_model_provider`, or away if there was none; a top-level `openai_base_url`
/// holding a router URL goes away. Everything else, including what the user changed since
/// the bind, is kept. A file with no binding comes back byte for byte.
pub fn unbind_surgical(text: &str, original_model_provider: Option<&str>) -> Result<String, BindError> {
    let originals = Originals {
        model_provider: original_model_provider.map(str::to_owned),
        openai_base_url: None,
    };
    Ok(strip(text, &originals)?.text)
}

/// [`unbind_surgical`] for either binding, putting back both original keys.
pub fn unbind_surgical_to(text: &str, originals: &Originals) -> Result<String, BindError> {
    Ok(strip(text, originals)?.text)
}

/// What [`strip_binding`] found and left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The text without any binding.
    pub text: String,
    /// What was found, each once: the provider ids of provider bindings (`codex-router`, the
    /// ancestor's) and `openai_base_url` for a native binding.
    pub found: Vec<&'static str>,
}

/// The file minus any binding, ours (either mode) or the ancestor's, with no original key
/// to put back: what is saved as the original when a bound file turns up without bind state.
pub fn strip_binding(text: &str) -> Result<Stripped, BindError> {
    strip(text, &Originals::default())
}

/// [`strip_binding`], putting `originals` back where the top level held a binding.
pub(crate) fn strip(text: &str, originals: &Originals) -> Result<Stripped, BindError> {
    let (shape, body) = normalize(text);
    let mut doc = parse(&body)?;
    let mut found = strip_provider(&mut doc, originals.model_provider.as_deref())?;
    if unset_native(&mut doc, originals.openai_base_url.as_deref())? {
        found.push(OPENAI_BASE_URL_KEY);
    }
    if found.is_empty() {
        return Ok(Stripped {
            text: text.to_owned(),
            found,
        });
    }
    Ok(Stripped {
        text: restore(shape, &doc.to_string()),
        found,
    })
}

/// Remove the provider binding (ours and the ancestor's); the ids found, sorted.
fn strip_provider(doc: &mut DocumentMut, original: Option<&str>) -> Result<Vec<&'static str>, BindError> {
    // The reverse of `bind`: the top-level key first, then the tables.
    let pointed = top_level::get(doc, MODEL_PROVIDER_KEY)
        .ok()
        .flatten()
        .and_then(|current| BINDING_IDS.into_iter().find(|id| *id == current));
    if pointed.is_some() {
        match original.filter(|id| !BINDING_IDS.contains(id)) {
            Some(original) => top_level::set(doc, MODEL_PROVIDER_KEY, original),
            None => top_level::remove(doc, MODEL_PROVIDER_KEY),
        }
    }
    let removed = match tables::remove_bindings(doc) {
        Ok(removed) => removed,
        // Not a table: then it holds no binding either.
        Err(BindError::UnexpectedShape { .. }) => Vec::new(),
        Err(err) => return Err(err),
    };
    let mut found: Vec<&'static str> = removed.iter().map(|r| r.id).chain(pointed).collect();
    found.sort_unstable();
    found.dedup();
    give_back_comments(doc, removed);
    Ok(found)
}

/// Remove a native binding: a top-level `openai_base_url` holding a router URL goes back to
/// `original` (kept in place, with its comments), or away. A user's own URL is never touched.
fn unset_native(doc: &mut DocumentMut, original: Option<&str>) -> Result<bool, BindError> {
    let ours = top_level::get(doc, OPENAI_BASE_URL_KEY)
        .ok()
        .flatten()
        .is_some_and(|url| router_url_port(url).is_some());
    if !ours {
        return Ok(false);
    }
    match original.filter(|url| router_url_port(url).is_none()) {
        Some(original) => top_level::set(doc, OPENAI_BASE_URL_KEY, original),
        None => top_level::remove(doc, OPENAI_BASE_URL_KEY),
    }
    Ok(true)
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
#[path = "edit_native_tests.rs"]
mod native_tests;
#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
