//! The audit trail's side of the store: records appended in chain order,
//! read back filtered (as a centre may see them), walked for a check,
//! pruned by `[audit] retention`, and the chain's signed checkpoints, ours
//! and partners'.

use std::collections::HashSet;

use sqlx::{QueryBuilder, Row};

use super::{on_pool, on_writer, Backend, Scope, StorageError, Store};
use crate::audit::chain::{self, Checkpoint, Record};
use crate::audit::Entry;
use crate::evidence::key::hex;
use aiswatch_core::time::{rfc3339, Millis};

/// Actions whose records only an administrator reads (a centre reads its
/// own records of them, if it tried one and was refused).
pub const ADMIN_ONLY: &[&str] = &[
    "hold.place",
    "hold.release",
    "holds.list",
    "deliveries.list",
    "delivery.retry",
    "config.reload",
    "zones.reload",
    "audit.read",
    "audit.checkpoint",
    "federation.status",
    "federation.evidence_decision",
    "federation.send",
    "federation.receive",
    "federation.evidence_request",
    "federation.checkpoint",
    "federation.checkpoints",
];

/// One stored record with its links.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// Its place in the chain.
    pub seq: u64,
    /// Wall clock, unix ms (the `at` column).
    pub at: Millis,
    /// The `actor` column.
    pub actor: String,
    /// The `action` column.
    pub action: String,
    /// The record's line, exactly as hashed.
    pub record: String,
    /// The previous record's hash (hex).
    pub prev: String,
    /// Its hash (hex).
    pub hash: String,
}

/// Which records (`GET /api/v1/audit`).
#[derive(Debug, Clone)]
pub struct AuditFilter {
    /// Who reads: a centre sees its own records and accesses to its alerts.
    pub viewer: Scope,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only records that touched this alert.
    pub alert: Option<String>,
    /// Only records that touched this vessel.
    pub mmsi: Option<u32>,
    /// Only at or after (wall clock).
    pub since: Option<Millis>,
    /// Only at or before.
    pub until: Option<Millis>,
    /// Only records before this seq (newest first).
    pub before: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// The chain's head: the last record's seq and hash (0 and zeros when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Last seq.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

const COLUMNS: &str = "l.seq, l.at, l.actor, l.action, l.record, l.prev, l.hash";

fn stored<R: Row>(r: &R) -> Result<StoredRecord, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(StoredRecord {
        seq: r.try_get::<i64, _>(0)? as u64,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        record: r.try_get(4)?,
        prev: r.try_get(5)?,
        hash: r.try_get(6)?,
    })
}

/// A checkpoint row: seq, hash, at, signature.
fn checkpoint<R: Row>(r: &R) -> Result<Checkpoint, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(Checkpoint {
        seq: r.try_get::<i64, _>(0)? as u64,
        hash: r.try_get(1)?,
        at: rfc3339(r.try_get(2)?),
        signature: r.try_get(3)?,
    })
}

impl Store {
    /// Appends `entries` after the chain's head, in one transaction.
    /// The head is read in the transaction: a batch whose commit was not
    /// seen is never written twice, and the chain has one writer at a time.
    /// Returns the new head.
    ///
    /// # Errors
    /// The database failed; nothing was appended.
    pub async fn append_audit(&self, entries: &[Entry]) -> Result<Head, StorageError> {
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            let mut head = match row {
                Some(r) => Head {
                    seq: r.try_get::<i64, _>(0)? as u64,
                    hash: chain::hash_from_hex(&r.try_get::<String, _>(1)?).unwrap_or(chain::GENESIS),
                },
                None => Head { seq: 0, hash: chain::GENESIS },
            };
            for chunk in entries.chunks(200) {
                let mut rows = Vec::with_capacity(chunk.len());
                for e in chunk {
                    let rec = e.record(head.seq + 1);
                    let text = rec.text();
                    let hash = chain::link(&head.hash, &text);
                    rows.push((rec, text, hex(&head.hash), hex(&hash)));
                    head = Head { seq: head.seq + 1, hash };
                }
                let mut q = QueryBuilder::new("INSERT INTO audit_log (seq, at, actor, action, record, prev, hash) ");
                q.push_values(rows.iter().zip(chunk), |mut b, ((rec, text, prev, hash), e)| {
                    b.push_bind(rec.seq as i64)
                        .push_bind(e.at)
                        .push_bind(rec.actor.clone())
                        .push_bind(rec.action.clone())
                        .push_bind(text.clone())
                        .push_bind(prev.clone())
                        .push_bind(hash.clone());
                });
                q.build().execute(&mut *tx).await?;
                let ids: Vec<(&'static str, String, i64)> = rows
                    .iter()
                    .flat_map(|(rec, ..)| {
                        let s = rec.seq as i64;
                        let alerts = rec.ids.alerts.iter().map(move |a| ("alert", a.clone(), s));
                        let mmsis = rec.ids.mmsis.iter().map(move |m| ("mmsi", m.to_string(), s));
                        let zones = rec.ids.zones.iter().map(move |z| ("zone", z.clone(), s));
                        alerts.chain(mmsis).chain(zones)
                    })
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                for part in ids.chunks(300) {
                    let mut q = QueryBuilder::new("INSERT INTO audit_ids (kind, id, seq) ");
                    q.push_values(part, |mut b, (kind, id, seq)| {
                        b.push_bind(*kind).push_bind(id.clone()).push_bind(*seq);
                    });
                    q.build().execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(head)
        })
    }

    /// The chain's head.
    pub async fn audit_head(&self) -> Result<Head, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Head {
                    seq: r.try_get::<i64, _>(0)? as u64,
                    hash: chain::hash_from_hex(&r.try_get::<String, _>(1)?).unwrap_or(chain::GENESIS),
                },
                None => Head { seq: 0, hash: chain::GENESIS },
            })
        })
    }

    /// Records in seq order from `from`, at most `limit`: for a walk of
    /// the chain and for an extract.
    pub async fn audit_walk(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_log l WHERE l.seq >= $1 ORDER BY l.seq LIMIT $2"
            ))
            .bind(from.min(i64::MAX as u64) as i64)
            .bind(limit as i64)
            .fetch_all(p)
            .await?;
            rows.iter().map(stored).collect()
        })
    }

    /// The first seq of records made at or after `at` (wall clock), if any.
    pub async fn audit_seq_at(&self, at: Millis) -> Result<Option<u64>, StorageError> {
        on_pool!(self, p => {
            let r = sqlx::query("SELECT MIN(seq) FROM audit_log WHERE at >= $1").bind(at).fetch_one(p).await?;
            Ok(r.try_get::<Option<i64>, _>(0)?.map(|s| s as u64))
        })
    }

    /// The last seq retention removed (0: none was).
    pub async fn audit_pruned_through(&self) -> Result<u64, StorageError> {
        on_pool!(self, p => {
            let r = sqlx::query("SELECT value FROM store_meta WHERE key = 'audit_pruned_through'")
                .fetch_optional(p)
                .await?;
            Ok(match r {
                Some(r) => r.try_get::<i64, _>(0)? as u64,
                None => 0,
            })
        })
    }

    /// Removes records made before `before` (wall clock), never the last
    /// one (the next record links to it), and notes the last seq removed
    /// so that a check knows where the chain now starts. Returns how many.
    pub async fn prune_audit(&self, before: Millis) -> Result<u64, StorageError> {
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            let last: Option<i64> = sqlx::query(
                "SELECT MAX(seq) FROM audit_log WHERE at < $1 AND seq < (SELECT MAX(seq) FROM audit_log)",
            )
            .bind(before)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            let Some(last) = last else { return Ok(0) };
            let n = sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(last)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM audit_ids WHERE seq <= $1").bind(last).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO store_meta (key, value) VALUES ('audit_pruned_through', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(last)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    /// One record, if `viewer` may see it.
    pub async fn audit_record(
        &self,
        seq: u64,
        viewer: &Scope,
    ) -> Result<Option<StoredRecord>, StorageError> {
        let page = self
            .audit(&AuditFilter {
                viewer: viewer.clone(),
                actor: None,
                action: None,
                alert: None,
                mmsi: None,
                since: None,
                until: None,
                before: Some(seq.saturating_add(1)),
                limit: 1,
            })
            .await?;
        Ok(page.into_iter().find(|r| r.seq == seq))
    }

    /// Records, newest first, filtered, at most `limit + 1` (the extra one
    /// tells there is a next page). A centre's view: its own records, and
    /// others' accesses to alerts routed to it (not admin-only actions),
    /// with the ids of those cut to its alerts.
    pub async fn audit(&self, f: &AuditFilter) -> Result<Vec<StoredRecord>, StorageError> {
        let mut rows = on_pool!(self, p => {
            let mut q = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_log l WHERE 1 = 1"));
            if let Scope::Centre(c) = &f.viewer {
                q.push(" AND (l.actor = ").push_bind(format!("centre:{}", c.as_str()));
                q.push(" OR (l.action NOT IN (");
                let mut sep = q.separated(", ");
                for a in ADMIN_ONLY {
                    sep.push_bind(*a);
                }
                q.push(") AND EXISTS (SELECT 1 FROM audit_ids i JOIN alerts a ON a.id = i.id \
                        JOIN alert_centres c ON c.alert_n = a.n WHERE i.kind = 'alert' AND i.seq = l.seq AND c.centre = ")
                    .push_bind(c.as_str().to_owned())
                    .push(")))");
            }
            if let Some(a) = &f.actor {
                q.push(" AND l.actor = ").push_bind(a.clone());
            }
            if let Some(a) = &f.action {
                q.push(" AND l.action = ").push_bind(a.clone());
            }
            if let Some(a) = &f.alert {
                q.push(" AND EXISTS (SELECT 1 FROM audit_ids i WHERE i.kind = 'alert' AND i.id = ")
                    .push_bind(a.clone())
                    .push(" AND i.seq = l.seq)");
            }
            if let Some(m) = f.mmsi {
                q.push(" AND EXISTS (SELECT 1 FROM audit_ids i WHERE i.kind = 'mmsi' AND i.id = ")
                    .push_bind(m.to_string())
                    .push(" AND i.seq = l.seq)");
            }
            if let Some(s) = f.since {
                q.push(" AND l.at >= ").push_bind(s);
            }
            if let Some(u) = f.until {
                q.push(" AND l.at <= ").push_bind(u);
            }
            if let Some(b) = f.before {
                q.push(" AND l.seq < ").push_bind(b.min(i64::MAX as u64) as i64);
            }
            q.push(" ORDER BY l.seq DESC LIMIT ").push_bind(f.limit as i64 + 1);
            let rows = q.build().fetch_all(p).await?;
            rows.iter().map(stored).collect::<Result<Vec<_>, StorageError>>()
        })?;
        if let Scope::Centre(c) = &f.viewer {
            self.cut_to_centre(&mut rows, &format!("centre:{}", c.as_str()), c.as_str())
                .await?;
        }
        Ok(rows)
    }

    /// Others' records as a centre sees them: only the ids of its alerts.
    async fn cut_to_centre(
        &self,
        rows: &mut [StoredRecord],
        actor: &str,
        centre: &str,
    ) -> Result<(), StorageError> {
        let mut asked: Vec<String> = Vec::new();
        let mut parsed = Vec::with_capacity(rows.len());
        for r in rows.iter() {
            let rec: Option<Record> = (r.actor != actor)
                .then(|| serde_json::from_str(&r.record).ok())
                .flatten();
            if let Some(rec) = &rec {
                asked.extend(rec.ids.alerts.iter().cloned());
            }
            parsed.push(rec);
        }
        if asked.is_empty() {
            return Ok(());
        }
        asked.sort();
        asked.dedup();
        let mut mine: HashSet<String> = HashSet::new();
        for part in asked.chunks(500) {
            let got: Vec<String> = on_pool!(self, p => {
                let mut q = QueryBuilder::new(
                    "SELECT a.id FROM alerts a JOIN alert_centres c ON c.alert_n = a.n WHERE c.centre = ",
                );
                q.push_bind(centre.to_owned()).push(" AND a.id IN (");
                let mut sep = q.separated(", ");
                for id in part {
                    sep.push_bind(id.clone());
                }
                q.push(")");
                let rows = q.build().fetch_all(p).await?;
                rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()
            })?;
            mine.extend(got);
        }
        for (r, rec) in rows.iter_mut().zip(parsed) {
            if let Some(mut rec) = rec {
                rec.ids.alerts.retain(|a| mine.contains(a));
                rec.ids.mmsis.clear();
                rec.ids.zones.clear();
                r.record = rec.text();
            }
        }
        Ok(())
    }

    /// Stores a checkpoint of our chain and queues it for every partner in
    /// `partners` (partner id, agreement), in one transaction.
    pub async fn add_audit_checkpoint(
        &self,
        cp: &Checkpoint,
        at: Millis,
        partners: &[(String, String)],
    ) -> Result<(), StorageError> {
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            let seq = cp.seq.min(i64::MAX as u64) as i64;
            sqlx::query(
                "INSERT INTO audit_checkpoints (seq, at, hash, signature) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (seq) DO NOTHING",
            )
            .bind(seq)
            .bind(at)
            .bind(&cp.hash)
            .bind(&cp.signature)
            .execute(&mut *tx)
            .await?;
            for (partner, agreement) in partners {
                sqlx::query(
                    "INSERT INTO deliveries (checkpoint, seq, centre, channel, state, created_at, since, next_at, agreement) \
                     VALUES ($1, $1, $2, 'partner', 'pending', $3, $3, $3, $4)",
                )
                .bind(seq)
                .bind(partner)
                .bind(at)
                .bind(agreement)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Our checkpoints, oldest first.
    pub async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query("SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq")
                .fetch_all(p)
                .await?;
            rows.iter().map(checkpoint).collect()
        })
    }

    /// Keeps a partner's checkpoint (once per partner and seq). Returns
    /// whether it was new.
    pub async fn keep_partner_checkpoint(
        &self,
        partner: &str,
        cp: &Checkpoint,
        received_at: Millis,
    ) -> Result<bool, StorageError> {
        let at = chrono::DateTime::parse_from_rfc3339(&cp.at)
            .map(|t| t.timestamp_millis())
            .unwrap_or(received_at);
        on_writer!(self, p => {
            let n = sqlx::query(
                "INSERT INTO federation_checkpoints (partner, seq, at, hash, signature, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (partner, seq) DO NOTHING",
            )
            .bind(partner)
            .bind(cp.seq.min(i64::MAX as u64) as i64)
            .bind(at)
            .bind(&cp.hash)
            .bind(&cp.signature)
            .bind(received_at)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// A partner's checkpoints kept here, oldest first.
    pub async fn partner_checkpoints(
        &self,
        partner: &str,
    ) -> Result<Vec<Checkpoint>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT seq, hash, at, signature FROM federation_checkpoints WHERE partner = $1 ORDER BY seq",
            )
            .bind(partner)
            .fetch_all(p)
            .await?;
            rows.iter().map(checkpoint).collect()
        })
    }
}
