//! Store throughput and query latency on a seeded synthetic fleet.
//!
//! ```sh
//! cargo run --release --example store_bench -- --db sqlite:///tmp/sb/x.db \
//!     --positions 10000000 --vessels 20000 --hours 48 --seed 1
//! cargo run --release --example store_bench -- \
//!     --db 'postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_x' ...
//! ```
//!
//! 1. Generates the fleet up front (not timed): vessels at 0–20 kn in lon
//!    0..20, lat -10..10, each in coverage for a window of the span,
//!    reporting at the class A interval for its speed (3 min at ≤ 3 kn, 10 s
//!    below 14 kn, 6 s above) of which the receiver hears one in `k`, `k`
//!    chosen so that the fleet gives `--positions` (a little more). Reports
//!    are merged in time order, as the engine emits them. With `--stream`
//!    the fleet is generated on a thread of its own while it is written
//!    (for 100 M positions, which would take ≈ 10 GB up front).
//! 2. Writes them through the daemon's writer task (`storage::writer::spawn`,
//!    `StorageConfig::default()`, `StoreSender::send` of 512-position
//!    batches). Throughput is positions over the wall time from the first
//!    send to the writer task's end (every transaction committed).
//! 3. Size on disk: the SQLite file (+ WAL) after close, or the sum of
//!    `pg_total_relation_size` over the position blocks' partitions (and over
//!    every table of the schema).
//! 4. Baselines, three times each: the count of stored positions, and
//!    `SELECT COUNT(*) FROM position_blocks WHERE n = 0` (no index applies:
//!    every block is read).
//! 5. `--queries` seeded queries of each kind, one at a time: (a) `track` of
//!    a random vessel over 24 h, (b) `positions_in` a random 1°×1° box over
//!    6 h (`max_points` 10 000). p50/p90/p99/max latency and mean rows.
//!
//! Prints a table and one JSON line (prefixed `JSON `). The database must be
//! empty (fresh file or fresh schema); it is left in place.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use aiswatch::storage::writer::{self, WriterStats};
use aiswatch::storage::StorageConfig;
use aiswatch::storage::{cell_of, BBox, Batch, Points, PositionRow, Store};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use clap::Parser;
use sqlx::Row;

/// 2024-03-10T00:00:00Z.
const T0: Millis = 1_710_028_800_000;
const LON: (f64, f64) = (0.0, 20.0);
const LAT: (f64, f64) = (-10.0, 10.0);
/// Positions per `StoreSender::send` (the daemon's ingest batch size).
const SEND_BATCH: usize = 512;
const MAX_POINTS: usize = 10_000;

#[derive(Parser, Debug, Clone)]
#[command(about = "aiswatch store: write throughput and query latency")]
struct Args {
    /// Store URL (`sqlite://FILE` or `postgres://…`); must be empty.
    /// Optional with `--replay` (then: no storage, the baseline).
    #[arg(long, required_unless_present = "replay")]
    db: Option<String>,
    /// Instead of the synthetic fleet: replay this NMEA file through the
    /// engine as `aiswatch replay [--db]` does (decode, engine recording,
    /// `StoreSender::send` after every 256 messages), and report the time.
    #[arg(long)]
    replay: Option<std::path::PathBuf>,
    /// Patrol zones for `--replay`.
    #[arg(long)]
    zones: Option<std::path::PathBuf>,
    /// Positions to write (at least; the fleet gives a few more).
    #[arg(long, default_value_t = 10_000_000)]
    positions: u64,
    /// Vessels in the fleet.
    #[arg(long, default_value_t = 20_000)]
    vessels: usize,
    /// Span of event time, hours (≥ 24).
    #[arg(long, default_value_t = 48.0)]
    hours: f64,
    /// Random seed (same seed, same fleet and queries).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Queries of each kind.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Skip writing: run the queries against a store this bench filled
    /// before with the same `--positions --vessels --hours --seed`.
    #[arg(long)]
    query_only: bool,
    /// Most positions per transaction (default: `StorageConfig::default()`'s).
    #[arg(long)]
    batch_positions: Option<usize>,
    /// Generate the fleet on a thread of its own while writing, instead of
    /// up front: memory stays small at 100 M positions (up front, the rows
    /// alone take ≈ 10 GB), at the cost of the generator's CPU beside the
    /// writer during the timed write.
    #[arg(long)]
    stream: bool,
    /// Runs of each baseline (`COUNT(*)`, full scan); at least 1.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    baseline_runs: u32,
}

/// CPU seconds (user + system) this process has used, from `/proc/self/stat`
/// (0 where that is not available).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the 14th field.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Linux reports in USER_HZ, 100 on every mainstream architecture.
    (ticks(11) + ticks(12)) / 100.0
}

/// One vessel of the synthetic fleet.
struct Vessel {
    mmsi: u32,
    lon: f64,
    lat: f64,
    sog_kn: f64,
    cog: f64,
    nav_status: u8,
    /// Heard interval, seconds.
    every_s: f64,
    end: Millis,
    station: Arc<str>,
    rng: Rng,
}

impl Vessel {
    /// Moves the vessel `dt_s` seconds ahead (flat earth, reflecting at the
    /// edges of the region, a slow random walk of course and speed).
    fn advance(&mut self, dt_s: f64) {
        let nm = self.sog_kn * dt_s / 3600.0;
        let (s, c) = self.cog.to_radians().sin_cos();
        self.lat += nm * c / 60.0;
        self.lon += nm * s / (60.0 * self.lat.to_radians().cos().max(0.2));
        if !(LON.0..LON.1).contains(&self.lon) {
            self.lon = self.lon.clamp(LON.0, LON.1 - 1e-9);
            self.cog = (360.0 - self.cog).rem_euclid(360.0);
        }
        if !(LAT.0..LAT.1).contains(&self.lat) {
            self.lat = self.lat.clamp(LAT.0, LAT.1 - 1e-9);
            self.cog = (540.0 - self.cog).rem_euclid(360.0);
        }
        if self.sog_kn > 3.0 {
            self.cog = (self.cog + self.rng.range(-3.0, 3.0)).rem_euclid(360.0);
            self.sog_kn = (self.sog_kn + self.rng.range(-0.2, 0.2)).clamp(3.1, 20.0);
        }
    }

    fn row(&mut self, t: Millis, source: &Arc<str>) -> PositionRow {
        let moving = self.sog_kn > 3.0;
        PositionRow {
            seq: 0,
            mmsi: Mmsi(self.mmsi),
            time: t,
            // AIS resolution: 1/10 000 minute.
            lon: (self.lon * 600_000.0).round() / 600_000.0,
            lat: (self.lat * 600_000.0).round() / 600_000.0,
            sog_dkn: Some((self.sog_kn * 10.0).round() as u16),
            cog_ddeg: Some(((self.cog * 10.0).round() as u16) % 3600),
            heading: moving.then(|| (self.cog.round() as u16) % 360),
            nav_status: Some(self.nav_status),
            msg_type: if self.rng.chance(0.9) { 1 } else { 3 },
            station: Some(self.station.clone()),
            source: source.clone(),
            hash: self.rng.next_u64(),
        }
    }
}

/// Class A nominal reporting interval at `sog` knots, seconds.
fn nominal_interval(sog: f64) -> f64 {
    if sog <= 3.0 {
        180.0
    } else if sog < 14.0 {
        10.0
    } else {
        6.0
    }
}

struct Fleet {
    positions: u64,
    mmsis: Vec<u32>,
    hear_one_in: f64,
    /// What was sent, to check the answers: each vessel's times, and each
    /// grid cell's (time, lon, lat).
    times: HashMap<u32, Vec<Millis>>,
    cells: HashMap<i64, Vec<(Millis, f64, f64)>>,
}

impl Fleet {
    /// Rows `track` must return.
    fn track_rows(&self, mmsi: u32, from: Millis, to: Millis) -> usize {
        let ts = self.times.get(&mmsi).map_or(&[][..], Vec::as_slice);
        let n = ts.partition_point(|&t| t <= to) - ts.partition_point(|&t| t < from);
        n.min(MAX_POINTS)
    }

    /// Points a whole (single-page) `positions_in` must return.
    fn box_rows(&self, b: &BBox, from: Millis, to: Millis) -> usize {
        let cells = b.cells(usize::MAX).unwrap_or_default();
        cells
            .iter()
            .filter_map(|c| self.cells.get(c))
            .flatten()
            .filter(|&&(t, lon, lat)| (from..=to).contains(&t) && b.contains(lon, lat))
            .count()
    }
}

/// Generates the fleet's reports in time order, handing each batch of
/// [`SEND_BATCH`] positions to `emit` as it fills.
fn generate(a: &Args, mut emit: impl FnMut(Batch)) -> Fleet {
    let span_ms = (a.hours * 3_600_000.0) as Millis;
    let mut rng = Rng::new(a.seed);
    let stations: Vec<Arc<str>> = (1..=8).map(|i| Arc::from(format!("rcv{i:02}"))).collect();
    let source: Arc<str> = Arc::from("bench");
    let mut fleet: Vec<(Vessel, Millis)> = Vec::with_capacity(a.vessels);
    let mut nominal_reports = 0.0;
    for i in 0..a.vessels {
        let mut r = rng.fork();
        let slow = r.chance(0.3);
        let sog_kn = if slow {
            r.range(0.0, 0.3)
        } else {
            r.range(3.5, 20.0)
        };
        // In coverage for 2 h up to the whole span, anywhere in it.
        let len = r.range(2.0 * 3_600_000.0, span_ms as f64) as Millis;
        let start = r.int(0, span_ms - len);
        nominal_reports += len as f64 / 1000.0 / nominal_interval(sog_kn);
        let v = Vessel {
            // Distinct, ascending, 9 digits.
            mmsi: 201_000_000 + (i as u32) * 25_000 + r.below(25_000) as u32,
            lon: r.range(LON.0, LON.1),
            lat: r.range(LAT.0, LAT.1),
            sog_kn,
            cog: r.range(0.0, 360.0),
            nav_status: if !slow {
                0
            } else if r.chance(0.5) {
                1
            } else {
                5
            },
            every_s: nominal_interval(sog_kn),
            end: T0 + start + len,
            station: r.pick(&stations).clone(),
            rng: r,
        };
        fleet.push((v, T0 + start));
    }
    // The receiver hears one report in `k` (a little under, to pass the target).
    let k = (nominal_reports / a.positions as f64 * 0.995).max(1.0);
    let mut heap: BinaryHeap<Reverse<(Millis, usize)>> = BinaryHeap::with_capacity(a.vessels);
    for (i, (v, start)) in fleet.iter_mut().enumerate() {
        v.every_s *= k;
        heap.push(Reverse((*start, i)));
    }
    let mut cur = Vec::with_capacity(SEND_BATCH);
    let mut n = 0u64;
    let mut times: HashMap<u32, Vec<Millis>> = HashMap::new();
    let mut cells: HashMap<i64, Vec<(Millis, f64, f64)>> = HashMap::new();
    while let Some(Reverse((t, i))) = heap.pop() {
        let v = &mut fleet[i].0;
        let mut row = v.row(t, &source);
        row.seq = n + 1;
        times.entry(row.mmsi.0).or_default().push(t);
        cells
            .entry(cell_of(row.lon, row.lat))
            .or_default()
            .push((t, row.lon, row.lat));
        cur.push(row);
        n += 1;
        if cur.len() == SEND_BATCH {
            emit(Batch {
                positions: std::mem::replace(&mut cur, Vec::with_capacity(SEND_BATCH)),
                ..Default::default()
            });
        }
        let dt = v.every_s * v.rng.range(0.5, 1.5);
        v.advance(dt);
        let next = t + (dt * 1000.0) as Millis;
        if next <= v.end {
            heap.push(Reverse((next, i)));
        }
    }
    if !cur.is_empty() {
        emit(Batch {
            positions: cur,
            ..Default::default()
        });
    }
    Fleet {
        positions: n,
        mmsis: fleet.iter().map(|(v, _)| v.mmsi).collect(),
        times,
        cells,
        hear_one_in: k,
    }
}

/// Latencies (ms) and rows returned by one kind of query.
#[derive(Default)]
struct Lat {
    ms: Vec<f64>,
    rows: u64,
    /// Answers that filled a page (not checked against the fleet).
    partial: u64,
}

impl Lat {
    /// Nearest-rank percentile.
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.ms.clone();
        v.sort_by(f64::total_cmp);
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    fn mean_rows(&self) -> f64 {
        self.rows as f64 / self.ms.len().max(1) as f64
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "n": self.ms.len(),
            "p50_ms": self.pct(0.50),
            "p90_ms": self.pct(0.90),
            "p99_ms": self.pct(0.99),
            "max_ms": self.pct(1.0),
            "mean_rows": self.mean_rows(),
            "full_pages": self.partial,
        })
    }
}

/// The SQLite file a `sqlite://` URL names.
fn sqlite_path(url: &str) -> std::path::PathBuf {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

fn file_len(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// (positions table with its indexes, every table of the store), bytes.
async fn db_size(url: &str) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    if url.starts_with("sqlite:") {
        let p = sqlite_path(url);
        let mut wal = p.clone().into_os_string();
        wal.push("-wal");
        let pool = sqlx::SqlitePool::connect(url).await?;
        // Everything into the file (the WAL may outlive the store's close by a moment).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await?;
        let total = file_len(&p) + file_len(std::path::Path::new(&wal));
        // Positions and their indexes, from SQLite's own page accounting.
        let positions = match sqlx::query(
            "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('position_blocks', 'position_blocks_seq', 'position_batches', 'vessel_cells', 'position_cells')",
        )
        .fetch_one(&pool)
        .await
        {
            Ok(r) => r.try_get::<Option<i64>, _>(0)?.unwrap_or(0) as u64,
            Err(_) => 0, // dbstat not compiled in
        };
        pool.close().await;
        Ok((positions, total))
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let positions: Option<i64> = sqlx::query(
            "SELECT SUM(pg_total_relation_size(inhrelid))::bigint FROM pg_inherits \
             WHERE inhparent = 'position_blocks'::regclass",
        )
        .fetch_one(&pool)
        .await?
        .try_get(0)?;
        let total: Option<i64> = sqlx::query(
            "SELECT SUM(pg_total_relation_size(c.oid))::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r'",
        )
        .fetch_one(&pool)
        .await?
        .try_get(0)?;
        pool.close().await;
        Ok((positions.unwrap_or(0) as u64, total.unwrap_or(0) as u64))
    }
}

/// Milliseconds of `SELECT COUNT(*) FROM position_blocks WHERE n = 0`: no
/// index applies, so every block is read (the floor any unindexed query pays).
async fn full_scan_ms(url: &str) -> Result<f64, Box<dyn std::error::Error>> {
    let sql = "SELECT COUNT(*) FROM position_blocks WHERE n = 0";
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let t = Instant::now();
        sqlx::query(sql).fetch_one(&pool).await?;
        let took = ms(t);
        pool.close().await;
        Ok(took)
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let t = Instant::now();
        sqlx::query(sql).fetch_one(&pool).await?;
        let took = ms(t);
        pool.close().await;
        Ok(took)
    }
}

/// The 1-minute load average (the machine is shared: context for the figures).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let a = Args::parse();
    let rt = tokio::runtime::Runtime::new()?;
    match (&a.replay, &a.db) {
        (Some(file), _) => replay(&rt, &a, file),
        (None, Some(url)) => rt.block_on(bench(&a, url)),
        (None, None) => Err("--db or --replay needed".into()),
    }
}

/// The replay loop of `aiswatch replay [--db]` (src/cli.rs on the main
/// branch), on this branch's write path: time from start to the writer's end.
fn replay(rt: &tokio::runtime::Runtime, a: &Args, file: &std::path::Path) -> Res<()> {
    use aiswatch_decode::{Decoded, Decoder};
    use aiswatch_engine::engine::Engine;

    let cfg = aiswatch::config::Config::default();
    let mut engine = cfg.engine(a.zones.as_deref())?;
    let started = Instant::now();
    type Writing = (
        Store,
        writer::StoreSender,
        tokio::task::JoinHandle<()>,
        Arc<WriterStats>,
    );
    let mut store: Option<Writing> = match &a.db {
        None => None,
        Some(url) => {
            let store = rt.block_on(Store::connect(url))?;
            let stats = Arc::new(WriterStats::default());
            let (sender, task) = {
                let _guard = rt.enter();
                writer::spawn(store.clone(), &cfg.storage, stats.clone(), None)
            };
            engine.record(true);
            Some((store, sender, task, stats))
        }
    };
    let source: Arc<str> = file.display().to_string().into();
    let mut alerts = 0u64;
    let mut step = |msgs: &mut Vec<Decoded>, engine: &mut Engine, now: Millis| {
        engine.ingest(&source, msgs, now);
        msgs.clear();
        let raised = engine.take_alerts();
        alerts += raised.len() as u64;
        if let Some((_, sender, _, _)) = &mut store {
            let mut batch = engine.take_records();
            batch.alerts = raised;
            rt.block_on(sender.send(batch));
        }
    };
    let input = aiswatch::replay::open_input(file)?;
    let mut dec = Decoder::new();
    let mut msgs = Vec::with_capacity(512);
    let mut now = aiswatch_core::time::now_ms();
    let mut n = 0u64;
    aiswatch::replay::for_each_line(input, |line| {
        n += 1;
        if n % 1024 == 0 {
            now = aiswatch_core::time::now_ms();
        }
        dec.feed(line, now, &mut msgs);
        if msgs.len() >= 256 {
            step(&mut msgs, &mut engine, now);
        }
    })?;
    dec.expire(Millis::MAX);
    step(&mut msgs, &mut engine, now);
    let replay_s = started.elapsed().as_secs_f64();
    let mut json = serde_json::json!({
        "replay": file.display().to_string(),
        "lines": n,
        "alerts": alerts,
        "replay_s": replay_s,
    });
    eprintln!("replay: {n} lines in {replay_s:.3} s, {alerts} alert changes");
    if let Some((store, sender, task, stats)) = store {
        drop(sender);
        rt.block_on(task)?;
        rt.block_on(store.close());
        let total_s = started.elapsed().as_secs_f64();
        let written = stats.positions_written.load(Ordering::Relaxed);
        eprintln!(
            "  stored in {}: {written} positions, {} static changes, {} alert changes; {total_s:.3} s in all ({:.0} positions/s)",
            store.url(),
            stats.statics_written.load(Ordering::Relaxed),
            stats.alerts_written.load(Ordering::Relaxed),
            written as f64 / total_s
        );
        json["db"] = store.kind().into();
        json["positions"] = written.into();
        json["total_s"] = total_s.into();
    }
    println!("JSON {json}");
    Ok(())
}

async fn bench(a: &Args, url: &str) -> Res<()> {
    if a.hours < 24.0 || a.vessels == 0 || a.positions == 0 {
        return Err("need --hours ≥ 24, --vessels > 0, --positions > 0".into());
    }
    let span_ms = (a.hours * 3_600_000.0) as Millis;

    let store = Store::connect(url).await?;
    let stored = store.last_time().await?.is_some();
    if stored != a.query_only {
        return Err(if a.query_only {
            format!(
                "{}: empty (--query-only needs a store this bench filled)",
                store.url()
            )
        } else {
            format!("{}: not empty (use a fresh file or schema)", store.url())
        }
        .into());
    }
    let streaming = a.stream && !a.query_only;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(64);
    let mut batches: Vec<Batch> = Vec::new();
    let mut generator = Some({
        let args = a.clone();
        let started = Instant::now();
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let fleet = if streaming {
                generate(&args, |b| {
                    // The receiver only goes away on a write error.
                    let _ = tx.blocking_send(b);
                })
            } else {
                drop(tx);
                generate(&args, |b| all.push(b))
            };
            (fleet, all, started.elapsed().as_secs_f64())
        })
    });
    let mut join = || {
        generator
            .take()
            .map(|g| g.join())
            .ok_or("generator joined twice")?
            .map_err(|_| "generator panicked")
    };
    let mut fleet = None;
    let mut gen_s = 0.0;
    if !streaming {
        let (f, b, s) = join()?;
        (fleet, batches, gen_s) = (Some(f), b, s);
        if a.query_only {
            batches.clear();
        }
        let f = fleet.as_ref().ok_or("no fleet")?;
        eprintln!(
            "generated {} positions of {} vessels in {gen_s:.1} s (receiver hears 1 report in {:.1})",
            f.positions, a.vessels, f.hear_one_in
        );
    }
    let kind = store.kind();
    let mut cfg = StorageConfig::default();
    if let Some(b) = a.batch_positions {
        cfg.batch_positions = b;
    }
    let (mut write_s, mut write_cpu_s, mut txs) = (0.0, 0.0, 0);
    let mut written = 0;
    if !a.query_only {
        let stats = Arc::new(WriterStats::default());
        let (mut sender, task) = writer::spawn(store.clone(), &cfg, stats.clone(), None);
        let started = Instant::now();
        let cpu0 = cpu_seconds();
        if streaming {
            while let Some(b) = rx.recv().await {
                sender.send(b).await;
            }
        } else {
            for b in std::mem::take(&mut batches) {
                sender.send(b).await;
            }
        }
        drop(sender);
        task.await?;
        write_s = started.elapsed().as_secs_f64();
        write_cpu_s = cpu_seconds() - cpu0;
        written = stats.positions_written.load(Ordering::Relaxed);
        txs = stats.transactions.load(Ordering::Relaxed);
        if streaming {
            let (f, _, s) = join()?;
            (fleet, gen_s) = (Some(f), s);
            eprintln!("generated while writing, {gen_s:.1} s on its own thread");
        }
        let want = fleet.as_ref().map_or(0, |f| f.positions);
        let errors = stats.errors.load(Ordering::Relaxed);
        if written != want || errors != 0 {
            return Err(format!("written {written} of {want} ({errors} errors)").into());
        }
    }
    let fleet = fleet.ok_or("no fleet")?;
    if a.query_only {
        written = fleet.positions;
    }
    // Closing checkpoints SQLite's WAL into the file.
    store.close().await;
    let (pos_bytes, total_bytes) = db_size(url).await?;
    let store = Store::connect(url).await?;

    let mut count_ms = Vec::new();
    let mut counted = 0;
    for _ in 0..a.baseline_runs {
        let t = Instant::now();
        counted = store.count_positions().await?;
        count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    if counted as u64 != written {
        return Err(format!("COUNT(*) {counted}, written {written}").into());
    }
    let mut scan_ms = Vec::new();
    for _ in 0..a.baseline_runs {
        scan_ms.push(full_scan_ms(url).await?);
    }

    let mut rng = Rng::new(a.seed ^ 0x0051_E7E5);
    let mut track = Lat::default();
    for _ in 0..a.queries {
        let mmsi = Mmsi(*rng.pick(&fleet.mmsis));
        let from = T0 + rng.int(0, span_ms - 86_400_000);
        let t = Instant::now();
        let rows = store
            .track(mmsi, from, from + 86_400_000, MAX_POINTS)
            .await?;
        track.ms.push(t.elapsed().as_secs_f64() * 1000.0);
        track.rows += rows.len() as u64;
        let want = fleet.track_rows(mmsi.0, from, from + 86_400_000);
        let ordered = rows.windows(2).all(|w| w[0].time <= w[1].time);
        if rows.len() != want || !ordered || rows.iter().any(|r| r.mmsi != mmsi) {
            return Err(format!(
                "track {mmsi:?} from {from}: {} rows, want {want} (ordered: {ordered})",
                rows.len()
            )
            .into());
        }
    }
    let mut boxq = Lat::default();
    for _ in 0..a.queries {
        let lon = rng.range(LON.0, LON.1 - 1.0);
        let lat = rng.range(LAT.0, LAT.1 - 1.0);
        let bbox = BBox {
            min_lon: lon,
            min_lat: lat,
            max_lon: lon + 1.0,
            max_lat: lat + 1.0,
        };
        let from = T0 + rng.int(0, span_ms - 6 * 3_600_000);
        let t = Instant::now();
        let page = store
            .positions_in(
                bbox,
                from,
                from + 6 * 3_600_000,
                None,
                MAX_POINTS,
                Points::All,
            )
            .await?;
        boxq.ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let got = page.vessels.iter().map(|v| v.points.len()).sum::<usize>();
        boxq.rows += got as u64;
        let want = fleet.box_rows(&bbox, from, from + 6 * 3_600_000);
        if page.next_cursor.is_none() && got != want {
            return Err(
                format!("positions_in {bbox:?} from {from}: {got} points, want {want}").into(),
            );
        }
        if page.next_cursor.is_some() {
            boxq.partial += 1;
        }
    }
    store.close().await;

    let rate = (!a.query_only).then(|| written as f64 / write_s);
    println!(
        "store_bench {kind}: {written} positions, {} vessels, {} h, seed {}; writer batch {} positions",
        a.vessels, a.hours, a.seed, cfg.batch_positions
    );
    if let Some(rate) = rate {
        println!(
            "  write   {write_s:>8.2} s  {rate:>10.0} positions/s  ({txs} transactions; CPU {write_cpu_s:.1} s of this process; load {})",
            loadavg()
        );
    }
    println!(
        "  size    {:>8.1} MB total, positions+indexes {:.1} MB ({:.1} bytes/position)",
        mb(total_bytes),
        mb(pos_bytes),
        pos_bytes as f64 / written as f64
    );
    let cm: Vec<String> = count_ms.iter().map(|m| format!("{m:.0}")).collect();
    let sm: Vec<String> = scan_ms.iter().map(|m| format!("{m:.0}")).collect();
    println!(
        "  baselines: COUNT(*) {} ms; full scan (COUNT(*) of blocks WHERE n = 0) {} ms",
        cm.join(" / "),
        sm.join(" / ")
    );
    println!(
        "  {:<34} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "query (ms)", "p50", "p90", "p99", "max", "mean rows"
    );
    for (name, l) in [("track 24 h", &track), ("positions_in 1°×1° 6 h", &boxq)] {
        println!(
            "  {:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>10.1}",
            name,
            l.pct(0.5),
            l.pct(0.9),
            l.pct(0.99),
            l.pct(1.0),
            l.mean_rows()
        );
    }
    println!(
        "  every answer checked against the fleet sent ({} box answers filled a page: count not checked)",
        boxq.partial
    );
    let json = serde_json::json!({
        "db": kind,
        "positions": written,
        "vessels": a.vessels,
        "hours": a.hours,
        "seed": a.seed,
        "generate_s": gen_s,
        "stream": streaming,
        "write_s": rate.map(|_| write_s),
        "write_cpu_s": rate.map(|_| write_cpu_s),
        "load": loadavg(),
        "positions_per_s": rate,
        "transactions": txs,
        "batch_positions": cfg.batch_positions,
        "db_bytes": total_bytes,
        "positions_bytes": pos_bytes,
        "count_ms": count_ms,
        "scan_ms": scan_ms,
        "track_24h": track.json(),
        "box_1deg_6h": boxq.json(),
    });
    println!("JSON {json}");
    Ok(())
}
