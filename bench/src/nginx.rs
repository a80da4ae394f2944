//! The baseline: a minimal nginx reverse proxy (buffering off, keep-alive upstream, one account's
//! headers injected) in front of the same fake upstream. It shows where the router stands against the
//! floor a plain proxy sets on the same machine in the same run. Optional: skipped when nginx is absent.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use crate::wire::HelloAccount;

const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// `nginx` from `--nginx`, else the first on PATH.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

#[derive(Debug)]
pub struct Nginx {
    exe: PathBuf,
    child: Child,
    pub listen: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub async fn start(exe: &Path, upstream: SocketAddr, account: &HelloAccount) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("codex-router-bench-nginx-")
            .tempdir()
            .context("temp dir")?;
        let listen = free_port()?;
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), listen, upstream, account)).context("writing nginx.conf")?;
        let child = Command::new(exe)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let mut me = Self {
            exe: exe.to_owned(),
            child,
            listen,
            _dir: dir,
        };
        me.wait_ready().await?;
        Ok(me)
    }

    /// The master's pid (its workers are its children), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().context("checking on nginx")? {
                let log = std::fs::read_to_string(self._dir.path().join("error.log")).unwrap_or_default();
                bail!("nginx exited with {status}: {log}");
            }
            if tokio::net::TcpStream::connect(self.listen).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        bail!("nginx did not listen within {READY_TIMEOUT:?}")
    }

    /// `nginx -s stop`, so the master takes its workers down with it (killing only the master would
    /// orphan them); killed if it has not exited within two seconds.
    pub async fn stop(mut self) {
        let dir = self._dir.path();
        let signal = Command::new(&self.exe)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-s", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
        let exited = signal.is_ok_and(|s| s.success())
            && tokio::time::timeout(Duration::from_secs(2), self.child.wait())
                .await
                .is_ok();
        if !exited {
            let _ = self.child.kill().await;
        }
    }
}

/// A port nothing listens on (nginx binds it right after; a collision in between is rare enough).
fn free_port() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    l.local_addr().context("finding a free port")
}

/// Two workers (one per core, nginx's usual setting), no logs on the hot path, request and
/// response buffering off, a keep-alive pool to the upstream. No per-connection request limit on
/// either side (nginx closes a keep-alive connection after 1 000 requests by default; the daemon
/// never does): the load generator's connection could race that close and count an error that is
/// the baseline's configuration, not a proxy's failure.
pub fn config(dir: &Path, listen: SocketAddr, upstream: SocketAddr, account: &HelloAccount) -> String {
    let d = dir.display();
    format!(
        r#"worker_processes 2;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  upstream fake {{ server {upstream}; keepalive 256; keepalive_requests 100000000; }}
  server {{
    listen {listen};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_max_body_size 64m;
    client_body_buffer_size 1m;
    tcp_nodelay on;
    location / {{
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer {token}";
      proxy_set_header chatgpt-account-id "{id}";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }}
  }}
}}
"#,
        token = account.access_token,
        id = account.id,
    )
}
