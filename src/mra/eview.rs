//! Expressway-E's own capture (a bundle's `eth*_diagnostic_logging_tcpdump*.pcap`): the same
//! sign-in seen from the other end. Beside a client's capture it does not make sessions of
//! its own; its connections are paired with the client's by their timing, which tells the
//! address and port a NAT gave the client and how far the two capture clocks are apart.
//! Alone, it is the only packet view and its clients make the sessions.

use super::connection::Connection;
use super::context::Ctx;
use super::context::MRA_PORTS;
use crate::faults::Phase;
use crate::report::{Finding, Severity};

/// Connections paired by timing agree to within this.
const WINDOW_NS: i64 = 250_000_000;
const REACH_NS: i64 = 3600 * 1_000_000_000;

/// Whether an input is an Expressway's own capture, by the name the bundle gives it.
pub fn is_expressway_capture(name: &str) -> bool {
    let file = name.rsplit([':', '/']).next().unwrap_or(name);
    file.contains("diagnostic_logging_tcpdump")
}

/// One finding per Expressway capture whose MRA connections pair with the client's.
pub fn pairings(ctx: &Ctx<'_>, client: &[Connection<'_>], edge: &[Connection<'_>]) -> Vec<Finding> {
    let mra = |c: &&Connection<'_>| MRA_PORTS.contains(&c.server.port);
    let theirs: Vec<&Connection<'_>> = client.iter().filter(mra).collect();
    let mut inputs: Vec<usize> = edge.iter().map(|c| c.input).collect();
    inputs.sort_unstable();
    inputs.dedup();
    let mut out = Vec::new();
    for input in inputs {
        let mine: Vec<&Connection<'_>> = edge
            .iter()
            .filter(|c| c.input == input)
            .filter(mra)
            .collect();
        let marks = |cs: &[&Connection<'_>]| -> Vec<(u16, i64)> {
            cs.iter().map(|c| (c.server.port, c.start_ts)).collect()
        };
        // A busy Expressway-E's capture holds other clients' connections at every spacing:
        // a pairing chance would make is not said (`align::chance_agreeing`), and when even
        // all of the client's connections agreeing would not tell, none are compared.
        let alone = mine.len() == 1 && theirs.len() == 1;
        let (Some(first), Some(last)) = (
            theirs.iter().map(|c| c.start_ts).min(),
            theirs.iter().map(|c| c.start_ts).max(),
        ) else {
            continue;
        };
        let near: Vec<i64> = mine
            .iter()
            .map(|c| c.start_ts)
            .filter(|t| (first - REACH_NS..=last + REACH_NS).contains(t))
            .collect();
        let spread = near.iter().max().unwrap_or(&0) - near.iter().min().unwrap_or(&0);
        let telling = |agreeing: usize| {
            crate::align::chance_agreeing(near.len(), spread, theirs.len(), agreeing, WINDOW_NS)
                < crate::align::CHANCE
        };
        if !alone && !telling(theirs.len()) {
            continue;
        }
        let pairs = crate::align::agreeing_pairs(
            &marks(&mine),
            &marks(&theirs),
            WINDOW_NS,
            -REACH_NS..=REACH_NS,
        );
        let agreeing = crate::align::capture_marks_agreeing(&pairs);
        if !((agreeing >= 2 && telling(agreeing)) || (pairs.len() == 1 && alone)) {
            continue;
        }
        let mut offsets: Vec<i64> = pairs.iter().map(|p| p.2).collect();
        offsets.sort_unstable();
        let median = offsets[offsets.len() / 2];
        let seen: Vec<String> = pairs
            .iter()
            .take(3)
            .map(|&(e, c, _)| {
                let (e, c) = (mine[e], theirs[c]);
                if e.client == c.client {
                    format!("{} as itself", c.client)
                } else {
                    format!("{} as {}", c.client, e.client)
                }
            })
            .collect();
        let evidence = pairs
            .iter()
            .take(3)
            .flat_map(|&(e, c, offset)| {
                [
                    ctx.evidence(theirs[c].summary, "the connection, in the client's capture"),
                    ctx.evidence(
                        mine[e].summary,
                        format!(
                            "the same connection in Expressway-E's capture, {}",
                            crate::time::signed_secs(offset)
                        ),
                    ),
                ]
            })
            .collect();
        let n = pairs.len();
        out.push(Finding {
            severity: Severity::Info,
            id: "capture.expressway_view".into(),
            phase: Phase::Provisioning,
            summary: format!(
                "Expressway-E's own capture ({}) holds {}: it saw {}; its clock runs {} from the client capture's (not corrected)",
                crate::input::container(&ctx.inputs[input]),
                if n == 1 {
                    "the client's connection (paired by time alone)".to_string()
                } else {
                    format!("{n} of the client's connections (paired by their timing)")
                },
                seen.join(", "),
                crate::time::signed_secs(median)
            ),
            evidence,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_capture_is_known_by_its_name() {
        assert!(is_expressway_capture(
            "case/diag.tar.gz:eth0_diagnostic_logging_tcpdump00_expe_2026-11-26_14-17-30.pcap"
        ));
        assert!(!is_expressway_capture("case/client.pcap"));
        assert!(!is_expressway_capture("tcpdump/client.pcap"));
    }
}
