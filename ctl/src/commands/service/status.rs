//! `service status [--json]`: installed, running, where, lingering, and whether a service
//! manager is there at all. Reports and exits 0 either way (SPEC §9).

use codex_router_service::{Availability, ServiceManager, ServiceStatus};
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::output;

pub fn status(ctx: &Ctx<'_>, manager: &dyn ServiceManager) -> anyhow::Result<()> {
    let doc = to_json(&manager.detect(), &manager.status());
    if ctx.json {
        return output::json(&doc);
    }
    output::print(&render(&doc))
}

pub fn to_json(available: &Availability, status: &ServiceStatus) -> Value {
    let manager = match available {
        Availability::Available(kind) => json!({"available": true, "kind": kind.name()}),
        Availability::Unavailable { kind, reason, advice } => json!({
            "available": false, "kind": kind.name(), "reason": reason, "advice": advice,
        }),
    };
    json!({
        "manager": manager,
        "installed": status.installed,
        "active": status.active,
        "definition_path": status.definition_path,
        "linger": status.linger,
    })
}

fn render(doc: &Value) -> String {
    let kind = doc["manager"]["kind"].as_str().unwrap_or("?");
    let mut out = String::new();
    if doc["manager"]["available"] == true {
        out.push_str(&format!("manager    {kind}\n"));
    } else {
        out.push_str(&format!(
            "manager    {kind} is not available: {}\n           {}\n",
            doc["manager"]["reason"].as_str().unwrap_or("?"),
            doc["manager"]["advice"].as_str().unwrap_or("")
        ));
    }
    let path = doc["definition_path"].as_str().unwrap_or("");
    if doc["installed"] == true {
        out.push_str(&format!("installed  yes: {path}\n"));
        let running = if doc["active"] == true {
            format!("yes (per {kind})")
        } else {
            "no: start it with `codexctl daemon start`".to_owned()
        };
        out.push_str(&format!("running    {running}\n"));
    } else {
        out.push_str("installed  no: `codexctl service install` starts codex-routerd at login\n");
    }
    match doc["linger"].as_bool() {
        Some(true) => out.push_str("linger     on: the daemon keeps running after logout\n"),
        Some(false) => out.push_str(
            "linger     off: systemd stops the daemon when your last session ends (`loginctl enable-linger`)\n",
        ),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use codex_router_service::ManagerKind;

    use super::*;

    #[test]
    fn installed_running_and_unavailable_render() {
        let status = ServiceStatus {
            installed: true,
            active: true,
            definition_path: PathBuf::from("/h/.config/systemd/user/codex-routerd.service"),
            linger: Some(false),
        };
        let doc = to_json(&Availability::Available(ManagerKind::SystemdUser), &status);
        let text = render(&doc);
        assert!(
            text.contains("installed  yes: /h/.config/systemd/user/codex-routerd.service"),
            "{text}"
        );
        assert!(text.contains("running    yes (per systemd)"), "{text}");
        assert!(text.contains("enable-linger"), "{text}");

        let none = Availability::Unavailable {
            kind: ManagerKind::SystemdUser,
            reason: "no user bus".to_owned(),
            advice: "run it from your profile".to_owned(),
        };
        let status = ServiceStatus {
            installed: false,
            active: false,
            definition_path: PathBuf::new(),
            linger: None,
        };
        let doc = to_json(&none, &status);
        assert_eq!(doc["manager"]["available"], false);
        let text = render(&doc);
        assert!(text.contains("not available: no user bus"), "{text}");
        assert!(text.contains("installed  no"), "{text}");
    }
}
