//! Command-line interface (clap). Flags are validated once here and turned
//! into library calls; errors become messages on stderr and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use aiswatch::decode::{gpsd_json, DecodeStats, Decoder};
use aiswatch::replay::{for_each_line, open_input};
use aiswatch::time::now_ms;

/// Maritime AIS vessel tracking and anomaly detection.
#[derive(Parser, Debug)]
#[command(name = "aiswatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Decode AIS sentences to JSON lines with gpsd's field names and scaling.
    Decode {
        /// Input files (`-` for stdin; `.gz` accepted).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Decode { files } => decode(&files),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aiswatch: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn decode(files: &[PathBuf]) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut buf = String::with_capacity(1 << 16);
    let mut msgs = Vec::with_capacity(4);
    let mut total = DecodeStats::default();
    for path in files {
        let input = open_input(path).with_context(|| format!("cannot open {}", path.display()))?;
        // Each file is its own source: fragments never join across files.
        let mut dec = Decoder::new();
        let mut werr = Ok(());
        for_each_line(input, |line| {
            dec.feed(line, now_ms(), &mut msgs);
            for m in msgs.drain(..) {
                gpsd_json::write(&mut buf, &m);
            }
            if buf.len() > (1 << 15) {
                if werr.is_ok() {
                    werr = out.write_all(buf.as_bytes());
                }
                buf.clear();
            }
        })
        .with_context(|| format!("cannot read {}", path.display()))?;
        dec.expire(i64::MAX);
        total.add(dec.stats());
        if let Err(e) = werr {
            return broken_pipe_ok(e);
        }
    }
    if let Err(e) = out.write_all(buf.as_bytes()).and_then(|_| out.flush()) {
        return broken_pipe_ok(e);
    }
    eprintln!(
        "decode: {} lines, {} sentences, {} messages, {} rejected",
        total.lines,
        total.sentences,
        total.messages,
        total.rejects_total()
    );
    Ok(ExitCode::SUCCESS)
}

/// `aiswatch decode … | head` must end quietly, not with an error.
fn broken_pipe_ok(e: std::io::Error) -> Result<ExitCode> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(e).context("cannot write to stdout")
    }
}
