//! Generic recognisers: catalog entries that match a line by its structure (an Expressway TLS
//! negotiation error, a client's HTTP outcome, an alarm, a login error) and are read here by
//! their fields (the port, the URL and status, the alarm id, the error code) rather than by
//! one wording. A reading names the phase and a core fault only when the structure leaves no
//! doubt; otherwise it is a warning with the line.

use crate::faults::Phase;
use crate::model::Severity;
use std::collections::BTreeMap;

/// Which reading a generic catalog entry asks for (`generic = "…"` in the catalog).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generic {
    /// A TLS failure Expressway logged: the server port decides the phase, the detail the fault.
    TlsPort,
    /// A TCP connection Expressway could not open: the port decides the phase (a warning).
    TcpPort,
    /// A client's HTTP request that failed: the URL decides the phase, the status or the curl
    /// outcome the fault.
    HttpOutcome,
    /// An Expressway alarm, by its id in the alarm list.
    Alarm,
    /// A Jabber login error (`LERR_…`, a SOAP login failure).
    LoginError,
}

/// What a generic line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub phase: Phase,
    pub fault: Option<String>,
    pub severity: Severity,
    /// Why, in a few words (becomes the line's `reading` field).
    pub why: String,
}

/// Read a generic line from its fields; `default` is the catalog entry's phase, used when
/// the structure names none.
pub fn read(kind: Generic, fields: &impl Lookup, default: Phase) -> Reading {
    match kind {
        Generic::TlsPort => tls_port(fields, default),
        Generic::TcpPort => tcp_port(fields, default),
        Generic::HttpOutcome => http_outcome(fields, default),
        Generic::Alarm => alarm(fields, default),
        Generic::LoginError => login_error(fields),
    }
}

/// The fields a generic line is read from: a hit's as the scan gathered them, or a joined
/// request's.
pub trait Lookup {
    fn field(&self, name: &str) -> Option<&str>;
}

impl Lookup for BTreeMap<String, String> {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Lookup for crate::model::FieldMap {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

fn field<'a>(fields: &'a impl Lookup, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| fields.field(n))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// The MRA phase a server port belongs to.
pub fn phase_of_port(port: u16) -> Option<Phase> {
    match port {
        8443 | 6970..=6972 => Some(Phase::Provisioning),
        5222 | 7400 => Some(Phase::Xmpp),
        5061 | 5062 | 7001..=7010 => Some(Phase::Sip),
        _ => None,
    }
}

/// The server's port: `Dst-port` of an event line; for a TLS library line, the local port
/// when Expressway was the server, else the remote one.
fn port(fields: &impl Lookup) -> Option<u16> {
    let name = match field(fields, &["server"]) {
        Some("true") => "local_port",
        Some(_) => "remote_port",
        None => "Dst-port",
    };
    field(fields, &[name])?.parse().ok()
}

fn fault(phase: Phase, problem: &str) -> Option<String> {
    Some(format!("{}.{problem}", phase.name()))
}

fn fault_reading(phase: Phase, problem: &str, why: String) -> Reading {
    Reading {
        phase,
        fault: fault(phase, problem),
        severity: Severity::Fault,
        why,
    }
}

fn warning(phase: Phase, why: String) -> Reading {
    Reading {
        phase,
        fault: None,
        severity: Severity::Warning,
        why,
    }
}

/// The TLS problem an OpenSSL-style reason or an Expressway detail names.
pub fn tls_problem(detail: &str) -> &'static str {
    let d = detail.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| d.contains(w));
    if has(&[
        "identity was unacceptable",
        "cn_no_match",
        "hostname mismatch",
        "name mismatch",
    ]) {
        "tls_name_mismatch"
    } else if has(&["expired"]) {
        "tls_expired"
    } else if has(&[
        "certificate unknown",
        "unknown ca",
        "self signed",
        "self-signed",
        "unable to get local issuer",
        "certificate verify failed",
        "bad certificate",
        "cannot be authenticated",
        "certificate_validation_error",
    ]) {
        "tls_untrusted"
    } else if has(&["protocol version", "unsupported protocol", "wrong version"]) {
        "tls_version_mismatch"
    } else {
        "tls_handshake_failed"
    }
}

fn tls_port(fields: &impl Lookup, default: Phase) -> Reading {
    let detail = field(fields, &["Detail", "Reason", "reason"]).unwrap_or("");
    let Some(p) = port(fields) else {
        return warning(
            default,
            format!("TLS failure on no port the line names: {detail}"),
        );
    };
    let Some(phase) = phase_of_port(p) else {
        return warning(
            default,
            format!("TLS failure on port {p}, no MRA port: {detail}"),
        );
    };
    let problem = if (7001..=7010).contains(&p) {
        "traversal_failed"
    } else {
        tls_problem(detail)
    };
    fault_reading(phase, problem, format!("TLS failure on port {p}: {detail}"))
}

fn tcp_port(fields: &impl Lookup, default: Phase) -> Reading {
    match port(fields) {
        Some(p) => warning(
            phase_of_port(p).unwrap_or(default),
            format!("Expressway could not open a TCP connection to port {p}"),
        ),
        None => warning(default, "Expressway could not open a TCP connection".into()),
    }
}

/// The phase an HTTP request's URL belongs to, and whether the URL alone shows it (a path
/// MRA uses) or only its port does.
fn phase_of_url(url: &str) -> Option<(Phase, bool)> {
    let u = url.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| u.contains(w));
    if has(&[
        "get_edge_config",
        "/cucm-uds/",
        ".cnf.xml",
        "jabber-config",
        "/ucmuser",
    ]) {
        return Some((Phase::Provisioning, true));
    }
    if has(&["/vmrest/", "unityconnection", "/voicemail"]) {
        return Some((Phase::Voicemail, true));
    }
    if has(&["/http-bind", "/epassoap/"]) {
        return Some((Phase::Xmpp, true));
    }
    let authority = u.split("://").nth(1)?.split('/').next()?;
    let port: u16 = authority.rsplit_once(':')?.1.parse().ok()?;
    phase_of_port(port).map(|p| (p, false))
}

/// What a curl outcome (a curl code, its message, or the client's result name) means.
fn curl_problem(fields: &impl Lookup) -> Option<(&'static str, String)> {
    let code: Option<u32> = field(fields, &["curl_code"]).and_then(|c| c.parse().ok());
    let text = [field(fields, &["curl_message"]), field(fields, &["result"])]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let t = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let problem = if has(&["from proxy"]) {
        "tcp_refused"
    } else if code == Some(6) || has(&["resolve host", "unresolved_host"]) {
        "host_unresolved"
    } else if code == Some(7) || has(&["couldn't connect", "connection refused"]) {
        "tcp_refused"
    } else if code == Some(28) || has(&["timed out", "timeout"]) {
        "tcp_unanswered"
    } else if code == Some(51) || has(&["no alternative certificate subject name"]) {
        "tls_name_mismatch"
    } else if matches!(code, Some(60 | 77)) || has(&["certificate"]) {
        tls_problem(&t)
    } else if code == Some(35) || has(&["ssl connect error", "handshake"]) {
        "tls_handshake_failed"
    } else if matches!(code, Some(52 | 56)) || has(&["reset by peer", "empty reply"]) {
        "tcp_reset"
    } else {
        return None;
    };
    Some((problem, text))
}

fn http_outcome(fields: &impl Lookup, default: Phase) -> Reading {
    let url = field(fields, &["url"]).unwrap_or("");
    let status: u16 = field(fields, &["status"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (phase, by_path) = phase_of_url(url).unwrap_or((default, false));
    let what = if url.is_empty() {
        "an HTTP request".to_string()
    } else {
        url.to_string()
    };
    if let Some((problem, text)) = curl_problem(fields) {
        if problem == "host_unresolved" {
            return fault_reading(
                Phase::Discovery,
                "edge_host_unresolved",
                format!("{what}: {text}"),
            );
        }
        return fault_reading(phase, problem, format!("{what}: {text}"));
    }
    let problem = match (phase, status) {
        (Phase::Provisioning | Phase::Xmpp, 401) => Some("auth_failed"),
        (Phase::Provisioning, 403) if url.contains("/cucm-uds/") => Some("uds_forbidden"),
        (Phase::Provisioning, 502) if by_path => Some("next_hop_failed"),
        (Phase::Voicemail, 403) => Some("forbidden"),
        _ => None,
    };
    match problem {
        Some(problem) => fault_reading(phase, problem, format!("{what} answered {status}")),
        None if status == 0 => warning(phase, format!("{what} got no HTTP answer")),
        None => warning(phase, format!("{what} answered {status}")),
    }
}

/// Expressway alarms that bear on MRA (Cisco Expressway Administrator Guide, Alarms
/// Reference): id, phase, what it means for a sign-in. Alarms are the box's state, not one
/// sign-in's outcome: they are warnings.
const ALARMS: &[(u32, Phase, &str)] = &[
    (
        15021,
        Phase::Xmpp,
        "the XCP router is not running on the latest configuration",
    ),
    (
        15030,
        Phase::Provisioning,
        "Unified CM data crosscheck failure",
    ),
    (
        15032,
        Phase::Provisioning,
        "a Unified CM server is unavailable",
    ),
    (25023, Phase::Xmpp, "XMPP federation configuration warning"),
    (25024, Phase::Xmpp, "invalid XMPP network address"),
    (
        25030,
        Phase::Provisioning,
        "reverse DNS lookup of Expressway-E failed (MRA login can fail)",
    ),
    (
        25031,
        Phase::Provisioning,
        "Expressway-E's PTR name is not in its certificate's SAN",
    ),
    (30010, Phase::Sip, "registrations near the licensed limit"),
    (
        30047,
        Phase::Sip,
        "encrypted signalling devices at the licensed limit",
    ),
    (
        35013,
        Phase::Xmpp,
        "Unified Communications SSH tunnel failure (C to E)",
    ),
    (
        35014,
        Phase::Xmpp,
        "Unified Communications SSH tunnel notification failure (TCP 2222)",
    ),
    (
        35015,
        Phase::Sip,
        "Unified CM port conflict between line side and a SIP trunk",
    ),
    (
        40040,
        Phase::Sip,
        "TLS verify mode off on a Unified Communications traversal zone",
    ),
    (
        40043,
        Phase::Sip,
        "media encryption not enforced on a Unified Communications traversal zone",
    ),
    (
        40048,
        Phase::Sip,
        "Unified Communications enabled but SIP TLS off",
    ),
    (
        40054,
        Phase::Provisioning,
        "Expressway-C cannot decrypt CUCM's OAuth tokens",
    ),
    (
        40056,
        Phase::Provisioning,
        "fail2ban blocked client addresses",
    ),
];

fn alarm(fields: &impl Lookup, default: Phase) -> Reading {
    let id: Option<u32> = field(fields, &["alarm", "Id"]).and_then(|v| v.parse().ok());
    match id.and_then(|id| ALARMS.iter().find(|(a, ..)| *a == id)) {
        Some((id, phase, what)) => warning(*phase, format!("alarm {id}: {what}")),
        None => Reading {
            phase: default,
            fault: None,
            severity: Severity::Info,
            why: format!(
                "alarm {}: not one that bears on MRA",
                id.map_or("?".into(), |i| i.to_string())
            ),
        },
    }
}

fn login_error(fields: &impl Lookup) -> Reading {
    let code = field(fields, &["lerr"]).unwrap_or("");
    let text = field(fields, &["reason"]).unwrap_or(code);
    let problem = match code {
        "LERR_CUP_CERT" | "LERR_JABBER_CERT" => Some("tls_untrusted"),
        "LERR_CUP_AUTH" | "LERR_JABBER_AUTH" => Some("auth_failed"),
        _ if text.to_ascii_lowercase().contains("certificate") => Some(tls_problem(text)),
        _ => None,
    };
    match problem {
        Some(p) => fault_reading(Phase::Xmpp, p, format!("IM&P login failed: {text}")),
        None => warning(Phase::Xmpp, format!("IM&P login failed: {text}")),
    }
}

/// How far apart (in lines) two lines naming the same request number may be: the client
/// numbers its requests from 0 again when it restarts.
pub const SAME_REQUEST_LINES: u64 = 500;

/// Requests a Jabber log names by number (`request #20`): an outcome line without its URL
/// takes it from another line of the same request, and a line with the URL but no cause
/// takes the cause; the reading is then redone on the joined fields. Returns, per event, the
/// index of the event it was merged into (the one without the URL drops out).
pub fn join_requests(items: &mut [(usize, BTreeMap<String, String>)]) -> Vec<Option<usize>> {
    let mut merged = vec![None; items.len()];
    for i in 0..items.len() {
        let Some(request) = items[i].1.get("request").cloned() else {
            continue;
        };
        // The nearest other line of the same request, within a few hundred log lines.
        let partner = (0..items.len()).filter(|&j| j != i).find(|&j| {
            items[j].1.get("request") == Some(&request)
                && (items[j].0 as u64).abs_diff(items[i].0 as u64) <= SAME_REQUEST_LINES
                && items[j].1.contains_key("url") != items[i].1.contains_key("url")
        });
        let Some(j) = partner else { continue };
        if items[i].1.contains_key("url") {
            continue; // joined from the other side
        }
        let (from, into) = (i, j);
        let extra: Vec<(String, String)> = items[from]
            .1
            .iter()
            .filter(|(k, _)| !items[into].1.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        items[into].1.extend(extra);
        merged[from] = Some(into);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_port_decides_the_phase_and_the_detail_the_fault() {
        let r = read(
            Generic::TlsPort,
            &f(&[
                ("Dst-port", "5061"),
                ("Detail", "sslv3 alert certificate unknown"),
            ]),
            Phase::Sip,
        );
        assert_eq!(r.fault.as_deref(), Some("sip.tls_untrusted"));
        let r = read(
            Generic::TlsPort,
            &f(&[("Dst-port", "8443"), ("Detail", "certificate has expired")]),
            Phase::Sip,
        );
        assert_eq!(r.fault.as_deref(), Some("provisioning.tls_expired"));
        let r = read(
            Generic::TlsPort,
            &f(&[("Dst-port", "7003"), ("Detail", "unknown ca")]),
            Phase::Sip,
        );
        assert_eq!(r.fault.as_deref(), Some("sip.traversal_failed"));
        // A port MRA does not use: said, not judged.
        let r = read(
            Generic::TlsPort,
            &f(&[("Dst-port", "5986"), ("Detail", "unknown ca")]),
            Phase::Sip,
        );
        assert_eq!((r.severity, r.fault), (Severity::Warning, None));
    }

    #[test]
    fn the_url_decides_the_phase_and_the_outcome_the_fault() {
        let edge = "https://expe.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config/";
        let r = read(
            Generic::HttpOutcome,
            &f(&[("url", edge), ("status", "401")]),
            Phase::Provisioning,
        );
        assert_eq!(r.fault.as_deref(), Some("provisioning.auth_failed"));
        let vm = "https://expe.example.com:8443/ZXhhbXBsZS5jb20/vmrest/user";
        let r = read(
            Generic::HttpOutcome,
            &f(&[("url", vm), ("status", "403")]),
            Phase::Provisioning,
        );
        assert_eq!(r.fault.as_deref(), Some("voicemail.forbidden"));
        let r = read(
            Generic::HttpOutcome,
            &f(&[("url", edge), ("status", "0"), ("curl_code", "28")]),
            Phase::Provisioning,
        );
        assert_eq!(r.fault.as_deref(), Some("provisioning.tcp_unanswered"));
        let r = read(
            Generic::HttpOutcome,
            &f(&[
                ("url", edge),
                ("curl_message", "Couldn't resolve host name"),
            ]),
            Phase::Provisioning,
        );
        assert_eq!(r.fault.as_deref(), Some("discovery.edge_host_unresolved"));
        // 403 on get_edge_config: a domain not enabled, or a blocked client; not said which.
        let r = read(
            Generic::HttpOutcome,
            &f(&[("url", edge), ("status", "403")]),
            Phase::Provisioning,
        );
        assert_eq!((r.severity, r.fault), (Severity::Warning, None));
    }

    #[test]
    fn alarms_that_bear_on_mra_are_warnings_others_notes() {
        let r = read(
            Generic::Alarm,
            &f(&[("alarm", "35013")]),
            Phase::Provisioning,
        );
        assert_eq!((r.phase, r.severity), (Phase::Xmpp, Severity::Warning));
        let r = read(
            Generic::Alarm,
            &f(&[("alarm", "15019")]),
            Phase::Provisioning,
        );
        assert_eq!(r.severity, Severity::Info);
    }

    #[test]
    fn login_errors_by_code() {
        let r = read(
            Generic::LoginError,
            &f(&[("lerr", "LERR_JABBER_AUTH")]),
            Phase::Xmpp,
        );
        assert_eq!(r.fault.as_deref(), Some("xmpp.auth_failed"));
        let r = read(
            Generic::LoginError,
            &f(&[("lerr", "LERR_CUP_UNREACHABLE")]),
            Phase::Xmpp,
        );
        assert_eq!((r.severity, r.fault), (Severity::Warning, None));
    }

    #[test]
    fn a_curl_line_takes_its_url_from_the_same_request() {
        let mut items = vec![
            (10, f(&[("request", "20"), ("curl_code", "56")])),
            (
                11,
                f(&[
                    ("request", "20"),
                    ("url", "https://e:8443/x/get_edge_config/"),
                ]),
            ),
            (12, f(&[("request", "21"), ("curl_code", "7")])),
        ];
        let merged = join_requests(&mut items);
        assert_eq!(merged, vec![Some(1), None, None]);
        assert_eq!(items[1].1.get("curl_code").map(String::as_str), Some("56"));
    }
}
