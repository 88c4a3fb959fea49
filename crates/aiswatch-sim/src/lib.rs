//! Scenario simulator: synthetic AIS traffic with known anomalies, for
//! tests and demos of the detectors, and a scorer for their alerts.
//!
//! [`generate`] writes into a directory:
//!
//! - `feed.nmea`: tag-blocked `!AIVDM` lines (`\s:sim-stN,c:<unix s>*hh\`),
//!   in time order except for jitter of under 3 s, with duplicates heard by
//!   several stations and ~0.5 % noise lines;
//! - `truth.jsonl`: the true events ([`TruthEvent`]) that detectors should
//!   alert on;
//! - `traps.jsonl`: situations that look alarming but must not alert;
//! - `zones/sim.geojson`: the patrol zone `sim-patrol`, port `sim-port`,
//!   closed fishing area `sim-closed` (lon 2.2–3.2, lat 3.1–3.6, inside
//!   the patrol zone) and port approach `sim-approach` (lon 4.2–4.8, lat
//!   3.75–4.05, east of the patrol zone, speed limit 18 kn).
//!
//! [`score()`] matches alerts against the truth ([`trap_hits`] says which
//! false alerts fell into a trap).
//!
//! [`generate_coverage_edge`] writes the same files for a smaller scenario
//! (`scenario/edge.rs`): two stations whose areas overlap inside
//! the same grid cells, one down for 3 h; vessels only it heard fall silent
//! (`trap_coverage_edge`), vessels the live one heard go dark (true
//! `dark_period`).
//!
//! # World
//!
//! Everything moves inside lon 1–5 E, lat 2.5–5.5 N (Gulf of Guinea).
//! `sim-patrol` is the box lon 2–4, lat 3–5; `sim-port` the box lon
//! 3.0–3.2, lat 4.75–4.95 inside it. Four stations, `sim-st1` (2.0, 4.75),
//! `sim-st2` (4.0, 4.75), `sim-st3` (2.0, 3.25) and `sim-st4` (4.0, 3.25),
//! have a range of 160 km; every point of the area is in range of at least
//! one. The nearest working station in range hears a transmission with
//! probability 97 % (never missing two of a vessel in a row), each other
//! station in range with probability 25 %: those extra copies are the
//! duplicates (same sentence, other `s:`, `c:` ± 1 s; the first copy
//! carries the true time).
//!
//! # Reporting
//!
//! Thinned from ITU-R M.1371 to keep files small: Class A every 30–60 s
//! under way and 170–190 s at ≤ 3 kn or at anchor; Class B (type 18) every
//! 27–33 s above 2 kn and 170–190 s at ≤ 2 kn. Static data every 355–365 s:
//! type 5 (two sentences, fill 2) for Class A, type 24 part A then part B
//! 2–5 s later for Class B. Under-way vessels do 8–16 kn; only scripted
//! vessels go slow, so there are no accidental events.
//!
//! # Truth times
//!
//! All truth times are report times (the `c:` of the first copy).
//! - `dark_period`: start = last report before the silence, end = first
//!   report after it (silences of 2.5–6 h inside the patrol zone; the
//!   vessel reappears 10–40 km away).
//! - `loitering`: first to last report at ≤ 2 kn (1.5–4 h of drift at
//!   0.2–1.5 kn). Each rendezvous vessel also has its own loitering event.
//! - `rendezvous`: first to last report instant at which both vessels'
//!   latest reports were ≤ 2 kn and ≤ 500 m apart (they keep 50–250 m).
//!
//! Identity changes, identity conflicts, drifting and fishing in the closed
//! area (with their traps `trap_identity_correction`, `trap_cross_current`
//! and `trap_fishing_transit`) are described in `scenario/behaviour.rs`.
//! Speeding in the port approach (with its traps `trap_speeding_just_under`,
//! `trap_speeding_short`, `trap_speeding_no_zone` and `trap_speeding_glitch`)
//! is described in `scenario/speeding.rs`.
//!
//! # Traps
//!
//! `trap_outage` (one item for the station's 3 h outage with no MMSI, one
//! per vessel silenced longer than 10 min by it), `trap_port_anchor` (per
//! anchored vessel, plus the anchored pair), `trap_fast_pass` (span within
//! 500 m), `trap_short_gap` (20–60 min), `trap_duplicates` (per vessel: span
//! of its transmissions heard twice or more), `trap_noise` (one per noise
//! line: bad checksum, truncated, or garbage).
#![forbid(unsafe_code)]

pub mod encode;
mod scenario;
pub mod score;
mod world;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use score::{read_alerts, read_truth, score, trap_hits, KindScore, Scores, TruthEvent};

use scenario::Item;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed: the same seed gives byte-identical files.
    pub seed: u64,
    /// Length of the run, hours.
    pub hours: f64,
    /// Number of vessels (scripted ones included; up to half are scripted).
    pub vessels: usize,
    /// Start of the run, Unix seconds.
    pub start_unix: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            hours: 12.0,
            vessels: 200,
            // 2026-01-01T00:00:00Z
            start_unix: 1_767_225_600,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimSummary {
    /// Lines in `feed.nmea`, noise included.
    pub lines: usize,
    /// Noise lines among them.
    pub noise_lines: usize,
    /// Lines that are extra copies heard by a second (third …) station.
    pub duplicate_lines: usize,
    /// Vessels.
    pub vessels: usize,
    /// Of which Class B.
    pub class_b_vessels: usize,
    /// True events per kind.
    pub events: BTreeMap<String, usize>,
    /// Traps per kind.
    pub traps: BTreeMap<String, usize>,
    /// Silences over 10 min explained by neither a plan nor the outage
    /// (0 unless the model is broken).
    pub unexplained_gaps: usize,
}

/// Fraction of lines that are noise.
const NOISE_RATE: f64 = 0.005;

fn to_event(it: Item, start_unix: i64) -> TruthEvent {
    let at = |t: i64| DateTime::<Utc>::from_timestamp(start_unix + t, 0).unwrap_or_default();
    let mut mmsi = it.mmsi;
    mmsi.sort_unstable();
    TruthEvent {
        kind: it.kind.to_string(),
        mmsi,
        zone: it.zone.map(str::to_owned),
        start: at(it.t0),
        end: at(it.t1),
        note: it.note,
    }
}

fn write_jsonl(path: &Path, mut items: Vec<TruthEvent>) -> io::Result<()> {
    items.sort_by(|a, b| {
        (a.start, &a.kind, &a.mmsi, a.end).cmp(&(b.start, &b.kind, &b.mmsi, b.end))
    });
    let mut w = BufWriter::new(fs::File::create(path)?);
    for it in &items {
        serde_json::to_writer(&mut w, it)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// The zone file: patrol box, port, closed area and port approach, as GeoJSON.
pub fn zones_geojson() -> String {
    let v = serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "sim-patrol",
                    "name": "Simulated patrol box (Gulf of Guinea)",
                    "kind": "patrol",
                    "centre": "SIM-CENTRE",
                    "detect": {
                        "dark_period": {"min_gap": "2h"},
                        "loitering": {"max_speed_kn": 2.0, "min_duration": "1h"},
                        "rendezvous": {"max_distance_m": 500, "max_speed_kn": 2.0, "min_duration": "2h"},
                        "identity_change": {},
                        "drifting": {"min_duration": "30m"}
                    }
                },
                "geometry": {"type": "Polygon", "coordinates": [world::PATROL.ring()]}
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "sim-port",
                    "name": "Simulated anchorage",
                    "kind": "port",
                    "centre": "SIM-CENTRE",
                    "detect": {"dark_period": {"min_gap": "2h"}}
                },
                "geometry": {"type": "Polygon", "coordinates": [world::PORT.ring()]}
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "sim-closed",
                    "name": "Simulated closed fishing area",
                    "kind": "closed_area",
                    "centre": "SIM-CENTRE",
                    "detect": {"fishing": {"min_speed_kn": 1.0, "max_speed_kn": 5.0, "min_duration": "1h"}}
                },
                "geometry": {"type": "Polygon", "coordinates": [scenario::CLOSED.ring()]}
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "sim-approach",
                    "name": "Simulated port approach",
                    "kind": "patrol",
                    "centre": "SIM-CENTRE",
                    "detect": {"speeding": {"max_speed_kn": 18.0, "min_duration": "10m"}}
                },
                "geometry": {"type": "Polygon", "coordinates": [scenario::APPROACH.ring()]}
            }
        ]
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Simulates a run and writes `feed.nmea`, `truth.jsonl`, `traps.jsonl` and
/// `zones/sim.geojson` into `out_dir` (created if missing).
///
/// # Errors
///
/// Any I/O error creating or writing the files.
pub fn generate(cfg: &SimConfig, out_dir: &Path) -> io::Result<SimSummary> {
    let mut rng = aiswatch_core::rng::Rng::new(cfg.seed);
    let mut sc = scenario::plan(cfg, &mut rng);
    let mut em = scenario::emit(&mut sc, cfg.start_unix);
    let derived = scenario::derive(&sc, &em);
    let noise = scenario::add_noise(&mut em, &mut rng, NOISE_RATE);
    em.records.sort_by_key(|r| (r.key_ms, r.idx));

    fs::create_dir_all(out_dir.join("zones"))?;
    let mut w = BufWriter::new(fs::File::create(out_dir.join("feed.nmea"))?);
    for r in &em.records {
        w.write_all(r.text.as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    fs::write(out_dir.join("zones").join("sim.geojson"), zones_geojson())?;

    let summary = SimSummary {
        lines: em.lines,
        noise_lines: noise.len(),
        duplicate_lines: em.duplicate_lines,
        vessels: sc.vessels.len(),
        class_b_vessels: sc.vessels.iter().filter(|v| v.class_b).count(),
        events: scenario::count(&derived.truth),
        traps: {
            let mut t = scenario::count(&derived.traps);
            t.extend(scenario::count(&noise));
            t
        },
        unexplained_gaps: derived.unexplained_gaps,
    };
    let conv = |v: Vec<Item>| -> Vec<TruthEvent> {
        v.into_iter().map(|i| to_event(i, cfg.start_unix)).collect()
    };
    write_jsonl(&out_dir.join("truth.jsonl"), conv(derived.truth))?;
    let mut traps = conv(derived.traps);
    traps.extend(conv(noise));
    write_jsonl(&out_dir.join("traps.jsonl"), traps)?;
    Ok(summary)
}

/// Simulates the coverage-edge scenario (see
/// `scenario/edge.rs`: two stations overlapping inside the same cells,
/// one of them down for 3 h) and writes the same files as [`generate`].
/// `cfg.vessels` is ignored (the scenario has its own 35 vessels).
///
/// # Errors
///
/// Any I/O error creating or writing the files.
pub fn generate_coverage_edge(cfg: &SimConfig, out_dir: &Path) -> io::Result<SimSummary> {
    let mut rng = aiswatch_core::rng::Rng::new(cfg.seed);
    let mut run = scenario::edge::build(cfg, &mut rng);
    run.records.sort_by_key(|r| (r.0, r.1));
    fs::create_dir_all(out_dir.join("zones"))?;
    let mut w = BufWriter::new(fs::File::create(out_dir.join("feed.nmea"))?);
    for r in &run.records {
        w.write_all(r.2.as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    fs::write(out_dir.join("zones").join("sim.geojson"), zones_geojson())?;
    let summary = SimSummary {
        lines: run.lines,
        duplicate_lines: run.duplicate_lines,
        vessels: run.vessels,
        events: scenario::count(&run.truth),
        traps: scenario::count(&run.traps),
        ..SimSummary::default()
    };
    let conv = |v: Vec<Item>| -> Vec<TruthEvent> {
        v.into_iter().map(|i| to_event(i, cfg.start_unix)).collect()
    };
    write_jsonl(&out_dir.join("truth.jsonl"), conv(run.truth))?;
    write_jsonl(&out_dir.join("traps.jsonl"), conv(run.traps))?;
    Ok(summary)
}
