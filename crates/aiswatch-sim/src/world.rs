//! Geography of the simulated area and vessel motion: rectangles, stations,
//! straight legs and the path builders that script each vessel.
//!
//! Legs are straight in lon/lat (a rhumb-line approximation that is exact
//! enough over tens of kilometres near the equator). Speeds are derived
//! from the haversine length of a leg, so positions and reported speeds
//! agree to the resolution of the AIS fields.

use aiswatch_core::rng::Rng;

/// A point, (lon, lat) degrees.
pub(crate) type Pt = (f64, f64);

/// Mean Earth radius, metres (the same as geo's `Haversine`).
const EARTH_R_M: f64 = 6_371_008.8;
/// Metres per degree of latitude on that sphere.
const M_PER_DEG: f64 = EARTH_R_M * std::f64::consts::PI / 180.0;
/// Metres per second in one knot.
pub(crate) const KN: f64 = 1852.0 / 3600.0;

/// Great-circle distance, metres.
pub(crate) fn distance_m(a: Pt, b: Pt) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_R_M * h.sqrt().min(1.0).asin()
}

/// Initial bearing from `a` to `b`, degrees clockwise from north (local flat approximation).
pub(crate) fn bearing_deg(a: Pt, b: Pt) -> f64 {
    let c = ((a.1 + b.1) / 2.0).to_radians().cos();
    let dx = (b.0 - a.0) * c;
    let dy = b.1 - a.1;
    dx.atan2(dy).to_degrees().rem_euclid(360.0)
}

/// The point `dist_m` metres from `a` on `bearing` degrees.
pub(crate) fn offset(a: Pt, bearing: f64, dist_m: f64) -> Pt {
    let th = bearing.to_radians();
    let dlat = dist_m * th.cos() / M_PER_DEG;
    let dlon = dist_m * th.sin() / (M_PER_DEG * a.1.to_radians().cos());
    (a.0 + dlon, a.1 + dlat)
}

/// A lon/lat box.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rect {
    pub lon0: f64,
    pub lon1: f64,
    pub lat0: f64,
    pub lat1: f64,
}

impl Rect {
    pub fn contains(&self, p: Pt) -> bool {
        (self.lon0..=self.lon1).contains(&p.0) && (self.lat0..=self.lat1).contains(&p.1)
    }

    pub fn center(&self) -> Pt {
        ((self.lon0 + self.lon1) / 2.0, (self.lat0 + self.lat1) / 2.0)
    }

    pub fn random(&self, rng: &mut Rng) -> Pt {
        (
            rng.range(self.lon0, self.lon1),
            rng.range(self.lat0, self.lat1),
        )
    }

    /// Closed GeoJSON ring, counter-clockwise.
    pub fn ring(&self) -> Vec<[f64; 2]> {
        vec![
            [self.lon0, self.lat0],
            [self.lon1, self.lat0],
            [self.lon1, self.lat1],
            [self.lon0, self.lat1],
            [self.lon0, self.lat0],
        ]
    }
}

/// Everything moves inside this box (every point of it is within range of a station).
pub(crate) const WORLD: Rect = Rect {
    lon0: 1.0,
    lon1: 5.0,
    lat0: 2.5,
    lat1: 5.5,
};
/// The patrol zone `sim-patrol`.
pub(crate) const PATROL: Rect = Rect {
    lon0: 2.0,
    lon1: 4.0,
    lat0: 3.0,
    lat1: 5.0,
};
/// The port zone `sim-port` (inside the patrol zone, near its north edge).
pub(crate) const PORT: Rect = Rect {
    lon0: 3.0,
    lon1: 3.2,
    lat0: 4.75,
    lat1: 4.95,
};
/// Where scripted behaviour happens: inside the patrol zone, clear of the
/// port, and heard by a station other than the one that has an outage.
pub(crate) const SAFE: Rect = Rect {
    lon0: 2.1,
    lon1: 3.9,
    lat0: 3.8,
    lat1: 4.55,
};
/// Centres of slow events (loitering, rendezvous): far enough inside
/// [`SAFE`] that hours of drift stay in the patrol zone.
pub(crate) const SLOW: Rect = Rect {
    lon0: 2.25,
    lon1: 3.75,
    lat0: 3.9,
    lat1: 4.45,
};

/// A receiving station: id and position.
pub(crate) struct Station {
    pub id: &'static str,
    pub pos: Pt,
}

/// The receivers, one per quadrant of [`WORLD`].
pub(crate) const STATIONS: [Station; 4] = [
    Station {
        id: "sim-st1",
        pos: (2.0, 4.75),
    },
    Station {
        id: "sim-st2",
        pos: (4.0, 4.75),
    },
    Station {
        id: "sim-st3",
        pos: (2.0, 3.25),
    },
    Station {
        id: "sim-st4",
        pos: (4.0, 3.25),
    },
];
/// A station hears every transmission within this range.
pub(crate) const RANGE_M: f64 = 160_000.0;
/// Index in [`STATIONS`] of the station that goes down for the outage trap.
pub(crate) const OUTAGE_STATION: usize = 3;

/// One straight leg at constant speed, `t0..t1` seconds from the run start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub t0: f64,
    pub t1: f64,
    pub a: Pt,
    pub b: Pt,
    /// Navigational status; 1 (at anchor) makes the vessel swing round `a`.
    pub status: u8,
}

impl Seg {
    fn at(&self, t: f64) -> Pt {
        let f = if self.t1 > self.t0 {
            ((t - self.t0) / (self.t1 - self.t0)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (
            self.a.0 + (self.b.0 - self.a.0) * f,
            self.a.1 + (self.b.1 - self.a.1) * f,
        )
    }

    fn speed_kn(&self) -> f64 {
        if self.t1 > self.t0 {
            distance_m(self.a, self.b) / (self.t1 - self.t0) / KN
        } else {
            0.0
        }
    }
}

/// Where a vessel is at an instant and how it moves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Motion {
    pub pos: Pt,
    pub sog_kn: f64,
    pub cog: f64,
    pub status: u8,
}

/// Position and motion at `t` on a path of contiguous legs.
pub(crate) fn motion_at(path: &[Seg], t: f64) -> Motion {
    let i = path.partition_point(|s| s.t1 <= t).min(path.len() - 1);
    let s = &path[i];
    Motion {
        pos: s.at(t),
        sog_kn: s.speed_kn(),
        cog: if s.a == s.b {
            0.0
        } else {
            bearing_deg(s.a, s.b)
        },
        status: s.status,
    }
}

/// Keeps the parts of `path` within `t0..t1`, cutting the end legs.
pub(crate) fn clip(path: &[Seg], t0: f64, t1: f64) -> Vec<Seg> {
    path.iter()
        .filter(|s| s.t1 > t0 && s.t0 < t1)
        .map(|s| {
            let (c0, c1) = (s.t0.max(t0), s.t1.min(t1));
            Seg {
                t0: c0,
                t1: c1,
                a: s.at(c0),
                b: s.at(c1),
                status: s.status,
            }
        })
        .collect()
}

/// Moves every point of `path` by `d_m` metres on `bearing`.
pub(crate) fn shift(path: &[Seg], bearing: f64, d_m: f64) -> Vec<Seg> {
    path.iter()
        .map(|s| Seg {
            a: offset(s.a, bearing, d_m),
            b: offset(s.b, bearing, d_m),
            ..*s
        })
        .collect()
}

/// Transit speed of an under-way leg, knots.
fn transit_kn(rng: &mut Rng) -> f64 {
    rng.range(8.0, 16.0)
}

/// Legs that end at `p` at time `t_arr`, built backwards from there to
/// before the run start. The last leg arrives on `last_bearing` at
/// `last_speed_kn` when given. Every waypoint lies in [`WORLD`].
pub(crate) fn approach(
    rng: &mut Rng,
    p: Pt,
    t_arr: f64,
    last_bearing: Option<f64>,
    last_speed_kn: Option<f64>,
) -> Vec<Seg> {
    let mut segs = Vec::new();
    let (mut cur, mut t, mut first) = (p, t_arr, true);
    while t > -60.0 {
        let speed = match (first, last_speed_kn) {
            (true, Some(s)) => s,
            _ => transit_kn(rng),
        };
        let mut prev = None;
        for _ in 0..40 {
            let brg = match (first, last_bearing) {
                (true, Some(b)) => b,
                _ => rng.range(0.0, 360.0),
            };
            let cand = offset(cur, brg + 180.0, rng.range(20e3, 60e3));
            if WORLD.contains(cand) {
                prev = Some(cand);
                break;
            }
        }
        let prev = prev.unwrap_or_else(|| offset(cur, bearing_deg(cur, WORLD.center()), 20e3));
        let dur = distance_m(prev, cur) / (speed * KN);
        segs.push(Seg {
            t0: t - dur,
            t1: t,
            a: prev,
            b: cur,
            status: 0,
        });
        cur = prev;
        t -= dur;
        first = false;
    }
    segs.reverse();
    segs
}

/// How a vessel leaves a point.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Departure {
    /// First leg on this bearing (20–40 km) …
    pub bearing: Option<f64>,
    /// … at this speed.
    pub speed_kn: Option<f64>,
    /// Number of first legs whose waypoints lie in [`SAFE`].
    pub safe_legs: usize,
}

/// Legs from `p` at time `t` until after `end`: transit at 8–16 kn between
/// random waypoints of [`WORLD`] (the first `safe_legs` in [`SAFE`], at
/// least 25 km apart).
pub(crate) fn depart(rng: &mut Rng, p: Pt, t: f64, how: Departure, end: f64) -> Vec<Seg> {
    let mut segs = Vec::new();
    let (mut cur, mut t, mut k) = (p, t, 0usize);
    while t < end + 60.0 {
        let first = k == 0;
        let speed = match (first, how.speed_kn) {
            (true, Some(s)) => s,
            _ => transit_kn(rng),
        };
        let next = match (first, how.bearing) {
            (true, Some(b)) => offset(cur, b, rng.range(20e3, 40e3)),
            _ => {
                let (area, min_m) = if k < how.safe_legs {
                    (SAFE, 25e3)
                } else {
                    (WORLD, 30e3)
                };
                let mut q = area.random(rng);
                for _ in 0..50 {
                    if distance_m(cur, q) >= min_m {
                        break;
                    }
                    q = area.random(rng);
                }
                q
            }
        };
        let dur = distance_m(cur, next) / (speed * KN);
        segs.push(Seg {
            t0: t,
            t1: t + dur,
            a: cur,
            b: next,
            status: 0,
        });
        cur = next;
        t += dur;
        k += 1;
    }
    segs
}

/// Slow drift from `p` over `t0..t1`: legs of 20–40 min at 0.2–1.5 kn,
/// heading roughly towards the middle of [`SAFE`] and wandering ±30° a leg.
pub(crate) fn drift(rng: &mut Rng, p: Pt, t0: f64, t1: f64) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut heading = bearing_deg(p, SAFE.center()) + rng.range(-60.0, 60.0);
    let (mut cur, mut t) = (p, t0);
    while t < t1 {
        let dur = rng.range(1200.0, 2400.0).min(t1 - t);
        let speed = rng.range(0.25, 1.45);
        heading += rng.range(-30.0, 30.0);
        let next = offset(cur, heading, speed * KN * dur);
        segs.push(Seg {
            t0: t,
            t1: t + dur,
            a: cur,
            b: next,
            status: 0,
        });
        cur = next;
        t += dur;
    }
    segs
}

/// Stations that can hear a transmission from `p` (ignoring outages).
pub(crate) fn stations_in_range(p: Pt) -> impl Iterator<Item = (usize, f64)> {
    STATIONS
        .iter()
        .enumerate()
        .map(move |(i, s)| (i, distance_m(p, s.pos)))
        .filter(|&(_, d)| d <= RANGE_M)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_is_fully_covered_and_safe_area_survives_the_outage() {
        let steps = 80;
        for i in 0..=steps {
            for j in 0..=steps {
                let f = |a: f64, b: f64, k: usize| a + (b - a) * k as f64 / steps as f64;
                let p = (f(WORLD.lon0, WORLD.lon1, i), f(WORLD.lat0, WORLD.lat1, j));
                assert!(stations_in_range(p).count() >= 1, "{p:?} not covered");
                // Slow events drift up to ~15 km out of SAFE.
                let q = (f(SAFE.lon0, SAFE.lon1, i), f(SAFE.lat0 - 0.1, SAFE.lat1, j));
                assert!(
                    stations_in_range(q).any(|(s, d)| s != OUTAGE_STATION && d < RANGE_M - 5e3),
                    "{q:?} depends on the outage station"
                );
            }
        }
        assert!(PATROL.contains(PORT.center()) && PATROL.contains((SAFE.lon0, SAFE.lat0)));
    }

    #[test]
    fn motion_and_paths() {
        let mut rng = Rng::new(3);
        let p = SAFE.center();
        let a = approach(&mut rng, p, 3600.0, Some(90.0), Some(12.0));
        assert!(a[0].t0 <= -60.0);
        let m = motion_at(&a, 3599.0);
        assert!((m.sog_kn - 12.0).abs() < 1e-6 && (m.cog - 90.0).abs() < 0.5);
        assert!(distance_m(m.pos, p) < 10.0);
        assert!(a.iter().all(|s| WORLD.contains(s.a) && WORLD.contains(s.b)));
        let d = depart(&mut rng, p, 100.0, Departure::default(), 7200.0);
        assert!(d.last().unwrap().t1 >= 7200.0);
        let dr = drift(&mut rng, p, 0.0, 4.0 * 3600.0);
        for s in &dr {
            assert!((0.2..1.5).contains(&s.speed_kn()));
        }
        let c = clip(&dr, 600.0, 3000.0);
        assert_eq!(c[0].t0, 600.0);
        assert!((distance_m(motion_at(&dr, 600.0).pos, c[0].a)) < 1e-6);
    }
}
