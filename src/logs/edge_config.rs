//! The getEdgeConfigResponse Expressway-C sends a client (research/mra-domain.md §1.2, S3),
//! read out of an HTTPMSG record into one line: each internal service and what Expressway-C
//! resolved it to (or its error), the edge servers, the user's home UDS.
//!
//! The XML is small, flat and machine-written, and logs may cut or escape it; a tag scanner
//! that keeps what it can read suits it better than a strict parser that rejects it whole.

/// A one-line summary, or `None` when `record` holds no getEdgeConfigResponse.
pub fn summarize(record: &[u8]) -> Option<String> {
    // Built once: building a searcher cost more than most records' search.
    static START: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"<getEdgeConfigResponse"));
    let at = START.find(record)?;
    let text = String::from_utf8_lossy(&record[at..]);
    let at = text.find("<getEdgeConfigResponse")?;
    let xml = &text[at..];
    let mut parts = Vec::new();

    let services: Vec<String> = elements(container(xml, "serviceConfig"), "service")
        .into_iter()
        .filter_map(|s| {
            let name = inner(s, "name")?.trim();
            if let Some(error) = inner(s, "error") {
                return Some(format!("{name} {}", error.trim()));
            }
            let servers: Vec<String> = elements(s, "server").into_iter().map(server).collect();
            Some(if servers.is_empty() {
                // tftpServer carries bare addresses, often empty.
                let addresses: Vec<&str> = elements(s, "address")
                    .into_iter()
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .collect();
                format!("{name} → {}", list_or_none(&addresses))
            } else {
                format!("{name} → {}", servers.join(" "))
            })
        })
        .collect();
    if !services.is_empty() {
        parts.push(format!("services: {}", services.join(", ")));
    }

    let edge = container(xml, "edgeConfig");
    let edges: Vec<String> = [
        ("sipEdgeServer", "sip"),
        ("xmppEdgeServer", "xmpp"),
        ("httpEdgeServer", "http"),
        ("turnEdgeServer", "turn"),
    ]
    .iter()
    .filter_map(|(tag, label)| {
        let servers: Vec<String> = elements(inner(edge, tag)?, "server")
            .into_iter()
            .map(server)
            .collect();
        (!servers.is_empty()).then(|| format!("{label} {}", servers.join(" ")))
    })
    .collect();
    if !edges.is_empty() {
        parts.push(format!("edge: {}", edges.join(", ")));
    }
    if let Some(route) = inner(edge, "sipRequest").and_then(|r| inner(r, "route")) {
        let route = route.replace("&lt;", "<").replace("&gt;", ">");
        parts.push(format!("SIP route {}", route.trim()));
    }
    if let Some(uds) = inner(edge, "userUdsServer") {
        let servers: Vec<String> = elements(uds, "server").into_iter().map(server).collect();
        parts.push(format!("home UDS {}", list_or_none(&servers)));
    }
    Some(if parts.is_empty() {
        "an empty getEdgeConfigResponse".into()
    } else {
        parts.join("; ")
    })
}

fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "(empty)".into()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `address:port` of a `<server>`; the port is `<tlsPort>` or `<port>`.
fn server(s: &str) -> String {
    let address = inner(s, "address").map(str::trim).unwrap_or("");
    if address.is_empty() {
        return "(empty)".into();
    }
    match inner(s, "tlsPort").or_else(|| inner(s, "port")) {
        Some(port) => format!("{address}:{}", port.trim()),
        None => address.to_string(),
    }
}

/// The content of a top-level section, to its end or to the end of a cut record.
fn container<'a>(xml: &'a str, tag: &str) -> &'a str {
    inner(xml, tag).unwrap_or_else(|| {
        let open = format!("<{tag}>");
        xml.find(&open).map_or("", |i| &xml[i + open.len()..])
    })
}

/// The content of the first `<tag>…</tag>` in `xml` (not `<tagOther>`); `None` when there is
/// none, or it is self-closing, or cut before its end.
fn inner<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    Elements { rest: xml, tag }.next()
}

/// The contents of every `<tag>…</tag>` at any depth, in order; not nested in each other.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    Elements { rest: xml, tag }.collect()
}

/// The walk behind [`elements`], one element at a time (a summary asks for the first of a
/// tag more often than for all of them).
struct Elements<'a, 't> {
    rest: &'a str,
    tag: &'t str,
}

impl<'a> Iterator for Elements<'a, '_> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let i = find(self.rest, b"<", self.tag, b"")?;
            let after = &self.rest[i + 1 + self.tag.len()..];
            // `<tag>` or `<tag attr=…>`, not `<tagLonger>`.
            let Some(gt) = after.find('>') else {
                self.rest = "";
                return None;
            };
            let head = &after[..gt];
            if !(head.is_empty() || head.starts_with(char::is_whitespace)) || head.ends_with('/') {
                self.rest = &after[gt + 1..];
                continue;
            }
            let body = &after[gt + 1..];
            let Some(end) = closing(body, self.tag) else {
                self.rest = "";
                return None;
            };
            self.rest = &body[end + 3 + self.tag.len()..];
            return Some(&body[..end]);
        }
    }
}

/// Where `</tag>` starts in `body`.
fn closing(body: &str, tag: &str) -> Option<usize> {
    find(body, b"</", tag, b">")
}

/// Where `open`, `tag` and `close` written together first occur in `xml`: one substring
/// search (a walk from `<` to `<` cost a summary most of its time, a dozen walks a record).
fn find(xml: &str, open: &[u8], tag: &str, close: &[u8]) -> Option<usize> {
    let mut needle = [0u8; 64];
    let len = open.len() + tag.len() + close.len();
    let Some(needle) = needle.get_mut(..len) else {
        return memchr::memmem::find(xml.as_bytes(), &[open, tag.as_bytes(), close].concat());
    };
    let (a, rest) = needle.split_at_mut(open.len());
    let (b, c) = rest.split_at_mut(tag.len());
    a.copy_from_slice(open);
    b.copy_from_slice(tag.as_bytes());
    c.copy_from_slice(close);
    memchr::memmem::find(xml.as_bytes(), needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response quoted in research/mra-domain.md §1.2 (TAC, S3), as an HTTPMSG record.
    const TAC: &[u8] = b"2024-03-05T10:02:11.400+01:00 expc traffic_server[2030]: HTTPMSG:\n\
|HTTP/1.1 200 OK\n\
|<?xml version='1.0' encoding='UTF-8'?> <getEdgeConfigResponse version=\"1.0\"><serviceConfig><service><name>_cisco-phone-tftp</name><error>NameError</error></service><service><name>_cuplogin</name><error>NameError</error></service><service><name>_cisco-uds</name><server><priority>1</priority><weight>1</weight><port>8443</port><address>cucm.domain.int</address></server></service><service><name>tftpServer</name><address></address><address></address></service></serviceConfig><edgeConfig><sipEdgeServer><server><address>expe.domain.com</address><tlsPort>5061</tlsPort></server></sipEdgeServer><sipRequest><route>&lt;sip:192.168.2.100:5061;transport=tls;zone-id=3;directed;lr&gt;</route></sipRequest><xmppEdgeServer><server><address>expe.domain.com</address><tlsPort>5222</tlsPort></server></xmppEdgeServer><httpEdgeServer><server><address>expe.domain.com</address><tlsPort>8443</tlsPort></server></httpEdgeServer><turnEdgeServer/> <userUdsServer><server><address></address><tlsPort>8443</tlsPort></server></userUdsServer> </edgeConfig></getEdgeConfigResponse>\n";

    #[test]
    fn the_tac_response_in_one_line() {
        assert_eq!(
            summarize(TAC).unwrap(),
            "services: _cisco-phone-tftp NameError, _cuplogin NameError, \
             _cisco-uds → cucm.domain.int:8443, tftpServer → (empty); \
             edge: sip expe.domain.com:5061, xmpp expe.domain.com:5222, http expe.domain.com:8443; \
             SIP route <sip:192.168.2.100:5061;transport=tls;zone-id=3;directed;lr>; \
             home UDS (empty)"
        );
    }

    #[test]
    fn a_cut_response_keeps_what_it_holds_and_other_records_give_none() {
        let cut = &TAC[..TAC.len() / 2];
        let summary = summarize(cut).unwrap();
        assert!(
            summary.starts_with("services: _cisco-phone-tftp NameError, _cuplogin NameError"),
            "{summary}"
        );
        assert!(!summary.contains("edge:"), "{summary}");
        assert_eq!(
            summarize(b"HTTPMSG: |HTTP/1.1 200 OK <result found=\"false\"/>"),
            None
        );
        assert_eq!(
            summarize(b"<getEdgeConfigResponse version=\"1.0\"/>").as_deref(),
            Some("an empty getEdgeConfigResponse")
        );
    }

    #[test]
    fn tags_are_matched_whole() {
        assert_eq!(
            elements("<a>1</a><ab>2</ab><a x=\"y\">3</a><a/>", "a"),
            ["1", "3"]
        );
        assert_eq!(elements("<a>1</ab></a>", "a"), ["1</ab>"]);
        let long = "t".repeat(70);
        assert_eq!(
            elements(&format!("<{long}>x</{long}>"), &long),
            ["x"],
            "a tag longer than the needle's room"
        );
    }
}
