//! The GeoJSON the bundle writes (`tracks.geojson`): typed, lon/lat order.

use serde::Serialize;

/// A FeatureCollection.
#[derive(Debug, Serialize)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<Feature>,
}

impl FeatureCollection {
    pub fn new(features: Vec<Feature>) -> Self {
        Self {
            kind: "FeatureCollection",
            features,
        }
    }
}

/// A Feature.
#[derive(Debug, Serialize)]
pub struct Feature {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub geometry: Geometry,
    pub properties: Properties,
}

/// The geometries used.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum Geometry {
    /// A vessel's track.
    LineString { coordinates: Vec<[f64; 2]> },
    /// The event.
    Point { coordinates: [f64; 2] },
}

/// A track's or the event's properties.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Properties {
    /// A vessel's track: its times (one per point) and static data.
    Track(TrackProps),
    /// Where the alert placed the event.
    Event(EventProps),
}

/// A vessel's track.
#[derive(Debug, Serialize)]
pub struct TrackProps {
    pub mmsi: u32,
    pub times: Vec<String>,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub imo: Option<u32>,
    pub ship_type: Option<u8>,
    pub length_m: Option<u16>,
}

/// The event.
#[derive(Debug, Serialize)]
pub struct EventProps {
    pub alert_id: String,
    pub kind: String,
    pub started_at: String,
    pub ended_at: Option<String>,
}

impl Feature {
    pub fn new(geometry: Geometry, properties: Properties) -> Self {
        Self {
            kind: "Feature",
            geometry,
            properties,
        }
    }
}
