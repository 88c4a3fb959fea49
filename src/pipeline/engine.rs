//! ③④ The engine stage: the one task that owns the [`Engine`]. It first
//! rebuilds the engine's state from the store while what the sources
//! deliver waits in order; then it applies decoded messages in batches,
//! swaps in zones reloaded live, hands records and alerts to the store
//! writer, and publishes snapshots for the API. Owning all state in one
//! task is what lets the engine go without locks.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::MessageBatch;
use crate::metrics::Metrics;
use crate::storage::raw::RawStats;
use crate::storage::rebuild::{Bounds, Owns, Progress};
use crate::storage::writer::{StoreSender, WriterStats};
use crate::storage::{StorageError, Store};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::{now_ms, Millis};
use aiswatch_engine::engine::Engine;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_zones::ZoneSet;

/// What the engine task owns besides the engine.
pub struct EngineStage {
    /// The engine, with the state rebuilt from the store.
    pub engine: Engine,
    /// Records and alert changes go to the store writer through this.
    pub store: StoreSender,
    /// Alerts a restart rebuilt that were never emitted: kept silent (filled
    /// by the rebuild).
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
    /// How far into the cluster's line stream the input has been applied
    /// (`None`: the input is not a stream).
    pub read_to: Option<u64>,
    /// The zones whose alerts this engine hands over (`None`: all): a
    /// partition of a cluster runs its neighbours' zones too (see
    /// [`crate::cluster::ClusterConfig::zones_of`]).
    pub owns: Option<Owns>,
    /// While lines applied before are applied again (see
    /// [`Rebuild::quiet_to`]; set by the rebuild).
    pub quiet: Option<Quiet>,
}

/// Lines applied again after a takeover, up to where the last leader of
/// the partition stopped: their alerts were stored then.
pub struct Quiet {
    to: u64,
    known: std::collections::HashSet<AlertId>,
}

impl EngineStage {
    /// Takes what the engine produced: alerts to the log and metrics, and
    /// with positions and static changes to the store.
    fn hand_over(&mut self) {
        let mut batch = self.engine.take_records();
        let alerts = self.engine.take_alerts();
        batch.alerts.reserve(alerts.len());
        for a in alerts {
            if self.owns.as_ref().is_some_and(|owns| !owns(&a.zone)) {
                continue;
            }
            if let Some(q) = &self.quiet {
                if !q.known.contains(&a.id) {
                    self.silenced.insert(a.id);
                }
                continue;
            }
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
        batch.input = self.read_to;
        if !batch.is_empty() || batch.input.is_some() {
            self.store.offer(batch);
        }
    }

    /// Applies one batch of messages.
    fn ingest(&mut self, m: &MessageBatch, now: Millis) {
        let quiet_to = self.quiet.as_ref().map(|q| Some(q.to));
        if quiet_to.is_some_and(|to| m.position > to) {
            self.end_quiet();
        }
        self.engine.ingest(&m.source, &m.messages, now);
        if m.position.is_some() {
            self.read_to = self.read_to.max(m.position);
        }
        if self.quiet.is_some() && quiet_to.is_some_and(|to| self.read_to >= to) {
            self.end_quiet();
        }
    }

    /// The lines applied before are all applied again: what they raised
    /// is handed over quietly; from here on the lines are new.
    fn end_quiet(&mut self) {
        self.hand_over();
        self.quiet = None;
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
        g("migrations_rerun", r(&s.migrations_rerun));
        self.metrics
            .store_wal_bytes
            .set(r(&s.wal_bytes).min(i64::MAX as u64) as i64);
        if let Some(raw) = &self.raw {
            g("raw_lines_written", raw.lines_written());
            g("raw_lines_dropped", raw.lines_dropped());
            g("raw_lines_pending", raw.lines_pending());
            g("raw_errors", raw.errors());
        }
    }
}

/// Messages the engine stage holds while it rebuilds; beyond this it stops
/// reading, so sources wait (files) or count what they drop (UDP) as under
/// any overload.
pub const REBUILD_BUFFER: usize = 500_000;

/// Where the engine's state comes back from at start.
pub struct Rebuild {
    /// The store to replay.
    pub store: Store,
    /// How far the replay is (for `/readyz`); marked done when it is.
    pub progress: Arc<Progress>,
    /// Told the engine's clock once rebuilt: looped file sources start
    /// with the first pass after it.
    pub clock: watch::Sender<Option<Option<Millis>>>,
    /// What of the store to replay (see [`Bounds`]).
    pub bounds: Bounds,
    /// A cluster partition's leader taking over reads the stream from
    /// where the stored records stand, which may be before where the
    /// partition's last leader stopped: the lines up to this stream
    /// position are applied again for their state, their alerts not
    /// handed over (they were stored then).
    pub quiet_to: Option<u64>,
    /// Whether positions, static data and the rest of the records go to
    /// the store (false: another partition's leader stores them).
    pub records: bool,
}

impl Rebuild {
    /// A rebuild of everything stored, recording from then on.
    pub fn all(
        store: Store,
        progress: Arc<Progress>,
        clock: watch::Sender<Option<Option<Millis>>>,
    ) -> Self {
        Rebuild {
            store,
            progress,
            clock,
            bounds: Bounds::default(),
            quiet_to: None,
            records: true,
        }
    }
}

/// Why the engine stage stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineStageError {
    /// The engine's state cannot be read back from the store.
    #[error("cannot rebuild state from the store: {0}")]
    Rebuild(StorageError),
}

/// ③④ Owns the engine: rebuilds its state, then applies messages, hands
/// records to the store, publishes snapshots. No locks.
///
/// # Errors
/// The store could not be read for the rebuild.
pub async fn engine_stage(
    mut st: EngineStage,
    rebuild: Rebuild,
    mut rx: mpsc::Receiver<MessageBatch>,
    mut zones: Option<mpsc::Receiver<ZoneSet>>,
    shutdown: CancellationToken,
) -> Result<(), EngineStageError> {
    let mut batches = Vec::with_capacity(64);
    let mut inputs_open = true;
    let mut held = 0;
    let resume = {
        let rebuilt = crate::storage::rebuild::rebuild_within(
            &rebuild.store,
            &mut st.engine,
            &rebuild.progress,
            &rebuild.bounds,
        );
        tokio::pin!(rebuilt);
        loop {
            tokio::select! {
                r = &mut rebuilt => break r.map_err(EngineStageError::Rebuild)?,
                n = rx.recv_many(&mut batches, 64), if inputs_open && held < REBUILD_BUFFER => {
                    if n == 0 {
                        inputs_open = false;
                    }
                    held += batches[batches.len() - n..].iter().map(|m| m.messages.len()).sum::<usize>();
                }
                _ = shutdown.cancelled() => {
                    if held > 0 {
                        warn!(messages = held, "Stopped while rebuilding: messages received meanwhile were not applied (the raw archive, where on, keeps their lines).");
                    }
                    return Ok(());
                }
            }
        }
    };
    if let Some((from, to)) = resume.span {
        info!(
            positions = resume.positions,
            statics = resume.statics,
            open_alerts = resume.open_alerts,
            closed_orphans = resume.closed_orphans,
            held,
            from = %aiswatch_core::time::rfc3339(from),
            to = %aiswatch_core::time::rfc3339(to),
            "State rebuilt from the store."
        );
    }
    st.silenced = resume.silenced;
    st.engine.record(rebuild.records);
    rebuild.clock.send_replace(Some(st.engine.clock()));
    rebuild.progress.finish();
    // Alerts the restart closed (detector switched off, zone gone) go out now.
    st.hand_over();
    st.quiet = rebuild.quiet_to.map(|to| Quiet {
        to,
        known: resume.known,
    });
    // Then what arrived meanwhile, in order.
    for chunk in batches.chunks(64) {
        let now = now_ms();
        for m in chunk {
            st.ingest(m, now);
        }
        st.hand_over();
    }
    batches.clear();
    if !inputs_open {
        st.want_snapshot.store(true, Ordering::Relaxed);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dup_exported = 0;
    loop {
        tokio::select! {
            // A store that must lose nothing (the input is a stream to
            // resume from) is waited for before more input is read.
            _ = st.store.drain(), if st.store.full() => {}
            n = rx.recv_many(&mut batches, 64), if inputs_open && !st.store.full() => {
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
                for m in batches.drain(..) {
                    st.ingest(&m, now);
                }
                st.hand_over();
            }
            // New zones swap in between batches (not while lines applied
            // before are applied again: what they changed would be lost).
            z = next_zones(&mut zones), if st.quiet.is_none() => match z {
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
