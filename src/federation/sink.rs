//! The outbox channel to a partner: each change, under the agreement it
//! was queued for, withheld what the agreement redacts, signed, POSTed to
//! the partner's inbox.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::envelope::{self, Change, SIGNATURE_HEADER};
use super::{Federation, Terms};
use crate::deliver::sink::{Channel, Message, SendError, Sink};
use aiswatch_core::time::now_ms;

/// One partner's channel.
pub struct PartnerSink {
    fed: Arc<Federation>,
}

impl PartnerSink {
    /// The channel to the partner a message names (its `centre`).
    pub fn new(fed: Arc<Federation>) -> Self {
        PartnerSink { fed }
    }
}

/// The signed body of `msg` under the terms now, or why it must not go.
pub fn sealed(
    terms: &Terms,
    key: &ed25519_dalek::SigningKey,
    msg: &Message,
) -> Result<(Vec<u8>, String, String), SendError> {
    let partner = msg.centre.as_str();
    let agreement_id = msg.agreement.as_deref().unwrap_or_default();
    let withdrawn = |why: &str| {
        SendError::permanent(format!(
            "agreement {agreement_id:?} with {partner}: {why}: not sent"
        ))
    };
    let Some(p) = terms.partner(partner) else {
        return Err(withdrawn("the partner is no longer configured"));
    };
    let Some(a) = terms.agreement(agreement_id, partner) else {
        return Err(withdrawn("no longer configured"));
    };
    if !a.in_force(now_ms()) {
        return Err(withdrawn("expired"));
    }
    let Some(name) = terms.name.clone() else {
        return Err(withdrawn("[federation] name is not set"));
    };
    if msg.checkpoint.is_some() {
        let checkpoint = serde_json::from_str(&msg.body)
            .map_err(|e| SendError::permanent(format!("stored checkpoint {}: {e}", msg.alert)))?;
        let note = envelope::CheckpointNote {
            v: envelope::VERSION,
            from: name,
            to: p.id.clone(),
            agreement: a.id.clone(),
            sent_at: super::now_rfc3339(),
            checkpoint,
        };
        let body = serde_json::to_vec(&note)
            .map_err(|e| SendError::permanent(format!("{}: {e}", msg.alert)))?;
        let sig = envelope::sign(key, &body);
        return Ok((body, sig, super::partner_url(p, "checkpoints")));
    }
    let Some(send) = &a.send else {
        return Err(withdrawn("shares nothing any more"));
    };
    let mut alert: serde_json::Value = serde_json::from_str(&msg.body)
        .map_err(|e| SendError::permanent(format!("stored alert {}: {e}", msg.alert)))?;
    if send.redacts_sources() {
        super::redact::sources(&mut alert);
    }
    let change = Change {
        v: envelope::VERSION,
        from: name,
        to: p.id.clone(),
        agreement: a.id.clone(),
        key: msg.key.clone(),
        seq: msg.seq,
        sent_at: super::now_rfc3339(),
        redacted: send.redact.clone(),
        alert,
    };
    let body = serde_json::to_vec(&change)
        .map_err(|e| SendError::permanent(format!("alert {}: {e}", msg.alert)))?;
    let sig = envelope::sign(key, &body);
    Ok((body, sig, super::partner_url(p, "inbox")))
}

impl Sink for PartnerSink {
    fn channel(&self) -> Channel {
        Channel::Partner
    }

    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let (body, sig, url) = sealed(&self.fed.terms(), &self.fed.key, msg)?;
            let what = format!("POST {url}");
            let resp = self
                .fed
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, sig)
                .body(body)
                .send()
                .await
                .map_err(|e| SendError::caused(what.clone(), e))?;
            let status = resp.status();
            if status.is_success() {
                let mut e = crate::audit::Entry::now(
                    format!("partner:{}", msg.centre.as_str()),
                    "federation.send",
                    what,
                );
                e.status = status.as_u16();
                if msg.checkpoint.is_none() {
                    e.ids.alerts.push(msg.alert.as_str().to_owned());
                }
                self.fed.audit.record(e);
                return Ok(());
            }
            let text = resp.text().await.unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            Err(SendError::new(format!("{what}: {status}: {text}")))
        })
    }
}
