//! The fault catalog: stable ids (`PHASE.PROBLEM`) users script against, what each means and
//! the fix. Listed by `mradiag signatures`.

use serde::Serialize;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Discovery,
    Provisioning,
    Xmpp,
    Sip,
    Voicemail,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Discovery,
        Phase::Provisioning,
        Phase::Xmpp,
        Phase::Sip,
        Phase::Voicemail,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Discovery => "discovery",
            Phase::Provisioning => "provisioning",
            Phase::Xmpp => "xmpp",
            Phase::Sip => "sip",
            Phase::Voicemail => "voicemail",
        }
    }
}

pub struct Fault {
    pub id: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
}

const fn f(id: &'static str, meaning: &'static str, fix: &'static str) -> Fault {
    Fault { id, meaning, fix }
}

/// Connection-level problems shared by provisioning, xmpp, sip and voicemail.
const CONNECTION: [(&str, &str, &str); 8] = [
    (
        "tcp_unanswered",
        "the client's SYNs got no reply",
        "open the port to Expressway-E on the external firewall (8443, 5222 or 5061 TCP) and check that Expressway-E listens on it",
    ),
    (
        "tcp_refused",
        "the SYN was refused (a reset, or an ICMP port unreachable / administratively prohibited): nothing listens, or a firewall rejects",
        "check that MRA is enabled on Expressway-E and that the port is open and not rejected on the path",
    ),
    (
        "tcp_reset",
        "the connection was reset after it was established, before the exchange completed",
        "look for a firewall, IPS or load balancer on the path that resets TLS, and at Expressway-E's own logs for the connection",
    ),
    (
        "tls_untrusted",
        "the client does not trust the certificate chain Expressway-E presented",
        "give Expressway-E a certificate from a CA the clients trust (a public CA for MRA), and send the full chain",
    ),
    (
        "tls_name_mismatch",
        "the certificate does not cover the name the client asked for (SNI)",
        "reissue Expressway-E's certificate with the SRV target FQDN and the MRA domains in the SAN",
    ),
    (
        "tls_expired",
        "the certificate was outside its validity period when the client saw it",
        "renew Expressway-E's certificate (and check the client's clock)",
    ),
    (
        "tls_version_mismatch",
        "client and server share no TLS version",
        "align the TLS minimum/maximum versions on Expressway-E with what the clients support",
    ),
    (
        "tls_handshake_failed",
        "the TLS handshake failed for another reason",
        "compare the ClientHello with Expressway-E's TLS settings (ciphers, versions, SNI), and check Expressway-E's logs",
    ),
];

pub static SPECIFIC: &[Fault] = &[
    f(
        "discovery.dns_unanswered",
        "the client's DNS queries got no answer",
        "check the client's DNS server and that UDP/TCP 53 reaches it",
    ),
    f(
        "discovery.dns_error",
        "the DNS server answered the SRV query with an error (SERVFAIL, REFUSED)",
        "fix the public DNS zone or the resolver that answered with the error",
    ),
    f(
        "discovery.collab_edge_missing",
        "_collab-edge._tls.<domain> does not exist in the DNS the client used",
        "publish _collab-edge._tls.<domain> SRV → Expressway-E FQDN port 8443 in public DNS (or set VoiceServicesDomain if the edge domain differs)",
    ),
    f(
        "discovery.internal_records_exposed",
        "_cisco-uds._tcp.<domain> resolves outside the network, so the client tries CUCM directly instead of MRA",
        "remove _cisco-uds (and _cuplogin) from the external DNS view",
    ),
    f(
        "discovery.edge_host_unresolved",
        "the SRV target (Expressway-E's FQDN) does not resolve to an address",
        "add public A/AAAA records for the SRV target",
    ),
    f(
        "provisioning.auth_failed",
        "get_edge_config answered 401: the user's credentials were refused",
        "check the user's credentials on CUCM (and LDAP authentication)",
    ),
    f(
        "provisioning.domain_not_enabled",
        "Expressway-E answered 403: the domain is not enabled for MRA",
        "add the domain on Expressway-C and enable it for Unified CM registrations",
    ),
    f(
        "provisioning.next_hop_failed",
        "Expressway-E answered 502: it cannot reach Expressway-C",
        "check the traversal/SSH tunnels (TCP 2222 C→E) and Expressway-C's status",
    ),
    f(
        "provisioning.home_cluster_unknown",
        "Expressway-C could not find the user's home CUCM cluster",
        "compare the Unified CM servers configured on Expressway-C with the node names CUCM reports; refresh the servers; check ILS and the user's Home Cluster flag",
    ),
    f(
        "provisioning.uds_forbidden",
        "CUCM UDS refused the user's query (403)",
        "give the user the Standard CCM End Users role",
    ),
    f(
        "provisioning.edge_config_incomplete",
        "the edge configuration came back without the services the client needs",
        "fix the internal SRV records and the user's service profile",
    ),
    f(
        "provisioning.client_blocked",
        "Expressway-E blocked the client's address",
        "unblock the address and review the automated intrusion protection settings",
    ),
    f(
        "xmpp.starttls_refused",
        "the XMPP server did not offer or refused STARTTLS, or closed the stream with an error",
        "check IM&P over MRA on Expressway-E/-C and the XMPP domain the client asks for",
    ),
    f(
        "xmpp.auth_failed",
        "the XMPP login (SASL) was refused",
        "check that the user is enabled for IM and Presence and that IM&P accepts their credentials (or OAuth token)",
    ),
    f(
        "xmpp.backend_unreachable",
        "Expressway-C cannot reach Expressway-E on 7400 or IM&P",
        "open TCP 7400 C→E and check the IM&P servers on Expressway-C",
    ),
    f(
        "sip.register_rejected",
        "the REGISTER was refused",
        "check the device, the user's line and the security profile on CUCM",
    ),
    f(
        "sip.traversal_failed",
        "the Unified Communications traversal zone between Expressway-C and -E is down",
        "check the traversal zone's credentials, certificates and TCP 7001 C→E",
    ),
    f(
        "sip.service_timeout",
        "the SIP SERVICE from Expressway-E to -C timed out",
        "remove source NAT between Expressway-C and -E",
    ),
    f(
        "voicemail.forbidden",
        "visual voicemail requests were refused (403)",
        "add Unity Connection to Expressway-C's HTTP allow list",
    ),
];

/// Every fault id with its meaning and fix, in a stable order.
pub fn catalog() -> Vec<(String, &'static str, &'static str)> {
    let mut out: Vec<(String, &str, &str)> = Vec::new();
    for f in SPECIFIC.iter().filter(|f| f.id.starts_with("discovery.")) {
        out.push((f.id.to_string(), f.meaning, f.fix));
    }
    for phase in [
        Phase::Provisioning,
        Phase::Xmpp,
        Phase::Sip,
        Phase::Voicemail,
    ] {
        for (problem, meaning, fix) in CONNECTION {
            out.push((format!("{}.{problem}", phase.name()), meaning, fix));
        }
        for f in SPECIFIC
            .iter()
            .filter(|f| f.id.split('.').next() == Some(phase.name()))
        {
            out.push((f.id.to_string(), f.meaning, f.fix));
        }
    }
    out
}

/// What a fault id means, if it is in the catalog.
pub fn meaning_for(id: &str) -> Option<&'static str> {
    if let Some(f) = SPECIFIC.iter().find(|f| f.id == id) {
        return Some(f.meaning);
    }
    let problem = id.split_once('.')?.1;
    CONNECTION
        .iter()
        .find(|(p, ..)| *p == problem)
        .map(|(_, meaning, _)| *meaning)
}

/// The fix for a fault id, if it is in the catalog.
pub fn fix_for(id: &str) -> Option<&'static str> {
    if let Some(f) = SPECIFIC.iter().find(|f| f.id == id) {
        return Some(f.fix);
    }
    let problem = id.split_once('.')?.1;
    CONNECTION
        .iter()
        .find(|(p, ..)| *p == problem)
        .map(|(_, _, fix)| *fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_fault_is_listed_once() {
        let ids: Vec<String> = catalog().into_iter().map(|(id, ..)| id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        for id in [
            "discovery.collab_edge_missing",
            "sip.tls_untrusted",
            "voicemail.tcp_reset",
            "xmpp.starttls_refused",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id}");
            assert!(fix_for(id).is_some());
        }
    }
}
