//! What the store keeps and answers, independent of the database.
//!
//! # Units
//! Times are [`Millis`] (event time, UTC). Positions are lon/lat degrees.
//! Speed and course are kept in the AIS resolution (1/10 knot, 1/10
//! degree) as integers, so a speed prints as it was measured (`12.2`).

use std::sync::Arc;

use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::Millis;
use aiswatch_engine::alert::Kind;
use aiswatch_engine::record::HeardRow;

/// Which centres' data a reader may see: every query of alerts and their
/// acknowledgements is narrowed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Admin,
    /// The alerts (and zones) routed to one centre.
    Centre(aiswatch_core::ids::CentreId),
}

/// Size of a spatial-key grid cell, degrees (the same on both databases).
pub const CELL_DEG: f64 = 0.25;
const CELLS_PER_ROW: i64 = (360.0 / CELL_DEG) as i64;
/// Length of the time bucket that SQLite's position key and its per-hour
/// tables use, milliseconds.
pub const HOUR_MS: Millis = 3_600_000;

/// The hour bucket of an event time: floor(t / 1 h).
pub fn hour_of(t: Millis) -> i64 {
    t.div_euclid(HOUR_MS)
}

/// The grid cell of a position: the spatial key of box-and-time queries.
///
/// The column and row are truncated, not floored: the same once clamped to
/// the grid (they differ only below zero), without a call to libm's `floor`
/// (on the baseline x86-64, which has no rounding instruction).
pub fn cell_of(lon: f64, lat: f64) -> i64 {
    let col = (((lon + 180.0) / CELL_DEG) as i64).clamp(0, CELLS_PER_ROW - 1);
    let row = (((lat + 90.0) / CELL_DEG) as i64).clamp(0, (180.0 / CELL_DEG) as i64 - 1);
    row * CELLS_PER_ROW + col
}

/// A lon/lat box, degrees. `min_lon > max_lon` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl BBox {
    /// Whether (lon, lat) is inside (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let lon_in = if self.min_lon <= self.max_lon {
            (self.min_lon..=self.max_lon).contains(&lon)
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        lon_in && (self.min_lat..=self.max_lat).contains(&lat)
    }

    /// The grid rows (inclusive) and column spans (inclusive, two across
    /// the antimeridian) that cover the box.
    fn cell_spans(&self) -> ((i64, i64), Vec<(i64, i64)>) {
        let lons: Vec<(f64, f64)> = if self.min_lon <= self.max_lon {
            vec![(self.min_lon, self.max_lon)]
        } else {
            vec![(self.min_lon, 180.0), (-180.0, self.max_lon)]
        };
        let rows = (
            cell_of(0.0, self.min_lat) / CELLS_PER_ROW,
            cell_of(0.0, self.max_lat) / CELLS_PER_ROW,
        );
        let cols = lons
            .iter()
            .map(|&(a, b)| {
                (
                    cell_of(a, 0.0) % CELLS_PER_ROW,
                    cell_of(b, 0.0) % CELLS_PER_ROW,
                )
            })
            .collect();
        (rows, cols)
    }

    /// The grid cells that cover the box, or `None` when there are more
    /// than `max` (the query then goes by time and filters).
    pub fn cells(&self, max: usize) -> Option<Vec<i64>> {
        let ((r0, r1), cols) = self.cell_spans();
        let n: i64 = cols
            .iter()
            .map(|(c0, c1)| (c1 - c0 + 1) * (r1 - r0 + 1))
            .sum();
        if n as usize > max {
            return None;
        }
        let mut out = Vec::with_capacity(n as usize);
        for r in r0..=r1 {
            for &(c0, c1) in &cols {
                out.extend((c0..=c1).map(|c| r * CELLS_PER_ROW + c));
            }
        }
        Some(out)
    }

    /// An SQL condition on the integer column `col` that holds for the
    /// cells covering the box (integers only: safe to inline).
    pub fn cell_condition(&self, col: &str) -> String {
        let ((r0, r1), cols) = self.cell_spans();
        let cols: Vec<String> = cols
            .iter()
            .map(|(c0, c1)| format!("{col} % {CELLS_PER_ROW} BETWEEN {c0} AND {c1}"))
            .collect();
        format!(
            "{col} / {CELLS_PER_ROW} BETWEEN {r0} AND {r1} AND ({})",
            cols.join(" OR ")
        )
    }
}

/// One stored [`HeardRow`]: `[seq, station, t, mmsi, lon, lat, first]`.
type HeardEntry<S> = (u64, S, Millis, u32, Option<i32>, Option<i32>, bool);

/// The rows of a JSON list stored before messages heard were packed
/// (`heard_blocks`, migration 0014) with `from <= seq < to`; stations shared.
pub(super) fn heard_rows(json: &str, from: u64, to: u64) -> Result<Vec<HeardRow>, sqlx::Error> {
    let entries: Vec<HeardEntry<String>> =
        serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut stations: std::collections::HashMap<String, Arc<str>> = Default::default();
    Ok(entries
        .into_iter()
        .filter(|e| (from..to).contains(&e.0))
        .map(|(seq, station, time, mmsi, x, y, first)| HeardRow {
            seq,
            station: stations
                .entry(station)
                .or_insert_with_key(|s| Arc::from(s.as_str()))
                .clone(),
            time,
            mmsi: Mmsi(mmsi),
            pos: x.zip(y),
            first,
        })
        .collect())
}

/// Which alerts to list (`GET /api/v1/alerts`).
#[derive(Debug, Clone)]
pub struct AlertFilter {
    /// Whose alerts: a centre sees only those routed to it.
    pub scope: Scope,
    /// Only this zone.
    pub zone: Option<String>,
    /// Only this detector.
    pub kind: Option<Kind>,
    /// `Some(true)`: open (latest state `open` or `update`); `Some(false)`: closed.
    pub open: Option<bool>,
    /// Only alerts involving this vessel.
    pub mmsi: Option<Mmsi>,
    /// Only alerts still going on at or after this time (event time).
    pub since: Option<Millis>,
    /// Only alerts begun at or before this time.
    pub until: Option<Millis>,
    /// Page size.
    pub limit: usize,
    /// Continue after this cursor (from [`AlertPage::next_cursor`]).
    pub cursor: Option<i64>,
}

/// An alert's latest state as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// Storage order: newest first means highest first. Also the cursor.
    pub n: i64,
    /// The alert's id.
    pub id: AlertId,
    /// State changes stored for it so far.
    pub changes: i64,
    /// The alert JSON exactly as the engine emitted it.
    pub json: String,
}

/// A page of alerts, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertPage {
    /// The alerts.
    pub alerts: Vec<StoredAlert>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<i64>,
}

/// One alert with every state change, in order.
#[derive(Debug, Clone)]
pub struct AlertHistory {
    /// The latest state.
    pub latest: StoredAlert,
    /// Every state change's JSON, first to last (sequence 1, 2, …).
    pub changes: Vec<String>,
}

/// One point of a box query: what `GET /api/v1/positions` shows of a
/// stored position (see [`PositionRow`] for the units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxPoint {
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
}

impl BoxPoint {
    /// Speed over ground, knots, as measured.
    pub fn sog_kn(&self) -> Option<f64> {
        self.sog_dkn.map(|s| f64::from(s) / 10.0)
    }

    /// Course over ground, degrees, as measured.
    pub fn cog(&self) -> Option<f64> {
        self.cog_ddeg.map(|c| f64::from(c) / 10.0)
    }
}

/// One vessel's points in a box and time window.
#[derive(Debug, Clone, PartialEq)]
pub struct VesselPoints {
    /// The vessel.
    pub mmsi: Mmsi,
    /// Its points inside, oldest first.
    pub points: Vec<BoxPoint>,
}

/// Which of a vessel's points in a window [`super::Store::positions_in`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Points {
    /// Every one, oldest first.
    All,
    /// Only the newest: where the vessel was at the window's end, as far as
    /// the window shows (the console's look back).
    Newest,
}

/// A page of `GET /api/v1/positions`, ascending by MMSI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PositionsPage {
    /// Vessels with their points.
    pub vessels: Vec<VesselPoints>,
    /// The page stopped after this MMSI; ask again with it as the cursor.
    pub next_cursor: Option<Mmsi>,
}

/// An alert still open in the store (what a restart must continue).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAlert {
    /// Its id.
    pub id: AlertId,
    /// When the event began.
    pub started_at: Millis,
    /// Which detector raised it (`kind` as stored).
    pub kind: String,
    /// Its zone's id.
    pub zone: String,
    /// Its last stored change (the alert JSON).
    pub json: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Cells by truncation: the cells flooring gives, in the grid, off
        /// it and for any float.
        #[test]
        fn cells_are_those_flooring_gives(
            lon in proptest::num::f64::ANY,
            lat in proptest::num::f64::ANY,
            x in -400.0f64..400.0,
            y in -200.0f64..200.0,
        ) {
            let floored = |lon: f64, lat: f64| {
                let col = (((lon + 180.0) / CELL_DEG).floor() as i64).clamp(0, CELLS_PER_ROW - 1);
                let row = (((lat + 90.0) / CELL_DEG).floor() as i64)
                    .clamp(0, (180.0 / CELL_DEG) as i64 - 1);
                row * CELLS_PER_ROW + col
            };
            for (lon, lat) in [(lon, lat), (x, y), (x.round(), y.round()), (-x, lat)] {
                proptest::prop_assert_eq!(cell_of(lon, lat), floored(lon, lat), "{} {}", lon, lat);
            }
        }
    }
}
