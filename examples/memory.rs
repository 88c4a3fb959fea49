//! Heap memory per tracked vessel, measured with a counting allocator.
//!
//! Synthetic but realistic traffic: N Class A vessels uniform over lon
//! −10..30, lat 30..60, each sending one type 5 (20-character name and
//! destination) and ~100 position reports over 3 h (one every 108 s).
//! Messages go through `Engine::ingest` in time order, in batches of 512,
//! like the daemon.
//!
//! Runs: without zones, and with detectors on one patrol zone covering the
//! whole fleet (all four detectors on: every vessel holds detector state),
//! for N = 100k and 300k. Each run is a process of its own, so that its
//! resident set is its own. Reported per vessel: live heap after ingest,
//! the same after the lazy R-tree index is built, peak heap during ingest
//! (hash-table growth doubles briefly), and the growth of the resident set
//! (`VmRSS`, allocator overhead and free pages included) from just before
//! the engine was made to after the index was built.
//!
//! ```sh
//! cargo run --release --example memory
//! ```
//!
//! Optional arguments: vessel counts (default `100000 300000`). The env var
//! `AISWATCH_MEMORY_REPORTS` changes the reports per vessel (default 100);
//! `AISWATCH_MEMORY_RUNS=tracks` or `=detectors` runs only one of the two.
//! Each row is also printed as one JSON line (prefixed `JSON `).

use std::sync::Arc;
use std::time::Instant;

use aiswatch::config::Config;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoded;
use aiswatch_engine::engine::Engine;

#[path = "common/alloc.rs"]
mod alloc;
#[path = "common/fleet.rs"]
mod fleet;

use fleet::{fleet, position, static_voyage, SPAN_MS, T0};

/// Position reports per vessel over [`SPAN_MS`]: 100 (one every 108 s)
/// unless `AISWATCH_MEMORY_REPORTS` says otherwise (1080 = every 10 s).
fn reports() -> i64 {
    std::env::var("AISWATCH_MEMORY_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(100)
}
const BATCH: usize = 512;

/// One patrol zone over the whole fleet box, every detector on.
const BIG_ZONE: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"everything","name":"Whole fleet box","kind":"patrol",
   "centre":"BENCH","detect":{"dark_period":{},"loitering":{},"rendezvous":{},"spoofing":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[-11,29],[31,29],[31,61],[-11,61],[-11,29]]]}}]}"#;

struct Row {
    label: &'static str,
    vessels: usize,
    messages: u64,
    live: usize,
    live_indexed: usize,
    peak: usize,
    rss: usize,
    secs: f64,
}

/// The process's resident set (`VmRSS`), bytes (0 where /proc is missing).
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            l.split_whitespace().nth(1)?.parse::<usize>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn run(label: &'static str, n: usize, detectors: bool) -> Row {
    let zones_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(zones_dir.path().join("big.geojson"), BIG_ZONE).expect("write zone file");
    let reports = reports();
    let step_ms = SPAN_MS / reports;
    let ships = fleet(n, 0xA15 + n as u64, step_ms);
    let stations = fleet::stations();
    let source: Arc<str> = "bench".into();
    let mut batch: Vec<Decoded> = Vec::with_capacity(BATCH);

    // Everything above is input, not engine state: count from here.
    let base = alloc::reset_peak();
    let rss_base = rss();
    let started = Instant::now();
    let cfg = Config::default();
    let mut engine: Engine = cfg
        .engine(detectors.then_some(zones_dir.path()))
        .expect("engine");
    let wall_now = T0 + SPAN_MS + 3_600_000;
    let mut alerts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut tally = |a: Vec<aiswatch_engine::alert::Alert>| {
        for a in a {
            *alerts
                .entry(format!("{:?}/{:?}", a.kind, a.state))
                .or_default() += 1;
        }
    };
    for k in 0..reports {
        for (i, s) in ships.iter().enumerate() {
            // Vessels report in turn within each step: times are ordered.
            let t = T0 + k * step_ms + (i as Millis) * step_ms / n as Millis;
            let st = &stations[s.station];
            batch.push(position(s, k, t, st));
            if k == 0 {
                batch.push(static_voyage(s, t + 1, st));
            }
            if batch.len() >= BATCH {
                engine.ingest(&source, &batch, wall_now);
                batch.clear();
                tally(engine.take_alerts());
            }
        }
    }
    engine.ingest(&source, &batch, wall_now);
    batch.clear();
    tally(engine.take_alerts());
    let secs = started.elapsed().as_secs_f64();
    let live = alloc::live() - base;
    let indexed = engine.tracks_mut().index().len();
    let live_indexed = alloc::live() - base;
    let peak = alloc::peak() - base;
    let rss = rss().saturating_sub(rss_base);
    let vessels = engine.tracks().len();
    assert_eq!(vessels, n);
    assert_eq!(indexed, n);
    eprintln!("{label} n={n}: {:?}; alerts {alerts:?}", engine.stats());
    Row {
        label,
        vessels,
        messages: engine.stats().messages,
        live,
        live_indexed,
        peak,
        rss,
        secs,
    }
}

const TRACKS: &str = "tracks only (no zones)";
const DETECTORS: &str = "detectors, 1 zone over all";

/// One run in a child process (`--one tracks|detectors N`): its row as
/// whitespace-separated numbers on stdout.
fn child(kind: &str, n: usize) {
    let r = run(
        if kind == "detectors" {
            DETECTORS
        } else {
            TRACKS
        },
        n,
        kind == "detectors",
    );
    println!(
        "{} {} {} {} {} {} {}",
        r.vessels, r.messages, r.live, r.live_indexed, r.peak, r.rss, r.secs
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [one, kind, n] = args.as_slice() {
        if one == "--one" {
            child(kind, n.parse().expect("vessel count"));
            return;
        }
    }
    let mut ns: Vec<usize> = args
        .iter()
        .map(|a| a.parse().expect("vessel count"))
        .collect();
    if ns.is_empty() {
        ns = vec![100_000, 300_000];
    }
    eprintln!(
        "{} position reports per vessel over 3 h (one every {} s), plus one type 5",
        reports(),
        SPAN_MS / reports() / 1000
    );
    eprintln!(
        "size_of: Vessel {} B, Decoded {} B",
        std::mem::size_of::<aiswatch_engine::track::Vessel>(),
        std::mem::size_of::<Decoded>(),
    );
    let mut rows = Vec::new();
    let exe = std::env::current_exe().expect("own path");
    let only = std::env::var("AISWATCH_MEMORY_RUNS").unwrap_or_default();
    for (kind, label) in [("tracks", TRACKS), ("detectors", DETECTORS)] {
        if !only.is_empty() && only != kind {
            continue;
        }
        for &n in &ns {
            let out = std::process::Command::new(&exe)
                .args(["--one", kind, &n.to_string()])
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("run the measurement");
            assert!(out.status.success(), "{label} n={n} failed");
            let f: Vec<f64> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|x| x.parse().expect("a number"))
                .collect();
            rows.push(Row {
                label,
                vessels: f[0] as usize,
                messages: f[1] as u64,
                live: f[2] as usize,
                live_indexed: f[3] as usize,
                peak: f[4] as usize,
                rss: f[5] as usize,
                secs: f[6],
            });
        }
    }
    println!();
    println!(
        "| run | vessels | messages | live B/vessel | live + index B/vessel | peak B/vessel | RSS growth B/vessel | ingest s (indicative) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let per = |b: usize| b as f64 / r.vessels as f64;
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
            r.label,
            r.vessels,
            r.messages,
            per(r.live),
            per(r.live_indexed),
            per(r.peak),
            per(r.rss),
            r.secs
        );
    }
    for r in &rows {
        let json = serde_json::json!({
            "run": r.label,
            "vessels": r.vessels,
            "messages": r.messages,
            "reports_per_vessel": reports(),
            "live_bytes": r.live,
            "live_indexed_bytes": r.live_indexed,
            "peak_bytes": r.peak,
            "rss_growth_bytes": r.rss,
            "ingest_s": r.secs,
        });
        println!("JSON {json}");
    }
}
