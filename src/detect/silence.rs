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
                let mut c = Clock::default();
                c.heard(t, grace);
                self.stations.insert(station.clone(), c);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
