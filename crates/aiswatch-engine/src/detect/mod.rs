//! ④ Detectors: dark periods, loitering, rendezvous, spoofing, identity
//! changes, drifting inside patrol zones, and fishing in closed areas, on
//! event time.
//!
//! Work is event-driven: each position report updates the vessel's state and
//! schedules the moment its threshold would be crossed (silence reaching
//! `min_gap`, slowness reaching `min_duration` …) in a deadline heap. Every
//! engine tick pops what is due and re-checks it, so an alert opens within
//! one tick of its threshold without scanning all vessels every second.
//!
//! This module is the orchestrator: it keeps what the detectors share per
//! vessel (last fix, place, the stations that hear it), the stations'
//! liveness and coverage, and the deadline heap, and hands each report,
//! static message, due check and forgotten vessel to the detectors of the
//! registry (`registry.rs`) with a [`context::Context`]. Each detector lives
//! in its own folder with its state, thresholds and alerts.
//!
//! Silence the data explains is not an alert: time during which the whole
//! feed was stalled, or every station that heard the vessel in its recent
//! reports was itself silent (receiver outage), does not count towards a
//! gap (see `dark_period/`).

use std::sync::Arc;
use std::time::Duration;

use ahash::{AHashMap, AHashSet};
use geo::{Distance, Haversine, Point};
use serde::Deserialize;
use smallvec::SmallVec;

use crate::alert::Alert;
use crate::track::index::M_PER_DEG_LAT;
use crate::track::{Mmsi, StaticInfo, TrackStore};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod context;
pub mod episode;
mod hearing;
mod place;
mod registry;
mod reload;
mod report_times;
mod ring;
mod silence;
mod vessel_episode;

registry::registry! {
    /// AIS silence inside a zone.
    DarkPeriod => dark_period::DarkPeriod,
    /// A vessel slow for a long time inside a patrol zone.
    Loitering => loitering::Loitering,
    /// Two vessels together, slow, for a long time (transshipment).
    Rendezvous => rendezvous::Rendezvous,
    /// Physically impossible track or invalid identity.
    Spoofing => spoofing::Spoofing,
    /// Name, call sign, IMO, ship type or flag changed, or two transponders
    /// on one MMSI.
    IdentityChange => identity_change::IdentityChange,
    /// Fishing in a closed area.
    Fishing => fishing::Fishing,
    /// Heading and course far apart while moving: adrift.
    Drifting => drifting::Drifting,
    /// Speed over ground above a zone's limit for a sustained time.
    Speeding => speeding::Speeding,
}

use context::{Context, Deadlines, Report};
use hearing::Hearing;
use place::{Place, PlaceCells};
use registry::Detector;
pub use registry::{Defaults, DefaultsError, InForce};
use silence::{Coverage, Dead, Liveness, StationId};
pub use spoofing::valid_ship_mmsi;

/// `reason` of the alerts a vessel leaves open when it is forgotten.
pub const REASON_FORGOTTEN: &str = "vessel_forgotten";

/// Reads a details key that may hold `null` as `Some(None)`, told apart
/// from an absent key (`None`, with `#[serde(default)]`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Knots per metre-per-second.
pub(crate) const KN_PER_MPS: f64 = 1.943_844;

/// Detector settings (`[detect]` in the config). Thresholds here are the
/// defaults for zones that do not set their own.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Default thresholds of every detector (`[detect.<detector>]`).
    #[serde(skip)]
    pub defaults: Defaults,
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
    /// Loitering or rendezvous not confirmed by a report for this long is
    /// suspended: its alert stays open without updates.
    #[serde(with = "humantime_serde")]
    pub stale_after: Duration,
    /// A suspended loitering or rendezvous goes on under the same alert when
    /// the vessel is heard again within this long (counted from its last
    /// report), still slow and no further away than its speed limit allows
    /// over the silence; otherwise it ends "contact lost" at its last report.
    /// `0s` never resumes: an event ends at its first such silence.
    #[serde(with = "humantime_serde")]
    pub resume_within: Duration,
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
            defaults: Defaults::default(),
            feed_stall: Duration::from_secs(300),
            station_outage: Duration::from_secs(600),
            min_prior_reports: 3,
            dark_gap_factor: 4.0,
            update_every: Duration::from_secs(1800),
            stale_after: Duration::from_secs(1800),
            resume_within: Duration::from_secs(6 * 3600),
            speed_hysteresis_kn: 0.5,
            jump_min_m: 1852.0,
            spoofing_quiet: Duration::from_secs(3600),
        }
    }
}

impl DetectConfig {
    /// Reads `[detect]`: its own settings, and a `[detect.<detector>]`
    /// table of default thresholds per detector of the registry.
    ///
    /// # Errors
    /// An unknown setting or detector, or a threshold of the wrong type:
    /// the message names the table and key.
    pub fn from_table(mut table: toml::Table) -> Result<Self, DetectConfigError> {
        let mut defaults = Defaults::default();
        for k in Kind::ALL {
            if let Some(t) = table.remove(k.as_str()) {
                defaults
                    .set(k.as_str(), t)
                    .map_err(|source| DetectConfigError::Table {
                        detector: k.as_str(),
                        source,
                    })?;
            }
        }
        let mut cfg = DetectConfig::deserialize(toml::Value::Table(table))
            .map_err(DetectConfigError::Settings)?;
        cfg.defaults = defaults;
        Ok(cfg)
    }
}

/// Why `[detect]` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DetectConfigError {
    /// A detector's table (`[detect.<detector>]`).
    #[error("[detect.{detector}] {source}")]
    Table {
        /// The detector.
        detector: &'static str,
        /// Why.
        source: registry::DefaultsError,
    },
    /// `[detect]`'s own settings: an unknown key names the detector tables
    /// too.
    #[error("[detect] {}", settings_problem(.0))]
    Settings(toml::de::Error),
}

/// The message of a `[detect]` settings error.
fn settings_problem(e: &toml::de::Error) -> String {
    let e = e.to_string();
    let e = e.trim_end();
    if e.starts_with("unknown field") {
        let tables: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("`{}`", k.as_str()))
            .collect();
        format!("{e}, or a detector's table: {}", tables.join(", "))
    } else {
        e.to_owned()
    }
}

impl<'de> Deserialize<'de> for DetectConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(d)?;
        DetectConfig::from_table(table).map_err(serde::de::Error::custom)
    }
}

/// Milliseconds in `d`, saturating (deadlines built from it saturate too:
/// an absurd threshold means "never", not an overflow).
pub(crate) fn ms(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
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

/// A vessel's previous fix and the distance from it to the new one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'a> {
    pub(crate) from: &'a Fix,
    /// Metres.
    pub(crate) m: f64,
}

/// A position as the detectors remember it. Speed and course are kept as
/// plain `f64`s with NaN for "not known" (a vessel's last fix is held for
/// every vessel in a zone, and an `Option<f64>` takes twice the room); read
/// them through [`Fix::sog`], [`Fix::cog`] and [`Fix::speed`].
#[derive(Debug, Clone)]
pub(crate) struct Fix {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) time: Millis,
    sog: f64,
    cog: f64,
    speed: f64,
}

/// `x`, or NaN for `None`.
fn or_nan(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

/// `x` unless it is NaN.
fn known(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

impl Fix {
    /// A fix at `time` with the speed and course as reported (a NaN in
    /// either counts as not reported) and no implied speed yet.
    pub(crate) fn new(lon: f64, lat: f64, time: Millis, sog: Option<f64>, cog: Option<f64>) -> Fix {
        Fix {
            lon,
            lat,
            time,
            sog: or_nan(sog),
            cog: or_nan(cog),
            speed: f64::NAN,
        }
    }

    /// Speed over ground as reported, knots.
    pub(crate) fn sog(&self) -> Option<f64> {
        known(self.sog)
    }

    /// Course over ground as reported, degrees.
    pub(crate) fn cog(&self) -> Option<f64> {
        known(self.cog)
    }

    /// Speed over ground as reported, else as implied by the previous fix
    /// (see [`speed_kn`]), worked out once per report; `None` for the
    /// previous fix taken from the track store.
    pub(crate) fn speed(&self) -> Option<f64> {
        known(self.speed)
    }

    /// Dead-reckoned position at `t`: along the course at the reported
    /// speed (at most 25 kn), if both are known.
    pub(crate) fn reckon(&self, t: Millis) -> Option<(f64, f64)> {
        let (sog, cog) = (self.sog()?.min(25.0), self.cog()?);
        let d_m = sog / KN_PER_MPS * ((t - self.time).max(0) as f64 / 1000.0);
        let dlat = d_m * cog.to_radians().cos() / M_PER_DEG_LAT;
        let dlon =
            d_m * cog.to_radians().sin() / (M_PER_DEG_LAT * self.lat.to_radians().cos().max(0.01));
        Some((self.lon + dlon, (self.lat + dlat).clamp(-90.0, 90.0)))
    }
}

/// Per-vessel state the detectors share (each keeps its own apart).
#[derive(Debug)]
pub(crate) struct VState {
    pub(crate) last: Option<Fix>,
    pub(crate) place: Place,
    /// The grid cell all of which is in `place`'s zones (see `place.rs`).
    place_cell: Option<place::Cell>,
    /// The station that heard its last position report (`None` once the
    /// station is forgotten: its name is then in `Detectors::former_stations`).
    pub(crate) station: Option<StationId>,
    /// The stations that hear it, and which heard each of its last copies.
    pub(crate) hearing: Hearing,
    /// Times of recent position reports.
    pub(crate) recent: report_times::ReportTimes,
    /// The zones changed since its last report: every detector sees the
    /// next one (what each holds may refer to zones it is no longer in).
    rezoned: bool,
}

/// All detectors and their state. Owned by the engine.
pub struct Detectors {
    cfg: DetectConfig,
    zones: ZoneSet,
    /// Zones at a point, remembered per grid cell.
    place_cells: PlaceCells,
    /// Boxed: the table's slots stay small, and most of a table is empty
    /// slots.
    vessels: AHashMap<Mmsi, Box<VState>>,
    /// The name of the station that heard a vessel's last position report,
    /// for vessels whose station the liveness accounting forgot since.
    former_stations: AHashMap<Mmsi, Arc<str>>,
    live: Liveness,
    coverage: Coverage,
    /// Every detector's pending checks. Each check re-checks that the state
    /// it was scheduled for still holds (stale entries are skipped).
    heap: Deadlines,
    /// The detectors, in registry order.
    dets: Vec<Box<dyn Detector>>,
    /// Per zone, which detectors run there (bit `i`: the `i`-th).
    runs: Vec<u32>,
}

impl Detectors {
    /// Detectors over `zones` with `cfg`'s defaults.
    pub fn new(zones: ZoneSet, cfg: DetectConfig) -> Self {
        let mut dets = registered();
        for d in &mut dets {
            d.configure(&zones, &cfg.defaults);
        }
        Detectors {
            live: Liveness::new(ms(cfg.feed_stall), ms(cfg.station_outage)),
            coverage: Coverage::default(),
            cfg,
            place_cells: PlaceCells::default(),
            vessels: AHashMap::new(),
            former_stations: AHashMap::new(),
            heap: Deadlines::new(dets.len()),
            runs: runs_by_zone(&zones),
            zones,
            dets,
        }
    }

    /// The detectors and a context at event time `now` for calling them.
    fn split<'a>(
        &'a mut self,
        now: Millis,
        tracks: &'a TrackStore,
        out: &'a mut Vec<Alert>,
    ) -> (&'a mut [Box<dyn Detector>], Context<'a>) {
        let Detectors {
            cfg,
            zones,
            vessels,
            former_stations,
            live,
            coverage,
            heap,
            dets,
            ..
        } = self;
        let cx = Context {
            cfg,
            zones,
            vessels,
            former_stations,
            live,
            coverage,
            tracks,
            now,
            out,
            heap,
            me: 0,
        };
        (dets, cx)
    }

    /// How far back the detectors look: positions older than this before
    /// the clock cannot change what they decide next. A restart rebuilds
    /// detector state from this much stored history (twice the longest
    /// threshold, so an event still short of its threshold and the reports
    /// before a silence are both seen, plus the staleness and quiet periods).
    /// An event not yet alerted may also have gone through a silence of up
    /// to `resume_within`, so the window reaches that much further back.
    pub fn memory_window(&self) -> Duration {
        let mut longest = Duration::ZERO;
        let mut quiet = Duration::ZERO;
        for d in &self.dets {
            let m = d.memory(&self.cfg);
            longest = longest.max(m.episode);
            quiet = quiet.max(m.quiet);
        }
        longest
            .saturating_mul(2)
            .max(longest.saturating_add(self.cfg.resume_within))
            .max(self.cfg.stale_after)
            .max(quiet)
            .saturating_add(Duration::from_secs(3600))
    }

    /// The zones.
    pub fn zones(&self) -> &ZoneSet {
        &self.zones
    }

    /// Any message was heard by `station` at `t` (duplicates included: they
    /// prove the station is alive); `first`: the first copy of it.
    pub fn heard(
        &mut self,
        station: &Arc<str>,
        t: Millis,
        mmsi: Mmsi,
        pos: Option<(f64, f64)>,
        first: bool,
    ) {
        let id = self.station_heard(station, t);
        // Every copy counts towards which stations hear a vessel now: when
        // its receiver fails, its silence is explained even if the last copy
        // came through a neighbour.
        if let Some((lon, lat)) = pos {
            self.coverage.heard(id, lon, lat, first);
        }
        if let Some(v) = self.vessels.get_mut(&mmsi) {
            v.hearing.heard_copy(id);
            if !v.hearing.hears(id) {
                v.hearing.add(id, self.live.dead(id, t));
            }
        }
    }

    /// `station` was heard at `t`: its id, after dropping whatever ids the
    /// liveness accounting forgot to make room for it.
    fn station_heard(&mut self, station: &Arc<str>, t: Millis) -> StationId {
        let id = self.live.heard(station, t);
        let forgotten = self.live.take_forgotten();
        if !forgotten.is_empty() {
            self.forget_stations(&forgotten);
        }
        id
    }

    /// Drops station ids the liveness accounting forgot (a flood of
    /// station names) from every vessel and cell: they will name others.
    fn forget_stations(&mut self, forgotten: &[(StationId, Arc<str>)]) {
        let ids: SmallVec<[StationId; 64]> = forgotten.iter().map(|(id, _)| *id).collect();
        for (mmsi, v) in self.vessels.iter_mut() {
            v.hearing.forget(&ids);
            if let Some(i) = v.station.and_then(|s| ids.iter().position(|&f| f == s)) {
                self.former_stations.insert(*mmsi, forgotten[i].1.clone());
                v.station = None;
            }
        }
        self.coverage.forget(&ids);
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
        let prev = prev.map(|p| Fix::new(p.lon, p.lat, p.time, p.sog, None));
        // The vessel's place still holds while it stays in the same cell.
        let kept = self.vessels.get(&mmsi).and_then(|v| {
            let c = v.place_cell?;
            (place::cell_of(lon, lat, c.2) == Some(c)).then(|| (v.place.clone(), Some(c)))
        });
        let (place, place_cell) = match kept {
            Some(kept) => kept,
            None => self.place(lon, lat),
        };
        let fix = Fix::new(lon, lat, t, sog, cog);
        if place.zones.is_empty() && !self.vessels.contains_key(&mmsi) {
            // Outside every zone and never in one: only a jump *into* a
            // zone from here could matter, and the track store remembers
            // this fix for that (`prev` of the next report).
            return;
        }
        // heard() interned the station (the engine calls it first).
        let sid = match self.live.id(station) {
            Some(id) => id,
            None => self.station_heard(station, t),
        };
        let v = self.vessels.entry(mmsi).or_insert_with(|| {
            Box::new(VState {
                last: None,
                place: Place::default(),
                place_cell: None,
                station: None,
                hearing: Hearing::default(),
                recent: Default::default(),
                rezoned: false,
            })
        });
        if v.last.as_ref().is_some_and(|l| l.time > t) {
            return; // late report: detectors work on the newest state only
        }
        let prev = v.last.take().or(prev);
        let fix = Fix {
            speed: or_nan(speed_kn(prev.as_ref(), &fix)),
            ..fix
        };
        v.last = Some(fix.clone());
        let prev_place = std::mem::replace(&mut v.place, place.clone());
        v.place_cell = place_cell;
        if v.station.is_none() && !self.former_stations.is_empty() {
            self.former_stations.remove(&mmsi);
        }
        v.station = Some(sid);
        if !v.hearing.hears(sid) {
            // First report of a vessel: heard() had no state to record it in.
            v.hearing.add(sid, Dead::default());
            v.hearing.heard_copy(sid);
        }
        let live = &self.live;
        v.hearing.mark_dead(|s| live.dead(s, t));
        v.recent.push(t);
        let rezoned = std::mem::take(&mut v.rezoned);

        // The step from the previous fix, measured once for both jump checks.
        let step = prev.as_ref().map(|p| Step {
            from: p,
            m: haversine(p.lon, p.lat, lon, lat),
        });
        let r = Report {
            mmsi,
            fix: &fix,
            prev: prev.as_ref(),
            step,
            place: &place,
            prev_place: &prev_place,
            station,
        };
        // Only detectors that run where the vessel is or was at its last
        // report can hold anything of it or start anything for it.
        let mask = if rezoned {
            u32::MAX
        } else {
            let runs = &self.runs;
            place
                .zones
                .iter()
                .chain(&prev_place.zones)
                .fold(0, |m, &z| m | runs[usize::from(z)])
        };
        let (dets, mut cx) = self.split(t, tracks, out);
        for (i, d) in dets.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                cx.me = i as u8;
                d.before_position(&mut cx, &r);
            }
        }
        for (i, d) in dets.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                cx.me = i as u8;
                d.position(&mut cx, &r);
            }
        }
    }

    /// New static data of `mmsi` at `t` (the track store holds it already;
    /// `before` is what it held before). Only vessels in a zone count.
    pub fn static_data(
        &mut self,
        mmsi: Mmsi,
        before: Option<&StaticInfo>,
        t: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        if !self.vessels.contains_key(&mmsi) {
            return;
        }
        let (dets, mut cx) = self.split(t, tracks, out);
        for (i, d) in dets.iter_mut().enumerate() {
            cx.me = i as u8;
            d.static_data(&mut cx, mmsi, before);
        }
    }

    /// Whether detector `kind` runs in zone `zone` (by id); `None` when no
    /// zone has that id.
    pub fn runs(&self, kind: Kind, zone: &str) -> Option<bool> {
        Some(self.zones.get(zone)?.detect.runs(kind.as_str()))
    }

    /// Whether detector state is kept for `mmsi` (it has been in a zone).
    pub fn watching(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi)
    }

    /// Vessels whose detector state is kept (those seen in a zone and not
    /// forgotten since).
    pub fn vessels(&self) -> usize {
        self.vessels.len()
    }

    /// Forgets `gone`, vessels the track store is dropping (unheard for
    /// `vessel_ttl`, or evicted): their state goes, and the alerts they
    /// leave open close at `now` with `"reason": "vessel_forgotten"`. Call it
    /// while `tracks` still holds them (the closes name the vessels). A
    /// vessel heard again later starts afresh: no jump is measured from a
    /// fix the track store has forgotten.
    pub fn forget(
        &mut self,
        gone: &[Mmsi],
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let mut dropped = AHashSet::new();
        for &mmsi in gone {
            if !self.vessels.contains_key(&mmsi) {
                continue;
            }
            let (dets, mut cx) = self.split(now, tracks, out);
            // Shared events first: their closes need every vessel's last fix.
            for (i, d) in dets.iter_mut().enumerate() {
                cx.me = i as u8;
                d.release(&mut cx, mmsi);
            }
            for (i, d) in dets.iter_mut().enumerate() {
                cx.me = i as u8;
                d.forget(&mut cx, mmsi);
            }
            self.vessels.remove(&mmsi);
            self.former_stations.remove(&mmsi);
            dropped.insert(mmsi);
        }
        if dropped.is_empty() {
            return;
        }
        // Their checks would find nothing; they would only hold memory (and,
        // for a vessel heard again, run twice).
        let dets = &self.dets;
        self.heap.retain(|i, key| {
            let (a, b) = dets[usize::from(i)].vessels_of(key);
            !dropped.contains(&a) && b.is_none_or(|b| !dropped.contains(&b))
        });
        for d in &mut self.dets {
            d.forgotten(&dropped);
        }
        shrink(&mut self.vessels);
        shrink(&mut self.former_stations);
    }

    /// Runs what is due at event time `now`.
    pub fn tick(&mut self, now: Millis, tracks: &TrackStore, out: &mut Vec<Alert>) {
        let (dets, mut cx) = self.split(now, tracks, out);
        while let Some((i, at, key)) = cx.heap.pop_due(now) {
            cx.me = i;
            dets[usize::from(i)].due(&mut cx, key, at);
        }
    }

    /// The vessels of every pending check.
    #[cfg(test)]
    fn scheduled(&self) -> Vec<Mmsi> {
        self.heap
            .iter()
            .flat_map(|(i, key)| {
                let (a, b) = self.dets[usize::from(i)].vessels_of(key);
                std::iter::once(a).chain(b)
            })
            .collect()
    }
}

/// Per zone of `zones`, which detectors of the registry run there (bit `i`:
/// the `i`-th).
fn runs_by_zone(zones: &ZoneSet) -> Vec<u32> {
    zones
        .zones()
        .iter()
        .map(|z| {
            Kind::ALL
                .iter()
                .enumerate()
                .filter(|(_, k)| z.detect.runs(k.as_str()))
                .fold(0, |m, (i, _)| m | 1 << i)
        })
        .collect()
}

/// Slow (`Some(true)`), fast (`Some(false)`) or in the hysteresis band
/// (`None`, no change), by the fix's speed; `None` when no speed is known.
pub(crate) fn slow_in(fix: &Fix, max_kn: f64, hysteresis: f64) -> Option<bool> {
    let speed = fix.speed()?;
    if speed <= max_kn {
        Some(true)
    } else if speed > max_kn + hysteresis {
        Some(false)
    } else {
        None
    }
}

/// Gives a map's memory back once [`crate::oversized`].
fn shrink<K: std::hash::Hash + Eq, V>(map: &mut AHashMap<K, V>) {
    if crate::oversized(map.capacity(), map.len()) {
        map.shrink_to_fit();
    }
}

/// [`shrink`] for a set.
fn shrink_set<K: std::hash::Hash + Eq>(set: &mut AHashSet<K>) {
    if crate::oversized(set.capacity(), set.len()) {
        set.shrink_to_fit();
    }
}

/// Speed over ground when reported, else the speed implied by the last two
/// fixes (at least a minute apart): archives without SOG still work.
fn speed_kn(prev: Option<&Fix>, fix: &Fix) -> Option<f64> {
    fix.sog().or_else(|| {
        let p = prev?;
        let dt = (fix.time - p.time) as f64 / 1000.0;
        (dt >= 60.0).then(|| haversine(p.lon, p.lat, fix.lon, fix.lat) / dt * KN_PER_MPS)
    })
}

/// The angle between two directions, degrees in 0–180.
pub(crate) fn angle_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// Metres between two lon/lat points.
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    Haversine::distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

#[cfg(test)]
mod tests;
