//! The one `Report` value every output renders: `mradiag.report/1`, documented in
//! `docs/report-schema.md`. Renderers are pure functions of it.

pub mod html;
pub mod markdown;
pub mod text;

use crate::capture::CaptureInfo;
use crate::faults::Phase;
use serde::Serialize;

pub const SCHEMA: &str = "mradiag.report/1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    NotReached,
    NotObserved,
    Inconclusive,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::NotReached => "not_reached",
            Status::NotObserved => "not_observed",
            Status::Inconclusive => "inconclusive",
        }
    }
}

/// A pointer into an input: a capture frame with a display filter to jump there in
/// Wireshark, or a log line with its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PhaseResult {
    pub phase: Phase,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// `failed` (a fault was found), `ok`, or `inconclusive` (no MRA sign-in seen).
    pub status: Status,
    pub phase: Option<Phase>,
    pub fault: Option<String>,
    pub summary: String,
    pub fix: Option<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Fault,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub id: String,
    pub phase: Phase,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// A column of the ladder diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Client,
    Dns,
    ExpresswayE,
    ExpresswayC,
    /// An Expressway whose role (E or C) the inputs do not tell.
    Expressway,
    /// CUCM, IM&P, Unity Connection, or any server reached directly.
    Internal,
}

/// One observed message or connection step (`from` → `to`), or a log line written by a box
/// (`from` = `to`), in time order.
#[derive(Clone, Debug, Serialize)]
pub struct LadderStep {
    pub ts: String,
    pub from: Party,
    pub to: Party,
    pub label: String,
    /// The step shows the failure, or a failed phase cites it.
    pub failed: bool,
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub id: usize,
    pub client: String,
    /// The user the session's log lines are about (a user name, an AOR's user part), when
    /// the logs hold lines about users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub domain: Option<String>,
    pub start: String,
    pub end: String,
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub findings: Vec<Finding>,
    pub ladder: Vec<LadderStep>,
    /// Steps left out of `ladder` (it holds at most 200).
    #[serde(skip_serializing_if = "is_zero")]
    pub ladder_omitted: usize,
    /// Whether a capture shows this sign-in (else it was pieced together from logs).
    #[serde(skip)]
    pub from_capture: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize)]
pub struct InputReport {
    pub path: String,
    pub kind: String,
    #[serde(flatten)]
    pub capture: Option<CaptureInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<crate::logs::LogInfo>,
    pub events: usize,
    pub anomalies: Vec<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub inputs: Vec<InputReport>,
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub sessions: Vec<Session>,
    pub findings: Vec<Finding>,
    /// Every chain a server sent, validated at the capture's time.
    pub certificates: Vec<crate::certs::CertificateReport>,
}

impl Evidence {
    /// `input frame N (filter)` or `input:line`, unescaped: each renderer escapes it.
    pub fn location(&self) -> String {
        match (self.frame, self.line, &self.filter) {
            (Some(f), _, Some(filter)) => format!("{} frame {f} ({filter})", self.input),
            (Some(f), _, None) => format!("{} frame {f}", self.input),
            (None, Some(l), _) => format!("{}:{l}", self.input),
            (None, None, _) => self.input.clone(),
        }
    }
}

/// Sessions and notes a text, Markdown or HTML report shows at most; JSON has them all.
pub const SESSIONS_SHOWN: usize = 20;
pub const NOTES_SHOWN: usize = 60;

impl Report {
    /// Findings that are not the fault itself: warnings and notes.
    /// The sessions a reader is shown: all of them, or, past [`SESSIONS_SHOWN`] (a bundle
    /// of thousands of users), the latest failed ones and the last, with how many are left
    /// out. The verdict is the latest failure's or the last session's, so it is among them.
    pub fn shown_sessions(&self) -> (Vec<&Session>, usize) {
        let sessions = &self.sessions;
        if sessions.len() <= SESSIONS_SHOWN {
            return (sessions.iter().collect(), 0);
        }
        let last = sessions.len() - 1;
        let mut picked: Vec<&Session> = sessions
            .iter()
            .enumerate()
            .filter(|(i, s)| *i == last || s.verdict.status == Status::Failed)
            .map(|(_, s)| s)
            .collect();
        picked.drain(..picked.len().saturating_sub(SESSIONS_SHOWN));
        let hidden = sessions.len() - picked.len();
        (picked, hidden)
    }

    pub fn notes(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Fault)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }
}
