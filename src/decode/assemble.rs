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

use std::sync::Arc;

use crate::time::Millis;

use super::{Meta, TimeSource};

/// A fragment is dropped once this many later fragments arrived on its source.
pub const MAX_AGE_PUSHES: u64 = 256;
/// … or once a fragment this much later in event time arrived.
pub const MAX_EVENT_AGE_MS: Millis = 60_000;
/// … or once it waited this long by the wall clock ([`Assembler::expire`]).
pub const MAX_ARRIVAL_AGE_MS: Millis = 60_000;
/// Most incomplete messages held per source.
const MAX_PENDING: usize = 512;

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
    have: u16,
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
}

/// Incomplete multi-part messages of one source.
#[derive(Debug, Default)]
pub struct Assembler {
    pending: Vec<Pending>,
    pushes: u64,
}

impl Assembler {
    /// Adds a fragment (of a message with 2+ parts).
    pub fn push(&mut self, f: Fragment<'_>, arrival: Millis) -> PushResult {
        self.pushes += 1;
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
                    res.orphaned += u64::from(self.pending.swap_remove(p).have.count_ones());
                }
                return res;
            }
        }
        let pos = match pos {
            Some(p) if self.pending[p].have & bit != 0 => {
                // The same part again: a new message reused the key. Drop the old one.
                res.orphaned += u64::from(self.pending.swap_remove(p).have.count_ones());
                None
            }
            p => p,
        };
        let pos = match pos {
            Some(p) => p,
            None => {
                if self.pending.len() >= MAX_PENDING {
                    res.orphaned += u64::from(self.pending.remove(0).have.count_ones());
                }
                self.pending.push(Pending {
                    key,
                    parts: vec![None; usize::from(f.total)],
                    have: 0,
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
        if f.number == 1 {
            p.meta = Some(f.meta);
        }
        if u32::from(p.have) == (1u32 << p.parts.len()) - 1 {
            let p = self.pending.swap_remove(pos);
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
        self.drop_where(|p| now - p.arrival > MAX_ARRIVAL_AGE_MS)
    }

    /// Number of incomplete messages held.
    pub fn len(&self) -> usize {
        self.pending.len()
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
                    && event_time.is_some_and(|t| (t - p.first_meta.time).abs() > MAX_EVENT_AGE_MS))
        })
    }

    fn drop_where(&mut self, f: impl Fn(&Pending) -> bool) -> u64 {
        let mut lost = 0;
        self.pending.retain(|p| {
            let stale = f(p);
            if stale {
                lost += u64::from(p.have.count_ones());
            }
            !stale
        });
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
                let pay = if n == 1 { "13u?etPv2;0n:dDPwUM1U1Cb069D" } else { "0" };
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
