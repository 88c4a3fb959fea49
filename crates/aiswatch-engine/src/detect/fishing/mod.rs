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

use std::time::Duration;

use super::context::{Context, Key, Report};
use super::episode::Episode;
use super::registry::ZoneParams;
use super::vessel_episode::{raise, Episodes, VesselEpisode};
use super::{angle_deg, ms, Fix};
use crate::alert::{ended_clause, english, message, Alert, Kind, Message, State, VesselInfo};
use crate::track::{Mmsi, TrackStore};
use aiswatch_core::time::Millis;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::Details;

/// The fishing detector: per vessel, its episode at fishing speeds.
pub(super) type Fishing = Episodes<Fish>;

/// AIS ship type "fishing".
const SHIP_TYPE_FISHING: u8 = 30;
/// An episode not (yet) fishing-like is looked at again this often.
const RECHECK_MS: Millis = 10 * 60_000;

/// A vessel at fishing speeds in a closed area (alerted or not yet).
#[derive(Debug, Clone)]
pub(super) struct Fish {
    zone: u16,
    ep: Episode,
    start: (f64, f64),
    reports: u32,
    turns: u32,
    /// Course at the last turn.
    ref_cog: Option<f64>,
    min_sog: f64,
    max_sog: f64,
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
    let h = (until - f.ep.since) as f64 / 3_600_000.0;
    if h > 0.0 {
        f64::from(f.turns) / h
    } else {
        0.0
    }
}

impl VesselEpisode for Fish {
    const KIND: Kind = Kind::Fishing;
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

    fn report(on: &mut Fishing, cx: &mut Context, r: &Report) {
        let (mmsi, fix) = (r.mmsi, r.fix);
        let zone = on.zone_of(r);
        let hyst = cx.cfg.speed_hysteresis_kn;
        let speed = fix.speed();
        let fish = on.vessels.get(&mmsi);
        let end = match (fish, zone) {
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
            on.end(cx, mmsi, fix, reason);
        }
        let Some((z, p)) = zone else { return };
        match on.vessels.get_mut(&mmsi) {
            Some(f) => {
                f.reports += 1;
                if let Some(s) = speed {
                    f.min_sog = f.min_sog.min(s);
                    f.max_sog = f.max_sog.max(s);
                }
                if let Some(c) = fix.cog() {
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
                on.vessels.insert(
                    mmsi,
                    Fish {
                        zone: z,
                        ep: Episode::new(fix.time, fix.time.saturating_add(ms(p.min_duration))),
                        start: (fix.lon, fix.lat),
                        reports: 1,
                        turns: 0,
                        ref_cog: fix.cog(),
                        min_sog: s,
                        max_sog: s,
                    },
                );
                cx.schedule(
                    fix.time.saturating_add(ms(p.min_duration)),
                    Key::at(mmsi, fix.time),
                );
            }
        }
    }

    fn check(on: &mut Fishing, cx: &mut Context, mmsi: Mmsi, since: Millis) {
        let Some((params, f, last)) = on.heard(cx, mmsi, since) else {
            return;
        };
        let (now, update) = (cx.now, cx.update_every());
        let p = params.get(f.zone).copied().unwrap_or_default();
        // Reports must cover `min_duration`: a silence after the start is
        // not fishing seen (sparse or satellite data).
        let short = ms(p.min_duration) - (last.time - f.ep.since);
        if f.ep.alert.is_none() && short > 0 {
            cx.schedule(now.saturating_add(short), Key::at(mmsi, since));
            return;
        }
        let like = declared(cx.tracks, mmsi) || turns_per_h(f, last.time) >= p.min_turns_per_h;
        if f.ep.alert.is_none() && !like {
            // Slow but not (yet) fishing-like: look again later.
            cx.schedule(
                now.saturating_add(RECHECK_MS.min(update)),
                Key::at(mmsi, since),
            );
            return;
        }
        raise(cx, params, f, mmsi, since, &last);
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
        let end = ended.unwrap_or(last.time);
        let dur = end - self.ep.since;
        let rate = turns_per_h(self, end);
        let is_declared = info.ship_type == Some(SHIP_TYPE_FISHING);
        let why = if is_declared {
            Message::new("fishing-why-declared")
        } else {
            Message::new("fishing-why-turns")
                .int("turns", i64::from(self.turns))
                .decimal("turn_deg", p.turn_deg, 0)
                .decimal("rate", rate, 1)
                .decimal("threshold", p.min_turns_per_h, 1)
        };
        let summary = message("fishing", &info, z.name.as_deref().unwrap_or(&z.id))
            .duration("duration", dur)
            .decimal("min_speed_kn", self.min_sog, 1)
            .decimal("max_speed_kn", self.max_sog, 1)
            .message("why", why)
            .decimal("threshold_min_kn", p.min_speed_kn, 1)
            .decimal("threshold_max_kn", p.max_speed_kn, 1)
            .duration("min_duration", ms(p.min_duration))
            .arg("ended", ended_clause(ended.is_some().then_some(reason)));
        Some(Alert {
            id,
            kind: Kind::Fishing,
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
            details: crate::alert::Details::Fishing(Details {
                declared_fishing: Some(is_declared),
                duration_s: Some(dur / 1000),
                max_speed_kn: Some(p.max_speed_kn),
                max_speed_kn_seen: Some((self.max_sog * 10.0).round() / 10.0),
                min_duration_s: Some(p.min_duration.as_secs()),
                min_speed_kn: Some(p.min_speed_kn),
                min_speed_kn_seen: Some((self.min_sog * 10.0).round() / 10.0),
                min_turns_per_h: Some(p.min_turns_per_h),
                reason: ended.map(|_| reason.to_owned()),
                reports: Some(self.reports),
                start: Some([self.start.0, self.start.1]),
                turn_deg: Some(p.turn_deg),
                turns: Some(self.turns),
                turns_per_h: Some((rate * 10.0).round() / 10.0),
            }),
        })
    }
}
