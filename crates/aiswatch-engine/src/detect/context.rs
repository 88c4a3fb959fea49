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

/// One detector's pending checks, earliest first.
type Heap = BinaryHeap<Reverse<(Millis, Key)>>;

/// Every detector's pending checks: a heap per detector (by registry
/// index), so an entry need not name its detector. Checks come out in
/// the order of their time, then of the detector, then of the key.
#[derive(Debug)]
pub(crate) struct Deadlines {
    heaps: Vec<Heap>,
}

impl Deadlines {
    /// Deadlines of `n` detectors.
    pub(crate) fn new(n: usize) -> Deadlines {
        Deadlines {
            heaps: (0..n).map(|_| Heap::new()).collect(),
        }
    }

    /// Schedules detector `me`'s check `key` at `at`.
    pub(crate) fn push(&mut self, me: u8, at: Millis, key: Key) {
        self.heaps[usize::from(me)].push(Reverse((at, key)));
    }

    /// The first check due at or before `now`: its detector, time and key.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<(u8, Millis, Key)> {
        let mut first: Option<(Millis, usize)> = None;
        for (i, h) in self.heaps.iter().enumerate() {
            if let Some(Reverse((at, _))) = h.peek() {
                if *at <= now && first.is_none_or(|(f, _)| *at < f) {
                    first = Some((*at, i));
                }
            }
        }
        let (_, i) = first?;
        let Reverse((at, key)) = self.heaps[i].pop()?;
        Some((i as u8, at, key))
    }

    /// Keeps the checks for which `keep(detector, key)` holds.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u8, &Key) -> bool) {
        for (i, h) in self.heaps.iter_mut().enumerate() {
            h.retain(|Reverse((_, key))| keep(i as u8, key));
            if crate::oversized(h.capacity(), h.len()) {
                h.shrink_to_fit();
            }
        }
    }

    /// Replaces each key by `map(detector, key)`, dropping those it maps to
    /// `None`.
    pub(crate) fn remap(&mut self, mut map: impl FnMut(u8, Key) -> Option<Key>) {
        for (i, h) in self.heaps.iter_mut().enumerate() {
            *h = std::mem::take(h)
                .into_vec()
                .into_iter()
                .filter_map(|Reverse((at, key))| map(i as u8, key).map(|k| Reverse((at, k))))
                .collect();
        }
    }

    /// Every pending check: its detector and key.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u8, &Key)> {
        self.heaps
            .iter()
            .enumerate()
            .flat_map(|(i, h)| h.iter().map(move |Reverse((_, key))| (i as u8, key)))
    }
}

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
    /// See `Detectors::former_stations`.
    pub(crate) former_stations: &'a AHashMap<Mmsi, Arc<str>>,
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
        self.heap.push(self.me, at, key);
    }

    /// The name of the station that heard `mmsi`'s last position report.
    pub(crate) fn station_of(&self, mmsi: Mmsi, v: &VState) -> Arc<str> {
        match v.station {
            Some(id) => self.live.name(id),
            None => self.former_stations.get(&mmsi).cloned().unwrap_or_default(),
        }
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
