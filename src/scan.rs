//! Batch triage: many cases in, one row each (its verdict), then counts per fault, phase,
//! Expressway host and week. What a case is follows `--case-per` ([`CasePer`]).

use crate::analyze;
use crate::logs::signatures::Catalog;
use crate::report::Report;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub case: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub client: Option<String>,
    pub domain: Option<String>,
    pub status: String,
    pub phase: Option<String>,
    pub fault: Option<String>,
    pub evidence: Option<String>,
    pub hosts: Vec<String>,
    pub error: Option<String>,
    /// Whose sign-in the verdict is about (a user, `line N`, `client IP`), when the case
    /// holds several; and how many users' latest attempts failed.
    pub user: Option<String>,
    pub failing_users: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub with_fault: usize,
    pub unreadable: usize,
    /// Cases with no capture, log or certificate in them.
    pub skipped: usize,
    pub by_fault: BTreeMap<String, usize>,
    pub by_phase: BTreeMap<String, usize>,
    pub by_host: BTreeMap<String, usize>,
    pub by_week: BTreeMap<String, usize>,
}

/// What a case is (`--case-per`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CasePer {
    /// One folder named: its entries are the cases (`scan /cases/`); several paths named:
    /// each is a case (`scan /cases/*`).
    #[default]
    Auto,
    /// Each entry of a folder named is one case: a subfolder with everything under it, or a
    /// file alone. A folder of 37 captures is 37 cases.
    Entry,
    /// Each path named is one case, a folder with everything under it.
    Path,
    /// Every file under the paths named is a case of its own.
    File,
}

/// The cases under the given paths, in name order (see [`CasePer`]); a file named is always
/// a case.
pub fn cases(paths: &[PathBuf], per: CasePer) -> Vec<PathBuf> {
    let per = match per {
        CasePer::Auto if paths.len() == 1 => CasePer::Entry,
        CasePer::Auto => CasePer::Path,
        other => other,
    };
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() || per == CasePer::Path {
            out.push(p.to_path_buf());
            continue;
        }
        if per == CasePer::File {
            out.extend(
                crate::input::expand(std::slice::from_ref(p))
                    .into_iter()
                    .map(|(f, _)| f),
            );
            continue;
        }
        match std::fs::read_dir(p) {
            Ok(entries) => {
                let mut children: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                // A link leaving the folder, a FIFO or a device is a case too: its row says
                // why it is not read.
                out.extend(children);
            }
            Err(_) => out.push(p.to_path_buf()),
        }
    }
    out
}

/// `roots`: the paths the user named; a case found inside one of them that is a link leading
/// out of it, or a FIFO or device, is a row that says so, not read.
pub fn analyze_case(
    case: &Path,
    roots: &[PathBuf],
    catalog: &Catalog,
    options: &analyze::Options,
) -> Row {
    let found_inside = roots
        .iter()
        .filter(|r| case != r.as_path() && case.starts_with(r))
        .find_map(|r| std::fs::canonicalize(r).ok());
    if let Some(root) = found_inside
        && let Some(why) = crate::input::refused_entry(case, &root)
    {
        return refused_row(case, why);
    }
    let case_path = case.to_path_buf();
    let one = std::slice::from_ref(&case_path);
    // A case the user named is read as `analyze` reads it; one found in a folder is not
    // named, so a note or script in it is not evidence.
    let decoded = if roots.iter().any(|r| r == case) {
        analyze::decode_inputs(one, catalog)
    } else {
        analyze::decode_found(one, catalog)
    };
    let readable = analyze::any_readable(&decoded);
    let errors: Vec<String> = decoded
        .iter()
        .flat_map(|d| {
            d.input
                .error
                .iter()
                .chain(&d.input.anomalies)
                .map(|e| format!("{}: {e}", d.input.path))
        })
        .collect();
    // Only captures, logs and certificate files (in archives or not) are evidence: a case of
    // scripts, notes or pictures, all read without error, is skipped, not unreadable.
    let skipped = !readable
        && decoded.iter().all(|d| {
            d.input.error.is_none()
                && !matches!(d.input.kind.as_str(), "capture" | "log" | "certificates")
        });
    let report = analyze::judge(decoded, catalog, options);
    let mut row = row(case, &report, readable, errors);
    if skipped {
        row.status = "skipped".into();
        row.error = Some(match row.error.take() {
            // One file: its own reason, which names it.
            Some(why) if !case.is_dir() => why,
            _ => "no capture, log or certificate in it".into(),
        });
    }
    row
}

fn refused_row(case: &Path, why: String) -> Row {
    Row {
        case: case.display().to_string(),
        start: None,
        end: None,
        client: None,
        domain: None,
        status: "unreadable".into(),
        phase: None,
        fault: None,
        evidence: None,
        hosts: Vec::new(),
        error: Some(format!("{}: {why}", case.display())),
        user: None,
        failing_users: 0,
    }
}

fn row(case: &Path, report: &Report, readable: bool, errors: Vec<String>) -> Row {
    let v = &report.verdict;
    // The verdict's session (a busy bundle's failing user), else the last.
    let last = v
        .session
        .and_then(|id| report.sessions.iter().find(|s| s.id == id))
        .or(report.sessions.last());
    let mut hosts: Vec<String> = report
        .inputs
        .iter()
        .filter_map(|i| i.log.as_ref())
        .flat_map(|l| l.hosts.iter().cloned())
        .collect();
    hosts.sort();
    hosts.dedup();
    // The telling piece: a log line when there is one, else the capture's last step (the
    // alert, the reset), not its first (the ClientHello).
    let telling = v
        .evidence
        .iter()
        .find(|e| e.line.is_some())
        .or(v.evidence.last());
    let evidence = telling.map(|e| match (e.frame, e.line) {
        (Some(f), _) => format!("{} frame {f}: {}", e.input, e.note),
        (None, Some(l)) => format!("{}:{l}: {}", e.input, e.note),
        _ => e.note.to_string(),
    });
    Row {
        case: case.display().to_string(),
        start: last.map(|s| s.start.clone()),
        end: last.map(|s| s.end.clone()),
        client: last.map(|s| s.client.clone()),
        domain: last.and_then(|s| s.domain.clone()),
        status: if readable {
            v.status.name().to_string()
        } else {
            "unreadable".into()
        },
        phase: v.phase.map(|p| p.name().to_string()),
        fault: v.fault.clone(),
        evidence,
        hosts,
        error: (!readable)
            .then(|| errors.join("; "))
            .filter(|e| !e.is_empty())
            .or_else(|| (!readable).then(|| "nothing readable".into())),
        user: (report.users.len() >= 2)
            .then(|| {
                last.map(|s| match (&s.user, &s.line) {
                    (Some(u), _) => u.clone(),
                    (None, Some(n)) => format!("line {n}"),
                    _ => s.client.clone(),
                })
            })
            .flatten(),
        failing_users: report.user_counts().0,
    }
}

/// What the cases analysed at once may hold, by [`case_weight`]: a case heavier than its
/// share (this over the threads) is analysed alone. Such a case takes every core by itself
/// anyway (a capture's two threads, a log's chunks, archives inflated beside their scanning),
/// and two at once would add up: four boxes' multi-user bundles hold 170 MiB, and two such
/// cases side by side peaked at 355 MiB.
const AT_ONCE: u64 = 192 << 20;

/// About what analysing a case holds at its peak, from its files' sizes on disk (nothing is
/// opened: a FIFO would block): an archive inflates to some 14 times its size, and a
/// multi-user Expressway log holds about a third of its size in hits (15 MB of `.tar.gz`:
/// 59 MiB); a capture about a sixteenth (a busy 1 GiB: 64 MiB).
fn case_weight(case: &Path) -> u64 {
    crate::input::expand(&[case.to_path_buf()])
        .iter()
        .filter(|(_, err)| err.is_none())
        .filter_map(|(f, _)| Some((f, std::fs::metadata(f).ok()?.len())))
        .map(|(f, len)| {
            let extension = f
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            match extension.as_str() {
                "gz" | "tgz" | "zip" => len * 4,
                "pcap" | "pcapng" | "cap" => len / 16,
                _ => len / 3,
            }
        })
        .sum()
}

/// The cases' turns, in order: each heavy case alone, the light ones between them together.
fn turns(heavy: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut turns = Vec::new();
    let mut start = 0;
    while start < heavy.len() {
        let end = if heavy[start] {
            start + 1
        } else {
            heavy[start..]
                .iter()
                .position(|&h| h)
                .map_or(heavy.len(), |n| start + n)
        };
        turns.push(start..end);
        start = end;
    }
    turns
}

/// Analyse every case on `jobs` threads (0: one per core), a heavy one alone (see [`AT_ONCE`]),
/// and hand each row to `emit` in case order as soon as it and every case before it are done,
/// so output streams yet stays the same whatever the thread count; a progress bar on standard
/// error when it is a terminal (and `progress` is asked for). Stops at the first error `emit`
/// returns (a closed pipe).
pub fn run(
    cases: &[PathBuf],
    roots: &[PathBuf],
    catalog: &Catalog,
    options: &analyze::Options,
    jobs: usize,
    progress: bool,
    mut emit: impl FnMut(&Row) -> std::io::Result<()>,
) -> std::io::Result<Vec<Row>> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let bar = if progress && std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(cases.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed_precise} (eta {eta})")
    {
        bar.set_style(style);
    }
    // Never more threads than cases.
    let jobs = if jobs == 0 {
        0
    } else {
        jobs.min(cases.len().max(1))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(std::io::Error::other)?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let mut rows = Vec::with_capacity(cases.len());
    let mut failure = None;
    std::thread::scope(|scope| {
        // The workers stop taking new cases once the receiver is gone (an emit error).
        scope.spawn(move || {
            pool.install(|| {
                let share = AT_ONCE / rayon::current_num_threads().max(1) as u64;
                let heavy: Vec<bool> = cases
                    .par_iter()
                    .map(|case| case_weight(case) > share)
                    .collect();
                // A send fails only once the receiver has stopped: stop too.
                let one = |sender: &mut Sender<_>, i: usize| {
                    sender
                        .send((i, analyze_case(&cases[i], roots, catalog, options)))
                        .map_err(drop)
                };
                for turn in turns(&heavy) {
                    turn.into_par_iter()
                        .try_for_each_with(sender.clone(), one)?;
                }
                Ok::<(), ()>(())
            })
        });
        let mut waiting = BTreeMap::new();
        for (i, row) in receiver {
            bar.inc(1);
            waiting.insert(i, row);
            while let Some(row) = waiting.remove(&rows.len()) {
                if let Err(e) = bar.suspend(|| emit(&row)) {
                    failure = Some(e);
                    return;
                }
                rows.push(row);
            }
        }
    });
    bar.finish_and_clear();
    match failure {
        Some(e) => Err(e),
        None => Ok(rows),
    }
}

pub fn summarize(rows: &[Row]) -> Summary {
    let mut s = Summary {
        cases: rows.len(),
        ..Default::default()
    };
    for r in rows {
        if r.status == "unreadable" {
            s.unreadable += 1;
        }
        if r.status == "skipped" {
            s.skipped += 1;
        }
        if let Some(f) = &r.fault {
            s.with_fault += 1;
            *s.by_fault.entry(f.clone()).or_default() += 1;
            if let Some(p) = &r.phase {
                *s.by_phase.entry(p.clone()).or_default() += 1;
            }
            for h in &r.hosts {
                *s.by_host.entry(h.clone()).or_default() += 1;
            }
            if let Some(week) = r.start.as_deref().and_then(iso_week) {
                *s.by_week.entry(week).or_default() += 1;
            }
        }
    }
    s
}

/// `2026-W48` for an RFC 3339 timestamp.
fn iso_week(ts: &str) -> Option<String> {
    let t: jiff::Timestamp = ts.parse().ok()?;
    let date = t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let w = date.iso_week_date();
    Some(format!("{}-W{:02}", w.year(), w.week()))
}

fn cell(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

/// A JSON Lines record: `"record"` says which kind (`case`, then one `summary` last), the
/// kind's fields follow (docs/report-schema.md).
#[derive(Serialize)]
struct Record<'a, T: Serialize> {
    record: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
}

/// Writes a scan piece by piece: a header, one row at a time, then the summary, so rows can
/// be printed while later cases are still being analysed.
pub struct Renderer {
    format: Format,
    /// The table's status column coloured (a terminal that wants it).
    colour: bool,
    /// The table's case column, from the case names known before any is analysed.
    width: usize,
}

impl Renderer {
    pub fn new(format: Format, cases: &[PathBuf]) -> Self {
        Self::with_colour(format, cases, false)
    }

    pub fn with_colour(format: Format, cases: &[PathBuf], colour: bool) -> Self {
        let width = cases
            .iter()
            .map(|c| display_width(&crate::text::safe(&c.display().to_string())))
            .max()
            .unwrap_or(4)
            .clamp(4, 60);
        Renderer {
            format,
            colour,
            width,
        }
    }

    pub fn header(&self) -> String {
        let width = self.width;
        match self.format {
            Format::Table => format!(
                "{:<width$}  {:<12}  {:<36}  {:<20}  {}\n",
                "case", "status", "fault", "start", "evidence"
            ),
            Format::Jsonl => String::new(),
            Format::Csv => {
                "case,start,end,client,domain,status,phase,fault,evidence,hosts,error,user,failing_users\n".into()
            }
        }
    }

    pub fn row(&self, r: &Row) -> String {
        match self.format {
            Format::Table => self.table_row(r),
            Format::Jsonl => {
                serde_json::to_string(&Record {
                    record: "case",
                    body: r,
                })
                .expect("row serializes")
                    + "\n"
            }
            Format::Csv => csv_row(r),
        }
    }

    pub fn footer(&self, summary: &Summary) -> String {
        match self.format {
            Format::Table => table_footer(summary),
            Format::Jsonl => {
                serde_json::to_string(&Record {
                    record: "summary",
                    body: summary,
                })
                .expect("summary serializes")
                    + "\n"
            }
            Format::Csv => String::new(),
        }
    }

    fn table_row(&self, r: &Row) -> String {
        let width = self.width;
        let fault = r
            .fault
            .clone()
            .or_else(|| r.error.clone())
            .unwrap_or_else(|| "-".into());
        let start = r
            .start
            .as_deref()
            .map(|s| s.get(..19).unwrap_or(s))
            .unwrap_or("-");
        let safe = crate::text::safe;
        // A long case name keeps its end, the part that tells cases apart.
        let case = tail_within(&safe(&r.case), width);
        format!(
            "{}  {}  {}  {}  {}\n",
            pad(&case, width),
            {
                use crate::terminal::{Tone, paint};
                let tone = match r.status.as_str() {
                    "ok" => Tone::Good,
                    "failed" => Tone::Bad,
                    "inconclusive" => Tone::Doubt,
                    _ => Tone::Faint,
                };
                // Padded first: the escapes take no columns.
                paint(self.colour, tone, &pad(&safe(&r.status), 12))
            },
            pad(&safe(&fault), 36),
            pad(&safe(start), 20),
            safe(cell(&r.evidence))
        )
    }
}

/// Columns on a terminal: a CJK character takes two, a combining mark none.
fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `width` columns (never cut).
fn pad(s: &str, width: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(s)),
    ));
    out
}

/// The end of `s` that fits in `width` columns.
fn tail_within(s: &str, width: usize) -> String {
    let mut taken = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if taken + w > width {
            break;
        }
        taken += w;
        start = i;
    }
    s[start..].to_string()
}

fn table_footer(summary: &Summary) -> String {
    let mut out = format!(
        "\n{} cases, {} with a fault, {} unreadable, {} skipped (no capture, log or certificate)\n",
        summary.cases, summary.with_fault, summary.unreadable, summary.skipped
    );
    for (title, map) in [
        ("fault", &summary.by_fault),
        ("phase", &summary.by_phase),
        ("Expressway host", &summary.by_host),
        ("week", &summary.by_week),
    ] {
        if map.is_empty() {
            continue;
        }
        out += &format!("\nby {title}:\n");
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in entries {
            out += &format!("  {n:>6}  {}\n", crate::text::safe(k));
        }
    }
    out
}

/// One CSV record (RFC 4180 by the `csv` crate, every cell quoted): an empty cell for a value
/// the case does not have, control characters escaped, and a cell that would start a
/// spreadsheet formula (`=`, `+`, `-`, `@`) neutralised.
fn csv_row(r: &Row) -> String {
    let empty = |v: &Option<String>| v.clone().unwrap_or_default();
    let cols = [
        r.case.clone(),
        empty(&r.start),
        empty(&r.end),
        empty(&r.client),
        empty(&r.domain),
        r.status.clone(),
        empty(&r.phase),
        empty(&r.fault),
        empty(&r.evidence),
        r.hosts.join(" "),
        empty(&r.error),
        empty(&r.user),
        r.failing_users.to_string(),
    ];
    let cells = cols
        .iter()
        .map(|c| crate::text::spreadsheet_safe(&crate::text::safe(c)).into_owned());
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("cells are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks() {
        assert_eq!(
            iso_week("2026-11-26T14:17:39.000000Z").as_deref(),
            Some("2026-W48")
        );
        assert_eq!(
            iso_week("2027-01-01T00:00:00Z").as_deref(),
            Some("2026-W53")
        );
        assert_eq!(iso_week("unknown"), None);
    }

    #[test]
    fn rows_are_emitted_in_case_order_and_a_failed_emit_stops_the_scan() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let cases: Vec<PathBuf> = ["tls-untrusted", "dns-refused", "happy-tls12", "tcp-reset"]
            .iter()
            .map(|n| root.join(n))
            .collect();
        let catalog = Catalog::builtin();
        let mut seen = Vec::new();
        let rows = run(&cases, &[], catalog, &Default::default(), 2, false, |r| {
            seen.push(r.case.clone());
            Ok(())
        })
        .unwrap();
        let names: Vec<String> = cases.iter().map(|c| c.display().to_string()).collect();
        assert_eq!(seen, names);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].fault.as_deref(), Some("provisioning.tls_untrusted"));

        let mut calls = 0;
        let outcome = run(&cases, &[], catalog, &Default::default(), 2, false, |_| {
            calls += 1;
            if calls == 2 {
                Err(std::io::ErrorKind::BrokenPipe.into())
            } else {
                Ok(())
            }
        });
        assert_eq!(outcome.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
        assert_eq!(calls, 2, "nothing emitted after the failure");
    }

    #[test]
    fn heavy_cases_take_their_turn_alone_and_light_ones_share_theirs() {
        let (f, t) = (false, true);
        assert_eq!(
            turns(&[f, f, t, f, t, t, f]),
            vec![0..2, 2..3, 3..4, 4..5, 5..6, 6..7]
        );
        assert_eq!(turns(&[f, f, f]), vec![0..3]);
        assert!(turns(&[]).is_empty());
    }

    #[test]
    fn a_case_weighs_what_its_files_will_hold() {
        let dir = std::env::temp_dir().join(format!("mradiag-weight-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        // Sparse files: only their sizes are read.
        for (name, len) in [
            ("diagnostic_log_expe01.tar.gz", 10 << 20),
            ("client.pcap", 160 << 20),
            ("logs/loggingsnapshot.txt", 30 << 20),
        ] {
            std::fs::File::create(dir.join(name))
                .unwrap()
                .set_len(len)
                .unwrap();
        }
        assert_eq!(case_weight(&dir), (40 + 10 + 10) << 20);
        assert_eq!(case_weight(&dir.join("client.pcap")), 10 << 20);
        // One box's bundle beside a capture is light: two such cases run side by side.
        assert!(case_weight(&dir) <= AT_ONCE / 2);
        // Four boxes' bundles are heavy: such a case runs alone.
        for other in ["expe02", "expc01", "expc02"] {
            std::fs::File::create(dir.join(format!("diagnostic_log_{other}.tar.gz")))
                .unwrap()
                .set_len(10 << 20)
                .unwrap();
        }
        assert!(case_weight(&dir) > AT_ONCE / 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn streamed_pieces_make_aligned_well_formed_output() {
        let rows: Vec<Row> = ["a", "a-much-longer-case-name"]
            .iter()
            .map(|c| Row {
                case: c.to_string(),
                start: Some("2026-11-26T14:17:39.000000Z".into()),
                end: None,
                client: None,
                domain: None,
                status: "failed".into(),
                phase: Some("sip".into()),
                fault: Some("sip.register_rejected".into()),
                evidence: None,
                hosts: vec![],
                error: None,
                user: None,
                failing_users: 0,
            })
            .collect();
        let summary = summarize(&rows);
        let cases: Vec<PathBuf> = rows.iter().map(|r| PathBuf::from(&r.case)).collect();
        let streamed = |format| {
            let renderer = Renderer::new(format, &cases);
            renderer.header()
                + &rows.iter().map(|r| renderer.row(r)).collect::<String>()
                + &renderer.footer(&summary)
        };
        // The case column is as wide as the longest case name, known before any row.
        let table = streamed(Format::Table);
        let lines: Vec<&str> = table.lines().collect();
        let status_at = lines[0].find("status").unwrap();
        assert_eq!(status_at, "a-much-longer-case-name".len() + 2);
        for row in &lines[1..3] {
            assert_eq!(row.find("failed"), Some(status_at), "{table}");
        }
        assert!(
            table.contains("2 cases, 2 with a fault, 0 unreadable"),
            "{table}"
        );
        let jsonl = streamed(Format::Jsonl);
        let objects: Vec<serde_json::Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[1]["case"], "a-much-longer-case-name");
        assert_eq!(objects[0]["record"], "case");
        assert_eq!(objects[2]["record"], "summary");
        assert_eq!(objects[2]["cases"], 2);
        let csv = streamed(Format::Csv);
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.starts_with("case,start,end,"), "{csv}");
    }

    #[test]
    fn table_columns_line_up_by_display_width() {
        // Two columns per CJK character, none for a combining accent.
        assert_eq!(display_width("東京"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(pad("東京", 6), "東京  ");
        assert_eq!(tail_within("ab東京", 5), "b東京");
        assert_eq!(tail_within("ab東京", 4), "東京");
        let cases: Vec<PathBuf> = ["東京-case", "plain-case"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let r = Renderer::new(Format::Table, &cases);
        let row = |case: &str| Row {
            case: case.into(),
            start: None,
            end: None,
            client: None,
            domain: None,
            status: "ok".into(),
            phase: None,
            fault: None,
            evidence: None,
            hosts: vec![],
            error: None,
            user: None,
            failing_users: 0,
        };
        let column = |line: String| {
            let at = line.find("ok").unwrap();
            display_width(&line[..at])
        };
        assert_eq!(
            column(r.row(&row("東京-case"))),
            column(r.row(&row("plain-case")))
        );
    }

    #[test]
    fn csv_quotes_everything() {
        let row = Row {
            case: "a,\"b\"".into(),
            start: None,
            end: None,
            client: None,
            domain: None,
            status: "ok".into(),
            phase: None,
            fault: None,
            evidence: None,
            hosts: vec![],
            error: None,
            user: None,
            failing_users: 0,
        };
        assert!(
            Renderer::new(Format::Csv, &[])
                .row(&row)
                .starts_with("\"a,\"\"b\"\"\"")
        );
    }
}
