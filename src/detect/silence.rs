//! Which silences the data explains.
//!
//! For the whole feed and for every station we keep the *dead time*: the
//! total time, beyond a grace period, during which nothing at all was heard
//! from it. A vessel's silence minus the dead time that accrued meanwhile
//! (of the feed, or of the station that last heard the vessel, whichever is
//! larger) is the silence nobody can explain.

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

/// Which stations hear vessels where: per cell of a 0.25° grid, the copies
/// each station delivered (halved now and then, so it follows change).
/// Reception depends on where a vessel is, not on which station heard it
/// last: a vessel sailing out of one station's range into another's is
/// covered by the second.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    cells: AHashMap<(i32, i32), StationCounts>,
}

/// Copies delivered per station.
type StationCounts = Vec<(Arc<str>, u32)>;

/// Grid cell size in degrees.
const CELL_DEG: f64 = 0.25;
/// Copies a cell needs before its coverage is trusted.
const MIN_COPIES: u32 = 20;
/// Stations remembered per cell.
const CELL_STATIONS: usize = 8;

impl Coverage {
    fn cell(lon: f64, lat: f64) -> (i32, i32) {
        (
            (lon / CELL_DEG).floor() as i32,
            (lat / CELL_DEG).floor() as i32,
        )
    }

    /// `station` delivered a copy of a report from (lon, lat).
    pub(super) fn heard(&mut self, station: &Arc<str>, lon: f64, lat: f64) {
        let counts = self.cells.entry(Self::cell(lon, lat)).or_default();
        match counts.iter().position(|(s, _)| s == station) {
            Some(i) => {
                counts[i].1 += 1;
                if counts[i].1 >= 4096 {
                    counts.iter_mut().for_each(|(_, n)| *n /= 2);
                }
            }
            None if counts.len() < CELL_STATIONS => counts.push((station.clone(), 1)),
            None => {}
        }
    }

    /// The stations that cover (lon, lat): those that delivered at least a
    /// third as many copies there as the best one. `None` when the area (the
    /// cell and its neighbours) is too little known.
    pub(super) fn covering(&self, lon: f64, lat: f64) -> Option<Vec<Arc<str>>> {
        let (x, y) = Self::cell(lon, lat);
        let mut sum: StationCounts = Vec::new();
        let add = |sum: &mut StationCounts, cx, cy| {
            for (s, n) in self.cells.get(&(cx, cy)).into_iter().flatten() {
                match sum.iter_mut().find(|(t, _)| t == s) {
                    Some((_, m)) => *m += n,
                    None => sum.push((s.clone(), *n)),
                }
            }
        };
        add(&mut sum, x, y);
        if sum.iter().map(|x| x.1).sum::<u32>() < MIN_COPIES {
            for (dx, dy) in [
                (-1, -1),
                (-1, 0),
                (-1, 1),
                (0, -1),
                (0, 1),
                (1, -1),
                (1, 0),
                (1, 1),
            ] {
                add(&mut sum, x + dx, y + dy);
            }
        }
        let most = sum.iter().map(|x| x.1).max()?;
        if sum.iter().map(|x| x.1).sum::<u32>() < MIN_COPIES {
            return None;
        }
        Some(
            sum.into_iter()
                .filter(|(_, n)| n * 3 >= most)
                .map(|(s, _)| s)
                .collect(),
        )
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
}
