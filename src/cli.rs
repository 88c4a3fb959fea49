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
    /// Write a simulated scenario (tag-blocked NMEA, true events, traps and
    /// zones) for tests and demos.
    Simulate(SimulateArgs),
    /// Patrol zone files.
    Zones {
        #[command(subcommand)]
        cmd: ZonesCmd,
    },
    /// Run the daemon: sources from the config (default: UDP on 0.0.0.0:10110),
    /// HTTP on 127.0.0.1:9700 (`/metrics`, `/health`, `/api/...`).
    Run {
        /// Configuration file (TOML).
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// HTTP listen address (overrides the config).
        #[arg(long, env = "AISWATCH_HTTP_LISTEN")]
        http_listen: Option<std::net::SocketAddr>,
    },
    /// Decode AIS sentences to JSON lines with gpsd's field names and scaling.
    Decode {
        /// Input files (`-` for stdin; `.gz` accepted).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Push recorded files through the engine as fast as possible, time
    /// taken from the data. Alerts go to stdout as JSON lines; a summary to stderr.
    Replay {
        /// Patrol zones directory.
        #[arg(long)]
        zones: Option<PathBuf>,
        /// Configuration file (TOML).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Input files (`-` for stdin; `.gz` accepted).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// Output directory (created): feed.nmea, truth.jsonl, traps.jsonl, zones/.
    #[arg(long)]
    out: PathBuf,
    /// Random seed (same seed, same files).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Hours of traffic.
    #[arg(long, default_value_t = 12.0)]
    hours: f64,
    /// Number of vessels.
    #[arg(long, default_value_t = 200)]
    vessels: usize,
}

#[derive(Subcommand, Debug)]
enum ZonesCmd {
    /// Validate every `*.geojson` file in DIR; exit 1 on any error.
    Check {
        /// Zones directory.
        dir: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Run {
            config,
            http_listen,
        } => run(config, http_listen),
        Command::Decode { files } => decode(&files),
        Command::Simulate(a) => simulate(&a),
        Command::Zones {
            cmd: ZonesCmd::Check { dir },
        } => zones_check(&dir),
        Command::Replay {
            zones,
            config,
            files,
        } => replay(zones, config, &files),
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

fn replay(zones: Option<PathBuf>, config: Option<PathBuf>, files: &[PathBuf]) -> Result<ExitCode> {
    let cfg = aiswatch::config::Config::load(config.as_deref())?;
    let mut engine = cfg.engine(zones.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut counts = std::collections::BTreeMap::new();
    let mut werr: Option<std::io::Error> = None;
    let mut summary = aiswatch::replay::replay_files(files, &mut engine, |a| {
        *counts
            .entry((a.kind.as_str().to_owned(), a.state.as_str().to_owned()))
            .or_insert(0) += 1;
        if werr.is_none() {
            if let Err(e) = writeln!(out, "{}", a.to_json()) {
                werr = Some(e);
            }
        }
    })?;
    if let Some(e) = werr.take().or_else(|| out.flush().err()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write alerts to stdout");
        }
    }
    summary.alerts = counts;
    eprint!("{}", summary.render());
    Ok(ExitCode::SUCCESS)
}

fn run(config: Option<PathBuf>, http_listen: Option<std::net::SocketAddr>) -> Result<ExitCode> {
    init_tracing();
    let mut cfg = aiswatch::config::Config::load(config.as_deref())?;
    if let Some(l) = http_listen {
        cfg.http.listen = l;
    }
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(aiswatch::app::run(cfg, shutdown_signal(), None))?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Logs to stderr; `RUST_LOG` filters (default `info`). Crates that log via
/// `log` (nmea-parser) are bridged.
fn init_tracing() {
    let _ = tracing_log::LogTracer::init();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn zones_check(dir: &std::path::Path) -> Result<ExitCode> {
    let errors = aiswatch::zones::ZoneSet::check_dir(dir);
    if errors.is_empty() {
        let set = aiswatch::zones::ZoneSet::load_dir(dir)
            .map_err(|e| anyhow::anyhow!("{} error(s) on reload", e.len()))?;
        println!("{}: {} zone(s) OK", dir.display(), set.len());
        return Ok(ExitCode::SUCCESS);
    }
    for e in &errors {
        eprintln!("{e}");
    }
    eprintln!("{}: {} error(s)", dir.display(), errors.len());
    Ok(ExitCode::from(1))
}

fn simulate(a: &SimulateArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        a.hours > 0.0 && a.hours <= 24.0 * 31.0,
        "--hours must be between 0 and 744"
    );
    anyhow::ensure!(a.vessels > 0, "--vessels must be at least 1");
    let cfg = aiswatch::sim::SimConfig {
        seed: a.seed,
        hours: a.hours,
        vessels: a.vessels,
        ..Default::default()
    };
    let s = aiswatch::sim::generate(&cfg, &a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    println!("{}", serde_json::to_string_pretty(&s)?);
    Ok(ExitCode::SUCCESS)
}
