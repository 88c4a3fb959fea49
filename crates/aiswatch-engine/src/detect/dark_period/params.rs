//! The dark period detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use aiswatch_zones::{any_zone, DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "dark_period",
    thresholds: &[
        Threshold {
            key: "min_gap",
            unit: Unit::Duration,
        },
    ],
    ordered: &[],
    runs_in: any_zone,
};

/// Dark-period thresholds: a zone's `detect.dark_period` block over the
/// config's `[detect.dark_period]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Shortest silence that is alerted. Default 2 h.
    #[serde(with = "humantime_serde")]
    pub(crate) min_gap: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_gap: Duration::from_secs(2 * 3600),
        }
    }
}
