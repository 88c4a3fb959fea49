//! What the API reads of the engine: a copy of current vessel state taken
//! by the engine task, published through a `watch` channel. Queries run on
//! the copy, never on the engine task, so a heavy query cannot stall
//! ingest. The engine copies only when the API has asked since the last
//! copy (at most once a second), and the spatial index over the copy is
//! built by the first query that needs it, off the engine task.

use std::sync::OnceLock;

use crate::engine::EngineStats;
use crate::track::{Mmsi, PositionIndex, Vessel};
use aiswatch_core::time::Millis;

/// Current vessel state at one instant of the engine's clock.
#[derive(Default)]
pub struct Snapshot {
    /// The engine's event-time clock when the copy was taken.
    pub clock: Option<Millis>,
    /// Wall-clock time of the copy.
    pub taken_at: Millis,
    /// Engine counters.
    pub stats: EngineStats,
    /// Every tracked vessel, ascending by MMSI, without its recent track.
    pub vessels: Vec<Vessel>,
    index: OnceLock<PositionIndex>,
}

impl Snapshot {
    /// A snapshot of `vessels` (any order; sorted here).
    pub fn new(
        clock: Option<Millis>,
        taken_at: Millis,
        stats: EngineStats,
        mut vessels: Vec<Vessel>,
    ) -> Self {
        vessels.sort_unstable_by_key(|v| v.mmsi);
        Snapshot {
            clock,
            taken_at,
            stats,
            vessels,
            index: OnceLock::new(),
        }
    }

    /// One vessel.
    pub fn get(&self, mmsi: Mmsi) -> Option<&Vessel> {
        self.vessels
            .binary_search_by_key(&mmsi, |v| v.mmsi)
            .ok()
            .map(|i| &self.vessels[i])
    }

    /// The spatial index of current positions (built on first use: call
    /// from a blocking task when the snapshot is large).
    pub fn index(&self) -> &PositionIndex {
        self.index.get_or_init(|| {
            PositionIndex::build(self.vessels.iter().filter_map(|v| {
                let (lon, lat) = v.position()?;
                Some((v.mmsi, lon, lat))
            }))
        })
    }

    /// Vessels inside a lon/lat box, ascending by MMSI (`min_lon > max_lon`
    /// crosses the antimeridian).
    pub fn in_bbox(&self, min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Vec<&Vessel> {
        let mut ids = self.index().in_bbox(min_lon, min_lat, max_lon, max_lat);
        ids.sort_unstable();
        ids.into_iter().filter_map(|m| self.get(m)).collect()
    }

    /// Vessels within `radius_m` metres of (lon, lat), nearest first, with
    /// their distance in metres.
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Vec<(&Vessel, f64)> {
        let hits = self.index().within(lon, lat, radius_m);
        hits.into_iter()
            .filter_map(|(m, d)| Some((self.get(m)?, d)))
            .collect()
    }
}
