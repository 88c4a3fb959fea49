//! Why a spoofing alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted). An open or updated
//! alert gives its latest anomaly and the count; a close gives the count,
//! and a `reason` unless it closed because the track went quiet.

use serde::{Deserialize, Serialize};

/// The details of a spoofing alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Anomalies so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<u32>,
    /// The latest anomaly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<Anomaly>,
    /// Why it ended, when not by a quiet period.
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// What is wrong with a track or an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyReason {
    /// Not a valid ship MMSI.
    InvalidMmsi,
    /// Two reports too far apart for the time between them.
    ImpossibleJump,
    /// Two reports at the same instant, far apart.
    TwoPlacesAtOnce,
}

impl AnomalyReason {
    /// The reason in words ("impossible jump").
    pub fn words(self) -> &'static str {
        match self {
            AnomalyReason::InvalidMmsi => "invalid mmsi",
            AnomalyReason::ImpossibleJump => "impossible jump",
            AnomalyReason::TwoPlacesAtOnce => "two places at once",
        }
    }
}

/// One anomaly: an invalid MMSI (`mmsi`), or a jump (`from`, `to` and the
/// figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// Length of the jump, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Where it jumped from, `[lon, lat]` (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<[f64; 2]>,
    /// Speed the jump implies (`null`: no time between them), knots.
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub implied_speed_kn: Option<Option<f64>>,
    /// Threshold: the highest credible speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed_kn: Option<f64>,
    /// The invalid MMSI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<u32>,
    /// What is wrong.
    pub reason: AnomalyReason,
    /// Time between the two reports, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Where it jumped to, `[lon, lat]` (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<[f64; 2]>,
}
