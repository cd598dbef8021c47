//! Log line grammars: the Expressway syslog-style header (local time with its UTC offset,
//! host, process) and `UTCTime="…"`, and the Jabber/Webex header (local time, no offset).
//! Only what places a record in time and on a host is parsed; the signatures read the rest.

use regex::bytes::Regex;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grammar {
    /// Expressway-C/E `loggingsnapshot` lines (or a copy of them).
    Expressway,
    /// Jabber / Webex app client logs (csf-unified.log, jabber.log, PRT).
    Jabber,
    /// An Expressway configuration or status dump (`*c xConfiguration …`, `*s …`).
    ExpresswayDump,
    /// Text without a known header; signatures are still searched.
    Text,
}

pub use crate::time::TimeBasis;

pub struct Header {
    pub ts: Option<i64>,
    pub basis: TimeBasis,
    pub host: Option<String>,
}

fn expressway_header() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:Line \d+: )?(?:<\d+>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (\S+) ([A-Za-z_][\w.-]*)(?:\[\d+\])?:?")
            .expect("valid")
    })
}

fn utc_time() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"UTCTime\s*=\s*"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:,(\d{1,3}))?""#)
            .expect("valid")
    })
}

fn jabber_header() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\s+(?:ERROR|WARN|WARNING|INFO|DEBUG|TRACE)\s").expect("valid")
    })
}

fn jabber_bare() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:ERROR|WARN|WARNING|INFO|DEBUG|TRACE)\s+\[(?:0x)?[0-9a-fA-F]+\]")
            .expect("valid")
    })
}

fn parse_ts(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

/// Which grammar the first lines of a text follow.
pub fn detect(text: &[u8]) -> Grammar {
    let (mut expressway, mut jabber) = (0, 0);
    for line in text.split(|&c| c == b'\n').take(400) {
        if expressway_header().is_match(line) || utc_time().is_match(line) {
            expressway += 1;
        } else if jabber_header().is_match(line) || jabber_bare().is_match(line) {
            jabber += 1;
        }
    }
    match (expressway, jabber) {
        (0, 0) => Grammar::Text,
        (e, j) if e >= j => Grammar::Expressway,
        _ => Grammar::Jabber,
    }
}

/// The UTC offset (minutes) an Expressway header line writes its local time with: the zone
/// the box runs in, which a ticket's local time is likely given in.
pub fn header_offset(line: &[u8]) -> Option<i32> {
    let c = expressway_header().captures(line)?;
    let stamp = std::str::from_utf8(&c[1]).ok()?;
    if stamp.ends_with('Z') {
        return Some(0);
    }
    let (sign, hm) = stamp.split_at(stamp.len() - 6);
    let minutes = hm[1..3].parse::<i32>().ok()? * 60 + hm[4..6].parse::<i32>().ok()?;
    Some(if sign.ends_with('-') || hm.starts_with('-') {
        -minutes
    } else {
        minutes
    })
}

/// Time and host of a record, from its header line (or its UTCTime field).
pub fn header(record: &[u8]) -> Header {
    let first_line = record.split(|&c| c == b'\n').next().unwrap_or(record);
    let mut host = None;
    // Read only when the header does not say the time to the millisecond itself.
    let utc_field = || {
        utc_time().captures(record).and_then(|c| {
            let frac = c.get(3).map_or("0".to_string(), |f| {
                String::from_utf8_lossy(f.as_bytes()).into_owned()
            });
            parse_ts(&format!(
                "{}T{}.{frac}Z",
                String::from_utf8_lossy(&c[1]),
                String::from_utf8_lossy(&c[2])
            ))
        })
    };
    if let Some(c) = expressway_header().captures(first_line) {
        host = c
            .get(2)
            .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned());
        let stamp = std::str::from_utf8(&c[1]).ok();
        if let Some(ts) = stamp.and_then(parse_ts) {
            // A header to the second, a UTCTime field to the millisecond: the finer one.
            let whole_seconds = stamp.is_some_and(|s| !s.contains('.'));
            let ts = match whole_seconds.then(utc_field).flatten() {
                Some(finer) if (finer - ts).abs() < 1_000_000_000 => finer,
                _ => ts,
            };
            return Header {
                ts: Some(ts),
                basis: TimeBasis::Utc,
                host,
            };
        }
    }
    if let Some(ts) = utc_field() {
        return Header {
            ts: Some(ts),
            basis: TimeBasis::Utc,
            host,
        };
    }
    if let Some(c) = jabber_header().captures(first_line) {
        let s = format!(
            "{}T{}.{}Z",
            String::from_utf8_lossy(&c[1]),
            String::from_utf8_lossy(&c[2]),
            String::from_utf8_lossy(&c[3])
        );
        if let Some(ts) = parse_ts(&s) {
            return Header {
                ts: Some(ts),
                basis: TimeBasis::LocalNoOffset,
                host,
            };
        }
    }
    Header {
        ts: None,
        basis: TimeBasis::Unknown,
        host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressway_header_with_offset_and_milliseconds() {
        let h = header(b"2017-03-02T08:10:46.240+01:00 vcse tvcs: UTCTime=\"2017-03-02 07:10:46,240\" Module=\"network.sip\"");
        assert_eq!(h.basis, TimeBasis::Utc);
        assert_eq!(h.host.as_deref(), Some("vcse"));
        assert_eq!(
            crate::time::format_ns(h.ts.unwrap()),
            "2017-03-02T07:10:46.240000Z"
        );
    }

    #[test]
    fn a_header_to_the_second_keeps_the_utctime_milliseconds() {
        let h = header(b"2024-03-05T10:07:13+01:00 expc tvcs: UTCTime=\"2024-03-05 09:07:13,982\" Module=\"network.sip\"");
        assert_eq!(
            crate::time::format_ns(h.ts.unwrap()),
            "2024-03-05T09:07:13.982000Z"
        );
        // A UTCTime that is not the header's second (a quoted older line) is not taken.
        let h = header(
            b"2024-03-05T10:07:13+01:00 expc tvcs: Detail=\"UTCTime=\"2024-03-05 08:00:00,500\"\"",
        );
        assert_eq!(
            crate::time::format_ns(h.ts.unwrap()),
            "2024-03-05T09:07:13.000000Z"
        );
    }

    #[test]
    fn utctime_with_two_fraction_digits_when_the_header_is_missing() {
        let h = header(
            b"ExpresswayE traffic_server[15550]: UTCTime=\"2014-09-25 17:46:20,92\" Module=\"x\"",
        );
        assert_eq!(
            crate::time::format_ns(h.ts.unwrap()),
            "2014-09-25T17:46:20.920000Z"
        );
    }

    #[test]
    fn jabber_local_time_and_detection() {
        let line = b"2024-02-01 05:48:33,461 INFO  [0x6d4ab000] [mmon/PlatformVerificationHandler.cpp(38)] [csf.cert] [f] - x";
        let h = header(line);
        assert_eq!(h.basis, TimeBasis::LocalNoOffset);
        assert_eq!(detect(line), Grammar::Jabber);
        assert_eq!(
            detect(b"WARN [0x00003398] [src\\dnsutils\\win32\\win32DnsUtils.cpp(52)] [csf.dns] x"),
            Grammar::Jabber
        );
        assert_eq!(
            detect(b"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,973\""),
            Grammar::Expressway
        );
        assert_eq!(detect(b"just some words\nand more"), Grammar::Text);
    }
}

/// A zone for local times: an IANA name (`Europe/Paris`) or a fixed offset (`+05:30`).
pub fn parse_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    let hint = "an IANA name such as Europe/Paris, or an offset such as +05:30";
    if let Some(sign) = name.chars().next().filter(|c| matches!(c, '+' | '-')) {
        return fixed_offset(sign, &name[1..])
            .ok_or_else(|| format!("{name:?} is not a UTC offset: +HH:MM from -12:00 to +14:00, minutes 00, 15, 30 or 45 ({hint})"));
    }
    if name.eq_ignore_ascii_case("UTC") || name == "Z" {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    jiff::tz::TimeZone::get(name).map_err(|_| {
        let near = zone_suggestions(name);
        if near.is_empty() {
            format!("unknown time zone {name:?} ({hint})")
        } else {
            format!(
                "unknown time zone {name:?}: did you mean {}?",
                near.join(", ")
            )
        }
    })
}

/// `HH`, `HH:MM` or `HHMM` after the sign, within the offsets zones use.
fn fixed_offset(sign: char, hm: &str) -> Option<jiff::tz::TimeZone> {
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    let (h, m) = match hm.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None if hm.len() == 4 => hm.split_at(2),
        None => (hm, "0"),
    };
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let east = sign == '+';
    if m % 15 != 0 || m >= 60 || (east && h * 60 + m > 14 * 60) || (!east && h * 60 + m > 12 * 60) {
        return None;
    }
    let secs = (h * 3600 + m * 60) * if east { 1 } else { -1 };
    jiff::tz::Offset::from_seconds(secs)
        .ok()
        .map(jiff::tz::TimeZone::fixed)
}

/// IANA names close to what was typed (`paris` → Europe/Paris), at most three.
fn zone_suggestions(typed: &str) -> Vec<String> {
    let typed = typed.to_ascii_lowercase().replace(' ', "_");
    let typed_city = typed.rsplit('/').next().unwrap_or(&typed).to_string();
    let names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    let city = |n: &str| n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .filter_map(|n| {
            let c = city(n);
            let score = if c == typed_city || n.to_ascii_lowercase() == typed {
                0
            } else if typed_city.len() >= 3 && c.contains(&typed_city) {
                1
            } else {
                let d = crate::text::edit_distance(&c, &typed_city);
                if d <= 2 && typed_city.len() > d * 2 {
                    1 + d
                } else {
                    return None;
                }
            };
            Some((score, n))
        })
        .collect();
    scored.sort();
    // Only the nearest kind: a city named exactly hides the ones a typo away.
    let best = scored.first().map_or(0, |(score, _)| *score);
    scored
        .into_iter()
        .take_while(|(score, _)| *score == best)
        .take(3)
        .map(|(_, n)| n.clone())
        .collect()
}

/// A local time (stored as if it were UTC) read in `tz` instead.
pub fn localize(ns: i64, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let as_if_utc = jiff::Timestamp::from_nanosecond(ns as i128).ok()?;
    let civil = jiff::tz::TimeZone::UTC.to_datetime(as_if_utc);
    let ts = tz.to_ambiguous_timestamp(civil).compatible().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn a_zone_is_validated_and_a_near_name_suggested() {
        for good in [
            "+05:30",
            "-03:00",
            "+0545",
            "+14",
            "-12:00",
            "UTC",
            "Europe/Paris",
        ] {
            assert!(parse_zone(good).is_ok(), "{good}");
        }
        for bad in [
            "+25:00", "+14:30", "-13:00", "+05:20", "+5:3", "+05:60", "+ab",
        ] {
            let e = parse_zone(bad).unwrap_err();
            assert!(e.contains("is not a UTC offset"), "{bad}: {e}");
        }
        // Suggestions come from the zone database the machine has.
        if jiff::tz::TimeZone::get("Europe/Paris").is_ok() {
            let e = parse_zone("paris").unwrap_err();
            assert!(e.contains("did you mean Europe/Paris"), "{e}");
            let e = parse_zone("Europe/Pariss").unwrap_err();
            assert!(e.contains("Europe/Paris"), "{e}");
            let e = parse_zone("new york").unwrap_err();
            assert!(e.contains("America/New_York"), "{e}");
        }
        assert!(
            parse_zone("qqqqqqqqq")
                .unwrap_err()
                .contains("an IANA name such as")
        );
    }

    #[test]
    fn the_offset_of_an_expressway_header() {
        let line = |s: &str| header_offset(s.as_bytes());
        assert_eq!(
            line("2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"x\""),
            Some(600)
        );
        assert_eq!(
            line("2014-09-25T13:46:20-04:00 RTP-TBTP-EXPRWY-C edgeconfigprovisioning"),
            Some(-240)
        );
        assert_eq!(line("2016-03-09T09:48:35+05:30 VCSECOL tvcs: x"), Some(330));
        assert_eq!(
            line("2026-01-29T14:01:16.974Z exp-c traffic_server[2030]: x"),
            Some(0)
        );
        assert_eq!(line("2026-11-26 23:17:37,960 INFO  [0x00002540] x"), None);
    }

    #[test]
    fn offsets_and_names() {
        let local = parse_ts("2024-02-01T05:48:33Z").unwrap();
        let plus = parse_zone("+05:30").unwrap();
        assert_eq!(
            crate::time::format_ns(localize(local, &plus).unwrap()),
            "2024-02-01T00:18:33.000000Z"
        );
        let minus = parse_zone("-04:00").unwrap();
        assert_eq!(
            crate::time::format_ns(localize(local, &minus).unwrap()),
            "2024-02-01T09:48:33.000000Z"
        );
        assert!(parse_zone("Mars/Olympus").is_err());
    }
}
