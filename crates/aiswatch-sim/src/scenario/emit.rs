//! Emission: every vessel's transmitter and every station's receiver, and
//! the lines they produce.

use super::{Scenario, Vessel};
use crate::encode::{self, Payload, PositionA, PositionB, StaticA};
use crate::world::{self, motion_at, offset, Pt, OUTAGE_STATION, STATIONS};

/// Chance that the nearest station misses one transmission.
const MISS: f64 = 0.03;
/// Chance that a station other than the nearest (also in range) hears a transmission.
const FAR_HEAR: f64 = 0.25;

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
        let mut sog = (sog * 10.0).round() / 10.0;
        if let Some((at, glitched)) = v.glitch {
            if t as f64 >= at {
                sog = glitched;
                v.glitch = None;
            }
        }
        if !silenced(&v.silences, t as f64) {
            let heading = if v.has_heading {
                let off = super::behaviour::heading_offset(&v.heading_off, t as f64);
                ((cog + off + rng.range(-3.0, 3.0)).round() as i64).rem_euclid(360) as u16
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
                let renamed = super::behaviour::name_at(&v.renames, t as f64).map(|n| StaticA {
                    name: n.to_string(),
                    ..s.clone()
                });
                txs.push(Tx {
                    t,
                    pos,
                    payload: encode::type5(renamed.as_ref().unwrap_or(s)),
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
