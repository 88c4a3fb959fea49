//! Zones edited live: the zones directory is watched (and SIGHUP forces a
//! look); a change is loaded and validated off the engine, then handed to
//! the engine over a channel (it swaps between batches) and published to
//! the API. An invalid edit keeps the previous zones in force; the errors,
//! naming file and feature, are logged, counted
//! (`aiswatch_zones_reloads_total{result="error"}`,
//! `aiswatch_zones_reload_failed`) and shown by `/readyz`.
//!
//! Every set accepted is recorded in the store's zone history (who brought
//! it: `start`, `file`, or the actor of an API save) before the engine runs
//! with it. Edits through the API ([`edit`]) write the zone files and ask
//! for a reload through an [`Editor`], whose answer says the new set is in
//! force.

pub mod edit;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use aiswatch_core::time::{now_ms, Millis};
use aiswatch_zones::ZoneSet;

/// Quiet time after a file event before reloading: an editor's save (write
/// temp, rename, touch) is one reload, not three.
const SETTLE: Duration = Duration::from_millis(150);

/// Errors listed in the log and `/readyz` per failed reload.
const MAX_ERRORS_SHOWN: usize = 10;

/// The zones in force, and how the last reload went.
#[derive(Debug, Clone)]
pub struct ZonesStatus {
    /// The zones the engine runs with.
    pub set: Arc<ZoneSet>,
    /// Why the last reload was refused (file, feature and property of each
    /// problem), while `set` stays the one loaded before. `None` when the
    /// last load succeeded.
    pub error: Option<String>,
    /// Wall-clock ms of the last successful load.
    pub loaded_at: Millis,
}

/// What the API reads: the zones in force, updated on every reload.
pub type LiveZones = watch::Receiver<Arc<ZonesStatus>>;

/// Zones that never change (tests, `replay`, a daemon without a zones
/// directory).
pub fn fixed(set: Arc<ZoneSet>) -> LiveZones {
    watch::channel(Arc::new(ZonesStatus {
        set,
        error: None,
        loaded_at: now_ms(),
    }))
    .1
}

/// Extra validation a reload must pass (e.g. every centre the zones name
/// is declared); returns one message per problem.
pub type Check = Arc<dyn Fn(&ZoneSet) -> Vec<String> + Send + Sync>;

/// A reload asked for by an edit: `by` brought it; the answer is the set
/// now in force, or why the directory was refused.
struct Reload {
    by: String,
    reply: oneshot::Sender<Result<Arc<ZoneSet>, Vec<String>>>,
}

/// Edits the zones directory the daemon watches: one edit at a time
/// ([`Editor::lock`]), checked like a reload, and applied by a reload whose
/// end it waits for. Cheap to clone.
#[derive(Clone)]
pub struct Editor {
    /// The zones directory.
    pub dir: PathBuf,
    /// The checks beyond the zone files' own (centres declared).
    pub check: Check,
    reload: mpsc::Sender<Reload>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Editor {
    /// Held while an edit reads, checks and writes the files: edits through
    /// the API never interleave.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lock.lock().await
    }

    /// Reloads the directory now, as brought by `by`, and answers once the
    /// new set is recorded and handed to the engine.
    ///
    /// # Errors
    /// Why the directory was refused (file, feature and property of each
    /// problem), or that the watcher has stopped.
    pub async fn reload(&self, by: &str) -> Result<Arc<ZoneSet>, Vec<String>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || vec!["the zones watcher has stopped".to_string()];
        self.reload
            .send(Reload {
                by: by.to_owned(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Reload counters.
#[derive(Clone)]
struct ReloadMetrics {
    reloads: IntCounterVec,
    failed: IntGauge,
    zones: IntGauge,
}

impl ReloadMetrics {
    fn register(r: &Registry) -> prometheus::Result<Self> {
        let reloads = IntCounterVec::new(
            Opts::new(
                "aiswatch_zones_reloads_total",
                "Zone directory reloads after a change or SIGHUP, by result (ok, error).",
            ),
            &["result"],
        )?;
        let failed = IntGauge::new(
            "aiswatch_zones_reload_failed",
            "1 while the last zones reload was refused (previous zones still in force).",
        )?;
        let zones = IntGauge::new("aiswatch_zones_loaded", "Zones in force.")?;
        r.register(Box::new(reloads.clone()))?;
        r.register(Box::new(failed.clone()))?;
        r.register(Box::new(zones.clone()))?;
        Ok(Self {
            reloads,
            failed,
            zones,
        })
    }
}

/// Why zones cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The reload metrics are already registered.
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
    /// The directory cannot be watched.
    #[error("cannot watch zones directory {}", dir.display())]
    Watch {
        /// The zones directory.
        dir: PathBuf,
        /// The watcher's error.
        source: notify::Error,
    },
    /// SIGHUP (reload now) cannot be handled.
    #[error("cannot handle SIGHUP")]
    Hangup(#[source] std::io::Error),
}

/// Records `set` in the zone history of `store` (when there is one); a
/// failure is logged, and the next accepted set records what changed.
async fn record(store: Option<&crate::storage::Store>, set: &ZoneSet, by: &str) {
    let Some(store) = store else { return };
    if let Err(e) = store.record_zones(set, by, now_ms()).await {
        warn!(error = %e, "Zone history not recorded: the zones are in force, their versions not stored.");
    }
}

/// Starts watching `dir`, whose zones `initial` were loaded from. Valid
/// new zones are recorded in `store`'s zone history, go to `to_engine`,
/// then to the returned [`LiveZones`]. Ends when `cancel` fires.
///
/// # Errors
/// The directory cannot be watched, or the metrics cannot be registered.
#[allow(clippy::too_many_arguments)]
pub async fn spawn(
    dir: PathBuf,
    initial: Arc<ZoneSet>,
    check: Check,
    to_engine: mpsc::Sender<ZoneSet>,
    store: Option<crate::storage::Store>,
    registry: &Registry,
    audit: crate::audit::Audit,
    cancel: CancellationToken,
) -> Result<(LiveZones, Editor, tokio::task::JoinHandle<()>), WatchError> {
    let metrics = ReloadMetrics::register(registry)?;
    metrics.zones.set(initial.len() as i64);
    record(store.as_ref(), &initial, "start").await;
    let (reload_tx, mut reload_rx) = mpsc::channel::<Reload>(8);
    let editor = Editor {
        dir: dir.clone(),
        check: check.clone(),
        reload: reload_tx,
        lock: Arc::default(),
    };
    let (status_tx, status_rx) = watch::channel(Arc::new(ZonesStatus {
        set: initial,
        error: None,
        loaded_at: now_ms(),
    }));
    // Any event but a read wakes the task (capacity 1: one pending wake is
    // enough). What changed is decided by the fingerprint, so symlink swaps
    // (Kubernetes ConfigMaps) and renames are seen too.
    let (wake_tx, mut wake_rx) = mpsc::channel::<()>(1);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            if !matches!(ev.kind, notify::EventKind::Access(_)) {
                let _ = wake_tx.try_send(());
            }
        }
    })
    .map_err(|source| WatchError::Watch {
        dir: dir.clone(),
        source,
    })?;
    notify::Watcher::watch(&mut watcher, &dir, notify::RecursiveMode::NonRecursive).map_err(
        |source| WatchError::Watch {
            dir: dir.clone(),
            source,
        },
    )?;
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(WatchError::Hangup)?;
    let mut seen = fingerprint(&dir);
    let task = tokio::spawn(async move {
        let _watcher = watcher; // dropped (unwatched) when the task ends
        loop {
            let mut asked: Option<Reload> = None;
            #[cfg(unix)]
            let mut forced = tokio::select! {
                _ = cancel.cancelled() => break,
                w = wake_rx.recv() => { if w.is_none() { break } false }
                _ = hup.recv() => true,
                r = reload_rx.recv() => { asked = r; asked.is_some() }
            };
            #[cfg(not(unix))]
            let mut forced = tokio::select! {
                _ = cancel.cancelled() => break,
                w = wake_rx.recv() => { if w.is_none() { break } false }
                r = reload_rx.recv() => { asked = r; asked.is_some() }
            };
            if !forced {
                // Let the burst of events of one save settle. An edit
                // through the API asks for its reload right after writing:
                // this reload is then that one, brought by its actor.
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(SETTLE) => break,
                        w = wake_rx.recv() => if w.is_none() { break },
                        r = reload_rx.recv() => {
                            asked = r;
                            forced = asked.is_some();
                            break;
                        }
                    }
                }
            }
            let now = fingerprint(&dir);
            if !forced && now == seen {
                continue;
            }
            seen = now;
            let (d, c) = (dir.clone(), check.clone());
            let loaded = tokio::task::spawn_blocking(move || load(&d, c.as_ref())).await;
            let loaded = loaded.unwrap_or_else(|e| Err(vec![format!("zone loader failed: {e}")]));
            let by = asked.as_ref().map_or("file", |r| r.by.as_str()).to_owned();
            // Whoever edits the zone files administers the installation
            // (an API save is audited as its request too).
            let mut entry = crate::audit::Entry::now(
                "admin",
                "zones.reload",
                format!("zones directory {}", dir.display()),
            );
            entry.status = if loaded.is_ok() { 200 } else { 422 };
            if let Ok((_, set)) = &loaded {
                entry.ids.zones = set.zones().iter().map(|z| z.id.to_string()).collect();
                entry.count = Some(set.len() as u64);
            }
            audit.record(entry);
            let reply = asked.map(|r| r.reply);
            match loaded {
                Ok((for_engine, set)) => {
                    record(store.as_ref(), &set, &by).await;
                    if to_engine.send(for_engine).await.is_err() {
                        break; // the engine has stopped
                    }
                    info!(dir = %dir.display(), zones = set.len(), "Zones reloaded.");
                    metrics.reloads.with_label_values(&["ok"]).inc();
                    metrics.failed.set(0);
                    metrics.zones.set(set.len() as i64);
                    status_tx.send_replace(Arc::new(ZonesStatus {
                        set: set.clone(),
                        error: None,
                        loaded_at: now_ms(),
                    }));
                    if let Some(r) = reply {
                        let _ = r.send(Ok(set));
                    }
                }
                Err(errors) => {
                    for e in errors.iter().take(MAX_ERRORS_SHOWN) {
                        warn!(dir = %dir.display(), error = %e, "Zones reload refused; previous zones kept.");
                    }
                    metrics.reloads.with_label_values(&["error"]).inc();
                    metrics.failed.set(1);
                    let mut text = errors
                        .iter()
                        .take(MAX_ERRORS_SHOWN)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ");
                    if errors.len() > MAX_ERRORS_SHOWN {
                        text.push_str(&format!("; and {} more", errors.len() - MAX_ERRORS_SHOWN));
                    }
                    status_tx.send_modify(|s| {
                        let mut n = ZonesStatus::clone(s);
                        n.error = Some(text);
                        *s = Arc::new(n);
                    });
                    if let Some(r) = reply {
                        let _ = r.send(Err(errors));
                    }
                }
            }
        }
    });
    Ok((status_rx, editor, task))
}

/// Loads and checks `dir`: a copy for the engine and one for the API.
fn load(
    dir: &Path,
    check: &(dyn Fn(&ZoneSet) -> Vec<String> + Send + Sync),
) -> Result<(ZoneSet, Arc<ZoneSet>), Vec<String>> {
    let set = ZoneSet::load_dir(dir, aiswatch_engine::detect::SPECS)
        .map_err(|errs| errs.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let problems = check(&set);
    if !problems.is_empty() {
        return Err(problems);
    }
    let shared = Arc::new(set.clone());
    Ok((set, shared))
}

/// Name, size and modification time of each zone file: changes when any
/// file is edited, added, removed or replaced.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let Ok(files) = aiswatch_zones::list_dir(dir) else {
        return Vec::new();
    };
    files
        .into_iter()
        .map(|f| {
            let m = std::fs::metadata(&f).ok();
            let len = m.as_ref().map_or(0, |m| m.len());
            let mtime = m.and_then(|m| m.modified().ok());
            (f, len, mtime)
        })
        .collect()
}
