//! Loitering: a vessel slow (at most `max_speed_kn`) in a zone, outside
//! ports, for at least `min_duration`.

use std::cmp::Reverse;

use serde_json::json;

use super::{haversine, ms, speed_kn, Detectors, Fix, Place, Task};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use crate::ids::AlertId;
use crate::time::Millis;
use crate::track::{Mmsi, TrackStore};

#[derive(Debug)]
pub(super) struct Loiter {
    pub(super) zone: u16,
    pub(super) since: Millis,
    pub(super) start: (f64, f64),
    pub(super) reports: u32,
    pub(super) max_sog: f64,
    pub(super) alert: Option<AlertId>,
}

impl Detectors {
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
        let mut active: Vec<(u16, f64, Millis)> = Vec::new();
        if !place.in_port {
            for &z in &place.zones {
                if let Some(p) = self.resolved[usize::from(z)].loitering {
                    active.push((z, p.max_speed_kn, ms(p.min_duration)));
                }
            }
        }
        let slow: Vec<Option<bool>> = active
            .iter()
            .map(|&(_, max, _)| self.slow_in(prev, fix, max, hyst))
            .collect();
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        // End loitering in zones the vessel left, or where it sped up.
        let mut ended = Vec::new();
        v.loiter.retain(|l| {
            let still = active
                .iter()
                .zip(&slow)
                .any(|((z, ..), s)| *z == l.zone && *s != Some(false));
            if !still {
                ended.push((
                    l.zone,
                    l.since,
                    l.alert.clone(),
                    l.reports,
                    l.max_sog,
                    l.start,
                ));
            }
            still
        });
        for ((z, _, min_dur), s) in active.iter().zip(&slow) {
            match v.loiter.iter_mut().find(|l| l.zone == *z) {
                Some(l) => {
                    l.reports += 1;
                    l.max_sog = l.max_sog.max(speed_kn(prev, fix).unwrap_or(0.0));
                }
                None if *s == Some(true) => {
                    v.loiter.push(Loiter {
                        zone: *z,
                        since: fix.time,
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        max_sog: speed_kn(prev, fix).unwrap_or(0.0),
                        alert: None,
                    });
                    self.heap.push(Reverse((
                        fix.time.saturating_add(*min_dur),
                        Task::Loiter(mmsi, *z, fix.time),
                    )));
                }
                None => {}
            }
        }
        for (z, since, alert, reports, max_sog, start) in ended {
            if let Some(id) = alert {
                let reason = if place.in_port {
                    "entered a port"
                } else if place.zones.contains(&z) {
                    "under way again"
                } else {
                    "left the zone"
                };
                out.push(self.loiter_alert(
                    mmsi,
                    z,
                    id,
                    State::Closed,
                    since,
                    fix.time,
                    Some(fix.time),
                    (fix.lon, fix.lat),
                    start,
                    reports,
                    max_sog,
                    reason,
                    tracks,
                ));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn loiter_alert(
        &self,
        mmsi: Mmsi,
        zone: u16,
        id: AlertId,
        state: State,
        since: Millis,
        at: Millis,
        ended: Option<Millis>,
        pos: (f64, f64),
        start: (f64, f64),
        reports: u32,
        max_sog: f64,
        reason: &str,
        tracks: &TrackStore,
    ) -> Alert {
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
                "{} loitering {} in {} at ≤ {:.1} kn (threshold {:.1} kn for {}){}.",
                info.label(),
                human_duration(dur),
                z.name.as_deref().unwrap_or(&z.id),
                max_sog,
                p.max_speed_kn,
                human_duration(ms(p.min_duration)),
                if ended.is_some() {
                    format!("; ended: {reason}")
                } else {
                    String::new()
                }
            ),
            vessels: vec![info],
            details: json!({
                "duration_s": dur / 1000,
                "max_speed_kn_seen": (max_sog * 10.0).round() / 10.0,
                "drift_m": drift.round(),
                "reports": reports,
                "nav_status": nav,
                "max_speed_kn": p.max_speed_kn,
                "min_duration_s": p.min_duration.as_secs(),
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
        let id = l.alert?;
        Some(self.loiter_alert(
            mmsi,
            l.zone,
            id,
            State::Closed,
            l.since,
            now,
            Some(last.time),
            (last.lon, last.lat),
            l.start,
            l.reports,
            l.max_sog,
            reason,
            tracks,
        ))
    }

    pub(super) fn check_loiter(
        &mut self,
        mmsi: Mmsi,
        zone: u16,
        since: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let stale = ms(self.cfg.stale_after);
        let update = ms(self.cfg.update_every);
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let Some(last) = v.last.clone() else { return };
        let Some(i) = v
            .loiter
            .iter()
            .position(|l| l.zone == zone && l.since == since)
        else {
            return;
        };
        if now - last.time > stale {
            // Contact lost: no report confirms the loitering any more.
            let l = v.loiter.remove(i);
            if let Some(id) = l.alert {
                out.push(self.loiter_alert(
                    mmsi,
                    zone,
                    id,
                    State::Closed,
                    since,
                    now,
                    Some(last.time),
                    (last.lon, last.lat),
                    l.start,
                    l.reports,
                    l.max_sog,
                    "contact lost",
                    tracks,
                ));
            }
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
        let (start, reports, max_sog) = (l.start, l.reports, l.max_sog);
        out.push(self.loiter_alert(
            mmsi,
            zone,
            id,
            state,
            since,
            now,
            None,
            (last.lon, last.lat),
            start,
            reports,
            max_sog,
            "",
            tracks,
        ));
        self.heap.push(Reverse((
            now.saturating_add(update),
            Task::Loiter(mmsi, zone, since),
        )));
    }
}
