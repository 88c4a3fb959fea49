//! What a cluster keeps in the store: the engine leases' epochs and stream
//! positions (`cluster_leases`), and the vessel state the leader publishes
//! for api nodes (`cluster_snapshots`). The lease itself is a PostgreSQL
//! advisory lock (see `crate::cluster::lease`); the epoch is its fencing
//! token: every commit of a leader checks it, in the commit's transaction.

use sqlx::Row;

use super::{on_pool, on_writer, Backend, StorageError, Store};
use aiswatch_core::time::{now_ms, Millis};

/// A leader's claim, checked by every commit of its store (see
/// [`Store::with_fence`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease (`<prefix>/engine/<partition>`).
    pub lease: String,
    /// The epoch taken with it.
    pub epoch: i64,
}

/// Who holds a lease, as the store last recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    /// The node that took it last.
    pub node: String,
    /// Taken how many times.
    pub epoch: i64,
    /// Wall time it was taken.
    pub since: Millis,
    /// How far into the line stream its holders have committed.
    pub position: u64,
}

/// Where a leader's stored records stood at one of its commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRow {
    /// The stream position committed.
    pub position: u64,
    /// The last record sequence stored then.
    pub seq: u64,
    /// The last event time stored then.
    pub time: Option<Millis>,
}

/// The leader's published vessel state.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    /// The leader that published it.
    pub node: String,
    /// Its engine's event-time clock.
    pub clock: Option<Millis>,
    /// Wall time it was taken.
    pub taken_at: Millis,
    /// The snapshot, gzipped JSON.
    pub body: Vec<u8>,
}

impl Store {
    /// A store whose commits hold only while `fence` is the lease's latest
    /// epoch ([`StorageError::Fenced`] otherwise), each recording the
    /// batch's stream position with it.
    pub fn with_fence(mut self, fence: Fence) -> Store {
        self.fence = Some(std::sync::Arc::new(fence));
        self
    }

    /// Takes the next epoch of `lease` for `node`: the fence its commits
    /// will carry, and the position to resume the stream after.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn take_epoch(&self, lease: &str, node: &str) -> Result<(Fence, u64), StorageError> {
        let (epoch, position): (i64, i64) = on_writer!(self, p => {
            let row = sqlx::query(
                "INSERT INTO cluster_leases (name, node, epoch, since, position) VALUES ($1, $2, 1, $3, 0) \
                 ON CONFLICT (name) DO UPDATE SET epoch = cluster_leases.epoch + 1, node = excluded.node, since = excluded.since \
                 RETURNING epoch, position",
            )
            .bind(lease)
            .bind(node)
            .bind(now_ms())
            .fetch_one(p)
            .await?;
            (row.try_get(0)?, row.try_get(1)?)
        });
        Ok((
            Fence {
                lease: lease.to_owned(),
                epoch,
            },
            position.max(0) as u64,
        ))
    }

    /// The lease as last taken; `None` if never.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn lease(&self, lease: &str) -> Result<Option<LeaseRow>, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT node, epoch, since, position FROM cluster_leases WHERE name = $1",
            )
            .bind(lease)
            .fetch_optional(p)
            .await?;
            row.map(|r| {
                Ok(LeaseRow {
                    node: r.try_get(0)?,
                    epoch: r.try_get(1)?,
                    since: r.try_get(2)?,
                    position: r.try_get::<i64, _>(3)?.max(0) as u64,
                })
            })
            .transpose()
        })
    }

    /// Replaces the published vessel state `name`.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn publish_snapshot(&self, name: &str, s: &SnapshotRow) -> Result<(), StorageError> {
        on_writer!(self, p => {
            sqlx::query(
                "INSERT INTO cluster_snapshots (name, node, clock, taken_at, body) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO UPDATE SET node = excluded.node, clock = excluded.clock, \
                 taken_at = excluded.taken_at, body = excluded.body",
            )
            .bind(name)
            .bind(&s.node)
            .bind(s.clock)
            .bind(s.taken_at)
            .bind(&s.body)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The published vessel state `name` if it was taken after `after`.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn snapshot_after(
        &self,
        name: &str,
        after: Millis,
    ) -> Result<Option<SnapshotRow>, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT node, clock, taken_at, body FROM cluster_snapshots WHERE name = $1 AND taken_at > $2",
            )
            .bind(name)
            .bind(after)
            .fetch_optional(p)
            .await?;
            row.map(|r| {
                Ok(SnapshotRow {
                    node: r.try_get(0)?,
                    clock: r.try_get(1)?,
                    taken_at: r.try_get(2)?,
                    body: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    /// Where lease `lease`'s stored records stood at the greatest stream
    /// position not beyond `position`: (that position, the last record
    /// sequence, the last event time). `None` if no commit that far back
    /// is kept.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn commit_at_or_before(
        &self,
        lease: &str,
        position: u64,
    ) -> Result<Option<CommitRow>, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT position, seq, t FROM cluster_commits WHERE lease = $1 AND position <= $2 \
                 ORDER BY position DESC LIMIT 1",
            )
            .bind(lease)
            .bind(position.min(i64::MAX as u64) as i64)
            .fetch_optional(p)
            .await?;
            row.map(|r| {
                Ok(CommitRow {
                    position: r.try_get::<i64, _>(0)?.max(0) as u64,
                    seq: r.try_get::<i64, _>(1)?.max(0) as u64,
                    time: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    /// Forgets `lease`'s commits that no leader of `leases` can need any
    /// more: those before the last one at or before the smallest position
    /// of them all (nothing while one of them has never been taken).
    /// Returns how many rows went.
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn prune_commits(&self, lease: &str, leases: &[String]) -> Result<u64, StorageError> {
        let mut lowest = u64::MAX;
        for l in leases {
            match self.lease(l).await? {
                Some(row) => lowest = lowest.min(row.position),
                None => return Ok(0),
            }
        }
        let Some(keep) = self.commit_at_or_before(lease, lowest).await? else {
            return Ok(0);
        };
        let gone = on_writer!(self, p => {
            sqlx::query("DELETE FROM cluster_commits WHERE lease = $1 AND position < $2")
                .bind(lease)
                .bind(keep.position.min(i64::MAX as u64) as i64)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(gone)
    }

    /// The newest alert change's event number (0: none yet).
    ///
    /// # Errors
    /// The database refused or is unreachable.
    pub async fn last_event(&self) -> Result<i64, StorageError> {
        let n: Option<i64> = on_pool!(self, p => sqlx::query_scalar("SELECT MAX(n) FROM alert_events")
            .fetch_one(p)
            .await)?;
        Ok(n.unwrap_or(0))
    }
}

/// Inside a commit's transaction: the fence still holds, and the stream
/// position moves to `input` (if the batch has one). A commit that stored
/// records (`records`) also notes where they stand at that position, for
/// the other partitions' leaders (see [`Store::commit_at_or_before`]).
pub(super) async fn check_fence(
    tx: &mut sqlx::PgConnection,
    fence: &Fence,
    input: Option<u64>,
    records: bool,
) -> Result<(), StorageError> {
    let done = sqlx::query(
        "UPDATE cluster_leases SET position = GREATEST(position, COALESCE($3, position)) \
         WHERE name = $1 AND epoch = $2",
    )
    .bind(&fence.lease)
    .bind(fence.epoch)
    .bind(input.map(|i| i.min(i64::MAX as u64) as i64))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StorageError::Fenced {
            lease: fence.lease.clone(),
            epoch: fence.epoch,
        });
    }
    if let (Some(position), true) = (input, records) {
        sqlx::query(
            "INSERT INTO cluster_commits (lease, position, seq, t) \
             SELECT $1, $2, COALESCE((SELECT value FROM store_meta WHERE key = 'max_seq'), 0), \
                    (SELECT value FROM store_meta WHERE key = 'max_t') \
             ON CONFLICT (lease, position) DO UPDATE SET seq = excluded.seq, t = excluded.t",
        )
        .bind(&fence.lease)
        .bind(position.min(i64::MAX as u64) as i64)
        .execute(tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_engine::record::Batch;

    #[tokio::test]
    async fn a_stale_leader_cannot_commit_and_the_position_moves_with_commits() {
        for (store, _dir) in crate::storage::tests::stores().await {
            if store.kind() != "postgres" {
                continue;
            }
            let lease = "t/engine/0";
            let (f1, p) = store.take_epoch(lease, "a").await.unwrap();
            assert_eq!((f1.epoch, p), (1, 0));
            let a = store.clone().with_fence(f1);
            let at = |input| Batch {
                input: Some(input),
                ..Default::default()
            };
            a.write(&at(42)).await.unwrap();
            // Another node takes the lease: it resumes after 42, and the
            // first one's commits no longer hold.
            let (f2, p) = store.take_epoch(lease, "b").await.unwrap();
            assert_eq!((f2.epoch, p), (2, 42));
            let e = a.write(&at(50)).await.unwrap_err();
            assert!(matches!(e, StorageError::Fenced { epoch: 1, .. }), "{e}");
            assert!(e.to_string().contains("no longer its leader"), "{e}");
            let row = store.lease(lease).await.unwrap().unwrap();
            assert_eq!((row.node.as_str(), row.epoch, row.position), ("b", 2, 42));
            let b = store.clone().with_fence(f2);
            b.write(&at(50)).await.unwrap();
            // A position never moves back.
            b.write(&at(45)).await.unwrap();
            assert_eq!(store.lease(lease).await.unwrap().unwrap().position, 50);
        }
    }

    #[tokio::test]
    async fn commits_with_records_say_where_the_records_stood_until_no_partition_needs_them() {
        for (store, _dir) in crate::storage::tests::stores().await {
            if store.kind() != "postgres" {
                continue;
            }
            let (first, other) = ("c/engine/0", "c/engine/1");
            let (f, _) = store.take_epoch(first, "a").await.unwrap();
            let a = store.clone().with_fence(f);
            let tick = |seq, time| Batch {
                ticks: vec![aiswatch_engine::record::Tick { seq, time }],
                ..Default::default()
            };
            for (input, seq) in [(10, 1), (20, 2), (30, 3)] {
                let mut b = tick(seq, seq as i64 * 1_000);
                b.input = Some(input);
                a.write(&b).await.unwrap();
            }
            // A commit without records says nothing new.
            a.write(&Batch {
                input: Some(40),
                ..Default::default()
            })
            .await
            .unwrap();
            let at = |p| store.commit_at_or_before(first, p);
            assert_eq!(at(5).await.unwrap(), None);
            let row = at(25).await.unwrap().unwrap();
            assert_eq!((row.position, row.seq), (20, 2));
            assert_eq!(at(45).await.unwrap().unwrap().position, 30);
            // Kept while a partition has never led, then pruned below the
            // last one the slowest partition may need.
            let leases = [first.to_owned(), other.to_owned()];
            assert_eq!(store.prune_commits(first, &leases).await.unwrap(), 0);
            let (g, _) = store.take_epoch(other, "b").await.unwrap();
            store
                .clone()
                .with_fence(g)
                .write(&Batch {
                    input: Some(25),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(store.prune_commits(first, &leases).await.unwrap(), 1);
            assert_eq!(at(25).await.unwrap().unwrap().position, 20);
            assert_eq!(at(15).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn the_published_vessel_state_is_read_once_per_change() {
        for (store, _dir) in crate::storage::tests::stores().await {
            let row = |taken_at| SnapshotRow {
                node: "engine-1".into(),
                clock: Some(1_000),
                taken_at,
                body: vec![1, 2, 3],
            };
            assert!(store
                .snapshot_after("p/engine/0", 0)
                .await
                .unwrap()
                .is_none());
            store
                .publish_snapshot("p/engine/0", &row(10))
                .await
                .unwrap();
            store
                .publish_snapshot("p/engine/0", &row(20))
                .await
                .unwrap();
            let got = store
                .snapshot_after("p/engine/0", 10)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((got.taken_at, got.body), (20, vec![1, 2, 3]));
            assert!(store
                .snapshot_after("p/engine/0", 20)
                .await
                .unwrap()
                .is_none());
        }
    }
}
