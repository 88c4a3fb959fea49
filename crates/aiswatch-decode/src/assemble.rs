//! Multi-part reassembly with expiry.
//!
//! Fragments are keyed by tag-block group when there is one (`g:1-2-3985`:
//! later parts often carry no station), else by station, channel, sequence
//! id and fragment count. Keys are per source because each source has its
//! own [`super::Decoder`]. Fragments may interleave and arrive out of order.
//!
//! A message that does not complete is dropped, never spliced: a part seen
//! twice for one key means a new message reused the sequence id, so the old
//! parts are discarded; and parts expire after [`MAX_AGE_PUSHES`] later
//! fragments, [`MAX_EVENT_AGE_MS`] of event time, or [`MAX_ARRIVAL_AGE_MS`] of
//! wall time — whichever comes first.
//!
//! What is held is bounded (see [`Assembler::with_caps`]): beyond a number
//! of messages or of bytes (payloads plus bookkeeping), the oldest
//! incomplete message is dropped and its fragments are counted apart
//! ([`PushResult::limited`]).
//! Messages have 1 to 9 parts (the sentence's count is one digit).

use std::sync::Arc;

use aiswatch_core::time::Millis;

use super::{Meta, TimeSource};

/// A fragment is dropped once this many later fragments arrived on its source.
pub const MAX_AGE_PUSHES: u64 = 256;
/// … or once a fragment this much later in event time arrived.
pub const MAX_EVENT_AGE_MS: Millis = 60_000;
/// … or once it waited this long by the wall clock ([`Assembler::expire`]).
pub const MAX_ARRIVAL_AGE_MS: Millis = 60_000;
/// Most incomplete messages held by default (per receiver).
pub const MAX_PENDING: usize = 512;
/// Most bytes held by default (per receiver): payloads plus bookkeeping.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;
/// Most parts of one message (the fragment count is a single digit).
pub const MAX_PARTS: u8 = 9;

/// One fragment of a multi-part message.
#[derive(Debug)]
pub struct Fragment<'a> {
    /// Number of fragments.
    pub total: u8,
    /// This fragment's number (1-based).
    pub number: u8,
    /// Sequential message id.
    pub seq: Option<u8>,
    /// Tag-block group (part, total, id).
    pub group: Option<(u8, u8, u32)>,
    /// Armoured payload.
    pub payload: &'a [u8],
    /// Fill bits.
    pub fill: u8,
    /// Time, station and channel of the sentence.
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Group(u32, u8),
    Seq {
        station: Option<Arc<str>>,
        channel: u8,
        seq: Option<u8>,
        total: u8,
    },
}

#[derive(Debug)]
struct Pending {
    key: Key,
    parts: Vec<Option<(Vec<u8>, u8)>>,
    /// Bit `i` set: part `i + 1` is held (up to 9 parts, so not a `u8`).
    have: u16,
    /// Bytes this message accounts for (see [`Pending::cost`]).
    bytes: usize,
    meta: Option<Meta>,
    first_meta: Meta,
    pushed_at: u64,
    arrival: Millis,
}

/// What [`Assembler::push`] produced.
#[derive(Debug, Default)]
pub struct PushResult {
    /// A completed message: concatenated payload, fill bits of the last part,
    /// metadata of the first part.
    pub complete: Option<(Vec<u8>, u8, Meta)>,
    /// Fragments discarded (expired or superseded) during this push.
    pub orphaned: u64,
    /// Fragments discarded because the assembler was full (the oldest
    /// incomplete messages made room), or the fragment itself when it is
    /// invalid for its message (part number beyond its count).
    pub limited: u64,
}

impl Pending {
    /// Heap bytes a message with `total` parts accounts for before payloads.
    fn cost(total: u8) -> usize {
        std::mem::size_of::<Pending>()
            + usize::from(total) * std::mem::size_of::<Option<(Vec<u8>, u8)>>()
    }

    fn fragments(&self) -> u64 {
        u64::from(self.have.count_ones())
    }
}

/// Incomplete multi-part messages of one receiver.
#[derive(Debug)]
pub struct Assembler {
    pending: Vec<Pending>,
    pushes: u64,
    /// Bytes held (sum of [`Pending::bytes`]).
    bytes: usize,
    max_pending: usize,
    max_bytes: usize,
}

impl Default for Assembler {
    fn default() -> Self {
        Self::with_caps(MAX_PENDING, MAX_PENDING_BYTES)
    }
}

impl Assembler {
    /// An empty assembler holding at most `max_pending` incomplete messages
    /// (at least 1) and `max_bytes` bytes (payloads plus bookkeeping).
    pub fn with_caps(max_pending: usize, max_bytes: usize) -> Self {
        Assembler {
            pending: Vec::new(),
            pushes: 0,
            bytes: 0,
            max_pending: max_pending.max(1),
            max_bytes,
        }
    }

    /// Adds a fragment (of a message with 2 to 9 parts).
    pub fn push(&mut self, f: Fragment<'_>, arrival: Millis) -> PushResult {
        self.pushes += 1;
        if f.total < 2 || f.total > MAX_PARTS || f.number == 0 || f.number > f.total {
            // The framing never passes these; a caller that does loses the fragment, counted.
            return PushResult {
                limited: 1,
                ..Default::default()
            };
        }
        // Later parts often carry no time of their own (only `g:`): they
        // are compared by event time only when the receiver stamped them.
        let event_time = (f.meta.time_source != TimeSource::Arrival).then_some(f.meta.time);
        let mut res = PushResult {
            orphaned: self.expire_stale(event_time),
            ..Default::default()
        };
        let key = match f.group {
            Some((_, total, id)) if total == f.total => Key::Group(id, total),
            _ => Key::Seq {
                station: f.meta.station.clone(),
                channel: f.meta.channel,
                seq: f.seq,
                total: f.total,
            },
        };
        let idx = usize::from(f.number - 1);
        let bit = 1u16 << idx;
        let in_order = matches!(key, Key::Seq { .. });
        let pos = self.pending.iter().position(|p| p.key == key);
        if in_order && f.number > 1 {
            // Without a tag-block group, a receiver sends the parts of a
            // message in order: a part that does not continue what is held
            // belongs to a message whose earlier parts were lost. Joining it
            // to anything would splice two ships' data together.
            let continues =
                pos.is_some_and(|p| u32::from(self.pending[p].have) == (1u32 << idx) - 1);
            if !continues {
                res.orphaned += 1;
                if let Some(p) = pos {
                    res.orphaned += self.take(p).fragments();
                }
                return res;
            }
        }
        let pos = match pos {
            Some(p) if self.pending[p].have & bit != 0 => {
                // The same part again: a new message reused the key. Drop the old one.
                res.orphaned += self.take(p).fragments();
                None
            }
            p => p,
        };
        let size = f.payload.len();
        let pos = match pos {
            Some(p) => {
                // Room for this part: the oldest other messages go first.
                res.limited += self.make_room(size, Some(p));
                // `make_room` keeps the message but may move it (swap_remove).
                let Some(p) = self.pending.iter().position(|q| q.key == key) else {
                    return res;
                };
                if self.bytes + size > self.max_bytes {
                    // This message alone outgrows the budget: it cannot complete.
                    res.limited += self.take(p).fragments() + 1;
                    return res;
                }
                p
            }
            None => {
                let cost = Pending::cost(f.total) + size;
                if cost > self.max_bytes {
                    // Larger than the whole budget: never held.
                    res.limited += 1;
                    return res;
                }
                res.limited += self.make_room(cost, None);
                if self.pending.len() >= self.max_pending {
                    res.limited += self.evict_oldest(None);
                }
                self.bytes += Pending::cost(f.total);
                self.pending.push(Pending {
                    key,
                    parts: vec![None; usize::from(f.total)],
                    have: 0,
                    bytes: Pending::cost(f.total),
                    meta: None,
                    first_meta: f.meta.clone(),
                    pushed_at: self.pushes,
                    arrival,
                });
                self.pending.len() - 1
            }
        };
        let p = &mut self.pending[pos];
        p.parts[idx] = Some((f.payload.to_vec(), f.fill));
        p.have |= bit;
        p.bytes += size;
        self.bytes += size;
        if f.number == 1 {
            p.meta = Some(f.meta);
        }
        if u32::from(p.have) == (1u32 << p.parts.len()) - 1 {
            let p = self.take(pos);
            let meta = p.meta.unwrap_or(p.first_meta);
            let mut payload = Vec::with_capacity(p.parts.iter().flatten().map(|x| x.0.len()).sum());
            let mut fill = 0;
            for (part, f) in p.parts.into_iter().flatten() {
                payload.extend_from_slice(&part);
                fill = f;
            }
            res.complete = Some((payload, fill, meta));
        }
        res
    }

    /// Drops what waited longer than [`MAX_ARRIVAL_AGE_MS`] by the wall clock.
    /// Returns the number of fragments dropped.
    pub fn expire(&mut self, now: Millis) -> u64 {
        self.drop_where(|p| now.saturating_sub(p.arrival) > MAX_ARRIVAL_AGE_MS)
    }

    /// Drops everything held. Returns the number of fragments dropped.
    pub fn clear(&mut self) -> u64 {
        self.drop_where(|_| true)
    }

    /// Number of incomplete messages held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Fragments held.
    pub fn fragments(&self) -> u64 {
        self.pending.iter().map(Pending::fragments).sum()
    }

    /// Bytes held: payloads plus bookkeeping (an estimate of the heap used).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Removes the message at `pos` (order not kept).
    fn take(&mut self, pos: usize) -> Pending {
        let p = self.pending.swap_remove(pos);
        self.bytes -= p.bytes;
        p
    }

    /// Drops the oldest message other than the one at `keep`. Returns the
    /// fragments dropped (0 if there was none to drop).
    fn evict_oldest(&mut self, keep: Option<usize>) -> u64 {
        let oldest = self
            .pending
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != keep)
            .min_by_key(|(_, p)| p.pushed_at)
            .map(|(i, _)| i);
        match oldest {
            Some(i) => self.take(i).fragments(),
            None => 0,
        }
    }

    /// Drops the oldest messages (never the one at `keep`) until `more`
    /// bytes fit. Returns the fragments dropped.
    fn make_room(&mut self, more: usize, keep: Option<usize>) -> u64 {
        let mut dropped = 0;
        let keep_key = keep.map(|k| self.pending[k].key.clone());
        while self.bytes + more > self.max_bytes {
            let keep = keep_key
                .as_ref()
                .and_then(|k| self.pending.iter().position(|p| p.key == *k));
            let before = self.pending.len();
            dropped += self.evict_oldest(keep);
            if self.pending.len() == before {
                break;
            }
        }
        dropped
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn expire_stale(&mut self, event_time: Option<Millis>) -> u64 {
        if self.pending.is_empty() {
            return 0;
        }
        let pushes = self.pushes;
        self.drop_where(|p| {
            let timed = p.first_meta.time_source != TimeSource::Arrival;
            pushes - p.pushed_at > MAX_AGE_PUSHES
                || (timed
                    && event_time
                        .is_some_and(|t| t.abs_diff(p.first_meta.time) > MAX_EVENT_AGE_MS as u64))
        })
    }

    fn drop_where(&mut self, f: impl Fn(&Pending) -> bool) -> u64 {
        let mut lost = 0;
        let mut freed = 0;
        self.pending.retain(|p| {
            let stale = f(p);
            if stale {
                lost += p.fragments();
                freed += p.bytes;
            }
            !stale
        });
        self.bytes -= freed;
        if self.pending.is_empty() && self.pending.capacity() > 64 {
            // A burst is over: give its memory back.
            self.pending = Vec::new();
        }
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Decoder, Reject};

    fn run(lines: &[&str]) -> (Vec<u8>, u64) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), 0, &mut out);
        }
        (
            out.iter().map(|m| m.message.msg_type).collect(),
            d.stats().reject(Reject::OrphanFragment),
        )
    }

    const P1: &str = "!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E";
    const P2: &str = "!AIVDM,2,2,3,B,1@0000000000000,2*55";

    #[test]
    fn two_parts_join() {
        assert_eq!(run(&[P1, P2]), (vec![5], 0));
    }

    #[test]
    fn without_a_group_a_lone_later_part_is_an_orphan() {
        // P2 first: its part 1 was lost. It must not wait for the next P1.
        assert_eq!(run(&[P2, P1]), (vec![], 1));
        assert_eq!(run(&[P2, P1, P2]), (vec![5], 1));
    }

    #[test]
    fn grouped_parts_join_in_any_order() {
        let g1 = r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70";
        let g2 = r"\g:2-2-3985*5A\!AIVDM,2,2,9,B,PFRC88888888880,2*29";
        assert_eq!(run(&[g2, g1]), (vec![5], 0));
    }

    #[test]
    fn lost_part_is_never_spliced_onto_a_later_message() {
        // Part 1 of a first message, its part 2 lost; then a full message reusing seq id 3.
        let (types, orphans) = run(&[P1, P1, P2]);
        assert_eq!(types, vec![5]);
        assert_eq!(orphans, 1);
    }

    #[test]
    fn nine_part_message_joins() {
        // Part 9 needs a ninth bit: with eight it overflowed (a panic in
        // debug builds, part 9 taken for part 1 in release). Found by fuzzing.
        let parts: Vec<String> = (1..=9)
            .map(|n| {
                let pay = if n == 1 {
                    "13u?etPv2;0n:dDPwUM1U1Cb069D"
                } else {
                    "0"
                };
                let body = format!("AIVDM,9,{n},5,A,{pay},0");
                let sum = body.bytes().fold(0u8, |a, b| a ^ b);
                format!("!{body}*{sum:02X}")
            })
            .collect();
        let lines: Vec<&str> = parts.iter().map(String::as_str).collect();
        assert_eq!(run(&lines), (vec![1], 0));
    }

    #[test]
    fn orphan_expires_after_many_fragments() {
        let mut lines = vec![P1];
        let other1 = "!AIVDM,2,1,4,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*39";
        let other2 = "!AIVDM,2,2,4,B,1@0000000000000,2*52";
        for _ in 0..200 {
            lines.push(other1);
            lines.push(other2);
        }
        lines.push(P2);
        let (types, orphans) = run(&lines);
        assert_eq!(types.len(), 200);
        // P1 expired long before its late P2 arrived; P2 continues nothing.
        assert_eq!(orphans, 2);
    }
}

#[cfg(test)]
mod nine_parts {
    use super::super::{Decoder, Reject};

    fn nmea(tags: Option<&str>, body: &str) -> String {
        let x = |s: &str| s.bytes().fold(0u8, |a, b| a ^ b);
        let tb = tags.map_or(String::new(), |t| format!("\\{t}*{:02X}\\", x(t)));
        format!("{tb}!{body}*{:02X}", x(body))
    }

    /// The two parts of the type 5 in `super::tests`, re-cut into nine.
    fn nine(seq: u8, grouped: Option<u32>) -> Vec<String> {
        let payload = "55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E531@0000000000000";
        let chunks: Vec<&str> = payload
            .as_bytes()
            .chunks(payload.len().div_ceil(9))
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        assert_eq!(chunks.len(), 9);
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let fill = if i == 8 { 2 } else { 0 };
                let tags = grouped.map(|g| format!("g:{}-9-{g}", i + 1));
                nmea(
                    tags.as_deref(),
                    &format!("AIVDM,9,{},{seq},B,{c},{fill}", i + 1),
                )
            })
            .collect()
    }

    fn feed(lines: &[String]) -> (Vec<u8>, Decoder) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), 0, &mut out);
        }
        (out.iter().map(|m| m.message.msg_type).collect(), d)
    }

    #[test]
    fn nine_part_message_assembles_in_order() {
        // Before: the parts bitmask was a u8, and part 9 overflowed it
        // (a panic in debug builds, a message that never completed in release).
        let (types, d) = feed(&nine(3, None));
        assert_eq!(types, vec![5]);
        assert_eq!(d.stats().reject(Reject::OrphanFragment), 0);
        assert!(d.is_idle());
    }

    #[test]
    fn nine_part_group_assembles_in_any_order() {
        let mut lines = nine(4, Some(77));
        lines.reverse();
        lines.swap(2, 6);
        let (types, d) = feed(&lines);
        assert_eq!(types, vec![5]);
        assert!(d.is_idle());
    }

    #[test]
    fn part_nine_repeated_supersedes_without_splicing() {
        let mut lines = nine(5, None);
        let last = lines[8].clone();
        lines.insert(8, last);
        // Part 9 twice: the second one continues nothing (in order, no group).
        let (types, d) = feed(&lines);
        assert_eq!(types, vec![5]);
        assert_eq!(d.stats().reject(Reject::OrphanFragment), 1);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn meta(time: Millis, timed: bool) -> Meta {
        Meta {
            time,
            time_source: if timed {
                TimeSource::TagBlock
            } else {
                TimeSource::Arrival
            },
            station: None,
            channel: b'A',
            own_ship: false,
        }
    }

    proptest! {
        /// Whatever fragment numbers, counts, groups and times arrive, the
        /// assembler never panics or overflows (run in debug too), never
        /// holds more than its caps, and accounts for its bytes exactly.
        #[test]
        fn assembler_never_panics_and_stays_bounded(
            frags in prop::collection::vec(
                (0u8..=12, 0u8..=12, prop::option::of(0u8..10),
                 prop::option::of((0u8..=12, 0u8..=12, any::<u32>())),
                 0usize..300, any::<i64>(), any::<bool>(), any::<i64>()),
                1..200),
            max_pending in 1usize..8,
            max_bytes in 0usize..4096,
        ) {
            let mut a = Assembler::with_caps(max_pending, max_bytes);
            let payload = vec![b'w'; 300];
            for (total, number, seq, group, len, time, timed, arrival) in frags {
                let f = Fragment {
                    total,
                    number,
                    seq,
                    group,
                    payload: &payload[..len],
                    fill: 0,
                    meta: meta(time, timed),
                };
                let _ = a.push(f, arrival);
                prop_assert!(a.len() <= max_pending);
                prop_assert!(a.bytes() <= max_bytes);
                let exact: usize = a.pending.iter().map(|p| p.bytes).sum();
                prop_assert_eq!(a.bytes(), exact);
            }
            a.expire(i64::MIN);
            a.expire(i64::MAX);
            prop_assert!(a.is_empty());
            prop_assert_eq!(a.bytes(), 0);
        }
    }
}
