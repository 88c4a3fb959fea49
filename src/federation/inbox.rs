//! `POST /api/v1/federation/inbox`: a partner's alert change.
//!
//! Taken only when signed by the key pinned for its sender (else 401),
//! addressed to this installation under an agreement in force here that
//! accepts from that partner (else 403). Stored as alert
//! `PARTNER/ORIGINAL_ID` with `origin` = the partner, `agreement`, and
//! `centre` = the agreement's `deliver_to`, once per sender's key (a
//! retry or a replay changes nothing); the alert's state is its latest
//! change's. Every refusal is logged and counted.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::{info, warn};

use super::config::{AgreementConfig, PartnerConfig};
use super::envelope::{self, Change};
use super::Federation;
use crate::storage::federation::{PartnerChange, Taken};
use crate::storage::StorageError;
use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::{now_ms, Millis};
use aiswatch_engine::alert::{Kind, State};

/// Why a partner's message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Not JSON of the expected shape (400).
    #[error("{0}")]
    Malformed(String),
    /// Not signed by the key pinned for its sender, or no such partner (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed, but not for this installation or not under an agreement in
    /// force here that allows it (403).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed (503: the sender retries).
    #[error(transparent)]
    Store(#[from] StorageError),
    /// What was asked for could not be made (500; logged).
    #[error("{0}")]
    Failed(String),
}

impl Refusal {
    /// The metrics label.
    pub fn result(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Unauthorized(_) => "unauthorized",
            Refusal::Forbidden(_) => "forbidden",
            Refusal::Store(_) => "store_error",
            Refusal::Failed(_) => "failed",
        }
    }
}

/// What every signed message names.
pub trait Addressed {
    /// Sender, recipient, agreement.
    fn route(&self) -> (&str, &str, &str);
}

impl Addressed for Change {
    fn route(&self) -> (&str, &str, &str) {
        (&self.from, &self.to, &self.agreement)
    }
}

impl Addressed for envelope::EvidenceAsk {
    fn route(&self) -> (&str, &str, &str) {
        (&self.from, &self.to, &self.agreement)
    }
}

impl Addressed for envelope::CheckpointNote {
    fn route(&self) -> (&str, &str, &str) {
        (&self.from, &self.to, &self.agreement)
    }
}

impl Federation {
    /// Keeps a partner's signed audit checkpoint (signed, like the note
    /// that carries it, by the partner's pinned key). Returns the partner
    /// and whether it was new.
    pub async fn receive_checkpoint(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(String, bool), Refusal> {
        let (note, partner, _) = self.authenticate::<envelope::CheckpointNote>(body, signature)?;
        let key = envelope::verifying_key(&partner.public_key).ok_or_else(|| {
            Refusal::Unauthorized(format!("no usable key pinned for {:?}", partner.id))
        })?;
        if !note.checkpoint.signed_by(&key) {
            return Err(Refusal::Unauthorized(format!(
                "checkpoint of record {}: not signed by {:?}'s pinned key",
                note.checkpoint.seq, partner.id
            )));
        }
        let new = self
            .store
            .keep_partner_checkpoint(&partner.id, &note.checkpoint, now_ms())
            .await?;
        if new {
            info!(partner = %partner.id, seq = note.checkpoint.seq, hash = %note.checkpoint.hash, "Partner audit checkpoint kept.");
        }
        Ok((partner.id, new))
    }

    /// Reads a signed message: its sender pinned and its signature good
    /// (else 401), addressed here (else 403), under an agreement with the
    /// sender that is in force here (else 403).
    pub fn authenticate<T: DeserializeOwned + Addressed>(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(T, PartnerConfig, AgreementConfig), Refusal> {
        let msg: T =
            serde_json::from_slice(body).map_err(|e| Refusal::Malformed(format!("body: {e}")))?;
        let terms = self.terms();
        let (from, to, agreement) = msg.route();
        let partner = terms
            .partner(from)
            .ok_or_else(|| {
                Refusal::Unauthorized(format!("{from:?} is not a partner of this installation"))
            })?
            .clone();
        let key = envelope::verifying_key(&partner.public_key)
            .ok_or_else(|| Refusal::Unauthorized(format!("no usable key pinned for {from:?}")))?;
        let sig = signature.ok_or_else(|| {
            Refusal::Unauthorized(format!("no {} header", envelope::SIGNATURE_HEADER))
        })?;
        if !envelope::verify(&key, body, sig) {
            return Err(Refusal::Unauthorized(format!(
                "the signature is not {from:?}'s pinned key's"
            )));
        }
        if terms.name.as_deref() != Some(to) {
            return Err(Refusal::Forbidden(format!(
                "addressed to {to:?}, not to this installation"
            )));
        }
        let a = terms.agreement(agreement, from).ok_or_else(|| {
            Refusal::Forbidden(format!("no agreement {agreement:?} with {from:?} here"))
        })?;
        if !a.in_force(now_ms()) {
            return Err(Refusal::Forbidden(format!(
                "agreement {agreement:?} has expired"
            )));
        }
        Ok((msg, partner, a.clone()))
    }

    /// Takes a signed change from a partner's outbox.
    pub async fn receive(&self, body: &[u8], signature: Option<&str>) -> Result<Receipt, Refusal> {
        let res = self.receive_inner(body, signature).await;
        let partner = match &res {
            Ok(r) => r.partner.clone(),
            Err(_) => sender_label(self, body),
        };
        let result = match &res {
            Ok(r) if r.duplicate => "duplicate",
            Ok(_) => "accepted",
            Err(e) => e.result(),
        };
        self.metrics
            .received
            .with_label_values(&[&partner, result])
            .inc();
        if let Err(e) = &res {
            warn!(partner = %partner, result, error = %e, "Federation inbox: message refused.");
        }
        res
    }

    async fn receive_inner(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Receipt, Refusal> {
        let (change, partner, agreement) = self.authenticate::<Change>(body, signature)?;
        if change.v != envelope::VERSION {
            return Err(Refusal::Malformed(format!(
                "message version {} (this installation reads {})",
                change.v,
                envelope::VERSION
            )));
        }
        let Some(receive) = &agreement.receive else {
            return Err(Refusal::Forbidden(format!(
                "agreement {:?} accepts nothing from {:?} here",
                agreement.id, partner.id
            )));
        };
        let stored = StoredChange::read(&change, &partner.id, &receive.deliver_to)?;
        let taken = self
            .store
            .take_partner_change(&PartnerChange {
                partner: partner.id.clone(),
                key: change.key.clone(),
                agreement: agreement.id.clone(),
                id: stored.id.clone(),
                kind: stored.kind,
                state: stored.state,
                zone: stored.zone,
                started_at: stored.started_at,
                at: stored.at,
                ended_at: stored.ended_at,
                mmsi: stored.mmsi,
                deliver_to: receive.deliver_to.clone(),
                json: stored.json,
                received_at: now_ms(),
            })
            .await?;
        let duplicate = match taken {
            Taken::Duplicate => true,
            Taken::New(event) => {
                info!(partner = %partner.id, agreement = %agreement.id, alert = %stored.id, state = stored.state.as_str(), "Partner alert change received.");
                self.hub.committed(event.into_iter().collect());
                false
            }
        };
        Ok(Receipt {
            partner: partner.id,
            id: stored.id,
            duplicate,
        })
    }
}

/// The sender's name for the metrics and the audit trail: a configured
/// partner's id, else `unknown` (an unpinned sender must not grow the
/// label set).
pub(crate) fn sender_label(fed: &Federation, body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct From {
        from: String,
    }
    serde_json::from_slice::<From>(body)
        .ok()
        .filter(|f| fed.terms().partner(&f.from).is_some())
        .map_or_else(|| "unknown".to_owned(), |f| f.from)
}

/// A change taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The partner.
    pub partner: String,
    /// The alert's id here.
    pub id: AlertId,
    /// Its key was taken before: nothing changed.
    pub duplicate: bool,
}

/// What the store needs of a partner's alert, and its JSON as shown here.
struct StoredChange {
    id: AlertId,
    kind: Kind,
    state: State,
    zone: String,
    started_at: Millis,
    at: Millis,
    ended_at: Option<Millis>,
    mmsi: Vec<Mmsi>,
    json: String,
}

/// The fields of a shared alert that are read (the rest is shown as sent).
#[derive(Deserialize)]
struct Facts {
    id: String,
    kind: Kind,
    state: State,
    mmsi: Vec<Mmsi>,
    zone: String,
    #[serde(deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize")]
    at: Millis,
    #[serde(deserialize_with = "aiswatch_core::time::serde_rfc3339::deserialize")]
    started_at: Millis,
    #[serde(
        default,
        deserialize_with = "aiswatch_core::time::serde_rfc3339::option_deserialize"
    )]
    ended_at: Option<Millis>,
}

impl StoredChange {
    fn read(
        c: &Change,
        partner: &str,
        deliver_to: &[aiswatch_core::ids::CentreId],
    ) -> Result<StoredChange, Refusal> {
        let facts: Facts = serde_json::from_value(c.alert.clone())
            .map_err(|e| Refusal::Malformed(format!("alert: {e}")))?;
        let bad = |what: &str| Refusal::Malformed(format!("alert: {what}"));
        if facts.id.is_empty() || facts.id.contains('\0') || facts.id.len() > 512 {
            return Err(bad("id must be 1 to 512 characters, no NUL"));
        }
        if facts.zone.contains('\0') || facts.mmsi.is_empty() || facts.mmsi.len() > 16 {
            return Err(bad("zone without NUL and 1 to 16 vessels"));
        }
        if !c.key.starts_with(&format!("{}/", facts.id)) {
            return Err(bad("the key does not name the alert"));
        }
        let id = AlertId::from(format!("{partner}/{}", facts.id).as_str());
        let mut alert = c.alert.clone();
        if let Some(o) = alert.as_object_mut() {
            o.insert("id".into(), id.as_str().into());
            o.insert("origin".into(), partner.into());
            o.insert("agreement".into(), c.agreement.as_str().into());
            o.insert(
                "centre".into(),
                deliver_to
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .into(),
            );
            if !c.redacted.is_empty() {
                o.insert(
                    "redacted".into(),
                    c.redacted
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .into(),
                );
            }
        }
        // NUL is stored as U+FFFD, as for this installation's own data.
        let json = alert.to_string().replace("\\u0000", "\u{fffd}");
        Ok(StoredChange {
            id,
            kind: facts.kind,
            state: facts.state,
            zone: format!("{partner}/{}", facts.zone),
            started_at: facts.started_at,
            at: facts.at,
            ended_at: facts.ended_at,
            mmsi: facts.mmsi,
            json,
        })
    }
}
