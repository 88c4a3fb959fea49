//! Why a dark-period alert fired, or how it ended: its `details`.
//!
//! Fields are declared in JSON key order (sorted), so the alert's bytes
//! are those of a sorted JSON object. An open alert gives the silence and
//! how it was judged; a vessel heard again gives where and how far it went;
//! an alert closed without a report gives its `reason`.

use serde::{Deserialize, Serialize};

/// The details of a dark-period alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Where the vessel went dark (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dark_lat: Option<f64>,
    /// Where the vessel went dark (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dark_lon: Option<f64>,
    /// From where it went dark to where it reappeared, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Expected stations down during the silence, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down: Option<Vec<String>>,
    /// Silence explained by feed stalls and station outages, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_s: Option<i64>,
    /// The whole silence, once heard again, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_s: Option<i64>,
    /// The stations that heard the vessel in its recent copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heard_by: Option<Vec<HeardBy>>,
    /// Speed implied by the distance over the silence, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implied_speed_kn: Option<f64>,
    /// The places where the silence was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<Vec<JudgedPlace>>,
    /// Speed over ground of the last report (`null`: not given), knots.
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sog_kn: Option<Option<f64>>,
    /// The silence that fires: the zone's, or the vessel's usual interval
    /// stretched, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_gap_s: Option<i64>,
    /// Where the vessel reappeared (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reappeared_lat: Option<f64>,
    /// Where the vessel reappeared (degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reappeared_lon: Option<f64>,
    /// Why it ended without the vessel being heard again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Reports in the `min_gap` before the silence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports_before: Option<usize>,
    /// Silence so far, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_s: Option<i64>,
    /// The station of the last report, or of the report that ended it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    /// When that station was last heard at all (`null`: never).
    #[serde(
        default,
        deserialize_with = "crate::detect::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub station_last_heard: Option<Option<String>>,
    /// The vessel's median report interval, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usual_interval_s: Option<i64>,
    /// Why the silence counts, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The zone's own `min_gap`, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_min_gap_s: Option<i64>,
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

/// A station that heard the vessel in its recent copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeardBy {
    /// Copies it delivered.
    pub copies: usize,
    /// Time it was down since the vessel's last report, seconds.
    pub down_s: i64,
    /// Recent copies in all.
    pub of: usize,
    /// Its copies relative to the best station's.
    pub share: f64,
    /// The station.
    pub station: String,
}

/// How a silence was judged at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// By the stations that delivered the vessel's recent reports.
    Vessel,
    /// By the stations that deliver most of the cell's reports.
    Cell,
}

/// A place where a silence was judged, and by which stations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedPlace {
    /// Whose stations judge.
    pub basis: Basis,
    /// Silence their outages explain, seconds.
    pub explained_s: i64,
    /// Where (degrees).
    pub lat: f64,
    /// Where (degrees).
    pub lon: f64,
    /// The stations expected to hear the vessel there.
    pub stations: Vec<StationShare>,
}

/// A station expected to hear the vessel at a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationShare {
    /// Time it was down during the silence, seconds.
    pub down_s: i64,
    /// Its share of the vessel's copies (or of the cell's reports).
    pub share: f64,
    /// The station.
    pub station: String,
}
