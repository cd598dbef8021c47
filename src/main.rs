//! The command line: thin on purpose; everything it prints is rendered from the core's values.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::text::{safe, safe_lines};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mradiag",
    version,
    about = "Why did a Jabber sign-in through Expressway (MRA) fail? Reads client captures, Expressway diagnostic bundles and Jabber logs offline and names the failed phase, the evidence and the fix."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    /// Markdown, for a ticket.
    Md,
    /// One self-contained HTML file, for a customer.
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogFormat {
    Text,
    Toml,
}

#[derive(Clone, Copy, ValueEnum)]
enum CasePer {
    Auto,
    Entry,
    Path,
    File,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScanFormat {
    Table,
    Jsonl,
    Csv,
}

/// What every command that reads inputs takes.
#[derive(Args)]
struct Inputs {
    /// Captures (pcap, pcapng), Expressway bundles (.tar.gz), Jabber problem reports (.zip),
    /// logs, or folders holding any of them. Recognised by content, not by name.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// A signature catalog of your own (TOML: docs/signatures.md, or `mradiag signatures
    /// --format toml` to start from), used beside the built-in one. Repeatable.
    #[arg(long = "signatures", value_name = "FILE")]
    signatures: Vec<PathBuf>,
    /// A TLS key log (NSS format: SSLKEYLOGFILE of curl, browsers, openssl -keylogfile): the
    /// captures' TLS connections it has secrets for are decrypted, and what was said inside
    /// them (HTTP, XMPP, SIP) is judged. A key log among the inputs is recognised by its
    /// content. Repeatable.
    #[arg(long = "keylog", value_name = "FILE")]
    keylogs: Vec<PathBuf>,
    /// The zone of log times written without an offset (Jabber logs), and of --at: an IANA
    /// name such as Europe/Paris (a city alone gets its full name suggested), or an offset
    /// from -12:00 to +14:00 such as +05:30. Without it, the zone is inferred from the events
    /// such a log shares with a capture (and said), else its lines cannot be placed.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    tz: Option<String>,
    /// Change a bound on untrusted input, NAME=VALUE (sizes take K, M or G): memory (1G:
    /// sets held, flows and events to match), reassembly (256K), flows (500000), events
    /// (1500000), hits (100000), member (512M), held (1G), inflated (16G, per run), ratio
    /// (500), members (10000), nesting (8). Repeatable, later settings win; a value out of
    /// range is refused; a bound reached is reported, never a silent drop.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limit: Vec<String>,
    /// Follow symbolic links that lead out of the folders given (by default they are named
    /// and skipped: a link to / in a customer's folder must not walk the disk).
    #[arg(long)]
    follow: bool,
}

/// Trust anchors, for the commands that validate certificates.
#[derive(Args)]
struct Anchors {
    /// Trust anchors for validating the certificates seen (PEM or DER, a file or a folder of
    /// them), reported beside the inputs' own CA files and the public roots. Repeatable.
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
}

/// The moment a ticket is about.
#[derive(Args)]
struct At {
    /// The moment a ticket is about: RFC 3339 (2026-03-05T09:50:00Z), a date and time
    /// (2026-03-05 09:50), HH:MM on the inputs' first day, or a date alone (2026-03-05: that
    /// whole day); all but the first read in --tz, else in the zone the Expressway logs write
    /// their headers in (when they agree), else UTC. Picks the sign-in nearest it (within 15
    /// min; in a day, a failed one first, then the latest). Certificate files (a bundle's
    /// server_*.pem) are judged as of it too; without it, as of the latest time in their
    /// bundle. Chains seen in a capture are always judged at their handshake.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

/// Whose sign-in, and where Expressway-E is: what the verdict is about.
#[derive(Args)]
struct Focus {
    /// The user a ticket is about: a user id, a JID or e-mail-like id, an AOR, a directory
    /// number or a client address. The verdict is that user's sign-in (nearest --at, else
    /// the latest); a user absent from the inputs is said, with the closest names. Repeatable.
    #[arg(long = "user", value_name = "NAME")]
    users: Vec<String>,
    /// Expressway-E, for a capture that does not show discovery (cached, or started late) or
    /// a sign-in on another HTTPS port: HOST[:PORT], a name (matched by the capture's DNS
    /// answers and the SNI) or an address ([IPv6]:PORT). Connections to it on 8443, 5222,
    /// 5061 or PORT are judged as a sign-in. Expressway-E's configuration dump in a bundle
    /// names its addresses the same way. Repeatable.
    #[arg(long = "edge", value_name = "HOST[:PORT]", value_parser = mradiag::mra::EdgeSpec::parse)]
    edges: Vec<mradiag::mra::EdgeSpec>,
}

/// `--color`, on every command that colours.
#[derive(Args)]
struct Colour {
    /// Colour: auto (when standard output is a terminal; NO_COLOR, CLICOLOR_FORCE, TERM=dumb
    /// and CLICOLOR=0 are honoured), always, never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: Color,
}

/// The exit status and examples of each command, for its --help and its manual page alike.
struct Usage {
    exit: &'static str,
    examples: &'static [(&'static str, &'static str)],
}

const ANALYZE: Usage = Usage {
    exit: "0 every judged sign-in ok; 1 a fault found (without --user/--at: some user's latest sign-in failed); 2 usage error, or an input named that cannot be read (said on standard error as 'mradiag: PATH: cannot open: REASON'; the others are still analysed); 3 nothing could be judged (inconclusive).",
    examples: &[
        ("mradiag analyze client.pcapng", "one capture"),
        (
            "mradiag analyze --user jdoe --at 09:50 --tz Europe/Paris expe.tar.gz expc.tar.gz",
            "the ticket's user and moment, in two Expressway bundles",
        ),
        (
            "mradiag analyze --keylog keys.txt client.pcap",
            "what was said inside TLS",
        ),
        (
            "mradiag analyze --format html -o report.html case-1234/",
            "a report for the customer",
        ),
        (
            "mradiag analyze -q case-1234/ || echo failed",
            "the verdict line, and the exit status",
        ),
    ],
};

const SCAN: Usage = Usage {
    exit: "0 every case ok (skipped cases aside); 1 some case had a fault; 2 a path named cannot be read, or no case was readable; 3 no fault, but some case inconclusive.",
    examples: &[
        (
            "mradiag scan /cases/2026/",
            "one folder: each of its entries is a case",
        ),
        (
            "mradiag scan /cases/2026/*/",
            "several paths: each is a case",
        ),
        (
            "mradiag scan --format csv --jobs 8 /cases/ > triage.csv",
            "for a spreadsheet",
        ),
        (
            "mradiag scan -q --format jsonl /cases/ | jq -r 'select(.status==\"failed\") | .case'",
            "the failed cases",
        ),
    ],
};

const CERTS: Usage = Usage {
    exit: "0 every chain accepted by some anchor set; 1 a chain fails validation against every anchor set it was judged with; 2 usage error, or an input that cannot be read.",
    examples: &[
        ("mradiag certs client.pcap", "the chains servers sent"),
        (
            "mradiag certs --ca corp-root.pem client.pcap",
            "judged against your own CA too",
        ),
        (
            "mradiag certs --at 2026-03-05T14:00:00Z server.pem",
            "a certificate file, as of a given time",
        ),
    ],
};

const EVENTS: Usage = Usage {
    exit: "0 something was read; 2 usage error, or nothing readable.",
    examples: &[
        (
            "mradiag events client.pcap | jq -c 'select(.kind==\"tls_alert\")'",
            "every TLS alert",
        ),
        (
            "mradiag events --tz Europe/Paris prt.zip > facts.jsonl",
            "a Jabber problem report's facts, times in UTC",
        ),
    ],
};

const SIGNATURES: Usage = Usage {
    exit: "0 listed; 2 a catalog file named cannot be read or has problems (each said on standard error with its line, signature id and field).",
    examples: &[
        (
            "mradiag signatures",
            "fault ids and signatures, with meaning and fix",
        ),
        (
            "mradiag signatures --format toml > site.toml",
            "the built-in catalog, to start a catalog of your own (docs/signatures.md)",
        ),
        (
            "mradiag signatures --signatures site.toml",
            "check a catalog of your own, and list it",
        ),
    ],
};

const COMPLETIONS: Usage = Usage {
    exit: "0 printed; 2 usage error.",
    examples: &[
        (
            "mradiag completions bash > /etc/bash_completion.d/mradiag",
            "bash",
        ),
        ("mradiag completions zsh > \"${fpath[1]}/_mradiag\"", "zsh"),
    ],
};

const MAN: Usage = Usage {
    exit: "0 written; 2 usage error, or the folder cannot be written.",
    examples: &[
        ("mradiag man | man -l -", "read the top page"),
        (
            "mradiag man analyze > mradiag-analyze.1",
            "one command's page",
        ),
        (
            "mradiag man --dir /usr/local/share/man/man1",
            "every page, for a package",
        ),
    ],
};

impl Usage {
    /// The text after --help's options.
    fn help_text(&self) -> String {
        let mut out = format!("Exit status: {}\n\nExamples:\n", self.exit);
        for (command, what) in self.examples {
            out.push_str(&format!("  {command}\n      {what}\n"));
        }
        out.trim_end().to_string()
    }

    /// EXIT STATUS and EXAMPLES, in roff.
    fn roff(&self) -> String {
        let esc = |s: &str| s.replace('\\', "\\\\").replace('-', "\\-");
        let mut out = format!(".SH \"EXIT STATUS\"\n{}\n.SH EXAMPLES\n", esc(self.exit));
        for (command, what) in self.examples {
            out.push_str(&format!(".TP\n.B {}\n{}\n", esc(command), esc(what)));
        }
        out
    }
}

#[derive(Subcommand)]
enum Command {
    /// Analyze the inputs of one case: phases, likely fault, evidence, fix.
    Analyze {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        anchors: Anchors,
        #[command(flatten)]
        focus: Focus,
        #[command(flatten)]
        at: At,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Write the report to this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// The HTML report's title (default: MRA sign-in report).
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// The case (ticket) id, shown under the HTML report's title.
        #[arg(long = "case", value_name = "ID")]
        case_id: Option<String>,
        #[command(flatten)]
        colour: Colour,
        /// Only the verdict: one line (with --format text), nothing on standard error but
        /// errors. The exit status says the rest.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Print every decoded fact as JSON Lines (one object per event, with its input and frame
    /// or line).
    Events {
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Triage many cases: one row per case with its verdict, then counts per fault, phase,
    /// Expressway host and week.
    Scan {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        anchors: Anchors,
        #[command(flatten)]
        focus: Focus,
        #[command(flatten)]
        at: At,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ScanFormat,
        /// What a case is. auto: with one folder named, each of its entries; with several
        /// paths named, each of them. entry: each entry of a folder named (a subfolder with
        /// everything under it, or a file alone). path: each path named. file: every file.
        #[arg(long, value_enum, default_value = "auto")]
        case_per: CasePer,
        /// Cases analysed at once (default: one per core; at most 256).
        #[arg(long)]
        jobs: Option<usize>,
        #[command(flatten)]
        colour: Colour,
        /// Only the verdicts: one row per case, without the progress bar (drawn on standard
        /// error only when it is a terminal) and without the summary.
        #[arg(short, long)]
        quiet: bool,
    },
    /// The certificates servers sent: each chain, validated at the capture's time against
    /// every anchor set, with the MRA name rules.
    Certs {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        anchors: Anchors,
        #[command(flatten)]
        at: At,
        #[command(flatten)]
        colour: Colour,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to standard output.
    Completions { shell: clap_complete::Shell },
    /// Print a manual page (roff): mradiag(1), or one command's (mradiag-analyze(1)…).
    Man {
        /// The command whose page to print (analyze, scan, certs, events, signatures,
        /// completions, man); without it, the top page.
        command: Option<String>,
        /// Write every page into this folder (mradiag.1, mradiag-analyze.1, …) instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
    /// List the fault ids and the log signatures: what each means and the fix.
    Signatures {
        /// Also list (and check) the signatures of these catalogs.
        #[arg(long = "signatures", value_name = "FILE")]
        extra: Vec<PathBuf>,
        /// text: fault ids, then signatures, each with meaning and fix; toml: the built-in
        /// catalog as a file (its header explains every key), to start a catalog of your own.
        #[arg(long, value_enum, default_value = "text")]
        format: CatalogFormat,
    },
}

/// Each command's usage, by name.
fn usage_of(name: &str) -> Option<&'static Usage> {
    Some(match name {
        "analyze" => &ANALYZE,
        "scan" => &SCAN,
        "certs" => &CERTS,
        "events" => &EVENTS,
        "signatures" => &SIGNATURES,
        "completions" => &COMPLETIONS,
        "man" => &MAN,
        _ => return None,
    })
}

/// The command line, each command's --help ending with its exit status and examples.
fn command_line() -> clap::Command {
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        if let Some(usage) = usage_of(&name) {
            cmd = cmd.mut_subcommand(&name, |c| c.after_help(usage.help_text()));
        }
    }
    cmd
}

/// A manual page: the top one, or a command's as `mradiag-NAME(1)` with its exit status and
/// examples.
fn man_page(command: Option<&str>) -> Result<Vec<u8>, String> {
    let top = command_line();
    let mut out = Vec::new();
    let Some(name) = command else {
        clap_mangen::Man::new(top)
            .render(&mut out)
            .map_err(|e| e.to_string())?;
        return Ok(out);
    };
    let Some(sub) = top.find_subcommand(name) else {
        let known: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
        return Err(format!(
            "man: no command {name:?} (one of {})",
            known.join(", ")
        ));
    };
    let page_name = format!("mradiag-{name}");
    // The page's own sections; the exit status and examples as sections of their own.
    let sub = sub
        .clone()
        .name(page_name.clone())
        .bin_name(format!("mradiag {name}"))
        .after_help("")
        .version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(sub);
    let w: &mut Vec<u8> = &mut out;
    let io = |r: std::io::Result<()>| r.map_err(|e| e.to_string());
    io(man.render_title(w))?;
    io(man.render_name_section(w))?;
    io(man.render_synopsis_section(w))?;
    io(man.render_description_section(w))?;
    io(man.render_options_section(w))?;
    if let Some(usage) = usage_of(name) {
        w.extend_from_slice(usage.roff().as_bytes());
    }
    w.extend_from_slice(b".SH \"SEE ALSO\"\nmradiag(1)\n");
    Ok(out)
}

/// The built-in catalog plus the user's files; an unusable file is a usage error naming it.
fn catalog(extra: &[PathBuf]) -> Result<Catalog, String> {
    let mut signatures = Catalog::builtin().signatures.clone();
    if extra.is_empty() {
        // Tested to compile: built on the first log, so a capture alone never pays for it.
        return Catalog::lazy(signatures).map_err(|e| format!("signature catalog: {e}"));
    }
    let mut problems = Vec::new();
    for path in extra {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot open: {e}"))?;
        match mradiag::logs::catalog_file::read(&text) {
            Ok(s) => signatures.extend(s),
            // Every file's every problem, at once.
            Err(p) => problems.extend(p.iter().map(|p| p.located(&name))),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\nmradiag: "));
    }
    Catalog::compile(signatures).map_err(|e| format!("signature catalog: {e}"))
}

/// The user's trust anchors: every certificate in the files (or folders) named.
fn trust_anchors(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for (path, err) in mradiag::input::expand(paths) {
        if let Some(e) = err {
            return Err(format!("{}: {e}", path.display()));
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let certs = mradiag::certs::parse_certificates(&bytes);
        if certs.is_empty() {
            return Err(format!(
                "{}: no certificate (PEM or DER) in it",
                path.display()
            ));
        }
        out.extend(certs);
    }
    Ok(out)
}

/// The inputs named on the command line that cannot be opened, each said on standard error
/// (`mradiag: PATH: REASON`); true when there was one. The others are still analysed.
fn named_but_unreadable(paths: &[PathBuf]) -> bool {
    let mut any = false;
    for p in paths.iter().filter(|p| p.as_os_str() != "-") {
        if let Err(e) = std::fs::metadata(p) {
            eprintln!(
                "mradiag: {}: cannot open: {}",
                safe(&p.display().to_string()),
                safe(&e.to_string())
            );
            any = true;
        }
    }
    any
}

/// The exit status of `analyze` (DESIGN.md, section 6): 0 every judged sign-in ok, 1 a fault
/// found, 2 an input named that cannot be read (or nothing readable), 3 nothing could be
/// judged (inconclusive: not ok, and no fault either).
fn exit_code(all_readable: bool, report: &mradiag::report::Report) -> u8 {
    use mradiag::report::Status;
    if !all_readable {
        2
    } else if report.verdict.fault.is_some() {
        1
    } else if report.verdict.status == Status::Ok {
        0
    } else {
        3
    }
}

impl Colour {
    /// Whether to colour standard output (`terminal_ok`: false when it goes to a file).
    fn wanted(&self, terminal_ok: bool) -> bool {
        use std::io::IsTerminal;
        let choice = match self.color {
            Color::Auto => mradiag::terminal::Choice::Auto,
            Color::Always => mradiag::terminal::Choice::Always,
            Color::Never => mradiag::terminal::Choice::Never,
        };
        mradiag::terminal::wanted(
            choice,
            |name| std::env::var(name).ok(),
            terminal_ok && std::io::stdout().is_terminal(),
        )
    }
}

/// When the report is made: SOURCE_DATE_EPOCH when set (reproducible output), else now.
fn generated_at() -> String {
    let ts = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    ts.to_string()
}

/// Every manual page into `dir`: mradiag.1 and mradiag-COMMAND.1.
fn write_man_pages(dir: &std::path::Path) -> std::io::Result<u8> {
    std::fs::create_dir_all(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    let mut names = vec![None];
    names.extend(
        command_line()
            .get_subcommands()
            .map(|c| Some(c.get_name().to_string())),
    );
    for name in names {
        let page = man_page(name.as_deref()).map_err(std::io::Error::other)?;
        let file = dir.join(match &name {
            Some(n) => format!("mradiag-{n}.1"),
            None => "mradiag.1".into(),
        });
        std::fs::write(&file, page)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    }
    Ok(0)
}

/// The most cases `scan` analyses at once.
const MAX_JOBS: usize = 256;

/// glibc's allocator, tuned for what mradiag allocates.
///
/// - Its mmap threshold is fixed at 4 MiB. glibc serves a large block from its heap once a
///   larger one was freed (the threshold rises to 32 MiB), and a freed block in the middle of
///   that heap stays resident. Judging a busy capture builds and drops maps of tens of MB (DNS
///   pairs, connections): they stayed as 20 MB more peak RSS at 4 GiB, and 25 MB on a
///   3,000-user bundle. Past the threshold, blocks are mapped and given back when freed; the
///   time is unchanged (measured with `MALLOC_MMAP_THRESHOLD_`, the same setting).
/// - One arena per core, not glibc's eight: the thread that reads a capture's frames, the one
///   that judges them and the judging pool each kept an arena with its own free holes. A busy
///   4 GiB capture peaked at 256 MiB in JSON, 235 MiB with one arena per core (2 here), in
///   the same time (measured with `MALLOC_ARENA_MAX`, the same setting).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        const M_ARENA_MAX: std::ffi::c_int = -8;
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: mallopt only sets tunables of glibc's allocator; it is called before any
        // other thread exists, and a refusal (0) leaves the default in place.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 4 << 20);
            mallopt(M_ARENA_MAX, cores.clamp(1, 64) as std::ffi::c_int);
        }
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match command_line()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        // Help and version go to standard output as clap writes them.
        Err(e) if !e.use_stderr() => e.exit(),
        // A usage error in the one error style: `mradiag: …`, then clap's usage lines.
        Err(e) => {
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprint!("mradiag: {text}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let no_inputs = Inputs {
        inputs: Vec::new(),
        signatures: Vec::new(),
        keylogs: Vec::new(),
        tz: None,
        limit: Vec::new(),
        follow: false,
    };
    let (inputs, ca_paths, focus, at) = match &cli.command {
        Command::Analyze {
            inputs,
            anchors,
            focus,
            at,
            ..
        }
        | Command::Scan {
            inputs,
            anchors,
            focus,
            at,
            ..
        } => (inputs, anchors.ca.clone(), Some(focus), at.at.clone()),
        Command::Certs {
            inputs,
            anchors,
            at,
            ..
        } => (inputs, anchors.ca.clone(), None, at.at.clone()),
        Command::Events { inputs } => (inputs, Vec::new(), None, None),
        _ => (&no_inputs, Vec::new(), None, None),
    };
    let extra = match &cli.command {
        Command::Signatures { extra, .. } => extra.clone(),
        _ => inputs.signatures.clone(),
    };
    let (tz_name, limit, follow) = (inputs.tz.clone(), inputs.limit.clone(), inputs.follow);
    let (users, edges) = focus.map_or((Vec::new(), Vec::new()), |f| {
        (f.users.clone(), f.edges.clone())
    });
    mradiag::input::set_follow(follow);
    let mut limits = mradiag::limits::Limits::default();
    for setting in &limit {
        if let Err(e) = limits.apply(setting) {
            eprintln!("mradiag: --limit: {}", safe(&e));
            return ExitCode::from(2);
        }
    }
    // The first setting of the process: it cannot be refused.
    let _ = mradiag::limits::set(limits);
    let at = match at.as_deref().map(mradiag::time::Moment::parse).transpose() {
        Ok(at) => at,
        Err(e) => {
            eprintln!("mradiag: --at: {}", safe(&e));
            return ExitCode::from(2);
        }
    };
    let tz = match tz_name
        .as_deref()
        .map(mradiag::logs::grammar::parse_zone)
        .transpose()
    {
        Ok(tz) => tz,
        Err(e) => {
            eprintln!("mradiag: --tz: {}", safe(&e));
            return ExitCode::from(2);
        }
    };
    let (catalog, ca) = match catalog(&extra).and_then(|c| Ok((c, trust_anchors(&ca_paths)?))) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("mradiag: {}", safe_lines(&e));
            return ExitCode::from(2);
        }
    };
    let mut options = analyze::Options {
        tz,
        trust: analyze::Trust { ca, at: None },
        users,
        at,
        edges,
        skip_ladders: false,
    };
    let result = match cli.command {
        Command::Analyze {
            inputs,
            format,
            output,
            colour,
            quiet,
            title,
            case_id,
            ..
        } => {
            let missing = named_but_unreadable(&inputs.inputs);
            let decoded =
                analyze::decode_inputs_with_keys(&inputs.inputs, &inputs.keylogs, &catalog);
            let readable = analyze::any_readable(&decoded);
            // A file named with -o is not a terminal.
            let colour = colour.wanted(output.is_none());
            use mradiag::report::Format as Rendering;
            let rendering = match format {
                Format::Text if quiet => Rendering::VerdictLine,
                Format::Text => Rendering::Text { colour },
                Format::Json => Rendering::Json,
                Format::Md => Rendering::Markdown,
                Format::Html => Rendering::Html,
            };
            // Judged without ladders; JSON draws them as it writes each session, HTML only
            // those it shows, the others none.
            options.skip_ladders = !matches!(format, Format::Json | Format::Html);
            // Nothing readable because the inputs named do not exist: the errors said on
            // standard error are the whole answer, as grep's are.
            if missing && !readable {
                return ExitCode::from(2);
            }
            analyze::judge_then(decoded, &catalog, &options, |mut report, ladders| {
                let code = exit_code(readable && !missing, &report);
                // JSON is written as it is serialized: a busy capture's report is a hundred
                // megabytes of text, which need not be held whole beside the report.
                let written = if let Rendering::Json = rendering {
                    match &output {
                        Some(path) => std::fs::File::create(path)
                            .and_then(|file| report.write_json_drawing(file, ladders))
                            .map_err(|e| {
                                std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                            }),
                        None => report.write_json_drawing(&mut stdout, ladders),
                    }
                } else {
                    let text = match format {
                        Format::Html => {
                            report.draw_shown(ladders);
                            mradiag::report::html::render_with(
                                &report,
                                &mradiag::report::html::Cover {
                                    title,
                                    case: case_id,
                                    generated: Some(generated_at()),
                                },
                            )
                        }
                        _ => rendering.render(&report),
                    };
                    match &output {
                        // Nothing is written anywhere but the file the user named.
                        Some(path) => std::fs::write(path, text.as_bytes()).map_err(|e| {
                            std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                        }),
                        None => stdout.write_all(text.as_bytes()),
                    }
                };
                // The process ends next: freeing every session and certificate one by one
                // would only delay the exit (a few percent of a busy capture's run).
                std::mem::forget(report);
                written.map(|_| code)
            })
        }
        Command::Events { inputs } => {
            let mut decoded =
                analyze::decode_inputs_with_keys(&inputs.inputs, &inputs.keylogs, &catalog);
            // The events carry their own time basis; how local times were placed goes to
            // standard error, beside the read errors.
            for note in analyze::place_times(&mut decoded, &options) {
                eprintln!("mradiag: {}", safe(&note.summary));
            }
            let readable = analyze::any_readable(&decoded);
            let mut res = Ok(());
            for d in &decoded {
                if let Some(e) = &d.input.error {
                    eprintln!("mradiag: {}: {}", safe(&d.input.path), safe(e));
                }
                for ev in &d.events {
                    let line = mradiag::model::event_line(&d.input.path, ev);
                    res = res.and_then(|_| writeln!(stdout, "{line}"));
                }
            }
            res.map(|_| if readable { 0 } else { 2 })
        }
        Command::Scan {
            inputs,
            format,
            jobs,
            case_per,
            colour,
            quiet,
            ..
        } => {
            let missing = named_but_unreadable(&inputs.inputs);
            let per = match case_per {
                CasePer::Auto => mradiag::scan::CasePer::Auto,
                CasePer::Entry => mradiag::scan::CasePer::Entry,
                CasePer::Path => mradiag::scan::CasePer::Path,
                CasePer::File => mradiag::scan::CasePer::File,
            };
            let cases = mradiag::scan::cases(&inputs.inputs, per);
            // More threads than cases, or than a machine can use, only cost memory.
            let jobs = match jobs {
                Some(n) if n > MAX_JOBS => {
                    eprintln!("mradiag: --jobs {n} is more than {MAX_JOBS}; {MAX_JOBS} used");
                    Some(MAX_JOBS)
                }
                other => other,
            };
            let format = match format {
                ScanFormat::Table => mradiag::scan::Format::Table,
                ScanFormat::Jsonl => mradiag::scan::Format::Jsonl,
                ScanFormat::Csv => mradiag::scan::Format::Csv,
            };
            let renderer =
                mradiag::scan::Renderer::with_colour(format, &cases, colour.wanted(true));
            // A scan's rows draw no ladder.
            options.skip_ladders = true;
            let rows = stdout
                .write_all(renderer.header().as_bytes())
                .and_then(|_| {
                    mradiag::scan::run(
                        &cases,
                        &inputs.inputs,
                        &catalog,
                        &options,
                        jobs.unwrap_or(0),
                        !quiet,
                        |row| {
                            stdout.write_all(renderer.row(row).as_bytes())?;
                            stdout.flush()
                        },
                    )
                });
            rows.and_then(|rows| {
                let summary = mradiag::scan::summarize(&rows);
                let inconclusive = rows.iter().any(|r| {
                    !matches!(
                        r.status.as_str(),
                        "ok" | "failed" | "unreadable" | "skipped"
                    )
                });
                let code = if missing || summary.unreadable == summary.cases {
                    2
                } else if summary.with_fault > 0 {
                    1
                } else if inconclusive {
                    3
                } else {
                    0
                };
                // -q: the verdicts alone, as `analyze -q` prints its verdict alone.
                let footer = if quiet {
                    String::new()
                } else {
                    renderer.footer(&summary)
                };
                stdout.write_all(footer.as_bytes()).map(|_| code)
            })
        }
        Command::Certs { inputs, colour, .. } => {
            let missing = named_but_unreadable(&inputs.inputs);
            let decoded =
                analyze::decode_inputs_with_keys(&inputs.inputs, &inputs.keylogs, &catalog);
            let readable = analyze::any_readable(&decoded);
            let report = analyze::judge(decoded, &catalog, &options);
            let text =
                mradiag::report::text::certificates_with(&report.certificates, colour.wanted(true));
            // 1 when a chain fails validation against every anchor set it was judged with.
            let failed = report
                .certificates
                .iter()
                .any(|c| !c.anchors.is_empty() && c.anchors.iter().all(|a| !a.accepted));
            let code = if missing || !readable {
                2
            } else if failed {
                1
            } else {
                0
            };
            stdout.write_all(text.as_bytes()).map(|_| code)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command_line(), "mradiag", &mut stdout);
            Ok(0)
        }
        Command::Man { command, dir } => match dir {
            Some(dir) => write_man_pages(&dir),
            None => match man_page(command.as_deref()) {
                Ok(page) => stdout.write_all(&page).map(|_| 0),
                Err(e) => {
                    eprintln!("mradiag: {}", safe(&e));
                    Ok(2)
                }
            },
        },
        Command::Signatures {
            format: CatalogFormat::Toml,
            ..
        } => stdout
            .write_all(mradiag::logs::signatures::BUILTIN.as_bytes())
            .map(|_| 0),
        Command::Signatures { .. } => {
            let mut res = writeln!(stdout, "Fault ids\n");
            for (id, meaning, fix) in mradiag::faults::catalog() {
                res = res.and_then(|_| writeln!(stdout, "{id}\n    {meaning}\n    fix: {fix}"));
            }
            res = res.and_then(|_| writeln!(stdout, "\nLog signatures\n"));
            for s in &catalog.signatures {
                let fault = if s.fault.is_empty() {
                    String::new()
                } else {
                    format!(" → {}", s.fault)
                };
                res = res.and_then(|_| {
                    // A user catalog's text is printed as text, never obeyed.
                    writeln!(
                        stdout,
                        "{} [{} log, {}]{}  ({})\n    {}\n    fix: {}",
                        safe(&s.id),
                        safe(&s.log),
                        s.phase.name(),
                        safe(&fault),
                        safe(&s.source),
                        safe(&s.meaning),
                        safe(&s.fix)
                    )
                });
            }
            res.map(|_| 0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mradiag: {}", safe_lines(&e.to_string()));
            ExitCode::from(2)
        }
    }
}
