//! `GET /api/v1/alerts/{id}/evidence`: the alert's evidence bundle (a
//! signed zip, see [`crate::evidence`]), for a token that may see the alert.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::auth::Caller;
use super::{ApiError, AppState};
use crate::evidence::EvidenceError;
use aiswatch_core::ids::AlertId;

#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}/evidence",
    operation_id = "get_alert_evidence",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The evidence bundle: raw lines, decoded data, zone, thresholds, map, report and a signed manifest", content_type = "application/zip"),
        (status = 400, description = "A bad id (a NUL character)", body = super::error::ErrorBody),
        (status = 401, description = "No or unknown token", body = super::error::ErrorBody),
        (status = 404, description = "No such alert, or not routed to the caller's centre", body = super::error::ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = super::error::ErrorBody),
    )
)]
/// The alert's evidence bundle. Another centre's alert is answered exactly
/// as one that does not exist.
pub(crate) async fn bundle(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    super::params::text("id", &id)?;
    let Some(ev) = &state.ctx.evidence else {
        return Err(ApiError::NoStore);
    };
    let _permit = state.permit()?;
    let mut ctx = ev.clone();
    ctx.zones = state.ctx.zones.borrow().set.clone();
    let b = match crate::evidence::export(&ctx, &AlertId::from(id.as_str()), &scope).await {
        Ok(b) => b,
        Err(EvidenceError::NotFound(_)) => {
            return Err(ApiError::NotFound(format!("no such alert: {id:?}")))
        }
        Err(e) => return Err(e.into()),
    };
    let zip = tokio::task::spawn_blocking(move || b.to_zip()).await??;
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"evidence-{name}.zip\""))
            .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response())
}
