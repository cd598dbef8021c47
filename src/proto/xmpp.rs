//! XMPP (RFC 6120) up to STARTTLS: the stream header and its `to`, the server's stream
//! features (is `<starttls>` offered?), `<starttls/>`, `<proceed/>` / `<failure/>`, and
//! `<stream:error>`. After `<proceed/>` the connection carries TLS; the caller switches.

use super::Emit;
use crate::model::{EventKind, Side};

const MAX_BUFFER: usize = 64 * 1024;

/// Does this look like the start of an XMPP stream?
pub fn probe(bytes: &[u8]) -> bool {
    let trimmed = trim_start(bytes);
    trimmed.starts_with(b"<?xml") || trimmed.starts_with(b"<stream:stream")
}

/// Too few bytes to tell, but the start of what [`probe`] takes (white space alone too).
pub fn could_start(bytes: &[u8]) -> bool {
    let trimmed = trim_start(bytes);
    b"<?xml".starts_with(trimmed) || b"<stream:stream".starts_with(trimmed)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[derive(Default)]
struct Direction {
    buf: Vec<u8>,
    in_features: bool,
    features_starttls: bool,
    in_error: bool,
    /// Inside a SASL `<failure>`: its first child names the condition.
    in_sasl_failure: bool,
    /// How much of the unfinished tag at the buffer's start was already searched for its
    /// `>`: a tag sent a byte at a time is searched once, not once per byte.
    searched: usize,
}

pub struct XmppStream {
    stream: u64,
    dirs: [Direction; 2],
}

/// What the caller should do after feeding bytes.
pub enum Next {
    Continue,
    /// TLS starts now; these bytes (if any) already belong to it.
    StartTls(Vec<u8>),
}

impl XmppStream {
    pub fn new(stream: u64) -> Self {
        XmppStream {
            stream,
            dirs: Default::default(),
        }
    }

    pub fn feed(&mut self, side: Side, bytes: &[u8], out: &mut Emit<'_>) -> Next {
        let stream = self.stream;
        let dir = &mut self.dirs[side as usize];
        if dir.buf.len() + bytes.len() > MAX_BUFFER {
            dir.buf.clear();
            dir.searched = 0;
            out.anomaly(
                "xmpp_buffer_full",
                format!("more than {MAX_BUFFER} bytes without a complete tag"),
                Some(stream),
            );
            return Next::Continue;
        }
        dir.buf.extend_from_slice(bytes);
        let mut consumed = 0;
        loop {
            let rest = &dir.buf[consumed..];
            let Some(open) = memchr::memchr(b'<', rest) else {
                consumed = dir.buf.len();
                break;
            };
            // Only the tag left unfinished at the buffer's start has been searched before.
            let from = if consumed + open == 0 {
                dir.searched.max(1)
            } else {
                1
            };
            let tail = rest.get(open + from..).unwrap_or_default();
            let Some(close) = memchr::memchr(b'>', tail).map(|p| p + from) else {
                dir.searched = rest.len() - open;
                consumed += open;
                break;
            };
            dir.searched = 0;
            // Read in place: a tag is copied only when it is not UTF-8.
            let tag = String::from_utf8_lossy(&rest[open + 1..open + close]);
            consumed += open + close + 1;
            match tag_name(&tag) {
                "stream:stream" => {
                    out.push(EventKind::XmppStreamOpen {
                        stream,
                        from: side,
                        to: attribute(&tag, "to"),
                    });
                }
                "stream:features" if !tag.ends_with('/') => {
                    dir.in_features = true;
                    dir.features_starttls = false;
                }
                "stream:features" => out.push(EventKind::XmppFeatures {
                    stream,
                    starttls: false,
                }),
                "/stream:features" => {
                    dir.in_features = false;
                    out.push(EventKind::XmppFeatures {
                        stream,
                        starttls: dir.features_starttls,
                    });
                }
                "starttls" if dir.in_features => dir.features_starttls = true,
                "starttls" if side == Side::Client => out.push(EventKind::XmppStartTls { stream }),
                "proceed" if side == Side::Server => {
                    out.push(EventKind::XmppProceed { stream });
                    let rest = dir.buf[consumed..].to_vec();
                    dir.buf.clear();
                    return Next::StartTls(rest);
                }
                "failure" if side == Side::Server && tag.contains("xmpp-tls") => {
                    out.push(EventKind::XmppFailure { stream });
                }
                "success" if side == Side::Server && tag.contains("xmpp-sasl") => {
                    out.push(EventKind::XmppAuth {
                        stream,
                        success: true,
                        condition: None,
                    });
                }
                "failure" if side == Side::Server && tag.contains("xmpp-sasl") => {
                    if tag.ends_with('/') {
                        out.push(EventKind::XmppAuth {
                            stream,
                            success: false,
                            condition: None,
                        });
                    } else {
                        dir.in_sasl_failure = true;
                    }
                }
                n if dir.in_sasl_failure => {
                    dir.in_sasl_failure = false;
                    let condition = (!n.starts_with('/')).then(|| n.to_string());
                    out.push(EventKind::XmppAuth {
                        stream,
                        success: false,
                        condition,
                    });
                }
                "stream:error" if !tag.ends_with('/') => dir.in_error = true,
                n if dir.in_error && !n.starts_with('/') => {
                    dir.in_error = false;
                    out.push(EventKind::XmppStreamError {
                        stream,
                        from: side,
                        condition: n.to_string(),
                    });
                }
                _ => {}
            }
        }
        dir.buf.drain(..consumed);
        Next::Continue
    }
}

/// The element name of a tag body (`stream:stream to='x'` → `stream:stream`; `/a` → `/a`).
fn tag_name(tag: &str) -> &str {
    tag.split(|c: char| c.is_whitespace() || c == '/' && !tag.starts_with('/'))
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .trim_end_matches('/')
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(pos) = rest.find(name) {
        let before_ok = pos == 0 || rest.as_bytes()[pos - 1].is_ascii_whitespace();
        let after = rest[pos + name.len()..].trim_start();
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let quote = v.chars().next()?;
            if quote == '"' || quote == '\'' {
                let end = v[1..].find(quote)?;
                return Some(v[1..1 + end].to_string());
            }
        }
        rest = &rest[pos + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    fn feed(x: &mut XmppStream, side: Side, s: &str, events: &mut Vec<Event>) -> Next {
        let mut out = Emit {
            frame: 1,
            ts: 0,
            events,
            names: &mut Default::default(),
        };
        x.feed(side, s.as_bytes(), &mut out)
    }

    #[test]
    fn full_starttls_exchange_in_pieces() {
        let mut x = XmppStream::new(4);
        let mut ev = Vec::new();
        feed(
            &mut x,
            Side::Client,
            "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            &mut ev,
        );
        feed(
            &mut x,
            Side::Server,
            "<?xml version='1.0'?><stream:stream from='example.com' id='1' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></sta",
            &mut ev,
        );
        feed(
            &mut x,
            Side::Server,
            "rttls><mechanisms/></stream:features>",
            &mut ev,
        );
        feed(
            &mut x,
            Side::Client,
            "<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" cookie=\"0\"/>",
            &mut ev,
        );
        let next = feed(
            &mut x,
            Side::Server,
            "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x03",
            &mut ev,
        );
        let kinds: Vec<String> = ev.iter().map(|e| format!("{:?}", e.kind)).collect();
        assert!(kinds[0].contains("to: Some(\"example.com\")"), "{kinds:?}");
        assert!(
            matches!(ev[2].kind, EventKind::XmppFeatures { starttls: true, .. }),
            "{kinds:?}"
        );
        assert!(matches!(ev[3].kind, EventKind::XmppStartTls { .. }));
        assert!(matches!(ev[4].kind, EventKind::XmppProceed { .. }));
        assert!(matches!(next, Next::StartTls(rest) if rest == b"\x16\x03\x03"));
    }

    #[test]
    fn features_without_starttls_and_stream_error() {
        let mut x = XmppStream::new(0);
        let mut ev = Vec::new();
        feed(
            &mut x,
            Side::Server,
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
            &mut ev,
        );
        feed(
            &mut x,
            Side::Server,
            "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
            &mut ev,
        );
        assert!(matches!(
            ev[0].kind,
            EventKind::XmppFeatures {
                starttls: false,
                ..
            }
        ));
        assert!(
            matches!(&ev[1].kind, EventKind::XmppStreamError { condition, .. } if condition == "host-unknown")
        );
    }

    #[test]
    fn the_sasl_outcome_inside_tls() {
        let mut x = XmppStream::new(2);
        let mut ev = Vec::new();
        feed(
            &mut x,
            Side::Client,
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGpkb2UAc2VjcmV0</auth>",
            &mut ev,
        );
        feed(
            &mut x,
            Side::Server,
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-autho",
            &mut ev,
        );
        feed(&mut x, Side::Server, "rized/></failure>", &mut ev);
        feed(
            &mut x,
            Side::Server,
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            &mut ev,
        );
        let auth: Vec<(bool, Option<String>)> = ev
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::XmppAuth {
                    success, condition, ..
                } => Some((*success, condition.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            auth,
            vec![(false, Some("not-authorized".into())), (true, None)]
        );
    }

    /// A stream header of 60 KB sent a byte at a time: its `>` is searched for once.
    #[test]
    fn a_long_tag_a_byte_at_a_time_is_read() {
        let mut x = XmppStream::new(1);
        let mut ev = Vec::new();
        let tag = format!(
            "<stream:stream to='example.com' pad='{}' version='1.0'>",
            "a".repeat(60_000)
        );
        for b in tag.as_bytes() {
            let mut out = Emit {
                frame: 1,
                ts: 0,
                events: &mut ev,
                names: &mut Default::default(),
            };
            x.feed(Side::Client, std::slice::from_ref(b), &mut out);
        }
        assert!(
            matches!(&ev[..], [e] if matches!(&e.kind, EventKind::XmppStreamOpen { to: Some(t), .. } if t == "example.com")),
            "{ev:?}"
        );
    }
}
