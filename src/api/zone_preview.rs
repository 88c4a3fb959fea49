//! `POST /api/v1/zones/preview?hours=N` (admin): an edited zone set (a
//! whole FeatureCollection) run over the lines received in the last N
//! hours, beside the zones in force over the same lines, off the engine
//! (see [`crate::preview`]). Alerts are shown as the API shows them, with
//! the ids `aiswatch replay` of the same lines gives.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::auth::{admin_only, Caller};
use super::error::{ErrorBody, InvalidBody};
use super::{blocking_json_touched, ApiError, AppState, Params};
use crate::audit::Touched;
use crate::live_zones::edit;
use crate::preview::Compared;
use aiswatch_core::time::{now_ms, rfc3339, MS_PER_S};

/// Hours previewed when the request names none.
const DEFAULT_HOURS: u32 = 24;
/// The most hours a preview may ask for (it reads at most what is stored).
const MAX_HOURS: u32 = 24 * 31;

/// `?hours=`.
#[derive(Debug, Deserialize)]
pub(crate) struct PreviewQuery {
    hours: Option<String>,
}

/// What an edited zone set would have raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResult {
    /// Hours previewed.
    pub hours: u32,
    /// Start of the window of lines received (RFC 3339).
    pub from: String,
    /// Its end (now).
    pub to: String,
    /// Lines read from the raw archive.
    pub lines: u64,
    /// Messages decoded from them.
    pub messages: u64,
    /// Each alert's latest change with the zones in force.
    #[schema(value_type = Vec<Object>)]
    pub was: Vec<Box<RawValue>>,
    /// Each alert's latest change with the edited zones.
    #[schema(value_type = Vec<Object>)]
    pub would_be: Vec<Box<RawValue>>,
    /// Per alert kind: counts, and ids added, removed and unchanged.
    pub summary: BTreeMap<String, Compared>,
    /// Seconds the preview took.
    pub seconds: f64,
}

#[utoipa::path(
    post,
    path = "/api/v1/zones/preview",
    operation_id = "preview_zones",
    tag = "zones",
    params(("hours" = Option<u32>, Query, description = "Hours of received lines to run, 1–744 (default 24; at most what the raw archive holds)")),
    request_body(content = Object, description = "The whole edited zone set as one GeoJSON FeatureCollection"),
    responses(
        (status = 200, description = "The alerts the zones in force and the edited ones raise over the same lines", body = PreviewResult),
        (status = 400, description = "A bad `hours`, or a body that is not JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 409, description = "No raw archive here to preview over", body = ErrorBody),
        (status = 422, description = "The edited zones would not load; every problem named", body = InvalidBody),
        (status = 503, description = "Too many queries running", body = ErrorBody),
    )
)]
/// Runs the stored lines of the last `hours` through the detectors with
/// the edited zones and with the zones in force, off the engine (admin).
pub(crate) async fn preview(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Params(q): Params<PreviewQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&scope, "previewing zones needs an admin token")?;
    let hours = match q.hours.as_deref() {
        None => DEFAULT_HOURS,
        Some(h) => h
            .parse::<u32>()
            .ok()
            .filter(|h| (1..=MAX_HOURS).contains(h))
            .ok_or_else(|| {
                ApiError::bad("hours", format!("expected 1 to {MAX_HOURS}, not {h:?}"))
            })?,
    };
    if body.len() > super::zone_edit::MAX_BODY {
        return Err(ApiError::bad("body", "too large"));
    }
    let previewer =
        state.ctx.preview.clone().ok_or_else(|| {
            ApiError::Conflict("no raw archive on this node to preview over".into())
        })?;
    let check = super::zone_edit::checks(&state);
    let edited = tokio::task::spawn_blocking(move || edit::load_request(&body, check.as_ref()))
        .await?
        .map_err(|errors| ApiError::Invalid {
            message: format!(
                "the edited zones would not load: {} problem(s)",
                errors.len()
            ),
            errors,
        })?;
    let now = aiswatch_zones::ZoneSet::clone(&state.ctx.zones.borrow().set);
    let permit = state.permit()?;
    let to = now_ms();
    let from = to - i64::from(hours) * 3600 * MS_PER_S;
    blocking_json_touched(permit, move || {
        let started = std::time::Instant::now();
        let zones: Vec<String> = edited.zones().iter().map(|z| z.id.to_string()).collect();
        let out = previewer
            .run(from, to, now, edited)
            .map_err(|e| ApiError::Conflict(format!("preview failed: {e}")))?;
        let json =
            |alerts: &[aiswatch_engine::alert::Alert]| -> Result<Vec<Box<RawValue>>, ApiError> {
                alerts
                    .iter()
                    .map(|a| RawValue::from_string(a.to_json()).map_err(ApiError::json("an alert")))
                    .collect()
            };
        let result = PreviewResult {
            hours,
            from: rfc3339(from),
            to: rfc3339(to),
            lines: out.lines,
            messages: out.messages,
            summary: out.summary(),
            was: json(&out.was)?,
            would_be: json(&out.would_be)?,
            seconds: started.elapsed().as_secs_f64(),
        };
        let touched = Touched {
            zones,
            count: Some(out.would_be.len() as u64),
            ..Touched::default()
        };
        Ok((result, Some(touched)))
    })
    .await
}
