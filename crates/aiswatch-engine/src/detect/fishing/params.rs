//! The fishing detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detect::registry::only_closed_areas;
use aiswatch_zones::{DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "fishing",
    thresholds: &[
        Threshold {
            key: "min_speed_kn",
            unit: Unit::Positive("knots"),
        },
        Threshold {
            key: "max_speed_kn",
            unit: Unit::Positive("knots"),
        },
        Threshold {
            key: "min_duration",
            unit: Unit::Duration,
        },
        Threshold {
            key: "min_turns_per_h",
            unit: Unit::Positive("turns an hour"),
        },
        Threshold {
            key: "turn_deg",
            unit: Unit::Positive("degrees"),
        },
    ],
    ordered: &[("min_speed_kn", "max_speed_kn")],
    runs_in: only_closed_areas,
};

/// Fishing thresholds: a zone's `detect.fishing` block over the
/// config's `[detect.fishing]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 1 kn.
    pub(crate) min_speed_kn: f64,
    /// Default 5 kn (trawling 2–5 kn, longline hauling 1–3 kn).
    pub(crate) max_speed_kn: f64,
    /// Default 1 h.
    #[serde(with = "humantime_serde")]
    pub(crate) min_duration: Duration,
    /// Default 2 turns an hour.
    pub(crate) min_turns_per_h: f64,
    /// Default 30°.
    pub(crate) turn_deg: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_speed_kn: 1.0,
            max_speed_kn: 5.0,
            min_duration: Duration::from_secs(3600),
            min_turns_per_h: 2.0,
            turn_deg: 30.0,
        }
    }
}
