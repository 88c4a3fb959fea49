//! What the engine emits for the store from each batch of messages:
//! position reports, static-data changes, messages heard, clock ticks and
//! alert state changes, in the order it applied them.
//!
//! # Units
//! Times are [`Millis`] (event time, UTC). Positions are lon/lat degrees.
//! Speed and course are kept in the AIS resolution (1/10 knot, 1/10
//! degree) as integers, so a speed prints as it was measured (`12.2`).

use std::sync::Arc;

use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoded;

use crate::alert::Alert;
use crate::track::StaticInfo;

/// One stored position report (after duplicate collapse).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionRow {
    /// The engine's record sequence number: the order it applied reports,
    /// static changes and clock ticks in (continues across restarts).
    pub seq: u64,
    /// The vessel.
    pub mmsi: Mmsi,
    /// Event time.
    pub time: Millis,
    /// Degrees.
    pub lon: f64,
    /// Degrees.
    pub lat: f64,
    /// Speed over ground, 1/10 knot.
    pub sog_dkn: Option<u16>,
    /// Course over ground, 1/10 degree.
    pub cog_ddeg: Option<u16>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// Navigational status.
    pub nav_status: Option<u8>,
    /// AIS message type (1–3, 18, 19, 27).
    pub msg_type: u8,
    /// Receiving station, if known.
    pub station: Option<Arc<str>>,
    /// The source that delivered it.
    pub source: Arc<str>,
    /// Payload hash (duplicate collapsing after a restart).
    pub hash: u64,
}

impl PositionRow {
    /// The row of a decoded position report, if it has a position.
    pub fn of(source: &Arc<str>, d: &Decoded) -> Option<PositionRow> {
        PositionRow::with(source.clone(), d.station.clone(), d)
    }

    /// [`PositionRow::of`], with the names to carry given.
    pub fn with(source: Arc<str>, station: Option<Arc<str>>, d: &Decoded) -> Option<PositionRow> {
        let m = &d.message;
        let (lon, lat) = m.position()?;
        Some(PositionRow {
            seq: 0,
            mmsi: Mmsi(m.mmsi),
            time: d.time,
            lon,
            lat,
            sog_dkn: m.speed_kn().map(|s| (s * 10.0).round() as u16),
            cog_ddeg: m.course_deg().map(|c| (c * 10.0).round() as u16),
            heading: m.heading_deg(),
            nav_status: m.nav_status(),
            msg_type: m.msg_type,
            station,
            source,
            hash: d.payload_hash,
        })
    }

    /// Speed over ground, knots, as measured.
    pub fn sog_kn(&self) -> Option<f64> {
        self.sog_dkn.map(|s| f64::from(s) / 10.0)
    }

    /// Course over ground, degrees, as measured.
    pub fn cog(&self) -> Option<f64> {
        self.cog_ddeg.map(|c| f64::from(c) / 10.0)
    }
}

/// A vessel's static and voyage data from `time` on (stored on change only).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticRow {
    /// Record sequence number (see [`PositionRow::seq`]).
    pub seq: u64,
    /// The vessel.
    pub mmsi: Mmsi,
    /// Event time of the report that changed it.
    pub time: Millis,
    /// The data as it stood after that report.
    pub info: StaticInfo,
    /// The source that delivered it.
    pub source: Arc<str>,
    /// The receiving station, if the message named one.
    pub station: Option<Arc<str>>,
}

/// A message the engine heard that left no position or static row: a
/// second station's copy of a report, a base station's report, unchanged
/// static data. Kept so that a restart rebuilds which stations hear which
/// vessels where (receiver coverage, a silence explained by an outage)
/// exactly as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct HeardRow {
    /// Record sequence number (see [`PositionRow::seq`]).
    pub seq: u64,
    /// The station that heard it (the source's id when the line named none).
    pub station: Arc<str>,
    /// Event time.
    pub time: Millis,
    /// The MMSI in the message.
    pub mmsi: Mmsi,
    /// Where the message put its sender, in 1/10000 minute (the AIS unit,
    /// so the degrees come back exactly): `(lon, lat)`.
    pub pos: Option<(i32, i32)>,
    /// Whether it was the first copy (not a duplicate).
    pub first: bool,
}

impl HeardRow {
    /// 1/10000 minute per degree.
    const PER_DEG: f64 = 600_000.0;

    /// `(lon, lat)` in the stored unit.
    pub fn pos_units(lon: f64, lat: f64) -> (i32, i32) {
        (
            (lon * Self::PER_DEG).round() as i32,
            (lat * Self::PER_DEG).round() as i32,
        )
    }

    /// The position in degrees.
    pub fn degrees(&self) -> Option<(f64, f64)> {
        self.pos
            .map(|(x, y)| (f64::from(x) / Self::PER_DEG, f64::from(y) / Self::PER_DEG))
    }
}

/// An engine tick: the event-time instant at which the detectors' periodic
/// work ran. Kept so that a restart replays the clock exactly as it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Record sequence number (see [`PositionRow::seq`]).
    pub seq: u64,
    /// Event time of the tick.
    pub time: Millis,
}

/// Everything the engine produced for the store from one batch of
/// messages. The writer commits whole batches, in order, so the store is
/// always a prefix of what the engine did (what a restart rebuilds from).
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Position reports.
    pub positions: Vec<PositionRow>,
    /// Static-data changes.
    pub statics: Vec<StaticRow>,
    /// Alert state changes.
    pub alerts: Vec<Alert>,
    /// Engine ticks.
    pub ticks: Vec<Tick>,
    /// Messages heard that left no other row.
    pub heard: Vec<HeardRow>,
    /// Wall time the engine emitted the first of `alerts` (the start of
    /// the alert-to-delivery latency); `None`: when written.
    pub emitted_at: Option<Millis>,
    /// How far into its input (a position in the cluster's line stream)
    /// the engine had read when it made this batch: stored with it, so a
    /// reader taking over resumes just after. `None`: not from a stream.
    pub input: Option<u64>,
}

impl Batch {
    /// Moves every record's sequence number `by` on: records numbered
    /// before the store they continue was known.
    pub fn renumber(&mut self, by: u64) {
        let seqs = (self.positions.iter_mut().map(|r| &mut r.seq))
            .chain(self.statics.iter_mut().map(|r| &mut r.seq))
            .chain(self.ticks.iter_mut().map(|r| &mut r.seq))
            .chain(self.heard.iter_mut().map(|r| &mut r.seq));
        for seq in seqs {
            *seq += by;
        }
    }

    /// An empty batch with room for as many positions and messages heard
    /// as `like` holds ([`Batch::make_room`]).
    pub fn with_room_for(like: &Batch) -> Batch {
        let mut b = Batch::default();
        b.make_room(like.positions.len(), like.heard.len());
        b
    }

    /// Makes room for a quarter more than `positions` positions and `heard`
    /// messages heard in all: the next batch is about as large as the last,
    /// and a list that outgrows its room is copied whole.
    pub fn make_room(&mut self, positions: usize, heard: usize) {
        let room = |n: usize, len: usize| (n + n / 4).saturating_sub(len);
        self.positions
            .reserve(room(positions, self.positions.len()));
        self.heard.reserve(room(heard, self.heard.len()));
    }

    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && !self.has_records()
    }

    /// Holds positions, static changes, ticks or messages heard (anything
    /// numbered by the engine's record sequence).
    pub fn has_records(&self) -> bool {
        !(self.positions.is_empty()
            && self.statics.is_empty()
            && self.ticks.is_empty()
            && self.heard.is_empty())
    }

    /// Appends `o`, keeping order (into an empty list with less room than
    /// `o`'s, `o`'s is taken whole: nothing copied).
    pub fn append(&mut self, o: &mut Batch) {
        fn take<T>(to: &mut Vec<T>, from: &mut Vec<T>) {
            if to.is_empty() && to.capacity() < from.len() {
                std::mem::swap(to, from);
            } else {
                to.append(from);
            }
        }
        take(&mut self.positions, &mut o.positions);
        take(&mut self.statics, &mut o.statics);
        take(&mut self.alerts, &mut o.alerts);
        take(&mut self.ticks, &mut o.ticks);
        take(&mut self.heard, &mut o.heard);
        self.emitted_at = match (self.emitted_at, o.emitted_at.take()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.input = self.input.max(o.input.take());
    }
}
