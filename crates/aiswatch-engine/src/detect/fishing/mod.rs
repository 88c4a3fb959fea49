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

use ahash::{AHashMap, AHashSet};

use super::context::{Context, Key, Report};
use super::episode::{Contact, Episode};
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{angle_deg, ms, shrink, DetectConfig, Fix, REASON_FORGOTTEN};
use crate::alert::{ended_clause, english, message, Alert, Kind, Message, State, VesselInfo};
use crate::track::{Mmsi, TrackStore};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::Details;

/// The fishing detector: per vessel, its episode at fishing speeds.
#[derive(Debug, Default)]
pub(crate) struct Fishing {
    params: ZoneParams<Params>,
    vessels: AHashMap<Mmsi, Fish>,
}

/// AIS ship type "fishing".
const SHIP_TYPE_FISHING: u8 = 30;
/// An episode not (yet) fishing-like is looked at again this often.
const RECHECK_MS: Millis = 10 * 60_000;

/// A vessel at fishing speeds in a closed area (alerted or not yet).
#[derive(Debug, Clone)]
struct Fish {
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

impl Detector for Fishing {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::Fishing, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        let episode = self
            .params
            .iter()
            .map(|p| p.min_duration)
            .max()
            .unwrap_or_default();
        Memory {
            episode,
            quiet: Duration::ZERO,
        }
    }

    fn position(&mut self, cx: &mut Context, r: &Report) {
        self.report(cx, r);
    }

    fn due(&mut self, cx: &mut Context, key: Key, _due: Millis) {
        self.check(cx, key.vessel, key.at);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        let Some(f) = self.vessels.remove(&mmsi) else {
            return;
        };
        if let Some(last) = cx.last(mmsi).cloned() {
            let alert = fish_alert(cx, &self.params, mmsi, &f, &last, Some(REASON_FORGOTTEN));
            cx.out.extend(alert);
        }
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink(&mut self.vessels);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        let ending: Vec<(Mmsi, &'static str)> = self
            .vessels
            .iter()
            .filter_map(|(m, f)| reload.ends(f.zone, Kind::Fishing).map(|r| (*m, r)))
            .collect();
        for (mmsi, reason) in ending {
            let Some(f) = self.vessels.remove(&mmsi) else {
                continue;
            };
            if let Some(last) = cx.last(mmsi).cloned() {
                let alert = fish_alert(cx, &self.params, mmsi, &f, &last, Some(reason));
                cx.out.extend(alert);
            }
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for f in self.vessels.values_mut() {
            f.zone = reload.zone(f.zone);
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi)
    }
}

impl Fishing {
    fn report(&mut self, cx: &mut Context, r: &Report) {
        let (mmsi, fix) = (r.mmsi, r.fix);
        let zone = r
            .place
            .zones
            .iter()
            .find_map(|&z| self.params.get(z).map(|p| (z, *p)));
        let hyst = cx.cfg.speed_hysteresis_kn;
        let speed = fix.speed();
        let fish = self.vessels.get(&mmsi);
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
            if let Some(f) = self.vessels.remove(&mmsi) {
                cx.out.extend(fish_alert(cx, &self.params, mmsi, &f, fix, Some(reason)));
            }
        }
        let Some((z, p)) = zone else { return };
        match self.vessels.get_mut(&mmsi) {
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
                self.vessels.insert(
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

    fn check(&mut self, cx: &mut Context, mmsi: Mmsi, since: Millis) {
        let now = cx.now;
        let stale = cx.stale();
        let update = cx.update_every();
        let Some(last) = cx.last(mmsi).cloned() else {
            return;
        };
        if self.vessels.get(&mmsi).is_none_or(|f| f.ep.since != since) {
            return;
        }
        // A silence ends the episode (it is not suspended).
        if Episode::contact(now, last.time, stale, 0) != Contact::Heard {
            if let Some(f) = self.vessels.remove(&mmsi) {
                cx.out
                    .extend(fish_alert(cx, &self.params, mmsi, &f, &last, Some("contact lost")));
            }
            return;
        }
        let Some(f) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let p = self.params.get(f.zone).copied().unwrap_or_default();
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
        let z = cx.zone(f.zone);
        let (state, _) =
            f.ep.raise(Kind::Fishing, &z.id, &[mmsi], now.saturating_add(update));
        let alert = fish_alert(cx, &self.params, mmsi, f, &last, None).map(|a| Alert { state, ..a });
        cx.out.extend(alert);
        cx.schedule(now.saturating_add(update), Key::at(mmsi, since));
    }
}

/// The alert of fishing `f` (if alerted) at `cx.now`, `last` the last
/// report: an update, or the close when it `ended` for a reason (at `last`).
fn fish_alert(
    cx: &Context,
    params: &ZoneParams<Params>,
    mmsi: Mmsi,
    f: &Fish,
    last: &Fix,
    ended_for: Option<&str>,
) -> Option<Alert> {
    let id = f.ep.alert.clone()?;
    let (at, tracks) = (cx.now, cx.tracks);
    let (state, ended, reason) = match ended_for {
        Some(r) => (State::Closed, Some(last.time), r),
        None => (State::Update, None, ""),
    };
    let z = cx.zone(f.zone);
    let p = params.get(f.zone).copied().unwrap_or_default();
    let info = VesselInfo::from_store(tracks, mmsi);
    let end = ended.unwrap_or(last.time);
    let dur = end - f.ep.since;
    let rate = turns_per_h(f, end);
    let is_declared = info.ship_type == Some(SHIP_TYPE_FISHING);
    let why = if is_declared {
        Message::new("fishing-why-declared")
    } else {
        Message::new("fishing-why-turns")
            .int("turns", i64::from(f.turns))
            .decimal("turn_deg", p.turn_deg, 0)
            .decimal("rate", rate, 1)
            .decimal("threshold", p.min_turns_per_h, 1)
    };
    let summary = message("fishing", &info, z.name.as_deref().unwrap_or(&z.id))
        .duration("duration", dur)
        .decimal("min_speed_kn", f.min_sog, 1)
        .decimal("max_speed_kn", f.max_sog, 1)
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
        started_at: f.ep.since,
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
            max_speed_kn_seen: Some((f.max_sog * 10.0).round() / 10.0),
            min_duration_s: Some(p.min_duration.as_secs()),
            min_speed_kn: Some(p.min_speed_kn),
            min_speed_kn_seen: Some((f.min_sog * 10.0).round() / 10.0),
            min_turns_per_h: Some(p.min_turns_per_h),
            reason: ended.map(|_| reason.to_owned()),
            reports: Some(f.reports),
            start: Some([f.start.0, f.start.1]),
            turn_deg: Some(p.turn_deg),
            turns: Some(f.turns),
            turns_per_h: Some((rate * 10.0).round() / 10.0),
        }),
    })
}
