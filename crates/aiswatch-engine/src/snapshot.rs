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

/// Vessels a snapshot may hold beyond twice those tracked before it is
/// [`Snapshot::outgrown`]: small stores are not copied again for nothing.
const OUTGROWN_SLACK: usize = 10_000;

/// Current vessel state at one instant of the engine's clock.
#[derive(Default)]
pub struct Snapshot {
    /// The engine's event-time clock when the copy was taken.
    pub clock: Option<Millis>,
    /// Wall-clock time of the copy.
    pub taken_at: Millis,
    /// Engine counters.
    pub stats: EngineStats,
    /// Every tracked vessel, ascending by MMSI.
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

    /// Whether this copy holds far more vessels than the `tracked` the
    /// engine has now: a burst of MMSIs was forgotten since it was taken.
    /// The engine then replaces it even if the API has not asked, so the
    /// copy's memory (hundreds of MB for millions of vessels) goes too.
    pub fn outgrown(&self, tracked: usize) -> bool {
        self.vessels.len() > 2 * tracked + OUTGROWN_SLACK
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

#[cfg(test)]
mod tests {
    use crate::engine::EngineConfig;
    use crate::fixtures::{engine_with, pos, MIN, T0};

    /// A snapshot taken at a burst's peak is outgrown once the burst is
    /// forgotten; a fresh one is not.
    #[test]
    fn a_snapshot_of_a_forgotten_burst_is_outgrown() {
        let mut e = engine_with(EngineConfig {
            vessel_ttl: std::time::Duration::from_secs(600),
            ..Default::default()
        });
        let src: std::sync::Arc<str> = "s".into();
        let burst: Vec<_> = (0..30_000u32)
            .map(|i| pos(232_000_000 + i, T0 + i64::from(i), 3.0, 4.0, 10.0, "st"))
            .collect();
        e.ingest(&src, &burst, T0 + 60 * MIN);
        let peak = e.snapshot(0);
        assert_eq!(peak.vessels.len(), 30_000);
        assert!(!peak.outgrown(e.tracks().len()));
        // A later report moves the clock past the ttl: the burst goes.
        let late = pos(244_000_001, T0 + 20 * MIN, 3.0, 4.0, 10.0, "st");
        e.ingest(&src, &[late], T0 + 60 * MIN);
        assert_eq!(e.tracks().len(), 1);
        assert!(peak.outgrown(e.tracks().len()));
        assert!(!e.snapshot(0).outgrown(e.tracks().len()));
    }
}
