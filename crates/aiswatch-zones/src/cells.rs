//! Which zones hold a whole box: lets a caller remember the answer for a
//! grid cell and skip the point lookup for every report inside it.

use geo::Coord;
use rstar::AABB;
use smallvec::SmallVec;

use super::ZoneSet;

/// Most polygon edges [`ZoneSet::zones_throughout`] checks for one box: near
/// bigger polygons (coastlines) it answers `None` and lookups stay exact.
const BOX_MAX_EDGES: usize = 512;

/// A boundary this close to a box (degrees) counts as crossing it: rounding
/// cannot put a point of the box on the other side of an edge.
const MARGIN_DEG: f64 = 1e-9;

impl ZoneSet {
    /// The zones holding every point of the box `min`–`max` (lon/lat
    /// degrees), as [`ZoneSet::indices_at`] gives them anywhere inside it,
    /// when no zone boundary comes near the box. `None` when one may cross
    /// it, when the polygons around it have more than [`BOX_MAX_EDGES`]
    /// edges to check, or when the box leaves the valid lon/lat range.
    pub fn zones_throughout(&self, min: [f64; 2], max: [f64; 2]) -> Option<SmallVec<[usize; 8]>> {
        let valid =
            |p: [f64; 2]| (-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1]);
        if !(valid(min) && valid(max)) || min[0] > max[0] || min[1] > max[1] {
            return None;
        }
        let lo = [min[0] - MARGIN_DEG, min[1] - MARGIN_DEG];
        let hi = [max[0] + MARGIN_DEG, max[1] + MARGIN_DEG];
        let mut edges = 0;
        for e in self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
        {
            let (z, p) = e.data;
            let poly = &self.zones[z].geometry.0[p];
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                edges += ring.0.len();
                if edges > BOX_MAX_EDGES {
                    return None;
                }
                if ring
                    .0
                    .windows(2)
                    .any(|w| segment_meets_box(w[0], w[1], lo, hi))
                {
                    return None;
                }
            }
        }
        // No edge in the box: each polygon holds all of it or none of it
        // (even-odd parity cannot change inside), so its centre answers.
        Some(self.indices_at((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0))
    }
}

/// Whether segment `a`–`b` touches the box `lo`–`hi`: their boxes overlap
/// and the segment's line does not leave all four corners on one side.
fn segment_meets_box(a: Coord, b: Coord, lo: [f64; 2], hi: [f64; 2]) -> bool {
    if a.x.max(b.x) < lo[0] || a.x.min(b.x) > hi[0] || a.y.max(b.y) < lo[1] || a.y.min(b.y) > hi[1]
    {
        return false;
    }
    let side = |x: f64, y: f64| (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    let s = [
        side(lo[0], lo[1]),
        side(hi[0], lo[1]),
        side(lo[0], hi[1]),
        side(hi[0], hi[1]),
    ];
    !(s.iter().all(|&v| v > 0.0) || s.iter().all(|&v| v < 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord {
        Coord { x, y }
    }

    #[test]
    fn segments_and_boxes() {
        let (lo, hi) = ([0.0, 0.0], [1.0, 1.0]);
        // Through, along an edge, touching a corner.
        assert!(segment_meets_box(c(-1.0, 0.5), c(2.0, 0.5), lo, hi));
        assert!(segment_meets_box(c(0.0, -1.0), c(0.0, 2.0), lo, hi));
        assert!(segment_meets_box(c(1.0, 1.0), c(2.0, 3.0), lo, hi));
        // Inside entirely.
        assert!(segment_meets_box(c(0.2, 0.2), c(0.3, 0.4), lo, hi));
        // Boxes overlap but the diagonal passes by the corner.
        assert!(!segment_meets_box(c(0.5, 2.0), c(2.0, 0.5), lo, hi));
        // Far away.
        assert!(!segment_meets_box(c(5.0, 5.0), c(6.0, 7.0), lo, hi));
    }

    /// Whatever the box, when an answer is given, every point inside gets
    /// the same zones from the exact lookup.
    #[test]
    fn a_whole_box_answer_agrees_with_every_point_in_it() {
        let set = crate::tests::shipped();
        let mut rng = aiswatch_core::rng::Rng::new(11);
        let mut next = || rng.unit();
        let (mut answered, mut inside) = (0, 0);
        for z in set.zones() {
            let r = geo::BoundingRect::bounding_rect(&z.geometry).expect("zone has a box");
            for _ in 0..400 {
                let size = [1.0 / 64.0, 1.0 / 16.0, 0.5][(next() * 3.0) as usize % 3];
                let x = r.min().x - 0.5 + next() * (r.width() + 1.0);
                let y = r.min().y - 0.5 + next() * (r.height() + 1.0);
                let (min, max) = ([x, y], [x + size, y + size]);
                let Some(zs) = set.zones_throughout(min, max) else {
                    continue;
                };
                answered += 1;
                inside += usize::from(!zs.is_empty());
                for _ in 0..50 {
                    let (px, py) = (x + next() * size, y + next() * size);
                    assert_eq!(
                        set.indices_at(px, py),
                        zs,
                        "box {min:?}–{max:?} at {px},{py}"
                    );
                }
                for (px, py) in [(x, y), (x + size, y + size), (x, y + size), (x + size, y)] {
                    assert_eq!(set.indices_at(px, py), zs, "corner {px},{py}");
                }
            }
        }
        // Both kinds of answer were exercised.
        assert!(
            answered > 100 && inside > 10,
            "{answered} answered, {inside} inside"
        );
        // Out of range: no answer.
        assert!(set
            .zones_throughout([179.99, 0.0], [180.01, 0.01])
            .is_none());
    }
}
