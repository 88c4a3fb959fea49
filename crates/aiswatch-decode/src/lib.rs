//! ② Framing and decoding: raw lines → complete, verified AIS messages.
//!
//! [`Decoder`] holds the state of one source: per receiver, a Gatehouse
//! header waiting for its sentence and multi-part messages waiting for their
//! fragments; the source's station ids. It owns the framing (mandatory
//! checksum, tag blocks, reassembly with expiry) and hands [`ais::decode`]
//! only complete payloads. Everything it keeps is capped ([`DecodeLimits`]).
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use ahash::AHashMap;

use aiswatch_core::time::Millis;

pub mod ais;
mod assemble;
pub mod gpsd_json;
pub mod history;
pub mod input;
mod report;
pub mod sentence;
mod state;

pub use ais::{AisMessage, Body};
pub use state::{DecodeLimits, Limit};

use assemble::Fragment;
use sentence::{Item, TagCheck};
use state::{Receiver, Stations};

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
    /// What the caps of [`DecodeLimits`] turned away (index = position in
    /// [`Limit::ALL`]). Not rejects of the line at hand: a fragment dropped
    /// for room may be another receiver's, and a sentence whose station was
    /// not kept is still decoded.
    pub limited: [u64; 3],
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

    /// Count of one limit.
    pub fn limit(&self, l: Limit) -> u64 {
        self.limited[l as usize]
    }

    /// All limits.
    pub fn limited_total(&self) -> u64 {
        self.limited.iter().sum()
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
        for (a, b) in self.limited.iter_mut().zip(o.limited) {
            *a += b;
        }
    }

    fn count(&mut self, r: Reject) {
        self.rejects[r as usize] += 1;
    }

    fn count_limit(&mut self, l: Limit, n: u64) {
        self.limited[l as usize] += n;
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

/// Framing and decoding state for one source: per receiver (TCP connection
/// or UDP sender, see [`Decoder::feed_from`]) a Gatehouse header waiting for
/// its sentence and multi-part messages waiting for their fragments, so two
/// receivers' fragments never join; the source's station ids. All of it
/// bounded by [`DecodeLimits`] (see [`state`]).
pub struct Decoder {
    shared: Shared,
    /// The receiver of lines fed without a peer (files, replay).
    local: Receiver,
    /// Receivers by address.
    peers: AHashMap<SocketAddr, Receiver>,
    /// Bytes held by every receiver's assembler together.
    fragment_bytes: usize,
}

/// The part of a [`Decoder`] that every receiver shares.
struct Shared {
    stats: DecodeStats,
    limits: DecodeLimits,
    stations: Stations,
    bits: Vec<u8>,
    hasher: ahash::RandomState,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with empty state and the default [`DecodeLimits`].
    pub fn new() -> Self {
        Self::with_limits(DecodeLimits::default())
    }

    /// A decoder with empty state and the given caps. A receiver's byte cap
    /// is lowered to half the source's if it is larger, so that the
    /// source's budget can always be met.
    pub fn with_limits(mut limits: DecodeLimits) -> Self {
        limits.max_pending_bytes = limits.max_pending_bytes.min(limits.max_fragment_bytes / 2);
        Decoder {
            shared: Shared {
                stats: DecodeStats::default(),
                limits,
                stations: Stations::default(),
                bits: Vec::with_capacity(256),
                // Fixed keys: the same payload hashes the same in every decoder,
                // so duplicates are recognised across sources.
                hasher: ahash::RandomState::with_seeds(0x5eed, 0xa15, 0x0dd, 0xba11),
            },
            local: Receiver::new(&limits, 0),
            peers: AHashMap::new(),
            fragment_bytes: 0,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DecodeStats {
        &self.shared.stats
    }

    /// Takes the counters, leaving zeros (for periodic export).
    pub fn take_stats(&mut self) -> DecodeStats {
        std::mem::take(&mut self.shared.stats)
    }

    /// The caps in force.
    pub fn limits(&self) -> &DecodeLimits {
        &self.shared.limits
    }

    /// Feeds one line received at `arrival` (lines without a receiver:
    /// files, replay). Complete messages are pushed to `out`.
    pub fn feed(&mut self, line: &[u8], arrival: Millis, out: &mut Vec<Decoded>) {
        self.feed_from(None, line, arrival, out);
    }

    /// Feeds one line that `peer` sent, received at `arrival` (wall clock:
    /// it also dates the receiver's and stations' last use). Fragments
    /// join only fragments of the same peer. Complete messages are pushed
    /// to `out`.
    pub fn feed_from(
        &mut self,
        peer: Option<SocketAddr>,
        line: &[u8],
        arrival: Millis,
        out: &mut Vec<Decoded>,
    ) {
        let rx = match peer {
            None => &mut self.local,
            Some(p) => {
                if !self.peers.contains_key(&p) {
                    self.make_room_for_peer();
                }
                let limits = &self.shared.limits;
                self.peers
                    .entry(p)
                    .or_insert_with(|| Receiver::new(limits, arrival))
            }
        };
        rx.used = arrival;
        let before = rx.assembler.bytes();
        self.shared.feed(rx, line, arrival, out);
        // `fragment_bytes` includes `before`: no underflow.
        self.fragment_bytes = self.fragment_bytes - before + rx.assembler.bytes();
        if self.fragment_bytes > self.shared.limits.max_fragment_bytes {
            self.shed(peer);
        }
    }

    /// Whether no multi-part message is waiting for fragments.
    pub fn is_idle(&self) -> bool {
        self.local.assembler.is_empty() && self.peers.values().all(|r| r.assembler.is_empty())
    }

    /// Receivers whose state is kept (the local one, for lines fed without
    /// a peer, not included).
    pub fn peers(&self) -> usize {
        self.peers.len()
    }

    /// Station ids kept.
    pub fn stations(&self) -> usize {
        self.shared.stations.len()
    }

    /// Bytes held for incomplete messages, all receivers together.
    pub fn fragment_bytes(&self) -> usize {
        self.fragment_bytes
    }

    /// Fragments held for incomplete messages, all receivers together.
    pub fn fragments(&self) -> u64 {
        self.local.assembler.fragments()
            + self
                .peers
                .values()
                .map(|r| r.assembler.fragments())
                .sum::<u64>()
    }

    /// Drops fragments that waited too long for their message to complete,
    /// and forgets receivers and station ids left unused (see
    /// [`DecodeLimits`]). `now` is the wall clock; call it every few seconds.
    pub fn expire(&mut self, now: Millis) {
        let limits = self.shared.limits;
        let mut lost = self.local.assembler.expire(now);
        for rx in self.peers.values_mut() {
            lost += rx.assembler.expire(now);
        }
        self.shared.stats.rejects[Reject::OrphanFragment as usize] += lost;
        let idle_since = now.saturating_sub(limits.peer_idle_ms);
        self.peers
            .retain(|_, rx| !rx.assembler.is_empty() || rx.used >= idle_since);
        state::shrink(&mut self.peers);
        self.shared
            .stations
            .prune(now.saturating_sub(limits.station_idle_ms));
        self.fragment_bytes = self.local.assembler.bytes()
            + self
                .peers
                .values()
                .map(|r| r.assembler.bytes())
                .sum::<usize>();
    }

    /// Before a new receiver is added at the cap: forgets the eighth of the
    /// receivers unused longest.
    fn make_room_for_peer(&mut self) {
        let max = self.shared.limits.max_peers.max(1);
        if self.peers.len() < max {
            return;
        }
        let used: Vec<(Millis, SocketAddr)> =
            self.peers.iter().map(|(a, r)| (r.used, *a)).collect();
        let mut dropped = 0;
        let evict = state::oldest(used, (max / 8).max(1));
        for addr in &evict {
            if let Some(mut rx) = self.peers.remove(addr) {
                self.fragment_bytes -= rx.assembler.bytes();
                dropped += rx.assembler.clear();
            }
        }
        let st = &mut self.shared.stats;
        st.count_limit(Limit::Peers, evict.len() as u64);
        st.count_limit(Limit::Fragments, dropped);
    }

    /// Over the source's fragment budget: the receivers unused longest
    /// (never `current`) lose their incomplete messages until a quarter of
    /// the budget is free.
    fn shed(&mut self, current: Option<SocketAddr>) {
        let target = self.shared.limits.max_fragment_bytes / 4 * 3;
        let mut holders: Vec<(Millis, Option<SocketAddr>)> = self
            .peers
            .iter()
            .filter(|(a, r)| Some(**a) != current && !r.assembler.is_empty())
            .map(|(a, r)| (r.used, Some(*a)))
            .collect();
        if current.is_some() && !self.local.assembler.is_empty() {
            holders.push((self.local.used, None));
        }
        holders.sort_unstable_by_key(|h| h.0);
        let mut dropped = 0;
        for (_, who) in holders {
            if self.fragment_bytes <= target {
                break;
            }
            let rx = match who {
                None => &mut self.local,
                Some(a) => match self.peers.get_mut(&a) {
                    Some(r) => r,
                    None => continue,
                },
            };
            self.fragment_bytes -= rx.assembler.bytes();
            dropped += rx.assembler.clear();
        }
        self.shared.stats.count_limit(Limit::Fragments, dropped);
    }
}

impl Shared {
    fn feed(&mut self, rx: &mut Receiver, line: &[u8], arrival: Millis, out: &mut Vec<Decoded>) {
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
        // By reference: items are large and lines short, so copies would show.
        for item in items[..n].iter().flatten() {
            self.item(rx, item, arrival, out);
        }
    }

    fn item(
        &mut self,
        rx: &mut Receiver,
        item: &Item<'_>,
        arrival: Millis,
        out: &mut Vec<Decoded>,
    ) {
        match item {
            Item::Rejected(r) => self.stats.count(*r),
            Item::NonAis => self.stats.non_ais += 1,
            Item::Pghp(t) => rx.pghp_time = Some(*t),
            Item::Ais(s) => {
                self.stats.sentences += 1;
                match s.tag_check {
                    TagCheck::Unverified => self.stats.tag_unverified += 1,
                    TagCheck::Invalid => self.stats.tag_invalid += 1,
                    _ => {}
                }
                // A Gatehouse header applies to the one sentence after it.
                let pghp = rx.pghp_time.take();
                let (time, time_source) = if let Some(t) = s.tags.time {
                    (t, TimeSource::TagBlock)
                } else if let Some(t) = pghp {
                    (t, TimeSource::Pghp)
                } else if let Some(t) = s.trailing_time {
                    (t, TimeSource::Trailing)
                } else {
                    (arrival, TimeSource::Arrival)
                };
                let station = match s.tags.station.or(s.trailing_station) {
                    None => None,
                    Some(raw) => {
                        let st = self.stations.intern(raw, arrival, &self.limits);
                        if st.is_none() {
                            self.stats.count_limit(Limit::Stations, 1);
                        }
                        st
                    }
                };
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
                    let res = rx.assembler.push(frag, arrival);
                    self.stats.rejects[Reject::OrphanFragment as usize] += res.orphaned;
                    self.stats.count_limit(Limit::Fragments, res.limited);
                    if let Some((payload, fill, meta)) = res.complete {
                        self.complete(&payload, fill, meta, out);
                    }
                }
            }
        }
    }

    fn complete(&mut self, payload: &[u8], fill: u8, meta: Meta, out: &mut Vec<Decoded>) {
        let nbits = ais::unarmour(payload, fill, &mut self.bits);
        // Zeros after the message, so that every field is read as one word.
        self.bits.extend_from_slice(&[0; 8]);
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
