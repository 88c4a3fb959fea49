//! Legal holds (admin tokens only): `POST /api/v1/alerts/{id}/hold` keeps
//! an alert's evidence beyond retention (its vessels' positions in the
//! bundle window, its raw lines, the zone file as it is now),
//! `DELETE /api/v1/alerts/{id}/hold` releases it, `GET /api/v1/holds`
//! lists them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::acks::text;
use super::auth::{admin_only, Caller};
use super::error::ErrorBody;
use super::{ok_json, touched_response, ApiError, AppState};
use crate::evidence::EvidenceError;
use crate::storage::Hold;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::rfc3339;

/// Longest `reason` and `by`, in characters.
const MAX_TEXT: usize = 500;
/// Largest request body, bytes.
const MAX_BODY: usize = 16 * 1024;
/// What a centre's token is told.
const ADMIN: &str = "legal holds need an admin token";

/// A hold, as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    /// The alert held.
    pub alert: String,
    /// Why it is held.
    pub reason: String,
    /// Who placed the hold.
    pub by: String,
    /// When (the server's clock, RFC 3339).
    pub placed_at: String,
    /// Start of the window kept (event time, RFC 3339): the alert's start
    /// less the evidence margin.
    pub from: String,
    /// End of the window kept (the alert's end plus the margin); null: the
    /// alert was open when held, everything of its vessels from `from` on is kept.
    pub to: Option<String>,
    /// The alert's vessels.
    pub mmsi: Vec<u32>,
    /// The alert's zone (its file as at hold time is kept).
    pub zone: String,
}

impl From<Hold> for HoldView {
    fn from(h: Hold) -> Self {
        HoldView {
            alert: h.alert_id.to_string(),
            reason: h.reason,
            by: h.by,
            placed_at: rfc3339(h.placed_at),
            from: rfc3339(h.from_ms),
            to: h.to_ms.map(rfc3339),
            mmsi: h.mmsi.iter().map(|m| m.0).collect(),
            zone: h.zone,
        }
    }
}

/// Every hold, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldList {
    /// The holds.
    pub holds: Vec<HoldView>,
}

/// The request body of a hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// Why (a case, a court order), 1–500 characters, no control characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Who places the hold, 1–500 characters, no control characters.
    #[schema(min_length = 1, max_length = 500)]
    pub by: String,
}

/// Checks and tidies a request body.
fn parse(body: &[u8]) -> Result<HoldRequest, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::bad(
            "body",
            format!("at most {MAX_BODY} bytes, not {}", body.len()),
        ));
    }
    let req: HoldRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "body",
            format!("expected JSON {{\"reason\": \"…\", \"by\": \"…\"}}: {e}"),
        )
    })?;
    let field = |param: &'static str, s: &str| {
        let t = text(param, s, MAX_TEXT, false)?;
        if t.is_empty() {
            return Err(ApiError::bad(param, "must not be empty"));
        }
        Ok(t)
    };
    Ok(HoldRequest {
        reason: field("reason", &req.reason)?,
        by: field("by", &req.by)?,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/hold",
    operation_id = "place_hold",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    request_body = HoldRequest,
    responses(
        (status = 201, description = "Held: retention keeps the alert's evidence until the hold is released", body = HoldView),
        (status = 400, description = "A bad body or id, naming the field", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody),
        (status = 409, description = "The alert is already held", body = ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = ErrorBody),
    )
)]
/// Places a legal hold on an alert (admin): its vessels' positions in the
/// evidence window, its raw lines and its zone file as it is now are kept
/// beyond retention, so its evidence bundle can still be exported.
pub(crate) async fn place(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    super::params::text("id", &id)?;
    let req = parse(&body)?;
    let Some(ev) = &state.ctx.evidence else {
        return Err(ApiError::NoStore);
    };
    let _permit = state.permit()?;
    let alert = AlertId::from(id.as_str());
    let held = || ApiError::Conflict(format!("alert {id:?} is already held"));
    if ev.store.hold(&alert).await?.is_some() {
        return Err(held());
    }
    let mut ctx = ev.clone();
    ctx.zones = state.ctx.zones.borrow().set.clone();
    match crate::evidence::place_hold(&ctx, &alert, &req.reason, &req.by).await {
        Ok(Some(h)) => {
            let mut r = ok_json(&HoldView::from(h))?;
            *r.status_mut() = StatusCode::CREATED;
            Ok(r)
        }
        Ok(None) => Err(held()),
        Err(EvidenceError::NotFound(_)) => {
            Err(ApiError::NotFound(format!("no such alert: {id:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/alerts/{id}/hold",
    operation_id = "release_hold",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "Released: retention may prune the alert's evidence again", body = HoldView),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "The alert is not held", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// Releases the legal hold on an alert (admin); answers the hold as it was.
pub(crate) async fn release(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    super::params::text("id", &id)?;
    match state
        .store()?
        .release_hold(&AlertId::from(id.as_str()))
        .await?
    {
        Some(h) => ok_json(&HoldView::from(h)),
        None => Err(ApiError::NotFound(format!("alert {id:?} is not held"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/holds",
    operation_id = "list_holds",
    tag = "alerts",
    responses(
        (status = 200, description = "Every legal hold, oldest first", body = HoldList),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// Every legal hold (admin).
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
) -> Result<Response, ApiError> {
    admin_only(&scope, ADMIN)?;
    let holds = state.store()?.holds().await?;
    let touched = super::audit::touched_alerts(holds.iter().map(|h| h.alert_id.as_str()));
    let resp = ok_json(&HoldList {
        holds: holds.into_iter().map(HoldView::from).collect(),
    })?;
    Ok(touched_response(resp, Some(touched)))
}
