//! Why a fishing alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted). Every field is there
//! while the alert is open or updated (`reason` is `null`) and when it
//! closes; an alert closed at restart for `reason` alone has only that.

use serde::{Deserialize, Serialize};

/// The details of a fishing alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Whether the vessel reports itself as a fishing vessel (ship type 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_fishing: Option<bool>,
    /// How long so far, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Threshold: the highest fishing speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// The highest speed seen, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn_seen: Option<f64>,
    /// Threshold: how long it must last, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_s: Option<u64>,
    /// Threshold: the lowest fishing speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_speed_kn: Option<f64>,
    /// The lowest speed seen, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_speed_kn_seen: Option<f64>,
    /// Threshold: turns per hour of a trawling-like track.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_turns_per_h: Option<f64>,
    /// Why it ended (`null` while it goes on).
    pub reason: Option<String>,
    /// Reports during the episode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<u32>,
    /// Where it began, `[lon, lat]` (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<[f64; 2]>,
    /// Threshold: a course change this large is a turn, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn_deg: Option<f64>,
    /// Turns counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turns: Option<u32>,
    /// Turns per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turns_per_h: Option<f64>,
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
