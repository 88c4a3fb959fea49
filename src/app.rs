//! The daemon: spawns the pipeline and wires its stages with bounded channels.
//!
//! ```text
//! sources ──LineBatch──▶ decode ──(source, Vec<Decoded>)──▶ engine ◀──queries── api
//! ```
//!
//! Shutdown order: the shutdown future cancels the sources; each source
//! drops its sender; the decode stage drains and drops its own; the engine
//! drains and ends; last the HTTP server stops.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::decode::{DecodeStats, Decoded, Decoder, Reject};
use crate::engine::Engine;
use crate::ingest::{self, LineBatch, SourceId};
use crate::metrics::Metrics;
use crate::time::{now_ms, Millis};

/// Alert state changes kept for `/api/alerts`.
const RECENT_ALERTS: usize = 1000;

/// A read-only question to the engine task, answered on `reply`.
pub struct Query {
    /// What to compute.
    pub kind: QueryKind,
    /// Where the answer goes.
    pub reply: oneshot::Sender<serde_json::Value>,
}

/// Questions the API can ask.
#[derive(Debug, Clone)]
pub enum QueryKind {
    /// Engine clock, counters and vessel count.
    Status,
    /// Vessels in a lon/lat box.
    Bbox {
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    },
    /// Vessels within a radius (metres) of a point.
    Radius { lon: f64, lat: f64, radius_m: f64 },
    /// One vessel with its recent track.
    Vessel(u32),
    /// The most recent alert state changes, newest last.
    Alerts,
}

/// What [`run`] binds, for callers (tests) that asked for port 0.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The HTTP server's address.
    pub http: SocketAddr,
}

/// Runs the daemon until `shutdown` completes. `on_bound` is told the bound
/// HTTP address once it listens.
pub async fn run(
    cfg: Config,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> anyhow::Result<()> {
    // Zones and detectors first: a bad zone file fails the start before any socket opens.
    let engine = cfg.engine(None)?;
    let metrics = Arc::new(Metrics::new());
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();

    let (line_tx, line_rx) = mpsc::channel::<LineBatch>(cfg.channels.lines);
    let (msg_tx, msg_rx) = mpsc::channel::<(SourceId, Vec<Decoded>)>(cfg.channels.messages);
    let (query_tx, query_rx) = mpsc::channel::<Query>(64);

    // ⑤ API first, so a bind failure stops the start before anything runs.
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {}: {e}", cfg.http.listen))?;
    let http_addr = listener.local_addr()?;
    info!(addr = %http_addr, "HTTP server listening.");
    let http_cancel = CancellationToken::new();
    // The API reads a snapshot and the store, never the engine task. Until
    // the engine stage publishes snapshots, ticks the heartbeat and a store
    // is opened (app rewiring), these are fed nowhere.
    drop(query_tx);
    let tokens = cfg.tokens()?;
    crate::api::warn_if_open(&tokens, http_addr);
    let (_snapshot_tx, snapshot) =
        tokio::sync::watch::channel(Arc::new(crate::snapshot::Snapshot::default()));
    let http = tokio::spawn(crate::api::serve(
        listener,
        crate::api::ApiContext {
            metrics: metrics.clone(),
            snapshot,
            want_snapshot: Arc::default(),
            store: None,
            storage: Arc::default(),
            zones: Arc::new(engine.zones().cloned().unwrap_or_default()),
            tokens,
            limits: cfg.api.clone(),
            engine_heartbeat: Arc::default(),
            sources_ready: Arc::default(),
        },
        http_cancel.clone(),
    ));

    // ① Sources: all bound (or opened) before any runs, so a wrong address fails the start.
    let mut started = Vec::new();
    for src in cfg.sources.clone() {
        let id = src.id().to_owned();
        let fut =
            ingest::start_source(src, line_tx.clone(), metrics.clone(), cancel.clone()).await?;
        started.push((id, fut));
    }
    drop(line_tx);
    for (id, fut) in started {
        tracker.spawn(async move {
            if let Err(e) = fut.await {
                error!(source = %id, error = %e, "Source failed.");
            }
        });
    }

    // ② Decode.
    tracker.spawn(decode_stage(line_rx, msg_tx, metrics.clone()));
    // ③④ Engine.
    tracker.spawn(engine_stage(
        engine,
        msg_rx,
        query_rx,
        metrics.clone(),
        cancel.clone(),
    ));
    tracker.close();

    if let Some(tx) = on_bound {
        let _ = tx.send(Bound { http: http_addr });
    }
    shutdown.await;
    info!("Shutting down.");
    cancel.cancel();
    if tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .is_err()
    {
        warn!("Pipeline did not drain within 10 s.");
    }
    http_cancel.cancel();
    let _ = http.await;
    Ok(())
}

/// ② Decodes line batches with one [`Decoder`] per source and forwards the
/// messages. Counters go to Prometheus after every batch.
async fn decode_stage(
    mut rx: mpsc::Receiver<LineBatch>,
    tx: mpsc::Sender<(SourceId, Vec<Decoded>)>,
    metrics: Arc<Metrics>,
) {
    // One decoder per receiver (source and peer), with when it was last used.
    let mut decoders: HashMap<(SourceId, Option<SocketAddr>), (Decoder, Millis)> = HashMap::new();
    let mut expiry = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            batch = rx.recv() => {
                let Some(batch) = batch else { break };
                let (dec, used) = decoders.entry((batch.source.clone(), batch.peer)).or_default();
                *used = now_ms();
                let mut out = Vec::with_capacity(batch.lines.len());
                for line in &batch.lines {
                    dec.feed(&line.text, line.received_at, &mut out);
                }
                export(&metrics, &batch.source, dec.take_stats());
                if !out.is_empty() && tx.send((batch.source, out)).await.is_err() {
                    break;
                }
            }
            _ = expiry.tick() => {
                let now = now_ms();
                for ((id, _), (dec, _)) in decoders.iter_mut() {
                    dec.expire(now);
                    export(&metrics, id, dec.take_stats());
                }
                // Receivers gone for 10 minutes leave nothing waiting: forget them.
                decoders.retain(|_, (dec, used)| now - *used < 600_000 || !dec.is_idle());
            }
        }
    }
}

fn export(m: &Metrics, source: &str, s: DecodeStats) {
    if s.lines == 0 && s.rejects_total() == 0 {
        return;
    }
    m.sentences.with_label_values(&[source]).inc_by(s.sentences);
    m.decoded.with_label_values(&[source]).inc_by(s.messages);
    for r in Reject::ALL {
        let n = s.reject(r);
        if n > 0 {
            m.rejected
                .with_label_values(&[source, r.as_str()])
                .inc_by(n);
        }
    }
    for (t, &n) in s.by_type.iter().enumerate() {
        if n > 0 {
            m.messages_by_type
                .with_label_values(&[&t.to_string()])
                .inc_by(n);
        }
    }
}

/// ③④ Owns the engine: applies messages, answers queries. No locks.
async fn engine_stage(
    mut engine: Engine,
    mut rx: mpsc::Receiver<(SourceId, Vec<Decoded>)>,
    mut queries: mpsc::Receiver<Query>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let mut batches = Vec::with_capacity(64);
    let mut gauge = tokio::time::interval(Duration::from_secs(1));
    let mut dup_exported = 0;
    let mut inputs_open = true;
    let mut recent: std::collections::VecDeque<crate::alert::Alert> = Default::default();
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batches, 64), if inputs_open => {
                if n == 0 {
                    // Every source ended (files read to the end): keep
                    // answering queries until the daemon shuts down.
                    inputs_open = false;
                    if shutdown.is_cancelled() {
                        break;
                    }
                    continue;
                }
                let now = now_ms();
                for (source, msgs) in batches.drain(..) {
                    engine.ingest(&source, &msgs, now);
                }
                for a in engine.take_alerts() {
                    metrics.alerts.with_label_values(&[a.kind.as_str(), a.state.as_str()]).inc();
                    info!(id = %a.id, kind = a.kind.as_str(), state = a.state.as_str(), zone = %a.zone, "{}", a.summary);
                    if recent.len() >= RECENT_ALERTS {
                        recent.pop_front();
                    }
                    recent.push_back(a);
                }
            }
            _ = shutdown.cancelled(), if !inputs_open => break,
            Some(q) = queries.recv() => {
                let reply = match q.kind {
                    QueryKind::Alerts => serde_json::json!({ "alerts": recent }),
                    kind => answer(&mut engine, kind),
                };
                let _ = q.reply.send(reply);
            }
            _ = gauge.tick() => {
                metrics.vessels.set(engine.tracks().len() as i64);
                if let Some(c) = engine.clock() {
                    metrics.engine_lag_seconds.set((now_ms() - c) as f64 / 1000.0);
                }
                let d = engine.stats().duplicates;
                metrics.duplicates.inc_by(d - dup_exported);
                dup_exported = d;
            }
        }
    }
    info!(vessels = engine.tracks().len(), "Engine stopped.");
}

fn answer(engine: &mut Engine, q: QueryKind) -> serde_json::Value {
    use serde_json::json;
    let vessel_json = |v: &crate::track::Vessel| {
        let mut j = serde_json::to_value(v).unwrap_or_default();
        if let Some(o) = j.as_object_mut() {
            o.insert("flag".into(), json!(v.flag()));
        }
        j
    };
    match q {
        QueryKind::Status => json!({
            "clock": engine.clock().map(crate::time::rfc3339),
            "vessels": engine.tracks().len(),
            "engine": engine.stats(),
        }),
        QueryKind::Bbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        } => {
            let vs = engine
                .tracks_mut()
                .in_bbox(min_lon, min_lat, max_lon, max_lat);
            json!({ "count": vs.len(), "vessels": vs.into_iter().map(vessel_json).collect::<Vec<_>>() })
        }
        QueryKind::Radius { lon, lat, radius_m } => {
            let vs = engine.tracks_mut().within(lon, lat, radius_m);
            let list: Vec<_> = vs
                .into_iter()
                .map(|(v, d)| {
                    let mut j = vessel_json(v);
                    if let Some(o) = j.as_object_mut() {
                        o.insert("distance_m".into(), json!(d.round()));
                    }
                    j
                })
                .collect();
            json!({ "count": list.len(), "vessels": list })
        }
        QueryKind::Vessel(mmsi) => match engine.tracks().get(crate::track::Mmsi(mmsi)) {
            Some(v) => {
                let mut j = vessel_json(v);
                if let Some(o) = j.as_object_mut() {
                    let track: Vec<_> = v
                        .track
                        .iter()
                        .map(|p| json!({"time": crate::time::rfc3339(p.time), "lon": p.lon, "lat": p.lat}))
                        .collect();
                    o.insert("track".into(), json!(track));
                }
                j
            }
            None => serde_json::Value::Null,
        },
        QueryKind::Alerts => serde_json::Value::Null,
    }
}
