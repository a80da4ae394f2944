//! What Task Scheduler and `cmd.exe /d /v:off /s /c "<line>"` do to a task's action.
//!
//! - `%NAME%` expansion (Task Scheduler's `ExpandEnvironmentStrings`, and cmd's first phase,
//!   command-line flavour): a defined name (case-insensitive) is replaced; otherwise the text
//!   stays and the scan goes on from the second `%`, which may open another name. Quotes do
//!   not protect anything.
//! - cmd's second phase: `"` toggles quoting (and stays in the text); outside quotes `^`
//!   makes the next character literal and is dropped, `&` separates commands (except right
//!   after `>`, as in `2>&1`), blanks separate words; inside quotes nothing is special.

use std::collections::HashMap;

use super::winargv;

pub(crate) fn expand(s: &str, env: &HashMap<String, String>) -> String {
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name = after.find('%').map(|j| &after[..j]);
        match name.filter(|n| !n.is_empty()).and_then(lookup) {
            Some(value) => {
                out.push_str(value);
                rest = &after[name.map_or(0, str::len) + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// A character; `true` when cmd may treat it specially (unquoted, unescaped).
    Char(char, bool),
    Quote,
}

/// What the simulated cmd ran.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct CmdRun {
    /// `set NAME=value` commands, in order.
    pub(crate) sets: Vec<(String, String)>,
    /// The program cmd resolves (quotes removed from the command word).
    pub(crate) program: String,
    /// The program's argv as it parses its own command line.
    pub(crate) argv: Vec<String>,
    /// The `1>>` target, and whether `2>&1` followed.
    pub(crate) append_stdout: String,
    pub(crate) stderr_to_stdout: bool,
}

/// Run `arguments` (the task's, after Task Scheduler's expansion) through the simulated cmd.
pub(crate) fn run(arguments: &str, env: &HashMap<String, String>) -> CmdRun {
    let inner = arguments
        .strip_prefix("/d /v:off /s /c \"")
        .and_then(|s| s.strip_suffix('"'))
        .expect("cmd /d /v:off /s /c \"…\"");
    let mut run = CmdRun::default();
    for command in commands(&expand(inner, env)) {
        let words = split_words(&command);
        let text = |w: &[Tok]| -> String {
            w.iter()
                .map(|t| match t {
                    Tok::Char(c, _) => c.to_string(),
                    Tok::Quote => "\"".to_owned(),
                })
                .collect()
        };
        let unquoted = |w: &[Tok]| -> String { text(w).replace('"', "") };
        if text(&words[0]) == "set" {
            let rest: Vec<Tok> = command
                .iter()
                .copied()
                .skip_while(|t| *t != Tok::Char(' ', true))
                .skip(1)
                .collect();
            assert!(!rest.contains(&Tok::Quote), "quotes would end up in the value");
            let (name, value) = text(&rest)
                .split_once('=')
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .unwrap();
            run.sets.push((name, value));
            continue;
        }
        let mut program_words = Vec::new();
        for word in words {
            let t = text(&word);
            if word.starts_with(&[Tok::Char('1', true), Tok::Char('>', true), Tok::Char('>', true)]) {
                run.append_stdout = unquoted(&word[3..]);
            } else if t == "2>&1" {
                run.stderr_to_stdout = true;
            } else {
                program_words.push(t);
            }
        }
        run.program = program_words[0].replace('"', "");
        run.argv = winargv::split(&program_words.join(" "));
    }
    run
}

/// Phase two: tokens per command.
fn commands(line: &str) -> Vec<Vec<Tok>> {
    let mut out = vec![Vec::new()];
    let mut in_quotes = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        let current = out.last_mut().unwrap();
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(Tok::Quote);
            }
            c if in_quotes => current.push(Tok::Char(c, false)),
            '^' => current.extend(chars.next().map(|n| Tok::Char(n, false))),
            '&' if current.last() == Some(&Tok::Char('>', true)) => current.push(Tok::Char('&', true)),
            '&' => out.push(Vec::new()),
            c => current.push(Tok::Char(c, true)),
        }
    }
    out.into_iter().filter(|c| !c.is_empty()).collect()
}

/// Words at unquoted, unescaped blanks.
fn split_words(command: &[Tok]) -> Vec<Vec<Tok>> {
    command
        .split(|t| *t == Tok::Char(' ', true))
        .filter(|w| !w.is_empty())
        .map(<[Tok]>::to_vec)
        .collect()
}
