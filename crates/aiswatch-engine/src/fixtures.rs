//! Hand-made traffic for tests of the engine and of what is built on it
//! (the store's restart rebuild): a patrol zone with a port in its corner,
//! position reports, and an engine run over them. Compiled for this
//! crate's tests and, with the `fixtures` feature, for other crates' tests.

use std::sync::Arc;

use aiswatch_core::time::Millis;
use aiswatch_decode::ais::{AisMessage, Body, ClassA};
use aiswatch_decode::{Decoded, TimeSource};
use aiswatch_zones::ZoneSet;

use crate::alert::Alert;
use crate::detect::{DetectConfig, Detectors};
use crate::engine::{Engine, EngineConfig};

/// 2026-01-01T00:00:00Z, where the traffic starts.
pub const T0: Millis = 1_767_225_600_000;
/// A minute.
pub const MIN: Millis = 60_000;
/// An hour.
pub const HOUR: Millis = 3_600_000;

/// A patrol box (lon 2..4, lat 3..5) with a port (lon 2.0..2.2, lat 3.0..3.2) in its corner.
pub const ZONES: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"patrol","name":"Test patrol","centre":"TEST",
   "detect":{"dark_period":{"min_gap":"2h"},"loitering":{"max_speed_kn":2.0,"min_duration":"1h"},
             "rendezvous":{"max_distance_m":500,"max_speed_kn":2.0,"min_duration":"2h"},"spoofing":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[2,3],[4,3],[4,5],[2,5],[2,3]]]}},
 {"type":"Feature","properties":{"id":"port","kind":"port","centre":"TEST"},
  "geometry":{"type":"Polygon","coordinates":[[[2,3],[2.2,3],[2.2,3.2],[2,3.2],[2,3]]]}}]}"#;

/// An engine with the default config over [`ZONES`].
pub fn engine() -> Engine {
    engine_with(EngineConfig::default())
}

/// An engine with `cfg` over [`ZONES`].
pub fn engine_with(cfg: EngineConfig) -> Engine {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), ZONES).unwrap();
    let zones = ZoneSet::load_dir(dir.path(), crate::detect::SPECS).unwrap();
    Engine::new(cfg).with_detectors(Detectors::new(zones, DetectConfig::default()))
}

/// A Class A position report of `mmsi` at `t`, heard by `station`.
pub fn pos(mmsi: u32, t: Millis, lon: f64, lat: f64, sog: f64, station: &str) -> Decoded {
    Decoded {
        time: t,
        time_source: TimeSource::TagBlock,
        station: Some(station.into()),
        channel: b'A',
        own_ship: false,
        payload_hash: (u64::from(mmsi) << 32) ^ t as u64,
        message: AisMessage {
            msg_type: 1,
            repeat: 0,
            mmsi,
            body: Body::ClassA(ClassA::report(
                0,
                (sog * 10.0).round() as u16,
                (lon * 600_000.0).round() as i32,
                (lat * 600_000.0).round() as i32,
                900,
                511,
            )),
        },
    }
}

/// Feeds messages in time order; returns every alert raised.
pub fn run(e: &mut Engine, mut msgs: Vec<Decoded>) -> Vec<Alert> {
    msgs.sort_by_key(|m| m.time);
    let src: Arc<str> = "test".into();
    let mut out = Vec::new();
    for m in msgs {
        e.ingest(&src, std::slice::from_ref(&m), T0 + 1000 * HOUR);
        out.extend(e.take_alerts());
    }
    out
}

/// A vessel passing through at 12 kn heard by `station` every minute, so the station and feed stay alive.
pub fn background(mmsi: u32, from: Millis, to: Millis, station: &str) -> Vec<Decoded> {
    (0..)
        .map(|k| from + k * MIN)
        .take_while(|&t| t <= to)
        .map(|t| {
            pos(
                mmsi,
                t,
                2.5 + (t - from) as f64 / HOUR as f64 * 0.2,
                4.8,
                12.0,
                station,
            )
        })
        .collect()
}

/// Reports of `mmsi` every `every` from `from` to `to` (inclusive) at a
/// fixed spot, heard by `stations`.
pub fn at_spot(
    mmsi: u32,
    (from, to, every): (i64, i64, i64),
    (lon, lat, sog): (f64, f64, f64),
    stations: &[&str],
) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut t = from;
    while t <= to {
        for s in stations {
            out.push(pos(mmsi, t, lon, lat, sog, s));
        }
        t += every;
    }
    out
}

/// The coverage-edge traffic (see the test below); returns the messages
/// and the MMSI of the vessel that really goes dark.
pub fn coverage_edge_feed() -> (Vec<Decoded>, u32) {
    let (b_down, b_up) = (T0 + HOUR, T0 + 4 * HOUR);
    let mut msgs = Vec::new();
    // Traffic all over the cell for 6 h.
    for i in 0..10u32 {
        let lon = 3.01 + f64::from(i) * 0.024;
        let lat = 4.05 + f64::from(i) * 0.01;
        for k in 0..=360 {
            let t = T0 + k * MIN;
            if lon < 3.15 {
                msgs.push(pos(211_100_000 + i, t, lon, lat, 0.0, "A"));
            }
            if !(b_down..b_up).contains(&t) {
                msgs.push(pos(211_100_000 + i, t, lon, lat, 0.0, "B"));
            }
        }
    }
    // The edge vessel, east, heard only by B; silent while B is down.
    msgs.extend(at_spot(
        244_000_100,
        (T0, b_down - MIN, MIN),
        (3.2, 4.1, 0.0),
        &["B"],
    ));
    msgs.extend(at_spot(
        244_000_100,
        (b_up + 5 * MIN, T0 + 5 * HOUR, MIN),
        (3.2, 4.1, 0.0),
        &["B"],
    ));
    // The real one, west: heard by A (and B while it is up), then dark for
    // 3 h while A is up.
    let d = 244_000_101;
    msgs.extend(at_spot(
        d,
        (T0, b_down - MIN, MIN),
        (3.05, 4.12, 0.0),
        &["A", "B"],
    ));
    msgs.extend(at_spot(
        d,
        (b_down, T0 + 90 * MIN, MIN),
        (3.05, 4.12, 0.0),
        &["A"],
    ));
    msgs.extend(at_spot(
        d,
        (T0 + 270 * MIN, T0 + 5 * HOUR, MIN),
        (3.05, 4.12, 0.0),
        &["A"],
    ));

    (msgs, d)
}
