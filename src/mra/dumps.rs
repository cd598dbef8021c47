//! What the Expressways' own dumps (a bundle's `xconf_dump_*`, `xstat_dump_*`) say: which
//! box is E and which is C (a traversal server zone is E's, a traversal client zone C's),
//! for every file of the same bundle and the log lines of that host; a traversal zone whose
//! peer address Expressway-E's certificate does not name; zones a status dump shows down.

use super::context::Ctx;
use super::ladder;
use crate::faults::Phase;
use crate::model::Tagged;
use crate::model::{EventKind, ExpresswayRole, ZoneDump};
use crate::report::{Evidence, Finding, Party, Pointer, Severity};

/// Roles the dumps state: per bundle (container) and per host name (its first label).
#[derive(Default)]
pub struct Roles {
    by_container: Vec<(String, ExpresswayRole)>,
    by_host: Vec<(String, ExpresswayRole)>,
}

/// A host name's first label (`expc` of `expc.example.com`), lowered; an IP address whole.
fn first_label(host: &str) -> String {
    if is_ip(host) {
        return host.to_string();
    }
    label_of(host).to_ascii_lowercase()
}

/// [`first_label`] as written, not lowered: borrowed, for comparing without a copy.
fn label_of(host: &str) -> &str {
    if is_ip(host) {
        host
    } else {
        host.split('.').next().unwrap_or(host)
    }
}

impl Roles {
    pub fn from_dumps<'a>(
        inputs: &[String],
        events: impl IntoIterator<Item = &'a Tagged>,
    ) -> Roles {
        let mut roles = Roles::default();
        // Folders whose dumps state both roles (two bundles unpacked into one): they say
        // nothing by themselves.
        let mut conflicting: Vec<&str> = Vec::new();
        for t in events {
            if let EventKind::ExpresswayDump(dump) = &t.event.kind
                && let crate::model::ExpresswayDump {
                    host,
                    role: Some(role),
                    ..
                } = &**dump
            {
                let container = crate::input::container(&inputs[t.input]);
                match roles.by_container.iter().position(|(c, _)| c == container) {
                    None if !conflicting.contains(&container) => {
                        roles.by_container.push((container.to_string(), *role));
                    }
                    Some(i) if roles.by_container[i].1 != *role => {
                        roles.by_container.remove(i);
                        conflicting.push(container);
                    }
                    _ => {}
                }
                if let Some(host) = host {
                    roles.by_host.push((first_label(host), *role));
                }
            }
        }
        roles
    }

    /// E or C for a file or a log line's host as a dump states it (a dump of that host, else
    /// of the file's bundle); none when no dump says.
    pub fn stated(&self, input: &str, host: Option<&str>) -> Option<ExpresswayRole> {
        host.and_then(|h| {
            // Compared in place (the stored labels are lowered): this runs for every line of
            // a bundle.
            let label = label_of(h);
            self.by_host
                .iter()
                .find(|(l, _)| l.eq_ignore_ascii_case(label))
        })
        .or_else(|| {
            // Only when some dump was read: this runs for every line of a bundle too.
            if self.by_container.is_empty() {
                return None;
            }
            let container = crate::input::container(input);
            self.by_container.iter().find(|(c, _)| c == container)
        })
        .map(|(_, role)| *role)
    }

    /// E or C for a file (by the dump of its bundle) or a log line's host (by a dump of that
    /// host), else as far as the host name tells.
    pub fn of(&self, input: &str, host: Option<&str>) -> Party {
        match self.stated(input, host) {
            Some(ExpresswayRole::E) => Party::ExpresswayE,
            Some(ExpresswayRole::C) => Party::ExpresswayC,
            None => ladder::expressway_role(host),
        }
    }
}

fn role_name(role: Option<ExpresswayRole>) -> &'static str {
    match role {
        Some(ExpresswayRole::E) => "Expressway-E",
        Some(ExpresswayRole::C) => "Expressway-C",
        None => "an Expressway (no traversal zone says which)",
    }
}

fn line_evidence(ctx: &Ctx<'_>, t: &Tagged, line: u64, note: String) -> Evidence {
    Evidence::new(Pointer {
        input: ctx.names[t.input].clone(),
        frame: None,
        line: Some(line),
        ts: crate::report::Stamp::utc(t.event.ts),
        filter: None,
        note: note.into(),
        excerpt: None,
    })
}

fn zone_label(z: &ZoneDump) -> String {
    match &z.name {
        Some(name) => format!("zone {} \"{name}\"", z.id),
        None => format!("zone {}", z.id),
    }
}

/// Whether a certificate names `peer` (a host name, or an IP address in its SAN).
fn names(cert: &crate::model::CertSummary, peer: &str) -> bool {
    match peer.parse::<std::net::IpAddr>() {
        Ok(ip) => cert.san_ip.contains(&ip),
        Err(_) => cert
            .san_dns
            .iter()
            .chain(cert.common_name.iter())
            .any(|n| crate::proto::x509::dns_name_matches(n, peer)),
    }
}

/// The host a bundle file is named after: `core01` from
/// `xstat_dump_core01_2026-11-26_14-17-30.txt` or `server_core01_2026-11-26_14-17-30.pem`.
pub(super) fn host_from_file_name(path: &str) -> Option<String> {
    let file = path.rsplit([':', '/']).next()?;
    let rest = [
        "xconf_dump_",
        "xstat_dump_",
        "server_",
        "ca_",
        "loggingsnapshot_",
    ]
    .iter()
    .find_map(|p| file.strip_prefix(p))?;
    let stamp = rest.match_indices('_').map(|(i, _)| i).find(|&i| {
        let b = rest.as_bytes();
        b.len() > i + 5 && b[i + 1..i + 5].iter().all(u8::is_ascii_digit) && b[i + 5] == b'-'
    })?;
    Some(rest[..stamp].to_string()).filter(|h| !h.is_empty())
}

/// What the dumps of one bundle (or folder) say together: the configuration's host, role
/// and zones, the status dump's zone states.
struct Expressway<'a> {
    container: &'a str,
    /// The host the dump's file is named after (two bundles may share a folder).
    named: Option<String>,
    /// The configuration dump, when there is one.
    config: Option<&'a Tagged>,
    host: Option<String>,
    domain: Option<String>,
    role: Option<ExpresswayRole>,
    /// The dump and line that say the role, else the first dump's first entry.
    said: (&'a Tagged, u64),
    version: Option<String>,
    /// Each zone, with the dump and line that show its status, if one does.
    zones: Vec<(ZoneDump, Option<(&'a Tagged, u64)>)>,
}

fn gather<'a>(ctx: &Ctx<'a>) -> Vec<Expressway<'a>> {
    let mut boxes: Vec<Expressway<'a>> = Vec::new();
    for &t in &ctx.dumps {
        let EventKind::ExpresswayDump(dump) = &t.event.kind else {
            continue;
        };
        let crate::model::ExpresswayDump {
            line,
            host,
            domain,
            role,
            role_line,
            version,
            zones,
            ..
        } = &**dump;
        let container = crate::input::container(&ctx.inputs[t.input]);
        let named =
            host_from_file_name(&ctx.inputs[t.input]).or_else(|| host.as_deref().map(first_label));
        let i = match boxes
            .iter()
            .position(|b| b.container == container && b.named == named)
        {
            Some(i) => i,
            None => {
                boxes.push(Expressway {
                    container,
                    named,
                    config: None,
                    host: None,
                    domain: None,
                    role: None,
                    said: (t, *line),
                    version: None,
                    zones: Vec::new(),
                });
                boxes.len() - 1
            }
        };
        let b = &mut boxes[i];
        b.host = b
            .host
            .take()
            .or_else(|| host.clone())
            .or_else(|| host_from_file_name(&ctx.inputs[t.input]));
        b.domain = b.domain.take().or_else(|| domain.clone());
        b.version = b.version.take().or_else(|| version.clone());
        if let (None, Some(r), Some(at)) = (b.role, role, role_line) {
            b.role = Some(*r);
            b.said = (t, *at);
            b.config = Some(t);
        }
        for z in zones {
            let status = z.status_line.map(|line| (t, line));
            match b.zones.iter_mut().find(|(have, _)| have.id == z.id) {
                Some((have, shown)) => {
                    have.name = have.name.take().or_else(|| z.name.clone());
                    have.kind = have.kind.take().or_else(|| z.kind.clone());
                    if have.peers.is_empty() {
                        have.peers = z.peers.clone();
                    }
                    if have.status.is_none() {
                        have.status = z.status.clone();
                        *shown = status;
                    }
                }
                None => b.zones.push((z.clone(), status)),
            }
        }
    }
    for b in &mut boxes {
        b.zones.sort_by_key(|(z, _)| z.id);
    }
    boxes
}

fn is_traversal(z: &ZoneDump) -> bool {
    z.kind
        .as_deref()
        .is_some_and(|k| k.to_ascii_lowercase().contains("traversal"))
}

/// One note per Expressway the dumps describe (host, role, version, traversal zones), a
/// warning per traversal peer address Expressway-E's certificate does not name, and one per
/// zone a status dump shows down.
pub fn findings(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in gather(ctx) {
        let who = match (&b.host, &b.domain) {
            (Some(h), Some(d)) if !h.contains('.') => format!("{h}.{d}"),
            (Some(h), _) => h.clone(),
            (None, _) => b.container.to_string(),
        };
        out.push(described(ctx, &b, &who));
        if let (Some(ExpresswayRole::C), Some(config)) = (b.role, b.config) {
            let zones: Vec<ZoneDump> = b.zones.iter().map(|(z, _)| z.clone()).collect();
            out.extend(unnamed_peers(ctx, config, &who, &zones));
        }
        out.extend(zones_down(ctx, &b, &who));
    }
    out
}

/// The note on one Expressway: host, role, version, traversal zones with peers and status.
fn described(ctx: &Ctx<'_>, b: &Expressway<'_>, who: &str) -> Finding {
    let traversal: Vec<String> = b
        .zones
        .iter()
        .map(|(z, _)| z)
        .filter(|z| is_traversal(z))
        .map(|z| {
            let peers = if z.peers.is_empty() {
                String::new()
            } else {
                format!(" → {}", z.peers.join(", "))
            };
            let status = z
                .status
                .as_deref()
                .map_or(String::new(), |s| format!(", {s}"));
            format!(
                "{} ({}{peers}{status})",
                zone_label(z),
                z.kind.as_deref().unwrap_or("")
            )
        })
        .collect();
    let version = b
        .version
        .as_deref()
        .map_or(String::new(), |v| format!(", version {v}"));
    let zones_text = if traversal.is_empty() {
        String::new()
    } else {
        format!("; traversal: {}", traversal.join("; "))
    };
    let (said, line) = b.said;
    Finding {
        severity: Severity::Info,
        id: "config.expressway".into(),
        phase: Phase::Provisioning,
        summary: format!(
            "{who} is {} by its own dumps{version}{zones_text}",
            role_name(b.role)
        ),
        evidence: vec![line_evidence(
            ctx,
            said,
            line,
            "the dump that says it".into(),
        )],
    }
}

/// A warning per zone a status dump shows other than active.
fn zones_down(ctx: &Ctx<'_>, b: &Expressway<'_>, who: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (z, shown) in &b.zones {
        let (Some(status), Some((t, line))) = (&z.status, shown) else {
            continue;
        };
        if ["active", "on", "ok"].contains(&status.to_ascii_lowercase().as_str()) {
            continue;
        }
        let why = if is_traversal(z) {
            ": the traversal zone carries MRA's SIP and the C→E tunnels"
        } else {
            ""
        };
        out.push(Finding {
            severity: Severity::Warning,
            id: "config.zone_down".into(),
            phase: Phase::Sip,
            summary: format!(
                "{who}'s status dump shows {} {status} when the logs were collected{why}",
                zone_label(z)
            ),
            evidence: vec![line_evidence(
                ctx,
                t,
                *line,
                format!("{} {status}", zone_label(z)),
            )],
        });
    }
    out
}

/// How the node CUCM names stands among the configured Unified CM servers.
#[derive(Debug, PartialEq)]
enum NodeMatch {
    /// Configured as CUCM names it (this one).
    Same(usize),
    /// Configured under another form of the same name: host name against FQDN.
    ByLabel(usize),
    Missing,
}

fn is_ip(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

/// None when no server is configured (nothing to compare with). Addresses are compared whole
/// (10.0.40.7 is no short form of 10.0.40.6).
fn match_node(node: &str, addresses: &[&str]) -> Option<NodeMatch> {
    if addresses.is_empty() {
        return None;
    }
    let label = first_label(node);
    Some(
        if let Some(i) = addresses.iter().position(|a| a.eq_ignore_ascii_case(node)) {
            NodeMatch::Same(i)
        } else if let Some(i) = addresses.iter().position(|a| first_label(a) == label) {
            NodeMatch::ByLabel(i)
        } else {
            NodeMatch::Missing
        },
    )
}

/// The node CUCM names as the user's home against the Unified CM servers Expressway-C's
/// dump lists: what to add to the home-cluster fault, and the dump line that shows it.
pub fn home_node_check(ctx: &Ctx<'_>, node: &str) -> Option<(String, Evidence)> {
    let mut servers: Vec<(&Tagged, &crate::model::ServerDump)> = Vec::new();
    for &t in &ctx.dumps {
        if let EventKind::ExpresswayDump(dump) = &t.event.kind {
            servers.extend(dump.unified_cm.iter().map(|s| (t, s)));
        }
    }
    let addresses: Vec<&str> = servers.iter().map(|(_, s)| s.address.as_str()).collect();
    let (text, (t, at)) = match match_node(node, &addresses)? {
        NodeMatch::Same(i) => (
            format!(
                " Here, {node} is among the Unified CM servers configured on Expressway-C: refresh them there (the node list is read when they are), then check ILS between clusters."
            ),
            servers[i],
        ),
        NodeMatch::ByLabel(i) => (
            format!(
                " Here, Expressway-C has {} configured and CUCM names the node {node}: a host name against an FQDN (or the reverse) does not match; configure the server as CUCM names its node, and refresh.",
                addresses[i]
            ),
            servers[i],
        ),
        NodeMatch::Missing => (
            format!(
                " Here, none of the Unified CM servers configured on Expressway-C ({}) is {node}: add the home cluster's publisher as CUCM names it, and refresh (or check ILS between clusters).",
                addresses.join(", ")
            ),
            servers[0],
        ),
    };
    Some((
        text,
        line_evidence(
            ctx,
            t,
            at.line,
            format!(
                "Unified CM server {} configured on Expressway-C",
                at.address
            ),
        ),
    ))
}

/// Expressway-C's traversal peers checked against Expressway-E's certificate (a bundle's
/// `server_*.pem`): the peer address must be a name (or IP) the certificate holds, else C
/// refuses E ("TLS certificate identity was unacceptable", F41).
fn unnamed_peers(ctx: &Ctx<'_>, t: &Tagged, who: &str, zones: &[ZoneDump]) -> Vec<Finding> {
    let Some((file, chain)) = ctx.server_file else {
        return Vec::new();
    };
    let Some(leaf) = chain.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for z in zones.iter().filter(|z| {
        z.kind
            .as_deref()
            .is_some_and(|k| k.to_ascii_lowercase().contains("traversalclient"))
    }) {
        for peer in z.peers.iter().filter(|p| !names(leaf, p)) {
            let held: Vec<String> = leaf
                .san_dns
                .iter()
                .cloned()
                .chain(leaf.san_ip.iter().map(|ip| ip.to_string()))
                .collect();
            out.push(Finding {
                severity: Severity::Warning,
                id: "config.traversal_peer_not_in_certificate".into(),
                phase: Phase::Sip,
                summary: format!(
                    "{who} (Expressway-C) reaches Expressway-E through {} at \"{peer}\", which Expressway-E's certificate does not name (CN {}, SAN {}): with TLS verify on, Expressway-C refuses it (\"TLS certificate identity was unacceptable\"); make the peer address a name the certificate holds",
                    zone_label(z),
                    leaf.common_name.as_deref().unwrap_or("none"),
                    if held.is_empty() { "none".to_string() } else { held.join(", ") }
                ),
                evidence: vec![
                    line_evidence(ctx, t, z.line, format!("{}, peer {peer}", zone_label(z))),
                    ctx.evidence(file, "Expressway-E's server certificate"),
                ],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(input: usize, host: &str, role: ExpresswayRole) -> Tagged {
        Tagged {
            input,
            event: crate::model::Event {
                frame: 0,
                ts: 0,
                kind: EventKind::ExpresswayDump(Box::new(crate::model::ExpresswayDump {
                    line: 1,
                    host: Some(host.into()),
                    domain: None,
                    role: Some(role),
                    role_line: Some(2),
                    version: None,
                    zones: Vec::new(),
                    unified_cm: Vec::new(),
                    addresses: Vec::new(),
                })),
            },
        }
    }

    #[test]
    fn a_role_comes_from_the_dumps_then_from_the_host_name() {
        let inputs: Vec<String> = [
            "edge.tar.gz:xconf_dump_edge1.txt",
            "core.tar.gz:xconf_dump_core1.txt",
            "both/xconf_dump_edge1.txt",
            "both/xconf_dump_core1.txt",
        ]
        .map(String::from)
        .to_vec();
        let dumps = [
            dump(0, "edge1.example.com", ExpresswayRole::E),
            dump(1, "core1", ExpresswayRole::C),
            dump(2, "edge1", ExpresswayRole::E),
            dump(3, "core1", ExpresswayRole::C),
        ];
        let roles = Roles::from_dumps(&inputs, &dumps);
        // A file of a bundle whose dump says E, whatever its name.
        assert_eq!(
            roles.of("edge.tar.gz:loggingsnapshot_x.txt", None),
            Party::ExpresswayE
        );
        // A log line's host by the dump of that host, from any bundle; the host's dump
        // outranks the bundle's (two boxes' logs gathered in one bundle).
        assert_eq!(
            roles.of("core.tar.gz:all.log", Some("EDGE1.example.com")),
            Party::ExpresswayE
        );
        assert_eq!(roles.of("other.log", Some("core1")), Party::ExpresswayC);
        // A folder whose dumps say both roles says nothing by itself: the name decides.
        assert_eq!(roles.of("both/network_log", None), Party::Expressway);
        assert_eq!(
            roles.of("both/network_log", Some("vcs-c2")),
            Party::ExpresswayC
        );
        assert_eq!(roles.of("x.log", Some("mail1")), Party::Expressway);
    }

    #[test]
    fn the_home_node_is_the_same_a_short_form_or_missing() {
        let configured = ["cucm-pub.example.local", "10.0.40.6"];
        assert_eq!(
            match_node("CUCM-PUB.example.local", &configured),
            Some(NodeMatch::Same(0))
        );
        assert_eq!(
            match_node("cucm-pub", &configured),
            Some(NodeMatch::ByLabel(0))
        );
        assert_eq!(
            match_node("10.0.40.6", &configured),
            Some(NodeMatch::Same(1))
        );
        assert_eq!(
            match_node("cucm-sub2", &configured),
            Some(NodeMatch::Missing)
        );
        assert_eq!(
            match_node("10.0.40.7", &configured),
            Some(NodeMatch::Missing)
        );
        assert_eq!(match_node("cucm-pub", &[]), None);
    }

    #[test]
    fn a_dump_file_name_holds_the_host() {
        assert_eq!(
            host_from_file_name("b.tar:xstat_dump_core01_2026-11-26_14-17-30.txt").as_deref(),
            Some("core01")
        );
        assert_eq!(
            host_from_file_name("xconf_dump_exp_c_01_2026-11-26_14-17-30.xml").as_deref(),
            Some("exp_c_01")
        );
        assert_eq!(
            host_from_file_name("case/server_lon-expressway_c1_2026-11-26_14-17-30.pem").as_deref(),
            Some("lon-expressway_c1")
        );
        assert_eq!(
            host_from_file_name("loggingsnapshot_x_2026-11-26.txt").as_deref(),
            Some("x")
        );
        assert_eq!(host_from_file_name("diagnostic_log_x_2026-11-26.txt"), None);
        assert_eq!(host_from_file_name("client.pcap"), None);
    }
}
