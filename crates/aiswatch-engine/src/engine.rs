//! ③④ The engine: one owner of all vessel state, fed decoded messages,
//! driven by the data's clock. The live daemon and `aiswatch replay` use the
//! same engine, so a replay gives the results live would have given.
//!
//! Per message: reject impossible times, collapse duplicates (one broadcast
//! heard by several stations), update the vessel's track. Whenever the
//! event-time clock crosses a whole tick, [`Engine::tick`] runs the periodic
//! work (duplicate-window pruning, eviction of vessels long unheard).

use std::sync::Arc;

use ahash::AHashMap;
use serde::Deserialize;

use crate::alert::Alert;
use crate::detect::Detectors;
use crate::track::{TrackStore, Update};
use aiswatch_core::time::{Millis, MS_PER_S};
use aiswatch_decode::Decoded;

/// Engine settings (`[engine]` in the config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Copies of one message within this window (event time) are duplicates.
    #[serde(with = "humantime_serde")]
    pub duplicate_window: std::time::Duration,
    /// Messages stamped further than this ahead of the wall clock are
    /// rejected: a receiver with a broken clock must not drag the engine's
    /// clock into the future (every other vessel would look silent).
    #[serde(with = "humantime_serde")]
    pub max_future: std::time::Duration,
    /// Vessels unheard for this long are forgotten.
    #[serde(with = "humantime_serde")]
    pub vessel_ttl: std::time::Duration,
    /// `[engine.track]`: accepted and ignored, so that files naming it still
    /// load; the store keeps each vessel's track (see [`EngineConfig::notices`]).
    pub track: Option<TrackSection>,
}

/// The keys `[engine.track]` may hold; none has an effect.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrackSection {
    /// Ignored.
    pub points: Option<i64>,
    /// Ignored.
    pub min_spacing_ms: Option<i64>,
}

impl EngineConfig {
    /// What a person should know about settings that load but do nothing.
    pub fn notices(&self) -> Vec<String> {
        self.track
            .iter()
            .map(|_| {
                "[engine.track]: has no effect and can be removed (the store keeps each \
                 vessel's track: GET /api/v1/vessels/{mmsi}/track)"
                    .to_owned()
            })
            .collect()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            duplicate_window: std::time::Duration::from_secs(30),
            max_future: std::time::Duration::from_secs(300),
            vessel_ttl: std::time::Duration::from_secs(72 * 3600),
            track: None,
        }
    }
}

/// Counters of what the engine did with the messages it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineStats {
    /// Messages given to the engine.
    pub messages: u64,
    /// Copies of a message already seen (several stations), not applied again.
    pub duplicates: u64,
    /// Messages with a time too far in the future, not applied.
    pub future_time: u64,
    /// Positions older than the vessel's current one (recorded, not applied to its state).
    pub late_positions: u64,
    /// Static or voyage data older than the vessel's current data: it
    /// only filled fields still unknown.
    pub late_statics: u64,
    /// Messages about no vessel (base stations, aids to navigation, binary …).
    pub not_vessel: u64,
    /// Ticks run.
    pub ticks: u64,
    /// Vessels forgotten after `vessel_ttl`.
    pub evicted: u64,
}

/// Engine tick length: the resolution of event-time work (1 s).
pub const TICK_MS: Millis = MS_PER_S;

/// Event time between two looks for vessels to forget.
const EVICT_EVERY_MS: Millis = 60 * MS_PER_S;

/// The engine. Not thread-safe by design: one task owns it.
pub struct Engine {
    cfg: EngineConfig,
    tracks: TrackStore,
    /// Payload hash → event time of first copy, for duplicate collapsing.
    seen: AHashMap<u64, Millis>,
    clock: Option<Millis>,
    next_tick: Millis,
    /// Event time of the next look for vessels unheard for `vessel_ttl`.
    next_evict: Millis,
    stats: EngineStats,
    detectors: Option<Detectors>,
    alerts: Vec<Alert>,
    /// What the store must keep, when recording (see [`Engine::record`]).
    records: Option<crate::record::Batch>,
    /// The station and source names the records of `records` carry.
    record_names: RecordNames,
    /// Sequence number of the next record.
    next_seq: u64,
}

impl Engine {
    /// A new engine with empty state.
    pub fn new(cfg: EngineConfig) -> Self {
        Engine {
            tracks: TrackStore::new(),
            cfg,
            seen: AHashMap::new(),
            clock: None,
            next_tick: Millis::MIN,
            next_evict: Millis::MIN,
            stats: EngineStats::default(),
            detectors: None,
            alerts: Vec::new(),
            records: None,
            record_names: RecordNames::default(),
            next_seq: 1,
        }
    }

    /// Runs `detectors` on every message from now on.
    pub fn with_detectors(mut self, detectors: Detectors) -> Self {
        self.detectors = Some(detectors);
        self
    }

    /// How much recent history rebuilds the engine's state after a restart
    /// (see [`Detectors::memory_window`]), at most `vessel_ttl`.
    pub fn memory_window(&self) -> std::time::Duration {
        let w = self
            .detectors
            .as_ref()
            .map_or(std::time::Duration::from_secs(3600), |d| d.memory_window());
        w.min(self.cfg.vessel_ttl)
    }

    /// Starts (or stops) keeping, for the store, every position report
    /// applied and every change of a vessel's static data.
    pub fn record(&mut self, on: bool) {
        self.records = on.then(Default::default);
    }

    /// Makes room in the records for about `positions` position reports
    /// and as many messages heard, so that a first batch taken at about
    /// that size is not copied as it grows (later batches get the room the
    /// one before took).
    pub fn reserve_records(&mut self, positions: usize) {
        if let Some(r) = &mut self.records {
            r.make_room(positions, positions);
        }
    }

    /// Numbers records from `seq` on (after a restart: one past the last stored).
    pub fn set_next_seq(&mut self, seq: u64) {
        self.next_seq = seq;
    }

    /// The number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Positions, static changes and ticks recorded since the last call (empty
    /// when not recording). Alerts are taken separately. The next records
    /// go to lists with room for about as many as were taken (not grown
    /// again, copied at each doubling, from nothing).
    pub fn take_records(&mut self) -> crate::record::Batch {
        match &mut self.records {
            Some(r) => {
                self.record_names = RecordNames::default();
                let room = crate::record::Batch::with_room_for(r);
                std::mem::replace(r, room)
            }
            None => Default::default(),
        }
    }

    /// Positions recorded since [`Engine::take_records`] was last called.
    pub fn recorded_positions(&self) -> usize {
        self.records.as_ref().map_or(0, |r| r.positions.len())
    }

    /// Alerts raised since the last call, in the order they were raised,
    /// each with the version of the zone its detector ran with.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        if let Some(det) = &self.detectors {
            stamp(&mut self.alerts, |id| {
                det.zones().get(id).map(|z| z.source.version.clone())
            });
        }
        std::mem::take(&mut self.alerts)
    }

    /// Adds an alert change made outside the detectors (a restart closing
    /// an alert whose detector is switched off): it is taken with the rest.
    pub fn raise(&mut self, a: Alert) {
        self.alerts.push(a);
    }

    /// The event-time clock: the latest accepted message time.
    pub fn clock(&self) -> Option<Millis> {
        self.clock
    }

    /// Counters so far.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The zones the detectors run in (empty without detectors).
    pub fn zones(&self) -> &aiswatch_zones::ZoneSet {
        static EMPTY: std::sync::OnceLock<aiswatch_zones::ZoneSet> = std::sync::OnceLock::new();
        match &self.detectors {
            Some(d) => d.zones(),
            None => EMPTY.get_or_init(aiswatch_zones::ZoneSet::empty),
        }
    }

    /// Replaces the zones the detectors run in (zones edited live); open
    /// alerts of removed zones close with a reason (see
    /// [`Detectors::set_zones`]) and are taken like any other. Without
    /// detectors there is nothing to replace: returns false.
    pub fn set_zones(&mut self, zones: aiswatch_zones::ZoneSet, wall_now: Millis) -> bool {
        let Some(det) = &mut self.detectors else {
            return false;
        };
        let now = self.clock.unwrap_or(wall_now);
        // What was raised before the swap, and what the swap closes, was
        // made with the zones going out.
        let old: ahash::AHashMap<aiswatch_core::ids::ZoneId, Arc<str>> = det
            .zones()
            .zones()
            .iter()
            .map(|z| (z.id.clone(), z.source.version.clone()))
            .collect();
        det.set_zones(zones, now, &self.tracks, &mut self.alerts);
        stamp(&mut self.alerts, |id| old.get(id).cloned());
        true
    }

    /// Vessel state.
    pub fn tracks(&self) -> &TrackStore {
        &self.tracks
    }

    /// A copy of current vessel state for the API (see [`crate::snapshot`]).
    pub fn snapshot(&self, wall_now: Millis) -> crate::snapshot::Snapshot {
        crate::snapshot::Snapshot::new(
            self.clock,
            wall_now,
            self.stats.clone(),
            self.tracks.iter().cloned().collect(),
        )
    }

    /// Vessel state, mutable (the spatial index is rebuilt on demand).
    pub fn tracks_mut(&mut self) -> &mut TrackStore {
        &mut self.tracks
    }

    /// Processes messages from one source, in order. `wall_now` is the wall
    /// clock, used only to reject times from the future.
    pub fn ingest(&mut self, source: &Arc<str>, msgs: &[Decoded], wall_now: Millis) {
        let max_time = wall_now.saturating_add(self.cfg.max_future.as_millis() as Millis);
        let window = self.cfg.duplicate_window.as_millis() as Millis;
        for d in msgs {
            self.stats.messages += 1;
            if d.time > max_time {
                self.stats.future_time += 1;
                continue;
            }
            // A copy heard by another station (or relayed twice) is counted
            // and dropped here, not lost: the first copy was applied.
            // The clock moves first: whatever fell due before this message
            // (a vessel's silence reaching its threshold …) fires before it.
            self.advance(d.time);
            let station = d.station.as_ref().unwrap_or(source);
            let dup =
                matches!(self.seen.get(&d.payload_hash), Some(&t) if (d.time - t).abs() <= window);
            if let Some(det) = &mut self.detectors {
                det.heard(
                    station,
                    d.time,
                    crate::track::Mmsi(d.message.mmsi),
                    d.message.position(),
                    !dup,
                );
            }
            if dup {
                self.stats.duplicates += 1;
                self.record_heard(station, d, false);
                continue;
            }
            self.seen.insert(d.payload_hash, d.time);
            let prev = if self.detectors.is_some() {
                self.prev_fix(d.message.mmsi)
            } else {
                None
            };
            // Static data before the message, for the store (changes only)
            // and the identity-change detector.
            let static_before = match d.message.msg_type {
                5 | 19 | 24
                    if self.records.is_some()
                        || self.detectors.as_ref().is_some_and(|det| {
                            det.watching(crate::track::Mmsi(d.message.mmsi))
                        }) =>
                {
                    Some(self.static_of(d.message.mmsi))
                }
                _ => None,
            };
            let update = self.tracks.apply(source, d);
            let mut stored = false;
            if let Some(rec) = &mut self.records {
                if matches!(update, Update::Position | Update::LatePosition) {
                    let names = &mut self.record_names;
                    let (source, station) = (names.source(source), d.station.as_ref());
                    let station = station.map(|s| names.station(s));
                    if let Some(mut row) = crate::record::PositionRow::with(source, station, d) {
                        row.seq = take_seq(&mut self.next_seq);
                        rec.positions.push(row);
                        stored = true;
                    }
                }
                if let Some(before) = &static_before {
                    let mmsi = crate::track::Mmsi(d.message.mmsi);
                    let after = self.tracks.get(mmsi).and_then(|v| v.static_info.as_deref());
                    if let Some(after) = after.filter(|a| !a.same_data(before.as_ref())) {
                        rec.statics.push(crate::record::StaticRow {
                            seq: take_seq(&mut self.next_seq),
                            mmsi,
                            time: d.time,
                            info: after.clone(),
                            source: self.record_names.source(source),
                            station: d.station.as_ref().map(|s| self.record_names.station(s)),
                        });
                        stored = true;
                    }
                }
            }
            if !stored {
                self.record_heard(station, d, true);
            }
            match update {
                Update::LatePosition => self.stats.late_positions += 1,
                Update::Ignored => self.stats.not_vessel += 1,
                Update::Static => {}
                Update::LateStatic => self.stats.late_statics += 1,
                Update::Position => {
                    if let (Some(det), Some((lon, lat))) =
                        (&mut self.detectors, d.message.position())
                    {
                        let mmsi = crate::track::Mmsi(d.message.mmsi);
                        let (sog, cog) = (d.message.speed_kn(), d.message.course_deg());
                        det.position(
                            mmsi,
                            lon,
                            lat,
                            d.time,
                            sog,
                            cog,
                            prev,
                            station,
                            &self.tracks,
                            &mut self.alerts,
                        );
                    }
                }
            }
            if let (Some(det), Some(before)) = (&mut self.detectors, &static_before) {
                let mmsi = crate::track::Mmsi(d.message.mmsi);
                det.static_data(
                    mmsi,
                    before.as_ref(),
                    d.time,
                    &self.tracks,
                    &mut self.alerts,
                );
            }
        }
    }

    /// Records a message that left no position or static row, for a
    /// restart to rebuild who hears whom (see [`crate::record::HeardRow`]);
    /// only with detectors, the only ones to use it.
    fn record_heard(&mut self, station: &Arc<str>, d: &Decoded, first: bool) {
        if let (Some(rec), Some(_)) = (&mut self.records, &self.detectors) {
            rec.heard.push(crate::record::HeardRow {
                seq: take_seq(&mut self.next_seq),
                station: self.record_names.station(station),
                time: d.time,
                mmsi: crate::track::Mmsi(d.message.mmsi),
                pos: d
                    .message
                    .position()
                    .map(|(lon, lat)| crate::record::HeardRow::pos_units(lon, lat)),
                first,
            });
        }
    }

    /// Replays a stored [`crate::record::HeardRow`] (a restart rebuilding
    /// state): the clock moves and the detectors learn who heard what, as
    /// when the message came.
    pub fn replay_heard(&mut self, h: &crate::record::HeardRow) {
        self.stats.messages += 1;
        self.advance(h.time);
        if let Some(det) = &mut self.detectors {
            det.heard(&h.station, h.time, h.mmsi, h.degrees(), h.first);
        }
        if !h.first {
            self.stats.duplicates += 1;
        }
    }

    fn static_of(&self, mmsi: u32) -> Option<crate::track::StaticInfo> {
        let v = self.tracks.get(crate::track::Mmsi(mmsi))?;
        v.static_info.as_deref().cloned()
    }

    fn prev_fix(&self, mmsi: u32) -> Option<crate::detect::PrevFix> {
        let v = self.tracks.get(crate::track::Mmsi(mmsi))?;
        let (lon, lat) = v.position()?;
        Some(crate::detect::PrevFix {
            lon,
            lat,
            time: v.position_at?,
            sog: v.sog_kn.map(f64::from),
        })
    }

    /// Moves the clock forward to `t` (never back), ticking on the way.
    pub fn advance(&mut self, t: Millis) {
        let now = match self.clock {
            Some(c) if c >= t => return,
            _ => t,
        };
        self.clock = Some(now);
        if self.next_tick == Millis::MIN {
            self.next_tick = now - now.rem_euclid(TICK_MS) + TICK_MS;
        }
        if now >= self.next_tick {
            if let Some(r) = &mut self.records {
                let seq = take_seq(&mut self.next_seq);
                r.ticks.push(crate::record::Tick { seq, time: now });
            }
            self.tick(now);
            // After a long jump (satellite burst, replay gap) tick once, not per second skipped.
            self.next_tick = now - now.rem_euclid(TICK_MS) + TICK_MS;
        }
    }

    /// Periodic work at event time `now`.
    fn tick(&mut self, now: Millis) {
        self.stats.ticks += 1;
        if let Some(det) = &mut self.detectors {
            det.tick(now, &self.tracks, &mut self.alerts);
        }
        let window = self.cfg.duplicate_window.as_millis() as Millis;
        if self.seen.len() > 4096 {
            self.seen.retain(|_, t| now.saturating_sub(*t) <= window);
            // A burst (millions of distinct messages) must not keep its table.
            if self.seen.capacity() > 4 * self.seen.len() + 4096 {
                self.seen.shrink_to_fit();
            }
        }
        // Eviction is cheap but not free: once a minute of event time is
        // plenty (by the clock, not by ticks: sparse data ticks rarely).
        if now >= self.next_evict {
            self.next_evict = now.saturating_add(EVICT_EVERY_MS);
            let ttl = Millis::try_from(self.cfg.vessel_ttl.as_millis()).unwrap_or(Millis::MAX);
            let gone = self.tracks.unheard_since(now.saturating_sub(ttl));
            self.forget(&gone, now);
        }
    }

    /// Forgets vessels, in the detectors first (they close what the vessels
    /// leave open, naming them from the track store), then in the store.
    fn forget(&mut self, gone: &[crate::track::Mmsi], now: Millis) {
        if gone.is_empty() {
            return;
        }
        if let Some(det) = &mut self.detectors {
            det.forget(gone, now, &self.tracks, &mut self.alerts);
        }
        self.stats.evicted += self.tracks.remove(gone) as u64;
    }

    /// The detectors, if any.
    pub fn detectors(&self) -> Option<&Detectors> {
        self.detectors.as_ref()
    }
}

/// The records of one batch carry their own copies of the station and
/// source names, shared among them: the engine counts references to these
/// while the writer, on another core, drops the batch before (counting
/// references to one shared name from both cores makes each count wait
/// for the other core's). The engine's names themselves are not counted
/// per record: the decoder, on another core, counts the station's for
/// every message.
#[derive(Default)]
struct RecordNames {
    /// The engine's name's address: its index in `copies`.
    at: AHashMap<usize, usize>,
    /// Each name (kept, so its address stays its own for as long as the
    /// batch) and its copy.
    copies: Vec<(Arc<str>, Arc<str>)>,
    /// The last source and the last station asked for (address, index in
    /// `copies`): a record's mostly are those of the record before.
    last: [Option<(usize, usize)>; 2],
}

impl RecordNames {
    /// This batch's copy of the source name `name`.
    fn source(&mut self, name: &Arc<str>) -> Arc<str> {
        self.of(name, 0)
    }

    /// This batch's copy of the station name `name`.
    fn station(&mut self, name: &Arc<str>) -> Arc<str> {
        self.of(name, 1)
    }

    fn of(&mut self, name: &Arc<str>, last: usize) -> Arc<str> {
        let address = Arc::as_ptr(name).cast::<u8>() as usize;
        let i = match self.last[last] {
            Some((a, i)) if a == address => i,
            _ => {
                let copies = &mut self.copies;
                let i = *self.at.entry(address).or_insert_with(|| {
                    copies.push((name.clone(), Arc::from(&**name)));
                    copies.len() - 1
                });
                self.last[last] = Some((address, i));
                i
            }
        };
        self.copies[i].1.clone()
    }
}

/// The next record sequence number, counting on.
fn take_seq(next: &mut u64) -> u64 {
    *next += 1;
    *next - 1
}

/// Gives every alert without a zone version the version `of` its zone
/// (none when the zone is unknown to it).
fn stamp(alerts: &mut [Alert], of: impl Fn(&str) -> Option<Arc<str>>) {
    for a in alerts.iter_mut().filter(|a| a.zone_version.is_none()) {
        a.zone_version = of(&a.zone).filter(|v| !v.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_decode::Decoder;

    fn decoded(lines: &[&str], arrival: Millis) -> Vec<Decoded> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), arrival, &mut out);
        }
        out
    }

    #[test]
    fn duplicates_from_two_stations_collapse() {
        let mut e = Engine::new(EngineConfig::default());
        let a = decoded(
            &[r"\s:A,c:1334337317*7A\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"],
            0,
        );
        let b = decoded(
            &[r"\s:B,c:1334337318*76\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"],
            0,
        );
        let now = 1_334_337_400_000;
        e.ingest(&"a".into(), &a, now);
        e.ingest(&"b".into(), &b, now);
        assert_eq!(e.stats().duplicates, 1);
        assert_eq!(e.tracks().len(), 1);
        assert_eq!(e.clock(), Some(1_334_337_318_000));
    }

    #[test]
    fn a_batch_of_records_carries_its_own_copies_of_the_names() {
        let mut e = Engine::new(EngineConfig::default());
        e.record(true);
        let source: Arc<str> = "tcp://rx1".into();
        let m = decoded(
            &[
                r"\s:A,c:1334337317*7A\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
                r"\s:A,c:1334337318*75\!AIVDM,1,1,,A,10002;?000qvd9LF<kPGj38l0<08,0*38",
            ],
            0,
        );
        let later = decoded(
            &[r"\s:A,c:1334337319*74\!AIVDM,1,1,,A,1000@rgP00OvOEBFTlb9iOw`20Sa,0*77"],
            0,
        );
        e.ingest(&source, &m, 1_334_337_400_000);
        let first = e.take_records();
        e.ingest(&source, &later, 1_334_337_400_000);
        let second = e.take_records();
        let [a, b] = &first.positions[..] else {
            panic!("two positions, got {:?}", first.positions);
        };
        let [c] = &second.positions[..] else {
            panic!("one position, got {:?}", second.positions);
        };
        for r in [a, b, c] {
            assert_eq!((&*r.source, r.station.as_deref()), ("tcp://rx1", Some("A")));
            assert!(!Arc::ptr_eq(&r.source, &source));
        }
        // Shared within a batch, not across batches.
        assert!(Arc::ptr_eq(&a.source, &b.source));
        assert!(Arc::ptr_eq(
            a.station.as_ref().unwrap(),
            b.station.as_ref().unwrap()
        ));
        assert!(!Arc::ptr_eq(&a.source, &c.source));
    }

    #[test]
    fn records_share_one_copy_of_each_name_as_stations_take_turns() {
        let mut e = Engine::new(EngineConfig::default());
        e.record(true);
        let source: Arc<str> = "tcp://rx1".into();
        // Interned by the decoder: every message of a station holds the same name.
        let (a, b): (Arc<str>, Arc<str>) = ("rx-a".into(), "rx-b".into());
        let t0 = 1_700_000_000_000;
        let msgs: Vec<Decoded> = [&a, &b, &a, &b, &b]
            .into_iter()
            .enumerate()
            .map(|(i, station)| Decoded {
                station: Some(station.clone()),
                ..crate::fixtures::pos(224_000_001 + i as u32, t0 + i as i64, 1.0, 1.0, 5.0, "")
            })
            .collect();
        e.ingest(&source, &msgs, t0 + 10_000);
        let batch = e.take_records();
        let names: Vec<Arc<str>> = batch
            .positions
            .iter()
            .map(|r| r.station.clone().unwrap())
            .collect();
        let texts: Vec<&str> = names.iter().map(|n| &**n).collect();
        assert_eq!(texts, ["rx-a", "rx-b", "rx-a", "rx-b", "rx-b"]);
        assert!(Arc::ptr_eq(&names[0], &names[2]));
        assert!(Arc::ptr_eq(&names[1], &names[3]) && Arc::ptr_eq(&names[1], &names[4]));
        assert!(!Arc::ptr_eq(&names[0], &a) && !Arc::ptr_eq(&names[1], &b));
    }

    #[test]
    fn future_times_do_not_move_the_clock() {
        let mut e = Engine::new(EngineConfig::default());
        let m = decoded(
            &[r"\s:A,c:1334337317*7A\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"],
            0,
        );
        e.ingest(&"a".into(), &m, 1_000_000_000_000);
        assert_eq!(e.stats().future_time, 1);
        assert_eq!(e.clock(), None);
    }
}
