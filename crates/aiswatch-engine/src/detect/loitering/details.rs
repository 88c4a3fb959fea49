//! Why a loitering alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted). Every field is there
//! while the alert is open or updated (`reason` is `null`) and when it
//! closes; an alert closed at restart for `reason` alone has only that.

use serde::{Deserialize, Serialize};

use crate::detect::episode::SilenceDetails;

/// The details of a loitering alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// From where the loitering began to where the vessel is, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_m: Option<f64>,
    /// How long so far, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Threshold: the speed limit, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// The highest speed seen, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn_seen: Option<f64>,
    /// Threshold: how long it must last, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_s: Option<u64>,
    /// The navigational status last reported (`null`: none).
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub nav_status: Option<Option<u8>>,
    /// Why it ended (`null` while it goes on).
    pub reason: Option<String>,
    /// Reports during the loitering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<u32>,
    /// A silence longer than this ends it, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_within_s: Option<u64>,
    /// The silences it went on after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silences: Option<SilenceDetails>,
    /// A gap longer than this is a silence, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_after_s: Option<u64>,
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
