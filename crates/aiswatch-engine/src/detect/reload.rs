//! Swapping the zones under running detectors (zones edited live).
//!
//! State refers to zones by index, so a new [`ZoneSet`] is matched to the
//! old one by zone id: what a kept zone holds (open alerts, loitering,
//! pairs, pending checks) carries over under its new index; open alerts of
//! a zone that is gone, or of a detector the zone no longer runs, close
//! with `"reason": "zone_removed"` / `"detector_removed"` in their details
//! and go out like any other alert change. Every vessel's place is looked
//! up again, since boundaries may have moved.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde_json::json;

use super::{DarkEnd, Detectors, Task};
use crate::alert::{Alert, Kind, State, VesselInfo};
use crate::track::{Mmsi, TrackStore};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

/// Why an alert closed because of a reload.
const ZONE_REMOVED: &str = "zone_removed";
const DETECTOR_REMOVED: &str = "detector_removed";

impl Detectors {
    /// Replaces the zones at event time `now`. Open alerts of removed zones
    /// (or of detectors a zone dropped) are closed into `out`.
    pub fn set_zones(
        &mut self,
        zones: ZoneSet,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let defaults = self.cfg.defaults();
        let resolved: Vec<_> = zones
            .zones()
            .iter()
            .map(|z| z.detect.resolve(&defaults))
            .collect();
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
        let why = |new: Option<u16>, runs: &dyn Fn(usize) -> bool| match new {
            None => Some(ZONE_REMOVED),
            Some(n) if !runs(usize::from(n)) => Some(DETECTOR_REMOVED),
            Some(_) => None,
        };

        // 1. Close what ends, while the old zones still name it.
        let mmsis: Vec<Mmsi> = self.vessels.keys().copied().collect();
        for mmsi in &mmsis {
            let Some(v) = self.vessels.get_mut(mmsi) else {
                continue;
            };
            let ended_dark = v.dark.as_ref().and_then(|d| {
                why(map[usize::from(d.zone)], &|n| {
                    resolved[n].dark_period.is_some()
                })
            });
            let dark = ended_dark.and_then(|r| v.dark.take().map(|d| (d, r)));
            let ended_spoof = v.spoof.as_ref().and_then(|s| {
                why(map[usize::from(s.zone)], &|n| {
                    resolved[n].spoofing.is_some()
                })
            });
            let spoof = ended_spoof.and_then(|r| v.spoof.take().map(|s| (s, r)));
            let ended_ident = v.ident.as_ref().and_then(|i| {
                why(map[usize::from(i.zone)], &|n| {
                    resolved[n].identity_change.is_some()
                })
            });
            let ident = ended_ident.and_then(|r| v.ident.take().map(|i| (i, r)));
            let ended_fish = v
                .fish
                .as_ref()
                .and_then(|f| why(map[usize::from(f.zone)], &|n| resolved[n].fishing.is_some()));
            let fish = ended_fish.and_then(|r| v.fish.take().map(|f| (f, r)));
            let ended_drift = v.drift.as_ref().and_then(|d| {
                why(map[usize::from(d.zone)], &|n| {
                    resolved[n].drifting.is_some()
                })
            });
            let drift = ended_drift.and_then(|r| v.drift.take().map(|d| (d, r)));
            let mut loiters = Vec::new();
            for l in std::mem::take(&mut v.loiter) {
                match why(map[usize::from(l.zone)], &|n| {
                    resolved[n].loitering.is_some()
                }) {
                    Some(r) => {
                        if let Some(id) = l.alert.clone() {
                            loiters.push((l, id, r));
                        }
                    }
                    None => v.loiter.push(l),
                }
            }
            let last = v.last.clone();
            let pos = last.as_ref().map_or((0.0, 0.0), |f| (f.lon, f.lat));
            let info = || VesselInfo::from_store(tracks, *mmsi);
            if let Some((d, reason)) = dark {
                let end = DarkEnd::Unwatched { now, reason };
                out.push(self.dark_closed(*mmsi, d, end, tracks));
            }
            if let Some((i, reason)) = ident {
                out.push(self.ident_closed(*mmsi, i, last.as_ref(), now, Some(reason), tracks));
            }
            if let Some(f) = &last {
                if let Some((x, reason)) = fish {
                    out.extend(self.fish_ended(*mmsi, x, f, now, reason, tracks));
                }
                if let Some((d, reason)) = drift {
                    out.extend(self.drift_ended(*mmsi, d, f, now, reason, tracks));
                }
            }
            if let Some((s, reason)) = spoof {
                let z = &self.zones.zones()[usize::from(s.zone)];
                out.push(Alert {
                    id: s.id,
                    kind: Kind::Spoofing,
                    state: State::Closed,
                    mmsi: vec![*mmsi],
                    zone: z.id.clone(),
                    zone_name: z.name.clone(),
                    centre: z.centres.clone(),
                    at: now,
                    started_at: s.started,
                    ended_at: Some(s.last_anomaly),
                    lat: pos.1,
                    lon: pos.0,
                    summary: format!(
                        "{}: spoofing watch ended ({}) in {} ({} anomalies in all).",
                        info().label(),
                        reason.replace('_', " "),
                        z.name.as_deref().unwrap_or(&z.id),
                        s.anomalies
                    ),
                    vessels: vec![info()],
                    details: json!({ "reason": reason, "anomalies": s.anomalies }),
                });
            }
            for (l, id, reason) in loiters {
                let at = super::loitering::At {
                    at: now,
                    ended: Some(last.as_ref().map_or(now, |f| f.time.min(now))),
                    pos,
                };
                out.push(self.loiter_alert(*mmsi, &l, id, State::Closed, at, reason, tracks));
            }
        }
        let ending: Vec<((Mmsi, Mmsi), &'static str)> = self
            .pairs
            .iter()
            .filter_map(|(k, p)| {
                why(map[usize::from(p.zone)], &|n| {
                    resolved[n].rendezvous.is_some()
                })
                .map(|r| (*k, r))
            })
            .collect();
        for (key, reason) in ending {
            self.end_pair(key, now, reason, tracks, out);
        }

        // 2. Swap, and carry what is kept over to the new indices.
        self.zones = zones;
        self.resolved = resolved;
        self.place_cells.clear();
        let remap = |z: u16| map[usize::from(z)];
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
            // Zones were all kept above (or their state was taken).
            if let Some(d) = &mut v.dark {
                d.zone = remap(d.zone).unwrap_or(d.zone);
            }
            if let Some(s) = &mut v.spoof {
                s.zone = remap(s.zone).unwrap_or(s.zone);
            }
            if let Some(i) = &mut v.ident {
                i.zone = remap(i.zone).unwrap_or(i.zone);
            }
            if let Some(f) = &mut v.fish {
                f.zone = remap(f.zone).unwrap_or(f.zone);
            }
            if let Some(d) = &mut v.drift {
                d.zone = remap(d.zone).unwrap_or(d.zone);
            }
            for l in &mut v.loiter {
                l.zone = remap(l.zone).unwrap_or(l.zone);
            }
        }
        for p in self.pairs.values_mut() {
            p.zone = remap(p.zone).unwrap_or(p.zone);
        }
        // Pending checks: zone-bound ones follow their zone or are dropped
        // (their state is gone); a silence check is re-armed for every
        // vessel, since its zone's gap may have changed.
        let old = std::mem::take(&mut self.heap).into_vec();
        let mut heap: BinaryHeap<Reverse<(Millis, Task)>> = old
            .into_iter()
            .filter_map(|Reverse((at, t))| match t {
                Task::Loiter(m, z, since) => {
                    remap(z).map(|n| Reverse((at, Task::Loiter(m, n, since))))
                }
                Task::Dark(_) => None,
                t => Some(Reverse((at, t))),
            })
            .collect();
        for (mmsi, v) in self.vessels.iter_mut() {
            v.dark_pending = false;
            let gap = v.place.zones.iter().find_map(|&z| {
                self.resolved[usize::from(z)]
                    .dark_period
                    .map(|p| super::ms(p.min_gap))
            });
            if let (Some(gap), Some(last)) = (gap, v.last.as_ref()) {
                v.dark_pending = true;
                heap.push(Reverse(((last.time + gap).max(now), Task::Dark(*mmsi))));
            }
        }
        self.heap = heap;
    }
}
