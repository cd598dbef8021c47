//! Judge one TCP connection to Expressway-E: did it get through TCP, STARTTLS (XMPP) and the
//! TLS handshake, and if not, which problem of the fault catalog does the evidence show?

use super::Tagged;
use crate::model::{
    CertSummary, Endpoint, EventKind, Side, TcpOutcome, alert_name, tls_version_name,
};
use crate::proto::x509::dns_name_matches;

/// One connection with its events, in capture order.
pub struct Connection<'a> {
    pub input: usize,
    pub stream: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub start_ts: i64,
    pub summary: &'a Tagged,
    pub events: Vec<&'a Tagged>,
}

pub enum Judgement<'a> {
    Ok {
        summary: String,
        evidence: Vec<(&'a Tagged, String)>,
        warnings: Vec<(String, String, &'a Tagged)>,
    },
    Failed {
        problem: &'static str,
        summary: String,
        evidence: Vec<(&'a Tagged, String)>,
    },
    Inconclusive {
        summary: String,
        evidence: Vec<(&'a Tagged, String)>,
    },
}

impl<'a> Connection<'a> {
    fn find(&self, pred: impl Fn(&EventKind) -> bool) -> Option<&'a Tagged> {
        self.events.iter().copied().find(|t| pred(&t.event.kind))
    }

    pub fn sni(&self) -> Option<String> {
        self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::TlsClientHello { sni, .. } => sni.clone(),
            _ => None,
        })
    }

    /// `hidden`: a server certificate from a file (a bundle's `server_*.pem`), judged in
    /// place of the chain TLS 1.3 encrypts.
    pub fn judge(
        &self,
        anchors: &[crate::certs::AnchorSet],
        hidden: Option<(&'a Tagged, &'a [CertSummary])>,
    ) -> Judgement<'a> {
        let EventKind::TcpConnection {
            outcome,
            syn_count,
            first_rst,
            first_fin,
            icmp,
            ..
        } = &self.summary.event.kind
        else {
            unreachable!("a connection is built from its summary event")
        };
        let server = self.server;
        let syn = self
            .find(|k| matches!(k, EventKind::TcpSyn { .. }))
            .unwrap_or(self.summary);
        match outcome {
            TcpOutcome::Unanswered => {
                return Judgement::Failed {
                    problem: "tcp_unanswered",
                    summary: format!("{syn_count} SYN(s) to {server}, no reply"),
                    evidence: vec![(
                        syn,
                        format!("SYN to {server}, {syn_count} sent in all, never answered"),
                    )],
                };
            }
            TcpOutcome::Refused => {
                let rst = self
                    .find(|k| matches!(k, EventKind::TcpRst { .. }))
                    .unwrap_or(self.summary);
                return Judgement::Failed {
                    problem: "tcp_refused",
                    summary: format!("{server} answered the SYN with a reset"),
                    evidence: vec![
                        (syn, format!("SYN to {server}")),
                        (rst, "RST from the server: connection refused".into()),
                    ],
                };
            }
            TcpOutcome::IcmpUnreachable => {
                let reason = icmp.as_deref().unwrap_or("unreachable");
                // A port unreachable or an administrative prohibition is an active refusal;
                // a host or network unreachable means the SYN went nowhere.
                let problem = match reason {
                    "port unreachable" | "administratively prohibited" => "tcp_refused",
                    _ => "tcp_unanswered",
                };
                let mut evidence = vec![(syn, format!("SYN to {server}"))];
                if let Some(t) = self.find(|k| matches!(k, EventKind::IcmpUnreachable { .. })) {
                    evidence.push((t, format!("ICMP {reason} from the path to {server}")));
                }
                return Judgement::Failed {
                    problem,
                    summary: format!("{server}: ICMP {reason} in reply to the SYN"),
                    evidence,
                };
            }
            TcpOutcome::Established => {}
        }
        let mut evidence: Vec<(&'a Tagged, String)> = Vec::new();
        let mut summary_parts = vec!["TCP ok".to_string()];

        // XMPP before TLS.
        if let Some(open) = self.find(|k| {
            matches!(
                k,
                EventKind::XmppStreamOpen {
                    from: Side::Client,
                    ..
                }
            )
        }) {
            if let EventKind::XmppStreamOpen { to, .. } = &open.event.kind {
                evidence.push((
                    open,
                    format!("XMPP stream opened to '{}'", to.as_deref().unwrap_or("?")),
                ));
            }
            let refusal = self.find(|k| {
                matches!(
                    k,
                    EventKind::XmppFeatures {
                        starttls: false,
                        ..
                    } | EventKind::XmppFailure { .. }
                        | EventKind::XmppStreamError { .. }
                )
            });
            let proceed = self.find(|k| matches!(k, EventKind::XmppProceed { .. }));
            match (proceed, refusal) {
                (None, Some(t)) => {
                    let what = match &t.event.kind {
                        EventKind::XmppFeatures { .. } => {
                            "the server's stream features do not offer STARTTLS".to_string()
                        }
                        EventKind::XmppFailure { .. } => {
                            "the server answered <starttls/> with <failure/>".to_string()
                        }
                        EventKind::XmppStreamError {
                            condition, from, ..
                        } => {
                            format!(
                                "the {} closed the stream with error <{condition}/>",
                                side_name(*from)
                            )
                        }
                        _ => unreachable!(),
                    };
                    evidence.push((t, what.clone()));
                    return Judgement::Failed {
                        problem: "starttls_refused",
                        summary: what,
                        evidence,
                    };
                }
                (Some(p), _) => {
                    evidence.push((p, "server sent <proceed/>: TLS starts".into()));
                    summary_parts.push("STARTTLS ok".into());
                }
                (None, None) => {
                    return self.early_end(
                        evidence,
                        summary_parts,
                        "before STARTTLS completed",
                        *first_rst,
                        *first_fin,
                    );
                }
            }
        }

        let Some(hello) = self.find(|k| matches!(k, EventKind::TlsClientHello { .. })) else {
            return self.early_end(
                evidence,
                summary_parts,
                "before any TLS",
                *first_rst,
                *first_fin,
            );
        };
        let sni = self.sni();
        evidence.push((
            hello,
            format!("ClientHello, SNI {}", sni.as_deref().unwrap_or("(none)")),
        ));
        let server_hello = self.find(|k| matches!(k, EventKind::TlsServerHello { .. }));
        let version = server_hello.and_then(|t| match t.event.kind {
            EventKind::TlsServerHello { version, .. } => Some(version),
            _ => None,
        });
        if let Some(v) = version {
            summary_parts.push(format!(
                "{}, SNI {}",
                tls_version_name(v),
                sni.as_deref().unwrap_or("(none)")
            ));
        }
        let seen = self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::TlsCertificate { chain, .. } => Some((*t, chain.as_slice())),
            _ => None,
        });
        let tls13 = version == Some(crate::model::TLS_1_3);
        // TLS 1.3 encrypts the chain: a server certificate file stands in for it, judged at
        // this handshake's time.
        let from_file = if seen.is_none() && tls13 {
            hidden
        } else {
            None
        };
        let chain = seen.or(from_file);
        let cert_problems = chain
            .map(|(_, chain)| certificate_problems(chain, sni.as_deref(), hello.event.ts))
            .unwrap_or_default();
        match (seen, from_file) {
            (Some((t, chain)), _) => {
                summary_parts.push(chain_summary(chain));
                evidence.push((t, format!("certificate chain [{}]", chain_text(chain))));
            }
            (None, Some((t, chain))) => {
                summary_parts.push(format!(
                    "certificate not visible (TLS 1.3); the server certificate file says {}",
                    chain_summary(chain)
                ));
                evidence.push((
                    t,
                    format!(
                        "server certificate file (TLS 1.3 encrypts the chain in the capture) [{}]",
                        chain_text(chain)
                    ),
                ));
            }
            (None, None) if tls13 => {
                summary_parts.push("certificate not visible (TLS 1.3)".into());
            }
            _ => {}
        }

        let alert = self.find(|k| matches!(k, EventKind::TlsAlert { level: 2, .. }));
        if let Some(t) = alert
            && let EventKind::TlsAlert {
                from, description, ..
            } = t.event.kind
        {
            let name = alert_name(description);
            let problem = alert_problem(from, description, &cert_problems);
            let who = side_name(from);
            summary_parts.push(format!("{who} sent fatal alert {name}"));
            evidence.push((t, format!("fatal alert {name} from the {who}")));
            return Judgement::Failed {
                problem,
                summary: summary_parts.join(" · "),
                evidence,
            };
        }
        let done = self.find(|k| matches!(k, EventKind::TlsHandshakeDone { .. }));
        let client_request = self.find(|k| {
            matches!(
                k,
                EventKind::TlsApplicationData {
                    from: Side::Client,
                    ..
                }
            )
        });
        let client_closed =
            matches!(first_rst, Some(Side::Client)) || matches!(first_fin, Some(Side::Client));
        // Some clients check the name or dates only after the handshake: a client that
        // completes it and hangs up without a single request rejected what it saw.
        let client_alerted = self
            .find(|k| {
                matches!(
                    k,
                    EventKind::TlsEncryptedAlert {
                        from: Side::Client,
                        ..
                    }
                )
            })
            .is_some();
        if let (Some(d), None, true, Some((problem, text))) = (
            done,
            client_request,
            client_closed || client_alerted,
            cert_problems.first(),
        ) {
            evidence.push((
                d,
                "handshake completed, then the client closed without sending a request".into(),
            ));
            evidence.push((chain.expect("problems come from a chain").0, text.clone()));
            summary_parts.push("client hung up after the handshake without a request".into());
            return Judgement::Failed {
                problem,
                summary: summary_parts.join(" · "),
                evidence,
            };
        }
        if let (Some(d), None, true, true, None) =
            (done, client_request, client_closed, tls13, chain)
        {
            evidence.push((
                d,
                "handshake completed, then the client closed without sending a request".into(),
            ));
            summary_parts.push("client hung up after the handshake without a request: with TLS 1.3 the certificate is hidden, but this is how a client that rejects it after the handshake behaves (a name not in the SAN, usually); the bundle's server_*.pem or the Jabber log tells which".into());
            return Judgement::Failed {
                problem: "tls_handshake_failed",
                summary: summary_parts.join(" · "),
                evidence,
            };
        }
        if let Some(d) = done {
            evidence.push((d, "handshake completed".into()));
            let warnings = cert_problems
                .into_iter()
                .map(|(id, text)| {
                    (
                        id.to_string(),
                        format!("{text} (the client accepted it nonetheless)"),
                        chain.map(|c| c.0).unwrap_or(d),
                    )
                })
                .collect();
            return Judgement::Ok {
                summary: summary_parts.join(" · "),
                evidence,
                warnings,
            };
        }
        let encrypted_alert = self.find(|k| {
            matches!(
                k,
                EventKind::TlsEncryptedAlert {
                    from: Side::Client,
                    ..
                }
            )
        });
        if (client_closed || encrypted_alert.is_some()) && server_hello.is_some() {
            if let Some((problem, text)) = cert_problems.first() {
                summary_parts.push("client closed without an alert".into());
                evidence.push((chain.expect("problems come from a chain").0, text.clone()));
                return Judgement::Failed {
                    problem,
                    summary: summary_parts.join(" · "),
                    evidence,
                };
            }
            // A chain no anchor set accepts, closed on without a word: untrusted.
            if let Some((t, chain)) = chain {
                let at = t.event.ts.div_euclid(1_000_000_000);
                let verdicts = crate::certs::validate(chain, sni.as_deref(), at, anchors);
                if !verdicts.is_empty() && verdicts.iter().all(|v| !v.accepted) {
                    let why: Vec<String> = verdicts
                        .iter()
                        .map(|v| {
                            format!("{}: {}", v.anchor_set, v.reason.as_deref().unwrap_or("?"))
                        })
                        .collect();
                    summary_parts.push("client closed without an alert".into());
                    evidence.push((
                        t,
                        format!("no trust anchor accepts this chain ({})", why.join("; ")),
                    ));
                    return Judgement::Failed {
                        problem: "tls_untrusted",
                        summary: summary_parts.join(" · "),
                        evidence,
                    };
                }
            }
            if let Some(t) = encrypted_alert {
                let text = if version == Some(crate::model::TLS_1_3) {
                    "client sent an encrypted alert after the server's encrypted certificate: it rejected the certificate (untrusted or wrong name) or the handshake"
                } else {
                    "client sent an encrypted alert instead of finishing the handshake"
                };
                summary_parts.push("client aborted the handshake".into());
                evidence.push((t, text.into()));
                return Judgement::Failed {
                    problem: "tls_handshake_failed",
                    summary: summary_parts.join(" · "),
                    evidence,
                };
            }
            if tls13 {
                summary_parts.push("client closed after the server's encrypted certificate and Finished, without its own Finished: it rejected the certificate (a name not in the SAN or an untrusted CA, usually); the bundle's server_*.pem or the Jabber log tells which".into());
            } else {
                summary_parts.push("client closed during the handshake".into());
            }
            return Judgement::Failed {
                problem: "tls_handshake_failed",
                summary: summary_parts.join(" · "),
                evidence,
            };
        }
        if server_hello.is_none() {
            if let Some(rst) = self.find(|k| {
                matches!(
                    k,
                    EventKind::TcpRst {
                        from: Side::Server,
                        ..
                    }
                )
            }) {
                evidence.push((rst, "reset by the server after the ClientHello".into()));
                summary_parts.push("reset after ClientHello".into());
                return Judgement::Failed {
                    problem: "tcp_reset",
                    summary: summary_parts.join(" · "),
                    evidence,
                };
            }
            if let Some(fin) = self.find(|k| {
                matches!(
                    k,
                    EventKind::TcpFin {
                        from: Side::Server,
                        ..
                    }
                )
            }) {
                evidence.push((
                    fin,
                    "server closed the connection without answering the ClientHello".into(),
                ));
                summary_parts.push("server closed after ClientHello".into());
                return Judgement::Failed {
                    problem: "tls_handshake_failed",
                    summary: summary_parts.join(" · "),
                    evidence,
                };
            }
        }
        if let Some(rst) = self.find(|k| matches!(k, EventKind::TcpRst { .. })) {
            let EventKind::TcpRst { from, .. } = rst.event.kind else {
                unreachable!()
            };
            evidence.push((
                rst,
                format!("reset by the {} during the handshake", side_name(from)),
            ));
            summary_parts.push("reset during handshake".into());
            return Judgement::Failed {
                problem: "tcp_reset",
                summary: summary_parts.join(" · "),
                evidence,
            };
        }
        summary_parts.push("capture ends before the handshake completed".into());
        Judgement::Inconclusive {
            summary: summary_parts.join(" · "),
            evidence,
        }
    }

    /// The connection ended (or the capture did) before the expected protocol step.
    fn early_end(
        &self,
        mut evidence: Vec<(&'a Tagged, String)>,
        mut parts: Vec<String>,
        when: &str,
        first_rst: Option<Side>,
        first_fin: Option<Side>,
    ) -> Judgement<'a> {
        if let Some(side) = first_rst {
            let rst = self
                .find(|k| matches!(k, EventKind::TcpRst { .. }))
                .unwrap_or(self.summary);
            parts.push(format!("reset by the {} {when}", side_name(side)));
            evidence.push((rst, format!("RST from the {}", side_name(side))));
            return Judgement::Failed {
                problem: "tcp_reset",
                summary: parts.join(" · "),
                evidence,
            };
        }
        if let Some(Side::Server) = first_fin {
            let fin = self
                .find(|k| matches!(k, EventKind::TcpFin { .. }))
                .unwrap_or(self.summary);
            parts.push(format!("closed by the server {when}"));
            evidence.push((fin, "FIN from the server".into()));
            return Judgement::Failed {
                problem: "tls_handshake_failed",
                summary: parts.join(" · "),
                evidence,
            };
        }
        let syn_ack = self
            .find(|k| matches!(k, EventKind::TcpSynAck { .. }))
            .unwrap_or(self.summary);
        evidence.push((syn_ack, "connection established".into()));
        parts.push(format!("capture ends {when}"));
        Judgement::Inconclusive {
            summary: parts.join(" · "),
            evidence,
        }
    }
}

pub fn side_name(side: Side) -> &'static str {
    match side {
        Side::Client => "client",
        Side::Server => "server",
    }
}

/// Map a fatal alert to the catalog, refined by what the certificate shows.
fn alert_problem(
    from: Side,
    description: u8,
    cert_problems: &[(&'static str, String)],
) -> &'static str {
    let cert_problem = cert_problems.first().map(|(p, _)| *p);
    use crate::model::alert::*;
    match (from, description) {
        (Side::Client, UNKNOWN_CA) => "tls_untrusted",
        (Side::Client, CERTIFICATE_EXPIRED) => "tls_expired",
        (Side::Client, BAD_CERTIFICATE | UNSUPPORTED_CERTIFICATE | CERTIFICATE_UNKNOWN) => {
            cert_problem.unwrap_or("tls_untrusted")
        }
        (_, PROTOCOL_VERSION) => "tls_version_mismatch",
        _ => "tls_handshake_failed",
    }
}

/// What is wrong with a chain for this SNI at this time, most specific first.
pub fn certificate_problems(
    chain: &[CertSummary],
    sni: Option<&str>,
    ts_ns: i64,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(leaf) = chain.first() else {
        return out;
    };
    let now = ts_ns.div_euclid(1_000_000_000);
    if let Some(sni) = sni {
        let covered = if leaf.san_dns.is_empty() {
            false
        } else {
            leaf.san_dns.iter().any(|p| dns_name_matches(p, sni))
        };
        if !covered {
            let sans = if leaf.san_dns.is_empty() {
                format!(
                    "no DNS SAN at all (CN={}; clients check the SAN only)",
                    leaf.common_name.as_deref().unwrap_or("?")
                )
            } else {
                format!("SAN [{}]", leaf.san_dns.join(", "))
            };
            out.push((
                "tls_name_mismatch",
                format!(
                    "certificate {} does not cover the SNI {sni}: {sans}",
                    short_name(leaf)
                ),
            ));
        }
    }
    if now > leaf.not_after || now < leaf.not_before {
        let when = if now > leaf.not_after {
            "expired"
        } else {
            "not yet valid"
        };
        out.push((
            "tls_expired",
            format!(
                "certificate {} {when} at capture time (valid {} to {})",
                short_name(leaf),
                crate::time::format_ns(leaf.not_before * 1_000_000_000),
                crate::time::format_ns(leaf.not_after * 1_000_000_000)
            ),
        ));
    }
    if chain.len() == 1 && leaf.self_signed {
        out.push((
            "tls_untrusted",
            format!(
                "certificate {} is self-signed: no client trusts it unless told to",
                short_name(leaf)
            ),
        ));
    }
    out
}

/// `CN=leaf ← CN=intermediate ← issued by CN=root`: the chain as sent, and who signed its top.
fn chain_text(chain: &[CertSummary]) -> String {
    let mut parts: Vec<String> = chain.iter().map(short_name).collect();
    if let Some(top) = chain.last()
        && !top.self_signed
    {
        parts.push(format!("issued by {}", issuer_cn(top)));
    }
    parts.join(" ← ")
}

fn issuer_cn(c: &CertSummary) -> String {
    match c.issuer.rsplit(", ").find_map(|p| p.strip_prefix("CN=")) {
        Some(cn) => format!("CN={cn}"),
        None => c.issuer.clone(),
    }
}

pub fn short_name(c: &CertSummary) -> String {
    match &c.common_name {
        Some(cn) => format!("CN={cn}"),
        None => c.subject.clone(),
    }
}

fn chain_summary(chain: &[CertSummary]) -> String {
    match chain.first() {
        Some(leaf) => {
            let issuer = issuer_cn(leaf);
            let selfsigned = if leaf.self_signed {
                ", self-signed"
            } else {
                ""
            };
            format!("certificate {} by {issuer}{selfsigned}", short_name(leaf))
        }
        None => "empty certificate chain".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_alert_maps_to_its_problem_by_who_sent_it_and_the_certificate() {
        let none: &[(&'static str, String)] = &[];
        let name = [("tls_name_mismatch", "no SAN for expe".to_string())];
        assert_eq!(alert_problem(Side::Client, 48, none), "tls_untrusted");
        assert_eq!(alert_problem(Side::Client, 45, none), "tls_expired");
        // A generic certificate alert: what the certificate shows decides, else untrusted.
        assert_eq!(alert_problem(Side::Client, 42, &name), "tls_name_mismatch");
        assert_eq!(alert_problem(Side::Client, 46, none), "tls_untrusted");
        assert_eq!(
            alert_problem(Side::Server, 70, none),
            "tls_version_mismatch"
        );
        assert_eq!(
            alert_problem(Side::Client, 70, none),
            "tls_version_mismatch"
        );
        // The server refusing a certificate alert's meaning is not the client's distrust.
        assert_eq!(
            alert_problem(Side::Server, 48, none),
            "tls_handshake_failed"
        );
        assert_eq!(
            alert_problem(Side::Client, 40, none),
            "tls_handshake_failed"
        );
    }
}
