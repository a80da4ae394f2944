use codex_router_store::Platform;

use super::*;
use crate::testing::{self, has_key_like_hex};

/// A plist value, read with an XML parser.
#[derive(Debug, PartialEq)]
enum Value {
    String(String),
    Bool(bool),
    Integer(i64),
    Array(Vec<Value>),
    Dict(Vec<(String, Value)>),
}

impl Value {
    fn get(&self, key: &str) -> &Value {
        let Value::Dict(entries) = self else {
            panic!("not a dict: {self:?}")
        };
        &entries
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .1
    }

    fn string(&self) -> &str {
        let Value::String(s) = self else {
            panic!("not a string: {self:?}")
        };
        s
    }
}

fn value(node: roxmltree::Node<'_, '_>) -> Value {
    let children: Vec<_> = node.children().filter(roxmltree::Node::is_element).collect();
    match node.tag_name().name() {
        "string" => Value::String(node.text().unwrap_or_default().to_owned()),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "integer" => Value::Integer(node.text().unwrap().parse().unwrap()),
        "array" => Value::Array(children.into_iter().map(value).collect()),
        "dict" => Value::Dict(
            children
                .chunks(2)
                .map(|pair| {
                    assert_eq!(pair[0].tag_name().name(), "key");
                    (pair[0].text().unwrap().to_owned(), value(pair[1]))
                })
                .collect(),
        ),
        other => panic!("unexpected plist element {other}"),
    }
}

fn parse(plist: &str) -> Value {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(plist, options).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "plist");
    value(root.children().find(roxmltree::Node::is_element).unwrap())
}

fn assert_round_trip(spec: &ServiceSpec) {
    spec.validate(Platform::MacOs).unwrap();
    let plist = launchd_plist(spec);
    let top = parse(&plist);
    assert_eq!(top.get("Label").string(), "com.codex-router.daemon");
    // One <string> per argument: no shell ever splits them.
    let Value::Array(args) = top.get("ProgramArguments") else {
        panic!()
    };
    let args: Vec<&str> = args.iter().map(Value::string).collect();
    assert_eq!(args, spec.daemon_argv());
    let env = top.get("EnvironmentVariables");
    assert_eq!(env.get("CODEX_ROUTER_HOME").string(), text(&spec.router_home));
    assert_eq!(env.get("CODEX_HOME").string(), text(&spec.codex_home));
    let Value::Dict(env_entries) = env else { panic!() };
    assert_eq!(env_entries.len(), 2, "nothing else, and never the client key");
    // stdout and stderr both go to logs/daemon-stderr.log, as for a detached daemon.
    let log = spec.log_file(Platform::MacOs);
    assert!(log.ends_with("/logs/daemon-stderr.log"));
    assert_eq!(top.get("StandardOutPath").string(), log);
    assert_eq!(top.get("StandardErrorPath").string(), log);
    assert!(!has_key_like_hex(&plist));
}

#[test]
fn plain_paths_round_trip() {
    let spec = testing::macos_plain();
    assert_round_trip(&spec);
    let plist = launchd_plist(&spec);
    assert!(plist.contains("\t\t<string>/Users/John Smith/.cargo/bin/codex-routerd</string>\n\t</array>"));
}

#[test]
fn hostile_paths_round_trip() {
    // Quotes, &, <, ]]>, $, %, backslash, non-ASCII, "Application Support": all escaped for XML.
    let spec = testing::macos_hostile();
    assert_round_trip(&spec);
    assert!(launchd_plist(&spec).contains("&amp; &lt;b&gt; ]]&gt; $x %y \\z ü"));
}

#[test]
fn keep_alive_restarts_only_after_an_abnormal_exit() {
    // Not KeepAlive=true: that restarted the router after a clean stop, during unbind.
    let top = parse(&launchd_plist(&testing::macos_plain()));
    assert_eq!(
        top.get("KeepAlive"),
        &Value::Dict(vec![("SuccessfulExit".to_owned(), Value::Bool(false))])
    );
    assert_eq!(top.get("RunAtLoad"), &Value::Bool(true));
    assert_eq!(top.get("ThrottleInterval"), &Value::Integer(10));
    // Longer than the daemon's 10 s drain before launchd sends SIGKILL.
    assert_eq!(top.get("ExitTimeOut"), &Value::Integer(20));
}
