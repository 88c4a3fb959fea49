//! The times of a vessel's last position reports, kept small: the newest
//! in full, each earlier one as its gap to the report after it.

use aiswatch_core::time::Millis;

/// Reports remembered.
pub(crate) const REPORTS: usize = 16;
const GAPS: usize = REPORTS - 1;

/// The last [`REPORTS`] report times of a vessel. A gap is kept in i32
/// milliseconds, bounded at ±24.8 days: the times are read for the usual
/// interval (a median of the gaps) and for the reports within a zone's
/// dark gap (hours) of the last one, which a gap of weeks does not change.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportTimes {
    newest: Millis,
    /// A ring of gaps, the oldest at `start`.
    gaps: [i32; GAPS],
    start: u8,
    /// Times held (0..=REPORTS).
    len: u8,
}

impl ReportTimes {
    /// Remembers `t`, forgetting the oldest time when full.
    pub(crate) fn push(&mut self, t: Millis) {
        if self.len == 0 {
            self.newest = t;
            self.len = 1;
            return;
        }
        let gap = t
            .saturating_sub(self.newest)
            .clamp(i32::MIN.into(), i32::MAX.into()) as i32;
        if usize::from(self.len) < REPORTS {
            self.gaps[(usize::from(self.start) + usize::from(self.len) - 1) % GAPS] = gap;
            self.len += 1;
        } else {
            self.gaps[usize::from(self.start)] = gap;
            self.start = ((usize::from(self.start) + 1) % GAPS) as u8;
        }
        self.newest = t;
    }

    /// Times held.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The gaps between consecutive times, oldest first.
    pub(crate) fn gaps(&self) -> impl Iterator<Item = Millis> + '_ {
        (0..self.len().saturating_sub(1))
            .map(|i| Millis::from(self.gaps[(usize::from(self.start) + i) % GAPS]))
    }

    /// The times, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = Millis> + '_ {
        let mut gaps: [Millis; GAPS] = [0; GAPS];
        let n = self.len().saturating_sub(1);
        for (g, d) in gaps.iter_mut().zip(self.gaps()) {
            *g = d;
        }
        let newest = (self.len > 0).then_some(self.newest);
        newest
            .into_iter()
            .chain(gaps.into_iter().take(n).rev().scan(self.newest, |t, gap| {
                *t = t.saturating_sub(gap);
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
