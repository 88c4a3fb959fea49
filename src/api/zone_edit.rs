//! Zones for administrators: one zone as its file holds it
//! (`GET /api/v1/zones/{id}`, with an `ETag`: the zone's version), saved or
//! removed through the zone files (`PUT`/`DELETE`, admin only, with
//! `If-Match`), its history (`GET /api/v1/zones/{id}/versions`), and a
//! zone set checked as `aiswatch zones check` checks it
//! (`POST /api/v1/zones/check`).
//!
//! A save is checked against the whole directory as it would be, written
//! atomically to the zone files (a new zone to `ID.geojson`), then reloaded
//! and recorded in the zone history; the answer comes once the daemon runs
//! with it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::audit::actor;
use super::auth::{admin_only, Caller};
use super::error::{ErrorBody, InvalidBody};
use super::{json_response, ok_json, touched_response, ApiError, AppState};
use crate::audit::Touched;
use crate::live_zones::edit::{self, Change, EditError, Located, Problem};
use crate::live_zones::Editor;
use crate::storage::Scope;
use aiswatch_core::time::rfc3339;

/// Largest zone or zone set accepted in a body, bytes.
pub(super) const MAX_BODY: usize = 8 * 1024 * 1024;
/// What a centre's token is told.
const ADMIN: &str = "editing zones needs an admin token";

/// A saved zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// The zone as now in its file (a GeoJSON Feature).
    #[schema(value_type = Object)]
    pub zone: Value,
    /// Its version, also the response's `ETag`.
    pub etag: String,
    /// The zone file it is in (name only).
    pub file: String,
}

/// One version of a zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// SHA-256 of the Feature (what alert changes carry as `zone_version`).
    pub version: String,
    /// The zone's id.
    pub zone: String,
    /// When it came into force (the server's clock, RFC 3339).
    pub from: String,
    /// When a later zone set replaced or removed it; null while in force.
    pub until: Option<String>,
    /// Who brought it: `start`, `file` (a file edit or SIGHUP) or the
    /// actor of an API save (`admin`).
    pub by: String,
    /// The zone as a GeoJSON Feature.
    #[schema(value_type = Object)]
    pub feature: Value,
}

/// A zone's versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    /// The versions.
    pub versions: Vec<VersionView>,
}

/// What a zone set check found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// True when the set would load.
    pub ok: bool,
    /// Every problem (features numbered as in the request).
    pub errors: Vec<Problem>,
}

/// Whether the caller may see zone `id` (an admin any; a centre the zones
/// in force that name it).
fn visible(state: &AppState, scope: &Scope, id: &str) -> bool {
    matches!(scope, Scope::Admin)
        || state
            .ctx
            .zones
            .borrow()
            .set
            .get(id)
            .is_some_and(|z| super::zones::sees(scope, z))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no such zone: {id:?}"))
}

fn editor(state: &AppState) -> Result<&Editor, ApiError> {
    state.ctx.zone_editor.as_ref().ok_or_else(|| {
        ApiError::Conflict("zones are not editable here: the daemon has no zones directory".into())
    })
}

/// `"<version>"` as an `ETag` value.
fn etag(version: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

fn with_etag(mut resp: Response, version: &str) -> Response {
    resp.headers_mut().insert(header::ETAG, etag(version));
    resp
}

fn touched(id: &str) -> Touched {
    Touched {
        zones: vec![id.to_owned()],
        ..Touched::default()
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Invalid(errors) => ApiError::Invalid {
                message: format!(
                    "the zones would not load: {} problem(s); nothing was written",
                    errors.len()
                ),
                errors,
            },
            EditError::File { .. } => ApiError::Conflict(e.to_string()),
        }
    }
}

/// Checks `If-Match` against the zone's current version (`None`: the zone
/// does not exist). `*` matches any existing zone.
fn check_if_match(headers: &HeaderMap, id: &str, at: Option<&Located>) -> Result<(), ApiError> {
    let given = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or("").trim().to_owned());
    match (given, at) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(ApiError::NeedsIfMatch(format!(
            "zone {id:?} exists: send If-Match with the ETag you read it with"
        ))),
        (Some(_), None) => Err(ApiError::Stale(format!(
            "zone {id:?} does not exist (it was removed since you read it)"
        ))),
        (Some(g), Some(l)) => {
            let matches = g == "*"
                || g.split(',').any(|t| {
                    let t = t.trim();
                    t.strip_prefix("W/").unwrap_or(t).trim_matches('"') == l.version
                });
            if matches {
                Ok(())
            } else {
                Err(ApiError::Stale(format!(
                    "zone {id:?} was changed since you read it (concurrent edit): \
                     it is now version {}; read it again and reapply your change",
                    l.version
                )))
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/zones/{id}",
    operation_id = "get_zone",
    tag = "zones",
    params(("id" = String, Path, description = "The zone's id")),
    responses(
        (status = 200, description = "The zone as a GeoJSON Feature as its file holds it; `ETag`: its version", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such zone, or not one of the caller's", body = ErrorBody),
    )
)]
/// One zone, as its file holds it, with its version as `ETag`.
pub(crate) async fn one(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    super::params::text("id", &id)?;
    if !visible(&state, &scope, &id) {
        return Err(not_found(&id));
    }
    let (feature, version) = match &state.ctx.zone_editor {
        Some(ed) => {
            let (dir, i) = (ed.dir.clone(), id.clone());
            let at = tokio::task::spawn_blocking(move || edit::locate(&dir, &i)).await??;
            let at = at.ok_or_else(|| not_found(&id))?;
            (at.feature, at.version)
        }
        None => {
            let set = state.ctx.zones.borrow().set.clone();
            let z = set.get(&id).ok_or_else(|| not_found(&id))?;
            let f = serde_json::from_str(&z.source.feature).map_err(ApiError::json("the zone"))?;
            (f, z.source.version.to_string())
        }
    };
    let resp = with_etag(ok_json(&feature)?, &version);
    Ok(touched_response(resp, Some(touched(&id))))
}

#[utoipa::path(
    put,
    path = "/api/v1/zones/{id}",
    operation_id = "save_zone",
    tag = "zones",
    params(
        ("id" = String, Path, description = "The zone's id (the Feature's `properties.id`)"),
        ("If-Match" = Option<String>, Header, description = "The ETag the zone was read with; required when the zone exists"),
    ),
    request_body(content = Object, description = "The zone as a GeoJSON Feature, properties as in zones/README.md"),
    responses(
        (status = 200, description = "Replaced; the daemon runs with it", body = Saved),
        (status = 201, description = "Created (in `ID.geojson`); the daemon runs with it", body = Saved),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 409, description = "Zones are not editable here, or a zone file cannot be read or written", body = ErrorBody),
        (status = 412, description = "`If-Match` is stale: someone changed the zone since it was read", body = ErrorBody),
        (status = 422, description = "The zones would not load; every problem named, nothing written", body = InvalidBody),
        (status = 428, description = "The zone exists and `If-Match` is missing", body = ErrorBody),
    )
)]
/// Creates or replaces a zone in the zone files (admin).
pub(crate) async fn save(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    super::params::text("id", &id)?;
    let feature = feature_body(&body)?;
    if edit::feature_id(&feature) != Some(id.as_str()) {
        return Err(ApiError::Invalid {
            message: format!("the Feature's properties.id must be {id:?}, the zone saved"),
            errors: vec![Problem {
                kind: "property",
                file: "request".into(),
                feature: Some(0),
                id: edit::feature_id(&feature).map(str::to_owned),
                property: Some("properties.id".into()),
                message: format!("must be {id:?}, the id in the path"),
            }],
        });
    }
    let version = aiswatch_zones::ZoneSource::of(&feature).version.to_string();
    let saved = apply(&state, &scope, &id, &headers, Change::Put(feature.clone()))
        .await?
        .ok_or_else(|| not_found(&id))?;
    let mut resp = ok_json(&Saved {
        zone: feature,
        etag: version.clone(),
        file: file_name(&saved.file),
    })?;
    if saved.created {
        *resp.status_mut() = StatusCode::CREATED;
    }
    Ok(touched_response(
        with_etag(resp, &version),
        Some(touched(&id)),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/zones/{id}",
    operation_id = "delete_zone",
    tag = "zones",
    params(
        ("id" = String, Path, description = "The zone's id"),
        ("If-Match" = String, Header, description = "The ETag the zone was read with"),
    ),
    responses(
        (status = 204, description = "Removed from its file (the file too if it held only this zone); the daemon runs without it"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "No such zone", body = ErrorBody),
        (status = 409, description = "Zones are not editable here, or a zone file cannot be read or written", body = ErrorBody),
        (status = 412, description = "`If-Match` is stale", body = ErrorBody),
        (status = 422, description = "The zones would not load without it (the last zone file)", body = InvalidBody),
        (status = 428, description = "`If-Match` is missing", body = ErrorBody),
    )
)]
/// Removes a zone from the zone files (admin).
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    super::params::text("id", &id)?;
    if apply(&state, &scope, &id, &headers, Change::Delete)
        .await?
        .is_none()
    {
        return Err(not_found(&id));
    }
    let resp = json_response(StatusCode::NO_CONTENT, Vec::new());
    Ok(touched_response(resp, Some(touched(&id))))
}

/// Parses a body holding one JSON value.
fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::bad(
            "body",
            format!("at most {MAX_BODY} bytes, not {}", body.len()),
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad("body", format!("not JSON: {e}")))
}

fn feature_body(body: &[u8]) -> Result<Value, ApiError> {
    let v = json_body(body)?;
    if v.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::bad(
            "body",
            "expected a GeoJSON Feature (\"type\": \"Feature\")",
        ));
    }
    Ok(v)
}

/// What an edit did: the file it changed and whether the zone is new.
struct Applied {
    file: std::path::PathBuf,
    created: bool,
}

/// Applies `change` to zone `id` under the editor's lock: `If-Match`
/// checked against the file, the directory as it would be checked, the
/// file written, the directory reloaded (the answer comes once the daemon
/// runs with it). `None` when a delete found no such zone.
async fn apply(
    state: &AppState,
    scope: &Scope,
    id: &str,
    headers: &HeaderMap,
    change: Change,
) -> Result<Option<Applied>, ApiError> {
    let ed = editor(state)?.clone();
    let _edit = ed.lock().await;
    let (dir, i) = (ed.dir.clone(), id.to_owned());
    let at = tokio::task::spawn_blocking(move || edit::locate(&dir, &i)).await??;
    if at.is_none() && matches!(change, Change::Delete) {
        return Ok(None);
    }
    check_if_match(headers, id, at.as_ref())?;
    let (dir, i, check) = (ed.dir.clone(), id.to_owned(), ed.check.clone());
    let plan = tokio::task::spawn_blocking(move || {
        let plan = edit::plan(&dir, &i, at.as_ref(), &change)?;
        edit::check(&dir, &plan, check.as_ref())?;
        edit::write(&plan)?;
        Ok::<_, EditError>(plan)
    })
    .await??;
    ed.reload(&actor(scope))
        .await
        .map_err(|errors| ApiError::Invalid {
            message: "the zone files were written but the reload refused them".into(),
            errors: errors.into_iter().map(Problem::daemon).collect(),
        })?;
    Ok(Some(Applied {
        file: plan.file,
        created: plan.created,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/zones/{id}/versions",
    operation_id = "zone_versions",
    tag = "zones",
    params(("id" = String, Path, description = "The zone's id")),
    responses(
        (status = 200, description = "Every version the daemon ran with, newest first", body = VersionList),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such zone, or not one of the caller's", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// A zone's history: each version, when it came into force, until when,
/// and who brought it.
pub(crate) async fn versions(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    super::params::text("id", &id)?;
    let store = state.ctx.store.as_ref().ok_or(ApiError::NoStore)?;
    let rows = store.zone_versions(&id).await?;
    let seen = match &scope {
        Scope::Admin => !rows.is_empty(),
        Scope::Centre(_) => visible(&state, &scope, &id),
    };
    if !seen {
        return Err(not_found(&id));
    }
    let versions = rows
        .into_iter()
        .map(|v| {
            Ok(VersionView {
                feature: serde_json::from_str(&v.feature)
                    .map_err(ApiError::json("a stored zone version"))?,
                version: v.version,
                zone: v.zone,
                from: rfc3339(v.from_ms),
                until: v.until_ms.map(rfc3339),
                by: v.by,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let resp = ok_json(&VersionList { versions })?;
    Ok(touched_response(resp, Some(touched(&id))))
}

#[utoipa::path(
    post,
    path = "/api/v1/zones/check",
    operation_id = "check_zones",
    tag = "zones",
    request_body(content = Object, description = "A whole zone set as one GeoJSON FeatureCollection"),
    responses(
        (status = 200, description = "What `aiswatch zones check` would say of it", body = CheckResult),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
    )
)]
/// Checks a zone set exactly as `aiswatch zones check` and a reload would
/// (admin): for the console's errors as an administrator edits.
pub(crate) async fn check(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    json_body(&body)?;
    let check = checks(&state);
    let errors = tokio::task::spawn_blocking(move || {
        edit::load_request(&body, check.as_ref())
            .err()
            .unwrap_or_default()
    })
    .await?;
    ok_json(&CheckResult {
        ok: errors.is_empty(),
        errors,
    })
}

/// The daemon's checks beyond the zone files' own.
pub(super) fn checks(state: &AppState) -> crate::live_zones::Check {
    match &state.ctx.zone_editor {
        Some(ed) => ed.check.clone(),
        None => std::sync::Arc::new(|_| Vec::new()),
    }
}
