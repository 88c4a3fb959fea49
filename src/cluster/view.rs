//! What api nodes (and standby engines) answer from: the store, and the
//! vessel state the leader publishes there.
//!
//! The leader publishes its engine snapshot about once a second
//! ([`publish_snapshots`], table `cluster_snapshots`, gzipped JSON); api
//! nodes read it when it changes ([`follow_snapshots`]), so `clock` and the
//! vessel queries are the leader's, and the leader's publishing is their
//! engine heartbeat (`/readyz` says when it stops). Alert changes reach
//! their live streams from the store's event log ([`follow_events`]), so
//! an SSE client on any api node gets every change.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::{ClusterConfig, NodeStatus, FIRST};
use crate::deliver::hub::Hub;
use crate::storage::cluster::SnapshotRow;
use crate::storage::Store;
use aiswatch_engine::engine::EngineStats;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_engine::track::Vessel;

/// How often the leader publishes and api nodes look.
const EVERY: Duration = Duration::from_secs(1);
/// How often partition 0's leader prunes the record positions kept for
/// the other partitions.
const PRUNE_COMMITS_EVERY: Duration = Duration::from_secs(60);
/// How often api nodes look for new alert changes.
const EVENTS_EVERY: Duration = Duration::from_millis(250);
/// Alert changes read at once.
const EVENTS_PAGE: usize = 1_000;

#[derive(Serialize)]
struct Out<'a> {
    stats: &'a EngineStats,
    vessels: &'a [Vessel],
}

#[derive(Deserialize)]
struct In {
    stats: EngineStats,
    vessels: Vec<Vessel>,
}

/// A snapshot as published: gzipped JSON of its counters and vessels.
fn encode(s: &Snapshot) -> std::io::Result<Vec<u8>> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    serde_json::to_writer(
        &mut z,
        &Out {
            stats: &s.stats,
            vessels: &s.vessels,
        },
    )?;
    z.flush()?;
    z.finish()
}

/// Reads back what [`encode`] wrote.
fn decode(row: &SnapshotRow) -> std::io::Result<Snapshot> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&row.body[..]).read_to_end(&mut json)?;
    let i: In = serde_json::from_slice(&json)?;
    Ok(Snapshot::new(row.clock, row.taken_at, i.stats, i.vessels))
}

/// The leader of partition 0: publishes every new snapshot of its engine
/// (asking for one every second) under its lease's name, until `cancel`;
/// with more than one partition, it also forgets now and then where its
/// records stood at commits no other leader can need any more.
pub async fn publish_snapshots(
    store: Store,
    c: ClusterConfig,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    want: Arc<AtomicBool>,
    cancel: CancellationToken,
) {
    let (name, node) = (c.lease(FIRST), c.node.clone());
    let leases = c.leases();
    let mut tick = tokio::time::interval(EVERY);
    let mut prune = tokio::time::interval(PRUNE_COMMITS_EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => want.store(true, Ordering::Relaxed),
            _ = prune.tick(), if leases.len() > 1 => {
                if let Err(e) = store.prune_commits(&name, &leases).await {
                    warn!(error = %e, "Cannot prune the record positions kept for the other partitions; trying again later.");
                }
            }
            r = snapshots.changed() => {
                if r.is_err() {
                    return;
                }
                let s = snapshots.borrow_and_update().clone();
                let (clock, taken_at) = (s.clock, s.taken_at);
                let body = match tokio::task::spawn_blocking(move || encode(&s)).await {
                    Ok(Ok(b)) => b,
                    Ok(Err(e)) => {
                        warn!(error = %e, "Cannot encode the vessel state for api nodes.");
                        continue;
                    }
                    Err(_) => continue,
                };
                let row = SnapshotRow { node: node.clone(), clock, taken_at, body };
                if let Err(e) = store.publish_snapshot(&name, &row).await {
                    warn!(error = %e, "Cannot publish the vessel state for api nodes; trying again with the next.");
                }
            }
        }
    }
}

/// An api node: takes every snapshot the leader publishes under `name`
/// into `tx`; its time is the engine heartbeat. Also keeps `status`'s
/// leader up to date.
pub async fn follow_snapshots(
    store: Store,
    name: String,
    tx: watch::Sender<Arc<Snapshot>>,
    heartbeat: Arc<AtomicI64>,
    status: Arc<NodeStatus>,
    cancel: CancellationToken,
) {
    let mut last = 0;
    let mut tick = tokio::time::interval(EVERY);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let row = match store.snapshot_after(&name, last).await {
            Ok(r) => r,
            Err(e) => {
                if !failing {
                    failing = true;
                    warn!(error = %e, "Cannot read the leader's vessel state; retrying.");
                }
                continue;
            }
        };
        failing = false;
        let Some(row) = row else { continue };
        last = row.taken_at;
        heartbeat.store(row.taken_at, Ordering::Relaxed);
        if let Ok(mut l) = status.leader_node.lock() {
            *l = Some(row.node.clone());
        }
        match tokio::task::spawn_blocking(move || decode(&row)).await {
            Ok(Ok(s)) => {
                let _ = tx.send(Arc::new(s));
            }
            Ok(Err(e)) => {
                warn!(error = %e, "The leader's vessel state does not read; waiting for the next.")
            }
            Err(_) => {}
        }
    }
}

/// An api node: announces every alert change the store gets to `hub`
/// (its live streams), from the newest at start on.
pub async fn follow_events(store: Store, hub: Arc<Hub>, cancel: CancellationToken) {
    let mut last = None;
    let mut tick = tokio::time::interval(EVENTS_EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let after = match last {
            Some(n) => n,
            None => match store.last_event().await {
                Ok(n) => {
                    last = Some(n);
                    continue;
                }
                Err(_) => continue,
            },
        };
        match store.events_after(after, None, EVENTS_PAGE).await {
            Ok(ev) => {
                if let Some(e) = ev.last() {
                    last = Some(e.n);
                    if ev.len() == EVENTS_PAGE {
                        tick.reset_immediately();
                    }
                }
                hub.committed(ev);
            }
            Err(e) => {
                warn!(error = %e, "Cannot read new alert changes for the live stream; retrying.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_snapshot_reads_back() {
        use aiswatch_engine::fixtures;
        let mut e = fixtures::engine();
        let t0 = 1_700_000_000_000;
        let _ = fixtures::run(
            &mut e,
            fixtures::background(211_000_001, t0, t0 + 600_000, "st1"),
        );
        let s = e.snapshot(1_700_000_000_000);
        assert!(!s.vessels.is_empty());
        let row = SnapshotRow {
            node: "engine-1".into(),
            clock: s.clock,
            taken_at: s.taken_at,
            body: encode(&s).unwrap(),
        };
        let back = decode(&row).unwrap();
        assert_eq!(back.clock, s.clock);
        assert_eq!(back.stats, s.stats);
        assert_eq!(
            serde_json::to_value(&back.vessels).unwrap(),
            serde_json::to_value(&s.vessels).unwrap()
        );
    }
}
