//! Test helpers: hostile specs and independent parsers for each format (systemd's unit syntax,
//! the Windows argument rules, cmd.exe and Task Scheduler's `%VAR%` expansion). They are
//! written from the formats' documentation and sources, not from the generators.

pub(crate) mod cmd_sim;
pub(crate) mod systemd_parse;
pub(crate) mod winargv;

use std::path::PathBuf;

use crate::ServiceSpec;

pub(crate) fn spec(exe: &str, router_home: &str, codex_home: &str, log_dir: &str, user: &str) -> ServiceSpec {
    ServiceSpec {
        daemon_exe: PathBuf::from(exe),
        router_home: PathBuf::from(router_home),
        codex_home: PathBuf::from(codex_home),
        log_dir: PathBuf::from(log_dir),
        user: user.to_owned(),
    }
}

/// Plain Linux paths.
pub(crate) fn linux_plain() -> ServiceSpec {
    spec(
        "/usr/local/bin/codex-routerd",
        "/home/j/.local/share/codex-router",
        "/home/j/.codex",
        "/home/j/.local/share/codex-router/logs",
        "j",
    )
}

/// Linux paths with everything systemd treats specially. The executable cannot hold quotes or
/// backslashes (systemd refuses them); the other paths hold both.
pub(crate) fn linux_hostile() -> ServiceSpec {
    let home = r#"/home/John Smith/My "quoted" 'dir' \back\slash/100%% 50%n $HOME ${X} & <x> ; # ñ€😀"#;
    spec(
        "/home/John Smith/100% $HOME ${X} & <co>; #x @y ñ/bin/codex-routerd",
        home,
        r#"/home/John Smith/.co dex "x" \ $ % ;"#,
        &format!("{home}/logs"),
        "john",
    )
}

/// The same, with the log directory outside the router home.
pub(crate) fn linux_hostile_outside_logs() -> ServiceSpec {
    ServiceSpec {
        log_dir: PathBuf::from("/var/tmp/John Smith/100% logs \"x\""),
        ..linux_hostile()
    }
}

pub(crate) fn macos_plain() -> ServiceSpec {
    let home = "/Users/John Smith/Library/Application Support/codex-router";
    spec(
        "/Users/John Smith/.cargo/bin/codex-routerd",
        home,
        "/Users/John Smith/.codex",
        &format!("{home}/logs"),
        "john",
    )
}

pub(crate) fn macos_hostile() -> ServiceSpec {
    let home = r#"/Users/J "Q" O'Brien/Library/Application Support/& <b> ]]> $x %y \z ü"#;
    spec(
        r#"/Users/J "Q" O'Brien/Application Support/& <b> $x %y \z ü/codex-routerd"#,
        home,
        "/Users/J \"Q\" O'Brien/.codex <&>",
        &format!("{home}/logs"),
        "jq",
    )
}

pub(crate) fn windows_plain() -> ServiceSpec {
    let home = r"C:\Users\John Smith\AppData\Local\codex-router";
    spec(
        r"C:\Users\John Smith\AppData\Local\Programs\codex router (x86)\codex-routerd.exe",
        home,
        r"C:\Users\John Smith\.codex",
        &format!(r"{home}\logs"),
        r"CORP\John Smith",
    )
}

/// Windows paths with what cmd, Task Scheduler and the argument rules treat specially.
pub(crate) fn windows_hostile() -> ServiceSpec {
    let home = r"C:\Users\O'Brien & Co\100%\%USERNAME%\^caret!(x)<y>|z\é€\trail\";
    spec(
        r"C:\Users\O'Brien & Co\50%off %PATH% ^!\bin\%\codex-routerd.exe",
        home,
        r"\\server\share\John Smith\.codex %TEMP% & ^",
        &format!(r"{home}logs"),
        r"CORP\O'Brien & <Co>",
    )
}

/// Whether `text` holds 64 hex digits in a row, the shape of a client key.
pub(crate) fn has_key_like_hex(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= 64 {
            return true;
        }
    }
    false
}

/// Each text between two `%` in `value`: the names an expander would try, for a test
/// environment that defines them all. Names ending in `^` are left out: the escaping relies on
/// no variable having such a name (see `wincmd`).
pub(crate) fn percent_names(value: &str) -> Vec<&str> {
    let parts: Vec<&str> = value.split('%').collect();
    let inner = parts.iter().skip(1).take(parts.len().saturating_sub(2));
    inner.copied().filter(|name| !name.ends_with('^')).collect()
}
