//! Where a report is: the zones at its position. Every report needs it, so
//! answers are remembered per grid cell wherever no zone boundary comes near
//! the cell (see [`ZoneSet::zones_throughout`]); near a boundary each report
//! is looked up exactly. A vessel also keeps the cell its place holds
//! throughout, so its next report in that cell needs no lookup at all.

use ahash::AHashMap;
use smallvec::SmallVec;

use super::Detectors;
use crate::zones::ZoneSet;

/// Zone indices a position is in, and whether any of them is a port.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Place {
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

/// Cells per degree (a cell is about 7 km north–south).
const CELLS_PER_DEG: f64 = 16.0;

/// A cell of the grid.
pub(super) type Cell = (i32, i32);

/// `x.floor()` as an integer, for values well inside the `i32` range
/// (without a call to the C library's `floor`).
pub(super) fn floor_i32(x: f64) -> i32 {
    let i = x as i32;
    i - i32::from(f64::from(i) > x)
}

/// The cell of (`lon`, `lat`); `None` outside the valid range (no zone).
pub(super) fn cell_of(lon: f64, lat: f64) -> Option<Cell> {
    let valid = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
    valid.then(|| {
        (
            floor_i32(lon * CELLS_PER_DEG),
            floor_i32(lat * CELLS_PER_DEG),
        )
    })
}
/// Most cells remembered; beyond it the memory starts afresh.
const MAX_CELLS: usize = 1 << 18;

/// Places remembered by grid cell; `None`: a boundary may cross the cell.
#[derive(Debug, Default)]
pub(super) struct PlaceCells {
    cells: AHashMap<(i32, i32), Option<Place>>,
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
        let Some(key) = cell_of(lon, lat) else {
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
                let min = [
                    f64::from(key.0) / CELLS_PER_DEG,
                    f64::from(key.1) / CELLS_PER_DEG,
                ];
                let max = [
                    f64::from(key.0 + 1) / CELLS_PER_DEG,
                    f64::from(key.1 + 1) / CELLS_PER_DEG,
                ];
                let whole = self
                    .zones
                    .zones_throughout(min, max)
                    .map(|zs| Place::of(&self.zones, zs));
                self.place_cells.cells.entry(key).or_insert(whole)
            }
        };
        match cell {
            Some(p) => (p.clone(), Some(key)),
            None => (
                Place::of(&self.zones, self.zones.indices_at(lon, lat)),
                None,
            ),
        }
    }
}
