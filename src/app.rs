//! The daemon: spawns the pipeline and wires its stages with bounded channels.
//!
//! ```text
//! sources ──LineBatch──▶ decode ──(source, Vec<Decoded>)──▶ engine ──Batch──▶ store writer ──▶ store (outbox)
//!                          └──RawBatch──▶ raw archive         │                     └──Hub──▶ delivery workers ──▶ centres
//!                                                             └──watch<Snapshot>──▶ api ◀── store, Hub (live stream)
//! ```
//!
//! Start: zones and config checked, store opened and migrated, engine state
//! rebuilt from the store (a restart resumes), then the HTTP server, then
//! the sources. Shutdown order: the shutdown future cancels the sources;
//! each source drops its sender; the decode stage drains and drops its own
//! (the raw archive flushes); the engine drains, hands its last batch to
//! the store writer and ends; the writer commits everything; last the HTTP
//! server stops.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::alert::hub::Hub;
use crate::alert::outbox;
use crate::alert::sink::Route;
use crate::config::Config;
use crate::decode::{DecodeStats, Decoded, Decoder, Limit, Reject};
use crate::engine::Engine;
use crate::ids::AlertId;
use crate::ingest::{self, LineBatch, SourceId};
use crate::lifecycle::{Ends, Supervisor};
use crate::metrics::Metrics;
use crate::snapshot::Snapshot;
use crate::storage::raw::{RawArchive, RawBatch, RawOptions};
use crate::storage::writer::{StoreSender, WriterStats};
use crate::storage::Store;
use crate::time::now_ms;
use crate::zones::ZoneSet;

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

/// Runs the daemon until `shutdown` completes. `on_bound` is told the bound
/// HTTP and source addresses once everything listens.
pub async fn run(
    cfg: Config,
    shutdown: impl Future<Output = ()>,
    on_bound: Option<oneshot::Sender<Bound>>,
) -> anyhow::Result<()> {
    // Zones and detectors first: a bad zone file fails the start before any socket opens.
    let mut engine = cfg.engine(None)?;
    let undeclared = cfg.undeclared_centres(engine.zones());
    anyhow::ensure!(
        undeclared.is_empty(),
        "{} zone(s) name centres the config does not declare:\n{}",
        undeclared.len(),
        undeclared.join("\n")
    );
    let tokens = cfg.tokens()?;
    let metrics = Arc::new(Metrics::new());
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    // Every stage runs supervised: one that fails stops the daemon (exit 1).
    let sup = Supervisor::new();

    // Storage: open, migrate, and rebuild the engine's state from it.
    let store = Store::connect(&cfg.storage.database_url()).await?;
    info!(store = %store.url(), "Store open.");
    let resume = crate::storage::rebuild::rebuild(&store, &mut engine)
        .await
        .context("cannot rebuild state from the store")?;
    if let Some((from, to)) = resume.span {
        info!(
            positions = resume.positions,
            statics = resume.statics,
            open_alerts = resume.open_alerts,
            closed_orphans = resume.closed_orphans,
            from = %crate::time::rfc3339(from),
            to = %crate::time::rfc3339(to),
            "State rebuilt from the store."
        );
    }
    // A looped file source goes on after what the store has seen.
    let resume_after = engine.clock();
    engine.record(true);

    // ⑤ Delivery: every alert change is stored with one pending delivery
    // per routed centre and channel; workers push them from there.
    let routes: Arc<[Route]> = Route::from_config(&cfg.centres).into();
    let store = store.with_routes(routes.clone());
    let sinks = outbox::sinks(&cfg).map_err(|e| anyhow::anyhow!(e))?;
    let hub = Hub::new(4096);
    let delivery_metrics = outbox::DeliveryMetrics::register(&metrics.registry)?;
    let delivery_cancel = CancellationToken::new();
    let deliverers: Vec<_> = outbox::spawn(
        store.clone(),
        &cfg.delivery,
        sinks,
        &hub,
        delivery_metrics,
        delivery_cancel.clone(),
    )
    .into_iter()
    .map(|d| sup.watch("delivery worker", Ends::AtShutdown, d))
    .collect();

    let storage_stats = Arc::new(WriterStats::default());
    let (store_tx, writer) = crate::storage::writer::spawn(
        store.clone(),
        &cfg.storage,
        storage_stats.clone(),
        Some(hub.clone()),
    );
    let writer = sup.watch("store writer", Ends::AtShutdown, writer);
    if let Some(retention) = cfg.storage.retention {
        tokio::spawn(crate::storage::writer::retention(
            store.clone(),
            retention,
            Duration::from_secs(600),
            cancel.clone(),
        ));
    }

    // The raw line archive, written on its own thread.
    let (raw_tx, raw_writer) = if cfg.storage.raw {
        let dir = cfg.storage.data_dir.join(crate::storage::raw::RAW_DIR);
        let archive = RawArchive::open(&dir, RawOptions::default())
            .with_context(|| format!("cannot open the raw archive {}", dir.display()))?;
        for r in archive.recovered() {
            warn!(segment = %r.segment.display(), bytes = r.bytes, reason = %r.reason, "Raw archive: torn tail cut after a crash.");
        }
        let (tx, rx) = mpsc::channel::<RawBatch>(cfg.channels.lines);
        let w = crate::storage::raw::spawn_writer_pruning(
            archive,
            rx,
            Duration::from_secs(1),
            cfg.storage.retention,
        )?;
        (Some(tx), Some(w))
    } else {
        (None, None)
    };

    let (line_tx, line_rx) = mpsc::channel::<LineBatch>(cfg.channels.lines);
    let (msg_tx, msg_rx) = mpsc::channel::<(SourceId, Vec<Decoded>)>(cfg.channels.messages);
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let want_snapshot = Arc::new(AtomicBool::new(true));
    let heartbeat = Arc::new(AtomicI64::new(now_ms()));
    let sources_ready = Arc::new(AtomicBool::new(false));

    // ⑤ API first, so a bind failure stops the start before anything runs.
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {}: {e}", cfg.http.listen))?;
    let http_addr = listener.local_addr()?;
    crate::api::warn_if_open(&tokens, http_addr);
    info!(addr = %http_addr, "HTTP server listening.");
    let http_cancel = CancellationToken::new();
    // Zones edited live: watched, reloaded off the engine, sent to it.
    let initial_zones = Arc::new(engine.zones().clone());
    // The evidence signing key exists from the first start on, so that
    // partners can pin it before they need it.
    let (evidence, created) =
        crate::evidence::ExportContext::for_config(&cfg, store.clone(), initial_zones.clone())?;
    if created {
        info!(path = %crate::evidence::key::key_path(&cfg.storage.data_dir).display(), "Evidence signing key created.");
    }
    let (live_zones, zone_rx) = match &cfg.zones {
        Some(dir) => {
            let (tx, rx) = mpsc::channel::<ZoneSet>(1);
            let declared = cfg.clone();
            let check: crate::zones::Check = Box::new(move |z| declared.undeclared_centres(z));
            let (live, _watcher) = crate::zones::watch_dir(
                dir.clone(),
                initial_zones,
                check,
                tx,
                &metrics.registry,
                cancel.clone(),
            )
            .map_err(anyhow::Error::msg)?;
            (live, Some(rx))
        }
        None => (crate::zones::fixed(initial_zones), None),
    };
    let ctx = crate::api::ApiContext {
        metrics: metrics.clone(),
        snapshot: snap_rx,
        want_snapshot: want_snapshot.clone(),
        store: Some(store.clone()),
        storage: storage_stats.clone(),
        zones: live_zones,
        tokens,
        limits: cfg.api.clone(),
        engine_heartbeat: heartbeat.clone(),
        sources_ready: sources_ready.clone(),
        hub: Some(hub.clone()),
        routes,
        evidence: Some(evidence),
    };
    let http = sup.watch(
        "HTTP server",
        Ends::AtShutdown,
        tokio::spawn(crate::api::serve(listener, ctx, http_cancel.clone())),
    );

    // ① Sources: all bound (or opened) before any runs, so a wrong address fails the start.
    let mut started = Vec::new();
    let mut source_addrs = Vec::new();
    let env = ingest::SourceEnv {
        vessel_ttl: cfg.engine.vessel_ttl,
        resume_after,
    };
    for src in cfg.sources.clone() {
        let id = src.id().to_owned();
        let source =
            ingest::start_source_with(src, line_tx.clone(), metrics.clone(), cancel.clone(), env)
                .await?;
        if let Some(addr) = source.local_addr {
            source_addrs.push((id.clone(), addr));
        }
        started.push((id, source.run));
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
    tracker.spawn(sup.spawn(
        "engine",
        Ends::AtShutdown,
        engine_stage(
            EngineStage {
                engine,
                store: store_tx,
                silenced: resume.silenced,
                snapshots: snap_tx,
                want_snapshot,
                heartbeat,
                metrics: metrics.clone(),
                storage: storage_stats.clone(),
                raw: raw_writer.as_ref().map(|w| w.stats()),
            },
            msg_rx,
            zone_rx,
            cancel.clone(),
        ),
    ));
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
        store.close().await;
    })
    .await;
    let failures = sup.failures();
    anyhow::ensure!(
        failures.is_empty(),
        "stopped after a failure: {}",
        failures.join("; ")
    );
    anyhow::ensure!(
        stopped.is_ok(),
        "shutdown did not finish within [shutdown] timeout = {}; data still queued may be lost",
        humantime::format_duration(timeout)
    );
    Ok(())
}

/// ② Decodes line batches with one [`Decoder`] per source (which keeps
/// framing state per receiver, bounded) and forwards the messages; every
/// line the decoder accepted goes, as received, to the raw archive.
/// Counters go to Prometheus after every batch.
async fn decode_stage(
    mut rx: mpsc::Receiver<LineBatch>,
    tx: mpsc::Sender<(SourceId, Vec<Decoded>)>,
    raw: Option<mpsc::Sender<RawBatch>>,
    metrics: Arc<Metrics>,
) -> Result<(), &'static str> {
    // Sources come from the config: this map is as bounded as they are.
    let mut decoders: HashMap<SourceId, Decoder> = HashMap::new();
    let mut expiry = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            batch = rx.recv() => {
                let Some(batch) = batch else { break };
                let dec = decoders.entry(batch.source.clone()).or_default();
                let peer = batch.peer;
                let mut out = Vec::with_capacity(batch.lines.len());
                let mut accepted = Vec::new();
                for line in batch.lines {
                    if raw.is_none() {
                        dec.feed_from(peer, &line.text, line.received_at, &mut out);
                        continue;
                    }
                    // Accepted: the decoder rejected nothing of it.
                    let rejected = dec.stats().rejects_total();
                    dec.feed_from(peer, &line.text, line.received_at, &mut out);
                    if dec.stats().rejects_total() == rejected {
                        accepted.push((line.received_at, line.text));
                    }
                }
                export(&metrics, &batch.source, dec.take_stats());
                if let (Some(raw), false) = (&raw, accepted.is_empty()) {
                    let b = RawBatch { source: batch.source.clone(), peer, lines: accepted };
                    if raw.send(b).await.is_err() {
                        // Lines would go unarchived: stop (and restart) instead.
                        return Err("the raw archive writer stopped");
                    }
                }
                if !out.is_empty() && tx.send((batch.source, out)).await.is_err() {
                    break;
                }
            }
            _ = expiry.tick() => {
                // Incomplete messages expire; receivers and station ids left
                // unused are forgotten.
                let now = now_ms();
                for (id, dec) in decoders.iter_mut() {
                    dec.expire(now);
                    export(&metrics, id, dec.take_stats());
                }
            }
        }
    }
    Ok(())
}

fn export(m: &Metrics, source: &str, s: DecodeStats) {
    if s.lines == 0 && s.rejects_total() == 0 && s.limited_total() == 0 {
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
    // What a cap turned away counts with the rejects, by its own reason.
    for l in Limit::ALL {
        let n = s.limit(l);
        if n > 0 {
            m.rejected
                .with_label_values(&[source, l.as_str()])
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

/// What the engine task owns besides the engine.
struct EngineStage {
    engine: Engine,
    store: StoreSender,
    /// Alerts a restart rebuilt that were never emitted: kept silent.
    silenced: std::collections::HashSet<AlertId>,
    snapshots: watch::Sender<Arc<Snapshot>>,
    want_snapshot: Arc<AtomicBool>,
    heartbeat: Arc<AtomicI64>,
    metrics: Arc<Metrics>,
    storage: Arc<WriterStats>,
    raw: Option<Arc<crate::storage::raw::RawStats>>,
}

impl EngineStage {
    /// Takes what the engine produced: alerts to the log and metrics, and
    /// with positions and static changes to the store.
    fn hand_over(&mut self) {
        let mut batch = self.engine.take_records();
        let alerts = self.engine.take_alerts();
        batch.alerts.reserve(alerts.len());
        for a in alerts {
            if self.silenced.contains(&a.id) {
                continue;
            }
            self.metrics
                .alerts
                .with_label_values(&[a.kind.as_str(), a.state.as_str(), a.zone.as_str()])
                .inc();
            // A fixed message: the summary (free text) is a field, so log
            // collectors can match the event and index its fields.
            info!(id = %a.id, kind = a.kind.as_str(), state = a.state.as_str(), zone = %a.zone, summary = %a.summary, "Alert.");
            batch.alerts.push(a);
        }
        if !batch.alerts.is_empty() {
            batch.emitted_at = Some(now_ms());
        }
        if !batch.is_empty() {
            self.store.offer(batch);
        }
    }

    /// Once a second: metrics, heartbeat, store catch-up, and a fresh
    /// snapshot if the API asked for one.
    fn tick(&mut self, dup_exported: &mut u64) {
        let now = now_ms();
        self.heartbeat.store(now, Ordering::Relaxed);
        self.store.flush();
        let e = &self.engine;
        self.metrics.vessels.set(e.tracks().len() as i64);
        if let Some(c) = e.clock() {
            self.metrics
                .engine_lag_seconds
                .set((now - c) as f64 / 1000.0);
        }
        let d = e.stats().duplicates;
        self.metrics.duplicates.inc_by(d - *dup_exported);
        *dup_exported = d;
        self.export_store();
        if self.want_snapshot.swap(false, Ordering::Relaxed) {
            let _ = self.snapshots.send(Arc::new(e.snapshot(now)));
        }
    }
}

impl EngineStage {
    fn export_store(&self) {
        let g = |what: &str, v: u64| {
            self.metrics
                .store
                .with_label_values(&[what])
                .set(v.min(i64::MAX as u64) as i64)
        };
        let s = &self.storage;
        let r = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        g("positions_written", r(&s.positions_written));
        g("positions_dropped", r(&s.positions_dropped));
        g("positions_pending", r(&s.positions_pending));
        g("statics_written", r(&s.statics_written));
        g("alerts_written", r(&s.alerts_written));
        g("errors", r(&s.errors));
        if let Some(raw) = &self.raw {
            g("raw_lines_written", raw.lines_written());
            g("raw_lines_dropped", raw.lines_dropped());
            g("raw_lines_pending", raw.lines_pending());
            g("raw_errors", raw.errors());
        }
    }
}

/// ③④ Owns the engine: applies messages, hands records to the store,
/// publishes snapshots. No locks.
async fn engine_stage(
    mut st: EngineStage,
    mut rx: mpsc::Receiver<(SourceId, Vec<Decoded>)>,
    mut zones: Option<mpsc::Receiver<ZoneSet>>,
    shutdown: CancellationToken,
) -> Result<(), std::convert::Infallible> {
    let mut batches = Vec::with_capacity(64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dup_exported = 0;
    let mut inputs_open = true;
    // Alerts the restart closed (detector switched off, zone gone) go out now.
    st.hand_over();
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batches, 64), if inputs_open => {
                if n == 0 {
                    // Every source ended (files read to the end): keep
                    // answering until the daemon shuts down.
                    inputs_open = false;
                    st.want_snapshot.store(true, Ordering::Relaxed);
                    if shutdown.is_cancelled() {
                        break;
                    }
                    continue;
                }
                let now = now_ms();
                for (source, msgs) in batches.drain(..) {
                    st.engine.ingest(&source, &msgs, now);
                }
                st.hand_over();
            }
            // New zones swap in between batches.
            z = next_zones(&mut zones) => match z {
                Some(z) => {
                    st.engine.set_zones(z, now_ms());
                    st.hand_over();
                }
                None => zones = None,
            },
            _ = shutdown.cancelled(), if !inputs_open => break,
            _ = tick.tick() => st.tick(&mut dup_exported),
        }
    }
    st.tick(&mut dup_exported);
    // Whatever is still buffered goes to the writer, waiting for room.
    st.store.send(Default::default()).await;
    info!(vessels = st.engine.tracks().len(), "Engine stopped.");
    Ok(())
}

/// The next zones from the watcher; never, without one.
async fn next_zones(rx: &mut Option<mpsc::Receiver<ZoneSet>>) -> Option<ZoneSet> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
