//! The coverage-edge scenario (issue 9): two stations whose areas overlap
//! inside the same 0.25° cells.
//!
//! Traffic sails north and south in the column lon 2.5–2.75 E, lat
//! 3.55–4.45 N (four grid cells, inside `sim-patrol`). Station
//! `sim-edge-b` hears all of it; station `sim-edge-a` only its western
//! part (lon < [`A_EDGE_LON`], about two thirds of every cell's reports). Each
//! station hears a transmission in its area with probability 97 %.
//! `sim-edge-b` is down for 3 h from 2 h into the run, while `sim-edge-a`
//! stays up. Three kinds of vessel:
//!
//! - background: anywhere in the column, so both stations' shares of each
//!   cell are learnt; those east of A's edge fall silent with B
//!   (`trap_coverage_edge` too);
//! - edge vessels: in the eastern part, heard only by `sim-edge-b`, so they
//!   fall silent with it: traps `trap_coverage_edge` (no dark period);
//! - dark vessels: in the western part, heard by `sim-edge-a` (and B while
//!   it is up), that switch their AIS off for 2.5–3.5 h while A is up: true
//!   `dark_period` events, next to the traps.
//!
//! All are Class A at 8–12 kn, reporting every 30–60 s. Truth and trap
//! times are report times, as in the main scenario.

use super::{Item, H, MIN};
use crate::encode::{self, PositionA};
use crate::SimConfig;
use aiswatch_core::rng::Rng;

/// Station ids.
pub(crate) const STATION_A: &str = "sim-edge-a";
pub(crate) const STATION_B: &str = "sim-edge-b";
/// Station A hears reports west of this longitude (70 % of the column's
/// width, about two thirds of every cell's reports with the vessels below).
pub(crate) const A_EDGE_LON: f64 = 2.67;
const LON: (f64, f64) = (2.51, 2.74);
const LAT: (f64, f64) = (3.55, 4.45);
/// Station B's outage, s from the start.
const B_DOWN: (f64, f64) = (2.0 * H, 5.0 * H);
const MISS: f64 = 0.03;
const BACKGROUND: usize = 30;
const EDGE: usize = 3;
const DARK: usize = 2;

/// What the scenario produced.
pub(crate) struct EdgeRun {
    /// (sort key ms, index, text) of every record.
    pub records: Vec<(i64, u32, String)>,
    pub truth: Vec<Item>,
    pub traps: Vec<Item>,
    pub lines: usize,
    pub duplicate_lines: usize,
    pub vessels: usize,
}

/// One vessel: a north–south shuttle at a fixed longitude.
struct Shuttle {
    mmsi: u32,
    lon: f64,
    lat0: f64,
    north: bool,
    speed_kn: f64,
    /// `[t0, t1)` with its AIS off.
    off: Option<(f64, f64)>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Background,
    Edge,
    Dark,
}

impl Shuttle {
    /// Position and course at `t` s (bouncing between the column's ends).
    fn at(&self, t: f64) -> (f64, f64, f64) {
        let span = LAT.1 - LAT.0;
        let deg = self.speed_kn * 1852.0 / 111_195.0 * t / 3600.0;
        let start = if self.north {
            self.lat0 - LAT.0
        } else {
            2.0 * span - (self.lat0 - LAT.0)
        };
        let x = (start + deg).rem_euclid(2.0 * span);
        if x < span {
            (self.lon, LAT.0 + x, 0.0)
        } else {
            (self.lon, LAT.1 - (x - span), 180.0)
        }
    }
}

/// Plans and emits the scenario.
pub(crate) fn build(cfg: &SimConfig, rng: &mut Rng) -> EdgeRun {
    let horizon = cfg.hours * H;
    let mut vessels = Vec::new();
    let mut next_mmsi = 657_100_000 + rng.below(1000) as u32 * 100;
    let mut add = |kind: Kind, lon: (f64, f64), rng: &mut Rng| {
        next_mmsi += 1;
        let off = (kind == Kind::Dark).then(|| {
            let t0 = rng.range(B_DOWN.0 + 20.0 * MIN, B_DOWN.0 + 60.0 * MIN);
            (t0, t0 + rng.range(2.5 * H, 3.5 * H))
        });
        vessels.push(Shuttle {
            mmsi: next_mmsi,
            lon: rng.range(lon.0, lon.1),
            lat0: rng.range(LAT.0, LAT.1),
            north: rng.chance(0.5),
            speed_kn: rng.range(8.0, 12.0),
            off,
            kind,
        });
    };
    for _ in 0..BACKGROUND {
        add(Kind::Background, LON, rng);
    }
    for _ in 0..EDGE {
        add(Kind::Edge, (A_EDGE_LON + 0.02, LON.1), rng);
    }
    for _ in 0..DARK {
        add(Kind::Dark, (LON.0, A_EDGE_LON - 0.03), rng);
    }

    let mut out = EdgeRun {
        records: Vec::new(),
        truth: Vec::new(),
        traps: Vec::new(),
        lines: 0,
        duplicate_lines: 0,
        vessels: vessels.len(),
    };
    let b_down = |t: f64| (B_DOWN.0..B_DOWN.1).contains(&t);
    for v in &vessels {
        let mut heard_times: Vec<i64> = Vec::new();
        let mut t = rng.int(0, 59);
        while (t as f64) < horizon {
            let tf = t as f64;
            let silent = v.off.is_some_and(|(a, b)| (a..b).contains(&tf));
            if !silent {
                let (lon, lat, cog) = v.at(tf);
                let mut heard = Vec::new();
                if lon < A_EDGE_LON && !rng.chance(MISS) {
                    heard.push(STATION_A);
                }
                if !b_down(tf) && !rng.chance(MISS) {
                    heard.push(STATION_B);
                }
                let payload = encode::type1(&PositionA {
                    mmsi: v.mmsi,
                    status: 0,
                    sog_kn: (v.speed_kn * 10.0).round() / 10.0,
                    lon,
                    lat,
                    cog,
                    heading: cog as u16,
                    second: t.rem_euclid(60) as u8,
                    radio: rng.below(1 << 19) as u32,
                });
                let channel = if rng.chance(0.5) { 'A' } else { 'B' };
                for (k, st) in heard.iter().enumerate() {
                    let c = if k == 0 { t } else { t + rng.int(0, 1) };
                    let lines = encode::tagged_lines(&payload, 0, channel, st, cfg.start_unix + c);
                    out.lines += lines.len();
                    if k > 0 {
                        out.duplicate_lines += lines.len();
                    }
                    let key = (cfg.start_unix + c) * 1000 + rng.below(900) as i64;
                    let idx = out.records.len() as u32;
                    out.records.push((key, idx, lines.join("\n")));
                }
                if !heard.is_empty() {
                    heard_times.push(t);
                }
            }
            t += rng.int(30, 60);
        }
        // Truth and traps from what was heard: the silence around the
        // vessel's AIS switched off, or around B's outage.
        let around = |t0: f64, t1: f64| {
            let before = heard_times.iter().rev().find(|&&x| (x as f64) < t0)?;
            let after = heard_times.iter().find(|&&x| (x as f64) >= t1)?;
            Some((*before, *after))
        };
        let item = |kind: &'static str, (t0, t1): (i64, i64), note: &str| Item {
            kind,
            mmsi: vec![v.mmsi],
            zone: Some("sim-patrol"),
            t0,
            t1,
            note: Some(note.to_string()),
        };
        match v.kind {
            Kind::Dark => {
                if let Some(span) = v.off.and_then(|(a, b)| around(a, b)) {
                    out.truth.push(item(
                        "dark_period",
                        span,
                        "AIS off while station sim-edge-a, which heard it, was up",
                    ));
                }
            }
            Kind::Edge | Kind::Background if v.lon >= A_EDGE_LON => {
                if let Some(span) = around(B_DOWN.0, B_DOWN.1) {
                    out.traps.push(item(
                        "trap_coverage_edge",
                        span,
                        "heard only by sim-edge-b, silent during its outage; sim-edge-a covers the west of the same cells",
                    ));
                }
            }
            Kind::Edge | Kind::Background => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuttles_stay_in_the_column_and_edge_vessels_are_east() {
        let mut rng = Rng::new(3);
        let run = build(&SimConfig::default(), &mut rng);
        assert_eq!(run.vessels, BACKGROUND + EDGE + DARK);
        assert_eq!(run.truth.len(), DARK);
        let east = run.traps.len() - EDGE;
        assert!(
            east < BACKGROUND / 2,
            "{east} background vessels in the east"
        );
        for t in &run.truth {
            let gap = t.t1 - t.t0;
            assert!((9_000..=12_900).contains(&gap), "{gap}");
        }
        for t in &run.traps {
            assert!(t.t1 - t.t0 >= 3 * 3600 - 120, "{}", t.t1 - t.t0);
        }
        let s = Shuttle {
            mmsi: 1,
            lon: 2.6,
            lat0: 4.4,
            north: true,
            speed_kn: 10.0,
            off: None,
            kind: Kind::Background,
        };
        for k in 0..200 {
            let (_, lat, cog) = s.at(f64::from(k) * 600.0);
            assert!((LAT.0 - 1e-9..=LAT.1 + 1e-9).contains(&lat), "{lat}");
            assert!(cog == 0.0 || cog == 180.0);
        }
    }
}
