//! Judge one TCP connection to Expressway-E: did it get through TCP, STARTTLS (XMPP) and the
//! TLS handshake, and if not, which problem of the fault catalog does the evidence show?

use crate::model::Tagged;
use crate::model::{
    CertSummary, Endpoint, EventKind, Side, TcpOutcome, Unreachable, alert_name, tls_version_name,
};
use crate::proto::x509::dns_name_matches;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One connection with its events, in capture order.
pub struct Connection<'a> {
    pub input: usize,
    pub client: Endpoint,
    pub server: Endpoint,
    pub start_ts: i64,
    pub summary: &'a Tagged,
    pub events: Vec<&'a Tagged>,
}

pub enum Judgement<'a> {
    Ok {
        summary: String,
        evidence: Vec<(&'a Tagged, Arc<str>)>,
        warnings: Vec<(String, String, &'a Tagged)>,
    },
    Failed {
        problem: &'static str,
        summary: String,
        evidence: Vec<(&'a Tagged, Arc<str>)>,
        /// A meaning and fix more precise than the fault catalog's (a proxy's refusal).
        advice: Option<(&'static str, &'static str)>,
    },
    Inconclusive {
        summary: String,
        evidence: Vec<(&'a Tagged, Arc<str>)>,
    },
}

/// What a connection's decrypted records say about its phase.
pub enum Inside<'a> {
    /// The answer that settles the phase was a success.
    Worked { at: &'a Tagged, what: String },
    /// It was a refusal: the problem of the fault catalog, and the request it answers.
    Refused {
        at: &'a Tagged,
        request: Option<&'a Tagged>,
        problem: &'static str,
        what: String,
    },
}

/// The evidence and the summary parts gathered so far; a step that reaches a verdict turns
/// them into a [`Judgement`].
#[derive(Default)]
struct Story<'a> {
    evidence: Vec<(&'a Tagged, Arc<str>)>,
    parts: Vec<String>,
}

impl<'a> Story<'a> {
    fn note(&mut self, at: &'a Tagged, text: impl Into<Arc<str>>) {
        self.evidence.push((at, text.into()));
    }

    fn part(&mut self, text: impl Into<String>) {
        self.parts.push(text.into());
    }

    fn failed(self, problem: &'static str) -> Judgement<'a> {
        Judgement::Failed {
            problem,
            summary: self.parts.join(" · "),
            evidence: self.evidence,
            advice: None,
        }
    }

    fn failed_because(
        self,
        problem: &'static str,
        meaning: &'static str,
        fix: &'static str,
    ) -> Judgement<'a> {
        Judgement::Failed {
            problem,
            summary: self.parts.join(" · "),
            evidence: self.evidence,
            advice: Some((meaning, fix)),
        }
    }

    fn inconclusive(self) -> Judgement<'a> {
        Judgement::Inconclusive {
            summary: self.parts.join(" · "),
            evidence: self.evidence,
        }
    }
}

/// How the TCP connection ended, from its summary event.
struct TcpEnd<'s> {
    outcome: TcpOutcome,
    syn_count: u16,
    first_rst: Option<Side>,
    first_fin: Option<Side>,
    icmp: Option<&'s str>,
}

impl TcpEnd<'_> {
    fn client_closed(&self) -> bool {
        self.first_rst == Some(Side::Client) || self.first_fin == Some(Side::Client)
    }
}

/// What the TLS handshake showed up to the first verdict.
struct Tls<'a> {
    sni: Option<String>,
    server_hello: Option<&'a Tagged>,
    version: Option<u16>,
    /// The chain the capture shows, or the certificate file standing in for it (TLS 1.3).
    chain: Option<(&'a Tagged, &'a [crate::model::SharedCert])>,
    cert_problems: Vec<(&'static str, String)>,
}

impl Tls<'_> {
    fn is_1_3(&self) -> bool {
        self.version == Some(crate::model::TLS_1_3)
    }
}

/// A step either lets the judgement go on or ends it.
type Step<'a> = Result<(), Judgement<'a>>;

const PROXY_REFUSED: &str = "the HTTP proxy between the client and Expressway-E refused the tunnel (its answer to CONNECT), so nothing reached Expressway-E";
const PROXY_AUTH_FIX: &str = "the proxy wants credentials the client does not send: exempt Expressway-E's name from the proxy (PAC or bypass list), or give the client the proxy's credentials";
const PROXY_POLICY_FIX: &str = "the proxy's policy forbids this destination or port: allow CONNECT to Expressway-E's name on the MRA ports, or exempt it from the proxy";
const PROXY_PATH_FIX: &str = "the proxy could not or would not reach Expressway-E: check the proxy's own DNS and route to Expressway-E and that it allows CONNECT to the MRA ports, or exempt Expressway-E from the proxy";

const HUNG_UP: &str = "handshake completed, then the client closed without sending a request";

impl<'a> Connection<'a> {
    fn find(&self, pred: impl Fn(&EventKind) -> bool) -> Option<&'a Tagged> {
        self.events.iter().copied().find(|t| pred(&t.event.kind))
    }

    fn find_from(
        &self,
        side: Side,
        pred: impl Fn(&EventKind) -> Option<Side>,
    ) -> Option<&'a Tagged> {
        self.find(|k| pred(k) == Some(side))
    }

    /// What the decrypted records (a key log's) say: the HTTP answers on 8443 (the last
    /// one settles it, a success anywhere proves the exchange), the XMPP login's outcome.
    /// SIP inside TLS is read with SIP in clear (`phases::sip_in_clear`).
    pub fn inside(&self, phase: crate::faults::Phase) -> Option<Inside<'a>> {
        let mut last_request: Option<&'a Tagged> = None;
        let mut refused: Option<Inside<'a>> = None;
        for &t in &self.events {
            match &t.event.kind {
                EventKind::HttpRequest { .. } => last_request = Some(t),
                EventKind::HttpResponse { code, reason, .. } => {
                    let asked = last_request.map_or(String::new(), |r| match &r.event.kind {
                        EventKind::HttpRequest { method, path, .. } => {
                            format!(" to {method} {}", short_path(path))
                        }
                        _ => String::new(),
                    });
                    if (200..300).contains(code) {
                        return Some(Inside::Worked {
                            at: t,
                            what: format!("answered {code} {reason}{asked} (decrypted)"),
                        });
                    }
                    if let Some(problem) = http_problem(phase, *code) {
                        refused = Some(Inside::Refused {
                            at: t,
                            request: last_request,
                            problem,
                            what: format!("Expressway answered {code} {reason}{asked} (decrypted)"),
                        });
                    }
                }
                EventKind::XmppAuth {
                    success, condition, ..
                } => {
                    return Some(if *success {
                        Inside::Worked {
                            at: t,
                            what: "XMPP login accepted (SASL success, decrypted)".into(),
                        }
                    } else {
                        Inside::Refused {
                            at: t,
                            request: None,
                            problem: "auth_failed",
                            what: format!(
                                "XMPP login refused (SASL failure{}, decrypted)",
                                condition
                                    .as_deref()
                                    .map_or(String::new(), |c| format!(" <{c}/>"))
                            ),
                        }
                    });
                }
                _ => {}
            }
        }
        refused
    }

    /// The tunnel the client asked an HTTP proxy for (`CONNECT host:port`): the connection's
    /// real destination.
    pub fn tunnel(&self) -> Option<(&'a Tagged, &'a str, u16)> {
        self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::ProxyConnect { host, port, .. } => Some((*t, host.as_str(), *port)),
            _ => None,
        })
    }

    /// The port the client meant to reach: the tunnel's through a proxy, else the server's.
    pub fn port(&self) -> u16 {
        self.tunnel().map_or(self.server.port, |(_, _, port)| port)
    }

    pub fn sni(&self) -> Option<String> {
        self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::TlsClientHello { sni, .. } => sni.as_deref().map(str::to_string),
            _ => None,
        })
    }

    /// `hidden`: a server certificate from a file (a bundle's `server_*.pem`), judged in
    /// place of the chain TLS 1.3 encrypts.
    pub fn judge(
        &self,
        anchors: &[crate::certs::AnchorSet],
        hidden: Option<(&'a Tagged, &'a [crate::model::SharedCert])>,
        words: &ChainWords,
    ) -> Judgement<'a> {
        let tcp = self.tcp_end();
        if let Some(failed) = self.tcp_failure(&tcp) {
            return failed;
        }
        let mut story = Story {
            evidence: Vec::new(),
            parts: vec!["TCP ok".to_string()],
        };
        let steps = |story: &mut Story<'a>| -> Result<Judgement<'a>, Judgement<'a>> {
            self.proxy(story, &tcp)?;
            self.starttls(story, &tcp)?;
            let tls = self.handshake(story, &tcp, hidden, words)?;
            self.fatal_alert(story, &tls)?;
            self.after_handshake(story, &tls, &tcp)?;
            self.client_gave_up(story, &tls, &tcp, anchors)?;
            self.server_gave_up(story, &tls)?;
            Ok(self.unfinished(story))
        };
        match steps(&mut story) {
            Ok(j) | Err(j) => j,
        }
    }

    fn tcp_end(&self) -> TcpEnd<'a> {
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
        TcpEnd {
            outcome: *outcome,
            syn_count: *syn_count,
            first_rst: *first_rst,
            first_fin: *first_fin,
            icmp: icmp.map(Unreachable::as_str),
        }
    }

    /// A connection that never got established: no reply, a reset, an ICMP error.
    fn tcp_failure(&self, tcp: &TcpEnd) -> Option<Judgement<'a>> {
        let server = self.server;
        let syn_count = tcp.syn_count;
        let syn = self
            .find(|k| matches!(k, EventKind::TcpSyn { .. }))
            .unwrap_or(self.summary);
        let mut story = Story::default();
        let problem = match tcp.outcome {
            TcpOutcome::Established => return None,
            TcpOutcome::Unanswered => {
                story.part(format!("{syn_count} SYN(s) to {server}, no reply"));
                story.note(
                    syn,
                    format!("SYN to {server}, {syn_count} sent in all, never answered"),
                );
                "tcp_unanswered"
            }
            TcpOutcome::Refused => {
                let rst = self
                    .find(|k| matches!(k, EventKind::TcpRst { .. }))
                    .unwrap_or(self.summary);
                story.part(format!("{server} answered the SYN with a reset"));
                story.note(syn, format!("SYN to {server}"));
                story.note(rst, "RST from the server: connection refused");
                "tcp_refused"
            }
            TcpOutcome::IcmpUnreachable => {
                let reason = tcp.icmp.unwrap_or("unreachable");
                story.part(format!("{server}: ICMP {reason} in reply to the SYN"));
                story.note(syn, format!("SYN to {server}"));
                if let Some(t) = self.find(|k| matches!(k, EventKind::IcmpUnreachable { .. })) {
                    story.note(t, format!("ICMP {reason} from the path to {server}"));
                }
                // A port unreachable or an administrative prohibition is an active refusal;
                // a host or network unreachable means the SYN went nowhere.
                match reason {
                    "port unreachable" | "administratively prohibited" => "tcp_refused",
                    _ => "tcp_unanswered",
                }
            }
        };
        Some(story.failed(problem))
    }

    /// Through an HTTP proxy: the CONNECT and the proxy's answer, before anything of
    /// Expressway-E's.
    fn proxy(&self, story: &mut Story<'a>, tcp: &TcpEnd) -> Step<'a> {
        let Some((connect, host, port)) = self.tunnel() else {
            return Ok(());
        };
        let proxy = self.server;
        story.note(
            connect,
            format!("CONNECT {host}:{port} through the proxy {proxy}"),
        );
        let answer = self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::ProxyAnswer { code, reason, .. } => Some((*t, *code, reason.as_str())),
            _ => None,
        });
        match answer {
            Some((t, code, reason)) if (200..300).contains(&code) => {
                story.note(t, format!("the proxy opened the tunnel ({code} {reason})"));
                story.part(format!("proxy {proxy} → {host}:{port}"));
                Ok(())
            }
            Some((t, code, reason)) => {
                story.note(t, format!("the proxy refused the tunnel: {code} {reason}"));
                story.part(format!(
                    "the proxy {proxy} answered CONNECT {host}:{port} with {code} {reason}"
                ));
                let fix = match code {
                    407 => PROXY_AUTH_FIX,
                    403 => PROXY_POLICY_FIX,
                    _ => PROXY_PATH_FIX,
                };
                Err(std::mem::take(story).failed_because("tcp_refused", PROXY_REFUSED, fix))
            }
            None if tcp.first_rst.is_some() || tcp.first_fin.is_some() => {
                story.part(format!(
                    "the proxy {proxy} closed without answering CONNECT {host}:{port}"
                ));
                Err(std::mem::take(story).failed_because(
                    "tcp_refused",
                    PROXY_REFUSED,
                    PROXY_PATH_FIX,
                ))
            }
            None => {
                story.part(format!(
                    "no answer from the proxy {proxy} to CONNECT {host}:{port} in the capture"
                ));
                Err(std::mem::take(story).inconclusive())
            }
        }
    }

    /// XMPP before TLS: the client's stream open, then `<proceed/>` or a refusal.
    fn starttls(&self, story: &mut Story<'a>, tcp: &TcpEnd) -> Step<'a> {
        let Some(open) = self.find_from(Side::Client, |k| match k {
            EventKind::XmppStreamOpen { from, .. } => Some(*from),
            _ => None,
        }) else {
            return Ok(());
        };
        if let EventKind::XmppStreamOpen { to, .. } = &open.event.kind {
            story.note(
                open,
                format!("XMPP stream opened to '{}'", to.as_deref().unwrap_or("?")),
            );
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
            (Some(p), _) => {
                story.note(p, "server sent <proceed/>: TLS starts");
                story.part("STARTTLS ok");
                Ok(())
            }
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
                    } => format!(
                        "the {} closed the stream with error <{condition}/>",
                        side_name(*from)
                    ),
                    _ => unreachable!(),
                };
                story.note(t, what.clone());
                // The refusal is the whole summary: the TCP part says nothing here.
                story.parts = vec![what];
                Err(take(story).failed("starttls_refused"))
            }
            (None, None) => Err(self.early_end(story, "before STARTTLS completed", tcp)),
        }
    }

    /// The ClientHello, the ServerHello's version and the certificate chain (or the file
    /// standing in for it), with what is wrong with that chain.
    fn handshake(
        &self,
        story: &mut Story<'a>,
        tcp: &TcpEnd,
        hidden: Option<(&'a Tagged, &'a [crate::model::SharedCert])>,
        words: &ChainWords,
    ) -> Result<Tls<'a>, Judgement<'a>> {
        let Some(hello) = self.find(|k| matches!(k, EventKind::TlsClientHello { .. })) else {
            return Err(self.early_end(story, "before any TLS", tcp));
        };
        let sni = self.sni();
        let sni_text = sni.as_deref().unwrap_or("(none)").to_string();
        story.note(hello, format!("ClientHello, SNI {sni_text}"));
        let server_hello = self.find(|k| matches!(k, EventKind::TlsServerHello { .. }));
        let version = server_hello.and_then(|t| match t.event.kind {
            EventKind::TlsServerHello { version, .. } => Some(version),
            _ => None,
        });
        if let Some(v) = version {
            story.part(format!("{}, SNI {sni_text}", tls_version_name(v)));
        }
        let seen = self.events.iter().find_map(|t| match &t.event.kind {
            EventKind::TlsCertificate {
                chain,
                from: Side::Server,
                ..
            } => Some((*t, chain.as_slice())),
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
        let chain_words = chain.map(|(_, chain)| words.of(chain));
        let cert_problems = match (chain, &chain_words) {
            (Some((_, chain)), Some(w)) => {
                certificate_problems(chain, sni.as_deref(), hello.event.ts, &w.validity)
            }
            _ => Vec::new(),
        };
        match (seen, from_file, &chain_words) {
            (Some((t, _)), _, Some(w)) => {
                story.part(w.summary.clone());
                story.note(t, w.note.clone());
            }
            (None, Some((t, _)), Some(w)) => {
                story.part(format!(
                    "certificate not visible (TLS 1.3); the server certificate file says {}",
                    w.summary
                ));
                story.note(
                    t,
                    format!(
                        "server certificate file (TLS 1.3 encrypts the chain in the capture) [{}]",
                        w.text
                    ),
                );
            }
            (None, None, _) if tls13 => story.part("certificate not visible (TLS 1.3)"),
            _ => {}
        }
        Ok(Tls {
            sni,
            server_hello,
            version,
            chain,
            cert_problems,
        })
    }

    /// A fatal alert in the clear names the problem, refined by what the certificate shows.
    fn fatal_alert(&self, story: &mut Story<'a>, tls: &Tls<'a>) -> Step<'a> {
        let Some(t) = self.find(|k| matches!(k, EventKind::TlsAlert { level: 2, .. })) else {
            return Ok(());
        };
        // After the handshake (an alert a key log decrypted), an alert ends the session, not
        // the handshake: what was said before it decides.
        if self
            .find(|k| matches!(k, EventKind::TlsHandshakeDone { .. }))
            .is_some_and(|done| done.event.frame <= t.event.frame)
        {
            return Ok(());
        }
        let EventKind::TlsAlert {
            from, description, ..
        } = t.event.kind
        else {
            return Ok(());
        };
        let name = alert_name(description);
        let problem = alert_problem(from, description, &tls.cert_problems);
        let who = side_name(from);
        story.part(format!("{who} sent fatal alert {name}"));
        story.note(t, format!("fatal alert {name} from the {who}"));
        Err(take(story).failed(problem))
    }

    /// The handshake completed: ok, unless the client then hung up without a request, which
    /// is how a client that checks the certificate after the handshake rejects it.
    fn after_handshake(&self, story: &mut Story<'a>, tls: &Tls<'a>, tcp: &TcpEnd) -> Step<'a> {
        let Some(done) = self.find(|k| matches!(k, EventKind::TlsHandshakeDone { .. })) else {
            return Ok(());
        };
        let client_request = self.find_from(Side::Client, |k| match k {
            EventKind::TlsApplicationData { from, .. } => Some(*from),
            _ => None,
        });
        let client_alerted = self.client_encrypted_alert().is_some();
        if client_request.is_none()
            && (tcp.client_closed() || client_alerted)
            && let Some((problem, text)) = tls.cert_problems.first()
        {
            story.note(done, HUNG_UP);
            story.note(
                tls.chain.expect("problems come from a chain").0,
                text.clone(),
            );
            story.part("client hung up after the handshake without a request");
            return Err(take(story).failed(problem));
        }
        if client_request.is_none() && tcp.client_closed() && tls.is_1_3() && tls.chain.is_none() {
            story.note(done, HUNG_UP);
            story.part("client hung up after the handshake without a request: with TLS 1.3 the certificate is hidden, but this is how a client that rejects it after the handshake behaves (a name not in the SAN, usually); the bundle's server_*.pem or the Jabber log tells which");
            return Err(take(story).failed("tls_handshake_failed"));
        }
        story.note(done, "handshake completed");
        let warnings = tls
            .cert_problems
            .iter()
            .map(|(id, text)| {
                (
                    id.to_string(),
                    format!("{text} (the client accepted it nonetheless)"),
                    tls.chain.map(|c| c.0).unwrap_or(done),
                )
            })
            .collect();
        let story = take(story);
        Err(Judgement::Ok {
            summary: story.parts.join(" · "),
            evidence: story.evidence,
            warnings,
        })
    }

    fn client_encrypted_alert(&self) -> Option<&'a Tagged> {
        self.find_from(Side::Client, |k| match k {
            EventKind::TlsEncryptedAlert { from, .. } => Some(*from),
            _ => None,
        })
    }

    /// The client closed or alerted after the ServerHello without finishing: it rejected
    /// what it saw, and the chain tells what.
    fn client_gave_up(
        &self,
        story: &mut Story<'a>,
        tls: &Tls<'a>,
        tcp: &TcpEnd,
        anchors: &[crate::certs::AnchorSet],
    ) -> Step<'a> {
        let encrypted_alert = self.client_encrypted_alert();
        if !(tcp.client_closed() || encrypted_alert.is_some()) || tls.server_hello.is_none() {
            return Ok(());
        }
        if let Some((problem, text)) = tls.cert_problems.first() {
            story.part("client closed without an alert");
            story.note(
                tls.chain.expect("problems come from a chain").0,
                text.clone(),
            );
            return Err(take(story).failed(problem));
        }
        // A chain no anchor set accepts, closed on without a word: untrusted.
        if let Some((t, chain)) = tls.chain {
            let at = t.event.ts.div_euclid(1_000_000_000);
            let verdicts = crate::certs::validate(chain, tls.sni.as_deref(), at, anchors);
            if !verdicts.is_empty() && verdicts.iter().all(|v| !v.accepted) {
                let why: Vec<String> = verdicts
                    .iter()
                    .map(|v| format!("{}: {}", v.anchor_set, v.reason.as_deref().unwrap_or("?")))
                    .collect();
                story.part("client closed without an alert");
                story.note(
                    t,
                    format!("no trust anchor accepts this chain ({})", why.join("; ")),
                );
                return Err(take(story).failed("tls_untrusted"));
            }
        }
        if let Some(t) = encrypted_alert {
            let text = if tls.is_1_3() {
                "client sent an encrypted alert after the server's encrypted certificate: it rejected the certificate (untrusted or wrong name) or the handshake"
            } else {
                "client sent an encrypted alert instead of finishing the handshake"
            };
            story.part("client aborted the handshake");
            story.note(t, text);
            return Err(take(story).failed("tls_handshake_failed"));
        }
        if tls.is_1_3() {
            story.part("client closed after the server's encrypted certificate and Finished, without its own Finished: it rejected the certificate (a name not in the SAN or an untrusted CA, usually); the bundle's server_*.pem or the Jabber log tells which");
        } else {
            story.part("client closed during the handshake");
        }
        Err(take(story).failed("tls_handshake_failed"))
    }

    /// No ServerHello: the server reset or closed on the ClientHello.
    fn server_gave_up(&self, story: &mut Story<'a>, tls: &Tls<'a>) -> Step<'a> {
        if tls.server_hello.is_some() {
            return Ok(());
        }
        if let Some(rst) = self.find_from(Side::Server, |k| match k {
            EventKind::TcpRst { from, .. } => Some(*from),
            _ => None,
        }) {
            story.note(rst, "reset by the server after the ClientHello");
            story.part("reset after ClientHello");
            return Err(take(story).failed("tcp_reset"));
        }
        if let Some(fin) = self.find_from(Side::Server, |k| match k {
            EventKind::TcpFin { from, .. } => Some(*from),
            _ => None,
        }) {
            story.note(
                fin,
                "server closed the connection without answering the ClientHello",
            );
            story.part("server closed after ClientHello");
            return Err(take(story).failed("tls_handshake_failed"));
        }
        Ok(())
    }

    /// No verdict yet: a reset mid-handshake, or a capture that ends first.
    fn unfinished(&self, story: &mut Story<'a>) -> Judgement<'a> {
        if let Some(rst) = self.find(|k| matches!(k, EventKind::TcpRst { .. })) {
            let EventKind::TcpRst { from, .. } = rst.event.kind else {
                unreachable!()
            };
            story.note(
                rst,
                format!("reset by the {} during the handshake", side_name(from)),
            );
            story.part("reset during handshake");
            return take(story).failed("tcp_reset");
        }
        story.part("capture ends before the handshake completed");
        take(story).inconclusive()
    }

    /// The connection ended (or the capture did) before the expected protocol step.
    fn early_end(&self, story: &mut Story<'a>, when: &str, tcp: &TcpEnd) -> Judgement<'a> {
        let mut story = take(story);
        if let Some(side) = tcp.first_rst {
            let rst = self
                .find(|k| matches!(k, EventKind::TcpRst { .. }))
                .unwrap_or(self.summary);
            story.part(format!("reset by the {} {when}", side_name(side)));
            story.note(rst, format!("RST from the {}", side_name(side)));
            return story.failed("tcp_reset");
        }
        if let Some(Side::Server) = tcp.first_fin {
            let fin = self
                .find(|k| matches!(k, EventKind::TcpFin { .. }))
                .unwrap_or(self.summary);
            story.part(format!("closed by the server {when}"));
            story.note(fin, "FIN from the server");
            return story.failed("tls_handshake_failed");
        }
        let syn_ack = self
            .find(|k| matches!(k, EventKind::TcpSynAck { .. }))
            .unwrap_or(self.summary);
        story.note(syn_ack, "connection established");
        story.part(format!("capture ends {when}"));
        story.inconclusive()
    }
}

/// The story so far, moved out to become a verdict.
fn take<'a>(story: &mut Story<'a>) -> Story<'a> {
    std::mem::take(story)
}

/// An HTTP error on 8443 as the fault catalog names it, by phase.
fn http_problem(phase: crate::faults::Phase, code: u16) -> Option<&'static str> {
    use crate::faults::Phase;
    Some(match (phase, code) {
        (Phase::Voicemail, 403) => "forbidden",
        (Phase::Provisioning, 401) => "auth_failed",
        (Phase::Provisioning, 403) => "domain_not_enabled",
        (Phase::Provisioning, 502..=504) => "next_hop_failed",
        _ => return None,
    })
}

/// A request path as a summary shows it: whole when short (96 characters at most), else
/// `.../` and its last two segments, without the query.
fn short_path(path: &str) -> String {
    let clean = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = clean.rsplit('/').take(2).collect();
    if parts.len() < 2 || clean.len() <= 48 {
        return path.chars().take(96).collect();
    }
    format!(".../{}/{}", parts[1], parts[0])
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

/// What is wrong with a chain for this SNI at this time, most specific first. `validity`:
/// the leaf's, as written (`CertSummary::validity_text`).
pub fn certificate_problems(
    chain: &[crate::model::SharedCert],
    sni: Option<&str>,
    ts_ns: i64,
    validity: &str,
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
    if leaf.outside_validity(now) {
        let when = if now > leaf.not_after {
            "expired"
        } else {
            "not yet valid"
        };
        out.push((
            "tls_expired",
            format!(
                "certificate {} {when} at capture time ({validity})",
                short_name(leaf),
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

/// What is written about a certificate chain, made once per chain. Every connection to a
/// server carries the same certificates (shared, so their addresses name the chain while the
/// events live), and writing these again for each connection was a sixth of a busy capture's
/// judging.
#[derive(Default)]
pub struct ChainWords(Mutex<HashMap<Box<[usize]>, Arc<Words>>>);

pub struct Words {
    /// `certificate CN=leaf by CN=issuer`
    pub summary: String,
    /// `CN=leaf ← CN=intermediate ← issued by CN=root`
    pub text: String,
    /// The evidence note on the Certificate message: `certificate chain [text]`.
    pub note: Arc<str>,
    /// The leaf's validity (`valid … to …`).
    pub validity: String,
}

impl ChainWords {
    pub fn of(&self, chain: &[crate::model::SharedCert]) -> Arc<Words> {
        let key: Vec<usize> = chain.iter().map(|c| Arc::as_ptr(c) as usize).collect();
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = known.get(key.as_slice()) {
            return w.clone();
        }
        let text = chain_text(chain);
        let words = Arc::new(Words {
            summary: chain_summary(chain),
            note: format!("certificate chain [{text}]").into(),
            text,
            validity: chain.first().map(|l| l.validity_text()).unwrap_or_default(),
        });
        known.insert(key.into(), words.clone());
        words
    }
}

/// `CN=leaf ← CN=intermediate ← issued by CN=root`: the chain as sent, and who signed its top.
fn chain_text(chain: &[crate::model::SharedCert]) -> String {
    let mut parts: Vec<String> = chain.iter().map(|c| short_name(c)).collect();
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

fn chain_summary(chain: &[crate::model::SharedCert]) -> String {
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

    /// Words are made once per chain (the same certificates), and say what writing them
    /// afresh says; a chain of equal certificates held apart gets its own, equal, words.
    #[test]
    fn a_chains_words_are_made_once_and_read_as_written() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/happy-tls12/capture.pcap");
        let decoded = crate::capture::decode(std::fs::File::open(path).unwrap());
        let chains: Vec<Vec<crate::model::SharedCert>> = decoded
            .events
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::TlsCertificate { chain, .. } => Some(chain),
                _ => None,
            })
            .collect();
        let same = |a: &[crate::model::SharedCert], b: &[crate::model::SharedCert]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
        };
        let twin = (1..chains.len())
            .find(|&j| same(&chains[0], &chains[j]))
            .expect("two connections with the same chain in the sample");
        let words = ChainWords::default();
        let first = words.of(&chains[0]);
        assert!(Arc::ptr_eq(&first, &words.of(&chains[twin])));
        assert_eq!(first.summary, chain_summary(&chains[0]));
        assert_eq!(first.text, chain_text(&chains[0]));
        assert_eq!(&*first.note, format!("certificate chain [{}]", first.text));
        assert_eq!(first.validity, chains[0][0].validity_text());
        let apart: Vec<crate::model::SharedCert> =
            chains[0].iter().map(|c| Arc::new((**c).clone())).collect();
        let again = words.of(&apart);
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!((&again.summary, &again.note), (&first.summary, &first.note));
        assert!(first.text.contains(" ← "), "{}", first.text);
    }

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
