//! The pipeline: inputs → decode (in parallel, one task per file; archives walked in place,
//! nothing extracted to disk) → judge → one `Report`.

use crate::input::{self, Kind, SNIFF_LEN};
use crate::logs::signatures::Catalog;
use crate::model::Tagged;
use crate::model::{Event, EventKind};
use crate::mra;
use crate::proto::keylog::KeyLog;
use crate::report::{InputReport, Ladders, Report, SCHEMA, Tool};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Past this many inflated bytes, a stream that inflates more than `limits::get().inflate_ratio`
/// times its compressed size is given up as a bomb (logs compress 10–30×; deflate tops out
/// near 1000×). The other bounds on archives are in `limits`.
const RATIO_FLOOR: u64 = 256 << 20;
const BUFFER: usize = 1 << 16;

pub use crate::decoded::Decoded;

/// What decoding an input needs besides its bytes.
struct With<'a> {
    catalog: &'a Catalog,
    /// TLS secrets, for the captures' connections they cover.
    keys: Option<Arc<KeyLog>>,
    /// Bytes inflated so far in this run, every gzip stream and zip member together: a
    /// fan-out of archives in archives stops at one budget, not one per member.
    inflated: AtomicU64,
    /// Bytes of archive members held in memory now, every level of nesting together.
    held: AtomicU64,
}

impl<'a> With<'a> {
    fn new(catalog: &'a Catalog, keys: Option<Arc<KeyLog>>) -> Self {
        With {
            catalog,
            keys,
            inflated: AtomicU64::new(0),
            held: AtomicU64::new(0),
        }
    }
}

/// A member read into memory, counted in the run's bytes held until it is dropped.
struct Member<'a> {
    bytes: Vec<u8>,
    held: &'a AtomicU64,
}

impl AsRef<[u8]> for Member<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Member<'_> {
    fn drop(&mut self) {
        self.held
            .fetch_sub(self.bytes.len() as u64, Ordering::Relaxed);
    }
}

/// Decode every input; results come back in input order whatever the thread count.
pub fn decode_inputs(paths: &[PathBuf], catalog: &Catalog) -> Vec<Decoded> {
    decode_inputs_with_keys(paths, &[], catalog)
}

/// [`decode_inputs`], with TLS key logs: those named (`--keylog`) and those among the inputs
/// (recognised by content) are read first, and the captures' TLS connections they have
/// secrets for are decrypted.
pub fn decode_inputs_with_keys(
    paths: &[PathBuf],
    keylogs: &[PathBuf],
    catalog: &Catalog,
) -> Vec<Decoded> {
    decode_paths(paths, keylogs, catalog, true)
}

/// [`decode_inputs`] for paths found in a folder rather than named by the user (a `scan`
/// case): a text in them counts as evidence only when it is a log.
pub fn decode_found(paths: &[PathBuf], catalog: &Catalog) -> Vec<Decoded> {
    decode_paths(paths, &[], catalog, false)
}

fn decode_paths(
    paths: &[PathBuf],
    keylogs: &[PathBuf],
    catalog: &Catalog,
    named_by_user: bool,
) -> Vec<Decoded> {
    let files = input::expand(paths);
    let mut keys = KeyLog::default();
    let mut read_first: Vec<Option<Decoded>> = files
        .iter()
        .map(|(path, err)| (err.is_none() && is_keylog(path)).then(|| read_keylog(path, &mut keys)))
        .collect();
    let named: Vec<Decoded> = keylogs.iter().map(|p| read_keylog(p, &mut keys)).collect();
    let with = With::new(catalog, (!keys.is_empty()).then(|| Arc::new(keys)));
    let given: std::collections::HashSet<String> = paths
        .iter()
        .filter(|_| named_by_user)
        .map(|p| p.display().to_string())
        .collect();
    let per_file: Vec<Vec<Decoded>> = files
        .par_iter()
        .zip(read_first.par_iter_mut())
        .map(|((path, err), first)| {
            let display = path.display().to_string();
            match first.take() {
                Some(keylog) => vec![keylog],
                // A document or a short note found beside the inputs is set aside without
                // a scan: the scan would only be thrown away, and its first text would build
                // the catalog's matchers (a case folder's README tripled a run's time).
                None if err.is_none()
                    && !given.contains(&display)
                    && let Some(why) = not_a_log_unread(path, &display) =>
                {
                    let mut d = report_only(&display, "text", None);
                    d.input
                        .anomalies
                        .push(format!("{why}: not read as evidence"));
                    vec![d]
                }
                None => decode_file(path, err.clone(), &with),
            }
        })
        .collect();
    let mut out: Vec<Decoded> = per_file.into_iter().flatten().chain(named).collect();
    for d in out.iter_mut().filter(|d| !given.contains(&d.input.path)) {
        set_aside_if_not_evidence(d);
    }
    out
}

/// Names of documents and scripts, which no Expressway or Jabber writes: a README quoting a
/// failure line, found beside a case's inputs, is not that failure.
const NOT_LOGS: &[&str] = &[
    "md", "markdown", "rst", "adoc", "py", "sh", "bash", "ps1", "bat", "cmd", "rs", "go", "js",
    "ts", "rb", "pl", "toml", "yaml", "yml", "json", "html", "htm", "css", "csv", "tsv",
];

/// A text found in a folder or an archive (not named by the user) counts as evidence only when
/// it is a log: an Expressway or Jabber header in it, or a configuration dump, and a name that
/// is not a document's or a script's. Otherwise its hits are dropped and the report says why;
/// a text named on the command line is always searched (a TAC-style paste).
fn set_aside_if_not_evidence(d: &mut Decoded) {
    let Some(info) = &d.input.log else {
        return;
    };
    let why = if let Some(why) = document_by_name(&d.input.path) {
        why
    } else if info.grammar == crate::logs::grammar::Grammar::Text {
        NO_HEADER.to_string()
    } else {
        return;
    };
    d.input.kind = "text".into();
    d.input.log = None;
    d.input.events = 0;
    d.events.clear();
    d.input
        .anomalies
        .push(format!("{why}: not read as evidence"));
}

/// Why a file (or archive member) is a document or a script by its name, if it is one.
fn document_by_name(path: &str) -> Option<String> {
    let file = path.rsplit(['/', ':']).next().unwrap_or_default();
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    NOT_LOGS
        .contains(&extension.as_str())
        .then(|| format!("a document or script by its name (.{extension})"))
}

/// Why a file found beside the inputs is no log, when that is known without scanning it:
/// a text named as a document or a script, or a text short enough to be judged whole by
/// its first lines (what `set_aside_if_not_evidence` would say after the scan).
fn not_a_log_unread(path: &Path, display: &str) -> Option<String> {
    // One open: the head first, the rest of a short text only when its name says nothing.
    let mut file = File::open(path).ok()?;
    let mut text = Vec::new();
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut text)
        .ok()?;
    if input::sniff(&text) != Kind::Text {
        return None;
    }
    if let Some(why) = document_by_name(display) {
        return Some(why);
    }
    file.take((crate::logs::SHORT_TEXT + 1 - text.len()) as u64)
        .read_to_end(&mut text)
        .ok()?;
    crate::logs::is_short_headerless_text(&text).then(|| NO_HEADER.to_string())
}

const NO_HEADER: &str = "no Expressway or Jabber log header in it";

/// A key log among the inputs: a regular file whose first entry is one.
fn is_keylog(path: &Path) -> bool {
    head_of(path).is_some_and(|head| {
        input::sniff(&head) == Kind::Text && crate::proto::keylog::looks_like_keylog(&head)
    })
}

/// A file's first bytes (as many as sniffing reads), `None` when it cannot be opened.
fn head_of(path: &Path) -> Option<Vec<u8>> {
    let mut head = vec![0u8; SNIFF_LEN];
    let n = File::open(path).ok()?.read(&mut head).unwrap_or(0);
    head.truncate(n);
    Some(head)
}

/// Read a key log into `keys`; its report says how many handshakes it has secrets for, and
/// which lines are not entries.
fn read_keylog(path: &Path, keys: &mut KeyLog) -> Decoded {
    const MAX_KEYLOG: u64 = 256 << 20;
    let display = path.display().to_string();
    let mut text = Vec::new();
    let read = File::open(path).and_then(|f| f.take(MAX_KEYLOG).read_to_end(&mut text));
    if let Err(e) = read {
        return report_only(&display, "key log", Some(format!("cannot read: {e}")));
    }
    let mut log = KeyLog::default();
    let bad = log.add_text(&String::from_utf8_lossy(&text));
    let mut decoded = report_only(&display, "key log", None);
    decoded.input.secrets = Some(log.len());
    const SHOWN: usize = 10;
    decoded.input.anomalies = bad
        .iter()
        .take(SHOWN)
        .map(|b| format!("line {}: {}", b.line, b.reason))
        .collect();
    if bad.len() > SHOWN {
        decoded.input.anomalies.push(format!(
            "{} more lines that are not entries",
            bad.len() - SHOWN
        ));
    }
    if log.is_empty() {
        decoded.input.error = Some("no TLS secret in it".into());
    }
    keys.merge(log);
    decoded
}

fn report_only(path: &str, kind: &str, error: Option<String>) -> Decoded {
    Decoded {
        input: InputReport {
            path: path.into(),
            kind: kind.into(),
            capture: None,
            log: None,
            events: 0,
            secrets: None,
            anomalies: Vec::new(),
            error,
        },
        events: Vec::new(),
    }
}

fn decode_file(path: &Path, err: Option<String>, with: &With<'_>) -> Vec<Decoded> {
    let display = path.display().to_string();
    if let Some(e) = err {
        return vec![report_only(&display, "unreadable", Some(e))];
    }
    if path == Path::new("-") {
        return decode_source("(stdin)".into(), std::io::stdin(), None, with);
    }
    match File::open(path) {
        Ok(f) => match map_log(&f) {
            Some(map) => {
                // Pages already decoded go back to the page cache: memory stays flat. Only the
                // pages since the last call: the kernel walks every page of the range it is
                // given, given back already or not (256 calls over up to 4 GiB).
                let released = std::sync::atomic::AtomicUsize::new(0);
                let release = |upto: usize| {
                    let Some((from, len)) = newly_released(&released, upto) else {
                        return;
                    };
                    // SAFETY: a private read-only file map; the decoder no longer looks below
                    // `upto`, and a later read would fault the same bytes back from the file.
                    let _ = unsafe {
                        map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, len)
                    };
                };
                vec![log(
                    display,
                    crate::logs::decode_slice(&map, Some(&release), with.catalog),
                )]
            }
            None => {
                let size = f.metadata().ok().map(|m| m.len());
                decode_source(display, f, size, with)
            }
        },
        Err(e) => vec![report_only(
            &display,
            "unreadable",
            Some(format!("cannot open: {e}")),
        )],
    }
}

/// The bytes to give back when the first `upto` are done with: from where the last release
/// stopped (`released`), none when nothing is new.
fn newly_released(
    released: &std::sync::atomic::AtomicUsize,
    upto: usize,
) -> Option<(usize, usize)> {
    let from = released.fetch_max(upto, std::sync::atomic::Ordering::Relaxed);
    (upto > from).then(|| (from, upto - from))
}

/// A log on disk, memory-mapped: scanned in place, its chunks on every core, without a copy.
/// Anything else (a capture, an archive, not a regular file, a map that fails) is read as a
/// stream. A capture is read, not mapped: mapped, it was no faster (a busy 100 MiB capture
/// 58.3 against 59.4 ms read, 1 GiB 0.52 against 0.53 s, interleaved medians: the copy `read`
/// saves comes back as faults and as the layering moved to the reading thread), and a map
/// faults (SIGBUS) when `tcpdump -C -W` truncates the oldest file of its ring under it.
fn map_log(file: &File) -> Option<memmap2::Mmap> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < 4 {
        return None;
    }
    // SAFETY: the map is read-only and private to this process. If another process truncates
    // the file while it is mapped, reads past the new end fault (SIGBUS), as with ripgrep's
    // maps; logs handed to mradiag are not being written.
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    let kind = input::sniff(&map[..map.len().min(SNIFF_LEN)]);
    (kind == Kind::Text).then_some(map)
}

/// A top-level source: a capture streams from it (memory stays flat whatever its size); a
/// zip is buffered (it needs to seek); anything else goes through `decode_stream`.
/// `size`, when known, decides whether a capture is worth a second thread.
fn decode_source<R: Read + Send>(
    display: String,
    source: R,
    size: Option<u64>,
    with: &With<'_>,
) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut reader = BufReader::with_capacity(BUFFER, source);
    let kind = match peek(&mut reader) {
        Ok(head) => input::sniff(head),
        Err(e) => {
            return vec![report_only(
                &display,
                "unreadable",
                Some(format!("read error: {e}")),
            )];
        }
    };
    match kind {
        Kind::Pcap | Kind::Pcapng => out.push(capture_decoded(
            display,
            crate::capture::decode_sized(reader, size, with.keys.clone()),
        )),
        Kind::Zip => match read_member(&mut reader, with) {
            Ok(bytes) => zip(&display, Cursor::new(bytes), 0, with, &mut out),
            Err(e) => out.push(report_only(&display, "archive", Some(e))),
        },
        _ => decode_stream(display, &mut reader, 0, with, &mut out),
    }
    out
}

/// Decode bytes already in memory (an archive, a capture, a log) as if read from a file
/// named `name`: the entry point for fuzzing the whole input layer.
pub fn decode_bytes(name: &str, bytes: &[u8], catalog: &Catalog) -> Vec<Decoded> {
    let with = With::new(catalog, None);
    let with = &with;
    let mut out = Vec::new();
    let mut reader = BufReader::with_capacity(BUFFER, bytes);
    decode_stream(name.to_string(), &mut reader, 0, with, &mut out);
    out
}

/// Fill the buffer up to `SNIFF_LEN` bytes (or the end) and return them.
fn peek(r: &mut dyn BufRead) -> std::io::Result<&[u8]> {
    // BufReader hands out what one read returned; decompressors may return little at first.
    let buf = r.fill_buf()?;
    Ok(&buf[..buf.len().min(SNIFF_LEN)])
}

fn capture_decoded(name: String, decoded: crate::capture::Decoded) -> Decoded {
    let anomalies = decoded
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Anomaly {
                what,
                detail,
                offset,
                ..
            } if matches!(
                what.as_str(),
                "capture_file"
                    | "snaplen_truncation"
                    | "unsupported_link_type"
                    | "flow_limit"
                    | "event_limit"
                    | "ip_fragments"
            ) =>
            {
                Some(match offset {
                    Some(o) => format!("{detail} (at byte offset {o})"),
                    None => detail.clone(),
                })
            }
            _ => None,
        })
        .collect();
    Decoded {
        input: InputReport {
            path: name,
            kind: "capture".into(),
            events: decoded.events.len(),
            secrets: None,
            capture: Some(decoded.info),
            log: None,
            anomalies,
            error: None,
        },
        events: decoded.events,
    }
}

/// Read a whole member into memory, refusing one larger than the limit on members, or one
/// that would take the bytes held at once (nested archives each holding theirs) past their
/// limit.
fn read_member<'w>(reader: &mut dyn Read, with: &'w With<'_>) -> Result<Member<'w>, String> {
    let limits = crate::limits::get();
    let max_member = limits.member_bytes;
    let room = limits
        .held_bytes
        .saturating_sub(with.held.load(Ordering::Relaxed));
    let cap = max_member.min(room);
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read error after {} bytes: {e}", bytes.len()))?;
    if bytes.len() as u64 > cap {
        return Err(if cap == max_member {
            format!("larger than {}; not read", crate::limits::size(max_member))
        } else {
            format!(
                "not read: with the members already held (archives within archives) it would pass {} in memory",
                crate::limits::size(limits.held_bytes)
            )
        });
    }
    with.held.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    Ok(Member {
        bytes,
        held: &with.held,
    })
}

/// Decode whatever `reader` holds, recursing into gzip, tar and zip.
fn decode_stream(
    name: String,
    reader: &mut dyn BufRead,
    depth: usize,
    with: &With<'_>,
    out: &mut Vec<Decoded>,
) {
    let kind = match peek(reader) {
        Ok(head) => input::sniff(head),
        Err(e) => {
            return out.push(report_only(
                &name,
                "unreadable",
                Some(format!("read error: {e}")),
            ));
        }
    };
    let max_depth = crate::limits::get().nesting;
    if depth > max_depth && matches!(kind, Kind::Gzip | Kind::Tar | Kind::Zip) {
        return out.push(report_only(
            &name,
            "archive",
            Some(format!(
                "archives nested deeper than {max_depth}; not opened"
            )),
        ));
    }
    match kind {
        Kind::Pcap | Kind::Pcapng => match read_member(reader, with) {
            // Archive members are buffered (bounded), then decoded in place.
            Ok(bytes) => out.push(capture_decoded(
                name,
                crate::capture::decode_slice_with_keys(bytes.as_ref(), None, with.keys.clone()),
            )),
            Err(e) => out.push(report_only(&name, "capture", Some(e))),
        },
        Kind::Gzip => {
            // The file's own name stays (`bundle.tar.gz:member`): the name a user can find.
            let inner = name;
            let compressed = std::rc::Rc::new(std::cell::Cell::new(0));
            let counted = Counted {
                inner: reader,
                count: compressed.clone(),
            };
            let inflated = BombGuard::new(
                flate2::bufread::MultiGzDecoder::new(counted),
                compressed,
                &with.inflated,
            );
            decode_guarded(inner, inflated, depth + 1, with, out);
        }
        Kind::Tar => tar(&name, reader, depth, with, out),
        Kind::Zip => match read_member(reader, with) {
            Ok(bytes) => zip(&name, Cursor::new(bytes), depth, with, out),
            Err(e) => out.push(report_only(&name, "archive", Some(e))),
        },
        Kind::Text => match crate::logs::decode_reader(reader, with.catalog) {
            Ok(decoded) => out.push(log(name, decoded)),
            Err(e) => out.push(report_only(&name, "log", Some(format!("read error: {e}")))),
        },
        Kind::Pem => match read_member(reader, with) {
            Ok(bytes) => {
                let certs: Vec<_> = crate::certs::parse_certificates(bytes.as_ref())
                    .iter()
                    .map(|d| std::sync::Arc::new(crate::proto::x509::summarize(d).0))
                    .collect();
                if certs.is_empty() {
                    let mut d = report_only(&name, "pem", None);
                    d.input.anomalies.push(
                        "no certificate in it (a private key, or another PEM block): not read"
                            .into(),
                    );
                    return out.push(d);
                }
                let mut d = report_only(&name, "certificates", None);
                d.input.events = 1;
                d.events.push(Event {
                    frame: 0,
                    ts: crate::time::UNKNOWN,
                    kind: EventKind::CertificateFile { certs },
                });
                out.push(d);
            }
            Err(e) => out.push(report_only(&name, "certificates", Some(e))),
        },
        Kind::Unknown => {
            let mut d = report_only(&name, "unrecognized", None);
            let seen =
                peek(reader).map_or_else(|e| format!("read error: {e}"), input::describe_unknown);
            d.input.anomalies.push(seen);
            out.push(d);
        }
    }
}

fn log(name: String, decoded: crate::logs::Decoded) -> Decoded {
    Decoded {
        input: InputReport {
            path: name,
            kind: "log".into(),
            events: decoded.events.len(),
            secrets: None,
            capture: None,
            log: Some(decoded.info),
            anomalies: decoded.anomalies,
            error: None,
        },
        events: decoded.events,
    }
}

/// The longest GNU long name or pax extended header read (a real path is at most 4 KiB; a
/// 1 GiB "name" is an attack on memory, skipped as a stream instead of being held).
const MAX_TAR_EXTENSION: u64 = 64 << 10;

fn tar(
    name: &str,
    reader: &mut dyn BufRead,
    depth: usize,
    with: &With<'_>,
    out: &mut Vec<Decoded>,
) {
    let mut archive = tar::Archive::new(reader);
    // Raw entries: the long-name and pax entries come to us, bounded, instead of being read
    // whole by the tar crate.
    let entries = match archive.entries() {
        Ok(e) => e.raw(true),
        Err(e) => {
            return out.push(report_only(
                name,
                "archive",
                Some(format!("not a readable tar: {e}")),
            ));
        }
    };
    let max_members = crate::limits::get().members;
    // The name a GNU long-name entry or a pax `path` record gives the next member.
    let mut next_name: Option<String> = None;
    for (i, entry) in entries.enumerate() {
        if i == max_members {
            out.push(report_only(
                name,
                "archive",
                Some(format!(
                    "more than {max_members} members: the first {max_members} were read, not the rest"
                )),
            ));
            break;
        }
        match entry {
            Ok(mut entry) => {
                let kind = entry.header().entry_type();
                if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
                    let size = entry.size();
                    if size > MAX_TAR_EXTENSION {
                        out.push(report_only(
                            name,
                            "archive",
                            Some(format!(
                                "tar entry {i}: a long name or extended header of {}; skipped, not read (the next member keeps its short name)",
                                crate::limits::size(size)
                            )),
                        ));
                        next_name = None;
                        continue;
                    }
                    let mut text = Vec::new();
                    if entry.read_to_end(&mut text).is_err() {
                        next_name = None;
                        continue;
                    }
                    next_name = if kind.is_gnu_longname() {
                        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
                        Some(String::from_utf8_lossy(&text[..end]).into_owned())
                    } else {
                        pax_path(&text)
                    };
                    continue;
                }
                if !kind.is_file() {
                    next_name = None;
                    continue;
                }
                let member = next_name.take().unwrap_or_else(|| {
                    entry
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| format!("member {i}"))
                });
                let mut r = BufReader::with_capacity(BUFFER, &mut entry);
                decode_stream(format!("{name}:{member}"), &mut r, depth + 1, with, out);
            }
            Err(e) => {
                out.push(report_only(
                    name,
                    "archive",
                    Some(format!(
                        "tar member {i} cannot be read ({e}); the members before it were read"
                    )),
                ));
                break;
            }
        }
    }
}

/// The `path` record of a pax extended header (`"27 path=some/long/name.log\n"`).
fn pax_path(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    text.lines().find_map(|record| {
        let (_, kv) = record.split_once(' ')?;
        kv.strip_prefix("path=").map(str::to_string)
    })
}

fn zip<R: Read + std::io::Seek>(
    name: &str,
    reader: R,
    depth: usize,
    with: &With<'_>,
    out: &mut Vec<Decoded>,
) {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            return out.push(report_only(
                name,
                "archive",
                Some(format!("not a readable zip: {e}")),
            ));
        }
    };
    let max_members = crate::limits::get().members;
    if archive.len() > max_members {
        out.push(report_only(
            name,
            "archive",
            Some(format!(
                "{} members, more than {max_members}: the first {max_members} were read, not the rest",
                archive.len()
            )),
        ));
    }
    // Members whose entries point at the same data (a zip bomb's ten thousand names for one
    // huge member) are read once.
    let mut data_seen = std::collections::HashSet::new();
    let mut same_data = 0usize;
    for i in 0..archive.len().min(max_members) {
        match archive.by_index(i) {
            Ok(file) if file.is_file() && !data_seen.insert(file.header_start()) => {
                same_data += 1;
            }
            Ok(file) if file.is_file() => {
                let member = match file.name() {
                    Ok(n) => format!("{name}:{n}"),
                    Err(_) => format!("{name}:member {i}"),
                };
                let compressed = std::rc::Rc::new(std::cell::Cell::new(file.compressed_size()));
                decode_guarded(
                    member,
                    BombGuard::new(file, compressed, &with.inflated),
                    depth + 1,
                    with,
                    out,
                );
            }
            Ok(_) => {}
            Err(e) => out.push(report_only(
                name,
                "archive",
                Some(format!("zip member {i} cannot be read: {e}")),
            )),
        }
    }
    if same_data > 0 {
        out.push(report_only(
            name,
            "archive",
            Some(format!(
                "{same_data} members point at data an earlier member already holds (overlapping entries, as in a zip bomb); each was read once"
            )),
        ));
    }
}

/// Decode inflated bytes behind their bomb guard; a guard that tripped is named after them.
fn decode_guarded<R: Read>(
    name: String,
    inflated: BombGuard<'_, R>,
    depth: usize,
    with: &With<'_>,
    out: &mut Vec<Decoded>,
) {
    let mut reader = BufReader::with_capacity(BUFFER, inflated);
    decode_stream(name.clone(), &mut reader, depth, with, out);
    if let Some(why) = reader.into_inner().tripped {
        out.push(report_only(&name, "archive", Some(why)));
    }
}

/// A reader that counts the bytes its consumer takes (a decompressor's input).
struct Counted<'a> {
    inner: &'a mut dyn BufRead,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl BufRead for Counted<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.set(self.count.get() + n as u64);
        self.inner.consume(n);
    }
}

/// Inflated bytes, cut off (an end of file to the decoder reading them) when there are more
/// than the limit, or more than the limit's ratio times the compressed bytes behind them past
/// [`RATIO_FLOOR`]; `tripped` then says why, for the report.
struct BombGuard<'r, R> {
    inner: R,
    compressed: std::rc::Rc<std::cell::Cell<u64>>,
    inflated: u64,
    /// The run's bytes inflated, every stream together.
    run: &'r AtomicU64,
    tripped: Option<String>,
}

impl<'r, R> BombGuard<'r, R> {
    fn new(inner: R, compressed: std::rc::Rc<std::cell::Cell<u64>>, run: &'r AtomicU64) -> Self {
        BombGuard {
            inner,
            compressed,
            inflated: 0,
            run,
            tripped: None,
        }
    }
}

impl<R: Read> Read for BombGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.tripped.is_some() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        let in_run = self.run.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        let compressed = self.compressed.get().max(1);
        let limits = crate::limits::get();
        let ratio = limits.inflate_ratio;
        if in_run > limits.inflated_bytes {
            self.tripped = Some(format!(
                "stopped: more than {} inflated in this run, every archive together (a decompression bomb?); what came before was read",
                crate::limits::size(limits.inflated_bytes)
            ));
        } else if self.inflated > RATIO_FLOOR && self.inflated > ratio.saturating_mul(compressed) {
            self.tripped = Some(format!(
                "stopped: {} inflated from {}, more than {ratio} times (a decompression bomb?); what came before was read",
                crate::limits::size(self.inflated),
                crate::limits::size(compressed)
            ));
        }
        Ok(if self.tripped.is_some() { 0 } else { n })
    }
}

/// Read local times without an offset (Jabber logs) in `tz`: their lines can then be placed
/// beside a capture's.
pub fn apply_timezone(decoded: &mut [Decoded], tz: &jiff::tz::TimeZone) {
    use crate::logs::grammar::{TimeBasis, localize};
    for d in decoded {
        if let Some(info) = &mut d.input.log
            && info.time_basis == TimeBasis::LocalNoOffset
        {
            info.first_ts = info.first_ts.and_then(|t| localize(t, tz));
            info.last_ts = info.last_ts.and_then(|t| localize(t, tz));
            info.time_basis = TimeBasis::LocalInZone;
            info.zone = Some(tz.iana_name().map_or_else(
                || {
                    let at = jiff::Timestamp::from_nanosecond(info.first_ts.unwrap_or(0).into())
                        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                    crate::align::zone_name(i64::from(tz.to_offset(at).seconds()) * 1_000_000_000)
                },
                str::to_string,
            ));
        }
        for e in &mut d.events {
            if let EventKind::LogSignature { time_basis, .. } = &mut e.kind
                && *time_basis == TimeBasis::LocalNoOffset
                && let Some(ts) = localize(e.ts, tz)
            {
                e.ts = ts;
                *time_basis = TimeBasis::LocalInZone;
            }
        }
    }
}

/// Place local log times in UTC: in `--tz`'s zone when given, else in the zone the events a
/// log shares with the captures show (said in the findings returned).
pub fn place_times(decoded: &mut [Decoded], options: &Options) -> Vec<crate::report::Finding> {
    if let Some(tz) = &options.tz {
        apply_timezone(decoded, tz);
    }
    crate::align::align_local_logs(decoded)
}

/// Place the inputs' times, then judge them: what `analyze` does after decoding. Every
/// session's ladder is drawn, unless `options.skip_ladders`.
pub fn judge(decoded: Vec<Decoded>, catalog: &Catalog, options: &Options) -> Report {
    judge_then(decoded, catalog, options, |mut report, ladders| {
        if !options.skip_ladders {
            report.sessions.par_iter_mut().for_each(|s| ladders.draw(s));
        }
        report
    })
}

/// Place the inputs' times and judge them into the report, with no ladder drawn, and hand
/// it to `then` with what draws them (nothing when `options.skip_ladders`): a report written
/// as its ladders are drawn holds a batch of them at a time (`Report::write_json_drawing`),
/// and HTML draws only the sessions it shows.
pub fn judge_then<R>(
    mut decoded: Vec<Decoded>,
    catalog: &Catalog,
    options: &Options,
    then: impl FnOnce(Report, &dyn Ladders) -> R,
) -> R {
    let mut notes = place_times(&mut decoded, options);
    let mut trust = options.trust.clone();
    let mut focus = crate::mra::FocusSpec {
        users: options.users.clone(),
        skip_ladders: options.skip_ladders,
        ..Default::default()
    };
    if let Some(moment) = &options.at {
        let first = decoded.iter().filter_map(|d| earliest_time(&d.input)).min();
        // No --tz: a local time is read in the zone the Expressways write their headers in,
        // when they agree (a ticket's "09:50" is the customer's time, as is the boxes').
        let boxes_zone = options
            .tz
            .is_none()
            .then(|| expressway_offset(&decoded))
            .flatten();
        let zone = options
            .tz
            .clone()
            .or_else(|| boxes_zone.clone().map(|(tz, _)| tz));
        match moment.resolve(zone.as_ref(), first) {
            Ok(crate::time::Resolved { at, until, note }) => {
                // The ticket's moment is also the time certificate files are judged at.
                trust.at = Some(at);
                focus.at = Some(at);
                focus.until = Some(until);
                focus.at_note = match (note, &boxes_zone) {
                    (Some(_), Some((_, name)))
                        if !matches!(moment, crate::time::Moment::Instant(_)) =>
                    {
                        Some(format!(
                            "{}read in {name}, the Expressway logs' zone: give --tz to choose{}",
                            match moment {
                                crate::time::Moment::Day(d) => format!("the whole day {d}, "),
                                _ => String::new(),
                            },
                            if matches!(moment, crate::time::Moment::TimeOfDay(_)) {
                                ", on the inputs' first day"
                            } else {
                                ""
                            }
                        ))
                    }
                    (note, _) => note,
                };
            }
            Err(e) => notes.push(crate::report::Finding {
                severity: crate::report::Severity::Warning,
                id: "focus.at_unresolved".into(),
                phase: crate::faults::Phase::Discovery,
                summary: format!("--at not applied: {e}"),
                evidence: Vec::new(),
            }),
        }
    }
    report_then(
        decoded,
        catalog,
        &trust,
        &focus,
        &options.edges,
        notes,
        then,
    )
}

/// The one UTC offset every Expressway log writes its headers in, as a zone and its name
/// (`UTC-03:00`); none when they disagree or none is known.
fn expressway_offset(decoded: &[Decoded]) -> Option<(jiff::tz::TimeZone, String)> {
    let mut offsets = decoded
        .iter()
        .filter_map(|d| d.input.log.as_ref())
        .filter(|l| l.grammar == crate::logs::grammar::Grammar::Expressway)
        .filter_map(|l| l.utc_offset_min);
    let first = offsets.next()?;
    if offsets.any(|o| o != first) {
        return None;
    }
    let offset = jiff::tz::Offset::from_seconds(first * 60).ok()?;
    let sign = if first < 0 { '-' } else { '+' };
    Some((
        jiff::tz::TimeZone::fixed(offset),
        format!("UTC{sign}{:02}:{:02}", first.abs() / 60, first.abs() % 60),
    ))
}

/// The earliest time an input shows in UTC.
fn earliest_time(i: &InputReport) -> Option<i64> {
    match (&i.capture, &i.log) {
        (Some(c), _) => c.first_ts,
        (None, Some(l)) if l.time_basis.is_utc() => l.first_ts,
        _ => None,
    }
}

/// What certificates are judged against: the user's trust anchors (DER) and `--at`.
#[derive(Default, Clone)]
pub struct Trust {
    pub ca: Vec<Vec<u8>>,
    /// The time to judge certificate files at (ns since the epoch), instead of the inputs'.
    pub at: Option<i64>,
}

/// How a case is judged besides its inputs: `--tz`, the trust settings, and the focus a
/// ticket gives (`--user`, `--at`).
#[derive(Default, Clone)]
pub struct Options {
    pub tz: Option<jiff::tz::TimeZone>,
    pub trust: Trust,
    pub users: Vec<String>,
    /// The ticket's moment; also the time certificate files are judged at.
    pub at: Option<crate::time::Moment>,
    /// Expressway-E's names or addresses (`--edge`), for captures without discovery.
    pub edges: Vec<crate::mra::EdgeSpec>,
    /// The chosen output draws no ladder (text, the verdict line, a scan's rows): `judge`
    /// draws none.
    pub skip_ladders: bool,
}

/// The latest time an input shows in UTC: a capture's last frame, a log's last line when
/// its times carry an offset.
fn latest_time(i: &InputReport) -> Option<i64> {
    match (&i.capture, &i.log) {
        (Some(c), _) => c.last_ts,
        (None, Some(l)) if l.time_basis.is_utc() => l.last_ts,
        _ => None,
    }
}

/// Judge decoded inputs into the report, handed to `then` with what draws its ladders.
/// `notes`: findings about the inputs themselves (how their times were placed), listed first.
fn report_then<R>(
    decoded: Vec<Decoded>,
    catalog: &Catalog,
    trust: &Trust,
    focus: &crate::mra::FocusSpec,
    edges: &[crate::mra::EdgeSpec],
    notes: Vec<crate::report::Finding>,
    then: impl FnOnce(Report, &dyn Ladders) -> R,
) -> R {
    let names: Vec<String> = decoded.iter().map(|d| d.input.path.clone()).collect();
    let (inputs, tagged) = tag_all(decoded);
    let anchors = crate::certs::anchor_sets(&tagged, &trust.ca);
    let latest: Vec<Option<i64>> = inputs.iter().map(latest_time).collect();
    let clock = crate::certs::Clock {
        at: trust.at,
        latest: &latest,
        // The start of today (UTC): the same output all day for a case with no time of its
        // own, rather than one that changes from run to run.
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| {
                (d.as_secs() / 86_400 * 86_400) as i64 * 1_000_000_000
            }),
    };
    let (names, anchors) = (&names, &anchors);
    let out = mra::analyze(
        names,
        &tagged,
        catalog,
        anchors,
        &clock,
        focus,
        edges,
        |analysis, ladders| {
            let domain = analysis
                .sessions
                .iter()
                .rev()
                .find_map(|s| s.domain.clone());
            let certificates =
                crate::certs::section(names, &tagged, anchors, domain.as_deref(), &clock);
            let report = Report {
                schema: SCHEMA,
                tool: Tool {
                    name: "mradiag",
                    version: env!("CARGO_PKG_VERSION"),
                },
                inputs,
                verdict: analysis.verdict,
                phases: analysis.phases,
                sessions: analysis.sessions,
                users: analysis.users,
                focus: analysis.focus,
                findings: notes.into_iter().chain(analysis.findings).collect(),
                certificates,
            };
            then(report, ladders)
        },
    );
    // Freeing a busy input's events (every string and field map) took a tenth of a bundle's
    // judging, with the report done: off this thread, by the pool.
    if tagged.len() >= DROP_ASIDE {
        rayon::spawn(move || drop(tagged));
    }
    out
}

/// Every input's events tagged with their input, in one vector, without holding a busy
/// input's events twice: they are moved a batch at a time from the back of their vector
/// (reversed first, so the batches come out in order), which is shrunk after each batch.
/// Copying them all at once made the two vectors together the peak of a busy capture's
/// run (400 of 434 MB on 4 GiB).
fn tag_all(decoded: Vec<Decoded>) -> (Vec<InputReport>, Vec<Tagged>) {
    const BATCH: usize = 1 << 16;
    let total = decoded.iter().map(|d| d.events.len()).sum();
    let mut inputs = Vec::with_capacity(decoded.len());
    let mut tagged = Vec::with_capacity(total);
    for (i, d) in decoded.into_iter().enumerate() {
        inputs.push(d.input);
        let mut events = d.events;
        if events.len() <= BATCH {
            tagged.extend(events.into_iter().map(|event| Tagged { input: i, event }));
            continue;
        }
        events.reverse();
        while !events.is_empty() {
            let rest = events.len().saturating_sub(BATCH);
            tagged.extend(
                events
                    .drain(rest..)
                    .rev()
                    .map(|event| Tagged { input: i, event }),
            );
            events.shrink_to_fit();
        }
    }
    (inputs, tagged)
}

/// Events from this many on are freed by the thread pool, not on the way out of `report`.
const DROP_ASIDE: usize = 10_000;

/// True when at least one input could be read: a capture with frames (or a valid empty one),
/// a log, or a certificate file. A capture whose very header is broken yielded nothing.
pub fn any_readable(decoded: &[Decoded]) -> bool {
    decoded.iter().any(|d| {
        let i = &d.input;
        i.error.is_none()
            && (i.log.is_some()
                || d.events.iter().any(|e| {
                    matches!(&e.kind, EventKind::CertificateFile { certs } if !certs.is_empty())
                })
                || i.capture
                    .as_ref()
                    .is_some_and(|c| c.frames > 0 || i.anomalies.is_empty()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventKind, Side};

    /// Releases cover what was done with once each: from where the last stopped, nothing
    /// for a call that asks for less than was given back already.
    #[test]
    fn pages_are_given_back_once_each() {
        let released = std::sync::atomic::AtomicUsize::new(0);
        assert_eq!(newly_released(&released, 16), Some((0, 16)));
        assert_eq!(newly_released(&released, 48), Some((16, 32)));
        assert_eq!(newly_released(&released, 48), None);
        assert_eq!(newly_released(&released, 20), None);
        assert_eq!(newly_released(&released, 64), Some((48, 16)));
    }

    /// Inputs below and above a batch, and one of an exact number of batches: every event
    /// tagged with its input, in input order and in each input's own order.
    #[test]
    fn tagging_keeps_every_event_in_order() {
        let sizes = [3, (1 << 16) * 2 + 5, 0, 1 << 17, 1];
        let decoded: Vec<Decoded> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let mut d = report_only(&format!("in{i}"), "capture", None);
                d.events = (0..n as u64)
                    .map(|frame| Event {
                        frame: frame + 1,
                        ts: i as i64,
                        kind: EventKind::TcpFin {
                            stream: frame,
                            from: Side::Client,
                        },
                    })
                    .collect();
                d
            })
            .collect();
        let (inputs, tagged) = tag_all(decoded);
        assert_eq!(inputs.len(), sizes.len());
        assert_eq!(tagged.len(), sizes.iter().sum::<usize>());
        let mut at = 0;
        for (i, &n) in sizes.iter().enumerate() {
            for frame in 1..=n as u64 {
                let t = &tagged[at];
                assert_eq!((t.input, t.event.frame, t.event.ts), (i, frame, i as i64));
                at += 1;
            }
        }
    }
}
