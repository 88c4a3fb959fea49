//! What sharing with partner installations keeps: partners' alerts
//! (stored beside this installation's own, `origin` set), the keys of the
//! changes taken (idempotency), and partners' evidence requests.

use sqlx::Row;

use super::write::{write_alert, AlertRow, WriteOut};
use super::{on_pool, on_writer, Backend, StorageError, Store};
use crate::deliver::sink::AlertEvent;
use aiswatch_core::ids::{AlertId, CentreId, Mmsi};
use aiswatch_core::time::Millis;
use aiswatch_engine::alert::{Kind, State};

/// A change a partner shared, as it is stored here.
#[derive(Debug, Clone)]
pub struct PartnerChange {
    /// The partner.
    pub partner: String,
    /// The sender's idempotency key of the change.
    pub key: String,
    /// The agreement it came under.
    pub agreement: String,
    /// Its id here: `PARTNER/ORIGINAL_ID`.
    pub id: AlertId,
    /// Which detector.
    pub kind: Kind,
    /// Its state.
    pub state: State,
    /// The partner's zone id.
    pub zone: String,
    /// When the behaviour began (event time).
    pub started_at: Millis,
    /// This change's event time.
    pub at: Millis,
    /// When it ended.
    pub ended_at: Option<Millis>,
    /// The vessels.
    pub mmsi: Vec<Mmsi>,
    /// The local centres the agreement delivers it to.
    pub deliver_to: Vec<CentreId>,
    /// The alert JSON as it is shown here.
    pub json: String,
    /// When it arrived (wall clock).
    pub received_at: Millis,
}

/// How a partner's change was taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken {
    /// Stored; the event for the live stream (`None`: the same change was
    /// stored before under another key).
    New(Option<AlertEvent>),
    /// Its key was taken before: nothing changed.
    Duplicate,
}

/// Where an alert received from a partner came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The partner.
    pub partner: String,
    /// The agreement of its latest change.
    pub agreement: String,
}

/// A partner's request for an evidence bundle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EvidenceRequest {
    /// The requesting partner.
    pub partner: String,
    /// The partner's id for the request.
    pub request: String,
    /// The agreement the alert was shared under.
    pub agreement: String,
    /// The alert (this installation's id).
    pub alert: String,
    /// `pending`, `approved`, `refused` or `served`.
    pub state: String,
    /// When it was first asked (RFC 3339, wall clock).
    pub requested_at: String,
    /// When an administrator decided.
    pub decided_at: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
}

/// Counts of one agreement's traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementTraffic {
    /// Changes shared, by delivery state.
    pub pending: i64,
    /// Acknowledged by the partner.
    pub delivered: i64,
    /// Given up (dead letters).
    pub failed: i64,
    /// Changes received from the partner under it.
    pub received: i64,
}

impl Store {
    /// Stores a partner's change unless its key was taken before: the
    /// alert `PARTNER/ID` with its new state, its change, its event and one
    /// pending delivery per channel of each centre it is delivered to, in
    /// one transaction. A partner's alert is never shared on.
    pub async fn take_partner_change(&self, c: &PartnerChange) -> Result<Taken, StorageError> {
        on_writer!(self, p => {
            let mut tx = p.begin().await?;
            let seen = sqlx::query("SELECT 1 FROM federation_received WHERE partner = $1 AND key = $2")
                .bind(&c.partner)
                .bind(&c.key)
                .fetch_optional(&mut *tx)
                .await?;
            if seen.is_some() {
                return Ok(Taken::Duplicate);
            }
            let row = AlertRow {
                id: c.id.as_str(),
                kind: c.kind,
                state: c.state,
                zone: &c.zone,
                started_at: c.started_at,
                at: c.at,
                ended_at: c.ended_at,
                centres: &c.deliver_to,
                mmsi: &c.mmsi,
                json: c.json.clone(),
                origin: Some(&c.partner),
            };
            let out = WriteOut { routes: &self.routes, shares: &[], emitted_at: c.received_at };
            let event = write_alert(&mut tx, &row, &out).await?;
            sqlx::query(
                "INSERT INTO federation_received (partner, key, agreement, alert_n, received_at) \
                 SELECT $1, $2, $3, n, $4 FROM alerts WHERE id = $5",
            )
            .bind(&c.partner)
            .bind(&c.key)
            .bind(&c.agreement)
            .bind(c.received_at)
            .bind(c.id.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Taken::New(event))
        })
    }

    /// The partner and agreement of alert `id`, if a partner shared it.
    pub async fn alert_origin(&self, id: &AlertId) -> Result<Option<Origin>, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT a.origin, r.agreement FROM alerts a JOIN federation_received r ON r.alert_n = a.n \
                 WHERE a.id = $1 AND a.origin IS NOT NULL ORDER BY r.received_at DESC LIMIT 1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await?;
            row.map(|r| Ok(Origin { partner: r.try_get(0)?, agreement: r.try_get(1)? }))
                .transpose()
        })
    }

    /// Whether a change of alert `id` was queued for `partner` under
    /// `agreement` (only such alerts' evidence may be asked for).
    pub async fn shared_with(
        &self,
        id: &AlertId,
        partner: &str,
        agreement: &str,
    ) -> Result<bool, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query(
                "SELECT 1 FROM deliveries d JOIN alerts a ON a.n = d.alert_n \
                 WHERE a.id = $1 AND d.centre = $2 AND d.channel = 'partner' AND d.agreement = $3 \
                 AND d.state = 'delivered' LIMIT 1",
            )
            .bind(id.as_str())
            .bind(partner)
            .bind(agreement)
            .fetch_optional(p)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Each agreement's traffic, by agreement id.
    pub async fn agreement_traffic(
        &self,
    ) -> Result<std::collections::HashMap<String, AgreementTraffic>, StorageError> {
        on_pool!(self, p => {
            let mut out: std::collections::HashMap<String, AgreementTraffic> = Default::default();
            let rows = sqlx::query(
                "SELECT agreement, state, COUNT(*) FROM deliveries \
                 WHERE channel = 'partner' AND agreement IS NOT NULL GROUP BY agreement, state",
            )
            .fetch_all(p)
            .await?;
            for r in &rows {
                let t = out.entry(r.try_get(0)?).or_default();
                let n: i64 = r.try_get(2)?;
                match r.try_get::<String, _>(1)?.as_str() {
                    "pending" => t.pending += n,
                    "delivered" => t.delivered += n,
                    _ => t.failed += n,
                }
            }
            let rows = sqlx::query("SELECT agreement, COUNT(*) FROM federation_received GROUP BY agreement")
                .fetch_all(p)
                .await?;
            for r in &rows {
                out.entry(r.try_get(0)?).or_default().received += r.try_get::<i64, _>(1)?;
            }
            Ok(out)
        })
    }

    /// The request `partner` made as `request`, recorded as pending (with
    /// `agreement` and `alert`) if it is new. Returns its record.
    pub async fn evidence_request(
        &self,
        partner: &str,
        request: &str,
        agreement: &str,
        alert: &str,
        now: Millis,
    ) -> Result<EvidenceRequest, StorageError> {
        on_writer!(self, p => {
            sqlx::query(
                "INSERT INTO evidence_requests (partner, request, agreement, alert_id, state, requested_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (partner, request) DO NOTHING",
            )
            .bind(partner)
            .bind(request)
            .bind(agreement)
            .bind(alert)
            .bind(now)
            .execute(p)
            .await?;
        });
        self.evidence_requests(Some((partner, request)), None)
            .await?
            .pop()
            .ok_or(StorageError::Db(sqlx::Error::RowNotFound))
    }

    /// Evidence requests, newest first: one (`partner`, `request`), or
    /// those in `state`, or all.
    pub async fn evidence_requests(
        &self,
        one: Option<(&str, &str)>,
        state: Option<&str>,
    ) -> Result<Vec<EvidenceRequest>, StorageError> {
        let (partner, request) = one.unzip();
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT partner, request, agreement, alert_id, state, requested_at, decided_at, decided_by \
                 FROM evidence_requests WHERE ($1 IS NULL OR partner = $1) AND ($2 IS NULL OR request = $2) \
                 AND ($3 IS NULL OR state = $3) ORDER BY requested_at DESC LIMIT 1000",
            )
            .bind(partner)
            .bind(request)
            .bind(state)
            .fetch_all(p)
            .await?;
            let rfc = aiswatch_core::time::rfc3339;
            rows.iter()
                .map(|r| {
                    Ok(EvidenceRequest {
                        partner: r.try_get(0)?,
                        request: r.try_get(1)?,
                        agreement: r.try_get(2)?,
                        alert: r.try_get(3)?,
                        state: r.try_get(4)?,
                        requested_at: rfc(r.try_get(5)?),
                        decided_at: r.try_get::<Option<Millis>, _>(6)?.map(rfc),
                        decided_by: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    /// Moves a request from `from` to `to` (`decided_by` and the time set
    /// when given). Returns whether it was in `from`.
    pub async fn decide_evidence_request(
        &self,
        partner: &str,
        request: &str,
        from: &str,
        to: &str,
        decided_by: Option<&str>,
        now: Millis,
    ) -> Result<bool, StorageError> {
        on_writer!(self, p => {
            let done = sqlx::query(
                "UPDATE evidence_requests SET state = $4, \
                 decided_at = CASE WHEN $5 IS NULL THEN decided_at ELSE $6 END, \
                 decided_by = COALESCE($5, decided_by) \
                 WHERE partner = $1 AND request = $2 AND state = $3",
            )
            .bind(partner)
            .bind(request)
            .bind(from)
            .bind(to)
            .bind(decided_by)
            .bind(now)
            .execute(p)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::deliver::sink::{Channel, Route, Share};
    use crate::storage::tests::{alert, stores};
    use crate::storage::{Batch, Scope};

    fn change(key: &str, state: State, at: Millis) -> PartnerChange {
        PartnerChange {
            partner: "P".into(),
            key: key.into(),
            agreement: "AG".into(),
            id: AlertId::from("P/loitering:z:7:1"),
            kind: Kind::Loitering,
            state,
            zone: "P/z".into(),
            started_at: 1_000,
            at,
            ended_at: None,
            mmsi: vec![Mmsi(7)],
            deliver_to: vec![CentreId::from("C1")],
            json: format!(
                r#"{{"id":"P/loitering:z:7:1","origin":"P","state":"{}"}}"#,
                state.as_str()
            ),
            received_at: 5,
        }
    }

    #[tokio::test]
    async fn partner_changes_are_taken_once_for_the_named_centres_and_never_shared_on() {
        for (store, _dir) in stores().await {
            let routes: Arc<[Route]> = vec![
                Route {
                    centre: "C1".into(),
                    kinds: None,
                    channels: vec![Channel::Webhook],
                    lang: "en",
                },
                Route {
                    centre: "C2".into(),
                    kinds: None,
                    channels: vec![Channel::Webhook],
                    lang: "en",
                },
            ]
            .into();
            let store = store.with_routes(routes);
            store.set_shares(
                vec![Share {
                    partner: "Q".into(),
                    agreement: "AG-Q".into(),
                    zones: None,
                    kinds: None,
                    states: None,
                    delay_ms: 60_000,
                    expires_at: None,
                }]
                .into(),
            );
            let t = store
                .take_partner_change(&change("loitering:z:7:1/1", State::Open, 2_000))
                .await
                .unwrap();
            assert!(
                matches!(t, Taken::New(Some(ref e)) if e.centres == [CentreId::from("C1")]),
                "{t:?}"
            );
            assert_eq!(
                store
                    .take_partner_change(&change("loitering:z:7:1/1", State::Closed, 3_000))
                    .await
                    .unwrap(),
                Taken::Duplicate
            );
            store
                .take_partner_change(&change("loitering:z:7:1/2", State::Closed, 3_000))
                .await
                .unwrap();
            let id = AlertId::from("P/loitering:z:7:1");
            let h = store
                .alert(&id, &Scope::Centre("C1".into()))
                .await
                .unwrap()
                .unwrap();
            assert!(h.latest.json.contains("closed"));
            assert_eq!(h.changes.len(), 2);
            assert!(store
                .alert(&id, &Scope::Centre("C2".into()))
                .await
                .unwrap()
                .is_none());
            assert_eq!(
                store.alert_origin(&id).await.unwrap(),
                Some(Origin {
                    partner: "P".into(),
                    agreement: "AG".into()
                })
            );
            // Delivered to C1's webhook only; nothing queued for partner Q.
            let c1 = store
                .due_deliveries(&"C1".into(), Channel::Webhook, i64::MAX, 10)
                .await
                .unwrap();
            assert_eq!(c1.len(), 1);
            assert!(store
                .due_deliveries(&"C2".into(), Channel::Webhook, i64::MAX, 10)
                .await
                .unwrap()
                .is_empty());
            assert!(store
                .due_deliveries(&"Q".into(), Channel::Partner, i64::MAX, 10)
                .await
                .unwrap()
                .is_empty());
            // The installation's own alert is shared with Q, held back a minute.
            let own = alert(8, "C1", State::Open, 4_000);
            let b = Batch {
                alerts: vec![own.clone()],
                emitted_at: Some(10_000),
                ..Batch::default()
            };
            store.write(&b).await.unwrap();
            assert!(store
                .due_deliveries(&"Q".into(), Channel::Partner, 69_999, 10)
                .await
                .unwrap()
                .is_empty());
            let due = store
                .due_deliveries(&"Q".into(), Channel::Partner, 70_000, 10)
                .await
                .unwrap();
            assert_eq!(due.len(), 1);
            assert_eq!(due[0].agreement.as_deref(), Some("AG-Q"));
            assert!(
                store
                    .open_alerts()
                    .await
                    .unwrap()
                    .iter()
                    .all(|a| a.id == own.id),
                "partners' alerts are not the engine's"
            );
            let traffic = store.agreement_traffic().await.unwrap();
            assert_eq!(traffic["AG"].received, 2);
            assert_eq!(traffic["AG-Q"].pending, 1);
        }
    }

    #[tokio::test]
    async fn an_evidence_request_is_decided_once() {
        for (store, _dir) in stores().await {
            let r = store
                .evidence_request("P", "r1", "AG", "a1", 1)
                .await
                .unwrap();
            assert_eq!(r.state, "pending");
            let again = store
                .evidence_request("P", "r1", "AG-other", "a2", 2)
                .await
                .unwrap();
            assert_eq!(
                (again.agreement.as_str(), again.alert.as_str()),
                ("AG", "a1")
            );
            assert!(store
                .decide_evidence_request("P", "r1", "pending", "approved", Some("ops"), 3)
                .await
                .unwrap());
            assert!(!store
                .decide_evidence_request("P", "r1", "pending", "refused", Some("x"), 4)
                .await
                .unwrap());
            let r = store
                .evidence_requests(Some(("P", "r1")), None)
                .await
                .unwrap()
                .pop()
                .unwrap();
            assert_eq!(
                (r.state.as_str(), r.decided_by.as_deref()),
                ("approved", Some("ops"))
            );
            assert!(store
                .decide_evidence_request("P", "r1", "approved", "served", None, 5)
                .await
                .unwrap());
            let r = store.evidence_requests(None, Some("served")).await.unwrap();
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].decided_by.as_deref(), Some("ops"));
        }
    }
}
