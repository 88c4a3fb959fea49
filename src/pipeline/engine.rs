//! ③④ The engine stage: the one task that owns the [`Engine`]. It applies
//! decoded messages in batches, swaps in zones reloaded live, hands records
//! and alerts to the store writer, and publishes snapshots for the API.
//! Owning all state in one task is what lets the engine go without locks.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::ingest::SourceId;
use crate::metrics::Metrics;
use crate::storage::raw::RawStats;
use crate::storage::writer::{StoreSender, WriterStats};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::now_ms;
use aiswatch_decode::Decoded;
use aiswatch_engine::engine::Engine;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_zones::ZoneSet;

/// What the engine task owns besides the engine.
pub struct EngineStage {
    /// The engine, with the state rebuilt from the store.
    pub engine: Engine,
    /// Records and alert changes go to the store writer through this.
    pub store: StoreSender,
    /// Alerts a restart rebuilt that were never emitted: kept silent.
    pub silenced: std::collections::HashSet<AlertId>,
    /// Where snapshots for the API are published.
    pub snapshots: watch::Sender<Arc<Snapshot>>,
    /// Set by the API when a query read the snapshot: refresh it.
    pub want_snapshot: Arc<AtomicBool>,
    /// Wall-clock ms of the last tick, for the API's liveness check.
    pub heartbeat: Arc<AtomicI64>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The store writer's counters, exported as metrics every tick.
    pub storage: Arc<WriterStats>,
    /// The raw archive writer's counters, when it runs.
    pub raw: Option<Arc<RawStats>>,
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
        // A copy of a burst the engine has since forgotten is replaced even
        // unasked: it would hold the burst's memory until the next query.
        let outgrown = self.snapshots.borrow().outgrown(e.tracks().len());
        if self.want_snapshot.swap(false, Ordering::Relaxed) || outgrown {
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
pub async fn engine_stage(
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
