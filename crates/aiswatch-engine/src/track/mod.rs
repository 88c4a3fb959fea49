//! ③ Vessel tracks: per-MMSI state and a spatial index of current positions.
//!
//! [`TrackStore`] owns one [`Vessel`] per MMSI: latest kinematics, static and
//! voyage data (types 5, 19, 24) and the station that last heard it; the
//! history of its positions is the store's (`Store::track`). Memory per
//! vessel is bounded (measured in BENCHMARKS.md). The spatial index ([`index::PositionIndex`]) is an R-tree
//! of current positions kept in step with the store lazily: a query rebuilds
//! it with `bulk_load` if positions changed since the last build. Per-report
//! R-tree updates would cost more than decoding at line rate; a rebuild of
//! 100k points costs milliseconds and happens only when somebody asks.

use std::sync::Arc;

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use aiswatch_core::time::Millis;
use aiswatch_decode::ais::{Body, Dimensions};
use aiswatch_decode::Decoded;

pub mod flag;
pub mod index;

pub use index::PositionIndex;

pub use aiswatch_core::ids::Mmsi;

/// Static and voyage data, as last reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaticInfo {
    /// Vessel name.
    pub name: Option<String>,
    /// Call sign.
    pub callsign: Option<String>,
    /// IMO number.
    pub imo: Option<u32>,
    /// Ship and cargo type code.
    pub ship_type: Option<u8>,
    /// Length overall, metres.
    pub length_m: Option<u16>,
    /// Beam, metres.
    pub beam_m: Option<u16>,
    /// Draught, metres.
    pub draught_m: Option<f32>,
    /// Destination.
    pub destination: Option<String>,
    /// When static data was last received.
    #[serde(
        serialize_with = "aiswatch_core::time::serde_rfc3339::serialize",
        deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize"
    )]
    pub updated_at: Millis,
}

impl StaticInfo {
    /// Takes from `older` the fields this one does not know yet.
    fn fill_unknown(&mut self, older: StaticInfo) {
        fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
            if slot.is_none() {
                *slot = v;
            }
        }
        fill(&mut self.name, older.name);
        fill(&mut self.callsign, older.callsign);
        fill(&mut self.imo, older.imo);
        fill(&mut self.ship_type, older.ship_type);
        fill(&mut self.length_m, older.length_m);
        fill(&mut self.beam_m, older.beam_m);
        fill(&mut self.draught_m, older.draught_m);
        fill(&mut self.destination, older.destination);
    }

    /// The same data as `o`, whenever it was received.
    pub fn same_data(&self, o: Option<&StaticInfo>) -> bool {
        o.is_some_and(|o| {
            StaticInfo {
                updated_at: o.updated_at,
                ..self.clone()
            } == *o
        })
    }
}

/// What kind of station reports under this MMSI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VesselClass {
    /// Class A transponder (types 1–3, 5).
    A,
    /// Class B transponder (types 18, 19, 24).
    B,
    /// Long-range position reports only (type 27).
    LongRange,
    /// Not yet known (static data only).
    Unknown,
}

/// Everything known about one vessel.
/// Deserializes from what it serializes to (the cluster's snapshot table).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vessel {
    /// Its MMSI.
    pub mmsi: Mmsi,
    /// Transponder class.
    pub class: VesselClass,
    /// First message, event time.
    #[serde(
        serialize_with = "aiswatch_core::time::serde_rfc3339::serialize",
        deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize"
    )]
    pub first_seen: Millis,
    /// Last message of any type, event time.
    #[serde(
        serialize_with = "aiswatch_core::time::serde_rfc3339::serialize",
        deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize"
    )]
    pub last_seen: Millis,
    /// Time of the current position.
    #[serde(
        serialize_with = "aiswatch_core::time::serde_rfc3339::option",
        deserialize_with = "aiswatch_core::time::serde_rfc3339::option_deserialize"
    )]
    pub position_at: Option<Millis>,
    /// Current longitude, degrees.
    pub lon: Option<f64>,
    /// Current latitude, degrees.
    pub lat: Option<f64>,
    /// Speed over ground, knots.
    pub sog_kn: Option<f32>,
    /// Course over ground, degrees.
    pub cog: Option<f32>,
    /// True heading, degrees.
    pub heading_true: Option<u16>,
    /// Navigational status.
    pub nav_status: Option<u8>,
    /// The station that last heard it.
    pub station: Option<Arc<str>>,
    /// The source that last delivered it.
    pub source: Option<Arc<str>>,
    /// Messages received (duplicates excluded).
    pub messages: u32,
    /// Static and voyage data.
    #[serde(rename = "static")]
    pub static_info: Option<Box<StaticInfo>>,
}

impl Vessel {
    fn new(mmsi: Mmsi, time: Millis) -> Self {
        Vessel {
            mmsi,
            class: VesselClass::Unknown,
            first_seen: time,
            last_seen: time,
            position_at: None,
            lon: None,
            lat: None,
            sog_kn: None,
            cog: None,
            heading_true: None,
            nav_status: None,
            station: None,
            source: None,
            messages: 0,
            static_info: None,
        }
    }

    /// Current position (lon, lat), if any.
    pub fn position(&self) -> Option<(f64, f64)> {
        Some((self.lon?, self.lat?))
    }

    /// Vessel name, if known.
    pub fn name(&self) -> Option<&str> {
        self.static_info.as_ref()?.name.as_deref()
    }

    /// Call sign, if known.
    pub fn callsign(&self) -> Option<&str> {
        self.static_info.as_ref()?.callsign.as_deref()
    }

    /// Flag state from the MMSI's Maritime Identification Digits.
    pub fn flag(&self) -> Option<&'static str> {
        flag::flag_of(self.mmsi)
    }
}

/// What one message did to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A newer position was applied.
    Position,
    /// A position older than the current one (late arrival): recorded, not applied.
    LatePosition,
    /// Static or voyage data.
    Static,
    /// Static or voyage data older than what the vessel already has (a late
    /// arrival, or a recording read again): it only fills fields still
    /// unknown, never replaces newer data.
    LateStatic,
    /// Not about a vessel (base station, aid to navigation, binary message …).
    Ignored,
}

/// All vessels, by MMSI.
#[derive(Default)]
pub struct TrackStore {
    /// Boxed: the table's slots stay small (16 B), and a table just past a
    /// doubling is mostly empty slots.
    vessels: AHashMap<Mmsi, Box<Vessel>>,
    index: PositionIndex,
    /// Positions changed since the index was last built.
    dirty: bool,
    /// The names the vessels' stations are held by.
    stations: StationNames,
}

/// The store's own copy of each station name its vessels were last heard
/// by, by the decoder's name. The decoder counts references to its name
/// for every message it decodes, on its own core; a vessel holding that
/// name would count it here too, and the two cores would pass the count's
/// cache line back and forth.
#[derive(Default)]
struct StationNames {
    /// The decoder's name's address: that name (held, so that the address
    /// stays its own) and the copy.
    by_address: AHashMap<usize, (Arc<str>, Arc<str>)>,
    /// A new name past this many is added only after the names no vessel
    /// holds are forgotten: station ids churning (a receiver sending a new
    /// one with every line) do not pile up between vessels leaving.
    prune_at: usize,
}

/// The fewest names [`StationNames`] holds before forgetting any.
const STATION_NAMES_KEPT: usize = 64;

impl StationNames {
    /// The copy of `name`.
    fn of(&mut self, name: &Arc<str>) -> &Arc<str> {
        let address = Arc::as_ptr(name).cast::<u8>() as usize;
        if self.by_address.len() >= self.prune_at && !self.by_address.contains_key(&address) {
            self.prune();
        }
        &self
            .by_address
            .entry(address)
            .or_insert_with(|| (name.clone(), Arc::from(&**name)))
            .1
    }

    /// Forgets the names no vessel holds any more.
    fn prune(&mut self) {
        self.by_address
            .retain(|_, (_, copy)| Arc::strong_count(copy) > 1);
        if crate::oversized(self.by_address.capacity(), self.by_address.len()) {
            self.by_address.shrink_to_fit();
        }
        self.prune_at = (2 * self.by_address.len()).max(STATION_NAMES_KEPT);
    }
}

impl TrackStore {
    /// An empty store.
    pub fn new() -> Self {
        TrackStore::default()
    }

    /// Number of vessels.
    pub fn len(&self) -> usize {
        self.vessels.len()
    }

    /// Whether no vessel is tracked.
    pub fn is_empty(&self) -> bool {
        self.vessels.is_empty()
    }

    /// One vessel.
    pub fn get(&self, mmsi: Mmsi) -> Option<&Vessel> {
        self.vessels.get(&mmsi).map(|v| &**v)
    }

    /// All vessels, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Vessel> {
        self.vessels.values().map(|v| &**v)
    }

    /// Applies one decoded message heard from `source`.
    pub fn apply(&mut self, source: &Arc<str>, d: &Decoded) -> Update {
        let m = &d.message;
        let kind = match &m.body {
            Body::ClassA(_) | Body::ClassB(_) | Body::LongRange(_) => Update::Position,
            Body::ClassBExtended(_) => Update::Position,
            Body::StaticVoyage(_) | Body::StaticDataB(_) => Update::Static,
            _ => return Update::Ignored,
        };
        let mmsi = Mmsi(m.mmsi);
        let v = self
            .vessels
            .entry(mmsi)
            .or_insert_with(|| Box::new(Vessel::new(mmsi, d.time)));
        v.messages = v.messages.saturating_add(1);
        v.last_seen = v.last_seen.max(d.time);
        v.first_seen = v.first_seen.min(d.time);
        if let Some(s) = &d.station {
            let own = self.stations.of(s);
            if v.station
                .as_ref()
                .is_none_or(|last| !Arc::ptr_eq(last, own))
            {
                v.station = Some(own.clone());
            }
        }
        if v.source.as_ref() != Some(source) {
            v.source = Some(source.clone());
        }
        match m.msg_type {
            1..=3 | 5 => v.class = VesselClass::A,
            18 | 19 | 24 => v.class = VesselClass::B,
            27 if v.class == VesselClass::Unknown => v.class = VesselClass::LongRange,
            _ => {}
        }
        // Static data older than the vessel's (satellite feeds deliver out
        // of order; a recording may be read again after a restart) must not
        // turn its identity back: it only fills what is still unknown.
        let late = v
            .static_info
            .as_ref()
            .is_some_and(|s| d.time < s.updated_at);
        let update_static = |v: &mut Vessel, set: &dyn Fn(&mut StaticInfo)| {
            let s = v.static_info.get_or_insert_with(Default::default);
            if late {
                let mut old = StaticInfo::default();
                set(&mut old);
                s.fill_unknown(old);
            } else {
                set(s);
                s.updated_at = d.time;
            }
        };
        match &m.body {
            Body::ClassBExtended(x) => update_static(v, &|s| {
                set_text(&mut s.name, &x.shipname);
                s.ship_type = Some(x.shiptype).filter(|&t| t != 0);
                set_dims(s, &x.dims);
            }),
            Body::StaticVoyage(x) => {
                update_static(v, &|s| {
                    set_text(&mut s.name, &x.shipname);
                    set_text(&mut s.callsign, &x.callsign);
                    set_text(&mut s.destination, &x.destination);
                    s.imo = Some(x.imo).filter(|&i| i != 0);
                    s.ship_type = Some(x.shiptype).filter(|&t| t != 0);
                    s.draught_m = Some(f32::from(x.draught) / 10.0).filter(|&d| d > 0.0);
                    set_dims(s, &x.dims);
                });
                return if late {
                    Update::LateStatic
                } else {
                    Update::Static
                };
            }
            Body::StaticDataB(x) => {
                update_static(v, &|s| {
                    if let Some(n) = &x.shipname {
                        set_text(&mut s.name, n);
                    }
                    if let Some(c) = &x.callsign {
                        set_text(&mut s.callsign, c);
                    }
                    if let Some(t) = x.shiptype {
                        s.ship_type = Some(t).filter(|&t| t != 0);
                    }
                    if let Some(dims) = &x.dims {
                        set_dims(s, dims);
                    }
                });
                return if late {
                    Update::LateStatic
                } else {
                    Update::Static
                };
            }
            _ => {}
        }
        debug_assert_eq!(kind, Update::Position);
        let Some((lon, lat)) = m.position() else {
            return Update::Ignored;
        };
        if v.position_at.is_some_and(|t| t > d.time) {
            return Update::LatePosition;
        }
        v.position_at = Some(d.time);
        v.lon = Some(lon);
        v.lat = Some(lat);
        v.sog_kn = m.speed_kn().map(|s| s as f32);
        v.cog = m.course_deg().map(|c| c as f32);
        v.heading_true = m.heading_deg();
        if let Some(st) = m.nav_status() {
            v.nav_status = Some(st);
        }
        self.dirty = true;
        Update::Position
    }

    /// Vessels not heard since `before`, in MMSI order.
    pub fn unheard_since(&self, before: Millis) -> Vec<Mmsi> {
        let mut gone: Vec<Mmsi> = self
            .vessels
            .values()
            .filter(|v| v.last_seen < before)
            .map(|v| v.mmsi)
            .collect();
        gone.sort_unstable();
        gone
    }

    /// Forgets `gone`; returns how many were tracked. The table gives its
    /// memory back once under a quarter full (after a burst of MMSIs).
    pub fn remove(&mut self, gone: &[Mmsi]) -> usize {
        let removed = gone
            .iter()
            .filter(|m| self.vessels.remove(m).is_some())
            .count();
        if removed > 0 {
            self.dirty = true;
            self.stations.prune();
            if crate::oversized(self.vessels.capacity(), self.vessels.len()) {
                self.vessels.shrink_to_fit();
            }
        }
        removed
    }

    /// The spatial index, rebuilt first if positions changed since the last build.
    pub fn index(&mut self) -> &PositionIndex {
        if self.dirty {
            self.index = PositionIndex::build(self.vessels.values().filter_map(|v| {
                let (lon, lat) = v.position()?;
                Some((v.mmsi, lon, lat))
            }));
            self.dirty = false;
        }
        &self.index
    }

    /// Vessels whose current position is inside a lon/lat box. `min_lon >
    /// max_lon` means the box crosses the antimeridian.
    pub fn in_bbox(
        &mut self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Vec<&Vessel> {
        let ids = self.index().in_bbox(min_lon, min_lat, max_lon, max_lat);
        ids.into_iter()
            .filter_map(|m| self.vessels.get(&m).map(|v| &**v))
            .collect()
    }

    /// Vessels within `radius_m` metres of (lon, lat), nearest first.
    pub fn within(&mut self, lon: f64, lat: f64, radius_m: f64) -> Vec<(&Vessel, f64)> {
        let hits = self.index().within(lon, lat, radius_m);
        hits.into_iter()
            .filter_map(|(m, d)| Some((&**self.vessels.get(&m)?, d)))
            .collect()
    }
}

fn set_text(slot: &mut Option<String>, v: &str) {
    let v = v.trim();
    if v.is_empty() {
        return;
    }
    if slot.as_deref() != Some(v) {
        *slot = Some(v.to_owned());
    }
}

fn set_dims(s: &mut StaticInfo, d: &Dimensions) {
    if let Some(l) = d.length_m() {
        s.length_m = Some(l);
    }
    let beam = u16::from(d.to_port) + u16::from(d.to_starboard);
    if beam > 0 {
        s.beam_m = Some(beam);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_decode::Decoder;

    fn feed(store: &mut TrackStore, lines: &[&str], time: Millis) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), time, &mut out);
        }
        let src: Arc<str> = "test".into();
        for m in &out {
            store.apply(&src, m);
        }
    }

    #[test]
    fn position_and_static_data_merge() {
        let mut s = TrackStore::new();
        feed(
            &mut s,
            &[
                "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
                "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
                "!AIVDM,2,2,1,A,88888888880,2*25",
            ],
            1_000,
        );
        let v = s.get(Mmsi(371_798_000)).expect("tracked");
        assert_eq!(v.sog_kn, Some(12.3));
        assert_eq!(v.class, VesselClass::A);
        let e = s.get(Mmsi(351_759_000)).expect("static");
        assert_eq!(e.name(), Some("EVER DIADEM"));
        assert_eq!(e.flag(), Some("PA"));
    }

    #[test]
    fn vessels_hold_the_stores_copy_of_a_station_name_until_none_does() {
        let mut s = TrackStore::new();
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in [
            "\\s:rx1*72\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            "\\s:rx1*72\\!AIVDM,1,1,,B,13u?etPv2;0n:dDPwUM1U1Cb069D,0*27",
            "\\s:rx2*71\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
        ] {
            d.feed(l.as_bytes(), 1_000, &mut out);
        }
        let names: Vec<Arc<str>> = out.iter().map(|m| m.station.clone().unwrap()).collect();
        assert_eq!(names.len(), 3);
        assert!(
            Arc::ptr_eq(&names[0], &names[1]),
            "the decoder shares one name"
        );
        let src: Arc<str> = "test".into();
        for m in &out[..2] {
            s.apply(&src, m);
        }
        let (a, b) = (Mmsi(371_798_000), Mmsi(265_547_250));
        let held = |s: &TrackStore, m| s.get(m).and_then(|v| v.station.clone()).unwrap();
        let (ha, hb) = (held(&s, a), held(&s, b));
        assert_eq!((&*ha, &*hb), ("rx1", "rx1"));
        assert!(!Arc::ptr_eq(&ha, &names[0]) && Arc::ptr_eq(&ha, &hb));
        s.apply(&src, &out[2]);
        assert_eq!(&*held(&s, a), "rx2");
        assert_eq!(s.stations.by_address.len(), 2);
        drop((ha, hb));
        assert_eq!(s.remove(&[b]), 1);
        assert_eq!(s.stations.by_address.len(), 1, "no vessel holds rx1");
        assert_eq!(s.remove(&[a]), 1);
        assert!(s.stations.by_address.is_empty());

        // A station id new with every message, no vessel leaving: the
        // names no vessel holds are forgotten as new ones come.
        for i in 0..1_000 {
            let mut m = out[0].clone();
            m.station = Some(Arc::from(format!("churn-{i}")));
            s.apply(&src, &m);
        }
        assert_eq!(&*held(&s, a), "churn-999");
        assert!(s.stations.by_address.len() <= STATION_NAMES_KEPT + 1);
    }
}
