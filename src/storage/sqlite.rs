//! SQLite's side of the position blocks (migrations 0004, 0014 and 0015,
//! see [`super::blocks`]): blocks in the order written (a row's page is
//! written once, whatever the key), found by a unique index on (hour,
//! cell, mmsi, first_seq) (new blocks land on its last pages), and small
//! tables that say where to look: `vessel_cells (mmsi, hour, cell)` for
//! tracks, `position_cells (hour, cell)` for boxes too big to list their
//! cells and for retention. Retention keeps the blocks legal holds need,
//! and the two lists' entries that find them.
//!
//! PostgreSQL keeps the same blocks in day partitions with an index on
//! (mmsi, hour) instead of the two lists; the answers are the same.

use sqlx::{Row, Sqlite, SqlitePool};

use super::blocks::{self, Block, BulkWrites};
use super::holds::kept_sql;
use super::write::{static_columns, STATIC_INSERT_COLUMNS, STATIC_UPSERT};
use super::{hour_of, sql_list, BBox, Hold, StaticRow, StorageError, Tick};
use aiswatch_core::time::Millis;

/// Blocks per multi-row INSERT (9 columns: well under SQLite's 32 766
/// parameters); the rest of a batch goes in [`pieces`].
const ROWS: usize = 1000;
/// Columns of a blocks insert, in bind order.
const COLUMNS: usize = 9;
/// Rows of integers per INSERT (per-hour lists, ticks: at most 3 000
/// parameters).
const INT_ROWS: usize = 1000;
/// Static changes per upsert (13 parameters each).
const STATIC_ROWS: usize = 500;
/// Grid cells (or vessels) whose old rows one retention statement deletes.
const PRUNE_KEYS: usize = 64;
/// Key seeks (hours times cells) a box query may make; past that it goes
/// through the list of the hours and cells that hold positions.
const MAX_SEEKS: usize = 4096;

/// SQLite's way with blocks: the stored blocks that may repeat a report
/// looked up through `json_each` of the new ones' keys; new blocks 1,000
/// to an INSERT, then their vessels' and cells' hours noted. Ticks 1,000
/// and static changes 500 to an INSERT.
impl BulkWrites for Sqlite {
    async fn stored_overlaps(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        blocks: &[&Block],
    ) -> Result<Vec<blocks::Stored>, StorageError> {
        use std::fmt::Write as _;
        let mut list = String::with_capacity(blocks.len() * 48 + 2);
        list.push('[');
        for (i, b) in blocks.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            let _ = write!(
                list,
                "[{},{},{},{},{}]",
                b.cell, b.hour, b.mmsi, b.t_min, b.t_max
            );
        }
        list.push(']');
        let rows = sqlx::query(
            "SELECT b.cell, b.hour, b.mmsi, b.points FROM json_each($1) j CROSS JOIN position_blocks b \
             WHERE b.cell = j.value ->> 0 AND b.hour = j.value ->> 1 AND b.mmsi = j.value ->> 2 \
             AND b.t_min <= j.value ->> 4 AND b.t_max >= j.value ->> 3",
        )
        .bind(list)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter()
            .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?), r.try_get(3)?)))
            .collect()
    }

    async fn insert_blocks(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        blocks: &mut [Block],
    ) -> Result<(), StorageError> {
        for piece in pieces(blocks.len(), ROWS) {
            insert_chunk(tx, &mut blocks[piece]).await?;
        }
        let mut vessel_hours: Vec<[i64; 3]> =
            blocks.iter().map(|b| [b.mmsi, b.hour, b.cell]).collect();
        vessel_hours.sort_unstable();
        vessel_hours.dedup();
        insert_ints(
            tx,
            "INSERT OR IGNORE INTO vessel_cells (mmsi, hour, cell)",
            &vessel_hours,
        )
        .await?;
        let mut cell_hours: Vec<[i64; 2]> = blocks.iter().map(|b| [b.hour, b.cell]).collect();
        cell_hours.sort_unstable();
        cell_hours.dedup();
        insert_ints(
            tx,
            "INSERT OR IGNORE INTO position_cells (hour, cell)",
            &cell_hours,
        )
        .await?;
        Ok(())
    }

    async fn insert_ticks(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        ticks: &[Tick],
    ) -> Result<(), StorageError> {
        let rows: Vec<[i64; 2]> = ticks.iter().map(|k| [k.seq as i64, k.time]).collect();
        insert_ints(tx, "INSERT INTO ticks (seq, t)", &rows).await
    }

    async fn upsert_statics(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        rows: &[&StaticRow],
    ) -> Result<(), StorageError> {
        for piece in pieces(rows.len(), STATIC_ROWS) {
            let chunk = &rows[piece];
            let sql = format!(
                "INSERT INTO statics ({STATIC_INSERT_COLUMNS}) VALUES {} {STATIC_UPSERT}",
                values(chunk.len(), 13)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                let (ints, texts) = static_columns(s);
                for v in ints {
                    q = q.bind(v);
                }
                for v in texts {
                    q = q.bind(v);
                }
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// `{insert} VALUES …` of integer rows, in [`pieces`] of at most
/// [`INT_ROWS`].
async fn insert_ints<const W: usize>(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    insert: &str,
    rows: &[[i64; W]],
) -> Result<(), StorageError> {
    for piece in pieces(rows.len(), INT_ROWS) {
        let chunk = &rows[piece];
        let sql = format!("{insert} VALUES {}", values(chunk.len(), W));
        let mut q = sqlx::query(&sql);
        for v in chunk.iter().flatten() {
            q = q.bind(*v);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `0..len` cut into pieces of `full`, the rest into pieces of falling
/// powers of two: a multi-row statement then has one of a dozen sizes,
/// each prepared once per connection (a one-off statement of hundreds of
/// rows costs SQLite more to parse than to run).
fn pieces(len: usize, full: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let left = len - at;
        let n = match left {
            0 => return None,
            _ if left >= full => full,
            _ => 1 << left.ilog2(),
        };
        at += n;
        Some(at - n..at)
    })
}

/// `(?, …), …`: `rows` rows of `columns` parameters (`?`: sqlx looks
/// each `$N` up by name, costly by the thousand).
fn values(rows: usize, columns: usize) -> String {
    let one = format!("({}?)", "?,".repeat(columns - 1));
    vec![one; rows].join(",")
}

/// `INSERT OR IGNORE INTO position_blocks … VALUES (?, …), …` for `rows` rows.
fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT OR IGNORE INTO position_blocks (cell, hour, mmsi, first_seq, last_seq, t_min, t_max, n, points) VALUES {}",
        values(rows, COLUMNS)
    )
}

/// Writes `blocks`, their packed reports moved into the statement (sqlx
/// copies a borrowed blob, to hand it to SQLite's thread).
async fn insert_chunk(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    blocks: &mut [Block],
) -> Result<(), StorageError> {
    let sql = insert_sql(blocks.len());
    let mut q = sqlx::query(&sql);
    for b in blocks {
        q = q
            .bind(b.cell)
            .bind(b.hour)
            .bind(b.mmsi)
            .bind(b.first_seq)
            .bind(b.last_seq)
            .bind(b.t_min)
            .bind(b.t_max)
            .bind(b.n())
            .bind(std::mem::take(&mut b.points));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// The first hour from `from` to `to` in which vessel `mmsi` has blocks.
pub(super) async fn next_hour(
    pool: &SqlitePool,
    mmsi: i64,
    from: i64,
    to: i64,
) -> Result<Option<i64>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(hour) FROM vessel_cells WHERE mmsi = $1 AND hour >= $2 AND hour <= $3",
    )
    .bind(mmsi)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?)
}

/// The last hour at or before `at_hour` in which vessel `mmsi` has blocks.
pub(super) async fn last_hour(
    pool: &SqlitePool,
    mmsi: i64,
    at_hour: i64,
) -> Result<Option<i64>, StorageError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(hour) FROM vessel_cells WHERE mmsi = $1 AND hour <= $2")
            .bind(mmsi)
            .bind(at_hour)
            .fetch_one(pool)
            .await?,
    )
}

/// Vessel `mmsi`'s blocks from hour `h0` to `h1` that overlap `from ..= to`:
/// through its (hour, cell) list, one key range each.
pub(super) async fn vessel_blocks(
    pool: &SqlitePool,
    mmsi: i64,
    (h0, h1): (i64, i64),
    (from, to): (Millis, Millis),
) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT b.points FROM vessel_cells v CROSS JOIN position_blocks b \
         WHERE v.mmsi = $1 AND v.hour >= $2 AND v.hour <= $3 \
         AND b.cell = v.cell AND b.hour = v.hour AND b.mmsi = v.mmsi AND b.t_max >= $4 AND b.t_min <= $5",
    )
    .bind(mmsi)
    .bind(h0)
    .bind(h1)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?)
}

/// The `WHERE` terms that bound a box query to its `cells` (`None`: too
/// many to list) from hour `h0` to `h1`: each hour and listed cell, a key
/// seek each, when there are at most [`MAX_SEEKS`] of them; else the hours
/// and cells of the box that hold positions (`position_cells`). Integers
/// only: safe to inline.
pub(super) fn box_place(bbox: &BBox, cells: Option<Vec<i64>>, (h0, h1): (i64, i64)) -> String {
    let hours = usize::try_from(h1.saturating_sub(h0)).map_or(0, |h| h.saturating_add(1));
    let seeks = hours.saturating_mul(cells.as_ref().map_or(usize::MAX, Vec::len));
    match cells {
        Some(cells) if hours > 0 && seeks <= MAX_SEEKS => {
            format!(
                "hour IN ({}) AND cell IN ({})",
                sql_list(h0..=h1),
                sql_list(cells)
            )
        }
        cells => format!(
            "(hour, cell) IN (SELECT hour, cell FROM position_cells \
             WHERE hour >= {h0} AND hour <= {h1} AND {})",
            match cells {
                Some(cells) => format!("cell IN ({})", sql_list(cells)),
                None => bbox.cell_condition("cell"),
            }
        ),
    }
}

/// The hours up to `last_hour` that hold positions, each with a few of
/// its grid cells: retention deletes the blocks of one such place per
/// statement, so that writers get in between.
pub(super) async fn places_up_to(
    pool: &SqlitePool,
    last_hour: i64,
) -> Result<Vec<String>, StorageError> {
    let places: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT hour, cell FROM position_cells WHERE hour <= $1 ORDER BY hour, cell",
    )
    .bind(last_hour)
    .fetch_all(pool)
    .await?;
    // Integers from the database: safe to inline.
    Ok(places
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|hour| hour.chunks(PRUNE_KEYS))
        .map(|c| {
            format!(
                "hour = {} AND cell IN ({})",
                c[0].0,
                sql_list(c.iter().map(|p| p.1))
            )
        })
        .collect())
}

/// After retention to `before`: deletes the per-hour entries of whole hours
/// before it, except those the blocks `holds` keep need, and the batches'
/// ranges of what came before the clock's oldest tick kept.
pub(super) async fn prune_lists(
    pool: &SqlitePool,
    before: Millis,
    holds: &[Hold],
) -> Result<(), StorageError> {
    let last_hour = hour_of(before);
    sqlx::query("DELETE FROM position_batches WHERE last_seq < (SELECT MIN(seq) FROM ticks)")
        .execute(pool)
        .await?;
    // The hour `before` falls in may keep positions: its entries stay; so
    // do those of hours that still hold blocks a hold keeps.
    let still_used = if holds.is_empty() {
        ""
    } else {
        " AND NOT EXISTS (SELECT 1 FROM position_blocks p WHERE p.cell = position_cells.cell AND p.hour = position_cells.hour)"
    };
    sqlx::query(&format!(
        "DELETE FROM position_cells WHERE hour < $1{still_used}"
    ))
    .bind(last_hour)
    .execute(pool)
    .await?;
    // Vessels with old entries, one seek each (not a scan of the table).
    let vessels: Vec<i64> = sqlx::query_scalar(
        "WITH RECURSIVE v(mmsi) AS (SELECT MIN(mmsi) FROM vessel_cells UNION ALL \
         SELECT (SELECT MIN(mmsi) FROM vessel_cells WHERE mmsi > v.mmsi) FROM v WHERE v.mmsi IS NOT NULL) \
         SELECT mmsi FROM v WHERE mmsi IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    // Integers only (see `kept_sql`): safe to inline.
    let unheld_hours = kept_sql(holds, "hour", "hour")
        .map(|k| format!(" AND NOT {k}"))
        .unwrap_or_default();
    for chunk in vessels.chunks(PRUNE_KEYS) {
        sqlx::query(&format!(
            "DELETE FROM vessel_cells WHERE mmsi IN ({}) AND hour < $1{unheld_hours}",
            sql_list(chunk.iter().copied())
        ))
        .bind(last_hour)
        .execute(pool)
        .await?;
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn rows_are_cut_into_full_pieces_then_falling_powers_of_two() {
        let sizes = |len| pieces(len, 1000).map(|r| r.len()).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1000), [1000]);
        assert_eq!(sizes(2345), [1000, 1000, 256, 64, 16, 8, 1]);
        let mut next = 0;
        for r in pieces(2345, 1000) {
            assert_eq!(r.start, next);
            next = r.end;
        }
        assert_eq!(next, 2345);
    }
}
