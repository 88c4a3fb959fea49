//! The audit layer (one record per request under `/api/v1`, written off
//! the request path), `GET /api/v1/audit`, `GET /api/v1/audit/{seq}` and
//! `POST /api/v1/session` (the console's sign-in).

use axum::extract::{MatchedPath, Path, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, RequestExt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ok_json, params, ApiError, AppState, Params};
use crate::audit::{Entry, Ids, Record, Touched};
use crate::storage::audit::{AuditFilter, StoredRecord};
use crate::storage::Scope;

/// Routes not recorded: they read no data.
const NOT_AUDITED: &[&str] = &["/api/v1/status", "/api/v1/openapi.json"];

/// The action of a request: its method and route template.
fn action(method: &Method, route: &str) -> &'static str {
    let r = route.strip_prefix("/api/v1").unwrap_or(route);
    match (method.as_str(), r) {
        ("GET", "/vessels") => "vessels.search",
        ("GET", "/vessels/:mmsi") => "vessel.read",
        ("GET", "/vessels/:mmsi/track") => "track.read",
        ("GET", "/positions") => "positions.search",
        ("GET", "/alerts") => "alerts.list",
        ("GET", "/alerts/stream") => "alerts.stream",
        ("GET", "/alerts/:id") => "alert.read",
        ("POST", "/alerts/:id/ack") => "alert.ack",
        ("GET", "/alerts/:id/evidence") => "evidence.export",
        ("POST", "/alerts/:id/hold") => "hold.place",
        ("DELETE", "/alerts/:id/hold") => "hold.release",
        ("GET", "/holds") => "holds.list",
        ("GET", "/zones") => "zones.read",
        ("GET", "/zones/:id") => "zone.read",
        ("PUT", "/zones/:id") => "zone.save",
        ("DELETE", "/zones/:id") => "zone.delete",
        ("GET", "/zones/:id/versions") => "zone.versions",
        ("POST", "/zones/check") => "zones.check",
        ("POST", "/zones/preview") => "zones.preview",
        ("GET", "/deliveries") => "deliveries.list",
        ("POST", "/deliveries/:id/retry") => "delivery.retry",
        ("GET", "/federation") => "federation.status",
        ("POST", "/federation/evidence_requests/:partner/:request/:decision") => {
            "federation.evidence_decision"
        }
        ("GET", "/federation/checkpoints/:partner") => "federation.checkpoints",
        ("GET", "/audit") | ("GET", "/audit/:seq") => "audit.read",
        ("POST", "/session") => "console.login",
        _ => "api.other",
    }
}

/// The actor string of a token's scope.
pub(crate) fn actor(scope: &Scope) -> String {
    match scope {
        Scope::Admin => "admin".to_owned(),
        Scope::Centre(c) => format!("centre:{}", c.as_str()),
    }
}

/// Middleware (inside the token check): records the request once its
/// response is ready: who, what, which ids (path parameters and what the
/// handler reports in [`Touched`]), and the status.
pub(crate) async fn record(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let audit = state.ctx.audit.clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let (Some(route), true) = (route, audit.is_on()) else {
        return next.run(req).await;
    };
    if NOT_AUDITED.contains(&route.as_str()) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let who = req
        .extensions()
        .get::<Caller>()
        .map_or_else(|| "unknown".to_owned(), |c| actor(&c.0));
    let mut ids = Ids::default();
    if let Ok(p) = req.extract_parts::<RawPathParams>().await {
        for (k, v) in &p {
            match k {
                "id" if route.starts_with("/api/v1/alerts/") => ids.alerts.push(v.to_owned()),
                "mmsi" => {
                    if let Ok(m) = v.parse() {
                        ids.mmsis.push(m);
                    }
                }
                _ => {}
            }
        }
    }
    let mut e = Entry::now(
        who,
        action(&method, &route),
        format!("{method} {}", template(&route)),
    );
    let resp = next.run(req).await;
    if let Some(t) = resp.extensions().get::<Touched>() {
        ids.alerts.extend(t.alerts.iter().cloned());
        ids.mmsis.extend(t.mmsis.iter().copied());
        ids.zones.extend(t.zones.iter().cloned());
        e.count = t.count;
    }
    ids.alerts.dedup();
    ids.mmsis.dedup();
    e.ids = ids;
    e.status = resp.status().as_u16();
    audit.record(e);
    resp
}

/// `/alerts/:id` as `/alerts/{id}`.
fn template(route: &str) -> String {
    route
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One audit record as the API shows it: the record, its hash and the
/// hash it links from.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Its place in the chain.
    pub seq: u64,
    /// When (RFC 3339, wall clock).
    pub at: String,
    /// `admin`, `centre:ID`, `partner:ID` or `system`.
    pub actor: String,
    /// What, e.g. `alert.read`.
    pub action: String,
    /// `GET /api/v1/alerts/{id}`, or what did it outside the API.
    pub route: String,
    /// What it touched (`alerts`, `mmsis`, `zones`; a centre sees only its
    /// alerts in others' records).
    #[schema(value_type = Object)]
    pub ids: Ids,
    /// HTTP status (0 where there is none).
    pub status: u16,
    /// Items a list returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Its hash (hex).
    pub hash: String,
    /// The previous record's hash (hex).
    pub prev: String,
}

fn view(r: StoredRecord) -> Result<AuditView, ApiError> {
    let rec: Record = serde_json::from_str(&r.record).map_err(ApiError::json("an audit record"))?;
    Ok(AuditView {
        seq: r.seq,
        at: rec.at,
        actor: rec.actor,
        action: rec.action,
        route: rec.route,
        ids: rec.ids,
        status: rec.status,
        count: rec.count,
        hash: r.hash,
        prev: r.prev,
    })
}

/// A page of audit records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// The records.
    pub records: Vec<AuditView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Which audit records.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this actor: `admin`, `centre:ID`, `partner:ID` or `system`.
    #[param(pattern = "^[^\\u0000]*$")]
    actor: Option<String>,
    /// Only this action, e.g. `alert.read`.
    #[param(pattern = "^[^\\u0000]*$")]
    action: Option<String>,
    /// Only records that touched this alert.
    #[param(pattern = "^[^\\u0000]*$")]
    alert: Option<String>,
    /// Only records that touched this vessel.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 999_999_999)]
    mmsi: Option<String>,
    /// Only records made at or after this time (RFC 3339, wall clock).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Only records made at or before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    /// Page size: default 1000, at most `[api] max_page`.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<u64>)]
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit records, newest first", body = AuditList),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// The audit trail: an admin reads all of it; a centre its own records and
/// every access to the alerts routed to it.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Params(q): Params<AuditQuery>,
) -> Result<Response, ApiError> {
    let store = state.store()?;
    let limit = state.page_size(q.limit.as_deref())?;
    let text = |name: &'static str, v: Option<String>| -> Result<Option<String>, ApiError> {
        match v {
            Some(s) if s.trim().is_empty() => Err(ApiError::bad(name, "must not be empty")),
            v => Ok(v),
        }
    };
    let f = AuditFilter {
        viewer: scope,
        actor: text("actor", q.actor)?,
        action: text("action", q.action)?,
        alert: text("alert", q.alert)?,
        mmsi: q
            .mmsi
            .as_deref()
            .map(|m| params::mmsi("mmsi", m))
            .transpose()?
            .map(|m| m.0),
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
        before: q
            .cursor
            .as_deref()
            .map(|c| {
                c.trim().parse::<u64>().map_err(|_| {
                    ApiError::bad("cursor", format!("must be a record seq, not {c:?}"))
                })
            })
            .transpose()?,
        limit,
    };
    let mut rows = store.audit(&f).await?;
    let next_cursor = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|r| r.seq.to_string())
    });
    let records = rows.into_iter().map(view).collect::<Result<Vec<_>, _>>()?;
    ok_json(&AuditList {
        records,
        next_cursor: next_cursor.flatten(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/{seq}",
    operation_id = "get_audit_record",
    tag = "audit",
    params(("seq" = u64, Path, description = "The record's seq")),
    responses(
        (status = 200, description = "The record", body = AuditView),
        (status = 400, description = "Not a record number", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such record, or not one this token may read", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// One audit record.
pub(crate) async fn one(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(seq): Path<String>,
) -> Result<Response, ApiError> {
    let n: u64 = seq
        .parse()
        .map_err(|_| ApiError::bad("seq", format!("not a record number: {seq:?}")))?;
    match state.store()?.audit_record(n, &scope).await? {
        Some(r) => ok_json(&view(r)?),
        None => Err(ApiError::NotFound(format!(
            "no audit record {n} for this token"
        ))),
    }
}

/// Who signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// `admin` or `centre:ID`.
    pub actor: String,
    /// The language the token's centre reads (BCP 47; `en` for an
    /// administrator): summaries come in it, the console starts in it.
    pub lang: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    operation_id = "sign_in",
    tag = "audit",
    responses(
        (status = 200, description = "The token is known; who it is", body = Session),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    )
)]
/// The console's sign-in: says who the token is (and is recorded as
/// `console.login`).
pub(crate) async fn session(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
) -> Result<Response, ApiError> {
    ok_json(&Session {
        actor: actor(&scope),
        lang: state
            .lang(&scope)
            .unwrap_or(aiswatch_i18n::ENGLISH)
            .to_owned(),
    })
}

/// `Touched` for a response listing `alerts`.
pub(crate) fn touched_alerts<'a>(alerts: impl IntoIterator<Item = &'a str>) -> Touched {
    let alerts: Vec<String> = alerts.into_iter().map(str::to_owned).collect();
    Touched {
        count: Some(alerts.len() as u64),
        alerts,
        ..Touched::default()
    }
}
