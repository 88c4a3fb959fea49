//! Alerts: one JSON object per state change, the same shape everywhere
//! (replay stdout, storage, delivery to centres).
//!
//! An alert says what happened (`kind`, `summary`), where (`zone`, `lat`,
//! `lon`), which vessels (`mmsi`, `vessels` with name, call sign, flag),
//! since when (`started_at`) and why it fired (`details`, with the
//! thresholds used). `id` is stable for the event's life and is built from
//! the data only, so a replay gives the ids live gave.

use serde::{Deserialize, Serialize};

pub use aiswatch_i18n::{Arg, Message};

use crate::track::{Mmsi, TrackStore};
use aiswatch_core::ids::{AlertId, CentreId};
use aiswatch_core::time::Millis;

pub use crate::detect::{Details, Kind};

impl Kind {
    /// The kind with this name (as [`Kind::as_str`] gives it), if any.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// Life-cycle state of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The threshold was crossed.
    Open,
    /// Still going on; new figures.
    Update,
    /// It ended.
    Closed,
}

impl State {
    /// The name used in JSON and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Update => "update",
            State::Closed => "closed",
        }
    }
}

/// What is known of one vessel in an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VesselInfo {
    /// MMSI.
    pub mmsi: Mmsi,
    /// Name, if known.
    pub name: Option<String>,
    /// Call sign, if known.
    pub callsign: Option<String>,
    /// IMO number, if known.
    pub imo: Option<u32>,
    /// Flag state (ISO 3166-1 alpha-2) from the MMSI.
    pub flag: Option<&'static str>,
    /// AIS ship type code, if known.
    pub ship_type: Option<u8>,
    /// Length overall in metres, if known.
    pub length_m: Option<u16>,
}

impl VesselInfo {
    /// What the track store knows of `mmsi`.
    pub fn from_store(tracks: &TrackStore, mmsi: Mmsi) -> Self {
        let v = tracks.get(mmsi);
        let s = v.and_then(|v| v.static_info.as_deref());
        VesselInfo {
            mmsi,
            name: s.and_then(|s| s.name.clone()),
            callsign: s.and_then(|s| s.callsign.clone()),
            imo: s.and_then(|s| s.imo),
            flag: crate::track::flag::flag_of(mmsi),
            ship_type: s.and_then(|s| s.ship_type),
            length_m: s.and_then(|s| s.length_m),
        }
    }

    /// `123456789 (NAME, PA)` for summaries.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = &self.name {
            parts.push(n.clone());
        }
        if let Some(f) = self.flag {
            parts.push(f.to_owned());
        }
        if parts.is_empty() {
            format!("{}", self.mmsi)
        } else {
            format!("{} ({})", self.mmsi, parts.join(", "))
        }
    }
}

/// A vessel as JSON gives it.
#[derive(Deserialize)]
struct StoredVessel {
    mmsi: Mmsi,
    name: Option<String>,
    callsign: Option<String>,
    imo: Option<u32>,
    flag: Option<String>,
    ship_type: Option<u8>,
    length_m: Option<u16>,
}

impl<'de> Deserialize<'de> for VesselInfo {
    /// The flag is read as the MID table's own code (an unknown code reads
    /// as none).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<VesselInfo, D::Error> {
        let v = StoredVessel::deserialize(d)?;
        Ok(VesselInfo {
            mmsi: v.mmsi,
            name: v.name,
            callsign: v.callsign,
            imo: v.imo,
            flag: v.flag.and_then(|f| crate::track::flag::flag_code(&f)),
            ship_type: v.ship_type,
            length_m: v.length_m,
        })
    }
}

/// One alert state change. Read back from JSON, its `details` are read as
/// its `kind`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredAlert")]
pub struct Alert {
    /// Stable for the event's life: `kind:zone:mmsi[-mmsi]:start-unix-seconds`.
    pub id: AlertId,
    /// Which detector.
    pub kind: Kind,
    /// Open, update or closed.
    pub state: State,
    /// The vessels (two for a rendezvous), ascending.
    pub mmsi: Vec<Mmsi>,
    /// Zone id.
    pub zone: aiswatch_core::ids::ZoneId,
    /// Zone name, if it has one.
    pub zone_name: Option<String>,
    /// The version of the zone the detector ran with when it made this
    /// change (the SHA-256 of the zone's Feature, see
    /// [`aiswatch_zones::ZoneSource`]); set by the engine. Absent in
    /// changes stored before zones were versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_version: Option<std::sync::Arc<str>>,
    /// Regional centres the zone's alerts go to.
    pub centre: Vec<CentreId>,
    /// Event time of this state change.
    #[serde(serialize_with = "aiswatch_core::time::serde_rfc3339::serialize")]
    pub at: Millis,
    /// When the behaviour began.
    #[serde(serialize_with = "aiswatch_core::time::serde_rfc3339::serialize")]
    pub started_at: Millis,
    /// When it ended; `null` while open.
    #[serde(serialize_with = "aiswatch_core::time::serde_rfc3339::option")]
    pub ended_at: Option<Millis>,
    /// Where (degrees).
    pub lat: f64,
    /// Where (degrees).
    pub lon: f64,
    /// Vessel names, call signs and flags where known.
    pub vessels: Vec<VesselInfo>,
    /// One sentence for the watch officer, in English.
    pub summary: String,
    /// The catalog message `summary` says (see `locales/`), so each centre
    /// reads it in its own language. Absent in changes stored before
    /// summaries were catalogued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// Why it fired: durations, distances, speeds and the thresholds used.
    pub details: Details,
}

/// An alert as JSON gives it: `details` are read once `kind` is known.
#[derive(Deserialize)]
struct StoredAlert {
    id: AlertId,
    kind: Kind,
    state: State,
    mmsi: Vec<Mmsi>,
    zone: aiswatch_core::ids::ZoneId,
    zone_name: Option<String>,
    #[serde(default)]
    zone_version: Option<std::sync::Arc<str>>,
    centre: Vec<CentreId>,
    #[serde(deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize")]
    at: Millis,
    #[serde(deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize")]
    started_at: Millis,
    #[serde(deserialize_with = "aiswatch_core::time::serde_rfc3339::option_deserialize")]
    ended_at: Option<Millis>,
    lat: f64,
    lon: f64,
    vessels: Vec<VesselInfo>,
    summary: String,
    #[serde(default)]
    message: Option<Message>,
    details: serde_json::Value,
}

impl TryFrom<StoredAlert> for Alert {
    type Error = serde_json::Error;

    fn try_from(a: StoredAlert) -> Result<Alert, serde_json::Error> {
        Ok(Alert {
            details: Details::from_json(a.kind, a.details)?,
            id: a.id,
            kind: a.kind,
            state: a.state,
            mmsi: a.mmsi,
            zone: a.zone,
            zone_name: a.zone_name,
            zone_version: a.zone_version,
            centre: a.centre,
            at: a.at,
            started_at: a.started_at,
            ended_at: a.ended_at,
            lat: a.lat,
            lon: a.lon,
            vessels: a.vessels,
            summary: a.summary,
            message: a.message,
        })
    }
}

impl Alert {
    /// The stable id of an event.
    pub fn make_id(kind: Kind, zone: &str, mmsi: &[Mmsi], started_at: Millis) -> AlertId {
        let m: Vec<String> = mmsi.iter().map(|m| m.0.to_string()).collect();
        AlertId::from(format!(
            "{}:{}:{}:{}",
            kind.as_str(),
            zone,
            m.join("-"),
            started_at.div_euclid(1000)
        ))
    }

    /// One JSON line (no newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `msg` in English: an alert's `summary`.
pub fn english(msg: &Message) -> String {
    let text = aiswatch_i18n::Catalogs::shipped().english(msg);
    debug_assert!(text.is_some(), "locales/en.ftl cannot say {msg:?}");
    text.unwrap_or_default()
}

/// A vessel's `label` and a zone's name (or id) for a summary: the
/// message `id` with `$vessel` and `$zone`.
pub fn message(id: &str, vessel: &VesselInfo, zone: &str) -> Message {
    Message::new(id)
        .text("vessel", vessel.label())
        .text("zone", zone)
}

/// Why an episode ended, as a catalog word (its text where the catalogs
/// have no word for it).
pub fn reason(r: &str) -> Arg {
    Arg::Word {
        id: aiswatch_i18n::reason_id(r),
        text: r.replace('_', " "),
    }
}

/// An alert kind as a catalog word (`kind-dark-period`), as people read it.
pub fn kind_word(kind: Kind) -> Arg {
    Arg::Word {
        id: format!("kind-{}", kind.as_str().replace('_', "-")),
        text: kind.as_str().replace('_', " "),
    }
}

/// `; ended: REASON` when an episode ended, nothing while it goes on.
pub fn ended_clause(ended: Option<&str>) -> Arg {
    match ended {
        Some(r) => Arg::Message(Message::new("ended-clause").arg("reason", reason(r))),
        None => Arg::Text(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_durations_readable() {
        let id = Alert::make_id(
            Kind::Rendezvous,
            "z",
            &[Mmsi(1), Mmsi(2)],
            1_700_000_000_500,
        );
        assert_eq!(id, "rendezvous:z:1-2:1700000000");
        let down_for =
            |ms| english(&Message::new("dark-period-why-explained").duration("explained", ms));
        assert_eq!(
            down_for(2 * 3_600_000 + 5 * 60_000),
            "the stations that heard it were down for only 2h 05m of it"
        );
        assert!(down_for(26 * 3_600_000).contains(" 1d 02h 00m "));
        assert!(down_for(59_999).contains(" 0m "));
    }

    #[test]
    fn details_ended_for_a_reason_alone_are_that_reason_alone() {
        for k in [
            Kind::DarkPeriod,
            Kind::Loitering,
            Kind::Rendezvous,
            Kind::Spoofing,
            Kind::IdentityChange,
            Kind::Fishing,
            Kind::Drifting,
        ] {
            let d = Details::ended(k, "zone_removed");
            assert_eq!(d.kind(), k);
            let text = serde_json::to_string(&d).unwrap();
            assert_eq!(text, r#"{"reason":"zone_removed"}"#, "{}", k.as_str());
            let back = Details::from_json(k, serde_json::from_str(&text).unwrap()).unwrap();
            assert_eq!(back, d);
        }
    }
}
