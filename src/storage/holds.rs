//! Legal holds: alerts whose evidence retention must keep (migration
//! 0010). A hold names the alert's vessels and its evidence bundle window
//! as at hold time, the zone file as it was then, and the first raw
//! archive record of its lines; retention skips what a hold covers (see
//! `sqlite::prune`, `Store::prune_positions` and `RawArchive::prune`).
//!
//! Also here: the horizon retention has pruned to (`store_meta` key
//! `pruned_before`), which evidence export checks an unheld alert's window
//! against.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::Row;

use super::{hour_of, on_pool, on_writer, Backend, StorageError, Store};
use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::Millis;

/// The zone as it was when the hold was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneCopy {
    /// The zone file's name (no directory).
    pub file_name: String,
    /// The zone file's text.
    pub file: String,
    /// The zone's feature in it.
    pub feature_index: usize,
}

/// A legal hold on an alert's evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The alert held.
    pub alert_id: AlertId,
    /// Why (as the person placing it gave it).
    pub reason: String,
    /// Who placed it.
    pub by: String,
    /// When (wall clock).
    pub placed_at: Millis,
    /// Start of the window kept (event time).
    pub from_ms: Millis,
    /// End of the window kept; `None`: the alert was open, everything of
    /// its vessels from `from_ms` on is kept.
    pub to_ms: Option<Millis>,
    /// The alert's vessels.
    pub mmsi: Vec<Mmsi>,
    /// The alert's zone.
    pub zone: String,
    /// The zone file at hold time; `None` when the zone was not in force.
    pub zone_copy: Option<ZoneCopy>,
    /// The smallest raw archive seq among the alert's lines at hold time
    /// (`None`: none found); no segment holding this or later records is pruned.
    pub raw_from_seq: Option<u64>,
}

impl Hold {
    /// Whether the hold keeps position `t` of `mmsi`.
    pub fn keeps(&self, mmsi: Mmsi, t: Millis) -> bool {
        self.mmsi.contains(&mmsi) && t >= self.from_ms && self.to_ms.is_none_or(|to| t <= to)
    }
}

/// Nothing held in the raw archive (see [`Store::held_raw`]).
pub const NO_RAW_HOLD: u64 = u64::MAX;

const HOLD_COLUMNS: &str = "alert_id, reason, held_by, placed_at, from_ms, to_ms, mmsis, zone, \
     zone_file_name, zone_file, zone_feature_index, raw_from_seq";

fn hold_row<R: Row>(r: &R) -> Result<Hold, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mmsis: String = r.try_get(6)?;
    let mmsi: Vec<u32> = serde_json::from_str(&mmsis).map_err(|e| {
        StorageError::Db(sqlx::Error::Decode(
            format!("holds.mmsis {mmsis:?}: {e}").into(),
        ))
    })?;
    let name: Option<String> = r.try_get(8)?;
    let file: Option<String> = r.try_get(9)?;
    let index: Option<i64> = r.try_get(10)?;
    let zone_copy = match (name, file, index) {
        (Some(file_name), Some(file), Some(i)) => Some(ZoneCopy {
            file_name,
            file,
            feature_index: usize::try_from(i).unwrap_or(usize::MAX),
        }),
        _ => None,
    };
    Ok(Hold {
        alert_id: AlertId::from(r.try_get::<String, _>(0)?),
        reason: r.try_get(1)?,
        by: r.try_get(2)?,
        placed_at: r.try_get(3)?,
        from_ms: r.try_get(4)?,
        to_ms: r.try_get(5)?,
        mmsi: mmsi.into_iter().map(Mmsi).collect(),
        zone: r.try_get(7)?,
        zone_copy,
        raw_from_seq: r.try_get::<Option<i64>, _>(11)?.map(|s| s as u64),
    })
}

/// SQL that is true of a row a hold keeps, on columns `mmsi` and the
/// row's time range `first ..= last` (`t_min`, `t_max`, or `hour` with the
/// window in hours): the vessel is held and the range meets the window.
/// `None` without holds. Integers only: safe to inline.
pub(super) fn kept_sql(holds: &[Hold], first: &str, last: &str) -> Option<String> {
    let hours = first == "hour";
    let at = |t: Millis| if hours { hour_of(t) } else { t };
    let terms: Vec<String> = holds
        .iter()
        .filter(|h| !h.mmsi.is_empty())
        .map(|h| {
            let to = h
                .to_ms
                .map(|to| format!(" AND {first} <= {}", at(to)))
                .unwrap_or_default();
            format!(
                "(mmsi IN ({}) AND {last} >= {}{to})",
                super::sql_list(h.mmsi.iter().map(|m| i64::from(m.0))),
                at(h.from_ms)
            )
        })
        .collect();
    (!terms.is_empty()).then(|| format!("({})", terms.join(" OR ")))
}

impl Store {
    /// Places `hold`. Returns `false` (and changes nothing) when the alert
    /// is already held or does not exist.
    pub async fn place_hold(&self, hold: &Hold) -> Result<bool, StorageError> {
        let mmsis: Vec<u32> = hold.mmsi.iter().map(|m| m.0).collect();
        let mmsis = serde_json::to_string(&mmsis).unwrap_or_else(|_| "[]".into());
        let z = hold.zone_copy.as_ref();
        let placed = on_writer!(self, p => {
            sqlx::query(&format!(
                "INSERT INTO holds (alert_n, {HOLD_COLUMNS}) SELECT n, $1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12 FROM alerts WHERE id = $1 ON CONFLICT (alert_id) DO NOTHING"
            ))
            .bind(hold.alert_id.as_str())
            .bind(&hold.reason)
            .bind(&hold.by)
            .bind(hold.placed_at)
            .bind(hold.from_ms)
            .bind(hold.to_ms)
            .bind(&mmsis)
            .bind(&hold.zone)
            .bind(z.map(|z| z.file_name.as_str()))
            .bind(z.map(|z| z.file.as_str()))
            .bind(z.map(|z| z.feature_index.min(i64::MAX as usize) as i64))
            .bind(hold.raw_from_seq.map(|s| s.min(i64::MAX as u64) as i64))
            .execute(p)
            .await?
            .rows_affected()
        });
        self.refresh_held_raw().await?;
        Ok(placed == 1)
    }

    /// Releases the hold on alert `id`: the hold as it was, or `None` when
    /// the alert was not held.
    pub async fn release_hold(&self, id: &AlertId) -> Result<Option<Hold>, StorageError> {
        let sql = format!("DELETE FROM holds WHERE alert_id = $1 RETURNING {HOLD_COLUMNS}");
        let row = on_writer!(self, p => {
            let row = sqlx::query(&sql).bind(id.as_str()).fetch_optional(p).await?;
            row.as_ref().map(hold_row).transpose()?
        });
        self.refresh_held_raw().await?;
        Ok(row)
    }

    /// Every hold, oldest first.
    pub async fn holds(&self) -> Result<Vec<Hold>, StorageError> {
        let sql = format!("SELECT {HOLD_COLUMNS} FROM holds ORDER BY placed_at, alert_id");
        on_pool!(self, p => {
            let rows = sqlx::query(&sql).fetch_all(p).await?;
            rows.iter().map(hold_row).collect()
        })
    }

    /// The hold on alert `id`, if it is held.
    pub async fn hold(&self, id: &AlertId) -> Result<Option<Hold>, StorageError> {
        let sql = format!("SELECT {HOLD_COLUMNS} FROM holds WHERE alert_id = $1");
        on_pool!(self, p => {
            let row = sqlx::query(&sql).bind(id.as_str()).fetch_optional(p).await?;
            row.as_ref().map(hold_row).transpose()
        })
    }

    /// The smallest raw archive seq a hold keeps, [`NO_RAW_HOLD`] when
    /// none does: shared with the raw archive's writer, which prunes no
    /// segment holding it or later records. Kept up to date as holds are
    /// placed and released through this store (any clone) and each time
    /// retention runs.
    pub fn held_raw(&self) -> Arc<AtomicU64> {
        self.held_raw.clone()
    }

    /// Reads the smallest held raw seq into [`Store::held_raw`].
    pub(super) async fn refresh_held_raw(&self) -> Result<(), StorageError> {
        let min: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT MIN(raw_from_seq) FROM holds").fetch_one(p).await?
        });
        self.held_raw.store(
            min.map_or(NO_RAW_HOLD, |s| s.max(0) as u64),
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// Positions before this event time were pruned by retention (except
    /// what holds keep); `None` when retention has pruned nothing.
    pub async fn pruned_before(&self) -> Result<Option<Millis>, StorageError> {
        on_pool!(self, p => {
            Ok(sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'pruned_before'")
                .fetch_optional(p)
                .await?)
        })
    }

    /// Notes that positions before `t` were pruned (the horizon only moves on).
    pub(super) async fn set_pruned_before(&self, t: Millis) -> Result<(), StorageError> {
        on_writer!(self, p => {
            sqlx::query(
                "INSERT INTO store_meta (key, value) VALUES ('pruned_before', $1) ON CONFLICT (key) DO UPDATE \
                 SET value = CASE WHEN excluded.value > store_meta.value THEN excluded.value ELSE store_meta.value END",
            )
            .bind(t)
            .execute(p)
            .await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::{alert, stores};
    use crate::storage::{Batch, Points, PositionRow};
    use aiswatch_engine::alert::State;

    const H: Millis = 3_600_000;
    const DAY: Millis = 24 * H;

    fn hold(id: &AlertId, mmsi: u32, from_ms: Millis, to_ms: Option<Millis>) -> Hold {
        Hold {
            alert_id: id.clone(),
            reason: "court order 7".into(),
            by: "duty officer".into(),
            placed_at: 42,
            from_ms,
            to_ms,
            mmsi: vec![Mmsi(mmsi)],
            zone: "z".into(),
            zone_copy: Some(ZoneCopy {
                file_name: "z.geojson".into(),
                file: "{\"type\": \"FeatureCollection\", \"features\": []}\n".into(),
                feature_index: 0,
            }),
            raw_from_seq: Some(17),
        }
    }

    fn pos(seq: u64, mmsi: u32, t: Millis, lon: f64) -> PositionRow {
        PositionRow {
            seq,
            mmsi: Mmsi(mmsi),
            time: t,
            lon,
            lat: 4.5,
            sog_dkn: Some(10),
            cog_ddeg: None,
            heading: None,
            nav_status: None,
            msg_type: 1,
            station: None,
            source: "src".into(),
            hash: seq,
        }
    }

    #[tokio::test]
    async fn holds_are_placed_once_listed_and_released() {
        for (s, _dir) in stores().await {
            let k = s.kind();
            let a = alert(501, "C", State::Open, 1_000_000);
            let mut b = Batch::default();
            b.alerts.push(a.clone());
            s.write(&b).await.unwrap();
            assert_eq!(s.held_raw().load(Ordering::Relaxed), NO_RAW_HOLD, "{k}");
            let h = hold(&a.id, 501, 1_000, None);
            assert!(s.place_hold(&h).await.unwrap(), "{k}");
            assert!(!s.place_hold(&h).await.unwrap(), "{k}: held twice");
            let missing = hold(&AlertId::from("loitering:nowhere:1:1"), 1, 0, None);
            assert!(!s.place_hold(&missing).await.unwrap(), "{k}: no such alert");
            assert_eq!(s.held_raw().load(Ordering::Relaxed), 17, "{k}");
            assert_eq!(s.hold(&a.id).await.unwrap().as_ref(), Some(&h), "{k}");
            assert_eq!(s.holds().await.unwrap(), vec![h.clone()], "{k}");
            assert_eq!(s.release_hold(&a.id).await.unwrap(), Some(h), "{k}");
            assert_eq!(s.release_hold(&a.id).await.unwrap(), None, "{k}");
            assert!(s.holds().await.unwrap().is_empty(), "{k}");
            assert_eq!(s.held_raw().load(Ordering::Relaxed), NO_RAW_HOLD, "{k}");
            s.close().await;
        }
    }

    /// Two vessels over two days; vessel 1's hours 10–14 of day 0 are
    /// held. Retention to day 1, 06:00 keeps them (readable by track and
    /// box), prunes the rest before it, and notes the horizon.
    #[tokio::test]
    async fn retention_keeps_what_a_hold_covers() {
        let day0 = 20_000 * DAY;
        for (s, _dir) in stores().await {
            let k = s.kind();
            let a = alert(1, "C", State::Closed, day0 + 12 * H);
            let mut b = Batch::default();
            b.alerts.push(a.clone());
            let mut seq = 1;
            for m in 0..(36 * 6) {
                let t = day0 + m * 600_000;
                for mmsi in [1, 2] {
                    b.positions
                        .push(pos(seq, mmsi, t, 3.0 + m as f64 * 0.01 + f64::from(mmsi)));
                    seq += 1;
                }
            }
            s.write(&b).await.unwrap();
            let h = hold(&a.id, 1, day0 + 10 * H, Some(day0 + 14 * H));
            s.place_hold(&h).await.unwrap();
            let before = DAY + day0 + 6 * H;
            assert_eq!(s.pruned_before().await.unwrap(), None, "{k}");
            s.prune_positions(before).await.unwrap();
            let horizon = if k == "sqlite" { before } else { day0 + DAY };
            assert_eq!(s.pruned_before().await.unwrap(), Some(horizon), "{k}");
            let want = |mmsi: u32| -> Vec<Millis> {
                b.positions
                    .iter()
                    .filter(|p| p.mmsi.0 == mmsi && (p.time >= horizon || h.keeps(p.mmsi, p.time)))
                    .map(|p| p.time)
                    .collect()
            };
            let st = &s;
            let track = |mmsi: u32| async move {
                let rows = st.track(Mmsi(mmsi), 0, Millis::MAX, 10_000).await.unwrap();
                rows.iter().map(|p| p.time).collect::<Vec<_>>()
            };
            // Pruned once, then again: nothing more goes.
            for _ in 0..2 {
                for mmsi in [1, 2] {
                    assert_eq!(track(mmsi).await, want(mmsi), "{k}: vessel {mmsi}");
                }
                s.prune_positions(before).await.unwrap();
            }
            // A box too big to list its cells finds the held rows too.
            let world = crate::storage::BBox {
                min_lon: -180.0,
                min_lat: -90.0,
                max_lon: 180.0,
                max_lat: 90.0,
            };
            let page = s
                .positions_in(world, day0, day0 + DAY - 1, None, 10_000, Points::All)
                .await
                .unwrap();
            let got: Vec<(u32, usize)> = page
                .vessels
                .iter()
                .map(|v| (v.mmsi.0, v.points.len()))
                .collect();
            assert_eq!(got, vec![(1, 25)], "{k}");
            // Released, the held rows go too.
            s.release_hold(&a.id).await.unwrap();
            s.prune_positions(before).await.unwrap();
            assert_eq!(track(1).await, want(2), "{k}");
            s.close().await;
        }
    }
}
