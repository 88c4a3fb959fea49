//! Reading alerts: the queue (latest states, filtered and paged), one
//! alert's history, the open ones a restart resumes, and counts.

use super::*;

impl Store {
    /// Alerts' latest states, newest first, filtered and paged.
    pub async fn alerts(&self, f: &AlertFilter) -> Result<AlertPage, StorageError> {
        let limit = f.limit.max(1);
        let rows = on_pool!(self, p => {
            let mut q = QueryBuilder::new("SELECT n, id, changes, json FROM alerts a WHERE 1 = 1");
            if let Scope::Centre(c) = &f.scope {
                q.push(" AND EXISTS (SELECT 1 FROM alert_centres c WHERE c.alert_n = a.n AND c.centre = ")
                    .push_bind(c.as_str().to_owned())
                    .push(")");
            }
            if let Some(z) = &f.zone {
                q.push(" AND zone = ").push_bind(z.clone());
            }
            if let Some(k) = f.kind {
                q.push(" AND kind = ").push_bind(k.as_str());
            }
            match f.open {
                Some(true) => { q.push(" AND state <> 'closed'"); }
                Some(false) => { q.push(" AND state = 'closed'"); }
                None => {}
            }
            if let Some(m) = f.mmsi {
                q.push(" AND EXISTS (SELECT 1 FROM alert_vessels v WHERE v.alert_n = a.n AND v.mmsi = ")
                    .push_bind(i64::from(m.0))
                    .push(")");
            }
            if let Some(s) = f.since {
                q.push(" AND (ended_at IS NULL OR ended_at >= ").push_bind(s).push(")");
            }
            if let Some(u) = f.until {
                q.push(" AND started_at <= ").push_bind(u);
            }
            if let Some(c) = f.cursor {
                q.push(" AND n < ").push_bind(c);
            }
            q.push(" ORDER BY n DESC LIMIT ").push_bind(limit as i64 + 1);
            let rows = q.build().fetch_all(p).await?;
            rows.iter().map(stored_alert).collect::<Result<Vec<_>, StorageError>>()
        })?;
        let mut page = AlertPage {
            alerts: rows,
            next_cursor: None,
        };
        if page.alerts.len() > limit {
            page.alerts.truncate(limit);
            page.next_cursor = page.alerts.last().map(|a| a.n);
        }
        Ok(page)
    }

    /// One alert with all its state changes; `None` if it does not exist
    /// or is not routed to the scope's centre.
    pub async fn alert(
        &self,
        id: &AlertId,
        scope: &Scope,
    ) -> Result<Option<AlertHistory>, StorageError> {
        let centre = match scope {
            Scope::Admin => None,
            Scope::Centre(c) => Some(c.as_str().to_owned()),
        };
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT n, id, changes, json FROM alerts a WHERE id = $1 AND ($2 IS NULL OR EXISTS \
                 (SELECT 1 FROM alert_centres c WHERE c.alert_n = a.n AND c.centre = $2))",
            )
            .bind(id.as_str())
            .bind(centre)
            .fetch_optional(p)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let latest = stored_alert(&row)?;
            let changes = sqlx::query("SELECT json FROM alert_changes WHERE alert_n = $1 ORDER BY seq")
                .bind(latest.n)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(AlertHistory { latest, changes }))
        })
    }

    /// This installation's own alerts (not partners') whose latest state
    /// is not `closed`.
    pub async fn open_alerts(&self) -> Result<Vec<OpenAlert>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, started_at, kind, zone, json FROM alerts WHERE state <> 'closed' AND origin IS NULL",
            )
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(OpenAlert {
                        id: AlertId::from(r.try_get::<String, _>(0)?),
                        started_at: r.try_get(1)?,
                        kind: r.try_get(2)?,
                        zone: r.try_get(3)?,
                        json: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    /// Every stored id of this installation's own alerts (not partners').
    pub async fn alert_ids(&self) -> Result<std::collections::HashSet<AlertId>, StorageError> {
        on_pool!(self, p => {
            let rows = sqlx::query("SELECT id FROM alerts WHERE origin IS NULL").fetch_all(p).await?;
            rows.iter()
                .map(|r| Ok(AlertId::from(r.try_get::<String, _>(0)?)))
                .collect()
        })
    }

    /// Counts for status pages: stored alerts, open alerts, of those the
    /// scope may see.
    pub async fn alert_counts(&self, scope: &Scope) -> Result<(i64, i64), StorageError> {
        let centre = match scope {
            Scope::Admin => None,
            Scope::Centre(c) => Some(c.as_str().to_owned()),
        };
        on_pool!(self, p => {
            let r = sqlx::query(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state <> 'closed' THEN 1 ELSE 0 END), 0) FROM alerts a \
                 WHERE $1 IS NULL OR EXISTS (SELECT 1 FROM alert_centres c WHERE c.alert_n = a.n AND c.centre = $1)",
            )
            .bind(centre)
            .fetch_one(p)
            .await?;
            Ok((r.try_get(0)?, r.try_get(1)?))
        })
    }
}
