//! The detectors that follow at most one episode per vessel, in one zone
//! at a time: drifting, fishing, speeding. What they share is here: their
//! thresholds in each zone, the history they need, their checks, and what
//! ends an episode from outside it (the vessel forgotten or silent, its
//! zone gone or no longer running the detector). Each says what a report
//! starts, feeds or ends, what its due check finds, and what its alert
//! says ([`VesselEpisode`]); the detector is [`Episodes`] of it.

use std::time::Duration;

use ahash::{AHashMap, AHashSet};
use serde::de::DeserializeOwned;

use super::context::{Context, Key, Report};
use super::episode::{Contact, Episode};
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{shrink, DetectConfig, Fix, REASON_FORGOTTEN};
use crate::alert::{Alert, Kind};
use crate::track::Mmsi;
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

/// A vessel's episode, as one detector follows it.
pub(super) trait VesselEpisode: Sized + Send {
    /// The detector's kind.
    const KIND: Kind;
    /// Its thresholds in a zone.
    type Params: DeserializeOwned + Default + Copy + Send;

    /// How long an episode lasts at least before it alerts, under `p`.
    fn min_duration(p: &Self::Params) -> Duration;

    /// Its life: since when, its alert, its checks.
    fn episode_mut(&mut self) -> &mut Episode;

    /// The zone it is in (an index into the zone set).
    fn zone_mut(&mut self) -> &mut u16;

    /// A position report `r`: starts, feeds or ends its vessel's episode.
    fn report(on: &mut Episodes<Self>, cx: &mut Context, r: &Report);

    /// The check of the episode of `mmsi` that began at `since` is due
    /// (at `cx.now`).
    fn check(on: &mut Episodes<Self>, cx: &mut Context, mmsi: Mmsi, since: Millis);

    /// Its alert (once it has one) at `cx.now`, `last` the vessel's last
    /// report: an update, or the close when it ended for a reason (at
    /// `last`).
    fn alert(
        &self,
        cx: &Context,
        params: &ZoneParams<Self::Params>,
        mmsi: Mmsi,
        last: &Fix,
        ended_for: Option<&str>,
    ) -> Option<Alert>;
}

/// A detector of [`VesselEpisode`]s: its thresholds in each zone, and the
/// episode of each vessel it follows.
pub(super) struct Episodes<E: VesselEpisode> {
    pub(super) params: ZoneParams<E::Params>,
    pub(super) vessels: AHashMap<Mmsi, E>,
}

impl<E: VesselEpisode> Default for Episodes<E> {
    fn default() -> Self {
        Episodes {
            params: ZoneParams::default(),
            vessels: AHashMap::default(),
        }
    }
}

impl<E: VesselEpisode> Episodes<E> {
    /// The first of the zones of report `r` where the detector runs, and
    /// its thresholds there.
    pub(super) fn zone_of(&self, r: &Report) -> Option<(u16, E::Params)> {
        r.place
            .zones
            .iter()
            .find_map(|&z| self.params.get(z).map(|p| (z, *p)))
    }

    /// Ends the episode of `mmsi`, if it has one, for `reason` at report
    /// `last`.
    pub(super) fn end(&mut self, cx: &mut Context, mmsi: Mmsi, last: &Fix, reason: &str) {
        if let Some(e) = self.vessels.remove(&mmsi) {
            let alert = e.alert(cx, &self.params, mmsi, last, Some(reason));
            cx.out.extend(alert);
        }
    }

    /// Ends the episode of `mmsi`, if it has one, for `reason` at the
    /// vessel's last report (silently when none is known).
    fn end_at_last(&mut self, cx: &mut Context, mmsi: Mmsi, reason: &str) {
        match cx.last(mmsi).cloned() {
            Some(last) => self.end(cx, mmsi, &last, reason),
            None => {
                self.vessels.remove(&mmsi);
            }
        }
    }

    /// For a due check: the episode of `mmsi` that began at `since`, with
    /// the thresholds and the vessel's last report, while it is heard. An
    /// episode whose vessel has been silent for `stale_after` ends here,
    /// "contact lost" (it is not suspended). `None`: nothing to check.
    pub(super) fn heard(
        &mut self,
        cx: &mut Context,
        mmsi: Mmsi,
        since: Millis,
    ) -> Option<(&ZoneParams<E::Params>, &mut E, Fix)> {
        let last = cx.last(mmsi).cloned()?;
        if self.vessels.get_mut(&mmsi)?.episode_mut().since != since {
            return None;
        }
        if Episode::contact(cx.now, last.time, cx.stale(), 0) != Contact::Heard {
            self.end(cx, mmsi, &last, "contact lost");
            return None;
        }
        let e = self.vessels.get_mut(&mmsi)?;
        Some((&self.params, e, last))
    }
}

/// Opens the alert of episode `e` of `mmsi`, begun at `since`, or updates
/// it (`last`: the vessel's last report), and checks it again after
/// `update_every`.
pub(super) fn raise<E: VesselEpisode>(
    cx: &mut Context,
    params: &ZoneParams<E::Params>,
    e: &mut E,
    mmsi: Mmsi,
    since: Millis,
    last: &Fix,
) {
    let next = cx.now.saturating_add(cx.update_every());
    let z = cx.zone(*e.zone_mut());
    let (state, _) = e.episode_mut().raise(E::KIND, &z.id, &[mmsi], next);
    let alert = e
        .alert(cx, params, mmsi, last, None)
        .map(|a| Alert { state, ..a });
    cx.out.extend(alert);
    cx.schedule(next, Key::at(mmsi, since));
}

impl<E: VesselEpisode> Detector for Episodes<E> {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(E::KIND, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        Memory::episodes(self.params.iter().map(E::min_duration))
    }

    fn position(&mut self, cx: &mut Context, r: &Report) {
        E::report(self, cx, r);
    }

    fn due(&mut self, cx: &mut Context, key: Key, _due: Millis) {
        E::check(self, cx, key.vessel, key.at);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        self.end_at_last(cx, mmsi, REASON_FORGOTTEN);
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink(&mut self.vessels);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        let ending: Vec<(Mmsi, &'static str)> = self
            .vessels
            .iter_mut()
            .filter_map(|(m, e)| reload.ends(*e.zone_mut(), E::KIND).map(|r| (*m, r)))
            .collect();
        for (mmsi, reason) in ending {
            self.end_at_last(cx, mmsi, reason);
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for e in self.vessels.values_mut() {
            let z = e.zone_mut();
            *z = reload.zone(*z);
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi)
    }
}
