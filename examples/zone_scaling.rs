//! Engine throughput against the number and shape of zones, on one fixed
//! decoded feed.
//!
//! The feed: `--vessels` vessels of the examples' fleet (`common/fleet.rs`,
//! as `examples/memory.rs`), each sending `--reports` position reports over
//! 3 h, built once as decoded values in time order.
//!
//! Each zone set tiles the same area with a √N × √N grid, one zone per grid
//! cell, so the share of reports inside a zone stays about the same at every
//! N: a `box` is the middle 80 % of its cell (5 positions, closed ring), a
//! `star` has `--star-vertices` vertices at seeded radii of 0.6–0.95 of the
//! half-cell (a jagged coastline-like outline). Every zone is a patrol zone
//! with dark period, loitering, rendezvous and spoofing on.
//!
//! For each set: the zone file is written to a temporary directory, loaded
//! as the daemon loads it (`ZoneSet::load_dir`: parse, validate, index;
//! timed, heap counted), then `--repeats` times a fresh engine on that set
//! ingests the whole feed in batches of 512 (`Engine::ingest`, alerts
//! taken after each batch); the median is reported. `none:0` is the engine
//! without zones (tracks only), the baseline.
//!
//! ```sh
//! cargo run --release --example zone_scaling -- \
//!     --set none:0 --set box:1 --set box:100 --set box:10000 --set star:1 --set star:100
//! ```
//!
//! Prints a table and one JSON line per set (prefixed `JSON `).

use std::sync::Arc;
use std::time::Instant;

use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoded;
use aiswatch_engine::detect::Detectors;
use aiswatch_engine::engine::Engine;
use clap::Parser;

#[path = "common/alloc.rs"]
mod alloc;
#[path = "common/fleet.rs"]
mod fleet;

use fleet::{LAT, LON, SPAN_MS, T0};

const BATCH: usize = 512;

#[derive(Parser, Debug)]
#[command(about = "aiswatch engine: throughput against zone count and shape")]
struct Args {
    /// Zone sets, `SHAPE:COUNT` with SHAPE `none`, `box` or `star` and COUNT
    /// a square number (1, 100, 10000, …); repeat the flag.
    #[arg(long = "set", required = true)]
    sets: Vec<String>,
    /// Vessels in the feed.
    #[arg(long, default_value_t = 10_000)]
    vessels: usize,
    /// Position reports per vessel over 3 h.
    #[arg(long, default_value_t = 100)]
    reports: i64,
    /// Vertices of each `star` zone.
    #[arg(long, default_value_t = 10_000)]
    star_vertices: usize,
    /// Timed ingests of the feed per set (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Random seed (same seed, same feed and zones).
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// The feed: position reports in time order.
fn feed(a: &Args) -> Vec<Decoded> {
    let step_ms = SPAN_MS / a.reports;
    let stations = fleet::stations();
    let ships = fleet::fleet(a.vessels, a.seed, step_ms);
    let n = ships.len() as Millis;
    let mut out = Vec::with_capacity(ships.len() * a.reports as usize);
    for k in 0..a.reports {
        for (i, s) in ships.iter().enumerate() {
            let t = T0 + k * step_ms + (i as Millis) * step_ms / n;
            out.push(fleet::position(s, k, t, &stations[s.station]));
        }
    }
    out
}

/// The ring of zone `i` of an `n`-zone grid, as `[lon, lat]` positions
/// (first = last).
fn ring(shape: &str, i: usize, side: usize, star_vertices: usize, r: &mut Rng) -> Vec<[f64; 2]> {
    let w = (LON.1 - LON.0) / side as f64;
    let h = (LAT.1 - LAT.0) / side as f64;
    let (x0, y0) = (LON.0 + (i % side) as f64 * w, LAT.0 + (i / side) as f64 * h);
    let mut ring = match shape {
        "box" => {
            let (a, b) = ([x0 + 0.1 * w, y0 + 0.1 * h], [x0 + 0.9 * w, y0 + 0.9 * h]);
            vec![a, [b[0], a[1]], b, [a[0], b[1]]]
        }
        _ => {
            let (cx, cy) = (x0 + w / 2.0, y0 + h / 2.0);
            (0..star_vertices)
                .map(|k| {
                    let (s, c) =
                        (std::f64::consts::TAU * k as f64 / star_vertices as f64).sin_cos();
                    let f = r.range(0.6, 0.95);
                    [cx + f * c * w / 2.0, cy + f * s * h / 2.0]
                })
                .collect()
        }
    };
    ring.push(ring[0]);
    ring
}

/// Writes the set's zone file into `dir`; returns (zones, vertices).
fn write_zones(dir: &std::path::Path, shape: &str, n: usize, a: &Args) -> (usize, usize) {
    let side = (n as f64).sqrt().round() as usize;
    assert_eq!(side * side, n, "zone count must be a square number");
    let mut r = Rng::new(a.seed ^ 0x2_0E5);
    let mut vertices = 0;
    let features: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let ring = ring(shape, i, side, a.star_vertices, &mut r);
            vertices += ring.len() - 1;
            serde_json::json!({
                "type": "Feature",
                "properties": {"id": format!("z{i:05}"), "kind": "patrol", "detect": {
                    "dark_period": {}, "loitering": {}, "rendezvous": {}, "spoofing": {}}},
                "geometry": {"type": "Polygon", "coordinates": [ring]}
            })
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(dir.join("zones.geojson"), fc.to_string()).expect("write zone file");
    (n, vertices)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let a = Args::parse();
    let msgs = feed(&a);
    let src: Arc<str> = "bench".into();
    let wall_now = T0 + SPAN_MS + 3_600_000;
    let cfg = aiswatch::config::Config::default();
    eprintln!(
        "feed: {} vessels, {} reports each over 3 h: {} messages",
        a.vessels,
        a.reports,
        msgs.len()
    );
    println!(
        "| zones | shape | vertices | load s | zone heap MB | in a zone | msg/s (median of {}) | min–max | alerts |",
        a.repeats
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---|---:|");
    for set in &a.sets {
        let (shape, n) = set.split_once(':').expect("SHAPE:COUNT");
        let n: usize = n.parse().expect("zone count");
        assert!(
            matches!(shape, "none" | "box" | "star"),
            "shape: none, box or star"
        );
        let tmp = tempfile::tempdir().expect("tempdir");
        let (zones, vertices) = if shape == "none" {
            (0, 0)
        } else {
            write_zones(tmp.path(), shape, n, &a)
        };
        let file_bytes = std::fs::metadata(tmp.path().join("zones.geojson")).map_or(0, |m| m.len());

        let base = alloc::reset_peak();
        let t = Instant::now();
        let set_loaded = (shape != "none").then(|| {
            aiswatch_zones::ZoneSet::load_dir(tmp.path(), aiswatch_engine::detect::SPECS)
                .expect("valid zones")
        });
        let load_s = t.elapsed().as_secs_f64();
        let zone_heap = alloc::live().saturating_sub(base);
        let load_peak = alloc::peak().saturating_sub(base);
        let inside = set_loaded.as_ref().map_or(0, |zs| {
            msgs.iter()
                .filter_map(|m| m.message.position())
                .filter(|&(lon, lat)| zs.zones_at(lon, lat).next().is_some())
                .count()
        });
        let positions = msgs
            .iter()
            .filter(|m| m.message.position().is_some())
            .count();

        let mut rates = Vec::new();
        let mut alerts = 0;
        for _ in 0..a.repeats {
            let mut engine = Engine::new(cfg.engine.clone());
            if let Some(zs) = &set_loaded {
                engine = engine.with_detectors(Detectors::new(zs.clone(), cfg.detect.clone()));
            }
            alerts = 0;
            let t = Instant::now();
            for chunk in msgs.chunks(BATCH) {
                engine.ingest(&src, chunk, wall_now);
                alerts += engine.take_alerts().len();
            }
            rates.push(msgs.len() as f64 / t.elapsed().as_secs_f64());
            assert_eq!(engine.tracks().len(), a.vessels);
        }
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
        let rate = median(rates.clone());
        let share = inside as f64 / positions.max(1) as f64;
        println!(
            "| {zones} | {shape} | {vertices} | {load_s:.3} | {:.1} | {:.0} % | {rate:.0} | {lo:.0}–{hi:.0} | {alerts} |",
            zone_heap as f64 / 1_048_576.0,
            share * 100.0
        );
        let json = serde_json::json!({
            "shape": shape,
            "zones": zones,
            "vertices": vertices,
            "vertices_per_zone": vertices.checked_div(zones).unwrap_or(0),
            "file_bytes": file_bytes,
            "load_s": load_s,
            "zone_heap_bytes": zone_heap,
            "load_peak_bytes": load_peak,
            "messages": msgs.len(),
            "vessels": a.vessels,
            "in_zone_share": share,
            "msg_per_s": rate,
            "msg_per_s_all": rates,
            "alerts": alerts,
        });
        println!("JSON {json}");
    }
}
