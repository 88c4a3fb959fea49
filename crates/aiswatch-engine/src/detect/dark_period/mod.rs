//! Dark periods: a vessel in a watched zone falls silent for longer than
//! the zone's `min_gap` (and than its usual interval allows), with the
//! silence not explained by a feed stall or a receiver outage.
//!
//! Which outages explain a silence is judged where the vessel fell silent
//! by the stations that actually heard it there: those that delivered at
//! least two of its last 16 copies (and its best station). If they were
//! all down, the outage explains the silence, even when another station is
//! live in the same cell (it may hear only part of the cell, and never
//! heard this vessel). A station that heard even an eighth of its copies
//! would, if live, almost surely have heard some of the many reports of a
//! silence of hours. Where dead reckoning puts the vessel now, if that is
//! another cell, the stations that deliver a good share of that cell's
//! reports ([`super::silence::Coverage`]) judge: a vessel that sailed into
//! a dead station's area is explained too. The silence counts when, at
//! both places, a station that should have heard the vessel stayed live.

use std::sync::Arc;
use std::time::Duration;

use ahash::{AHashMap, AHashSet};

use super::context::{Context, Key, Report};
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::report_times::ReportTimes;
use super::silence::{Coverage, StationId};
use super::REASON_FORGOTTEN;
use super::{haversine, ms, shrink, shrink_set, DetectConfig, Fix, Place, VState, KN_PER_MPS};
use crate::alert::{english, message, Alert, Arg, Kind, Message, State, VesselInfo};
use crate::track::Mmsi;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::{Basis, Details, HeardBy, JudgedPlace, StationShare};

/// The dark-period detector: the vessels whose silence check is pending,
/// and the open alerts.
#[derive(Debug, Default)]
pub(crate) struct DarkPeriod {
    params: ZoneParams<Params>,
    /// Vessels with a silence check in the deadline heap (one per vessel:
    /// each check moves itself to the last report + gap, so the heap does
    /// not grow with report rates). A set: almost every vessel in a zone
    /// is here, few are dark.
    pending: AHashSet<Mmsi>,
    /// Boxed: an open alert is large, and rare.
    open: AHashMap<Mmsi, Box<DarkOpen>>,
}

impl Detector for DarkPeriod {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::DarkPeriod, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        let episode = self
            .params
            .iter()
            .map(|p| p.min_gap)
            .max()
            .unwrap_or_default();
        Memory {
            episode,
            quiet: Duration::ZERO,
        }
    }

    fn before_position(&mut self, cx: &mut Context, r: &Report) {
        let mmsi = r.mmsi;
        if let Some(d) = self.open.remove(&mmsi) {
            let end = DarkEnd::Returned {
                fix: r.fix,
                station: r.station,
            };
            cx.out.push(dark_closed(cx, mmsi, *d, end));
        }
        if let Some(gap) = dark_gap_for(&self.params, r.place) {
            if self.pending.insert(mmsi) {
                cx.schedule(r.fix.time.saturating_add(gap), Key::vessel(mmsi));
            }
        }
    }

    fn due(&mut self, cx: &mut Context, key: Key, _due: Millis) {
        self.check(cx, key.vessel);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        self.pending.remove(&mmsi);
        if let Some(d) = self.open.remove(&mmsi) {
            let end = DarkEnd::Forgotten {
                now: cx.now,
                reason: REASON_FORGOTTEN,
            };
            cx.out.push(dark_closed(cx, mmsi, *d, end));
        }
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink_set(&mut self.pending);
        shrink(&mut self.open);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        let ending: Vec<(Mmsi, _)> = self
            .open
            .iter()
            .filter_map(|(&mmsi, d)| Some((mmsi, reload.ends(d.zone, Kind::DarkPeriod)?)))
            .collect();
        for (mmsi, reason) in ending {
            if let Some(d) = self.open.remove(&mmsi) {
                let end = DarkEnd::Unwatched {
                    now: cx.now,
                    reason,
                };
                cx.out.push(dark_closed(cx, mmsi, *d, end));
            }
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for d in self.open.values_mut() {
            d.zone = reload.zone(d.zone);
        }
    }

    fn remap_key(&self, _key: Key, _reload: &Reload) -> Option<Key> {
        None // re-armed for every vessel: its zone's gap may have changed
    }

    fn rearm(&mut self, cx: &mut Context) {
        self.pending.clear();
        for (mmsi, v) in cx.vessels.iter() {
            let gap = dark_gap_for(&self.params, &v.place);
            if let (Some(gap), Some(last)) = (gap, v.last.as_ref()) {
                self.pending.insert(*mmsi);
                let at = (last.time + gap).max(cx.now);
                cx.heap.push(cx.me, at, Key::vessel(*mmsi));
            }
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.pending.contains(&mmsi) || self.open.contains_key(&mmsi)
    }
}

#[derive(Debug)]
struct DarkOpen {
    id: AlertId,
    zone: u16,
    fix: Fix,
}

/// How an open dark period ends.
enum DarkEnd<'a> {
    /// The vessel is heard again at `fix`, through `station`.
    Returned { fix: &'a Fix, station: &'a Arc<str> },
    /// The vessel is forgotten (unheard for `vessel_ttl`, or dropped by the
    /// track store) before it was heard again: the silence has lasted at
    /// least until `now`.
    Forgotten { now: Millis, reason: &'a str },
    /// A zone reload at `now` removed the zone, or its `dark_period`, while
    /// the vessel was still silent.
    Unwatched { now: Millis, reason: &'a str },
}

/// The close of the open dark period `d` of `mmsi`, ended by `end`.
fn dark_closed(cx: &Context, mmsi: Mmsi, d: DarkOpen, end: DarkEnd<'_>) -> Alert {
    let z = cx.zone(d.zone);
    let zone_name = z.name.as_deref().unwrap_or(&z.id);
    let info = VesselInfo::from_store(cx.tracks, mmsi);
    let (at, lon, lat, summary, details) = match end {
        DarkEnd::Returned { fix, station } => {
            let (lon, lat, t) = (fix.lon, fix.lat, fix.time);
            let dist = haversine(d.fix.lon, d.fix.lat, lon, lat);
            let gap_ms = t - d.fix.time;
            let implied = dist / (gap_ms.max(1) as f64 / 1000.0) * KN_PER_MPS;
            let summary = message("dark-period-returned", &info, zone_name)
                .duration("gap", gap_ms)
                .decimal("distance_nm", dist / 1852.0, 1)
                .decimal("speed_kn", implied, 1);
            let details = Details {
                dark_lat: Some(d.fix.lat),
                dark_lon: Some(d.fix.lon),
                distance_m: Some(dist.round()),
                gap_s: Some(gap_ms / 1000),
                implied_speed_kn: Some((implied * 10.0).round() / 10.0),
                reappeared_lat: Some(lat),
                reappeared_lon: Some(lon),
                station: Some(station.to_string()),
                ..Details::default()
            };
            (t, lon, lat, summary, details)
        }
        DarkEnd::Forgotten { now, reason } => {
            let silent = now.saturating_sub(d.fix.time);
            let summary = message("dark-period-forgotten", &info, zone_name)
                .duration("silent", silent)
                .arg("reason", crate::alert::reason(reason));
            let details = Details {
                dark_lat: Some(d.fix.lat),
                dark_lon: Some(d.fix.lon),
                reason: Some(reason.to_owned()),
                silent_s: Some(silent / 1000),
                ..Details::default()
            };
            (now, d.fix.lon, d.fix.lat, summary, details)
        }
        DarkEnd::Unwatched { now, reason } => {
            let summary = message("dark-period-unwatched", &info, zone_name)
                .arg("reason", crate::alert::reason(reason));
            let details = Details {
                reason: Some(reason.to_owned()),
                silent_s: Some((now - d.fix.time) / 1000),
                ..Details::default()
            };
            (now, d.fix.lon, d.fix.lat, summary, details)
        }
    };
    Alert {
        id: d.id,
        kind: Kind::DarkPeriod,
        state: State::Closed,
        mmsi: vec![mmsi],
        zone: z.id.clone(),
        zone_name: z.name.clone(),
        zone_version: None,
        centre: z.centres.clone(),
        at,
        started_at: d.fix.time,
        ended_at: Some(at),
        lat,
        lon,
        summary: english(&summary),
        message: Some(summary),
        vessels: vec![info],
        details: crate::alert::Details::DarkPeriod(details),
    }
}

/// The zone that watches silence at `place`, and its `min_gap`: the
/// first zone with `dark_period` (ports may watch silence too).
fn dark_zone(params: &ZoneParams<Params>, place: &Place) -> Option<(u16, Millis)> {
    place
        .zones
        .iter()
        .find_map(|&z| params.get(z).map(|p| (z, ms(p.min_gap))))
}

fn dark_gap_for(params: &ZoneParams<Params>, place: &Place) -> Option<Millis> {
    dark_zone(params, place).map(|x| x.1)
}

impl DarkPeriod {
    fn check(&mut self, cx: &mut Context, mmsi: Mmsi) {
        let now = cx.now;
        if !self.pending.remove(&mmsi) {
            return;
        }
        let Some(v) = cx.vessels.get(&mmsi) else {
            return;
        };
        let Some(last) = v.last.clone() else { return };
        if self.open.contains_key(&mmsi) {
            return; // already open; the next report closes it
        }
        let Some((zone, zone_gap)) = dark_zone(&self.params, &v.place) else {
            return;
        };
        if now < last.time.saturating_add(zone_gap) {
            // Heard since this check was scheduled: look again a gap after the last report.
            self.pending.insert(mmsi);
            cx.schedule(last.time.saturating_add(zone_gap), Key::vessel(mmsi));
            return;
        }
        let usual = median_interval(&v.recent);
        let min_gap = zone_gap.max((usual as f64 * cx.cfg.dark_gap_factor) as Millis);
        let silent = now - last.time;
        let judged = judge_silence(cx, v, now);
        let explained = judged.iter().map(Judged::explained).max().unwrap_or(0);
        let effective = silent.saturating_sub(explained);
        if effective < min_gap {
            // Part of the silence is a feed stall or station outage: look again later.
            self.pending.insert(mmsi);
            cx.schedule(
                now.saturating_add(min_gap.saturating_sub(effective).max(1000)),
                Key::vessel(mmsi),
            );
            return;
        }
        let prior = v
            .recent
            .newest_first()
            .filter(|&t| t >= last.time - zone_gap && t <= last.time)
            .count();
        if prior < cx.cfg.min_prior_reports {
            return; // a vessel glimpsed once or twice is not "going dark"
        }
        let z = cx.zone(zone);
        let info = VesselInfo::from_store(cx.tracks, mmsi);
        let id = Alert::make_id(Kind::DarkPeriod, &z.id, &[mmsi], last.time);
        let station = cx.station_of(mmsi, v);
        let station_last = cx.live.id(&station).and_then(|id| cx.live.last_heard(id));
        let clauses = why_clauses(&judged, explained);
        // In English in the details (machines and the record read it).
        let why = clauses.iter().map(english).collect::<Vec<_>>().join("; ");
        let summary = message("dark-period-open", &info, z.name.as_deref().unwrap_or(&z.id))
            .duration("silent", silent)
            .duration("threshold", min_gap)
            .decimal("lat", last.lat, 4)
            .decimal("lon", last.lon, 4)
            .text("receiver", station.to_string())
            .arg("why", Arg::Clauses(clauses));
        let heard_by = heard_by(cx, v, now);
        let alert = Alert {
            id: id.clone(),
            kind: Kind::DarkPeriod,
            state: State::Open,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            zone_version: None,
            centre: z.centres.clone(),
            at: now,
            started_at: last.time,
            ended_at: None,
            lat: last.lat,
            lon: last.lon,
            summary: english(&summary),
            message: Some(summary),
            vessels: vec![info],
            details: crate::alert::Details::DarkPeriod(Details {
                down: Some(
                    judged
                        .iter()
                        .flat_map(|j| &j.stations)
                        .filter(|s| s.2 > 0)
                        .map(|s| s.0.as_ref())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .map(String::from)
                        .collect(),
                ),
                explained_s: Some(explained / 1000),
                heard_by: Some(heard_by),
                judged: Some(judged.iter().map(Judged::details).collect()),
                last_sog_kn: Some(last.sog()),
                min_gap_s: Some(min_gap / 1000),
                reports_before: Some(prior),
                silent_s: Some(silent / 1000),
                station: Some(station.to_string()),
                station_last_heard: Some(station_last.map(aiswatch_core::time::rfc3339)),
                usual_interval_s: Some(usual / 1000),
                why: Some(why),
                zone_min_gap_s: Some(zone_gap / 1000),
                ..Details::default()
            }),
        };
        cx.out.push(alert);
        self.open.insert(mmsi, Box::new(DarkOpen {
            id,
            zone,
            fix: last,
        }));
    }
}

/// Median interval between consecutive report times (0 with fewer than 3).
fn median_interval(times: &ReportTimes) -> Millis {
    if times.len() < 3 {
        return 0;
    }
    let mut d: Vec<Millis> = times.gaps().collect();
    let mid = d.len() / 2;
    *d.select_nth_unstable(mid).1
}

/// A place where a silence is judged: the stations expected to hear the
/// vessel there, each with its share (of the vessel's copies relative to
/// its best station, or of the cell's reports) and the dead time it
/// accrued during the silence.
#[derive(Debug)]
struct Judged {
    basis: Basis,
    lon: f64,
    lat: f64,
    stations: Vec<(Arc<str>, f64, Millis)>,
}

impl Judged {
    /// Silence the outages explain here: all the expected stations were
    /// down for that long (none expected: nothing explained).
    fn explained(&self) -> Millis {
        self.stations.iter().map(|s| s.2).min().unwrap_or(0)
    }

    fn details(&self) -> JudgedPlace {
        JudgedPlace {
            basis: self.basis,
            explained_s: self.explained() / 1000,
            lat: self.lat,
            lon: self.lon,
            stations: self
                .stations
                .iter()
                .map(|(s, share, dead)| StationShare {
                    down_s: dead / 1000,
                    share: (share * 100.0).round() / 100.0,
                    station: s.to_string(),
                })
                .collect(),
        }
    }
}

/// Stations delivering at least this many of a vessel's recent copies (or
/// its best station) are expected to hear it: one stray copy is not enough.
const VESSEL_MIN_COPIES: usize = 2;

/// Where and by which stations the silence of `v` up to `now` is judged
/// (see the module doc).
fn judge_silence(cx: &Context, v: &VState, now: Millis) -> Vec<Judged> {
    let Some(last) = v.last.as_ref() else {
        return Vec::new();
    };
    let dead = |st: StationId| match v.hearing.dead_at_last(st) {
        Some(at_last) => cx.live.dead(st, now).since(at_last),
        None => cx.live.dead(st, now).since(cx.live.dead(st, last.time)),
    };
    let mut out = Vec::with_capacity(2);
    out.push(Judged {
        basis: Basis::Vessel,
        lon: last.lon,
        lat: last.lat,
        stations: vessel_shares(cx, v)
            .into_iter()
            .filter(|x| x.share >= 1.0 || x.copies >= VESSEL_MIN_COPIES)
            .map(|x| (x.name, x.share, dead(x.id)))
            .collect(),
    });
    if let Some((lon, lat)) = last.reckon(now) {
        if Coverage::cell(lon, lat) != Coverage::cell(last.lon, last.lat) {
            if let Some(cov) = cx.coverage.covering(lon, lat) {
                out.push(Judged {
                    basis: Basis::Cell,
                    lon,
                    lat,
                    stations: cov
                        .into_iter()
                        .map(|(id, share)| (cx.live.name(id), share, dead(id)))
                        .collect(),
                });
            }
        }
    }
    out
}

/// The stations that heard `v` in its recent copies, for `details`.
fn heard_by(cx: &Context, v: &VState, now: Millis) -> Vec<HeardBy> {
    let last = v.last.as_ref().map_or(now, |f| f.time);
    vessel_shares(cx, v)
        .into_iter()
        .map(|x| {
            let down = cx.live.dead(x.id, now).since(cx.live.dead(x.id, last));
            HeardBy {
                copies: x.copies,
                down_s: down / 1000,
                of: v.hearing.recent_len(),
                share: (x.share * 100.0).round() / 100.0,
                station: x.name.to_string(),
            }
        })
        .collect()
}

/// The stations among the vessel's recent copies, with the copies each
/// delivered relative to the best one, and the count, most first.
fn vessel_shares(cx: &Context, v: &VState) -> Vec<Share> {
    let mut counts: Vec<(StationId, usize)> = Vec::new();
    for s in v.hearing.recent() {
        match counts.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let best = counts.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    let mut shares: Vec<Share> = counts
        .into_iter()
        .map(|(id, n)| Share {
            id,
            name: cx.live.name(id),
            share: n as f64 / best as f64,
            copies: n,
        })
        .collect();
    shares.sort_by(|a, b| b.copies.cmp(&a.copies).then_with(|| a.name.cmp(&b.name)));
    shares
}

/// A station's part in a vessel's recent copies.
struct Share {
    id: StationId,
    name: Arc<str>,
    /// Relative to the best station's.
    share: f64,
    copies: usize,
}

/// Why a silence counts: which expected stations stayed live, one catalog
/// clause per place judged (or how little of it their outages explain).
fn why_clauses(judged: &[Judged], explained: Millis) -> Vec<Message> {
    let mut parts = Vec::new();
    for j in judged {
        let live: Vec<&str> = j
            .stations
            .iter()
            .filter(|s| s.2 == 0)
            .map(|s| s.0.as_ref())
            .collect();
        if live.is_empty() {
            continue;
        }
        let id = match j.basis {
            Basis::Vessel => "dark-period-why-vessel",
            Basis::Cell => "dark-period-why-cell",
        };
        parts.push(
            Message::new(id)
                .int("count", live.len() as i64)
                .text("receivers", live.join(", ")),
        );
    }
    if parts.is_empty() {
        parts.push(Message::new("dark-period-why-explained").duration("explained", explained));
    }
    parts
}
