//! The top-level keys a binding writes (`model_provider` for the provider binding,
//! `openai_base_url` for the native one): read, set keeping its decor, remove keeping the
//! comments above it.
//!
//! Only the document's root table is ever touched. Inserting into `toml_edit`'s root table
//! prints the key among the root key-values, before the first `[table]` or `[[array]]` header,
//! whatever the file begins with (even a leading `[[array-of-tables]]`).

use toml_edit::{DocumentMut, Item, Value, value};

use crate::error::BindError;
use crate::layout::{prefix_of, relocate, with_next_header};

/// The top-level `key`, if it is a string. Anything else there Codex would reject, and the
/// binding refuses to guess what the user meant.
pub(crate) fn get<'d>(doc: &'d DocumentMut, key: &'static str) -> Result<Option<&'d str>, BindError> {
    match doc.get(key) {
        None => Ok(None),
        Some(item) => item.as_str().map(Some).ok_or(BindError::UnexpectedShape {
            key,
            expected: "a string",
        }),
    }
}

/// Set the top-level `key` to `id`: an existing value is replaced in place with its
/// spacing and end-of-line comment; a missing key is added after the other root keys. A key
/// that is the root's only one gets a blank line between it and the first header, which
/// [`remove`] takes away again.
pub(crate) fn set(doc: &mut DocumentMut, key: &str, id: &str) {
    if let Some(current) = doc.get_mut(key).and_then(Item::as_value_mut) {
        let decor = current.decor().clone();
        *current = Value::from(id);
        *current.decor_mut() = decor;
        return;
    }
    if doc.as_table().get_values().is_empty() {
        with_next_header(doc, isize::MIN, |decor| {
            let prefix = format!("\n{}", prefix_of(decor));
            decor.set_prefix(prefix);
        });
    }
    doc.insert(key, value(id));
}

/// Remove the top-level `key`. Comment lines above it move to the next root key,
/// or to the first header, or the end of the document: they may be the user's.
pub(crate) fn remove(doc: &mut DocumentMut, key: &str) {
    let root = doc.as_table();
    let Some(prefix) = root.key(key).map(|k| prefix_of(k.leaf_decor())) else {
        return;
    };
    let next_key = root
        .iter()
        .skip_while(|(name, _)| *name != key)
        .skip(1)
        .find(|(_, item)| item.is_value())
        .map(|(name, _)| name.to_owned());
    doc.remove(key);
    if doc.as_table().get_values().is_empty() {
        with_next_header(doc, isize::MIN, |decor| {
            let prefix = prefix_of(decor);
            if let Some(rest) = prefix.strip_prefix('\n') {
                decor.set_prefix(rest.to_owned());
            }
        });
    }
    if !prefix.contains('#') {
        return;
    }
    match next_key.and_then(|name| doc.key_mut(&name)) {
        Some(mut next) => {
            let decor = next.leaf_decor_mut();
            let joined = format!("{prefix}{}", prefix_of(decor));
            decor.set_prefix(joined);
        }
        None => relocate(doc, isize::MIN, &prefix),
    }
}
