//! Loitering: a vessel slow (at most `max_speed_kn`) in a zone, outside
//! ports, for at least `min_duration`. A silence does not split it: see
//! [`super::interrupt`].

use std::cmp::Reverse;

use serde_json::json;
use smallvec::SmallVec;

use super::interrupt::{Resume, ResumeRule, Silences};
use super::{haversine, ms, Detectors, Fix, Place, Task};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::{Mmsi, TrackStore};

#[derive(Debug)]
pub(super) struct Loiter {
    pub(super) zone: u16,
    pub(super) since: Millis,
    pub(super) start: (f64, f64),
    pub(super) reports: u32,
    pub(super) max_sog: f64,
    pub(super) alert: Option<AlertId>,
    /// Silences it went on after.
    pub(super) silences: Silences,
    /// When its one live check is due: a [`Task::Loiter`] due at another
    /// time has been superseded (a resumption checks at once).
    pub(super) check_at: Millis,
}

/// Where and when a loitering alert stands: the instant of the alert, its
/// end (if it ended) and the vessel's position then.
pub(super) struct At {
    pub(super) at: Millis,
    pub(super) ended: Option<Millis>,
    pub(super) pos: (f64, f64),
}

impl Detectors {
    /// The rule for resuming an event after a silence, with speed limit `max_kn`.
    pub(super) fn resume_rule(&self, max_kn: f64) -> ResumeRule {
        ResumeRule {
            stale: ms(self.cfg.stale_after),
            within: ms(self.cfg.resume_within),
            max_kn: max_kn + self.cfg.speed_hysteresis_kn,
        }
    }

    pub(super) fn loitering(
        &mut self,
        mmsi: Mmsi,
        fix: &Fix,
        prev: Option<&Fix>,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let hyst = self.cfg.speed_hysteresis_kn;
        let stale = ms(self.cfg.stale_after);
        // Zone, speed limit, min_duration, and how a silence is judged.
        let mut active: SmallVec<[(u16, f64, Millis, ResumeRule); 4]> = SmallVec::new();
        if !place.in_port {
            for &z in &place.zones {
                if let Some(p) = self.resolved[usize::from(z)].loitering {
                    let rule = self.resume_rule(p.max_speed_kn);
                    active.push((z, p.max_speed_kn, ms(p.min_duration), rule));
                }
            }
        }
        let slow: SmallVec<[Option<bool>; 4]> = active
            .iter()
            .map(|&(_, max, ..)| self.slow_in(fix, max, hyst))
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
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        // End loitering in zones the vessel left, or where it sped up, or
        // that a silence ended (too long, or it moved too far meanwhile).
        let mut ended: SmallVec<[Loiter; 1]> = SmallVec::new();
        let mut k = 0;
        while k < v.loiter.len() {
            let zone = v.loiter[k].zone;
            let still = active
                .iter()
                .position(|a| a.0 == zone)
                .is_some_and(|i| slow[i] != Some(false) && resume(i) != Resume::Ends);
            if still {
                k += 1;
            } else {
                ended.push(v.loiter.remove(k));
            }
        }
        let mut pushes: SmallVec<[(Millis, Task); 2]> = SmallVec::new();
        for (i, ((z, _, min_dur, _), s)) in active.iter().zip(&slow).enumerate() {
            match v.loiter.iter_mut().find(|l| l.zone == *z) {
                Some(l) => {
                    l.reports += 1;
                    if let Resume::Continues(gap) = resume(i) {
                        // Back after a silence (the speed over it is a
                        // drift, not a report's): check at once.
                        l.silences.add(gap);
                        l.check_at = fix.time.max(l.since.saturating_add(*min_dur));
                        pushes.push((l.check_at, Task::Loiter(mmsi, *z, l.since)));
                    } else {
                        l.max_sog = l.max_sog.max(fix.speed.unwrap_or(0.0));
                    }
                }
                None if *s == Some(true) => {
                    let check_at = fix.time.saturating_add(*min_dur);
                    v.loiter.push(Loiter {
                        zone: *z,
                        since: fix.time,
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        max_sog: fix.speed.unwrap_or(0.0),
                        alert: None,
                        silences: Silences::default(),
                        check_at,
                    });
                    pushes.push((check_at, Task::Loiter(mmsi, *z, fix.time)));
                }
                None => {}
            }
        }
        for p in pushes {
            self.heap.push(Reverse(p));
        }
        for l in ended {
            let Some(id) = l.alert.clone() else {
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
            out.push(self.loiter_alert(mmsi, &l, id, State::Closed, at, reason, tracks));
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn loiter_alert(
        &self,
        mmsi: Mmsi,
        l: &Loiter,
        id: AlertId,
        state: State,
        at: At,
        reason: &str,
        tracks: &TrackStore,
    ) -> Alert {
        let (zone, since, start) = (l.zone, l.since, l.start);
        let At { at, ended, pos } = at;
        let z = &self.zones.zones()[usize::from(zone)];
        let p = self.resolved[usize::from(zone)]
            .loitering
            .unwrap_or_default();
        let info = VesselInfo::from_store(tracks, mmsi);
        let dur = ended.unwrap_or(at) - since;
        let drift = haversine(start.0, start.1, pos.0, pos.1);
        let nav = tracks.get(mmsi).and_then(|v| v.nav_status);
        Alert {
            id,
            kind: Kind::Loitering,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at,
            started_at: since,
            ended_at: ended,
            lat: pos.1,
            lon: pos.0,
            summary: format!(
                "{} loitering {} in {} at ≤ {:.1} kn (threshold {:.1} kn for {}){}{}.",
                info.label(),
                human_duration(dur),
                z.name.as_deref().unwrap_or(&z.id),
                l.max_sog,
                p.max_speed_kn,
                human_duration(ms(p.min_duration)),
                l.silences.clause(),
                if ended.is_some() {
                    format!("; ended: {reason}")
                } else {
                    String::new()
                }
            ),
            vessels: vec![info],
            details: json!({
                "duration_s": dur / 1000,
                "max_speed_kn_seen": (l.max_sog * 10.0).round() / 10.0,
                "drift_m": drift.round(),
                "reports": l.reports,
                "nav_status": nav,
                "max_speed_kn": p.max_speed_kn,
                "min_duration_s": p.min_duration.as_secs(),
                "silences": l.silences.details(),
                "stale_after_s": self.cfg.stale_after.as_secs(),
                "resume_within_s": self.cfg.resume_within.as_secs(),
                "reason": if ended.is_some() { Some(reason) } else { None },
            }),
        }
    }

    /// The close of loitering `l` (if its alert is open) ended for `reason`
    /// with no report to end it: the vessel was last seen at `last`.
    pub(super) fn loiter_ended(
        &self,
        mmsi: Mmsi,
        l: Loiter,
        last: &Fix,
        now: Millis,
        reason: &str,
        tracks: &TrackStore,
    ) -> Option<Alert> {
        let id = l.alert.clone()?;
        let at = At {
            at: now,
            ended: Some(last.time),
            pos: (last.lon, last.lat),
        };
        Some(self.loiter_alert(mmsi, &l, id, State::Closed, at, reason, tracks))
    }

    /// The check of loitering (`zone`, `since`) due at `due`, run at `now`:
    /// opens or updates its alert, suspends it while the vessel is silent,
    /// and ends it when the silence outlasts `resume_within`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_loiter(
        &mut self,
        mmsi: Mmsi,
        zone: u16,
        since: Millis,
        due: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let stale = ms(self.cfg.stale_after);
        let within = ms(self.cfg.resume_within);
        let update = ms(self.cfg.update_every);
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let Some(last) = v.last.clone() else { return };
        let Some(i) = v
            .loiter
            .iter()
            .position(|l| l.zone == zone && l.since == since && l.check_at == due)
        else {
            return; // ended, or superseded by a later check
        };
        let silent = now - last.time;
        if silent > stale {
            if silent < within {
                // Suspended: the alert (if any) stays open, without
                // updates, until the vessel is back or the wait is over.
                let l = &mut v.loiter[i];
                l.check_at = last.time.saturating_add(within);
                self.heap
                    .push(Reverse((l.check_at, Task::Loiter(mmsi, zone, since))));
                return;
            }
            // Contact lost: no report confirms the loitering any more.
            let l = v.loiter.remove(i);
            out.extend(self.loiter_ended(mmsi, l, &last, now, "contact lost", tracks));
            return;
        }
        let l = &mut v.loiter[i];
        let (state, id) = match &l.alert {
            Some(id) => (State::Update, id.clone()),
            None => {
                let z = &self.zones.zones()[usize::from(zone)];
                let id = Alert::make_id(Kind::Loitering, &z.id, &[mmsi], since);
                l.alert = Some(id.clone());
                (State::Open, id)
            }
        };
        l.check_at = now.saturating_add(update);
        let next = l.check_at;
        let at = At {
            at: now,
            ended: None,
            pos: (last.lon, last.lat),
        };
        self.heap
            .push(Reverse((next, Task::Loiter(mmsi, zone, since))));
        if let Some(l) = self.vessels.get(&mmsi).map(|v| &v.loiter[i]) {
            out.push(self.loiter_alert(mmsi, l, id, state, at, "", tracks));
        }
    }
}
