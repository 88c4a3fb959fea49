//! What each `--role` runs. Every node serves `[http] listen` with
//! `/healthz`, `/readyz`, `/metrics` and `/api/v1/status`.
//!
//! - `ingest`: the sources, and the publisher to the line stream.
//! - `engine`: a standby until it holds the lease of a partition (the first
//!   without a leader); then the whole pipeline of [`crate::app`] with the
//!   line stream as its source and its store fenced (see
//!   [`crate::app::run_leading`] for what partition 0's leader does more). A
//!   leader that loses its lease stops (exit 1): its supervisor starts it
//!   again, as a standby.
//! - `api`: the API and console from the store ([`super::view`]).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use super::{ClusterConfig, ClusterMetrics, NodeStatus, Role, FIRST};
use crate::api::ApiContext;
use crate::app::{AppError, Bound, Leading};
use crate::config::Config;
use crate::deliver::hub::Hub;
use crate::ingest::{self, LineBatch};
use crate::lifecycle::{Ends, Supervisor};
use crate::metrics::Metrics;
use crate::storage::Store;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_zones::ZoneSet;

/// Runs this node's `role` until `shutdown`.
///
/// # Errors
/// As [`crate::app::run`]; also a config the role cannot run on, and
/// (engine) a lease lost.
pub async fn run(
    cfg: Config,
    role: Role,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    let problems = super::check(role, cfg.cluster.as_ref(), &cfg.storage.database_url());
    if !problems.is_empty() {
        return Err(AppError::Cluster(problems.join("\n")));
    }
    match (role, cfg.cluster.clone()) {
        // `check` leaves no role but `all` without a cluster.
        (Role::All, _) | (_, None) => crate::app::run(cfg, shutdown, on_bound).await,
        (Role::Ingest, Some(c)) => run_ingest(cfg, c, shutdown, on_bound).await,
        (Role::Engine, Some(c)) => run_engine(cfg, c, shutdown, on_bound).await,
        (Role::Api, Some(c)) => run_api(cfg, c, shutdown, on_bound).await,
    }
}

/// A context that serves the probes and the status of a node without a
/// store (ingest, standby): data endpoints answer 503.
fn bare_context(
    cfg: &Config,
    metrics: Arc<Metrics>,
    status: Arc<NodeStatus>,
) -> Result<ApiContext, AppError> {
    let progress = Arc::new(crate::storage::rebuild::Progress::default());
    progress.finish();
    Ok(ApiContext {
        metrics,
        snapshot: watch::channel(Arc::new(Snapshot::default())).1,
        want_snapshot: Arc::new(AtomicBool::new(false)),
        store: None,
        storage: Default::default(),
        zones: crate::live_zones::fixed(Arc::new(ZoneSet::default())),
        zone_editor: None,
        preview: None,
        tokens: cfg.tokens()?,
        limits: cfg.api.clone(),
        engine_heartbeat: Arc::new(AtomicI64::new(0)),
        sources_ready: Arc::new(AtomicBool::new(true)),
        rebuild: progress,
        hub: None,
        routes: Arc::new([]),
        evidence: None,
        federation: None,
        audit: crate::audit::Audit::off(),
        cluster: Some(status),
    })
}

/// Binds `[http] listen`.
async fn bind(cfg: &Config) -> Result<tokio::net::TcpListener, AppError> {
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .map_err(|source| AppError::Bind {
            addr: cfg.http.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(AppError::LocalAddr)?;
    info!(addr = %addr, "HTTP server listening.");
    Ok(listener)
}

async fn run_ingest(
    cfg: Config,
    c: ClusterConfig,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    let metrics = Arc::new(Metrics::new());
    let cm = ClusterMetrics::register(&metrics.registry)?;
    let status = NodeStatus::new(&c.node, Role::Ingest, c.all_partitions());
    let client = super::connect(&c).await.map_err(AppError::Cluster)?;
    let js = async_nats::jetstream::new(client);
    let sup = Supervisor::new();
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();

    let listener = bind(&cfg).await?;
    let http_addr = listener.local_addr().map_err(AppError::LocalAddr)?;
    let ctx = bare_context(&cfg, metrics.clone(), status.clone())?;
    crate::api::warn_if_open(&ctx.tokens, http_addr);
    let http_cancel = CancellationToken::new();
    let http = {
        let (h, cancel) = (cfg.http.clone(), http_cancel.clone());
        tokio::spawn(async move { crate::api::serve(listener, ctx, &h, cancel).await })
    };

    let (line_tx, line_rx) = mpsc::channel::<LineBatch>(cfg.channels.lines);
    let mut addrs = Vec::new();
    for src in cfg.sources.clone() {
        let id = src.id().to_owned();
        let env = ingest::SourceEnv {
            vessel_ttl: cfg.engine.vessel_ttl,
            resume_after: None,
        };
        let s =
            ingest::start_source_with(src, line_tx.clone(), metrics.clone(), cancel.clone(), env)
                .await?;
        if let Some(a) = s.local_addr {
            addrs.push((id.clone(), a));
        }
        tracker.spawn(sup.spawn(&format!("source {id}"), Ends::Whenever, s.run));
    }
    drop(line_tx);
    tracker.close();
    info!(node = %c.node, stream = %c.stream(), sources = addrs.len(), "Ingest node: every line goes to the line stream.");
    let publisher = tokio::spawn(super::ingest::publish(
        line_rx,
        js,
        c,
        cfg.channels.ingest_buffer,
        cm.clone(),
        status,
    ));
    if let Some(tx) = on_bound {
        let _ = tx.send(Bound {
            http: http_addr,
            sources: addrs,
        });
    }
    tokio::select! {
        _ = shutdown => info!("Shutting down."),
        _ = sup.tripped() => error!("A source failed; shutting down."),
    }
    sup.stopping();
    cancel.cancel();
    let timeout = cfg.shutdown.timeout;
    let drained = tokio::time::timeout(timeout, async {
        tracker.wait().await;
        let _ = publisher.await;
    })
    .await;
    http_cancel.cancel();
    let _ = http.await;
    let failures = sup.failures();
    if !failures.is_empty() {
        return Err(AppError::StageFailed(failures));
    }
    if drained.is_err() {
        warn!(
            waiting = cm.buffered.get(),
            "Lines still waiting for the line stream at shutdown are lost."
        );
        return Err(AppError::ShutdownTimeout(timeout));
    }
    Ok(())
}

async fn run_engine(
    cfg: Config,
    c: ClusterConfig,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    // Zones and detectors first, as in every role: a bad file fails the start.
    let engine = cfg.engine(None)?;
    let unknown = c.unknown_zones(engine.zones());
    if !unknown.is_empty() {
        return Err(AppError::Cluster(unknown.join("\n")));
    }
    let metrics = Arc::new(Metrics::new());
    let cm = ClusterMetrics::register(&metrics.registry)?;
    let status = NodeStatus::new(&c.node, Role::Engine, Vec::new());
    for p in c.all_partitions() {
        cm.leader.with_label_values(&[&p.to_string()]).set(0);
    }
    let url = cfg.storage.database_url();
    let store = Store::connect(&url).await?;
    if let Ok(Some(l)) = store.lease(&c.lease(FIRST)).await {
        if let Ok(mut n) = status.leader_node.lock() {
            *n = Some(l.node);
        }
    }
    let client = super::connect(&c).await.map_err(AppError::Cluster)?;

    // While a standby: the probes and the status, on the listener the
    // leader will serve on.
    let listener = bind(&cfg).await?;
    let http_addr = listener.local_addr().map_err(AppError::LocalAddr)?;
    let std_listener = listener.into_std().map_err(AppError::LocalAddr)?;
    let for_leader = std_listener.try_clone().map_err(AppError::LocalAddr)?;
    let standby_listener =
        tokio::net::TcpListener::from_std(std_listener).map_err(AppError::LocalAddr)?;
    let standby_cancel = CancellationToken::new();
    let standby = {
        let ctx = bare_context(&cfg, metrics.clone(), status.clone())?;
        let (h, cancel) = (cfg.http.clone(), standby_cancel.clone());
        tokio::spawn(async move { crate::api::serve(standby_listener, ctx, &h, cancel).await })
    };
    let mut on_bound = on_bound;
    if let Some(tx) = on_bound.take() {
        let _ = tx.send(Bound {
            http: http_addr,
            sources: Vec::new(),
        });
    }

    // The first partition without a leader is this node's to lead.
    tokio::pin!(shutdown);
    let stop = CancellationToken::new();
    let leases = c.leases();
    let taken = tokio::select! {
        l = super::lease::acquire(&url, &leases, &stop) => l.map_err(AppError::Cluster)?,
        _ = &mut shutdown => None,
    };
    standby_cancel.cancel();
    let _ = standby.await;
    let Some((i, lease)) = taken else {
        info!("Shutting down (standby).");
        return Ok(());
    };
    let partition = i as u32;
    let lease_name = &leases[i];
    let (fence, position) = store.take_epoch(lease_name, &c.node).await?;
    let records_at = if partition == FIRST {
        None
    } else {
        // The records partition 0 stored, as they stood where this
        // partition's last leader had got to (or before: from the start);
        // a partition never led before starts where they stand now.
        let upto = if fence.epoch == 1 { u64::MAX } else { position };
        let at = store.commit_at_or_before(&c.lease(FIRST), upto).await?;
        Some(at.unwrap_or(crate::storage::cluster::CommitRow {
            position: 0,
            seq: 0,
            time: None,
        }))
    };
    store.close().await;
    cm.lease_changes.inc();
    let gauge = cm.leader.with_label_values(&[&partition.to_string()]);
    gauge.set(1);
    status.leader.store(true, Ordering::Relaxed);
    if let Ok(mut p) = status.partitions.lock() {
        *p = vec![partition];
    }
    if let Ok(mut n) = status.leader_node.lock() {
        *n = Some(c.node.clone());
    }
    info!(lease = %lease_name, partition, node = %c.node, epoch = fence.epoch, position, records_at = ?records_at, "Lease taken: this node leads; rebuilding state from the store.");

    let lost = lease.lost();
    let leading = Leading {
        cluster: c,
        nats: client,
        partition,
        fence,
        position,
        records_at,
        metrics: metrics.clone(),
        cluster_metrics: cm.clone(),
        status: status.clone(),
    };
    let listener = tokio::net::TcpListener::from_std(for_leader).map_err(AppError::LocalAddr)?;
    let res = crate::app::run_leading(cfg, leading, listener, async {
        tokio::select! {
            _ = &mut shutdown => {}
            _ = lost.cancelled() => {}
        }
    })
    .await;
    status.leader.store(false, Ordering::Relaxed);
    gauge.set(0);
    drop(lease);
    if lost.is_cancelled() {
        cm.lease_changes.inc();
        return Err(AppError::Cluster(format!(
            "lease {lease_name} lost: this node stopped leading (its supervisor starts it again as a standby)"
        )));
    }
    res
}

async fn run_api(
    cfg: Config,
    c: ClusterConfig,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    let engine = cfg.engine(None)?;
    let undeclared = cfg.undeclared_centres(engine.zones());
    if !undeclared.is_empty() {
        return Err(AppError::UndeclaredCentres(undeclared));
    }
    let metrics = Arc::new(Metrics::new());
    ClusterMetrics::register(&metrics.registry)?;
    let status = NodeStatus::new(&c.node, Role::Api, c.all_partitions());
    let routes: Arc<[crate::deliver::sink::Route]> =
        crate::deliver::sink::Route::from_config(&cfg.centres).into();
    let store = Store::connect(&cfg.storage.database_url())
        .await?
        .with_routes(routes.clone());
    info!(store = %store.url(), node = %c.node, "Api node: answering from the store and the leader's vessel state.");
    let cancel = CancellationToken::new();
    let hub = Hub::new(4096);
    // Partners' messages are taken here as on one process (partition 0's
    // leader sends what they queue).
    let crate::app::Serving {
        mut evidence,
        audit,
        audit_writer,
        audit_cancel,
        federation,
        terms,
        live_zones,
        zone_rx,
        zone_editor,
    } = crate::app::serving(
        &cfg,
        &store,
        Arc::new(engine.zones().clone()),
        &hub,
        &metrics,
        false,
        &cancel,
    )
    .await?;
    // The engine leader writes the raw archive this node's exports read.
    evidence.raw_writer = crate::evidence::ArchiveWriter::Elsewhere;
    if let Some(mut rx) = zone_rx {
        // The leaders apply reloads; this node shows them.
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
    }
    if let Some((file, _)) = &cfg.loaded_from {
        // Agreements reloaded as on the leaders, which deliver: a partner
        // added needs no worker here.
        crate::federation::reload::spawn(
            file.clone(),
            terms,
            store.clone(),
            Box::new(|_| {}),
            audit.clone(),
            cancel.clone(),
        )
        .map_err(AppError::Federation)?;
    }
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let heartbeat = Arc::new(AtomicI64::new(0));
    tokio::spawn(super::view::follow_snapshots(
        store.clone(),
        c.lease(FIRST),
        snap_tx,
        heartbeat.clone(),
        status.clone(),
        cancel.clone(),
    ));
    tokio::spawn(super::view::follow_events(
        store.clone(),
        hub.clone(),
        cancel.clone(),
    ));
    let progress = Arc::new(crate::storage::rebuild::Progress::default());
    progress.finish();
    let ctx = ApiContext {
        metrics: metrics.clone(),
        snapshot: snap_rx,
        // The leader publishes every second, asked or not.
        want_snapshot: Arc::new(AtomicBool::new(false)),
        store: Some(store.clone()),
        storage: Default::default(),
        zones: live_zones,
        zone_editor,
        preview: None,
        tokens: cfg.tokens()?,
        limits: cfg.api.clone(),
        engine_heartbeat: heartbeat,
        sources_ready: Arc::new(AtomicBool::new(true)),
        rebuild: progress,
        hub: Some(hub),
        routes,
        evidence: Some(evidence),
        federation: Some(federation),
        audit,
        cluster: Some(status),
    };
    let listener = bind(&cfg).await?;
    let http_addr = listener.local_addr().map_err(AppError::LocalAddr)?;
    crate::api::warn_if_open(&ctx.tokens, http_addr);
    let http_cancel = CancellationToken::new();
    let http = {
        let (h, cancel) = (cfg.http.clone(), http_cancel.clone());
        tokio::spawn(async move { crate::api::serve(listener, ctx, &h, cancel).await })
    };
    if let Some(tx) = on_bound {
        let _ = tx.send(Bound {
            http: http_addr,
            sources: Vec::new(),
        });
    }
    shutdown.await;
    info!("Shutting down.");
    cancel.cancel();
    http_cancel.cancel();
    let _ = http.await;
    audit_cancel.cancel();
    let _ = audit_writer.await;
    store.close().await;
    Ok(())
}
