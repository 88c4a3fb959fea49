//! The speeding detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use aiswatch_zones::{any_zone, DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "speeding",
    thresholds: &[
        Threshold {
            key: "max_speed_kn",
            unit: Unit::Positive("knots"),
        },
        Threshold {
            key: "min_duration",
            unit: Unit::Duration,
        },
    ],
    ordered: &[],
    runs_in: any_zone,
};

/// Speeding thresholds: a zone's `detect.speeding` block over the config's
/// `[detect.speeding]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// The speed limit. Default 12 kn (a common limit in port approaches).
    pub(crate) max_speed_kn: f64,
    /// How long a vessel must stay above it. Default 5 min.
    #[serde(with = "humantime_serde")]
    pub(crate) min_duration: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_speed_kn: 12.0,
            min_duration: Duration::from_secs(300),
        }
    }
}
