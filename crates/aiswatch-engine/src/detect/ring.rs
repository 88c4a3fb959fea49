//! A fixed ring of the last `N` values, kept small: every vessel in a zone
//! holds a few, so the values are inline and the start and length are bytes.

/// The last `N` values pushed (`N` ≤ 255), oldest first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ring<T, const N: usize> {
    items: [T; N],
    /// Where the oldest value is.
    start: u8,
    /// Values held (0..=N).
    len: u8,
}

impl<T: Copy + Default, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        const { assert!(N > 0 && N <= u8::MAX as usize) };
        Ring {
            items: [T::default(); N],
            start: 0,
            len: 0,
        }
    }
}

impl<T: Copy + Default, const N: usize> Ring<T, N> {
    /// Values held (0..=N).
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Adds `v` as the newest, forgetting the oldest when full.
    pub(crate) fn push(&mut self, v: T) {
        let (start, len) = (usize::from(self.start), usize::from(self.len));
        if len < N {
            self.items[(start + len) % N] = v;
            self.len += 1;
        } else {
            self.items[start] = v;
            self.start = ((start + 1) % N) as u8;
        }
    }

    /// The values, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = T> + ExactSizeIterator + '_ {
        (0..self.len()).map(|i| self.items[(usize::from(self.start) + i) % N])
    }

    /// Keeps only the values `keep` says yes to, in their order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(T) -> bool) {
        let mut kept = Ring::default();
        for v in self.iter().filter(|&v| keep(v)) {
            kept.push(v);
        }
        *self = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_values_oldest_first() {
        let mut r = Ring::<u32, 4>::default();
        assert_eq!(r.iter().count(), 0);
        for v in 0..10 {
            r.push(v);
            let from = (v + 1).saturating_sub(4);
            assert_eq!(r.iter().collect::<Vec<_>>(), (from..=v).collect::<Vec<_>>());
            assert_eq!(r.len(), (v + 1).min(4) as usize);
        }
        assert_eq!(r.iter().rev().collect::<Vec<_>>(), [9, 8, 7, 6]);
    }

    #[test]
    fn retain_keeps_the_order_and_makes_room() {
        let mut r = Ring::<u32, 4>::default();
        for v in 0..6 {
            r.push(v);
        }
        r.retain(|v| v % 2 == 1);
        assert_eq!(r.iter().collect::<Vec<_>>(), [3, 5]);
        r.push(6);
        r.push(7);
        r.push(8);
        assert_eq!(r.iter().collect::<Vec<_>>(), [5, 6, 7, 8]);
    }
}
