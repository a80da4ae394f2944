//! A small reader of systemd unit files, after systemd's `conf-parser.c`, `extract-word.c`
//! (`EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE`), `load-fragment.c` and the exec-time `$` rules.

/// `(section, key, raw value)` in file order; continuation lines joined.
pub(crate) fn parse_unit(text: &str) -> Vec<(String, String, String)> {
    let mut entries = Vec::new();
    let mut section = String::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            pending.push_str(continued);
            pending.push(' ');
            continue;
        }
        let full = std::mem::take(&mut pending) + line;
        if full.starts_with('[') && full.ends_with(']') {
            section = full[1..full.len() - 1].to_owned();
            continue;
        }
        let (key, value) = full.split_once('=').expect("a key=value line");
        entries.push((section.clone(), key.trim().to_owned(), value.trim().to_owned()));
    }
    entries
}

/// The values of `key` in `section`.
pub(crate) fn values<'a>(entries: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    entries
        .iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

/// The single value of `key` in `section`.
pub(crate) fn value<'a>(entries: &'a [(String, String, String)], section: &str, key: &str) -> &'a str {
    let found = values(entries, section, key);
    assert_eq!(found.len(), 1, "{section}.{key} should appear once: {found:?}");
    found[0]
}

/// Split into words: blanks separate; `"…"` and `'…'` group; backslash escapes are C escapes.
pub(crate) fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => word.push(unescape(&mut chars)?),
                (c, Some(q)) if c == q => quote = None,
                (c, Some(_)) => word.push(c),
                ('"' | '\'', None) => quote = Some(c),
                (c, None) if c.is_whitespace() => break,
                (c, None) => word.push(c),
            }
        }
        if quote.is_some() {
            return Err(format!("unterminated quote in {s:?}"));
        }
        out.push(word);
    }
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, String> {
    let c = chars.next().ok_or("a trailing backslash")?;
    let mut hex = |n: usize| -> Result<char, String> {
        let digits: String = (0..n).filter_map(|_| chars.next()).collect();
        let code = u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?;
        char::from_u32(code).ok_or_else(|| "bad code point".to_owned())
    };
    Ok(match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        's' => ' ',
        '\\' | '"' | '\'' => c,
        'x' => hex(2)?,
        'u' => hex(4)?,
        'U' => hex(8)?,
        other => return Err(format!("unknown escape \\{other}")),
    })
}

/// `%` specifiers: only `%%` may appear (any other would be a specifier the generator never
/// means).
pub(crate) fn specifiers(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
        } else if chars.next() == Some('%') {
            out.push('%');
        } else {
            return Err(format!("a specifier in {s:?}"));
        }
    }
    Ok(out)
}

/// Exec-time `$` substitution in an argument: only `$$` may appear.
fn dollars(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
        } else if chars.next() == Some('$') {
            out.push('$');
        } else {
            return Err(format!("a variable reference in {s:?}"));
        }
    }
    Ok(out)
}

/// `ExecStart=` → (executable path, argv as the process sees it).
pub(crate) fn exec_start(value: &str) -> Result<(String, Vec<String>), String> {
    let words = words(value)?;
    let (first, rest) = words.split_first().ok_or("an empty command line")?;
    let mut f = first.as_str();
    let mut separate_argv0 = false;
    while let Some(c) = f.chars().next().filter(|c| "@-:+!".contains(*c)) {
        separate_argv0 |= c == '@';
        f = &f[1..];
    }
    let path = specifiers(f)?;
    if path.chars().any(|c| c.is_control() || "\"'\\".contains(c)) || !path.starts_with('/') {
        return Err(format!("systemd refuses the executable path {path:?}"));
    }
    let mut argv = if separate_argv0 {
        Vec::new()
    } else {
        vec![path.clone()]
    };
    for word in rest {
        argv.push(dollars(&specifiers(word)?)?);
    }
    Ok((path, argv))
}

/// `Environment=` → assignments.
pub(crate) fn environment(value: &str) -> Result<Vec<(String, String)>, String> {
    words(value)?
        .iter()
        .map(|w| {
            let w = specifiers(w)?;
            let (k, v) = w.split_once('=').ok_or("no `=`")?;
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// `ReadWritePaths=` → (ignore if missing, path).
pub(crate) fn read_write_paths(value: &str) -> Result<Vec<(bool, String)>, String> {
    words(value)?
        .iter()
        .map(|w| {
            let (optional, path) = w.strip_prefix('-').map_or((false, w.as_str()), |p| (true, p));
            Ok((optional, specifiers(path)?))
        })
        .collect()
}

/// `StandardOutput=append:<path>` → the path (no unquoting happens there).
pub(crate) fn append_path(value: &str) -> Result<String, String> {
    specifiers(value.strip_prefix("append:").ok_or("not append:")?)
}
