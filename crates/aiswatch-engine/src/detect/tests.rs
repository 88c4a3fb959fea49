//! Detector behaviour on hand-made tracks, through the engine (as in production).

use super::*;
use crate::alert::{Kind, State};
use crate::engine::{Engine, EngineConfig};
use aiswatch_decode::Decoded;

mod behaviour;
mod registry;
mod resume;

use crate::fixtures::{background, engine, engine_with, pos, run, HOUR, MIN, T0, ZONES};

/// An engine forgetting vessels unheard for `ttl`.
fn engine_ttl(ttl: Millis) -> Engine {
    engine_with(EngineConfig {
        vessel_ttl: std::time::Duration::from_millis(ttl as u64),
        ..EngineConfig::default()
    })
}

/// Checks that each alert reads back whole from its JSON, its details as
/// its kind's, and that the details write the same bytes, keys in sorted
/// order at every level (as a JSON object map writes them). Values are
/// read from `serde_json::Value`s, not text: serde_json's text parser may
/// round a float's last digit.
pub(super) fn assert_round_trips(alerts: &[Alert]) {
    for a in alerts {
        let text = serde_json::to_string(&a.details).expect("details serialize");
        let value = serde_json::to_value(&a.details).expect("details to value");
        assert_eq!(
            serde_json::to_string(&value).expect("value serialize"),
            text,
            "keys not in sorted order"
        );
        let back = crate::alert::Details::from_json(a.kind, value)
            .unwrap_or_else(|e| panic!("{} details {text}: {e}", a.kind.as_str()));
        assert_eq!(back.kind(), a.kind);
        assert_eq!(serde_json::to_string(&back).expect("serialize"), text);
        let line = a.to_json();
        let value = serde_json::to_value(a).expect("alert to value");
        let whole: Alert = serde_json::from_value(value).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(&whole, a);
        assert_eq!(whole.to_json(), line);
        let _: Alert = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
}

/// An alert's details as they go out (JSON).
pub(super) fn wire(a: &Alert) -> serde_json::Value {
    serde_json::to_value(&a.details).expect("details serialize")
}

pub(super) fn kinds(a: &[Alert]) -> Vec<(Kind, State)> {
    a.iter().map(|a| (a.kind, a.state)).collect()
}

#[test]
fn dark_period_opens_while_silent_and_closes_on_return() {
    let mut e = engine();
    let mut msgs = background(211_000_001, T0, T0 + 6 * HOUR, "st1");
    // A ship reporting every minute for an hour, silent for 3 h, then back.
    for k in 0..=60 {
        msgs.push(pos(
            244_000_001,
            T0 + k * MIN,
            3.0 + k as f64 * 0.003,
            4.0,
            10.0,
            "st1",
        ));
    }
    msgs.push(pos(244_000_001, T0 + 4 * HOUR, 3.9, 4.1, 10.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert_eq!(
        kinds(&alerts),
        vec![
            (Kind::DarkPeriod, State::Open),
            (Kind::DarkPeriod, State::Closed)
        ]
    );
    let open = &alerts[0];
    assert_eq!(open.started_at, T0 + HOUR);
    assert!(
        open.at - (T0 + 3 * HOUR) <= 1000 && open.at >= T0 + 3 * HOUR,
        "opens within a tick: {}",
        open.at
    );
    assert_eq!(open.zone, "patrol");
    assert_eq!(open.vessels[0].flag, Some("NL"));
    assert_eq!(alerts[1].id, open.id);
    assert_eq!(wire(&alerts[1])["gap_s"], 3 * 3600);
}

/// A flood of station names makes the engine forget the station that heard
/// a vessel last (its id goes to another name): the dark period still
/// names that station.
#[test]
fn a_dark_period_names_its_station_after_a_flood_of_station_names() {
    let mut e = engine();
    // st2 hears the vessel too (second copies) and keeps being heard, so it
    // is not forgotten and judges the silence; st1 hears the vessel first.
    let mut msgs = background(211_000_001, T0, T0 + 6 * HOUR, "st2");
    for k in 0..=60 {
        let lon = 3.0 + k as f64 * 0.003;
        msgs.push(pos(244_000_002, T0 + k * MIN, lon, 4.0, 10.0, "st1"));
        msgs.push(pos(244_000_002, T0 + k * MIN, lon, 4.0, 10.0, "st2"));
    }
    // 70,000 stations, each heard once, far from every zone, in the half
    // hour after its last report (long before its silence is judged).
    let flood = 70_000;
    for i in 0..flood {
        let t = T0 + HOUR + MIN + i * 30 * MIN / flood;
        msgs.push(pos(211_000_009, t, 50.0, 50.0, 10.0, &format!("flood-{i}")));
    }
    let alerts = run(&mut e, msgs);
    let dark: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.kind == Kind::DarkPeriod)
        .collect();
    assert_eq!(dark.len(), 1, "{alerts:#?}");
    assert_eq!(wire(dark[0])["station"], "st1", "{:#}", wire(dark[0]));
    assert!(dark[0].summary.contains("st1"), "{}", dark[0].summary);
}

#[test]
fn receiver_outage_and_feed_stall_explain_silence() {
    let mut e = engine();
    // st1 hears only our ship, and goes down with it for 3 h; st2 keeps going.
    let mut msgs = background(211_000_002, T0, T0 + 6 * HOUR, "st2");
    for k in 0..=60 {
        msgs.push(pos(244_000_002, T0 + k * MIN, 3.0, 4.0, 10.0, "st1"));
    }
    for k in 0..=60 {
        msgs.push(pos(
            244_000_002,
            T0 + 4 * HOUR + k * MIN,
            3.1,
            4.0,
            10.0,
            "st1",
        ));
    }
    assert_eq!(kinds(&run(&mut e, msgs)), vec![]);

    // Everything stops for 3 h (the feed stalled), then resumes.
    let mut e = engine();
    let mut msgs = Vec::new();
    for k in 0..=60 {
        msgs.push(pos(244_000_003, T0 + k * MIN, 3.0, 4.0, 10.0, "st1"));
        msgs.push(pos(211_000_003, T0 + k * MIN, 2.5, 4.8, 12.0, "st1"));
    }
    for k in 0..=60 {
        msgs.push(pos(
            211_000_003,
            T0 + 4 * HOUR + k * MIN,
            2.5,
            4.8,
            12.0,
            "st1",
        ));
        msgs.push(pos(
            244_000_003,
            T0 + 4 * HOUR + k * MIN + 30_000,
            3.0,
            4.0,
            10.0,
            "st1",
        ));
    }
    assert_eq!(kinds(&run(&mut e, msgs)), vec![]);
}

#[test]
fn short_gaps_and_glimpses_are_not_dark_periods() {
    let mut e = engine();
    let mut msgs = background(211_000_004, T0, T0 + 6 * HOUR, "st1");
    for k in 0..=30 {
        msgs.push(pos(244_000_004, T0 + k * MIN, 3.0, 4.0, 10.0, "st1"));
    }
    for k in 90..=360 {
        msgs.push(pos(244_000_004, T0 + k * MIN, 3.0, 4.0, 10.0, "st1")); // after a 1 h gap
    }
    msgs.push(pos(244_000_005, T0, 3.5, 4.5, 10.0, "st1")); // seen once, then never
    assert_eq!(kinds(&run(&mut e, msgs)), vec![]);
}

#[test]
fn loitering_in_patrol_but_not_in_port() {
    let mut e = engine();
    let mut msgs = background(211_000_006, T0, T0 + 4 * HOUR, "st1");
    for k in 0..=50 {
        // Slow drift in the patrol zone for 150 min, then under way.
        msgs.push(pos(
            244_000_006,
            T0 + k * 3 * MIN,
            3.0 + k as f64 * 1e-4,
            4.0,
            0.6,
            "st1",
        ));
        // Anchored in port the whole time.
        msgs.push(pos(244_000_007, T0 + k * 3 * MIN, 2.1, 3.1, 0.1, "st1"));
    }
    msgs.push(pos(244_000_006, T0 + 153 * MIN, 3.01, 4.0, 11.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    let loiter: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == Kind::Loitering)
        .collect();
    assert!(
        loiter.iter().all(|a| a.mmsi == vec![Mmsi(244_000_006)]),
        "{alerts:?}"
    );
    assert_eq!(
        loiter.first().map(|a| (a.state, a.at)),
        Some((State::Open, T0 + HOUR))
    );
    assert_eq!(
        loiter.last().map(|a| (a.state, a.ended_at)),
        Some((State::Closed, Some(T0 + 153 * MIN)))
    );
    assert!(loiter.iter().any(|a| a.state == State::Update));
}

#[test]
fn rendezvous_of_two_slow_vessels_but_not_a_fast_pass() {
    let mut e = engine();
    let mut msgs = background(211_000_008, T0, T0 + 4 * HOUR, "st1");
    for k in 0..=60 {
        let t = T0 + k * 3 * MIN;
        msgs.push(pos(244_000_008, t, 3.0, 4.0, 0.5, "st1"));
        msgs.push(pos(244_000_009, t + 20_000, 3.001, 4.0, 0.8, "st1")); // ~111 m east
    }
    // Two ships passing 150 m apart at 12 kn.
    for k in 0..=20 {
        let t = T0 + k * MIN;
        msgs.push(pos(
            244_000_010,
            t,
            3.5 + k as f64 * 0.004,
            4.5,
            12.0,
            "st1",
        ));
        msgs.push(pos(
            244_000_011,
            t,
            3.58 - k as f64 * 0.004,
            4.5013,
            12.0,
            "st1",
        ));
    }
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    let rdv: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == Kind::Rendezvous)
        .collect();
    assert!(!rdv.is_empty(), "{:?}", kinds(&alerts));
    assert!(rdv
        .iter()
        .all(|a| a.mmsi == vec![Mmsi(244_000_008), Mmsi(244_000_009)]));
    assert_eq!(rdv[0].state, State::Open);
    assert!(rdv[0].at - (rdv[0].started_at + 2 * HOUR) <= 1000);
    assert!((wire(rdv[0])["distance_m"].as_f64().unwrap() - 111.0).abs() < 5.0);
}

#[test]
fn impossible_jump_and_invalid_mmsi_are_spoofing() {
    let mut e = engine();
    let mut msgs = background(211_000_012, T0, T0 + 2 * HOUR, "st1");
    msgs.push(pos(244_000_012, T0, 3.0, 4.0, 10.0, "st1"));
    msgs.push(pos(244_000_012, T0 + MIN, 3.9, 4.9, 10.0, "st1")); // 140 km in a minute
    msgs.push(pos(1_234, T0 + MIN, 3.2, 4.2, 10.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    let sp: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == Kind::Spoofing && a.state == State::Open)
        .collect();
    assert_eq!(sp.len(), 2, "{:?}", kinds(&alerts));
    assert_eq!(wire(sp[0])["anomaly"]["reason"], "impossible_jump");
    assert_eq!(wire(sp[1])["anomaly"]["reason"], "invalid_mmsi");
    // Both close after an hour without further anomalies.
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.kind == Kind::Spoofing && a.state == State::Closed)
            .count(),
        2
    );
}

#[test]
fn same_input_same_alerts() {
    let msgs = || {
        let mut m = background(211_000_013, T0, T0 + 5 * HOUR, "st1");
        for k in 0..=60 {
            m.push(pos(244_000_013, T0 + k * MIN, 3.0, 4.0, 0.5, "st1"));
        }
        m
    };
    let a: Vec<String> = run(&mut engine(), msgs())
        .iter()
        .map(Alert::to_json)
        .collect();
    let b: Vec<String> = run(&mut engine(), msgs())
        .iter()
        .map(Alert::to_json)
        .collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn forgotten_vessel_closes_its_dark_period_with_a_reason() {
    let mut e = engine_ttl(3 * HOUR);
    let mut msgs = background(211_000_020, T0, T0 + 6 * HOUR, "st1");
    // Reports every minute for an hour, then never again.
    for k in 0..=60 {
        msgs.push(pos(244_000_020, T0 + k * MIN, 3.0, 4.0, 0.0 + 10.0, "st1"));
    }
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert_eq!(
        kinds(&alerts),
        vec![
            (Kind::DarkPeriod, State::Open),
            (Kind::DarkPeriod, State::Closed)
        ]
    );
    let closed = &alerts[1];
    assert_eq!(closed.id, alerts[0].id);
    assert_eq!(wire(closed)["reason"], REASON_FORGOTTEN);
    // Forgotten within a minute of `vessel_ttl` after it was last heard.
    let due = T0 + HOUR + 3 * HOUR;
    assert!(closed.at >= due && closed.at <= due + MIN, "{}", closed.at);
    assert_eq!(closed.ended_at, Some(closed.at));
    assert_eq!(wire(closed)["silent_s"], (closed.at - (T0 + HOUR)) / 1000);
    assert_eq!(
        closed.vessels[0].flag,
        Some("NL"),
        "named from the track store"
    );
    assert!(e.tracks().get(Mmsi(244_000_020)).is_none());
    let det = e.detectors().unwrap();
    assert_eq!(
        det.vessels(),
        1,
        "only the background vessel's state is left"
    );
    assert!(det.scheduled().iter().all(|m| *m != Mmsi(244_000_020)));
}

#[test]
fn vessel_heard_again_after_being_forgotten_starts_fresh() {
    let mut e = engine_ttl(10 * MIN);
    let mut msgs = background(211_000_021, T0, T0 + HOUR, "st1");
    msgs.push(pos(244_000_021, T0, 2.5, 3.5, 10.0, "st1"));
    // Back 30 min later, 190 km away: impossible from the old fix (≈ 400 kn),
    // but that fix was forgotten with the vessel.
    msgs.push(pos(244_000_021, T0 + 30 * MIN, 3.9, 4.9, 10.0, "st1"));
    // While remembered, the same jump is spoofing (the check is live).
    msgs.push(pos(244_000_022, T0, 2.5, 3.5, 10.0, "st1"));
    msgs.push(pos(244_000_022, T0 + 5 * MIN, 3.9, 4.9, 10.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    let sp: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == Kind::Spoofing && a.state == State::Open)
        .collect();
    assert_eq!(sp.len(), 1, "{alerts:?}");
    assert_eq!(sp[0].mmsi, vec![Mmsi(244_000_022)]);
    assert_eq!(wire(sp[0])["anomaly"]["reason"], "impossible_jump");
}

#[test]
fn forgetting_closes_every_open_alert_and_drops_all_state() {
    // `vessel_ttl` (20 min) shorter than `stale_after` (30 min): the vessels
    // are forgotten before their contact is lost.
    let mut e = engine_ttl(20 * MIN);
    let mut msgs = background(211_000_023, T0, T0 + 5 * HOUR, "st1");
    for k in 0..=50 {
        let t = T0 + k * 3 * MIN;
        msgs.push(pos(244_000_023, t, 3.0, 4.0, 0.5, "st1"));
        msgs.push(pos(244_000_024, t + 20_000, 3.001, 4.0, 0.8, "st1"));
    }
    // A jump, then silence: its spoofing alert is still open when forgotten.
    msgs.push(pos(244_000_025, T0 + 149 * MIN, 3.0, 3.5, 10.0, "st1"));
    msgs.push(pos(244_000_025, T0 + 150 * MIN, 3.9, 4.5, 10.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    let closes: Vec<_> = alerts
        .iter()
        .filter(|a| a.state == State::Closed)
        .map(|a| {
            let reason = wire(a)["reason"].as_str().map(String::from);
            (a.kind, a.mmsi.clone(), reason)
        })
        .collect();
    let forgotten = || Some(REASON_FORGOTTEN.to_owned());
    for want in [
        (Kind::Loitering, vec![Mmsi(244_000_023)], forgotten()),
        (Kind::Loitering, vec![Mmsi(244_000_024)], forgotten()),
        (
            Kind::Rendezvous,
            vec![Mmsi(244_000_023), Mmsi(244_000_024)],
            forgotten(),
        ),
        (Kind::Spoofing, vec![Mmsi(244_000_025)], forgotten()),
    ] {
        assert!(closes.contains(&want), "{want:?} not in {closes:?}");
    }
    assert_eq!(closes.len(), 4, "{closes:?}");
    // Each open alert is closed once, by the forgetting.
    let opened = alerts.iter().filter(|a| a.state == State::Open).count();
    assert_eq!(opened, 4, "{:?}", kinds(&alerts));
    let det = e.detectors().unwrap();
    assert_eq!(det.vessels(), 1);
    for m in [244_000_023, 244_000_024, 244_000_025] {
        assert!(det.dets.iter().all(|d| !d.holds(Mmsi(m))), "{m}");
    }
    let background = Mmsi(211_000_023);
    assert!(det.scheduled().iter().all(|m| *m == background));
}

#[test]
fn absurd_durations_do_not_overflow() {
    // Durations far beyond any sane config (the config refuses them; the
    // detectors must still not overflow): deadlines saturate to "never".
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), ZONES).unwrap();
    let zones = ZoneSet::load_dir(dir.path(), crate::detect::SPECS).unwrap();
    let huge = std::time::Duration::from_secs(u64::MAX);
    let cfg = DetectConfig {
        update_every: huge,
        stale_after: huge,
        resume_within: huge,
        spoofing_quiet: huge,
        feed_stall: huge,
        station_outage: huge,
        ..DetectConfig::default()
    };
    let det = Detectors::new(zones, cfg);
    assert!(det.memory_window() >= huge / 2);
    let mut e = Engine::new(EngineConfig {
        vessel_ttl: huge,
        ..EngineConfig::default()
    })
    .with_detectors(det);
    let mut msgs = background(211_000_030, T0, T0 + 4 * HOUR, "st1");
    for k in 0..=50 {
        let t = T0 + k * 3 * MIN;
        msgs.push(pos(244_000_030, t, 3.0, 4.0, 0.5, "st1"));
        msgs.push(pos(244_000_031, t + 20_000, 3.001, 4.0, 0.8, "st1"));
    }
    msgs.push(pos(244_000_032, T0, 3.0, 3.5, 10.0, "st1"));
    msgs.push(pos(244_000_032, T0 + MIN, 3.9, 4.5, 10.0, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(alerts.iter().any(|a| a.kind == Kind::Loitering));
    assert!(alerts.iter().any(|a| a.kind == Kind::Spoofing));
    assert_eq!(
        e.tracks().len(),
        4,
        "nothing forgotten with an endless vessel_ttl"
    );
}
