//! The daemon's raw-archive writer: a thread of its own (file I/O and
//! `fdatasync` never block the async runtime) that appends the batches it
//! receives, flushes at least every `flush_every`, and keeps going through
//! I/O errors such as a full disk without losing count of a line.
//!
//! On a write error the unwritten lines stay queued and are retried at the
//! next flush tick. While writes fail, received batches keep queueing up to
//! [`MAX_PENDING_BYTES`]; beyond that new batches are dropped (and counted),
//! so a dead disk never blocks ingest nor exhausts memory. Closing the
//! channel (all senders dropped) drains and flushes everything, retrying
//! [`SHUTDOWN_RETRIES`] times before counting what is left as dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use super::{RawArchive, RawError};
use aiswatch_core::time::Millis;

/// Line bytes the writer queues while writes fail, before it drops batches.
pub const MAX_PENDING_BYTES: usize = 64 * 1024 * 1024;

/// Extra attempts (one `flush_every` apart) to write everything at shutdown.
pub const SHUTDOWN_RETRIES: u32 = 3;

/// Lines of one source (and peer) for the archive, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatch {
    /// The source id.
    pub source: Arc<str>,
    /// The receiver, if the source has several.
    pub peer: Option<SocketAddr>,
    /// `(received_at unix ms, line bytes without terminator)`.
    pub lines: Vec<(Millis, Vec<u8>)>,
}

/// The writer's counters, shared with whoever exports metrics.
#[derive(Debug, Default)]
pub struct RawStats {
    lines_written: AtomicU64,
    bytes_written: AtomicU64,
    lines_pending: AtomicU64,
    lines_dropped: AtomicU64,
    errors: AtomicU64,
    flushes: AtomicU64,
    // A std Mutex: held only to copy a String, never across an await.
    last_error: Mutex<Option<String>>,
}

impl RawStats {
    /// Lines appended to the archive (given a seq). They are durable after
    /// the next successful flush.
    pub fn lines_written(&self) -> u64 {
        self.lines_written.load(Ordering::Relaxed)
    }

    /// Bytes of those lines (the received bytes, not the record size).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::Relaxed)
    }

    /// Lines received but not yet appended (waiting for writes to recover).
    pub fn lines_pending(&self) -> u64 {
        self.lines_pending.load(Ordering::Relaxed)
    }

    /// Lines the writer gave up on: batches refused while the queue was
    /// full, a source id too long for the format, and lines still unwritten
    /// when shutdown retries ran out (those may also count as written).
    pub fn lines_dropped(&self) -> u64 {
        self.lines_dropped.load(Ordering::Relaxed)
    }

    /// Failed write, flush or append attempts.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Successful flushes (written out and synced).
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// The last error, in words.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set_last_error(&self, e: &RawError) {
        let mut guard = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        *guard = Some(e.to_string());
    }
}

/// A running writer thread.
#[derive(Debug)]
pub struct RawWriter {
    stats: Arc<RawStats>,
    handle: JoinHandle<RawArchive>,
    flush: RawFlush,
}

impl RawWriter {
    /// The writer's counters.
    pub fn stats(&self) -> Arc<RawStats> {
        Arc::clone(&self.stats)
    }

    /// A handle that has the writer write out what it has received, for
    /// readers that must see every line sent before they read.
    pub fn flusher(&self) -> RawFlush {
        self.flush.clone()
    }

    /// Whether the thread has ended (its channel closed and it drained).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the thread to end (drop every sender first) and returns
    /// the archive. Blocks: from async code, call it in `spawn_blocking`.
    pub fn join(self) -> Result<RawArchive, RawError> {
        self.handle
            .join()
            .map_err(|_| RawError::Writer("the writer thread panicked".into()))
    }
}

/// Starts the writer thread: it appends every batch received on `rx` to
/// `archive`, flushes (write out and `fdatasync`) at least every
/// `flush_every` when something was appended, and drains and flushes
/// everything when the channel closes. See the module doc for errors.
pub fn spawn_writer(
    archive: RawArchive,
    rx: mpsc::Receiver<RawBatch>,
    flush_every: Duration,
) -> Result<RawWriter, RawError> {
    spawn_writer_pruning(archive, rx, flush_every, None)
}

/// What the writer prunes, and how often.
#[derive(Debug, Clone)]
pub struct Pruning {
    /// Segments whose every line was received longer ago than this (by the
    /// wall clock) are deleted…
    pub retention: Duration,
    /// …at start and then this often…
    pub every: Duration,
    /// …unless they hold a record with this seq or a later one: what legal
    /// holds keep (`Store::held_raw`; `u64::MAX`: nothing held).
    pub held: Arc<AtomicU64>,
}

/// [`spawn_writer`], also pruning old segments as `pruning` says.
pub fn spawn_writer_pruning(
    archive: RawArchive,
    rx: mpsc::Receiver<RawBatch>,
    flush_every: Duration,
    pruning: Option<Pruning>,
) -> Result<RawWriter, RawError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| RawError::Writer(format!("cannot build its runtime: {e}")))?;
    let stats = Arc::new(RawStats::default());
    let state = State {
        archive,
        queue: VecDeque::new(),
        pending_bytes: 0,
        stats: Arc::clone(&stats),
        failing: false,
        dropping: false,
        dirty: false,
        pruning,
    };
    let flush_every = flush_every.max(Duration::from_millis(1));
    let (flush, flush_rx) = mpsc::channel(16);
    let handle = std::thread::Builder::new()
        .name("aiswatch-raw".into())
        .spawn(move || runtime.block_on(run(state, rx, flush_rx, flush_every)))
        .map_err(|e| RawError::Writer(format!("cannot start: {e}")))?;
    Ok(RawWriter {
        stats,
        handle,
        flush: RawFlush(flush),
    })
}

/// Has a running writer write out, at once, what it has received.
#[derive(Debug, Clone)]
pub struct RawFlush(mpsc::Sender<oneshot::Sender<()>>);

impl RawFlush {
    /// Returns once every batch sent to the writer before this call is
    /// appended, written out and synced: a reader then finds its lines in
    /// the segment files. When writes are failing, or the writer has
    /// ended, it returns at once: what is on disk is all there is.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.0.send(done).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run(
    mut st: State,
    mut rx: mpsc::Receiver<RawBatch>,
    mut flush_rx: mpsc::Receiver<oneshot::Sender<()>>,
    flush_every: Duration,
) -> RawArchive {
    let mut tick = tokio::time::interval(flush_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // The first tick is immediate.
    let mut last_prune: Option<std::time::Instant> = None;
    loop {
        if let Some(p) = &st.pruning {
            if last_prune.is_none_or(|at| at.elapsed() >= p.every) {
                last_prune = Some(std::time::Instant::now());
                let before = aiswatch_core::time::now_ms()
                    - p.retention.as_millis().min(i64::MAX as u128 / 2) as Millis;
                match st.archive.prune(before, p.held.load(Ordering::Relaxed)) {
                    Ok(0) => {}
                    Ok(n) => info!(segments = n, "Old raw segments pruned."),
                    Err(e) => warn!(error = %e, "Pruning old raw segments failed."),
                }
            }
        }
        tokio::select! {
            // The tick first: it is ready only once per period, so it cannot
            // starve the channel, and a busy channel cannot starve flushes.
            biased;
            _ = tick.tick() => {
                if st.dirty || st.failing {
                    st.flush();
                }
            }
            Some(done) = flush_rx.recv() => {
                // Every batch sent before the request is in the channel.
                while let Ok(batch) = rx.try_recv() {
                    st.enqueue(batch);
                }
                if !st.failing {
                    st.flush();
                }
                let _ = done.send(());
            }
            got = rx.recv() => match got {
                Some(batch) => {
                    st.enqueue(batch);
                    if !st.failing {
                        if let Err(e) = st.drain() {
                            st.fail(e);
                        }
                    }
                }
                None => break,
            },
        }
    }
    for attempt in 0..=SHUTDOWN_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(flush_every).await;
        }
        if st.flush() {
            return st.archive;
        }
    }
    let lost = st.stats.lines_pending() + st.archive.unwritten_records();
    st.stats.lines_dropped.fetch_add(lost, Ordering::Relaxed);
    st.stats.lines_pending.store(0, Ordering::Relaxed);
    error!(lines = lost, error = ?st.stats.last_error(), "Raw archive lines could not be written before shutdown.");
    st.archive
}

/// The writer thread's state.
struct State {
    archive: RawArchive,
    /// Batches not yet fully appended, each with how many lines are done.
    queue: VecDeque<(RawBatch, usize)>,
    pending_bytes: usize,
    stats: Arc<RawStats>,
    /// The last write or flush failed: wait for the tick to retry.
    failing: bool,
    /// Batches are being dropped (logged once per episode).
    dropping: bool,
    /// What is pruned, and how often.
    pruning: Option<Pruning>,
    /// Appended since the last flush.
    dirty: bool,
}

impl State {
    fn enqueue(&mut self, batch: RawBatch) {
        let lines = batch.lines.len() as u64;
        let bytes: usize = batch.lines.iter().map(|(_, l)| l.len()).sum();
        if lines == 0 {
            return;
        }
        if batch.source.len() > usize::from(u16::MAX) {
            self.stats.lines_dropped.fetch_add(lines, Ordering::Relaxed);
            let e = RawError::SourceTooLong {
                len: batch.source.len(),
            };
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            self.stats.set_last_error(&e);
            warn!(lines, error = %e, "Raw archive dropped a batch.");
            return;
        }
        if !self.queue.is_empty() && self.pending_bytes + bytes > MAX_PENDING_BYTES {
            self.stats.lines_dropped.fetch_add(lines, Ordering::Relaxed);
            if !self.dropping {
                self.dropping = true;
                warn!(
                    source = %batch.source,
                    pending_bytes = self.pending_bytes,
                    "Raw archive backlog is full; dropping new lines until writes recover."
                );
            }
            return;
        }
        self.pending_bytes += bytes;
        self.stats.lines_pending.fetch_add(lines, Ordering::Relaxed);
        self.queue.push_back((batch, 0));
    }

    /// Appends queued lines until the queue is empty or an append fails.
    fn drain(&mut self) -> Result<(), RawError> {
        let (mut lines, mut bytes) = (0u64, 0usize);
        let mut result = Ok(());
        'queue: while let Some((batch, done)) = self.queue.front_mut() {
            while let Some((at, line)) = batch.lines.get(*done) {
                if let Err(e) = self.archive.append(*at, &batch.source, batch.peer, line) {
                    result = Err(e);
                    break 'queue;
                }
                *done += 1;
                lines += 1;
                bytes += line.len();
            }
            self.queue.pop_front();
        }
        if lines > 0 {
            self.dirty = true;
            self.pending_bytes -= bytes;
            self.stats.lines_pending.fetch_sub(lines, Ordering::Relaxed);
            self.stats.lines_written.fetch_add(lines, Ordering::Relaxed);
            self.stats
                .bytes_written
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
        result
    }

    /// Drains the queue and flushes the archive; returns whether both
    /// succeeded (everything received so far is durable).
    fn flush(&mut self) -> bool {
        match self.drain().and_then(|()| self.archive.flush()) {
            Ok(()) => {
                self.dirty = false;
                self.stats.flushes.fetch_add(1, Ordering::Relaxed);
                if self.failing {
                    info!(
                        errors = self.stats.errors(),
                        dropped = self.stats.lines_dropped(),
                        "Raw archive writes recovered."
                    );
                }
                self.failing = false;
                self.dropping = false;
                true
            }
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn fail(&mut self, e: RawError) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        self.stats.set_last_error(&e);
        let pending = self.stats.lines_pending();
        if self.failing {
            debug!(error = %e, pending, "Raw archive write failed again.");
        } else {
            warn!(error = %e, pending, "Raw archive write failed; retrying every flush interval.");
        }
        self.failing = true;
    }
}
