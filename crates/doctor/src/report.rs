//! A doctor check: what was found and, when something is wrong, the one thing to do about it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but worth knowing (and fixing).
    Warn,
    /// Broken: doctor exits 1.
    Fail,
    /// Cannot be checked here (e.g. no service manager in a container); the detail says why.
    Skip,
}

impl Status {
    /// The name `--json` readers see.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable name (`daemon`, `router_home`, `binding`, ...), for `--json` readers.
    pub id: &'static str,
    pub status: Status,
    /// One line: what was found.
    pub detail: String,
    /// One line: what to run or change; `None` when there is nothing to fix.
    pub fix: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, status: Status, detail: impl Into<String>, fix: Option<String>) -> Self {
        Check {
            id,
            status,
            detail: detail.into(),
            fix,
        }
    }

    pub fn ok(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Ok, detail, None)
    }

    pub fn fail(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Fail, detail, Some(fix.into()))
    }

    pub fn warn(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Warn, detail, Some(fix.into()))
    }

    pub fn skip(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Skip, detail, None)
    }
}
