//! Detectors scored against the simulator's ground truth: several seeds,
//! 12 h, 200 vessels, with receiver outages, port anchoring, fast passes,
//! short gaps, duplicates and noise as traps; identity changes and
//! conflicts, fishing in a closed area and drifting, with a name corrected
//! at the start of a voyage, a fishing vessel in transit and a cross
//! current as traps; speeding in a port approach, with a pass just under
//! the limit, a short burst, a fast vessel in a zone without a limit and
//! a glitched speed as traps.

use aiswatch::config::Config;
use aiswatch_sim::{self as sim, SimConfig};

fn run_seed(
    seed: u64,
) -> (
    sim::score::Scores,
    std::collections::BTreeMap<String, usize>,
) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        seed,
        ..SimConfig::default()
    };
    let summary = sim::generate(&cfg, dir.path()).unwrap();
    assert!(cfg.hours >= 12.0 && summary.vessels >= 200);
    let mut engine = Config::default()
        .engine(Some(&dir.path().join("zones")))
        .unwrap();
    let mut alerts = Vec::new();
    aiswatch::replay::replay_files(&[dir.path().join("feed.nmea")], &mut engine, |e| {
        for a in e.take_alerts() {
            alerts.push(serde_json::to_value(&a).unwrap());
        }
    })
    .unwrap();
    let truth = sim::score::read_truth(&dir.path().join("truth.jsonl")).unwrap();
    let traps = sim::score::read_truth(&dir.path().join("traps.jsonl")).unwrap();
    let scores = sim::score::score(&truth, &alerts, 60);
    let hits = sim::score::trap_hits(&traps, &alerts, 60);
    eprintln!(
        "seed {seed}: {} lines, events {:?}",
        summary.lines, summary.events
    );
    for (k, s) in &scores.kinds {
        eprintln!(
            "  {k:12} tp {:3} fp {:3} fn {:3}  precision {:.3} recall {:.3}",
            s.tp, s.fp, s.fn_, s.precision, s.recall
        );
    }
    eprintln!(
        "  unmatched alerts: {:?}; trap hits: {hits:?}",
        scores.unmatched_alerts
    );
    (scores, hits)
}

#[test]
fn precision_and_recall_on_simulated_scenarios() {
    let mut totals: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for seed in [1, 2, 3, 4, 5] {
        let (scores, hits) = run_seed(seed);
        assert!(
            hits.values().all(|&n| n == 0),
            "seed {seed}: alerts on traps: {hits:?}"
        );
        for (k, s) in scores.kinds {
            let t = totals.entry(k).or_default();
            t.0 += s.tp;
            t.1 += s.fp;
            t.2 += s.fn_;
        }
    }
    for kind in [
        "dark_period",
        "loitering",
        "rendezvous",
        "identity_change",
        "fishing",
        "drifting",
        "speeding",
    ] {
        let (tp, fp, fn_) = totals[kind];
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / (tp + fn_).max(1) as f64;
        eprintln!("{kind}: precision {p:.3} recall {r:.3} (tp {tp}, fp {fp}, fn {fn_})");
        assert!(
            tp > 0 && p >= 0.95 && r >= 0.95,
            "{kind}: precision {p:.3} recall {r:.3}"
        );
    }
}

/// The coverage edge: two stations overlapping inside the same cells, one down for
/// 3 h. Vessels only it heard fall silent with it (traps); vessels the
/// live station heard that go dark meanwhile are true dark periods.
#[test]
fn coverage_edge_no_alert_for_the_outage_and_real_dark_periods_found() {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for seed in [1, 2, 3, 4, 5] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SimConfig {
            seed,
            hours: 8.0,
            ..SimConfig::default()
        };
        let summary = sim::generate_coverage_edge(&cfg, dir.path()).unwrap();
        let mut engine = Config::default()
            .engine(Some(&dir.path().join("zones")))
            .unwrap();
        let mut alerts = Vec::new();
        aiswatch::replay::replay_files(&[dir.path().join("feed.nmea")], &mut engine, |e| {
            for a in e.take_alerts() {
                alerts.push(serde_json::to_value(&a).unwrap());
            }
        })
        .unwrap();
        let truth = sim::score::read_truth(&dir.path().join("truth.jsonl")).unwrap();
        let traps = sim::score::read_truth(&dir.path().join("traps.jsonl")).unwrap();
        let scores = sim::score::score(&truth, &alerts, 60);
        let hits = sim::score::trap_hits(&traps, &alerts, 60);
        let d = &scores.kinds["dark_period"];
        eprintln!(
            "coverage edge seed {seed}: {} lines, events {:?}, traps {:?}: dark_period tp {} fp {} fn {}; trap hits {hits:?}",
            summary.lines, summary.events, summary.traps, d.tp, d.fp, d.fn_
        );
        assert!(summary.traps["trap_coverage_edge"] >= 3);
        assert!(hits.values().all(|&n| n == 0), "seed {seed}: {hits:?}");
        assert!(
            scores.unmatched_alerts.is_empty(),
            "seed {seed}: {:?}",
            scores.unmatched_alerts
        );
        tp += d.tp;
        fp += d.fp;
        fn_ += d.fn_;
    }
    assert_eq!((fp, fn_), (0, 0), "tp {tp}");
    assert_eq!(tp, 10);
}
