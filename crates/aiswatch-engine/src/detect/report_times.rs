//! The times of a vessel's last position reports, kept small: the newest
//! in full, each earlier one as its gap to the report after it.

use aiswatch_core::time::Millis;

use super::ring::Ring;

/// Reports remembered.
pub(crate) const REPORTS: usize = 16;
const GAPS: usize = REPORTS - 1;

/// The last [`REPORTS`] report times of a vessel. A gap is kept in i32
/// milliseconds, bounded at ±24.8 days: the times are read for the usual
/// interval (a median of the gaps) and for the reports within a zone's
/// dark gap (hours) of the last one, which a gap of weeks does not change.
#[derive(Debug, Clone)]
pub(crate) struct ReportTimes {
    /// The newest time, [`NONE`] before the first.
    newest: Millis,
    /// The gaps between consecutive times, oldest first.
    gaps: Ring<i32, GAPS>,
}

/// No time yet: no report carries it (a flag beside the ring would add 8 B
/// per vessel to the padding).
const NONE: Millis = Millis::MIN;

impl Default for ReportTimes {
    fn default() -> Self {
        ReportTimes {
            newest: NONE,
            gaps: Ring::default(),
        }
    }
}

impl ReportTimes {
    /// Remembers `t`, forgetting the oldest time when full.
    pub(crate) fn push(&mut self, t: Millis) {
        if self.newest != NONE {
            let gap = t.saturating_sub(self.newest);
            self.gaps
                .push(gap.clamp(i32::MIN.into(), i32::MAX.into()) as i32);
        }
        self.newest = t;
    }

    /// Times held.
    pub(crate) fn len(&self) -> usize {
        if self.newest == NONE {
            0
        } else {
            1 + self.gaps.len()
        }
    }

    /// The gaps between consecutive times, oldest first.
    pub(crate) fn gaps(&self) -> impl Iterator<Item = Millis> + '_ {
        self.gaps.iter().map(Millis::from)
    }

    /// The times, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = Millis> + '_ {
        let newest = (self.newest != NONE).then_some(self.newest);
        newest
            .into_iter()
            .chain(self.gaps.iter().rev().scan(self.newest, |t, gap| {
                *t = t.saturating_sub(gap.into());
                Some(*t)
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_times_and_their_gaps() {
        let mut r = ReportTimes::default();
        assert_eq!(r.newest_first().count(), 0);
        assert_eq!(r.gaps().count(), 0);
        r.push(1_000);
        assert_eq!(r.newest_first().collect::<Vec<_>>(), [1_000]);
        let times: Vec<Millis> = (0..40).map(|i| 1_000 + i * i * 7_000).collect();
        let mut r = ReportTimes::default();
        for (n, &t) in times.iter().enumerate() {
            r.push(t);
            let kept = &times[(n + 1).saturating_sub(REPORTS)..=n];
            assert_eq!(r.len(), kept.len());
            let back: Vec<Millis> = kept.iter().rev().copied().collect();
            assert_eq!(r.newest_first().collect::<Vec<_>>(), back);
            let gaps: Vec<Millis> = kept.windows(2).map(|w| w[1] - w[0]).collect();
            assert_eq!(r.gaps().collect::<Vec<_>>(), gaps);
        }
    }

    #[test]
    fn a_gap_of_months_is_bounded_not_wrapped() {
        let mut r = ReportTimes::default();
        r.push(0);
        r.push(90 * 86_400_000);
        assert_eq!(r.gaps().collect::<Vec<_>>(), [Millis::from(i32::MAX)]);
        assert_eq!(r.newest_first().next(), Some(90 * 86_400_000));
    }
}
