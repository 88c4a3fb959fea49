//! HTTP: the read API v1 for patrol planners and regional centres, health
//! probes and Prometheus `/metrics`.
//!
//! ```text
//! engine ──watch<Arc<Snapshot>>──▶ api ◀── store (history, alerts)
//! ```
//!
//! Queries never run on the engine task: current vessels come from the
//! engine's [`Snapshot`] (refreshed at most once a second, and only while
//! somebody asks, see [`ApiContext::want_snapshot`]); history and alerts
//! come from the [`Store`]. Heavy queries (vessel searches, tracks,
//! positions, alert lists) each hold a permit of a semaphore sized
//! `[api] max_concurrent_queries` and do their CPU work (spatial search,
//! simplification, JSON encoding) on the blocking pool, so the async
//! workers stay free for `/healthz`, `/readyz` and `/metrics`.
//!
//! Routes (all under `/api/v1` need a bearer token once any is configured,
//! except `openapi.json`, `i18n` and what partners sign):
//!
//! - `GET /api/v1/status` — engine clock, counts, storage state.
//! - `GET /api/v1/vessels?bbox=…` or `?lon=&lat=&radius_m=` — current vessels.
//! - `GET /api/v1/vessels/{mmsi}` — one vessel's state and static data.
//! - `GET /api/v1/vessels/{mmsi}/track?from=&to=&simplify_m=` — a GeoJSON track.
//! - `GET /api/v1/positions?bbox=&from=&to=` — who was in a box in a window.
//! - `GET /api/v1/alerts?…`, `GET /api/v1/alerts/{id}` — stored alerts.
//! - `POST`/`DELETE /api/v1/alerts/{id}/hold`, `GET /api/v1/holds` — legal
//!   holds (admin, see `holds.rs`).
//! - `GET /api/v1/zones` (`?at=` the zones in force then) — zones as GeoJSON;
//!   `GET`/`PUT`/`DELETE /api/v1/zones/{id}`, `GET /api/v1/zones/{id}/versions`,
//!   `POST /api/v1/zones/check` — zones for administrators (see
//!   `zone_edit.rs`); `POST /api/v1/zones/preview` — an edited zone set
//!   run over stored history (see `zone_preview.rs`).
//! - `/api/v1/federation…` — partner installations (see `federation.rs`).
//! - `GET /api/v1/audit`, `GET /api/v1/audit/{seq}` — the audit trail; `POST /api/v1/session` — sign-in.
//! - `GET /api/v1/openapi.json` — the OpenAPI 3 document, generated from the types.
//! - `GET /api/v1/i18n`, `GET /api/v1/i18n/{tag}` — the console's languages
//!   and its messages in one of them (see `i18n.rs`).
//! - `GET /healthz`, `GET /readyz`, `GET /metrics`.
//!
//! Every error is JSON `{"error": "…"}`; a bad parameter's message starts
//! with the parameter's name. A text parameter (query or path) holding a
//! NUL character is such a 400 on every store: no stored text holds one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::async_trait;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::audit::Touched;
use crate::storage::Scope;

use crate::metrics::Metrics;
use crate::storage::writer::WriterStats;
use crate::storage::Store;
use aiswatch_core::time::{now_ms, Millis};
use aiswatch_engine::snapshot::Snapshot;
pub use config::{ApiConfig, HttpConfig};

mod acks;
mod alerts;
mod audit;
mod auth;
pub mod config;
mod deliveries;
mod error;
mod evidence;
mod federation;
mod health;
mod history;
mod holds;
mod i18n;
mod openapi;
mod params;
mod server;
mod stream;
mod vessels;
mod web;
mod zone_edit;
mod zone_preview;
mod zones;

#[cfg(test)]
mod tests;

pub use error::ApiError;
pub use openapi::ApiDoc;

/// The engine's heartbeat older than this means the engine is stalled.
pub const ENGINE_STALL_MS: Millis = 5_000;
/// A snapshot older than this is refreshed before a query reads it (when the engine is alive).
const MAX_SNAPSHOT_AGE_MS: Millis = 2_000;
/// How long a query waits for the engine to publish a fresher snapshot.
const SNAPSHOT_WAIT: Duration = Duration::from_millis(1_500);
/// Page size when a query names none.
const DEFAULT_PAGE: usize = 1_000;

/// What the API reads and who may read it. Cheap to clone.
#[derive(Clone)]
pub struct ApiContext {
    /// Prometheus metrics rendered by `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The engine's latest copy of current vessels.
    pub snapshot: watch::Receiver<Arc<Snapshot>>,
    /// Set on every query that reads the snapshot; the engine refreshes the
    /// snapshot (at most once a second) only while it is set.
    pub want_snapshot: Arc<AtomicBool>,
    /// History and alerts; `None`: endpoints that need it answer 503.
    pub store: Option<Store>,
    /// The storage writer's counters (status, readiness).
    pub storage: Arc<WriterStats>,
    /// The zones in force, swapped on every live reload, and how the last
    /// reload went ([`crate::live_zones::fixed`] for zones that never change).
    pub zones: crate::live_zones::LiveZones,
    /// Writes zone edits to the zone files and reloads them; `None`: zones
    /// are not editable here (no zones directory).
    pub zone_editor: Option<crate::live_zones::Editor>,
    /// Runs edited zones over the raw archive (`POST /zones/preview`);
    /// `None`: no archive on this node.
    pub preview: Option<Arc<crate::preview::Previewer>>,
    /// Tokens and what each may see (from `Config::tokens()`); empty: the API is open.
    pub tokens: Vec<(String, Scope)>,
    /// Query limits.
    pub limits: ApiConfig,
    /// Wall-clock ms of the engine task's last tick (updated every second).
    pub engine_heartbeat: Arc<AtomicI64>,
    /// Every source has started.
    pub sources_ready: Arc<AtomicBool>,
    /// How far the engine's rebuild from the store is (done once it has
    /// rebuilt).
    pub rebuild: Arc<crate::storage::rebuild::Progress>,
    /// Committed alert changes, for the live stream; `None`: no stream.
    pub hub: Option<Arc<crate::deliver::hub::Hub>>,
    /// Centres' kinds filters, for the live stream.
    pub routes: Arc<[crate::deliver::sink::Route]>,
    /// What evidence bundles are made from (its zones are replaced by those
    /// in force per request); `None`: the evidence route answers 503.
    pub evidence: Option<crate::evidence::ExportContext>,
    /// Partner installations; `None`: none configured (the inbox refuses).
    pub federation: Option<Arc<crate::federation::Federation>>,
    /// The audit trail every request under `/api/v1` is recorded in.
    pub audit: crate::audit::Audit,
    /// This node of a cluster (`None`: one process, `--role all`).
    pub cluster: Option<Arc<crate::cluster::NodeStatus>>,
}

/// The router's shared state: the context plus what is derived from it once.
pub(crate) struct ApiState {
    /// What the API reads.
    pub(crate) ctx: ApiContext,
    /// One permit per heavy query running.
    pub(crate) limiter: Arc<Semaphore>,
    /// One permit per live stream open.
    pub(crate) streams: Arc<Semaphore>,
    tokens: auth::Tokens,
    openapi: String,
}

type AppState = Arc<ApiState>;

impl ApiState {
    /// The language a centre's token reads summaries in (its centre's);
    /// `None` for an administrator, who reads alerts as stored (English).
    pub(crate) fn lang(&self, scope: &Scope) -> Option<&'static str> {
        match scope {
            Scope::Admin => None,
            Scope::Centre(c) => Some(crate::deliver::sink::Route::lang_of(&self.ctx.routes, c)),
        }
    }

    pub(crate) fn new(ctx: ApiContext) -> Self {
        let tokens = auth::Tokens::new(&ctx.tokens);
        let limiter = Arc::new(Semaphore::new(ctx.limits.max_concurrent_queries.max(1)));
        let streams = Arc::new(Semaphore::new(ctx.limits.max_streams.max(1)));
        ApiState {
            ctx,
            limiter,
            streams,
            tokens,
            openapi: openapi::document(),
        }
    }

    /// A permit for one heavy query, or 503 when all are taken.
    fn permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.limiter
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy)
    }

    fn store(&self) -> Result<&Store, ApiError> {
        self.ctx.store.as_ref().ok_or(ApiError::NoStore)
    }

    /// Whether the engine ticked within [`ENGINE_STALL_MS`] of `now`.
    fn engine_alive(&self, now: Millis) -> bool {
        let hb = self.ctx.engine_heartbeat.load(Ordering::Relaxed);
        hb > 0 && now - hb <= ENGINE_STALL_MS && self.ctx.rebuild.rebuilding().is_none()
    }

    /// The current snapshot, without waiting (asks the engine for a fresh one).
    fn snapshot_now(&self) -> Arc<Snapshot> {
        self.ctx.want_snapshot.store(true, Ordering::Relaxed);
        self.ctx.snapshot.borrow().clone()
    }

    /// The snapshot, refreshed first if it is old and the engine is alive:
    /// the engine copies only while asked, so after a quiet spell the copy
    /// it holds may be minutes old.
    async fn snapshot(&self) -> Arc<Snapshot> {
        self.ctx.want_snapshot.store(true, Ordering::Relaxed);
        let mut rx = self.ctx.snapshot.clone();
        let snap = rx.borrow_and_update().clone();
        let now = now_ms();
        if now - snap.taken_at <= MAX_SNAPSHOT_AGE_MS || !self.engine_alive(now) {
            return snap;
        }
        if tokio::time::timeout(SNAPSHOT_WAIT, rx.changed())
            .await
            .is_err()
        {
            warn!(
                age_ms = now - snap.taken_at,
                "Engine did not refresh its snapshot in time; answering from the old one."
            );
        }
        let fresh = rx.borrow().clone();
        fresh
    }

    /// Page size from `limit`: default [`DEFAULT_PAGE`], at most `max_page`.
    fn page_size(&self, limit: Option<&str>) -> Result<usize, ApiError> {
        let max = self.ctx.limits.max_page.max(1);
        match limit {
            None => Ok(DEFAULT_PAGE.min(max)),
            // Any size up to the largest 64-bit integer is taken, as the
            // API document says, and capped at `max_page`.
            Some(s) => match s.trim().parse::<i64>() {
                Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max)),
                _ => Err(ApiError::bad(
                    "limit",
                    format!("must be a positive integer (at most {max}), not {s:?}"),
                )),
            },
        }
    }
}

/// Builds the HTTP router over `ctx`.
pub fn router(ctx: ApiContext) -> Router {
    router_with(Arc::new(ApiState::new(ctx)))
}

fn router_with(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/status", get(health::status))
        .route("/vessels", get(vessels::list))
        .route("/vessels/:mmsi", get(vessels::one))
        .route("/vessels/:mmsi/track", get(history::track))
        .route("/positions", get(history::positions))
        .route("/alerts", get(alerts::list))
        .route("/alerts/stream", get(stream::stream))
        .route("/alerts/:id", get(alerts::one))
        .route("/alerts/:id/ack", axum::routing::post(acks::ack))
        .route("/alerts/:id/evidence", get(evidence::bundle))
        .route(
            "/alerts/:id/hold",
            axum::routing::post(holds::place).delete(holds::release),
        )
        .route("/holds", get(holds::list))
        .route("/zones", get(zones::list))
        .route("/zones/check", axum::routing::post(zone_edit::check))
        .route("/zones/preview", axum::routing::post(zone_preview::preview))
        .route(
            "/zones/:id",
            get(zone_edit::one)
                .put(zone_edit::save)
                .delete(zone_edit::delete),
        )
        .route("/zones/:id/versions", get(zone_edit::versions))
        .route("/deliveries", get(deliveries::list))
        .route(
            "/deliveries/:id/retry",
            axum::routing::post(deliveries::retry),
        )
        .route("/federation", get(federation::status))
        .route(
            "/federation/evidence_requests/:partner/:request/:decision",
            axum::routing::post(federation::decide),
        )
        .route(
            "/federation/checkpoints/:partner",
            get(federation::partner_checkpoints),
        )
        .route("/audit", get(audit::list))
        .route("/audit/:seq", get(audit::one))
        .route("/session", axum::routing::post(audit::session))
        // Only the routes above: the OpenAPI document and the console's
        // words are public, and
        // partners sign what they send instead of holding a token. The
        // token is checked first, then the request is recorded.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ))
        .route("/openapi.json", get(openapi::serve))
        .route("/i18n", get(i18n::list))
        .route("/i18n/:tag", get(i18n::messages))
        .route("/federation/inbox", axum::routing::post(federation::inbox))
        .route(
            "/federation/evidence",
            axum::routing::post(federation::evidence),
        )
        .route(
            "/federation/checkpoints",
            axum::routing::post(federation::checkpoint),
        );
    Router::new()
        .nest("/api/v1", v1)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(web::serve)
        .with_state(state)
}

/// Serves HTTP on `listener` until `cancel` fires, with the connection
/// limits of `http` (header read timeout, most connections; see
/// `server.rs`). Returns once every connection has closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: ApiContext,
    http: &HttpConfig,
    cancel: CancellationToken,
) {
    let metrics = ctx.metrics.clone();
    let app = router(ctx);
    server::serve(listener, app, http, &metrics, cancel).await;
}

/// Warns when the API is open (no token configured) on an address other
/// machines can reach. Returns whether it warned.
pub fn warn_if_open(tokens: &[(String, Scope)], addr: SocketAddr) -> bool {
    let open = tokens.is_empty() && !addr.ip().is_loopback();
    if open {
        warn!(addr = %addr, "API has no tokens configured and listens beyond loopback: anyone who reaches it can read vessels, history and alerts.");
    }
    open
}

/// Query parameters, deserialised into `T` (whose fields are all
/// `Option<String>`, parsed by the handler so errors name the parameter).
/// A parameter holding a NUL character is refused, named, here: no text
/// the store keeps can hold one (PostgreSQL refuses it outright).
pub(crate) struct Params<T>(pub T);

#[async_trait]
impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let bad =
            |e: axum::extract::rejection::QueryRejection| ApiError::bad("query", e.body_text());
        let pairs =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(bad)?;
        for (k, v) in &pairs.0 {
            if k.contains('\0') || v.contains('\0') {
                return Err(ApiError::bad_named(
                    k.escape_debug().to_string(),
                    params::NUL_MESSAGE,
                ));
            }
        }
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(bad)
    }
}

/// A JSON response with `status`.
fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// Encodes `v` as a 200 JSON response.
fn ok_json<T: Serialize>(v: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(v).map_err(ApiError::json("the response"))?;
    Ok(json_response(StatusCode::OK, body))
}

/// Runs `f` (a query's CPU work and its JSON encoding) on the blocking
/// pool, holding `permit` until it is done, even if the client went away.
async fn blocking_json<T, F>(permit: OwnedSemaphorePermit, f: F) -> Result<Response, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    blocking_json_touched(permit, move || Ok((f()?, None))).await
}

/// [`blocking_json`] for a query that says what it touched, for its audit
/// record (see [`crate::audit::Touched`]).
async fn blocking_json_touched<T, F>(
    permit: OwnedSemaphorePermit,
    f: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Result<(T, Option<Touched>), ApiError> + Send + 'static,
{
    let (body, touched) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let (v, touched) = f()?;
        let body = serde_json::to_vec(&v).map_err(ApiError::json("the response"))?;
        Ok::<_, ApiError>((body, touched))
    })
    .await??;
    Ok(touched_response(
        json_response(StatusCode::OK, body),
        touched,
    ))
}

/// `resp`, carrying what it touched for its audit record.
fn touched_response(mut resp: Response, touched: Option<Touched>) -> Response {
    if let Some(t) = touched {
        resp.extensions_mut().insert(t);
    }
    resp
}
