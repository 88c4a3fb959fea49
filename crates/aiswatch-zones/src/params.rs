//! Concrete detector thresholds: what a zone's `detect` overrides resolve
//! to, and the config's defaults (see [`super::DetectorDefaults`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Concrete dark-period thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DarkPeriodParams {
    /// Shortest silence that is alerted. Default 2 h.
    #[serde(with = "humantime_serde")]
    pub min_gap: Duration,
}

/// Concrete loitering thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoiteringParams {
    /// Default 2.0 kn (GFW loitering).
    pub max_speed_kn: f64,
    /// Default 1 h.
    #[serde(with = "humantime_serde")]
    pub min_duration: Duration,
}

/// Concrete rendezvous thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RendezvousParams {
    /// Default 500 m (GFW encounters).
    pub max_distance_m: f64,
    /// Default 2.0 kn.
    pub max_speed_kn: f64,
    /// Default 2 h.
    #[serde(with = "humantime_serde")]
    pub min_duration: Duration,
}

/// Concrete spoofing thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoofingParams {
    /// Default 50 kn (AISdb splits tracks above 50 kn).
    pub max_speed_kn: f64,
}

/// Concrete identity-change thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityChangeParams {
    /// Default 30 min: one change that soon after first contact is a
    /// correction (a crew fixing the name at the start of a voyage).
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// Default 50 kn (as spoofing).
    pub max_speed_kn: f64,
    /// Default 4: A→B→A→B→A. A single jump (1) or a glitch and back (2) is
    /// the spoofing detector's business.
    pub min_switches: u32,
    /// Default 10 km: satellite feeds stamp positions with the time a
    /// satellite passed on the message, minutes off, which makes a vessel
    /// "jump" a few kilometres back and forth; two transponders on one MMSI
    /// are usually far apart.
    pub min_distance_m: f64,
    /// Default 6 h.
    #[serde(with = "humantime_serde")]
    pub quiet: Duration,
}

/// Concrete fishing thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FishingParams {
    /// Default 1 kn.
    pub min_speed_kn: f64,
    /// Default 5 kn (trawling 2–5 kn, longline hauling 1–3 kn).
    pub max_speed_kn: f64,
    /// Default 1 h.
    #[serde(with = "humantime_serde")]
    pub min_duration: Duration,
    /// Default 2 turns an hour.
    pub min_turns_per_h: f64,
    /// Default 30°.
    pub turn_deg: f64,
}

/// Concrete drifting thresholds (AMSA: 45–135° at 0.25–20 kn).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftingParams {
    /// Default 0.25 kn.
    pub min_speed_kn: f64,
    /// Default 20 kn.
    pub max_speed_kn: f64,
    /// Default 45°.
    pub min_angle_deg: f64,
    /// Default 135°.
    pub max_angle_deg: f64,
    /// Default 30 min.
    #[serde(with = "humantime_serde")]
    pub min_duration: Duration,
}

impl Default for IdentityChangeParams {
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

impl Default for FishingParams {
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

impl Default for DriftingParams {
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

impl Default for DarkPeriodParams {
    fn default() -> Self {
        Self {
            min_gap: Duration::from_secs(2 * 3600),
        }
    }
}

impl Default for LoiteringParams {
    fn default() -> Self {
        Self {
            max_speed_kn: 2.0,
            min_duration: Duration::from_secs(3600),
        }
    }
}

impl Default for RendezvousParams {
    fn default() -> Self {
        Self {
            max_distance_m: 500.0,
            max_speed_kn: 2.0,
            min_duration: Duration::from_secs(2 * 3600),
        }
    }
}

impl Default for SpoofingParams {
    fn default() -> Self {
        Self { max_speed_kn: 50.0 }
    }
}
