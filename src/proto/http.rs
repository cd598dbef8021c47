//! HTTP/1.1 over a decrypted stream (8443): request lines, status lines and the headers the
//! judge reads; bodies are skipped by Content-Length or chunked framing, never kept. The
//! Authorization header is reduced to its scheme and, for Basic, the user part.

use base64::Engine;

/// A head larger than this is not HTTP we follow.
const MAX_HEAD: usize = 64 * 1024;

/// One request or response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    Request {
        method: String,
        path: String,
        host: Option<String>,
        /// `Basic jdoe`, `Bearer`: the scheme, and the user of a Basic header; never the
        /// password or the token.
        auth: Option<String>,
    },
    Response {
        code: u16,
        reason: String,
    },
}

pub fn probe(bytes: &[u8]) -> bool {
    STARTS.iter().any(|m| bytes.starts_with(m.as_bytes()))
}

/// Too few bytes to tell, but the start of what [`probe`] takes.
pub fn could_start(bytes: &[u8]) -> bool {
    STARTS.iter().any(|m| m.as_bytes().starts_with(bytes))
}

const STARTS: [&str; 8] = [
    "HTTP/1.", "GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ",
];

#[derive(Default)]
enum Body {
    #[default]
    None,
    Length(u64),
    /// Chunked: the bytes left of the current chunk, or waiting for a size line.
    Chunked {
        left: u64,
    },
}

/// One direction of an HTTP connection.
#[derive(Default)]
pub struct HttpDirection {
    buf: Vec<u8>,
    body: Body,
    broken: bool,
}

impl HttpDirection {
    /// Feed in-order bytes; returns the heads completed, or why the stream is not HTTP (once).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Head>, String> {
        let mut heads = Vec::new();
        if self.broken {
            return Ok(heads);
        }
        // Bodies are skipped straight from the input; heads and chunk-size lines are
        // gathered in `buf`, and what follows them is read next.
        let mut input: std::borrow::Cow<'_, [u8]> = bytes.into();
        let mut at = 0;
        loop {
            let rest = &input[at..];
            let skipping = match &mut self.body {
                Body::Length(left) | Body::Chunked { left } if *left > 0 => Some(left),
                _ => None,
            };
            if let Some(left) = skipping {
                let take = (*left).min(rest.len() as u64);
                *left -= take;
                at += take as usize;
                if let Body::Length(0) = self.body {
                    self.body = Body::None;
                }
                if at == input.len() {
                    return Ok(heads);
                }
                continue;
            }
            self.buf.extend_from_slice(rest);
            let chunked = matches!(self.body, Body::Chunked { .. });
            let done = if chunked {
                self.chunk_line()?
            } else {
                match find(&self.buf, b"\r\n\r\n") {
                    Some(end) => {
                        let after = self.buf.split_off(end + 4);
                        let head = std::mem::replace(&mut self.buf, after);
                        let (parsed, body) = parse_head(&head).map_err(|e| self.fail(e))?;
                        heads.push(parsed);
                        self.body = body;
                        true
                    }
                    None => false,
                }
            };
            if !done {
                return self.too_long(heads);
            }
            input = std::mem::take(&mut self.buf).into();
            at = 0;
            if input.is_empty() {
                return Ok(heads);
            }
        }
    }

    /// In a chunked body, read the next size line from `buf` (after the previous chunk's
    /// CRLF): the chunk that follows is skipped, the last one ends the body. False when the
    /// line is not complete yet.
    fn chunk_line(&mut self) -> Result<bool, String> {
        let skip = self
            .buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let Some(end) = find(&self.buf[skip..], b"\r\n") else {
            return Ok(false);
        };
        let line = String::from_utf8_lossy(&self.buf[skip..skip + end]).into_owned();
        let size = u64::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| self.fail(format!("chunk size line {line:?}")))?;
        let mut after = self.buf.split_off(skip + end + 2);
        if size == 0 {
            // The last chunk: trailers, if any, end with an empty line.
            let Some(n) = find(&after, b"\r\n") else {
                self.buf.extend_from_slice(&after);
                return Ok(false);
            };
            after.drain(..n + 2);
            self.body = Body::None;
        } else {
            self.body = Body::Chunked { left: size };
        }
        self.buf = after;
        Ok(true)
    }

    fn too_long(&mut self, heads: Vec<Head>) -> Result<Vec<Head>, String> {
        if self.buf.len() > MAX_HEAD {
            return Err(self.fail(format!("no end of head within {MAX_HEAD} bytes")));
        }
        Ok(heads)
    }

    fn fail(&mut self, why: String) -> String {
        self.broken = true;
        self.buf = Vec::new();
        why
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn parse_head(head: &[u8]) -> Result<(Head, Body), String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or_default();
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without a colon: {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let body =
        if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            Body::Chunked { left: 0 }
        } else {
            match get("content-length").map(str::parse::<u64>) {
                Some(Ok(0)) | None => Body::None,
                Some(Ok(n)) => Body::Length(n),
                Some(Err(_)) => return Err("a Content-Length that is not a number".into()),
            }
        };
    let parts: Vec<&str> = start.splitn(3, ' ').collect();
    let head = if start.starts_with("HTTP/1.") {
        let code = parts
            .get(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("status line {start:?}"))?;
        Head::Response {
            code,
            reason: parts.get(2).unwrap_or(&"").to_string(),
        }
    } else {
        let [method, path, version] = parts[..] else {
            return Err(format!("request line {start:?}"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(format!("request line {start:?}"));
        }
        Head::Request {
            method: method.to_string(),
            path: path.to_string(),
            host: get("host").map(str::to_string),
            auth: get("authorization").map(auth_shown),
        }
    };
    Ok((head, body))
}

/// What of an Authorization header may be shown: the scheme, and the user of a Basic one.
fn auth_shown(value: &str) -> String {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("basic")
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim())
        && let Some((user, _password)) = String::from_utf8_lossy(&decoded).split_once(':')
    {
        return format!("Basic {user}");
    }
    scheme.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_in(chunk: usize, bytes: &[u8]) -> Vec<Head> {
        let mut d = HttpDirection::default();
        let mut heads = Vec::new();
        for piece in bytes.chunks(chunk) {
            heads.extend(d.feed(piece).expect("http"));
        }
        heads
    }

    #[test]
    fn requests_with_bodies_split_anywhere_and_no_password_kept() {
        let bytes =
            b"GET /Y29sbGFiLmV4YW1wbGUuY29t/get_edge_config?service_name=_cisco-uds HTTP/1.1\r\n\
Host: expe.example.com:8443\r\nAuthorization: Basic amRvZTpzZWNyZXQ=\r\n\r\n\
POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
GET /y HTTP/1.1\r\nAuthorization: Bearer eyJhbGciOi.secret.token\r\n\r\n";
        for chunk in [1, 3, 7, 1000] {
            let heads = feed_in(chunk, bytes);
            assert_eq!(heads.len(), 3, "chunk {chunk}: {heads:?}");
            assert_eq!(
                heads[0],
                Head::Request {
                    method: "GET".into(),
                    path: "/Y29sbGFiLmV4YW1wbGUuY29t/get_edge_config?service_name=_cisco-uds"
                        .into(),
                    host: Some("expe.example.com:8443".into()),
                    auth: Some("Basic jdoe".into()),
                }
            );
            assert!(matches!(&heads[2], Head::Request { auth: Some(a), .. } if a == "Bearer"));
            assert!(!format!("{heads:?}").contains("secret"));
        }
    }

    #[test]
    fn responses_with_chunked_and_sized_bodies() {
        let bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\n\r\n\
HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 502 Bad Gateway\r\n\r\n";
        for chunk in [1, 2, 5, 1000] {
            let heads = feed_in(chunk, bytes);
            let codes: Vec<u16> = heads
                .iter()
                .map(|h| match h {
                    Head::Response { code, .. } => *code,
                    _ => 0,
                })
                .collect();
            assert_eq!(codes, vec![200, 401, 502], "chunk {chunk}");
        }
    }

    #[test]
    fn not_http_is_said_once() {
        let mut d = HttpDirection::default();
        assert!(d.feed(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n").is_err());
        assert_eq!(d.feed(b"more"), Ok(vec![]));
        let mut d = HttpDirection::default();
        let err = d.feed(&vec![b'a'; MAX_HEAD + 10]).unwrap_err();
        assert!(err.contains("no end of head"), "{err}");
    }
}
