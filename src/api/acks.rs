//! `POST /api/v1/alerts/{id}/ack`: an officer acknowledges an alert (who,
//! a note; the time is the server's). Stored per centre and shown to that
//! centre's officers in `GET /api/v1/alerts` and `GET /api/v1/alerts/{id}`,
//! and pushed to that centre's live streams (`event: ack`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ok_json, ApiError, AppState};
use crate::deliver::hub::AckEvent;
use crate::storage::Ack;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::{now_ms, rfc3339};

/// Longest `by`, in characters.
const MAX_BY: usize = 100;
/// Longest `note`, in characters.
const MAX_NOTE: usize = 2000;
/// Largest request body, bytes.
const MAX_BODY: usize = 16 * 1024;

/// An acknowledgement, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckView {
    /// The alert acknowledged.
    #[schema(value_type = String)]
    pub alert_id: AlertId,
    /// The centre whose token acknowledged it; null for an admin token.
    #[schema(value_type = Option<String>)]
    pub centre: Option<aiswatch_core::ids::CentreId>,
    /// Who acknowledged it.
    pub by: String,
    /// Their note (may be empty).
    pub note: String,
    /// When (the server's clock, RFC 3339).
    pub at: String,
}

impl From<Ack> for AckView {
    fn from(a: Ack) -> Self {
        AckView {
            alert_id: a.alert_id,
            centre: a.centre,
            by: a.by,
            note: a.note,
            at: rfc3339(a.at),
        }
    }
}

/// The request body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// Who acknowledges (name or call sign of the officer), 1–100 characters,
    /// not only spaces, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub by: String,
    /// What was done or decided, at most 2,000 characters (line breaks and
    /// tabs allowed, no other control characters).
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub note: String,
}

/// `s` trimmed, at most `max` characters, without control characters (but
/// line breaks and tabs when `multiline`).
pub(super) fn text(
    param: &'static str,
    s: &str,
    max: usize,
    multiline: bool,
) -> Result<String, ApiError> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(ApiError::bad(
            param,
            format!("at most {max} characters, not {}", s.chars().count()),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err(ApiError::bad(param, "contains control characters"));
    }
    Ok(s.to_owned())
}

/// Checks and tidies a request body.
fn parse(body: &[u8]) -> Result<AckRequest, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::bad(
            "body",
            format!("at most {MAX_BODY} bytes, not {}", body.len()),
        ));
    }
    let req: AckRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "body",
            format!("expected JSON {{\"by\": \"…\", \"note\": \"…\"}}: {e}"),
        )
    })?;
    let by = text("by", &req.by, MAX_BY, false)?;
    if by.is_empty() {
        return Err(ApiError::bad("by", "must name who acknowledges"));
    }
    Ok(AckRequest {
        by,
        note: text("note", &req.note, MAX_NOTE, true)?,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/ack",
    operation_id = "ack_alert",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    request_body = AckRequest,
    responses(
        (status = 201, description = "Stored; shown to the officers of the caller's centre, and sent to its live streams as `event: ack`", body = AckView),
        (status = 400, description = "A bad body or id, naming the field", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such alert, or not routed to the caller's centre", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// Acknowledges an alert: who and a note, at the server's time. An alert
/// may be acknowledged more than once (each is kept); it stays open until
/// the event ends.
pub(crate) async fn ack(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::params::text("id", &id)?;
    let req = parse(&body)?;
    let store = state.store()?;
    let id = AlertId::from(id.as_str());
    match store
        .ack_alert(&id, &scope, &req.by, &req.note, now_ms())
        .await?
    {
        Some(a) => {
            let view = AckView::from(a);
            let mut r = ok_json(&view)?;
            if let (Some(hub), Ok(json)) = (&state.ctx.hub, serde_json::to_string(&view)) {
                hub.acked(AckEvent {
                    centre: view.centre.clone(),
                    json: json.into(),
                });
            }
            *r.status_mut() = StatusCode::CREATED;
            Ok(r)
        }
        None => Err(ApiError::NotFound(format!("no such alert: {id}"))),
    }
}
