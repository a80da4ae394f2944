//! What doctor learns once and several checks use: is the daemon up (and its `status`
//! snapshot, port and key), and the service manager.

use codex_router_doctor::Check;
use codex_router_protocol::methods;
use codex_router_protocol::status::StatusDoc;
use codex_router_service::ServiceManager;
use serde_json::{Value, json};

use crate::binding::DaemonSide;
use crate::commands::rotation::status::daemon_side;
use crate::commands::service::manager;
use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, probe};

pub struct Facts {
    /// `Some` when the daemon answered: its `status` document.
    pub snapshot: Option<StatusDoc>,
    /// Why the daemon is not up, when it is not.
    pub down: Option<String>,
    /// Its port and key, for the binding check.
    pub side: DaemonSide,
    /// What `rotation status` shows about the daemon.
    pub daemon: Value,
    pub manager: Box<dyn ServiceManager>,
}

impl Facts {
    pub async fn gather(ctx: &Ctx<'_>) -> anyhow::Result<Facts> {
        let (snapshot, down) = match probe(&ctx.paths).await {
            Liveness::Up(mut daemon) => match daemon
                .call(methods::STATUS, json!({}))
                .await
                .and_then(decode::<StatusDoc>)
            {
                Ok(snapshot) => (Some(snapshot), None),
                Err(e) => (None, Some(format!("it answers `ping` but not `status`: {e:#}"))),
            },
            Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => (None, Some(detail)),
        };
        let (side, daemon) = daemon_side(ctx).await;
        Ok(Facts {
            snapshot,
            down,
            side,
            daemon,
            manager: manager::open(ctx)?,
        })
    }

    pub fn up(&self) -> bool {
        self.down.is_none()
    }

    pub fn daemon_check(&self) -> Check {
        match &self.down {
            None => Check::ok(
                "daemon",
                format!(
                    "running: pid {}, listening on {}",
                    crate::commands::status_render::text(self.daemon.get("pid")),
                    crate::commands::status_render::text(self.daemon.get("listen")),
                ),
            ),
            Some(detail) => Check::fail(
                "daemon",
                format!("codex-routerd is not running ({detail})"),
                "run `codexctl daemon start`",
            ),
        }
    }
}
