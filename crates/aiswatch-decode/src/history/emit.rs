//! Time-ordered [`Row`]s → [`Decoded`] messages: a position report per row,
//! and a static message (type 5, or type 24 parts A/B) whenever an MMSI's
//! static values change. Rows must arrive in time order: the dedup keeps
//! one [`StaticVals`] per MMSI, nothing per row.

use std::collections::VecDeque;
use std::sync::Arc;

use ahash::AHashMap;

use super::row::{Kind, Row, StaticVals};
use super::HistoryStats;
use crate::ais::{
    AidToNav, BaseStation, ClassA, ClassB, Dimensions, LongRange, SarAircraft, StaticDataB,
    StaticVoyage, LAT_NA, LON_NA,
};
use crate::{AisMessage, Body, Decoded};

/// What is known of one vessel's static data so far, in time order.
#[derive(Default)]
struct Vessel {
    known: StaticVals,
    /// The values last laid over `known`: the same allocation again is a
    /// no-op, decided without comparing.
    last: Option<Arc<StaticVals>>,
}

/// Builds messages from rows in time order.
pub(super) struct Emitter {
    hasher: ahash::RandomState,
    vessels: AHashMap<u32, Vessel>,
}

impl Emitter {
    pub fn new() -> Self {
        Emitter {
            // Fixed keys, like the NMEA decoder: equal rows hash equal everywhere.
            hasher: ahash::RandomState::with_seeds(0x5eed, 0x4157, 0xc5f, 0xba11),
            vessels: AHashMap::new(),
        }
    }

    /// Appends the messages of `row` to `out`: its static messages if its
    /// static values change what is known of the MMSI, then its position
    /// (none for a static-only row). Counts them in `stats`.
    pub fn row(&mut self, row: Row, out: &mut VecDeque<Decoded>, stats: &mut HistoryStats) {
        if let Some(vals) = &row.statics {
            self.statics(&row, vals, out, stats);
        }
        if row.kind == Kind::Static {
            return;
        }
        stats.positions += 1;
        let body = position_body(&row);
        let hash = self
            .hasher
            .hash_one((row.mmsi, row.time, row.lat, row.lon, row.msg_type));
        out.push_back(Decoded {
            time: row.time,
            time_source: row.time_source,
            station: row.station,
            channel: 0,
            own_ship: false,
            payload_hash: hash,
            message: AisMessage {
                msg_type: row.msg_type,
                repeat: 0,
                mmsi: row.mmsi,
                body,
            },
        });
    }

    fn statics(
        &mut self,
        row: &Row,
        vals: &Arc<StaticVals>,
        out: &mut VecDeque<Decoded>,
        stats: &mut HistoryStats,
    ) {
        let v = self.vessels.entry(row.mmsi).or_default();
        if v.last.as_ref().is_some_and(|l| Arc::ptr_eq(l, vals)) {
            return;
        }
        v.last = Some(vals.clone());
        if !v.known.changed_by(vals) {
            return;
        }
        let prev = std::mem::take(&mut v.known);
        let now = prev.overlay(vals);
        let class_b = row.class_b();
        let mut msgs: Vec<(u8, Body)> = Vec::with_capacity(2);
        if class_b {
            if now.name.is_some() && now.name != prev.name {
                msgs.push((0, part_a(&now)));
            }
            if (now.shiptype, &now.callsign, now.dims) != (prev.shiptype, &prev.callsign, prev.dims)
            {
                msgs.push((1, part_b(&now)));
            }
        } else {
            msgs.push((0, Body::StaticVoyage(Box::new(static_voyage(&now)))));
        }
        v.known = now;
        let msg_type = if class_b { 24 } else { 5 };
        for (part, body) in msgs {
            stats.statics += 1;
            let hash = self.hasher.hash_one((row.mmsi, row.time, msg_type, part));
            out.push_back(Decoded {
                time: row.time,
                time_source: row.time_source,
                station: row.station.clone(),
                channel: 0,
                own_ship: false,
                payload_hash: hash,
                message: AisMessage {
                    msg_type,
                    repeat: 0,
                    mmsi: row.mmsi,
                    body,
                },
            });
        }
    }
}

fn position_body(r: &Row) -> Body {
    match r.kind {
        Kind::A | Kind::Static => Body::ClassA(ClassA::report(
            r.status, r.speed, r.lon, r.lat, r.course, r.heading,
        )),
        Kind::B => Body::ClassB(ClassB::report(r.speed, r.lon, r.lat, r.course, r.heading)),
        // Type 27 units: 1/10 minute, whole knots (63 n/a), whole degrees (511 n/a).
        Kind::LongRange => Body::LongRange(LongRange {
            accuracy: false,
            raim: false,
            status: r.status,
            lon: if r.lon == LON_NA {
                181 * 600
            } else {
                tenth_minutes(r.lon)
            },
            lat: if r.lat == LAT_NA {
                91 * 600
            } else {
                tenth_minutes(r.lat)
            },
            speed: if r.speed == 1023 {
                63
            } else {
                ((r.speed + 5) / 10).min(62) as u8
            },
            course: if r.course == 3600 {
                511
            } else {
                ((r.course + 5) / 10) % 360
            },
            gnss: false,
        }),
        Kind::Base => {
            let t = aiswatch_core::time::to_datetime(r.time);
            use chrono::{Datelike, Timelike};
            Body::BaseStation(BaseStation {
                year: t.year().clamp(0, 9999) as u16,
                month: t.month() as u8,
                day: t.day() as u8,
                hour: t.hour() as u8,
                minute: t.minute() as u8,
                second: t.second() as u8,
                accuracy: false,
                lon: r.lon,
                lat: r.lat,
                epfd: 0,
                raim: false,
                radio: 0,
            })
        }
        Kind::AtoN => Body::AidToNav(Box::new(AidToNav {
            aid_type: 0,
            name: String::new(),
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            dims: Dimensions::default(),
            epfd: 0,
            second: 60,
            off_position: false,
            regional: 0,
            raim: false,
            virtual_aid: false,
            assigned: false,
        })),
        // Type 9 speed is in whole knots (1023 n/a).
        Kind::Sar => Body::SarAircraft(SarAircraft {
            alt: 4095,
            speed: if r.speed == 1023 {
                1023
            } else {
                (r.speed + 5) / 10
            },
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            course: r.course,
            second: 60,
            regional: 0,
            dte: false,
            assigned: false,
            raim: false,
            radio: 0,
        }),
    }
}

/// 1/10 000 minute → 1/10 minute, rounded.
fn tenth_minutes(raw: i32) -> i32 {
    (f64::from(raw) / 1000.0).round() as i32
}

fn static_voyage(v: &StaticVals) -> StaticVoyage {
    let (month, day, hour, minute) = v.eta.unwrap_or((0, 0, 24, 60));
    StaticVoyage {
        ais_version: 0,
        imo: v.imo.unwrap_or(0),
        callsign: v.callsign.clone().unwrap_or_default(),
        shipname: v.name.clone().unwrap_or_default(),
        shiptype: v.shiptype.unwrap_or(0),
        dims: v.dims.unwrap_or_default(),
        epfd: 0,
        month,
        day,
        hour,
        minute,
        draught: v.draught.unwrap_or(0),
        destination: v.destination.clone().unwrap_or_default(),
        dte: false,
    }
}

fn part_a(v: &StaticVals) -> Body {
    Body::StaticDataB(Box::new(StaticDataB {
        partno: 0,
        shipname: v.name.clone(),
        shiptype: None,
        vendorid: None,
        model: None,
        serial: None,
        callsign: None,
        dims: None,
        mothership_mmsi: None,
    }))
}

fn part_b(v: &StaticVals) -> Body {
    Body::StaticDataB(Box::new(StaticDataB {
        partno: 1,
        shipname: None,
        shiptype: Some(v.shiptype.unwrap_or(0)),
        vendorid: None,
        model: None,
        serial: None,
        callsign: Some(v.callsign.clone().unwrap_or_default()),
        dims: v.dims,
        mothership_mmsi: None,
    }))
}
