//! The daemon: spawns the pipeline and wires its stages with bounded channels.
//!
//! ```text
//! sources ──LineBatch──▶ decode ──MessageBatch──▶ engine ──Batch──▶ store writer ──▶ store (outbox)
//!                          └──RawBatch──▶ raw archive         │                     └──Hub──▶ delivery workers ──▶ centres
//!                                                             └──watch<Snapshot>──▶ api ◀── store, Hub (live stream)
//! ```
//!
//! Start: zones and config checked, store opened and migrated, then the
//! HTTP server and the sources, at once; the engine stage first rebuilds
//! its state from the store (a restart resumes) while what the sources
//! deliver waits, and `/readyz` says how far the rebuild is. Shutdown order: the shutdown future cancels the sources;
//! each source drops its sender; the decode stage drains and drops its own
//! (the raw archive flushes); the engine drains, hands its last batch to
//! the store writer and ends; the writer commits everything; last the HTTP
//! server stops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::deliver::hub::Hub;
use crate::deliver::outbox;
use crate::deliver::sink::Route;
use crate::ingest::{self, LineBatch};
use crate::lifecycle::{Ends, Supervisor};
use crate::metrics::Metrics;
use crate::pipeline::decode::decode_stage;
use crate::pipeline::engine::{engine_stage, EngineStage, Rebuild};
use crate::storage::raw::{RawArchive, RawBatch, RawOptions};
use crate::storage::writer::WriterStats;
use crate::storage::Store;
use aiswatch_core::time::now_ms;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_zones::ZoneSet;

/// Why the daemon could not start, or did not stop cleanly. Each message
/// names what failed; the cause, where there is one, is its `source`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The configuration, its token files or its zones directory.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Zones name centres `[[centres]]` does not declare (one message each).
    #[error("{} zone(s) name centres the config does not declare:\n{}", .0.len(), .0.join("\n"))]
    UndeclaredCentres(Vec<String>),
    /// The store cannot be opened or migrated.
    #[error(transparent)]
    Store(#[from] crate::storage::StorageError),
    /// A centre's push channel is misconfigured.
    #[error(transparent)]
    Sink(#[from] outbox::SinkError),
    /// Metrics cannot be registered.
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
    /// The raw line archive cannot be opened.
    #[error("cannot open the raw archive {}", dir.display())]
    RawArchive {
        /// The archive's directory.
        dir: std::path::PathBuf,
        /// Why.
        source: crate::storage::raw::RawError,
    },
    /// The raw archive's writer thread cannot start.
    #[error(transparent)]
    RawWriter(crate::storage::raw::RawError),
    /// The HTTP listener cannot be bound.
    #[error("cannot listen for HTTP on {addr}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bound listener has no local address.
    #[error(transparent)]
    LocalAddr(std::io::Error),
    /// The evidence signing key cannot be read or created.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// The zones directory cannot be watched.
    #[error(transparent)]
    Zones(#[from] crate::live_zones::WatchError),
    /// The configuration file cannot be watched for new agreements.
    #[error("partners and agreements: {0}")]
    Federation(String),
    /// A source cannot be bound or opened.
    #[error(transparent)]
    Source(#[from] ingest::SourceError),
    /// A pipeline stage failed (each failure: stage and why).
    #[error("stopped after a failure: {}", .0.join("; "))]
    StageFailed(Vec<String>),
    /// `[cluster]` or `--role`: what is wrong, or a lease lost.
    #[error("cluster: {0}")]
    Cluster(String),
    /// Draining took longer than `[shutdown] timeout`.
    #[error(
        "shutdown did not finish within [shutdown] timeout = {}; data still queued may be lost",
        humantime::format_duration(*.0)
    )]
    ShutdownTimeout(Duration),
}

/// What [`run`] binds, for callers (tests) that asked for port 0.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The HTTP server's address.
    pub http: SocketAddr,
    /// Each listening source's address (UDP, TCP server), by source id, in
    /// config order.
    pub sources: Vec<(String, SocketAddr)>,
}

impl Bound {
    /// The address source `id` listens on, if it is a listening source.
    pub fn source(&self, id: &str) -> Option<SocketAddr> {
        self.sources
            .iter()
            .find_map(|(s, addr)| (s == id).then_some(*addr))
    }
}

/// What an engine node that took the lease runs the pipeline with
/// (see [`crate::cluster::node`]).
pub struct Leading {
    /// `[cluster]`.
    pub cluster: crate::cluster::ClusterConfig,
    /// Connected to `[cluster] nats_url`.
    pub nats: async_nats::Client,
    /// The partition it leads.
    pub partition: u32,
    /// The epoch taken with the lease: every store commit checks it.
    pub fence: crate::storage::cluster::Fence,
    /// The stream position the store committed for the partition.
    pub position: u64,
    /// Partitions but the first: where partition 0's stored records stood
    /// at a position not beyond `position` (a partition never led: where
    /// they stand now). The state is rebuilt from the records up to there,
    /// the stream read from just after it, and the lines up to `position`
    /// applied again without handing over their alerts. `None` (partition
    /// 0): everything stored, read after `position`.
    pub records_at: Option<crate::storage::cluster::CommitRow>,
    /// The node's metrics (with the cluster's registered).
    pub metrics: Arc<Metrics>,
    /// The cluster's metrics.
    pub cluster_metrics: crate::cluster::ClusterMetrics,
    /// This node, for `/api/v1/status`.
    pub status: Arc<crate::cluster::NodeStatus>,
}

/// Runs the daemon until `shutdown` completes. `on_bound` is told the bound
/// HTTP and source addresses once everything listens.
pub async fn run(
    cfg: Config,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    run_with(cfg, None, None, shutdown, on_bound).await
}

/// [`run`] for an engine node that leads a partition: the line stream as
/// its only source (from just after `leading.position`), store commits
/// fenced and never dropping positions (the engine waits instead). Its
/// detectors run in the partition's zones. The leader of partition 0 also
/// stores the records and the raw archive, delivers, prunes and publishes
/// the vessel state for api nodes; the others store only their alerts. It
/// serves HTTP on `listener`, bound while the node was a standby.
pub async fn run_leading(
    cfg: Config,
    leading: Leading,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), AppError> {
    run_with(cfg, Some(leading), Some(listener), shutdown, None).await
}

async fn run_with(
    cfg: Config,
    leading: Option<Leading>,
    listener: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> Result<(), AppError> {
    // Zones and detectors first: a bad zone file fails the start before any socket opens.
    let mut engine = cfg.engine(None)?;
    let undeclared = cfg.undeclared_centres(engine.zones());
    if !undeclared.is_empty() {
        return Err(AppError::UndeclaredCentres(undeclared));
    }
    // A partition of a cluster: the detectors run in its zones and the
    // zones near them; it raises its own zones' alerts.
    let partition = leading
        .as_ref()
        .filter(|l| l.cluster.partitions > 1)
        .map(|l| (l.cluster.clone(), l.partition));
    let owns = partition.as_ref().map(|(c, p)| c.owns(*p));
    let initial_zones = Arc::new(engine.zones().clone());
    if let Some((c, p)) = &partition {
        engine.set_zones(c.zones_of(engine.zones(), *p), now_ms());
    }
    // The leader of any partition but the first stores only its alerts.
    let first = leading
        .as_ref()
        .is_none_or(|l| l.partition == crate::cluster::FIRST);
    let tokens = cfg.tokens()?;
    let metrics = match &leading {
        Some(l) => l.metrics.clone(),
        None => Arc::new(Metrics::new()),
    };
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    // Every stage runs supervised: one that fails stops the daemon (exit 1).
    let sup = Supervisor::new();

    // Storage: open and migrate. The engine's state is rebuilt from it in
    // the engine stage, while the daemon already listens (and buffers).
    let mut store = Store::connect(&cfg.storage.database_url()).await?;
    if let Some(l) = &leading {
        store = store.with_fence(l.fence.clone());
    }
    info!(store = %store.url(), "Store open.");
    let progress = Arc::new(crate::storage::rebuild::Progress::default());
    let (clock_tx, clock_rx) = watch::channel(None);

    // ⑤ Delivery: every alert change is stored with one pending delivery
    // per routed centre and channel; workers push them from there.
    let routes: Arc<[Route]> = Route::from_config(&cfg.centres).into();
    let store = store.with_routes(routes.clone());
    let mut sinks = outbox::sinks(&cfg.centres, &cfg.delivery)?;
    let hub = Hub::new(4096);
    let Serving {
        mut evidence,
        audit,
        audit_writer,
        audit_cancel,
        federation,
        terms: terms_tx,
        live_zones,
        zone_rx,
        zone_editor,
    } = serving(&cfg, &store, initial_zones, &hub, &metrics, first, &cancel).await?;
    for p in &federation.terms().partners {
        sinks.push((p.id.as_str().into(), federation.sink()));
    }
    let delivery_metrics = outbox::DeliveryMetrics::register(&metrics.registry)?;
    let delivery_cancel = CancellationToken::new();
    if !first {
        // Partition 0's leader delivers what every partition stores.
        sinks.clear();
    }
    let deliverers: Vec<_> = outbox::spawn(
        store.clone(),
        &cfg.delivery,
        sinks,
        &hub,
        delivery_metrics.clone(),
        delivery_cancel.clone(),
    )
    .into_iter()
    .map(|d| sup.watch("delivery worker", Ends::AtShutdown, d))
    .collect();
    if let Some((file, _)) = &cfg.loaded_from {
        // A partner added later gets its worker then.
        let (st, delivery, hub, fed, m, c) = (
            store.clone(),
            cfg.delivery.clone(),
            hub.clone(),
            federation.clone(),
            delivery_metrics,
            delivery_cancel.clone(),
        );
        let new_partner: crate::federation::reload::NewPartner = Box::new(move |id| {
            if !first {
                return;
            }
            let sinks = vec![(id.into(), fed.sink())];
            drop(outbox::spawn(
                st.clone(),
                &delivery,
                sinks,
                &hub,
                m.clone(),
                c.clone(),
            ));
        });
        crate::federation::reload::spawn(
            file.clone(),
            terms_tx,
            store.clone(),
            new_partner,
            audit.clone(),
            cancel.clone(),
        )
        .map_err(AppError::Federation)?;
    }

    let storage_stats = Arc::new(WriterStats::default());
    let (mut store_tx, writer) = crate::storage::writer::spawn(
        store.clone(),
        &cfg.storage,
        storage_stats.clone(),
        Some(hub.clone()),
    );
    if leading.is_some() {
        // The stream keeps what the engine has not read: wait, never drop.
        store_tx.set_lossless();
    }
    let writer = sup.watch("store writer", Ends::AtShutdown, writer);
    if let Some(retention) = cfg.storage.retention.filter(|_| first) {
        tokio::spawn(crate::storage::writer::retention(
            store.clone(),
            retention,
            cfg.storage.prune_every,
            cancel.clone(),
        ));
    }

    // The raw line archive, written on its own thread.
    let (raw_tx, raw_writer) = if cfg.storage.raw && first {
        let dir = cfg.storage.data_dir.join(crate::storage::raw::RAW_DIR);
        let archive = RawArchive::open(&dir, RawOptions::default()).map_err(|source| {
            AppError::RawArchive {
                dir: dir.clone(),
                source,
            }
        })?;
        for r in archive.recovered() {
            warn!(segment = %r.segment.display(), bytes = r.bytes, reason = %r.reason, "Raw archive: torn tail cut after a crash.");
        }
        let (tx, rx) = mpsc::channel::<RawBatch>(cfg.channels.lines);
        let w = crate::storage::raw::spawn_writer_pruning(
            archive,
            rx,
            crate::storage::raw::FLUSH_EVERY,
            cfg.storage
                .retention
                .map(|retention| crate::storage::raw::Pruning {
                    retention,
                    every: cfg.storage.prune_every,
                    held: store.held_raw(),
                }),
        )
        .map_err(AppError::RawWriter)?;
        evidence.raw_writer = crate::evidence::ArchiveWriter::Here(w.flusher());
        (Some(tx), Some(w))
    } else {
        (None, None)
    };

    let (line_tx, line_rx) = mpsc::channel::<LineBatch>(cfg.channels.lines);
    let (msg_tx, msg_rx) = mpsc::channel::<crate::pipeline::MessageBatch>(cfg.channels.messages);
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let snap_rx_for_cluster = snap_rx.clone();
    let want_snapshot = Arc::new(AtomicBool::new(true));
    let heartbeat = Arc::new(AtomicI64::new(now_ms()));
    let sources_ready = Arc::new(AtomicBool::new(false));

    // ⑤ API first, so a bind failure stops the start before anything runs.
    let listener = match listener {
        Some(l) => l,
        None => {
            let l = tokio::net::TcpListener::bind(cfg.http.listen)
                .await
                .map_err(|source| AppError::Bind {
                    addr: cfg.http.listen,
                    source,
                })?;
            info!(addr = %l.local_addr().map_err(AppError::LocalAddr)?, "HTTP server listening.");
            l
        }
    };
    let http_addr = listener.local_addr().map_err(AppError::LocalAddr)?;
    crate::api::warn_if_open(&tokens, http_addr);
    let http_cancel = CancellationToken::new();
    let zone_rx = match (zone_rx, &partition) {
        (Some(rx), Some((c, p))) => Some(own_zones(rx, c.clone(), *p)),
        (rx, _) => rx,
    };
    let ctx = crate::api::ApiContext {
        metrics: metrics.clone(),
        snapshot: snap_rx,
        want_snapshot: want_snapshot.clone(),
        store: Some(store.clone()),
        storage: storage_stats.clone(),
        zones: live_zones,
        zone_editor,
        preview: Some(Arc::new(crate::preview::Previewer {
            raw_dir: cfg.storage.data_dir.join(crate::storage::raw::RAW_DIR),
            engine: cfg.engine.clone(),
            detect: cfg.detect.clone(),
        })),
        tokens,
        limits: cfg.api.clone(),
        engine_heartbeat: heartbeat.clone(),
        sources_ready: sources_ready.clone(),
        rebuild: progress.clone(),
        hub: Some(hub.clone()),
        routes,
        evidence: Some(evidence),
        federation: Some(federation),
        audit,
        cluster: leading.as_ref().map(|l| l.status.clone()),
    };
    let http = sup.watch(
        "HTTP server",
        Ends::AtShutdown,
        tokio::spawn({
            let http = cfg.http.clone();
            let cancel = http_cancel.clone();
            async move { crate::api::serve(listener, ctx, &http, cancel).await }
        }),
    );

    // ① Sources: all bound (or opened) before any runs, so a wrong address
    // fails the start. A looped file source starts once the engine's clock
    // is rebuilt, with its first pass after it.
    // An engine that leads a cluster reads the line stream instead.
    let mut started = Vec::new();
    let mut source_addrs = Vec::new();
    let sources = match &leading {
        Some(_) => Vec::new(),
        None => cfg.sources.clone(),
    };
    for src in sources {
        let id = src.id().to_owned();
        let env = ingest::SourceEnv {
            vessel_ttl: cfg.engine.vessel_ttl,
            resume_after: None,
        };
        let resumes = src.resumes();
        let source = ingest::start_source_with(
            src.clone(),
            line_tx.clone(),
            metrics.clone(),
            cancel.clone(),
            env,
        )
        .await?;
        if let Some(addr) = source.local_addr {
            source_addrs.push((id.clone(), addr));
        }
        let run: ingest::RunningSource = if resumes {
            drop(source);
            let (mut clock, tx, metrics, cancel) = (
                clock_rx.clone(),
                line_tx.clone(),
                metrics.clone(),
                cancel.clone(),
            );
            Box::pin(async move {
                let rebuilt = match clock.wait_for(Option::is_some).await {
                    Ok(c) => c.flatten(),
                    // The engine stage ended before its rebuild: nothing to feed.
                    Err(_) => return Ok(()),
                };
                let env = ingest::SourceEnv {
                    resume_after: rebuilt,
                    ..env
                };
                ingest::start_source_with(src, tx, metrics, cancel, env)
                    .await?
                    .run
                    .await
            })
        } else {
            source.run
        };
        started.push((id, run));
    }
    if let Some(l) = &leading {
        let js = async_nats::jetstream::new(l.nats.clone());
        let reading = crate::cluster::consume::Reading {
            partition: l.partition,
            after: l.records_at.map_or(l.position, |r| r.position),
            split_at: l.records_at.map(|_| l.position),
        };
        tracker.spawn(sup.spawn(
            "line stream",
            Ends::AtShutdown,
            crate::cluster::consume::run(
                js,
                l.cluster.clone(),
                reading,
                line_tx.clone(),
                l.cluster_metrics.clone(),
                cancel.clone(),
            ),
        ));
        if first {
            tokio::spawn(crate::cluster::view::publish_snapshots(
                store.clone(),
                l.cluster.clone(),
                snap_rx_for_cluster,
                want_snapshot.clone(),
                cancel.clone(),
            ));
        }
    }
    drop(line_tx);
    for (id, fut) in started {
        // A file source ends at its end; any source that fails stops the daemon.
        tracker.spawn(sup.spawn(&format!("source {id}"), Ends::Whenever, fut));
    }
    sources_ready.store(true, Ordering::Relaxed);

    // ② Decode.
    tracker.spawn(sup.spawn(
        "decode",
        Ends::Whenever,
        decode_stage(line_rx, msg_tx, raw_tx, metrics.clone()),
    ));
    // ③④ Engine.
    tracker.spawn(
        sup.spawn(
            "engine",
            Ends::AtShutdown,
            engine_stage(
                EngineStage {
                    engine,
                    store: store_tx,
                    silenced: Default::default(),
                    snapshots: snap_tx,
                    want_snapshot,
                    heartbeat,
                    metrics: metrics.clone(),
                    storage: storage_stats.clone(),
                    raw: raw_writer.as_ref().map(|w| w.stats()),
                    read_to: leading
                        .as_ref()
                        .map(|l| l.records_at.map_or(l.position, |r| r.position)),
                    owns: owns.clone(),
                    quiet: None,
                },
                match &leading {
                    Some(l) => Rebuild {
                        bounds: crate::storage::rebuild::Bounds {
                            upto: l.records_at.map(|r| (r.seq, r.time)),
                            owns,
                        },
                        quiet_to: l.records_at.map(|_| l.position),
                        records: first,
                        ..Rebuild::all(store.clone(), progress, clock_tx)
                    },
                    None => Rebuild::all(store.clone(), progress, clock_tx),
                },
                msg_rx,
                zone_rx,
                cancel.clone(),
            ),
        ),
    );
    tracker.close();

    if let Some(tx) = on_bound {
        let _ = tx.send(Bound {
            http: http_addr,
            sources: source_addrs,
        });
    }
    tokio::select! {
        _ = shutdown => info!("Shutting down."),
        _ = sup.tripped() => error!("A pipeline stage failed; shutting down."),
    }
    sup.stopping();
    cancel.cancel();
    let timeout = cfg.shutdown.timeout;
    let stopped = tokio::time::timeout(timeout, async {
        // Drain: sources, decode and engine end; the writer commits what
        // they handed over; the raw archive flushes.
        tracker.wait().await;
        let _ = writer.await;
        if let Some(w) = raw_writer {
            match tokio::task::spawn_blocking(move || w.join()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => sup.fail("raw archive writer", &e.to_string()),
                Err(e) => sup.fail("raw archive writer", &e.to_string()),
            }
        }
        // Delivery workers stop; what is not yet acknowledged stays pending
        // in the store and goes after the next start.
        delivery_cancel.cancel();
        for d in deliverers {
            let _ = d.await;
        }
        http_cancel.cancel();
        let _ = http.await;
        // The audit writer writes what is queued, then stops.
        audit_cancel.cancel();
        let _ = audit_writer.await;
        store.close().await;
    })
    .await;
    let failures = sup.failures();
    if !failures.is_empty() {
        return Err(AppError::StageFailed(failures));
    }
    if stopped.is_err() {
        return Err(AppError::ShutdownTimeout(timeout));
    }
    Ok(())
}

/// The zones of partition `p` of each set `rx` brings.
fn own_zones(
    mut rx: mpsc::Receiver<ZoneSet>,
    c: crate::cluster::ClusterConfig,
    p: u32,
) -> mpsc::Receiver<ZoneSet> {
    let (tx, own) = mpsc::channel(1);
    tokio::spawn(async move {
        while let Some(z) = rx.recv().await {
            if tx.send(c.zones_of(&z, p)).await.is_err() {
                break;
            }
        }
    });
    own
}

/// What answers beside the pipeline on every node with a store (one
/// process, an engine leader, an api node).
pub(crate) struct Serving {
    /// Evidence export, with the installation key.
    pub evidence: crate::evidence::ExportContext,
    /// The audit trail.
    pub audit: crate::audit::Audit,
    /// Its writer: ends after `audit_cancel`, once what is queued is written.
    pub audit_writer: tokio::task::JoinHandle<()>,
    /// Stops the audit writer.
    pub audit_cancel: CancellationToken,
    /// Partners and agreements.
    pub federation: Arc<crate::federation::Federation>,
    /// Where reloaded agreements go.
    pub terms: watch::Sender<Arc<crate::federation::Terms>>,
    /// The zones as the watcher keeps them, for the API.
    pub live_zones: crate::live_zones::LiveZones,
    /// Zone sets the watcher accepted, for the engine (`None` without a
    /// zones directory).
    pub zone_rx: Option<mpsc::Receiver<ZoneSet>>,
    /// Edits of the zone files through the API (`None` without a zones
    /// directory).
    pub zone_editor: Option<crate::live_zones::Editor>,
}

/// Opens what [`Serving`] holds. The installation key (evidence and
/// partners) exists from the first start on, so that partners can pin it
/// before they need it. With `checkpoints`, the audit trail's signed head
/// goes to the partners now and then (the node that delivers: one per
/// installation).
pub(crate) async fn serving(
    cfg: &Config,
    store: &Store,
    zones: Arc<ZoneSet>,
    hub: &Arc<Hub>,
    metrics: &Metrics,
    checkpoints: bool,
    cancel: &CancellationToken,
) -> Result<Serving, AppError> {
    let (evidence, created) = crate::evidence::ExportContext::open(
        store.clone(),
        zones.clone(),
        &cfg.storage.data_dir,
        cfg.loaded_from.as_ref(),
        cfg.detect.defaults.clone(),
    )?;
    if created {
        info!(path = %crate::evidence::key::key_path(&cfg.storage.data_dir).display(), "Installation signing key created.");
    }
    // The audit trail: every access and change recorded, off the request
    // path.
    let partners_of: Arc<std::sync::OnceLock<Arc<crate::federation::Federation>>> = Arc::default();
    let partners: Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync> = if checkpoints {
        let partners_of = partners_of.clone();
        Arc::new(move || {
            partners_of
                .get()
                .map(|f| f.checkpoint_partners())
                .unwrap_or_default()
        })
    } else {
        Arc::new(Vec::new)
    };
    let audit_cancel = CancellationToken::new();
    let (audit, audit_writer) = crate::audit::start(
        store.clone(),
        &cfg.audit,
        crate::audit::AuditMetrics::register(&metrics.registry)?,
        Some(evidence.key.clone()),
        partners,
        audit_cancel.clone(),
    );
    // Partners: changes an agreement covers are queued with the others.
    let (federation, terms) = crate::federation::start(
        cfg,
        store,
        hub,
        evidence.key.clone(),
        &metrics.registry,
        audit.clone(),
    )?;
    let _ = partners_of.set(federation.clone());
    let (live_zones, zone_editor, zone_rx) = match &cfg.zones {
        Some(dir) => {
            let (tx, rx) = mpsc::channel::<ZoneSet>(1);
            let declared = cfg.clone();
            let check: crate::live_zones::Check = Arc::new(move |z| declared.undeclared_centres(z));
            let (live, editor, _watcher) = crate::live_zones::spawn(
                dir.clone(),
                zones,
                check,
                tx,
                Some(store.clone()),
                &metrics.registry,
                audit.clone(),
                cancel.clone(),
            )
            .await?;
            (live, Some(editor), Some(rx))
        }
        None => (crate::live_zones::fixed(zones), None, None),
    };
    Ok(Serving {
        evidence,
        audit,
        audit_writer,
        audit_cancel,
        federation,
        terms,
        live_zones,
        zone_rx,
        zone_editor,
    })
}
