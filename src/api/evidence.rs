//! `GET /api/v1/alerts/{id}/evidence`: the alert's evidence bundle (a
//! signed zip, see [`crate::evidence`]), for a token that may see the alert.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;

use super::auth::Caller;
use super::{ApiError, AppState};
use crate::evidence::EvidenceError;
use crate::federation::evidence::Asked;
use aiswatch_core::ids::AlertId;

#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}/evidence",
    operation_id = "get_alert_evidence",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The evidence bundle: raw lines, decoded data, zone, thresholds, map, report and a signed manifest (a partner's alert: the partner's bundle, checked against its pinned key)", content_type = "application/zip"),
        (status = 202, description = "A partner's alert whose bundle awaits the partner administrator's approval: ask again", body = super::error::ErrorBody),
        (status = 403, description = "A partner's alert whose partner shares no evidence, or refused", body = super::error::ErrorBody),
        (status = 400, description = "A bad id (a NUL character)", body = super::error::ErrorBody),
        (status = 401, description = "No or unknown token", body = super::error::ErrorBody),
        (status = 404, description = "No such alert, or not routed to the caller's centre", body = super::error::ErrorBody),
        (status = 410, description = "The bundle window reaches before what retention pruned, and no legal hold kept the alert's evidence", body = super::error::ErrorBody),
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
    let alert = AlertId::from(id.as_str());
    if let Some(fed) = &state.ctx.federation {
        let store = state.store()?;
        if let Some(origin) = store.alert_origin(&alert).await? {
            if store.alert(&alert, &scope).await?.is_none() {
                return Err(ApiError::NotFound(format!("no such alert: {id:?}")));
            }
            return Ok(match fed.ask_evidence(&alert, &origin).await {
                Asked::Bundle(zip) => super::federation::zip_response(&file_name(&id), zip),
                Asked::Pending(message) => {
                    let body = serde_json::json!({"state": "pending", "message": message});
                    super::json_response(StatusCode::ACCEPTED, body.to_string().into_bytes())
                }
                Asked::Refused(status, message) => super::federation::error(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                    message,
                ),
            });
        }
    }
    let mut ctx = ev.clone();
    ctx.zones = state.ctx.zones.borrow().set.clone();
    // The report in the exporting centre's language.
    let opts = crate::evidence::ExportOptions {
        withhold_sources: false,
        lang: state.lang(&scope),
    };
    let b = match crate::evidence::export_with(&ctx, &alert, &scope, &opts).await {
        Ok(b) => b,
        Err(EvidenceError::NotFound(_)) => {
            return Err(ApiError::NotFound(format!("no such alert: {id:?}")))
        }
        Err(e @ EvidenceError::Pruned { .. }) => return Err(ApiError::Gone(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let zip = tokio::task::spawn_blocking(move || b.to_zip()).await??;
    Ok(super::federation::zip_response(&file_name(&id), zip))
}

/// `evidence-ID.zip`, with every character but letters, digits and `-` as `_`.
fn file_name(id: &str) -> String {
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
    format!("evidence-{name}.zip")
}
