//! Accountability: the audit trail of who read or changed what.
//!
//! ```text
//! api / reloads / federation ──Entry──▶ [bounded queue] ──▶ audit writer ──▶ store (audit_log, chained)
//!                                                         checkpoints ──▶ log, store, partners (outbox)
//! ```
//!
//! Every API request that reads or changes data, every zone and
//! configuration reload and every message to or from a partner appends
//! one [`Entry`]. Callers never wait on the database: [`Audit::record`]
//! puts the entry in a bounded queue and returns; the writer appends
//! batches in chain order ([`chain`]). A queue that fills (the database
//! away for long) drops entries, counted in
//! `aiswatch_audit_dropped_total` and logged as errors.
//!
//! Anyone with write access to the database could rewrite the chain and
//! recompute every hash; so every `[audit] checkpoint_every` the head is
//! signed with the installation key, logged, kept, and sent to every
//! partner under an agreement, through the outbox: a rewritten chain then
//! disagrees with a checkpoint someone else holds (`aiswatch audit verify
//! --checkpoints FILE`).

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use prometheus::{IntCounter, IntGauge, Opts, Registry};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::storage::Store;
use aiswatch_core::time::{now_ms, rfc3339, Millis};

pub mod chain;
pub mod export;
pub mod verify;

pub use chain::{Checkpoint, Ids, Record};

/// Records appended per transaction at most.
const BATCH: usize = 1_000;

/// `[audit]`: the audit trail.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Record accesses and changes (default on).
    pub enabled: bool,
    /// Records older than this are removed (default: kept for ever).
    #[serde(with = "humantime_serde")]
    pub retention: Option<Duration>,
    /// How often the chain's head is signed, logged and sent to partners.
    #[serde(with = "humantime_serde")]
    pub checkpoint_every: Duration,
    /// Entries held in memory while the database is slow or away; beyond
    /// this, new ones are dropped and counted.
    pub buffer: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            enabled: true,
            retention: None,
            checkpoint_every: Duration::from_secs(3600),
            buffer: 100_000,
        }
    }
}

/// What a request (or a reload, a partner's message) did, before it is
/// given its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When (wall clock).
    pub at: Millis,
    /// `admin`, `centre:ID`, `partner:ID` or `system`.
    pub actor: String,
    /// What, e.g. `alert.read`.
    pub action: String,
    /// `GET /api/v1/alerts/{id}`, or what did it outside the API.
    pub route: String,
    /// What it touched.
    pub ids: Ids,
    /// HTTP status, 0 where there is none.
    pub status: u16,
    /// Items a list returned.
    pub count: Option<u64>,
}

impl Entry {
    /// An entry of `actor` doing `action` now.
    pub fn now(actor: impl Into<String>, action: &str, route: impl Into<String>) -> Entry {
        Entry {
            at: now_ms(),
            actor: actor.into(),
            action: action.to_owned(),
            route: route.into(),
            ids: Ids::default(),
            status: 0,
            count: None,
        }
    }

    /// The record it becomes at `seq`.
    pub fn record(&self, seq: u64) -> Record {
        Record {
            seq,
            at: rfc3339(self.at),
            actor: self.actor.clone(),
            action: self.action.clone(),
            route: self.route.clone(),
            ids: self.ids.clone(),
            status: self.status,
            count: self.count,
        }
    }
}

/// What a handler touched, for its audit record: put in the response's
/// extensions. Path parameters (`{id}`, `{mmsi}`) are taken by the audit
/// layer itself.
#[derive(Debug, Clone, Default)]
pub struct Touched {
    /// Alert ids.
    pub alerts: Vec<String>,
    /// Vessels.
    pub mmsis: Vec<u32>,
    /// Zone ids.
    pub zones: Vec<String>,
    /// Items a list returned.
    pub count: Option<u64>,
}

/// Audit metrics.
#[derive(Clone)]
pub struct AuditMetrics {
    written: IntCounter,
    dropped: IntCounter,
    queued: IntGauge,
    errors: IntCounter,
}

impl AuditMetrics {
    /// Creates the metrics and registers them in `registry`.
    ///
    /// # Errors
    /// A metric of the same name is already registered.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let c = IntCounter::with_opts(Opts::new(name, help))?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let queued = IntGauge::with_opts(Opts::new(
            "aiswatch_audit_queued",
            "Audit entries waiting to be written.",
        ))?;
        registry.register(Box::new(queued.clone()))?;
        Ok(AuditMetrics {
            written: counter(
                "aiswatch_audit_records_total",
                "Audit records appended to the chain.",
            )?,
            dropped: counter(
                "aiswatch_audit_dropped_total",
                "Audit entries dropped because the queue was full (the database slow or away).",
            )?,
            queued,
            errors: counter(
                "aiswatch_audit_write_errors_total",
                "Failed audit writes (each retried).",
            )?,
        })
    }
}

/// Where entries go. Cheap to clone; a disabled trail takes nothing.
#[derive(Clone)]
pub struct Audit {
    tx: Option<mpsc::Sender<Entry>>,
    metrics: Option<AuditMetrics>,
}

impl Audit {
    /// A trail that records nothing (`[audit] enabled = false`, tools).
    pub fn off() -> Audit {
        Audit {
            tx: None,
            metrics: None,
        }
    }

    /// Whether entries are recorded.
    pub fn is_on(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues `e` without waiting; a full queue drops it (counted, logged).
    pub fn record(&self, e: Entry) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(e) {
            Ok(()) => {
                if let Some(m) = &self.metrics {
                    m.queued.inc();
                }
            }
            Err(mpsc::error::TrySendError::Full(e)) => {
                if let Some(m) = &self.metrics {
                    m.dropped.inc();
                }
                error!(actor = %e.actor, action = %e.action, route = %e.route,
                    "Audit queue full (the database is slow or away): entry dropped.");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// Starts the trail's writer (and, with a key, its checkpoints and
/// retention) on `store`. The writer drains the queue once every sender
/// is gone, or gives up at `cancel`.
pub fn start(
    store: Store,
    cfg: &AuditConfig,
    metrics: AuditMetrics,
    key: Option<Arc<SigningKey>>,
    partners: Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>,
    cancel: CancellationToken,
) -> (Audit, tokio::task::JoinHandle<()>) {
    if !cfg.enabled {
        return (Audit::off(), tokio::spawn(async {}));
    }
    let (tx, rx) = mpsc::channel(cfg.buffer.max(1));
    let audit = Audit {
        tx: Some(tx),
        metrics: Some(metrics.clone()),
    };
    if let Some(key) = key {
        tokio::spawn(checkpoints(
            store.clone(),
            audit.clone(),
            key,
            cfg.checkpoint_every,
            partners,
            cancel.clone(),
        ));
    }
    if let Some(keep) = cfg.retention {
        tokio::spawn(retention(store.clone(), keep, cancel.clone()));
    }
    let writer = tokio::spawn(write(store, rx, metrics, cancel));
    (audit, writer)
}

/// Appends what arrives, in batches, retrying failures (the queue fills
/// meanwhile, and drops beyond `buffer`).
async fn write(
    store: Store,
    mut rx: mpsc::Receiver<Entry>,
    m: AuditMetrics,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if batch.is_empty() {
            let got = tokio::select! {
                biased;
                e = rx.recv() => e,
                _ = cancel.cancelled() => None,
            };
            let Some(e) = got else { break };
            batch.push(e);
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let mut delay = Duration::from_millis(100);
        loop {
            match store.append_audit(&batch).await {
                Ok(_) => {
                    m.written.inc_by(batch.len() as u64);
                    m.queued.sub(batch.len() as i64);
                    batch.clear();
                    break;
                }
                Err(e) => {
                    m.errors.inc();
                    warn!(error = %e, entries = batch.len(), retry_in_ms = delay.as_millis() as u64, "Audit write failed; retrying.");
                    tokio::select! {
                        _ = cancel.cancelled() => {
                            error!(entries = batch.len() + rx.len(), "Audit entries not written before shutdown.");
                            return;
                        }
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

/// Every `every`: signs the head (if it moved), logs the checkpoint,
/// keeps it and queues it for the partners, and records that it did.
async fn checkpoints(
    store: Store,
    audit: Audit,
    key: Arc<SigningKey>,
    every: Duration,
    partners: Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>,
    cancel: CancellationToken,
) {
    let mut signed: Option<u64> = None;
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let head = match store.audit_head().await {
            Ok(h) => h,
            Err(e) => {
                warn!(error = %e, "Audit checkpoint skipped: the store did not answer.");
                continue;
            }
        };
        if head.seq == 0 || signed == Some(head.seq) {
            continue;
        }
        let at = now_ms();
        let cp = Checkpoint::sign(&key, head.seq, &head.hash, at);
        let to = partners();
        match store.add_audit_checkpoint(&cp, at, &to).await {
            Ok(()) => {
                signed = Some(head.seq);
                info!(seq = cp.seq, hash = %cp.hash, signature = %cp.signature, partners = to.len(), "Audit checkpoint signed.");
                audit.record(Entry::now(
                    "system",
                    "audit.checkpoint",
                    format!("signed record {} (hash {})", cp.seq, cp.hash),
                ));
            }
            Err(e) => warn!(error = %e, "Audit checkpoint not kept; tried again next time."),
        }
    }
}

/// Removes records older than `keep` (wall clock) every ten minutes.
async fn retention(store: Store, keep: Duration, cancel: CancellationToken) {
    loop {
        let before = now_ms() - keep.as_millis().min(i64::MAX as u128 / 2) as Millis;
        match store.prune_audit(before).await {
            Ok(0) => {}
            Ok(n) => info!(removed = n, before = %rfc3339(before), "Old audit records removed."),
            Err(e) => warn!(error = %e, "Removing old audit records failed."),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    }
}
