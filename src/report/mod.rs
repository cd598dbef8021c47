//! The one `Report` value every output renders: `mradiag.report/1`, documented in
//! `docs/report-schema.md`. Renderers are pure functions of it.

pub mod html;
pub mod markdown;
mod safe;
pub mod text;

use crate::capture::CaptureInfo;
use crate::faults::Phase;
use crate::time::TimeBasis;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

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

/// A pointer into an input, shared: a phase, its session's verdict, findings and the
/// report's findings cite the same evidence, and a busy capture's twenty thousand sessions
/// held every copy (a copy is now a count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Evidence(Arc<Pointer>);

impl Evidence {
    pub fn new(pointer: Pointer) -> Evidence {
        Evidence(Arc::new(pointer))
    }
}

impl std::ops::Deref for Evidence {
    type Target = Pointer;
    fn deref(&self) -> &Pointer {
        &self.0
    }
}

/// A pointer into an input: a capture frame with a display filter to jump there in
/// Wireshark, or a log line with its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pointer {
    /// The input's name, shared by every pointer into it.
    pub input: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub ts: Stamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    pub note: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<Arc<str>>,
}

/// A time as its input gave it, kept as a number and written only when a report is: UTC
/// with `Z`, or a log's local time without a zone (`time::format_on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub ns: i64,
    pub basis: TimeBasis,
}

impl Stamp {
    /// A time read as UTC.
    pub fn utc(ns: i64) -> Stamp {
        Stamp {
            ns,
            basis: TimeBasis::Utc,
        }
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::time::written_on(self.ns, self.basis).as_str())
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::time::written_on(self.ns, self.basis).as_str())
    }
}

/// A Wireshark display filter that finds an evidence's packets, kept as what it selects
/// and written when shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `tcp.stream eq N`
    Stream(u64),
    /// `frame.number == N`
    Frame(u64),
    /// `dns.qry.name == "NAME"`
    DnsName(Arc<str>),
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Stream(n) => write!(f, "tcp.stream eq {n}"),
            Filter::Frame(n) => write!(f, "frame.number == {n}"),
            Filter::DnsName(name) => write!(f, "dns.qry.name == \"{name}\""),
        }
    }
}

impl Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PhaseResult {
    pub phase: Phase,
    pub status: Status,
    /// Shared: a busy capture's thousands of sessions say a few dozen summaries.
    pub summary: Arc<str>,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// `failed` (a fault was found), `ok`, or `inconclusive` (no MRA sign-in seen).
    pub status: Status,
    pub phase: Option<Phase>,
    pub fault: Option<String>,
    /// Shared, as the phases' summaries are.
    pub summary: Arc<str>,
    pub fix: Option<Arc<str>>,
    pub evidence: Vec<Evidence>,
    /// The session the top-level verdict is about (absent in a session's own verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<usize>,
}

pub use crate::model::Severity;

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
    /// When it happened by the clock of the input that saw it (as the evidence says).
    pub ts: Stamp,
    /// When the ladder draws it: `ts` on the common clock, in ns since the epoch.
    #[serde(skip)]
    pub axis_ns: i64,
    /// The correction from `ts` to the common clock, for a log whose clock runs apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift_ns: Option<i64>,
    pub from: Party,
    pub to: Party,
    /// Shared: a busy capture's ladders draw a million steps of a few dozen labels.
    pub label: Arc<str>,
    /// The step shows the failure, or a failed phase cites it.
    pub failed: bool,
    pub input: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub id: usize,
    pub client: String,
    /// The capture the client was seen in, when another capture holds a client of the same
    /// address (two machines behind two NATs, or one machine's captures of two times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
    /// The user the session's log lines are about (a user name, an AOR's user part), when
    /// the logs hold lines about users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A directory number the session's lines are about, when no line ties it to a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Which sign-in attempt of its user (or line, client) this is, from 1.
    pub attempt: usize,
    pub domain: Option<String>,
    pub start: String,
    pub end: String,
    /// `start` and `end` in ns since the epoch (`time::UNKNOWN` when not known).
    #[serde(skip)]
    pub start_ns: i64,
    #[serde(skip)]
    pub end_ns: i64,
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub findings: Vec<Finding>,
    pub ladder: Vec<LadderStep>,
    /// Steps left out of `ladder` (it holds at most 200).
    #[serde(skip_serializing_if = "is_zero")]
    pub ladder_omitted: usize,
    /// The clock corrections the ladder applies, one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ladder_clock: Vec<String>,
    /// Whether a capture shows this sign-in (else it was pieced together from logs).
    #[serde(skip)]
    pub from_capture: bool,
    /// A captured sign-in that connected to Expressway-E (not one inside the network, nor
    /// one that stopped at discovery): only such a sign-in shows the MRA path working.
    #[serde(skip)]
    pub reached_edge: bool,
    /// Its times are local, as a log without a zone wrote them (no `Z`): `--tz` places them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub local_time: bool,
}

impl Session {
    /// `10.77.0.2`, or `10.77.0.2 in b.pcap` when another capture holds that address too.
    pub fn client_label(&self) -> String {
        match &self.capture {
            Some(capture) => format!("{} in {capture}", self.client),
            None => self.client.clone(),
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One user's (or directory number's, or client's) sign-ins: a row of the users table.
#[derive(Clone, Debug, Serialize)]
pub struct UserRow {
    /// The user name, `line N` for a directory number tied to no user, `client IP`, or
    /// `(no user named)` for lines about no one (alarms, zones, an Expressway's own links).
    pub who: String,
    /// `user`, `line`, `client` or `none`.
    pub kind: &'static str,
    pub attempts: usize,
    /// The sessions of these attempts, in time order.
    pub sessions: Vec<usize>,
    /// The latest attempt's status.
    pub last_result: Status,
    /// A failure not followed by a success of the same user (an inconclusive attempt after it
    /// proves nothing): this row counts as failing.
    pub failing: bool,
    /// That failure's fault; else the latest attempt's (null unless it failed).
    pub fault: Option<String>,
    /// An earlier attempt failed with this fault, and a later one did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_from: Option<String>,
    pub first: String,
    pub last: String,
}

impl UserRow {
    /// The fault column of a users table: the latest attempt's fault, or what it recovered
    /// from (unescaped: each renderer escapes it).
    pub fn fault_cell(&self) -> String {
        match (&self.fault, &self.recovered_from) {
            (Some(f), None) => f.clone(),
            (_, Some(from)) => format!("recovered after {from}"),
            (None, None) => String::new(),
        }
    }
}

/// `57 users, 3 lines, 1 client` (lines about no one left out).
pub fn population(rows: &[UserRow]) -> String {
    let count = |kind: &str| rows.iter().filter(|r| r.kind == kind).count();
    let parts: Vec<String> = [("user", "users"), ("line", "lines"), ("client", "clients")]
        .iter()
        .map(|(kind, plural)| (count(kind), kind, plural))
        .filter(|(n, ..)| *n > 0)
        .map(|(n, kind, plural)| format!("{n} {}", if n == 1 { kind } else { plural }))
        .collect();
    if parts.is_empty() {
        "no user named".into()
    } else {
        parts.join(", ")
    }
}

/// What `--user` and `--at` asked for, and what was found.
#[derive(Clone, Debug, Serialize)]
pub struct Focus {
    pub users: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The session the verdict is about, when one was found.
    pub session: Option<usize>,
    pub summary: String,
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
    /// A key log: how many TLS handshakes it has secrets for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<usize>,
    pub anomalies: Vec<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// Serialized through `Written`, which also writes a report whose ladders are drawn as it
/// goes (`Report::write_json_drawing`).
#[derive(Clone, Debug)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub inputs: Vec<InputReport>,
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub sessions: Vec<Session>,
    /// Every user's (or line's, client's) sign-ins, failing ones first.
    pub users: Vec<UserRow>,
    /// Written only when there is one.
    pub focus: Option<Focus>,
    pub findings: Vec<Finding>,
    /// Every chain a server sent, validated at the capture's time.
    pub certificates: Vec<crate::certs::CertificateReport>,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.written(SessionsOut::Held(&self.sessions)).serialize(s)
    }
}

/// Draws sessions' ladders when asked, after judging: the judge keeps what made each
/// session, so a report written with it holds one batch of ladders at a time rather than
/// every one (a busy 4 GiB capture's sessions draw 1.6 million steps, 180 MB).
pub trait Ladders: Sync {
    /// Draws a session's ladder into it (`ladder`, `ladder_omitted`, `ladder_clock`).
    fn draw(&self, session: &mut Session);
}

/// The report's fields in the schema's order, its sessions held or drawn as written.
#[derive(Serialize)]
struct Written<'a> {
    schema: &'static str,
    tool: &'a Tool,
    inputs: &'a [InputReport],
    verdict: &'a Verdict,
    phases: &'a [PhaseResult],
    sessions: SessionsOut<'a>,
    users: &'a [UserRow],
    #[serde(skip_serializing_if = "Option::is_none")]
    focus: Option<&'a Focus>,
    findings: &'a [Finding],
    certificates: &'a [crate::certs::CertificateReport],
}

enum SessionsOut<'a> {
    Held(&'a [Session]),
    /// Drawn a batch at a time, written, and their ladders let go.
    Drawn {
        sessions: std::cell::RefCell<&'a mut [Session]>,
        ladders: &'a dyn Ladders,
    },
}

/// Sessions whose ladders are drawn at once while a report is written: the next batch is
/// drawn on another thread while this one is written (drawing takes half the time writing
/// does), so two batches of ladders (200 steps of 112 bytes each at most) are held. 256 held
/// 7 MiB more at the peak of a busy 4 GiB capture's JSON (237-240 against 231 MiB), and
/// were no faster.
const DRAW_BATCH: usize = 64;

impl Serialize for SessionsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            SessionsOut::Held(sessions) => sessions.serialize(s),
            SessionsOut::Drawn { sessions, ladders } => {
                let mut sessions = sessions.borrow_mut();
                let mut seq = s.serialize_seq(Some(sessions.len()))?;
                let mut batches = sessions.chunks_mut(DRAW_BATCH);
                let mut current = batches.next();
                if let Some(first) = current.as_deref_mut() {
                    first.iter_mut().for_each(|s| ladders.draw(s));
                }
                while let Some(batch) = current {
                    let mut next = batches.next();
                    // The writer stays on this thread (standard output's lock cannot move).
                    std::thread::scope(|scope| {
                        let drawing = next.as_deref_mut().map(|next| {
                            scope.spawn(|| next.iter_mut().for_each(|s| ladders.draw(s)))
                        });
                        let written = batch
                            .iter()
                            .try_for_each(|session| seq.serialize_element(session));
                        // Joined, so that the thread has ended (its thread-locals freed)
                        // when the scope returns, not only its closure.
                        if let Some(Err(panic)) = drawing.map(|d| d.join()) {
                            std::panic::resume_unwind(panic);
                        }
                        written
                    })?;
                    for session in batch {
                        session.ladder = Vec::new();
                        session.ladder_clock = Vec::new();
                    }
                    current = next;
                }
                seq.end()
            }
        }
    }
}

impl Pointer {
    /// `input frame N (filter)` or `input:line`, unescaped: each renderer escapes it.
    pub fn location(&self) -> String {
        match (self.frame, self.line, &self.filter) {
            (Some(f), _, Some(filter)) => format!("{} frame {f} ({filter})", self.input),
            (Some(f), _, None) => format!("{} frame {f}", self.input),
            (None, Some(l), _) => format!("{}:{l}", self.input),
            (None, None, _) => self.input.to_string(),
        }
    }
}

/// Sessions and notes a text, Markdown or HTML report shows at most; JSON has them all.
pub const SESSIONS_SHOWN: usize = 20;
/// Past [`SESSIONS_SHOWN`], the sessions drawn in full: the verdict's and failing users'.
pub const FAILED_SHOWN: usize = 5;
/// Rows of the users table a text report lists, failing ones first.
pub const USERS_SHOWN: usize = 40;
/// A users table this short is listed whole, ok rows too.
pub const USERS_LISTED_WHOLE: usize = 12;
pub const NOTES_SHOWN: usize = 60;

/// The ways a report is written out. A new format is a module beside `text`, `markdown` and
/// `html` with a `render(&Report) -> String`, and a variant here; the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The terminal report, in colour or not.
    Text {
        colour: bool,
    },
    /// The verdict line alone (`--quiet`).
    VerdictLine,
    Json,
    Markdown,
    Html,
}

impl Format {
    /// The report in this format. What a terminal shows (text, the verdict line, Markdown)
    /// is rendered by renderers that escape input-derived control characters themselves
    /// (`Report::made_safe`); JSON and HTML escape by their own rules.
    pub fn render(self, report: &Report) -> String {
        match self {
            Format::Text { colour } => text::render_with(report, colour),
            Format::VerdictLine => text::verdict_line(report),
            Format::Json => report.to_json(),
            Format::Markdown => markdown::render(report),
            Format::Html => html::render(report),
        }
    }
}

impl Report {
    /// The sessions a reader is shown: all of them, or, past [`SESSIONS_SHOWN`] (a bundle
    /// of thousands of users), the verdict's and the latest of each failing user's, at most
    /// [`FAILED_SHOWN`] in all, with how many are left out; the users table says the rest.
    pub fn shown_sessions(&self) -> (Vec<&Session>, usize) {
        let sessions = &self.sessions;
        if sessions.len() <= SESSIONS_SHOWN {
            return (sessions.iter().collect(), 0);
        }
        let mut ids: Vec<usize> = self.verdict.session.into_iter().collect();
        for row in self.users.iter().filter(|r| r.failing) {
            if ids.len() >= FAILED_SHOWN {
                break;
            }
            if let Some(&id) = row.sessions.last()
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        let picked: Vec<&Session> = sessions.iter().filter(|s| ids.contains(&s.id)).collect();
        let hidden = sessions.len() - picked.len();
        (picked, hidden)
    }

    /// The rows of the users table a reader is shown: all of a short table (up to
    /// [`USERS_LISTED_WHOLE`]), else the failing and recovered ones, [`USERS_SHOWN`] at most,
    /// with how many are left out. Empty for one user: the session says it all.
    pub fn shown_users(&self) -> (Vec<&UserRow>, usize) {
        let rows = &self.users;
        if rows.len() < 2 {
            return (Vec::new(), 0);
        }
        let whole = rows.len() <= USERS_LISTED_WHOLE;
        let shown: Vec<&UserRow> = rows
            .iter()
            .filter(|r| whole || r.failing || r.recovered_from.is_some())
            .take(USERS_SHOWN)
            .collect();
        let hidden = rows.len() - shown.len();
        (shown, hidden)
    }

    /// Failing users (latest attempt failed, not a box-level failure later sign-ins got past)
    /// and recovered ones.
    pub fn user_counts(&self) -> (usize, usize) {
        let failing = self.users.iter().filter(|r| r.failing).count();
        let recovered = self
            .users
            .iter()
            .filter(|r| r.recovered_from.is_some())
            .count();
        (failing, recovered)
    }

    /// Findings that are not the fault itself: warnings and notes.
    pub fn notes(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Fault)
    }

    /// The JSON report written as it is serialized: the same bytes as [`Report::to_json`].
    pub fn write_json<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        write_pretty(out, self)
    }

    /// The JSON report written as it is serialized, each session's ladder drawn just before
    /// it is written and let go after: the same bytes as drawing them all, then
    /// [`Report::write_json`], with one batch of ladders held instead of all.
    pub fn write_json_drawing<W: std::io::Write>(
        &mut self,
        out: W,
        ladders: &dyn Ladders,
    ) -> std::io::Result<()> {
        let mut sessions = std::mem::take(&mut self.sessions);
        let written = write_pretty(
            out,
            &self.written(SessionsOut::Drawn {
                sessions: std::cell::RefCell::new(&mut sessions),
                ladders,
            }),
        );
        self.sessions = sessions;
        written
    }

    /// Draws the ladders of the sessions a reader is shown ([`Report::shown_sessions`]),
    /// the only ones HTML draws.
    pub fn draw_shown(&mut self, ladders: &dyn Ladders) {
        let ids: Vec<usize> = self.shown_sessions().0.iter().map(|s| s.id).collect();
        for session in self.sessions.iter_mut().filter(|s| ids.contains(&s.id)) {
            ladders.draw(session);
        }
    }

    fn written<'a>(&'a self, sessions: SessionsOut<'a>) -> Written<'a> {
        Written {
            schema: self.schema,
            tool: &self.tool,
            inputs: &self.inputs,
            verdict: &self.verdict,
            phases: &self.phases,
            sessions,
            users: &self.users,
            focus: self.focus.as_ref(),
            findings: &self.findings,
            certificates: &self.certificates,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }
}

fn write_pretty<W: std::io::Write, T: Serialize>(out: W, value: &T) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Times and filters are kept as numbers and written as the schema has always had them.
    #[test]
    fn evidence_is_written_as_the_schema_says() {
        let at = 1_764_000_000_123_456_789;
        let pointer = |ts, filter| Pointer {
            input: "c.pcap".into(),
            frame: Some(7),
            line: None,
            ts,
            filter,
            note: "seen".into(),
            excerpt: None,
        };
        let json = |p| serde_json::to_string(&Evidence::new(p)).unwrap();
        assert_eq!(
            json(pointer(Stamp::utc(at), Some(Filter::Stream(3)))),
            r#"{"input":"c.pcap","frame":7,"ts":"2025-11-24T16:00:00.123456Z","filter":"tcp.stream eq 3","note":"seen"}"#
        );
        let local = Stamp {
            ns: at,
            basis: TimeBasis::LocalNoOffset,
        };
        let written = json(pointer(local, Some(Filter::Frame(7))));
        assert!(
            written.contains(r#""ts":"2025-11-24T16:00:00.123456""#),
            "{written}"
        );
        assert!(
            written.contains(r#""filter":"frame.number == 7""#),
            "{written}"
        );
        let dns = Filter::DnsName("_collab-edge._tls.example.com".into());
        assert_eq!(
            dns.to_string(),
            r#"dns.qry.name == "_collab-edge._tls.example.com""#
        );
        let e = Evidence::new(pointer(Stamp::utc(at), Some(dns)));
        assert_eq!(
            e.location(),
            r#"c.pcap frame 7 (dns.qry.name == "_collab-edge._tls.example.com")"#
        );
        assert_eq!(
            Stamp::utc(crate::time::UNKNOWN).to_string(),
            crate::time::format_ns(crate::time::UNKNOWN)
        );
    }
}
