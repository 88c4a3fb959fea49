//! Fast point-in-polygon for big, static polygons.
//!
//! geo's `contains` walks every edge: O(n) per query, too slow for a few
//! hundred zones of thousands of vertices at a million reports a second. A
//! [`PolyIndex`] cuts the polygon's bounding box into horizontal bands and
//! keeps, per band, the edges whose y-range overlaps it. The even-odd ray
//! test (a ray from the point towards +x) only needs edges that straddle the
//! point's latitude, and all of those are in the point's band, so a query
//! reads one band: O(edges crossing that band) instead of O(n).
//!
//! The answer is exactly that of the full even-odd test over all rings
//! (holes included), because the same edges are tested with the same
//! arithmetic. Points exactly on an edge may fall either way.

/// One edge, as `[x0, y0, x1, y1]` (lon/lat degrees).
type Edge = [f64; 4];

/// Aim for at most this many edge copies per edge on average; long edges
/// that span many bands are copied into each.
const MAX_COPIES_PER_EDGE: usize = 4;

/// Never cut a polygon into more bands than this.
const MAX_BANDS: usize = 1 << 16;

/// A banded edge index of one polygon (exterior and holes together).
#[derive(Debug, Clone)]
pub(crate) struct PolyIndex {
    min: [f64; 2],
    max: [f64; 2],
    /// Bands per degree of latitude (0 when the box has no height).
    inv_h: f64,
    /// Band b holds `edges[offsets[b]..offsets[b + 1]]`.
    offsets: Vec<u32>,
    edges: Vec<Edge>,
}

impl PolyIndex {
    /// Builds the index of one polygon's rings. Each ring must be closed
    /// (geo's `Polygon` guarantees it).
    pub(crate) fn new(poly: &geo::Polygon<f64>) -> Self {
        let mut all: Vec<Edge> = Vec::new();
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
                    all.push([a.x, a.y, b.x, b.y]);
                }
            }
        }
        if all.is_empty() {
            // Degenerate (no area): contains nothing.
            return Self {
                min: [f64::INFINITY; 2],
                max: [f64::NEG_INFINITY; 2],
                inv_h: 0.0,
                offsets: vec![0, 0],
                edges: Vec::new(),
            };
        }
        let height = max[1] - min[1];
        let span = |inv_h: f64, bands: usize, e: &Edge| {
            let lo = band_of(e[1].min(e[3]), min[1], inv_h, bands);
            let hi = band_of(e[1].max(e[3]), min[1], inv_h, bands);
            (lo, hi)
        };
        // Largest band count (≤ one per edge) whose copies stay bounded.
        let mut bands = all.len().clamp(1, MAX_BANDS);
        let mut inv_h;
        loop {
            inv_h = if height > 0.0 {
                bands as f64 / height
            } else {
                0.0
            };
            let copies: usize = all
                .iter()
                .map(|e| {
                    let (lo, hi) = span(inv_h, bands, e);
                    hi - lo + 1
                })
                .sum();
            if bands == 1 || copies <= MAX_COPIES_PER_EDGE * all.len() {
                break;
            }
            bands /= 2;
        }
        // Counting sort of edge copies into bands (CSR layout).
        let mut counts = vec![0u32; bands + 1];
        for e in &all {
            let (lo, hi) = span(inv_h, bands, e);
            for c in &mut counts[lo..=hi] {
                *c += 1;
            }
        }
        let mut offsets = vec![0u32; bands + 1];
        for b in 0..bands {
            offsets[b + 1] = offsets[b] + counts[b];
        }
        let mut fill = offsets.clone();
        let mut edges = vec![[0.0; 4]; offsets[bands] as usize];
        for e in &all {
            let (lo, hi) = span(inv_h, bands, e);
            for f in &mut fill[lo..=hi] {
                edges[*f as usize] = *e;
                *f += 1;
            }
        }
        Self {
            min,
            max,
            inv_h,
            offsets,
            edges,
        }
    }

    /// The polygon's bounding box as (`[min_lon, min_lat]`,
    /// `[max_lon, max_lat]`).
    pub(crate) fn bbox(&self) -> ([f64; 2], [f64; 2]) {
        (self.min, self.max)
    }

    /// Number of bands (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn bands(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Even-odd test: is (x, y) inside the polygon?
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        if !(x >= self.min[0] && x <= self.max[0] && y >= self.min[1] && y <= self.max[1]) {
            return false;
        }
        let bands = self.offsets.len() - 1;
        let b = band_of(y, self.min[1], self.inv_h, bands);
        let slice = &self.edges[self.offsets[b] as usize..self.offsets[b + 1] as usize];
        let mut inside = false;
        for &[x0, y0, x1, y1] in slice {
            if (y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0) {
                inside = !inside;
            }
        }
        inside
    }
}

/// The band holding latitude `y`. Monotone in `y`, which is what makes an
/// edge's bands `band_of(min_y)..=band_of(max_y)` cover every latitude the
/// edge straddles.
#[inline]
fn band_of(y: f64, min_y: f64, inv_h: f64, bands: usize) -> usize {
    // `as usize` saturates: negatives and NaN become 0.
    (((y - min_y) * inv_h) as usize).min(bands - 1)
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
            assert!(idx.bands() >= 1);
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
        assert!(idx.edges.len() <= MAX_COPIES_PER_EDGE * 2000 + 16);
        assert!(idx.contains(0.002, 5.0));
        assert!(!idx.contains(0.007, 5.0));
        assert!(idx.contains(0.007, 0.2));
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
