//! How long `POST /api/v1/zones/preview` takes: an edited zone set (the
//! patrol zone without loitering and rendezvous) and the zones in force run
//! over the raw archive's lines of a window, against a baseline in the same
//! run: one `aiswatch replay` of the same lines (one engine, zones in force).
//!
//! ```sh
//! cargo run --release --example preview_bench                  # the shipped sample (8 h, 24 h window)
//! cargo run --release --example preview_bench -- --vessels 10000 --hours 24
//! cargo run --release --example preview_bench -- --rounds 5
//! ```
//!
//! The archive is written to a temporary directory, each line received at
//! its tag block's time (what the daemon's archive holds for a live feed);
//! the simulated area is `aiswatch-sim`'s (its zones), the sample runs on
//! the shipped zones. Rounds alternate preview and replay; medians and
//! their ratio are printed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use aiswatch::preview::Previewer;
use aiswatch::storage::raw::{RawArchive, RawOptions};
use aiswatch_zones::ZoneSet;

struct Args {
    vessels: Option<usize>,
    hours: f64,
    rounds: usize,
}

fn args() -> Args {
    let mut a = Args {
        vessels: None,
        hours: 24.0,
        rounds: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--vessels" => a.vessels = Some(v.parse().expect("--vessels N")),
            "--hours" => a.hours = v.parse().expect("--hours H"),
            "--rounds" => a.rounds = v.parse().expect("--rounds N"),
            _ => panic!("unknown argument {k}"),
        }
    }
    a
}

/// A line's tag block time (`c:`, unix s), in ms.
fn tag_ms(line: &str) -> Option<i64> {
    let c = line.split("c:").nth(1)?;
    let digits: String = c.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok().map(|s| s * 1000)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The feed's lines and the zones directory.
fn input(a: &Args, scratch: &Path) -> (Vec<String>, PathBuf, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    match a.vessels {
        None => {
            use std::io::Read;
            let f = std::fs::File::open(repo.join("deploy/sample/feed.nmea.gz")).unwrap();
            let mut s = String::new();
            flate2::read::GzDecoder::new(f)
                .read_to_string(&mut s)
                .unwrap();
            let lines = s.lines().map(str::to_owned).collect();
            (lines, repo.join("zones"), "shipped sample".into())
        }
        Some(n) => {
            let cfg = aiswatch_sim::SimConfig {
                vessels: n,
                hours: a.hours,
                ..Default::default()
            };
            aiswatch_sim::generate(&cfg, scratch).unwrap();
            let text = std::fs::read_to_string(scratch.join("feed.nmea")).unwrap();
            let lines = text.lines().map(str::to_owned).collect();
            (
                lines,
                scratch.join("zones"),
                format!("simulated area, {n} vessels, {} h", a.hours),
            )
        }
    }
}

/// The zones with loitering and rendezvous taken out of every patrol zone.
fn edited(zones: &ZoneSet) -> ZoneSet {
    let features: Vec<serde_json::Value> = zones
        .zones()
        .iter()
        .map(|z| {
            let mut f: serde_json::Value = serde_json::from_str(&z.source.feature).unwrap();
            let detect = f["properties"].get_mut("detect");
            if let Some(d) = detect.and_then(|d| d.as_object_mut()) {
                d.remove("loitering");
                d.remove("rendezvous");
            }
            f
        })
        .collect();
    let text = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    ZoneSet::from_geojson(
        Path::new("edited.geojson"),
        text.as_bytes(),
        aiswatch_engine::detect::SPECS,
    )
    .unwrap()
}

fn main() {
    let a = args();
    let scratch = tempfile::tempdir().unwrap();
    let (lines, zones_dir, what) = input(&a, scratch.path());
    let zones = ZoneSet::load_dir(&zones_dir, aiswatch_engine::detect::SPECS).unwrap();
    let edit = edited(&zones);

    // The archive: each line received at its data time.
    let raw_dir = scratch.path().join("raw");
    let mut archive = RawArchive::open(&raw_dir, RawOptions::default()).unwrap();
    let mut t = 0;
    for l in &lines {
        t = tag_ms(l).unwrap_or(t).max(t);
        archive.append(t, "tcp", None, l.as_bytes()).unwrap();
    }
    archive.flush().unwrap();
    drop(archive);
    let to = t;
    let from = to - (a.hours * 3600.0 * 1000.0) as i64;
    let feed = scratch.path().join("feed-copy.nmea");
    std::fs::write(&feed, lines.join("\n") + "\n").unwrap();

    let cfg = aiswatch::config::Config::default();
    let previewer = Previewer {
        raw_dir,
        engine: cfg.engine.clone(),
        detect: cfg.detect.clone(),
    };
    let (mut preview_s, mut replay_s) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..a.rounds {
        let t0 = Instant::now();
        let out = previewer
            .run(from, to, zones.clone(), edit.clone())
            .unwrap();
        preview_s.push(t0.elapsed().as_secs_f64());
        last = Some(out);

        let t0 = Instant::now();
        let mut engine = cfg.engine(Some(&zones_dir)).unwrap();
        let mut n = 0usize;
        aiswatch::replay::replay_files(std::slice::from_ref(&feed), &mut engine, |e| {
            n += e.take_alerts().len();
        })
        .unwrap();
        replay_s.push(t0.elapsed().as_secs_f64());
    }
    let out = last.unwrap();
    let (p, r) = (median(&mut preview_s), median(&mut replay_s));
    println!(
        "{what}: {} lines in the archive, window {} h",
        lines.len(),
        a.hours
    );
    println!(
        "  preview read {} lines, {} messages; was {} alerts, would be {} alerts",
        out.lines,
        out.messages,
        out.was.len(),
        out.would_be.len()
    );
    for (k, c) in out.summary() {
        println!(
            "    {k}: was {} would be {} (added {}, removed {}, unchanged {})",
            c.was, c.would_be, c.added, c.removed, c.unchanged
        );
    }
    println!(
        "  medians of {} rounds: preview {p:.3} s, replay (baseline) {r:.3} s, ratio {:.2}",
        a.rounds,
        p / r
    );
}
