//! SIP (RFC 3261) in clear, over UDP datagrams or a TCP stream: start line, Call-ID and CSeq
//! (compact forms too). SIP inside TLS on 5061 is never seen here; only its handshake is.

const MAX_BUFFER: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub call_id: Option<String>,
    pub cseq: Option<String>,
}

const METHODS: [&str; 14] = [
    "REGISTER",
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
    "PRACK",
];

/// Does this look like the start of a SIP message?
pub fn probe(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"SIP/2.0 ") {
        return true;
    }
    METHODS
        .iter()
        .any(|m| bytes.starts_with(m.as_bytes()) && bytes.get(m.len()) == Some(&b' '))
}

/// Too few bytes to tell, but the start of what [`probe`] takes.
pub fn could_start(bytes: &[u8]) -> bool {
    b"SIP/2.0 ".starts_with(bytes)
        || METHODS
            .iter()
            .any(|m| bytes.len() <= m.len() && m.as_bytes().starts_with(bytes))
}

/// Parse the head of one message (`head` = start line and headers, without the blank line).
pub fn parse_head(head: &[u8]) -> Option<Message> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let first = lines.next()?.trim_end();
    let start = if let Some(rest) = first.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        StartLine::Response {
            code: code.parse().ok()?,
            reason: reason.to_string(),
        }
    } else {
        let mut parts = first.split(' ');
        let method = parts.next()?.to_string();
        let uri = parts.next()?.to_string();
        if parts.next()? != "SIP/2.0" {
            return None;
        }
        StartLine::Request { method, uri }
    };
    let mut call_id = None;
    let mut cseq = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        match name.as_str() {
            "call-id" | "i" => call_id = Some(value),
            "cseq" => cseq = Some(value),
            _ => {}
        }
    }
    Some(Message {
        start,
        call_id,
        cseq,
    })
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    for line in text.lines() {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            if name == "content-length" || name == "l" {
                return value.trim().parse().unwrap_or(0);
            }
        }
    }
    0
}

/// Frames SIP messages out of one direction of a TCP stream.
#[derive(Default)]
pub struct SipStreamDirection {
    buf: Vec<u8>,
    skip_body: usize,
    /// How much of the buffer was already searched for the blank line ending a head: a head
    /// sent a byte at a time is searched once, not once per byte.
    searched: usize,
}

impl SipStreamDirection {
    /// Feed bytes; returns the complete message heads found, or an error when the stream
    /// stops looking like SIP.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<Message>, String> {
        let mut found = Vec::new();
        loop {
            if self.skip_body > 0 {
                let take = self.skip_body.min(bytes.len());
                self.skip_body -= take;
                bytes = &bytes[take..];
                if self.skip_body > 0 {
                    return Ok(found);
                }
            }
            if bytes.is_empty() && self.buf.is_empty() {
                return Ok(found);
            }
            self.buf.extend_from_slice(bytes);
            bytes = &[];
            // Keep-alive CRLFs between messages.
            let lead = self
                .buf
                .iter()
                .take_while(|&&c| c == b'\r' || c == b'\n')
                .count();
            self.buf.drain(..lead);
            // The last three bytes searched may begin the blank line: search again from them.
            let from = self.searched.saturating_sub(lead).saturating_sub(3);
            let Some(end) = memchr::memmem::find(&self.buf[from..], b"\r\n\r\n").map(|p| p + from)
            else {
                if self.buf.len() > MAX_BUFFER {
                    self.buf.clear();
                    self.searched = 0;
                    return Err(format!("SIP header block longer than {MAX_BUFFER} bytes"));
                }
                self.searched = self.buf.len();
                return Ok(found);
            };
            self.searched = 0;
            let head: Vec<u8> = self.buf.drain(..end + 4).collect();
            let head = &head[..end];
            let msg = parse_head(head)
                .ok_or_else(|| "bytes on a SIP stream that are not a SIP message".to_string())?;
            found.push(msg);
            let body = content_length(head);
            let have = body.min(self.buf.len());
            self.buf.drain(..have);
            self.skip_body = body - have;
            if self.buf.is_empty() && self.skip_body == 0 {
                return Ok(found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.2:5060\r\ni: abc@10.0.0.2\r\nCSeq: 1 REGISTER\r\nContent-Length: 4\r\n\r\nbody";
    const OK: &str = "SIP/2.0 403 Forbidden\r\nCall-ID: abc@10.0.0.2\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn request_and_response_heads() {
        let head = REGISTER.split("\r\n\r\n").next().unwrap();
        let m = parse_head(head.as_bytes()).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: "REGISTER".into(),
                uri: "sip:example.com".into()
            }
        );
        assert_eq!(m.call_id.as_deref(), Some("abc@10.0.0.2"));
        assert!(probe(REGISTER.as_bytes()) && probe(OK.as_bytes()) && !probe(b"GET / HTTP/1.1"));
    }

    #[test]
    fn stream_framing_with_bodies_split_anywhere() {
        let all = format!("{REGISTER}\r\n\r\n{OK}{REGISTER}");
        for split in 1..all.len() {
            let mut d = SipStreamDirection::default();
            let mut msgs = d.feed(&all.as_bytes()[..split]).unwrap();
            msgs.extend(d.feed(&all.as_bytes()[split..]).unwrap());
            assert_eq!(msgs.len(), 3, "split at {split}");
            assert_eq!(
                msgs[1].start,
                StartLine::Response {
                    code: 403,
                    reason: "Forbidden".into()
                }
            );
        }
    }

    /// A head of 60 KB sent a byte at a time: searched once, not once per byte (quadratic,
    /// this took minutes; the bench records the time).
    #[test]
    fn a_long_head_a_byte_at_a_time_is_framed() {
        let mut msg = String::from("REGISTER sip:example.com SIP/2.0\r\nCall-ID: long@x\r\n");
        while msg.len() < 60_000 {
            msg.push_str("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        msg.push_str("Content-Length: 0\r\n\r\n");
        let mut d = SipStreamDirection::default();
        let mut found = Vec::new();
        for b in msg.as_bytes() {
            found.extend(d.feed(std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].call_id.as_deref(), Some("long@x"));
    }
}
