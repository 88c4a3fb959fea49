//! The spoofing detector's thresholds and how zone files spell them.

use serde::{Deserialize, Serialize};

use aiswatch_zones::{any_zone, DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "spoofing",
    thresholds: &[
        Threshold {
            key: "max_speed_kn",
            unit: Unit::Positive("knots"),
        },
    ],
    ordered: &[],
    runs_in: any_zone,
};

/// Spoofing thresholds: a zone's `detect.spoofing` block over the
/// config's `[detect.spoofing]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 50 kn (AISdb splits tracks above 50 kn).
    pub(crate) max_speed_kn: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self { max_speed_kn: 50.0 }
    }
}
