//! Loitering: a vessel slow (at most `max_speed_kn`) in a zone, outside
//! ports, for at least `min_duration`. A silence does not split it: see
//! [`super::episode`].

use ahash::{AHashMap, AHashSet};
use smallvec::SmallVec;

use super::context::{Context, Key, Report};
use super::episode::{Contact, Episode, Resume, ResumeRule};
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{haversine, ms, shrink, slow_in, DetectConfig, Fix, REASON_FORGOTTEN};
use crate::alert::{ended_clause, english, message, Alert, Kind, State, VesselInfo};
use crate::track::Mmsi;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::Details;

/// The loitering detector: per vessel, its loitering in each zone.
#[derive(Debug, Default)]
pub(crate) struct Loitering {
    params: ZoneParams<Params>,
    vessels: AHashMap<Mmsi, Vec<Loiter>>,
}

#[derive(Debug)]
struct Loiter {
    zone: u16,
    ep: Episode,
    start: (f64, f64),
    reports: u32,
    max_sog: f64,
}

/// Where and when a loitering alert stands: the instant of the alert, its
/// end (if it ended) and the vessel's position then.
struct At {
    at: Millis,
    ended: Option<Millis>,
    pos: (f64, f64),
}

/// The check of loitering in zone `zone` from `since`.
fn key(mmsi: Mmsi, zone: u16, since: Millis) -> Key {
    Key {
        vessel: mmsi,
        other: u32::from(zone),
        at: since,
    }
}

impl Detector for Loitering {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::Loitering, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        Memory::episodes(self.params.iter().map(|p| p.min_duration))
    }

    fn position(&mut self, cx: &mut Context, r: &Report) {
        self.report(cx, r);
    }

    fn due(&mut self, cx: &mut Context, key: Key, due: Millis) {
        let zone = u16::try_from(key.other).unwrap_or(u16::MAX);
        self.check(cx, key.vessel, zone, key.at, due);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        let Some(ls) = self.vessels.remove(&mmsi) else {
            return;
        };
        if let Some(last) = cx.last(mmsi).cloned() {
            for l in ls {
                let alert = loiter_ended(cx, &self.params, mmsi, l, &last, REASON_FORGOTTEN);
                cx.out.extend(alert);
            }
        }
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink(&mut self.vessels);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        for (&mmsi, ls) in self.vessels.iter_mut() {
            let mut ending = Vec::new();
            for l in std::mem::take(ls) {
                match reload.ends(l.zone, Kind::Loitering) {
                    Some(r) => {
                        if let Some(id) = l.ep.alert.clone() {
                            ending.push((l, id, r));
                        }
                    }
                    None => ls.push(l),
                }
            }
            let last = cx.last(mmsi);
            let pos = last.map_or((0.0, 0.0), |f| (f.lon, f.lat));
            let ended = Some(last.map_or(cx.now, |f| f.time.min(cx.now)));
            for (l, id, reason) in ending {
                let at = At {
                    at: cx.now,
                    ended,
                    pos,
                };
                let alert = loiter_alert(cx, &self.params, mmsi, &l, (State::Closed, id), at, reason);
                cx.out.push(alert);
            }
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for l in self.vessels.values_mut().flatten() {
            l.zone = reload.zone(l.zone);
        }
    }

    fn remap_key(&self, k: Key, reload: &Reload) -> Option<Key> {
        let zone = u16::try_from(k.other).ok()?;
        let new = reload.map[usize::from(zone)]?;
        Some(key(k.vessel, new, k.at))
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi)
    }
}

impl Loitering {
    fn report(&mut self, cx: &mut Context, r: &Report) {
        let (mmsi, fix, prev, place) = (r.mmsi, r.fix, r.prev, r.place);
        let hyst = cx.cfg.speed_hysteresis_kn;
        let stale = cx.stale();
        // Zone, speed limit, min_duration, and how a silence is judged.
        let mut active: SmallVec<[(u16, f64, Millis, ResumeRule); 4]> = SmallVec::new();
        if !place.in_port {
            for &z in &place.zones {
                if let Some(p) = self.params.get(z) {
                    let rule = ResumeRule::new(cx.cfg, p.max_speed_kn);
                    active.push((z, p.max_speed_kn, ms(p.min_duration), rule));
                }
            }
        }
        let slow: SmallVec<[Option<bool>; 4]> = active
            .iter()
            .map(|&(_, max, ..)| slow_in(fix, max, hyst))
            .collect();
        // After a silence, an event that ends ended when last heard.
        let silent_before = prev
            .filter(|p| fix.time - p.time > stale)
            .map(|p| (p.time, (p.lon, p.lat)));
        // How a silence before this report (if any) bears on zone `i`'s event.
        let resume = |i: usize| match silent_before {
            Some(_) => active[i].3.judge(prev, fix, slow[i]),
            None => Resume::NoSilence,
        };
        if !slow.contains(&Some(true)) && !self.vessels.contains_key(&mmsi) {
            return; // nothing to end, nothing to start
        }
        let loiter = self.vessels.entry(mmsi).or_default();
        // End loitering in zones the vessel left, or where it sped up, or
        // that a silence ended (too long, or it moved too far meanwhile).
        let mut ended: SmallVec<[Loiter; 1]> = SmallVec::new();
        let mut k = 0;
        while k < loiter.len() {
            let zone = loiter[k].zone;
            let still = active
                .iter()
                .position(|a| a.0 == zone)
                .is_some_and(|i| slow[i] != Some(false) && resume(i) != Resume::Ends);
            if still {
                k += 1;
            } else {
                ended.push(loiter.remove(k));
            }
        }
        let mut pushes: SmallVec<[(Millis, Key); 2]> = SmallVec::new();
        for (i, ((z, _, min_dur, _), s)) in active.iter().zip(&slow).enumerate() {
            match loiter.iter_mut().find(|l| l.zone == *z) {
                Some(l) => {
                    l.reports += 1;
                    if let Resume::Continues(gap) = resume(i) {
                        // Back after a silence (the speed over it is a
                        // drift, not a report's): check at once.
                        l.ep.silences.add(gap);
                        l.ep.check_at = fix.time.max(l.ep.since.saturating_add(*min_dur));
                        pushes.push((l.ep.check_at, key(mmsi, *z, l.ep.since)));
                    } else {
                        l.max_sog = l.max_sog.max(fix.speed().unwrap_or(0.0));
                    }
                }
                None if *s == Some(true) => {
                    let check_at = fix.time.saturating_add(*min_dur);
                    loiter.push(Loiter {
                        zone: *z,
                        ep: Episode::new(fix.time, check_at),
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        max_sog: fix.speed().unwrap_or(0.0),
                    });
                    pushes.push((check_at, key(mmsi, *z, fix.time)));
                }
                None => {}
            }
        }
        for (at, k) in pushes {
            cx.schedule(at, k);
        }
        for l in ended {
            let Some(id) = l.ep.alert.clone() else {
                continue;
            };
            let reason = if silent_before.is_some() {
                "contact lost"
            } else if place.in_port {
                "entered a port"
            } else if place.zones.contains(&l.zone) {
                "under way again"
            } else {
                "left the zone"
            };
            let (end, pos) = silent_before.unwrap_or((fix.time, (fix.lon, fix.lat)));
            let at = At {
                at: fix.time,
                ended: Some(end),
                pos,
            };
            let alert = loiter_alert(cx, &self.params, mmsi, &l, (State::Closed, id), at, reason);
            cx.out.push(alert);
        }
    }
}

fn loiter_alert(
    cx: &Context,
    params: &ZoneParams<Params>,
    mmsi: Mmsi,
    l: &Loiter,
    (state, id): (State, AlertId),
    at: At,
    reason: &str,
) -> Alert {
    let tracks = cx.tracks;
    let (zone, since, start) = (l.zone, l.ep.since, l.start);
    let At { at, ended, pos } = at;
    let z = cx.zone(zone);
    let p = params.get(zone).copied().unwrap_or_default();
    let info = VesselInfo::from_store(tracks, mmsi);
    let dur = ended.unwrap_or(at) - since;
    let summary = message("loitering", &info, z.name.as_deref().unwrap_or(&z.id))
        .duration("duration", dur)
        .decimal("max_speed_kn", l.max_sog, 1)
        .decimal("threshold_kn", p.max_speed_kn, 1)
        .duration("min_duration", ms(p.min_duration))
        .arg("silences", l.ep.silences.clause())
        .arg("ended", ended_clause(ended.is_some().then_some(reason)));
    let drift = haversine(start.0, start.1, pos.0, pos.1);
    let nav = tracks.get(mmsi).and_then(|v| v.nav_status);
    Alert {
        id,
        kind: Kind::Loitering,
        state,
        mmsi: vec![mmsi],
        zone: z.id.clone(),
        zone_name: z.name.clone(),
        zone_version: None,
        centre: z.centres.clone(),
        at,
        started_at: since,
        ended_at: ended,
        lat: pos.1,
        lon: pos.0,
        summary: english(&summary),
        message: Some(summary),
        vessels: vec![info],
        details: crate::alert::Details::Loitering(Details {
            drift_m: Some(drift.round()),
            duration_s: Some(dur / 1000),
            max_speed_kn: Some(p.max_speed_kn),
            max_speed_kn_seen: Some((l.max_sog * 10.0).round() / 10.0),
            min_duration_s: Some(p.min_duration.as_secs()),
            nav_status: Some(nav),
            reason: ended.map(|_| reason.to_owned()),
            reports: Some(l.reports),
            resume_within_s: Some(cx.cfg.resume_within.as_secs()),
            silences: Some(l.ep.silences.details()),
            stale_after_s: Some(cx.cfg.stale_after.as_secs()),
        }),
    }
}

/// The close of loitering `l` (if its alert is open) ended for `reason`
/// with no report to end it (at `cx.now`): the vessel was last seen at `last`.
fn loiter_ended(
    cx: &Context,
    params: &ZoneParams<Params>,
    mmsi: Mmsi,
    l: Loiter,
    last: &Fix,
    reason: &str,
) -> Option<Alert> {
    let id = l.ep.alert.clone()?;
    let at = At {
        at: cx.now,
        ended: Some(last.time),
        pos: (last.lon, last.lat),
    };
    Some(loiter_alert(cx, params, mmsi, &l, (State::Closed, id), at, reason))
}

impl Loitering {
    /// The check of loitering (`zone`, `since`) due at `due`, run at
    /// `cx.now`: opens or updates its alert, suspends it while the vessel
    /// is silent, and ends it when the silence outlasts `resume_within`.
    fn check(&mut self, cx: &mut Context, mmsi: Mmsi, zone: u16, since: Millis, due: Millis) {
        let now = cx.now;
        let stale = cx.stale();
        let within = cx.resume_within();
        let update = cx.update_every();
        let Some(loiter) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let Some(last) = cx.last(mmsi).cloned() else {
            return;
        };
        let Some(i) = loiter
            .iter()
            .position(|l| l.zone == zone && l.ep.since == since && l.ep.check_at == due)
        else {
            return; // ended, or superseded by a later check
        };
        match Episode::contact(now, last.time, stale, within) {
            Contact::Heard => {}
            Contact::Suspended { until } => {
                // The alert (if any) stays open, without updates, until
                // the vessel is back or the wait is over.
                loiter[i].ep.check_at = until;
                cx.schedule(until, key(mmsi, zone, since));
                return;
            }
            Contact::Lost => {
                // No report confirms the loitering any more.
                let l = loiter.remove(i);
                let alert = loiter_ended(cx, &self.params, mmsi, l, &last, "contact lost");
                cx.out.extend(alert);
                return;
            }
        }
        let next = now.saturating_add(update);
        let z = cx.zone(zone);
        let (state, id) = loiter[i].ep.raise(Kind::Loitering, &z.id, &[mmsi], next);
        let at = At {
            at: now,
            ended: None,
            pos: (last.lon, last.lat),
        };
        cx.schedule(next, key(mmsi, zone, since));
        let alert = loiter_alert(cx, &self.params, mmsi, &loiter[i], (state, id), at, "");
        cx.out.push(alert);
    }
}
