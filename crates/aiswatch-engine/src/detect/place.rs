//! Where a report is: the zones at its position. Every report needs it, so
//! answers are remembered per grid cell wherever no zone boundary comes near
//! the cell (see [`ZoneSet::zones_throughout`]); near a boundary each report
//! is looked up exactly. A vessel also keeps the cell its place holds
//! throughout, so its next report in that cell needs no lookup at all.

use ahash::AHashMap;
use smallvec::SmallVec;

use super::Detectors;
use aiswatch_zones::ZoneSet;

/// Zone indices a position is in, and whether any of them is a port.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Place {
    pub(super) zones: SmallVec<[u16; 6]>,
    pub(super) in_port: bool,
}

impl Clone for Place {
    /// A copy of the indices (SmallVec's own `clone` pushes them one by one).
    fn clone(&self) -> Self {
        Place {
            zones: SmallVec::from_slice(&self.zones),
            in_port: self.in_port,
        }
    }
}

impl Place {
    fn of(zones: &ZoneSet, indices: impl IntoIterator<Item = usize>) -> Place {
        let mut p = Place::default();
        for i in indices {
            p.in_port |= zones.zones()[i].is_port();
            p.zones.push(i as u16);
        }
        p
    }
}

/// Cells per degree at level 0 (a cell is about 7 km north–south); each
/// finer level has 4 × 4 cells in one of the level above.
const CELLS_PER_DEG: f64 = 16.0;
/// Levels of cells: a level-0 cell a boundary crosses is looked at again
/// as 16 cells of about 1.7 km, and only where one of those is crossed too
/// does each report need an exact lookup.
const LEVELS: u8 = 2;

/// A cell of the grid: x, y and level.
pub(super) type Cell = (i32, i32, u8);

/// `x.floor()` as an integer, for values well inside the `i32` range
/// (without a call to the C library's `floor`).
pub(super) fn floor_i32(x: f64) -> i32 {
    let i = x as i32;
    i - i32::from(f64::from(i) > x)
}

fn per_deg(level: u8) -> f64 {
    CELLS_PER_DEG * f64::from(1u32 << (2 * level))
}

/// The cell of `level` holding (`lon`, `lat`); `None` outside the valid
/// range (no zone there).
pub(super) fn cell_of(lon: f64, lat: f64, level: u8) -> Option<Cell> {
    let valid = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
    let k = per_deg(level);
    valid.then(|| (floor_i32(lon * k), floor_i32(lat * k), level))
}

/// Most cells remembered; beyond it the memory starts afresh.
const MAX_CELLS: usize = 1 << 18;

/// Places remembered by grid cell; `None`: a boundary may cross the cell.
#[derive(Debug, Default)]
pub(super) struct PlaceCells {
    cells: AHashMap<Cell, Option<Place>>,
}

impl PlaceCells {
    /// Forgets every cell (the zones changed).
    pub(super) fn clear(&mut self) {
        self.cells = AHashMap::new();
    }
}

impl Detectors {
    /// The zones at (`lon`, `lat`), and the cell where they hold
    /// throughout (`None` near a boundary).
    pub(super) fn place(&mut self, lon: f64, lat: f64) -> (Place, Option<Cell>) {
        for level in 0..LEVELS {
            let Some(key) = cell_of(lon, lat, level) else {
                return (Place::default(), None);
            };
            if self.zones.is_empty() {
                return (Place::default(), Some(key));
            }
            let cell = match self.place_cells.cells.get(&key) {
                Some(c) => c,
                None => {
                    if self.place_cells.cells.len() >= MAX_CELLS {
                        self.place_cells.clear();
                    }
                    let k = per_deg(level);
                    let min = [f64::from(key.0) / k, f64::from(key.1) / k];
                    let max = [f64::from(key.0 + 1) / k, f64::from(key.1 + 1) / k];
                    let whole = self
                        .zones
                        .zones_throughout(min, max)
                        .map(|zs| Place::of(&self.zones, zs));
                    self.place_cells.cells.entry(key).or_insert(whole)
                }
            };
            if let Some(p) = cell {
                return (p.clone(), Some(key));
            }
        }
        let exact = Place::of(&self.zones, self.zones.indices_at(lon, lat));
        (exact, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectConfig;

    /// Remembered answers agree with the exact lookup, at the point and
    /// anywhere in the cell they are said to hold for.
    #[test]
    fn remembered_places_agree_with_exact_lookups() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("zones");
        let zones = ZoneSet::load_dir(&dir, crate::detect::SPECS).expect("shipped zones load");
        let mut det = Detectors::new(zones.clone(), DetectConfig::default());
        let exact = |lon: f64, lat: f64| Place::of(&zones, zones.indices_at(lon, lat));
        let mut rng = aiswatch_core::rng::Rng::new(7);
        let mut next = || rng.unit();
        let mut held = [0usize; LEVELS as usize];
        for z in zones.zones() {
            let r = geo::BoundingRect::bounding_rect(&z.geometry).expect("zone has a box");
            for _ in 0..2000 {
                let lon = r.min().x - 0.2 + next() * (r.width() + 0.4);
                let lat = r.min().y - 0.2 + next() * (r.height() + 0.4);
                let (p, cell) = det.place(lon, lat);
                assert_eq!(p, exact(lon, lat), "{lon},{lat}");
                let Some((x, y, level)) = cell else { continue };
                held[usize::from(level)] += 1;
                let k = per_deg(level);
                for _ in 0..5 {
                    let (a, b) = ((f64::from(x) + next()) / k, (f64::from(y) + next()) / k);
                    assert_eq!(p, exact(a, b), "cell {x},{y},{level} at {a},{b}");
                }
            }
        }
        assert!(held.iter().all(|&n| n > 0), "cells of each level: {held:?}");
    }
}
