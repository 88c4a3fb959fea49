//! Swapping the zones under running detectors (zones edited live).
//!
//! State refers to zones by index, so a new [`ZoneSet`] is matched to the
//! old one by zone id: what a kept zone holds (open alerts, loitering,
//! pairs, pending checks) carries over under its new index; open alerts of
//! a zone that is gone, or of a detector the zone no longer runs, close
//! with `"reason": "zone_removed"` / `"detector_removed"` in their details
//! and go out like any other alert change. Every vessel's place is looked
//! up again, since boundaries may have moved.

use super::registry::Reload;
use super::Detectors;
use crate::alert::Alert;
use crate::track::{Mmsi, TrackStore};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

impl Detectors {
    /// Replaces the zones at event time `now`. Open alerts of removed zones
    /// (or of detectors a zone dropped) are closed into `out`, detector by
    /// detector in registry order.
    pub fn set_zones(
        &mut self,
        zones: ZoneSet,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        // Old index → new index, for zones kept (same id).
        let map: Vec<Option<u16>> = self
            .zones
            .zones()
            .iter()
            .map(|z| {
                zones
                    .zones()
                    .iter()
                    .position(|n| n.id == z.id)
                    .map(|i| i as u16)
            })
            .collect();
        let reload = Reload {
            map: &map,
            zones: &zones,
        };

        // 1. Close what ends, while the old zones still name it.
        {
            let (dets, mut cx) = self.split(now, tracks, out);
            for (i, d) in dets.iter_mut().enumerate() {
                cx.me = i as u8;
                d.unwatch(&mut cx, &reload);
            }
        }
        for d in &mut self.dets {
            d.remap(&reload);
            d.configure(&zones, &self.cfg.defaults);
        }

        // 2. Swap, and look every vessel's place up again.
        self.runs = super::runs_by_zone(&zones);
        self.zones = zones;
        self.place_cells.clear();
        let mmsis: Vec<Mmsi> = self.vessels.keys().copied().collect();
        for mmsi in &mmsis {
            let last = self.vessels.get(mmsi).and_then(|v| v.last.as_ref());
            let (place, place_cell) = match last.map(|f| (f.lon, f.lat)) {
                Some((lon, lat)) => self.place(lon, lat),
                None => Default::default(),
            };
            let Some(v) = self.vessels.get_mut(mmsi) else {
                continue;
            };
            v.place = place;
            v.place_cell = place_cell;
            v.rezoned = true;
        }

        // 3. Pending checks follow their zone or are dropped (their state
        // is gone); detectors re-arm what the new zones need.
        let reload = Reload {
            map: &map,
            zones: &self.zones,
        };
        let dets = &self.dets;
        self.heap
            .remap(|i, key| dets[usize::from(i)].remap_key(key, &reload));
        let (dets, mut cx) = self.split(now, tracks, out);
        for (i, d) in dets.iter_mut().enumerate() {
            cx.me = i as u8;
            d.rearm(&mut cx);
        }
    }
}
