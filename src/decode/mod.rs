//! ② Framing and decoding: raw lines → complete, verified AIS messages.
//!
//! [`Decoder`] holds the state of one source: a Gatehouse header waiting for
//! its sentence, and multi-part messages waiting for their fragments. It
//! owns the framing (mandatory checksum, tag blocks, reassembly with expiry)
//! and hands [`ais::decode`] only complete payloads.

use std::sync::Arc;

use ahash::AHashMap;

use crate::time::Millis;

pub mod ais;
pub mod assemble;
pub mod gpsd_json;
mod report;
pub mod sentence;

pub use ais::{AisMessage, Body};

use assemble::{Assembler, Fragment};
use sentence::{Item, TagCheck};

/// Why a line, sentence or message was not used. Every reject is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reject {
    /// Line longer than any real NMEA line (binary junk, runaway input).
    TooLong,
    /// Not NMEA at all (no `!`, `$` or `\`).
    NotNmea,
    /// No `*hh` checksum: truncated or not NMEA 0183.
    NoChecksum,
    /// Checksum does not match.
    BadChecksum,
    /// Tag block unterminated or not followed by a sentence.
    BadTagBlock,
    /// A sentence field is malformed (fragment numbers, channel, fill bits).
    BadField,
    /// The payload holds a character that is not six-bit armour.
    BadPayload,
    /// A fragment whose message never completed (expired, or superseded).
    OrphanFragment,
    /// A complete message too short for its type, or of an unknown type.
    BadMessage,
}

impl Reject {
    /// Every reason, in a fixed order (for summaries and metrics).
    pub const ALL: [Reject; 9] = [
        Reject::TooLong,
        Reject::NotNmea,
        Reject::NoChecksum,
        Reject::BadChecksum,
        Reject::BadTagBlock,
        Reject::BadField,
        Reject::BadPayload,
        Reject::OrphanFragment,
        Reject::BadMessage,
    ];

    /// The metric label and summary name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::TooLong => "too_long",
            Reject::NotNmea => "not_nmea",
            Reject::NoChecksum => "no_checksum",
            Reject::BadChecksum => "bad_checksum",
            Reject::BadTagBlock => "bad_tag_block",
            Reject::BadField => "bad_field",
            Reject::BadPayload => "bad_payload",
            Reject::OrphanFragment => "orphan_fragment",
            Reject::BadMessage => "bad_message",
        }
    }
}

/// Where a message's event time came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// NMEA 4.10 tag block `c:`.
    TagBlock,
    /// Gatehouse `$PGHP` header.
    Pghp,
    /// Receive epoch appended after the checksum (USCG/NAIS, AMSA).
    Trailing,
    /// No time in the data: arrival time at the source.
    Arrival,
}

/// Counters kept by a [`Decoder`]. Plain integers on the hot path; the
/// daemon copies them into Prometheus after each batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Lines fed.
    pub lines: u64,
    /// AIS sentences framed (checksum verified).
    pub sentences: u64,
    /// Non-AIS NMEA sentences ignored (`$GPZDA`, `$AIVSI`, …).
    pub non_ais: u64,
    /// Complete messages decoded.
    pub messages: u64,
    /// Messages by AIS type (index = type, 0 unused).
    pub by_type: [u64; 28],
    /// Rejects by reason (index = position in [`Reject::ALL`]).
    pub rejects: [u64; 9],
    /// Tag blocks with the dummy `*00` checksum whose contents were used.
    pub tag_unverified: u64,
    /// Tag blocks with a wrong checksum whose contents were ignored.
    pub tag_invalid: u64,
}

impl DecodeStats {
    /// Count of one reject reason.
    pub fn reject(&self, r: Reject) -> u64 {
        self.rejects[r as usize]
    }

    /// All rejects.
    pub fn rejects_total(&self) -> u64 {
        self.rejects.iter().sum()
    }

    /// Adds another set of counters to this one.
    pub fn add(&mut self, o: &DecodeStats) {
        self.lines += o.lines;
        self.sentences += o.sentences;
        self.non_ais += o.non_ais;
        self.messages += o.messages;
        self.tag_unverified += o.tag_unverified;
        self.tag_invalid += o.tag_invalid;
        for (a, b) in self.by_type.iter_mut().zip(o.by_type) {
            *a += b;
        }
        for (a, b) in self.rejects.iter_mut().zip(o.rejects) {
            *a += b;
        }
    }

    fn count(&mut self, r: Reject) {
        self.rejects[r as usize] += 1;
    }
}

/// A decoded message with what the receiver said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Event time: the receiver's stamp, else arrival time.
    pub time: Millis,
    /// Where [`Decoded::time`] came from.
    pub time_source: TimeSource,
    /// Receiving station (tag block `s:`, NAIS `r`), if known.
    pub station: Option<Arc<str>>,
    /// Radio channel (`A`/`B`/`1`/`2`), 0 if absent.
    pub channel: u8,
    /// `true` for VDO (the receiver's own ship).
    pub own_ship: bool,
    /// Hash of the armoured payload: the same broadcast heard by several
    /// stations has the same hash (used to collapse duplicates).
    pub payload_hash: u64,
    /// The message.
    pub message: AisMessage,
}

/// The metadata of a sentence, carried with its fragments until the message completes.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    time: Millis,
    time_source: TimeSource,
    station: Option<Arc<str>>,
    channel: u8,
    own_ship: bool,
}

/// Framing and decoding state for one source.
pub struct Decoder {
    stats: DecodeStats,
    pghp_time: Option<Millis>,
    assembler: Assembler,
    stations: AHashMap<Box<[u8]>, Arc<str>>,
    bits: Vec<u8>,
    hasher: ahash::RandomState,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with empty state.
    pub fn new() -> Self {
        Decoder {
            stats: DecodeStats::default(),
            pghp_time: None,
            assembler: Assembler::default(),
            stations: AHashMap::new(),
            bits: Vec::with_capacity(256),
            // Fixed keys: the same payload hashes the same in every decoder,
            // so duplicates are recognised across sources.
            hasher: ahash::RandomState::with_seeds(0x5eed, 0xa15, 0x0dd, 0xba11),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// Takes the counters, leaving zeros (for periodic export).
    pub fn take_stats(&mut self) -> DecodeStats {
        std::mem::take(&mut self.stats)
    }

    /// Feeds one line received at `arrival`. Complete messages are pushed to `out`.
    pub fn feed(&mut self, line: &[u8], arrival: Millis, out: &mut Vec<Decoded>) {
        self.stats.lines += 1;
        let mut items: [Option<Item<'_>>; 4] = Default::default();
        let mut n = 0;
        let mut overflow = false;
        sentence::split_line(line, |item| {
            if n < items.len() {
                items[n] = Some(item);
                n += 1;
            } else {
                overflow = true;
            }
        });
        if overflow {
            self.stats.count(Reject::TooLong);
            return;
        }
        for item in items.into_iter().take(n).flatten() {
            self.item(item, arrival, out);
        }
    }

    /// Whether no multi-part message is waiting for fragments.
    pub fn is_idle(&self) -> bool {
        self.assembler.is_empty()
    }

    /// Drops fragments that waited too long for their message to complete.
    pub fn expire(&mut self, now: Millis) {
        let lost = self.assembler.expire(now);
        self.stats.rejects[Reject::OrphanFragment as usize] += lost;
    }

    fn item(&mut self, item: Item<'_>, arrival: Millis, out: &mut Vec<Decoded>) {
        match item {
            Item::Rejected(r) => self.stats.count(r),
            Item::NonAis => self.stats.non_ais += 1,
            Item::Pghp(t) => self.pghp_time = Some(t),
            Item::Ais(s) => {
                self.stats.sentences += 1;
                match s.tag_check {
                    TagCheck::Unverified => self.stats.tag_unverified += 1,
                    TagCheck::Invalid => self.stats.tag_invalid += 1,
                    _ => {}
                }
                // A Gatehouse header applies to the one sentence after it.
                let pghp = self.pghp_time.take();
                let (time, time_source) = if let Some(t) = s.tags.time {
                    (t, TimeSource::TagBlock)
                } else if let Some(t) = pghp {
                    (t, TimeSource::Pghp)
                } else if let Some(t) = s.trailing_time {
                    (t, TimeSource::Trailing)
                } else {
                    (arrival, TimeSource::Arrival)
                };
                let station = s
                    .tags
                    .station
                    .or(s.trailing_station)
                    .map(|st| self.intern(st));
                let meta = Meta {
                    time,
                    time_source,
                    station,
                    channel: s.channel,
                    own_ship: s.own_ship,
                };
                let frag = Fragment {
                    total: s.total,
                    number: s.number,
                    seq: s.seq,
                    group: s.tags.group,
                    payload: s.payload,
                    fill: s.fill,
                    meta,
                };
                if s.total == 1 {
                    self.complete(frag.payload, frag.fill, frag.meta, out);
                } else {
                    let res = self.assembler.push(frag, arrival);
                    self.stats.rejects[Reject::OrphanFragment as usize] += res.orphaned;
                    if let Some((payload, fill, meta)) = res.complete {
                        self.complete(&payload, fill, meta, out);
                    }
                }
            }
        }
    }

    fn complete(&mut self, payload: &[u8], fill: u8, meta: Meta, out: &mut Vec<Decoded>) {
        let nbits = ais::unarmour(payload, fill, &mut self.bits);
        match ais::decode(&self.bits, nbits) {
            Some(message) => {
                self.stats.messages += 1;
                self.stats.by_type[usize::from(message.msg_type)] += 1;
                out.push(Decoded {
                    time: meta.time,
                    time_source: meta.time_source,
                    station: meta.station,
                    channel: meta.channel,
                    own_ship: meta.own_ship,
                    payload_hash: self.hasher.hash_one(payload),
                    message,
                });
            }
            None => self.stats.count(Reject::BadMessage),
        }
    }

    fn intern(&mut self, station: &[u8]) -> Arc<str> {
        if let Some(s) = self.stations.get(station) {
            return s.clone();
        }
        let s: Arc<str> = String::from_utf8_lossy(station).into();
        // Bounded: a feed spraying random station ids cannot grow this forever.
        if self.stations.len() < 10_000 {
            self.stations.insert(station.into(), s.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(lines: &[&str]) -> (Vec<Decoded>, DecodeStats) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), 1_000, &mut out);
        }
        (out, d.take_stats())
    }

    #[test]
    fn tag_block_time_and_station_drive_event_time() {
        let (out, _) = decode_all(&[
            r"\s:rEV02,c:1334337317*58\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj`26B0<02,0*5F",
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].time, 1_334_337_317_000);
        assert_eq!(out[0].time_source, TimeSource::TagBlock);
        assert_eq!(out[0].station.as_deref(), Some("rEV02"));
    }

    #[test]
    fn pghp_applies_to_next_sentence_only() {
        let (out, _) = decode_all(&[
            "$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B",
            "!AIVDM,1,1,,B,402=481uaUcf;OQ55JS9ITi025Jp,0*2B",
            "!AIVDM,1,1,,B,402=481uaUcf;OQ55JS9ITi025Jp,0*2B",
        ]);
        assert_eq!(out[0].time_source, TimeSource::Pghp);
        assert_eq!(out[1].time_source, TimeSource::Arrival);
    }

    #[test]
    fn group_tag_blocks_reassemble() {
        let (out, st) = decode_all(&[
            r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70",
            r"\g:2-2-3985*5A\!AIVDM,2,2,9,B,PFRC88888888880,2*29",
        ]);
        assert_eq!(st.messages, 1, "{st:?}");
        assert_eq!(out[0].message.msg_type, 5);
        assert_eq!(out[0].station.as_deref(), Some("rEV02"));
    }

    #[test]
    fn garbage_is_counted_never_fatal() {
        let long = "x".repeat(20_000);
        let (out, st) = decode_all(&[
            "\u{0}\u{ff}binary",
            &long,
            "!AIVDM,1,1,,B,17P>D600?w:9K`qp",
            "!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37",
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(st.reject(Reject::TooLong), 1);
        assert_eq!(st.reject(Reject::NotNmea), 1);
        assert_eq!(st.reject(Reject::NoChecksum), 1);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn fuzz_line() -> impl Strategy<Value = Vec<u8>> {
        let real = prop::sample::select(vec![
            r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70",
            r"\g:2-2-3985*5A\!AIVDM,2,2,9,B,PFRC88888888880,2*29",
            "!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37",
            "$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B",
            "!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E",
            "!AIVDM,2,2,3,B,1@0000000000000,2*55",
        ]);
        prop_oneof![
            // Arbitrary bytes.
            prop::collection::vec(any::<u8>(), 0..300),
            // Real lines cut, or with bytes overwritten.
            (real.clone(), any::<prop::sample::Index>())
                .prop_map(|(l, i)| l.as_bytes()[..i.index(l.len() + 1)].to_vec()),
            (real, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(l, i, b)| {
                let mut v = l.as_bytes().to_vec();
                let k = i.index(v.len());
                v[k] = b;
                v
            }),
        ]
    }

    proptest! {
        /// The decoder never panics, whatever arrives, and keeps its counts consistent.
        #[test]
        fn decoder_never_panics(lines in prop::collection::vec(fuzz_line(), 1..40)) {
            let mut d = Decoder::new();
            let mut out = Vec::new();
            for l in &lines {
                d.feed(l, 1_000, &mut out);
            }
            d.expire(i64::MAX);
            let s = d.stats();
            prop_assert_eq!(s.lines, lines.len() as u64);
            prop_assert_eq!(s.messages, out.len() as u64);
            for m in &out {
                let mut j = String::new();
                gpsd_json::write(&mut j, m);
                prop_assert!(serde_json::from_str::<serde_json::Value>(&j).is_ok(), "{}", j);
            }
        }
    }
}
