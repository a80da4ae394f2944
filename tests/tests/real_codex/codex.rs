//! Installing and running the pinned Codex CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use codex_router_e2e::{Home, Upstream, run_bounded};

/// The Codex version under test: `tests/codex-versions.toml`'s `pinned` (what
/// `reference/codex-client.md` measured), or the one `CODEX_ROUTER_CODEX_VERSION` names. A
/// typo there fails the run instead of quietly testing the default.
pub fn codex_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| codex_router_e2e::codex_versions::selected().unwrap_or_else(|e| panic!("{e}")))
}

static CODEX: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The `codex` binary, installed on first use; `Err(reason)` when it cannot be had here.
pub fn codex() -> Result<&'static Path, &'static str> {
    CODEX.get_or_init(install).as_deref().map_err(String::as_str)
}

fn install() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // <target>/<profile>/deps/<test-binary>
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .ok_or("no target directory")?;
    let prefix = target.join("codex-cli").join(codex_version());
    let bin =
        prefix
            .join("node_modules")
            .join(".bin")
            .join(if cfg!(windows) { "codex.cmd" } else { "codex" });
    if bin.is_file() {
        return Ok(bin);
    }
    let npm_exe = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let npm = Command::new(npm_exe)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !npm.is_ok_and(|s| s.success()) {
        return Err("npm is not available".into());
    }
    std::fs::create_dir_all(&prefix).map_err(|e| format!("creating {}: {e}", prefix.display()))?;
    let mut cmd = Command::new(npm_exe);
    cmd.args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(&prefix)
        .arg(format!("@openai/codex@{}", codex_version()));
    let out = codex_router_e2e::process::wait_bounded(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("npm: {e}"))?,
        Duration::from_secs(300),
    );
    if !out.status.success() || !bin.is_file() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(format!(
            "npm install @openai/codex@{} failed: {}",
            codex_version(),
            tail.join(" | ")
        ));
    }
    Ok(bin)
}

/// The opt-out (SPEC §10): set it to run the suite where the real Codex CLI cannot be had
/// (no npm, no registry); the skipped tests then say so by name on stderr.
pub const OPT_OUT: &str = "CODEX_ROUTER_SKIP_REAL_CODEX";

/// True when the real client cannot run here *and* the run opted out; without the opt-out a
/// test that cannot run fails with its reason (SPEC §10: a test that cannot run does not pass).
pub fn skip() -> bool {
    match codex() {
        Ok(_) => false,
        Err(reason) if std::env::var_os(OPT_OUT).is_some() => {
            // Straight to the process's stderr: the test harness captures `println!`, and a
            // skip must be visible in a plain `cargo test` run.
            use std::io::Write;
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {name}: the real Codex CLI is unavailable ({reason}); opted out with {OPT_OUT}"
            );
            true
        }
        Err(reason) => panic!(
            "the real Codex CLI is unavailable ({reason}); install npm (the tests fetch @openai/codex@{}) \
             or set {OPT_OUT}=1 to skip these tests explicitly",
            codex_version()
        ),
    }
}

/// A router home with the fake upstream, `accounts` registered, the daemon started and Codex
/// bound (`codexctl rotation bind-app`, plus `extra` args), `config_extra` appended to Codex's
/// config.toml before binding.
pub fn setup(accounts: &[&str], bind_args: &[&str], config_extra: &str) -> (Upstream, Home) {
    setup_router(accounts, bind_args, config_extra, "")
}

/// [`setup`] with the router's own `config.toml` written before the daemon starts.
pub fn setup_router(
    accounts: &[&str],
    bind_args: &[&str],
    config_extra: &str,
    router_toml: &str,
) -> (Upstream, Home) {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    if !router_toml.is_empty() {
        home.write_config(router_toml);
    }
    let records: Vec<_> = accounts
        .iter()
        .map(|id| codex_router_e2e::home::account_record(&upstream.account(id, "pro")))
        .collect();
    home.write_accounts(&records);
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", crate::show(&out));
    let codex_home = home.root().join("codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    if !config_extra.is_empty() {
        std::fs::write(codex_home.join("config.toml"), config_extra).unwrap();
    }
    let mut args = vec!["rotation", "bind-app"];
    args.extend_from_slice(bind_args);
    let out = home.run_ctl(&args);
    assert!(out.status.success(), "{}", crate::show(&out));
    (upstream, home)
}

/// `codex exec ...` in the home's environment (temporary HOME and CODEX_HOME), bounded.
pub fn exec(home: &Home, args: &[&str]) -> Output {
    let Ok(bin) = codex() else {
        panic!("codex unavailable")
    };
    let mut cmd = home.command(bin);
    cmd.arg("exec").arg("--skip-git-repo-check").args(args);
    cmd.env("RUST_LOG", "error");
    cmd.stdin(Stdio::null());
    run_bounded(cmd)
}

/// One generating Responses request the fake received: an HTTP `POST …/codex/responses`, or a
/// `response.create` frame on a WebSocket (prewarms left out).
#[derive(Debug)]
pub struct Sent {
    pub account: String,
    /// The request as it went upstream (for a WebSocket frame: maybe only the new items).
    pub body: serde_json::Value,
    /// The whole input the upstream answered from (for an incremental frame: rebuilt by the
    /// fake from the connection's context).
    pub full_input: Vec<serde_json::Value>,
    pub websocket: bool,
    pub incremental: bool,
    pub connection: u64,
}

impl Sent {
    pub fn input_types(&self) -> Vec<String> {
        self.full_input
            .iter()
            .map(|i| i["type"].as_str().unwrap_or("message").to_owned())
            .collect()
    }

    /// The owners of every `encrypted_content` blob in the input as sent upstream.
    pub fn blob_owners(&self) -> Vec<String> {
        self.body["input"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["encrypted_content"].as_str())
                    .map(|b| {
                        codex_router_test_support::encrypted_content_owner(b).unwrap_or_else(|| "?".into())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every generating request, in order. One exec uses one transport, so the WebSocket frames
/// (when there are any) are the whole story; otherwise the HTTP requests are.
pub fn sent(upstream: &Upstream) -> Vec<Sent> {
    let frames = upstream.fake.ws_frames();
    if frames.is_empty() {
        return upstream
            .fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/codex/responses"))
            .map(|r| {
                let body = r.json().unwrap_or_default();
                Sent {
                    account: r.header("chatgpt-account-id").unwrap_or("").to_owned(),
                    full_input: body["input"].as_array().cloned().unwrap_or_default(),
                    body,
                    websocket: false,
                    incremental: false,
                    connection: 0,
                }
            })
            .collect();
    }
    frames
        .into_iter()
        .filter(|f| f.json["type"] == "response.create" && f.json["generate"] != false)
        .map(|f| Sent {
            account: f.account.clone(),
            full_input: f
                .full_input
                .clone()
                .unwrap_or_else(|| f.json["input"].as_array().cloned().unwrap_or_default()),
            body: f.json.clone(),
            websocket: true,
            incremental: f.incremental,
            connection: f.connection,
        })
        .collect()
}

/// The account of every generating request the fake saw, in order.
pub fn served_by(upstream: &Upstream) -> Vec<String> {
    sent(upstream).into_iter().map(|s| s.account).collect()
}

/// A natively bound router home (SPEC §7) and what stands in for `chatgpt.com` around it.
pub struct Native {
    /// Declared first: its server stops before the upstream's runtime goes.
    pub chatgpt: codex_router_test_support::FakeChatgpt,
    pub upstream: Upstream,
    pub home: Home,
    /// The access token in Codex's `auth.json`: Codex's own bearer.
    pub codex_token: String,
    /// The router's client key (`client.key`), which must never travel upstream either.
    pub client_key: String,
    /// What Codex tried to reach beyond loopback (see [`OutsideTrap`]).
    pub outside: OutsideTrap,
}

/// A stand-in for the internet: Codex's `HTTPS_PROXY`/`HTTP_PROXY` point here (loopback is
/// exempt through `NO_PROXY`), so any call Codex makes to a real host arrives as a proxy request
/// whose first line (`CONNECT host:443 HTTP/1.1`) is recorded, and then fails. Tests never touch
/// the internet, and this makes an attempt visible instead of a silent DNS failure.
#[derive(Clone)]
pub struct OutsideTrap {
    pub addr: std::net::SocketAddr,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl OutsideTrap {
    fn start() -> OutsideTrap {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = std::sync::Arc::clone(&seen);
        // Detached: it blocks in accept for the rest of the test process, which is harmless.
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                let _ = BufReader::new(&conn).read_line(&mut line);
                record.lock().unwrap().push(line.trim_end().to_owned());
            }
        });
        OutsideTrap { addr, seen }
    }

    /// The first line of every proxy request, in arrival order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Codex signed in with ChatGPT to `signed_in` (a fresh token set from the fake, in
/// `$CODEX_HOME/auth.json` the way Codex writes it), `pool` registered with the router (the
/// signed-in account among them or not), the daemon started, Codex's `chatgpt_base_url`
/// pointed at a [`FakeChatgpt`] whose test CA Codex trusts through `CODEX_CA_CERTIFICATE`,
/// then `codexctl rotation bind-app --native`.
pub fn setup_native(pool: &[&str], signed_in: &str) -> Native {
    use codex_router_test_support::{FakeAccount, FakeChatgpt};

    let upstream = Upstream::start();
    let mut home = Home::with_fake(&upstream);
    let records: Vec<_> = pool
        .iter()
        .map(|id| codex_router_e2e::home::account_record(&upstream.account(id, "pro")))
        .collect();
    home.write_accounts(&records);
    if !pool.contains(&signed_in) {
        upstream.fake.add_account(FakeAccount::new(signed_in, "plus"));
    }
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", crate::show(&out));

    let chatgpt = upstream
        .rt
        .block_on(FakeChatgpt::start_linked(&upstream.fake, signed_in));
    let ca = home.root().join("chatgpt-ca.pem");
    chatgpt.write_ca_pem(&ca).unwrap();
    home.set_env("CODEX_CA_CERTIFICATE", ca.to_str().unwrap());
    let outside = OutsideTrap::start();
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        home.set_env(var, &format!("http://{}", outside.addr));
    }
    // Should Codex try to refresh its token, the fake issuer answers, not auth.openai.com.
    home.set_env(
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
        &format!("{}/oauth/token", upstream.fake.issuer_url()),
    );

    let codex_home = home.root().join("codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    // `model`: Codex's default model for a ChatGPT login offers the shell only inside its
    // JavaScript `exec` custom tool; gpt-5.1-codex offers the `exec_command` function.
    std::fs::write(
        codex_home.join("config.toml"),
        format!(
            "model = \"gpt-5.1-codex\"\nchatgpt_base_url = \"{}\"\n",
            chatgpt.base_url()
        ),
    )
    .unwrap();
    let t = upstream.fake.issue_tokens(signed_in);
    let now = time_now_rfc3339();
    let auth = serde_json::json!({"auth_mode": "chatgpt", "OPENAI_API_KEY": null,
        "tokens": {"id_token": t.id_token, "access_token": t.access_token,
            "refresh_token": t.refresh_token, "account_id": signed_in},
        "last_refresh": now});
    std::fs::write(codex_home.join("auth.json"), auth.to_string()).unwrap();

    let out = home.run_ctl(&["rotation", "bind-app", "--native"]);
    assert!(out.status.success(), "{}", crate::show(&out));
    // No wait: the daemon sees the binding's own change at once (runtime/src/native.rs).
    let client_key = std::fs::read_to_string(&home.paths.client_key)
        .unwrap()
        .trim()
        .to_owned();
    Native {
        chatgpt,
        upstream,
        home,
        codex_token: t.access_token,
        client_key,
        outside,
    }
}

/// Now as RFC 3339 UTC (`auth.json`'s `last_refresh`): recent, so Codex sees no reason to
/// refresh.
fn time_now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
