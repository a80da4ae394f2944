//! The `[model_providers.<id>]` entries of a binding: removing them whole, sub-tables
//! included (`.http_headers`), and inserting the new one.
//!
//! Codex accepts a provider written as a `[model_providers.x]` table, as dotted keys or as
//! an inline table, and `model_providers` itself may be a header, implicit, dotted or inline.
//! Removal handles every form; insertion writes a standard table, and turns an inline
//! `model_providers = { ... }` into a table so it can hold one.

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::error::BindError;
use crate::layout::prefix_of;
use crate::provider::{BINDING_IDS, MODEL_PROVIDERS_KEY};

/// One removed provider entry.
#[derive(Debug)]
pub(crate) struct Removed {
    pub(crate) id: &'static str,
    /// Position and decor prefix of its `[model_providers.<id>]` header, if it had one.
    pub(crate) header: Option<(isize, String)>,
}

fn wrong_shape() -> BindError {
    BindError::UnexpectedShape {
        key: MODEL_PROVIDERS_KEY,
        expected: "a table",
    }
}

/// Remove every binding provider (ours and the ancestor's) with all its sub-tables.
/// A `model_providers` that is not a table is an error: Codex would reject the file.
pub(crate) fn remove_bindings(doc: &mut DocumentMut) -> Result<Vec<Removed>, BindError> {
    let mut removed = Vec::new();
    let Some(item) = doc.get_mut(MODEL_PROVIDERS_KEY) else {
        return Ok(removed);
    };
    let now_empty = match item {
        Item::Table(providers) => {
            for id in BINDING_IDS {
                if let Some(old) = providers.remove(id) {
                    removed.push(Removed {
                        id,
                        header: header_of(&old),
                    });
                }
            }
            providers.is_empty() && (providers.is_implicit() || providers.is_dotted())
        }
        Item::Value(Value::InlineTable(providers)) => {
            for id in BINDING_IDS {
                if providers.remove(id).is_some() {
                    removed.push(Removed { id, header: None });
                }
            }
            false
        }
        Item::None | Item::Value(_) | Item::ArrayOfTables(_) => return Err(wrong_shape()),
    };
    if now_empty {
        doc.remove(MODEL_PROVIDERS_KEY);
    }
    Ok(removed)
}

fn header_of(item: &Item) -> Option<(isize, String)> {
    let table = item.as_table().filter(|t| !t.is_dotted() && !t.is_implicit())?;
    Some((table.position()?, prefix_of(table.decor())))
}

/// Add `table` as `model_providers.<id>`, creating `model_providers` as an implicit table
/// (no header of its own) if there is none.
pub(crate) fn insert(doc: &mut DocumentMut, id: &str, mut table: Table) -> Result<(), BindError> {
    let Some(item) = doc.get_mut(MODEL_PROVIDERS_KEY) else {
        let mut providers = Table::new();
        providers.set_implicit(true);
        providers.insert(id, Item::Table(table));
        doc.insert(MODEL_PROVIDERS_KEY, Item::Table(providers));
        return Ok(());
    };
    if let Item::Value(Value::InlineTable(_)) = item
        && let Item::Value(Value::InlineTable(inline)) = std::mem::take(item)
    {
        // The former inline entries now print under a `[model_providers]` header placed where
        // the new table goes; the new table follows it.
        let mut providers = inline.into_table();
        providers.set_implicit(true);
        if let Some(pos) = table.position() {
            providers.set_position(pos);
        }
        providers.decor_mut().set_prefix(prefix_of(table.decor()));
        if !providers.get_values().is_empty() {
            table.decor_mut().set_prefix("\n");
        }
        *item = Item::Table(providers);
    }
    match item {
        Item::Table(providers) => {
            providers.insert(id, Item::Table(table));
            Ok(())
        }
        _ => Err(wrong_shape()),
    }
}
