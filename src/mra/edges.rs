//! Which servers are Expressway-E when the capture does not show discovery (a re-login from
//! the cache, a capture started late, an SRV record naming a port other than 8443): the hosts
//! `--edge HOST[:PORT]` names, and the addresses and name Expressway-E's own configuration
//! dump gives. A connection to one of them on an MRA port, or on the port `--edge` gave,
//! is part of a sign-in.

use super::connection::Connection;
use super::context::Ctx;
use super::context::MRA_PORTS;
use super::discovery::Transaction;
use crate::faults::Phase;
use crate::model::{EventKind, Tagged};
use crate::report::{Finding, Party, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// `--edge HOST[:PORT]` as the user gave it: a name or an address (`[v6]:port` for an IPv6
/// address with a port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeSpec {
    pub host: String,
    pub port: Option<u16>,
}

impl EdgeSpec {
    pub fn parse(text: &str) -> Result<EdgeSpec, String> {
        let text = text.trim();
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (addr, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("'{text}': an IPv6 address in [ ] lacks its ']'"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("'{text}': after ']' comes ':PORT' or nothing"))?,
                ),
            };
            (addr, port)
        } else if text.parse::<IpAddr>().is_ok() {
            // A bare IPv6 address: its colons are not a port.
            (text, None)
        } else {
            match text.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (text, None),
            }
        };
        let port = port
            .map(|p| match p.parse::<u16>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "'{text}': the port '{p}' is not a number from 1 to 65535"
                )),
            })
            .transpose()?;
        // A fully qualified name may end in a dot.
        let host = host.strip_suffix('.').unwrap_or(host);
        let valid_name = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if host.parse::<IpAddr>().is_err() && !valid_name {
            return Err(format!(
                "'{text}': '{host}' is neither an IP address nor a host name (HOST[:PORT], [IPv6]:PORT)"
            ));
        }
        Ok(EdgeSpec {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// Expressway-E as the user and the bundles name it: each address and name with where it was
/// named, and the ports beyond the MRA ones a sign-in uses on it.
#[derive(Default)]
pub(crate) struct Edges {
    pub(crate) addresses: BTreeMap<IpAddr, String>,
    pub(crate) names: BTreeMap<String, String>,
    pub(crate) ports: BTreeSet<u16>,
}

impl Edges {
    /// From `--edge` and the configuration dumps of the boxes that are Expressway-E.
    pub(crate) fn new(
        specs: &[EdgeSpec],
        inputs: &[String],
        ctx_dumps: &[&Tagged],
        roles: &super::dumps::Roles,
    ) -> Edges {
        let mut edges = Edges::default();
        for spec in specs {
            let source = match spec.port {
                Some(p) => format!("--edge {}:{p}", spec.host),
                None => format!("--edge {}", spec.host),
            };
            match spec.host.parse::<IpAddr>() {
                Ok(ip) => edges.addresses.entry(ip).or_insert(source),
                Err(_) => edges.names.entry(spec.host.clone()).or_insert(source),
            };
            edges.ports.extend(spec.port);
        }
        for t in ctx_dumps {
            let EventKind::ExpresswayDump(dump) = &t.event.kind else {
                continue;
            };
            let crate::model::ExpresswayDump {
                host,
                domain,
                addresses,
                ..
            } = &**dump;
            let input = &inputs[t.input];
            if roles.of(input, host.as_deref()) != Party::ExpresswayE {
                continue;
            }
            for a in addresses {
                if let Ok(ip) = a.address.parse::<IpAddr>() {
                    edges
                        .addresses
                        .entry(ip)
                        .or_insert_with(|| format!("{input}:{}", a.line));
                }
            }
            if let (Some(h), Some(d)) = (host, domain) {
                let name = format!("{h}.{d}").to_ascii_lowercase();
                edges
                    .names
                    .entry(name)
                    .or_insert_with(|| format!("{input} (host name and domain)"));
            }
        }
        edges
    }

    /// The names' addresses as the capture's DNS answers give them.
    pub(crate) fn resolve(&mut self, txs: &[Transaction<'_>]) {
        if self.names.is_empty() {
            return;
        }
        for t in txs {
            if let Some(source) = self.names.get(&t.name.to_ascii_lowercase()) {
                for ip in t.addresses() {
                    self.addresses
                        .entry(ip)
                        .or_insert_with(|| format!("{source}, resolved to it in the capture"));
                }
            }
        }
    }

    /// Where the connection's server was named as Expressway-E: by address, else by the name
    /// the client asked for in its ClientHello.
    pub(crate) fn named(&self, c: &Connection<'_>) -> Option<&str> {
        if let Some(s) = self.addresses.get(&c.server.ip) {
            return Some(s);
        }
        if self.names.is_empty() {
            // Nothing named (no --edge, no dump): no name to lower for each connection.
            return None;
        }
        let sni = c.sni()?.to_ascii_lowercase();
        self.names
            .get(sni.trim_end_matches('.'))
            .map(String::as_str)
    }

    /// A connection to Expressway-E on a port a sign-in uses there.
    pub(crate) fn counts(&self, c: &Connection<'_>) -> bool {
        (MRA_PORTS.contains(&c.server.port) || self.ports.contains(&c.server.port))
            && self.named(c).is_some()
    }
}

/// What the user should know about Expressway-E's naming: an `--edge` that matched no
/// connection (a typo, or the wrong capture), and, when no sign-in was found, the TLS
/// connections on other ports whose role nothing says (one may be Expressway-E on a port
/// the SRV record named outside the capture).
pub(crate) fn findings(ctx: &Ctx<'_>, conns: &[Connection<'_>], attempts: usize) -> Vec<Finding> {
    let mut out = Vec::new();
    let used: BTreeSet<&str> = conns.iter().filter_map(|c| ctx.edges.named(c)).collect();
    let unmatched: Vec<&str> = ctx
        .edges
        .addresses
        .values()
        .chain(ctx.edges.names.values())
        .map(String::as_str)
        .filter(|s| {
            s.starts_with("--edge")
                && !used
                    .iter()
                    .any(|u| u == s || u.starts_with(&format!("{s},")))
        })
        .collect();
    if !unmatched.is_empty() && !conns.is_empty() {
        out.push(Finding {
            severity: Severity::Warning,
            id: "discovery.edge_unmatched".into(),
            phase: Phase::Discovery,
            summary: format!(
                "{}: no connection in the captures goes to it (by address, by a DNS answer for the name, or by the name in a ClientHello)",
                unmatched.join(", ")
            ),
            evidence: Vec::new(),
        });
    }
    if attempts > 0 {
        return out;
    }
    // Servers a client spoke TLS to on other ports, in order of first sight.
    let mut seen: Vec<(String, usize, &Connection<'_>)> = Vec::new();
    for c in conns {
        if MRA_PORTS.contains(&c.server.port)
            || !c
                .events
                .iter()
                .any(|t| matches!(t.event.kind, EventKind::TlsClientHello { .. }))
        {
            continue;
        }
        let label = match c.sni() {
            Some(sni) => format!("{} ({sni})", c.server),
            None => c.server.to_string(),
        };
        match seen.iter_mut().find(|(l, ..)| *l == label) {
            Some(entry) => entry.1 += 1,
            None => seen.push((label, 1, c)),
        }
    }
    if seen.is_empty() {
        return out;
    }
    const SHOWN: usize = 5;
    let list: Vec<String> = seen
        .iter()
        .take(SHOWN)
        .map(|(label, n, _)| match n {
            1 => label.clone(),
            n => format!("{label} ×{n}"),
        })
        .collect();
    let more = match seen.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    out.push(Finding {
        severity: Severity::Info,
        id: "discovery.tls_role_unknown".into(),
        phase: Phase::Discovery,
        summary: format!(
            "TLS to servers whose role nothing in the inputs says: {}{more}; if one is Expressway-E (MRA on another port, discovery not captured), name it with --edge HOST[:PORT]",
            list.join(", ")
        ),
        evidence: seen
            .iter()
            .take(SHOWN)
            .map(|(label, _, c)| ctx.evidence(c.summary, format!("TLS to {label}")))
            .collect(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(host: &str, port: Option<u16>) -> EdgeSpec {
        EdgeSpec {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn hosts_ports_and_ipv6_are_read() {
        for (text, want) in [
            ("expe1.example.com", spec("expe1.example.com", None)),
            (
                "ExpE1.Example.com.:443",
                spec("expe1.example.com", Some(443)),
            ),
            ("198.51.100.7:8443", spec("198.51.100.7", Some(8443))),
            ("2001:db8::7", spec("2001:db8::7", None)),
            ("[2001:db8::7]:443", spec("2001:db8::7", Some(443))),
            ("[2001:db8::7]", spec("2001:db8::7", None)),
        ] {
            assert_eq!(EdgeSpec::parse(text).as_ref(), Ok(&want), "{text}");
        }
    }

    #[test]
    fn bad_hosts_and_ports_say_what_is_wrong() {
        for (text, says) in [
            ("expe:0", "not a number from 1 to 65535"),
            ("expe:99999", "not a number from 1 to 65535"),
            ("expe:https", "'https' is not a number"),
            ("", "neither an IP address nor a host name"),
            ("exp e.example.com", "neither an IP address nor a host name"),
            ("a..b", "neither an IP address nor a host name"),
            ("[2001:db8::7", "lacks its ']'"),
            ("[2001:db8::7]443", "after ']'"),
        ] {
            let e = EdgeSpec::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
