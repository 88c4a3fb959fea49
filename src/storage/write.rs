//! Writing batches: one transaction per call, positions in blocks (see
//! `blocks.rs`) by multi-row `INSERT` (SQLite, see `sqlite.rs`) or `COPY`
//! into day partitions (PostgreSQL), static changes and alert state
//! changes by upsert. Also retention.

use std::sync::Arc;

use sqlx::{Postgres, Row};

use super::blocks::{self, Block, BulkWrites};
use super::{Backend, Batch, StaticRow, StorageError, Store, Tick};
use crate::deliver::sink::{AlertEvent, Channel, Route, Share};
use aiswatch_core::ids::{CentreId, Mmsi};
use aiswatch_core::time::{now_ms, Millis};
use aiswatch_engine::alert::{Alert, Kind, State};

const DAY_MS: Millis = 86_400_000;
/// A day partition's range of the blocks' hours.
const DAY_HOURS: i64 = 24;

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

    /// Creates the day partitions `blocks` fall in (PostgreSQL).
    pub(super) async fn ensure_partitions(
        &self,
        pool: &sqlx::PgPool,
        blocks: &[Block],
    ) -> Result<(), StorageError> {
        for day in days_of(blocks) {
            let known = self
                .partitions
                .lock()
                .map(|s| s.contains(&day))
                .unwrap_or(false);
            if known {
                continue;
            }
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF position_blocks FOR VALUES FROM ({}) TO ({})",
                partition_name(day),
                day * DAY_HOURS,
                (day + 1) * DAY_HOURS
            );
            if let Err(e) = sqlx::query(&sql).execute(pool).await {
                // Another writer may have created it between our check and ours.
                let exists = sqlx::query("SELECT to_regclass($1) IS NOT NULL")
                    .bind(partition_name(day))
                    .fetch_one(pool)
                    .await?
                    .try_get::<bool, _>(0)?;
                if !exists {
                    return Err(e.into());
                }
            }
            if let Ok(mut s) = self.partitions.lock() {
                s.insert(day);
            }
        }
        Ok(())
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

    /// PostgreSQL: drops the day partitions wholly before `before`; one a
    /// hold's window overlaps loses its unheld rows instead. Returns the
    /// partitions dropped and the end of the last day pruned.
    async fn prune_partitions(
        &self,
        p: &sqlx::PgPool,
        before: Millis,
        holds: &[super::Hold],
    ) -> Result<(u64, Option<Millis>), StorageError> {
        let parts = sqlx::query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'position_blocks'::regclass",
        )
        .fetch_all(p)
        .await?;
        let mut dropped = 0;
        let mut horizon = None;
        for r in parts {
            let name: String = r.try_get(0)?;
            let Some(day) = name
                .strip_prefix("position_blocks_d")
                .and_then(|d| d.parse::<i64>().ok())
            else {
                continue;
            };
            let (start, end) = (day * DAY_MS, (day + 1) * DAY_MS);
            if end > before {
                continue;
            }
            let held: Vec<super::Hold> = holds
                .iter()
                .filter(|h| h.from_ms < end && h.to_ms.is_none_or(|to| to >= start))
                .cloned()
                .collect();
            if held.iter().any(|h| !h.mmsi.is_empty()) {
                // Integers only: safe to inline.
                let place = format!(
                    "hour >= {} AND hour < {}",
                    day * DAY_HOURS,
                    (day + 1) * DAY_HOURS
                );
                self.prune_blocks(&place, before, &held).await?;
            } else {
                sqlx::query(&format!("DROP TABLE IF EXISTS {name}"))
                    .execute(p)
                    .await?;
                if let Ok(mut s) = self.partitions.lock() {
                    s.remove(&day);
                }
                dropped += 1;
            }
            horizon = horizon.max(Some(end));
        }
        Ok((dropped, horizon))
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

/// The day partition `b` goes in (days since the epoch).
fn day_of(b: &Block) -> i64 {
    b.hour.div_euclid(DAY_HOURS)
}

/// The day partitions `blocks` go in, each once, in order.
fn days_of(blocks: &[Block]) -> Vec<i64> {
    let mut days: Vec<i64> = blocks.iter().map(day_of).collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// `position_blocks_d<days since epoch>`.
fn partition_name(day: i64) -> String {
    format!("position_blocks_d{day}")
}

/// PostgreSQL's way with blocks: the stored blocks that may repeat a
/// report looked up through `unnest` of the new ones' keys; new blocks by
/// binary `COPY`. Ticks and static changes through `unnest` of arrays:
/// one statement, whatever their number.
impl BulkWrites for Postgres {
    async fn stored_overlaps(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        blocks: &[&Block],
    ) -> Result<Vec<blocks::Stored>, StorageError> {
        let col = |f: &dyn Fn(&Block) -> i64| blocks.iter().map(|b| f(b)).collect::<Vec<i64>>();
        let rows: Vec<(i64, i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT b.cell, b.hour, b.mmsi, b.points \
             FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[]) AS n(cell, hour, mmsi, t_min, t_max) \
             JOIN position_blocks b ON b.cell = n.cell AND b.hour = n.hour AND b.mmsi = n.mmsi \
             AND b.t_min <= n.t_max AND b.t_max >= n.t_min",
        )
        .bind(col(&|b| b.cell))
        .bind(col(&|b| b.hour))
        .bind(col(&|b| b.mmsi))
        .bind(col(&|b| b.t_min))
        .bind(col(&|b| b.t_max))
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, h, m, p)| ((c, h, m), p))
            .collect())
    }

    async fn insert_blocks(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        blocks: &mut [Block],
    ) -> Result<(), StorageError> {
        // Straight into each day's partition (made beforehand, see
        // `ensure_partitions`): through the parent, the server routes every
        // row to its partition. A batch mostly falls in one day.
        let blocks = &*blocks;
        for d in days_of(blocks) {
            let data = copy_binary(blocks.iter().filter(|b| day_of(b) == d));
            let mut copy = tx
                .copy_in_raw(&format!(
                    "COPY {} ({COPY_COLUMNS}) FROM STDIN WITH (FORMAT binary)",
                    partition_name(d)
                ))
                .await?;
            copy.send(data).await?;
            copy.finish().await?;
        }
        Ok(())
    }

    async fn insert_ticks(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        ticks: &[Tick],
    ) -> Result<(), StorageError> {
        if ticks.is_empty() {
            return Ok(());
        }
        let seq: Vec<i64> = ticks.iter().map(|k| k.seq as i64).collect();
        let t: Vec<i64> = ticks.iter().map(|k| k.time).collect();
        sqlx::query("INSERT INTO ticks (seq, t) SELECT * FROM unnest($1::int8[], $2::int8[])")
            .bind(seq)
            .bind(t)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn upsert_statics(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        rows: &[&StaticRow],
    ) -> Result<(), StorageError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut ints: [Vec<Option<i64>>; 8] = Default::default();
        let mut texts: [Vec<Option<String>>; 5] = Default::default();
        for s in rows {
            let (i, t) = static_columns(s);
            for (col, v) in ints.iter_mut().zip(i) {
                col.push(v);
            }
            for (col, v) in texts.iter_mut().zip(t) {
                col.push(v);
            }
        }
        let sql = format!(
            "INSERT INTO statics ({STATIC_INSERT_COLUMNS}) SELECT * FROM unnest($1::int8[], $2::int8[], \
             $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::text[], \
             $10::text[], $11::text[], $12::text[], $13::text[]) {STATIC_UPSERT}"
        );
        let mut q = sqlx::query(&sql);
        for col in ints {
            q = q.bind(col);
        }
        for col in texts {
            q = q.bind(col);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}

/// The columns a blocks `COPY` fills, in the order [`copy_binary`] writes them.
const COPY_COLUMNS: &str = "cell, hour, mmsi, first_seq, last_seq, t_min, t_max, n, points";

/// `blocks` in PostgreSQL's binary `COPY` format (the server parses no
/// text). Columns as [`COPY_COLUMNS`].
fn copy_binary<'a>(blocks: impl Iterator<Item = &'a Block> + Clone) -> Vec<u8> {
    fn int(out: &mut Vec<u8>, v: i64) {
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&v.to_be_bytes());
    }
    // Signature, flags, header extension length; each tuple its field
    // count, eight integers and the points, each with its length; -1 at
    // the end.
    let tuples: usize = blocks
        .clone()
        .map(|b| 2 + 8 * 12 + 4 + b.points.len())
        .sum();
    let mut out = Vec::with_capacity(19 + tuples + 2);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    for b in blocks {
        out.extend_from_slice(&9i16.to_be_bytes());
        for v in [
            b.cell,
            b.hour,
            b.mmsi,
            b.first_seq,
            b.last_seq,
            b.t_min,
            b.t_max,
            b.n(),
        ] {
            int(&mut out, v);
        }
        let points = &b.points;
        // A block holds one batch's reports of one vessel: far below 2 GiB.
        out.extend_from_slice(&(points.len() as i32).to_be_bytes());
        out.extend_from_slice(points);
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
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
