//! The identity change detector's thresholds and how zone files spell them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use aiswatch_zones::{any_zone, DetectorSpec, Threshold, Unit};

/// How zone files and the config spell its thresholds.
pub(crate) const SPEC: DetectorSpec = DetectorSpec {
    name: "identity_change",
    thresholds: &[
        Threshold {
            key: "grace",
            unit: Unit::Duration,
        },
        Threshold {
            key: "max_speed_kn",
            unit: Unit::Positive("knots"),
        },
        Threshold {
            key: "min_switches",
            unit: Unit::Whole("switches", 2),
        },
        Threshold {
            key: "min_distance_m",
            unit: Unit::Positive("metres"),
        },
        Threshold {
            key: "quiet",
            unit: Unit::Duration,
        },
    ],
    ordered: &[],
    runs_in: any_zone,
};

/// Identity-change thresholds: a zone's `detect.identity_change` block over the
/// config's `[detect.identity_change]` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// Default 30 min: one change that soon after first contact is a
    /// correction (a crew fixing the name at the start of a voyage).
    #[serde(with = "humantime_serde")]
    pub(crate) grace: Duration,
    /// Default 50 kn (as spoofing).
    pub(crate) max_speed_kn: f64,
    /// Default 4: A→B→A→B→A. A single jump (1) or a glitch and back (2) is
    /// the spoofing detector's business.
    pub(crate) min_switches: u32,
    /// Default 10 km: satellite feeds stamp positions with the time a
    /// satellite passed on the message, minutes off, which makes a vessel
    /// "jump" a few kilometres back and forth; two transponders on one MMSI
    /// are usually far apart.
    pub(crate) min_distance_m: f64,
    /// Default 6 h.
    #[serde(with = "humantime_serde")]
    pub(crate) quiet: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(1800),
            max_speed_kn: 50.0,
            min_switches: 4,
            min_distance_m: 10_000.0,
            quiet: Duration::from_secs(6 * 3600),
        }
    }
}
