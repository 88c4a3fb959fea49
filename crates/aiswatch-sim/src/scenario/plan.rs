//! Planning: the vessels, their paths and silences, and what is scripted
//! (events and traps) over the run.

use std::collections::BTreeSet;

use super::{Plan, Scenario, Vessel, H, MIN};
use crate::encode::{Dims, StaticA, StaticB};
use crate::world::{
    self, approach, clip, depart, distance_m, drift, motion_at, offset, shift, Departure, Pt, Seg,
    PORT, SAFE, SLOW, WORLD,
};
use crate::SimConfig;
use aiswatch_core::rng::Rng;

const MIDS: [u32; 13] = [
    657, 627, 610, 613, 636, 538, 351, 371, 577, 229, 477, 256, 249,
];
const WORDS1: [&str; 12] = [
    "ATLANTIC", "BENIN", "NIGER", "VOLTA", "CORAL", "OCEAN", "GULF", "BONNY", "CAPE", "DELTA",
    "LAGOON", "EBUR",
];
const WORDS2: [&str; 12] = [
    "STAR", "PRIDE", "SPIRIT", "GLORY", "HOPE", "TRADER", "QUEEN", "VENTURE", "FORTUNE", "WAVE",
    "DAWN", "EXPRESS",
];
const PORTS: [&str; 7] = [
    "LAGOS",
    "LOME",
    "COTONOU",
    "TEMA",
    "ABIDJAN",
    "DOUALA",
    "PORT HARCOURT",
];
const CALL_PREFIX: [&str; 7] = ["5N", "9G", "5V", "TJ", "V7", "3E", "A8"];

pub(super) fn new_vessel(rng: &mut Rng, mmsis: &mut BTreeSet<u32>, class_b: bool) -> Vessel {
    let mut vr = rng.fork();
    let mmsi = loop {
        let m = rng.pick(&MIDS) * 1_000_000 + rng.below(1_000_000) as u32;
        if mmsis.insert(m) {
            break m;
        }
    };
    let name = format!(
        "{} {} {}",
        vr.pick(&WORDS1),
        vr.pick(&WORDS2),
        vr.int(1, 99)
    );
    let callsign = format!("{}{}", vr.pick(&CALL_PREFIX), vr.int(100, 9999));
    let (ship_type, len) = if class_b {
        (*vr.pick(&[37u8, 30, 36, 31]), vr.range(8.0, 24.0))
    } else {
        match vr.below(10) {
            0..=3 => (70, vr.range(120.0, 250.0)),
            4..=6 => (80, vr.range(100.0, 250.0)),
            7 => (52, vr.range(25.0, 35.0)),
            8 => (30, vr.range(20.0, 60.0)),
            _ => (60, vr.range(60.0, 150.0)),
        }
    };
    let beam = (len / 7.0).max(3.0);
    let dims = Dims {
        to_bow: (len * 0.8) as u16,
        to_stern: (len * 0.2).max(1.0) as u16,
        to_port: (beam / 2.0) as u8,
        to_starboard: (beam / 2.0).ceil() as u8,
    };
    let (static_a, static_b) = if class_b {
        let s = StaticB {
            mmsi,
            name,
            ship_type,
            vendor: "SIM".into(),
            model: 1,
            serial: vr.below(1 << 20) as u32,
            callsign,
            dims,
        };
        (None, Some(s))
    } else {
        let s = StaticA {
            mmsi,
            // Unique: two vessels sharing an IMO number is an identity
            // anomaly. IMO numbers (7 digits) never clash with MMSIs (9).
            imo: loop {
                let imo = 9_000_000 + vr.below(1_000_000) as u32;
                if mmsis.insert(imo) {
                    break imo;
                }
            },
            callsign,
            name,
            ship_type,
            dims,
            draught_m: vr.range(3.0, 13.0),
            destination: vr.pick(&PORTS).to_string(),
            eta: (1, vr.int(2, 28) as u8, vr.int(0, 23) as u8, 0),
        };
        (Some(s), None)
    };
    Vessel {
        mmsi,
        class_b,
        has_heading: !class_b || vr.chance(0.5),
        path: Vec::new(),
        silences: Vec::new(),
        renames: Vec::new(),
        heading_off: Vec::new(),
        glitch: None,
        static_a,
        static_b,
        rng: vr,
    }
}

/// Counts of scripted items for a run of `hours` with `vessels` vessels.
#[derive(Debug, Clone, Copy)]
struct Counts {
    events: usize,
    port: usize,
    fast: usize,
    short: usize,
}

impl Counts {
    fn for_events(n: usize) -> Counts {
        if n == 0 {
            return Counts {
                events: 0,
                port: 0,
                fast: 0,
                short: 0,
            };
        }
        Counts {
            events: n,
            port: (n + 2).min(6),
            fast: n.div_ceil(2),
            short: (2 * n).div_ceil(3),
        }
    }

    fn vessels(&self) -> usize {
        4 * self.events + self.port + 2 * self.fast + self.short
    }
}

/// When the `i`-th of `n` events lasting `dur` s starts: spread over the
/// run, clear of its first and last 45 minutes. `None` if it cannot fit.
pub(super) fn slot(rng: &mut Rng, i: usize, n: usize, dur: f64, horizon: f64) -> Option<f64> {
    let (lo, hi) = (0.75 * H, horizon - dur - 0.75 * H);
    (hi >= lo).then(|| lo + (i as f64 + rng.range(0.15, 0.85)) / n as f64 * (hi - lo))
}

/// A duration in `[lo, hi)` h that fits the run, or `None`.
pub(super) fn duration(rng: &mut Rng, lo: f64, hi: f64, horizon: f64) -> Option<f64> {
    let max = horizon - 1.5 * H;
    (max >= lo * H).then(|| rng.range(lo * H, hi * H).min(max))
}

/// Slow events already placed: (t0, t1, centre).
type Occupied = Vec<(f64, f64, Pt)>;

/// A centre for a slow event over `t0..t1`, at least 20 km from every
/// other slow event within an hour of it and 35 km from the port.
fn slow_spot(rng: &mut Rng, occ: &Occupied, t0: f64, t1: f64) -> Pt {
    let mut p = SLOW.random(rng);
    for _ in 0..500 {
        let clear = occ
            .iter()
            .filter(|(a, b, _)| *a < t1 + H && t0 - H < *b)
            .all(|(_, _, q)| distance_m(p, *q) >= 20e3)
            && distance_m(p, PORT.center()) >= 35e3;
        if clear {
            break;
        }
        p = SLOW.random(rng);
    }
    p
}

/// A point of [`SAFE`] 10–40 km from `p`.
fn safe_near(rng: &mut Rng, p: Pt) -> Pt {
    for _ in 0..200 {
        let q = offset(p, rng.range(0.0, 360.0), rng.range(10e3, 40e3));
        if SAFE.contains(q) {
            return q;
        }
    }
    SAFE.center()
}

/// Plans the whole run.
pub(crate) fn plan(cfg: &SimConfig, rng: &mut Rng) -> Scenario {
    let horizon = (cfg.hours.max(0.0) * H).round();
    let mut mmsis = BTreeSet::new();
    let mut vessels: Vec<Vessel> = Vec::new();
    let mut plans = Vec::new();
    let mut occ: Occupied = Vec::new();

    // Up to half the fleet is scripted; the rest is background traffic.
    let mut n = (cfg.hours / 2.0).round().max(1.0) as usize;
    while n > 0 && Counts::for_events(n).vessels() > cfg.vessels / 2 {
        n -= 1;
    }
    let counts = Counts::for_events(n);
    let class_b = |rng: &mut Rng| rng.chance(0.15);
    let next = |vessels: &mut Vec<Vessel>, rng: &mut Rng, mmsis: &mut BTreeSet<u32>, b: bool| {
        vessels.push(new_vessel(rng, mmsis, b));
        vessels.len() - 1
    };

    // Receiver outage: 3 h (less on short runs) from 40 % into the run.
    let outage = (cfg.hours >= 4.0).then(|| {
        let t0 = (0.4 * horizon).round();
        (t0, t0 + (3.0 * H).min(0.3 * horizon).round())
    });

    // Dark periods: silent 2.5–6 h inside the patrol zone, then reappear nearby.
    for i in 0..counts.events {
        let Some(dur) = duration(rng, 2.5, 6.0, horizon) else {
            break;
        };
        let Some(t0) = slot(rng, i, counts.events, dur, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + dur).round());
        let b = class_b(rng);
        let v = next(&mut vessels, rng, &mut mmsis, b);
        let vr = &mut vessels[v].rng;
        let p = SAFE.random(vr);
        let q = safe_near(vr, p);
        let mut path = approach(vr, p, t0, None, None);
        path.push(Seg {
            t0,
            t1,
            a: p,
            b: q,
            status: 0,
        });
        let how = Departure {
            safe_legs: 1,
            ..Default::default()
        };
        path.extend(depart(vr, q, t1, how, horizon));
        vessels[v].path = path;
        vessels[v].silences.push((t0, t1));
        plans.push(Plan::Dark { v, t0, t1 });
    }

    // Loitering: 1.5–4 h drifting at 0.2–1.5 kn.
    for i in 0..counts.events {
        let Some(dur) = duration(rng, 1.5, 4.0, horizon) else {
            break;
        };
        let Some(t0) = slot(rng, i, counts.events, dur, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + dur).round());
        let b = class_b(rng);
        let v = next(&mut vessels, rng, &mut mmsis, b);
        let p = slow_spot(rng, &occ, t0, t1);
        occ.push((t0, t1, p));
        let vr = &mut vessels[v].rng;
        let mut path = approach(vr, p, t0, None, None);
        let d = drift(vr, p, t0, t1);
        let end = d.last().map_or(p, |s| s.b);
        path.extend(d);
        let how = Departure {
            safe_legs: 1,
            ..Default::default()
        };
        path.extend(depart(vr, end, t1, how, horizon));
        vessels[v].path = path;
        plans.push(Plan::Loiter { v, t0, t1 });
    }

    // Rendezvous: A stops, B arrives 0–20 min later 50–250 m away, they drift
    // together for 2.5–5 h, A leaves, B follows 0–15 min later.
    for i in 0..counts.events {
        let Some(dur) = duration(rng, 2.5, 5.0, horizon) else {
            break;
        };
        let (lag_in, lag_out) = (rng.range(0.0, 20.0 * MIN), rng.range(0.0, 15.0 * MIN));
        let total = dur + lag_in + lag_out;
        let Some(t0) = slot(rng, i, counts.events, total, horizon) else {
            break;
        };
        let t0 = t0.round();
        let (tb0, ta1, tb1) = (
            (t0 + lag_in).round(),
            (t0 + lag_in + dur).round(),
            (t0 + total).round(),
        );
        let p = slow_spot(rng, &occ, t0, tb1);
        occ.push((t0, tb1, p));
        let ba = class_b(rng);
        let a = next(&mut vessels, rng, &mut mmsis, ba);
        let bb = class_b(rng);
        let b = next(&mut vessels, rng, &mut mmsis, bb);
        let d = drift(rng, p, t0, tb1);
        let (off_brg, off_m) = (rng.range(0.0, 360.0), rng.range(50.0, 250.0));
        let how = Departure {
            safe_legs: 1,
            ..Default::default()
        };
        {
            let vr = &mut vessels[a].rng;
            let mut path = approach(vr, p, t0, None, None);
            path.extend(clip(&d, t0, ta1));
            let end = motion_at(&d, ta1).pos;
            path.extend(depart(vr, end, ta1, how, horizon));
            vessels[a].path = path;
        }
        {
            let vr = &mut vessels[b].rng;
            let meet = offset(motion_at(&d, tb0).pos, off_brg, off_m);
            let mut path = approach(vr, meet, tb0, None, None);
            path.extend(shift(&clip(&d, tb0, tb1), off_brg, off_m));
            let end = offset(motion_at(&d, tb1).pos, off_brg, off_m);
            path.extend(depart(vr, end, tb1, how, horizon));
            vessels[b].path = path;
        }
        plans.push(Plan::Loiter { v: a, t0, t1: ta1 });
        plans.push(Plan::Loiter {
            v: b,
            t0: tb0,
            t1: tb1,
        });
        plans.push(Plan::Rendezvous {
            a,
            b,
            t0: tb0,
            t1: ta1,
        });
    }

    // Anchored in port all run; the first two 150–300 m apart.
    let mut anchors: Vec<Pt> = Vec::new();
    let inner = world::Rect {
        lon0: PORT.lon0 + 0.02,
        lon1: PORT.lon1 - 0.02,
        lat0: PORT.lat0 + 0.02,
        lat1: PORT.lat1 - 0.02,
    };
    let mut port_vs = Vec::new();
    for k in 0..counts.port {
        let v = next(&mut vessels, rng, &mut mmsis, false);
        let p = if k == 1 {
            offset(anchors[0], rng.range(0.0, 360.0), rng.range(150.0, 300.0))
        } else {
            let mut p = inner.random(rng);
            for _ in 0..200 {
                if anchors.iter().all(|q| distance_m(p, *q) >= 1000.0) {
                    break;
                }
                p = inner.random(rng);
            }
            p
        };
        anchors.push(p);
        vessels[v].path = vec![Seg {
            t0: -H,
            t1: horizon + H,
            a: p,
            b: p,
            status: 1,
        }];
        port_vs.push(v);
    }
    if !port_vs.is_empty() {
        plans.push(Plan::PortAnchor { vs: port_vs });
    }

    // Fast passes: two vessels at 10–15 kn on near-opposite courses, 50–150 m abeam.
    for i in 0..counts.fast {
        let (lo, hi) = (0.5 * H, horizon - 0.5 * H);
        if hi <= lo {
            break;
        }
        let t = (lo + (i as f64 + rng.range(0.2, 0.8)) / counts.fast as f64 * (hi - lo)).round();
        let x = SAFE.random(rng);
        let th = rng.range(0.0, 360.0);
        let xb = offset(x, th + 90.0, rng.range(50.0, 150.0));
        let thb = th + 180.0 + rng.range(-30.0, 30.0);
        let a = next(&mut vessels, rng, &mut mmsis, false);
        let b = next(&mut vessels, rng, &mut mmsis, false);
        for (v, p, brg) in [(a, x, th), (b, xb, thb)] {
            let vr = &mut vessels[v].rng;
            let s = vr.range(10.0, 15.0);
            let mut path = approach(vr, p, t, Some(brg), Some(s));
            let how = Departure {
                bearing: Some(brg),
                speed_kn: Some(s),
                safe_legs: 0,
            };
            path.extend(depart(vr, p, t, how, horizon));
            vessels[v].path = path;
        }
        plans.push(Plan::FastPass { a, b, t });
    }

    // Short gaps: 20–60 min of silence while transiting the patrol zone.
    for i in 0..counts.short {
        let g = rng.range(20.0 * MIN, 60.0 * MIN);
        let Some(t0) = slot(rng, i, counts.short, g, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + g).round());
        let b = class_b(rng);
        let v = next(&mut vessels, rng, &mut mmsis, b);
        let vr = &mut vessels[v].rng;
        let p = SAFE.random(vr);
        let mut path = approach(vr, p, t0, None, None);
        let how = Departure {
            safe_legs: 2,
            ..Default::default()
        };
        path.extend(depart(vr, p, t0, how, horizon));
        vessels[v].path = path;
        vessels[v].silences.push((t0, t1));
        plans.push(Plan::ShortGap { v, t0, t1 });
    }

    // Identity changes, drifting and fishing (their own random stream).
    let budget = (cfg.vessels / 2).saturating_sub(vessels.len());
    let xplans = super::behaviour::plan_more(cfg, budget, horizon, &mut vessels, &mut mmsis);

    // Speeding in the port approach (its own random stream too).
    let budget = (cfg.vessels / 2).saturating_sub(vessels.len());
    let splans = super::speeding::plan(cfg, budget, horizon, &mut vessels, &mut mmsis);

    // Background traffic: transit between random waypoints, never slow.
    while vessels.len() < cfg.vessels {
        let b = class_b(rng);
        let v = next(&mut vessels, rng, &mut mmsis, b);
        let vr = &mut vessels[v].rng;
        let p = WORLD.random(vr);
        let t = -vr.range(0.0, 1800.0);
        vessels[v].path = depart(vr, p, t, Departure::default(), horizon);
    }

    Scenario {
        vessels,
        plans,
        xplans,
        splans,
        outage,
        horizon,
    }
}
