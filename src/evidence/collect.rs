//! Finding a set of vessels' raw lines in the archive: every line whose
//! message (all of its fragments, for a multi-part one) comes from one of
//! the vessels and whose event time lies in the window.
//!
//! A closed segment is read through its index by vessel
//! ([`raw::index`]): only the vessels' records are read. A segment without
//! one (the one being written, …) is scanned: each line is looked at
//! cheaply first (the MMSI in the first fragment's payload, or a fragment
//! that continues a wanted message). Either way the records kept are
//! parsed whole, hash-checked against the record before them, and decoded
//! with the project's decoder, one per receiver as the daemon does, for
//! their event time.
//!
//! Segments are skipped when every line in them was received more than
//! [`CLOCK_SLACK_MS`] before the window starts: a line's event time (the
//! receiver's stamp, else its arrival) is not later than its arrival by
//! more than that. Segments after the window are not skipped: a replayed
//! recording arrives long after its event times.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::storage::raw::index::{payload_mmsi, quick};
use crate::storage::raw::{self, RawRecord, SegmentInfo};
use aiswatch_core::time::Millis;
use aiswatch_decode::sentence::{split_line, Item};
use aiswatch_decode::{Decoded, Decoder};

use super::EvidenceError;

/// How far a receiver's clock (its tag-block time) may run ahead of ours.
pub const CLOCK_SLACK_MS: Millis = 3_600_000;

/// One raw line kept.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The record.
    pub rec: RawRecord,
    /// The hash of the archive record before it.
    pub prev: [u8; 32],
    /// The station the line names (tag block `s:`), if any.
    pub station: Option<String>,
    /// The vessel whose message it is (part of).
    pub mmsi: u32,
}

/// What [`collect`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// The lines, in seq order.
    pub lines: Vec<Collected>,
    /// Segments read (not skipped as too old).
    pub scanned: usize,
    /// Of those, segments read through their index (the others were scanned).
    pub indexed: usize,
    /// Segments in the archive.
    pub total: usize,
}

/// A multi-part message being followed: (source, peer, sequence id, channel).
type PartKey = (Vec<u8>, Vec<u8>, Option<u8>, u8);

/// Per receiver: its decoder input state.
struct Receiver {
    decoder: Decoder,
    /// Lines of multi-part messages not yet complete, by (seq id, channel).
    parts: HashMap<(Option<u8>, u8), Vec<Collected>>,
}

/// The lines of `vessels` with event times in `from..=to` in the archive in `dir`.
pub fn collect(
    dir: &Path,
    vessels: &BTreeSet<u32>,
    from: Millis,
    to: Millis,
) -> Result<Found, EvidenceError> {
    let segs = raw::segments(dir)?;
    let mut found = Found {
        total: segs.len(),
        ..Found::default()
    };
    let mut wanted_parts: std::collections::HashSet<PartKey> = Default::default();
    let mut receivers: HashMap<(String, Option<SocketAddr>), Receiver> = HashMap::new();
    let mut out = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if skippable(&segs, i, from) {
            continue;
        }
        found.scanned += 1;
        if let Some(records) = raw::index::indexed_records(&seg.path, vessels)? {
            found.indexed += 1;
            for (rec, prev) in records {
                let r = receiver(&mut receivers, &rec, &prev)?;
                take_line(r, rec, prev, vessels, from, to, &mut out, &mut found.lines);
            }
            continue;
        }
        raw::scan_segment::<EvidenceError>(&seg.path, |l| {
            let line = l.line()?;
            let (src, peer) = l.source_peer();
            let mut hit = false;
            let mut look = |total: u8, number: u8, key: (Option<u8>, u8), payload: &[u8]| {
                let k = (src.to_vec(), peer.to_vec(), key.0, key.1);
                if number == 1 {
                    let mine = payload_mmsi(payload).is_some_and(|m| vessels.contains(&m));
                    hit |= mine;
                    if total > 1 {
                        if mine {
                            wanted_parts.insert(k);
                        } else {
                            wanted_parts.remove(&k);
                        }
                    }
                } else {
                    hit |= wanted_parts.contains(&k);
                    if number == total {
                        wanted_parts.remove(&k);
                    }
                }
            };
            match quick(&line) {
                Some(q) => look(q.0, q.1, (q.2, q.3), q.4),
                None => split_line(&line, |item| {
                    if let Item::Ais(s) = item {
                        look(s.total, s.number, (s.seq, s.channel), s.payload);
                    }
                }),
            }
            if !hit {
                return Ok(());
            }
            drop(line);
            let (rec, prev) = l.record()?;
            let r = receiver(&mut receivers, &rec, &prev)?;
            take_line(r, rec, prev, vessels, from, to, &mut out, &mut found.lines);
            Ok(())
        })?;
    }
    found.lines.sort_by_key(|c| c.rec.seq);
    Ok(found)
}

/// The decoder state of the record's receiver, once its hash is checked
/// to chain from `prev` (else the archive was changed: an error).
fn receiver<'a>(
    receivers: &'a mut HashMap<(String, Option<SocketAddr>), Receiver>,
    rec: &RawRecord,
    prev: &[u8; 32],
) -> Result<&'a mut Receiver, EvidenceError> {
    if rec.link_from(prev) == rec.hash {
        return Ok(receivers
            .entry((rec.source.clone(), rec.peer))
            .or_insert_with(|| Receiver {
                decoder: Decoder::new(),
                parts: HashMap::new(),
            }));
    }
    Err(EvidenceError::Unchained {
        segment: rec.segment.clone(),
        seq: rec.seq,
    })
}

/// Whether segment `i` holds only lines received more than
/// [`CLOCK_SLACK_MS`] before `from` (the next segment's first line was).
fn skippable(segs: &[SegmentInfo], i: usize, from: Millis) -> bool {
    segs.get(i + 1)
        .and_then(|next| next.first_received)
        .is_some_and(|t| t < from.saturating_sub(CLOCK_SLACK_MS))
}

/// Decodes one candidate line on its receiver and keeps it (with the
/// fragments before it) when it completes a message of `vessels` in the window.
#[allow(clippy::too_many_arguments)]
fn take_line(
    r: &mut Receiver,
    rec: RawRecord,
    prev: [u8; 32],
    vessels: &BTreeSet<u32>,
    from: Millis,
    to: Millis,
    out: &mut Vec<Decoded>,
    keep: &mut Vec<Collected>,
) {
    // The fragment key of this line's (last) sentence.
    let mut part: Option<((Option<u8>, u8), u8, u8)> = None;
    split_line(&rec.line, |item| {
        if let Item::Ais(s) = item {
            part = Some(((s.seq, s.channel), s.number, s.total));
        }
    });
    out.clear();
    r.decoder
        .feed_from(rec.peer, &rec.line, rec.received_at, out);
    let c = Collected {
        rec,
        prev,
        station: None,
        mmsi: 0,
    };
    let mut group = match part {
        Some((key, number, total)) if total > 1 => {
            let v = r.parts.entry(key).or_default();
            if number == 1 {
                v.clear();
            }
            v.push(c);
            if out.is_empty() {
                return;
            }
            r.parts.remove(&key).unwrap_or_default()
        }
        _ => vec![c],
    };
    let Some(d) = out
        .iter()
        .find(|d| vessels.contains(&d.message.mmsi) && (from..=to).contains(&d.time))
    else {
        return;
    };
    let station: Option<Arc<str>> = d.station.clone();
    for g in &mut group {
        g.station = station.as_deref().map(str::to_owned);
        g.mmsi = d.message.mmsi;
    }
    keep.extend(group);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_reads_what_split_line_reads() {
        for line in [
            &b"\\s:rA,c:1767225642*52\\!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29"[..],
            b"!AIVDM,2,1,3,A,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3D",
            b"!AIVDO,1,1,,,B5NJ;PP005l4ot5Isbl03wsUkP06,0*35",
        ] {
            let q = quick(line).unwrap();
            let mut s = None;
            split_line(line, |i| {
                if let Item::Ais(x) = i {
                    s = Some((x.total, x.number, x.seq, x.channel, x.payload.to_vec()));
                }
            });
            assert_eq!(
                Some((q.0, q.1, q.2, q.3, q.4.to_vec())),
                s,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            quick(b"$PGHP,1,2010,6,11,11,46,11,929,244,0,,1,72*21"),
            None
        );
    }

    #[test]
    fn payload_mmsi_reads_bits_8_to_37() {
        // gpsd's sample: type 1 from MMSI 371798000.
        assert_eq!(
            payload_mmsi(b"15RTgt0PAso;90TKcjM8h6g208CQ"),
            Some(371_798_000)
        );
        assert_eq!(payload_mmsi(b"15RT"), None);
    }
}
