//! Zone history (migration 0013): every version of every zone the daemon
//! has run with, when it came into force, until when, and who brought it.
//! Written when a zone set is accepted (start, file edit, SIGHUP, API
//! save); read by the API (`/zones/{id}/versions`, `/zones?at=`) and by
//! evidence export (the versions an alert's changes were made under).

use sqlx::Row;

use super::{on_pool, on_writer, Backend, StorageError, Store};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

/// One version of one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneVersion {
    /// The zone's id.
    pub zone: String,
    /// SHA-256 of `feature` (hex).
    pub version: String,
    /// The zone's GeoJSON Feature, one line of JSON.
    pub feature: String,
    /// When it came into force (wall clock).
    pub from_ms: Millis,
    /// When a later zone set replaced or dropped it; `None` while in force.
    pub until_ms: Option<Millis>,
    /// Who brought it: `file` (an edit of the zone files or SIGHUP),
    /// `start`, or the actor of an API save (`admin`).
    pub by: String,
}

const COLUMNS: &str = "zone, version, feature, from_ms, until_ms, by_whom";

fn version_row<R: Row>(r: &R) -> Result<ZoneVersion, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ZoneVersion {
        zone: r.try_get(0)?,
        version: r.try_get(1)?,
        feature: r.try_get(2)?,
        from_ms: r.try_get(3)?,
        until_ms: r.try_get(4)?,
        by: r.try_get(5)?,
    })
}

impl Store {
    /// Records that `set` is in force from `at` (wall clock), brought by
    /// `by`: a zone whose version changed or that left ends its version at
    /// `at`; a new or changed zone starts one. A set already recorded
    /// changes nothing (several processes of a cluster may record the same
    /// set). Returns how many versions started.
    pub async fn record_zones(
        &self,
        set: &ZoneSet,
        by: &str,
        at: Millis,
    ) -> Result<u64, StorageError> {
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            let open = sqlx::query("SELECT zone, version FROM zone_versions WHERE until_ms IS NULL")
                .fetch_all(&mut *tx)
                .await?;
            let mut in_force = std::collections::HashMap::new();
            for r in &open {
                in_force.insert(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?);
            }
            for (zone, version) in &in_force {
                let kept = set.get(zone).is_some_and(|z| *z.source.version == **version);
                if !kept {
                    sqlx::query("UPDATE zone_versions SET until_ms = $1 WHERE zone = $2 AND until_ms IS NULL")
                        .bind(at)
                        .bind(zone)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let mut started = 0;
            for z in set.zones() {
                if in_force.get(z.id.as_str()).is_some_and(|v| *v == *z.source.version) {
                    continue;
                }
                started += sqlx::query(
                    "INSERT INTO zone_versions (zone, version, feature, from_ms, until_ms, by_whom) \
                     VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT DO NOTHING",
                )
                .bind(z.id.as_str())
                .bind(&*z.source.version)
                .bind(&*z.source.feature)
                .bind(at)
                .bind(by)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(started)
        })
    }

    /// Every version of zone `id`, newest first.
    pub async fn zone_versions(&self, id: &str) -> Result<Vec<ZoneVersion>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM zone_versions WHERE zone = $1 ORDER BY n DESC");
        on_pool!(self, p => {
            let rows = sqlx::query(&sql).bind(id).fetch_all(p).await?;
            rows.iter().map(version_row).collect()
        })
    }

    /// Version `version` of zone `id` (its latest time in force).
    pub async fn zone_version(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Option<ZoneVersion>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM zone_versions WHERE zone = $1 AND version = $2 ORDER BY n DESC LIMIT 1"
        );
        on_pool!(self, p => {
            let row = sqlx::query(&sql).bind(id).bind(version).fetch_optional(p).await?;
            row.as_ref().map(version_row).transpose()
        })
    }

    /// The versions in force at `t` (wall clock), in the order they came
    /// into force.
    pub async fn zones_in_force_at(&self, t: Millis) -> Result<Vec<ZoneVersion>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM zone_versions WHERE from_ms <= $1 AND (until_ms IS NULL OR until_ms > $1) ORDER BY n"
        );
        on_pool!(self, p => {
            let rows = sqlx::query(&sql).bind(t).fetch_all(p).await?;
            rows.iter().map(version_row).collect()
        })
    }
}
