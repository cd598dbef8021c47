//! Who a log record is about, read from the protocol text it carries rather than from one
//! signature's pattern: the user part of an `Authorization: Basic` header (the password is
//! never decoded into anything kept), the client address a proxy forwards (`Client-ip:`,
//! `X-Forwarded-For:`), the user of a UDS URL (`/cucm-uds/user/NAME`), and the user id CUCM
//! puts in a registered Contact (`+u.sip!userid.ccm.cisco.com="NAME"`).
//! These fields link the lines of one sign-in across Expressway-E and -C (see `mra::users`).

use memchr::memmem;

/// Field names, as they appear in a hit's fields.
pub const AUTH_USER: &str = "auth_user";
pub const CLIENT_IP: &str = "client_ip";
pub const UDS_USER: &str = "uds_user";
pub const SIP_USERID: &str = "sip_userid";
/// A SIP message block's `Call-ID:` header (the INFO summary lines give it as `Call-ID=`).
pub const CALL_ID: &str = "call_id";
/// The X-Auth cookie Expressway-E sets and the client sends back, or an OAuth bearer token:
/// credentials, so only a digest of them is kept (`sha256:` and 12 hex digits), enough to
/// tell that two requests carry the same one.
pub const TOKEN: &str = "token_digest";

/// The identity fields a record holds, each at most once (the first occurrence).
pub fn identities(record: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let found = firsts(record);
    // The bytes after a needle's first place.
    let past = |needle: Needle| after(record, &found, needle);
    if let Some(user) = past(Needle::AuthBasic).and_then(basic_user) {
        out.push((AUTH_USER, user));
    }
    let forwarded = past(Needle::ClientIp).or_else(|| past(Needle::ForwardedFor));
    if let Some(ip) = forwarded.and_then(|v| {
        let first = token(v, b",\r\n ");
        std::str::from_utf8(first)
            .ok()?
            .parse::<std::net::IpAddr>()
            .ok()
    }) {
        out.push((CLIENT_IP, ip.to_string()));
    }
    if let Some(user) = past(Needle::UdsUser).and_then(|v| name(token(v, b"/?\"' {}\r\n"))) {
        out.push((UDS_USER, user));
    }
    if let Some(user) = past(Needle::SipUserId).and_then(|v| name(token(v, b"\""))) {
        out.push((SIP_USERID, user));
    }
    if let Some(id) = past(Needle::CallId).and_then(|v| name(token(v, b" \r\n"))) {
        out.push((CALL_ID, id));
    }
    let secret = past(Needle::XAuth).or_else(|| past(Needle::AuthBearer));
    if let Some(secret) = secret
        .map(|v| token(v, b"; \r\n\""))
        .filter(|v| v.len() >= 8)
    {
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(secret)
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        out.push((TOKEN, format!("sha256:{hex}")));
    }
    out
}

/// All the needles in one pass (Teddy), built once; or, without SIMD, each searched for on its
/// own.
enum Searcher {
    Together(aho_corasick::packed::Searcher),
    Apart(Vec<memmem::Finder<'static>>),
}

static SEARCHER: std::sync::LazyLock<Searcher> = std::sync::LazyLock::new(|| {
    aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(NEEDLES)
        .build()
        .map_or_else(
            || Searcher::Apart(NEEDLES.iter().map(|n| memmem::Finder::new(*n)).collect()),
            Searcher::Together,
        )
});

/// Where each needle first occurs in `hay`. One pass finds them all: no needle can start
/// inside another (tested), so the leftmost matches hide none.
fn firsts(hay: &[u8]) -> [Option<usize>; NEEDLES.len()] {
    let mut found = [None; NEEDLES.len()];
    match &*SEARCHER {
        Searcher::Together(teddy) => {
            let mut left = NEEDLES.len();
            for m in teddy.find_iter(hay) {
                let slot = &mut found[m.pattern().as_usize()];
                if slot.is_none() {
                    *slot = Some(m.start());
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        Searcher::Apart(finders) => {
            for (slot, finder) in found.iter_mut().zip(finders) {
                *slot = finder.find(hay);
            }
        }
    }
    found
}

/// Which of `NEEDLES`, by its place there.
#[derive(Clone, Copy)]
enum Needle {
    AuthBasic,
    ClientIp,
    ForwardedFor,
    UdsUser,
    SipUserId,
    CallId,
    XAuth,
    AuthBearer,
}
const NEEDLES: [&[u8]; 8] = [
    b"Authorization: Basic ",
    b"Client-ip: ",
    b"X-Forwarded-For: ",
    b"/cucm-uds/user/",
    b"+u.sip!userid.ccm.cisco.com=\"",
    b"\n Call-ID: ",
    b"X-Auth=",
    b"Authorization: Bearer ",
];

/// The bytes after the first `needle` (one of `NEEDLES`), if any, `found` by [`firsts`].
fn after<'h>(hay: &'h [u8], found: &[Option<usize>], needle: Needle) -> Option<&'h [u8]> {
    let i = needle as usize;
    found[i].map(|at| &hay[at + NEEDLES[i].len()..])
}

/// The bytes up to the first of `stops`.
fn token<'a>(v: &'a [u8], stops: &[u8]) -> &'a [u8] {
    let end = v.iter().position(|b| stops.contains(b)).unwrap_or(v.len());
    &v[..end]
}

/// A user name: printable, no spaces, not too long.
fn name(v: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(v).ok()?;
    (!s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_graphic()))
        .then(|| s.to_string())
}

/// `Basic base64(user:password)` → `user`; the password half is dropped here.
fn basic_user(v: &[u8]) -> Option<String> {
    use base64::Engine;
    let encoded = token(v, b" \r\n\"");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let colon = bytes.iter().position(|&b| b == b':')?;
    name(&bytes[..colon])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(record: &str, field: &str) -> Option<String> {
        identities(record.as_bytes())
            .into_iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v)
    }

    #[test]
    fn no_needle_starts_inside_another() {
        for (i, a) in NEEDLES.iter().enumerate() {
            for (j, b) in NEEDLES.iter().enumerate() {
                for k in 1..a.len() {
                    let tail = &a[k..];
                    assert!(
                        i == j || !(b.starts_with(tail) || tail.starts_with(b)),
                        "{:?} can start inside {:?}",
                        String::from_utf8_lossy(b),
                        String::from_utf8_lossy(a)
                    );
                }
            }
        }
    }

    #[test]
    fn one_pass_finds_each_needles_first_place_as_searching_for_each_does() {
        use proptest::prelude::*;
        let piece = prop_oneof![
            prop::sample::select(NEEDLES.to_vec()).prop_map(<[u8]>::to_vec),
            prop::sample::select(NEEDLES.to_vec())
                .prop_flat_map(|n| (Just(n), 0..n.len()))
                .prop_map(|(n, k)| n[k..].to_vec()),
            prop::collection::vec(any::<u8>(), 0..12),
        ];
        proptest!(ProptestConfig::with_cases(2000), |(parts in prop::collection::vec(piece, 0..12))| {
            let hay = parts.concat();
            let apart: Vec<Option<usize>> =
                NEEDLES.iter().map(|n| memmem::find(&hay, n)).collect();
            prop_assert_eq!(firsts(&hay).to_vec(), apart);
        });
    }

    #[test]
    fn the_user_of_a_basic_header_is_kept_and_the_password_is_not() {
        // base64("jdoe:S3cret!") — the S9-style HTTPMSG block, headers indented.
        let record = "Detail=\"Receive Request\" Src-ip=\"198.51.100.7\" HTTPMSG:\n|GET /ZXhhbXBsZS5jb20/get_edge_config HTTP/1.1\n Authorization: Basic amRvZTpTM2NyZXQh\n |";
        let found = identities(record.as_bytes());
        assert_eq!(found, vec![(AUTH_USER, "jdoe".to_string())]);
        assert!(!format!("{found:?}").contains("S3cret"));
        // Not base64, or no colon: nothing.
        assert_eq!(get(" Authorization: Basic !!!", AUTH_USER), None);
        assert_eq!(get(" Authorization: Basic amRvZQ==", AUTH_USER), None);
    }

    #[test]
    fn tokens_are_kept_as_digests_only() {
        // S4's Set-Cookie, and the same token sent back in a later request's Cookie.
        let set = "Set-Cookie: X-Auth=1e1111e1-dddb-49e9-ad0d-ab34526e2b00; Expires=Fri, 09 May 2014 20:21:31 GMT; Domain=.vngtp.lab ; Path=/; Secure";
        let back = " Cookie: X-Auth=1e1111e1-dddb-49e9-ad0d-ab34526e2b00\n";
        let digest = get(set, TOKEN).unwrap();
        assert!(
            digest.starts_with("sha256:") && digest.len() == 19,
            "{digest}"
        );
        assert_eq!(get(back, TOKEN), Some(digest.clone()));
        assert!(!format!("{:?}", identities(set.as_bytes())).contains("1e1111e1"));
        let bearer = " Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc\n";
        assert_ne!(get(bearer, TOKEN), Some(digest));
        assert_eq!(get(" Cookie: X-Auth=short\n", TOKEN), None);
    }

    #[test]
    fn forwarded_client_addresses_uds_users_and_cucm_user_ids() {
        // S9's Expressway-C request carries Client-ip and X-Forwarded-For.
        let r = " Client-ip: 203.0.113.9\n X-Forwarded-For: 203.0.113.9, 127.0.0.1\n";
        assert_eq!(get(r, CLIENT_IP).as_deref(), Some("203.0.113.9"));
        let r = " X-Forwarded-For: 2001:db8::7, 127.0.0.1\n";
        assert_eq!(get(r, CLIENT_IP).as_deref(), Some("2001:db8::7"));
        assert_eq!(get(" Client-ip: xxx.xxx.xxx.xxx\n", CLIENT_IP), None);
        // S3's Request-url.
        let r = r#"Request-url="https://xx.xx.97.131:8443/cucm-uds/user/pstojano/devices""#;
        assert_eq!(get(r, UDS_USER).as_deref(), Some("pstojano"));
        // S22's 200 OK Contact.
        let r = "SIPMSG:\n |SIP/2.0 200 OK\n Call-ID: 00505696-779a0005-00001bba-00007938@172.16.84.136\n CSeq: 105 REGISTER\n Contact: <sip:7514c56a@10.15.20.10:5060;transport=tcp>;+u.sip!userid.ccm.cisco.com=\"mra01\";x-cisco-newreg\n";
        assert_eq!(get(r, SIP_USERID).as_deref(), Some("mra01"));
        assert_eq!(
            get(r, CALL_ID).as_deref(),
            Some("00505696-779a0005-00001bba-00007938@172.16.84.136")
        );
    }
}
