//! `GET /api/v1/alerts` and `GET /api/v1/alerts/{id}`: stored alerts, as
//! the engine emitted them (the JSON is passed through unchanged), limited
//! to what the caller's token may see.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use std::collections::BTreeMap;

use super::acks::AckView;
use super::auth::Caller;
use super::error::ErrorBody;
use super::{blocking_json_touched, ok_json, params, ApiError, AppState, Params};
use crate::storage::AlertFilter;
use aiswatch_core::ids::AlertId;
use aiswatch_engine::alert::Kind;

/// A page of alerts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Each alert's latest state, exactly as emitted (see the alert format in `src/alert.rs`).
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Box<RawValue>>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// The latest acknowledgement of each listed alert that has one, by
    /// alert id (a centre's token: its centre's acknowledgements only).
    #[schema(value_type = BTreeMap<String, AckView>)]
    pub acks: BTreeMap<AlertId, AckView>,
}

/// One alert and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    /// The latest state, exactly as emitted.
    #[schema(value_type = Object)]
    pub alert: Box<RawValue>,
    /// Every state change, first to last, exactly as emitted.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<Box<RawValue>>,
    /// Every acknowledgement, oldest first (a centre's token: its centre's only).
    pub acks: Vec<AckView>,
}

/// Which alerts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only this zone id.
    #[param(pattern = "^[^\\u0000]*$")]
    zone: Option<String>,
    /// Only this detector's alerts (its kind, e.g. `dark_period`).
    kind: Option<String>,
    /// `open` (latest state open or update) or `closed`.
    #[param(pattern = "^(open|closed)$")]
    state: Option<String>,
    /// Only alerts involving this vessel.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 999_999_999)]
    mmsi: Option<String>,
    /// Only alerts still going on at or after this time (RFC 3339, event time).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Only alerts begun at or before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    /// Page size: default 1000, at most `[api] max_page`.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<i64>)]
    cursor: Option<String>,
}

/// A stored alert change as the caller reads it: a centre's token reads
/// its summary in the centre's language.
fn raw(json: String, lang: Option<&str>) -> Result<Box<RawValue>, ApiError> {
    let json = match lang {
        Some(l) => crate::localize::alert_json(&json, l),
        None => json,
    };
    RawValue::from_string(json).map_err(ApiError::json("a stored alert"))
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "list_alerts",
    tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, description = "Alerts' latest states, newest first", body = AlertList),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "No store, or too many queries running", body = ErrorBody),
    )
)]
/// Alerts visible to the caller (a centre's token: those routed to it), newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Params(q): Params<AlertsQuery>,
) -> Result<Response, ApiError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            let (last, rest) = names.split_last().unwrap_or((&"", &[]));
            ApiError::bad(
                "kind",
                format!("must be {} or {last}, not {k:?}", rest.join(", ")),
            )
        })?),
    };
    let open = match q.state.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(s) => {
            return Err(ApiError::bad(
                "state",
                format!("must be open or closed, not {s:?}"),
            ))
        }
    };
    let cursor =
        match q.cursor.as_deref() {
            None => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ApiError::bad("cursor", format!("not a cursor of this query: {c:?}"))
            })?),
        };
    let filter = AlertFilter {
        scope,
        zone: q.zone,
        kind,
        open,
        mmsi: q
            .mmsi
            .as_deref()
            .map(|m| params::mmsi("mmsi", m))
            .transpose()?,
        since: q
            .since
            .as_deref()
            .map(|s| params::time("since", s))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|s| params::time("until", s))
            .transpose()?,
        limit: state.page_size(q.limit.as_deref())?,
        cursor,
    };
    let store = state.store()?;
    let permit = state.permit()?;
    let page = store.alerts(&filter).await?;
    let ns: Vec<i64> = page.alerts.iter().map(|a| a.n).collect();
    let acks = store.acks(&ns, &filter.scope).await?;
    let touched = super::audit::touched_alerts(page.alerts.iter().map(|a| a.id.as_str()));
    let lang = state.lang(&filter.scope);
    blocking_json_touched(permit, move || {
        let list = AlertList {
            // Oldest first: the latest of each alert is the one kept.
            acks: acks
                .into_iter()
                .map(|a| (a.alert_id.clone(), AckView::from(a)))
                .collect(),
            alerts: page
                .alerts
                .into_iter()
                .map(|a| raw(a.json, lang))
                .collect::<Result<_, _>>()?,
            next_cursor: page.next_cursor.map(|n| n.to_string()),
        };
        Ok((list, Some(touched)))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    operation_id = "get_alert",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id (`kind:zone:mmsi[-mmsi]:start-unix-seconds`)")),
    responses(
        (status = 200, description = "The alert's latest state and every state change", body = AlertDetail),
        (status = 400, description = "A bad id (a NUL character)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such alert, or not routed to the caller's centre", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// One alert with every state change. Another centre's alert is answered
/// exactly as one that does not exist.
pub(crate) async fn one(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    params::text("id", &id)?;
    let store = state.store()?;
    let Some(h) = store.alert(&AlertId::from(id.as_str()), &scope).await? else {
        return Err(ApiError::NotFound(format!("no such alert: {id:?}")));
    };
    let acks = store.acks(&[h.latest.n], &scope).await?;
    let lang = state.lang(&scope);
    ok_json(&AlertDetail {
        acks: acks.into_iter().map(AckView::from).collect(),
        alert: raw(h.latest.json, lang)?,
        changes: h
            .changes
            .into_iter()
            .map(|c| raw(c, lang))
            .collect::<Result<_, _>>()?,
    })
}
