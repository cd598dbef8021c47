//! Timestamps: nanoseconds since the Unix epoch, always printed in UTC.

/// How a record's time was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeBasis {
    /// An explicit offset or a UTC field.
    Utc,
    /// Local time without an offset, taken as UTC for ordering only.
    LocalNoOffset,
    /// Local time without an offset, read in the zone the user named (`--tz`).
    LocalInZone,
    /// Local time without an offset, read in the zone inferred from events a capture shares
    /// with the log (see `align`).
    LocalAligned,
    Unknown,
}

impl TimeBasis {
    /// Whether times on this basis are UTC now, comparable with a capture's.
    pub fn is_utc(self) -> bool {
        matches!(
            self,
            TimeBasis::Utc | TimeBasis::LocalInZone | TimeBasis::LocalAligned
        )
    }
}

/// A timestamp that could not be determined (a log line without a time).
pub const UNKNOWN: i64 = i64::MIN;

pub fn format_ns(ns: i64) -> String {
    Written::of(ns, true).as_str().to_owned()
}

/// A local time whose zone is not known, as logged: like [`format_ns`] without the `Z`
/// (`2026-11-26T14:17:37.500000`), so that no one reads it as UTC.
pub fn format_local_ns(ns: i64) -> String {
    Written::of(ns, false).as_str().to_owned()
}

/// A time on its basis: UTC with `Z`, an unplaced local time without.
pub fn format_on(ns: i64, basis: TimeBasis) -> String {
    written_on(ns, basis).as_str().to_owned()
}

/// A time on its basis, as [`format_on`] writes it, without allocating: for a report's
/// hundreds of thousands of times.
pub fn written_on(ns: i64, basis: TimeBasis) -> Written {
    Written::of(ns, basis != TimeBasis::LocalNoOffset)
}

/// A time written on the stack: `2026-11-26T14:17:37.500000Z` (microseconds, truncated, as
/// jiff writes a timestamp with precision 6), without the `Z` for a local time, or
/// `unknown`. By hand, not through jiff's formatter and a `String`: a busy capture's JSON
/// writes tens of thousands of times, and this took 4% off its instructions (the tests hold
/// it to jiff's output).
pub struct Written {
    bytes: [u8; 27],
    len: usize,
}

impl Written {
    fn of(ns: i64, utc: bool) -> Written {
        let mut bytes = [0u8; 27];
        if ns == UNKNOWN {
            bytes[..7].copy_from_slice(b"unknown");
            return Written { bytes, len: 7 };
        }
        let secs = ns.div_euclid(1_000_000_000);
        let micros = ns.rem_euclid(1_000_000_000) / 1_000;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let of_day = secs.rem_euclid(86_400);
        // i64 nanoseconds span the years 1677 to 2262: always four digits.
        let mut at = 0;
        let mut put = |mut value: i64, digits: usize, then: u8| {
            for digit in bytes[at..at + digits].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
            at += digits;
            if then != 0 {
                bytes[at] = then;
                at += 1;
            }
        };
        put(year, 4, b'-');
        put(month, 2, b'-');
        put(day, 2, b'T');
        put(of_day / 3_600, 2, b':');
        put(of_day / 60 % 60, 2, b':');
        put(of_day % 60, 2, b'.');
        put(micros, 6, if utc { b'Z' } else { 0 });
        Written { bytes, len: at }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators were written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("unknown")
    }
}

/// Year, month and day of a day counted from 1970-01-01 (the proleptic Gregorian calendar;
/// Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `HH:MM:SS` in UTC, for compact text output.
pub fn format_clock(ns: i64) -> String {
    match clock_of(ns) {
        Some((h, m, s, _)) => format!("{h:02}:{m:02}:{s:02}"),
        None => "??:??:??".into(),
    }
}

/// Hours, minutes, seconds and milliseconds of the day in UTC, by arithmetic: strftime took
/// a microsecond, for every step of every sign-in in a bundle. `None` where jiff has no time.
fn clock_of(ns: i64) -> Option<(i64, i64, i64, i64)> {
    jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()?;
    let secs = ns.div_euclid(1_000_000_000);
    let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let of_day = secs.rem_euclid(86_400);
    Some((of_day / 3600, of_day % 3600 / 60, of_day % 60, ms))
}

/// An RFC 3339 time (`2026-03-05T14:00:00Z`, `2026-03-05T15:00:00+01:00`) in nanoseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_nanosecond() as i64)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-03-05T14:00:00Z ({e})"))
}

/// A moment as a ticket gives it (`--at`): an RFC 3339 time, a date and time without an
/// offset, a time of day on the inputs' day, or a whole day; all but the first are read in
/// the zone the caller gives (`--tz`, else the Expressways' own, else UTC).
#[derive(Clone, Debug, PartialEq)]
pub enum Moment {
    Instant(i64),
    Civil(jiff::civil::DateTime),
    TimeOfDay(jiff::civil::Time),
    /// "The ticket says March 5th": any sign-in of that day.
    Day(jiff::civil::Date),
}

/// A resolved `--at`: from `at` to `until` (the same instant, or a day's last nanosecond),
/// and how it was read when that needed a zone or a day.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub at: i64,
    pub until: i64,
    pub note: Option<String>,
}

impl Moment {
    pub fn parse(text: &str) -> Result<Moment, String> {
        let t = text.trim();
        if let Ok(ns) = parse_rfc3339(t) {
            return Ok(Moment::Instant(ns));
        }
        // A date alone is a day, not its midnight.
        if t.len() == 10
            && let Ok(date) = t.parse::<jiff::civil::Date>()
        {
            return Ok(Moment::Day(date));
        }
        if let Ok(dt) = t.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>() {
            return Ok(Moment::Civil(dt));
        }
        if t.len() <= 12
            && let Ok(time) = t.parse::<jiff::civil::Time>()
        {
            return Ok(Moment::TimeOfDay(time));
        }
        Err(format!(
            "{text:?} is not a time: give 2026-03-05T09:50:00Z, 2026-03-05 09:50, 09:50 (on the inputs' day) or 2026-03-05 (that day), read in --tz, else in the Expressway logs' zone"
        ))
    }

    /// The moment in ns since the epoch, and how it was read when that needed a zone or a
    /// day. `first`: the inputs' earliest UTC time, whose day a time of day falls on.
    pub fn resolve(
        &self,
        tz: Option<&jiff::tz::TimeZone>,
        first: Option<i64>,
    ) -> Result<Resolved, String> {
        let utc = jiff::tz::TimeZone::UTC;
        let zone = tz.unwrap_or(&utc);
        let zone_name = match tz {
            Some(z) => match (z.iana_name(), z.to_fixed_offset()) {
                (Some(name), _) => format!("read in {name}"),
                (None, Ok(offset)) => format!("read in UTC{offset}"),
                (None, Err(_)) => "read in the --tz zone".to_string(),
            },
            None => "read in UTC: give --tz for a local time".to_string(),
        };
        let civil = match self {
            Moment::Instant(ns) => {
                return Ok(Resolved {
                    at: *ns,
                    until: *ns,
                    note: None,
                });
            }
            Moment::Day(date) => {
                // A day in a zone with a DST change is 23 or 25 hours long.
                let start = zone
                    .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                    .map_err(|e| e.to_string())?;
                let next = date
                    .tomorrow()
                    .and_then(|d| zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())))
                    .map_err(|e| e.to_string())?;
                return Ok(Resolved {
                    at: start.as_nanosecond() as i64,
                    until: next.as_nanosecond() as i64 - 1,
                    note: Some(format!("the whole day {date}, {zone_name}")),
                });
            }
            Moment::Civil(dt) => *dt,
            Moment::TimeOfDay(time) => {
                let first = first.ok_or("a time of day needs a dated input (no input has a UTC time): give the date too")?;
                let day = jiff::Timestamp::from_nanosecond(first as i128)
                    .map_err(|e| e.to_string())?
                    .to_zoned_datetime(zone.clone())
                    .date();
                day.to_datetime(*time)
            }
        };
        let ts = zone.to_timestamp(civil).map_err(|e| e.to_string())?;
        let note = match self {
            Moment::TimeOfDay(_) => format!("{zone_name}, on the inputs' first day"),
            _ => zone_name,
        };
        let at = ts.as_nanosecond() as i64;
        Ok(Resolved {
            at,
            until: at,
            note: Some(note),
        })
    }
}

/// A difference of clocks, to the millisecond: `+3.214 s`, `-0.050 s`.
pub fn signed_secs(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    let abs = ns.unsigned_abs();
    format!(
        "{sign}{}.{:03} s",
        abs / 1_000_000_000,
        abs % 1_000_000_000 / 1_000_000
    )
}

/// A duration for a reader: `45 s`, `12 min`, `2 h 05 min`.
pub fn format_duration_ns(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// `HH:MM:SS.mmm` in UTC, for steps a few milliseconds apart.
pub fn format_clock_ms(ns: i64) -> String {
    match clock_of(ns) {
        Some((h, m, s, ms)) => format!("{h:02}:{m:02}:{s:02}.{ms:03}"),
        None => "??:??:??".into(),
    }
}

pub fn serialize_opt_ns<S: serde::Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(ns) => serialize_ns(ns, s),
        None => s.serialize_none(),
    }
}

pub fn serialize_ns<S: serde::Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(Written::of(*ns, true).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What jiff writes, which the hand-written times must equal.
    fn by_jiff(ns: i64, utc: bool) -> String {
        let ts = jiff::Timestamp::from_nanosecond(ns as i128).unwrap();
        if utc {
            format!("{ts:.6}")
        } else {
            format!("{:.6}", jiff::tz::TimeZone::UTC.to_datetime(ts))
        }
    }

    #[test]
    fn times_are_written_as_jiff_writes_them_at_the_edges() {
        let day = 86_400 * 1_000_000_000i64;
        let edges = [
            0,
            -1,
            1,
            999,
            1_000,
            -1_000,
            i64::MIN + 1,
            i64::MAX,
            // 2000-02-29 (a leap day of a year divisible by 400), 2100-03-01 (no leap day).
            parse_rfc3339("2000-02-29T23:59:59.9999999Z").unwrap(),
            parse_rfc3339("2100-03-01T00:00:00Z").unwrap() - 1,
            parse_rfc3339("1900-03-01T00:00:00Z").unwrap(),
            parse_rfc3339("2026-12-31T23:59:59.999999Z").unwrap(),
            -day,
            -day - 1,
        ];
        for ns in edges {
            assert_eq!(format_ns(ns), by_jiff(ns, true), "{ns}");
            assert_eq!(format_local_ns(ns), by_jiff(ns, false), "{ns}");
        }
        assert_eq!(format_ns(UNKNOWN), "unknown");
        assert_eq!(format_on(UNKNOWN, TimeBasis::LocalNoOffset), "unknown");
        assert_eq!(
            format_ns(1_764_000_000_123_456_789),
            "2025-11-24T16:00:00.123456Z"
        );
        assert_eq!(
            format_on(1_764_000_000_123_456_789, TimeBasis::LocalNoOffset),
            "2025-11-24T16:00:00.123456"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        #[test]
        fn times_are_written_as_jiff_writes_them(ns in (i64::MIN + 1)..=i64::MAX) {
            prop_assert_eq!(format_ns(ns), by_jiff(ns, true));
            prop_assert_eq!(format_local_ns(ns), by_jiff(ns, false));
        }

        /// Around the capture years, where nearly every real time falls.
        #[test]
        fn recent_times_are_written_as_jiff_writes_them(
            ns in 946_684_800_000_000_000i64..4_102_444_800_000_000_000,
        ) {
            prop_assert_eq!(format_ns(ns), by_jiff(ns, true));
            prop_assert_eq!(format_local_ns(ns), by_jiff(ns, false));
        }
    }

    #[test]
    fn a_ticket_moment_in_its_three_forms() {
        let first = parse_rfc3339("2026-11-26T07:12:00Z").unwrap();
        let want = parse_rfc3339("2026-11-26T09:50:00Z").unwrap();
        let at = |text: &str, tz: Option<&jiff::tz::TimeZone>| {
            Moment::parse(text)
                .unwrap()
                .resolve(tz, Some(first))
                .unwrap()
                .at
        };
        assert_eq!(at("2026-11-26T09:50:00Z", None), want);
        assert_eq!(at("2026-11-26T10:50:00+01:00", None), want);
        assert_eq!(at("2026-11-26 09:50", None), want);
        assert_eq!(at("09:50", None), want);
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(at("10:50", Some(&paris)), want);
        assert_eq!(at("2026-11-26T10:50", Some(&paris)), want);
        assert!(Moment::parse("yesterday").is_err());
        assert!(Moment::parse("09:50").unwrap().resolve(None, None).is_err());
    }

    #[test]
    fn a_date_alone_is_the_whole_day_in_its_zone() {
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let day = Moment::parse("2026-03-29").unwrap();
        assert_eq!(day, Moment::Day(jiff::civil::date(2026, 3, 29)));
        let r = day.resolve(Some(&paris), None).unwrap();
        assert_eq!(r.at, parse_rfc3339("2026-03-28T23:00:00Z").unwrap());
        // The day summer time starts in Paris has 23 hours.
        assert_eq!(r.until + 1 - r.at, 23 * 3600 * 1_000_000_000);
        assert!(r.note.unwrap().contains("the whole day 2026-03-29"));
        assert!(Moment::parse("2026-02-30").is_err());
    }

    #[test]
    fn formats_utc_with_microseconds() {
        assert_eq!(
            format_ns(1_357_328_848_512_314_000),
            "2013-01-04T19:47:28.512314Z"
        );
        assert_eq!(format_clock(1_357_328_848_512_314_000), "19:47:28");
        assert_eq!(format_clock_ms(1_357_328_848_512_314_000), "19:47:28.512");
    }

    #[test]
    fn clocks_by_arithmetic_read_as_strftime_does() {
        use proptest::prelude::*;
        let jiff = |ns: i64, f: &str| match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
            Ok(ts) => ts.strftime(f).to_string(),
            Err(_) => "??:??:??".into(),
        };
        let any = prop_oneof![
            any::<i64>(),
            -3_000_000_000_000_000_000i64..3_000_000_000_000_000_000,
            -2_000_000_000i64..2_000_000_000,
        ];
        proptest!(ProptestConfig::with_cases(5000), |(ns in any)| {
            prop_assert_eq!(format_clock(ns), jiff(ns, "%H:%M:%S"));
            prop_assert_eq!(format_clock_ms(ns), jiff(ns, "%H:%M:%S%.3f"));
        });
    }

    #[test]
    fn clock_differences_read_with_their_sign() {
        assert_eq!(signed_secs(3_214_000_000), "+3.214 s");
        assert_eq!(signed_secs(-50_000_000), "-0.050 s");
        assert_eq!(signed_secs(0), "+0.000 s");
    }
}
