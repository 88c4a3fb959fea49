//! Officers' acknowledgements of alerts: who, when, a note. Kept per
//! centre, like everything a centre's token reads: an acknowledgement made
//! with a centre's token is seen by that centre's officers (and admins),
//! never by another centre that the same alert was routed to.

use sqlx::{QueryBuilder, Row};

use super::{on_pool, on_writer, Backend, StorageError, Store};
use crate::storage::Scope;
use aiswatch_core::ids::{AlertId, CentreId};
use aiswatch_core::time::Millis;

/// One acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The alert acknowledged.
    pub alert_id: AlertId,
    /// The centre whose token acknowledged it; `None` for an admin token.
    pub centre: Option<CentreId>,
    /// Who, as the officer gave it.
    pub by: String,
    /// Their note (may be empty).
    pub note: String,
    /// When (wall clock).
    pub at: Millis,
}

fn centre_of(scope: &Scope) -> Option<String> {
    match scope {
        Scope::Admin => None,
        Scope::Centre(c) => Some(c.as_str().to_owned()),
    }
}

impl Store {
    /// Stores an acknowledgement of alert `id` made with a token of
    /// `scope`. `None` if no such alert is visible to that scope (another
    /// centre's alert is "not found", as in the rest of the API).
    pub async fn ack_alert(
        &self,
        id: &AlertId,
        scope: &Scope,
        by: &str,
        note: &str,
        at: Millis,
    ) -> Result<Option<Ack>, StorageError> {
        let centre = centre_of(scope);
        on_writer!(self, p => {
            let n: Option<i64> = sqlx::query(
                "SELECT n FROM alerts a WHERE id = $1 AND ($2 IS NULL OR EXISTS \
                 (SELECT 1 FROM alert_centres c WHERE c.alert_n = a.n AND c.centre = $2))",
            )
            .bind(id.as_str())
            .bind(centre.clone())
            .fetch_optional(p)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            let Some(n) = n else { return Ok(None) };
            sqlx::query(
                "INSERT INTO alert_acks (alert_n, centre, by_name, note, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(n)
            .bind(centre.clone())
            .bind(by)
            .bind(note)
            .bind(at)
            .execute(p)
            .await?;
            Ok(Some(Ack {
                alert_id: id.clone(),
                centre: centre.map(CentreId::from),
                by: by.to_owned(),
                note: note.to_owned(),
                at,
            }))
        })
    }

    /// The acknowledgements of the alerts with these storage numbers
    /// ([`super::StoredAlert::n`]) that `scope` may see (an admin: all; a
    /// centre: its own), oldest first.
    pub async fn acks(&self, alerts: &[i64], scope: &Scope) -> Result<Vec<Ack>, StorageError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        on_pool!(self, p => {
            let mut q = QueryBuilder::new(
                "SELECT a.id, k.centre, k.by_name, k.note, k.at FROM alert_acks k \
                 JOIN alerts a ON a.n = k.alert_n WHERE k.alert_n IN (",
            );
            let mut list = q.separated(", ");
            for n in alerts {
                list.push_bind(*n);
            }
            q.push(")");
            if let Some(c) = centre_of(scope) {
                q.push(" AND k.centre = ").push_bind(c);
            }
            q.push(" ORDER BY k.n");
            q.build()
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| {
                    Ok(Ack {
                        alert_id: AlertId::from(r.try_get::<String, _>(0)?),
                        centre: r.try_get::<Option<String>, _>(1)?.map(CentreId::from),
                        by: r.try_get(2)?,
                        note: r.try_get(3)?,
                        at: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }
}
