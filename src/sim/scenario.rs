//! The scenario: which vessels exist, what each is scripted to do, what the
//! stations hear, and the truth and traps derived from what they heard.

use std::collections::{BTreeMap, BTreeSet};

use super::encode::{self, Dims, Payload, PositionA, PositionB, StaticA, StaticB};
use super::rng::Rng;
use super::world::{
    self, approach, clip, depart, distance_m, drift, motion_at, offset, shift, Departure, Pt, Seg,
    OUTAGE_STATION, PATROL, PORT, SAFE, SLOW, STATIONS, WORLD,
};
use super::SimConfig;

const H: f64 = 3600.0;
const MIN: f64 = 60.0;
/// Speed at or below which a report counts as slow (the zone's threshold).
pub(crate) const SLOW_KN: f64 = 2.0;
/// Reports closer than this are "together" for rendezvous truth.
pub(crate) const MEET_M: f64 = 500.0;
/// A silence longer than this must be explained (planned, or the outage).
pub(crate) const GAP_S: i64 = 600;
/// Chance that the nearest station misses one transmission.
const MISS: f64 = 0.03;
/// Chance that a station other than the nearest (also in range) hears a transmission.
const FAR_HEAR: f64 = 0.25;

/// Identity and static data of a vessel.
pub(crate) struct Vessel {
    pub mmsi: u32,
    pub class_b: bool,
    /// Class B units without a heading sensor send 511.
    pub has_heading: bool,
    pub path: Vec<Seg>,
    /// `[t0, t1)` windows (s from start) in which it does not transmit.
    pub silences: Vec<(f64, f64)>,
    pub static_a: Option<StaticA>,
    pub static_b: Option<StaticB>,
    pub rng: Rng,
}

/// What was scripted, with the vessels' indices.
pub(crate) enum Plan {
    Dark {
        v: usize,
        t0: f64,
        t1: f64,
    },
    Loiter {
        v: usize,
        t0: f64,
        t1: f64,
    },
    Rendezvous {
        a: usize,
        b: usize,
        t0: f64,
        t1: f64,
    },
    PortAnchor {
        vs: Vec<usize>,
    },
    FastPass {
        a: usize,
        b: usize,
        t: f64,
    },
    ShortGap {
        v: usize,
        t0: f64,
        t1: f64,
    },
}

/// The planned world.
pub(crate) struct Scenario {
    pub vessels: Vec<Vessel>,
    pub plans: Vec<Plan>,
    /// `[t0, t1)` when [`OUTAGE_STATION`] hears nothing.
    pub outage: Option<(f64, f64)>,
    /// Run length, s.
    pub horizon: f64,
}

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

fn new_vessel(rng: &mut Rng, mmsis: &mut BTreeSet<u32>, class_b: bool) -> Vessel {
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
            imo: 9_000_000 + vr.below(1_000_000) as u32,
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
fn slot(rng: &mut Rng, i: usize, n: usize, dur: f64, horizon: f64) -> Option<f64> {
    let (lo, hi) = (0.75 * H, horizon - dur - 0.75 * H);
    (hi >= lo).then(|| lo + (i as f64 + rng.range(0.15, 0.85)) / n as f64 * (hi - lo))
}

/// A duration in `[lo, hi)` h that fits the run, or `None`.
fn duration(rng: &mut Rng, lo: f64, hi: f64, horizon: f64) -> Option<f64> {
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
        outage,
        horizon,
    }
}

/// One received transmission as heard (the first copy), for truth.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heard {
    pub t: i64,
    pub pos: Pt,
    pub sog_kn: f64,
}

/// A unit of output: lines that stay together (both parts of a type 5).
pub(crate) struct Record {
    pub key_ms: i64,
    pub idx: u32,
    pub text: String,
    /// MMSI and time (s from start) of a single-sentence position report,
    /// which noise may copy and corrupt.
    pub position_of: Option<(u32, i64)>,
}

/// What the stations produced.
pub(crate) struct Emission {
    pub records: Vec<Record>,
    /// Per vessel, its position reports as first heard.
    pub heard: Vec<Vec<Heard>>,
    /// Per vessel, times of transmissions heard by two or more stations.
    pub dup_times: Vec<Vec<i64>>,
    pub lines: usize,
    pub duplicate_lines: usize,
}

/// A message ready to be heard.
struct Tx {
    t: i64,
    pos: Pt,
    payload: Payload,
    /// For position reports: the reported speed (for truth).
    sog_kn: Option<f64>,
}

fn silenced(s: &[(f64, f64)], t: f64) -> bool {
    s.iter().any(|&(a, b)| (a..b).contains(&t))
}

/// Position reports and static messages of one vessel, in time order.
fn transmissions(v: &mut Vessel, horizon: f64) -> Vec<Tx> {
    let mut txs = Vec::new();
    let rng = &mut v.rng;
    let mut t = rng.int(0, 59);
    let mut heading_anchor = rng.range(0.0, 360.0);
    while (t as f64) < horizon {
        let m = motion_at(&v.path, t as f64);
        let (pos, sog, cog) = if m.status == 1 {
            // Swinging at anchor: a few tens of metres, 0–0.3 kn.
            heading_anchor += rng.range(-15.0, 15.0);
            let p = offset(m.pos, rng.range(0.0, 360.0), rng.range(0.0, 40.0));
            (p, rng.range(0.0, 0.3), heading_anchor.rem_euclid(360.0))
        } else {
            let sog = (m.sog_kn + rng.range(-0.1, 0.1)).max(0.1);
            (m.pos, sog, (m.cog + rng.range(-1.0, 1.0)).rem_euclid(360.0))
        };
        let sog = (sog * 10.0).round() / 10.0;
        if !silenced(&v.silences, t as f64) {
            let heading = if v.has_heading {
                ((cog + rng.range(-3.0, 3.0)).round() as i64).rem_euclid(360) as u16
            } else {
                511
            };
            let second = (t.rem_euclid(60)) as u8;
            let payload = if v.class_b {
                encode::type18(&PositionB {
                    mmsi: v.mmsi,
                    sog_kn: sog,
                    lon: pos.0,
                    lat: pos.1,
                    cog,
                    heading,
                    second,
                    radio: rng.below(1 << 20) as u32,
                })
            } else {
                encode::type1(&PositionA {
                    mmsi: v.mmsi,
                    status: m.status,
                    sog_kn: sog,
                    lon: pos.0,
                    lat: pos.1,
                    cog,
                    heading,
                    second,
                    radio: rng.below(1 << 19) as u32,
                })
            };
            // Positions as the decoder will read them.
            let q = |x: f64| (x * 600_000.0).round() / 600_000.0;
            txs.push(Tx {
                t,
                pos: (q(pos.0), q(pos.1)),
                payload,
                sog_kn: Some(sog),
            });
        }
        let slow = if v.class_b {
            sog <= 2.0
        } else {
            sog <= 3.0 || m.status == 1
        };
        t += if slow {
            rng.int(170, 190)
        } else if v.class_b {
            rng.int(27, 33)
        } else {
            rng.int(30, 60)
        };
    }
    // Static data every 6 min (type 5, or type 24 A then B a few seconds later).
    let mut t = rng.int(0, 359);
    while (t as f64) < horizon {
        if !silenced(&v.silences, t as f64) {
            let pos = motion_at(&v.path, t as f64).pos;
            if let Some(s) = &v.static_a {
                txs.push(Tx {
                    t,
                    pos,
                    payload: encode::type5(s),
                    sog_kn: None,
                });
            }
            if let Some(s) = &v.static_b {
                txs.push(Tx {
                    t,
                    pos,
                    payload: encode::type24a(s),
                    sog_kn: None,
                });
                let tb = t + rng.int(2, 5);
                if !silenced(&v.silences, tb as f64) && (tb as f64) < horizon {
                    txs.push(Tx {
                        t: tb,
                        pos: motion_at(&v.path, tb as f64).pos,
                        payload: encode::type24b(s),
                        sog_kn: None,
                    });
                }
            }
        }
        t += 360 + rng.int(-5, 5);
    }
    txs.sort_by_key(|x| x.t);
    txs
}

/// Runs every vessel's transmitter and every station's receiver.
pub(crate) fn emit(sc: &mut Scenario, start_unix: i64) -> Emission {
    let n = sc.vessels.len();
    let mut out = Emission {
        records: Vec::new(),
        heard: vec![Vec::new(); n],
        dup_times: vec![Vec::new(); n],
        lines: 0,
        duplicate_lines: 0,
    };
    let mut seq: u8 = 0;
    let horizon = sc.horizon;
    let outage = sc.outage;
    for (vi, v) in sc.vessels.iter_mut().enumerate() {
        let txs = transmissions(v, horizon);
        let rng = &mut v.rng;
        let mut missed_last = false;
        for tx in txs {
            let down = |s: usize| {
                s == OUTAGE_STATION && outage.is_some_and(|(a, b)| (a..b).contains(&(tx.t as f64)))
            };
            let mut st: Vec<(usize, f64)> = world::stations_in_range(tx.pos)
                .filter(|&(s, _)| !down(s))
                .collect();
            st.sort_by(|a, b| a.1.total_cmp(&b.1));
            let in_range = !st.is_empty();
            // The nearest working station misses 3 %; others in range, at
            // the edge of their coverage, catch a quarter. Never two
            // transmissions of a vessel in a row lost entirely.
            let mut heard: Vec<usize> = st
                .iter()
                .enumerate()
                .filter(|&(k, _)| !rng.chance(if k == 0 { MISS } else { 1.0 - FAR_HEAR }))
                .map(|(_, &(s, _))| s)
                .collect();
            if heard.is_empty() && in_range && missed_last {
                heard.push(st[0].0);
            }
            missed_last = in_range && heard.is_empty();
            if heard.is_empty() {
                continue;
            }
            let channel = if rng.chance(0.5) { 'A' } else { 'B' };
            let multi = tx.payload.armoured.len() > encode::MAX_CHARS_PER_SENTENCE;
            if multi {
                seq = (seq + 1) % 10;
            }
            for (k, &s) in heard.iter().enumerate() {
                let c = if k == 0 { tx.t } else { tx.t + rng.int(-1, 1) };
                let lines =
                    encode::tagged_lines(&tx.payload, seq, channel, STATIONS[s].id, start_unix + c);
                out.lines += lines.len();
                if k > 0 {
                    out.duplicate_lines += lines.len();
                }
                let single_pos = tx.sog_kn.is_some() && lines.len() == 1;
                out.records.push(Record {
                    key_ms: (start_unix + c) * 1000 + rng.below(2900) as i64,
                    idx: out.records.len() as u32,
                    text: lines.join("\n"),
                    position_of: single_pos.then_some((v.mmsi, c)),
                });
            }
            if heard.len() > 1 {
                out.dup_times[vi].push(tx.t);
            }
            if let Some(sog_kn) = tx.sog_kn {
                out.heard[vi].push(Heard {
                    t: tx.t,
                    pos: tx.pos,
                    sog_kn,
                });
            }
        }
    }
    out
}

/// A truth or trap item in seconds from the start, before formatting.
pub(crate) struct Item {
    pub kind: &'static str,
    pub mmsi: Vec<u32>,
    pub zone: Option<&'static str>,
    pub t0: i64,
    pub t1: i64,
    pub note: Option<String>,
}

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
    Derived {
        truth,
        traps,
        unexplained_gaps,
    }
}

/// Adds corrupted copies of real lines and garbage (~`rate` of all lines).
/// Returns one trap item per noise line.
pub(crate) fn add_noise(em: &mut Emission, rng: &mut Rng, rate: f64) -> Vec<Item> {
    let candidates: Vec<usize> = em
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.position_of.is_some())
        .map(|(i, _)| i)
        .collect();
    let n = (em.lines as f64 * rate).round() as usize;
    let mut items = Vec::with_capacity(n);
    if candidates.is_empty() {
        return items;
    }
    const JUNK: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,.;:-_#";
    for _ in 0..n {
        let src = &em.records[*rng.pick(&candidates)];
        let (mmsi, c) = src.position_of.unwrap_or_default();
        let line = &src.text;
        let (text, what, mmsi) = match rng.below(5) {
            0 | 1 => {
                // Wrong checksum.
                let (body, sum) = line.split_at(line.len() - 2);
                let old = u8::from_str_radix(sum, 16).unwrap_or(0);
                let new = old ^ (1 + rng.below(255) as u8);
                (format!("{body}{new:02X}"), "bad checksum", vec![mmsi])
            }
            2 | 3 => {
                // Cut inside the sentence, before its checksum.
                let bang = line.find('!').unwrap_or(0);
                let star = line.rfind('*').unwrap_or(line.len());
                let cut = rng.int(bang as i64 + 10, star as i64 - 1) as usize;
                (line[..cut].to_string(), "truncated", vec![mmsi])
            }
            _ => {
                let len = rng.int(10, 60) as usize;
                let s: String = (0..len).map(|_| char::from(*rng.pick(JUNK))).collect();
                (format!("X{s}"), "garbage", Vec::new())
            }
        };
        em.records.push(Record {
            key_ms: src.key_ms + rng.below(100) as i64,
            idx: em.records.len() as u32,
            text,
            position_of: None,
        });
        items.push(Item {
            kind: "trap_noise",
            mmsi,
            zone: None,
            t0: c,
            t1: c,
            note: Some(what.to_string()),
        });
    }
    em.lines += n;
    items
}

/// Counts per kind.
pub(crate) fn count(items: &[Item]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.kind.to_string()).or_insert(0) += 1;
    }
    m
}
