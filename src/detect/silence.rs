//! Which silences the data explains.
//!
//! For the whole feed and for every station we keep the *dead time*: the
//! total time, beyond a grace period, during which nothing at all was heard
//! from it. A vessel's silence minus the dead time that accrued meanwhile
//! (of the feed, or of every station expected to hear the vessel, the
//! least of those) is the silence nobody can explain. Which stations are
//! expected is judged in `dark_period.rs`, from the stations that heard the
//! vessel and from [`Coverage`], each station's share of a cell's reports.

use std::sync::Arc;

use ahash::AHashMap;

use crate::time::Millis;

#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    last: Option<Millis>,
    dead: Millis,
}

impl Clock {
    fn heard(&mut self, t: Millis, grace: Millis) {
        match self.last {
            Some(l) if t > l => {
                self.dead += (t - l - grace).max(0);
                self.last = Some(t);
            }
            None => self.last = Some(t),
            _ => {}
        }
    }

    /// Dead time up to `now`, counting a silence still going on.
    fn dead(&self, now: Millis, grace: Millis) -> Millis {
        self.dead + self.last.map_or(0, |l| (now - l - grace).max(0))
    }
}

/// Dead time of the feed and of one station, at some instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Dead {
    feed: Millis,
    station: Millis,
}

impl Dead {
    /// How much of the time since `earlier` is explained by a stall or an
    /// outage (the larger: they usually overlap).
    pub(super) fn since(&self, earlier: Dead) -> Millis {
        (self.feed - earlier.feed).max(self.station - earlier.station)
    }
}

/// Most stations whose dead time is kept. Decoders already cap the station
/// ids of each source; this bounds what churn through them (ids forgotten
/// and new ones admitted) leaves here. Beyond it, the quarter heard least
/// recently is forgotten: a station unheard for that long explains nothing
/// any more (its dead time then counts as 0).
const MAX_STATIONS: usize = 65_536;

/// Dead-time accounting of the feed and of each station.
#[derive(Debug)]
pub(super) struct Liveness {
    feed: Clock,
    stations: AHashMap<Arc<str>, Clock>,
    feed_grace: Millis,
    station_grace: Millis,
}

impl Liveness {
    pub(super) fn new(feed_grace: Millis, station_grace: Millis) -> Self {
        Liveness {
            feed: Clock::default(),
            stations: AHashMap::new(),
            feed_grace,
            station_grace,
        }
    }

    /// Something was heard from `station` at `t`.
    pub(super) fn heard(&mut self, station: &Arc<str>, t: Millis) {
        self.feed.heard(t, self.feed_grace);
        let grace = self.station_grace;
        match self.stations.get_mut(station) {
            Some(c) => c.heard(t, grace),
            None => {
                if self.stations.len() >= MAX_STATIONS {
                    self.forget_oldest(MAX_STATIONS / 4);
                }
                let mut c = Clock::default();
                c.heard(t, grace);
                self.stations.insert(station.clone(), c);
            }
        }
    }

    /// Forgets the `n` stations heard least recently.
    fn forget_oldest(&mut self, n: usize) {
        let mut last: Vec<Millis> = self
            .stations
            .values()
            .map(|c| c.last.unwrap_or(Millis::MIN))
            .collect();
        if n == 0 || last.is_empty() {
            return;
        }
        let k = n.min(last.len()) - 1;
        let (_, cutoff, _) = last.select_nth_unstable(k);
        let cutoff = *cutoff;
        let mut left = n;
        self.stations.retain(|_, c| {
            let old = c.last.unwrap_or(Millis::MIN) <= cutoff && left > 0;
            if old {
                left -= 1;
            }
            !old
        });
    }

    /// Stations whose dead time is kept.
    #[cfg(test)]
    pub(super) fn stations(&self) -> usize {
        self.stations.len()
    }

    /// Dead time so far of the feed and of `station`.
    pub(super) fn dead(&self, station: &Arc<str>, now: Millis) -> Dead {
        Dead {
            feed: self.feed.dead(now, self.feed_grace),
            station: self
                .stations
                .get(station)
                .map_or(0, |c| c.dead(now, self.station_grace)),
        }
    }

    /// When `station` was last heard.
    pub(super) fn last_heard(&self, station: &Arc<str>) -> Option<Millis> {
        self.stations.get(station).and_then(|c| c.last)
    }
}

/// Which stations hear vessels where, as a matter of degree: per cell of a
/// 0.25° grid, the position reports heard from it and the copies each
/// station delivered, so each station's *share* of the cell's reports is
/// known (counts are halved now and then, so they follow change). A
/// station that hears only part of a cell (its range ends inside it) has a
/// small share there, and its being live says little about a vessel in the
/// rest of the cell.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    cells: AHashMap<(i32, i32), Cell>,
}

#[derive(Debug, Default)]
struct Cell {
    /// Position reports heard from the cell (first copies).
    reports: u32,
    /// Copies delivered per station.
    copies: Vec<(Arc<str>, u32)>,
}

impl Cell {
    fn halve(&mut self) {
        self.reports /= 2;
        self.copies.iter_mut().for_each(|(_, n)| *n /= 2);
    }
}

/// Grid cell size in degrees.
const CELL_DEG: f64 = 0.25;
/// Reports a cell needs before its coverage is trusted.
const MIN_REPORTS: u32 = 20;
/// Stations remembered per cell.
const CELL_STATIONS: usize = 8;
/// Counts are halved when a cell reaches this many reports.
const HALVE_AT: u32 = 4096;
/// A station delivering at least this share of a cell's reports, and a
/// third of the best station's, covers it: one that hears a tenth of a cell
/// (its range ends inside it) does not.
const COVER_SHARE: f64 = 0.2;
/// Most cells kept. Cells are bounded by geography (a 0.25° grid of the
/// whole sea is about 700k cells); beyond this the least known half goes.
const MAX_CELLS: usize = 262_144;

impl Coverage {
    pub(super) fn cell(lon: f64, lat: f64) -> (i32, i32) {
        (
            (lon / CELL_DEG).floor() as i32,
            (lat / CELL_DEG).floor() as i32,
        )
    }

    fn cell_mut(&mut self, lon: f64, lat: f64) -> &mut Cell {
        if self.cells.len() >= MAX_CELLS {
            self.forget_least_known();
        }
        self.cells.entry(Self::cell(lon, lat)).or_default()
    }

    /// Forgets the half of the cells with the fewest reports.
    fn forget_least_known(&mut self) {
        let mut n: Vec<u32> = self.cells.values().map(|c| c.reports).collect();
        let mid = n.len() / 2;
        let (_, cutoff, _) = n.select_nth_unstable(mid);
        let cutoff = *cutoff;
        let mut left = mid.max(1);
        self.cells.retain(|_, c| {
            let old = c.reports <= cutoff && left > 0;
            if old {
                left -= 1;
            }
            !old
        });
    }

    /// `station` delivered a copy (`first`: the first) of a report from
    /// (lon, lat).
    pub(super) fn heard(&mut self, station: &Arc<str>, lon: f64, lat: f64, first: bool) {
        let cell = self.cell_mut(lon, lat);
        if first {
            cell.reports += 1;
            if cell.reports >= HALVE_AT {
                cell.halve();
            }
        }
        match cell.copies.iter().position(|(s, _)| s == station) {
            Some(i) => {
                cell.copies[i].1 = cell.copies[i].1.saturating_add(1);
                // Copies must not grow without bound either.
                if cell.copies[i].1 >= 2 * HALVE_AT {
                    cell.halve();
                }
            }
            None if cell.copies.len() < CELL_STATIONS => cell.copies.push((station.clone(), 1)),
            None => {}
        }
    }

    /// The stations that cover (lon, lat), with their shares of its
    /// reports: those delivering at least [`COVER_SHARE`] of them and a third
    /// of the best one's share (or, where none does, the best). `None` when
    /// the area (the cell, else with its neighbours) is too little known.
    pub(super) fn covering(&self, lon: f64, lat: f64) -> Option<Vec<(Arc<str>, f64)>> {
        let (x, y) = Self::cell(lon, lat);
        let mut around = vec![(x, y)];
        if self.cells.get(&(x, y)).map_or(0, |c| c.reports) < MIN_REPORTS {
            for dx in -1..=1 {
                for dy in -1..=1 {
                    if (dx, dy) != (0, 0) {
                        around.push((x + dx, y + dy));
                    }
                }
            }
        }
        let mut reports = 0u32;
        let mut sum: Vec<(Arc<str>, u32)> = Vec::new();
        for c in around.iter().filter_map(|k| self.cells.get(k)) {
            reports = reports.saturating_add(c.reports);
            for (s, n) in &c.copies {
                match sum.iter_mut().find(|(t, _)| t == s) {
                    Some((_, m)) => *m = m.saturating_add(*n),
                    None => sum.push((s.clone(), *n)),
                }
            }
        }
        if reports < MIN_REPORTS {
            return None;
        }
        let shares: Vec<(Arc<str>, f64)> = sum
            .into_iter()
            .map(|(s, n)| (s, (f64::from(n) / f64::from(reports)).min(1.0)))
            .collect();
        let best = shares.iter().map(|x| x.1).fold(0.0, f64::max);
        let bar = COVER_SHARE.max(best / 3.0).min(best);
        Some(shares.into_iter().filter(|x| x.1 >= bar).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_station_ids_is_bounded_and_keeps_live_stations() {
        let live: Arc<str> = "live".into();
        let mut l = Liveness::new(300_000, 600_000);
        for i in 0..(MAX_STATIONS * 2) as i64 {
            l.heard(&format!("s{i}").into(), i);
            // The real station is heard now and then, so it is never the oldest.
            if i % 1000 == 0 {
                l.heard(&live, i);
            }
        }
        assert!(l.stations() <= MAX_STATIONS, "{}", l.stations());
        assert!(l.last_heard(&live).is_some());
    }

    #[test]
    fn station_outage_and_feed_stall_are_dead_time() {
        let a: Arc<str> = "a".into();
        let b: Arc<str> = "b".into();
        let mut l = Liveness::new(300_000, 600_000);
        for t in (0..=3_600_000).step_by(60_000) {
            l.heard(&a, t);
            l.heard(&b, t);
        }
        // Station a goes quiet for 3 h while b keeps going.
        for t in (3_660_000..=14_400_000).step_by(60_000) {
            l.heard(&b, t);
        }
        let now = 14_400_000;
        let start = l.dead(&a, 3_600_000);
        assert_eq!(l.dead(&b, now).since(l.dead(&b, 3_600_000)), 0);
        assert_eq!(l.dead(&a, now).since(start), now - 3_600_000 - 600_000);
        // The whole feed stalls for an hour.
        let before = l.dead(&b, now);
        l.heard(&b, now + 3_600_000);
        assert_eq!(
            l.dead(&b, now + 3_600_000).since(before),
            3_600_000 - 300_000
        );
    }
    #[test]
    fn coverage_is_a_share_of_a_cells_reports() {
        let a: Arc<str> = "a".into();
        let b: Arc<str> = "b".into();
        let mut c = Coverage::default();
        // b hears every report of the cell, a the western 10 % of them.
        for i in 0..100 {
            let lon = 3.0 + 0.0024 * f64::from(i);
            c.heard(&b, lon, 4.1, true);
            if i < 10 {
                c.heard(&a, lon, 4.1, false);
            }
        }
        let cov = c.covering(3.2, 4.2).unwrap();
        assert_eq!(cov.len(), 1, "{cov:?}");
        assert_eq!(cov[0].0, b);
        assert!((cov[0].1 - 1.0).abs() < 1e-9);
        // Too little known: no verdict.
        assert!(c.covering(10.0, 10.0).is_none());
        // Bounded: a flood of cells keeps at most MAX_CELLS.
        for i in 0..(MAX_CELLS + 10) {
            let (lon, lat) = (f64::from(i as u32 % 1400), f64::from(i as u32 / 1400));
            c.heard(&a, lon * 0.25, lat * 0.25 - 80.0, true);
        }
        assert!(c.cells.len() <= MAX_CELLS);
    }
}
