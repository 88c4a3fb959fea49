//! The drifting detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use aiswatch_zones::{any_zone, DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "drifting",
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
            key: "min_angle_deg",
            unit: Unit::Positive("degrees"),
        },
        Threshold {
            key: "max_angle_deg",
            unit: Unit::Positive("degrees"),
        },
        Threshold {
            key: "min_duration",
            unit: Unit::Duration,
        },
    ],
    ordered: &[("min_speed_kn", "max_speed_kn"), ("min_angle_deg", "max_angle_deg")],
    runs_in: any_zone,
};

/// Drifting thresholds: a zone's `detect.drifting` block over the
/// config's `[detect.drifting]` defaults (AMSA: 45–135° at 0.25–20 kn).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 0.25 kn.
    pub(crate) min_speed_kn: f64,
    /// Default 20 kn.
    pub(crate) max_speed_kn: f64,
    /// Default 45°.
    pub(crate) min_angle_deg: f64,
    /// Default 135°.
    pub(crate) max_angle_deg: f64,
    /// Default 30 min.
    #[serde(with = "humantime_serde")]
    pub(crate) min_duration: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_speed_kn: 0.25,
            max_speed_kn: 20.0,
            min_angle_deg: 45.0,
            max_angle_deg: 135.0,
            min_duration: Duration::from_secs(1800),
        }
    }
}
