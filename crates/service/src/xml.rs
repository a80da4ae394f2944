//! XML text escaping, shared by the plist and the Task Scheduler task.

/// `value` as XML character data: `&`, `<` and `>` become entities (`>` only matters in
/// `]]>`, but plutil escapes it too). Quotes need nothing outside attributes. Control
/// characters cannot appear in XML 1.0 at all; validated specs have none.
pub(crate) fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}
