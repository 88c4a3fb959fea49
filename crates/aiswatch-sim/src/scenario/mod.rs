//! The scenario: which vessels exist, what each is scripted to do, what the
//! stations hear, and the truth and traps derived from what they heard.

use std::collections::BTreeMap;

use super::encode::{StaticA, StaticB};
use super::world::Seg;
use aiswatch_core::rng::Rng;

mod behaviour;
mod derive;
pub(crate) mod edge;
mod emit;
mod noise;
mod plan;
mod speeding;

pub(crate) use behaviour::CLOSED;
pub(crate) use derive::derive;
pub(crate) use emit::emit;
pub(crate) use noise::add_noise;
pub(crate) use plan::plan;
pub(crate) use speeding::APPROACH;

use emit::{Emission, Heard, Record};

const H: f64 = 3600.0;
const MIN: f64 = 60.0;
/// Speed at or below which a report counts as slow (the zone's threshold).
pub(crate) const SLOW_KN: f64 = 2.0;
/// Reports closer than this are "together" for rendezvous truth.
pub(crate) const MEET_M: f64 = 500.0;
/// A silence longer than this must be explained (planned, or the outage).
pub(crate) const GAP_S: i64 = 600;

/// Identity and static data of a vessel.
pub(crate) struct Vessel {
    pub mmsi: u32,
    pub class_b: bool,
    /// Class B units without a heading sensor send 511.
    pub has_heading: bool,
    pub path: Vec<Seg>,
    /// `[t0, t1)` windows (s from start) in which it does not transmit.
    pub silences: Vec<(f64, f64)>,
    /// From each time on (s from start), the name it broadcasts.
    pub renames: Vec<(f64, String)>,
    /// `[t0, t1)` windows with the heading this many degrees off the course.
    pub heading_off: Vec<(f64, f64, f64)>,
    /// The first position report at or after this time (s from start)
    /// carries this speed over ground instead of the true one (a glitch).
    pub glitch: Option<(f64, f64)>,
    pub static_a: Option<StaticA>,
    pub static_b: Option<StaticB>,
    pub rng: Rng,
}

/// What was scripted, with the vessels' indices.
pub(crate) enum Plan {
    Dark {
        v: usize,
        t0: f64,
        t1: f64,
    },
    Loiter {
        v: usize,
        t0: f64,
        t1: f64,
    },
    Rendezvous {
        a: usize,
        b: usize,
        t0: f64,
        t1: f64,
    },
    PortAnchor {
        vs: Vec<usize>,
    },
    FastPass {
        a: usize,
        b: usize,
        t: f64,
    },
    ShortGap {
        v: usize,
        t0: f64,
        t1: f64,
    },
}

/// The planned world.
pub(crate) struct Scenario {
    pub vessels: Vec<Vessel>,
    pub plans: Vec<Plan>,
    /// Identity changes, drifting and fishing (see [`behaviour`]).
    pub xplans: Vec<behaviour::XPlan>,
    /// Speeding in the port approach (see [`speeding`]).
    pub splans: Vec<speeding::SPlan>,
    /// `[t0, t1)` when [`OUTAGE_STATION`] hears nothing.
    pub outage: Option<(f64, f64)>,
    /// Run length, s.
    pub horizon: f64,
}

/// A truth or trap item in seconds from the start, before formatting.
pub(crate) struct Item {
    pub kind: &'static str,
    pub mmsi: Vec<u32>,
    pub zone: Option<&'static str>,
    pub t0: i64,
    pub t1: i64,
    pub note: Option<String>,
}

/// Counts per kind.
pub(crate) fn count(items: &[Item]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.kind.to_string()).or_insert(0) += 1;
    }
    m
}
