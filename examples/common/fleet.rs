//! The examples' synthetic fleet: Class A vessels uniform over lon −10..30,
//! lat 30..60, one in twenty slow (anchored or loitering), the rest under
//! way at 8–18 kn on a straight course, heard by one of [`STATIONS`]
//! stations; their position reports and type 5 as decoded values.
//!
//! Include it with `#[path = "common/fleet.rs"] mod fleet;`.
// Not every example uses every item.
#![allow(dead_code)]

use std::sync::Arc;

use aiswatch_core::rng::Rng;
use aiswatch_core::time::Millis;
use aiswatch_decode::ais::{AisMessage, Body, ClassA, Dimensions, StaticVoyage};
use aiswatch_decode::{Decoded, TimeSource};

/// 2026-01-01T00:00:00Z.
pub const T0: Millis = 1_767_225_600_000;
/// The span the reports cover.
pub const SPAN_MS: Millis = 3 * 3_600_000;
/// Stations the fleet is heard by (vessel `i` by station `i % STATIONS`).
pub const STATIONS: usize = 50;
/// The fleet's area, lon and lat.
pub const LON: (f64, f64) = (-10.0, 30.0);
pub const LAT: (f64, f64) = (30.0, 60.0);

/// The stations' names.
pub fn stations() -> Vec<Arc<str>> {
    (0..STATIONS).map(|i| format!("st{i:02}").into()).collect()
}

/// One vessel of the fleet.
pub struct Ship {
    pub mmsi: u32,
    pub lon: f64,
    pub lat: f64,
    /// Degrees per report step, (dlon, dlat).
    pub step: (f64, f64),
    pub sog_dkn: u16,
    pub course_ddeg: u16,
    pub station: usize,
}

/// `n` vessels from `seed`, moving `step_ms` of sailing between reports.
pub fn fleet(n: usize, seed: u64, step_ms: Millis) -> Vec<Ship> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|i| {
            let lon = r.range(LON.0, LON.1);
            let lat = r.range(LAT.0, LAT.1);
            // One in twenty is slow (anchored or loitering), the rest under way.
            let sog_kn = if r.chance(0.05) {
                r.range(0.0, 1.5)
            } else {
                r.range(8.0, 18.0)
            };
            let course = r.range(0.0, 360.0);
            let dist_deg = sog_kn * 1852.0 * (step_ms as f64 / 3_600_000.0) / 111_320.0;
            let (s, c) = course.to_radians().sin_cos();
            Ship {
                // MID 235 (United Kingdom): a valid ship MMSI for up to 1M vessels.
                mmsi: 235_000_000 + i as u32,
                lon,
                lat,
                step: (dist_deg * s / lat.to_radians().cos(), dist_deg * c),
                sog_dkn: (sog_kn * 10.0).round() as u16,
                course_ddeg: (course * 10.0).round() as u16 % 3600,
                station: i % STATIONS,
            }
        })
        .collect()
}

/// Its `k`-th position report, at `t`.
pub fn position(s: &Ship, k: i64, t: Millis, station: &Arc<str>) -> Decoded {
    let lon = s.lon + s.step.0 * k as f64;
    let lat = s.lat + s.step.1 * k as f64;
    let nav = if s.sog_dkn < 20 { 1 } else { 0 };
    class_a(
        s.mmsi,
        t,
        (lon, lat),
        nav,
        s.sog_dkn,
        s.course_ddeg,
        station,
    )
}

/// A type 1 position report of `mmsi` at `t` and `(lon, lat)`: navigation
/// status `nav`, speed in tenths of a knot, course in tenths of a degree
/// (the heading along it).
pub fn class_a(
    mmsi: u32,
    t: Millis,
    (lon, lat): (f64, f64),
    nav: u8,
    sog_dkn: u16,
    course_ddeg: u16,
    station: &Arc<str>,
) -> Decoded {
    Decoded {
        time: t,
        time_source: TimeSource::TagBlock,
        station: Some(station.clone()),
        channel: b'A',
        own_ship: false,
        payload_hash: (u64::from(mmsi) << 32) ^ t as u64,
        message: AisMessage {
            msg_type: 1,
            repeat: 0,
            mmsi,
            body: Body::ClassA(ClassA::report(
                nav,
                sog_dkn,
                (lon * 600_000.0).round() as i32,
                (lat * 600_000.0).round() as i32,
                course_ddeg,
                course_ddeg / 10,
            )),
        },
    }
}

/// Its type 5 (20-character name and destination), at `t`.
pub fn static_voyage(s: &Ship, t: Millis, station: &Arc<str>) -> Decoded {
    Decoded {
        time: t,
        time_source: TimeSource::TagBlock,
        station: Some(station.clone()),
        channel: b'B',
        own_ship: false,
        payload_hash: (u64::from(s.mmsi) << 32) ^ t as u64 ^ 0x5,
        message: AisMessage {
            msg_type: 5,
            repeat: 0,
            mmsi: s.mmsi,
            body: Body::StaticVoyage(Box::new(StaticVoyage {
                ais_version: 0,
                imo: 9_000_000 + s.mmsi % 1_000_000,
                callsign: format!("C{:06}", s.mmsi % 1_000_000),
                // 20 characters each, as on air (no trailing padding).
                shipname: format!("BENCH VESSEL {:07}", s.mmsi % 10_000_000),
                shiptype: 70,
                dims: Dimensions {
                    to_bow: 150,
                    to_stern: 30,
                    to_port: 14,
                    to_starboard: 14,
                },
                epfd: 1,
                month: 1,
                day: 2,
                hour: 12,
                minute: 0,
                draught: 95,
                destination: format!("PORT OF CALL {:07}", s.mmsi % 7_919),
                dte: false,
            })),
        },
    }
}
