//! The detectors, in registry order, and what each one offers the
//! orchestrator ([`Detector`]).
//!
//! Registry order is the order of the kinds list, and the order in which
//! checks due at the same instant run, reports are shown to the detectors
//! and a forgotten vessel's alerts close.

use std::time::Duration;

use ahash::AHashSet;

use super::context::{Context, Key, Report};
use super::DetectConfig;
use crate::alert::Kind;
use crate::track::{Mmsi, StaticInfo};
use aiswatch_core::time::Millis;
use aiswatch_zones::ResolvedDetect;

/// Every detector, in registry order.
pub(crate) fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(super::dark_period::DarkPeriod::default()),
        Box::new(super::loitering::Loitering::default()),
        Box::new(super::rendezvous::Rendezvous::default()),
        Box::new(super::spoofing::Spoofing::default()),
        Box::new(super::identity_change::IdentityChange::default()),
        Box::new(super::fishing::Fishing::default()),
        Box::new(super::drifting::Drifting::default()),
    ]
}

/// How far back a detector needs history to decide what it decides next.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    /// The longest time an episode must last before it alerts (a silence
    /// counts double: see [`super::Detectors::memory_window`]).
    pub(crate) episode: Duration,
    /// The longest time an open alert waits, quiet, before it closes.
    pub(crate) quiet: Duration,
}

/// What a zone reload does to a detector's zone indices: old index → new
/// index of the same zone, and whether the new zone runs the detector.
pub(crate) struct Reload<'a> {
    pub(crate) map: &'a [Option<u16>],
    pub(crate) resolved: &'a [ResolvedDetect],
}

/// Why an alert closed because of a reload.
pub(crate) const ZONE_REMOVED: &str = "zone_removed";
pub(crate) const DETECTOR_REMOVED: &str = "detector_removed";

impl Reload<'_> {
    /// Why what a detector holds in old zone `z` ends (`None`: it goes on),
    /// `runs` telling whether a zone runs the detector.
    pub(crate) fn ends(&self, z: u16, runs: fn(&ResolvedDetect) -> bool) -> Option<&'static str> {
        match self.map[usize::from(z)] {
            None => Some(ZONE_REMOVED),
            Some(n) if !runs(&self.resolved[usize::from(n)]) => Some(DETECTOR_REMOVED),
            Some(_) => None,
        }
    }

    /// The new index of old zone `z` (itself when gone: its state was
    /// taken by [`Detector::unwatch`]).
    pub(crate) fn zone(&self, z: u16) -> u16 {
        self.map[usize::from(z)].unwrap_or(z)
    }
}

/// A detector: its per-vessel state, its checks, its alerts. Every call
/// gets a [`Context`] with the shared state; calls for one report, tick or
/// forgotten vessel go to the detectors in registry order.
pub(crate) trait Detector: Send {
    /// The kind of its alerts.
    fn kind(&self) -> Kind;

    /// Whether a zone with these thresholds runs it.
    fn runs_in(&self, r: &ResolvedDetect) -> bool;

    /// How far back it looks, over `resolved` (every zone's thresholds).
    fn memory(&self, resolved: &[ResolvedDetect], cfg: &DetectConfig) -> Memory;

    /// A check of the report itself (the silence it ends, the jump to it):
    /// every detector sees this before any sees [`Detector::position`].
    fn before_position(&mut self, _cx: &mut Context, _r: &Report) {}

    /// A new position report.
    fn position(&mut self, _cx: &mut Context, _r: &Report) {}

    /// New static data of `mmsi` (the track store holds it already;
    /// `before` is what it held before).
    fn static_data(&mut self, _cx: &mut Context, _mmsi: Mmsi, _before: Option<&StaticInfo>) {}

    /// Its check `key`, scheduled for `due`, runs (at `cx.now`).
    fn due(&mut self, _cx: &mut Context, _key: Key, _due: Millis) {}

    /// The vessels check `key` is about.
    fn vessels_of(&self, key: &Key) -> (Mmsi, Option<Mmsi>) {
        (key.vessel, None)
    }

    /// `mmsi` is being forgotten: events shared with other vessels end
    /// here, before any detector forgets it, while every vessel's last fix
    /// is known.
    fn release(&mut self, _cx: &mut Context, _mmsi: Mmsi) {}

    /// `mmsi` is forgotten: its state goes, its open alerts close (with
    /// [`super::REASON_FORGOTTEN`]).
    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi);

    /// After a round of [`Detector::forget`]: drops what refers to the
    /// `dropped` vessels elsewhere, gives memory back.
    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {}

    /// A reload: closes (while the old zones still name them) what ends.
    fn unwatch(&mut self, cx: &mut Context, reload: &Reload);

    /// A reload: what is kept moves to the new zone indices.
    fn remap(&mut self, reload: &Reload);

    /// A reload: check `key` under the new zone indices, `None` to drop it.
    fn remap_key(&self, key: Key, _reload: &Reload) -> Option<Key> {
        Some(key)
    }

    /// After a reload, with the new zones: schedules what the new zones need.
    fn rearm(&mut self, _cx: &mut Context) {}

    /// Whether it holds any state of `mmsi`.
    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool;
}
