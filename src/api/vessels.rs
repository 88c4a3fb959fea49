//! `GET /api/v1/vessels` (current vessels in a box or a radius) and
//! `GET /api/v1/vessels/{mmsi}` (one vessel), from the engine's snapshot.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{blocking_json_touched, ok_json, params, ApiError, AppState, Params};
use crate::audit::Touched;
use crate::storage::{BBox, PositionRow, StaticRow};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::{rfc3339, Millis};
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_engine::track::{StaticInfo, Vessel, VesselClass};

/// Largest search radius, metres.
const MAX_RADIUS_M: f64 = 1_000_000.0;

/// Transponder class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Class A (types 1–3, 5).
    A,
    /// Class B (types 18, 19, 24).
    B,
    /// Long-range reports only (type 27).
    LongRange,
    /// Not known.
    Unknown,
}

impl From<VesselClass> for Class {
    fn from(c: VesselClass) -> Self {
        match c {
            VesselClass::A => Class::A,
            VesselClass::B => Class::B,
            VesselClass::LongRange => Class::LongRange,
            VesselClass::Unknown => Class::Unknown,
        }
    }
}

/// Static and voyage data, as last reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaticOut {
    /// Vessel name.
    pub name: Option<String>,
    /// Call sign.
    pub callsign: Option<String>,
    /// IMO number.
    pub imo: Option<u32>,
    /// AIS ship and cargo type code.
    pub ship_type: Option<u8>,
    /// Length overall, metres.
    pub length_m: Option<u16>,
    /// Beam, metres.
    pub beam_m: Option<u16>,
    /// Draught, metres (0.1 m resolution).
    pub draught_m: Option<f64>,
    /// Destination.
    pub destination: Option<String>,
    /// When static data was last received (RFC 3339).
    pub updated_at: String,
}

impl From<&StaticInfo> for StaticOut {
    fn from(s: &StaticInfo) -> Self {
        StaticOut {
            name: s.name.clone(),
            callsign: s.callsign.clone(),
            imo: s.imo,
            ship_type: s.ship_type,
            length_m: s.length_m,
            beam_m: s.beam_m,
            draught_m: s.draught_m.map(params::tenth),
            destination: s.destination.clone(),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

/// One vessel's current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct VesselOut {
    /// MMSI.
    #[schema(value_type = u32)]
    pub mmsi: Mmsi,
    /// Flag state (ISO 3166-1 alpha-2) from the MMSI.
    pub flag: Option<&'static str>,
    /// Transponder class.
    pub class: Class,
    /// First message (RFC 3339); null when answered from the store.
    pub first_seen: Option<String>,
    /// Last message of any type (RFC 3339).
    pub last_seen: String,
    /// Time of the current position (RFC 3339).
    pub position_at: Option<String>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Speed over ground, knots (0.1 kn resolution).
    pub sog_kn: Option<f64>,
    /// Course over ground, degrees (0.1° resolution).
    pub cog: Option<f64>,
    /// True heading, degrees.
    pub heading_true: Option<u16>,
    /// Navigational status code.
    pub nav_status: Option<u8>,
    /// The station that last heard it.
    pub station: Option<String>,
    /// The source that last delivered it.
    pub source: Option<String>,
    /// Messages received (duplicates excluded); null when answered from the store.
    pub messages: Option<u32>,
    /// Static and voyage data.
    #[serde(rename = "static")]
    pub static_info: Option<StaticOut>,
    /// Distance from the query point, metres (radius queries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

impl VesselOut {
    fn live(v: &Vessel, distance_m: Option<f64>) -> Self {
        VesselOut {
            mmsi: v.mmsi,
            flag: v.flag(),
            class: v.class.into(),
            first_seen: Some(rfc3339(v.first_seen)),
            last_seen: rfc3339(v.last_seen),
            position_at: v.position_at.map(rfc3339),
            lon: v.lon,
            lat: v.lat,
            sog_kn: v.sog_kn.map(params::tenth),
            cog: v.cog.map(params::tenth),
            heading_true: v.heading_true,
            nav_status: v.nav_status,
            station: v.station.as_deref().map(str::to_owned),
            source: v.source.as_deref().map(str::to_owned),
            messages: Some(v.messages),
            static_info: v.static_info.as_deref().map(StaticOut::from),
            distance_m: distance_m.map(f64::round),
        }
    }

    fn stored(mmsi: Mmsi, pos: Option<&PositionRow>, st: Option<&StaticRow>) -> Self {
        let last = pos
            .map(|p| p.time)
            .max(st.map(|s| s.time))
            .unwrap_or_default();
        let class = match pos.map(|p| p.msg_type) {
            Some(1..=3) => Class::A,
            Some(18 | 19) => Class::B,
            Some(27) => Class::LongRange,
            _ => Class::Unknown,
        };
        VesselOut {
            mmsi,
            flag: aiswatch_engine::track::flag::flag_of(mmsi),
            class,
            first_seen: None,
            last_seen: rfc3339(last),
            position_at: pos.map(|p| rfc3339(p.time)),
            lon: pos.map(|p| p.lon),
            lat: pos.map(|p| p.lat),
            sog_kn: pos.and_then(PositionRow::sog_kn),
            cog: pos.and_then(PositionRow::cog),
            heading_true: pos.and_then(|p| p.heading),
            nav_status: pos.and_then(|p| p.nav_status),
            station: pos.and_then(|p| p.station.as_deref().map(str::to_owned)),
            source: pos.map(|p| p.source.to_string()),
            messages: None,
            static_info: st.map(|s| StaticOut::from(&s.info)),
            distance_m: None,
        }
    }
}

/// A page of current vessels.
#[derive(Debug, Serialize, ToSchema)]
pub struct VesselList {
    /// The engine's event-time clock of the snapshot answered from (RFC 3339).
    pub clock: Option<String>,
    /// Vessels matching, on all pages.
    pub total: usize,
    /// This page: ascending by MMSI (bbox) or nearest first (radius).
    pub vessels: Vec<VesselOut>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Where a single vessel's answer came from.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The engine's current state.
    Live,
    /// The store (the engine no longer tracks it).
    Store,
}

/// One vessel.
#[derive(Debug, Serialize, ToSchema)]
pub struct VesselDetail {
    /// Its state.
    #[serde(flatten)]
    pub vessel: VesselOut,
    /// Where the answer came from.
    pub origin: Origin,
}

/// Search either a box or a radius.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VesselsQuery {
    /// `min_lon,min_lat,max_lon,max_lat`, degrees; `min_lon > max_lon` crosses the antimeridian.
    #[param(
        pattern = "^\\s*-?(180(\\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\\.[0-9]+)?)\\s*,\\s*-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)\\s*,\\s*-?(180(\\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\\.[0-9]+)?)\\s*,\\s*-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)\\s*$"
    )]
    bbox: Option<String>,
    /// Centre longitude, degrees (with `lat` and `radius_m`).
    #[param(value_type = Option<f64>)]
    lon: Option<String>,
    /// Centre latitude, degrees.
    #[param(value_type = Option<f64>)]
    lat: Option<String>,
    /// Radius, metres (at most 1 000 000).
    #[param(value_type = Option<f64>)]
    radius_m: Option<String>,
    /// Page size: default 1000, at most `[api] max_page`.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9]+(\\.[0-9]+)?:)?[1-9][0-9]{0,8}$")]
    cursor: Option<String>,
}

enum Search {
    Box(BBox, Option<Mmsi>),
    Radius {
        lon: f64,
        lat: f64,
        radius_m: f64,
        after: Option<(f64, Mmsi)>,
    },
}

impl Search {
    fn parse(q: &VesselsQuery) -> Result<Search, ApiError> {
        let radius = q.lon.is_some() || q.lat.is_some() || q.radius_m.is_some();
        match (&q.bbox, radius) {
            (Some(_), true) => Err(ApiError::bad(
                "bbox",
                "give either bbox or lon, lat and radius_m, not both",
            )),
            (None, false) => Err(ApiError::bad("bbox", "required (or lon, lat and radius_m)")),
            (Some(b), false) => {
                let after = q
                    .cursor
                    .as_deref()
                    .map(|c| params::mmsi("cursor", c))
                    .transpose()?;
                Ok(Search::Box(params::bbox("bbox", b)?, after))
            }
            (None, true) => {
                let lon = params::lon("lon", params::required("lon", &q.lon)?)?;
                let lat = params::lat("lat", params::required("lat", &q.lat)?)?;
                let radius_m =
                    params::number("radius_m", params::required("radius_m", &q.radius_m)?)?;
                if radius_m <= 0.0 || radius_m > MAX_RADIUS_M {
                    return Err(ApiError::bad(
                        "radius_m",
                        format!(
                            "must be above 0 and at most {MAX_RADIUS_M} metres, not {radius_m}"
                        ),
                    ));
                }
                let after = q.cursor.as_deref().map(radius_cursor).transpose()?;
                Ok(Search::Radius {
                    lon,
                    lat,
                    radius_m,
                    after,
                })
            }
        }
    }
}

/// A radius page's cursor: `distance:mmsi` of its last vessel.
fn radius_cursor(s: &str) -> Result<(f64, Mmsi), ApiError> {
    let bad = || ApiError::bad("cursor", format!("not a cursor of this query: {s:?}"));
    let (d, m) = s.split_once(':').ok_or_else(bad)?;
    let d = d.parse::<f64>().map_err(|_| bad())?;
    Ok((d, params::mmsi("cursor", m)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/vessels",
    operation_id = "list_vessels",
    tag = "vessels",
    params(VesselsQuery),
    responses(
        (status = 200, description = "Current vessels in the box or radius", body = VesselList),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "Too many queries running (Retry-After: 1)", body = ErrorBody),
    )
)]
/// Current vessels in a box (ascending by MMSI) or within a radius
/// (nearest first, with `distance_m`), in pages.
pub(crate) async fn list(
    State(state): State<AppState>,
    Params(q): Params<VesselsQuery>,
) -> Result<Response, ApiError> {
    let search = Search::parse(&q)?;
    let limit = state.page_size(q.limit.as_deref())?;
    let permit = state.permit()?;
    let snap = state.snapshot().await;
    blocking_json_touched(permit, move || {
        let page = search_page(&snap, &search, limit);
        let touched = Touched {
            mmsis: page.vessels.iter().map(|v| v.mmsi.0).collect(),
            count: Some(page.vessels.len() as u64),
            ..Touched::default()
        };
        Ok((page, Some(touched)))
    })
    .await
}

fn search_page(snap: &Snapshot, search: &Search, limit: usize) -> VesselList {
    let (total, vessels, more) = match *search {
        Search::Box(b, after) => {
            let hits = snap.in_bbox(b.min_lon, b.min_lat, b.max_lon, b.max_lat);
            let start = after.map_or(0, |a| hits.partition_point(|v| v.mmsi <= a));
            let page: Vec<VesselOut> = hits[start..]
                .iter()
                .take(limit)
                .map(|v| VesselOut::live(v, None))
                .collect();
            (hits.len(), page, start + limit < hits.len())
        }
        Search::Radius {
            lon,
            lat,
            radius_m,
            after,
        } => {
            let mut hits = snap.within(lon, lat, radius_m);
            // Ties broken by MMSI, so the cursor is a total order.
            hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.mmsi.cmp(&b.0.mmsi)));
            let start = after.map_or(0, |(d, m)| {
                hits.partition_point(|(v, dv)| dv.total_cmp(&d).then(v.mmsi.cmp(&m)).is_le())
            });
            let page: Vec<VesselOut> = hits[start..]
                .iter()
                .take(limit)
                .map(|(v, d)| VesselOut::live(v, Some(*d)))
                .collect();
            let more = start + limit < hits.len();
            // The cursor keeps the exact distance; the page shows it rounded.
            let cursor = more
                .then(|| hits[start + limit - 1])
                .map(|(v, d)| format!("{d}:{}", v.mmsi.0));
            return VesselList {
                clock: snap.clock.map(rfc3339),
                total: hits.len(),
                vessels: page,
                next_cursor: cursor,
            };
        }
    };
    let next_cursor = if more {
        vessels.last().map(|v| v.mmsi.0.to_string())
    } else {
        None
    };
    VesselList {
        clock: snap.clock.map(rfc3339),
        total,
        vessels,
        next_cursor,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/vessels/{mmsi}",
    operation_id = "get_vessel",
    tag = "vessels",
    params(("mmsi" = u32, Path, description = "The vessel's MMSI (1 to 9 digits)", minimum = 1, maximum = 999_999_999)),
    responses(
        (status = 200, description = "The vessel's current state and static data", body = VesselDetail),
        (status = 400, description = "Not an MMSI", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "Neither tracked nor stored", body = ErrorBody),
    )
)]
/// One vessel: from the engine if it tracks it, else from the store.
pub(crate) async fn one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let mmsi = params::mmsi("mmsi", &raw)?;
    let snap = state.snapshot().await;
    if let Some(v) = snap.get(mmsi) {
        return ok_json(&VesselDetail {
            vessel: VesselOut::live(v, None),
            origin: Origin::Live,
        });
    }
    drop(snap);
    let not_found = || ApiError::NotFound(format!("no such vessel: {}", mmsi.0));
    let Some(store) = state.ctx.store.as_ref() else {
        return Err(not_found());
    };
    let (pos, st) = tokio::try_join!(
        store.last_position(mmsi, Millis::MAX),
        store.static_at(mmsi, Millis::MAX)
    )?;
    if pos.is_none() && st.is_none() {
        return Err(not_found());
    }
    ok_json(&VesselDetail {
        vessel: VesselOut::stored(mmsi, pos.as_ref(), st.as_ref()),
        origin: Origin::Store,
    })
}
