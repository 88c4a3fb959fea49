//! Exporting the evidence of a rendezvous (two vessels)
//! over a 24 h window with 10 M positions stored.
//!
//! ```sh
//! cargo run --release --example evidence_bench -- --dir /tmp/eb --positions 10000000
//! ```
//!
//! 1. Fill (not timed; skipped when `--dir` already holds a filled
//!    installation): a seeded fleet of `--vessels` over `--hours` (48 h),
//!    vessels 0 and 1 lying together, each report encoded as a tag-blocked
//!    `!AIVDM` line (`sim::encode`), received 2 s after its event time,
//!    appended to the raw archive (`<dir>/raw`, default 64 MiB segments),
//!    decoded with the project's decoder and stored through the daemon's
//!    writer (SQLite, `<dir>/store.db`). A rendezvous alert of vessels 0 and
//!    1 from hour 14 to hour 34 is stored: with the default 2 h margin the
//!    window is hour 12 to hour 36, 24 h.
//! 2. `--runs` times, in turn: the export (`evidence::export` + the zip, as
//!    `aiswatch evidence` does, with the store and archive opened once)
//!    and the baseline: reading every segment file's bytes (`fs::read`).
//!    Medians and their ratio; segments scanned of the total; raw lines.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use aiswatch::evidence::{self, ExportContext};
use aiswatch::storage::raw::{RawArchive, RawOptions};
use aiswatch::storage::writer::{self, WriterStats};
use aiswatch::storage::{Batch, PositionRow, Store};
use aiswatch::storage::{Scope, StorageConfig};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoder;
use aiswatch_engine::alert::{Alert, Details, Kind, State};
use aiswatch_engine::detect::rendezvous;
use aiswatch_sim::encode::{self, PositionA};
use clap::Parser;

/// 2024-03-10T00:00:00Z.
const T0: Millis = 1_710_028_800_000;
const HOUR: Millis = 3_600_000;

#[derive(Parser, Debug)]
#[command(about = "aiswatch evidence export time with many positions stored")]
struct Args {
    /// Working directory (created): store, raw archive, zones, key.
    #[arg(long)]
    dir: PathBuf,
    /// Positions to store.
    #[arg(long, default_value_t = 10_000_000)]
    positions: u64,
    /// Vessels.
    #[arg(long, default_value_t = 20_000)]
    vessels: u32,
    /// Span of event time, hours (≥ 36).
    #[arg(long, default_value_t = 48)]
    hours: i64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Timed runs of each.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

const ZONES: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"bench","name":"Bench box","kind":"patrol","detect":{"rendezvous":{}}},"geometry":{"type":"Polygon","coordinates":[[[0,-10],[20,-10],[20,10],[0,10],[0,-10]]]}}]}"#;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn fill(a: &Args, store: &Store) -> anyhow::Result<()> {
    let mut rng = Rng::new(a.seed);
    let span = a.hours * HOUR;
    let every = (u64::from(a.vessels) * span as u64 / a.positions.max(1)) as Millis;
    let mut state: Vec<(f64, f64, f64, f64)> = (0..a.vessels)
        .map(|i| {
            if i < 2 {
                (10.0 + f64::from(i) * 0.001, 0.0, 0.3, 90.0)
            } else {
                (
                    rng.range(0.0, 20.0),
                    rng.range(-10.0, 10.0),
                    rng.range(0.0, 20.0),
                    rng.range(0.0, 360.0),
                )
            }
        })
        .collect();
    let mut heap: BinaryHeap<Reverse<(Millis, u32)>> = (0..a.vessels)
        .map(|i| Reverse((T0 + (rng.range(0.0, every as f64)) as Millis, i)))
        .collect();
    let mut archive = RawArchive::open(a.dir.join("raw"), RawOptions::default())?;
    let stats = Arc::new(WriterStats::default());
    let (mut sender, task) = writer::spawn(store.clone(), &StorageConfig::default(), stats, None);
    let source: Arc<str> = "udp".into();
    let mut dec = Decoder::new();
    let mut out = Vec::new();
    let mut batch = Vec::with_capacity(512);
    let mut n = 0u64;
    let started = Instant::now();
    while let Some(Reverse((t, i))) = heap.pop() {
        if t >= T0 + span {
            continue;
        }
        let v = &mut state[i as usize];
        let dt = every as f64 / 1000.0;
        let nm = v.2 * dt / 3600.0;
        v.1 = (v.1 + nm * v.3.to_radians().cos() / 60.0).clamp(-10.0, 10.0);
        v.0 = (v.0 + nm * v.3.to_radians().sin() / 60.0).clamp(0.0, 20.0);
        let p = PositionA {
            mmsi: 200_000_000 + i,
            status: 0,
            sog_kn: v.2,
            lon: v.0,
            lat: v.1,
            cog: v.3,
            heading: v.3 as u16 % 360,
            second: ((t / 1000) % 60) as u8,
            radio: 0,
        };
        let station = if i % 2 == 0 { "st-1" } else { "st-2" };
        for line in encode::tagged_lines(&encode::type1(&p), 0, 'A', station, t / 1000) {
            let rx = t + 2000;
            archive.append(rx, "udp", None, line.as_bytes())?;
            out.clear();
            dec.feed(line.as_bytes(), rx, &mut out);
            for d in &out {
                if let Some(mut row) = PositionRow::of(&source, d) {
                    n += 1;
                    row.seq = n;
                    batch.push(row);
                }
            }
        }
        if batch.len() >= 512 {
            sender
                .send(Batch {
                    positions: std::mem::take(&mut batch),
                    ..Batch::default()
                })
                .await;
        }
        heap.push(Reverse((t + every, i)));
    }
    let (start, end) = (T0 + 14 * HOUR, T0 + 34 * HOUR);
    let mmsi = vec![Mmsi(200_000_000), Mmsi(200_000_001)];
    let alerts = [(State::Open, start + 2 * HOUR), (State::Closed, end)]
        .into_iter()
        .map(|(state, at)| Alert {
            id: Alert::make_id(Kind::Rendezvous, "bench", &mmsi, start),
            kind: Kind::Rendezvous,
            state,
            mmsi: mmsi.clone(),
            zone: "bench".into(),
            zone_name: Some("Bench box".into()),
            zone_version: None,
            centre: vec![],
            at,
            started_at: start,
            ended_at: (state == State::Closed).then_some(end),
            lat: 0.0,
            lon: 10.0,
            vessels: vec![],
            summary: "Vessels 0 and 1 together".into(),
            message: None,
            details: Details::Rendezvous(rendezvous::Details {
                max_distance_m: Some(500.0),
                ..Default::default()
            }),
        })
        .collect();
    sender
        .send(Batch {
            positions: batch,
            alerts,
            ..Batch::default()
        })
        .await;
    drop(sender);
    task.await?;
    archive.flush()?;
    std::fs::create_dir_all(a.dir.join("zones"))?;
    std::fs::write(a.dir.join("zones/bench.geojson"), ZONES)?;
    std::fs::write(a.dir.join("filled"), format!("{n}\n"))?;
    eprintln!(
        "filled: {n} positions stored, {} lines archived in {:.0} s",
        archive.next_seq() - 1,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn read_all(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for s in aiswatch::storage::raw::segments(dir)? {
        total += std::fs::read(&s.path)?.len() as u64;
    }
    Ok(total)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    anyhow::ensure!(a.hours >= 36, "--hours must be at least 36");
    std::fs::create_dir_all(&a.dir)?;
    let url = format!("sqlite://{}", a.dir.join("store.db").display());
    let store = Store::connect(&url).await?;
    if !a.dir.join("filled").exists() {
        fill(&a, &store).await?;
    }
    let zones =
        aiswatch_zones::ZoneSet::load_dir(&a.dir.join("zones"), aiswatch_engine::detect::SPECS)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (key, _) = evidence::key::load_or_create(&a.dir)?;
    let ctx = ExportContext {
        store: store.clone(),
        raw_dir: a.dir.join("raw"),
        raw_writer: aiswatch::evidence::ArchiveWriter::None,
        key: Arc::new(key),
        zones: Arc::new(zones),
        defaults: aiswatch::config::Config::default().detect.defaults,
        config_sha256: evidence::sha256_hex(b""),
        config_file: None,
        margin_ms: evidence::DEFAULT_MARGIN_MS,
    };
    let id = Alert::make_id(
        Kind::Rendezvous,
        "bench",
        &[Mmsi(200_000_000), Mmsi(200_000_001)],
        T0 + 14 * HOUR,
    );
    let stored = store.count_positions().await?;
    let (mut export_s, mut read_s) = (Vec::new(), Vec::new());
    let mut last = None;
    for run in 0..a.runs {
        let t = Instant::now();
        let bytes = read_all(&ctx.raw_dir)?;
        read_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let b = evidence::export(&ctx, &id, &Scope::Admin).await?;
        let zip = b.to_zip()?;
        export_s.push(t.elapsed().as_secs_f64());
        eprintln!(
            "run {run}: export {:.3} s ({} bytes zip), read archive {:.3} s ({bytes} bytes)",
            export_s[run],
            zip.len(),
            read_s[run]
        );
        last = Some((b, zip.len(), bytes));
    }
    let (b, zip_len, archive_bytes) = last.ok_or_else(|| anyhow::anyhow!("--runs 0"))?;
    let m = evidence::verify(&b, None)
        .manifest
        .ok_or_else(|| anyhow::anyhow!("bundle does not verify"))?;
    let (e, r) = (median(&mut export_s), median(&mut read_s));
    println!("| stored positions | archive | window | raw lines | segments scanned | export median | read-archive baseline median | ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {stored} | {:.0} MB | {} h | {} | {} of {} | {e:.3} s | {r:.3} s | {:.2} |",
        archive_bytes as f64 / 1e6,
        (m.window.to_ms - m.window.from_ms) / HOUR,
        m.raw_lines.len(),
        m.archive.segments_scanned,
        m.archive.segments_total,
        e / r
    );
    println!(
        "JSON {}",
        serde_json::json!({
            "positions": stored, "archive_bytes": archive_bytes, "zip_bytes": zip_len,
            "raw_lines": m.raw_lines.len(), "segments_scanned": m.archive.segments_scanned,
            "segments_total": m.archive.segments_total, "export_median_s": e,
            "read_archive_median_s": r, "export_s": export_s, "read_s": read_s,
        })
    );
    store.close().await;
    Ok(())
}
