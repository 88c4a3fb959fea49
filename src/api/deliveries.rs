//! `GET /api/v1/deliveries` and `POST /api/v1/deliveries/{id}/retry`
//! (admin tokens only): the outbox as an administrator sees it, dead
//! letters (`state=failed`) first among the things to look at.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{admin_only, Caller};
use super::error::ErrorBody;
use super::{ok_json, touched_response, ApiError, AppState, Params};
use crate::deliver::sink::Channel;
use crate::storage::delivery::{DeliveryFilter, DeliveryView, RetryResult};

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// One entry per (alert change, centre, channel).
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Which deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `pending`, `delivered` or `failed` (dead letters).
    #[param(pattern = "^(pending|delivered|failed)$")]
    state: Option<String>,
    /// Only this centre.
    #[param(pattern = "^[^\\u0000]*$")]
    centre: Option<String>,
    /// Only this channel: `webhook`, `mqtt`, `nats` or `partner`.
    #[param(pattern = "^(webhook|mqtt|nats|partner)$")]
    channel: Option<String>,
    /// Page size: default 1000, at most `[api] max_page`.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<i64>)]
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    operation_id = "list_deliveries",
    tag = "delivery",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "Deliveries, newest first", body = DeliveryList),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = ErrorBody),
    )
)]
/// Deliveries of alert changes to the centres' channels (admin).
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Params(q): Params<DeliveriesQuery>,
) -> Result<Response, ApiError> {
    admin_only(&scope, "deliveries need an admin token")?;
    let st = match q.state.as_deref() {
        None => None,
        Some(s @ ("pending" | "delivered" | "failed")) => Some(s.to_owned()),
        Some(s) => {
            return Err(ApiError::bad(
                "state",
                format!("must be pending, delivered or failed, not {s:?}"),
            ))
        }
    };
    let channel = match q.channel.as_deref() {
        None => None,
        Some(c) => Some(Channel::parse(c).ok_or_else(|| {
            ApiError::bad(
                "channel",
                format!("must be webhook, mqtt, nats or partner, not {c:?}"),
            )
        })?),
    };
    let before =
        match q.cursor.as_deref() {
            None => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ApiError::bad("cursor", format!("not a cursor of this query: {c:?}"))
            })?),
        };
    let limit = state.page_size(q.limit.as_deref())?;
    let filter = DeliveryFilter {
        state: st,
        centre: q.centre.map(Into::into),
        channel,
        before,
        limit: limit + 1,
    };
    let store = state.store()?;
    let _permit = state.permit()?;
    let mut deliveries = store.deliveries(&filter).await?;
    let next_cursor = if deliveries.len() > limit {
        deliveries.truncate(limit);
        deliveries.last().map(|d| d.id.to_string())
    } else {
        None
    };
    let touched = super::audit::touched_alerts(
        deliveries
            .iter()
            .filter(|d| d.checkpoint.is_none())
            .map(|d| d.alert_id.as_str()),
    );
    let resp = ok_json(&DeliveryList {
        deliveries,
        next_cursor,
    })?;
    Ok(touched_response(resp, Some(touched)))
}

/// What a retry did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// The delivery, queued again.
    pub id: i64,
    /// Always `pending`.
    pub state: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/deliveries/{id}/retry",
    operation_id = "retry_delivery",
    tag = "delivery",
    params(("id" = i64, Path, description = "The delivery's id")),
    responses(
        (status = 200, description = "Queued again; its give-up clock restarts", body = Retried),
        (status = 400, description = "Not a delivery id (an integer that fits in 64 bits)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "Not a dead letter (pending or delivered)", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// Queues a dead-lettered delivery again (admin).
pub(crate) async fn retry(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&scope, "deliveries need an admin token")?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("not a delivery id: {id:?}")))?;
    let store = state.store()?;
    match store
        .retry_delivery(id, aiswatch_core::time::now_ms())
        .await?
    {
        RetryResult::Queued => {
            if let Some(h) = &state.ctx.hub {
                h.wake();
            }
            ok_json(&Retried {
                id,
                state: "pending".into(),
            })
        }
        RetryResult::NotFound => Err(ApiError::NotFound(format!("no delivery {id}"))),
        RetryResult::NotFailed(s) => Err(ApiError::Conflict(format!(
            "delivery {id} is {s}, not failed: nothing to retry"
        ))),
    }
}
