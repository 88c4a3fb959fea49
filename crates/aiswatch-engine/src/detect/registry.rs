//! The detector registry: what every detector offers the orchestrator
//! ([`Detector`]), the thresholds zones fall back on ([`Defaults`]) and each
//! detector's thresholds per zone ([`ZoneParams`]).
//!
//! The list itself is one `registry!` invocation in `detect/mod.rs`: one
//! line per detector gives its alert kind, its folder and its type, and from
//! it come the [`Kind`](super::Kind) and [`Details`](super::Details) enums,
//! the specs zone files are checked
//! against ([`SPECS`](super::SPECS)), the `[detect.<name>]` config tables and
//! the detectors the orchestrator runs. Registry order is the order of the
//! kinds list, and the order in which checks due at the same instant run,
//! reports are shown to the detectors and a forgotten vessel's alerts close.

use std::collections::BTreeMap;
use std::time::Duration;

use ahash::AHashSet;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::context::{Context, Key, Report};
use super::{DetectConfig, Kind};
use crate::track::{Mmsi, StaticInfo};
use aiswatch_core::time::Millis;
use aiswatch_zones::{ZoneKind, ZoneSet};

/// Declares the detectors: `Variant => folder::Type` per line, each with the
/// doc comment of its alert kind. Generates their modules, [`Kind`](super::Kind),
/// [`SPECS`](super::SPECS) and the functions the orchestrator and the config
/// reach every detector through.
macro_rules! registry {
    ($( $(#[doc = $doc:literal])+ $variant:ident => $module:ident :: $ty:ident, )+) => {
        $( pub mod $module; )+

        /// Which detector raised an alert.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            /// The name used in JSON, ids, metrics, zone files and the
            /// config: the detector's folder.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => stringify!($module),)+
                }
            }
        }

        // The orchestrator keeps which detectors run in a zone as bits of a `u32`.
        const _: () = assert!(Kind::ALL.len() <= 32);

        /// How each detector's thresholds are written in zone files, in
        /// registry order: what zone loading checks `detect` blocks against.
        pub static SPECS: &[aiswatch_zones::DetectorSpec] = &[$($module::SPEC,)+];

        /// Why an alert fired, or how it ended: durations, distances,
        /// speeds and the thresholds used. Each detector defines its own; in
        /// JSON it is the detector's object as it is (no tag: the alert's
        /// `kind` says which).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum Details {
            $(
                #[doc = concat!("A `", stringify!($module), "` alert's.")]
                $variant($module::Details),
            )+
        }

        impl Details {
            /// The kind of alert these details belong to.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Details::$variant(_) => Kind::$variant,)+
                }
            }

            /// Details of a `kind` alert read from their JSON.
            ///
            /// # Errors
            /// The JSON is not the details of a `kind` alert.
            pub fn from_json(kind: Kind, v: serde_json::Value) -> Result<Details, serde_json::Error> {
                Ok(match kind {
                    $(Kind::$variant => Details::$variant(serde_json::from_value(v)?),)+
                })
            }

            /// The details of a `kind` alert ended for `reason` alone, its
            /// figures unknown (e.g. closed at restart).
            pub fn ended(kind: Kind, reason: &str) -> Details {
                match kind {
                    $(Kind::$variant => Details::$variant($module::Details::ended(reason)),)+
                }
            }
        }

        /// Every detector, in registry order.
        fn registered() -> Vec<Box<dyn registry::Detector>> {
            vec![$(Box::new($module::$ty::default()),)+]
        }

        /// Detector `name`'s `[detect.<name>]` table checked by its
        /// thresholds type, every threshold filled in; `None` for a name
        /// that is no detector's.
        fn default_table(name: &str, table: toml::Value) -> Option<Result<serde_json::Map<String, serde_json::Value>, registry::DefaultsError>> {
            match name {
                $(stringify!($module) => Some(registry::table::<$module::Params>(table)),)+
                _ => None,
            }
        }
    };
}
pub(crate) use registry;

/// Zone kinds where a vessel stopping is no news.
pub(crate) fn not_in_ports(kind: ZoneKind) -> Result<(), &'static str> {
    match kind {
        ZoneKind::Port => Err(
            "not allowed in a port zone: loitering and rendezvous are never \
             alerted inside ports and anchorages (use kind \"patrol\" to watch this area)",
        ),
        _ => Ok(()),
    }
}

/// Where fishing is forbidden.
pub(crate) fn only_closed_areas(kind: ZoneKind) -> Result<(), &'static str> {
    match kind {
        ZoneKind::ClosedArea => Ok(()),
        _ => Err(
            "allowed only in a zone of kind \"closed_area\" (fishing is alerted where it \
             is forbidden)",
        ),
    }
}

/// `table` read as thresholds `P` (unknown keys refused, the rest from
/// `P::default()`), written back with every threshold.
pub(crate) fn table<P: Serialize + DeserializeOwned>(
    table: toml::Value,
) -> Result<Map<String, Value>, DefaultsError> {
    let p: P = table.try_into().map_err(DefaultsError::Thresholds)?;
    let m = match serde_json::to_value(p).map_err(DefaultsError::Json)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    // Thresholds are numbers and durations: only a number that is not
    // finite (`nan`, `inf`) writes as null.
    match m.iter().find(|(_, v)| v.is_null()) {
        Some((k, _)) => Err(DefaultsError::NotFinite(k.clone())),
        None => Ok(m),
    }
}

/// Why a `[detect.<name>]` table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefaultsError {
    /// The table is named after no detector.
    #[error("unknown detector {0:?}")]
    UnknownDetector(String),
    /// The table does not fit the detector's thresholds (an unknown key, a
    /// value of the wrong type).
    #[error("{}", .0.to_string().trim_end())]
    Thresholds(toml::de::Error),
    /// A threshold that is not a finite number (`nan`, `inf`).
    #[error("{0}: must be a finite number")]
    NotFinite(String),
    /// The thresholds could not be written back.
    #[error("{0}")]
    Json(serde_json::Error),
}

/// The thresholds zones fall back on: every detector's `[detect.<name>]`
/// table of the config, each threshold filled in (missing tables and keys
/// from the detector's own defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults(BTreeMap<&'static str, Map<String, Value>>);

impl Default for Defaults {
    fn default() -> Self {
        let mut d = Defaults(BTreeMap::new());
        for k in Kind::ALL {
            if let Some(Ok(t)) =
                super::default_table(k.as_str(), toml::Value::Table(Default::default()))
            {
                d.0.insert(k.as_str(), t);
            }
        }
        d
    }
}

impl Defaults {
    /// Sets detector `name`'s table (checked by its thresholds type).
    ///
    /// # Errors
    /// `name` is no detector's, or the table does not fit its thresholds:
    /// the message says which key.
    pub fn set(&mut self, name: &str, table: toml::Value) -> Result<(), DefaultsError> {
        let unknown = || DefaultsError::UnknownDetector(name.to_owned());
        let kind = Kind::parse(name).ok_or_else(unknown)?;
        let t = super::default_table(name, table).ok_or_else(unknown)??;
        self.0.insert(kind.as_str(), t);
        Ok(())
    }

    /// Detector `kind`'s defaults, every threshold filled in.
    pub fn get(&self, kind: Kind) -> Option<&Map<String, Value>> {
        self.0.get(kind.as_str())
    }

    /// What is wrong with the defaults: one message per bad threshold,
    /// `loitering.max_speed_kn: must be a positive number, found -1`.
    pub fn problems(&self) -> Vec<String> {
        super::SPECS
            .iter()
            .filter_map(|s| Some(s.problems(self.0.get(s.name)?)))
            .flatten()
            .collect()
    }

    /// Detector `kind`'s thresholds in `zone`: the zone's block over these
    /// defaults; `None` when it does not run there.
    pub fn resolve<P: DeserializeOwned + Default>(
        &self,
        kind: Kind,
        zone: &aiswatch_zones::Zone,
    ) -> Option<P> {
        let t = self.in_zone(kind, zone)?;
        // Both layers were checked against this type (the config when it was
        // read, the zone block when the zone was loaded).
        Some(serde_json::from_value(Value::Object(t)).unwrap_or_default())
    }

    /// Every detector's thresholds in `zone` (`null` for those that do not
    /// run there), in registry order, as evidence records them.
    pub fn in_force(&self, zone: &aiswatch_zones::Zone) -> InForce {
        InForce(
            Kind::ALL
                .iter()
                .map(|&k| (k.as_str(), self.in_zone(k, zone)))
                .collect(),
        )
    }

    /// Detector `kind`'s thresholds in `zone`, the zone's block over these
    /// defaults, if it runs there.
    fn in_zone(&self, kind: Kind, zone: &aiswatch_zones::Zone) -> Option<Map<String, Value>> {
        let block = zone.detect.get(kind.as_str())?;
        let mut t = self.0.get(kind.as_str()).cloned().unwrap_or_default();
        t.extend(block.iter().map(|(k, v)| (k.clone(), v.clone())));
        Some(t)
    }
}

/// Every detector's thresholds in one zone, in registry order (see
/// [`Defaults::in_force`]).
#[derive(Debug, Clone, PartialEq)]
pub struct InForce(Vec<(&'static str, Option<Map<String, Value>>)>);

impl Serialize for InForce {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One detector's thresholds in each zone (by zone index), `None` where it
/// does not run.
#[derive(Debug)]
pub(crate) struct ZoneParams<P>(Vec<Option<P>>);

impl<P> Default for ZoneParams<P> {
    fn default() -> Self {
        ZoneParams(Vec::new())
    }
}

impl<P: DeserializeOwned + Default> ZoneParams<P> {
    /// Detector `kind`'s thresholds in each of `zones`.
    pub(crate) fn new(kind: Kind, zones: &ZoneSet, defaults: &Defaults) -> Self {
        ZoneParams(
            zones
                .zones()
                .iter()
                .map(|z| defaults.resolve(kind, z))
                .collect(),
        )
    }
}

impl<P> ZoneParams<P> {
    /// Its thresholds in zone `z`, if it runs there.
    pub(crate) fn get(&self, z: u16) -> Option<&P> {
        self.0.get(usize::from(z))?.as_ref()
    }

    /// Its thresholds in every zone where it runs.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &P> {
        self.0.iter().flatten()
    }
}

/// How far back a detector needs history to decide what it decides next.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    /// The longest time an episode must last before it alerts (a silence
    /// counts double: see [`super::Detectors::memory_window`]).
    pub(crate) episode: Duration,
    /// The longest time an open alert waits, quiet, before it closes.
    pub(crate) quiet: Duration,
}

impl Memory {
    /// The memory of a detector of episodes, which alert once they have
    /// lasted (in each zone where it runs) these `min_durations`.
    pub(crate) fn episodes(min_durations: impl Iterator<Item = Duration>) -> Memory {
        Memory {
            episode: min_durations.max().unwrap_or_default(),
            quiet: Duration::ZERO,
        }
    }
}

/// What a zone reload does to a detector's zone indices: old index → new
/// index of the same zone, and whether the new zone runs the detector.
pub(crate) struct Reload<'a> {
    pub(crate) map: &'a [Option<u16>],
    pub(crate) zones: &'a ZoneSet,
}

/// Why an alert closed because of a reload.
pub(crate) const ZONE_REMOVED: &str = "zone_removed";
pub(crate) const DETECTOR_REMOVED: &str = "detector_removed";

impl Reload<'_> {
    /// Why what detector `kind` holds in old zone `z` ends (`None`: it
    /// goes on).
    pub(crate) fn ends(&self, z: u16, kind: Kind) -> Option<&'static str> {
        match self.map[usize::from(z)] {
            None => Some(ZONE_REMOVED),
            Some(n)
                if !self.zones.zones()[usize::from(n)]
                    .detect
                    .runs(kind.as_str()) =>
            {
                Some(DETECTOR_REMOVED)
            }
            Some(_) => None,
        }
    }

    /// The new index of old zone `z` (itself when gone: its state was
    /// taken by [`Detector::unwatch`]).
    pub(crate) fn zone(&self, z: u16) -> u16 {
        self.map[usize::from(z)].unwrap_or(z)
    }
}

/// A detector: its per-vessel state, its checks, its alerts. Every call
/// gets a [`Context`] with the shared state; calls for one report, tick or
/// forgotten vessel go to the detectors in registry order.
pub(crate) trait Detector: Send {
    /// Takes its thresholds in each of `zones` (at start, and after a
    /// reload once what ended has closed).
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults);

    /// How far back it looks, over every zone's thresholds.
    fn memory(&self, cfg: &DetectConfig) -> Memory;

    /// A check of the report itself (the silence it ends, the jump to it):
    /// every detector sees this before any sees [`Detector::position`].
    fn before_position(&mut self, _cx: &mut Context, _r: &Report) {}

    /// A new position report.
    fn position(&mut self, _cx: &mut Context, _r: &Report) {}

    /// New static data of `mmsi` (the track store holds it already;
    /// `before` is what it held before).
    fn static_data(&mut self, _cx: &mut Context, _mmsi: Mmsi, _before: Option<&StaticInfo>) {}

    /// Its check `key`, scheduled for `due`, runs (at `cx.now`).
    fn due(&mut self, _cx: &mut Context, _key: Key, _due: Millis) {}

    /// The vessels check `key` is about.
    fn vessels_of(&self, key: &Key) -> (Mmsi, Option<Mmsi>) {
        (key.vessel, None)
    }

    /// `mmsi` is being forgotten: events shared with other vessels end
    /// here, before any detector forgets it, while every vessel's last fix
    /// is known.
    fn release(&mut self, _cx: &mut Context, _mmsi: Mmsi) {}

    /// `mmsi` is forgotten: its state goes, its open alerts close (with
    /// [`super::REASON_FORGOTTEN`]).
    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi);

    /// After a round of [`Detector::forget`]: drops what refers to the
    /// `dropped` vessels elsewhere, gives memory back.
    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {}

    /// A reload: closes (while the old zones still name them) what ends.
    fn unwatch(&mut self, cx: &mut Context, reload: &Reload);

    /// A reload: what is kept moves to the new zone indices.
    fn remap(&mut self, reload: &Reload);

    /// A reload: check `key` under the new zone indices, `None` to drop it.
    fn remap_key(&self, key: Key, _reload: &Reload) -> Option<Key> {
        Some(key)
    }

    /// After a reload, with the new zones: schedules what the new zones need.
    fn rearm(&mut self, _cx: &mut Context) {}

    /// Whether it holds any state of `mmsi`.
    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool;
}
