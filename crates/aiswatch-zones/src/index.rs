//! Fast point-in-polygon for big, static polygons, whatever their shape.
//!
//! geo's `contains` walks every edge: O(n) per query, too slow for zones of
//! hundreds of thousands of vertices at a million reports a second. The
//! even-odd ray test (a ray from the point towards +x) only needs the
//! edges that straddle the point's latitude, and how many of them lie east
//! of the point.
//!
//! A [`PolyIndex`] is a segment tree over latitude: the leaves are the
//! slabs between consecutive distinct vertex latitudes, and each edge is
//! stored in the O(log n) nodes whose slab range it spans from end to end.
//! Inside a node's range no edge of a valid polygon ends and none crosses
//! another (rings are simple and do not cross each other), so the node's
//! edges keep one west-to-east order throughout it: sorted once, the edges
//! east of a point are counted by binary search. A query walks one
//! leaf-to-root path: O(log² n), for combs, spirals and zig-zags alike.
//! Memory is O(n log n) edge indices at worst, about 2 per edge for
//! coastline-like rings.
//!
//! The crossing test is the classic even-odd one over all rings (holes
//! included) with the same arithmetic, so answers agree with a full scan;
//! points exactly on an edge may fall either way.

/// One edge, as `[x0, y0, x1, y1]` (lon/lat degrees), never horizontal.
type Edge = [f64; 4];

/// Longitude where `e` crosses latitude `y` (`e` must straddle `y`).
#[inline]
fn x_at(e: &Edge, y: f64) -> f64 {
    let [x0, y0, x1, y1] = *e;
    x0 + (y - y0) * (x1 - x0) / (y1 - y0)
}

/// A segment-tree edge index of one polygon (exterior and holes together).
#[derive(Debug, Clone)]
pub(crate) struct PolyIndex {
    min: [f64; 2],
    max: [f64; 2],
    /// Distinct vertex latitudes, ascending: leaf i is `ys[i]..ys[i + 1]`.
    ys: Vec<f64>,
    /// Leaves, rounded up to a power of two (node v's children: 2v, 2v+1).
    size: usize,
    /// Node v holds `order[offsets[v]..offsets[v + 1]]`, west to east.
    offsets: Vec<u32>,
    order: Vec<u32>,
    edges: Vec<Edge>,
}

impl PolyIndex {
    /// Builds the index of one polygon's rings. Each ring must be closed
    /// (geo's `Polygon` guarantees it), and the polygon valid (rings simple
    /// and not crossing each other) for answers to be exact.
    pub(crate) fn new(poly: &geo::Polygon<f64>) -> Self {
        let mut edges: Vec<Edge> = Vec::new();
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                for c in [a, b] {
                    min = [min[0].min(c.x), min[1].min(c.y)];
                    max = [max[0].max(c.x), max[1].max(c.y)];
                }
                // Horizontal edges never straddle a latitude: leave them out.
                if a.y != b.y {
                    edges.push([a.x, a.y, b.x, b.y]);
                }
            }
        }
        let mut ys: Vec<f64> = edges.iter().flat_map(|e| [e[1], e[3]]).collect();
        ys.sort_by(f64::total_cmp);
        ys.dedup();
        if edges.is_empty() || ys.len() < 2 {
            // Degenerate (no area): contains nothing.
            return Self {
                min: [f64::INFINITY; 2],
                max: [f64::NEG_INFINITY; 2],
                ys: Vec::new(),
                size: 1,
                offsets: vec![0, 0, 0],
                order: Vec::new(),
                edges: Vec::new(),
            };
        }
        let leaves = ys.len() - 1;
        let size = leaves.next_power_of_two();
        let slab = |y: f64| ys.partition_point(|&v| v < y);
        // (node, edge) for every node an edge spans, by the usual bottom-up
        // decomposition of the leaf range [lo, hi).
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 2);
        for (i, e) in edges.iter().enumerate() {
            let (lo, hi) = (slab(e[1].min(e[3])), slab(e[1].max(e[3])));
            let (mut l, mut r) = (lo + size, hi + size);
            while l < r {
                if l & 1 == 1 {
                    pairs.push((l as u32, i as u32));
                    l += 1;
                }
                if r & 1 == 1 {
                    r -= 1;
                    pairs.push((r as u32, i as u32));
                }
                l >>= 1;
                r >>= 1;
            }
        }
        // Counting sort by node (CSR), then each node's edges west to east
        // at the middle of its latitude range.
        let nodes = 2 * size;
        let mut offsets = vec![0u32; nodes + 1];
        for &(v, _) in &pairs {
            offsets[v as usize + 1] += 1;
        }
        for v in 0..nodes {
            offsets[v + 1] += offsets[v];
        }
        let mut fill = offsets.clone();
        let mut order = vec![0u32; pairs.len()];
        for &(v, i) in &pairs {
            order[fill[v as usize] as usize] = i;
            fill[v as usize] += 1;
        }
        let depth = size.trailing_zeros();
        for v in 1..nodes {
            let slice = &mut order[offsets[v] as usize..offsets[v + 1] as usize];
            if slice.len() < 2 {
                continue;
            }
            // Node v covers leaves [first, first + span).
            let level = usize::BITS - 1 - v.leading_zeros();
            let span = 1usize << (depth - level);
            let first = (v << (depth - level)) - size;
            let (lo, hi) = (ys[first], ys[(first + span).min(leaves)]);
            let mid = lo + (hi - lo) / 2.0;
            slice.sort_by(|&a, &b| {
                x_at(&edges[a as usize], mid).total_cmp(&x_at(&edges[b as usize], mid))
            });
        }
        Self {
            min,
            max,
            ys,
            size,
            offsets,
            order,
            edges,
        }
    }

    /// The polygon's bounding box as (`[min_lon, min_lat]`,
    /// `[max_lon, max_lat]`).
    pub(crate) fn bbox(&self) -> ([f64; 2], [f64; 2]) {
        (self.min, self.max)
    }

    /// Edge copies stored (for tests: memory stays near-linear).
    #[cfg(test)]
    pub(crate) fn copies(&self) -> usize {
        self.order.len()
    }

    /// Even-odd test: is (x, y) inside the polygon?
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        if !(x >= self.min[0] && x <= self.max[0] && y >= self.min[1] && y <= self.max[1]) {
            return false;
        }
        // Leaf i holds ys[i] <= y < ys[i + 1]: an edge straddles y when
        // min_y <= y < max_y, the half-open rule of the even-odd test.
        let i = self.ys.partition_point(|&v| v <= y);
        if i == 0 || i >= self.ys.len() {
            return false;
        }
        let mut v = i - 1 + self.size;
        let mut inside = false;
        while v >= 1 {
            let slice = &self.order[self.offsets[v] as usize..self.offsets[v + 1] as usize];
            // Edges east of the point: the tail of the west-to-east order.
            let west = slice.partition_point(|&e| x >= x_at(&self.edges[e as usize], y));
            if (slice.len() - west) % 2 == 1 {
                inside = !inside;
            }
            v >>= 1;
        }
        inside
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::{Contains, LineString, Point, Polygon};

    /// A seeded xorshift, so failures reproduce.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub(crate) fn next_f64(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A star-shaped (hence simple) ring of `n` vertices around (cx, cy).
    pub(crate) fn star(rng: &mut Rng, cx: f64, cy: f64, r: f64, n: usize) -> LineString<f64> {
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = r * (0.4 + 0.6 * rng.next_f64());
                (cx + rr * a.cos(), cy + rr * a.sin())
            })
            .collect();
        pts.push(pts[0]);
        LineString::from(pts)
    }

    /// A star-shaped ring of `n` vertices whose radius wanders smoothly with
    /// a little jitter, more like a real zone boundary than [`star`].
    pub(crate) fn coastline(rng: &mut Rng, cx: f64, cy: f64, r: f64, n: usize) -> LineString<f64> {
        let (p1, p2) = (rng.next_f64() * 6.0, rng.next_f64() * 6.0);
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let k = 0.7
                    + 0.12 * (3.0 * a + p1).sin()
                    + 0.1 * (11.0 * a + p2).sin()
                    + 0.03 * rng.next_f64();
                (cx + r * k * a.cos(), cy + r * k * a.sin())
            })
            .collect();
        pts.push(pts[0]);
        LineString::from(pts)
    }

    #[test]
    fn agrees_with_geo_contains() {
        let mut rng = Rng(0x5eed);
        for n in [3, 10, 100, 2000, 2001] {
            let ext = if n % 2 == 0 {
                star(&mut rng, 10.0, 5.0, 2.0, n)
            } else {
                coastline(&mut rng, 10.0, 5.0, 2.0, n)
            };
            let hole = star(&mut rng, 10.0, 5.0, 0.3, 7);
            let poly = Polygon::new(ext, vec![hole]);
            let idx = PolyIndex::new(&poly);
            assert!(idx.copies() >= n / 2);
            for _ in 0..5000 {
                let (x, y) = (7.5 + 5.0 * rng.next_f64(), 2.5 + 5.0 * rng.next_f64());
                assert_eq!(
                    idx.contains(x, y),
                    poly.contains(&Point::new(x, y)),
                    "n={n} at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn long_edges_do_not_blow_up_memory() {
        // A comb: 500 teeth, each with two edges spanning the full height.
        let mut pts = vec![(0.0, 0.0)];
        for i in 0..500 {
            let x = i as f64 * 0.01;
            pts.extend([(x, 10.0), (x + 0.005, 10.0), (x + 0.005, 0.5)]);
        }
        pts.extend([(5.0, 0.5), (5.0, 0.0), (0.0, 0.0)]);
        let poly = Polygon::new(LineString::from(pts), vec![]);
        let idx = PolyIndex::new(&poly);
        assert!(idx.copies() <= 4 * 2000 + 16, "{}", idx.copies());
        assert!(idx.contains(0.002, 5.0));
        assert!(!idx.contains(0.007, 5.0));
        assert!(idx.contains(0.007, 0.2));
    }

    /// A comb of `teeth` long teeth (4 vertices each) over 0..10 × 0..10;
    /// `upright`: long vertical edges (a "vertical zig-zag").
    pub(crate) fn comb(teeth: usize, upright: bool) -> Polygon<f64> {
        let p = 10.0 / teeth as f64;
        let mut pts = vec![(0.01, 0.0)];
        for k in 0..teeth {
            let y0 = k as f64 * p;
            let y1 = y0 + p / 2.0;
            pts.extend([(10.0, y0), (10.0, y1), (0.01, y1), (0.01, y0 + p)]);
        }
        pts.extend([(0.0, 10.0), (0.0, 0.0), (0.01, 0.0)]);
        if upright {
            pts = pts.into_iter().map(|(x, y)| (y, x)).collect();
        }
        Polygon::new(LineString::from(pts), vec![])
    }

    impl PolyIndex {
        /// Edges a query at (x, y) looks at: binary-search probes on its
        /// leaf-to-root path.
        fn probes(&self, y: f64) -> usize {
            let i = self.ys.partition_point(|&v| v <= y);
            if i == 0 || i >= self.ys.len() {
                return 0;
            }
            let mut v = i - 1 + self.size;
            let mut n = 0;
            while v >= 1 {
                let len = (self.offsets[v + 1] - self.offsets[v]) as usize;
                n += (usize::BITS - len.leading_zeros()) as usize;
                v >>= 1;
            }
            n
        }
    }

    /// A zig-zag of long edges, horizontal or vertical, costs a query
    /// O(log² n) edges (not every edge in every band), and answers stay
    /// exact.
    #[test]
    fn combs_cost_logarithmic_lookups_and_agree_with_geo() {
        let mut rng = Rng(0xc0b);
        for upright in [false, true] {
            let poly = comb(5_000, upright);
            let idx = PolyIndex::new(&poly);
            assert!(idx.copies() <= 4 * 20_004, "{}", idx.copies());
            let mut worst = 0;
            for _ in 0..300 {
                let (x, y) = (10.0 * rng.next_f64(), 10.0 * rng.next_f64());
                worst = worst.max(idx.probes(y));
                assert_eq!(
                    idx.contains(x, y),
                    poly.contains(&Point::new(x, y)),
                    "upright={upright} at ({x}, {y})"
                );
            }
            // 15 levels × ≤ 16 probes (a banded index would read ~20,000).
            assert!(worst <= 15 * 16, "upright={upright}: {worst} probes");
        }
    }

    #[test]
    fn degenerate_and_outside() {
        let flat = Polygon::new(LineString::from(vec![(0., 0.), (1., 0.), (0., 0.)]), vec![]);
        let idx = PolyIndex::new(&flat);
        assert!(!idx.contains(0.5, 0.0));
        let sq = Polygon::new(
            LineString::from(vec![(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]),
            vec![],
        );
        let idx = PolyIndex::new(&sq);
        assert!(idx.contains(0.5, 0.5));
        assert!(!idx.contains(f64::NAN, 0.5));
        assert!(!idx.contains(1.5, 0.5));
    }
}
