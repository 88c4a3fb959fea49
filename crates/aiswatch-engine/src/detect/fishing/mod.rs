//! Fishing in a closed area (zone kind `closed_area`): a vessel moving at
//! fishing speeds (`min_speed_kn`–`max_speed_kn`, default 1–5 kn) for at
//! least `min_duration` that is either reported as a fishing vessel (AIS
//! ship type 30) or turns like a trawler (at least `min_turns_per_h` course
//! changes of `turn_deg` or more an hour over the episode).
//!
//! A fishing vessel transiting straight through at 10 kn is above the
//! fishing speeds and never starts an episode. Longliners setting (5–8 kn,
//! straight) are not caught by motion alone; hauling (1–3 kn) is, when they
//! declare ship type 30.

use std::cmp::Reverse;

use serde_json::json;

use super::{angle_deg, ms, Detectors, Fix, Place, Task};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::{Mmsi, TrackStore};

/// AIS ship type "fishing".
const SHIP_TYPE_FISHING: u8 = 30;
/// An episode not (yet) fishing-like is looked at again this often.
const RECHECK_MS: Millis = 10 * 60_000;

/// A vessel at fishing speeds in a closed area (alerted or not yet).
#[derive(Debug, Clone)]
pub(super) struct Fish {
    pub(super) zone: u16,
    pub(super) since: Millis,
    start: (f64, f64),
    reports: u32,
    turns: u32,
    /// Course at the last turn.
    ref_cog: Option<f64>,
    min_sog: f64,
    max_sog: f64,
    pub(super) alert: Option<AlertId>,
}

/// Why an episode counts as fishing: declared, or trawling-like turns.
fn declared(tracks: &TrackStore, mmsi: Mmsi) -> bool {
    tracks
        .get(mmsi)
        .and_then(|v| v.static_info.as_deref())
        .and_then(|s| s.ship_type)
        == Some(SHIP_TYPE_FISHING)
}

fn turns_per_h(f: &Fish, until: Millis) -> f64 {
    let h = (until - f.since) as f64 / 3_600_000.0;
    if h > 0.0 {
        f64::from(f.turns) / h
    } else {
        0.0
    }
}

impl Detectors {
    pub(super) fn fishing(
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
            .find_map(|&z| self.resolved[usize::from(z)].fishing.map(|p| (z, p)));
        let hyst = self.cfg.speed_hysteresis_kn;
        let speed = fix.speed;
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let end = match (&v.fish, zone) {
            (None, _) => None,
            (Some(_), None) => Some("left the zone"),
            (Some(f), Some((z, _))) if z != f.zone => Some("left the zone"),
            (Some(_), Some((_, p))) => match speed {
                Some(s) if s > p.max_speed_kn + hyst => Some("under way above fishing speeds"),
                Some(s) if s < p.min_speed_kn - hyst => Some("stopped below fishing speeds"),
                _ => None,
            },
        };
        if let Some(reason) = end {
            if let Some(f) = v.fish.take() {
                out.extend(self.fish_ended(mmsi, f, fix, fix.time, reason, tracks));
            }
        }
        let Some((z, p)) = zone else { return };
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        match &mut v.fish {
            Some(f) => {
                f.reports += 1;
                if let Some(s) = speed {
                    f.min_sog = f.min_sog.min(s);
                    f.max_sog = f.max_sog.max(s);
                }
                if let Some(c) = fix.cog {
                    match f.ref_cog {
                        Some(r) if angle_deg(c, r) >= p.turn_deg => {
                            f.turns += 1;
                            f.ref_cog = Some(c);
                        }
                        Some(_) => {}
                        None => f.ref_cog = Some(c),
                    }
                }
            }
            None => {
                let Some(s) = speed.filter(|s| (p.min_speed_kn..=p.max_speed_kn).contains(s))
                else {
                    return;
                };
                v.fish = Some(Fish {
                    zone: z,
                    since: fix.time,
                    start: (fix.lon, fix.lat),
                    reports: 1,
                    turns: 0,
                    ref_cog: fix.cog,
                    min_sog: s,
                    max_sog: s,
                    alert: None,
                });
                self.heap.push(Reverse((
                    fix.time.saturating_add(ms(p.min_duration)),
                    Task::Fish(mmsi, fix.time),
                )));
            }
        }
    }

    pub(super) fn check_fish(
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
        if v.fish.as_ref().is_none_or(|f| f.since != since) {
            return;
        }
        if now - last.time > stale {
            if let Some(f) = v.fish.take() {
                out.extend(self.fish_ended(mmsi, f, &last, now, "contact lost", tracks));
            }
            return;
        }
        let Some(f) = v.fish.as_mut() else { return };
        let p = self.resolved[usize::from(f.zone)]
            .fishing
            .unwrap_or_default();
        // Reports must cover `min_duration`: a silence after the start is
        // not fishing seen (sparse or satellite data).
        let short = ms(p.min_duration) - (last.time - f.since);
        if f.alert.is_none() && short > 0 {
            self.heap.push(Reverse((
                now.saturating_add(short),
                Task::Fish(mmsi, since),
            )));
            return;
        }
        let like = declared(tracks, mmsi) || turns_per_h(f, last.time) >= p.min_turns_per_h;
        let state = match &f.alert {
            Some(_) => State::Update,
            None if like => {
                let z = &self.zones.zones()[usize::from(f.zone)];
                f.alert = Some(Alert::make_id(Kind::Fishing, &z.id, &[mmsi], since));
                State::Open
            }
            None => {
                // Slow but not (yet) fishing-like: look again later.
                self.heap.push(Reverse((
                    now.saturating_add(RECHECK_MS.min(update)),
                    Task::Fish(mmsi, since),
                )));
                return;
            }
        };
        let Some(f) = v.fish.clone() else { return };
        let Some(id) = f.alert.clone() else { return };
        out.push(self.fish_alert(mmsi, &f, id, state, now, None, &last, "", tracks));
        self.heap.push(Reverse((
            now.saturating_add(update),
            Task::Fish(mmsi, since),
        )));
    }

    /// The close of fishing `f` (if alerted) ended for `reason`; `last` is
    /// the last report.
    pub(super) fn fish_ended(
        &self,
        mmsi: Mmsi,
        f: Fish,
        last: &Fix,
        now: Millis,
        reason: &str,
        tracks: &TrackStore,
    ) -> Option<Alert> {
        let id = f.alert.clone()?;
        Some(self.fish_alert(
            mmsi,
            &f,
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
    fn fish_alert(
        &self,
        mmsi: Mmsi,
        f: &Fish,
        id: AlertId,
        state: State,
        at: Millis,
        ended: Option<Millis>,
        last: &Fix,
        reason: &str,
        tracks: &TrackStore,
    ) -> Alert {
        let z = &self.zones.zones()[usize::from(f.zone)];
        let p = self.resolved[usize::from(f.zone)]
            .fishing
            .unwrap_or_default();
        let info = VesselInfo::from_store(tracks, mmsi);
        let end = ended.unwrap_or(last.time);
        let dur = end - f.since;
        let rate = turns_per_h(f, end);
        let is_declared = info.ship_type == Some(SHIP_TYPE_FISHING);
        let why = if is_declared {
            "reported as a fishing vessel (ship type 30)".to_string()
        } else {
            format!(
                "trawling-like: {} turns of {:.0}° or more ({:.1}/h, threshold {:.1}/h)",
                f.turns, p.turn_deg, rate, p.min_turns_per_h
            )
        };
        Alert {
            id,
            kind: Kind::Fishing,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at,
            started_at: f.since,
            ended_at: ended,
            lat: last.lat,
            lon: last.lon,
            summary: format!(
                "{} fishing in closed area {} for {} at {:.1}–{:.1} kn, {} (fishing speeds \
                 {:.1}–{:.1} kn for {}){}.",
                info.label(),
                z.name.as_deref().unwrap_or(&z.id),
                human_duration(dur),
                f.min_sog,
                f.max_sog,
                why,
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
                "reports": f.reports,
                "min_speed_kn_seen": (f.min_sog * 10.0).round() / 10.0,
                "max_speed_kn_seen": (f.max_sog * 10.0).round() / 10.0,
                "turns": f.turns,
                "turns_per_h": (rate * 10.0).round() / 10.0,
                "declared_fishing": is_declared,
                "start": [f.start.0, f.start.1],
                "min_speed_kn": p.min_speed_kn,
                "max_speed_kn": p.max_speed_kn,
                "min_duration_s": p.min_duration.as_secs(),
                "min_turns_per_h": p.min_turns_per_h,
                "turn_deg": p.turn_deg,
                "reason": if ended.is_some() { Some(reason) } else { None },
            }),
        }
    }
}
