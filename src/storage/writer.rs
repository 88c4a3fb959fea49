//! The storage writer: takes [`Batch`]es from the engine and commits them
//! in transactions off the engine task.
//!
//! The engine hands batches to a [`StoreSender`], which never blocks live
//! ingest: batches queue in a bounded channel, then in the sender's own
//! buffer; past `buffer_positions` waiting positions, new positions are
//! dropped *and counted* (metric, log, `/readyz` detail) while static
//! changes and alerts are always kept. Replay uses [`StoreSender::send`],
//! which waits instead (an import must not lose anything).
//!
//! The writer commits whole batches in order, so the store is always a
//! prefix of what the engine did. While one batch commits, the next is
//! gathered and prepared ([`Prepared`]: positions packed into blocks, on a
//! blocking thread), so the database and the packing work at the same
//! time. A failed transaction is retried with
//! capped backoff; nothing is dropped on the writer's side. A transaction
//! that failed because the store's tables are gone (the database dropped
//! and created anew under the running daemon) runs the migrations again
//! first.
//!
//! On SQLite the writer also has the WAL copied into the database file
//! every few MB committed, on another connection while it commits on, and
//! keeps the WAL file bounded: SQLite checkpoints after commits by itself,
//! but a reader still reading from the WAL keeps it from starting the
//! file over; past
//! [`SQLITE_WAL_FORCE_BYTES`](super::SQLITE_WAL_FORCE_BYTES) the writer
//! checkpoints all of it and truncates it between batches, waiting a
//! moment for readers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tracing::{error, info, warn};

use super::config::StorageConfig;
use super::{Batch, Prepared, Store, SQLITE_WAL_FORCE_BYTES, SQLITE_WAL_FORCE_WAIT};
use crate::deliver::hub::Hub;
use crate::deliver::sink::AlertEvent;
use aiswatch_core::time::{now_ms, Millis};

/// Batches queued between the engine and the writer.
const QUEUE_BATCHES: usize = 256;

/// What the writer did, for `/metrics`, `/api/v1/status` and `/readyz`.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Positions committed.
    pub positions_written: AtomicU64,
    /// Static-data changes committed.
    pub statics_written: AtomicU64,
    /// Alert state changes committed.
    pub alerts_written: AtomicU64,
    /// Transactions committed.
    pub transactions: AtomicU64,
    /// Positions accepted by the engine but dropped because the store fell
    /// too far behind (never silent: also logged and shown in `/readyz`).
    pub positions_dropped: AtomicU64,
    /// Positions waiting to be written.
    pub positions_pending: AtomicU64,
    /// Failed transactions (each retried).
    pub errors: AtomicU64,
    /// The last transaction failed and is being retried.
    pub failing: AtomicBool,
    /// The last error, password-free.
    pub last_error: Mutex<Option<String>>,
    /// Wall time of the last commit.
    pub last_commit_ms: AtomicU64,
    /// SQLite: the WAL file's size after the last commit, bytes.
    pub wal_bytes: AtomicU64,
    /// Times the store's tables were found missing (the database dropped
    /// and created anew) and the migrations run again.
    pub migrations_rerun: AtomicU64,
}

impl WriterStats {
    /// Why the store is not ready, if it is not.
    pub fn problem(&self) -> Option<String> {
        if self.failing.load(Ordering::Relaxed) {
            let e = self
                .last_error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .unwrap_or_default();
            return Some(format!("store failing, retrying: {e}"));
        }
        None
    }
}

/// The engine's end of the writer channel.
pub struct StoreSender {
    tx: mpsc::Sender<Batch>,
    pending: Batch,
    cap: usize,
    stats: Arc<WriterStats>,
    last_drop_log: Millis,
    /// Never drop: the caller waits ([`StoreSender::full`], [`StoreSender::drain`]).
    lossless: bool,
}

impl StoreSender {
    /// Keeps every position: past `buffer_positions` waiting, [`full`](Self::full)
    /// tells the caller to [`drain`](Self::drain) before it reads more input
    /// (an engine reading a stream it can resume loses nothing, it waits).
    pub fn set_lossless(&mut self) {
        self.lossless = true;
    }

    /// Lossless and `buffer_positions` or more positions waiting.
    pub fn full(&self) -> bool {
        self.lossless && self.pending.positions.len() >= self.cap
    }

    /// Hands what waits to the writer, waiting for room.
    pub async fn drain(&mut self) {
        self.send(Batch::default()).await;
        self.stats.positions_pending.store(0, Ordering::Relaxed);
    }

    /// Hands `b` on without waiting (live). See the module doc for what
    /// happens when the store falls behind.
    pub fn offer(&mut self, mut b: Batch) {
        let room = self.cap.saturating_sub(self.pending.positions.len());
        if b.positions.len() > room && !self.lossless {
            let dropped = b.positions.len() - room;
            b.positions.truncate(room);
            let total = self
                .stats
                .positions_dropped
                .fetch_add(dropped as u64, Ordering::Relaxed)
                + dropped as u64;
            let now = now_ms();
            if now - self.last_drop_log >= 10_000 {
                self.last_drop_log = now;
                warn!(
                    dropped_total = total,
                    buffer = self.cap,
                    "Store is behind: positions dropped (alerts and static data kept)."
                );
            }
        }
        self.pending.append(&mut b);
        self.flush();
    }

    /// Moves the buffer into the channel if there is room (call it on
    /// every tick so a recovered store catches up).
    pub fn flush(&mut self) {
        // A stream position alone is worth a commit: a leader that stores
        // only its alerts moves it with nothing else.
        if self.pending.is_empty() && self.pending.input.is_none() {
            return;
        }
        match self.tx.try_reserve() {
            Ok(permit) => permit.send(std::mem::take(&mut self.pending)),
            Err(TrySendError::Full(())) => {}
            Err(TrySendError::Closed(())) => {
                warn!("Store writer stopped: batch not written.");
                self.pending = Batch::default();
            }
        }
        self.stats
            .positions_pending
            .store(self.pending.positions.len() as u64, Ordering::Relaxed);
    }

    /// Hands `b` on, waiting for room (replay, shutdown).
    pub async fn send(&mut self, mut b: Batch) {
        self.pending.append(&mut b);
        let all = std::mem::take(&mut self.pending);
        if !(all.is_empty() && all.input.is_none()) && self.tx.send(all).await.is_err() {
            warn!("Store writer stopped: batch not written.");
        }
    }
}

/// Starts the writer task; it ends after the sender is dropped and every
/// queued batch is committed.
pub fn spawn(
    store: Store,
    cfg: &StorageConfig,
    stats: Arc<WriterStats>,
    hub: Option<Arc<Hub>>,
) -> (StoreSender, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_BATCHES);
    let sender = StoreSender {
        tx,
        pending: Batch::default(),
        cap: cfg.buffer_positions,
        stats: stats.clone(),
        last_drop_log: 0,
        lossless: false,
    };
    let task = tokio::spawn(run(
        store,
        rx,
        stats,
        hub,
        cfg.batch_positions,
        cfg.flush_interval,
    ));
    (sender, task)
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Batch>,
    stats: Arc<WriterStats>,
    hub: Option<Arc<Hub>>,
    max_positions: usize,
    flush_interval: Duration,
) {
    // The commit in flight: the next batch is gathered and prepared
    // meanwhile (blocks packed on this task, the database busy on its own).
    // It hands its changes to the live stream itself, as soon as they are
    // committed; commits go one after the other, so in order.
    let mut committing: Option<tokio::task::JoinHandle<bool>> = None;
    let wal = Arc::new(tokio::sync::Mutex::new(WalBound::default()));
    // The last transaction's size: room is made for it when a second batch
    // joins the first (grown step by step, a full transaction is copied
    // twice over).
    let mut last = (0, 0);
    // The first batch is taken whole: a sender that hands on a
    // transaction's worth at once (replay) has nothing copied.
    while let Some(mut batch) = rx.recv().await {
        // Gather more for up to the flush interval, or until the batch is
        // full; alert changes are committed (and delivered) at once.
        let deadline = tokio::time::Instant::now() + flush_interval;
        while batch.positions.len() < max_positions && batch.alerts.is_empty() {
            let Ok(Some(mut more)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                break;
            };
            batch.make_room(last.0, last.1);
            batch.append(&mut more);
        }
        last = (batch.positions.len(), batch.heard.len());
        // Packing takes milliseconds of CPU: on a blocking thread, so that
        // the commit in flight goes on meanwhile (a task spawned from this
        // one waits in this worker's LIFO slot, which no other worker
        // steals, until this task yields).
        let mut prepared = match tokio::task::spawn_blocking(move || Prepared::new(batch)).await {
            Ok(p) => p,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down.
            Err(_) => break,
        };
        // `false`: fenced, another node leads now; what this one holds is stale.
        if let Some(c) = committing.take() {
            if !c.await.unwrap_or(false) {
                break;
            }
        }
        let (store, stats, hub, wal) = (store.clone(), stats.clone(), hub.clone(), wal.clone());
        committing = Some(tokio::spawn(async move {
            let Some(events) = commit(&store, &mut prepared, &stats).await else {
                return false;
            };
            if let Some(h) = &hub {
                h.committed(events);
            }
            let written = prepared.packed_bytes();
            wal.lock().await.after_commit(&store, &stats, written).await;
            true
        }));
    }
    if let Some(c) = committing {
        let _ = c.await;
    }
    wal.lock().await.settle().await;
    info!(
        positions = stats.positions_written.load(Ordering::Relaxed),
        alerts = stats.alerts_written.load(Ordering::Relaxed),
        "Store writer stopped."
    );
}

/// SQLite: copies the WAL into the database file beside the writer, and
/// keeps the WAL file under [`SQLITE_WAL_FORCE_BYTES`] plus a batch (see
/// the module doc).
#[derive(Default)]
struct WalBound {
    /// No forced checkpoint before this (one that readers kept from
    /// finishing is not tried again at once: each try may wait).
    next_try: Option<tokio::time::Instant>,
    /// Packed bytes committed since the last checkpoint beside the writer.
    unchecked: usize,
    /// The checkpoint beside the writer, while it runs.
    beside: Option<tokio::task::JoinHandle<()>>,
}

/// Packed bytes committed (the WAL takes more: rows, index pages) after
/// which a checkpoint runs beside the writer: it copies while the writer
/// commits on, so neither the writer's commits nor the store's close wait
/// for much copying (SQLite's own checkpoint after a commit, the
/// fallback, holds up the next commit).
const CHECKPOINT_BESIDE_BYTES: usize = 4 << 20;

/// How long after a forced checkpoint that readers held up the next one
/// may be tried.
const WAL_RETRY: Duration = Duration::from_secs(1);

impl WalBound {
    async fn after_commit(&mut self, store: &Store, stats: &WriterStats, written: usize) {
        let Some(bytes) = store.wal_bytes() else {
            return;
        };
        stats.wal_bytes.store(bytes, Ordering::Relaxed);
        self.unchecked += written;
        if self.unchecked >= CHECKPOINT_BESIDE_BYTES
            && self.beside.as_ref().is_none_or(|c| c.is_finished())
        {
            self.unchecked = 0;
            let store = store.clone();
            self.beside = Some(tokio::spawn(async move {
                if let Err(e) = store.checkpoint_wal().await {
                    warn!(error = %e, "Checkpointing the SQLite WAL failed.");
                }
            }));
        }
        let now = tokio::time::Instant::now();
        if bytes < SQLITE_WAL_FORCE_BYTES || self.next_try.is_some_and(|t| now < t) {
            return;
        }
        self.settle().await;
        match store.truncate_wal(SQLITE_WAL_FORCE_WAIT).await {
            Ok(true) => self.next_try = None,
            Ok(false) => {
                self.next_try = Some(now + WAL_RETRY);
                warn!(
                    wal_bytes = bytes,
                    "Readers kept the SQLite WAL from being checkpointed in full; trying again."
                );
            }
            Err(e) => {
                self.next_try = Some(now + WAL_RETRY);
                warn!(error = %e, wal_bytes = bytes, "Checkpointing the SQLite WAL failed.");
            }
        }
        stats
            .wal_bytes
            .store(store.wal_bytes().unwrap_or(0), Ordering::Relaxed);
    }

    /// Waits for the checkpoint beside the writer, if one runs.
    async fn settle(&mut self) {
        if let Some(c) = self.beside.take() {
            let _ = c.await;
        }
    }
}

/// Commits `batch`, retrying with capped backoff until it succeeds; the
/// alert changes it stored, for the live stream and the outbox.
///
/// `None`: the store's fence no longer holds ([`super::StorageError::Fenced`]):
/// retrying cannot help.
async fn commit(
    store: &Store,
    prepared: &mut Prepared,
    stats: &WriterStats,
) -> Option<Vec<AlertEvent>> {
    let mut delay = Duration::from_millis(200);
    loop {
        let res = match store.write_prepared(prepared).await {
            Err(e) if e.schema_missing() => {
                error!(
                    store = %store.url(),
                    error = %e,
                    "Store tables are missing (the database was dropped and created anew?): migrating again."
                );
                stats.migrations_rerun.fetch_add(1, Ordering::Relaxed);
                match store.migrate().await {
                    Ok(()) => {
                        info!(store = %store.url(), "Store migrated again; writing the batch.");
                        store.write_prepared(prepared).await
                    }
                    Err(m) => Err(m),
                }
            }
            res => res,
        };
        match res {
            Ok(events) => {
                let batch = prepared.batch();
                if stats.failing.swap(false, Ordering::Relaxed) {
                    info!("Store writes succeed again.");
                }
                let n = |v: usize| v as u64;
                stats
                    .positions_written
                    .fetch_add(n(batch.positions.len()), Ordering::Relaxed);
                stats
                    .statics_written
                    .fetch_add(n(batch.statics.len()), Ordering::Relaxed);
                stats
                    .alerts_written
                    .fetch_add(n(batch.alerts.len()), Ordering::Relaxed);
                stats.transactions.fetch_add(1, Ordering::Relaxed);
                stats
                    .last_commit_ms
                    .store(now_ms().max(0) as u64, Ordering::Relaxed);
                return Some(events);
            }
            Err(e @ super::StorageError::Fenced { .. }) => {
                error!(error = %e, "Store writer stopped: another node leads.");
                return None;
            }
            Err(e) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                stats.failing.store(true, Ordering::Relaxed);
                if let Ok(mut l) = stats.last_error.lock() {
                    *l = Some(e.to_string());
                }
                let batch = prepared.batch();
                warn!(error = %e, retry_in_ms = delay.as_millis() as u64, positions = batch.positions.len(), alerts = batch.alerts.len(), "Store write failed; retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Prunes positions older than `retention` (against the newest stored
/// event time) now and then every `every`, until `cancel`.
pub async fn retention(
    store: Store,
    retention: Duration,
    every: Duration,
    cancel: tokio_util::sync::CancellationToken,
) {
    loop {
        match store.last_time().await {
            Ok(Some(last)) => {
                let before = last - retention.as_millis().min(i64::MAX as u128) as Millis;
                match store.prune_positions(before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        info!(removed = n, before = %aiswatch_core::time::rfc3339(before), "Old positions pruned.")
                    }
                    Err(e) => warn!(error = %e, "Pruning old positions failed."),
                }
            }
            Ok(None) => {}
            Err(e) => warn!(error = %e, "Pruning old positions failed."),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
