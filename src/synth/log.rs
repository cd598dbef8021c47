//! A deterministic Expressway-style log of any size: routine lines of the real grammar
//! (SIP summaries, TCP and DNS lines, TLS progress, multi-line SIPMSG blocks) with rare
//! planted signature lines (each catalog entry's example), and the truth of what was planted.

use crate::logs::signatures::Catalog;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Clone, Copy, Debug)]
pub struct LogSpec {
    pub size_bytes: u64,
    pub seed: u64,
    /// One planted signature line per this many routine lines (on average).
    pub plant_every: u64,
}

/// What was written: lines, and per signature id how many lines it must find.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogTruth {
    pub bytes: u64,
    pub lines: u64,
    pub planted: u64,
    pub hits: BTreeMap<String, u64>,
}

fn routine(i: u64, out: &mut Vec<u8>) {
    let sec = 1_764_166_650 + i / 20;
    let (h, m, s) = ((sec / 3600) % 24, (sec / 60) % 60, sec % 60);
    let ms = (i * 37) % 1000;
    let head = format!(
        "2026-11-26T{:02}:{m:02}:{s:02}.{ms:03}+01:00 expc",
        (h + 1) % 24
    );
    let utc = format!("2026-11-26 {h:02}:{m:02}:{s:02},{ms:03}");
    let line = match i % 7 {
        0 => format!(
            r#"{head} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  Action="Received" Local-ip="10.0.30.2" Local-port="7001" Src-ip="10.0.30.10" Src-port="25{:03}" Detail="Receive Request Method=OPTIONS, CSeq={i}, To=sip:10.0.30.2:7001, Call-ID=opt{i}@10.0.30.10, From-Tag=f{i}, To-Tag=, Msg-Hash={}""#,
            i % 900,
            10_000_000 + i
        ),
        1 => format!(
            r#"{head} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  Action="Sent" Local-ip="10.0.30.2" Local-port="7001" Dst-ip="10.0.30.10" Dst-port="25{:03}" Detail="Sending Response Code=200, Method=OPTIONS, CSeq={i}, To=sip:10.0.30.2:7001, Call-ID=opt{i}@10.0.30.10, From-Tag=f{i}, To-Tag=t{i}, Msg-Hash={}""#,
            i % 900,
            20_000_000 + i
        ),
        2 => format!(
            r#"{head} tvcs: UTCTime="{utc}" Module="network.tcp" Level="DEBUG":  Src-ip="10.0.30.2" Src-port="{}" Dst-ip="10.0.40.5" Dst-port="8443" Detail="TCP Connection Established""#,
            30_000 + i % 30_000
        ),
        3 => format!(
            r#"{head} tvcs: UTCTime="{utc}" Module="network.dns" Level="DEBUG":  Detail="Sending DNS query" Name="cucm{}.example.local" Type="A and AAAA""#,
            i % 5
        ),
        4 => format!(
            r#"{head} tvcs: UTCTime="{utc}" Module="developer.ssl" Level="INFO" CodeLocation="ppcmains/ssl/ttssl/ttssl_openssl.cpp(1974)" Method="::ttssl_continueHandshake" Thread="0x7f29ddefa700":  Detail=" Handshake in progress " Reason="want read/write""#
        ),
        5 => format!(
            "{head} tvcs: UTCTime=\"{utc}\" Module=\"network.sip\" Level=\"DEBUG\":  Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"7001\" Dst-ip=\"10.0.30.10\" Dst-port=\"25{:03}\" Msg-Hash=\"{}\"\n SIPMSG:\n |SIP/2.0 200 OK\n Via: SIP/2.0/TLS 10.0.30.10:7001;branch=z9hG4bK{i};rport\n Call-ID: opt{i}@10.0.30.10\n CSeq: {i} OPTIONS\n Content-Length: 0\n |",
            i % 900,
            30_000_000 + i
        ),
        _ => format!(
            r#"{head} traffic_server[2030]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG": Detail="Receive Request" Txn-id="{i}" Src-ip="198.51.100.{}" Src-port="5{:04}" Msg="GET /ZXhhbXBsZS5jb20/get_edge_sso?email=user{}%40example.com HTTP/1.1""#,
            i % 250,
            i % 10_000,
            i % 97
        ),
    };
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
}

/// Write a log of about `spec.size_bytes`; the truth counts, per signature, the planted lines
/// its own pattern matches (checked with a separate regex per signature, not the scanner).
pub fn write_log<W: Write>(
    spec: LogSpec,
    catalog: &Catalog,
    mut w: W,
) -> std::io::Result<LogTruth> {
    let singles: Vec<regex::Regex> = catalog
        .signatures
        .iter()
        .map(|s| regex::Regex::new(&s.pattern).expect("catalog compiles"))
        .collect();
    let examples: Vec<(String, Vec<String>)> = catalog
        .signatures
        .iter()
        .map(|s| {
            let ids = catalog
                .signatures
                .iter()
                .zip(&singles)
                .enumerate()
                .filter(|(i, (_, re))| {
                    re.is_match(&s.example) && catalog.applies_to(*i, s.example.as_bytes())
                })
                .map(|(_, (t, _))| t)
                .collect::<Vec<_>>();
            // As the scan does: a generic recogniser gives way to a specific signature.
            let specific = ids.iter().any(|t| t.generic.is_none());
            let ids = ids
                .into_iter()
                .filter(|t| !specific || t.generic.is_none())
                .map(|t| t.id.clone())
                .collect();
            (s.example.clone(), ids)
        })
        .collect();
    let mut truth = LogTruth::default();
    let mut state = spec.seed.max(1);
    let mut buf = Vec::with_capacity(1 << 20);
    let mut i = 0u64;
    while truth.bytes < spec.size_bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state.is_multiple_of(spec.plant_every.max(1)) {
            let (line, ids) = &examples[(state / 7) as usize % examples.len()];
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
            truth.planted += 1;
            for id in ids {
                *truth.hits.entry(id.clone()).or_default() += 1;
            }
        } else {
            routine(i, &mut buf);
            i += 1;
        }
        if buf.len() >= 1 << 20 {
            truth.bytes += buf.len() as u64;
            truth.lines += memchr::memchr_iter(b'\n', &buf).count() as u64;
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    truth.bytes += buf.len() as u64;
    truth.lines += memchr::memchr_iter(b'\n', &buf).count() as u64;
    w.write_all(&buf)?;
    w.flush()?;
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_exactly_what_was_planted_and_nothing_in_routine_lines() {
        let cat = Catalog::builtin();
        let mut text = Vec::new();
        let truth = write_log(
            LogSpec {
                size_bytes: 2 << 20,
                seed: 3,
                plant_every: 200,
            },
            cat,
            &mut text,
        )
        .unwrap();
        assert!(truth.planted > 20);
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        for hit in cat.scan(&text) {
            *found
                .entry(cat.signatures[hit.signature].id.clone())
                .or_default() += 1;
        }
        assert_eq!(found, truth.hits);
    }

    #[test]
    fn same_seed_same_bytes() {
        let cat = Catalog::builtin();
        let spec = LogSpec {
            size_bytes: 100_000,
            seed: 9,
            plant_every: 100,
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_log(spec, cat, &mut a).unwrap();
        write_log(spec, cat, &mut b).unwrap();
        assert_eq!(a, b);
    }
}
