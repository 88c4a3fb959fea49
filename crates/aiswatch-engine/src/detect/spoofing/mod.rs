//! Spoofing: impossible jumps (or two places at once) and invalid ship
//! MMSIs in a zone. Anomalies of a vessel are one alert, closed after
//! `spoofing_quiet` without another.

use std::cmp::Reverse;

use serde_json::json;

use super::{ms, Detectors, Fix, Place, Step, Task, KN_PER_MPS};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::{Mmsi, TrackStore};

#[derive(Debug)]
pub(super) struct Spoof {
    pub(super) zone: u16,
    pub(super) id: AlertId,
    pub(super) started: Millis,
    pub(super) last_anomaly: Millis,
    pub(super) anomalies: u32,
    pub(super) last_sent: Millis,
}

impl Detectors {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn spoofing(
        &mut self,
        mmsi: Mmsi,
        step: Option<Step>,
        fix: &Fix,
        prev_place: &Place,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let zone = place
            .zones
            .iter()
            .chain(&prev_place.zones)
            .find_map(|&z| self.resolved[usize::from(z)].spoofing.map(|p| (z, p)));
        let Some((zone, p)) = zone else { return };
        let mut why = None;
        // The MMSI is checked once per vessel (an invalid one is reported once).
        if let Some(v) = self.vessels.get_mut(&mmsi).filter(|v| !v.mmsi_checked) {
            v.mmsi_checked = true;
            if !valid_ship_mmsi(mmsi) {
                why = Some(json!({"reason": "invalid_mmsi", "mmsi": mmsi.0}));
            }
        }
        if let Some(Step { from: prev, m: d }) = step {
            let dt_s = (fix.time - prev.time) as f64 / 1000.0;
            if d > self.cfg.jump_min_m {
                let implied = if dt_s > 0.0 {
                    d / dt_s * KN_PER_MPS
                } else {
                    f64::INFINITY
                };
                if implied > p.max_speed_kn {
                    why = Some(json!({
                        "reason": if dt_s <= 0.0 { "two_places_at_once" } else { "impossible_jump" },
                        "from": [prev.lon, prev.lat], "to": [fix.lon, fix.lat],
                        "distance_m": d.round(), "seconds": dt_s,
                        "implied_speed_kn": if implied.is_finite() { Some((implied * 10.0).round() / 10.0) } else { None },
                        "max_speed_kn": p.max_speed_kn,
                    }));
                }
            }
        }
        let Some(why) = why else { return };
        let quiet = ms(self.cfg.spoofing_quiet);
        let update = ms(self.cfg.update_every);
        let z = &self.zones.zones()[usize::from(zone)];
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let (state, id, started, count) = match &mut v.spoof {
            Some(s) => {
                s.last_anomaly = fix.time;
                s.anomalies += 1;
                if fix.time - s.last_sent < update {
                    return; // counted; an update goes out at most every `update_every`
                }
                s.last_sent = fix.time;
                (State::Update, s.id.clone(), s.started, s.anomalies)
            }
            None => {
                let id = Alert::make_id(Kind::Spoofing, &z.id, &[mmsi], fix.time);
                v.spoof = Some(Spoof {
                    zone,
                    id: id.clone(),
                    started: fix.time,
                    last_anomaly: fix.time,
                    anomalies: 1,
                    last_sent: fix.time,
                });
                (State::Open, id, fix.time, 1)
            }
        };
        self.heap.push(Reverse((
            fix.time.saturating_add(quiet),
            Task::SpoofQuiet(mmsi, fix.time),
        )));
        let info = VesselInfo::from_store(tracks, mmsi);
        let reason = why["reason"].as_str().unwrap_or("").replace('_', " ");
        out.push(Alert {
            id,
            kind: Kind::Spoofing,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at: fix.time,
            started_at: started,
            ended_at: None,
            lat: fix.lat,
            lon: fix.lon,
            summary: format!(
                "{}: {} in {} ({} anomal{} so far).",
                info.label(),
                reason,
                z.name.as_deref().unwrap_or(&z.id),
                count,
                if count == 1 { "y" } else { "ies" }
            ),
            vessels: vec![info],
            details: json!({ "anomaly": why, "anomalies": count }),
        });
    }

    pub(super) fn check_spoof_quiet(
        &mut self,
        mmsi: Mmsi,
        last: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        if v.spoof.as_ref().is_none_or(|s| s.last_anomaly != last) {
            return;
        }
        let Some(s) = v.spoof.take() else { return };
        let last_fix = v.last.clone();
        out.push(self.spoof_closed(mmsi, s, last_fix.as_ref(), now, None, tracks));
    }

    /// The close of a spoofing alert: quiet for `spoofing_quiet` (no
    /// `reason`), or ended for `reason` (e.g. [`super::REASON_FORGOTTEN`]).
    pub(super) fn spoof_closed(
        &self,
        mmsi: Mmsi,
        s: Spoof,
        last: Option<&Fix>,
        now: Millis,
        reason: Option<&str>,
        tracks: &TrackStore,
    ) -> Alert {
        let z = &self.zones.zones()[usize::from(s.zone)];
        let info = VesselInfo::from_store(tracks, mmsi);
        let (lon, lat) = last.map_or((0.0, 0.0), |f| (f.lon, f.lat));
        let quiet = human_duration(now.saturating_sub(s.last_anomaly));
        let summary = match reason {
            None => format!(
                "{}: no further track anomaly for {} ({} in all).",
                info.label(),
                quiet,
                s.anomalies
            ),
            Some(r) => format!(
                "{}: ended: {} after {} without an anomaly ({} in all).",
                info.label(),
                r,
                quiet,
                s.anomalies
            ),
        };
        let details = match reason {
            None => json!({ "anomalies": s.anomalies }),
            Some(r) => json!({ "anomalies": s.anomalies, "reason": r }),
        };
        Alert {
            id: s.id,
            kind: Kind::Spoofing,
            state: State::Closed,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at: now,
            started_at: s.started,
            ended_at: Some(s.last_anomaly),
            lat,
            lon,
            summary,
            vessels: vec![info],
            details,
        }
    }
}

/// Ship-station MMSIs have nine digits and an assigned MID; SAR aircraft
/// (111…), auxiliary craft (98…) and AIS-SART/MOB/EPIRB (970–974…) are valid
/// non-ship identities.
pub fn valid_ship_mmsi(m: Mmsi) -> bool {
    match m.0 {
        111_000_000..=111_999_999 | 970_000_000..=974_999_999 | 980_000_000..=989_999_999 => true,
        200_000_000..=799_999_999 => crate::track::flag::flag_of(m).is_some(),
        _ => false,
    }
}
