//! Drifting (AMSA's rule): a vessel not at anchor or moored whose heading
//! and course over ground are `min_angle_deg`–`max_angle_deg` apart
//! (default 45–135°) at `min_speed_kn`–`max_speed_kn` (0.25–20 kn), for at
//! least `min_duration`: pushed sideways by wind or current, as after an
//! engine failure or while waiting with the engine off.
//!
//! A vessel under way with a cross current sails a few degrees to tens of
//! degrees off its heading: below 45° it is not drifting. A report without
//! a heading (511) neither starts nor ends drifting; an episode continues
//! while the angle stays within 5° of the band and the speed within the
//! speed hysteresis, so one noisy report does not split it.

use std::cmp::Reverse;

use serde_json::json;

use super::{angle_deg, ms, Detectors, Fix, Place, Task};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::{Mmsi, TrackStore};
use aiswatch_zones::DriftingParams;

/// Degrees of slack on the angle band once drifting.
const ANGLE_SLACK: f64 = 5.0;

/// A vessel drifting in a zone (alerted or not yet).
#[derive(Debug, Clone)]
pub(super) struct Drift {
    pub(super) zone: u16,
    pub(super) since: Millis,
    start: (f64, f64),
    reports: u32,
    min_angle: f64,
    max_angle: f64,
    max_sog: f64,
    pub(super) alert: Option<AlertId>,
}

/// What one report says: drifting, not drifting (why), or nothing (no heading).
enum Says {
    Drifting { angle: f64, sog: f64 },
    Not(&'static str),
    Unknown,
}

fn judge(
    p: &DriftingParams,
    anchored: bool,
    sog: Option<f64>,
    angle: Option<f64>,
    slack: (f64, f64),
) -> Says {
    if anchored {
        return Says::Not("at anchor or moored");
    }
    let (Some(sog), Some(angle)) = (sog, angle) else {
        return Says::Unknown;
    };
    let (ds, da) = slack;
    if !(p.min_speed_kn - ds..=p.max_speed_kn + ds).contains(&sog) {
        Says::Not("speed out of the drifting range")
    } else if angle < p.min_angle_deg - da {
        Says::Not("heading back in line with the course")
    } else if angle > p.max_angle_deg + da {
        Says::Not("moving astern of its heading")
    } else {
        Says::Drifting { angle, sog }
    }
}

impl Detectors {
    pub(super) fn drifting(
        &mut self,
        mmsi: Mmsi,
        fix: &Fix,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let zone = place
            .zones
            .iter()
            .find_map(|&z| self.resolved[usize::from(z)].drifting.map(|p| (z, p)));
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        if zone.is_none() && v.drift.is_none() {
            return;
        }
        let vessel = tracks.get(mmsi);
        let anchored = matches!(vessel.and_then(|x| x.nav_status), Some(1 | 5));
        let heading = vessel.and_then(|x| x.heading_true).map(f64::from);
        let angle = heading.zip(fix.cog).map(|(h, c)| angle_deg(h, c));
        let sog = fix.speed;
        let slack = (self.cfg.speed_hysteresis_kn, ANGLE_SLACK);
        let end = match (&v.drift, zone) {
            (None, _) => None,
            (Some(_), None) => Some("left the zone"),
            (Some(d), Some((z, _))) if z != d.zone => Some("left the zone"),
            (Some(_), Some((_, p))) => match judge(&p, anchored, sog, angle, slack) {
                Says::Not(why) => Some(why),
                _ => None,
            },
        };
        if let Some(reason) = end {
            if let Some(d) = v.drift.take() {
                out.extend(self.drift_ended(mmsi, d, fix, fix.time, reason, tracks));
            }
        }
        let Some((z, p)) = zone else { return };
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        match &mut v.drift {
            Some(d) => {
                d.reports += 1;
                if let Says::Drifting { angle, sog } = judge(&p, anchored, sog, angle, slack) {
                    d.min_angle = d.min_angle.min(angle);
                    d.max_angle = d.max_angle.max(angle);
                    d.max_sog = d.max_sog.max(sog);
                }
            }
            None => {
                if let Says::Drifting { angle, sog } = judge(&p, anchored, sog, angle, (0.0, 0.0)) {
                    v.drift = Some(Drift {
                        zone: z,
                        since: fix.time,
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        min_angle: angle,
                        max_angle: angle,
                        max_sog: sog,
                        alert: None,
                    });
                    self.heap.push(Reverse((
                        fix.time.saturating_add(ms(p.min_duration)),
                        Task::Drift(mmsi, fix.time),
                    )));
                }
            }
        }
    }

    pub(super) fn check_drift(
        &mut self,
        mmsi: Mmsi,
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
        if v.drift.as_ref().is_none_or(|d| d.since != since) {
            return;
        }
        if now - last.time > stale {
            if let Some(d) = v.drift.take() {
                out.extend(self.drift_ended(mmsi, d, &last, now, "contact lost", tracks));
            }
            return;
        }
        let Some(d) = v.drift.as_mut() else { return };
        // Reports must cover `min_duration` (sparse or satellite data).
        let min_dur = self.resolved[usize::from(d.zone)]
            .drifting
            .map_or(0, |p| ms(p.min_duration));
        let short = min_dur - (last.time - d.since);
        if d.alert.is_none() && short > 0 {
            self.heap.push(Reverse((
                now.saturating_add(short),
                Task::Drift(mmsi, since),
            )));
            return;
        }
        let state = match &d.alert {
            Some(_) => State::Update,
            None => {
                let z = &self.zones.zones()[usize::from(d.zone)];
                d.alert = Some(Alert::make_id(Kind::Drifting, &z.id, &[mmsi], since));
                State::Open
            }
        };
        let d = d.clone();
        let Some(id) = d.alert.clone() else { return };
        out.push(self.drift_alert(mmsi, &d, id, state, now, None, &last, "", tracks));
        self.heap.push(Reverse((
            now.saturating_add(update),
            Task::Drift(mmsi, since),
        )));
    }

    /// The close of drifting `d` (if alerted) ended for `reason`; `last` is
    /// the last report.
    pub(super) fn drift_ended(
        &self,
        mmsi: Mmsi,
        d: Drift,
        last: &Fix,
        now: Millis,
        reason: &str,
        tracks: &TrackStore,
    ) -> Option<Alert> {
        let id = d.alert.clone()?;
        Some(self.drift_alert(
            mmsi,
            &d,
            id,
            State::Closed,
            now,
            Some(last.time),
            last,
            reason,
            tracks,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn drift_alert(
        &self,
        mmsi: Mmsi,
        d: &Drift,
        id: AlertId,
        state: State,
        at: Millis,
        ended: Option<Millis>,
        last: &Fix,
        reason: &str,
        tracks: &TrackStore,
    ) -> Alert {
        let z = &self.zones.zones()[usize::from(d.zone)];
        let p = self.resolved[usize::from(d.zone)]
            .drifting
            .unwrap_or_default();
        let info = VesselInfo::from_store(tracks, mmsi);
        let dur = ended.unwrap_or(last.time) - d.since;
        let nav = tracks.get(mmsi).and_then(|v| v.nav_status);
        let moved = super::haversine(d.start.0, d.start.1, last.lon, last.lat);
        Alert {
            id,
            kind: Kind::Drifting,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at,
            started_at: d.since,
            ended_at: ended,
            lat: last.lat,
            lon: last.lon,
            summary: format!(
                "{} drifting {} in {}: heading {:.0}–{:.0}° off its course at up to {:.1} kn \
                 (threshold {:.0}–{:.0}° at {:.2}–{:.0} kn for {}){}.",
                info.label(),
                human_duration(dur),
                z.name.as_deref().unwrap_or(&z.id),
                d.min_angle,
                d.max_angle,
                d.max_sog,
                p.min_angle_deg,
                p.max_angle_deg,
                p.min_speed_kn,
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
                "reports": d.reports,
                "min_angle_deg_seen": d.min_angle.round(),
                "max_angle_deg_seen": d.max_angle.round(),
                "max_speed_kn_seen": (d.max_sog * 10.0).round() / 10.0,
                "moved_m": moved.round(),
                "nav_status": nav,
                "min_speed_kn": p.min_speed_kn,
                "max_speed_kn": p.max_speed_kn,
                "min_angle_deg": p.min_angle_deg,
                "max_angle_deg": p.max_angle_deg,
                "min_duration_s": p.min_duration.as_secs(),
                "reason": if ended.is_some() { Some(reason) } else { None },
            }),
        }
    }
}
