//! The harness's handle on its `fake-upstream` child: spawn, read the hello line, ask for counts.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::cli::FakeArgs;
use crate::wire::{Ack, CMD_COUNTS, CMD_LIMIT_ONCE, CMD_QUIT, Counts, Hello};

/// How long the child may take to listen, or to answer one command.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct FakeProc {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    pub hello: Hello,
}

impl FakeProc {
    pub async fn spawn(exe: &Path, args: &FakeArgs) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .args(args.to_argv())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} fake-upstream", exe.display()))?;
        let stdin = child.stdin.take().context("child stdin")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = next_line(&mut lines)
            .await
            .context("waiting for the fake upstream to listen")?;
        let hello = serde_json::from_str(&line).context("parsing the fake upstream's hello line")?;
        Ok(Self {
            child,
            stdin,
            lines,
            hello,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub async fn counts(&mut self) -> anyhow::Result<Counts> {
        self.stdin
            .write_all(format!("{CMD_COUNTS}\n").as_bytes())
            .await
            .context("asking for counts")?;
        self.stdin.flush().await.context("asking for counts")?;
        let line = next_line(&mut self.lines).await.context("reading counts")?;
        serde_json::from_str(&line).context("parsing counts")
    }

    /// Scripts one usage-limit answer for the account at `index`; returns once the child has it in place.
    pub async fn limit_once(&mut self, index: usize) -> anyhow::Result<()> {
        self.stdin
            .write_all(format!("{CMD_LIMIT_ONCE} {index}\n").as_bytes())
            .await
            .context("sending limit-once")?;
        self.stdin.flush().await.context("sending limit-once")?;
        let line = next_line(&mut self.lines)
            .await
            .context("reading the limit-once ack")?;
        let ack: Ack = serde_json::from_str(&line).context("parsing the limit-once ack")?;
        if !ack.ok {
            bail!("limit-once {index} refused: {}", ack.error.unwrap_or_default());
        }
        Ok(())
    }

    /// Asks the child to quit, and kills it if it does not within a second.
    pub async fn stop(mut self) {
        let _ = self.stdin.write_all(format!("{CMD_QUIT}\n").as_bytes()).await;
        if tokio::time::timeout(Duration::from_secs(1), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> anyhow::Result<String> {
    match tokio::time::timeout(ANSWER_TIMEOUT, lines.next_line()).await {
        Err(_) => bail!("no answer within {ANSWER_TIMEOUT:?}"),
        Ok(Err(e)) => Err(e).context("reading the child's stdout"),
        Ok(Ok(None)) => bail!("the fake upstream exited (see its stderr above)"),
        Ok(Ok(Some(line))) => Ok(line),
    }
}
