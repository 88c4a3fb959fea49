//! Speeding in the port approach `sim-approach`, with its traps. Planned
//! with a random stream of their own after the other scripted events, so
//! they leave the rest of a seed's scenario as it was (only the background
//! traffic is that many vessels smaller).
//!
//! `sim-approach` is a channel east of the patrol zone (lon 4.2–4.8, lat
//! 3.75–4.05) limited to 18 kn for 10 min; it runs no other detector.
//! Every other vessel of the run does at most 16 kn.
//!
//! - `speeding` (truth): 20–24 kn along the channel for 20–40 min, then
//!   on at transit speed (span: first to last report above 18 kn in the
//!   approach).
//! - `trap_speeding_just_under`: 17.0–17.4 kn along the channel for
//!   30–40 min.
//! - `trap_speeding_short`: 20–24 kn for 4–7 min only, then 12 kn for
//!   15 min, still in the channel.
//! - `trap_speeding_no_zone`: 22 kn for 40 min inside `sim-patrol`, which
//!   does not run speeding (heading in line with the course: not drifting).
//! - `trap_speeding_glitch`: a 10-kn transit of the channel for 30–40 min
//!   with one report of 60–70 kn in its middle.

use std::collections::BTreeSet;

use super::plan::{new_vessel, slot};
use super::{Emission, Item, Vessel, MIN};
use crate::world::{approach, depart, distance_m, offset, Departure, Pt, Rect, Seg, KN, SAFE};
use crate::SimConfig;
use aiswatch_core::rng::Rng;

/// The port approach `sim-approach`: east of the patrol zone, in range of
/// `sim-st2` (north-west of it) as well as the outage station.
pub(crate) const APPROACH: Rect = Rect {
    lon0: 4.2,
    lon1: 4.8,
    lat0: 3.75,
    lat1: 4.05,
};
/// The approach's speed limit (knots).
pub(crate) const LIMIT_KN: f64 = 18.0;
/// Where legs through the approach run: its middle, clear of its edges.
const LANE: Rect = Rect {
    lon0: 4.23,
    lon1: 4.77,
    lat0: 3.8,
    lat1: 4.0,
};

/// What was scripted, with the vessels' indices and the times of the legs.
pub(crate) enum SPlan {
    Speeding { v: usize, t0: f64, t1: f64 },
    JustUnder { v: usize, t0: f64, t1: f64 },
    Short { v: usize, t0: f64, t1: f64 },
    NoZone { v: usize, t0: f64, t1: f64 },
    Glitch { v: usize, t0: f64, t1: f64 },
}

#[derive(Debug, Clone, Copy, Default)]
struct SCounts {
    speeding: usize,
    trap: usize,
}

impl SCounts {
    fn for_events(n: usize) -> SCounts {
        SCounts {
            speeding: n,
            trap: n.div_ceil(2),
        }
    }

    fn vessels(&self) -> usize {
        self.speeding + 4 * self.trap
    }
}

/// A start in [`LANE`] and a bearing (east or west) for legs of `m` metres
/// in total that stay in it.
fn lane_start(rng: &mut Rng, m: f64) -> (Pt, f64) {
    let lat = rng.range(LANE.lat0, LANE.lat1);
    let span = distance_m((LANE.lon0, lat), (LANE.lon1, lat));
    let room = ((span - m) / span).max(0.0) * (LANE.lon1 - LANE.lon0);
    let east = rng.chance(0.5);
    let x = rng.range(0.0, room);
    if east {
        ((LANE.lon0 + x, lat), 90.0)
    } else {
        ((LANE.lon1 - x, lat), 270.0)
    }
}

/// Straight legs from `p` on `bearing`: each `(speed_kn, seconds)` in turn
/// from `t0`. Returns the legs and where they end.
fn legs(p: Pt, bearing: f64, t0: f64, parts: &[(f64, f64)]) -> (Vec<Seg>, Pt) {
    let (mut cur, mut t) = (p, t0);
    let mut out = Vec::new();
    for &(kn, dur) in parts {
        let next = offset(cur, bearing, kn * KN * dur);
        out.push(Seg {
            t0: t,
            t1: t + dur,
            a: cur,
            b: next,
            status: 0,
        });
        cur = next;
        t += dur;
    }
    (out, cur)
}

/// A vessel that arrives at `p` at `t0`, sails `parts` on `bearing`, then
/// goes on at transit speed to waypoints anywhere in the area.
fn scripted(v: &mut Vessel, p: Pt, bearing: f64, t0: f64, parts: &[(f64, f64)], horizon: f64) {
    let vr = &mut v.rng;
    let mut path = approach(vr, p, t0, None, None);
    let (l, end) = legs(p, bearing, t0, parts);
    let t1 = l.last().map_or(t0, |s| s.t1);
    path.extend(l);
    path.extend(depart(vr, end, t1, Departure::default(), horizon));
    v.path = path;
}

/// Plans the events above with at most `budget` vessels, appended to `vessels`.
pub(crate) fn plan(
    cfg: &SimConfig,
    budget: usize,
    horizon: f64,
    vessels: &mut Vec<Vessel>,
    mmsis: &mut BTreeSet<u32>,
) -> Vec<SPlan> {
    let rng = &mut Rng::new(cfg.seed ^ 0x5851_f42d_4c95_7f2d);
    let mut n = cfg.hours.round().max(1.0) as usize;
    while n > 0 && SCounts::for_events(n).vessels() > budget {
        n -= 1;
    }
    let c = SCounts::for_events(n);
    let mut plans = Vec::new();
    fn add(vessels: &mut Vec<Vessel>, rng: &mut Rng, mmsis: &mut BTreeSet<u32>) -> usize {
        vessels.push(new_vessel(rng, mmsis, false));
        vessels.len() - 1
    }

    // Speeding: 20–24 kn along the channel for 20–40 min.
    for i in 0..c.speeding {
        let dur = (rng.range(20.0, 40.0) * MIN).round();
        let Some(t0) = slot(rng, i, c.speeding, dur, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let kn = vs.rng.range(20.0, 24.0);
        let (p, brg) = lane_start(&mut vs.rng, kn * KN * dur);
        scripted(vs, p, brg, t0, &[(kn, dur)], horizon);
        plans.push(SPlan::Speeding {
            v,
            t0,
            t1: t0 + dur,
        });
    }

    // Just under the limit along the channel.
    for i in 0..c.trap {
        let dur = (rng.range(30.0, 40.0) * MIN).round();
        let Some(t0) = slot(rng, i, c.trap, dur, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let kn = vs.rng.range(17.0, 17.4);
        let (p, brg) = lane_start(&mut vs.rng, kn * KN * dur);
        scripted(vs, p, brg, t0, &[(kn, dur)], horizon);
        plans.push(SPlan::JustUnder {
            v,
            t0,
            t1: t0 + dur,
        });
    }

    // Fast for a few minutes only, then 12 kn.
    for i in 0..c.trap {
        let fast = (rng.range(4.0, 7.0) * MIN).round();
        let slow = 15.0 * MIN;
        let Some(t0) = slot(rng, i, c.trap, fast + slow, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let kn = vs.rng.range(20.0, 24.0);
        let (p, brg) = lane_start(&mut vs.rng, kn * KN * fast + 12.0 * KN * slow);
        scripted(vs, p, brg, t0, &[(kn, fast), (12.0, slow)], horizon);
        plans.push(SPlan::Short {
            v,
            t0,
            t1: t0 + fast + slow,
        });
    }

    // 22 kn for 40 min in the patrol zone, which does not run speeding.
    for i in 0..c.trap {
        let dur = 40.0 * MIN;
        let Some(t0) = slot(rng, i, c.trap, dur, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let m = 22.0 * KN * dur;
        let (mut p, mut brg) = (SAFE.center(), 90.0);
        for _ in 0..200 {
            p = SAFE.random(&mut vs.rng);
            brg = vs.rng.range(0.0, 360.0);
            if SAFE.contains(offset(p, brg, m)) {
                break;
            }
        }
        scripted(vs, p, brg, t0, &[(22.0, dur)], horizon);
        plans.push(SPlan::NoZone {
            v,
            t0,
            t1: t0 + dur,
        });
    }

    // A 10-kn transit of the channel with one glitched speed.
    for i in 0..c.trap {
        let dur = (rng.range(30.0, 40.0) * MIN).round();
        let Some(t0) = slot(rng, i, c.trap, dur, horizon) else {
            break;
        };
        let t0 = t0.round();
        let v = add(vessels, rng, mmsis);
        let vs = &mut vessels[v];
        let (p, brg) = lane_start(&mut vs.rng, 10.0 * KN * dur);
        let glitch = (
            (vs.rng.range(60.0, 70.0) * 10.0).round() / 10.0,
            t0 + dur / 2.0,
        );
        scripted(vs, p, brg, t0, &[(10.0, dur)], horizon);
        vs.glitch = Some((glitch.1, glitch.0));
        plans.push(SPlan::Glitch {
            v,
            t0,
            t1: t0 + dur,
        });
    }
    plans
}

/// Truth and traps of the events above, from what was heard.
pub(crate) fn derive(
    vessels: &[Vessel],
    plans: &[SPlan],
    em: &Emission,
    truth: &mut Vec<Item>,
    traps: &mut Vec<Item>,
) {
    let item = |kind, v: usize, zone, t0: f64, t1: f64, note: &str| Item {
        kind,
        mmsi: vec![vessels[v].mmsi],
        zone: Some(zone),
        t0: t0 as i64,
        t1: t1 as i64,
        note: Some(note.to_string()),
    };
    for p in plans {
        match *p {
            SPlan::Speeding { v, t0, t1 } => {
                let h: Vec<i64> = em.heard[v]
                    .iter()
                    .filter(|x| {
                        (t0..=t1).contains(&(x.t as f64))
                            && APPROACH.contains(x.pos)
                            && x.sog_kn > LIMIT_KN
                    })
                    .map(|x| x.t)
                    .collect();
                if let (Some(&f), Some(&l)) = (h.first(), h.last()) {
                    truth.push(item(
                        "speeding",
                        v,
                        "sim-approach",
                        f as f64,
                        l as f64,
                        "20-24 kn through the port approach (limit 18 kn for 10 min)",
                    ));
                }
            }
            SPlan::JustUnder { v, t0, t1 } => traps.push(item(
                "trap_speeding_just_under",
                v,
                "sim-approach",
                t0,
                t1,
                "17.0-17.4 kn through the port approach, under its 18 kn limit",
            )),
            SPlan::Short { v, t0, t1 } => traps.push(item(
                "trap_speeding_short",
                v,
                "sim-approach",
                t0,
                t1,
                "20-24 kn for 4-7 min only (limit 18 kn for 10 min), then 12 kn",
            )),
            SPlan::NoZone { v, t0, t1 } => traps.push(item(
                "trap_speeding_no_zone",
                v,
                "sim-patrol",
                t0,
                t1,
                "22 kn for 40 min in the patrol zone, which has no speed limit",
            )),
            SPlan::Glitch { v, t0, t1 } => traps.push(item(
                "trap_speeding_glitch",
                v,
                "sim-approach",
                t0,
                t1,
                "10 kn through the port approach, one report of 60-70 kn",
            )),
        }
    }
}
