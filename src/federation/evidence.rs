//! Evidence across borders.
//!
//! A partner that received an alert may ask for its evidence bundle:
//! `GET /api/v1/alerts/PARTNER%2FID/evidence` here sends a signed
//! [`EvidenceAsk`] to the partner's `POST /api/v1/federation/evidence`.
//! The sharing side answers by its agreement's `evidence`:
//!
//! - `never`: 403;
//! - `on_request`: the bundle at once (200, a zip), signed by the sharing
//!   installation's key, with what the agreement redacts withheld (and
//!   said so in the bundle);
//! - `approve`: 202 while an administrator has not decided
//!   (`POST /api/v1/federation/evidence_requests/{partner}/{request}/approve`
//!   or `/refuse`), then the bundle or 403.
//!
//! Only an alert actually delivered to that partner under that agreement
//! may be asked for (else 404). The asking side checks the bundle against
//! the key it pinned for the partner before handing it on.

use super::envelope::{self, EvidenceAsk, SIGNATURE_HEADER};
use super::inbox::Refusal;
use super::{EvidencePolicy, Federation};
use crate::evidence::{EvidenceError, ExportContext, ExportOptions};
use crate::storage::federation::{EvidenceRequest, Origin};
use crate::storage::Scope;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::now_ms;

/// Longest wait for a partner's bundle (a bundle of days of a busy area
/// is built and sent in seconds to minutes).
const EVIDENCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The sharing side's answer.
#[derive(Debug)]
pub enum Answer {
    /// The bundle (a zip).
    Bundle(Vec<u8>),
    /// Waiting for an administrator.
    Pending(EvidenceRequest),
    /// Refused (403), why.
    Refused(String),
    /// No such alert shared with the partner (404).
    NotShared(String),
}

/// What the asking side got.
#[derive(Debug)]
pub enum Asked {
    /// The bundle, checked against the partner's pinned key.
    Bundle(Vec<u8>),
    /// The partner's administrator has not decided yet.
    Pending(String),
    /// The partner refused, or answered something unusable: status and why.
    Refused(u16, String),
}

impl Federation {
    /// Answers a partner's signed evidence request, exporting with `ctx`.
    pub async fn answer_evidence(
        &self,
        body: &[u8],
        signature: Option<&str>,
        ctx: &ExportContext,
    ) -> Result<Answer, Refusal> {
        let res = self.answer_inner(body, signature, ctx).await;
        let partner = match &res {
            Err(Refusal::Unauthorized(_)) | Err(Refusal::Malformed(_)) => "unknown".to_owned(),
            _ => serde_json::from_slice::<EvidenceAsk>(body)
                .map(|a| a.from)
                .unwrap_or_else(|_| "unknown".to_owned()),
        };
        let result = match &res {
            Ok(Answer::Bundle(_)) => "served",
            Ok(Answer::Pending(_)) => "pending",
            Ok(Answer::Refused(_)) | Ok(Answer::NotShared(_)) => "refused",
            Err(e) => e.result(),
        };
        self.metrics
            .evidence
            .with_label_values(&[&partner, result])
            .inc();
        if !matches!(res, Ok(Answer::Bundle(_)) | Ok(Answer::Pending(_))) {
            tracing::warn!(partner = %partner, result, "Partner evidence request not served.");
        }
        res
    }

    async fn answer_inner(
        &self,
        body: &[u8],
        signature: Option<&str>,
        ctx: &ExportContext,
    ) -> Result<Answer, Refusal> {
        let (ask, partner, agreement) = self.authenticate::<EvidenceAsk>(body, signature)?;
        if ask.request.is_empty() || ask.request.len() > 128 || ask.request.contains('\0') {
            return Err(Refusal::Malformed(
                "request: 1 to 128 characters, no NUL".into(),
            ));
        }
        let Some(send) = &agreement.send else {
            return Ok(Answer::Refused(format!(
                "agreement {:?} shares nothing with {:?}",
                agreement.id, partner.id
            )));
        };
        let id = AlertId::from(ask.alert.as_str());
        if ask.alert.contains('\0')
            || !self
                .store
                .shared_with(&id, &partner.id, &agreement.id)
                .await?
        {
            return Ok(Answer::NotShared(format!(
                "no alert {:?} was shared with {:?} under {:?}",
                ask.alert, partner.id, agreement.id
            )));
        }
        match send.evidence {
            EvidencePolicy::Never => {
                return Ok(Answer::Refused(format!(
                    "agreement {:?} shares no evidence (evidence = \"never\")",
                    agreement.id
                )))
            }
            EvidencePolicy::OnRequest => {}
            EvidencePolicy::Approve => {
                let r = self
                    .store
                    .evidence_request(
                        &partner.id,
                        &ask.request,
                        &agreement.id,
                        &ask.alert,
                        now_ms(),
                    )
                    .await?;
                match r.state.as_str() {
                    "pending" => return Ok(Answer::Pending(r)),
                    // Served before without anyone's approval (the
                    // agreement said on_request then): approval now.
                    "served" if r.decided_by.is_none() => {
                        self.store
                            .decide_evidence_request(
                                &partner.id,
                                &ask.request,
                                "served",
                                "pending",
                                None,
                                now_ms(),
                            )
                            .await?;
                        let r = EvidenceRequest {
                            state: "pending".into(),
                            ..r
                        };
                        return Ok(Answer::Pending(r));
                    }
                    "refused" => {
                        return Ok(Answer::Refused(format!(
                            "the request was refused by {}",
                            r.decided_by.as_deref().unwrap_or("an administrator")
                        )))
                    }
                    _ => {}
                }
            }
        }
        let opts = ExportOptions {
            withhold_sources: send.redacts_sources(),
            lang: None,
        };
        let bundle = match crate::evidence::export_with(ctx, &id, &Scope::Admin, &opts).await {
            Ok(b) => b,
            Err(EvidenceError::NotFound(_)) => {
                return Ok(Answer::NotShared(format!("no alert {:?}", ask.alert)))
            }
            Err(e) => return Err(Refusal::Failed(e.to_string())),
        };
        let zip = tokio::task::spawn_blocking(move || bundle.to_zip())
            .await
            .map_err(|e| Refusal::Failed(e.to_string()))?
            .map_err(|e| Refusal::Failed(e.to_string()))?;
        if send.evidence == EvidencePolicy::Approve {
            self.store
                .decide_evidence_request(
                    &partner.id,
                    &ask.request,
                    "approved",
                    "served",
                    None,
                    now_ms(),
                )
                .await?;
        } else {
            // Kept for the record: who asked for what, and got it.
            self.store
                .evidence_request(
                    &partner.id,
                    &ask.request,
                    &agreement.id,
                    &ask.alert,
                    now_ms(),
                )
                .await?;
            self.store
                .decide_evidence_request(
                    &partner.id,
                    &ask.request,
                    "pending",
                    "served",
                    None,
                    now_ms(),
                )
                .await?;
        }
        tracing::info!(partner = %partner.id, agreement = %agreement.id, alert = %ask.alert, withheld_sources = opts.withhold_sources, "Evidence bundle served to a partner.");
        Ok(Answer::Bundle(zip))
    }

    /// Asks the partner that shared alert `id` (stored here as
    /// `PARTNER/ORIGINAL`) for its evidence bundle.
    pub async fn ask_evidence(&self, id: &AlertId, origin: &Origin) -> Asked {
        let terms = self.terms();
        let refused = |why: String| Asked::Refused(502, why);
        let Some(partner) = terms.partner(&origin.partner) else {
            return refused(format!("{:?} is no longer a partner", origin.partner));
        };
        let Some(name) = terms.name.clone() else {
            return refused("[federation] name is not set".into());
        };
        let original = id
            .as_str()
            .strip_prefix(&format!("{}/", origin.partner))
            .unwrap_or(id.as_str())
            .to_owned();
        // The same alert asked again is the same request (an approval may
        // be pending).
        let request = crate::evidence::sha256_hex(format!("{name}\n{}", id.as_str()).as_bytes())
            [..32]
            .to_owned();
        let ask = EvidenceAsk {
            v: envelope::VERSION,
            from: name,
            to: partner.id.clone(),
            agreement: origin.agreement.clone(),
            alert: original,
            request,
            sent_at: super::now_rfc3339(),
        };
        let body = match serde_json::to_vec(&ask) {
            Ok(b) => b,
            Err(e) => return refused(e.to_string()),
        };
        let url = super::partner_url(partner, "evidence");
        let resp = self
            .client
            .post(&url)
            .timeout(EVIDENCE_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, envelope::sign(&self.key, &body))
            .body(body)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return refused(format!("POST {url}: {e}")),
        };
        let status = resp.status();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return refused(format!("POST {url}: {e}")),
        };
        // The partner's `{"error": …}`, or the start of whatever it sent.
        let text = || {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned()
                })
        };
        match status.as_u16() {
            200 => {
                let Some(key) = envelope::verifying_key(&partner.public_key) else {
                    return refused(format!("no usable key pinned for {:?}", partner.id));
                };
                let checked = crate::evidence::verify_zip(&bytes, Some(&key));
                if checked.findings.is_empty() {
                    Asked::Bundle(bytes.to_vec())
                } else {
                    refused(format!(
                        "the bundle {:?} sent does not verify against its pinned key: {}",
                        partner.id,
                        checked
                            .findings
                            .iter()
                            .take(3)
                            .map(|f| f.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ))
                }
            }
            202 => Asked::Pending(format!(
                "awaiting the approval of {}'s administrator",
                partner.id
            )),
            s @ (403 | 404) => Asked::Refused(s, format!("{}: {}", partner.id, text())),
            s => refused(format!("POST {url}: {s}: {}", text())),
        }
    }
}
