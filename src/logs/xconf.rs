//! An Expressway's configuration and status dumps (a bundle's `xconf_dump_*` and
//! `xstat_dump_*`), in the API's text form: `*c xConfiguration Path Words: value` lines, and
//! `*s Section:` blocks whose nested keys are indented under it (flat `*s A B: value` lines
//! read the same). Only what MRA needs is kept: the host and domain, the zones with their
//! type, peers and status, and from the zone types the box's role (a traversal server zone
//! is Expressway-E's, a traversal client zone Expressway-C's).

use crate::model::{ExpresswayRole, ServerDump, ZoneDump};

/// One `path: value` of a dump, with its 1-based line.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub line: u64,
    pub path: Vec<String>,
    pub value: String,
}

/// Every entry of the dump lines in `text` (other lines are skipped). `first_line` is the
/// number of the text's first line in its file.
pub fn entries(text: &[u8], first_line: u64) -> Vec<Entry> {
    let mut out = Vec::new();
    // The open `*s` section's keys, each with the indent it was written at.
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut in_status = false;
    for (n, raw) in text.split(|&c| c == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end();
        let number = first_line + n as u64;
        if let Some(rest) = line.strip_prefix("*c xConfiguration ") {
            in_status = false;
            if let Some((path, value)) = split_entry(rest) {
                out.push(Entry {
                    line: number,
                    path,
                    value,
                });
            }
        } else if let Some(rest) = line.strip_prefix("*s ") {
            in_status = !rest.starts_with('/');
            open.clear();
            match split_entry(rest) {
                Some((path, value)) => out.push(Entry {
                    line: number,
                    path,
                    value,
                }),
                None => {
                    if let Some(key) = rest.strip_suffix(':') {
                        open.push((0, key.trim().to_string()));
                    }
                }
            }
        } else if in_status && line.starts_with([' ', '\t']) {
            let indent = line.len() - line.trim_start().len();
            while open.last().is_some_and(|(at, _)| *at >= indent) {
                open.pop();
            }
            let body = line.trim_start();
            match split_entry(body) {
                Some((tail, value)) => out.push(Entry {
                    line: number,
                    path: open
                        .iter()
                        .flat_map(|(_, k)| k.split_whitespace().map(str::to_string))
                        .chain(tail)
                        .collect(),
                    value,
                }),
                None => {
                    if let Some(key) = body.strip_suffix(':') {
                        open.push((indent, key.trim().to_string()));
                    }
                }
            }
        } else if !line.is_empty() {
            in_status = false;
            open.clear();
        }
    }
    out
}

/// `Zones Zone 3 Name: "x"` → (["Zones", "Zone", "3", "Name"], `x`); none without a value.
fn split_entry(text: &str) -> Option<(Vec<String>, String)> {
    let (path, value) = text.split_once(": ")?;
    let path: Vec<String> = path.split_whitespace().map(str::to_string).collect();
    if path.is_empty() || path.iter().any(|w| w.contains('"')) {
        return None;
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some((path, value.to_string()))
}

/// What a dump says about its box.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    pub host: Option<String>,
    pub domain: Option<String>,
    pub role: Option<ExpresswayRole>,
    pub version: Option<String>,
    pub zones: Vec<ZoneDump>,
    /// The line that says the role (a traversal zone's type).
    pub role_line: Option<u64>,
    /// Unified CM servers configured (Expressway-C), with the line of each.
    pub unified_cm: Vec<ServerDump>,
    /// The box's own addresses (`Ethernet N IP V4|V6 Address`, `... StaticNAT Address`).
    pub addresses: Vec<ServerDump>,
}

/// `Ethernet N IP V4 Address`, `Ethernet N IP V6 Address`, `Ethernet N IP V4 StaticNAT
/// Address`: an address this box answers on (the static NAT one is what clients reach).
fn is_own_address(path: &[String]) -> bool {
    path.len() >= 5
        && path[0].eq_ignore_ascii_case("Ethernet")
        && path[1].parse::<u8>().is_ok()
        && path[2].eq_ignore_ascii_case("IP")
        && path
            .last()
            .is_some_and(|w| w.eq_ignore_ascii_case("Address"))
}

/// Whether a path names a configured Unified CM server's address: a word that starts with
/// `UnifiedCM`, `Ucm` or `CUCM`, ending in `Address`, `Host`, `Hostname` or `Server`. (No real
/// dump was at hand: the path is matched loosely.)
fn is_unified_cm_address(path: &[String]) -> bool {
    let lower: Vec<String> = path.iter().map(|w| w.to_ascii_lowercase()).collect();
    lower
        .iter()
        .any(|w| w.starts_with("unifiedcm") || w.starts_with("ucm") || w.starts_with("cucm"))
        && lower
            .last()
            .is_some_and(|w| ["address", "host", "hostname", "server"].contains(&w.as_str()))
}

fn is(path: &[String], words: &[&str]) -> bool {
    path.len() == words.len()
        && path
            .iter()
            .zip(words)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

pub fn summarize(entries: &[Entry]) -> Summary {
    let mut s = Summary::default();
    let mut name = None;
    for e in entries {
        let p = &e.path[..];
        if e.value.is_empty() {
            continue;
        }
        if is(p, &["IP", "DNS", "Hostname"]) || is(p, &["SystemUnit", "Hostname"]) {
            s.host.get_or_insert_with(|| e.value.clone());
        } else if is(p, &["SystemUnit", "Name"]) {
            name.get_or_insert_with(|| e.value.clone());
        } else if is(p, &["IP", "DNS", "Domain", "Name"]) {
            s.domain.get_or_insert_with(|| e.value.clone());
        } else if is(p, &["SystemUnit", "Software", "Version"]) {
            s.version.get_or_insert_with(|| e.value.clone());
        } else if is_own_address(p) {
            if e.value.parse::<std::net::IpAddr>().is_ok()
                && !s.addresses.iter().any(|a| a.address == e.value)
            {
                s.addresses.push(ServerDump {
                    address: e.value.clone(),
                    line: e.line,
                });
            }
        } else if is_unified_cm_address(p) {
            if !s.unified_cm.iter().any(|u| u.address == e.value) {
                s.unified_cm.push(ServerDump {
                    address: e.value.clone(),
                    line: e.line,
                });
            }
        } else if p.len() >= 4
            && p[0].eq_ignore_ascii_case("Zones")
            && p[1].eq_ignore_ascii_case("Zone")
            && let Ok(id) = p[2].parse::<u32>()
        {
            let zone = match s.zones.iter().position(|z| z.id == id) {
                Some(i) => &mut s.zones[i],
                None => {
                    s.zones.push(ZoneDump {
                        id,
                        line: e.line,
                        ..ZoneDump::default()
                    });
                    s.zones.last_mut().expect("just pushed")
                }
            };
            let rest = &p[3..];
            if is(rest, &["Name"]) {
                zone.name = Some(e.value.clone());
            } else if is(rest, &["Type"]) {
                zone.kind = Some(e.value.clone());
                let kind = e.value.to_ascii_lowercase();
                let role = if kind.contains("traversalserver") {
                    Some(ExpresswayRole::E)
                } else if kind.contains("traversalclient") {
                    Some(ExpresswayRole::C)
                } else {
                    None
                };
                // A traversal server zone settles it: an Expressway-E may also be a client
                // of another (chained traversal), an Expressway-C is never a server.
                if role.is_some() && s.role != Some(ExpresswayRole::E) {
                    s.role = role;
                    s.role_line = Some(e.line);
                }
            } else if rest.len() >= 3
                && rest[rest.len() - 1].eq_ignore_ascii_case("Address")
                && rest[rest.len() - 3].eq_ignore_ascii_case("Peer")
            {
                zone.peers.push(e.value.clone());
            } else if rest
                .last()
                .is_some_and(|w| w.eq_ignore_ascii_case("Status"))
                && zone.status.is_none()
            {
                zone.status = Some(e.value.clone());
                zone.status_line = Some(e.line);
            }
        }
    }
    if s.host.is_none() {
        s.host = name;
    }
    s.zones.sort_by_key(|z| z.id);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const XCONF: &[u8] = b"xconfiguration\n\
*c xConfiguration IP DNS Hostname: \"core01\"\n\
*c xConfiguration IP DNS Domain Name: \"example.com\"\n\
*c xConfiguration SystemUnit Name: \"Core Expressway\"\n\
*c xConfiguration Zones Zone 1 Name: \"DefaultZone\"\n\
*c xConfiguration Zones Zone 2 Name: \"UC traversal\"\n\
*c xConfiguration Zones Zone 2 Type: TraversalClient\n\
*c xConfiguration Zones Zone 2 TraversalClient Peer 1 Address: \"10.77.0.10\"\n\
*c xConfiguration Zones Zone 2 TraversalClient Peer 2 Address: \"\"\n\
*c xConfiguration Zones Zone 2 TraversalClient SIP Port: 7001\n\
OK\n";

    const XSTAT: &[u8] = b"*s SystemUnit:\n    Software:\n        Version: \"X14.3.1\"\n*s/end\n\
*s Zones:\n    Zone 2:\n        Name: \"UC traversal\"\n        Status: Failed\n        Cause: \"TLS negotiation failure\"\n*s/end\nOK\n";

    #[test]
    fn configuration_lines_become_paths_and_values() {
        let e = entries(XCONF, 1);
        assert_eq!(e.len(), 9);
        assert_eq!(e[0].line, 2);
        assert_eq!(e[0].path, ["IP", "DNS", "Hostname"]);
        assert_eq!(e[0].value, "core01");
        assert_eq!(e[5].value, "TraversalClient");
    }

    #[test]
    fn an_expressway_c_is_told_by_its_traversal_client_zone() {
        let s = summarize(&entries(XCONF, 1));
        assert_eq!(s.host.as_deref(), Some("core01"));
        assert_eq!(s.domain.as_deref(), Some("example.com"));
        assert_eq!(s.role, Some(ExpresswayRole::C));
        assert_eq!(s.role_line, Some(7));
        assert_eq!(s.zones.len(), 2);
        let uc = &s.zones[1];
        assert_eq!(uc.name.as_deref(), Some("UC traversal"));
        assert_eq!(uc.peers, ["10.77.0.10"], "an empty peer slot is no peer");
        assert_eq!(uc.line, 6);
        assert!(s.unified_cm.is_empty());
    }

    #[test]
    fn configured_unified_cm_servers_are_kept_with_their_lines() {
        let text = b"*c xConfiguration EdgeConfigProvisioning UnifiedCM Server 1 Address: \"cucm-pub.example.local\"\n\
*c xConfiguration EdgeConfigProvisioning UnifiedCM Server 2 Address: \"10.0.40.6\"\n\
*c xConfiguration EdgeConfigProvisioning UnifiedCM Server 2 Port: 8443\n";
        let s = summarize(&entries(text, 1));
        let got: Vec<(&str, u64)> = s
            .unified_cm
            .iter()
            .map(|u| (u.address.as_str(), u.line))
            .collect();
        assert_eq!(got, [("cucm-pub.example.local", 1), ("10.0.40.6", 2)]);
    }

    #[test]
    fn own_addresses_are_kept_the_empty_and_the_mode_left_out() {
        let text = b"*c xConfiguration Ethernet 1 IP V4 Address: \"10.0.10.5\"\n\
*c xConfiguration Ethernet 1 IP V6 Address: \"\"\n\
*c xConfiguration Ethernet 2 IP V4 Address: \"192.0.2.5\"\n\
*c xConfiguration Ethernet 2 IP V4 StaticNAT Mode: On\n\
*c xConfiguration Ethernet 2 IP V4 StaticNAT Address: \"198.51.100.7\"\n\
*c xConfiguration Ethernet 2 Speed: Auto\n";
        let s = summarize(&entries(text, 1));
        let got: Vec<(&str, u64)> = s
            .addresses
            .iter()
            .map(|a| (a.address.as_str(), a.line))
            .collect();
        assert_eq!(
            got,
            [("10.0.10.5", 1), ("192.0.2.5", 3), ("198.51.100.7", 5)]
        );
    }

    #[test]
    fn status_blocks_nest_by_indent() {
        let e = entries(XSTAT, 1);
        assert_eq!(e[0].path, ["SystemUnit", "Software", "Version"]);
        let s = summarize(&e);
        assert_eq!(s.version.as_deref(), Some("X14.3.1"));
        assert_eq!(s.zones[0].id, 2);
        assert_eq!(s.zones[0].status.as_deref(), Some("Failed"));
        assert_eq!(s.zones[0].status_line, Some(8));
        assert_eq!(s.role, None, "a status dump names no zone type");
    }

    #[test]
    fn a_server_zone_wins_and_ordinary_lines_are_not_entries() {
        let text = b"*c xConfiguration Zones Zone 4 Type: TraversalClient\n\
*c xConfiguration Zones Zone 5 Type: TraversalServer\n\
2026-11-26T10:00:00+01:00 expe tvcs: Detail=\"x: y\"\n*s SystemUnit Name: \"a: b\"\n";
        let e = entries(text, 1);
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].value, "a: b");
        assert_eq!(summarize(&e).role, Some(ExpresswayRole::E));
    }
}
