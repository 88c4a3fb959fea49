//! Partners and agreements reloaded while the daemon runs: the
//! configuration file is watched (and SIGHUP forces a look); a changed file
//! that loads is put in force at once — a removed or expired agreement
//! shares nothing more, a new one shares from its next change. A file that
//! does not load keeps the terms in force (logged, naming the key).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Terms;
use crate::storage::Store;

/// Quiet time after a file event before reloading (one save, one reload).
const SETTLE: Duration = Duration::from_millis(100);

/// Called with each partner that has no delivery worker yet.
pub type NewPartner = Box<dyn Fn(&str) + Send + Sync>;

/// Watches `file`; puts new terms in force through `tx` and the store's
/// shares. Ends when `cancel` fires.
///
/// # Errors
/// The file's directory cannot be watched, or SIGHUP cannot be handled.
pub fn spawn(
    file: PathBuf,
    tx: watch::Sender<Arc<Terms>>,
    store: Store,
    new_partner: NewPartner,
    audit: crate::audit::Audit,
    cancel: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = file.file_name().map(|n| n.to_owned());
    let (wake_tx, mut wake_rx) = mpsc::channel::<()>(1);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            let ours = ev.paths.iter().any(|p| p.file_name() == name.as_deref());
            if ours && !matches!(ev.kind, notify::EventKind::Access(_)) {
                let _ = wake_tx.try_send(());
            }
        }
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    notify::Watcher::watch(&mut watcher, &dir, notify::RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
    Ok(tokio::spawn(async move {
        let _watcher = watcher;
        loop {
            #[cfg(unix)]
            tokio::select! {
                _ = cancel.cancelled() => break,
                w = wake_rx.recv() => if w.is_none() { break },
                _ = hup.recv() => {}
            }
            #[cfg(not(unix))]
            tokio::select! {
                _ = cancel.cancelled() => break,
                w = wake_rx.recv() => if w.is_none() { break },
            }
            tokio::time::sleep(SETTLE).await;
            while wake_rx.try_recv().is_ok() {}
            let f = file.clone();
            let loaded = tokio::task::spawn_blocking(move || {
                crate::config::Config::load(Some(&f)).map(|c| Terms::of(&c))
            })
            .await;
            let mut entry = crate::audit::Entry::now(
                "admin",
                "config.reload",
                format!("configuration file {}", file.display()),
            );
            entry.status = if matches!(loaded, Ok(Ok(_))) {
                200
            } else {
                422
            };
            audit.record(entry);
            let terms = match loaded {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    warn!(file = %file.display(), error = %e, "Partners and agreements not reloaded: the configuration does not load; the terms in force stay.");
                    continue;
                }
                Err(e) => {
                    warn!(error = %e, "Configuration reload task failed.");
                    continue;
                }
            };
            if **tx.borrow() == terms {
                continue;
            }
            let before = tx.borrow().clone();
            for a in &before.agreements {
                if terms.agreement(&a.id, &a.partner).is_none() {
                    info!(agreement = %a.id, partner = %a.partner, "Agreement removed: nothing more is shared under it.");
                }
            }
            for p in &terms.partners {
                if before.partner(&p.id).is_none() {
                    new_partner(&p.id);
                }
            }
            store.set_shares(terms.shares());
            info!(
                partners = terms.partners.len(),
                agreements = terms.agreements.len(),
                "Partners and agreements reloaded."
            );
            tx.send_replace(Arc::new(terms));
        }
    }))
}
