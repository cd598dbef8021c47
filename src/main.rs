//! The command line: thin on purpose; everything it prints is rendered from the core's values.

use clap::{Parser, Subcommand, ValueEnum};
use mradiag::analyze;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mradiag",
    version,
    about = "Why did a Jabber sign-in through Expressway (MRA) fail? Reads client captures offline and names the failed phase, the evidence and the fix."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze captures (pcap, pcapng) or folders of them: phases, likely fault, evidence, fix.
    #[command(
        after_help = "Exit status: 0 no fault found, 1 fault found, 2 usage error or no readable input.\n\nExamples:\n  mradiag analyze client.pcapng\n  mradiag analyze --format json case-1234/ > report.json"
    )]
    Analyze {
        /// Capture files or folders.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print every decoded fact as JSON Lines (one object per event, with its input and frame).
    Events {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// List the fault ids with what they mean and the fix.
    Signatures,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Analyze { inputs, format } => {
            let decoded = analyze::decode_inputs(&inputs);
            let readable = analyze::any_readable(&decoded);
            let report = analyze::report(decoded);
            let text = match format {
                Format::Text => mradiag::report::text::render(&report),
                Format::Json => report.to_json(),
            };
            let code = if !readable {
                2
            } else if report.verdict.fault.is_some() {
                1
            } else {
                0
            };
            stdout.write_all(text.as_bytes()).map(|_| code)
        }
        Command::Events { inputs } => {
            let decoded = analyze::decode_inputs(&inputs);
            let readable = analyze::any_readable(&decoded);
            let mut res = Ok(());
            for d in &decoded {
                if let Some(e) = &d.input.error {
                    eprintln!("mradiag: {}: {e}", d.input.path);
                }
                let input = serde_json::to_string(&d.input.path).expect("a string serializes");
                for ev in &d.events {
                    // `input` first, then the event's own fields in their declared order.
                    let fields = serde_json::to_string(ev).expect("event serializes");
                    res =
                        res.and_then(|_| writeln!(stdout, "{{\"input\":{input},{}", &fields[1..]));
                }
            }
            res.map(|_| if readable { 0 } else { 2 })
        }
        Command::Signatures => {
            let mut res = Ok(());
            for (id, meaning, fix) in mradiag::faults::catalog() {
                res = res.and_then(|_| writeln!(stdout, "{id}\n    {meaning}\n    fix: {fix}"));
            }
            res.map(|_| 0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mradiag: {e}");
            ExitCode::from(2)
        }
    }
}
