//! Speeding: a vessel whose speed over ground stays above the zone's
//! `max_speed_kn` (default 12 kn) for at least `min_duration` (5 min).
//!
//! Speed limits are set where speed does harm: port authorities limit it in
//! approach channels and harbours (wash against moored ships and banks,
//! stopping distance among traffic; 8–12 kn is common), and marine protected
//! areas against ship strikes on whales (the United States' North Atlantic
//! right whale rule, 50 CFR 224.105, holds vessels of 65 ft or more to 10 kn
//! in seasonal management areas). The detector runs in any zone kind: port
//! approaches, protected areas, patrol zones.
//!
//! The speed is the fix's: speed over ground as reported, else implied by
//! the previous fix. An episode starts at a report above the limit and
//! alerts once reports above the limit cover `min_duration` (the last of
//! them at least that long after the first): one fast report alone never
//! does. It ends when the vessel slows to the limit less the speed
//! hysteresis (reports in between change nothing), leaves the zone, or is
//! not heard for `stale_after`. A report above 50 kn ([`GLITCH_KN`]) is a
//! glitch, not a speed: no merchant vessel does 50 kn and AIS speed tops at
//! 102.2 kn, with 51.2, 63 and 102.3 sentinel-like; such a report neither
//! starts, extends nor ends an episode.

use std::time::Duration;

use super::context::{Context, Key, Report};
use super::episode::Episode;
use super::registry::ZoneParams;
use super::vessel_episode::{raise, Episodes, VesselEpisode};
use super::{haversine, ms, Fix};
use crate::alert::{ended_clause, english, message, Alert, Kind, State, VesselInfo};
use crate::track::Mmsi;
use aiswatch_core::time::Millis;

mod details;
mod params;
pub use details::Details;
pub(super) use params::{Params, SPEC};

#[cfg(test)]
mod tests;

/// Reports faster than this (knots) are glitches and ignored entirely.
pub(crate) const GLITCH_KN: f64 = 50.0;

/// The speeding detector: per vessel, its speeding episode.
pub(super) type Speeding = Episodes<Run>;

/// A vessel over the limit in a zone (alerted or not yet).
#[derive(Debug, Clone)]
pub(super) struct Run {
    zone: u16,
    ep: Episode,
    /// Where it was at its first report over the limit.
    start: (f64, f64),
    /// Its last report counted (position).
    last: (f64, f64),
    /// Time of its last report over the limit.
    last_fast: Millis,
    /// Reports counted (those with a speed, glitches left out).
    reports: u32,
    max_kn: f64,
    sum_kn: f64,
}

/// What one report's speed says about speeding.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Says {
    /// Over the limit, at this speed.
    Fast(f64),
    /// Slowed to the limit less the hysteresis.
    Slow(f64),
    /// Between the two: no change, at this speed.
    Band(f64),
    /// No speed, or a glitch.
    Unknown,
}

fn judge(p: &Params, speed: Option<f64>, hysteresis: f64) -> Says {
    match speed {
        None => Says::Unknown,
        Some(s) if !(0.0..=GLITCH_KN).contains(&s) => Says::Unknown,
        Some(s) if s > p.max_speed_kn => Says::Fast(s),
        Some(s) if s <= p.max_speed_kn - hysteresis => Says::Slow(s),
        Some(s) => Says::Band(s),
    }
}

impl VesselEpisode for Run {
    const KIND: Kind = Kind::Speeding;
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

    fn report(on: &mut Speeding, cx: &mut Context, r: &Report) {
        let (mmsi, fix) = (r.mmsi, r.fix);
        // A glitch is not a report at all, for this detector.
        if fix.speed().is_some_and(|s| s > GLITCH_KN) {
            return;
        }
        let zone = on.zone_of(r);
        let run = on.vessels.get(&mmsi);
        if zone.is_none() && run.is_none() {
            return;
        }
        let hysteresis = cx.cfg.speed_hysteresis_kn;
        let end = match (run, zone) {
            (None, _) => None,
            (Some(_), None) => Some("left the zone"),
            (Some(d), Some((z, _))) if z != d.zone => Some("left the zone"),
            (Some(_), Some((_, p))) => match judge(&p, fix.speed(), hysteresis) {
                Says::Slow(_) => Some("slowed down"),
                _ => None,
            },
        };
        if let Some(reason) = end {
            on.end(cx, mmsi, fix, reason);
        }
        let Some((z, p)) = zone else { return };
        let says = judge(&p, fix.speed(), hysteresis);
        match on.vessels.get_mut(&mmsi) {
            Some(d) => {
                if let Says::Fast(s) | Says::Band(s) = says {
                    d.reports += 1;
                    d.sum_kn += s;
                    d.max_kn = d.max_kn.max(s);
                    d.last = (fix.lon, fix.lat);
                    if matches!(says, Says::Fast(_)) {
                        d.last_fast = fix.time;
                    }
                }
            }
            None => {
                if let Says::Fast(s) = says {
                    let due = fix.time.saturating_add(ms(p.min_duration));
                    let d = Run {
                        zone: z,
                        ep: Episode::new(fix.time, due),
                        start: (fix.lon, fix.lat),
                        last: (fix.lon, fix.lat),
                        last_fast: fix.time,
                        reports: 1,
                        max_kn: s,
                        sum_kn: s,
                    };
                    on.vessels.insert(mmsi, d);
                    cx.schedule(due, Key::at(mmsi, fix.time));
                }
            }
        }
    }

    fn check(on: &mut Speeding, cx: &mut Context, mmsi: Mmsi, since: Millis) {
        let Some((params, d, last)) = on.heard(cx, mmsi, since) else {
            return;
        };
        // Reports over the limit must cover `min_duration`.
        let min_dur = params.get(d.zone).map_or(0, |p| ms(p.min_duration));
        let short = min_dur - (d.last_fast - d.ep.since);
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
        let summary = message("speeding", &info, z.name.as_deref().unwrap_or(&z.id))
            .duration("duration", dur)
            .decimal("max_speed_kn", self.max_kn, 1)
            .decimal("limit_kn", p.max_speed_kn, 1)
            .duration("min_duration", ms(p.min_duration))
            .arg("ended", ended_clause(ended.is_some().then_some(reason)));
        let distance = haversine(self.start.0, self.start.1, self.last.0, self.last.1);
        let mean = self.sum_kn / f64::from(self.reports.max(1));
        let one_decimal = |x: f64| (x * 10.0).round() / 10.0;
        Some(Alert {
            id,
            kind: Kind::Speeding,
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
            details: crate::alert::Details::Speeding(Details {
                duration_s: Some(dur / 1000),
                distance_m: Some(distance.round()),
                max_speed_kn: Some(p.max_speed_kn),
                max_speed_kn_seen: Some(one_decimal(self.max_kn)),
                mean_speed_kn: Some(one_decimal(mean)),
                min_duration_s: Some(p.min_duration.as_secs()),
                reason: ended.is_some().then(|| reason.to_owned()),
                reports: Some(self.reports),
            }),
        })
    }
}
