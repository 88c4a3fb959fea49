//! Reading positions back from their blocks ([`super::blocks`]): a
//! vessel's track and last position, a box, a sequence range (the
//! restart's replay); retention; and moving a store's rows of the former
//! one-row-per-report table into blocks when it opens.

use sqlx::{Postgres, Row, Sqlite};

use super::blocks::{self, decode, BulkWrites};
use super::holds::kept_sql;
use super::{
    hour_of, on_pool, on_writer, sql_list, sqlite, BBox, Backend, BoxPoint, Hold, Points,
    PositionRow, PositionsPage, StorageError, Store, VesselPoints, MAX_QUERY_CELLS,
};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::Millis;

/// Hours of a vessel's blocks a track reads per step, so that a long range
/// stops at its limit.
const TRACK_HOURS: i64 = 24;
/// Rows of the former positions table moved into blocks per transaction.
const LEGACY_ROWS: i64 = 20_000;

/// Every report of the `(mmsi, points)` blocks `rows`.
fn reports<R: Row>(rows: &[R]) -> Result<Vec<PositionRow>, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut out = Vec::new();
    for r in rows {
        let mmsi = Mmsi(r.try_get::<i64, _>(0)? as u32);
        let points: Vec<u8> = r.try_get(1)?;
        out.extend(decode(mmsi, &points)?);
    }
    Ok(out)
}

impl Store {
    /// The first hour from `from` to `to` in which vessel `mmsi` has blocks.
    async fn next_hour(&self, mmsi: i64, from: i64, to: i64) -> Result<Option<i64>, StorageError> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => sqlite::next_hour(pool, mmsi, from, to).await,
            Backend::Postgres(p) => Ok(sqlx::query_scalar(
                "SELECT MIN(hour) FROM position_blocks WHERE mmsi = $1 AND hour >= $2 AND hour <= $3",
            )
            .bind(mmsi)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?),
        }
    }

    /// The last hour at or before `at_hour` in which vessel `mmsi` has blocks.
    async fn last_hour(&self, mmsi: i64, at_hour: i64) -> Result<Option<i64>, StorageError> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => sqlite::last_hour(pool, mmsi, at_hour).await,
            Backend::Postgres(p) => Ok(sqlx::query_scalar(
                "SELECT MAX(hour) FROM position_blocks WHERE mmsi = $1 AND hour <= $2",
            )
            .bind(mmsi)
            .bind(at_hour)
            .fetch_one(p)
            .await?),
        }
    }

    /// Vessel `mmsi`'s reports in its blocks of hours `h0 ..= h1` that
    /// overlap `from ..= to` (some reports of a block may fall outside).
    async fn vessel_reports(
        &self,
        mmsi: Mmsi,
        hours: (i64, i64),
        (from, to): (Millis, Millis),
    ) -> Result<Vec<PositionRow>, StorageError> {
        let m = i64::from(mmsi.0);
        let blocks: Vec<Vec<u8>> = match &self.backend {
            Backend::Sqlite { pool, .. } => {
                sqlite::vessel_blocks(pool, m, hours, (from, to)).await?
            }
            Backend::Postgres(p) => sqlx::query_scalar(
                "SELECT points FROM position_blocks WHERE mmsi = $1 AND hour >= $2 AND hour <= $3 \
                     AND t_max >= $4 AND t_min <= $5",
            )
            .bind(m)
            .bind(hours.0)
            .bind(hours.1)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?,
        };
        let mut out = Vec::new();
        for b in &blocks {
            out.extend(decode(mmsi, b)?);
        }
        Ok(out)
    }

    /// A vessel's positions from `from` to `to` (inclusive), oldest first, at most `limit`.
    pub async fn track(
        &self,
        mmsi: Mmsi,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<PositionRow>, StorageError> {
        let m = i64::from(mmsi.0);
        let last = hour_of(to);
        let mut hour = hour_of(from);
        let mut out = Vec::new();
        while hour <= last && out.len() < limit {
            let Some(first) = self.next_hour(m, hour, last).await? else {
                break;
            };
            let end = first.saturating_add(TRACK_HOURS - 1).min(last);
            let mut step = self.vessel_reports(mmsi, (first, end), (from, to)).await?;
            step.retain(|r| (from..=to).contains(&r.time));
            step.sort_unstable_by_key(|r| (r.time, r.seq));
            step.truncate(limit - out.len());
            out.append(&mut step);
            hour = end.saturating_add(1);
        }
        Ok(out)
    }

    /// A vessel's newest position at or before `at`, if any is stored.
    pub async fn last_position(
        &self,
        mmsi: Mmsi,
        at: Millis,
    ) -> Result<Option<PositionRow>, StorageError> {
        let m = i64::from(mmsi.0);
        let mut below = hour_of(at);
        loop {
            let Some(hour) = self.last_hour(m, below).await? else {
                return Ok(None);
            };
            let rows = self
                .vessel_reports(mmsi, (hour, hour), (Millis::MIN, at))
                .await?;
            // An hour may hold only later reports: then the one before.
            if let Some(r) = rows
                .into_iter()
                .filter(|r| r.time <= at)
                .max_by_key(|r| (r.time, r.seq))
            {
                return Ok(Some(r));
            }
            below = hour - 1;
        }
    }

    /// Positions with `from <= seq < to`, in sequence order: the blocks
    /// from the batch holding `from` on.
    pub(super) async fn positions_by_seq(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<PositionRow>, StorageError> {
        let sql = "SELECT mmsi, points FROM position_blocks \
             WHERE first_seq >= COALESCE((SELECT MAX(first_seq) FROM position_batches WHERE first_seq <= $1), $1) \
             AND first_seq < $2 AND last_seq >= $1";
        let mut out = on_pool!(self, p => {
            reports(&sqlx::query(sql).bind(from).bind(to).fetch_all(p).await?)
        })?;
        out.retain(|r| (from..to).contains(&(r.seq as i64)));
        out.sort_unstable_by_key(|r| r.seq);
        Ok(out)
    }

    /// Who was in `bbox` from `from` to `to`: each vessel's points inside
    /// (all of them, oldest first, or only the newest: see [`Points`]),
    /// ascending by MMSI, after `after`, at most `max_points` points read per
    /// page (a page ends at a whole vessel unless one vessel alone fills it).
    pub async fn positions_in(
        &self,
        bbox: BBox,
        from: Millis,
        to: Millis,
        after: Option<Mmsi>,
        max_points: usize,
        points: Points,
    ) -> Result<PositionsPage, StorageError> {
        let after = after.map_or(-1, |m| i64::from(m.0));
        let (h0, h1) = (hour_of(from), hour_of(to));
        // Cells and hours are integers computed here: safe to inline.
        let place = match (&self.backend, bbox.cells(MAX_QUERY_CELLS)) {
            (Backend::Sqlite { .. }, cells) => sqlite::box_place(&bbox, cells, (h0, h1)),
            (_, Some(cells)) => format!(
                "cell IN ({}) AND hour >= {h0} AND hour <= {h1}",
                sql_list(cells)
            ),
            (_, None) => format!("hour >= {h0} AND hour <= {h1}"),
        };
        let sql = format!(
            "SELECT mmsi, points FROM position_blocks WHERE {place} \
             AND t_max >= $1 AND t_min <= $2 AND mmsi > $3 ORDER BY mmsi"
        );
        let blocks: Vec<(i64, Vec<u8>)> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(from).bind(to).bind(after).fetch_all(p).await?
        });
        // The points in page order, one more than a page holds (to know
        // whether the last vessel is whole), each vessel's by time.
        let mut rows: Vec<(Mmsi, BoxPoint)> = Vec::new();
        let mut i = 0;
        while i < blocks.len() && rows.len() <= max_points {
            let m = blocks[i].0;
            let mmsi = Mmsi(m as u32);
            let mut vessel = Vec::new();
            while let Some((_, b)) = blocks.get(i).filter(|b| b.0 == m) {
                for r in decode(mmsi, b)? {
                    if (from..=to).contains(&r.time) && bbox.contains(r.lon, r.lat) {
                        vessel.push(BoxPoint {
                            time: r.time,
                            lon: r.lon,
                            lat: r.lat,
                            sog_dkn: r.sog_dkn,
                            cog_ddeg: r.cog_ddeg,
                        });
                    }
                }
                i += 1;
            }
            match points {
                Points::All => vessel.sort_by_key(|p| p.time),
                // Newest first: a vessel alone filling a page keeps its newest points.
                Points::Newest => vessel.sort_by_key(|p| std::cmp::Reverse(p.time)),
            }
            rows.extend(vessel.into_iter().map(|p| (mmsi, p)));
        }
        rows.truncate(max_points + 1);
        let full = rows.len() > max_points;
        let mut page = PositionsPage::default();
        let last_mmsi = rows
            .get(max_points.min(rows.len().saturating_sub(1)))
            .map(|r| r.0);
        for (mmsi, r) in rows.into_iter().take(max_points) {
            match page.vessels.last_mut() {
                Some(v) if v.mmsi == mmsi => v.points.push(r),
                _ => page.vessels.push(VesselPoints {
                    mmsi,
                    points: vec![r],
                }),
            }
        }
        if full {
            // The vessel cut by the page limit goes on the next page, unless
            // it is the only one (then its points are capped here).
            if page.vessels.len() > 1 && page.vessels.last().map(|v| v.mmsi) == last_mmsi {
                page.vessels.pop();
            }
            page.next_cursor = page.vessels.last().map(|v| v.mmsi).or(last_mmsi);
        }
        if points == Points::Newest {
            for v in &mut page.vessels {
                v.points.truncate(1);
            }
        }
        Ok(page)
    }

    /// Deletes the reports older than `before` of the blocks `place` (SQL
    /// on the key's columns) selects, except those `holds` keep: blocks
    /// wholly older and untouched by a hold at once, the others report by
    /// report. Returns the reports deleted.
    pub(super) async fn prune_blocks(
        &self,
        place: &str,
        before: Millis,
        holds: &[Hold],
    ) -> Result<u64, StorageError> {
        // Integers only (see `kept_sql`): safe to inline.
        let unheld = kept_sql(holds, "t_min", "t_max")
            .map(|k| format!(" AND NOT {k}"))
            .unwrap_or_default();
        let whole =
            format!("DELETE FROM position_blocks WHERE {place} AND t_max < $1{unheld} RETURNING n");
        let mut total: i64 = on_writer!(self, p => {
            let n: Vec<i64> = sqlx::query_scalar(&whole).bind(before).fetch_all(p).await?;
            n.iter().sum()
        });
        // What is left of the place older than `before` is held in part, or
        // reaches past `before`.
        let partly = format!(
            "SELECT cell, hour, mmsi, first_seq, n, points FROM position_blocks WHERE {place} AND t_min < $1"
        );
        let rows: Vec<(i64, i64, i64, i64, i64, Vec<u8>)> = on_writer!(self, p => {
            sqlx::query_as(&partly).bind(before).fetch_all(p).await?
        });
        for (cell, hour, m, first_seq, n, points) in rows {
            let mmsi = Mmsi(m as u32);
            let kept: Vec<PositionRow> = decode(mmsi, &points)?
                .into_iter()
                .filter(|r| r.time >= before || holds.iter().any(|h| h.keeps(mmsi, r.time)))
                .collect();
            let gone = n - kept.len() as i64;
            if gone == 0 {
                continue;
            }
            let key = "cell = $1 AND hour = $2 AND mmsi = $3 AND first_seq = $4";
            if kept.is_empty() {
                let sql = format!("DELETE FROM position_blocks WHERE {key}");
                on_writer!(self, p => {
                    sqlx::query(&sql).bind(cell).bind(hour).bind(m).bind(first_seq).execute(p).await.map(|_| ())
                })?;
            } else {
                let refs: Vec<&PositionRow> = kept.iter().collect();
                let (t_min, t_max) = (
                    kept.iter().map(|r| r.time).min().unwrap_or(before),
                    kept.iter().map(|r| r.time).max().unwrap_or(before),
                );
                let sql = format!(
                    "UPDATE position_blocks SET n = $5, t_min = $6, t_max = $7, points = $8 WHERE {key}"
                );
                let points = blocks::encode(&refs);
                on_writer!(self, p => {
                    sqlx::query(&sql)
                        .bind(cell).bind(hour).bind(m).bind(first_seq)
                        .bind(kept.len() as i64).bind(t_min).bind(t_max).bind(&points)
                        .execute(p).await.map(|_| ())
                })?;
            }
            total += gone;
        }
        Ok(total as u64)
    }

    /// Reports stored (a full count: for tests and benches).
    pub async fn count_positions(&self) -> Result<i64, StorageError> {
        on_pool!(self, p => {
            let r = sqlx::query("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM position_blocks")
                .fetch_one(p)
                .await?;
            Ok(r.try_get::<i64, _>(0)?)
        })
    }

    /// Moves the rows of the former one-row-per-report positions table, if
    /// the store still has it, into blocks of one report each (the batches
    /// that wrote them are not known), a transaction per
    /// [`LEGACY_ROWS`] that also deletes them there; then drops the table.
    /// Stopped half way, it goes on where it stopped at the next open.
    pub(super) async fn move_legacy_positions(&self) -> Result<(), StorageError> {
        let exists: bool = match &self.backend {
            Backend::Sqlite { writer, .. } => sqlx::query_scalar(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'positions'",
            )
            .fetch_one(writer)
            .await?,
            Backend::Postgres(p) => {
                sqlx::query_scalar("SELECT to_regclass('positions') IS NOT NULL")
                    .fetch_one(p)
                    .await?
            }
        };
        if !exists {
            return Ok(());
        }
        let mut moved = 0u64;
        // PostgreSQL keeps deleted rows until a vacuum: each step starts
        // after the last key moved instead of at the table's start.
        let mut after = (i64::MIN, i64::MIN, i64::MIN);
        loop {
            let n = match &self.backend {
                Backend::Sqlite { writer, .. } => {
                    let mut tx = writer.begin().await?;
                    let rows = sqlx::query(&format!(
                        "SELECT {}, cell, hour FROM positions ORDER BY cell, hour, mmsi, t, hash LIMIT {LEGACY_ROWS}",
                        super::POSITION_COLUMNS
                    ))
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(last) = rows.last() else { break };
                    let key: (i64, i64, i64, i64, i64) = (
                        last.try_get(13)?,
                        last.try_get(14)?,
                        last.try_get(0)?,
                        last.try_get(1)?,
                        last.try_get(11)?,
                    );
                    let reports = rows
                        .iter()
                        .map(super::position_row)
                        .collect::<Result<Vec<_>, _>>()?;
                    Sqlite::insert_blocks(&mut tx, &mut blocks::group(&reports, true)).await?;
                    sqlx::query("DELETE FROM positions WHERE (cell, hour, mmsi, t, hash) <= ($1, $2, $3, $4, $5)")
                        .bind(key.0).bind(key.1).bind(key.2).bind(key.3).bind(key.4)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    reports.len()
                }
                Backend::Postgres(p) => {
                    let rows = sqlx::query(&format!(
                        "SELECT {} FROM positions WHERE (mmsi, t, hash) > ($1, $2, $3) \
                         ORDER BY mmsi, t, hash LIMIT {LEGACY_ROWS}",
                        super::POSITION_COLUMNS
                    ))
                    .bind(after.0)
                    .bind(after.1)
                    .bind(after.2)
                    .fetch_all(p)
                    .await?;
                    let Some(last) = rows.last() else { break };
                    let key: (i64, i64, i64) =
                        (last.try_get(0)?, last.try_get(1)?, last.try_get(11)?);
                    let reports = rows
                        .iter()
                        .map(super::position_row)
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut blocks = blocks::group(&reports, true);
                    self.ensure_partitions(p, &blocks).await?;
                    let mut tx = p.begin().await?;
                    Postgres::insert_blocks(&mut tx, &mut blocks).await?;
                    sqlx::query("DELETE FROM positions WHERE (mmsi, t, hash) <= ($1, $2, $3)")
                        .bind(key.0)
                        .bind(key.1)
                        .bind(key.2)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    after = key;
                    reports.len()
                }
            };
            moved += n as u64;
        }
        on_writer!(self, p => sqlx::query("DROP TABLE positions").execute(p).await.map(|_| ()))?;
        if moved > 0 {
            tracing::info!(
                positions = moved,
                "Stored positions moved into blocks (the store's new layout)."
            );
        }
        Ok(())
    }
}
