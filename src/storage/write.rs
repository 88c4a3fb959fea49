//! Writing batches: one transaction per call, positions in blocks (see
//! `blocks.rs`) by multi-row `INSERT` (SQLite, see `sqlite.rs`) or `COPY`
//! into day partitions (PostgreSQL, see `postgres.rs`), static changes and
//! alert state changes by upsert. Also retention.

use std::sync::Arc;

use sqlx::Row;

use super::blocks::{self, Block, BulkWrites};
use super::{Backend, Batch, StaticRow, StorageError, Store};
use crate::deliver::sink::{AlertEvent, Channel, Route, Share};
use aiswatch_core::ids::{CentreId, Mmsi};
use aiswatch_core::time::{now_ms, Millis};
use aiswatch_engine::alert::{Alert, Kind, State};

/// A batch made ready to write: NUL characters in its text replaced (see
/// [`NUL_STANDIN`]), its positions grouped into blocks and packed, its
/// messages heard packed. The CPU part of a write, which the writer does
/// for the next batch while the one before commits.
pub struct Prepared {
    batch: Batch,
    blocks: Vec<Block>,
    heard: Option<Vec<u8>>,
    /// See [`Prepared::packed_bytes`].
    packed: usize,
}

impl Prepared {
    /// Prepares `batch`.
    pub fn new(mut batch: Batch) -> Prepared {
        clean_nul(&mut batch);
        let blocks = blocks::group(&batch.positions, false);
        let heard = (!batch.heard.is_empty()).then(|| blocks::encode_heard(&batch.heard));
        let packed = blocks.iter().map(|b| b.points.len()).sum::<usize>()
            + heard.as_ref().map_or(0, Vec::len);
        Prepared {
            batch,
            blocks,
            heard,
            packed,
        }
    }

    /// The batch prepared.
    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    /// The packed bytes it writes (position blocks, messages heard): most
    /// of what its commit adds to the store.
    pub fn packed_bytes(&self) -> usize {
        self.packed
    }
}

impl Store {
    /// Writes `batch` in one transaction (see [`Store::write_prepared`]).
    ///
    /// # Errors
    /// The database refused or is unreachable; nothing was written.
    pub async fn write(&self, batch: &Batch) -> Result<Vec<AlertEvent>, StorageError> {
        self.write_prepared(&mut Prepared::new(batch.clone())).await
    }

    /// Writes a prepared batch in one transaction: all of it or nothing.
    /// Each new alert state change gets its event number and, in the same
    /// transaction, one pending delivery per routed centre and channel
    /// (the outbox). Returns the new changes, for the live stream.
    ///
    /// # Errors
    /// The database refused or is unreachable; nothing was written (the
    /// same `prepared` may be written again).
    pub async fn write_prepared(
        &self,
        prepared: &mut Prepared,
    ) -> Result<Vec<AlertEvent>, StorageError> {
        let Prepared {
            batch,
            blocks,
            heard,
            ..
        } = prepared;
        let (batch, heard) = (&*batch, heard.as_deref());
        if batch.is_empty() && (batch.input.is_none() || self.fence.is_none()) {
            return Ok(Vec::new());
        }
        let shares = self.shares();
        let out = WriteOut {
            routes: &self.routes,
            shares: &shares,
            emitted_at: batch.emitted_at.unwrap_or_else(now_ms),
        };
        if let Backend::Postgres(p) = &self.backend {
            self.ensure_partitions(p, blocks).await?;
        }
        let max_t = batch.positions.iter().map(|p| p.time).max();
        let res = match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let mut conn = writer.acquire().await?;
                let res = async {
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    blocks::write(&mut tx, &batch.positions, blocks).await?;
                    let events = write_rest(&mut tx, batch, heard, max_t, &out).await?;
                    tx.commit().await?;
                    Ok(events)
                }
                .await;
                if res.is_err() {
                    // SQLite may have rolled the transaction back itself
                    // (a full disk does): the ROLLBACK on drop then fails,
                    // and the connection would go on with every later
                    // "transaction" a savepoint inside one never committed.
                    // A fresh connection for the retry.
                    conn.close_on_drop();
                }
                res
            }
            Backend::Postgres(p) => {
                let res = async {
                    let mut tx = p.begin().await?;
                    blocks::write(&mut tx, &batch.positions, blocks).await?;
                    let events = write_rest(&mut tx, batch, heard, max_t, &out).await?;
                    if let Some(f) = &self.fence {
                        super::cluster::check_fence(&mut tx, f, batch.input, batch.has_records())
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(events)
                }
                .await;
                if res.is_err() {
                    // A day partition known to exist may be gone (dropped
                    // by hand, or with the whole schema): the retry
                    // creates what is missing.
                    if let Ok(mut s) = self.partitions.lock() {
                        s.clear();
                    }
                }
                res
            }
        };
        if res.is_err() {
            // The blocks may have given their packed reports to the
            // statements, or lost reports found stored: packed again.
            *blocks = blocks::group(&batch.positions, false);
        }
        res
    }

    /// Prunes positions older than `before` (event time), except what legal
    /// holds keep: on PostgreSQL whole day partitions (one that a hold's
    /// window overlaps stays, only its unheld reports deleted), on SQLite a
    /// few grid cells at a time. Notes the horizon pruned to (see
    /// [`Store::pruned_before`]). Returns the reports (SQLite) or
    /// partitions (PostgreSQL) removed.
    ///
    /// # Errors
    /// The database failed; what was pruned before stays pruned.
    pub async fn prune_positions(&self, before: Millis) -> Result<u64, StorageError> {
        super::on_writer!(self, p => {
            sqlx::query("DELETE FROM ticks WHERE t < $1").bind(before).execute(p).await?;
            sqlx::query("DELETE FROM heard WHERE last_seq < (SELECT MIN(seq) FROM ticks)").execute(p).await?;
            sqlx::query("DELETE FROM heard_blocks WHERE last_seq < (SELECT MIN(seq) FROM ticks)").execute(p).await.map(|_| ())
        })?;
        let holds = self.holds().await?;
        self.refresh_held_raw().await?;
        let (removed, horizon) = match &self.backend {
            Backend::Sqlite { writer: p, .. } => {
                let mut removed = 0;
                for place in super::sqlite::places_up_to(p, super::hour_of(before)).await? {
                    removed += self.prune_blocks(&place, before, &holds).await?;
                    // Let writers in between statements.
                    tokio::task::yield_now().await;
                }
                super::sqlite::prune_lists(p, before, &holds).await?;
                (removed, Some(before))
            }
            Backend::Postgres(p) => self.prune_partitions(p, before, &holds).await?,
        };
        if let Some(h) = horizon {
            self.set_pruned_before(h).await?;
        }
        Ok(removed)
    }
}

/// What stands in for a NUL character in stored text, on both databases:
/// PostgreSQL refuses NUL in text, and a batch it refuses would be retried
/// for ever. Station ids come off the air as received; names too (gpsd JSON).
const NUL_STANDIN: &str = "\u{FFFD}";

fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// Names of a batch looked at already, by address: the slot of an address
/// holds the last such name. A batch's rows share a few names, and hold
/// every name looked at (only a name with a NUL is replaced, and only by
/// a clean one), so an address stays its name's for the whole look.
#[derive(Default)]
struct CleanNames([usize; CLEAN_SLOTS]);

const CLEAN_SLOTS: usize = 16;

/// Replaces the NULs of `s`, unless it was looked at already.
fn clean_arc(s: &mut Arc<str>, clean: &mut CleanNames) {
    let address = |s: &Arc<str>| Arc::as_ptr(s).cast::<u8>() as usize;
    let slot = |a: usize| (a >> 4) % CLEAN_SLOTS;
    let a = address(s);
    if clean.0[slot(a)] == a {
        return;
    }
    if has_nul(s) {
        *s = s.replace('\0', NUL_STANDIN).into();
    }
    let a = address(s);
    clean.0[slot(a)] = a;
}

fn clean_string(s: &mut Option<String>) {
    if let Some(v) = s.as_mut().filter(|v| has_nul(v)) {
        *v = v.replace('\0', NUL_STANDIN);
    }
}

/// Replaces every NUL in `b`'s positions' and static changes' text by
/// [`NUL_STANDIN`] (a scan when there is none, the common case).
fn clean_nul(b: &mut Batch) {
    let mut clean = CleanNames::default();
    for p in &mut b.positions {
        if let Some(st) = p.station.as_mut() {
            clean_arc(st, &mut clean);
        }
        clean_arc(&mut p.source, &mut clean);
    }
    for s in &mut b.statics {
        if let Some(st) = s.station.as_mut() {
            clean_arc(st, &mut clean);
        }
        clean_arc(&mut s.source, &mut clean);
        clean_string(&mut s.info.name);
        clean_string(&mut s.info.callsign);
        clean_string(&mut s.info.destination);
    }
}

/// What alert changes need besides themselves: where they go, and when
/// the engine emitted them (the start of the delivery latency).
pub(super) struct WriteOut<'a> {
    pub(super) routes: &'a [Route],
    pub(super) shares: &'a [Share],
    pub(super) emitted_at: Millis,
}

/// An alert state change as stored: this installation's own, or one a
/// partner shared (`origin`).
pub(super) struct AlertRow<'a> {
    pub(super) id: &'a str,
    pub(super) kind: Kind,
    pub(super) state: State,
    pub(super) zone: &'a str,
    pub(super) started_at: Millis,
    pub(super) at: Millis,
    pub(super) ended_at: Option<Millis>,
    /// The local centres that see it.
    pub(super) centres: &'a [CentreId],
    pub(super) mmsi: &'a [Mmsi],
    pub(super) json: String,
    /// The partner it came from.
    pub(super) origin: Option<&'a str>,
}

impl<'a> AlertRow<'a> {
    fn of(a: &'a Alert) -> Self {
        AlertRow {
            id: a.id.as_str(),
            kind: a.kind,
            state: a.state,
            zone: a.zone.as_str(),
            started_at: a.started_at,
            at: a.at,
            ended_at: a.ended_at,
            centres: &a.centre,
            mmsi: &a.mmsi,
            json: a.to_json(),
            origin: None,
        }
    }
}

/// Static changes, alert state changes, ticks, messages heard and the
/// high-water mark.
async fn write_rest<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    batch: &Batch,
    heard: Option<&[u8]>,
    max_t: Option<Millis>,
    out: &WriteOut<'_>,
) -> Result<Vec<AlertEvent>, StorageError>
where
    DB: BulkWrites,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Decode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<i64>: sqlx::Encode<'a, DB>,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB>,
    for<'a> &'a [u8]: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    write_statics(tx, &batch.statics).await?;
    let mut events = Vec::new();
    for a in &batch.alerts {
        events.extend(write_alert(tx, &AlertRow::of(a), out).await?);
    }
    DB::insert_ticks(tx, &batch.ticks).await?;
    if let (Some(first), Some(last), Some(heard)) = (batch.heard.first(), batch.heard.last(), heard)
    {
        // OR REPLACE: a sequence number is never reused, but if it were,
        // the newest entries are the ones to find.
        sqlx::query(
            "INSERT INTO heard_blocks (first_seq, last_seq, entries) VALUES ($1, $2, $3) \
             ON CONFLICT (first_seq) DO UPDATE SET last_seq = excluded.last_seq, entries = excluded.entries",
        )
        .bind(first.seq as i64)
        .bind(last.seq as i64)
        .bind(heard)
        .execute(&mut **tx)
        .await?;
    }
    let max_seq = batch
        .positions
        .iter()
        .map(|p| p.seq)
        .chain(batch.statics.iter().map(|s| s.seq))
        .chain(batch.ticks.iter().map(|k| k.seq))
        .chain(batch.heard.iter().map(|h| h.seq))
        .max();
    for (key, v) in [("max_t", max_t), ("max_seq", max_seq.map(|s| s as i64))] {
        let Some(v) = v else { continue };
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
             SET value = CASE WHEN excluded.value > store_meta.value THEN excluded.value ELSE store_meta.value END",
        )
        .bind(key)
        .bind(v)
        .execute(&mut **tx)
        .await?;
    }
    Ok(events)
}

/// The columns of a static change, in the order of [`static_columns`]:
/// the integers, then the text.
pub(super) const STATIC_INSERT_COLUMNS: &str = "mmsi, t, imo, ship_type, length_m, beam_m, draught_dm, seq, name, callsign, destination, source, station";
/// What a static change's upsert sets when one of the same vessel and
/// time is stored.
pub(super) const STATIC_UPSERT: &str = "ON CONFLICT (mmsi, t) DO UPDATE SET seq = excluded.seq, \
     name = excluded.name, callsign = excluded.callsign, imo = excluded.imo, ship_type = excluded.ship_type, \
     length_m = excluded.length_m, beam_m = excluded.beam_m, draught_dm = excluded.draught_dm, \
     destination = excluded.destination, source = excluded.source, station = excluded.station";

/// A static change's values, in [`STATIC_INSERT_COLUMNS`] order (`None`: null).
pub(super) fn static_columns(s: &StaticRow) -> ([Option<i64>; 8], [Option<String>; 5]) {
    let i = &s.info;
    (
        [
            Some(i64::from(s.mmsi.0)),
            Some(s.time),
            i.imo.map(i64::from),
            i.ship_type.map(i64::from),
            i.length_m.map(i64::from),
            i.beam_m.map(i64::from),
            i.draught_m.map(|d| (d * 10.0).round() as i64),
            Some(s.seq as i64),
        ],
        [
            i.name.clone(),
            i.callsign.clone(),
            i.destination.clone(),
            Some(s.source.to_string()),
            s.station.as_deref().map(String::from),
        ],
    )
}

/// Upserts `rows` by (mmsi, t); of two changes of one vessel at one time
/// in the batch the later counts.
async fn write_statics<DB: BulkWrites>(
    tx: &mut sqlx::Transaction<'_, DB>,
    rows: &[StaticRow],
) -> Result<(), StorageError> {
    // An upsert may not meet the same key twice: the last of each.
    let mut last: ahash::AHashMap<(u32, Millis), usize> = ahash::AHashMap::new();
    for (i, s) in rows.iter().enumerate() {
        last.insert((s.mmsi.0, s.time), i);
    }
    let kept: Vec<&StaticRow> = rows
        .iter()
        .enumerate()
        .filter(|(i, s)| last.get(&(s.mmsi.0, s.time)) == Some(i))
        .map(|(_, s)| s)
        .collect();
    DB::upsert_statics(tx, &kept).await
}

pub(super) async fn write_alert<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    a: &AlertRow<'_>,
    out: &WriteOut<'_>,
) -> Result<Option<AlertEvent>, StorageError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Decode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<i64>: sqlx::Encode<'a, DB>,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    // The same change twice (an archive imported again) is kept once.
    let seen = sqlx::query(
        "SELECT 1 FROM alert_changes c JOIN alerts a ON a.n = c.alert_n WHERE a.id = $1 AND c.state = $2 AND c.at = $3",
    )
    .bind(a.id)
    .bind(a.state.as_str())
    .bind(a.at)
    .fetch_optional(&mut **tx)
    .await?;
    if seen.is_some() {
        return Ok(None);
    }
    let json = a.json.as_str();
    let row = sqlx::query(
        "INSERT INTO alerts (id, kind, state, zone, started_at, at, ended_at, changes, json, origin) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) ON CONFLICT (id) DO UPDATE SET \
         state = excluded.state, at = excluded.at, ended_at = excluded.ended_at, \
         changes = alerts.changes + 1, json = excluded.json RETURNING n, changes",
    )
    .bind(a.id)
    .bind(a.kind.as_str())
    .bind(a.state.as_str())
    .bind(a.zone)
    .bind(a.started_at)
    .bind(a.at)
    .bind(a.ended_at)
    .bind(json)
    .bind(a.origin)
    .fetch_one(&mut **tx)
    .await?;
    let n: i64 = row.try_get(0)?;
    let seq: i64 = row.try_get(1)?;
    sqlx::query(
        "INSERT INTO alert_changes (alert_n, seq, state, at, json) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(n)
    .bind(seq)
    .bind(a.state.as_str())
    .bind(a.at)
    .bind(json)
    .execute(&mut **tx)
    .await?;
    let event_n: i64 = sqlx::query(
        "INSERT INTO alert_events (alert_n, seq, stored_at) VALUES ($1, $2, $3) RETURNING n",
    )
    .bind(n)
    .bind(seq)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    // (centre or partner, channel, agreement, hold-back): collected before
    // any await, so the future holds no iterator.
    let mut targets: Vec<(String, Channel, Option<String>, Millis)> = Vec::new();
    for r in out.routes.iter().filter(|r| r.takes(a.centres, a.kind)) {
        for ch in &r.channels {
            targets.push((r.centre.as_str().to_owned(), *ch, None, 0));
        }
    }
    // One agreement per partner: the first in the config that covers it.
    let zone = aiswatch_core::ids::ZoneId::from(a.zone);
    for s in out.shares {
        let partner = s.partner.as_str();
        if s.takes(&zone, a.kind, a.state, out.emitted_at)
            && !targets
                .iter()
                .any(|t| t.1 == Channel::Partner && t.0 == partner)
        {
            let agreement = Some(s.agreement.clone());
            targets.push((partner.to_owned(), Channel::Partner, agreement, s.delay_ms));
        }
    }
    for (centre, ch, agreement, delay) in targets {
        sqlx::query(
            "INSERT INTO deliveries (event_n, alert_n, seq, centre, channel, state, created_at, since, next_at, agreement) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $7, $8)",
        )
        .bind(event_n)
        .bind(n)
        .bind(seq)
        .bind(centre.as_str())
        .bind(ch.as_str())
        .bind(out.emitted_at)
        .bind(out.emitted_at.saturating_add(delay))
        .bind(agreement.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    if seq == 1 {
        for c in a.centres {
            sqlx::query("INSERT INTO alert_centres (centre, alert_n) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(c.as_str())
                .bind(n)
                .execute(&mut **tx)
                .await?;
        }
        for m in a.mmsi {
            sqlx::query(
                "INSERT INTO alert_vessels (mmsi, alert_n) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(i64::from(m.0))
            .bind(n)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(Some(AlertEvent {
        n: event_n,
        kind: a.kind,
        centres: a.centres.to_vec(),
        json: json.into(),
    }))
}
