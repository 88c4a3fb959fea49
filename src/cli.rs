//! Command-line interface (clap). Flags are validated once here and turned
//! into library calls; errors become messages on stderr and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use aiswatch::config::LogFormat;
use aiswatch::replay::{decode_batches, open_input};
use aiswatch_decode::{gpsd_json, DecodeStats, Decoded};

mod audit;
mod evidence;

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
    /// The configuration file.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
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
        #[command(flatten)]
        store: StoreArgs,
        /// Log format on stderr: `text` (default) or `json`, one object a
        /// line (overrides `[logging] format`).
        #[arg(long, env = "AISWATCH_LOG_FORMAT", value_enum)]
        log_format: Option<LogFormatArg>,
        /// What this node runs: `all` (everything, one process), or one
        /// part of a cluster (`[cluster]` and a postgres:// store needed):
        /// `ingest` (sources to the line stream), `engine` (decode, engine,
        /// store, delivery; one leads, the others stand by), `api`.
        #[arg(long, env = "AISWATCH_ROLE", value_enum, default_value_t = aiswatch::cluster::Role::All)]
        role: aiswatch::cluster::Role,
    },
    /// Export an alert with its raw lines and chain of custody as a signed
    /// zip (`evidence ALERT_ID --out FILE.zip`), or check one (`evidence
    /// verify FILE.zip [--key PUBKEY]`).
    Evidence(evidence::EvidenceArgs),
    /// The installation's evidence signing key.
    Key {
        #[command(subcommand)]
        cmd: evidence::KeyCmd,
    },
    /// The audit trail: check it (`audit verify`), export a signed
    /// extract (`audit export --since --until --out F.zip`).
    Audit {
        #[command(subcommand)]
        cmd: audit::AuditCmd,
    },
    /// The raw line archive.
    Archive {
        #[command(subcommand)]
        cmd: evidence::ArchiveCmd,
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
        /// Also import positions, static data and alerts into this store
        /// (`sqlite://FILE` or `postgres://…`).
        #[arg(long, env = "AISWATCH_DB")]
        db: Option<String>,
        /// Input files (`-` for stdin; `.gz` accepted).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

/// Set once JSON logging is on: errors that end the daemon are then logged
/// as JSON too, so every stderr line parses.
static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// Where the daemon keeps its data.
#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// Database URL: `sqlite://FILE` or `postgres://…` (overrides `[storage] url`;
    /// default: SQLite in the data directory).
    #[arg(long, env = "AISWATCH_DB")]
    db: Option<String>,
    /// Data directory: the SQLite file and the raw line archive (default `./data`).
    #[arg(long, env = "AISWATCH_DATA_DIR")]
    data_dir: Option<PathBuf>,
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
    /// Which scenario: the mixed traffic of the patrol box (default), or
    /// `coverage-edge` (two stations overlapping inside the same cells,
    /// one down for 3 h; `--vessels` is ignored).
    #[arg(long, value_enum, default_value = "default")]
    scenario: ScenarioArg,
}

/// `simulate --scenario`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ScenarioArg {
    /// Mixed traffic with every detector's events and traps.
    Default,
    /// The coverage edge: silences a station outage explains next to real dark periods.
    CoverageEdge,
}

#[derive(Subcommand, Debug)]
enum ZonesCmd {
    /// Validate every `*.geojson` file in DIR; exit 1 on any error.
    Check {
        /// Zones directory.
        dir: PathBuf,
        /// Also check that every centre the zones name is declared in this config.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Validate FILE as `run` would: keys, values, token and secret files,
    /// centres' channels, and the zones directory it points to (with the
    /// centres its zones name). Every error names its key; exit 1 on any.
    Check {
        /// Configuration file (TOML).
        file: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Run {
            config,
            http_listen,
            store,
            log_format,
            role,
        } => run(
            config,
            http_listen,
            store,
            log_format.map(LogFormat::from),
            role,
        ),
        Command::Decode { files } => decode(&files),
        Command::Evidence(a) => evidence::evidence(a),
        Command::Key {
            cmd: evidence::KeyCmd::Show { config, store },
        } => evidence::key_show(config.as_deref(), store),
        Command::Archive {
            cmd: evidence::ArchiveCmd::Verify { config, store },
        } => evidence::archive_verify(config.as_deref(), store),
        Command::Audit { cmd } => audit::audit(cmd),
        Command::Simulate(a) => simulate(&a),
        Command::Zones {
            cmd: ZonesCmd::Check { dir, config },
        } => zones_check(&dir, config.as_deref()),
        Command::Config {
            cmd: ConfigCmd::Check { file },
        } => config_check(&file),
        Command::Replay {
            zones,
            config,
            db,
            files,
        } => replay(zones, config, db, &files),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            if JSON_LOGS.load(Ordering::Relaxed) {
                tracing::error!(error = format!("{e:#}"), "Daemon failed.");
            } else {
                eprintln!("aiswatch: error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

/// Messages handed from the decoding thread to the writing one at a time.
const DECODE_BATCH: usize = 1024;

fn decode(files: &[PathBuf]) -> Result<ExitCode> {
    // One core each: this thread reads and decodes, in input order, and hands
    // batches of messages to a second thread that formats and writes them
    // (gpsd JSON is the larger half). Written batches come back to be refilled.
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Decoded>>(4);
    let (spent_tx, spent_rx) = mpsc::channel::<Vec<Decoded>>();
    let writer = std::thread::Builder::new()
        .name("decode-write".into())
        .spawn(move || write_gpsd_json(&full_rx, &spent_tx))
        .context("cannot start the writing thread")?;
    let read = decode_files(files, &full_tx, &spent_rx);
    drop(full_tx);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the writing thread panicked")));
    let total = read?;
    if let Err(e) = written {
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

/// Decodes `files` in order, sending messages in batches of about
/// [`DECODE_BATCH`]. Stops decoding once the writer has gone (stdout closed).
fn decode_files(
    files: &[PathBuf],
    full: &mpsc::SyncSender<Vec<Decoded>>,
    spent: &mpsc::Receiver<Vec<Decoded>>,
) -> Result<DecodeStats> {
    let mut total = DecodeStats::default();
    for path in files {
        let input = open_input(path).with_context(|| format!("cannot open {}", path.display()))?;
        // Each file is its own source: fragments never join across files.
        let mut writer_gone = false;
        let stats = decode_batches(input, DECODE_BATCH, |batch, _| {
            let empty = spent
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(DECODE_BATCH));
            writer_gone = full.send(std::mem::replace(batch, empty)).is_err();
            !writer_gone
        })
        .with_context(|| format!("cannot read {}", path.display()))?;
        total.add(&stats);
        if writer_gone {
            // The writer says why.
            break;
        }
    }
    Ok(total)
}

/// Writes each batch's messages as gpsd JSON lines to stdout, in the order
/// received, and sends the emptied batch back.
fn write_gpsd_json(
    full: &mpsc::Receiver<Vec<Decoded>>,
    spent: &mpsc::Sender<Vec<Decoded>>,
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = String::with_capacity(1 << 16);
    for mut batch in full {
        for m in batch.drain(..) {
            gpsd_json::write(&mut buf, &m);
            if buf.len() > (1 << 15) {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        // The decoder may have finished and gone: nothing to refill then.
        let _ = spent.send(batch);
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

/// `aiswatch decode … | head` must end quietly, not with an error.
fn broken_pipe_ok(e: std::io::Error) -> Result<ExitCode> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(e).context("cannot write to stdout")
    }
}

fn replay(
    zones: Option<PathBuf>,
    config: Option<PathBuf>,
    db: Option<String>,
    files: &[PathBuf],
) -> Result<ExitCode> {
    let cfg = aiswatch::config::Config::load(config.as_deref())?;
    let mut engine = cfg.engine(zones.as_deref())?;
    if config.is_some() && !cfg.centres.is_empty() {
        check_centres(&cfg, &engine)?;
    }
    // With a store: positions, static changes and alerts go to it through
    // the same writer as the daemon's, waiting for it (an import loses
    // nothing). It opens while the engine runs.
    let mut store = match db.or_else(|| cfg.storage.url.clone()) {
        None => None,
        Some(url) => Some(ReplayStore::open(url)?),
    };
    engine.record(store.is_some());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut counts = std::collections::BTreeMap::new();
    let mut werr: Option<std::io::Error> = None;
    let mut store_err: Option<anyhow::Error> = None;
    // The engine's records are handed on as the writer commits them: a
    // transaction's worth at a time, taken whole, with the alerts raised
    // meanwhile (an import has no one waiting for an alert's commit).
    let send_positions = cfg.storage.batch_positions.max(1);
    engine.reserve_records(send_positions);
    let mut unsent_alerts = Vec::new();
    let mut summary = aiswatch::replay::replay_files_while(files, &mut engine, |e| {
        let alerts = e.take_alerts();
        for a in &alerts {
            *counts
                .entry((a.kind.as_str().to_owned(), a.state.as_str().to_owned()))
                .or_insert(0) += 1;
            if werr.is_none() {
                if let Err(err) = writeln!(out, "{}", a.to_json()) {
                    werr = Some(err);
                }
            }
        }
        let Some(s) = &mut store else {
            return true;
        };
        unsent_alerts.extend(alerts);
        let res = if e.recorded_positions() >= send_positions {
            let mut batch = e.take_records();
            batch.alerts = std::mem::take(&mut unsent_alerts);
            s.send(e, &cfg.storage, batch)
        } else {
            s.check()
        };
        res.map_err(|err| store_err = Some(err)).is_ok()
    })?;
    if let Some(e) = store_err {
        return Err(e);
    }
    if let Some(e) = werr.take().or_else(|| out.flush().err()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write alerts to stdout");
        }
    }
    summary.alerts = counts;
    eprint!("{}", summary.render());
    if let Some(mut s) = store {
        let mut rest = engine.take_records();
        rest.alerts = unsent_alerts;
        s.send(&mut engine, &cfg.storage, rest)?;
        let (url, stats) = s.finish()?;
        let written = stats
            .positions_written
            .load(std::sync::atomic::Ordering::Relaxed);
        eprintln!(
            "  stored in {url}: {} positions, {} static changes, {} alert changes ({:.0} positions/s overall)",
            written,
            stats.statics_written.load(std::sync::atomic::Ordering::Relaxed),
            stats.alerts_written.load(std::sync::atomic::Ordering::Relaxed),
            written as f64 / summary.seconds.max(1e-9)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The store a replay writes to. It opens (and migrates) on the runtime
/// while the engine runs, numbering its records from 1; the
/// first records handed on are moved past the store's last sequence
/// number (records continue the store's sequence: one writer at a time).
struct ReplayStore {
    rt: tokio::runtime::Runtime,
    state: Opening,
}

enum Opening {
    /// Connecting and migrating; then the last sequence number stored.
    Pending(tokio::task::JoinHandle<Result<(aiswatch::storage::Store, u64)>>),
    /// Open, nothing handed on yet.
    Ready(aiswatch::storage::Store, u64),
    /// Writing.
    Writing {
        store: aiswatch::storage::Store,
        sender: aiswatch::storage::writer::StoreSender,
        task: tokio::task::JoinHandle<()>,
        stats: std::sync::Arc<aiswatch::storage::writer::WriterStats>,
    },
    /// Failed to open (the error was returned once; later sends fail).
    Gone,
}

impl ReplayStore {
    fn open(url: String) -> Result<ReplayStore> {
        let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let pending = rt.spawn(async move {
            let store = aiswatch::storage::Store::connect(&url).await?;
            let last = store.last_seq().await?;
            Ok((store, last))
        });
        Ok(ReplayStore {
            rt,
            state: Opening::Pending(pending),
        })
    }

    /// The store's error if it failed to open, without waiting for it.
    fn check(&mut self) -> Result<()> {
        match &self.state {
            Opening::Pending(p) if p.is_finished() => self.wait(),
            _ => Ok(()),
        }
    }

    /// Waits for the store to be open.
    fn wait(&mut self) -> Result<()> {
        self.state = match std::mem::replace(&mut self.state, Opening::Gone) {
            Opening::Pending(p) => {
                let (store, last) = self.rt.block_on(p).context("opening the store failed")??;
                Opening::Ready(store, last)
            }
            other => other,
        };
        Ok(())
    }

    /// Hands `batch`, the engine's records, to the writer, waiting for the
    /// store to be open and for room.
    fn send(
        &mut self,
        engine: &mut aiswatch_engine::engine::Engine,
        cfg: &aiswatch::storage::config::StorageConfig,
        mut batch: aiswatch::storage::Batch,
    ) -> Result<()> {
        self.wait()?;
        self.state = match std::mem::replace(&mut self.state, Opening::Gone) {
            Opening::Ready(store, last) => {
                // Every record so far is in `batch`, numbered from 1.
                batch.renumber(last);
                engine.set_next_seq(engine.next_seq() + last);
                let stats = std::sync::Arc::new(aiswatch::storage::writer::WriterStats::default());
                let (sender, task) = {
                    let _guard = self.rt.enter();
                    aiswatch::storage::writer::spawn(store.clone(), cfg, stats.clone(), None)
                };
                Opening::Writing {
                    store,
                    sender,
                    task,
                    stats,
                }
            }
            other => other,
        };
        let Opening::Writing { sender, .. } = &mut self.state else {
            anyhow::bail!("the store failed to open: nothing more is written to it");
        };
        self.rt.block_on(sender.send(batch));
        Ok(())
    }

    /// Waits for every batch handed on to be committed and closes the
    /// store: its URL (password removed) and what the writer did.
    fn finish(
        self,
    ) -> Result<(
        String,
        std::sync::Arc<aiswatch::storage::writer::WriterStats>,
    )> {
        let Opening::Writing {
            store,
            sender,
            task,
            stats,
        } = self.state
        else {
            anyhow::bail!("the store was not written to");
        };
        drop(sender);
        self.rt.block_on(task).context("store writer failed")?;
        self.rt.block_on(store.close());
        Ok((store.url().to_owned(), stats))
    }
}

/// Every centre the engine's zones name must be declared in `[[centres]]`.
fn check_centres(
    cfg: &aiswatch::config::Config,
    engine: &aiswatch_engine::engine::Engine,
) -> Result<()> {
    let errs = cfg.undeclared_centres(engine.zones());
    if errs.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{} zone(s) name undeclared centres:\n{}",
        errs.len(),
        errs.join("\n")
    )
}

fn run(
    config: Option<PathBuf>,
    http_listen: Option<std::net::SocketAddr>,
    store: StoreArgs,
    log_format: Option<LogFormat>,
    role: aiswatch::cluster::Role,
) -> Result<ExitCode> {
    // The flag's format applies at once (a config error is then logged in
    // it); otherwise the config's, once it is read.
    if let Some(f) = log_format {
        init_tracing(f);
    }
    let mut cfg = aiswatch::config::Config::load(config.as_deref())?;
    if log_format.is_none() {
        init_tracing(cfg.logging.format);
    }
    for n in cfg.engine.notices() {
        tracing::warn!(config = ?config, "{n}");
    }
    if let Some(l) = http_listen {
        cfg.http.listen = l;
    }
    if let Some(db) = store.db {
        cfg.storage.url = Some(db);
    }
    if let Some(dir) = store.data_dir {
        cfg.storage.data_dir = dir;
    }
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let shutdown = {
        let _in_runtime = rt.enter();
        shutdown_signal()?
    };
    rt.block_on(aiswatch::cluster::node::run(cfg, role, shutdown, None))?;
    Ok(ExitCode::SUCCESS)
}

/// Takes over SIGINT and SIGTERM at once, before any stage starts (a signal
/// that arrived before the handlers were in place would kill the daemon
/// without its graceful stop); the future completes on the first of them.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs to stderr; `RUST_LOG` filters (default `info`). Crates that log via
/// `log` are bridged. Text is coloured only on a terminal (journald and
/// files get plain text); JSON is one object a line with `timestamp`,
/// `level`, `target` and `fields` (`message` is a fixed sentence per event,
/// the rest are the event's fields).
fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // `try_init` also bridges `log` (tracing-subscriber's `tracing-log`
    // feature); this is the fallback should that feature ever be off.
    let _ = tracing_log::LogTracer::init();
    if installed.is_ok() && format == LogFormat::Json {
        JSON_LOGS.store(true, Ordering::Relaxed);
    }
}

fn zones_check(dir: &std::path::Path, config: Option<&std::path::Path>) -> Result<ExitCode> {
    let cfg = config
        .map(|p| aiswatch::config::Config::load(Some(p)))
        .transpose()?;
    let (count, errors) = zone_problems(dir, cfg.as_ref());
    if errors.is_empty() {
        println!("{}: {} zone(s) OK", dir.display(), count);
        return Ok(ExitCode::SUCCESS);
    }
    for e in &errors {
        eprintln!("{e}");
    }
    eprintln!("{}: {} error(s)", dir.display(), errors.len());
    Ok(ExitCode::from(1))
}

/// Validates the zones of `dir` (and, with a config, that every centre
/// they name is declared): the number of zones and every problem.
fn zone_problems(
    dir: &std::path::Path,
    cfg: Option<&aiswatch::config::Config>,
) -> (usize, Vec<String>) {
    match aiswatch_zones::ZoneSet::load_dir(dir, aiswatch_engine::detect::SPECS) {
        Ok(set) => (
            set.len(),
            cfg.map(|c| c.undeclared_centres(&set)).unwrap_or_default(),
        ),
        Err(errs) => (0, errs.iter().map(ToString::to_string).collect()),
    }
}

/// `aiswatch config check FILE`: everything `run` would refuse at start,
/// short of binding sockets and opening the store.
fn config_check(file: &std::path::Path) -> Result<ExitCode> {
    use aiswatch::config::Config;
    let fail = |errors: &[String]| {
        for e in errors {
            eprintln!("{e}");
        }
        eprintln!("{}: {} error(s)", file.display(), errors.len());
        Ok(ExitCode::from(1))
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return fail(&[format!("{}: cannot read: {e}", file.display())]),
    };
    let cfg = match Config::parse(&text) {
        Ok(c) => c,
        // toml's message names the line, column and key.
        Err(e) => return fail(&[format!("{}: {e}", file.display())]),
    };
    let at = |m: &String| format!("{}: {m}", file.display());
    let mut errors: Vec<String> = cfg.problems().iter().map(at).collect();
    for c in &cfg.centres {
        if let Some(w) = &c.webhook {
            if let Err(e) = aiswatch::deliver::webhook::WebhookSink::new(w, cfg.delivery.timeout) {
                errors.push(at(&format!(
                    "[[centres]] id = {:?}: [centres.webhook] {e}",
                    c.id.as_str()
                )));
            }
        }
    }
    let mut zones = None;
    if let Some(dir) = &cfg.zones {
        // Relative to the working directory, as `run` reads it.
        let (count, zerrs) = zone_problems(dir, Some(&cfg));
        if zerrs.is_empty() {
            zones = Some((dir, count));
        }
        errors.extend(
            zerrs
                .iter()
                .map(|e| at(&format!("zones = {:?}: {e}", dir.display().to_string()))),
        );
    }
    if !errors.is_empty() {
        return fail(&errors);
    }
    for n in cfg.engine.notices() {
        eprintln!("{}: note: {n}", file.display());
    }
    match zones {
        Some((dir, n)) => println!(
            "{}: OK ({} source(s), {} centre(s), {n} zone(s) in {})",
            file.display(),
            cfg.sources.len(),
            cfg.centres.len(),
            dir.display()
        ),
        None => println!(
            "{}: OK ({} source(s), {} centre(s), no zones)",
            file.display(),
            cfg.sources.len(),
            cfg.centres.len()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate(a: &SimulateArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        a.hours > 0.0 && a.hours <= 24.0 * 31.0,
        "--hours must be between 0 and 744"
    );
    anyhow::ensure!(a.vessels > 0, "--vessels must be at least 1");
    let cfg = aiswatch_sim::SimConfig {
        seed: a.seed,
        hours: a.hours,
        vessels: a.vessels,
        ..Default::default()
    };
    let s = match a.scenario {
        ScenarioArg::Default => aiswatch_sim::generate(&cfg, &a.out),
        ScenarioArg::CoverageEdge => aiswatch_sim::generate_coverage_edge(&cfg, &a.out),
    }
    .with_context(|| format!("cannot write {}", a.out.display()))?;
    println!("{}", serde_json::to_string_pretty(&s)?);
    Ok(ExitCode::SUCCESS)
}
