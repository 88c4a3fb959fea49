//! Rendezvous: two slow vessels close together in a zone, outside ports,
//! for at least `min_duration`. Slow vessels are kept in an R-tree so a
//! report finds its neighbours without scanning the fleet.

use std::cmp::Reverse;

use rstar::primitives::GeomWithData;
use rstar::AABB;
use serde_json::json;
use smallvec::SmallVec;

use super::interrupt::{Resume, Silences};
use super::{haversine, ms, Detectors, Fix, Place, Task};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::index::M_PER_DEG_LAT;
use crate::track::{Mmsi, TrackStore};

#[derive(Debug)]
pub(super) struct Pair {
    pub(super) zone: u16,
    pub(super) since: Millis,
    pub(super) last_close: Millis,
    pub(super) min_m: f64,
    pub(super) max_m: f64,
    pub(super) last_m: f64,
    pub(super) alert: Option<AlertId>,
    /// Silences (of either vessel) it went on after.
    pub(super) silences: Silences,
    /// When its one live check is due (see [`super::loitering::Loiter`]).
    pub(super) check_at: Millis,
}

pub(super) type Candidate = GeomWithData<[f64; 2], Mmsi>;

impl Detectors {
    pub(super) fn rendezvous(
        &mut self,
        mmsi: Mmsi,
        fix: &Fix,
        prev: Option<&Fix>,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let hyst = self.cfg.speed_hysteresis_kn;
        // The rendezvous zone here (first that runs it), unless in port.
        let zone = if place.in_port {
            None
        } else {
            place
                .zones
                .iter()
                .find_map(|&z| self.resolved[usize::from(z)].rendezvous.map(|p| (z, p)))
        };
        let slow = zone.and_then(|(_, p)| self.slow_in(fix, p.max_speed_kn, hyst));
        // Break pairs this report ends.
        let partners: SmallVec<[Mmsi; 4]> = self
            .vessels
            .get(&mmsi)
            .map(|v| v.partners.iter().copied().collect())
            .unwrap_or_default();
        for other in partners {
            let key = pair_key(mmsi, other);
            let Some(pair) = self.pairs.get(&key) else {
                continue;
            };
            let p = self.resolved[usize::from(pair.zone)]
                .rendezvous
                .unwrap_or_default();
            // This vessel back after a silence: still slow, and no further
            // than its drift distance from where it fell silent?
            let resume = self.resume_rule(p.max_speed_kn).judge(prev, fix, slow);
            let other_fix = self.vessels.get(&other).and_then(|v| v.last.clone());
            let dist = other_fix
                .as_ref()
                .map(|o| haversine(o.lon, o.lat, fix.lon, fix.lat));
            let apart = dist.is_none_or(|d| d > p.max_distance_m * 1.5);
            let left = zone.is_none_or(|(z, _)| z != pair.zone);
            if resume == Resume::Ends {
                self.end_pair(key, fix.time, "contact lost", tracks, out);
            } else if apart || left || slow == Some(false) {
                let reason = if left {
                    "left the zone"
                } else if slow == Some(false) {
                    "under way again"
                } else {
                    "parted"
                };
                self.end_pair(key, fix.time, reason, tracks, out);
            } else if let (Some(pair), Some(d)) = (self.pairs.get_mut(&key), dist) {
                if let Resume::Continues(gap) = resume {
                    // Check (open or update) at once.
                    pair.silences.add(gap);
                    pair.check_at = fix.time.max(pair.since.saturating_add(ms(p.min_duration)));
                    let task = Task::Pair(key.0, key.1, pair.since);
                    self.heap.push(Reverse((pair.check_at, task)));
                }
                if d <= p.max_distance_m {
                    pair.last_close = fix.time;
                }
                pair.min_m = pair.min_m.min(d);
                pair.max_m = pair.max_m.max(d);
                pair.last_m = d;
            }
        }
        // Keep the slow-vessel index in step.
        if let Some(old) = self.slow_pos.remove(&mmsi) {
            self.slow.remove(&GeomWithData::new(old, mmsi));
        }
        let (Some((z, p)), Some(true)) = (zone, slow) else {
            return;
        };
        let here = [fix.lon, fix.lat];
        self.slow.insert(GeomWithData::new(here, mmsi));
        self.slow_pos.insert(mmsi, here);
        // Neighbours within the distance, slow, recent and in the same zone.
        let dlat = p.max_distance_m / M_PER_DEG_LAT;
        let dlon = dlat / fix.lat.to_radians().cos().max(1e-6);
        let env = AABB::from_corners(
            [fix.lon - dlon, fix.lat - dlat],
            [fix.lon + dlon, fix.lat + dlat],
        );
        let stale = ms(self.cfg.stale_after);
        let near: SmallVec<[(Mmsi, f64); 4]> = self
            .slow
            .locate_in_envelope(&env)
            .filter(|c| c.data != mmsi)
            .filter_map(|c| {
                let o = self.vessels.get(&c.data)?;
                let of = o.last.as_ref()?;
                let d = haversine(of.lon, of.lat, fix.lon, fix.lat);
                let ok = d <= p.max_distance_m
                    && fix.time - of.time <= stale.min(600_000)
                    && o.place.zones.contains(&z)
                    && !o.place.in_port;
                ok.then_some((c.data, d))
            })
            .collect();
        for (other, d) in near {
            let key = pair_key(mmsi, other);
            if let Some(pair) = self.pairs.get_mut(&key) {
                pair.last_close = fix.time;
                pair.last_m = d;
                pair.min_m = pair.min_m.min(d);
                pair.max_m = pair.max_m.max(d);
                continue;
            }
            let check_at = fix.time.saturating_add(ms(p.min_duration));
            self.pairs.insert(
                key,
                Pair {
                    zone: z,
                    since: fix.time,
                    last_close: fix.time,
                    min_m: d,
                    max_m: d,
                    last_m: d,
                    alert: None,
                    silences: Silences::default(),
                    check_at,
                },
            );
            for (a, b) in [(mmsi, other), (other, mmsi)] {
                if let Some(v) = self.vessels.get_mut(&a) {
                    if !v.partners.contains(&b) {
                        v.partners.push(b);
                    }
                }
            }
            self.heap
                .push(Reverse((check_at, Task::Pair(key.0, key.1, fix.time))));
        }
    }

    /// The check of pair (`a`, `b`) from `since`, due at `due`, run at
    /// `now`: opens or updates its alert, suspends it while one of the two
    /// is silent, and ends it when they part or the silence outlasts
    /// `resume_within`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_pair(
        &mut self,
        a: Mmsi,
        b: Mmsi,
        since: Millis,
        due: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let key = (a, b);
        let Some(pair) = self.pairs.get(&key) else {
            return;
        };
        if pair.since != since || pair.check_at != due {
            return; // a later pair, or superseded by a later check
        }
        // Both must still be reporting, and close, recently.
        let stale = ms(self.cfg.stale_after);
        let within = ms(self.cfg.resume_within);
        let last_a = self
            .vessels
            .get(&a)
            .and_then(|v| v.last.as_ref().map(|f| f.time))
            .unwrap_or(0);
        let last_b = self
            .vessels
            .get(&b)
            .and_then(|v| v.last.as_ref().map(|f| f.time))
            .unwrap_or(0);
        let silent = now - last_a.min(last_b) > stale;
        if now - pair.last_close > stale || silent {
            let quiet_since = pair.last_close.min(last_a).min(last_b);
            if silent && now - quiet_since < within {
                // One of them is silent: the alert (if any) stays open,
                // without updates, until it is back or the wait is over.
                let at = quiet_since.saturating_add(within);
                if let Some(pair) = self.pairs.get_mut(&key) {
                    pair.check_at = at;
                }
                self.heap.push(Reverse((at, Task::Pair(a, b, since))));
                return;
            }
            self.end_pair(key, now, "contact lost", tracks, out);
            return;
        }
        let state = if pair.alert.is_some() {
            State::Update
        } else {
            State::Open
        };
        let Some(alert) = self.pair_alert(key, state, now, None, "", tracks) else {
            return;
        };
        let next = now.saturating_add(ms(self.cfg.update_every));
        if let Some(pair) = self.pairs.get_mut(&key) {
            pair.alert = Some(alert.id.clone());
            pair.check_at = next;
        }
        out.push(alert);
        self.heap.push(Reverse((next, Task::Pair(a, b, since))));
    }

    pub(super) fn end_pair(
        &mut self,
        key: (Mmsi, Mmsi),
        now: Millis,
        reason: &str,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        if self.pairs.get(&key).is_some_and(|p| p.alert.is_some()) {
            let ended = self.pairs.get(&key).map_or(now, |p| p.last_close.min(now));
            out.extend(self.pair_alert(key, State::Closed, now, Some(ended), reason, tracks));
        }
        self.pairs.remove(&key);
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(v) = self.vessels.get_mut(&a) {
                v.partners.retain(|p| *p != b);
            }
        }
    }

    pub(super) fn pair_alert(
        &self,
        key: (Mmsi, Mmsi),
        state: State,
        at: Millis,
        ended: Option<Millis>,
        reason: &str,
        tracks: &TrackStore,
    ) -> Option<Alert> {
        let pair = self.pairs.get(&key)?;
        let z = &self.zones.zones()[usize::from(pair.zone)];
        let p = self.resolved[usize::from(pair.zone)]
            .rendezvous
            .unwrap_or_default();
        let fa = self.vessels.get(&key.0).and_then(|v| v.last.clone());
        let fb = self.vessels.get(&key.1).and_then(|v| v.last.clone());
        let (lon, lat) = match (&fa, &fb) {
            (Some(a), Some(b)) => ((a.lon + b.lon) / 2.0, (a.lat + b.lat) / 2.0),
            (Some(a), None) | (None, Some(a)) => (a.lon, a.lat),
            _ => (0.0, 0.0),
        };
        let ia = VesselInfo::from_store(tracks, key.0);
        let ib = VesselInfo::from_store(tracks, key.1);
        let dur = ended.unwrap_or(at) - pair.since;
        let id = pair.alert.clone().unwrap_or_else(|| {
            Alert::make_id(Kind::Rendezvous, &z.id, &[key.0, key.1], pair.since)
        });
        Some(Alert {
            id,
            kind: Kind::Rendezvous,
            state,
            mmsi: vec![key.0, key.1],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at,
            started_at: pair.since,
            ended_at: ended,
            lat,
            lon,
            summary: format!(
                "{} and {} together for {} in {}, {:.0} m apart (closest {:.0} m), both ≤ {:.1} kn (threshold {:.0} m for {}){}{}.",
                ia.label(),
                ib.label(),
                human_duration(dur),
                z.name.as_deref().unwrap_or(&z.id),
                pair.last_m,
                pair.min_m,
                p.max_speed_kn,
                p.max_distance_m,
                human_duration(ms(p.min_duration)),
                pair.silences.clause(),
                if ended.is_some() { format!("; ended: {reason}") } else { String::new() }
            ),
            vessels: vec![ia, ib],
            details: json!({
                "duration_s": dur / 1000,
                "distance_m": pair.last_m.round(),
                "min_distance_m": pair.min_m.round(),
                "max_distance_seen_m": pair.max_m.round(),
                "sog_kn": [fa.as_ref().and_then(|f| f.sog), fb.as_ref().and_then(|f| f.sog)],
                "max_distance_m": p.max_distance_m,
                "max_speed_kn": p.max_speed_kn,
                "min_duration_s": p.min_duration.as_secs(),
                "silences": pair.silences.details(),
                "stale_after_s": self.cfg.stale_after.as_secs(),
                "resume_within_s": self.cfg.resume_within.as_secs(),
                "reason": if ended.is_some() { Some(reason) } else { None },
            }),
        })
    }
}

pub(super) fn pair_key(a: Mmsi, b: Mmsi) -> (Mmsi, Mmsi) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}
