//! The bounds that keep untrusted input from exhausting memory or time. Each has a default
//! sized for real cases, can be changed with `--limit NAME=VALUE`, and is reported in the
//! output when reached (never a silent drop). Set once, before any input is read.

use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Out-of-order bytes held per TCP direction before a hole is skipped.
    pub reassembly_bytes: usize,
    /// TCP connections followed per capture.
    pub flows: usize,
    /// Events kept per capture.
    pub events: usize,
    /// Signature hits kept per log.
    pub log_hits: usize,
    /// A member read into memory (a capture or zip inside an archive).
    pub member_bytes: u64,
    /// Bytes inflated from one gzip stream or zip member.
    pub inflated_bytes: u64,
    /// Inflated over compressed bytes, past 256 MiB inflated.
    pub inflate_ratio: u64,
    /// Members read from one tar or zip.
    pub members: usize,
    /// Archives within archives.
    pub nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            reassembly_bytes: 256 << 10,
            flows: 1_000_000,
            events: 5_000_000,
            log_hits: 100_000,
            member_bytes: 512 << 20,
            inflated_bytes: 16 << 30,
            inflate_ratio: 500,
            members: 10_000,
            nesting: 8,
        }
    }
}

/// The names `--limit` takes, with what each bounds.
pub const NAMES: [(&str, &str); 9] = [
    ("reassembly", "out-of-order bytes held per TCP direction"),
    ("flows", "TCP connections followed per capture"),
    ("events", "events kept per capture"),
    ("hits", "signature hits kept per log"),
    ("member", "bytes of a member read into memory"),
    (
        "inflated",
        "bytes inflated from one gzip stream or zip member",
    ),
    ("ratio", "inflated / compressed, past 256 MiB"),
    ("members", "members read from one tar or zip"),
    ("nesting", "archives within archives"),
];

impl Limits {
    /// Apply `NAME=VALUE` (a count, or bytes with an optional K, M or G suffix, powers of 1024).
    pub fn apply(&mut self, setting: &str) -> Result<(), String> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("{setting:?} is not NAME=VALUE"))?;
        let n = parse_amount(value.trim())
            .ok_or_else(|| format!("{value:?} is not a number (a K, M or G suffix is allowed)"))?;
        let count = || usize::try_from(n).map_err(|_| format!("{value} is too large"));
        match name.trim() {
            "reassembly" => self.reassembly_bytes = count()?,
            "flows" => self.flows = count()?,
            "events" => self.events = count()?,
            "hits" => self.log_hits = count()?,
            "member" => self.member_bytes = n,
            "inflated" => self.inflated_bytes = n,
            "ratio" => self.inflate_ratio = n.max(1),
            "members" => self.members = count()?,
            "nesting" => self.nesting = count()?,
            other => {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "no limit named {other:?}; the limits are {}",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn parse_amount(text: &str) -> Option<u64> {
    let (digits, shift) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 10),
        'm' | 'M' => (&text[..text.len() - 1], 20),
        'g' | 'G' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The limits in force: those set at start, else the defaults.
pub fn get() -> &'static Limits {
    LIMITS.get_or_init(Limits::default)
}

/// Set the limits for the whole run; refused once any input has been read with others.
pub fn set(limits: Limits) -> Result<(), String> {
    LIMITS
        .set(limits)
        .map_err(|_| "limits are set once, before reading".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_by_name_with_size_suffixes() {
        let mut l = Limits::default();
        l.apply("member=64M").unwrap();
        l.apply("hits = 10").unwrap();
        l.apply("reassembly=1k").unwrap();
        assert_eq!(l.member_bytes, 64 << 20);
        assert_eq!(l.log_hits, 10);
        assert_eq!(l.reassembly_bytes, 1024);
        assert!(
            l.apply("speed=1")
                .unwrap_err()
                .contains("the limits are reassembly")
        );
        assert!(l.apply("hits").is_err());
        assert!(l.apply("hits=lots").is_err());
        assert!(l.apply("inflated=99999999999G").is_err());
    }
}
