//! The outbox's side of the store: deliveries due, their outcomes, the
//! dead letters an administrator sees and retries, and the event log the
//! live stream resumes from.
//!
//! Deliveries are created with the alert change they carry, in the same
//! transaction (`write.rs`); nothing here creates one.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::{on_pool, on_writer, Backend, StorageError, Store};
use crate::deliver::sink::{AlertEvent, Channel};
use aiswatch_core::ids::{AlertId, CentreId};
use aiswatch_core::time::Millis;
use aiswatch_engine::alert::Kind;

/// A delivery whose turn has come: the first pending change of its alert
/// on its centre's channel, its retry time reached.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Delivery id.
    pub id: i64,
    /// The alert's row (deliveries of one alert go in order).
    pub alert_n: i64,
    /// The change's number within its alert (1, 2, …).
    pub seq: i64,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the engine emitted the change (wall clock).
    pub created_at: Millis,
    /// Start of the give-up clock.
    pub since: Millis,
    /// The alert id.
    pub alert: AlertId,
    /// The alert JSON of this change.
    pub json: String,
    /// The agreement it is shared under (a partner's delivery).
    pub agreement: Option<String>,
    /// A checkpoint of the audit chain (to a partner) instead of an alert
    /// change: `json` is the checkpoint.
    pub checkpoint: Option<u64>,
}

/// What stands for the alert id of a checkpoint's delivery.
pub fn checkpoint_id(seq: u64) -> AlertId {
    AlertId::from(format!("audit-checkpoint:{seq}"))
}

/// How one attempt went, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The far end acknowledged it at this wall time.
    Delivered {
        /// Delivery id.
        id: i64,
        /// When.
        at: Millis,
    },
    /// Failed; try again not before `next_at`.
    Retry {
        /// Delivery id.
        id: i64,
        /// Next attempt not before.
        next_at: Millis,
        /// Why it failed.
        error: String,
    },
    /// Failed past `give_up_after`: dead-lettered.
    Failed {
        /// Delivery id.
        id: i64,
        /// Why the last attempt failed.
        error: String,
    },
}

/// One delivery as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct DeliveryView {
    /// Delivery id (for `POST /api/v1/deliveries/{id}/retry`).
    pub id: i64,
    /// The alert.
    #[schema(value_type = String)]
    pub alert_id: AlertId,
    /// The change's number within its alert (1 = `open`).
    pub change: i64,
    /// The alert state this change carries.
    pub alert_state: String,
    /// The centre (on channel `partner`: the partner installation).
    #[schema(value_type = String)]
    pub centre: CentreId,
    /// `webhook`, `mqtt`, `nats` or `partner`.
    pub channel: String,
    /// The agreement a change shared with a partner goes under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the engine emitted the change (RFC 3339, wall clock).
    pub created_at: String,
    /// Next attempt not before (pending only).
    pub next_attempt_at: Option<String>,
    /// When the far end acknowledged it.
    pub delivered_at: Option<String>,
    /// The audit record a checkpoint sent to a partner signs (then
    /// `alert_id` is `audit-checkpoint:SEQ` and `alert_state` `checkpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// `pending`, `delivered` or `failed`.
    pub state: Option<String>,
    /// One centre.
    pub centre: Option<CentreId>,
    /// One channel.
    pub channel: Option<Channel>,
    /// Only ids below this (the cursor: newest first).
    pub before: Option<i64>,
    /// Page size.
    pub limit: usize,
}

/// What a retry request found.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryResult {
    /// Queued again, to be attempted at once.
    Queued,
    /// No such delivery.
    NotFound,
    /// Not dead-lettered (pending or delivered): nothing to do.
    NotFailed(String),
}

/// Outbox depth of one centre and channel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Depth {
    /// Deliveries pending.
    pub pending: i64,
    /// When the oldest pending change was emitted.
    pub oldest: Option<Millis>,
}

/// The outbox of one centre and channel, for `/readyz`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxState {
    /// The centre.
    pub centre: String,
    /// `webhook`, `mqtt` or `nats`.
    pub channel: String,
    /// Deliveries pending, and when the oldest pending change was emitted.
    pub depth: Depth,
}

impl Store {
    /// Every centre and channel with pending deliveries, and the number of
    /// dead letters (given up, waiting for a manual retry).
    ///
    /// # Errors
    /// The database failed.
    pub async fn outbox_state(&self) -> Result<(Vec<OutboxState>, i64), StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT centre, channel, COUNT(*), MIN(created_at) FROM deliveries \
                 WHERE state = 'pending' GROUP BY centre, channel ORDER BY centre, channel",
            )
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(OutboxState {
                    centre: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    depth: Depth { pending: r.try_get(2)?, oldest: r.try_get(3)? },
                });
            }
            let failed: i64 = sqlx::query("SELECT COUNT(*) FROM deliveries WHERE state = 'failed'")
                .fetch_one(p)
                .await?
                .try_get(0)?;
            Ok((out, failed))
        })
    }

    /// Up to `limit` deliveries due now on `centre`'s `channel`: for each
    /// alert only its first pending change (so one alert's changes go in
    /// order), and only if its retry time has come. Oldest first.
    pub async fn due_deliveries(
        &self,
        centre: &CentreId,
        channel: Channel,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        on_pool!(self, p => {
            // Checkpoints have no alert: they go in order among themselves.
            let rows = sqlx::query(
                "SELECT d.id, d.alert_n, d.seq, d.attempts, d.created_at, d.since, a.id, c.json, d.agreement, \
                 d.checkpoint, k.hash, k.at, k.signature \
                 FROM deliveries d \
                 JOIN (SELECT MIN(id) AS id FROM deliveries WHERE centre = $1 AND channel = $2 \
                       AND state = 'pending' GROUP BY alert_n) h ON h.id = d.id \
                 LEFT JOIN alerts a ON a.n = d.alert_n \
                 LEFT JOIN alert_changes c ON c.alert_n = d.alert_n AND c.seq = d.seq \
                 LEFT JOIN audit_checkpoints k ON k.seq = d.checkpoint \
                 WHERE d.next_at <= $3 ORDER BY d.id LIMIT $4",
            )
            .bind(centre.as_str())
            .bind(channel.as_str())
            .bind(now)
            .bind(limit as i64)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    let checkpoint = r.try_get::<Option<i64>, _>(9)?.map(|s| s as u64);
                    let (alert, json) = match checkpoint {
                        Some(seq) => {
                            let cp = crate::audit::Checkpoint {
                                seq,
                                hash: r.try_get(10)?,
                                at: aiswatch_core::time::rfc3339(r.try_get(11)?),
                                signature: r.try_get(12)?,
                            };
                            (checkpoint_id(seq), serde_json::to_string(&cp).unwrap_or_default())
                        }
                        None => (AlertId::from(r.try_get::<String, _>(6)?), r.try_get(7)?),
                    };
                    Ok(DueDelivery {
                        id: r.try_get(0)?,
                        alert_n: r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
                        seq: r.try_get(2)?,
                        attempts: r.try_get(3)?,
                        created_at: r.try_get(4)?,
                        since: r.try_get(5)?,
                        alert,
                        json,
                        agreement: r.try_get(8)?,
                        checkpoint,
                    })
                })
                .collect()
        })
    }

    /// The earliest retry time among `centre`'s pending deliveries on
    /// `channel`, and how many are pending.
    pub async fn outbox_depth(
        &self,
        centre: &CentreId,
        channel: Channel,
    ) -> Result<(Depth, Option<Millis>), StorageError> {
        on_pool!(self, p => {
            let r = sqlx::query(
                "SELECT COUNT(*), MIN(created_at), MIN(next_at) FROM deliveries \
                 WHERE centre = $1 AND channel = $2 AND state = 'pending'",
            )
            .bind(centre.as_str())
            .bind(channel.as_str())
            .fetch_one(p)
            .await?;
            Ok((
                Depth { pending: r.try_get(0)?, oldest: r.try_get(1)? },
                r.try_get(2)?,
            ))
        })
    }

    /// Records the outcomes of a round of attempts, in one transaction.
    pub async fn record_deliveries(&self, outcomes: &[Outcome]) -> Result<(), StorageError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            for o in outcomes {
                let q = match o {
                    Outcome::Delivered { id, at } => sqlx::query(
                        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, \
                         delivered_at = $2, last_error = NULL WHERE id = $1",
                    )
                    .bind(*id)
                    .bind(*at),
                    Outcome::Retry { id, next_at, error } => sqlx::query(
                        "UPDATE deliveries SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1",
                    )
                    .bind(*id)
                    .bind(*next_at)
                    .bind(error.clone()),
                    Outcome::Failed { id, error } => sqlx::query(
                        "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1",
                    )
                    .bind(*id)
                    .bind(error.clone()),
                };
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deliveries, newest first (`GET /api/v1/deliveries`).
    pub async fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<DeliveryView>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT d.id, a.id, d.seq, c.state, d.centre, d.channel, d.state, d.attempts, \
                 d.created_at, d.next_at, d.delivered_at, d.last_error, d.agreement, d.checkpoint \
                 FROM deliveries d LEFT JOIN alerts a ON a.n = d.alert_n \
                 LEFT JOIN alert_changes c ON c.alert_n = d.alert_n AND c.seq = d.seq \
                 WHERE ($1 IS NULL OR d.state = $1) AND ($2 IS NULL OR d.centre = $2) \
                 AND ($3 IS NULL OR d.channel = $3) AND ($4 IS NULL OR d.id < $4) \
                 ORDER BY d.id DESC LIMIT $5",
            )
            .bind(f.state.clone())
            .bind(f.centre.as_ref().map(|c| c.as_str().to_owned()))
            .bind(f.channel.map(|c| c.as_str().to_owned()))
            .bind(f.before)
            .bind(f.limit as i64)
            .fetch_all(p)
            .await?;
            let rfc = aiswatch_core::time::rfc3339;
            rows.iter()
                .map(|r| {
                    let state: String = r.try_get(6)?;
                    let next_at: Millis = r.try_get(9)?;
                    let checkpoint = r.try_get::<Option<i64>, _>(13)?.map(|s| s as u64);
                    Ok(DeliveryView {
                        id: r.try_get(0)?,
                        alert_id: match checkpoint {
                            Some(seq) => checkpoint_id(seq),
                            None => AlertId::from(r.try_get::<String, _>(1)?),
                        },
                        change: r.try_get(2)?,
                        alert_state: r.try_get::<Option<String>, _>(3)?.unwrap_or_else(|| "checkpoint".into()),
                        checkpoint,
                        centre: CentreId::from(r.try_get::<String, _>(4)?),
                        channel: r.try_get(5)?,
                        next_attempt_at: (state == "pending").then(|| rfc(next_at)),
                        state,
                        attempts: r.try_get(7)?,
                        created_at: rfc(r.try_get(8)?),
                        delivered_at: r.try_get::<Option<Millis>, _>(10)?.map(rfc),
                        last_error: r.try_get(11)?,
                        agreement: r.try_get(12)?,
                    })
                })
                .collect()
        })
    }

    /// Queues a dead-lettered delivery again, its give-up clock restarted.
    pub async fn retry_delivery(&self, id: i64, now: Millis) -> Result<RetryResult, StorageError> {
        on_writer!(self, p => {
            let state: Option<String> = sqlx::query("SELECT state FROM deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            match state.as_deref() {
                None => Ok(RetryResult::NotFound),
                Some("failed") => {
                    sqlx::query(
                        "UPDATE deliveries SET state = 'pending', since = $2, next_at = $2 WHERE id = $1 AND state = 'failed'",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(p)
                    .await?;
                    Ok(RetryResult::Queued)
                }
                Some(s) => Ok(RetryResult::NotFailed(s.to_owned())),
            }
        })
    }

    /// Stored alert changes after event `after`, oldest first, at most
    /// `limit`: what a live-stream client missed. `centre` limits them to
    /// the alerts routed to it.
    pub async fn events_after(
        &self,
        after: i64,
        centre: Option<&CentreId>,
        limit: usize,
    ) -> Result<Vec<AlertEvent>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT e.n, a.kind, c.json, e.alert_n FROM alert_events e \
                 JOIN alerts a ON a.n = e.alert_n \
                 JOIN alert_changes c ON c.alert_n = e.alert_n AND c.seq = e.seq \
                 WHERE e.n > $1 AND ($2 IS NULL OR EXISTS \
                 (SELECT 1 FROM alert_centres r WHERE r.alert_n = e.alert_n AND r.centre = $2)) \
                 ORDER BY e.n LIMIT $3",
            )
            .bind(after)
            .bind(centre.map(|c| c.as_str().to_owned()))
            .bind(limit as i64)
            .fetch_all(p)
            .await?;
            // The centres of every alert in the page, in one query.
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(Vec::new());
            };
            let (lo, hi): (i64, i64) = (first.try_get(0)?, last.try_get(0)?);
            let mut centres: std::collections::HashMap<i64, Vec<CentreId>> = Default::default();
            for r in sqlx::query(
                "SELECT DISTINCT r.alert_n, r.centre FROM alert_centres r \
                 JOIN alert_events e ON e.alert_n = r.alert_n WHERE e.n >= $1 AND e.n <= $2",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?
            {
                centres
                    .entry(r.try_get(0)?)
                    .or_default()
                    .push(CentreId::from(r.try_get::<String, _>(1)?));
            }
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let alert_n: i64 = r.try_get(3)?;
                let kind: String = r.try_get(1)?;
                let Some(kind) = Kind::parse(&kind) else { continue };
                out.push(AlertEvent {
                    n: r.try_get(0)?,
                    kind,
                    centres: centres.get(&alert_n).cloned().unwrap_or_default(),
                    json: r.try_get::<String, _>(2)?.into(),
                });
            }
            Ok(out)
        })
    }
}
