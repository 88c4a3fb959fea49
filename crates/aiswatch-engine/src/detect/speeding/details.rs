//! Why a speeding alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted), as every alert's are.
//! Every field is there while the alert is open or updated (`reason` is
//! `null`) and when it closes; an alert closed at restart for `reason`
//! alone has only that.

use serde::{Deserialize, Serialize};

/// The details of a speeding alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// From its first report above the limit to its last, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// How long so far, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Threshold: the zone's speed limit, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// The highest speed seen, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn_seen: Option<f64>,
    /// The mean of the speeds reported during the episode, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_speed_kn: Option<f64>,
    /// Threshold: how long it must last, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_s: Option<u64>,
    /// Why it ended (`null` while it goes on).
    pub reason: Option<String>,
    /// Reports above the limit during the episode.
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
