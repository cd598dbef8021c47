//! An HTTP proxy's tunnel, as a client behind a corporate proxy opens it: `CONNECT host:port
//! HTTP/1.1` and its headers, the proxy's answer (`HTTP/1.1 200 Connection established`, or a
//! refusal such as 407 or 503), then the tunnel's own bytes (TLS to Expressway-E).

/// A head larger than this is not a proxy handshake.
const MAX_HEAD: usize = 16 * 1024;

pub fn probe(bytes: &[u8]) -> bool {
    bytes.starts_with(b"CONNECT ")
}

/// Too few bytes to tell, but the start of what [`probe`] takes (a head cut in small TCP
/// segments).
pub fn could_start(bytes: &[u8]) -> bool {
    b"CONNECT ".starts_with(bytes)
}

/// What one side's bytes completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Still reading the head.
    More,
    /// The client's request: the target as written, its host and port.
    Request { host: String, port: u16 },
    /// The proxy's answer; on a 2xx, the bytes after it belong to the tunnel.
    Answer { code: u16, reason: String },
    /// Not a proxy handshake after all.
    Broken(String),
}

/// One direction's head, and what came after it.
#[derive(Default)]
pub struct HeadReader {
    buf: Vec<u8>,
    done: bool,
}

impl HeadReader {
    /// Feed in-order bytes of one side. After the head, the rest is returned by
    /// [`HeadReader::rest`].
    pub fn feed(&mut self, bytes: &[u8], client: bool) -> Step {
        if self.done {
            self.buf.extend_from_slice(bytes);
            return Step::More;
        }
        self.buf.extend_from_slice(bytes);
        let Some(end) = memchr::memmem::find(&self.buf, b"\r\n\r\n") else {
            if self.buf.len() > MAX_HEAD {
                return Step::Broken(format!("no end of the proxy head in {MAX_HEAD} bytes"));
            }
            return Step::More;
        };
        self.done = true;
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let first = head.lines().next().unwrap_or_default();
        if client {
            request_line(first)
        } else {
            status_line(first)
        }
    }

    /// The bytes that came after the head (the tunnel's first bytes).
    pub fn rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// `CONNECT expe1.example.com:8443 HTTP/1.1`, `CONNECT [2001:db8::7]:8443 HTTP/1.1`.
fn request_line(line: &str) -> Step {
    let mut words = line.split_whitespace();
    let (Some("CONNECT"), Some(target), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return Step::Broken(format!("not a CONNECT request line: {:.80}", line));
    };
    if !version.starts_with("HTTP/1.") {
        return Step::Broken(format!("not a CONNECT request line: {:.80}", line));
    }
    let (host, port) = match target.rsplit_once(':') {
        Some((h, p)) => (h.trim_start_matches('[').trim_end_matches(']'), p),
        None => return Step::Broken(format!("CONNECT target without a port: {target:.80}")),
    };
    match port.parse::<u16>() {
        Ok(port) if !host.is_empty() => Step::Request {
            host: host.to_ascii_lowercase(),
            port,
        },
        _ => Step::Broken(format!("CONNECT target without a port: {target:.80}")),
    }
}

/// `HTTP/1.1 200 Connection established`.
fn status_line(line: &str) -> Step {
    let mut parts = line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Step::Broken(format!("not a proxy's status line: {:.80}", line));
    };
    match code.parse::<u16>() {
        Ok(code) if version.starts_with("HTTP/1.") && (100..600).contains(&code) => Step::Answer {
            code,
            reason: parts.next().unwrap_or_default().trim().to_string(),
        },
        _ => Step::Broken(format!("not a proxy's status line: {:.80}", line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connect_request_in_pieces_names_its_target() {
        let mut r = HeadReader::default();
        assert_eq!(
            r.feed(b"CONNECT Expe1.example.com:8443 HT", true),
            Step::More
        );
        assert_eq!(
            r.feed(
                b"TP/1.1\r\nHost: expe1.example.com:8443\r\n\r\n\x16\x03\x01",
                true
            ),
            Step::Request {
                host: "expe1.example.com".into(),
                port: 8443
            }
        );
        assert_eq!(r.rest(), b"\x16\x03\x01");
    }

    #[test]
    fn an_ipv6_target_and_the_answers() {
        let mut r = HeadReader::default();
        assert_eq!(
            r.feed(b"CONNECT [2001:db8::7]:443 HTTP/1.1\r\n\r\n", true),
            Step::Request {
                host: "2001:db8::7".into(),
                port: 443
            }
        );
        let mut a = HeadReader::default();
        assert_eq!(
            a.feed(
                b"HTTP/1.1 503 Service Unavailable\r\nProxy-Agent: x\r\n\r\n",
                false
            ),
            Step::Answer {
                code: 503,
                reason: "Service Unavailable".into()
            }
        );
    }

    #[test]
    fn what_is_not_a_proxy_handshake_is_said() {
        let bad = |bytes: &[u8], client| {
            matches!(HeadReader::default().feed(bytes, client), Step::Broken(_))
        };
        assert!(bad(b"CONNECT expe1.example.com HTTP/1.1\r\n\r\n", true));
        assert!(bad(
            b"CONNECT expe1.example.com:99999 HTTP/1.1\r\n\r\n",
            true
        ));
        assert!(bad(b"SSH-2.0-OpenSSH\r\n\r\n", false));
        let mut endless = HeadReader::default();
        assert!(matches!(
            endless.feed(&[b'a'; MAX_HEAD + 1], true),
            Step::Broken(_)
        ));
    }
}
