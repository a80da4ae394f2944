//! Splitting a Windows command line as the Microsoft C runtime (and Rust's `std::env::args`)
//! does, `CommandLineToArgvW`'s rules for the arguments: `2n` backslashes + `"` give `n`
//! backslashes and toggle quoting, `2n+1` give `n` and a literal `"`, other backslashes are
//! literal, `""` inside quotes is a literal `"`. The program name is read differently:
//! quotes toggle, backslashes are always literal, it ends at a blank outside quotes.

pub(crate) fn split(line: &str) -> Vec<String> {
    let mut chars = line.chars().peekable();
    let mut argv0 = String::new();
    let mut in_quotes = false;
    while let Some(c) = chars.next_if(|c| in_quotes || !matches!(c, ' ' | '\t')) {
        if c == '"' {
            in_quotes = !in_quotes;
        } else {
            argv0.push(c);
        }
    }
    let mut argv = vec![argv0];
    let mut current: Option<String> = None;
    let mut in_quotes = false;
    let mut n_backslashes = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                n_backslashes += 1;
                current.get_or_insert_default();
                continue;
            }
            '"' => {
                let arg = current.get_or_insert_default();
                arg.extend(std::iter::repeat_n('\\', n_backslashes / 2));
                if n_backslashes % 2 == 1 {
                    arg.push('"');
                } else if in_quotes && chars.peek() == Some(&'"') {
                    chars.next();
                    arg.push('"');
                } else {
                    in_quotes = !in_quotes;
                }
            }
            ' ' | '\t' if !in_quotes => {
                let arg = current.take();
                argv.extend(arg.map(|mut a| {
                    a.extend(std::iter::repeat_n('\\', n_backslashes));
                    a
                }));
            }
            c => {
                let arg = current.get_or_insert_default();
                arg.extend(std::iter::repeat_n('\\', n_backslashes));
                arg.push(c);
            }
        }
        n_backslashes = 0;
    }
    if let Some(mut arg) = current {
        arg.extend(std::iter::repeat_n('\\', n_backslashes));
        argv.push(arg);
    }
    argv
}
