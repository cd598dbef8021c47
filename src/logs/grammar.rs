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

/// The Expressway header as `expressway_header` reads it, by hand, for the shape nearly
/// every line has (`2026-11-26T08:32:11.123-05:00 host process…`, ASCII, no `Line N:` or
/// `<N>` before it): its time (UTC nanoseconds), host, and whether it is to the second.
/// `None` when the line is not that shape: the regex decides then. The header of every hit
/// was a tenth of a bundle's scan through the regex and the time parser.
fn quick_expressway(line: &[u8]) -> Option<(i64, &[u8], bool)> {
    let digits = |from: usize, n: usize| -> Option<i64> {
        let b = line.get(from..from + n)?;
        b.iter().try_fold(0i64, |v, &c| {
            c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0'))
        })
    };
    let at = |i: usize, c: u8| line.get(i) == Some(&c);
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    let whole_seconds = !at(i, b'.');
    if !whole_seconds {
        let n = line[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return None;
        }
        nanos = digits(i + 1, n)? * 10i64.pow(9 - n as u32);
        i += 1 + n;
    }
    let offset_s = match line.get(i)? {
        b'Z' => {
            i += 1;
            0
        }
        &sign @ (b'+' | b'-') => {
            if !at(i + 3, b':') {
                return None;
            }
            let (h, m) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            i += 6;
            (h * 3600 + m * 60) * if sign == b'-' { -1 } else { 1 }
        }
        _ => return None,
    };
    if !at(i, b' ') {
        return None;
    }
    let host_len = line[i + 1..]
        .iter()
        .take_while(|&&c| c.is_ascii_graphic())
        .count();
    let host = &line[i + 1..i + 1 + host_len];
    let after = i + 1 + host_len;
    if host.is_empty()
        || !at(after, b' ')
        || !line
            .get(after + 1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    // Outside i64 nanoseconds (before 1677, after 2262): the slow path says so.
    let ts = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some((ts, host, whole_seconds))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_ts(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

/// Which grammar the first lines of a text follow.
pub fn detect(text: &[u8]) -> Grammar {
    let (mut expressway, mut jabber) = (0, 0);
    for line in text.split(|&c| c == b'\n').take(400) {
        if quick_expressway(line).is_some()
            || expressway_header().is_match(line)
            || utc_time().is_match(line)
        {
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
    let first_line = memchr::memchr(b'\n', record).map_or(record, |end| &record[..end]);
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
    let quick = quick_expressway(first_line).map(|(ts, host, whole)| (Some(ts), host, whole));
    let read = quick.or_else(|| {
        let c = expressway_header().captures(first_line)?;
        let stamp = std::str::from_utf8(&c[1]).ok();
        let whole_seconds = stamp.is_some_and(|s| !s.contains('.'));
        Some((
            stamp.and_then(parse_ts),
            c.get(2)?.as_bytes(),
            whole_seconds,
        ))
    });
    if let Some((ts, found_host, whole_seconds)) = read {
        host = Some(String::from_utf8_lossy(found_host).into_owned());
        if let Some(ts) = ts {
            // A header to the second, a UTCTime field to the millisecond: the finer one.
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

    /// The hand reading agrees with the regex and the time parser wherever it answers, on
    /// headers made of the pieces that matter (bad dates, leap days, fractions of every
    /// length, offsets, hosts with odd bytes, `Line N:` prefixes).
    #[test]
    fn the_quick_header_reads_as_the_regex_does() {
        use proptest::prelude::*;
        let date = prop::sample::select(vec![
            "2026-11-26",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-04-31",
            "0000-01-01",
            "9999-12-31",
            "1970-01-01",
            "2026-1-26",
            "２０２６-11-26",
        ]);
        let time = prop::sample::select(vec![
            "T08:32:11",
            "T23:59:59",
            "T24:00:00",
            "T08:60:00",
            "T08:32:60",
            "T8:32:11",
            " 08:32:11",
        ]);
        let frac = prop::sample::select(vec![
            "",
            ".1",
            ".123",
            ".123456789",
            ".1234567890",
            ".",
            ".12a",
        ]);
        let zone = prop::sample::select(vec![
            "Z", "+01:00", "-05:00", "+23:59", "+24:00", "-05:60", "+0100", "", "z",
        ]);
        let rest = prop::sample::select(vec![
            " expc01 tvcs: x",
            " expc01 _p",
            " expc01 1p",
            " expc01  tvcs",
            " é tvcs",
            " h\tx p",
            " host",
            "",
            " expe01.example.com UTCTime[12]: y",
            " h p",
        ]);
        let prefix = prop::sample::select(vec!["", "", "", "Line 3: ", "<13>"]);
        proptest!(ProptestConfig::with_cases(4000), |(p in prefix, d in date, t in time, f in frac, z in zone, r in rest)| {
            let line = format!("{p}{d}{t}{f}{z}{r}");
            if let Some((ts, host, whole)) = quick_expressway(line.as_bytes()) {
                let c = expressway_header().captures(line.as_bytes());
                prop_assert!(c.is_some(), "{}", line);
                let c = c.unwrap();
                let stamp = std::str::from_utf8(&c[1]).unwrap();
                prop_assert_eq!(Some(ts), parse_ts(stamp), "{}", line);
                prop_assert_eq!(host, &c[2], "{}", line);
                prop_assert_eq!(whole, !stamp.contains('.'), "{}", line);
            }
        });
        // It answers for the common shape.
        assert!(quick_expressway(b"2026-11-26T08:32:11.123-05:00 expc01 tvcs: x").is_some());
    }

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
