//! Windows command lines: the quoting `CommandLineToArgvW` and the MSVC runtime (and so Rust's
//! `std::env::args`) undo, and the extra layer `cmd.exe` and Task Scheduler need.
//!
//! Argument quoting: inside double quotes, backslashes are literal unless they
//! precede a `"`; there `2n` backslashes + `"` mean `n` backslashes and a closing quote, and
//! `2n+1` backslashes + `"` mean `n` backslashes and a literal quote. So a quoted argument
//! doubles the backslashes that precede its closing quote and escapes embedded quotes. The
//! program name (`argv[0]`) follows other rules: quotes delimit it and backslashes are
//! always literal, so it is quoted whole (when it has a blank) and never doubled.
//!
//! The cmd layer: Task Scheduler expands `%NAME%` in a task's command and arguments, and
//! `cmd.exe` does it again, before anything else, even inside quotes; neither has an
//! escape for `%`. So every `%` is written *outside* quotes as `^%`: the caret makes each
//! text between two `%` end in `^`, which no variable's name does in practice (that is the one
//! assumption), and cmd's next phase removes the caret. Outside quotes, `^` also escapes
//! `& | < > ( )` and itself; inside quotes nothing is special to cmd. Values carrying a double
//! quote are not supported here: cmd tracks quotes without regard to backslashes, and no
//! Windows path contains one.

/// `argv` as one command line that `CommandLineToArgvW` splits back into `argv`.
pub fn windows_command_line(argv: &[String]) -> String {
    let mut words = Vec::with_capacity(argv.len());
    for (idx, arg) in argv.iter().enumerate() {
        words.push(if idx == 0 {
            quote_program(arg)
        } else {
            quote_argument(arg)
        });
    }
    words.join(" ")
}

/// Like [`windows_command_line`], for a line that `cmd.exe` runs (after Task Scheduler's
/// expansion): every `%` sits outside quotes behind a caret.
pub(crate) fn cmd_command_line(argv: &[String]) -> String {
    let mut words = Vec::with_capacity(argv.len());
    for (idx, arg) in argv.iter().enumerate() {
        words.push(cmd_runs(arg, /*double_backslashes*/ idx > 0));
    }
    words.join(" ")
}

/// A token only cmd reads (a redirection target): quoted runs, `%` as `^%` between them.
pub(crate) fn cmd_token(value: &str) -> String {
    cmd_runs(value, /*double_backslashes*/ false)
}

/// `value` unquoted with every character cmd treats specially behind a caret: for the value
/// of `set NAME=value`, which takes the text up to the next unescaped `&` as it is.
pub(crate) fn cmd_escape_unquoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if matches!(c, '^' | '&' | '|' | '<' | '>' | '(' | ')' | '%' | '"' | '!') {
            out.push('^');
        }
        out.push(c);
    }
    out
}

/// The program name: quoted when it has a blank (or is empty), never escaped.
fn quote_program(program: &str) -> String {
    if program.is_empty() || program.contains([' ', '\t']) {
        format!("\"{program}\"")
    } else {
        program.to_owned()
    }
}

/// One argument for the MSVC rules: bare when it has no blank or quote, else quoted.
fn quote_argument(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\x0b', '"']) {
        return arg.to_owned();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    push_quoted_body(&mut out, arg, true);
    out.push('"');
    out
}

/// `value` as quoted runs split at each `%`, which goes between them as `^%`.
fn cmd_runs(value: &str, double_backslashes: bool) -> String {
    if value.is_empty() {
        return "\"\"".to_owned();
    }
    let mut out = String::with_capacity(value.len() + 8);
    for (idx, run) in value.split('%').enumerate() {
        if idx > 0 {
            out.push_str("^%");
        }
        if !run.is_empty() {
            out.push('"');
            push_quoted_body(&mut out, run, double_backslashes);
            out.push('"');
        }
    }
    out
}

/// The inside of a quoted argument, followed by the closing quote the caller writes: with
/// `msvc_rules`, backslashes before a quote (embedded or closing) are doubled.
fn push_quoted_body(out: &mut String, body: &str, msvc_rules: bool) {
    let mut n_backslashes = 0;
    for c in body.chars() {
        match c {
            '\\' => n_backslashes += 1,
            '"' if msvc_rules => {
                out.extend(std::iter::repeat_n('\\', 2 * n_backslashes + 1));
                out.push('"');
                n_backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', n_backslashes));
                out.push(c);
                n_backslashes = 0;
            }
        }
    }
    let factor = if msvc_rules { 2 } else { 1 };
    out.extend(std::iter::repeat_n('\\', factor * n_backslashes));
}

#[cfg(test)]
#[path = "wincmd_tests.rs"]
mod tests;
