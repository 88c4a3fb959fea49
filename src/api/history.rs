//! History from the store: `GET /api/v1/vessels/{mmsi}/track` (a GeoJSON
//! Feature) and `GET /api/v1/positions` (who was in a box in a window, or
//! with `latest=true` where each was at the window's end).

use axum::extract::{Path, State};
use axum::response::Response;
use geo::{Coord, LineString, SimplifyIdx};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{blocking_json, blocking_json_touched, params, ApiError, AppState, Params};
use crate::audit::Touched;
use crate::storage::{Points, PositionRow, PositionsPage};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::{now_ms, rfc3339, Millis};
use aiswatch_engine::track::index::M_PER_DEG_LAT;

/// Default track window: this long before `to`.
const DEFAULT_WINDOW_MS: Millis = 24 * 3_600_000;
/// Largest simplification tolerance, metres.
const MAX_SIMPLIFY_M: f64 = 100_000.0;

/// A track's geometry: a LineString, or a Point when the window holds one
/// position (a GeoJSON LineString needs two), or null when it holds none.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type")]
pub enum TrackGeometry {
    /// Two or more positions, `[lon, lat]` each.
    LineString {
        /// Positions, oldest first.
        coordinates: Vec<[f64; 2]>,
    },
    /// Exactly one position.
    Point {
        /// `[lon, lat]`.
        coordinates: [f64; 2],
    },
}

/// Per-vertex values of a track, index for index with its coordinates.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackProperties {
    /// The vessel.
    #[schema(value_type = u32)]
    pub mmsi: Mmsi,
    /// Time of each vertex (RFC 3339).
    pub times: Vec<String>,
    /// Speed over ground at each vertex, knots (null: not available).
    pub sog_kn: Vec<Option<f64>>,
    /// Course over ground at each vertex, degrees (null: not available).
    pub cog: Vec<Option<f64>>,
    /// The window held more positions than one answer may: ask again from `next_from`.
    pub truncated: bool,
    /// Where the rest of the window starts (RFC 3339), when truncated.
    pub next_from: Option<String>,
}

/// A vessel's track as a GeoJSON Feature.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(example = "Feature")]
    pub kind: &'static str,
    /// Null when the window holds no position.
    pub geometry: Option<TrackGeometry>,
    /// Times, speeds and courses of the vertices.
    pub properties: TrackProperties,
}

/// A track's window and simplification.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackQuery {
    /// Start (RFC 3339, inclusive). Default: 24 h before `to`.
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// End (RFC 3339, inclusive). Default: the engine's clock (else the newest stored time, else now).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// Douglas–Peucker tolerance, metres (0 to 100 000). Default: no simplification.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 100_000)]
    simplify_m: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/vessels/{mmsi}/track",
    operation_id = "get_track",
    tag = "history",
    params(("mmsi" = u32, Path, description = "The vessel's MMSI", minimum = 1, maximum = 999_999_999), TrackQuery),
    responses(
        (status = 200, description = "The track, capped at `[api] max_page` points", body = TrackFeature),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "Vessel neither tracked nor stored", body = ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = ErrorBody),
    )
)]
/// A vessel's stored positions in a window, as a GeoJSON Feature.
pub(crate) async fn track(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Params(q): Params<TrackQuery>,
) -> Result<Response, ApiError> {
    let mmsi = params::mmsi("mmsi", &raw)?;
    let from = q
        .from
        .as_deref()
        .map(|s| params::time("from", s))
        .transpose()?;
    let to = q.to.as_deref().map(|s| params::time("to", s)).transpose()?;
    let simplify_m = q
        .simplify_m
        .as_deref()
        .map(|s| params::number("simplify_m", s))
        .transpose()?;
    if let Some(m) = simplify_m {
        if !(0.0..=MAX_SIMPLIFY_M).contains(&m) {
            return Err(ApiError::bad(
                "simplify_m",
                format!("must be within 0..{MAX_SIMPLIFY_M} metres, not {m}"),
            ));
        }
    }
    let store = state.store()?.clone();
    let permit = state.permit()?;
    let to = match to {
        Some(t) => t,
        None => match state.snapshot_now().clock {
            Some(c) => c,
            None => store.last_time().await?.unwrap_or_else(now_ms),
        },
    };
    let from = from.unwrap_or(to.saturating_sub(DEFAULT_WINDOW_MS));
    if from > to {
        return Err(ApiError::bad("from", "must not be after to"));
    }
    let cap = state.ctx.limits.max_page.max(1);
    let rows = store.track(mmsi, from, to, cap + 1).await?;
    if rows.is_empty()
        && state.snapshot_now().get(mmsi).is_none()
        && store.last_position(mmsi, Millis::MAX).await?.is_none()
    {
        return Err(ApiError::NotFound(format!("no such vessel: {}", mmsi.0)));
    }
    blocking_json(permit, move || {
        Ok(track_feature(mmsi, rows, cap, simplify_m))
    })
    .await
}

/// Builds the Feature of `rows` (oldest first, up to `cap + 1` of them).
fn track_feature(
    mmsi: Mmsi,
    mut rows: Vec<PositionRow>,
    cap: usize,
    simplify_m: Option<f64>,
) -> TrackFeature {
    let mut next_from = None;
    if rows.len() > cap {
        let next = rows[cap].time;
        rows.truncate(cap);
        // The next answer starts at `next` inclusive: leave positions of that
        // instant to it, so none comes twice.
        while rows.len() > 1 && rows.last().is_some_and(|r| r.time == next) {
            rows.pop();
        }
        next_from = Some(rfc3339(next));
    }
    let keep = match simplify_m {
        Some(m) if m > 0.0 && rows.len() > 2 => simplify(&rows, m),
        _ => (0..rows.len()).collect(),
    };
    let kept: Vec<&PositionRow> = keep.iter().map(|&i| &rows[i]).collect();
    let geometry = match kept.as_slice() {
        [] => None,
        [p] => Some(TrackGeometry::Point {
            coordinates: [p.lon, p.lat],
        }),
        _ => Some(TrackGeometry::LineString {
            coordinates: kept.iter().map(|p| [p.lon, p.lat]).collect(),
        }),
    };
    TrackFeature {
        kind: "Feature",
        geometry,
        properties: TrackProperties {
            mmsi,
            times: kept.iter().map(|p| rfc3339(p.time)).collect(),
            sog_kn: kept.iter().map(|p| p.sog_kn()).collect(),
            cog: kept.iter().map(|p| p.cog()).collect(),
            truncated: next_from.is_some(),
            next_from,
        },
    }
}

/// Indices of the vertices Douglas–Peucker keeps at `tolerance_m` metres.
///
/// # Units
/// Simplifies in a local plane: x = lon × cos(mean lat), y = lat, both in
/// degrees of latitude, so the tolerance is `tolerance_m / 111 320` in
/// every direction. Longitudes are unwrapped first, so a track crossing
/// ±180° stays continuous.
fn simplify(rows: &[PositionRow], tolerance_m: f64) -> Vec<usize> {
    let mean_lat = rows.iter().map(|r| r.lat).sum::<f64>() / rows.len() as f64;
    let k = mean_lat.to_radians().cos().max(0.01);
    let mut prev = rows[0].lon;
    let mut shift = 0.0;
    let coords: Vec<Coord<f64>> = rows
        .iter()
        .map(|r| {
            let d = r.lon - prev;
            if d > 180.0 {
                shift -= 360.0;
            } else if d < -180.0 {
                shift += 360.0;
            }
            prev = r.lon;
            Coord {
                x: (r.lon + shift) * k,
                y: r.lat,
            }
        })
        .collect();
    LineString::new(coords).simplify_idx(&(tolerance_m / M_PER_DEG_LAT))
}

/// A box, a window and a page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PositionsQuery {
    /// `min_lon,min_lat,max_lon,max_lat`, degrees; `min_lon > max_lon` crosses the antimeridian.
    #[param(
        required = true,
        pattern = "^\\s*-?(180(\\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\\.[0-9]+)?)\\s*,\\s*-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)\\s*,\\s*-?(180(\\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\\.[0-9]+)?)\\s*,\\s*-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)\\s*$"
    )]
    bbox: Option<String>,
    /// Start (RFC 3339, inclusive).
    #[param(required = true, value_type = String, format = DateTime)]
    from: Option<String>,
    /// End (RFC 3339, inclusive).
    #[param(required = true, value_type = String, format = DateTime)]
    to: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[1-9][0-9]{0,8}$")]
    cursor: Option<String>,
    /// Most points in one page: default 1000, at most `[api] max_page`.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// `true`: each vessel's newest point in the window only (where it was
    /// at `to`, as far as the window shows). Default `false`: every point.
    #[param(value_type = Option<bool>)]
    latest: Option<String>,
}

/// One stored position.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointOut {
    /// Event time (RFC 3339).
    pub time: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Speed over ground, knots.
    pub sog_kn: Option<f64>,
    /// Course over ground, degrees.
    pub cog: Option<f64>,
}

/// One vessel's points inside the box, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VesselPointsOut {
    /// The vessel.
    #[schema(value_type = u32)]
    pub mmsi: Mmsi,
    /// Its points.
    pub points: Vec<PointOut>,
}

/// A page of who was where, ascending by MMSI.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionsOut {
    /// Vessels with their points.
    pub vessels: Vec<VesselPointsOut>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

impl From<PositionsPage> for PositionsOut {
    fn from(p: PositionsPage) -> Self {
        PositionsOut {
            vessels: p
                .vessels
                .into_iter()
                .map(|v| VesselPointsOut {
                    mmsi: v.mmsi,
                    points: v
                        .points
                        .iter()
                        .map(|r| PointOut {
                            time: rfc3339(r.time),
                            lon: r.lon,
                            lat: r.lat,
                            sog_kn: r.sog_kn(),
                            cog: r.cog(),
                        })
                        .collect(),
                })
                .collect(),
            next_cursor: p.next_cursor.map(|m| m.0.to_string()),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/positions",
    operation_id = "list_positions",
    tag = "history",
    params(PositionsQuery),
    responses(
        (status = 200, description = "Vessels and their points in the box and window", body = PositionsOut),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = ErrorBody),
    )
)]
/// Who was in a box in a time window, with their points, in pages.
pub(crate) async fn positions(
    State(state): State<AppState>,
    Params(q): Params<PositionsQuery>,
) -> Result<Response, ApiError> {
    let bbox = params::bbox("bbox", params::required("bbox", &q.bbox)?)?;
    let from = params::time("from", params::required("from", &q.from)?)?;
    let to = params::time("to", params::required("to", &q.to)?)?;
    if from > to {
        return Err(ApiError::bad("from", "must not be after to"));
    }
    let after = q
        .cursor
        .as_deref()
        .map(|c| params::mmsi("cursor", c))
        .transpose()?;
    let limit = state.page_size(q.limit.as_deref())?;
    let latest = match q.latest.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(s) => {
            return Err(ApiError::bad(
                "latest",
                format!("must be true or false, not {s:?}"),
            ))
        }
    };
    let store = state.store()?;
    let permit = state.permit()?;
    let points = if latest { Points::Newest } else { Points::All };
    let page = store
        .positions_in(bbox, from, to, after, limit, points)
        .await?;
    let touched = Touched {
        mmsis: page.vessels.iter().map(|v| v.mmsi.0).collect(),
        count: Some(page.vessels.len() as u64),
        ..Touched::default()
    };
    blocking_json_touched(permit, move || {
        Ok((PositionsOut::from(page), Some(touched)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: Millis, lon: f64, lat: f64) -> PositionRow {
        PositionRow {
            seq: 0,
            mmsi: Mmsi(1),
            time: t,
            lon,
            lat,
            sog_dkn: Some(122),
            cog_ddeg: None,
            heading: None,
            nav_status: None,
            msg_type: 1,
            station: None,
            source: "s".into(),
            hash: 0,
        }
    }

    #[test]
    fn simplify_keeps_ends_and_corners_across_the_antimeridian() {
        // East along the equator across ±180°, a 0.0001° (11 m) wobble, then a corner north.
        let rows = vec![
            row(0, 179.98, 0.0),
            row(1, 179.99, 0.0001),
            row(2, -179.99, 0.0),
            row(3, -179.98, 0.0),
            row(4, -179.98, 0.05),
        ];
        assert_eq!(simplify(&rows, 50.0), vec![0, 3, 4]);
        // The wobble (11 m) stays at 5 m; row 2 is 3.7 m off the line 1 → 3.
        assert_eq!(simplify(&rows, 5.0), vec![0, 1, 3, 4]);
    }

    #[test]
    fn truncation_leaves_the_cut_instant_to_the_next_answer() {
        let rows = vec![
            row(0, 0.0, 0.0),
            row(1, 0.1, 0.0),
            row(2, 0.2, 0.0),
            row(2, 0.3, 0.0),
        ];
        let f = track_feature(Mmsi(1), rows, 3, None);
        assert!(f.properties.truncated);
        assert_eq!(f.properties.times.len(), 2);
        assert_eq!(f.properties.next_from.as_deref(), Some(rfc3339(2).as_str()));
        let one = track_feature(Mmsi(1), vec![row(5, 1.0, 2.0)], 3, Some(10.0));
        assert!(matches!(
            one.geometry,
            Some(TrackGeometry::Point {
                coordinates: [1.0, 2.0]
            })
        ));
        assert_eq!(one.properties.sog_kn, vec![Some(12.2)]);
    }
}
