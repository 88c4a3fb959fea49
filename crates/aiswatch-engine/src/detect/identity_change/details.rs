//! Why an identity-change alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted). An open or updated
//! alert gives the latest change, the changes so far, the correction
//! forgiven (`null`: none) and the thresholds, with `reason` `null`; a
//! close gives the changes, the count and its `reason`.

use serde::{Deserialize, Serialize};

/// The details of an identity-change alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// The change that raised this alert state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The changes so far (the first few; `count` goes on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    /// The change forgiven as a correction at the start of the voyage
    /// (`null`: none).
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub correction: Option<Option<Correction>>,
    /// Changes so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Threshold: a first change this soon after the first message is a
    /// correction, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_s: Option<u64>,
    /// Threshold: the highest credible speed between two places, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// Threshold: how far apart the places of a conflict must be, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_distance_m: Option<f64>,
    /// Threshold: jumps between the places before a conflict fires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_switches: Option<u32>,
    /// Quiet period that closes the alert, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_s: Option<u64>,
    /// Why it ended (`null` while it goes on).
    pub reason: Option<String>,
}

impl Details {
    /// The details of an alert ended for `reason` alone.
    pub fn ended(reason: &str) -> Details {
        Details {
            reason: Some(reason.to_owned()),
            ..Details::default()
        }
    }
}

/// What changed (`field` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The name.
    Name,
    /// The call sign.
    Callsign,
    /// The IMO number.
    Imo,
    /// The ship type.
    ShipType,
    /// The flag: the IMO number under an MMSI of another country.
    Flag,
    /// Two transponders on one MMSI.
    Conflict,
}

impl Field {
    /// The field in words ("ship type").
    pub fn words(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Callsign => "callsign",
            Field::Imo => "imo",
            Field::ShipType => "ship type",
            Field::Flag => "flag",
            Field::Conflict => "conflict",
        }
    }
}

/// One identity change. Told apart by their keys when read back, most
/// specific first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    /// One MMSI reporting from two places, back and forth.
    Conflict(Conflict),
    /// The IMO number under an MMSI of another flag.
    Flag(FlagChange),
    /// The name, call sign, IMO number or ship type changed.
    Attribute(AttributeChange),
}

impl Change {
    /// Which field changed.
    pub fn field(&self) -> Field {
        match self {
            Change::Conflict(c) => c.field,
            Change::Flag(c) => c.field,
            Change::Attribute(c) => c.field,
        }
    }
}

/// Two transponders on one MMSI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The last jump between the two places, metres.
    pub distance_m: f64,
    /// [`Field::Conflict`].
    pub field: Field,
    /// The two places, `[lon, lat]` each (degrees).
    pub places: [[f64; 2]; 2],
    /// Since the first jump, seconds.
    pub since_s: i64,
    /// Jumps between them so far.
    pub switches: u32,
}

/// The IMO number now under this MMSI, another flag's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagChange {
    /// [`Field::Flag`].
    pub field: Field,
    /// The previous flag (`null`: none known).
    pub from: Option<String>,
    /// The IMO number.
    pub imo: u32,
    /// The MMSI that gave it before.
    pub previous_mmsi: u32,
    /// The flag now (`null`: none known).
    pub to: Option<String>,
}

/// An attribute of the static data changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// Which.
    pub field: Field,
    /// Before.
    pub from: AttributeValue,
    /// After.
    pub to: AttributeValue,
}

/// The value of an attribute: text (name, call sign) or a number (IMO,
/// ship type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A name or call sign.
    Text(String),
    /// An IMO number or ship type.
    Number(u32),
}

/// The change forgiven as a correction at the start of the voyage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// After the vessel's first message, seconds.
    pub after_s: i64,
    /// The change.
    pub change: Change,
}
