//! The engine leases, one per partition: a PostgreSQL session advisory
//! lock each, held on a connection of its own.
//!
//! PostgreSQL releases the lock the moment the holder's session ends: a
//! leader killed (`kill -9`) or whose host vanished (TCP keepalives, set
//! short on this connection) loses it without anyone waiting for a lease
//! to run out; a standby polling every [`POLL`] then takes it. The holder
//! checks its connection every [`CHECK`]; a connection that fails means
//! the lock may be gone: the holder must stop leading at once
//! ([`Lease::lost`]). Its last commits are fenced anyway (the epoch, see
//! [`crate::storage::cluster`]).
//!
//! Chosen over a NATS KV lease with a time to live: that one is released
//! only when its TTL runs out (a failover takes the TTL, and a short TTL
//! makes a busy leader lose it), while the lock goes with the session.

use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// How often a standby tries to take the lease.
pub const POLL: Duration = Duration::from_millis(500);
/// How often the holder checks its connection.
const CHECK: Duration = Duration::from_secs(1);
/// How long that check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// A lease held: dropped, it is released.
pub struct Lease {
    lost: CancellationToken,
    keeper: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Cancelled when the lease may have been lost.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // The connection goes with the task: the lock is released.
        self.keeper.abort();
    }
}

/// The advisory lock key of lease `name` (the first 8 bytes of its SHA-256).
pub fn key(name: &str) -> i64 {
    let h = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(h[..8].try_into().unwrap_or_default())
}

/// Waits until this node holds one of `names` (the first free, in order):
/// its index and the lease (`None`: `cancel` came first). An unreachable
/// store is retried.
///
/// # Errors
/// `url` is not a PostgreSQL URL.
pub async fn acquire(
    url: &str,
    names: &[String],
    cancel: &CancellationToken,
) -> Result<Option<(usize, Lease)>, String> {
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| format!("[storage] url: {e}"))?
        // A host that vanished is noticed in about 10 s, not hours.
        .options([
            ("tcp_keepalives_idle", "4"),
            ("tcp_keepalives_interval", "2"),
            ("tcp_keepalives_count", "3"),
            ("application_name", "aiswatch-lease"),
        ])
        .disable_statement_logging();
    let keys: Vec<i64> = names.iter().map(|n| key(n)).collect();
    let mut waiting_logged = false;
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        match try_take(&opts, &keys).await {
            Ok(Some((i, conn))) => {
                let lost = CancellationToken::new();
                let keeper = tokio::spawn(keep(conn, lost.clone(), names[i].clone()));
                return Ok(Some((i, Lease { lost, keeper })));
            }
            Ok(None) => {
                if !waiting_logged {
                    waiting_logged = true;
                    info!(leases = %names.join(", "), "Standby: other nodes hold every lease.");
                }
            }
            Err(e) => {
                warn!(leases = %names.join(", "), error = %e, "Cannot reach the store to take a lease; retrying.")
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(None),
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One try, key by key: the index of the key taken and the connection
/// holding its lock, or `None` if others hold them all.
async fn try_take(
    opts: &PgConnectOptions,
    keys: &[i64],
) -> Result<Option<(usize, PgConnection)>, sqlx::Error> {
    let mut conn = tokio::time::timeout(CHECK_TIMEOUT, opts.connect())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    for (i, &k) in keys.iter().enumerate() {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(k)
            .fetch_one(&mut conn)
            .await?;
        if got {
            return Ok(Some((i, conn)));
        }
    }
    let _ = conn.close().await;
    Ok(None)
}

/// Holds the connection, checking it; cancels `lost` when it fails.
async fn keep(mut conn: PgConnection, lost: CancellationToken, name: String) {
    loop {
        tokio::time::sleep(CHECK).await;
        match tokio::time::timeout(CHECK_TIMEOUT, conn.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                error!(lease = %name, error = %e, "Lease connection failed: the lease may be lost; stopping leading.");
                break;
            }
            Err(_) => {
                error!(lease = %name, "Lease connection did not answer: the lease may be lost; stopping leading.");
                break;
            }
        }
    }
    lost.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_prefix_and_partition() {
        assert_ne!(key("a/engine/0"), key("b/engine/0"));
        assert_ne!(key("a/engine/0"), key("a/engine/1"));
        assert_eq!(key("a/engine/0"), key("a/engine/0"));
    }
}
