//! Probes and counters: `/healthz` (the process answers), `/readyz`
//! (worth sending traffic to), `/metrics` (Prometheus) and
//! `GET /api/v1/status`. None of these takes a query permit.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Serialize;
use tracing::warn;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{json_response, ok_json, ApiError, AppState, ENGINE_STALL_MS};
use crate::cluster::Role;
use aiswatch_core::time::{now_ms, rfc3339};
use aiswatch_engine::engine::EngineStats;

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "ops",
    security(()),
    responses((status = 200, description = "Always `ok`: the process answers", body = String, content_type = "text/plain"))
)]
/// Liveness: always 200 `ok`, never limited or authenticated.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Why the daemon is or is not ready.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// Worth sending traffic to.
    pub ready: bool,
    /// Why not (empty when ready).
    pub reasons: Vec<String>,
    /// Worth knowing but not failing readiness (e.g. positions dropped).
    pub details: Vec<String>,
    /// Every source has started.
    pub sources_ready: bool,
    /// While the engine rebuilds its state from the store (after a
    /// restart): how far it is; null once rebuilt. Sources are already
    /// read meanwhile and what they deliver is applied after, in order.
    pub rebuilding: Option<Rebuilding>,
    /// Milliseconds since the engine's last tick; null if it never ticked.
    pub engine_heartbeat_age_ms: Option<i64>,
    /// Positions dropped because the store fell behind, since start.
    pub positions_dropped: u64,
    /// The store answered a query within a second (null: no store).
    pub store_answers: Option<bool>,
    /// Centres' channels with deliveries pending (empty if none, or if the
    /// store did not answer).
    pub outbox: Vec<OutboxEntry>,
    /// Deliveries given up (dead letters), waiting for a manual retry.
    pub dead_letters: i64,
}

/// How far a rebuild from the store is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rebuilding {
    /// Records (positions, static changes, clock ticks) replayed.
    pub replayed: u64,
    /// Records to replay.
    pub total: u64,
}

/// Pending deliveries of one centre's channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEntry {
    /// The centre.
    pub centre: String,
    /// `webhook`, `mqtt` or `nats`.
    pub channel: String,
    /// Deliveries pending.
    pub pending: i64,
    /// Seconds since the oldest pending change was emitted.
    pub oldest_pending_age_s: f64,
}

/// Pending deliveries older than this are named in `/readyz` details.
const OUTBOX_LATE_MS: i64 = 60_000;

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready, with reasons", body = Readiness),
    )
)]
/// Readiness: sources started, store writes succeeding and the store answering,
/// engine ticking; pending deliveries (the outbox) and dead letters alongside.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let ctx = &state.ctx;
    let mut reasons = Vec::new();
    let mut details = Vec::new();
    let sources_ready = ctx.sources_ready.load(Ordering::Relaxed);
    if !sources_ready {
        reasons.push("sources not started".to_owned());
    }
    if let Some(p) = ctx.storage.problem() {
        reasons.push(p);
    }
    let rebuilding = ctx.rebuild.rebuilding();
    let hb = ctx.engine_heartbeat.load(Ordering::Relaxed);
    let age = (hb > 0).then(|| now_ms() - hb);
    let cluster = ctx
        .cluster
        .as_ref()
        .map(|c| (c.role, c.view(), c.problem()));
    match cluster {
        // No engine here: an ingest node, a standby engine.
        Some((role @ (Role::Ingest | Role::Engine), c, problem))
            if role == Role::Ingest || !c.leader =>
        {
            reasons.extend(problem);
            details.push(match (&c.leader_node, role) {
                (_, Role::Ingest) => "ingest node: lines go to the line stream".to_owned(),
                (Some(l), _) => format!("standby: {l} leads"),
                (None, _) => "standby: no engine has led yet".to_owned(),
            });
        }
        // The leading engine's publications are an api node's heartbeat.
        Some((Role::Api, c, _)) => match age {
            None => reasons.push("no leading engine has published its state yet".to_owned()),
            Some(a) if a > ENGINE_STALL_MS => reasons.push(format!(
                "the leading engine ({}) has not published its state for {:.1} s",
                c.leader_node.as_deref().unwrap_or("unknown"),
                a as f64 / 1000.0
            )),
            Some(_) => {}
        },
        _ => engine_reasons(rebuilding, age, &mut reasons),
    }
    if let Some(e) = &ctx.zones.borrow().error {
        // The previous zones still run: worth knowing, not a reason to
        // take the daemon out of service.
        details.push(format!("zones reload refused, previous zones kept: {e}"));
    }
    let dropped = ctx.storage.positions_dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        details.push(format!(
            "{dropped} positions dropped because the store fell behind"
        ));
    }
    let mut store_answers = None;
    let mut outbox = Vec::new();
    let mut dead_letters = 0;
    if let Some(store) = &ctx.store {
        let probe = tokio::time::timeout(std::time::Duration::from_secs(1), store.outbox_state());
        match probe.await {
            Ok(Ok((states, failed))) => {
                store_answers = Some(true);
                dead_letters = failed;
                let now = now_ms();
                for s in states {
                    let age = s.depth.oldest.map_or(0, |o| (now - o).max(0));
                    if age > OUTBOX_LATE_MS {
                        details.push(format!(
                            "outbox {}/{}: {} pending, oldest {} s",
                            s.centre,
                            s.channel,
                            s.depth.pending,
                            age / 1000
                        ));
                    }
                    outbox.push(OutboxEntry {
                        centre: s.centre,
                        channel: s.channel,
                        pending: s.depth.pending,
                        oldest_pending_age_s: age as f64 / 1000.0,
                    });
                }
                if failed > 0 {
                    details.push(format!(
                        "{failed} deliveries given up (GET /api/v1/deliveries?state=failed)"
                    ));
                }
            }
            Ok(Err(e)) => {
                store_answers = Some(false);
                reasons.push(format!("store not answering: {e}"));
            }
            Err(_) => {
                store_answers = Some(false);
                reasons.push("store not answering within 1 s".to_owned());
            }
        }
    }
    let r = Readiness {
        ready: reasons.is_empty(),
        reasons,
        details,
        sources_ready,
        rebuilding: rebuilding.map(|(replayed, total)| Rebuilding { replayed, total }),
        engine_heartbeat_age_ms: age,
        positions_dropped: dropped,
        store_answers,
        outbox,
        dead_letters,
    };
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    match serde_json::to_vec(&r) {
        Ok(body) => json_response(status, body),
        Err(e) => ApiError::json("the response")(e).into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "ops",
    security(()),
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
/// Prometheus metrics.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.ctx.metrics.render(),
    )
        .into_response()
}

/// Engine counters since start.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngineCounts {
    /// Messages given to the engine.
    pub messages: u64,
    /// Copies of a message already seen (several stations), not applied again.
    pub duplicates: u64,
    /// Messages with a time too far in the future, not applied.
    pub future_time: u64,
    /// Positions older than the vessel's current one.
    pub late_positions: u64,
    /// Static or voyage data older than the vessel's current data (only
    /// fields still unknown were taken from it).
    pub late_statics: u64,
    /// Messages about no vessel (base stations, aids to navigation, …).
    pub not_vessel: u64,
    /// Engine ticks run.
    pub ticks: u64,
    /// Vessels forgotten after `vessel_ttl`.
    pub evicted: u64,
}

impl From<&EngineStats> for EngineCounts {
    fn from(s: &EngineStats) -> Self {
        EngineCounts {
            messages: s.messages,
            duplicates: s.duplicates,
            future_time: s.future_time,
            late_positions: s.late_positions,
            late_statics: s.late_statics,
            not_vessel: s.not_vessel,
            ticks: s.ticks,
            evicted: s.evicted,
        }
    }
}

/// Alerts in the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertCounts {
    /// Alerts stored (each counted once, whatever its state changes).
    pub stored: i64,
    /// Alerts whose latest state is not `closed`.
    pub open: i64,
}

/// The storage writer's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StorageStatus {
    /// `sqlite`, `postgres`, or `none` when no store is configured.
    pub kind: &'static str,
    /// Positions committed since start.
    pub positions_written: u64,
    /// Positions waiting to be written.
    pub positions_pending: u64,
    /// Positions dropped because the store fell behind, since start.
    pub positions_dropped: u64,
    /// The last transaction failed and is being retried.
    pub failing: bool,
    /// The last write error, if any.
    pub last_error: Option<String>,
    /// Retention pruned positions before this event time (RFC 3339), but
    /// what legal holds keep; null when it has pruned nothing (or no store).
    pub pruned_before: Option<String>,
}

/// Engine clock, counts and storage state.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// The engine's event-time clock (RFC 3339); null before the first message.
    pub clock: Option<String>,
    /// Wall-clock time the engine's snapshot was taken (RFC 3339); null if none yet.
    pub snapshot_at: Option<String>,
    /// The engine's lag: wall-clock time of the snapshot minus the engine
    /// clock, in seconds (how far behind real time the data is: seconds
    /// for a live feed, the sample's age when a recording is replayed);
    /// null before the first message.
    pub lag_s: Option<f64>,
    /// Vessels tracked.
    pub vessels: usize,
    /// Engine counters.
    pub engine: EngineCounts,
    /// Alerts stored and open (of those the token may see); null without a
    /// store or when it cannot be read.
    pub alerts: Option<AlertCounts>,
    /// Storage writer state.
    pub storage: StorageStatus,
    /// Per source: lines read and messages decoded since start, and whether
    /// it is connected or listening (feed health; rates are the difference
    /// between two calls).
    pub sources: Vec<crate::metrics::SourceCounts>,
    /// This node of a cluster: its name and role, whether it leads and
    /// which partitions (absent on a single process, `--role all`). On an
    /// api node `clock` is the leading engine's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::cluster::ClusterView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/status",
    operation_id = "status",
    tag = "ops",
    responses(
        (status = 200, description = "Engine clock, counts and storage state", body = Status),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    )
)]
/// Engine clock, counts and storage state.
pub(crate) async fn status(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
) -> Result<Response, ApiError> {
    let snap = state.snapshot().await;
    let alerts = match &state.ctx.store {
        None => None,
        Some(store) => match store.alert_counts(&scope).await {
            Ok((stored, open)) => Some(AlertCounts { stored, open }),
            Err(e) => {
                warn!(error = %e, "Counting stored alerts failed.");
                None
            }
        },
    };
    let pruned_before = match &state.ctx.store {
        None => None,
        Some(store) => store.pruned_before().await.unwrap_or_else(|e| {
            warn!(error = %e, "Reading the retention horizon failed.");
            None
        }),
    };
    let w = &state.ctx.storage;
    let storage = StorageStatus {
        kind: state.ctx.store.as_ref().map_or("none", |s| s.kind()),
        positions_written: w.positions_written.load(Ordering::Relaxed),
        positions_pending: w.positions_pending.load(Ordering::Relaxed),
        positions_dropped: w.positions_dropped.load(Ordering::Relaxed),
        failing: w.failing.load(Ordering::Relaxed),
        last_error: w.last_error.lock().ok().and_then(|e| e.clone()),
        pruned_before: pruned_before.map(rfc3339),
    };
    ok_json(&Status {
        clock: snap.clock.map(rfc3339),
        snapshot_at: (snap.taken_at > 0).then(|| rfc3339(snap.taken_at)),
        lag_s: snap
            .clock
            .filter(|_| snap.taken_at > 0)
            .map(|c| (snap.taken_at - c) as f64 / 1000.0),
        vessels: snap.vessels.len(),
        engine: EngineCounts::from(&snap.stats),
        alerts,
        storage,
        sources: state.ctx.metrics.sources(),
        cluster: state.ctx.cluster.as_ref().map(|c| c.view()),
    })
}

/// Why this process's engine is not ready, if it is not.
fn engine_reasons(rebuilding: Option<(u64, u64)>, age: Option<i64>, reasons: &mut Vec<String>) {
    match (rebuilding, age) {
        (Some((replayed, total)), _) => reasons.push(format!(
            "rebuilding state from the store: {replayed} of {total} records ({:.0} %)",
            replayed as f64 * 100.0 / total.max(1) as f64
        )),
        (None, None) => reasons.push("engine has not ticked yet".to_owned()),
        (None, Some(a)) if a > ENGINE_STALL_MS => {
            reasons.push(format!(
                "engine stalled: last tick {:.1} s ago",
                a as f64 / 1000.0
            ));
        }
        (None, Some(_)) => {}
    }
}
