//! HTTP: Prometheus `/metrics`, `/health`, and read-only queries for patrol
//! planners, answered by the engine task (the API never touches engine
//! state itself).
//!
//! - `GET /api/status` — engine clock, counters, vessel count.
//! - `GET /api/vessels?bbox=min_lon,min_lat,max_lon,max_lat` — vessels in a box
//!   (`min_lon > max_lon` crosses the antimeridian).
//! - `GET /api/vessels?lon=..&lat=..&radius_m=..` — vessels within a radius, nearest first.
//! - `GET /api/vessels/{mmsi}` — one vessel with its recent track.
//! - `GET /api/alerts` — the most recent alert state changes.

use std::sync::Arc;

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::app::{Query, QueryKind};
use crate::metrics::Metrics;

#[derive(Clone)]
struct Ctx {
    metrics: Arc<Metrics>,
    engine: mpsc::Sender<Query>,
}

/// Serves HTTP on `listener` until `cancel` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    engine: mpsc::Sender<Query>,
    cancel: CancellationToken,
) {
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/health", get(|| async { "ok\n" }))
        .route("/api/status", get(status))
        .route("/api/vessels", get(vessels))
        .route("/api/vessels/:mmsi", get(vessel))
        .route("/api/alerts", get(alerts))
        .with_state(Ctx { metrics, engine });
    let res = axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await;
    if let Err(e) = res {
        tracing::error!(error = %e, "HTTP server failed.");
    }
}

async fn metrics_handler(State(ctx): State<Ctx>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        ctx.metrics.render(),
    )
}

async fn ask(ctx: &Ctx, kind: QueryKind) -> Response {
    let (reply, rx) = oneshot::channel();
    if ctx.engine.send(Query { kind, reply }).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "engine stopped\n").into_response();
    }
    match rx.await {
        Ok(serde_json::Value::Null) => (StatusCode::NOT_FOUND, "no such vessel\n").into_response(),
        Ok(v) => Json(v).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "engine stopped\n").into_response(),
    }
}

async fn alerts(State(ctx): State<Ctx>) -> Response {
    ask(&ctx, QueryKind::Alerts).await
}

async fn status(State(ctx): State<Ctx>) -> Response {
    ask(&ctx, QueryKind::Status).await
}

#[derive(Deserialize)]
struct VesselsParams {
    bbox: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    radius_m: Option<f64>,
}

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, format!("{}\n", msg.into())).into_response()
}

async fn vessels(State(ctx): State<Ctx>, QueryParams(p): QueryParams<VesselsParams>) -> Response {
    let kind = match (p.bbox, p.lon, p.lat, p.radius_m) {
        (Some(b), None, None, None) => {
            let v: Result<Vec<f64>, _> = b.split(',').map(|x| x.trim().parse::<f64>()).collect();
            match v.as_deref() {
                Ok(&[min_lon, min_lat, max_lon, max_lat])
                    if valid_lon(min_lon) && valid_lon(max_lon) && valid_lat(min_lat) && valid_lat(max_lat) && min_lat <= max_lat =>
                {
                    QueryKind::Bbox { min_lon, min_lat, max_lon, max_lat }
                }
                _ => return bad("bbox must be min_lon,min_lat,max_lon,max_lat in degrees (lon -180..180, lat -90..90, min_lat <= max_lat)"),
            }
        }
        (None, Some(lon), Some(lat), Some(r)) if valid_lon(lon) && valid_lat(lat) && r > 0.0 && r <= 1_000_000.0 => {
            QueryKind::Radius { lon, lat, radius_m: r }
        }
        _ => return bad("give either bbox=min_lon,min_lat,max_lon,max_lat or lon, lat and radius_m (metres, at most 1000 km)"),
    };
    ask(&ctx, kind).await
}

async fn vessel(State(ctx): State<Ctx>, Path(mmsi): Path<String>) -> Response {
    match mmsi.parse::<u32>() {
        Ok(m) if m <= 999_999_999 => ask(&ctx, QueryKind::Vessel(m)).await,
        _ => bad(format!("not an MMSI: {mmsi:?}")),
    }
}

fn valid_lon(x: f64) -> bool {
    (-180.0..=180.0).contains(&x)
}

fn valid_lat(x: f64) -> bool {
    (-90.0..=90.0).contains(&x)
}
