//! The rendezvous detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detect::registry::not_in_ports;
use aiswatch_zones::{DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "rendezvous",
    thresholds: &[
        Threshold {
            key: "max_distance_m",
            unit: Unit::Positive("metres"),
        },
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

/// Rendezvous thresholds: a zone's `detect.rendezvous` block over the
/// config's `[detect.rendezvous]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 500 m (GFW encounters).
    pub(crate) max_distance_m: f64,
    /// Default 2.0 kn.
    pub(crate) max_speed_kn: f64,
    /// Default 2 h.
    #[serde(with = "humantime_serde")]
    pub(crate) min_duration: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_distance_m: 500.0,
            max_speed_kn: 2.0,
            min_duration: Duration::from_secs(2 * 3600),
        }
    }
}
