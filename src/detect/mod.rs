//! ④ Detectors: dark periods, loitering, rendezvous and spoofing inside
//! patrol zones, on event time.
//!
//! Work is event-driven: each position report updates the vessel's state and
//! schedules the moment its threshold would be crossed (silence reaching
//! `min_gap`, slowness reaching `min_duration` …) in a deadline heap. Every
//! engine tick pops what is due and re-checks it, so an alert opens within
//! one tick of its threshold without scanning all vessels every second.
//!
//! Silence the data explains is not an alert: time during which the whole
//! feed was stalled, or the station that last heard the vessel was itself
//! silent (receiver outage), does not count towards a gap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use ahash::AHashMap;
use geo::{Distance, Haversine, Point};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use serde::Deserialize;
use serde_json::json;

use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use crate::ids::AlertId;
use crate::time::Millis;
use crate::track::index::M_PER_DEG_LAT;
use crate::track::{Mmsi, TrackStore};
use crate::zones::{
    DarkPeriodParams, DetectorDefaults, LoiteringParams, RendezvousParams, ResolvedDetect,
    SpoofingParams, ZoneSet,
};

mod reload;
mod silence;

use silence::{Coverage, Dead, Liveness};

/// Knots per metre-per-second.
const KN_PER_MPS: f64 = 1.943_844;

/// Detector settings (`[detect]` in the config). Thresholds here are the
/// defaults for zones that do not set their own.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Default dark-period thresholds (`[detect.dark_period]`).
    pub dark_period: DarkPeriodParams,
    /// Default loitering thresholds (`[detect.loitering]`).
    pub loitering: LoiteringParams,
    /// Default rendezvous thresholds (`[detect.rendezvous]`).
    pub rendezvous: RendezvousParams,
    /// Default spoofing thresholds (`[detect.spoofing]`).
    pub spoofing: SpoofingParams,
    /// No message at all for this long means the feed stalled: the stall
    /// does not count towards any vessel's silence.
    #[serde(with = "humantime_serde")]
    pub feed_stall: Duration,
    /// A station unheard for this long is in outage: silence of the vessels
    /// it last heard is explained while it lasts.
    #[serde(with = "humantime_serde")]
    pub station_outage: Duration,
    /// A dark period needs at least this many position reports in the
    /// `min_gap` before the silence: a vessel glimpsed once is not "going dark".
    pub min_prior_reports: usize,
    /// A silence must also last this many times the vessel's usual interval
    /// between reports (median of its recent ones): a vessel reporting hourly
    /// (satellite, sparse archive) is not dark after two hours.
    pub dark_gap_factor: f64,
    /// Open loitering and rendezvous alerts are re-sent this often with new figures.
    #[serde(with = "humantime_serde")]
    pub update_every: Duration,
    /// Loitering or rendezvous not confirmed by a report for this long ends ("contact lost").
    #[serde(with = "humantime_serde")]
    pub stale_after: Duration,
    /// Speed margin (knots) above `max_speed_kn` that ends slowness (hysteresis
    /// against speed-over-ground noise).
    pub speed_hysteresis_kn: f64,
    /// A jump shorter than this (metres) is never spoofing (GNSS noise).
    pub jump_min_m: f64,
    /// A spoofing alert closes after this long without another anomaly.
    #[serde(with = "humantime_serde")]
    pub spoofing_quiet: Duration,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            dark_period: Default::default(),
            loitering: Default::default(),
            rendezvous: Default::default(),
            spoofing: Default::default(),
            feed_stall: Duration::from_secs(300),
            station_outage: Duration::from_secs(600),
            min_prior_reports: 3,
            dark_gap_factor: 4.0,
            update_every: Duration::from_secs(1800),
            stale_after: Duration::from_secs(1800),
            speed_hysteresis_kn: 0.5,
            jump_min_m: 1852.0,
            spoofing_quiet: Duration::from_secs(3600),
        }
    }
}

impl DetectConfig {
    /// The thresholds zones fall back on.
    pub fn defaults(&self) -> DetectorDefaults {
        DetectorDefaults {
            dark_period: self.dark_period,
            loitering: self.loitering,
            rendezvous: self.rendezvous,
            spoofing: self.spoofing,
        }
    }
}

fn ms(d: Duration) -> Millis {
    d.as_millis() as Millis
}

/// Zone indices a position is in, and whether any of them is a port.
#[derive(Debug, Clone, Default, PartialEq)]
struct Place {
    zones: Vec<u16>,
    in_port: bool,
}

/// The vessel's previous position, from the track store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrevFix {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Event time.
    pub time: Millis,
    /// Speed over ground, knots.
    pub sog: Option<f64>,
}

#[derive(Debug, Clone)]
struct Fix {
    lon: f64,
    lat: f64,
    time: Millis,
    sog: Option<f64>,
    cog: Option<f64>,
}

impl Fix {
    /// Dead-reckoned position at `t`: along the course at the reported
    /// speed (at most 25 kn), if both are known.
    fn reckon(&self, t: Millis) -> Option<(f64, f64)> {
        let (sog, cog) = (self.sog?.min(25.0), self.cog?);
        let d_m = sog / KN_PER_MPS * ((t - self.time).max(0) as f64 / 1000.0);
        let dlat = d_m * cog.to_radians().cos() / M_PER_DEG_LAT;
        let dlon =
            d_m * cog.to_radians().sin() / (M_PER_DEG_LAT * self.lat.to_radians().cos().max(0.01));
        Some((self.lon + dlon, (self.lat + dlat).clamp(-90.0, 90.0)))
    }
}

#[derive(Debug)]
struct DarkOpen {
    id: AlertId,
    zone: u16,
    fix: Fix,
}

#[derive(Debug)]
struct Loiter {
    zone: u16,
    since: Millis,
    start: (f64, f64),
    reports: u32,
    max_sog: f64,
    alert: Option<AlertId>,
}

#[derive(Debug)]
struct Spoof {
    zone: u16,
    id: AlertId,
    started: Millis,
    last_anomaly: Millis,
    anomalies: u32,
    last_sent: Millis,
}

/// Per-vessel detector state.
#[derive(Debug)]
struct VState {
    last: Option<Fix>,
    place: Place,
    station: Arc<str>,
    /// The stations that hear it (see [`Heard`]).
    heard_by: Vec<Heard>,
    /// Which station heard each of its last copies.
    heard_recently: std::collections::VecDeque<Arc<str>>,
    /// Times of recent position reports (bounded).
    recent: std::collections::VecDeque<Millis>,
    dark: Option<DarkOpen>,
    loiter: Vec<Loiter>,
    spoof: Option<Spoof>,
    /// An invalid MMSI is reported once per vessel, not on every report.
    identity_reported: bool,
    /// A silence check is in the deadline heap.
    dark_pending: bool,
    partners: Vec<Mmsi>,
}

/// A station that hears a vessel, with the dead time of the feed and that
/// station when the vessel was last heard (by anyone).
#[derive(Debug)]
struct Heard {
    station: Arc<str>,
    dead_at_last: Dead,
}

/// Stations remembered per vessel.
const MAX_STATIONS: usize = 4;
/// Copies (every station's) remembered per vessel to tell which stations hear it now.
const RECENT_COPIES: usize = 16;

#[derive(Debug)]
struct Pair {
    zone: u16,
    since: Millis,
    last_close: Millis,
    min_m: f64,
    max_m: f64,
    last_m: f64,
    alert: Option<AlertId>,
}

/// Deadlines, ordered by time. Each task re-checks that the state it was
/// scheduled for still holds (stale entries are skipped).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    /// Silence check of a vessel.
    Dark(Mmsi),
    /// Loitering check (open or update): vessel, zone, `since`.
    Loiter(Mmsi, u16, Millis),
    /// Rendezvous check (open or update): pair, `since`.
    Pair(Mmsi, Mmsi, Millis),
    /// Spoofing quiet check: vessel, last anomaly time.
    SpoofQuiet(Mmsi, Millis),
}

type Candidate = GeomWithData<[f64; 2], Mmsi>;

/// All detectors and their state. Owned by the engine.
pub struct Detectors {
    cfg: DetectConfig,
    zones: ZoneSet,
    resolved: Vec<ResolvedDetect>,
    vessels: AHashMap<Mmsi, VState>,
    pairs: AHashMap<(Mmsi, Mmsi), Pair>,
    /// Slow vessels in rendezvous zones, by position.
    slow: RTree<Candidate>,
    slow_pos: AHashMap<Mmsi, [f64; 2]>,
    live: Liveness,
    coverage: Coverage,
    heap: BinaryHeap<Reverse<(Millis, Task)>>,
}

impl Detectors {
    /// Detectors over `zones` with `cfg`'s defaults.
    pub fn new(zones: ZoneSet, cfg: DetectConfig) -> Self {
        let resolved = zones
            .zones()
            .iter()
            .map(|z| z.detect.resolve(&cfg.defaults()))
            .collect();
        Detectors {
            live: Liveness::new(ms(cfg.feed_stall), ms(cfg.station_outage)),
            coverage: Coverage::default(),
            cfg,
            zones,
            resolved,
            vessels: AHashMap::new(),
            pairs: AHashMap::new(),
            slow: RTree::new(),
            slow_pos: AHashMap::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// How far back the detectors look: positions older than this before
    /// the clock cannot change what they decide next. A restart rebuilds
    /// detector state from this much stored history (twice the longest
    /// threshold, so an event still short of its threshold and the reports
    /// before a silence are both seen, plus the staleness and quiet periods).
    pub fn memory_window(&self) -> Duration {
        let mut longest = Duration::ZERO;
        for r in &self.resolved {
            for d in [
                r.dark_period.map(|p| p.min_gap),
                r.loitering.map(|p| p.min_duration),
                r.rendezvous.map(|p| p.min_duration),
            ]
            .into_iter()
            .flatten()
            {
                longest = longest.max(d);
            }
        }
        (longest * 2)
            .max(self.cfg.stale_after)
            .max(self.cfg.spoofing_quiet)
            .saturating_add(Duration::from_secs(3600))
    }

    /// The zones.
    pub fn zones(&self) -> &ZoneSet {
        &self.zones
    }

    /// Any message was heard by `station` at `t` (duplicates included: they
    /// prove the station is alive).
    pub fn heard(&mut self, station: &Arc<str>, t: Millis, mmsi: Mmsi, pos: Option<(f64, f64)>) {
        self.live.heard(station, t);
        // Every copy counts towards which stations hear a vessel now: when
        // its receiver fails, its silence is explained even if the last copy
        // came through a neighbour.
        if let Some((lon, lat)) = pos {
            self.coverage.heard(station, lon, lat);
        }
        if let Some(v) = self.vessels.get_mut(&mmsi) {
            if v.heard_recently.len() >= RECENT_COPIES {
                v.heard_recently.pop_front();
            }
            v.heard_recently.push_back(station.clone());
            if !v.heard_by.iter().any(|h| h.station == *station) {
                if v.heard_by.len() >= MAX_STATIONS {
                    // Forget the station heard least recently.
                    let oldest = v
                        .heard_by
                        .iter()
                        .position(|h| !v.heard_recently.contains(&h.station));
                    v.heard_by.swap_remove(oldest.unwrap_or(0));
                }
                let dead_at_last = self.live.dead(station, t);
                v.heard_by.push(Heard {
                    station: station.clone(),
                    dead_at_last,
                });
            }
        }
    }

    /// Silence since the vessel was last heard that outages and stalls
    /// explain. Only the stations that cover the place where it fell silent,
    /// or where dead reckoning puts it now, count (see [`Coverage`]), and all
    /// of them must have been down: if one kept hearing other vessels there,
    /// it would have heard this one too.
    fn explained(&self, v: &VState, now: Millis) -> Millis {
        let Some(last) = v.last.as_ref() else {
            return 0;
        };
        // Where it fell silent, and where dead reckoning puts it now: a
        // vessel may sail out of a live station's range into a dead one's.
        let places = [Some((last.lon, last.lat)), last.reckon(now)];
        places
            .iter()
            .flatten()
            .map(|&(lon, lat)| {
                let covering = self
                    .coverage
                    .covering(lon, lat)
                    .unwrap_or_else(|| self.recent_stations(v));
                covering
                    .iter()
                    .map(|st| match v.heard_by.iter().find(|h| h.station == *st) {
                        Some(h) => self.live.dead(st, now).since(h.dead_at_last),
                        None => self.live.dead(st, now).since(self.live.dead(st, last.time)),
                    })
                    .min()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }

    /// The stations that delivered at least a third as many of the vessel's
    /// last copies as its main station.
    fn recent_stations(&self, v: &VState) -> Vec<Arc<str>> {
        let count = |st: &Arc<str>| v.heard_recently.iter().filter(|s| *s == st).count();
        let most = v
            .heard_by
            .iter()
            .map(|h| count(&h.station))
            .max()
            .unwrap_or(0);
        v.heard_by
            .iter()
            .filter(|h| count(&h.station) * 3 >= most)
            .map(|h| h.station.clone())
            .collect()
    }

    /// A new (not late) position report.
    #[allow(clippy::too_many_arguments)]
    pub fn position(
        &mut self,
        mmsi: Mmsi,
        lon: f64,
        lat: f64,
        t: Millis,
        sog: Option<f64>,
        cog: Option<f64>,
        prev: Option<PrevFix>,
        station: &Arc<str>,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let prev = prev.map(|p| Fix {
            lon: p.lon,
            lat: p.lat,
            time: p.time,
            sog: p.sog,
            cog: None,
        });
        let place = self.place(lon, lat);
        let fix = Fix {
            lon,
            lat,
            time: t,
            sog,
            cog,
        };
        if place.zones.is_empty() && !self.vessels.contains_key(&mmsi) {
            // Outside every zone and never in one: only a jump *into* a
            // zone from here could matter, and the track store remembers
            // this fix for that (`prev` of the next report).
            return;
        }
        let v = self.vessels.entry(mmsi).or_insert_with(|| VState {
            last: None,
            place: Place::default(),
            station: station.clone(),
            heard_by: Vec::new(),
            heard_recently: Default::default(),
            recent: Default::default(),
            dark: None,
            loiter: Vec::new(),
            spoof: None,
            identity_reported: false,
            dark_pending: false,
            partners: Vec::new(),
        });
        if v.last.as_ref().is_some_and(|l| l.time > t) {
            return; // late report: detectors work on the newest state only
        }
        let prev = v.last.replace(fix.clone()).or(prev);
        let prev_place = std::mem::replace(&mut v.place, place.clone());
        if !Arc::ptr_eq(&v.station, station) {
            v.station = station.clone();
        }
        if !v.heard_by.iter().any(|h| h.station == *station) {
            // First report of a vessel: heard() had no state to record it in.
            v.heard_by.push(Heard {
                station: station.clone(),
                dead_at_last: Dead::default(),
            });
            v.heard_recently.push_back(station.clone());
        }
        for h in &mut v.heard_by {
            h.dead_at_last = self.live.dead(&h.station, t);
        }
        if v.recent.len() >= 16 {
            v.recent.pop_front();
        }
        v.recent.push_back(t);

        // Dark period: the vessel is heard again.
        if let Some(d) = v.dark.take() {
            let z = &self.zones.zones()[usize::from(d.zone)];
            let dist = haversine(d.fix.lon, d.fix.lat, lon, lat);
            let gap_ms = t - d.fix.time;
            let implied = dist / (gap_ms.max(1) as f64 / 1000.0) * KN_PER_MPS;
            let info = VesselInfo::from_store(tracks, mmsi);
            out.push(Alert {
                id: d.id,
                kind: Kind::DarkPeriod,
                state: State::Closed,
                mmsi: vec![mmsi],
                zone: z.id.clone(),
                zone_name: z.name.clone(),
                centre: z.centres.clone(),
                at: t,
                started_at: d.fix.time,
                ended_at: Some(t),
                lat,
                lon,
                summary: format!(
                    "{} reappeared after {} of AIS silence in {}, {:.1} nm from where it went dark (implied {:.1} kn).",
                    info.label(),
                    human_duration(gap_ms),
                    z.name.as_deref().unwrap_or(&z.id),
                    dist / 1852.0,
                    implied
                ),
                vessels: vec![info],
                details: json!({
                    "gap_s": gap_ms / 1000,
                    "distance_m": dist.round(),
                    "implied_speed_kn": (implied * 10.0).round() / 10.0,
                    "dark_lat": d.fix.lat, "dark_lon": d.fix.lon,
                    "reappeared_lat": lat, "reappeared_lon": lon,
                    "station": station.as_ref(),
                }),
            });
        }
        // One pending silence check per vessel: each check moves itself to
        // the last report + gap, so the heap does not grow with report rates.
        if let Some(gap) = self.dark_gap_for(&place) {
            if let Some(v) = self.vessels.get_mut(&mmsi) {
                if !v.dark_pending {
                    v.dark_pending = true;
                    self.heap.push(Reverse((t + gap, Task::Dark(mmsi))));
                }
            }
        }

        self.spoofing(mmsi, prev.as_ref(), &fix, &prev_place, &place, tracks, out);
        self.loitering(mmsi, &fix, prev.as_ref(), &place, tracks, out);
        self.rendezvous(mmsi, &fix, prev.as_ref(), &place, tracks, out);
    }

    /// Runs what is due at event time `now`.
    pub fn tick(&mut self, now: Millis, tracks: &TrackStore, out: &mut Vec<Alert>) {
        while let Some(Reverse((at, _))) = self.heap.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, task))) = self.heap.pop() else {
                break;
            };
            match task {
                Task::Dark(m) => self.check_dark(m, now, tracks, out),
                Task::Loiter(m, z, since) => self.check_loiter(m, z, since, now, tracks, out),
                Task::Pair(a, b, since) => self.check_pair(a, b, since, now, tracks, out),
                Task::SpoofQuiet(m, last) => self.check_spoof_quiet(m, last, now, tracks, out),
            }
        }
    }

    fn place(&self, lon: f64, lat: f64) -> Place {
        let mut p = Place::default();
        if self.zones.is_empty() {
            return p;
        }
        for i in self.zones.indices_at(lon, lat) {
            p.in_port |= self.zones.zones()[i].is_port();
            p.zones.push(i as u16);
        }
        p
    }

    /// The zone that watches silence at `place`, and its `min_gap`: the
    /// first zone with `dark_period` (ports may watch silence too).
    fn dark_zone(&self, place: &Place) -> Option<(u16, Millis)> {
        place.zones.iter().find_map(|&z| {
            self.resolved[usize::from(z)]
                .dark_period
                .map(|p| (z, ms(p.min_gap)))
        })
    }

    fn dark_gap_for(&self, place: &Place) -> Option<Millis> {
        self.dark_zone(place).map(|x| x.1)
    }

    fn check_dark(&mut self, mmsi: Mmsi, now: Millis, tracks: &TrackStore, out: &mut Vec<Alert>) {
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        v.dark_pending = false;
        let Some(v) = self.vessels.get(&mmsi) else {
            return;
        };
        let Some(last) = v.last.clone() else { return };
        if v.dark.is_some() {
            return; // already open; the next report closes it
        }
        let Some((zone, zone_gap)) = self.dark_zone(&v.place) else {
            return;
        };
        if now < last.time + zone_gap {
            // Heard since this check was scheduled: look again a gap after the last report.
            self.schedule_dark(mmsi, last.time + zone_gap);
            return;
        }
        let usual = median_interval(&v.recent);
        let min_gap = zone_gap.max((usual as f64 * self.cfg.dark_gap_factor) as Millis);
        let silent = now - last.time;
        let explained = self.explained(v, now);
        let effective = silent - explained;
        if effective < min_gap {
            // Part of the silence is a feed stall or station outage: look again later.
            self.schedule_dark(mmsi, now + (min_gap - effective).max(1000));
            return;
        }
        let prior = v
            .recent
            .iter()
            .filter(|&&t| t >= last.time - zone_gap && t <= last.time)
            .count();
        if prior < self.cfg.min_prior_reports {
            return; // a vessel glimpsed once or twice is not "going dark"
        }
        let z = &self.zones.zones()[usize::from(zone)];
        let info = VesselInfo::from_store(tracks, mmsi);
        let id = Alert::make_id(Kind::DarkPeriod, &z.id, &[mmsi], last.time);
        let station_last = self.live.last_heard(&v.station);
        out.push(Alert {
            id: id.clone(),
            kind: Kind::DarkPeriod,
            state: State::Open,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at: now,
            started_at: last.time,
            ended_at: None,
            lat: last.lat,
            lon: last.lon,
            summary: format!(
                "{} silent for {} in {} (threshold {}); last heard at {:.4}, {:.4} by station {}, which is still receiving.",
                info.label(),
                human_duration(silent),
                z.name.as_deref().unwrap_or(&z.id),
                human_duration(min_gap),
                last.lat,
                last.lon,
                v.station
            ),
            vessels: vec![info],
            details: json!({
                "silent_s": silent / 1000,
                "explained_s": explained / 1000,
                "min_gap_s": min_gap / 1000,
                "zone_min_gap_s": zone_gap / 1000,
                "usual_interval_s": usual / 1000,
                "reports_before": prior,
                "last_sog_kn": last.sog,
                "station": v.station.as_ref(),
                "station_last_heard": station_last.map(crate::time::rfc3339),
            }),
        });
        if let Some(v) = self.vessels.get_mut(&mmsi) {
            v.dark = Some(DarkOpen {
                id,
                zone,
                fix: last,
            });
        }
    }

    fn schedule_dark(&mut self, mmsi: Mmsi, at: Millis) {
        if let Some(v) = self.vessels.get_mut(&mmsi) {
            v.dark_pending = true;
            self.heap.push(Reverse((at, Task::Dark(mmsi))));
        }
    }

    /// Slow (`Some(true)`), fast (`Some(false)`) or in the hysteresis band
    /// (`None`, no change), by [`speed_kn`]; `None` when no speed is known.
    fn slow_in(&self, prev: Option<&Fix>, fix: &Fix, max_kn: f64, hysteresis: f64) -> Option<bool> {
        let speed = speed_kn(prev, fix)?;
        if speed <= max_kn {
            Some(true)
        } else if speed > max_kn + hysteresis {
            Some(false)
        } else {
            None
        }
    }

    fn loitering(
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
                        fix.time + min_dur,
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
    fn loiter_alert(
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

    fn check_loiter(
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
        self.heap
            .push(Reverse((now + update, Task::Loiter(mmsi, zone, since))));
    }

    fn rendezvous(
        &mut self,
        mmsi: Mmsi,
        fix: &Fix,
        prev: Option<&Fix>,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let hyst = self.cfg.speed_hysteresis_kn;
        // The rendezvous zone here (first that runs it), unless in port.
        let zone = if place.in_port {
            None
        } else {
            place
                .zones
                .iter()
                .find_map(|&z| self.resolved[usize::from(z)].rendezvous.map(|p| (z, p)))
        };
        let slow = zone.and_then(|(_, p)| self.slow_in(prev, fix, p.max_speed_kn, hyst));
        // Break pairs this report ends.
        let partners = self
            .vessels
            .get(&mmsi)
            .map(|v| v.partners.clone())
            .unwrap_or_default();
        for other in partners {
            let key = pair_key(mmsi, other);
            let Some(pair) = self.pairs.get(&key) else {
                continue;
            };
            let p = self.resolved[usize::from(pair.zone)]
                .rendezvous
                .unwrap_or_default();
            let other_fix = self.vessels.get(&other).and_then(|v| v.last.clone());
            let dist = other_fix
                .as_ref()
                .map(|o| haversine(o.lon, o.lat, fix.lon, fix.lat));
            let apart = dist.is_none_or(|d| d > p.max_distance_m * 1.5);
            let left = zone.is_none_or(|(z, _)| z != pair.zone);
            if apart || left || slow == Some(false) {
                let reason = if left {
                    "left the zone"
                } else if slow == Some(false) {
                    "under way again"
                } else {
                    "parted"
                };
                self.end_pair(key, fix.time, reason, tracks, out);
            } else if let (Some(pair), Some(d)) = (self.pairs.get_mut(&key), dist) {
                if d <= p.max_distance_m {
                    pair.last_close = fix.time;
                }
                pair.min_m = pair.min_m.min(d);
                pair.max_m = pair.max_m.max(d);
                pair.last_m = d;
            }
        }
        // Keep the slow-vessel index in step.
        if let Some(old) = self.slow_pos.remove(&mmsi) {
            self.slow.remove(&GeomWithData::new(old, mmsi));
        }
        let (Some((z, p)), Some(true)) = (zone, slow) else {
            return;
        };
        let here = [fix.lon, fix.lat];
        self.slow.insert(GeomWithData::new(here, mmsi));
        self.slow_pos.insert(mmsi, here);
        // Neighbours within the distance, slow, recent and in the same zone.
        let dlat = p.max_distance_m / M_PER_DEG_LAT;
        let dlon = dlat / fix.lat.to_radians().cos().max(1e-6);
        let env = AABB::from_corners(
            [fix.lon - dlon, fix.lat - dlat],
            [fix.lon + dlon, fix.lat + dlat],
        );
        let stale = ms(self.cfg.stale_after);
        let near: Vec<(Mmsi, f64)> = self
            .slow
            .locate_in_envelope(&env)
            .filter(|c| c.data != mmsi)
            .filter_map(|c| {
                let o = self.vessels.get(&c.data)?;
                let of = o.last.as_ref()?;
                let d = haversine(of.lon, of.lat, fix.lon, fix.lat);
                let ok = d <= p.max_distance_m
                    && fix.time - of.time <= stale.min(600_000)
                    && o.place.zones.contains(&z)
                    && !o.place.in_port;
                ok.then_some((c.data, d))
            })
            .collect();
        for (other, d) in near {
            let key = pair_key(mmsi, other);
            if let Some(pair) = self.pairs.get_mut(&key) {
                pair.last_close = fix.time;
                pair.last_m = d;
                pair.min_m = pair.min_m.min(d);
                pair.max_m = pair.max_m.max(d);
                continue;
            }
            self.pairs.insert(
                key,
                Pair {
                    zone: z,
                    since: fix.time,
                    last_close: fix.time,
                    min_m: d,
                    max_m: d,
                    last_m: d,
                    alert: None,
                },
            );
            for (a, b) in [(mmsi, other), (other, mmsi)] {
                if let Some(v) = self.vessels.get_mut(&a) {
                    if !v.partners.contains(&b) {
                        v.partners.push(b);
                    }
                }
            }
            self.heap.push(Reverse((
                fix.time + ms(p.min_duration),
                Task::Pair(key.0, key.1, fix.time),
            )));
        }
    }

    fn check_pair(
        &mut self,
        a: Mmsi,
        b: Mmsi,
        since: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let key = (a, b);
        let Some(pair) = self.pairs.get(&key) else {
            return;
        };
        if pair.since != since {
            return;
        }
        // Both must still be reporting, and close, recently.
        let stale = ms(self.cfg.stale_after);
        let last_a = self
            .vessels
            .get(&a)
            .and_then(|v| v.last.as_ref().map(|f| f.time))
            .unwrap_or(0);
        let last_b = self
            .vessels
            .get(&b)
            .and_then(|v| v.last.as_ref().map(|f| f.time))
            .unwrap_or(0);
        if now - pair.last_close > stale || now - last_a.min(last_b) > stale {
            self.end_pair(key, now, "contact lost", tracks, out);
            return;
        }
        let state = if pair.alert.is_some() {
            State::Update
        } else {
            State::Open
        };
        let Some(alert) = self.pair_alert(key, state, now, None, "", tracks) else {
            return;
        };
        if let Some(pair) = self.pairs.get_mut(&key) {
            pair.alert = Some(alert.id.clone());
        }
        out.push(alert);
        self.heap.push(Reverse((
            now + ms(self.cfg.update_every),
            Task::Pair(a, b, since),
        )));
    }

    fn end_pair(
        &mut self,
        key: (Mmsi, Mmsi),
        now: Millis,
        reason: &str,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        if self.pairs.get(&key).is_some_and(|p| p.alert.is_some()) {
            let ended = self.pairs.get(&key).map_or(now, |p| p.last_close.min(now));
            out.extend(self.pair_alert(key, State::Closed, now, Some(ended), reason, tracks));
        }
        self.pairs.remove(&key);
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(v) = self.vessels.get_mut(&a) {
                v.partners.retain(|p| *p != b);
            }
        }
    }

    fn pair_alert(
        &self,
        key: (Mmsi, Mmsi),
        state: State,
        at: Millis,
        ended: Option<Millis>,
        reason: &str,
        tracks: &TrackStore,
    ) -> Option<Alert> {
        let pair = self.pairs.get(&key)?;
        let z = &self.zones.zones()[usize::from(pair.zone)];
        let p = self.resolved[usize::from(pair.zone)]
            .rendezvous
            .unwrap_or_default();
        let fa = self.vessels.get(&key.0).and_then(|v| v.last.clone());
        let fb = self.vessels.get(&key.1).and_then(|v| v.last.clone());
        let (lon, lat) = match (&fa, &fb) {
            (Some(a), Some(b)) => ((a.lon + b.lon) / 2.0, (a.lat + b.lat) / 2.0),
            (Some(a), None) | (None, Some(a)) => (a.lon, a.lat),
            _ => (0.0, 0.0),
        };
        let ia = VesselInfo::from_store(tracks, key.0);
        let ib = VesselInfo::from_store(tracks, key.1);
        let dur = ended.unwrap_or(at) - pair.since;
        let id = pair.alert.clone().unwrap_or_else(|| {
            Alert::make_id(Kind::Rendezvous, &z.id, &[key.0, key.1], pair.since)
        });
        Some(Alert {
            id,
            kind: Kind::Rendezvous,
            state,
            mmsi: vec![key.0, key.1],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at,
            started_at: pair.since,
            ended_at: ended,
            lat,
            lon,
            summary: format!(
                "{} and {} together for {} in {}, {:.0} m apart (closest {:.0} m), both ≤ {:.1} kn (threshold {:.0} m for {}){}.",
                ia.label(),
                ib.label(),
                human_duration(dur),
                z.name.as_deref().unwrap_or(&z.id),
                pair.last_m,
                pair.min_m,
                p.max_speed_kn,
                p.max_distance_m,
                human_duration(ms(p.min_duration)),
                if ended.is_some() { format!("; ended: {reason}") } else { String::new() }
            ),
            vessels: vec![ia, ib],
            details: json!({
                "duration_s": dur / 1000,
                "distance_m": pair.last_m.round(),
                "min_distance_m": pair.min_m.round(),
                "max_distance_seen_m": pair.max_m.round(),
                "sog_kn": [fa.as_ref().and_then(|f| f.sog), fb.as_ref().and_then(|f| f.sog)],
                "max_distance_m": p.max_distance_m,
                "max_speed_kn": p.max_speed_kn,
                "min_duration_s": p.min_duration.as_secs(),
                "reason": if ended.is_some() { Some(reason) } else { None },
            }),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn spoofing(
        &mut self,
        mmsi: Mmsi,
        prev: Option<&Fix>,
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
        let reported = self.vessels.get(&mmsi).is_some_and(|v| v.identity_reported);
        if !reported && !valid_ship_mmsi(mmsi) {
            why = Some(json!({"reason": "invalid_mmsi", "mmsi": mmsi.0}));
            if let Some(v) = self.vessels.get_mut(&mmsi) {
                v.identity_reported = true;
            }
        }
        if let Some(prev) = prev {
            let d = haversine(prev.lon, prev.lat, fix.lon, fix.lat);
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
            fix.time + quiet,
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

    fn check_spoof_quiet(
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
        let z = &self.zones.zones()[usize::from(s.zone)];
        let info = VesselInfo::from_store(tracks, mmsi);
        let (lon, lat) = v.last.as_ref().map_or((0.0, 0.0), |f| (f.lon, f.lat));
        out.push(Alert {
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
            summary: format!(
                "{}: no further track anomaly for {} ({} in all).",
                info.label(),
                human_duration(now - s.last_anomaly),
                s.anomalies
            ),
            vessels: vec![info],
            details: json!({ "anomalies": s.anomalies }),
        });
    }
}

/// Speed over ground when reported, else the speed implied by the last two
/// fixes (at least a minute apart): archives without SOG still work.
fn speed_kn(prev: Option<&Fix>, fix: &Fix) -> Option<f64> {
    fix.sog.or_else(|| {
        let p = prev?;
        let dt = (fix.time - p.time) as f64 / 1000.0;
        (dt >= 60.0).then(|| haversine(p.lon, p.lat, fix.lon, fix.lat) / dt * KN_PER_MPS)
    })
}

/// Median interval between consecutive report times (0 with fewer than 3).
fn median_interval(times: &std::collections::VecDeque<Millis>) -> Millis {
    if times.len() < 3 {
        return 0;
    }
    let mut d: Vec<Millis> = times
        .iter()
        .zip(times.iter().skip(1))
        .map(|(a, b)| b - a)
        .collect();
    let mid = d.len() / 2;
    *d.select_nth_unstable(mid).1
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

fn pair_key(a: Mmsi, b: Mmsi) -> (Mmsi, Mmsi) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Metres between two lon/lat points.
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    Haversine::distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

#[cfg(test)]
mod tests;
