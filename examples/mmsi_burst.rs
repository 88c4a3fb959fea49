//! Memory kept per MMSI after a burst of distinct MMSIs in a zone has been
//! forgotten: with 2 M distinct MMSIs inside a zone, every vessel evicted
//! from the track store must give its memory back.
//!
//! N distinct valid ship MMSIs each send `AISWATCH_BURST_REPORTS` position
//! reports (default 1, a minute apart) inside one patrol zone running every
//! detector; then one vessel keeps the clock going past `vessel_ttl` (1 h
//! here), so the engine forgets the burst. Reported: live heap (counting
//! allocator, requested sizes) and RSS before the burst, after it, and once
//! it is forgotten, per MMSI; then the same again with other MMSIs (is the
//! memory freed reused, or does it add up?).
//!
//! ```sh
//! cargo run --release --example mmsi_burst -- 2000000
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use aiswatch::config::Config;
use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoded;
use aiswatch_engine::engine::Engine;

#[path = "common/alloc.rs"]
mod alloc;
#[path = "common/fleet.rs"]
mod fleet;

use fleet::T0;
const MIN: Millis = 60_000;
const TTL: Duration = Duration::from_secs(3600);
const BATCH: usize = 512;

/// One patrol zone over the whole burst box, every detector on.
const ZONE: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"patrol","name":"Burst box","kind":"patrol",
   "centre":"BENCH","detect":{"dark_period":{},"loitering":{},"rendezvous":{},"spoofing":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[-11,29],[31,29],[31,61],[-11,61],[-11,29]]]}}]}"#;

/// Nine-digit ship MMSIs with assigned MIDs (UK 232–235): up to 4 M (two bursts of 2 M).
fn mmsi(i: usize) -> u32 {
    232_000_000 + i as u32
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Feed {
    engine: Engine,
    batch: Vec<Decoded>,
    source: Arc<str>,
    wall: Millis,
    alerts: std::collections::BTreeMap<String, usize>,
}

impl Feed {
    fn push(&mut self, d: Decoded) {
        self.batch.push(d);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.engine.ingest(&self.source, &self.batch, self.wall);
        self.batch.clear();
        for a in self.engine.take_alerts() {
            *self
                .alerts
                .entry(format!("{:?}/{:?}", a.kind, a.state))
                .or_default() += 1;
        }
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(500_000, |a| a.parse().expect("MMSI count"));
    assert!(n <= 2_000_000, "at most 2 M MMSIs a burst");
    let reports: i64 = std::env::var("AISWATCH_BURST_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("zone.geojson"), ZONE).expect("write zone file");
    let mut r = Rng::new(0xB0257);
    let places: Vec<(f64, f64)> = (0..n)
        .map(|_| (r.range(-10.0, 30.0), r.range(30.0, 60.0)))
        .collect();
    let stations: Vec<Arc<str>> = (0..50).map(|i| format!("st{i:02}").into()).collect();

    let base = alloc::live();
    let rss0 = rss_kib();
    let mut cfg = Config::default();
    cfg.engine.vessel_ttl = TTL;
    let mut feed = Feed {
        engine: cfg.engine(Some(dir.path())).expect("engine"),
        batch: Vec::with_capacity(BATCH),
        source: "bench".into(),
        wall: T0 + 10 * 3_600_000,
        alerts: Default::default(),
    };
    // Two bursts of different MMSIs, each forgotten before the next: what
    // the first leaves behind (if anything) adds up, and the second shows
    // whether the memory the first freed is reused.
    let mut rows = Vec::new();
    let mut t0 = T0;
    for round in 0..2 {
        let started = Instant::now();
        for k in 0..reports {
            for (i, &(lon, lat)) in places.iter().enumerate() {
                let t = t0 + k * MIN + i as Millis * MIN / n as Millis;
                let lon = lon + k as f64 * 0.002;
                let id = mmsi(round * n + i);
                feed.push(fleet::class_a(
                    id,
                    t,
                    (lon, lat),
                    0,
                    100,
                    900,
                    &stations[i % 50],
                ));
            }
        }
        feed.flush();
        let secs = started.elapsed().as_secs_f64();
        rows.push((
            format!("after burst {} ({secs:.1} s)", round + 1),
            feed.engine.tracks().len(),
            alloc::live() - base,
            rss_kib(),
        ));
        // One vessel keeps the clock going until the burst is forgotten.
        let end = t0 + reports * MIN + TTL.as_millis() as Millis + 5 * MIN;
        let mut t = t0 + reports * MIN;
        while t <= end {
            feed.push(fleet::class_a(
                236_000_001,
                t,
                (0.0, 45.0),
                0,
                120,
                900,
                &stations[0],
            ));
            t += 30_000;
        }
        feed.flush();
        rows.push((
            format!("burst {} forgotten (vessel_ttl)", round + 1),
            feed.engine.tracks().len(),
            alloc::live() - base,
            rss_kib(),
        ));
        t0 = end + MIN;
    }
    let peak = alloc::peak().saturating_sub(base);
    eprintln!("{:?}; alerts {:?}", feed.engine.stats(), feed.alerts);
    println!(
        "{n} MMSIs x {reports} report(s) a burst, in a zone with every detector; vessel_ttl {} s",
        TTL.as_secs()
    );
    println!("| point | vessels tracked | live heap MB | live B/MMSI | RSS MB | RSS B/MMSI |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, v, live, rss) in rows {
        println!(
            "| {label} | {v} | {:.1} | {:.0} | {:.1} | {:.0} |",
            live as f64 / 1e6,
            live as f64 / n as f64,
            rss as f64 / 1024.0,
            rss.saturating_sub(rss0) as f64 * 1024.0 / n as f64
        );
    }
    println!(
        "peak live heap {:.1} MB; RSS before the engine {:.1} MB",
        peak as f64 / 1e6,
        rss0 as f64 / 1024.0
    );
}
