//! Pipeline benchmarks: decode, engine, spatial index, zone lookups, the
//! packing of a batch for the store, and the localisation of alert changes
//! on their way to centres.
//!
//! Every input is built (or read) once, outside the timed loops, from fixed
//! seeds. Each group has a baseline measured in the same run; quote medians
//! and ratios to it (see BENCHMARKS.md), never a single time.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-bench \
//!   cargo bench --bench pipeline -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use aiswatch::config::Config;
use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use aiswatch_decode::{sentence, Decoded, Decoder};
use aiswatch_engine::engine::Engine;
use aiswatch_engine::track::{Mmsi, PositionIndex};
use aiswatch_zones::{Zone, ZoneDetect, ZoneKind, ZoneSet};

/// 2026-01-01T00:00:00Z: arrival time of the first line.
const T0: Millis = 1_767_225_600_000;
/// The AISHub sample is three minutes of feed: arrivals are spread over that.
const SPAN_MS: Millis = 180_000;
/// Lines per batch handed to the engine (the daemon's `recv_many` size).
const BATCH: usize = 512;
/// Fleet box: lon −10..30, lat 30..60 (European waters).
const BOX: (f64, f64, f64, f64) = (-10.0, 30.0, 30.0, 60.0);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The AISHub sample: the full gpsd copy if it is there, else the 5,000-line
/// excerpt kept in the repository. Comment and blank lines are dropped.
fn aishub_lines() -> (Vec<String>, PathBuf) {
    let full = manifest_dir().join("../shared/data/ais/gpsd/aishub-ais-nmea-sample.log");
    let path = if full.exists() {
        full
    } else {
        manifest_dir().join("tests/data/aishub-5000.nmea")
    };
    let text = std::fs::read_to_string(&path).expect("AISHub sample readable");
    let lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    (lines, path)
}

fn arrivals(n: usize) -> Vec<Millis> {
    (0..n)
        .map(|i| T0 + (i as Millis) * SPAN_MS / n.max(1) as Millis)
        .collect()
}

fn decode_ours(lines: &[String], arrivals: &[Millis]) -> usize {
    let mut d = Decoder::new();
    let mut out = Vec::with_capacity(BATCH);
    let mut n = 0;
    for (chunk, times) in lines.chunks(BATCH).zip(arrivals.chunks(BATCH)) {
        for (l, &t) in chunk.iter().zip(times) {
            d.feed(l.as_bytes(), t, &mut out);
        }
        n += out.len();
        black_box(&out);
        out.clear();
    }
    n
}

fn decode_nmea_parser(lines: &[String]) -> usize {
    let mut p = nmea_parser::NmeaParser::new();
    let mut n = 0;
    for l in lines {
        if let Ok(m) = p.parse_sentence(l) {
            if !matches!(m, nmea_parser::ParsedMessage::Incomplete) {
                n += 1;
            }
            black_box(m);
        }
    }
    n
}

fn framing_only(lines: &[String]) -> usize {
    let mut n = 0;
    for l in lines {
        sentence::split_line(l.as_bytes(), |item| {
            black_box(&item);
            n += 1;
        });
    }
    n
}

fn bench_decode(c: &mut Criterion) {
    let (lines, path) = aishub_lines();
    let times = arrivals(lines.len());
    eprintln!(
        "decode: {} lines from {}; messages: ours {}, nmea-parser {}; framing items {}",
        lines.len(),
        path.display(),
        decode_ours(&lines, &times),
        decode_nmea_parser(&lines),
        framing_only(&lines),
    );
    let mut g = c.benchmark_group("decode");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("nmea_parser_0_11", |b| {
        b.iter(|| decode_nmea_parser(black_box(&lines)))
    });
    g.bench_function("aiswatch_decoder", |b| {
        b.iter(|| decode_ours(black_box(&lines), &times))
    });
    g.bench_function("framing_only", |b| {
        b.iter(|| framing_only(black_box(&lines)))
    });
    g.finish();
}

/// Decodes like the daemon (one batch of lines at a time) and ingests each batch.
fn decode_and_ingest(engine: &mut Engine, lines: &[String], arrivals: &[Millis]) -> u64 {
    let source: Arc<str> = "aishub".into();
    let wall_now = T0 + SPAN_MS;
    let mut d = Decoder::new();
    let mut out: Vec<Decoded> = Vec::with_capacity(BATCH);
    for (chunk, times) in lines.chunks(BATCH).zip(arrivals.chunks(BATCH)) {
        for (l, &t) in chunk.iter().zip(times) {
            d.feed(l.as_bytes(), t, &mut out);
        }
        engine.ingest(&source, &out, wall_now);
        out.clear();
        black_box(engine.take_alerts());
    }
    engine.stats().messages
}

fn bench_engine(c: &mut Criterion) {
    let (lines, _) = aishub_lines();
    let times = arrivals(lines.len());
    let cfg = Config::default();
    let zones_dir = manifest_dir().join("zones");
    let plain = || cfg.engine(None).expect("engine without zones");
    let with_zones = || cfg.engine(Some(&zones_dir)).expect("shipped zones load");
    {
        let mut e = with_zones();
        decode_and_ingest(&mut e, &lines, &times);
        eprintln!("engine: {:?}; vessels {}", e.stats(), e.tracks().len());
    }
    let mut g = c.benchmark_group("engine");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(lines.len() as u64));
    // A fresh engine (and decoder) per iteration: built in setup, not timed.
    g.bench_function("decode_ingest_no_zones", |b| {
        b.iter_batched(
            plain,
            |mut e| decode_and_ingest(&mut e, &lines, &times),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode_ingest_detectors_shipped_zones", |b| {
        b.iter_batched(
            with_zones,
            |mut e| decode_and_ingest(&mut e, &lines, &times),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// `n` vessels uniform over [`BOX`], seeded.
fn fleet(n: usize, seed: u64) -> Vec<(Mmsi, f64, f64)> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|i| {
            (
                Mmsi(200_000_000 + i as u32),
                r.range(BOX.0, BOX.2),
                r.range(BOX.1, BOX.3),
            )
        })
        .collect()
}

/// Query centres inside [`BOX`], away from its edges.
fn centres(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            (
                r.range(BOX.0 + 1.0, BOX.2 - 1.0),
                r.range(BOX.1 + 1.0, BOX.3 - 1.0),
            )
        })
        .collect()
}

type Entry = GeomWithData<[f64; 2], u32>;

fn bench_index(c: &mut Criterion) {
    let queries = centres(1_000, 7);
    let mut g = c.benchmark_group("index");
    g.sampling_mode(SamplingMode::Flat);
    for n in [10_000usize, 100_000] {
        let pts = fleet(n, 42 + n as u64);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("bulk_load_rebuild", n), &pts, |b, pts| {
            b.iter(|| PositionIndex::build(black_box(pts).iter().copied()))
        });

        // The alternative design: keep an R-tree in step with every report
        // (remove the old point, insert the new). One iteration moves every
        // vessel once by up to ~0.005° (a minute at ~15 kn); the moves
        // alternate sign, so the fleet stays in its box.
        let mut r = Rng::new(99 + n as u64);
        let deltas: Vec<[f64; 2]> = (0..n)
            .map(|_| [r.range(-0.005, 0.005), r.range(-0.005, 0.005)])
            .collect();
        g.bench_with_input(
            BenchmarkId::new("rtree_remove_insert_per_update", n),
            &pts,
            |b, pts| {
                let mut pos: Vec<[f64; 2]> = pts.iter().map(|&(_, x, y)| [x, y]).collect();
                let mut tree: RTree<Entry> = RTree::bulk_load(
                    pos.iter()
                        .enumerate()
                        .map(|(i, p)| GeomWithData::new(*p, i as u32))
                        .collect(),
                );
                let mut sign = 1.0;
                b.iter(|| {
                    for (i, (p, d)) in pos.iter_mut().zip(&deltas).enumerate() {
                        let id = i as u32;
                        let removed = tree.remove(&GeomWithData::new(*p, id));
                        debug_assert!(removed.is_some());
                        black_box(removed);
                        *p = [p[0] + sign * d[0], p[1] + sign * d[1]];
                        tree.insert(GeomWithData::new(*p, id));
                    }
                    sign = -sign;
                })
            },
        );

        let idx = PositionIndex::build(pts.iter().copied());
        let hits_bbox: usize = queries
            .iter()
            .map(|&(x, y)| idx.in_bbox(x - 0.5, y - 0.5, x + 0.5, y + 0.5).len())
            .sum();
        let hits_radius: usize = queries
            .iter()
            .map(|&(x, y)| idx.within(x, y, 50_000.0).len())
            .sum();
        eprintln!(
            "index n={n}: mean hits per query: 1°x1° bbox {:.1}, 50 km radius {:.1}",
            hits_bbox as f64 / queries.len() as f64,
            hits_radius as f64 / queries.len() as f64
        );
        g.throughput(Throughput::Elements(queries.len() as u64));
        g.bench_with_input(BenchmarkId::new("query_bbox_1deg", n), &idx, |b, idx| {
            b.iter(|| {
                let mut k = 0;
                for &(x, y) in &queries {
                    k += idx.in_bbox(x - 0.5, y - 0.5, x + 0.5, y + 0.5).len();
                }
                k
            })
        });
        g.bench_with_input(BenchmarkId::new("query_radius_50km", n), &idx, |b, idx| {
            b.iter(|| {
                let mut k = 0;
                for &(x, y) in &queries {
                    k += idx.within(x, y, 50_000.0).len();
                }
                k
            })
        });
    }
    g.finish();
}

/// 300 zones of 2,000 vertices: star-shaped polygons (strictly increasing
/// angle, so always simple), one per 2°×2° cell of [`BOX`].
fn synthetic_zones(seed: u64) -> ZoneSet {
    const VERTS: usize = 2_000;
    let mut r = Rng::new(seed);
    let mut zones = Vec::new();
    for row in 0..15 {
        for col in 0..20 {
            let cx = BOX.0 + 1.0 + 2.0 * f64::from(col);
            let cy = BOX.1 + 1.0 + 2.0 * f64::from(row);
            let ring: Vec<(f64, f64)> = (0..VERTS)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / VERTS as f64;
                    let rad = r.range(0.6, 0.95);
                    (cx + rad * a.cos(), cy + rad * a.sin())
                })
                .collect();
            let id = zones.len();
            zones.push(Zone {
                id: format!("z{id:03}").into(),
                name: None,
                kind: ZoneKind::Patrol,
                centres: vec![aiswatch_core::ids::CentreId::from("BENCH")],
                detect: ZoneDetect::default(),
                geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring.into(), vec![])]),
                source_file: Path::new("synthetic.geojson").to_path_buf(),
                feature_index: id,
                source: Default::default(),
            });
        }
    }
    ZoneSet::from_zones(zones).expect("synthetic zones are valid")
}

fn count_zone_hits(zones: &ZoneSet, pts: &[(f64, f64)]) -> usize {
    pts.iter().map(|&(x, y)| zones.zones_at(x, y).count()).sum()
}

fn bench_zones(c: &mut Criterion) {
    let shipped = ZoneSet::load_dir(
        &manifest_dir().join("zones"),
        aiswatch_engine::detect::SPECS,
    )
    .expect("shipped zones load");
    let synthetic = synthetic_zones(3);
    // Shipped zones lie in lon 0..110, lat −30..20: sample a box around them.
    let mut r = Rng::new(11);
    let pts_shipped: Vec<(f64, f64)> = (0..100_000)
        .map(|_| (r.range(-10.0, 110.0), r.range(-30.0, 30.0)))
        .collect();
    let mut r = Rng::new(12);
    let pts_box: Vec<(f64, f64)> = (0..100_000)
        .map(|_| (r.range(BOX.0, BOX.2), r.range(BOX.1, BOX.3)))
        .collect();
    eprintln!(
        "zones: shipped {} zones, {} hits / 100k points; synthetic {} zones, {} hits / 100k points",
        shipped.len(),
        count_zone_hits(&shipped, &pts_shipped),
        synthetic.len(),
        count_zone_hits(&synthetic, &pts_box),
    );
    let mut g = c.benchmark_group("zones");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("zones_at_shipped", |b| {
        b.iter(|| count_zone_hits(&shipped, black_box(&pts_shipped)))
    });
    g.bench_function("zones_at_300x2000", |b| {
        b.iter(|| count_zone_hits(&synthetic, black_box(&pts_box)))
    });
    g.finish();
}

/// The alert changes of the shipped sample on the shipped zones, as the
/// store keeps them (one JSON text each).
fn sample_changes() -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("feed.nmea");
    let mut text = String::new();
    let gz = std::fs::File::open(manifest_dir().join("deploy/sample/feed.nmea.gz"))
        .expect("shipped sample");
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut text)
        .expect("sample decompresses");
    std::fs::write(&feed, text).expect("temp feed");
    let mut engine = Config::default()
        .engine(Some(&manifest_dir().join("zones")))
        .expect("shipped zones load");
    let mut out = Vec::new();
    aiswatch::replay::replay_files(&[feed], &mut engine, |e| {
        out.extend(e.take_alerts().iter().map(|a| a.to_json()));
    })
    .expect("replay");
    out
}

/// What localising costs a delivery: each change's JSON with its summary
/// rendered in a centre's language, against handing on the stored text
/// (what an administrator's read does).
fn bench_localize(c: &mut Criterion) {
    let changes = sample_changes();
    let mut g = c.benchmark_group("localize");
    g.throughput(Throughput::Elements(changes.len() as u64));
    g.bench_function("stored_text", |b| {
        b.iter(|| {
            changes
                .iter()
                .map(|j| black_box(j.clone()).len())
                .sum::<usize>()
        })
    });
    for lang in ["en", "fr", "pt"] {
        g.bench_function(BenchmarkId::new("alert_json", lang), |b| {
            b.iter(|| {
                changes
                    .iter()
                    .map(|j| black_box(aiswatch::localize::alert_json(j, lang)).len())
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

/// A transaction's worth of the engine's records (the store's default
/// `batch_positions`, 50,000) from a simulated feed of 2,000 vessels: every
/// line unique, as in `scripts/bench_storage.py`.
fn engine_batch() -> aiswatch::storage::Batch {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sim = aiswatch_sim::SimConfig {
        seed: 7,
        hours: 1.0,
        vessels: 2_000,
        ..Default::default()
    };
    aiswatch_sim::generate(&sim, dir.path()).expect("simulated feed written");
    let text = std::fs::read_to_string(dir.path().join("feed.nmea")).expect("feed readable");
    let mut engine = Config::default().engine(None).expect("engine");
    engine.record(true);
    let source: Arc<str> = "sim".into();
    let mut d = Decoder::new();
    let mut out: Vec<Decoded> = Vec::with_capacity(BATCH);
    let lines: Vec<&str> = text.lines().collect();
    // Times come from the lines' tag blocks; the clock reads past the feed's
    // end (reports from the future are rejected).
    let now = T0 + 86_400_000;
    for chunk in lines.chunks(BATCH) {
        for l in chunk {
            d.feed(l.as_bytes(), now, &mut out);
        }
        engine.ingest(&source, &out, now);
        out.clear();
        if engine.recorded_positions() >= 50_000 {
            break;
        }
    }
    engine.take_records()
}

fn bench_prepare(c: &mut Criterion) {
    let batch = engine_batch();
    eprintln!(
        "store: a batch of {} positions, {} static changes, {} messages heard",
        batch.positions.len(),
        batch.statics.len(),
        batch.heard.len()
    );
    let mut g = c.benchmark_group("store");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(batch.positions.len() as u64));
    // The copy handed to each iteration is made in setup, not timed.
    g.bench_function("prepare_batch_50k", |b| {
        b.iter_batched(
            || batch.clone(),
            aiswatch::storage::Prepared::new,
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_decode, bench_engine, bench_index, bench_zones, bench_prepare, bench_localize
}
criterion_main!(benches);
