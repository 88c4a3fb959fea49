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
use smallvec::SmallVec;

use super::place::floor_i32;
use aiswatch_core::time::Millis;

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
pub(crate) struct Dead {
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
// Every id fits a [`StationId`].
const _: () = assert!(MAX_STATIONS <= u16::MAX as usize + 1);

/// Slots of [`Liveness`]'s cache of stations looked up lately.
const RECENT_SLOTS: usize = 16;

/// The address of a station name's allocation.
fn addr(s: &Arc<str>) -> usize {
    Arc::as_ptr(s) as *const u8 as usize
}

fn slot(addr: usize) -> usize {
    (addr >> 4) % RECENT_SLOTS
}

/// A station, interned by [`Liveness`]: per-vessel and per-cell bookkeeping
/// stores and compares these small ids, not names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct StationId(u16);

#[cfg(test)]
impl StationId {
    /// The id at index `i` of the table.
    pub(super) fn from_index(i: u16) -> StationId {
        StationId(i)
    }
}

/// Dead-time accounting of the feed and of each station, and the station
/// names (interned: see [`StationId`]).
#[derive(Debug)]
pub(super) struct Liveness {
    feed: Clock,
    ids: AHashMap<Arc<str>, StationId>,
    /// By id: the name and clock (`None`: a free id).
    stations: Vec<Option<(Arc<str>, Clock)>>,
    free: Vec<StationId>,
    /// Stations looked up lately, by the address of their name: found
    /// again without hashing the name (see [`Liveness::id`]).
    recent: [(usize, StationId); RECENT_SLOTS],
    /// Stations forgotten since the last [`Liveness::take_forgotten`].
    forgotten: Vec<(StationId, Arc<str>)>,
    feed_grace: Millis,
    station_grace: Millis,
}

impl Liveness {
    pub(super) fn new(feed_grace: Millis, station_grace: Millis) -> Self {
        Liveness {
            feed: Clock::default(),
            ids: AHashMap::new(),
            stations: Vec::new(),
            free: Vec::new(),
            recent: [(0, StationId::default()); RECENT_SLOTS],
            forgotten: Vec::new(),
            feed_grace,
            station_grace,
        }
    }

    /// Something was heard from `station` at `t`; returns its id.
    pub(super) fn heard(&mut self, station: &Arc<str>, t: Millis) -> StationId {
        self.feed.heard(t, self.feed_grace);
        let grace = self.station_grace;
        let id = match self.id(station) {
            Some(id) => id,
            None => {
                if self.ids.len() >= MAX_STATIONS {
                    self.forget_oldest(MAX_STATIONS / 4);
                }
                let entry = Some((station.clone(), Clock::default()));
                let id = match self.free.pop() {
                    Some(id) => {
                        self.stations[id.0 as usize] = entry;
                        id
                    }
                    None => {
                        self.stations.push(entry);
                        StationId((self.stations.len() - 1) as u16)
                    }
                };
                self.ids.insert(station.clone(), id);
                id
            }
        };
        if let Some((_, c)) = &mut self.stations[id.0 as usize] {
            c.heard(t, grace);
        }
        let a = addr(station);
        self.recent[slot(a)] = (a, id);
        id
    }

    /// The id of `station`, if it is known. A station looked up lately is
    /// found by the address of its name when its id still holds that very
    /// allocation (so it is the same name, even if the id was reused).
    pub(super) fn id(&self, station: &Arc<str>) -> Option<StationId> {
        let a = addr(station);
        let (b, id) = self.recent[slot(a)];
        match self.stations.get(id.0 as usize) {
            Some(Some((s, _))) if b == a && addr(s) == a => Some(id),
            _ => self.ids.get(station).copied(),
        }
    }

    /// The name of station `id` (empty once forgotten).
    pub(super) fn name(&self, id: StationId) -> Arc<str> {
        match self.stations.get(id.0 as usize) {
            Some(Some((s, _))) => s.clone(),
            _ => Arc::from(""),
        }
    }

    /// Forgets the `n` stations heard least recently.
    fn forget_oldest(&mut self, n: usize) {
        let mut last: Vec<Millis> = self
            .stations
            .iter()
            .flatten()
            .map(|(_, c)| c.last.unwrap_or(Millis::MIN))
            .collect();
        if n == 0 || last.is_empty() {
            return;
        }
        let k = n.min(last.len()) - 1;
        let (_, cutoff, _) = last.select_nth_unstable(k);
        let cutoff = *cutoff;
        let mut left = n;
        for (i, slot) in self.stations.iter_mut().enumerate() {
            let old = slot
                .as_ref()
                .is_some_and(|(_, c)| c.last.unwrap_or(Millis::MIN) <= cutoff && left > 0);
            if let Some((name, _)) = slot.take_if(|_| old) {
                left -= 1;
                self.ids.remove(&name);
                let id = StationId(i as u16);
                self.free.push(id);
                self.forgotten.push((id, name));
            }
        }
    }

    /// Stations forgotten since the last call, with their names: whoever
    /// keeps their ids must drop them (they will be given to new stations).
    pub(super) fn take_forgotten(&mut self) -> Vec<(StationId, Arc<str>)> {
        std::mem::take(&mut self.forgotten)
    }

    /// Stations whose dead time is kept.
    #[cfg(test)]
    pub(super) fn stations(&self) -> usize {
        self.ids.len()
    }

    fn clock(&self, id: StationId) -> Option<&Clock> {
        self.stations.get(id.0 as usize)?.as_ref().map(|(_, c)| c)
    }

    /// Dead time so far of the feed and of station `id`.
    pub(super) fn dead(&self, id: StationId, now: Millis) -> Dead {
        Dead {
            feed: self.feed.dead(now, self.feed_grace),
            station: self
                .clock(id)
                .map_or(0, |c| c.dead(now, self.station_grace)),
        }
    }

    /// When station `id` was last heard.
    pub(super) fn last_heard(&self, id: StationId) -> Option<Millis> {
        self.clock(id).and_then(|c| c.last)
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
    copies: SmallVec<[(StationId, u32); 4]>,
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
        (floor_i32(lon / CELL_DEG), floor_i32(lat / CELL_DEG))
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
    pub(super) fn heard(&mut self, station: StationId, lon: f64, lat: f64, first: bool) {
        let cell = self.cell_mut(lon, lat);
        if first {
            cell.reports += 1;
            if cell.reports >= HALVE_AT {
                cell.halve();
            }
        }
        match cell.copies.iter().position(|(s, _)| *s == station) {
            Some(i) => {
                cell.copies[i].1 = cell.copies[i].1.saturating_add(1);
                // Copies must not grow without bound either.
                if cell.copies[i].1 >= 2 * HALVE_AT {
                    cell.halve();
                }
            }
            None if cell.copies.len() < CELL_STATIONS => cell.copies.push((station, 1)),
            None => {}
        }
    }

    /// The stations that cover (lon, lat), with their shares of its
    /// reports: those delivering at least [`COVER_SHARE`] of them and a third
    /// of the best one's share (or, where none does, the best). `None` when
    /// the area (the cell, else with its neighbours) is too little known.
    pub(super) fn covering(&self, lon: f64, lat: f64) -> Option<Vec<(StationId, f64)>> {
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
        let mut sum: Vec<(StationId, u32)> = Vec::new();
        for c in around.iter().filter_map(|k| self.cells.get(k)) {
            reports = reports.saturating_add(c.reports);
            for (s, n) in &c.copies {
                match sum.iter_mut().find(|(t, _)| *t == *s) {
                    Some((_, m)) => *m = m.saturating_add(*n),
                    None => sum.push((*s, *n)),
                }
            }
        }
        if reports < MIN_REPORTS {
            return None;
        }
        let shares: Vec<(StationId, f64)> = sum
            .into_iter()
            .map(|(s, n)| (s, (f64::from(n) / f64::from(reports)).min(1.0)))
            .collect();
        let best = shares.iter().map(|x| x.1).fold(0.0, f64::max);
        let bar = COVER_SHARE.max(best / 3.0).min(best);
        Some(shares.into_iter().filter(|x| x.1 >= bar).collect())
    }

    /// Drops stations whose ids were forgotten (see [`Liveness::take_forgotten`]).
    pub(super) fn forget(&mut self, ids: &[StationId]) {
        for c in self.cells.values_mut() {
            c.copies.retain(|(s, _)| !ids.contains(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_station_ids_is_bounded_and_keeps_live_stations() {
        let live: Arc<str> = "live".into();
        let mut l = Liveness::new(300_000, 600_000);
        let mut forgotten = 0;
        for i in 0..(MAX_STATIONS * 2) as i64 {
            l.heard(&format!("s{i}").into(), i);
            // The real station is heard now and then, so it is never the oldest.
            if i % 1000 == 0 {
                let id = l.heard(&live, i);
                assert_eq!(l.name(id), live);
            }
            forgotten += l.take_forgotten().len();
        }
        assert!(l.stations() <= MAX_STATIONS, "{}", l.stations());
        assert!(l.stations.len() <= MAX_STATIONS, "{}", l.stations.len());
        assert!(forgotten >= MAX_STATIONS, "{forgotten}");
        let id = l.id(&live).unwrap();
        assert!(l.last_heard(id).is_some());
        // Found by name too, not only by the pointer of the last lookup.
        assert_eq!(l.id(&Arc::from("live")), Some(id));
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
        let (ia, ib) = (l.id(&a).unwrap(), l.id(&b).unwrap());
        assert_ne!(ia, ib);
        // Station a goes quiet for 3 h while b keeps going.
        for t in (3_660_000..=14_400_000).step_by(60_000) {
            l.heard(&b, t);
        }
        let now = 14_400_000;
        let start = l.dead(ia, 3_600_000);
        assert_eq!(l.dead(ib, now).since(l.dead(ib, 3_600_000)), 0);
        assert_eq!(l.dead(ia, now).since(start), now - 3_600_000 - 600_000);
        // The whole feed stalls for an hour.
        let before = l.dead(ib, now);
        l.heard(&b, now + 3_600_000);
        assert_eq!(
            l.dead(ib, now + 3_600_000).since(before),
            3_600_000 - 300_000
        );
    }
    #[test]
    fn coverage_is_a_share_of_a_cells_reports() {
        let (a, b) = (StationId(0), StationId(1));
        let mut c = Coverage::default();
        // b hears every report of the cell, a the western 10 % of them.
        for i in 0..100 {
            let lon = 3.0 + 0.0024 * f64::from(i);
            c.heard(b, lon, 4.1, true);
            if i < 10 {
                c.heard(a, lon, 4.1, false);
            }
        }
        let cov = c.covering(3.2, 4.2).unwrap();
        assert_eq!(cov.len(), 1, "{cov:?}");
        assert_eq!(cov[0].0, b);
        assert!((cov[0].1 - 1.0).abs() < 1e-9);
        // A forgotten station is dropped from the cells.
        c.forget(&[b]);
        assert!(c.covering(3.2, 4.2).unwrap().iter().all(|x| x.0 != b));
        // Too little known: no verdict.
        assert!(c.covering(10.0, 10.0).is_none());
        // Bounded: a flood of cells keeps at most MAX_CELLS.
        for i in 0..(MAX_CELLS + 10) {
            let (lon, lat) = (f64::from(i as u32 % 1400), f64::from(i as u32 / 1400));
            c.heard(a, lon * 0.25, lat * 0.25 - 80.0, true);
        }
        assert!(c.cells.len() <= MAX_CELLS);
    }
}
