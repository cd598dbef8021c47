//! Timestamps: nanoseconds since the Unix epoch, always printed in UTC.

/// A timestamp that could not be determined (a log line without a time).
pub const UNKNOWN: i64 = i64::MIN;

pub fn format_ns(ns: i64) -> String {
    if ns == UNKNOWN {
        return "unknown".into();
    }
    match jiff::Timestamp::from_nanosecond(ns as i128) {
        Ok(ts) => format!("{ts:.6}"),
        Err(_) => format!("@{ns}ns"),
    }
}

/// `HH:MM:SS` in UTC, for compact text output.
pub fn format_clock(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(ns as i128) {
        Ok(ts) => ts.strftime("%H:%M:%S").to_string(),
        Err(_) => "??:??:??".into(),
    }
}

/// An RFC 3339 time (`2026-03-05T14:00:00Z`, `2026-03-05T15:00:00+01:00`) in nanoseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_nanosecond() as i64)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-03-05T14:00:00Z ({e})"))
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

/// `HH:MM:SS.mmm` in UTC, for steps a few milliseconds apart.
pub fn format_clock_ms(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(ns as i128) {
        Ok(ts) => ts.strftime("%H:%M:%S%.3f").to_string(),
        Err(_) => "??:??:??".into(),
    }
}

pub fn serialize_opt_ns<S: serde::Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(ns) => serialize_ns(ns, s),
        None => s.serialize_none(),
    }
}

pub fn serialize_ns<S: serde::Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_ns(*ns))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn clock_differences_read_with_their_sign() {
        assert_eq!(signed_secs(3_214_000_000), "+3.214 s");
        assert_eq!(signed_secs(-50_000_000), "-0.050 s");
        assert_eq!(signed_secs(0), "+0.000 s");
    }
}
