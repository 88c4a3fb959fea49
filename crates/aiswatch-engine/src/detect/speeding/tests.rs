//! Speeding on hand-made tracks, through the engine (as in production).

use aiswatch_decode::Decoded;
use aiswatch_zones::ZoneSet;

use crate::alert::{Alert, Kind, State};
use crate::detect::{DetectConfig, Detectors};
use crate::engine::{Engine, EngineConfig};
use crate::fixtures::{background, pos, run, HOUR, MIN, T0};
use crate::track::Mmsi;

/// An alert's details as they go out (JSON).
fn details(a: &Alert) -> serde_json::Value {
    serde_json::to_value(&a.details).unwrap()
}
use aiswatch_core::time::Millis;

/// A port approach (lon 2..3, lat 3..3.5) limited to 18 kn for 10 min; a
/// marine protected area (closed area, lon 2..3, lat 3.6..4) on the
/// defaults; a patrol zone east of both (lon 3..4, lat 3..4) without
/// speeding.
const ZONES: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"approach","name":"Port approach","kind":"port","centre":"TEST",
   "detect":{"speeding":{"max_speed_kn":18.0,"min_duration":"10m"}}},
  "geometry":{"type":"Polygon","coordinates":[[[2,3],[3,3],[3,3.5],[2,3.5],[2,3]]]}},
 {"type":"Feature","properties":{"id":"mpa","name":"Test MPA","kind":"closed_area","centre":"TEST",
   "detect":{"speeding":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[2,3.6],[3,3.6],[3,4],[2,4],[2,3.6]]]}},
 {"type":"Feature","properties":{"id":"patrol","name":"Test patrol","centre":"TEST",
   "detect":{"loitering":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[3,3],[4,3],[4,4],[3,4],[3,3]]]}}]}"#;

fn zone_set(geojson: &str) -> ZoneSet {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), geojson).unwrap();
    ZoneSet::load_dir(dir.path(), crate::detect::SPECS).unwrap()
}

fn engine_with(cfg: EngineConfig) -> Engine {
    Engine::new(cfg).with_detectors(Detectors::new(zone_set(ZONES), DetectConfig::default()))
}

fn engine() -> Engine {
    engine_with(EngineConfig::default())
}

/// One report a minute from `t0`, eastbound from `lon0` at latitude `lat`,
/// at each of `speeds` in turn; a glitched speed (over 50 kn) does not move it.
fn track(mmsi: u32, t0: Millis, (lon0, lat): (f64, f64), speeds: &[f64]) -> Vec<Decoded> {
    let deg_per_kn_min = 1852.0 / 60.0 / (111_195.0 * lat.to_radians().cos());
    let mut lon = lon0;
    let mut out = Vec::new();
    for (k, &s) in speeds.iter().enumerate() {
        if k > 0 && s <= 50.0 {
            lon += s * deg_per_kn_min;
        }
        out.push(pos(mmsi, t0 + k as Millis * MIN, lon, lat, s, "st1"));
    }
    out
}

/// `n` reports at `kn`.
fn at(kn: f64, n: usize) -> Vec<f64> {
    vec![kn; n]
}

fn speeding(alerts: &[Alert]) -> Vec<&Alert> {
    alerts.iter().filter(|a| a.kind == Kind::Speeding).collect()
}

fn states(a: &[&Alert]) -> Vec<State> {
    a.iter().map(|a| a.state).collect()
}

#[test]
fn opens_after_min_duration_above_the_limit_and_closes_when_slowed_down() {
    let mut e = engine();
    // 21 kn for 20 min in the approach (port kind), then 10 kn.
    let speeds = [at(21.0, 21), at(10.0, 10)].concat();
    let alerts = run(&mut e, track(244_000_001, T0, (2.1, 3.2), &speeds));
    let s = speeding(&alerts);
    assert_eq!(states(&s), vec![State::Open, State::Closed], "{s:#?}");
    let (open, closed) = (s[0], s[1]);
    assert_eq!(open.zone, "approach");
    assert_eq!(open.started_at, T0);
    assert!(
        (T0 + 10 * MIN..=T0 + 12 * MIN).contains(&open.at),
        "opens once reports cover 10 min: {}",
        open.at - T0
    );
    assert_eq!(details(open)["reason"], serde_json::Value::Null);
    assert_eq!(closed.id, open.id);
    assert_eq!(closed.ended_at, Some(T0 + 21 * MIN));
    assert_eq!(details(closed)["reason"], "slowed down");
    assert_eq!(details(closed)["reports"], 21);
    assert_eq!(details(closed)["max_speed_kn_seen"], 21.0);
    assert_eq!(details(closed)["mean_speed_kn"], 21.0);
    assert_eq!(details(closed)["max_speed_kn"], 18.0);
    assert_eq!(details(closed)["min_duration_s"], 600);
    assert_eq!(details(closed)["duration_s"], 21 * 60);
    // 20 min at 21 kn: 7 nm.
    let d = details(closed)["distance_m"].as_f64().unwrap();
    assert!((d - 7.0 * 1852.0).abs() < 100.0, "{d}");
    assert!(
        closed
            .summary
            .contains("speeding 21m in Port approach at up to 21.0 kn (limit 18.0 kn for 10m)"),
        "{}",
        closed.summary
    );
    assert!(
        closed.summary.ends_with("; ended: slowed down."),
        "{}",
        closed.summary
    );
}

#[test]
fn within_the_hysteresis_band_nothing_opens_and_nothing_closes() {
    let mut e = engine();
    let mut msgs = Vec::new();
    // At or just under the limit for 40 min.
    msgs.extend(track(244_000_002, T0, (2.1, 3.1), &at(17.8, 40)));
    msgs.extend(track(244_000_003, T0, (2.1, 3.2), &at(18.0, 40)));
    // Fast for 15 min, then in the band (17.6 kn, above 18 - 0.5) for 20 min:
    // one episode, still open; it ends at 17.5 kn.
    let speeds = [at(21.0, 15), at(17.6, 20), at(17.5, 5)].concat();
    msgs.extend(track(244_000_004, T0, (2.1, 3.3), &speeds));
    let alerts = run(&mut e, msgs);
    let s = speeding(&alerts);
    assert!(s.iter().all(|a| a.mmsi == [Mmsi(244_000_004)]), "{s:#?}");
    assert_eq!(states(&s), vec![State::Open, State::Closed], "{s:#?}");
    assert_eq!(s[1].ended_at, Some(T0 + 35 * MIN));
    assert_eq!(details(s[1])["reason"], "slowed down");
    assert_eq!(details(s[1])["reports"], 35);
}

#[test]
fn a_fast_pass_shorter_than_min_duration_is_nothing() {
    let mut e = engine();
    // 22 kn for 8 min (9 reports), then 10 kn.
    let speeds = [at(22.0, 9), at(10.0, 20)].concat();
    let mut msgs = track(244_000_005, T0, (2.1, 3.2), &speeds);
    // One report over the limit, then silence (contact lost unalerted).
    msgs.extend(track(244_000_006, T0, (2.1, 3.3), &[25.0]));
    msgs.extend(background(211_000_001, T0, T0 + 2 * HOUR, "st1"));
    let alerts = run(&mut e, msgs);
    assert!(speeding(&alerts).is_empty(), "{alerts:#?}");
}

#[test]
fn a_glitch_neither_starts_extends_nor_ends_an_episode() {
    let mut e = engine();
    let mut msgs = Vec::new();
    // A 10-kn transit with one 60-kn report.
    let mut speeds = at(10.0, 30);
    speeds[12] = 60.0;
    msgs.extend(track(244_000_007, T0, (2.1, 3.1), &speeds));
    // Fast for 8 min, a glitch 3 min later, then slow: the glitch does not
    // stretch the fast reports over 10 min.
    let speeds = [at(21.0, 9), at(60.0, 1), at(10.0, 10)].concat();
    let mut short = track(244_000_008, T0, (2.1, 3.2), &speeds);
    let glitch = short.remove(9);
    short.push(Decoded {
        time: T0 + 11 * MIN,
        ..glitch
    });
    msgs.extend(short);
    // Fast for 30 min with a glitch 10 min in, placed outside the zone:
    // one episode, from the first fast report to the slow one.
    let mut speeds = [at(21.0, 31), at(10.0, 5)].concat();
    speeds[10] = 63.0;
    let mut long = track(244_000_009, T0, (2.1, 3.4), &speeds);
    long[10] = pos(244_000_009, T0 + 10 * MIN, 3.5, 4.5, 63.0, "st1");
    msgs.extend(long);
    let alerts = run(&mut e, msgs);
    let s = speeding(&alerts);
    assert!(s.iter().all(|a| a.mmsi == [Mmsi(244_000_009)]), "{s:#?}");
    assert_eq!(states(&s), vec![State::Open, State::Closed], "{s:#?}");
    assert_eq!(s[0].started_at, T0);
    assert_eq!(details(s[1])["reason"], "slowed down");
    assert_eq!(s[1].ended_at, Some(T0 + 31 * MIN));
    assert_eq!(details(s[1])["reports"], 30);
    assert_eq!(details(s[1])["max_speed_kn_seen"], 21.0);
}

#[test]
fn closes_when_it_leaves_the_zone_or_falls_silent() {
    let mut e = engine();
    let mut msgs = Vec::new();
    // Eastbound at 21 kn from lon 2.85: out of the approach into the patrol
    // zone (no speeding there) after about 23 min.
    msgs.extend(track(244_000_010, T0, (2.85, 3.2), &at(21.0, 40)));
    // Fast for 15 min, then silent.
    msgs.extend(track(244_000_011, T0, (2.1, 3.4), &at(21.0, 16)));
    msgs.extend(background(211_000_002, T0, T0 + 2 * HOUR, "st1"));
    let alerts = run(&mut e, msgs);
    let s = speeding(&alerts);
    let of = |m: u32| -> Vec<&Alert> { s.iter().copied().filter(|a| a.mmsi == [Mmsi(m)]).collect() };
    let left = of(244_000_010);
    assert_eq!(states(&left), vec![State::Open, State::Closed], "{left:#?}");
    assert_eq!(details(left[1])["reason"], "left the zone");
    assert!(left[1].lon > 3.0, "{}", left[1].lon);
    // Found silent at the first check over `stale_after` (30 min) after its
    // last report; the check at 30 min after opening still sends an update.
    let lost = of(244_000_011);
    assert_eq!(
        states(&lost),
        vec![State::Open, State::Update, State::Closed],
        "{lost:#?}"
    );
    assert_eq!(details(lost[2])["reason"], "contact lost");
    assert_eq!(lost[2].ended_at, Some(T0 + 15 * MIN));
}

#[test]
fn runs_only_where_the_zone_asks_for_it_on_its_thresholds() {
    let mut e = engine();
    let mut msgs = Vec::new();
    // 25 kn for 40 min in the patrol zone, which does not run speeding.
    msgs.extend(track(244_000_012, T0, (3.1, 3.5), &at(25.0, 40)));
    // 14 kn for 10 min in the protected area, on the defaults (12 kn, 5 min).
    let speeds = [at(14.0, 11), at(8.0, 5)].concat();
    msgs.extend(track(244_000_013, T0, (2.1, 3.8), &speeds));
    let alerts = run(&mut e, msgs);
    let s = speeding(&alerts);
    assert!(s.iter().all(|a| a.mmsi == [Mmsi(244_000_013)]), "{s:#?}");
    assert_eq!(states(&s), vec![State::Open, State::Closed], "{s:#?}");
    assert_eq!(s[0].zone, "mpa");
    assert_eq!(details(s[1])["max_speed_kn"], 12.0);
    assert_eq!(details(s[1])["min_duration_s"], 300);
    assert!(s[1].summary.contains("(limit 12.0 kn for 5m)"), "{}", s[1].summary);
}

#[test]
fn closes_when_the_vessel_is_forgotten_or_its_zone_removed_and_goes_on_in_a_zone_kept() {
    // Forgotten: `vessel_ttl` (20 min) shorter than `stale_after` (30 min).
    let mut e = engine_with(EngineConfig {
        vessel_ttl: std::time::Duration::from_millis((20 * MIN) as u64),
        ..EngineConfig::default()
    });
    let mut msgs = track(244_000_014, T0, (2.1, 3.2), &at(21.0, 16));
    msgs.extend(background(211_000_003, T0, T0 + HOUR, "st1"));
    let alerts = run(&mut e, msgs);
    let s = speeding(&alerts);
    assert_eq!(states(&s), vec![State::Open, State::Closed], "{s:#?}");
    assert_eq!(details(s[1])["reason"], crate::detect::REASON_FORGOTTEN);
    assert_eq!(s[1].ended_at, Some(T0 + 15 * MIN));

    // A reload removes the port approach; the protected area stays, one
    // place down the zone set.
    let mut e = engine();
    let mut msgs = track(244_000_015, T0, (2.1, 3.2), &at(21.0, 16));
    msgs.extend(track(244_000_016, T0, (2.1, 3.8), &at(14.0, 16)));
    let mut alerts = run(&mut e, msgs);
    let mut kept: serde_json::Value = serde_json::from_str(ZONES).unwrap();
    kept["features"].as_array_mut().unwrap().remove(0);
    assert!(e.set_zones(zone_set(&kept.to_string()), T0 + 1000 * HOUR));
    alerts.extend(e.take_alerts());
    let slowing = [at(14.0, 5), at(8.0, 3)].concat();
    alerts.extend(run(&mut e, track(244_000_016, T0 + 16 * MIN, (2.5, 3.8), &slowing)));
    let s = speeding(&alerts);
    let of = |m: u32| -> Vec<&Alert> { s.iter().copied().filter(|a| a.mmsi == [Mmsi(m)]).collect() };
    let removed = of(244_000_015);
    assert_eq!(states(&removed), vec![State::Open, State::Closed], "{removed:#?}");
    assert_eq!(details(removed[1])["reason"], "zone_removed");
    let kept = of(244_000_016);
    assert_eq!(states(&kept), vec![State::Open, State::Closed], "{kept:#?}");
    assert_eq!(details(kept[1])["reason"], "slowed down");
    assert_eq!(kept[1].zone, "mpa");
    assert_eq!(kept[1].ended_at, Some(T0 + 21 * MIN));
}
