//! A small structural validator for `docs/status.schema.json`.
//!
//! Chosen over the `jsonschema` crate, whose dependency tree (a second `syn` major, bignum
//! arithmetic, regex engines) costs more build time than this whole crate; the schema only
//! needs the keywords below. Any other keyword is reported as an error, so the schema cannot
//! come to rely on a rule these tests do not check. Strict on purpose: a property the schema
//! does not declare is an error, which keeps `docs/` in step with what the daemon emits.

use codex_router_core::Timestamp;
use serde_json::Value;

const ANNOTATIONS: [&str; 5] = ["$schema", "$id", "title", "description", "$defs"];

pub fn schema() -> Value {
    serde_json::from_str(include_str!("../../../docs/status.schema.json"))
        .expect("docs/status.schema.json is JSON")
}

/// Every way `doc` departs from the status schema; empty when it conforms.
pub fn errors(doc: &Value) -> Vec<String> {
    let root = schema();
    let mut errs = Vec::new();
    check(&root, &root, doc, "$", &mut errs);
    errs
}

#[track_caller]
pub fn assert_valid(doc: &Value) {
    let errs = errors(doc);
    assert!(
        errs.is_empty(),
        "status document violates docs/status.schema.json:\n{}\n{doc:#}",
        errs.join("\n")
    );
}

fn check(schema: &Value, root: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else {
        errs.push(format!("{at}: schema is not an object"));
        return;
    };
    for (key, rule) in rules {
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => match rule
                .as_str()
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|n| root["$defs"].get(n))
            {
                Some(target) => check(target, root, v, at, errs),
                None => errs.push(format!("{at}: unresolvable $ref {rule}")),
            },
            "type" => {
                let allowed: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                if !allowed.iter().any(|t| has_type(v, t)) {
                    errs.push(format!("{at}: expected {allowed:?}, got {v}"));
                }
            }
            "enum" => {
                if !rule.as_array().is_some_and(|vals| vals.contains(v)) {
                    errs.push(format!("{at}: {v} is not one of {rule}"));
                }
            }
            "minimum" => {
                if let (Some(x), Some(min)) = (v.as_f64(), rule.as_f64())
                    && x < min
                {
                    errs.push(format!("{at}: {x} is below {min}"));
                }
            }
            "format" => {
                if rule != "date-time" {
                    errs.push(format!("{at}: unsupported format {rule}"));
                } else if let Some(s) = v.as_str()
                    && (Timestamp::parse_rfc3339(s).is_err() || !s.ends_with('Z'))
                {
                    errs.push(format!("{at}: {s:?} is not an RFC 3339 UTC time"));
                }
            }
            "required" => {
                if let Some(obj) = v.as_object() {
                    for name in rule.as_array().into_iter().flatten().filter_map(Value::as_str) {
                        if !obj.contains_key(name) {
                            errs.push(format!("{at}: missing required field `{name}`"));
                        }
                    }
                }
            }
            "properties" => {
                if let (Some(obj), Some(props)) = (v.as_object(), rule.as_object()) {
                    for (name, value) in obj {
                        match props.get(name) {
                            Some(sub) => check(sub, root, value, &format!("{at}.{name}"), errs),
                            None => errs.push(format!("{at}: field `{name}` is not declared in the schema")),
                        }
                    }
                }
            }
            "items" => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    check(rule, root, item, &format!("{at}[{i}]"), errs);
                }
            }
            other => errs.push(format!(
                "{at}: schema keyword `{other}` is not supported by this validator"
            )),
        }
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        _ => false,
    }
}

/// The validator must reject what the schema forbids, or passing it proves nothing.
#[test]
fn validator_rejects_departures() {
    let good = serde_json::json!({
        "daemon":{"pid":1,"version":"0.1.0","instance_id":"ab","started_at":"2026-01-01T00:00:00Z","uptime_s":0,
                  "listen":"127.0.0.1:1","socket":"/s"},
        "binding":{"bound":false,"config_path":null,"port":null,"matches_daemon":false,"bypassed_by":[]},
        "storage":{"state":"ok","path":"/a","kept_aside":null,"reason":null},
        "counters":{"total_requests":0,"upstream_requests":0,"retries":0,"rotations":0,"streams_started":0,
                    "streams_completed":0,"streams_failed":0,"refreshes":0,"refresh_failures":0,"pool_exhausted":0,
                    "early_resets":0,"usage_polls":0,"usage_poll_failures":0},
        "last_account":null,"last_error":null,
        "pool":{"next_account_back_at":null,"lasts_s":null},
        "accounts":[{"id":"x","label":"l","state":"ready","state_reason":null,"until":null,"plan_type":null,
                     "quota":{"primary":{"used_percent":12.0,"window_minutes":300,"resets_at":"2026-01-01T05:00:00Z",
                                         "resets_in_s":18000},
                              "secondary":null,"source":"usage","read_at":"2026-01-01T00:00:00Z","age_s":0,"stale":false},
                     "requests":0,"failures":0,"in_flight":0,"last_used":null,"reset_early_at":null}]});
    assert_valid(&good);
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        f(&mut doc);
        errors(&doc)
    };
    type Mutation<'a> = &'a dyn Fn(&mut Value);
    let cases: [(&str, Mutation<'_>); 10] = [
        ("missing", &|d| {
            d["counters"].as_object_mut().unwrap().remove("retries");
        }),
        ("expected", &|d| d["daemon"]["pid"] = "1".into()),
        ("not one of", &|d| d["accounts"][0]["state"] = "sleepy".into()),
        ("not an RFC 3339", &|d| {
            d["daemon"]["started_at"] = "2026-01-01 00:00".into()
        }),
        ("not an RFC 3339", &|d| {
            d["daemon"]["started_at"] = "2026-01-01T00:00:00+02:00".into()
        }),
        ("below", &|d| d["accounts"][0]["in_flight"] = (-1).into()),
        ("not declared", &|d| {
            d["accounts"][0]["email"] = "me@example.test".into()
        }),
        ("missing", &|d| {
            d["accounts"][0]["quota"].as_object_mut().unwrap().remove("stale");
        }),
        ("expected", &|d| d["pool"]["lasts_s"] = 1.5.into()),
        ("below", &|d| {
            d["accounts"][0]["quota"]["primary"]["resets_in_s"] = (-3).into()
        }),
    ];
    for (want, f) in cases {
        let errs = mutate(f);
        assert!(
            errs.iter().any(|e| e.contains(want)),
            "wanted an error containing {want:?}, got {errs:?}"
        );
    }
}
