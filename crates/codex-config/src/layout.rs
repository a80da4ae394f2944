//! Where things sit in a `toml_edit` document, and moving the user's comments out of the way
//! of what the binding adds or removes.
//!
//! `toml_edit` stores the comments and blank lines *before* a table header in that table's
//! decor prefix, and those after the last item in the document's trailer. So removing a table
//! would delete the comments above its header, which may be the user's (the tail of the table
//! before it); [`relocate`] hands them to the next header instead. Tables are ordered by
//! their document position, which tables made here get from [`max_position`].

use toml_edit::{Decor, DocumentMut, Item, Table};

/// A decor prefix as text ("" when unset).
pub(crate) fn prefix_of(decor: &Decor) -> String {
    decor
        .prefix()
        .and_then(|raw| raw.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The one blank line the binding puts before its table header when something is printed
/// before it: [`separator`] adds it, [`strip_separator`] takes it away under the same
/// condition, so a removed table gives back exactly what was there before it was added.
pub(crate) fn separator(doc: &DocumentMut, pos: isize) -> &'static str {
    let mut content_before = !doc.as_table().get_values().is_empty();
    visit(doc.as_table(), &mut |table, is_array| {
        content_before |= is_header(table, is_array) && table.position().is_some_and(|p| p < pos);
    });
    if content_before { "\n" } else { "" }
}

/// `prefix` without the blank line [`separator`] would have added at `pos`.
pub(crate) fn strip_separator<'p>(doc: &DocumentMut, pos: isize, prefix: &'p str) -> &'p str {
    let added = !separator(doc, pos).is_empty();
    if added && (prefix == "\n" || prefix.ends_with("\n\n")) {
        &prefix[..prefix.len() - 1]
    } else {
        prefix
    }
}

/// The document's trailer (what follows its last item), taken out of the document and ending
/// with a line break if it is not empty.
pub(crate) fn take_trailer(doc: &mut DocumentMut) -> String {
    let mut trailer = doc.trailing().as_str().unwrap_or_default().to_owned();
    doc.set_trailing("");
    if !trailer.is_empty() && !trailer.ends_with('\n') {
        trailer.push('\n');
    }
    trailer
}

/// The highest position of any table: a table placed after it is the document's last.
pub(crate) fn max_position(doc: &DocumentMut) -> isize {
    let mut max = doc.as_table().position().unwrap_or(0);
    visit(doc.as_table(), &mut |table, _| {
        if let Some(pos) = table.position() {
            max = max.max(pos);
        }
    });
    max
}

/// Put `text` (comments, blank lines) in front of the first header positioned after `after`,
/// or at the end of the document if there is none.
pub(crate) fn relocate(doc: &mut DocumentMut, after: isize, text: &str) {
    if text.is_empty() {
        return;
    }
    let moved = with_next_header(doc, after, |decor| {
        let prefix = format!("{text}{}", prefix_of(decor));
        decor.set_prefix(prefix);
    });
    if !moved {
        let trailer = format!("{text}{}", doc.trailing().as_str().unwrap_or_default());
        doc.set_trailing(trailer);
    }
}

/// Run `f` on the decor of the first header positioned after `after`; `false` if there is
/// no such header.
pub(crate) fn with_next_header(doc: &mut DocumentMut, after: isize, f: impl FnOnce(&mut Decor)) -> bool {
    let mut next: Option<isize> = None;
    visit(doc.as_table(), &mut |table, is_array| {
        if let Some(pos) = table.position().filter(|pos| *pos > after)
            && is_header(table, is_array)
            && next.is_none_or(|best| pos < best)
        {
            next = Some(pos);
        }
    });
    let Some(target) = next else { return false };
    let mut f = Some(f);
    visit_mut(doc.as_table_mut(), &mut |table, is_array| {
        if table.position() == Some(target)
            && is_header(table, is_array)
            && let Some(f) = f.take()
        {
            f(table.decor_mut());
        }
    });
    true
}

/// Whether `table` is printed with a header of its own (and so prints its decor prefix).
fn is_header(table: &Table, is_array: bool) -> bool {
    let hidden = table.is_dotted() || (table.is_implicit() && table.get_values().is_empty());
    is_array || !hidden
}

/// Every table below `table`, depth first; the flag says whether it is an array-of-tables entry.
fn visit<'t>(table: &'t Table, f: &mut dyn FnMut(&'t Table, bool)) {
    for (_, item) in table.iter() {
        match item {
            Item::Table(child) => {
                f(child, false);
                visit(child, f);
            }
            Item::ArrayOfTables(array) => {
                for child in array.iter() {
                    f(child, true);
                    visit(child, f);
                }
            }
            Item::None | Item::Value(_) => {}
        }
    }
}

fn visit_mut(table: &mut Table, f: &mut dyn FnMut(&mut Table, bool)) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(child) => {
                f(child, false);
                visit_mut(child, f);
            }
            Item::ArrayOfTables(array) => {
                for child in array.iter_mut() {
                    f(child, true);
                    visit_mut(child, f);
                }
            }
            Item::None | Item::Value(_) => {}
        }
    }
}
