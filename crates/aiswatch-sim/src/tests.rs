//! Whole-scenario tests: files decode, truth is complete and consistent
//! with the feed, and output is deterministic.

use std::collections::HashMap;
use std::path::Path;

use super::*;
use aiswatch_decode::{Decoded, Decoder};
use aiswatch_zones::ZoneSet;

fn decode_file(path: &Path) -> (Vec<Decoded>, aiswatch_decode::DecodeStats) {
    let text = fs::read_to_string(path).unwrap();
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for line in text.lines() {
        d.feed(line.as_bytes(), 0, &mut out);
    }
    (out, d.take_stats())
}

#[test]
fn zone_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sim.geojson"), zones_geojson()).unwrap();
    let zs = ZoneSet::load_dir(dir.path(), aiswatch_engine::detect::SPECS)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(zs.len(), 4);
    let approach = zs.get("sim-approach").unwrap();
    assert!(approach.detect.runs("speeding"));
    assert!(aiswatch_engine::detect::SPECS
        .iter()
        .all(|s| s.name == "speeding" || !approach.detect.runs(s.name)));
    assert!(!zs.get("sim-patrol").unwrap().detect.runs("speeding"));
    assert_eq!(
        zs.zones_at(4.5, 3.9)
            .map(|z| z.id.as_str())
            .collect::<Vec<_>>(),
        vec!["sim-approach"]
    );
    let closed = zs.get("sim-closed").unwrap();
    assert_eq!(closed.kind, aiswatch_zones::ZoneKind::ClosedArea);
    assert!(closed.detect.runs("fishing"));
    let patrol = zs.get("sim-patrol").unwrap();
    assert!(!patrol.is_port());
    assert!(patrol.detect.runs("dark_period"));
    assert!(patrol.detect.runs("loitering"));
    assert!(patrol.detect.runs("rendezvous"));
    assert_eq!(
        patrol.centres,
        vec![aiswatch_core::ids::CentreId::from("SIM-CENTRE")]
    );
    assert!(zs.get("sim-port").unwrap().is_port());
    assert!(zs.is_port(3.1, 4.85));
    assert!(!zs.is_port(3.1, 4.5));
    assert_eq!(
        zs.zones_at(3.1, 4.5).next().map(|z| z.id.as_str()),
        Some("sim-patrol")
    );
}

#[test]
fn same_seed_same_bytes() {
    let cfg = SimConfig {
        seed: 7,
        hours: 5.0,
        vessels: 50,
        ..SimConfig::default()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sa = generate(&cfg, a.path()).unwrap();
    let sb = generate(&cfg, b.path()).unwrap();
    assert_eq!(sa, sb);
    for f in [
        "feed.nmea",
        "truth.jsonl",
        "traps.jsonl",
        "zones/sim.geojson",
    ] {
        let (x, y) = (
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
        );
        assert!(!x.is_empty(), "{f} empty");
        assert!(x == y, "{f} differs");
    }
    let other = tempfile::tempdir().unwrap();
    generate(&SimConfig { seed: 8, ..cfg }, other.path()).unwrap();
    assert_ne!(
        fs::read(a.path().join("feed.nmea")).unwrap(),
        fs::read(other.path().join("feed.nmea")).unwrap()
    );
}

#[test]
fn tiny_runs_do_not_panic() {
    for (hours, vessels) in [(0.0, 0), (0.5, 3), (1.0, 1), (3.0, 10)] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SimConfig {
            hours,
            vessels,
            ..SimConfig::default()
        };
        let s = generate(&cfg, dir.path()).unwrap();
        assert_eq!(s.vessels, vessels);
        assert_eq!(s.unexplained_gaps, 0);
    }
}

/// A decoded position: (time ms, lon, lat, sog).
type Fix = (i64, f64, f64, f64);

#[test]
fn default_scenario_is_complete_and_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig::default();
    let s = generate(&cfg, dir.path()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&s).unwrap());
    assert_eq!(s.vessels, 200);
    assert_eq!(s.unexplained_gaps, 0);
    for k in [
        "dark_period",
        "loitering",
        "rendezvous",
        "identity_change",
        "fishing",
        "drifting",
        "speeding",
    ] {
        assert!(
            s.events.get(k).copied().unwrap_or(0) >= 5,
            "{k}: {:?}",
            s.events
        );
    }
    for k in [
        "trap_outage",
        "trap_port_anchor",
        "trap_fast_pass",
        "trap_short_gap",
        "trap_duplicates",
        "trap_noise",
        "trap_identity_correction",
        "trap_cross_current",
        "trap_fishing_transit",
        "trap_speeding_just_under",
        "trap_speeding_short",
        "trap_speeding_no_zone",
        "trap_speeding_glitch",
    ] {
        assert!(
            s.traps.get(k).copied().unwrap_or(0) >= 1,
            "{k}: {:?}",
            s.traps
        );
    }
    // Outage silences at least one vessel beyond the 2 h dark threshold.
    let traps = read_truth(&dir.path().join("traps.jsonl")).unwrap();
    assert!(traps.iter().any(|t| t.kind == "trap_outage"
        && !t.mmsi.is_empty()
        && (t.end - t.start).num_seconds() > 2 * 3600));

    // Every line but the noise decodes.
    let (decoded, stats) = decode_file(&dir.path().join("feed.nmea"));
    assert_eq!(stats.lines as usize, s.lines);
    assert_eq!(stats.rejects_total() as usize, s.noise_lines, "{stats:?}");
    assert!(s.noise_lines * 1000 >= s.lines * 4 && s.noise_lines * 1000 <= s.lines * 6);
    for t in [1, 5, 18, 24] {
        assert!(stats.by_type[t] > 0, "no type {t}");
    }
    // Time order, up to 3 s of jitter.
    let mut max_t = i64::MIN;
    for d in &decoded {
        assert!(
            d.time >= max_t.saturating_sub(3000),
            "out of order: {} ms",
            d.time
        );
        max_t = max_t.max(d.time);
        assert!(d
            .station
            .as_deref()
            .is_some_and(|s| s.starts_with("sim-st")));
    }

    // Per-vessel positions, duplicates collapsed as the engine does.
    let mut seen: HashMap<u64, i64> = HashMap::new();
    let mut fixes: HashMap<u32, Vec<Fix>> = HashMap::new();
    for d in &decoded {
        if let Some(&t) = seen.get(&d.payload_hash) {
            if (d.time - t).abs() <= 30_000 {
                continue;
            }
        }
        seen.insert(d.payload_hash, d.time);
        if let (Some((lon, lat)), Some(sog)) = (d.message.position(), d.message.speed_kn()) {
            fixes
                .entry(d.message.mmsi)
                .or_default()
                .push((d.time, lon, lat, sog));
        }
    }
    for f in fixes.values_mut() {
        f.sort_by_key(|x| x.0);
    }
    let zones =
        ZoneSet::load_dir(&dir.path().join("zones"), aiswatch_engine::detect::SPECS).unwrap();
    let in_patrol = |lon: f64, lat: f64| {
        zones.zones_at(lon, lat).any(|z| z.id == "sim-patrol") && !zones.is_port(lon, lat)
    };

    let truth = read_truth(&dir.path().join("truth.jsonl")).unwrap();
    let ms = |t: &chrono::DateTime<Utc>| t.timestamp_millis();
    for t in &truth {
        let zone = match t.kind.as_str() {
            "fishing" => "sim-closed",
            "speeding" => "sim-approach",
            _ => "sim-patrol",
        };
        assert_eq!(t.zone.as_deref(), Some(zone));
        let (t0, t1) = (ms(&t.start), ms(&t.end));
        match t.kind.as_str() {
            "dark_period" => {
                let f = &fixes[&t.mmsi[0]];
                assert!(t1 - t0 >= 2 * 3_600_000);
                // The engine keeps whichever copy comes first: ± 1 s.
                let near = |a: i64, b: i64| (a - b).abs() <= 1000;
                assert!(f.iter().any(|x| near(x.0, t0)) && f.iter().any(|x| near(x.0, t1)));
                assert!(
                    !f.iter().any(|x| x.0 > t0 + 1000 && x.0 < t1 - 1000),
                    "{t:?}"
                );
                let last = f.iter().find(|x| near(x.0, t0)).unwrap();
                assert!(in_patrol(last.1, last.2));
            }
            "loitering" => {
                assert!(t1 - t0 >= 3_600_000, "{t:?}");
                let f = fixes[&t.mmsi[0]].iter();
                for x in f.filter(|x| x.0 > t0 + 1000 && x.0 < t1 - 1000) {
                    assert!(x.3 <= 2.0 && in_patrol(x.1, x.2), "{t:?} {x:?}");
                }
            }
            "rendezvous" => {
                assert_eq!(t.mmsi.len(), 2);
                assert!(t1 - t0 >= 2 * 3_600_000, "{t:?}");
            }
            "identity_change" => assert!(t1 >= t0, "{t:?}"),
            "drifting" => {
                assert!(t1 - t0 >= 50 * 60_000, "{t:?}");
                let f = fixes[&t.mmsi[0]].iter();
                for x in f.filter(|x| x.0 >= t0 && x.0 <= t1) {
                    assert!(x.3 > 2.5 && in_patrol(x.1, x.2), "{t:?} {x:?}");
                }
            }
            "fishing" => {
                assert!(t1 - t0 >= 90 * 60_000, "{t:?}");
                let f = fixes[&t.mmsi[0]].iter();
                for x in f.filter(|x| x.0 >= t0 && x.0 <= t1) {
                    assert!(x.3 > 2.5 && x.3 <= 5.0, "{t:?} {x:?}");
                    assert!(zones.zones_at(x.1, x.2).any(|z| z.id == "sim-closed"));
                }
            }
            "speeding" => {
                assert!(t1 - t0 >= 15 * 60_000, "{t:?}");
                let f = fixes[&t.mmsi[0]].iter();
                for x in f.filter(|x| x.0 >= t0 && x.0 <= t1) {
                    assert!(x.3 >= 19.5 && x.3 <= 24.5, "{t:?} {x:?}");
                    assert!(zones.zones_at(x.1, x.2).any(|z| z.id == "sim-approach"));
                }
            }
            k => panic!("unexpected kind {k}"),
        }
    }

    // No accidental events: every slow fix in the patrol zone belongs to a
    // loitering truth; every silence over 2 h in it is a dark period or the outage.
    let spans = |kind: &str, m: u32| -> Vec<(i64, i64)> {
        truth
            .iter()
            .chain(&traps)
            .filter(|t| t.kind == kind && t.mmsi == [m])
            .map(|t| (ms(&t.start), ms(&t.end)))
            .collect()
    };
    for (&m, f) in &fixes {
        let loiter = spans("loitering", m);
        for x in f.iter().filter(|x| x.3 <= 2.0 && in_patrol(x.1, x.2)) {
            assert!(
                loiter
                    .iter()
                    .any(|&(a, b)| x.0 >= a - 1000 && x.0 <= b + 1000),
                "{m} slow at {x:?} outside any truth"
            );
        }
        let mut dark = spans("dark_period", m);
        dark.extend(spans("trap_outage", m));
        for w in f.windows(2) {
            if w[1].0 - w[0].0 > 2 * 3_600_000 && in_patrol(w[0].1, w[0].2) {
                let explained = dark
                    .iter()
                    .any(|&(a, b)| (a - w[0].0).abs() <= 1000 && (b - w[1].0).abs() <= 1000);
                assert!(explained, "{m}: unexplained gap {w:?}");
            }
        }
    }

    // No accidental speeding: every fix over the approach's limit belongs
    // to a speeding truth or a short burst, and only glitch traps report
    // over 50 kn.
    for (&m, f) in &fixes {
        let mut fast = spans("speeding", m);
        fast.extend(spans("trap_speeding_short", m));
        for x in f.iter().filter(|x| x.3 > 18.0 && x.3 <= 50.0) {
            if zones.zones_at(x.1, x.2).any(|z| z.id == "sim-approach") {
                assert!(
                    fast.iter()
                        .any(|&(a, b)| x.0 >= a - 1000 && x.0 <= b + 1000),
                    "{m} over the limit at {x:?} outside any truth or trap"
                );
            }
        }
        if f.iter().any(|x| x.3 > 50.0) {
            assert_eq!(spans("trap_speeding_glitch", m).len(), 1, "{m}");
        }
    }

    // The truth scored against itself (as alerts) is perfect.
    let alerts: Vec<serde_json::Value> = truth
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            let base = serde_json::json!({"id": format!("a{i}"), "kind": t.kind, "mmsi": t.mmsi,
                "zone": t.zone, "started_at": t.start, "ended_at": null, "state": "open"});
            let mut closed = base.clone();
            closed["state"] = "closed".into();
            closed["ended_at"] = serde_json::to_value(t.end).unwrap();
            [base, closed]
        })
        .collect();
    let sc = score(&truth, &alerts, 0);
    for k in score::KINDS {
        let ks = &sc.kinds[k];
        assert_eq!(
            (ks.precision, ks.recall, ks.fp, ks.fn_),
            (1.0, 1.0, 0, 0),
            "{k}"
        );
    }
    assert!(trap_hits(&traps, &alerts, 0).is_empty());
}

/// Writes the default scenario where `SIM_OUT` points, for demos:
/// `SIM_OUT=/tmp/sim cargo test --lib sim::tests::write_default -- --ignored`.
#[test]
#[ignore]
fn write_default() {
    let Ok(dir) = std::env::var("SIM_OUT") else {
        return;
    };
    let s = generate(&SimConfig::default(), Path::new(&dir)).unwrap();
    println!("{}", serde_json::to_string_pretty(&s).unwrap());
}
