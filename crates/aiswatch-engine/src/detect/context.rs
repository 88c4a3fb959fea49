//! What a detector is handed on every call: the zones and their thresholds,
//! the vessels' shared state (last fix, place, stations), the clock, its own
//! deadlines and the alerts going out.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use ahash::AHashMap;

use super::place::Place;
use super::silence::{Coverage, Liveness};
use super::{ms, DetectConfig, Fix, Step, VState};
use crate::alert::Alert;
use crate::track::{Mmsi, TrackStore};
use aiswatch_core::time::Millis;
use aiswatch_zones::{Zone, ZoneSet};

/// A detector's own name for one of its pending checks: the vessel, a
/// second number (a zone index, the other vessel of a pair, or 0) and an
/// instant (when the episode began, or its last anomaly). Checks due at the
/// same time run in registry order, then in the order of their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    pub(crate) vessel: Mmsi,
    pub(crate) other: u32,
    pub(crate) at: Millis,
}

impl Key {
    /// A check of `vessel` alone.
    pub(crate) fn vessel(vessel: Mmsi) -> Key {
        Key {
            vessel,
            other: 0,
            at: 0,
        }
    }

    /// A check of `vessel`'s episode or alert marked by `at`.
    pub(crate) fn at(vessel: Mmsi, at: Millis) -> Key {
        Key {
            vessel,
            other: 0,
            at,
        }
    }
}

/// A deadline: when, whose (index in the registry), which check.
pub(crate) type Deadline = (Millis, u8, Key);

/// The deadline heap, earliest first.
pub(crate) type Deadlines = BinaryHeap<Reverse<Deadline>>;

/// One position report as the detectors see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report<'a> {
    pub(crate) mmsi: Mmsi,
    pub(crate) fix: &'a Fix,
    /// The vessel's previous fix (its own, else the track store's).
    pub(crate) prev: Option<&'a Fix>,
    /// The step from `prev`, measured once.
    pub(crate) step: Option<Step<'a>>,
    pub(crate) place: &'a Place,
    /// Where the previous report was.
    pub(crate) prev_place: &'a Place,
    pub(crate) station: &'a Arc<str>,
}

/// Everything a detector reads, and where it writes: its deadlines and the
/// alerts.
pub(crate) struct Context<'a> {
    pub(crate) cfg: &'a DetectConfig,
    pub(crate) zones: &'a ZoneSet,
    /// Shared per-vessel state (every vessel seen in a zone).
    pub(crate) vessels: &'a AHashMap<Mmsi, Box<VState>>,
    pub(crate) live: &'a Liveness,
    pub(crate) coverage: &'a Coverage,
    pub(crate) tracks: &'a TrackStore,
    /// Event time of the call: the report's time, or the tick's.
    pub(crate) now: Millis,
    pub(crate) out: &'a mut Vec<Alert>,
    pub(crate) heap: &'a mut Deadlines,
    /// The registry index of the detector called.
    pub(crate) me: u8,
}

impl Context<'_> {
    /// Schedules the calling detector's check `key` at `at`.
    pub(crate) fn schedule(&mut self, at: Millis, key: Key) {
        self.heap.push(Reverse((at, self.me, key)));
    }

    /// Zone `z` (by index).
    pub(crate) fn zone(&self, z: u16) -> &Zone {
        &self.zones.zones()[usize::from(z)]
    }

    /// The vessel's last fix.
    pub(crate) fn last(&self, mmsi: Mmsi) -> Option<&Fix> {
        self.vessels.get(&mmsi)?.last.as_ref()
    }

    /// `stale_after`, ms.
    pub(crate) fn stale(&self) -> Millis {
        ms(self.cfg.stale_after)
    }

    /// `update_every`, ms.
    pub(crate) fn update_every(&self) -> Millis {
        ms(self.cfg.update_every)
    }

    /// `resume_within`, ms.
    pub(crate) fn resume_within(&self) -> Millis {
        ms(self.cfg.resume_within)
    }
}
