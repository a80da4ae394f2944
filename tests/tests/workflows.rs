//! The GitHub workflows are part of the contract (SPEC §10): they must parse, name
//! the three systems, run the README's test command in every job that tests, build every
//! release target, and take the Codex versions from the one list. Nothing here runs them; this
//! catches the edits that would silently stop them from testing what they claim.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};

use codex_router_e2e::codex_versions;
use yaml_rust2::{Yaml, YamlLoader};

const SYSTEMS: [&str; 3] = ["ubuntu-latest", "macos-latest", "windows-latest"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn load(name: &str) -> Yaml {
    let path = repo().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{name}: one YAML document");
    docs.remove(0)
}

/// The command the README gives for running the whole test suite: the code block right after
/// the line that introduces it.
fn readme_test_command() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let after = readme
        .split_once("Run the whole test suite")
        .expect("README introduces the test command")
        .1;
    let block = after.split_once("```sh\n").expect("a sh code block").1;
    let command = block.split_once("\n```").expect("closed code block").0.trim();
    assert!(!command.contains('\n'), "one command: {command:?}");
    command.to_owned()
}

fn jobs(workflow: &Yaml) -> Vec<(String, &Yaml)> {
    let Yaml::Hash(jobs) = &workflow["jobs"] else {
        panic!("no jobs: {workflow:?}");
    };
    jobs.iter()
        .map(|(id, job)| (id.as_str().unwrap().to_owned(), job))
        .collect()
}

fn steps_run(job: &Yaml) -> Vec<String> {
    job["steps"]
        .as_vec()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|step| step["run"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every string anywhere in the job (runs-on, matrix entries, ...).
fn strings(yaml: &Yaml, out: &mut Vec<String>) {
    match yaml {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Yaml::Hash(map) => map.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        _ => {}
    }
}

fn all_strings(yaml: &Yaml) -> Vec<String> {
    let mut out = Vec::new();
    strings(yaml, &mut out);
    out
}

/// A job that runs any `cargo test` is a test job.
fn test_jobs(workflow: &Yaml) -> Vec<(String, &Yaml)> {
    jobs(workflow)
        .into_iter()
        .filter(|(_, job)| steps_run(job).iter().any(|r| r.contains("cargo test")))
        .collect()
}

/// Each test job runs exactly the README's command as a step of its own (not a narrowed
/// variant such as `cargo test -p ...` instead of it), and runs on the three systems.
fn check_test_jobs(name: &str, workflow: &Yaml) {
    let command = readme_test_command();
    let tests = test_jobs(workflow);
    assert!(!tests.is_empty(), "{name}: no job runs the tests");
    for (id, job) in tests {
        let runs = steps_run(job);
        assert!(
            runs.iter().any(|r| r.trim() == command),
            "{name}: job `{id}` does not run `{command}` as a step: {runs:?}"
        );
        let strings = all_strings(job);
        for system in SYSTEMS {
            assert!(
                strings.iter().any(|s| s == system),
                "{name}: job `{id}` does not run on {system}"
            );
        }
    }
}

#[test]
fn the_readme_test_command_is_the_workspace_suite() {
    assert_eq!(readme_test_command(), "cargo test --workspace");
}

#[test]
fn ci_tests_the_three_systems_with_the_readme_command() {
    let ci = load("ci.yml");
    check_test_jobs("ci.yml", &ci);
    // Every job that runs cargo at all is a test job (no lint-only job that skips the tests).
    for (id, job) in jobs(&ci) {
        let runs = steps_run(job);
        if runs.iter().any(|r| r.contains("cargo ")) {
            assert!(
                runs.iter().any(|r| r.trim() == readme_test_command()),
                "ci.yml: job `{id}` runs cargo but not the test suite"
            );
        }
    }
}

#[test]
fn ci_takes_the_codex_versions_from_the_one_list() {
    let ci = load("ci.yml");
    let text = all_strings(&ci).join("\n");
    assert!(
        text.contains("tests/codex-versions.toml"),
        "ci.yml must read tests/codex-versions.toml"
    );
    assert!(text.contains(codex_versions::VERSION_ENV));
    // No version is spelled out in the workflow: they all come from the list.
    for version in codex_versions::versions().unwrap().all() {
        assert!(
            !text.contains(version),
            "ci.yml hard-codes Codex {version}; it belongs in tests/codex-versions.toml"
        );
    }
    let (_, test) = test_jobs(&ci).into_iter().next().unwrap();
    let codex = test["strategy"]["matrix"]["codex"].as_str().unwrap_or_default();
    assert!(
        codex.contains("fromJSON(needs."),
        "the matrix's codex axis comes from the versions job: {codex:?}"
    );
}

#[test]
fn release_builds_every_target_with_archives_and_sums() {
    let release = load("release.yml");
    check_test_jobs("release.yml", &release);
    let strings = all_strings(&release);
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(strings.iter().any(|s| s == target), "release.yml: no {target}");
    }
    for system in SYSTEMS {
        assert!(strings.iter().any(|s| s == system), "release.yml: no {system}");
    }
    let runs: String = jobs(&release)
        .iter()
        .flat_map(|(_, job)| steps_run(job))
        .collect::<Vec<_>>()
        .join("\n");
    for needle in ["--bin codex-routerd", "--bin codexctl", "sha256sum", "SHA256SUMS"] {
        assert!(runs.contains(needle), "release.yml never runs {needle:?}");
    }
    let tags = &release["on"]["push"]["tags"];
    assert!(
        tags.as_vec().is_some_and(|t| !t.is_empty()),
        "release runs on a tag"
    );
}

/// Until the real-Codex tests read [`codex_versions::selected`], their own constant must be the
/// list's pinned version, so the list does not lie about what `cargo test` runs.
#[test]
fn the_real_codex_tests_pin_the_listed_version() {
    let source = std::fs::read_to_string(repo().join("tests/tests/real_codex/codex.rs")).unwrap();
    let pinned = codex_versions::versions().unwrap().pinned;
    if let Some(rest) = source.split_once("pub const CODEX_VERSION: &str = \"") {
        let constant = rest.1.split_once('"').unwrap().0;
        assert_eq!(
            constant, pinned,
            "tests/tests/real_codex/codex.rs pins {constant}, tests/codex-versions.toml {pinned}"
        );
    } else {
        assert!(
            source.contains("codex_versions"),
            "the real-Codex tests neither pin a version nor read the list"
        );
    }
}
