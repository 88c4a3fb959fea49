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

use std::time::Duration;

use super::context::{Context, Key, Report};
use super::episode::Episode;
use super::registry::ZoneParams;
use super::vessel_episode::{raise, Episodes, VesselEpisode};
use super::{angle_deg, ms, Fix};
use crate::alert::{ended_clause, english, message, Alert, Kind, State, VesselInfo};
use crate::track::Mmsi;
use aiswatch_core::time::Millis;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::Details;

/// The drifting detector: per vessel, its drifting episode.
pub(super) type Drifting = Episodes<Drift>;

/// Degrees of slack on the angle band once drifting.
const ANGLE_SLACK: f64 = 5.0;

/// A vessel drifting in a zone (alerted or not yet).
#[derive(Debug, Clone)]
pub(super) struct Drift {
    zone: u16,
    ep: Episode,
    start: (f64, f64),
    reports: u32,
    min_angle: f64,
    max_angle: f64,
    max_sog: f64,
}

/// What one report says: drifting, not drifting (why), or nothing (no heading).
enum Says {
    Drifting { angle: f64, sog: f64 },
    Not(&'static str),
    Unknown,
}

fn judge(
    p: &Params,
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

impl VesselEpisode for Drift {
    const KIND: Kind = Kind::Drifting;
    type Params = Params;

    fn min_duration(p: &Params) -> Duration {
        p.min_duration
    }

    fn episode_mut(&mut self) -> &mut Episode {
        &mut self.ep
    }

    fn zone_mut(&mut self) -> &mut u16 {
        &mut self.zone
    }

    fn report(on: &mut Drifting, cx: &mut Context, r: &Report) {
        let (mmsi, fix) = (r.mmsi, r.fix);
        let zone = on.zone_of(r);
        let drift = on.vessels.get(&mmsi);
        if zone.is_none() && drift.is_none() {
            return;
        }
        let vessel = cx.tracks.get(mmsi);
        let anchored = matches!(vessel.and_then(|x| x.nav_status), Some(1 | 5));
        let heading = vessel.and_then(|x| x.heading_true).map(f64::from);
        let angle = heading.zip(fix.cog()).map(|(h, c)| angle_deg(h, c));
        let sog = fix.speed();
        let slack = (cx.cfg.speed_hysteresis_kn, ANGLE_SLACK);
        let end = match (drift, zone) {
            (None, _) => None,
            (Some(_), None) => Some("left the zone"),
            (Some(d), Some((z, _))) if z != d.zone => Some("left the zone"),
            (Some(_), Some((_, p))) => match judge(&p, anchored, sog, angle, slack) {
                Says::Not(why) => Some(why),
                _ => None,
            },
        };
        if let Some(reason) = end {
            on.end(cx, mmsi, fix, reason);
        }
        let Some((z, p)) = zone else { return };
        match on.vessels.get_mut(&mmsi) {
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
                    let d = Drift {
                        zone: z,
                        ep: Episode::new(fix.time, fix.time.saturating_add(ms(p.min_duration))),
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        min_angle: angle,
                        max_angle: angle,
                        max_sog: sog,
                    };
                    on.vessels.insert(mmsi, d);
                    cx.schedule(
                        fix.time.saturating_add(ms(p.min_duration)),
                        Key::at(mmsi, fix.time),
                    );
                }
            }
        }
    }

    fn check(on: &mut Drifting, cx: &mut Context, mmsi: Mmsi, since: Millis) {
        let Some((params, d, last)) = on.heard(cx, mmsi, since) else {
            return;
        };
        // Reports must cover `min_duration` (sparse or satellite data).
        let min_dur = params.get(d.zone).map_or(0, |p| ms(p.min_duration));
        let short = min_dur - (last.time - d.ep.since);
        if d.ep.alert.is_none() && short > 0 {
            cx.schedule(cx.now.saturating_add(short), Key::at(mmsi, since));
            return;
        }
        raise(cx, params, d, mmsi, since, &last);
    }

    fn alert(
        &self,
        cx: &Context,
        params: &ZoneParams<Params>,
        mmsi: Mmsi,
        last: &Fix,
        ended_for: Option<&str>,
    ) -> Option<Alert> {
        let id = self.ep.alert.clone()?;
        let (at, tracks) = (cx.now, cx.tracks);
        let (state, ended, reason) = match ended_for {
            Some(r) => (State::Closed, Some(last.time), r),
            None => (State::Update, None, ""),
        };
        let z = cx.zone(self.zone);
        let p = params.get(self.zone).copied().unwrap_or_default();
        let info = VesselInfo::from_store(tracks, mmsi);
        let dur = ended.unwrap_or(last.time) - self.ep.since;
        let summary = message("drifting", &info, z.name.as_deref().unwrap_or(&z.id))
            .duration("duration", dur)
            .decimal("min_angle", self.min_angle, 0)
            .decimal("max_angle", self.max_angle, 0)
            .decimal("max_speed_kn", self.max_sog, 1)
            .decimal("threshold_min_angle", p.min_angle_deg, 0)
            .decimal("threshold_max_angle", p.max_angle_deg, 0)
            .decimal("threshold_min_kn", p.min_speed_kn, 2)
            .decimal("threshold_max_kn", p.max_speed_kn, 0)
            .duration("min_duration", ms(p.min_duration))
            .arg("ended", ended_clause(ended.is_some().then_some(reason)));
        let nav = tracks.get(mmsi).and_then(|v| v.nav_status);
        let moved = super::haversine(self.start.0, self.start.1, last.lon, last.lat);
        Some(Alert {
            id,
            kind: Kind::Drifting,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            zone_version: None,
            centre: z.centres.clone(),
            at,
            started_at: self.ep.since,
            ended_at: ended,
            lat: last.lat,
            lon: last.lon,
            summary: english(&summary),
            message: Some(summary),
            vessels: vec![info],
            details: crate::alert::Details::Drifting(Details {
                duration_s: Some(dur / 1000),
                max_angle_deg: Some(p.max_angle_deg),
                max_angle_deg_seen: Some(self.max_angle.round()),
                max_speed_kn: Some(p.max_speed_kn),
                max_speed_kn_seen: Some((self.max_sog * 10.0).round() / 10.0),
                min_angle_deg: Some(p.min_angle_deg),
                min_angle_deg_seen: Some(self.min_angle.round()),
                min_duration_s: Some(p.min_duration.as_secs()),
                min_speed_kn: Some(p.min_speed_kn),
                moved_m: Some(moved.round()),
                nav_status: Some(nav),
                reason: ended.map(|_| reason.to_owned()),
                reports: Some(self.reports),
            }),
        })
    }
}
