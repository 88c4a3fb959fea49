//! What a [`Decoder`](super::Decoder) keeps between lines, and its bounds.
//!
//! A decoder serves one source. It keeps framing state per receiver (TCP
//! connection, UDP sender: a Gatehouse header waiting for its sentence and
//! incomplete multi-part messages) and the source's station ids (tag block
//! `s:`, NAIS `r…`), shared so that every message from one station carries
//! one `Arc<str>`. A hostile or broken feed controls all three — a new
//! sender address, station id or multi-part group on every line — so each
//! is capped ([`DecodeLimits`]); what a cap turns away is counted by
//! [`Limit`], and state left unused is forgotten by
//! [`Decoder::expire`](super::Decoder::expire).

use std::sync::Arc;

use ahash::AHashMap;

use aiswatch_core::time::Millis;

use super::assemble::Assembler;

/// Caps on the state a [`Decoder`](super::Decoder) keeps for one source.
///
/// The defaults bound a source's decoder to about 9 MiB whatever arrives,
/// well above what real feeds need: a receiver has a few multi-part messages
/// in flight (each under 200 bytes of payload), an aggregator carries a few
/// hundred stations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Receivers (TCP connections, UDP senders) whose framing state is kept.
    /// Beyond, the eighth unused longest is forgotten (their incomplete
    /// messages are lost). Default 1,024.
    pub max_peers: usize,
    /// Distinct station ids kept. Beyond, a sentence naming a new station is
    /// still decoded but carries no station (the engine then attributes it
    /// to its source). Default 4,096.
    pub max_stations: usize,
    /// Longest station id kept, in bytes; a longer one is treated as over
    /// the cap. Real ids are under 20 bytes. Default 64.
    pub max_station_len: usize,
    /// Incomplete messages held per receiver. Default 512.
    pub max_pending: usize,
    /// Bytes of incomplete messages held per receiver (payloads plus
    /// bookkeeping). Default 64 KiB.
    pub max_pending_bytes: usize,
    /// Bytes of incomplete messages held by all receivers together. Beyond,
    /// the receivers unused longest lose theirs until a quarter is free.
    /// Default 8 MiB.
    pub max_fragment_bytes: usize,
    /// A receiver with nothing pending, unused this long, is forgotten.
    /// Default 10 minutes.
    pub peer_idle_ms: Millis,
    /// A station id unused this long is forgotten (so a flood of ids does not
    /// keep new real stations out for ever). Default 1 hour.
    pub station_idle_ms: Millis,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_peers: 1024,
            max_stations: 4096,
            max_station_len: 64,
            max_pending: super::assemble::MAX_PENDING,
            max_pending_bytes: super::assemble::MAX_PENDING_BYTES,
            max_fragment_bytes: 8 << 20,
            peer_idle_ms: 600_000,
            station_idle_ms: 3_600_000,
        }
    }
}

/// What a cap of [`DecodeLimits`] turned away. Counted in
/// [`DecodeStats::limited`](super::DecodeStats) and exported with the
/// rejects, as `aiswatch_rejected_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// A sentence whose station id was not kept (too many stations, or too
    /// long an id); the message itself was used, without a station.
    Stations,
    /// A fragment dropped because reassembly buffers were full (its
    /// receiver's, or the source's).
    Fragments,
    /// A receiver's framing state forgotten because the source had too many.
    Peers,
}

impl Limit {
    /// Every limit, in a fixed order (index of [`DecodeStats::limited`](super::DecodeStats)).
    pub const ALL: [Limit; 3] = [Limit::Stations, Limit::Fragments, Limit::Peers];

    /// The metric label and summary name.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Stations => "station_limit",
            Limit::Fragments => "fragment_limit",
            Limit::Peers => "peer_limit",
        }
    }
}

/// Framing state of one receiver.
#[derive(Debug)]
pub(super) struct Receiver {
    /// A Gatehouse `$PGHP` time waiting for the sentence after it.
    pub(super) pghp_time: Option<Millis>,
    /// Incomplete multi-part messages.
    pub(super) assembler: Assembler,
    /// Arrival time of its last line.
    pub(super) used: Millis,
}

impl Receiver {
    pub(super) fn new(limits: &DecodeLimits, now: Millis) -> Self {
        Receiver {
            pghp_time: None,
            assembler: Assembler::with_caps(limits.max_pending, limits.max_pending_bytes),
            used: now,
        }
    }
}

/// A source's station ids, interned, with when each was last used.
#[derive(Debug, Default)]
pub(super) struct Stations {
    ids: AHashMap<Box<[u8]>, (Arc<str>, Millis)>,
}

impl Stations {
    /// The shared id for `raw`, or `None` when it is not kept (the caller
    /// counts [`Limit::Stations`]).
    pub(super) fn intern(
        &mut self,
        raw: &[u8],
        now: Millis,
        limits: &DecodeLimits,
    ) -> Option<Arc<str>> {
        if let Some((s, used)) = self.ids.get_mut(raw) {
            *used = now;
            return Some(s.clone());
        }
        if raw.len() > limits.max_station_len || self.ids.len() >= limits.max_stations {
            return None;
        }
        let s: Arc<str> = String::from_utf8_lossy(raw).into();
        self.ids.insert(raw.into(), (s.clone(), now));
        Some(s)
    }

    /// Forgets ids unused since `before`.
    pub(super) fn prune(&mut self, before: Millis) {
        self.ids.retain(|_, (_, used)| *used >= before);
        shrink(&mut self.ids);
    }

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Gives a map's memory back once it holds far less than it has room for
/// (after a flood is pruned).
pub(super) fn shrink<K: Eq + std::hash::Hash, V>(map: &mut AHashMap<K, V>) {
    if map.capacity() > 64 && map.capacity() > 4 * map.len() {
        map.shrink_to_fit();
    }
}

/// The `n` keys whose `used` is oldest (all of them if there are fewer).
pub(super) fn oldest<K: Copy>(mut entries: Vec<(Millis, K)>, n: usize) -> Vec<K> {
    if n < entries.len() {
        entries.select_nth_unstable_by_key(n, |e| e.0);
        entries.truncate(n);
    }
    entries.into_iter().map(|e| e.1).collect()
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::super::{Decoder, Reject};
    use super::*;

    fn x(s: &str) -> u8 {
        s.bytes().fold(0, |a, b| a ^ b)
    }

    fn nmea(tags: &str, body: &str) -> String {
        format!("\\{tags}*{:02X}\\!{body}*{:02X}", x(tags), x(body))
    }

    const POS: &str = "AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0";
    const P1: &str = "AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0";
    const P2: &str = "AIVDM,2,2,3,B,1@0000000000000,2";

    fn peer(i: u32) -> Option<SocketAddr> {
        let [a, b, c, d] = i.to_be_bytes();
        Some(SocketAddr::from(([10, b, c, d], 1000 + u16::from(a))))
    }

    /// A first part of a 2-part message that never completes.
    fn orphan(id: u32) -> String {
        let payload = "w".repeat(600);
        nmea(&format!("g:1-2-{id}"), &format!("AIVDM,2,1,,A,{payload},0"))
    }

    #[test]
    fn a_new_station_on_every_line_is_capped_and_counted() {
        let mut d = Decoder::new();
        let max = d.limits().max_stations;
        let mut out = Vec::new();
        let n = 100_000;
        for i in 0..n {
            d.feed(nmea(&format!("s:S{i}"), POS).as_bytes(), 1_000, &mut out);
        }
        // Before: a station table per receiver capped at 10,000, but every
        // station beyond still went downstream as a new id.
        assert_eq!(d.stations(), max);
        assert_eq!(out.len(), n, "every message is still decoded");
        assert_eq!(out.iter().filter(|m| m.station.is_some()).count(), max);
        assert_eq!(d.stats().limit(Limit::Stations), (n - max) as u64);
        // A known station keeps its id; too long an id is not kept.
        d.feed(nmea("s:S7", POS).as_bytes(), 2_000, &mut out);
        assert_eq!(out.last().unwrap().station.as_deref(), Some("S7"));
        let long = "L".repeat(65);
        let mut small = Decoder::new();
        small.feed(nmea(&format!("s:{long}"), POS).as_bytes(), 0, &mut out);
        assert_eq!(out.last().unwrap().station, None);
        assert_eq!(small.stats().limit(Limit::Stations), 1);
    }

    #[test]
    fn unused_stations_are_forgotten_so_new_ones_get_in() {
        let limits = DecodeLimits {
            max_stations: 10,
            ..DecodeLimits::default()
        };
        let idle = limits.station_idle_ms;
        let mut d = Decoder::with_limits(limits);
        let mut out = Vec::new();
        for i in 0..20 {
            d.feed(nmea(&format!("s:flood{i}"), POS).as_bytes(), 0, &mut out);
        }
        assert_eq!(d.stations(), 10);
        // A real station keeps being heard; the flood's ids are not.
        d.expire(idle / 2);
        for t in [idle / 2, idle] {
            d.feed(nmea("s:real", POS).as_bytes(), t, &mut out);
        }
        assert_eq!(out.last().unwrap().station, None, "table full of flood ids");
        d.expire(idle + 1);
        assert_eq!(d.stations(), 0);
        d.feed(nmea("s:real", POS).as_bytes(), idle + 2, &mut out);
        assert_eq!(out.last().unwrap().station.as_deref(), Some("real"));
    }

    #[test]
    fn orphan_first_parts_from_many_peers_stay_within_budget() {
        let mut d = Decoder::new();
        let limits = *d.limits();
        let mut out = Vec::new();
        // 100,000 orphan first parts from 1,500 receivers (1,000 UDP senders
        // and 500 TCP peers, as a hostile-input probe sends them).
        for i in 0..100_000u32 {
            d.feed_from(peer(i % 1500), orphan(i).as_bytes(), 1_000, &mut out);
            assert!(d.fragment_bytes() <= limits.max_fragment_bytes);
        }
        assert!(d.peers() <= limits.max_peers);
        let s = d.stats();
        assert!(s.limit(Limit::Peers) > 0, "{s:?}");
        let held = d.fragments();
        // Every fragment is accounted for: held, or dropped and counted.
        assert_eq!(
            held + s.limit(Limit::Fragments) + s.reject(Reject::OrphanFragment),
            100_000,
            "{s:?}"
        );
        // A real receiver's message still assembles in the middle of it.
        let real = peer(2_000_000);
        for l in [nmea("c:1334337317", P1), nmea("c:1334337317", P2)] {
            d.feed_from(real, l.as_bytes(), 1_001, &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message.msg_type, 5);
    }

    #[test]
    fn one_peer_flooding_orphans_is_capped_per_receiver() {
        let mut d = Decoder::new();
        let limits = *d.limits();
        let mut out = Vec::new();
        for i in 0..100_000u32 {
            d.feed_from(peer(1), orphan(i).as_bytes(), 1_000, &mut out);
        }
        assert!(d.fragment_bytes() <= limits.max_pending_bytes);
        assert!(d.stats().limit(Limit::Fragments) > 99_000);
    }

    #[test]
    fn idle_receivers_and_their_fragments_are_pruned() {
        let mut d = Decoder::new();
        let idle = d.limits().peer_idle_ms;
        let mut out = Vec::new();
        for i in 0..300u32 {
            d.feed_from(peer(i), orphan(i).as_bytes(), 1_000, &mut out);
            d.feed_from(peer(i + 1000), nmea("s:x", POS).as_bytes(), 1_000, &mut out);
        }
        assert_eq!(d.peers(), 600);
        assert!(d.fragment_bytes() > 0);
        // Fragments expire after a minute; receivers with nothing pending after `peer_idle_ms`.
        d.expire(1_000 + 61_000);
        assert_eq!(d.fragments(), 0);
        assert_eq!(d.fragment_bytes(), 0);
        assert_eq!(d.stats().reject(Reject::OrphanFragment), 300);
        assert_eq!(d.peers(), 600);
        d.expire(1_000 + idle + 1);
        assert_eq!(d.peers(), 0);
        assert!(d.is_idle());
    }
}
