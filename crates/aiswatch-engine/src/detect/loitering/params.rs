//! The loitering detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detect::registry::not_in_ports;
use aiswatch_zones::{DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "loitering",
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
    runs_in: not_in_ports,
};

/// Loitering thresholds: a zone's `detect.loitering` block over the
/// config's `[detect.loitering]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 2.0 kn (GFW loitering).
    pub(crate) max_speed_kn: f64,
    /// Default 1 h.
    #[serde(with = "humantime_serde")]
    pub(crate) min_duration: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_speed_kn: 2.0,
            min_duration: Duration::from_secs(3600),
        }
    }
}
