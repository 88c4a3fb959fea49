//! PostgreSQL's side of the position blocks (see [`super::blocks`]): blocks
//! in day partitions, made as batches reach a new day and dropped whole by
//! retention; new blocks by binary `COPY` straight into their partition.
//! SQLite's side is [`super::sqlite`].

use sqlx::{Postgres, Row};

use super::blocks::{self, Block, BulkWrites};
use super::write::{static_columns, STATIC_INSERT_COLUMNS, STATIC_UPSERT};
use super::{StaticRow, StorageError, Store, Tick};
use aiswatch_core::time::Millis;

const DAY_MS: Millis = 86_400_000;
/// A day partition's range of the blocks' hours.
const DAY_HOURS: i64 = 24;

impl Store {
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

    /// PostgreSQL: drops the day partitions wholly before `before`; one a
    /// hold's window overlaps loses its unheld rows instead. Returns the
    /// partitions dropped and the end of the last day pruned.
    pub(super) async fn prune_partitions(
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
