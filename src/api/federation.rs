//! Partner installations (see [`crate::federation`]):
//!
//! - `POST /api/v1/federation/inbox` — a partner's signed alert change
//!   (no token: the signature is the credential);
//! - `POST /api/v1/federation/evidence` — a partner's signed request for
//!   an alert's evidence bundle (no token);
//! - `POST /api/v1/federation/checkpoints` — a partner's signed audit
//!   checkpoint (no token); `GET /api/v1/federation/checkpoints/{partner}`
//!   — those kept, one a line (admin);
//! - `GET /api/v1/federation` — this installation's name and key, partners,
//!   agreements (in force or expired) with what was sent and received under
//!   each, and partners' evidence requests (admin);
//! - `POST /api/v1/federation/evidence_requests/{partner}/{request}/approve`
//!   and `…/refuse` — an administrator's decision on a request held for
//!   approval (admin).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{admin_only, Caller};
use super::error::ErrorBody;
use super::{json_response, ok_json, ApiError, AppState};
use crate::audit::Entry;
use crate::federation::envelope::{EvidenceAsk, SIGNATURE_HEADER};
use crate::federation::evidence::Answer;
use crate::federation::inbox::sender_label;
use crate::federation::inbox::Refusal;
use crate::federation::Federation;
use crate::federation::{EvidencePolicy, Redaction};
use crate::storage::federation::EvidenceRequest;
use aiswatch_core::time::now_ms;

/// `{"error": …}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::to_vec(&ErrorBody {
        error: message.into(),
    })
    .unwrap_or_default();
    json_response(status, body)
}

fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::Malformed(m) => error(StatusCode::BAD_REQUEST, m),
        Refusal::Unauthorized(m) => error(StatusCode::UNAUTHORIZED, m),
        Refusal::Forbidden(m) => error(StatusCode::FORBIDDEN, m),
        Refusal::Store(e) => ApiError::Store(e).into_response(),
        Refusal::Failed(m) => {
            tracing::warn!(error = %m, "Federation request failed.");
            error(StatusCode::INTERNAL_SERVER_ERROR, m)
        }
    }
}

fn signature(headers: &HeaderMap) -> Option<&str> {
    headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok())
}

/// What the inbox answers a change it took.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    /// The alert's id here (`PARTNER/ORIGINAL_ID`).
    pub id: String,
    /// The change was taken before (same key): nothing changed.
    pub duplicate: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/federation/inbox",
    operation_id = "federation_inbox",
    tag = "federation",
    security(()),
    request_body(content = String, content_type = "application/json", description = "A signed alert change (header X-Aiswatch-Signature: ed25519=<hex>)"),
    responses(
        (status = 200, description = "Taken (or taken before)", body = Received),
        (status = 400, description = "Not a change message", body = ErrorBody),
        (status = 401, description = "Not signed by a pinned partner key", body = ErrorBody),
        (status = 403, description = "Not for this installation, or no agreement in force accepts it", body = ErrorBody),
        (status = 503, description = "Store unavailable: retry", body = ErrorBody),
    )
)]
/// A partner's signed alert change.
pub(crate) async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(fed) = &state.ctx.federation else {
        return error(StatusCode::FORBIDDEN, "this installation has no partners");
    };
    let res = fed.receive(&body, signature(&headers)).await;
    let alert = res.as_ref().ok().map(|r| r.id.as_str().to_owned());
    let resp = match res {
        Ok(r) => ok_json(&Received {
            id: r.id.as_str().to_owned(),
            duplicate: r.duplicate,
        })
        .unwrap_or_else(IntoResponse::into_response),
        Err(r) => refusal(r),
    };
    record(
        &state,
        fed,
        &body,
        "federation.receive",
        "inbox",
        alert,
        resp,
    )
}

/// Records a partner's request (the sender as its body names it, if a
/// partner) in the audit trail, and passes `resp` on.
fn record(
    state: &AppState,
    fed: &Federation,
    body: &[u8],
    action: &str,
    route: &str,
    alert: Option<String>,
    resp: Response,
) -> Response {
    let who = format!("partner:{}", sender_label(fed, body));
    let mut e = Entry::now(who, action, format!("POST /api/v1/federation/{route}"));
    e.status = resp.status().as_u16();
    e.ids.alerts.extend(alert);
    state.ctx.audit.record(e);
    resp
}

#[utoipa::path(
    post,
    path = "/api/v1/federation/checkpoints",
    operation_id = "federation_checkpoint",
    tag = "federation",
    security(()),
    request_body(content = String, content_type = "application/json", description = "A signed head of the partner's audit trail (header X-Aiswatch-Signature: ed25519=<hex>)"),
    responses(
        (status = 201, description = "Kept (or kept before)"),
        (status = 400, description = "Not a checkpoint message", body = ErrorBody),
        (status = 401, description = "Not signed by a pinned partner key", body = ErrorBody),
        (status = 403, description = "Not for this installation, or no agreement in force with the sender", body = ErrorBody),
        (status = 503, description = "Store unavailable: retry", body = ErrorBody),
    )
)]
/// A partner's signed audit checkpoint, kept so that its chain can be
/// checked against it later.
pub(crate) async fn checkpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(fed) = &state.ctx.federation else {
        return error(StatusCode::FORBIDDEN, "this installation has no partners");
    };
    let resp = match fed.receive_checkpoint(&body, signature(&headers)).await {
        Ok(_) => json_response(StatusCode::CREATED, b"{}".to_vec()),
        Err(r) => refusal(r),
    };
    record(
        &state,
        fed,
        &body,
        "federation.checkpoint",
        "checkpoints",
        None,
        resp,
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/federation/checkpoints/{partner}",
    operation_id = "partner_checkpoints",
    tag = "federation",
    params(("partner" = String, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "The partner's checkpoints kept here, oldest first, one JSON object a line (for `aiswatch audit verify --checkpoints` at the partner)", content_type = "application/x-ndjson"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 503, description = "No store", body = ErrorBody),
    )
)]
/// A partner's audit checkpoints kept here (admin).
pub(crate) async fn partner_checkpoints(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path(partner): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&scope, "partners' checkpoints need an admin token")?;
    let mut out = Vec::new();
    for cp in state.store()?.partner_checkpoints(&partner).await? {
        out.extend(serde_json::to_vec(&cp).map_err(ApiError::json("a checkpoint"))?);
        out.push(b'\n');
    }
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        )],
        out,
    )
        .into_response())
}

/// What a request held for approval answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pending {
    /// `pending`.
    pub state: String,
    /// The request.
    pub request: EvidenceRequest,
    /// For people.
    pub message: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/federation/evidence",
    operation_id = "federation_evidence",
    tag = "federation",
    security(()),
    request_body(content = String, content_type = "application/json", description = "A signed evidence request (header X-Aiswatch-Signature: ed25519=<hex>)"),
    responses(
        (status = 200, description = "The bundle, signed by this installation, with what the agreement redacts withheld", content_type = "application/zip"),
        (status = 202, description = "Held for an administrator's approval: ask again", body = Pending),
        (status = 400, description = "Not an evidence request", body = ErrorBody),
        (status = 401, description = "Not signed by a pinned partner key", body = ErrorBody),
        (status = 403, description = "The agreement shares no evidence, or the request was refused", body = ErrorBody),
        (status = 404, description = "No such alert was shared with the partner under the agreement", body = ErrorBody),
    )
)]
/// A partner's signed request for the evidence bundle of a shared alert.
pub(crate) async fn evidence(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(fed), Some(ev)) = (&state.ctx.federation, &state.ctx.evidence) else {
        return error(StatusCode::FORBIDDEN, "this installation has no partners");
    };
    let Ok(_permit) = state.permit() else {
        return ApiError::Busy.into_response();
    };
    let mut ctx = ev.clone();
    ctx.zones = state.ctx.zones.borrow().set.clone();
    let alert = serde_json::from_slice::<EvidenceAsk>(&body)
        .ok()
        .map(|a| a.alert);
    let resp = match fed.answer_evidence(&body, signature(&headers), &ctx).await {
        Ok(Answer::Bundle(zip)) => zip_response("evidence.zip", zip),
        Ok(Answer::Pending(r)) => {
            let body = serde_json::to_vec(&Pending {
                state: "pending".into(),
                message: "held for the approval of this installation's administrator".into(),
                request: r,
            })
            .unwrap_or_default();
            json_response(StatusCode::ACCEPTED, body)
        }
        Ok(Answer::Refused(m)) => error(StatusCode::FORBIDDEN, m),
        Ok(Answer::NotShared(m)) => error(StatusCode::NOT_FOUND, m),
        Err(r) => refusal(r),
    };
    record(
        &state,
        fed,
        &body,
        "federation.evidence_request",
        "evidence",
        alert,
        resp,
    )
}

/// A zip download named `name`.
pub(crate) fn zip_response(name: &str, zip: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response()
}

/// `GET /api/v1/federation`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FederationView {
    /// This installation's `[federation] name` (null: none).
    pub name: Option<String>,
    /// This installation's public key, 64 hex digits, for partners to pin.
    pub public_key: Option<String>,
    /// Partner installations.
    pub partners: Vec<PartnerView>,
    /// Agreements, with their traffic.
    pub agreements: Vec<AgreementView>,
    /// Partners' evidence requests, newest first.
    pub evidence_requests: Vec<EvidenceRequest>,
}

/// A partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    /// Its name.
    pub id: String,
    /// Its API base.
    pub url: String,
    /// Its pinned key.
    pub public_key: String,
}

/// An agreement and its traffic.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    /// Its id.
    pub id: String,
    /// The partner.
    pub partner: String,
    /// Last day in force (`YYYY-MM-DD`), if any.
    pub expires: Option<String>,
    /// `in_force` or `expired`.
    pub state: String,
    /// What is shared (null: nothing).
    pub send: Option<SendView>,
    /// What is accepted (null: nothing).
    pub receive: Option<ReceiveView>,
    /// Changes shared, by delivery state.
    pub sent: SentView,
    /// Changes received under it.
    pub received: i64,
}

/// `[agreements.send]`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendView {
    /// Zones (null: all).
    pub zones: Option<Vec<String>>,
    /// Kinds (null: all).
    pub kinds: Option<Vec<String>>,
    /// States (null: all).
    pub states: Option<Vec<String>>,
    /// Hold-back, e.g. `0s`, `1h`.
    pub delay: String,
    /// What is withheld.
    pub redact: Vec<String>,
    /// `never`, `on_request` or `approve`.
    pub evidence: String,
}

/// `[agreements.receive]`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiveView {
    /// Local centres that see the partner's alerts.
    pub deliver_to: Vec<String>,
}

/// Delivery states of changes shared under an agreement.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SentView {
    /// Waiting (held back, or retrying).
    pub pending: i64,
    /// Acknowledged by the partner.
    pub delivered: i64,
    /// Given up or withdrawn.
    pub failed: i64,
}

fn policy(p: EvidencePolicy) -> &'static str {
    match p {
        EvidencePolicy::Never => "never",
        EvidencePolicy::OnRequest => "on_request",
        EvidencePolicy::Approve => "approve",
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/federation",
    operation_id = "get_federation",
    tag = "federation",
    responses(
        (status = 200, description = "Partners, agreements and evidence requests", body = FederationView),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    )
)]
/// Partners, agreements (in force or expired) with their traffic, and
/// partners' evidence requests (admin).
pub(crate) async fn status(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
) -> Result<Response, ApiError> {
    admin_only(&scope, "partners and agreements need an admin token")?;
    let Some(fed) = &state.ctx.federation else {
        return ok_json(&FederationView {
            name: None,
            public_key: None,
            partners: Vec::new(),
            agreements: Vec::new(),
            evidence_requests: Vec::new(),
        });
    };
    let store = state.store()?;
    let traffic = store.agreement_traffic().await?;
    let requests = store.evidence_requests(None, None).await?;
    let terms = fed.terms();
    let now = now_ms();
    let agreements = terms
        .agreements
        .iter()
        .map(|a| {
            let t = traffic.get(&a.id).cloned().unwrap_or_default();
            AgreementView {
                id: a.id.clone(),
                partner: a.partner.clone(),
                expires: a.expires.map(|d| d.to_string()),
                state: if a.in_force(now) {
                    "in_force"
                } else {
                    "expired"
                }
                .into(),
                send: a.send.as_ref().map(|s| SendView {
                    zones: s
                        .zones
                        .as_ref()
                        .map(|v| v.iter().map(|z| z.as_str().to_owned()).collect()),
                    kinds: s
                        .kinds
                        .as_ref()
                        .map(|v| v.iter().map(|k| k.as_str().to_owned()).collect()),
                    states: s
                        .states
                        .as_ref()
                        .map(|v| v.iter().map(|k| k.as_str().to_owned()).collect()),
                    delay: humantime::format_duration(s.delay).to_string(),
                    redact: s
                        .redact
                        .iter()
                        .map(|r: &Redaction| r.as_str().to_owned())
                        .collect(),
                    evidence: policy(s.evidence).into(),
                }),
                receive: a.receive.as_ref().map(|r| ReceiveView {
                    deliver_to: r.deliver_to.iter().map(|c| c.as_str().to_owned()).collect(),
                }),
                sent: SentView {
                    pending: t.pending,
                    delivered: t.delivered,
                    failed: t.failed,
                },
                received: t.received,
            }
        })
        .collect();
    ok_json(&FederationView {
        name: terms.name.clone(),
        public_key: Some(fed.public_key()),
        partners: terms
            .partners
            .iter()
            .map(|p| PartnerView {
                id: p.id.clone(),
                url: p.url.clone(),
                public_key: p.public_key.clone(),
            })
            .collect(),
        agreements,
        evidence_requests: requests,
    })
}

/// Who decides.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The administrator's name, for the record.
    #[serde(default)]
    pub by: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/federation/evidence_requests/{partner}/{request}/{decision}",
    operation_id = "decide_evidence_request",
    tag = "federation",
    params(
        ("partner" = String, Path, description = "The requesting partner"),
        ("request" = String, Path, description = "The partner's id for the request"),
        ("decision" = String, Path, description = "`approve` or `refuse`", pattern = "^(approve|refuse)$"),
    ),
    request_body(content = Decision, content_type = "application/json"),
    responses(
        (status = 200, description = "Decided", body = EvidenceRequest),
        (status = 400, description = "A bad decision or body", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody),
    )
)]
/// Approves or refuses a partner's evidence request held for approval (admin).
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    Path((partner, request, decision)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&scope, "partners and agreements need an admin token")?;
    super::params::text("partner", &partner)?;
    super::params::text("request", &request)?;
    let to = match decision.as_str() {
        "approve" => "approved",
        "refuse" => "refused",
        d => {
            return Err(ApiError::bad(
                "decision",
                format!("must be approve or refuse, not {d:?}"),
            ))
        }
    };
    let d: Decision = if body.iter().all(u8::is_ascii_whitespace) {
        Decision::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad("body", e.to_string()))?
    };
    let by = d.by.unwrap_or_else(|| "admin".into());
    if by.chars().any(char::is_control) || by.chars().count() > 200 {
        return Err(ApiError::bad(
            "by",
            "at most 200 characters, no control characters",
        ));
    }
    let store = state.store()?;
    let decided = store
        .decide_evidence_request(&partner, &request, "pending", to, Some(&by), now_ms())
        .await?;
    let now = store
        .evidence_requests(Some((&partner, &request)), None)
        .await?
        .pop();
    match (decided, now) {
        (_, None) => Err(ApiError::NotFound(format!(
            "no evidence request {request:?} of {partner:?}"
        ))),
        (false, Some(r)) => Err(ApiError::Conflict(format!(
            "the request is {} already",
            r.state
        ))),
        (true, Some(r)) => {
            tracing::info!(partner = %partner, request = %request, decision = to, by = %by, "Partner evidence request decided.");
            ok_json(&r)
        }
    }
}
