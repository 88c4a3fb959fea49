//! Truth and traps, derived from the plans and what the stations heard.

use super::{Emission, Heard, Item, Plan, Scenario, GAP_S, H, MEET_M, SLOW_KN};
use crate::world::{distance_m, motion_at, Pt, OUTAGE_STATION, PATROL, PORT, STATIONS};

/// The zone id at a point (the port wins over the patrol zone).
pub(crate) fn zone_at(p: Pt) -> Option<&'static str> {
    if PORT.contains(p) {
        Some("sim-port")
    } else if PATROL.contains(p) {
        Some("sim-patrol")
    } else {
        None
    }
}

fn last_before(h: &[Heard], t: f64) -> Option<&Heard> {
    h.iter().rev().find(|x| (x.t as f64) < t)
}

fn first_from(h: &[Heard], t: f64) -> Option<&Heard> {
    h.iter().find(|x| (x.t as f64) >= t)
}

fn slow_span(h: &[Heard], t0: f64, t1: f64) -> Option<(i64, i64)> {
    let mut it = h.iter().filter(|x| {
        (x.t as f64) >= t0 - 600.0 && (x.t as f64) <= t1 + 600.0 && x.sog_kn <= SLOW_KN
    });
    let first = it.next()?.t;
    Some((first, it.next_back().map_or(first, |x| x.t)))
}

/// First and last report instants at which both vessels' latest reports
/// were slow and within [`MEET_M`].
fn together_span(a: &[Heard], b: &[Heard], t0: f64, t1: f64) -> Option<(i64, i64)> {
    let win = |x: &&Heard| (x.t as f64) >= t0 - H && (x.t as f64) <= t1 + H;
    let mut all: Vec<(i64, usize, Heard)> = a
        .iter()
        .filter(win)
        .map(|x| (x.t, 0, *x))
        .chain(b.iter().filter(win).map(|x| (x.t, 1, *x)))
        .collect();
    all.sort_by_key(|x| (x.0, x.1));
    let mut last: [Option<Heard>; 2] = [None, None];
    let mut span: Option<(i64, i64)> = None;
    for (t, w, x) in all {
        last[w] = Some(x);
        if let [Some(p), Some(q)] = last {
            if p.sog_kn <= SLOW_KN && q.sog_kn <= SLOW_KN && distance_m(p.pos, q.pos) <= MEET_M {
                span = Some(span.map_or((t, t), |(s, _)| (s, t)));
            }
        }
    }
    span
}

/// Truth events and traps, from the plans and what was heard.
pub(crate) struct Derived {
    pub truth: Vec<Item>,
    pub traps: Vec<Item>,
    pub unexplained_gaps: usize,
}

/// Derives truth and traps (except noise) from the plans and the heard reports.
pub(crate) fn derive(sc: &Scenario, em: &Emission) -> Derived {
    let mut truth = Vec::new();
    let mut traps = Vec::new();
    let m = |v: usize| sc.vessels[v].mmsi;
    let pair = |a: usize, b: usize| {
        let mut v = vec![m(a), m(b)];
        v.sort_unstable();
        v
    };
    for p in &sc.plans {
        match *p {
            Plan::Dark { v, t0, t1 } => {
                let h = &em.heard[v];
                if let (Some(a), Some(b)) = (last_before(h, t0), first_from(h, t1)) {
                    truth.push(Item {
                        kind: "dark_period",
                        mmsi: vec![m(v)],
                        zone: Some("sim-patrol"),
                        t0: a.t,
                        t1: b.t,
                        note: None,
                    });
                }
            }
            Plan::Loiter { v, t0, t1 } => {
                if let Some((a, b)) = slow_span(&em.heard[v], t0, t1) {
                    truth.push(Item {
                        kind: "loitering",
                        mmsi: vec![m(v)],
                        zone: Some("sim-patrol"),
                        t0: a,
                        t1: b,
                        note: None,
                    });
                }
            }
            Plan::Rendezvous { a, b, t0, t1 } => {
                if let Some((s, e)) = together_span(&em.heard[a], &em.heard[b], t0, t1) {
                    truth.push(Item {
                        kind: "rendezvous",
                        mmsi: pair(a, b),
                        zone: Some("sim-patrol"),
                        t0: s,
                        t1: e,
                        note: None,
                    });
                }
            }
            Plan::PortAnchor { ref vs } => {
                for (k, &v) in vs.iter().enumerate() {
                    let h = &em.heard[v];
                    if let (Some(a), Some(b)) = (h.first(), h.last()) {
                        traps.push(Item {
                            kind: "trap_port_anchor",
                            mmsi: vec![m(v)],
                            zone: Some("sim-port"),
                            t0: a.t,
                            t1: b.t,
                            note: Some("at anchor (nav status 1, 0-0.3 kn) in port all run".into()),
                        });
                    }
                    if k == 1 {
                        let (h0, h1) = (&em.heard[vs[0]], h);
                        if let (Some(a0), Some(a1), Some(b0), Some(b1)) =
                            (h0.first(), h1.first(), h0.last(), h1.last())
                        {
                            traps.push(Item {
                                kind: "trap_port_anchor",
                                mmsi: pair(vs[0], v),
                                zone: Some("sim-port"),
                                t0: a0.t.max(a1.t),
                                t1: b0.t.min(b1.t),
                                note: Some("two vessels anchored 150-300 m apart in port".into()),
                            });
                        }
                    }
                }
            }
            Plan::FastPass { a, b, t } => {
                let (pa, pb) = (&sc.vessels[a].path, &sc.vessels[b].path);
                let mut span: Option<(i64, i64)> = None;
                let mut closest = f64::MAX;
                let mut s = (t - 1200.0) as i64;
                while (s as f64) <= t + 1200.0 {
                    let d = distance_m(motion_at(pa, s as f64).pos, motion_at(pb, s as f64).pos);
                    closest = closest.min(d);
                    if d <= MEET_M {
                        span = Some(span.map_or((s, s), |(x, _)| (x, s)));
                    }
                    s += 1;
                }
                if let Some((x, y)) = span {
                    traps.push(Item {
                        kind: "trap_fast_pass",
                        mmsi: pair(a, b),
                        zone: zone_at(motion_at(pa, t).pos),
                        t0: x,
                        t1: y,
                        note: Some(format!(
                            "passing at 10-15 kn, closest {closest:.0} m (span = within {MEET_M:.0} m)"
                        )),
                    });
                }
            }
            Plan::ShortGap { v, t0, t1 } => {
                let h = &em.heard[v];
                if let (Some(a), Some(b)) = (last_before(h, t0), first_from(h, t1)) {
                    traps.push(Item {
                        kind: "trap_short_gap",
                        mmsi: vec![m(v)],
                        zone: zone_at(a.pos),
                        t0: a.t,
                        t1: b.t,
                        note: Some(format!("silent {} min while under way", (b.t - a.t) / 60)),
                    });
                }
            }
        }
    }

    // Every silence longer than GAP_S: planned, the outage, or unexplained.
    let mut unexplained_gaps = 0;
    if let Some((o0, o1)) = sc.outage {
        traps.push(Item {
            kind: "trap_outage",
            mmsi: Vec::new(),
            zone: None,
            t0: o0 as i64,
            t1: o1 as i64,
            note: Some(format!(
                "receiver {} down: vessels only it hears fall silent",
                STATIONS[OUTAGE_STATION].id
            )),
        });
    }
    for (vi, h) in em.heard.iter().enumerate() {
        let v = &sc.vessels[vi];
        for w in h.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b.t - a.t <= GAP_S {
                continue;
            }
            let (ta, tb) = (a.t as f64, b.t as f64);
            let planned = v.silences.iter().any(|&(s0, s1)| s0 < tb && ta < s1);
            let by_outage = sc.outage.is_some_and(|(o0, o1)| o0 < tb && ta < o1);
            if planned {
                continue;
            }
            if by_outage {
                traps.push(Item {
                    kind: "trap_outage",
                    mmsi: vec![v.mmsi],
                    zone: zone_at(a.pos),
                    t0: a.t,
                    t1: b.t,
                    note: Some(format!(
                        "silent {} min: only {} could hear it",
                        (b.t - a.t) / 60,
                        STATIONS[OUTAGE_STATION].id
                    )),
                });
            } else {
                unexplained_gaps += 1;
            }
        }
    }

    // Duplicates: per vessel, the span of its transmissions heard twice or more.
    for (vi, d) in em.dup_times.iter().enumerate() {
        if let (Some(&a), Some(&b)) = (d.first(), d.last()) {
            traps.push(Item {
                kind: "trap_duplicates",
                mmsi: vec![sc.vessels[vi].mmsi],
                zone: None,
                t0: a,
                t1: b,
                note: Some(format!(
                    "{} transmissions heard by 2+ stations (same sentence, other s:, c: +-1 s)",
                    d.len()
                )),
            });
        }
    }
    super::behaviour::derive_more(&sc.vessels, &sc.xplans, em, &mut truth, &mut traps);
    super::speeding::derive(&sc.vessels, &sc.splans, em, &mut truth, &mut traps);
    Derived {
        truth,
        traps,
        unexplained_gaps,
    }
}
