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
    /// Bytes of members held in memory at once, every level of nesting together.
    pub held_bytes: u64,
    /// Bytes inflated in one run (one case), every gzip stream and zip member together.
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
            // Sized so that reaching either stays under about 1 GiB: a connection followed
            // costs about 0.5 KiB with its events, an event about 0.45 KiB (measured with
            // benches/hostile: 2,000,000 SYNs, 5,100,000 DNS answers).
            flows: 500_000,
            events: 1_500_000,
            log_hits: 100_000,
            member_bytes: 512 << 20,
            held_bytes: 1 << 30,
            inflated_bytes: 16 << 30,
            inflate_ratio: 500,
            members: 10_000,
            nesting: 8,
        }
    }
}

/// The names `--limit` takes, with what each bounds and the range it accepts (values past
/// these would overflow, or exhaust the stack or memory before the bound could help).
pub const NAMES: [(&str, &str, u64, u64); 11] = [
    (
        "memory",
        "the memory a run may use: sets held, flows and events to match (later settings win)",
        64 << 20,
        64 << 30,
    ),
    (
        "reassembly",
        "out-of-order bytes held per TCP direction",
        0,
        64 << 20,
    ),
    (
        "flows",
        "TCP connections followed per capture",
        0,
        50_000_000,
    ),
    ("events", "events kept per capture", 0, 500_000_000),
    ("hits", "signature hits kept per log", 0, 50_000_000),
    (
        "member",
        "bytes of a member read into memory",
        1 << 10,
        4 << 30,
    ),
    (
        "held",
        "bytes of members held in memory at once, nested archives together",
        1 << 20,
        64 << 30,
    ),
    (
        "inflated",
        "bytes inflated in one run, every gzip stream and zip member together",
        1 << 20,
        1 << 40,
    ),
    ("ratio", "inflated / compressed, past 256 MiB", 1, 1_000_000),
    ("members", "members read from one tar or zip", 1, 10_000_000),
    ("nesting", "archives within archives", 0, 32),
];

impl Limits {
    /// Apply `NAME=VALUE` (a count, or bytes with an optional K, M or G suffix, powers of 1024).
    pub fn apply(&mut self, setting: &str) -> Result<(), String> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("{setting:?} is not NAME=VALUE"))?;
        let name = name.trim();
        let Some(&(_, what, min, max)) = NAMES.iter().find(|(n, ..)| *n == name) else {
            let names: Vec<&str> = NAMES.iter().map(|(n, ..)| *n).collect();
            return Err(format!(
                "no limit named {name:?}; the limits are {}",
                names.join(", ")
            ));
        };
        let n = parse_amount(value.trim())
            .ok_or_else(|| format!("{value:?} is not a number (a K, M or G suffix is allowed)"))?;
        if !(min..=max).contains(&n) {
            let bytes = matches!(
                name,
                "memory" | "reassembly" | "member" | "held" | "inflated"
            );
            let show = |v: u64| if bytes { size(v) } else { v.to_string() };
            return Err(format!(
                "{name}={} is out of range: {what} takes {} to {}",
                value.trim(),
                show(min),
                show(max)
            ));
        }
        // In range, so it fits a usize on every platform this builds for.
        let count = n as usize;
        match name {
            "memory" => {
                // What each costs (measured with benches/hostile): a connection followed
                // about 0.5 KiB with its events, an event about 0.45 KiB; members held count
                // byte for byte. Each gets its share of the memory.
                self.held_bytes = n;
                self.flows = (n / 2048) as usize;
                self.events = (n / 700) as usize;
            }
            "reassembly" => self.reassembly_bytes = count,
            "flows" => self.flows = count,
            "events" => self.events = count,
            "hits" => self.log_hits = count,
            "member" => self.member_bytes = n,
            "held" => self.held_bytes = n,
            "inflated" => self.inflated_bytes = n,
            "ratio" => self.inflate_ratio = n,
            "members" => self.members = count,
            _ => self.nesting = count,
        }
        Ok(())
    }
}

/// A byte count as people read it: `512 MiB`, `64 KiB`, `100 bytes` (never "0 MiB").
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
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
                .contains("the limits are memory, reassembly")
        );
        assert!(l.apply("hits").is_err());
        assert!(l.apply("hits=lots").is_err());
        assert!(l.apply("inflated=99999999999G").is_err());
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_range() {
        let mut l = Limits::default();
        for (setting, says) in [
            (
                "member=18446744073709551615",
                "member=18446744073709551615 is out of range",
            ),
            ("nesting=600", "archives within archives takes 0 to 32"),
            ("ratio=0", "takes 1 to 1000000"),
            ("members=0", "takes 1 to"),
        ] {
            let e = l.apply(setting).unwrap_err();
            assert!(e.contains(says), "{setting}: {e}");
        }
        assert_eq!(l, Limits::default(), "a refused setting changes nothing");
        l.apply("nesting=32").unwrap();
        l.apply("flows=0").unwrap();
        assert_eq!((l.nesting, l.flows), (32, 0));
    }

    #[test]
    fn memory_sets_the_others_and_later_settings_win() {
        let mut l = Limits::default();
        l.apply("memory=1G").unwrap();
        // The defaults are what 1 GiB gives.
        assert_eq!(
            (l.held_bytes, l.flows / 1000, l.events / 100_000),
            (1 << 30, 524, 15)
        );
        l.apply("memory=256M").unwrap();
        assert_eq!(l.flows, 131_072);
        l.apply("flows=1000").unwrap();
        assert_eq!((l.flows, l.held_bytes), (1000, 256 << 20));
        let e = l.apply("memory=1M").unwrap_err();
        assert!(e.contains("takes 64 MiB to 64 GiB"), "{e}");
    }

    #[test]
    fn sizes_are_said_in_the_unit_that_fits() {
        assert_eq!(size(512 << 20), "512 MiB");
        assert_eq!(size(16 << 30), "16 GiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(size(1000), "1000 bytes");
        assert_eq!(size((1 << 20) + 5), "1 MiB");
    }
}
