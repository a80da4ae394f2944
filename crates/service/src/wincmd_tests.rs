use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::testing::{cmd_sim, percent_names, winargv};

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn backslashes_double_only_before_a_quote() {
    // CommandLineToArgvW's backslash rules.
    let cases = [
        (r"C:\dir\", r"C:\dir\"),
        (r"C:\my dir\", r#""C:\my dir\\""#),
        (r#"say "hi""#, r#""say \"hi\"""#),
        (r#"a\"b"#, r#""a\\\"b""#),
        (r"a\\b", r"a\\b"),
        ("", r#""""#),
        ("John Smith", r#""John Smith""#),
        (r"C:\Users\John Smith\", r#""C:\Users\John Smith\\""#),
    ];
    for (arg, quoted) in cases {
        let line = windows_command_line(&argv(&[r"C:\x.exe", arg]));
        assert_eq!(line, format!(r"C:\x.exe {quoted}"), "{arg:?}");
        assert_eq!(winargv::split(&line), argv(&[r"C:\x.exe", arg]));
    }
}

#[test]
fn the_program_name_is_quoted_whole_and_never_doubled() {
    let line = windows_command_line(&argv(&[r"C:\Program Files\dir\x.exe"]));
    assert_eq!(line, r#""C:\Program Files\dir\x.exe""#);
}

#[test]
fn percent_goes_outside_quotes_behind_a_caret() {
    assert_eq!(cmd_token(r"C:\a%b%"), r#""C:\a"^%"b"^%"#);
    assert_eq!(cmd_token("%x"), r#"^%"x""#);
    assert_eq!(cmd_escape_unquoted("a&b^c%d(e)"), "a^&b^^c^%d^(e^)");
}

/// Task Scheduler and cmd would expand any `%NAME%` left exposed: define them all.
fn hostile_env(argv: &[String]) -> HashMap<String, String> {
    let mut env = HashMap::new();
    for arg in argv {
        for name in percent_names(arg) {
            env.insert(name.to_owned(), "EXPANDED".to_owned());
        }
    }
    env
}

proptest! {
    #[test]
    fn any_argv_round_trips(
        program in r"C:\\[a-zA-Z0-9 ._()&^%!-]{1,12}\\[a-z]{1,5}\.exe",
        args in proptest::collection::vec(r#"[a-z \t\\"%^&<>|()!é]{0,10}"#, 0..5),
    ) {
        let mut all = vec![program];
        all.extend(args);
        prop_assert_eq!(winargv::split(&windows_command_line(&all)), all);
    }

    #[test]
    fn any_quote_free_argv_round_trips_through_task_scheduler_and_cmd(
        program in r"C:\\[a-zA-Z0-9 ._()&^%!<>|'-]{1,12}\\[a-z%]{1,5}\.exe",
        args in proptest::collection::vec(r"[a-z \\%^&<>|()!é]{0,10}", 0..5),
    ) {
        let mut all = vec![program];
        all.extend(args);
        let env = hostile_env(&all);
        let line = format!("/d /v:off /s /c \"{} 1>>{} 2>&1\"", cmd_command_line(&all), cmd_token(r"C:\l%o%g"));
        let run = cmd_sim::run(&cmd_sim::expand(&line, &env), &env);
        prop_assert_eq!(&run.program, &all[0]);
        prop_assert_eq!(run.argv, all);
        prop_assert_eq!(run.append_stdout, r"C:\l%o%g");
    }
}
