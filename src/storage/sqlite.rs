//! SQLite's positions layout (migrations 0004 and 0005): the table is
//! keyed (cell, hour, mmsi, t, hash), without a secondary index. Small
//! tables say where to look: `vessel_cells (mmsi, hour, cell)` for tracks,
//! `position_cells (hour, cell)` for boxes too big to list their cells and
//! for retention, and `position_seqs`, one JSON list of keys per batch by
//! sequence range, for the restart's replay. Per-row indexes on (mmsi, t) and on seq
//! cost more than any other part of a write. Retention keeps the positions
//! legal holds cover, and the two lists' entries that find them.
//!
//! PostgreSQL keeps its own layout (day partitions with indexes); the
//! answers are the same.

use sqlx::{Sqlite, SqlitePool};

use super::holds::kept_sql;
use super::{cell_of, hour_of, position_row, BBox, Hold, PositionRow, StorageError};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::Millis;

/// Rows per multi-row INSERT (15 columns: well under SQLite's 32 766
/// parameters). A fixed size lets the statement be prepared once.
const ROWS: usize = 500;
/// Columns of a positions insert, in bind order.
const COLUMNS: usize = 15;
/// Rows of a per-hour table per INSERT (integers, inlined).
const CELL_ROWS: usize = 1000;
/// Hours of a vessel's (hour, cell) list a track reads per step.
const TRACK_STEP: i64 = 512;
/// Grid cells (or vessels) whose old rows one retention statement deletes.
const PRUNE_KEYS: usize = 64;
/// The columns of `super::POSITION_COLUMNS`, of `positions p`.
const P_POSITION_COLUMNS: &str = "p.mmsi, p.t, p.lon, p.lat, p.sog_dkn, p.cog_ddeg, p.heading, \
     p.nav_status, p.msg_type, p.station, p.source, p.hash, p.seq";

/// A position's key: (cell, hour, mmsi, t, hash).
type Key = (i64, i64, i64, Millis, i64);

fn key(r: &PositionRow) -> Key {
    (
        cell_of(r.lon, r.lat),
        hour_of(r.time),
        i64::from(r.mmsi.0),
        r.time,
        r.hash as i64,
    )
}

/// Inserts `rows` (a report already stored is skipped), notes their
/// vessels' and cells' hours, and appends their keys by sequence number.
pub(super) async fn insert_positions(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &[PositionRow],
) -> Result<(), StorageError> {
    // In key order, consecutive inserts land in the same leaf pages.
    let mut keyed: Vec<(Key, &PositionRow)> = rows.iter().map(|r| (key(r), r)).collect();
    keyed.sort_unstable_by_key(|k| k.0);
    for chunk in keyed.chunks(ROWS) {
        insert_chunk(tx, chunk).await?;
    }
    append_seqs(tx, &keyed).await?;
    let mut vessel_hours: Vec<(i64, i64, i64)> = keyed
        .iter()
        .map(|((c, h, m, ..), _)| (*m, *h, *c))
        .collect();
    vessel_hours.sort_unstable();
    vessel_hours.dedup();
    for chunk in vessel_hours.chunks(CELL_ROWS) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(m, h, c)| format!("({m},{h},{c})"))
            .collect();
        sqlx::query(&format!(
            "INSERT OR IGNORE INTO vessel_cells (mmsi, hour, cell) VALUES {}",
            values.join(",")
        ))
        .execute(&mut **tx)
        .await?;
    }
    let mut cell_hours: Vec<(i64, i64)> = keyed.iter().map(|((c, h, ..), _)| (*h, *c)).collect();
    cell_hours.sort_unstable();
    cell_hours.dedup();
    for chunk in cell_hours.chunks(CELL_ROWS) {
        let values: Vec<String> = chunk.iter().map(|(h, c)| format!("({h},{c})")).collect();
        sqlx::query(&format!(
            "INSERT OR IGNORE INTO position_cells (hour, cell) VALUES {}",
            values.join(",")
        ))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Notes the batch's positions' keys under its sequence range, as one JSON
/// array of `[seq, cell, hour, mmsi, t]` (see migration 0005).
async fn append_seqs(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    keyed: &[(Key, &PositionRow)],
) -> Result<(), StorageError> {
    use std::fmt::Write as _;
    let (Some(first), Some(last)) = (
        keyed.iter().map(|(_, r)| r.seq).min(),
        keyed.iter().map(|(_, r)| r.seq).max(),
    ) else {
        return Ok(());
    };
    let mut keys = String::with_capacity(keyed.len() * 48 + 2);
    keys.push('[');
    for (i, &((cell, hour, mmsi, t, _), r)) in keyed.iter().enumerate() {
        if i > 0 {
            keys.push(',');
        }
        let _ = write!(keys, "[{},{cell},{hour},{mmsi},{t}]", r.seq);
    }
    keys.push(']');
    // OR REPLACE: a sequence number is never reused, but if it were, the
    // newest keys are the ones to find.
    sqlx::query(
        "INSERT OR REPLACE INTO position_seqs (first_seq, last_seq, keys) VALUES ($1, $2, $3)",
    )
    .bind(first as i64)
    .bind(last as i64)
    .bind(keys)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Positions with `from <= seq < to`, in sequence order: each found by
/// its key from its batch's `position_seqs` row (the rare copy ignored as a
/// duplicate finds the stored row, with another seq, and is skipped).
pub(super) async fn positions_by_seq(
    pool: &SqlitePool,
    from: i64,
    to: i64,
) -> Result<Vec<PositionRow>, StorageError> {
    // The batches from the one holding `from` on, then each key in range.
    let sql = format!(
        "SELECT {P_POSITION_COLUMNS} FROM position_seqs b JOIN json_each(b.keys) j \
         CROSS JOIN positions p \
         WHERE b.first_seq >= COALESCE((SELECT MAX(first_seq) FROM position_seqs WHERE first_seq <= $1), $1) \
         AND b.first_seq < $2 AND b.last_seq >= $1 \
         AND j.value ->> 0 >= $1 AND j.value ->> 0 < $2 \
         AND p.cell = j.value ->> 1 AND p.hour = j.value ->> 2 AND p.mmsi = j.value ->> 3 \
         AND p.t = j.value ->> 4 AND p.seq = j.value ->> 0 ORDER BY p.seq"
    );
    let rows = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    rows.iter().map(position_row).collect()
}

/// `INSERT OR IGNORE INTO positions … VALUES (?, …), …` for `rows` rows.
fn insert_sql(rows: usize) -> String {
    let one = format!("({}?)", "?,".repeat(COLUMNS - 1));
    let mut sql = String::from(
        "INSERT OR IGNORE INTO positions (cell, hour, mmsi, t, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source) VALUES ",
    );
    sql.push_str(&vec![one; rows].join(","));
    sql
}

async fn insert_chunk(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    rows: &[(Key, &PositionRow)],
) -> Result<(), StorageError> {
    // The full-size statement's text is made once (a QueryBuilder would
    // format 7 500 placeholders per call); sqlx prepares it once per
    // connection. A shorter last chunk is a one-off statement.
    static FULL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let short;
    let sql = if rows.len() == ROWS {
        FULL.get_or_init(|| insert_sql(ROWS)).as_str()
    } else {
        short = insert_sql(rows.len());
        short.as_str()
    };
    let mut q = sqlx::query(sql);
    for &((cell, hour, mmsi, t, hash), r) in rows {
        q = q
            .bind(cell)
            .bind(hour)
            .bind(mmsi)
            .bind(t)
            .bind(hash)
            .bind(r.seq as i64)
            .bind(r.lon)
            .bind(r.lat)
            .bind(r.sog_dkn.map(i64::from))
            .bind(r.cog_ddeg.map(i64::from))
            .bind(r.heading.map(i64::from))
            .bind(r.nav_status.map(i64::from))
            .bind(i64::from(r.msg_type))
            .bind(r.station.as_deref())
            .bind(&*r.source);
    }
    q.persistent(rows.len() == ROWS).execute(&mut **tx).await?;
    Ok(())
}

/// A vessel's positions from `from` to `to` (inclusive), oldest first, at
/// most `limit`: its (hour, cell) list, then one key range per entry, a
/// step of hours at a time so that a long range stops at the limit.
pub(super) async fn track(
    pool: &SqlitePool,
    mmsi: Mmsi,
    from: Millis,
    to: Millis,
    limit: usize,
) -> Result<Vec<PositionRow>, StorageError> {
    let m = i64::from(mmsi.0);
    let last = hour_of(to);
    let mut hour = hour_of(from);
    let mut out = Vec::new();
    let sql = format!(
        "SELECT {P_POSITION_COLUMNS} FROM vessel_cells v CROSS JOIN positions p \
         WHERE v.mmsi = $1 AND v.hour >= $2 AND v.hour <= $3 \
         AND p.cell = v.cell AND p.hour = v.hour AND p.mmsi = v.mmsi AND p.t >= $4 AND p.t <= $5 \
         ORDER BY p.t LIMIT $6"
    );
    while hour <= last && out.len() < limit {
        let hours: Vec<i64> = sqlx::query_scalar(
            "SELECT hour FROM vessel_cells WHERE mmsi = $1 AND hour >= $2 AND hour <= $3 ORDER BY hour LIMIT $4",
        )
        .bind(m)
        .bind(hour)
        .bind(last)
        .bind(TRACK_STEP)
        .fetch_all(pool)
        .await?;
        let (Some(&first), Some(&end)) = (hours.first(), hours.last()) else {
            break;
        };
        // A full list may stop inside its last hour: that hour goes next time.
        let upto = if hours.len() as i64 == TRACK_STEP && first < end {
            end - 1
        } else if (hours.len() as i64) < TRACK_STEP {
            last
        } else {
            end
        };
        let rows = sqlx::query(&sql)
            .bind(m)
            .bind(first)
            .bind(upto)
            .bind(from)
            .bind(to)
            .bind((limit - out.len()) as i64)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            out.push(position_row(r)?);
        }
        hour = upto.saturating_add(1);
    }
    Ok(out)
}

/// A vessel's newest position at or before `at`: its newest hour at or
/// before `at`'s, then that hour's rows (an hour may hold only later ones).
pub(super) async fn last_position(
    pool: &SqlitePool,
    mmsi: Mmsi,
    at: Millis,
) -> Result<Option<PositionRow>, StorageError> {
    let m = i64::from(mmsi.0);
    let sql = format!(
        "SELECT {P_POSITION_COLUMNS} FROM vessel_cells v CROSS JOIN positions p \
         WHERE v.mmsi = $1 AND v.hour = $2 \
         AND p.cell = v.cell AND p.hour = v.hour AND p.mmsi = v.mmsi AND p.t <= $3 \
         ORDER BY p.t DESC LIMIT 1"
    );
    let mut below = hour_of(at);
    loop {
        let hour: Option<i64> =
            sqlx::query_scalar("SELECT MAX(hour) FROM vessel_cells WHERE mmsi = $1 AND hour <= $2")
                .bind(m)
                .bind(below)
                .fetch_one(pool)
                .await?;
        let Some(hour) = hour else { return Ok(None) };
        let row = sqlx::query(&sql)
            .bind(m)
            .bind(hour)
            .bind(at)
            .fetch_optional(pool)
            .await?;
        if let Some(r) = row {
            return Ok(Some(position_row(&r)?));
        }
        below = hour - 1;
    }
}

/// The `WHERE` terms that bound a box query to its cells and hours: the
/// listed cells when there are at most `max_cells`, else those of the box
/// that hold positions in those hours. Integers only: safe to inline.
pub(super) fn box_place(bbox: &BBox, from: Millis, to: Millis, max_cells: usize) -> String {
    let (h0, h1) = (hour_of(from), hour_of(to));
    let cells = match bbox.cells(max_cells) {
        Some(cells) => {
            let list: Vec<String> = cells.iter().map(i64::to_string).collect();
            list.join(",")
        }
        None => format!(
            "SELECT cell FROM position_cells WHERE hour >= {h0} AND hour <= {h1} AND {}",
            bbox.cell_condition("cell")
        ),
    };
    format!("cell IN ({cells}) AND hour >= {h0} AND hour <= {h1}")
}

/// Deletes positions older than `before`, a few cells at a time, and the
/// per-hour entries of whole hours before it, except the positions `holds`
/// keep and the entries those need. Returns the positions deleted.
pub(super) async fn prune(
    pool: &SqlitePool,
    before: Millis,
    holds: &[Hold],
) -> Result<u64, StorageError> {
    let last_hour = hour_of(before);
    // Integers only (see `kept_sql`): safe to inline.
    let unheld = |time: &str| {
        kept_sql(holds, time)
            .map(|k| format!(" AND NOT {k}"))
            .unwrap_or_default()
    };
    let cells: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT cell FROM position_cells WHERE hour <= $1 ORDER BY cell",
    )
    .bind(last_hour)
    .fetch_all(pool)
    .await?;
    let mut total = 0;
    let unheld_rows = unheld("t");
    for chunk in cells.chunks(PRUNE_KEYS) {
        // Cells are integers from the database: safe to inline.
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        total += sqlx::query(&format!(
            "DELETE FROM positions WHERE cell IN ({}) AND hour <= $1 AND t < $2{unheld_rows}",
            list.join(",")
        ))
        .bind(last_hour)
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected();
        // Let writers in between statements.
        tokio::task::yield_now().await;
    }
    // Batches' keys of what came before the clock reached `before` (the
    // oldest tick kept).
    sqlx::query("DELETE FROM position_seqs WHERE last_seq < (SELECT MIN(seq) FROM ticks)")
        .execute(pool)
        .await?;
    // The hour `before` falls in may keep positions: its entries stay; so
    // do those of hours that still hold positions a hold keeps.
    let still_used = if holds.is_empty() {
        ""
    } else {
        " AND NOT EXISTS (SELECT 1 FROM positions p WHERE p.cell = position_cells.cell AND p.hour = position_cells.hour)"
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
    let unheld_hours = unheld("hour");
    for chunk in vessels.chunks(PRUNE_KEYS) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        sqlx::query(&format!(
            "DELETE FROM vessel_cells WHERE mmsi IN ({}) AND hour < $1{unheld_hours}",
            list.join(",")
        ))
        .bind(last_hour)
        .execute(pool)
        .await?;
        tokio::task::yield_now().await;
    }
    Ok(total)
}
