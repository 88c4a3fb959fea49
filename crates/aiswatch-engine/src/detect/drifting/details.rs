//! Why a drifting alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted). Every field is there
//! while the alert is open or updated (`reason` is `null`) and when it
//! closes; an alert closed at restart for `reason` alone has only that.

use serde::{Deserialize, Serialize};

/// The details of a drifting alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// How long so far, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Threshold: the largest heading–course angle, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_angle_deg: Option<f64>,
    /// The largest heading–course angle seen, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_angle_deg_seen: Option<f64>,
    /// Threshold: the highest drifting speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// The highest speed seen, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn_seen: Option<f64>,
    /// Threshold: the smallest heading–course angle, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_angle_deg: Option<f64>,
    /// The smallest heading–course angle seen, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_angle_deg_seen: Option<f64>,
    /// Threshold: how long it must last, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_s: Option<u64>,
    /// Threshold: the lowest drifting speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_speed_kn: Option<f64>,
    /// From where it began to the last report, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_m: Option<f64>,
    /// The navigational status last reported (`null`: none).
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub nav_status: Option<Option<u8>>,
    /// Why it ended (`null` while it goes on).
    pub reason: Option<String>,
    /// Reports during the episode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<u32>,
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
