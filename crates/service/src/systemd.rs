//! The systemd user unit and systemd's quoting rules.
//!
//! A unit file is read by several different parsers depending on the key (checked against
//! systemd's `load-fragment.c` and against systemd 252's own parser):
//! - `ExecStart=`: each word is unquoted with C escapes (`\\`, `\"`), then `%` specifiers are
//!   expanded (`%%` is a literal `%`); at exec time `$VAR`/`${VAR}` are substituted in the
//!   arguments (`$$` is a literal `$`) but not in the executable path. So the path is written
//!   as `"@<path>"` (the `@` prefix lets the next word be `argv[0]`) without `$` escaping, and
//!   every argument with it. systemd refuses quotes and backslashes in the executable path;
//!   [`crate::ServiceSpec::validate`] rejects those up front.
//! - `Environment=`: words unquoted with C escapes, then specifiers; `$` has no meaning.
//! - `ReadWritePaths=`: words unquoted with C escapes; a leading `-` (inside the quotes is
//!   fine: it is looked at after unquoting) ignores a path that does not exist; specifiers.
//! - `StandardOutput=append:`: the rest of the line verbatim, then specifiers: only `%`
//!   needs escaping (leading and trailing blanks would be lost, but the value starts with `/`
//!   and ends with the file name).
//!
//! The tests parse the generated unit back with an independent implementation of these rules.

use codex_router_store::Platform;

use crate::spec::{ServiceSpec, text};
use crate::template::{SYSTEMD_UNIT, fill};

/// The systemd user unit for `spec` (`codex-routerd.service`).
pub fn systemd_unit(spec: &ServiceSpec) -> String {
    let env_router = quote_word(&format!("CODEX_ROUTER_HOME={}", text(&spec.router_home)), false);
    let env_codex = quote_word(&format!("CODEX_HOME={}", text(&spec.codex_home)), false);
    let log_file = escape_specifiers(&spec.log_file(Platform::Linux));
    let read_write = read_write_paths(spec)
        .iter()
        .map(|path| quote_word(&format!("-{path}"), false))
        .collect::<Vec<_>>()
        .join(" ");
    fill(
        SYSTEMD_UNIT,
        &[
            ("EXEC_START", &exec_start(&spec.daemon_argv())),
            ("ENV_ROUTER_HOME", &env_router),
            ("ENV_CODEX_HOME", &env_codex),
            ("LOG_FILE", &log_file),
            ("READ_WRITE_PATHS", &read_write),
        ],
    )
}

/// The directories the daemon writes under `ProtectSystem=strict`: its home (state, socket,
/// logs), Codex's home (`auth.json` write-back), and the log directory if it lives elsewhere.
pub(crate) fn read_write_paths(spec: &ServiceSpec) -> Vec<String> {
    let mut paths = vec![text(&spec.router_home), text(&spec.codex_home)];
    if !spec.log_dir.starts_with(&spec.router_home) {
        paths.push(text(&spec.log_dir));
    }
    paths
}

/// `ExecStart=` for `argv`: the executable as `"@<path>"`, then `argv[0]` and the arguments.
pub(crate) fn exec_start(argv: &[String]) -> String {
    let Some(program) = argv.first() else {
        return String::new();
    };
    let mut words = vec![quote_word(&format!("@{program}"), false)];
    words.extend(argv.iter().map(|arg| quote_word(arg, true)));
    words.join(" ")
}

/// One double-quoted word: `\` and `"` backslash-escaped, `%` doubled, control characters as
/// `\xNN`, and `$` doubled where environment substitution applies (`exec_argument`).
pub(crate) fn quote_word(word: &str, exec_argument: bool) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if exec_argument => out.push_str("$$"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%` doubled: the escaping a verbatim (unquoted) value needs.
pub(crate) fn escape_specifiers(value: &str) -> String {
    value.replace('%', "%%")
}

#[cfg(test)]
#[path = "systemd_tests.rs"]
mod tests;
