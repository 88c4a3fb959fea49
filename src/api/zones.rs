//! `GET /api/v1/zones`: the zones in force as one GeoJSON
//! FeatureCollection; `?at=TIME`: those in force then, from the zone
//! history, each Feature as it was. A centre's token sees only the zones
//! naming its centre.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ok_json, touched_response, ApiError, AppState, Params};
use crate::audit::Touched;
use crate::storage::Scope;
use aiswatch_core::time::rfc3339;
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
    /// The zone's version: the SHA-256 of its Feature, as alert changes
    /// carry it in `zone_version` (and `GET /zones/{id}` as its ETag).
    pub version: String,
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

/// Whether a token with `scope` sees zone `z`: an admin every zone, a
/// centre the zones naming it.
pub(super) fn sees(scope: &Scope, z: &Zone) -> bool {
    match scope {
        Scope::Admin => true,
        Scope::Centre(c) => z.centres.contains(c),
    }
}

fn feature(z: &Zone) -> ZoneFeature {
    ZoneFeature {
        kind: "Feature",
        geometry: ZoneGeometry {
            kind: "MultiPolygon",
            coordinates: z.coordinates(),
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
            version: z.source.version.to_string(),
        },
    }
}

/// `?at=`.
#[derive(Debug, Deserialize)]
pub(crate) struct ZonesQuery {
    at: Option<String>,
}

/// The zones in force at a past time, each Feature as it was then.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZonesAt {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    pub kind: &'static str,
    /// The time asked for (RFC 3339).
    pub at: String,
    /// One Feature per zone, as its version holds it, with `version`,
    /// `in_force_from` and `in_force_until` added to its properties.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<serde_json::Value>,
}

async fn at_time(state: &AppState, scope: &Scope, at: &str) -> Result<Response, ApiError> {
    let t = super::params::time("at", at)?;
    let store = state.ctx.store.as_ref().ok_or(ApiError::NoStore)?;
    let mut features = Vec::new();
    let mut ids = Vec::new();
    for v in store.zones_in_force_at(t).await? {
        let mut f: serde_json::Value =
            serde_json::from_str(&v.feature).map_err(ApiError::json("a stored zone version"))?;
        if let Scope::Centre(c) = scope {
            let names = f["properties"]["centre"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|x| x.as_str() == Some(c.as_str())));
            if !names {
                continue;
            }
        }
        if let Some(p) = f.get_mut("properties").and_then(|p| p.as_object_mut()) {
            p.insert("version".into(), v.version.clone().into());
            p.insert("in_force_from".into(), rfc3339(v.from_ms).into());
            p.insert(
                "in_force_until".into(),
                v.until_ms
                    .map(rfc3339)
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        ids.push(v.zone);
        features.push(f);
    }
    let touched = Touched {
        count: Some(ids.len() as u64),
        zones: ids,
        ..Touched::default()
    };
    let resp = ok_json(&ZonesAt {
        kind: "FeatureCollection",
        at: rfc3339(t),
        features,
    })?;
    Ok(touched_response(resp, Some(touched)))
}

#[utoipa::path(
    get,
    path = "/api/v1/zones",
    operation_id = "list_zones",
    tag = "zones",
    params(("at" = Option<String>, Query, description = "A past time (RFC 3339 or unix seconds): the zones in force then, from the zone history")),
    responses(
        (status = 200, description = "Zones visible to the caller, as GeoJSON (with `at`: a ZonesAt)", body = ZoneCollection),
        (status = 400, description = "A bad `at`", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "`at` without a store", body = ErrorBody),
    )
)]
/// The zones in force visible to the caller (or, with `at`, those in force then).
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Params(q): Params<ZonesQuery>,
) -> Result<Response, ApiError> {
    if let Some(at) = &q.at {
        return at_time(&state, &scope, at).await;
    }
    let visible = |z: &&Zone| sees(&scope, z);
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
