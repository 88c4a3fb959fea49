//! An R-tree of vessel positions (lon, lat in degrees) answering bounding
//! box and radius queries.
//!
//! # Units
//! Positions are degrees (x = lon, y = lat). Radii are metres: a radius
//! query searches the enclosing degree envelope (Δlat = r / 111 320 m,
//! Δlon = Δlat / cos φ) and keeps points whose haversine distance is within
//! the radius. Envelopes that cross ±180° are split in two.

use geo::{Distance, Haversine, Point};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use super::Mmsi;

type Entry = GeomWithData<[f64; 2], Mmsi>;

/// Metres per degree of latitude (mean).
pub const M_PER_DEG_LAT: f64 = 111_320.0;

/// A static snapshot of positions, built in one `bulk_load`.
#[derive(Default)]
pub struct PositionIndex {
    tree: RTree<Entry>,
}

impl PositionIndex {
    /// Builds the index from (mmsi, lon, lat) triples.
    pub fn build(points: impl Iterator<Item = (Mmsi, f64, f64)>) -> Self {
        let entries: Vec<Entry> = points
            .map(|(m, lon, lat)| GeomWithData::new([lon, lat], m))
            .collect();
        PositionIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// MMSIs inside the box (inclusive). `min_lon > max_lon` means the box
    /// crosses the antimeridian (e.g. 170 → -170).
    pub fn in_bbox(&self, min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Vec<Mmsi> {
        let mut out = Vec::new();
        for (a, b) in split_lon(min_lon, max_lon) {
            let env = AABB::from_corners([a, min_lat], [b, max_lat]);
            out.extend(self.tree.locate_in_envelope(&env).map(|e| e.data));
        }
        out
    }

    /// MMSIs within `radius_m` metres of (lon, lat), with their distance in
    /// metres, nearest first.
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Vec<(Mmsi, f64)> {
        let dlat = radius_m / M_PER_DEG_LAT;
        let min_lat = (lat - dlat).max(-90.0);
        let max_lat = (lat + dlat).min(90.0);
        // Near the poles the envelope spans every longitude.
        let cos = lat
            .abs()
            .max(min_lat.abs())
            .max(max_lat.abs())
            .to_radians()
            .cos();
        let dlon = if cos < 1e-6 { 360.0 } else { dlat / cos };
        let (min_lon, max_lon) = if dlon >= 180.0 {
            (-180.0, 180.0)
        } else {
            (wrap(lon - dlon), wrap(lon + dlon))
        };
        let centre = Point::new(lon, lat);
        let mut out: Vec<(Mmsi, f64)> = self
            .in_bbox_entries(min_lon, min_lat, max_lon, max_lat)
            .filter_map(|e| {
                let d = Haversine::distance(centre, Point::new(e.geom()[0], e.geom()[1]));
                (d <= radius_m).then_some((e.data, d))
            })
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }

    fn in_bbox_entries(
        &self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> impl Iterator<Item = &Entry> {
        split_lon(min_lon, max_lon)
            .into_iter()
            .flat_map(move |(a, b)| {
                self.tree
                    .locate_in_envelope(&AABB::from_corners([a, min_lat], [b, max_lat]))
            })
    }
}

/// Splits a longitude range that crosses the antimeridian into two.
fn split_lon(min_lon: f64, max_lon: f64) -> Vec<(f64, f64)> {
    if min_lon <= max_lon {
        vec![(min_lon, max_lon)]
    } else {
        vec![(min_lon, 180.0), (-180.0, max_lon)]
    }
}

fn wrap(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0
    } else if lon < -180.0 {
        lon + 360.0
    } else {
        lon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx() -> PositionIndex {
        PositionIndex::build(
            [
                (Mmsi(1), 179.99, 0.0),
                (Mmsi(2), -179.99, 0.0),
                (Mmsi(3), 103.8, 1.25),
                (Mmsi(4), 103.81, 1.25),
                (Mmsi(5), 0.0, 89.999),
                (Mmsi(6), 180.0 - 0.0001, 89.999),
            ]
            .into_iter(),
        )
    }

    #[test]
    fn bbox_and_antimeridian() {
        let i = idx();
        let mut v = i.in_bbox(103.0, 1.0, 104.0, 2.0);
        v.sort();
        assert_eq!(v, vec![Mmsi(3), Mmsi(4)]);
        let mut v = i.in_bbox(179.0, -1.0, -179.0, 1.0);
        v.sort();
        assert_eq!(v, vec![Mmsi(1), Mmsi(2)]);
    }

    #[test]
    fn radius_in_metres_across_the_antimeridian_and_near_the_pole() {
        let i = idx();
        let v = i.within(103.8, 1.25, 1_200.0);
        assert_eq!(
            v.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![Mmsi(3), Mmsi(4)]
        );
        assert!((v[1].1 - 1_112.0).abs() < 5.0, "{v:?}");
        let v = i.within(180.0, 0.0, 2_000.0);
        assert_eq!(v.len(), 2);
        let v = i.within(90.0, 89.999, 500.0);
        assert_eq!(v.len(), 2, "{v:?}");
    }
}
