//! Which stations hear a vessel, kept small: every vessel in a zone holds
//! one, so the arrays are inline and their lengths are bytes.

use super::ring::Ring;
use super::silence::{Dead, StationId};

/// Stations remembered per vessel.
pub(crate) const MAX_STATIONS: usize = 4;
/// Copies (every station's) remembered per vessel to tell which stations hear it now.
pub(crate) const RECENT_COPIES: usize = 16;

/// The stations that hear a vessel, each with the dead time of the feed
/// and of that station when the vessel was last heard (by anyone), and
/// which station heard each of its last [`RECENT_COPIES`] copies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hearing {
    dead_at_last: [Dead; MAX_STATIONS],
    stations: [StationId; MAX_STATIONS],
    recent: Ring<StationId, RECENT_COPIES>,
    stations_len: u8,
}

impl Hearing {
    /// The stations that hear the vessel.
    pub(crate) fn stations(&self) -> &[StationId] {
        &self.stations[..usize::from(self.stations_len)]
    }

    /// Whether `station` is among them.
    pub(crate) fn hears(&self, station: StationId) -> bool {
        self.stations().contains(&station)
    }

    /// The dead-time marks of `station` when the vessel was last heard, if
    /// it is among the stations that hear it.
    pub(crate) fn dead_at_last(&self, station: StationId) -> Option<Dead> {
        let i = self.stations().iter().position(|&s| s == station)?;
        Some(self.dead_at_last[i])
    }

    /// Sets the dead-time marks of every station that hears the vessel.
    pub(crate) fn mark_dead(&mut self, mut dead: impl FnMut(StationId) -> Dead) {
        let n = usize::from(self.stations_len);
        for (d, &s) in self.dead_at_last[..n].iter_mut().zip(&self.stations[..n]) {
            *d = dead(s);
        }
    }

    /// Adds `station` (not among them yet) with its marks; when
    /// [`MAX_STATIONS`] are held, the first that none of the recent copies
    /// came through makes room (else the first).
    pub(crate) fn add(&mut self, station: StationId, dead_at_last: Dead) {
        if usize::from(self.stations_len) >= MAX_STATIONS {
            let oldest = self.stations().iter().position(|s| !self.recently(*s));
            self.swap_remove(oldest.unwrap_or(0));
        }
        let n = usize::from(self.stations_len);
        self.stations[n] = station;
        self.dead_at_last[n] = dead_at_last;
        self.stations_len += 1;
    }

    /// Removes station `i`, the last taking its place.
    fn swap_remove(&mut self, i: usize) {
        let last = usize::from(self.stations_len) - 1;
        self.stations.swap(i, last);
        self.dead_at_last.swap(i, last);
        self.stations_len -= 1;
    }

    /// Whether one of the recent copies came through `station`.
    fn recently(&self, station: StationId) -> bool {
        self.recent().any(|s| s == station)
    }

    /// The station of each recent copy, oldest first.
    pub(crate) fn recent(&self) -> impl Iterator<Item = StationId> + '_ {
        self.recent.iter()
    }

    /// Recent copies held (0..=[`RECENT_COPIES`]).
    pub(crate) fn recent_len(&self) -> usize {
        self.recent.len()
    }

    /// A copy came through `station`, forgetting the oldest when full.
    pub(crate) fn heard_copy(&mut self, station: StationId) {
        self.recent.push(station);
    }

    /// Forgets every station in `ids`, from the stations and the copies
    /// (the others keep their order).
    pub(crate) fn forget(&mut self, ids: &[StationId]) {
        let mut kept = 0;
        for i in 0..usize::from(self.stations_len) {
            if !ids.contains(&self.stations[i]) {
                self.stations[kept] = self.stations[i];
                self.dead_at_last[kept] = self.dead_at_last[i];
                kept += 1;
            }
        }
        self.stations_len = kept as u8;
        self.recent.retain(|s| !ids.contains(&s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u16) -> StationId {
        StationId::from_index(i)
    }

    #[test]
    fn the_ring_keeps_the_last_copies_in_order() {
        let mut h = Hearing::default();
        for i in 0..20 {
            h.heard_copy(id(i % 5));
        }
        assert_eq!(h.recent_len(), RECENT_COPIES);
        let want: Vec<StationId> = (4..20).map(|i| id(i % 5)).collect();
        assert_eq!(h.recent().collect::<Vec<_>>(), want);
        h.forget(&[id(0), id(3)]);
        let want: Vec<StationId> = (4..20)
            .map(|i| id(i % 5))
            .filter(|s| *s != id(0) && *s != id(3))
            .collect();
        assert_eq!(h.recent().collect::<Vec<_>>(), want);
        h.heard_copy(id(7));
        assert_eq!(h.recent().last(), Some(id(7)));
        assert_eq!(h.recent_len(), want.len() + 1);
    }

    #[test]
    fn a_fifth_station_replaces_one_no_recent_copy_came_through() {
        let mut h = Hearing::default();
        for i in 0..4 {
            h.add(id(i), Dead::default());
        }
        // Recent copies came through 0, 2 and 3, not 1.
        for i in [0, 2, 3, 0] {
            h.heard_copy(id(i));
        }
        // 1 goes, the last (3) taking its place; 9 comes last.
        h.add(id(9), Dead::default());
        assert_eq!(h.stations(), &[id(0), id(3), id(2), id(9)]);
        // Every station heard recently: the first makes room.
        h.heard_copy(id(9));
        h.add(id(8), Dead::default());
        assert_eq!(h.stations(), &[id(9), id(3), id(2), id(8)]);
        assert!(h.hears(id(8)) && !h.hears(id(0)));
        h.forget(&[id(9)]);
        assert_eq!(h.stations(), &[id(3), id(2), id(8)]);
    }
}
