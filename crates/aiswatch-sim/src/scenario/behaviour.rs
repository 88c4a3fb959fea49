//! Identity changes, identity conflicts, drifting and fishing in the closed
//! area, with their traps. Planned with a random stream of their own after
//! the other scripted events, so they leave the rest of a seed's scenario
//! as it was (only the background traffic is that many vessels smaller).
//!
//! - `identity_change` (truth): a vessel renamed twice, 30–50 min apart,
//!   while transiting the patrol zone (span: first rename to 7 min after
//!   the second, the time the next static report takes); and two
//!   transponders on one MMSI, 40 km or more apart, both in the patrol zone
//!   for 1–1.5 h (span: the second transmitter's first to last heard report).
//! - `trap_identity_correction`: a name completed once, 7–12 min after the
//!   vessel's first transmission (a crew fixing it at the start of a voyage).
//! - `drifting` (truth): 1–2.5 h pushed at 2.6–4 kn with the heading 55–125°
//!   off the course (first to last report of the drift).
//! - `trap_cross_current`: 2 h under way at 8–16 kn with the heading 15–35°
//!   off the course.
//! - `fishing` (truth, zone `sim-closed`): 2–3.5 h trawling in the closed
//!   area at 2.8–4.5 kn, turning 40–140° every 10–20 min; half report ship
//!   type 30, half type 0 (first to last report at 1–5 kn in the area).
//! - `trap_fishing_transit`: a ship type 30 crossing the closed area
//!   straight at 9–12 kn.

use std::collections::BTreeSet;

use super::plan::{duration, new_vessel, slot};
use super::{Emission, Item, Vessel, H, MIN};
use crate::world::{
    approach, bearing_deg, depart, distance_m, motion_at, offset, Departure, Rect, Seg, KN, SAFE,
    SLOW,
};
use crate::SimConfig;
use aiswatch_core::rng::Rng;

/// The closed area `sim-closed`: inside the patrol zone, south of [`SAFE`].
pub(crate) const CLOSED: Rect = Rect {
    lon0: 2.2,
    lon1: 3.2,
    lat0: 3.1,
    lat1: 3.6,
};
/// Where trawlers work, well inside [`CLOSED`].
const TRAWL: Rect = Rect {
    lon0: 2.35,
    lon1: 3.05,
    lat0: 3.22,
    lat1: 3.48,
};
/// Fishing speeds of the closed area's detector (knots).
const FISHING_KN: (f64, f64) = (1.0, 5.0);

/// What was scripted, with the vessels' indices.
pub(crate) enum XPlan {
    Rename { v: usize, at: [f64; 2] },
    Correction { v: usize, at: f64 },
    Conflict { b: usize },
    Drift { v: usize, t0: f64, t1: f64 },
    CrossCurrent { v: usize, t0: f64, t1: f64 },
    Trawl { v: usize, t0: f64, t1: f64 },
    FishTransit { v: usize, t: f64 },
}

#[derive(Debug, Clone, Copy, Default)]
struct XCounts {
    rename: usize,
    correction: usize,
    conflict: usize,
    drift: usize,
    cross: usize,
    trawl: usize,
    transit: usize,
}

impl XCounts {
    fn for_events(n: usize) -> XCounts {
        if n == 0 {
            return XCounts::default();
        }
        let half = n.div_ceil(2);
        XCounts {
            rename: half,
            correction: half,
            conflict: half,
            drift: n,
            cross: half,
            trawl: n,
            transit: half,
        }
    }

    fn vessels(&self) -> usize {
        self.rename
            + self.correction
            + 2 * self.conflict
            + self.drift
            + self.cross
            + self.trawl
            + self.transit
    }
}

/// The name a vessel broadcasts at `t`, if it was renamed by then.
pub(crate) fn name_at(renames: &[(f64, String)], t: f64) -> Option<&str> {
    renames
        .iter()
        .rev()
        .find(|(at, _)| *at <= t)
        .map(|(_, n)| n.as_str())
}

/// The heading offset from the course at `t` (0 outside every window).
pub(crate) fn heading_offset(w: &[(f64, f64, f64)], t: f64) -> f64 {
    w.iter()
        .find(|(a, b, _)| (*a..*b).contains(&t))
        .map_or(0.0, |w| w.2)
}

fn sign(rng: &mut Rng) -> f64 {
    if rng.chance(0.5) {
        1.0
    } else {
        -1.0
    }
}

/// Plans the events above with at most `budget` vessels, appended to `vessels`.
pub(crate) fn plan_more(
    cfg: &SimConfig,
    budget: usize,
    horizon: f64,
    vessels: &mut Vec<Vessel>,
    mmsis: &mut BTreeSet<u32>,
) -> Vec<XPlan> {
    let rng = &mut Rng::new(cfg.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut n = (cfg.hours / 2.0).round().max(1.0) as usize;
    while n > 0 && XCounts::for_events(n).vessels() > budget {
        n -= 1;
    }
    let c = XCounts::for_events(n);
    let mut plans = Vec::new();
    fn add(vessels: &mut Vec<Vessel>, rng: &mut Rng, mmsis: &mut BTreeSet<u32>) -> usize {
        vessels.push(new_vessel(rng, mmsis, false));
        vessels.len() - 1
    }
    let through_safe = Departure {
        safe_legs: 3,
        ..Default::default()
    };

    // Renamed twice while transiting the patrol zone.
    for i in 0..c.rename {
        let Some(t0) = slot(rng, i, c.rename, H, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vr = &mut vessels[v].rng;
        let p = SAFE.random(vr);
        let mut path = approach(vr, p, t0, None, None);
        path.extend(depart(vr, p, t0, through_safe, horizon));
        let r1 = t0 + 5.0 * MIN;
        let r2 = (r1 + vr.range(30.0, 50.0) * MIN).round();
        let names = [
            format!("NEW DAWN {}", vr.int(1, 99)),
            format!("SEA GRACE {}", vr.int(1, 99)),
        ];
        vessels[v].path = path;
        vessels[v].renames = vec![(r1, names[0].clone()), (r2, names[1].clone())];
        plans.push(XPlan::Rename { v, at: [r1, r2] });
    }

    // A name completed once at the start of the voyage.
    for _ in 0..c.correction {
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let p = SAFE.random(&mut vs.rng);
        let t = -vs.rng.range(0.0, 600.0);
        vs.path = depart(&mut vs.rng, p, t, through_safe, horizon);
        let at = (vs.rng.range(7.0, 12.0) * MIN).round();
        if let Some(s) = &mut vs.static_a {
            let full = s.name.clone();
            s.name = full.rsplit_once(' ').map_or("UNNAMED", |x| x.0).to_string();
            vs.renames = vec![(at, full)];
        }
        plans.push(XPlan::Correction { v, at });
    }

    // Two transponders on one MMSI, 40 km or more apart.
    for i in 0..c.conflict {
        let dur = rng.range(1.0, 1.5) * H;
        let Some(t0) = slot(rng, i, c.conflict, dur, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + dur).round());
        let a = add(vessels, rng, mmsis);
        let va = &mut vessels[a];
        let p = SAFE.random(&mut va.rng);
        let mut path = approach(&mut va.rng, p, t0, None, None);
        path.extend(depart(&mut va.rng, p, t0, through_safe, horizon));
        va.path = path;
        let mut twin = new_vessel(rng, mmsis, false);
        twin.mmsi = vessels[a].mmsi;
        twin.static_a = vessels[a].static_a.clone();
        let apart = |pa: &[Seg], pb: &[Seg]| {
            let mut t = t0;
            let mut d = f64::MAX;
            while t <= t1 {
                d = d.min(distance_m(motion_at(pa, t).pos, motion_at(pb, t).pos));
                t += 60.0;
            }
            d
        };
        for _ in 0..200 {
            let q = SAFE.random(&mut twin.rng);
            twin.path = depart(&mut twin.rng, q, t0, through_safe, horizon);
            if apart(&vessels[a].path, &twin.path) >= 40e3 {
                break;
            }
        }
        twin.silences = vec![(f64::MIN, t0), (t1, f64::MAX)];
        vessels.push(twin);
        plans.push(XPlan::Conflict {
            b: vessels.len() - 1,
        });
    }

    // Drifting: pushed by the current with the heading far off the course.
    for i in 0..c.drift {
        let Some(dur) = duration(rng, 1.0, 2.5, horizon) else {
            break;
        };
        let Some(t0) = slot(rng, i, c.drift, dur, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + dur).round());
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let vr = &mut vs.rng;
        let p = SLOW.random(vr);
        let mut path = approach(vr, p, t0, None, None);
        let q = offset(p, vr.range(0.0, 360.0), vr.range(2.6, 4.0) * KN * (t1 - t0));
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
        let off = vr.range(55.0, 125.0) * sign(vr);
        vs.path = path;
        vs.heading_off.push((t0, t1, off));
        plans.push(XPlan::Drift { v, t0, t1 });
    }

    // Under way with a cross current: a small drift angle.
    for i in 0..c.cross {
        let Some(t0) = slot(rng, i, c.cross, 2.0 * H, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + 2.0 * H).round());
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let vr = &mut vs.rng;
        let p = SAFE.random(vr);
        let mut path = approach(vr, p, t0, None, None);
        path.extend(depart(vr, p, t0, through_safe, horizon));
        let off = vr.range(15.0, 35.0) * sign(vr);
        vs.path = path;
        vs.heading_off.push((t0, t1, off));
        plans.push(XPlan::CrossCurrent { v, t0, t1 });
    }

    // Trawling in the closed area, declared (type 30) or not (type 0).
    for i in 0..c.trawl {
        let Some(dur) = duration(rng, 2.0, 3.5, horizon) else {
            break;
        };
        let Some(t0) = slot(rng, i, c.trawl, dur, horizon) else {
            break;
        };
        let (t0, t1) = (t0.round(), (t0 + dur).round());
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        if let Some(s) = &mut vs.static_a {
            s.ship_type = if i % 2 == 0 { 30 } else { 0 };
        }
        let vr = &mut vs.rng;
        let p = TRAWL.random(vr);
        let mut path = approach(vr, p, t0, None, None);
        let (mut cur, mut t, mut brg) = (p, t0, vr.range(0.0, 360.0));
        while t < t1 {
            let leg = (vr.range(10.0, 20.0) * MIN).min(t1 - t).round().max(1.0);
            let kn = vr.range(2.8, 4.5);
            let mut to = offset(cur, brg, kn * KN * leg);
            if !TRAWL.contains(to) {
                brg = bearing_deg(cur, TRAWL.center()) + vr.range(-30.0, 30.0);
                to = offset(cur, brg, kn * KN * leg);
            }
            path.push(Seg {
                t0: t,
                t1: t + leg,
                a: cur,
                b: to,
                status: 0,
            });
            cur = to;
            t += leg;
            brg += vr.range(40.0, 140.0) * sign(vr);
        }
        path.extend(depart(vr, cur, t, Departure::default(), horizon));
        vs.path = path;
        plans.push(XPlan::Trawl { v, t0, t1: t });
    }

    // A fishing vessel crossing the closed area straight at 9–12 kn.
    for i in 0..c.transit {
        let Some(t) = slot(rng, i, c.transit, 0.0, horizon) else {
            break;
        };
        let t = t.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        if let Some(s) = &mut vs.static_a {
            s.ship_type = 30;
        }
        let vr = &mut vs.rng;
        let x = TRAWL.random(vr);
        let (th, kn) = (vr.range(0.0, 360.0), vr.range(9.0, 12.0));
        let mut path = approach(vr, x, t, Some(th), Some(kn));
        let how = Departure {
            bearing: Some(th),
            speed_kn: Some(kn),
            safe_legs: 0,
        };
        path.extend(depart(vr, x, t, how, horizon));
        vs.path = path;
        plans.push(XPlan::FishTransit { v, t });
    }
    plans
}

/// Truth and traps of the events above, from what was heard.
pub(crate) fn derive_more(
    vessels: &[Vessel],
    plans: &[XPlan],
    em: &Emission,
    truth: &mut Vec<Item>,
    traps: &mut Vec<Item>,
) {
    let m = |v: usize| vessels[v].mmsi;
    let item = |kind, v: usize, zone, t0: f64, t1: f64, note: &str| Item {
        kind,
        mmsi: vec![m(v)],
        zone: Some(zone),
        t0: t0 as i64,
        t1: t1 as i64,
        note: Some(note.to_string()),
    };
    for p in plans {
        match *p {
            XPlan::Rename { v, at } => truth.push(item(
                "identity_change",
                v,
                "sim-patrol",
                at[0],
                at[1] + 7.0 * MIN,
                "renamed twice while in the patrol zone",
            )),
            XPlan::Correction { v, at } => traps.push(item(
                "trap_identity_correction",
                v,
                "sim-patrol",
                0.0,
                at + 20.0 * MIN,
                "name completed once at the start of its voyage",
            )),
            XPlan::Conflict { b } => {
                let h = &em.heard[b];
                if let (Some(f), Some(l)) = (h.first(), h.last()) {
                    truth.push(item(
                        "identity_change",
                        b,
                        "sim-patrol",
                        f.t as f64,
                        l.t as f64,
                        "a second transponder on this MMSI, 40 km or more away",
                    ));
                }
            }
            XPlan::Drift { v, t0, t1 } => {
                let h: Vec<i64> = em.heard[v]
                    .iter()
                    .map(|x| x.t)
                    .filter(|&t| (t0..t1).contains(&(t as f64)))
                    .collect();
                if let (Some(&f), Some(&l)) = (h.first(), h.last()) {
                    truth.push(item(
                        "drifting",
                        v,
                        "sim-patrol",
                        f as f64,
                        l as f64,
                        "pushed at 2.6-4 kn, heading 55-125 deg off the course",
                    ));
                }
            }
            XPlan::CrossCurrent { v, t0, t1 } => traps.push(item(
                "trap_cross_current",
                v,
                "sim-patrol",
                t0,
                t1,
                "under way with a cross current, heading 15-35 deg off the course",
            )),
            XPlan::Trawl { v, t0, t1 } => {
                let h: Vec<i64> = em.heard[v]
                    .iter()
                    .filter(|x| {
                        (t0..t1).contains(&(x.t as f64))
                            && CLOSED.contains(x.pos)
                            && (FISHING_KN.0..=FISHING_KN.1).contains(&x.sog_kn)
                    })
                    .map(|x| x.t)
                    .collect();
                if let (Some(&f), Some(&l)) = (h.first(), h.last()) {
                    let declared = vessels[v].static_a.as_ref().map(|s| s.ship_type) == Some(30);
                    truth.push(item(
                        "fishing",
                        v,
                        "sim-closed",
                        f as f64,
                        l as f64,
                        if declared {
                            "trawling in the closed area, ship type 30"
                        } else {
                            "trawling in the closed area, ship type not given"
                        },
                    ));
                }
            }
            XPlan::FishTransit { v, t } => traps.push(item(
                "trap_fishing_transit",
                v,
                "sim-closed",
                t - 40.0 * MIN,
                t + 40.0 * MIN,
                "fishing vessel crossing the closed area straight at 9-12 kn",
            )),
        }
    }
}
