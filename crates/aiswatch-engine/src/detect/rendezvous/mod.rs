//! Rendezvous: two slow vessels close together in a zone, outside ports,
//! for at least `min_duration`. Slow vessels are kept in an R-tree so a
//! report finds its neighbours without scanning the fleet.

use ahash::{AHashMap, AHashSet};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use smallvec::SmallVec;

use super::context::{Context, Key, Report};
use super::episode::{Contact, Episode, Resume, ResumeRule};
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{haversine, ms, shrink, slow_in, DetectConfig, REASON_FORGOTTEN};
use crate::alert::{ended_clause, english, message, Alert, Kind, State, VesselInfo};
use crate::track::index::M_PER_DEG_LAT;
use crate::track::Mmsi;
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::Details;

/// The rendezvous detector: the pairs, and the slow vessels by position.
#[derive(Default)]
pub(crate) struct Rendezvous {
    params: ZoneParams<Params>,
    pairs: AHashMap<(Mmsi, Mmsi), Pair>,
    /// Each vessel's partners in `pairs`.
    partners: AHashMap<Mmsi, Vec<Mmsi>>,
    /// Slow vessels in rendezvous zones, by position.
    slow: RTree<Candidate>,
    slow_pos: AHashMap<Mmsi, [f64; 2]>,
}

#[derive(Debug)]
struct Pair {
    zone: u16,
    ep: Episode,
    last_close: Millis,
    min_m: f64,
    max_m: f64,
    last_m: f64,
}

type Candidate = GeomWithData<[f64; 2], Mmsi>;

/// The check of pair `key` from `since`.
fn task(key: (Mmsi, Mmsi), since: Millis) -> Key {
    Key {
        vessel: key.0,
        other: key.1 .0,
        at: since,
    }
}

impl Detector for Rendezvous {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::Rendezvous, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        Memory::episodes(self.params.iter().map(|p| p.min_duration))
    }

    fn position(&mut self, cx: &mut Context, r: &Report) {
        self.report(cx, r);
    }

    fn due(&mut self, cx: &mut Context, key: Key, due: Millis) {
        self.check(cx, key.vessel, Mmsi(key.other), key.at, due);
    }

    fn vessels_of(&self, key: &Key) -> (Mmsi, Option<Mmsi>) {
        (key.vessel, Some(Mmsi(key.other)))
    }

    fn release(&mut self, cx: &mut Context, mmsi: Mmsi) {
        let partners = self.partners.get(&mmsi).cloned().unwrap_or_default();
        for other in partners {
            self.end_pair(cx, pair_key(mmsi, other), REASON_FORGOTTEN);
        }
    }

    fn forget(&mut self, _cx: &mut Context, mmsi: Mmsi) {
        if let Some(old) = self.slow_pos.remove(&mmsi) {
            self.slow.remove(&GeomWithData::new(old, mmsi));
        }
        self.partners.remove(&mmsi);
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink(&mut self.slow_pos);
        shrink(&mut self.pairs);
        shrink(&mut self.partners);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        let ending: Vec<((Mmsi, Mmsi), &'static str)> = self
            .pairs
            .iter()
            .filter_map(|(k, p)| reload.ends(p.zone, Kind::Rendezvous).map(|r| (*k, r)))
            .collect();
        for (key, reason) in ending {
            self.end_pair(cx, key, reason);
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for p in self.pairs.values_mut() {
            p.zone = reload.zone(p.zone);
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.partners.contains_key(&mmsi)
            || self.slow_pos.contains_key(&mmsi)
            || self.pairs.keys().any(|k| k.0 == mmsi || k.1 == mmsi)
            || self.slow.iter().any(|c| c.data == mmsi)
    }
}

impl Rendezvous {
    fn report(&mut self, cx: &mut Context, r: &Report) {
        let (mmsi, fix, prev, place) = (r.mmsi, r.fix, r.prev, r.place);
        let hyst = cx.cfg.speed_hysteresis_kn;
        // The rendezvous zone here (first that runs it), unless in port.
        let zone = if place.in_port {
            None
        } else {
            place
                .zones
                .iter()
                .find_map(|&z| self.params.get(z).map(|p| (z, *p)))
        };
        let slow = zone.and_then(|(_, p)| slow_in(fix, p.max_speed_kn, hyst));
        // Break pairs this report ends.
        let partners: SmallVec<[Mmsi; 4]> = self
            .partners
            .get(&mmsi)
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        for other in partners {
            let key = pair_key(mmsi, other);
            let Some(pair) = self.pairs.get(&key) else {
                continue;
            };
            let p = self.params.get(pair.zone).copied().unwrap_or_default();
            // This vessel back after a silence: still slow, and no further
            // than its drift distance from where it fell silent?
            let resume = ResumeRule::new(cx.cfg, p.max_speed_kn).judge(prev, fix, slow);
            let other_fix = cx.last(other).cloned();
            let dist = other_fix
                .as_ref()
                .map(|o| haversine(o.lon, o.lat, fix.lon, fix.lat));
            let apart = dist.is_none_or(|d| d > p.max_distance_m * 1.5);
            let left = zone.is_none_or(|(z, _)| z != pair.zone);
            if resume == Resume::Ends {
                self.end_pair(cx, key, "contact lost");
            } else if apart || left || slow == Some(false) {
                let reason = if left {
                    "left the zone"
                } else if slow == Some(false) {
                    "under way again"
                } else {
                    "parted"
                };
                self.end_pair(cx, key, reason);
            } else if let (Some(pair), Some(d)) = (self.pairs.get_mut(&key), dist) {
                if let Resume::Continues(gap) = resume {
                    // Check (open or update) at once.
                    let ep = &mut pair.ep;
                    ep.silences.add(gap);
                    ep.check_at = fix.time.max(ep.since.saturating_add(ms(p.min_duration)));
                    cx.schedule(ep.check_at, task(key, ep.since));
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
        let stale = cx.stale();
        let near: SmallVec<[(Mmsi, f64); 4]> = self
            .slow
            .locate_in_envelope(&env)
            .filter(|c| c.data != mmsi)
            .filter_map(|c| {
                let o = cx.vessels.get(&c.data)?;
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
                    ep: Episode::new(fix.time, check_at),
                    last_close: fix.time,
                    min_m: d,
                    max_m: d,
                    last_m: d,
                },
            );
            for (a, b) in [(mmsi, other), (other, mmsi)] {
                if cx.vessels.contains_key(&a) {
                    let v = self.partners.entry(a).or_default();
                    if !v.contains(&b) {
                        v.push(b);
                    }
                }
            }
            cx.schedule(check_at, task(key, fix.time));
        }
    }

    /// The check of pair (`a`, `b`) from `since`, due at `due`, run at
    /// `cx.now`: opens or updates its alert, suspends it while one of the
    /// two is silent, and ends it when they part or the silence outlasts
    /// `resume_within`.
    fn check(&mut self, cx: &mut Context, a: Mmsi, b: Mmsi, since: Millis, due: Millis) {
        let now = cx.now;
        let key = (a, b);
        let Some(pair) = self.pairs.get(&key) else {
            return;
        };
        if pair.ep.since != since || pair.ep.check_at != due {
            return; // a later pair, or superseded by a later check
        }
        // Both must still be reporting, and close, recently.
        let stale = cx.stale();
        let within = cx.resume_within();
        let last_a = cx.last(a).map_or(0, |f| f.time);
        let last_b = cx.last(b).map_or(0, |f| f.time);
        let contact = if now - last_a.min(last_b) > stale {
            // One of them is silent: suspended from when either was last
            // heard, or the pair last close.
            let quiet_since = pair.last_close.min(last_a).min(last_b);
            Episode::contact(now, quiet_since, stale, within)
        } else if now - pair.last_close > stale {
            Contact::Lost // both heard, but no longer close
        } else {
            Contact::Heard
        };
        match contact {
            Contact::Heard => {}
            Contact::Suspended { until } => {
                // The alert (if any) stays open, without updates, until
                // the silent one is back or the wait is over.
                if let Some(pair) = self.pairs.get_mut(&key) {
                    pair.ep.check_at = until;
                }
                cx.schedule(until, task(key, since));
                return;
            }
            Contact::Lost => {
                self.end_pair(cx, key, "contact lost");
                return;
            }
        }
        let next = now.saturating_add(cx.update_every());
        let Some(pair) = self.pairs.get_mut(&key) else {
            return;
        };
        let z = cx.zone(pair.zone);
        let (state, _) = pair.ep.raise(Kind::Rendezvous, &z.id, &[a, b], next);
        let Some(alert) = self.pair_alert(cx, key, state, None, "") else {
            return;
        };
        cx.out.push(alert);
        cx.schedule(next, task(key, since));
    }

    /// Ends pair `key` at `cx.now` for `reason`, closing its alert if open.
    fn end_pair(&mut self, cx: &mut Context, key: (Mmsi, Mmsi), reason: &str) {
        let now = cx.now;
        if self.pairs.get(&key).is_some_and(|p| p.ep.alert.is_some()) {
            let ended = self.pairs.get(&key).map_or(now, |p| p.last_close.min(now));
            let alert = self.pair_alert(cx, key, State::Closed, Some(ended), reason);
            cx.out.extend(alert);
        }
        self.pairs.remove(&key);
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(v) = self.partners.get_mut(&a) {
                v.retain(|p| *p != b);
                if v.is_empty() {
                    self.partners.remove(&a);
                }
            }
        }
    }

    /// The alert of pair `key` at `cx.now`.
    fn pair_alert(
        &self,
        cx: &Context,
        key: (Mmsi, Mmsi),
        state: State,
        ended: Option<Millis>,
        reason: &str,
    ) -> Option<Alert> {
        let (at, tracks) = (cx.now, cx.tracks);
        let pair = self.pairs.get(&key)?;
        let z = cx.zone(pair.zone);
        let p = self.params.get(pair.zone).copied().unwrap_or_default();
        let fa = cx.last(key.0).cloned();
        let fb = cx.last(key.1).cloned();
        let (lon, lat) = match (&fa, &fb) {
            (Some(a), Some(b)) => ((a.lon + b.lon) / 2.0, (a.lat + b.lat) / 2.0),
            (Some(a), None) | (None, Some(a)) => (a.lon, a.lat),
            _ => (0.0, 0.0),
        };
        let ia = VesselInfo::from_store(tracks, key.0);
        let ib = VesselInfo::from_store(tracks, key.1);
        let dur = ended.unwrap_or(at) - pair.ep.since;
        let summary = message("rendezvous", &ia, z.name.as_deref().unwrap_or(&z.id))
            .text("other", ib.label())
            .duration("duration", dur)
            .decimal("distance_m", pair.last_m, 0)
            .decimal("closest_m", pair.min_m, 0)
            .decimal("max_speed_kn", p.max_speed_kn, 1)
            .decimal("threshold_m", p.max_distance_m, 0)
            .duration("min_duration", ms(p.min_duration))
            .arg("silences", pair.ep.silences.clause())
            .arg("ended", ended_clause(ended.is_some().then_some(reason)));
        let id = pair.ep.alert.clone()?;
        Some(Alert {
            id,
            kind: Kind::Rendezvous,
            state,
            mmsi: vec![key.0, key.1],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            zone_version: None,
            centre: z.centres.clone(),
            at,
            started_at: pair.ep.since,
            ended_at: ended,
            lat,
            lon,
            summary: english(&summary),
            message: Some(summary),
            vessels: vec![ia, ib],
            details: crate::alert::Details::Rendezvous(Details {
                distance_m: Some(pair.last_m.round()),
                duration_s: Some(dur / 1000),
                max_distance_m: Some(p.max_distance_m),
                max_distance_seen_m: Some(pair.max_m.round()),
                max_speed_kn: Some(p.max_speed_kn),
                min_distance_m: Some(pair.min_m.round()),
                min_duration_s: Some(p.min_duration.as_secs()),
                reason: ended.map(|_| reason.to_owned()),
                resume_within_s: Some(cx.cfg.resume_within.as_secs()),
                silences: Some(pair.ep.silences.details()),
                sog_kn: Some([
                    fa.as_ref().and_then(|f| f.sog()),
                    fb.as_ref().and_then(|f| f.sog()),
                ]),
                stale_after_s: Some(cx.cfg.stale_after.as_secs()),
            }),
        })
    }
}

fn pair_key(a: Mmsi, b: Mmsi) -> (Mmsi, Mmsi) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}
