//! Geometry validation: ring shape, coordinate ranges and self-intersection.
//!
//! geo 0.29 has no `Validation` trait (it arrived in 0.30), so the
//! intersection test is our own: an R-tree of the polygon's edges (by
//! bounding box) gives each edge the edges whose boxes overlap its own,
//! which are tested first with a cheap floating-point side-of-line filter,
//! then with geo's exact `line_intersection`. That is about O(n log n) for
//! coastlines, combs and zig-zags alike (a sweep along x was quadratic on a
//! comb of long horizontal teeth: 99 s for 200 k vertices). It degrades
//! only when many long edges have overlapping boxes without meeting, e.g.
//! a star of thousands of long thin spikes.

use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

use super::load::Issue;

/// Stop listing intersections of one polygon after this many.
const MAX_CROSSINGS_REPORTED: usize = 5;

/// Stop counting them after this many: a ring that is all crossings must
/// not take quadratic time to say so.
const MAX_CROSSINGS_COUNTED: usize = 1000;

#[cfg(test)]
thread_local! {
    /// Candidate edge pairs tested, for tests of the check's cost.
    pub(crate) static PAIRS_TESTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The bounding box of an edge, for the R-tree.
fn edge_box(e: &Edge) -> Rectangle<[f64; 2]> {
    let (l, r) = min_max(e.line.start.x, e.line.end.x);
    let (b, t) = min_max(e.line.start.y, e.line.end.y);
    Rectangle::from_corners([l, b], [r, t])
}

fn min_max(a: f64, b: f64) -> (f64, f64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Sign of the orientation of (a, b, c) when the plain floating-point
/// determinant is certain of it (Shewchuk's first error bound), else `None`.
fn orient_fast(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Option<f64> {
    let l = (a.x - c.x) * (b.y - c.y);
    let r = (a.y - c.y) * (b.x - c.x);
    let det = l - r;
    let bound = 3.330_669_073_875_471_6e-16 * (l.abs() + r.abs());
    (det > bound || det < -bound).then_some(det.signum())
}

/// True when the segments certainly do not meet: both ends of one lie
/// strictly on the same side of the other's line. A cheap filter before
/// geo's exact (and slower) `line_intersection`.
fn apart(p: Line<f64>, q: Line<f64>) -> bool {
    let same_side = |l: Line<f64>, m: Line<f64>| {
        matches!(
            (orient_fast(l.start, l.end, m.start), orient_fast(l.start, l.end, m.end)),
            (Some(s), Some(t)) if s == t
        )
    };
    same_side(p, q) || same_side(q, p)
}

/// Checks one ring as written: at least 4 positions, closed, every
/// coordinate finite and in range. `path` names the ring, e.g.
/// `geometry.coordinates[0]`. Returns true when the ring is usable.
pub(crate) fn check_ring_coords(ring: &[Coord<f64>], path: &str, issues: &mut Vec<Issue>) -> bool {
    let mut ok = true;
    for (i, c) in ring.iter().enumerate() {
        if !(c.x.is_finite() && (-180.0..=180.0).contains(&c.x)) {
            issues.push(Issue::geometry(
                &format!("{path}[{i}]"),
                format!("longitude {} out of range -180..180", c.x),
            ));
            ok = false;
        }
        if !(c.y.is_finite() && (-90.0..=90.0).contains(&c.y)) {
            issues.push(Issue::geometry(
                &format!("{path}[{i}]"),
                format!("latitude {} out of range -90..90", c.y),
            ));
            ok = false;
        }
    }
    if ring.len() < 4 {
        issues.push(Issue::geometry(
            path,
            format!(
                "ring has {} positions; a linear ring needs at least 4 (3 corners and the first \
                 repeated at the end)",
                ring.len()
            ),
        ));
        return false;
    }
    let (first, last) = (ring[0], ring[ring.len() - 1]);
    if first != last {
        issues.push(Issue::geometry(
            path,
            format!(
                "ring is not closed: first position [{}, {}] differs from last [{}, {}]",
                first.x, first.y, last.x, last.y
            ),
        ));
        ok = false;
    }
    ok
}

/// One edge of a ring, with the indices of its endpoints in the ring as
/// written (so messages can point at positions the user can find).
#[derive(Clone, Copy)]
struct Edge {
    ring: usize,
    /// Index of this edge within its (deduplicated) ring.
    k: usize,
    from: usize,
    to: usize,
    line: Line<f64>,
}

/// Checks that the rings of `poly` (already closed, in range) neither cross
/// themselves nor each other. `ring_path(r)` names ring r (0 = exterior).
pub(crate) fn check_simple(
    poly: &Polygon<f64>,
    ring_path: &dyn Fn(usize) -> String,
    issues: &mut Vec<Issue>,
) {
    let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
    let mut edges: Vec<Edge> = Vec::new();
    let mut ring_len: Vec<usize> = Vec::new();
    for (r, ring) in rings.enumerate() {
        // Repeated consecutive positions are harmless; drop them so the zero
        // length edge they make does not count as touching its neighbours.
        let mut verts: Vec<(usize, Coord<f64>)> = Vec::with_capacity(ring.0.len());
        for (i, c) in ring.0.iter().enumerate() {
            if verts.last().is_none_or(|(_, p)| p != c) {
                verts.push((i, *c));
            }
        }
        let n = verts.len().saturating_sub(1); // edges; last vertex repeats the first
        if n < 3 {
            issues.push(Issue::geometry(
                &ring_path(r),
                "ring has fewer than 3 distinct corners, so it encloses no area".to_string(),
            ));
            ring_len.push(0);
            continue;
        }
        for k in 0..n {
            edges.push(Edge {
                ring: r,
                k,
                from: verts[k].0,
                to: verts[k + 1].0,
                line: Line::new(verts[k].1, verts[k + 1].1),
            });
        }
        ring_len.push(n);
    }

    // Candidate pairs from an R-tree of the edges' boxes: each edge meets
    // only the edges whose boxes overlap its own, whatever the ring's shape
    // (combs, zig-zags, spirals), so a valid ring of n edges costs about
    // O(n log n) instead of the O(n²) of a sweep along one axis.
    let tree = RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .map(|(i, e)| GeomWithData::new(edge_box(e), i))
            .collect(),
    );
    let mut found = 0usize;
    'edges: for (i, a) in edges.iter().enumerate() {
        for cand in tree.locate_in_envelope_intersecting(&edge_box(a).envelope()) {
            let j = cand.data;
            if j <= i {
                continue;
            }
            #[cfg(test)]
            PAIRS_TESTED.with(|c| c.set(c.get() + 1));
            let b = &edges[j];
            if apart(a.line, b.line) {
                continue;
            }
            let Some(hit) = line_intersection(a.line, b.line) else {
                continue;
            };
            let bad = if a.ring == b.ring {
                let n = ring_len[a.ring];
                let adjacent = b.k == a.k + 1 || (a.k == 0 && b.k == n - 1);
                // Neighbours share a corner; they may only meet there. A
                // collinear overlap is a spike that folds back on itself.
                !adjacent || matches!(hit, LineIntersection::Collinear { .. })
            } else {
                // Rings of one polygon may touch at a point, never cross.
                matches!(
                    hit,
                    LineIntersection::SinglePoint {
                        is_proper: true,
                        ..
                    } | LineIntersection::Collinear { .. }
                )
            };
            if !bad {
                continue;
            }
            found += 1;
            if found >= MAX_CROSSINGS_COUNTED {
                break 'edges;
            }
            if found > MAX_CROSSINGS_REPORTED {
                continue;
            }
            let at = match hit {
                LineIntersection::SinglePoint { intersection, .. } => intersection,
                LineIntersection::Collinear { intersection } => intersection.start,
            };
            let message = if a.ring == b.ring {
                format!(
                    "ring intersects itself: segment [{}]->[{}] meets segment [{}]->[{}] at \
                     ({:.6}, {:.6})",
                    a.from, a.to, b.from, b.to, at.x, at.y
                )
            } else {
                format!(
                    "ring crosses ring {} ({}): segment [{}]->[{}] meets its segment [{}]->[{}] \
                     at ({:.6}, {:.6})",
                    b.ring,
                    ring_path(b.ring),
                    a.from,
                    a.to,
                    b.from,
                    b.to,
                    at.x,
                    at.y
                )
            };
            issues.push(Issue::geometry(&ring_path(a.ring), message));
        }
    }
    if found > MAX_CROSSINGS_REPORTED {
        issues.push(Issue::geometry(
            &ring_path(0),
            format!(
                "{}{} more intersections in this polygon not listed",
                if found >= MAX_CROSSINGS_COUNTED {
                    "at least "
                } else {
                    ""
                },
                found - MAX_CROSSINGS_REPORTED
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(pts.to_vec())
    }

    fn check(poly: &Polygon<f64>) -> Vec<Issue> {
        let mut issues = Vec::new();
        check_simple(poly, &|r| format!("geometry.coordinates[{r}]"), &mut issues);
        issues
    }

    #[test]
    fn square_with_hole_is_simple() {
        let p = Polygon::new(
            ring(&[(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)]),
            vec![ring(&[(1., 1.), (2., 1.), (2., 2.), (1., 1.)])],
        );
        assert!(check(&p).is_empty());
    }

    #[test]
    fn repeated_positions_are_tolerated() {
        let p = Polygon::new(
            ring(&[
                (0., 0.),
                (0., 0.),
                (4., 0.),
                (4., 4.),
                (4., 4.),
                (0., 4.),
                (0., 0.),
            ]),
            vec![],
        );
        assert!(check(&p).is_empty(), "{:?}", check(&p));
    }

    #[test]
    fn bow_tie_is_reported_with_positions() {
        let p = Polygon::new(
            ring(&[(0., 0.), (2., 2.), (2., 0.), (0., 2.), (0., 0.)]),
            vec![],
        );
        let issues = check(&p);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(
            issues[0].property.as_deref(),
            Some("geometry.coordinates[0]")
        );
        assert!(
            issues[0].message.contains("[0]->[1]"),
            "{}",
            issues[0].message
        );
        assert!(issues[0].message.contains("(1.000000, 1.000000)"));
    }

    #[test]
    fn spike_and_touching_vertex_are_reported() {
        // Spike: goes out to (3,0) and straight back.
        let spike = Polygon::new(
            ring(&[
                (0., 0.),
                (2., 0.),
                (3., 0.),
                (2., 0.),
                (2., 2.),
                (0., 2.),
                (0., 0.),
            ]),
            vec![],
        );
        assert!(!check(&spike).is_empty());
        // Figure eight touching itself at (2,2).
        let eight = Polygon::new(
            ring(&[
                (0., 0.),
                (2., 2.),
                (4., 0.),
                (4., 4.),
                (2., 2.),
                (0., 4.),
                (0., 0.),
            ]),
            vec![],
        );
        assert!(!check(&eight).is_empty());
    }

    #[test]
    fn hole_crossing_exterior_is_reported() {
        let p = Polygon::new(
            ring(&[(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)]),
            vec![ring(&[(3., 1.), (5., 1.), (5., 2.), (3., 2.), (3., 1.)])],
        );
        let issues = check(&p);
        assert!(!issues.is_empty());
        assert!(issues[0].message.contains("crosses ring 1"), "{:?}", issues);
    }

    /// A comb of long teeth, horizontal or vertical, keeps the candidate
    /// pairs of the self-intersection sweep linear in the edges (not every
    /// pair), and a bad tooth is still found.
    #[test]
    fn combs_are_checked_in_near_linear_pairs() {
        for upright in [false, true] {
            let poly = crate::index::tests::comb(5_000, upright);
            let edges = poly.exterior().0.len() - 1;
            PAIRS_TESTED.with(|c| c.set(0));
            assert!(check(&poly).is_empty());
            let pairs = PAIRS_TESTED.with(|c| c.get());
            assert!(
                pairs <= 4 * edges,
                "upright={upright}: {pairs} pairs for {edges} edges"
            );
            // One tooth bent across its neighbour.
            let mut pts = poly.exterior().0.clone();
            let k = 4 * 2_500 + 2;
            if upright {
                pts[k].x += 10.0 / 5_000.0;
            } else {
                pts[k].y += 10.0 / 5_000.0;
            }
            let bad = Polygon::new(LineString(pts), vec![]);
            assert!(!check(&bad).is_empty(), "upright={upright}");
        }
    }

    #[test]
    fn degenerate_ring_is_reported() {
        let p = Polygon::new(ring(&[(0., 0.), (1., 1.), (0., 0.), (0., 0.)]), vec![]);
        let issues = check(&p);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("fewer than 3 distinct"));
    }

    #[test]
    fn ring_coords_checks() {
        let mut issues = Vec::new();
        let r = ring(&[(0., 0.), (190., 0.), (1., 95.), (0., 1.)]);
        assert!(!check_ring_coords(
            &r.0,
            "geometry.coordinates[0]",
            &mut issues
        ));
        let msgs: Vec<_> = issues.iter().map(|i| i.message.as_str()).collect();
        assert!(msgs.iter().any(|m| m.contains("longitude 190")));
        assert!(msgs.iter().any(|m| m.contains("latitude 95")));
        assert!(msgs.iter().any(|m| m.contains("not closed")));
        assert_eq!(
            issues[0].property.as_deref(),
            Some("geometry.coordinates[0][1]")
        );
    }
}
