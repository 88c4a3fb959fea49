//! `GET /api/v1/zones`: the loaded zones as one GeoJSON FeatureCollection.
//! A centre's token sees only the zones naming its centre.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use geo::{LineString, Polygon};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ok_json, touched_response, ApiError, AppState};
use crate::audit::Touched;
use crate::storage::Scope;
use aiswatch_zones::{Zone, ZoneKind};

/// What a zone is for.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ZoneKindOut {
    /// Open water to watch.
    Patrol,
    /// A port or anchorage (no loitering or rendezvous alerts inside).
    Port,
    /// An area closed to fishing (the `fishing` detector runs only here).
    #[serde(rename = "closed_area")]
    ClosedArea,
}

/// A zone's properties, as in its zone file (without `detect`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneProperties {
    /// Unique across all zone files.
    pub id: String,
    /// Human-readable name.
    pub name: Option<String>,
    /// Patrol zone or port.
    pub kind: ZoneKindOut,
    /// Regional centres that receive the zone's alerts.
    pub centre: Vec<String>,
}

/// A zone's area: always a MultiPolygon, lon/lat degrees.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneGeometry {
    /// Always `MultiPolygon`.
    #[serde(rename = "type")]
    #[schema(example = "MultiPolygon")]
    pub kind: &'static str,
    /// Polygons, each its exterior ring then its holes, each ring closed `[lon, lat]` positions.
    pub coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

/// One zone as a GeoJSON Feature.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(example = "Feature")]
    pub kind: &'static str,
    /// The area.
    pub geometry: ZoneGeometry,
    /// Id, name, kind and centres.
    pub properties: ZoneProperties,
}

/// The zones, in load order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    pub kind: &'static str,
    /// One Feature per zone.
    pub features: Vec<ZoneFeature>,
}

fn ring(r: &LineString<f64>) -> Vec<[f64; 2]> {
    r.0.iter().map(|c| [c.x, c.y]).collect()
}

fn polygon(p: &Polygon<f64>) -> Vec<Vec<[f64; 2]>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(ring)
        .collect()
}

fn feature(z: &Zone) -> ZoneFeature {
    ZoneFeature {
        kind: "Feature",
        geometry: ZoneGeometry {
            kind: "MultiPolygon",
            coordinates: z.geometry.0.iter().map(polygon).collect(),
        },
        properties: ZoneProperties {
            id: z.id.to_string(),
            name: z.name.clone(),
            kind: match z.kind {
                ZoneKind::Patrol => ZoneKindOut::Patrol,
                ZoneKind::Port => ZoneKindOut::Port,
                ZoneKind::ClosedArea => ZoneKindOut::ClosedArea,
            },
            centre: z.centres.iter().map(|c| c.to_string()).collect(),
        },
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/zones",
    operation_id = "list_zones",
    tag = "zones",
    responses(
        (status = 200, description = "Zones visible to the caller, as GeoJSON", body = ZoneCollection),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    )
)]
/// The loaded zones visible to the caller.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
) -> Result<Response, ApiError> {
    let visible = |z: &&Zone| match &scope {
        Scope::Admin => true,
        Scope::Centre(c) => z.centres.contains(c),
    };
    let zones = state.ctx.zones.borrow().set.clone();
    let shown: Vec<&Zone> = zones.zones().iter().filter(visible).collect();
    let touched = Touched {
        zones: shown.iter().map(|z| z.id.to_string()).collect(),
        count: Some(shown.len() as u64),
        ..Touched::default()
    };
    let resp = ok_json(&ZoneCollection {
        kind: "FeatureCollection",
        features: shown.into_iter().map(feature).collect(),
    })?;
    Ok(touched_response(resp, Some(touched)))
}
