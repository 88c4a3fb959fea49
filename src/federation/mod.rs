//! Sharing with partner installations: a regional network of sovereign
//! installations, each with its own receivers, store and key, exchanging
//! alerts under written agreements, signed end to end.
//!
//! ```text
//!  engine ─▶ store ─(outbox: channel `partner`)─▶ PartnerSink ──signed POST──▶ partner's inbox
//!  partner ──signed POST──▶ /api/v1/federation/inbox ─▶ store (alert PARTNER/ID) ─▶ outbox ─▶ local centres
//! ```
//!
//! - Identity: the installation key (`<data_dir>/keys/evidence_ed25519`,
//!   the evidence key) and `[federation] name`. Partners pin each other's
//!   public keys (`aiswatch key show`); nothing else is accepted.
//! - Outgoing: an alert change covered by an agreement's
//!   `[agreements.send]` (zones, kinds, states) is queued in the same
//!   transaction as the change, held back `delay`, and delivered by the
//!   outbox (at least once, in order per alert, retried, dead-lettered) as
//!   a signed [`envelope::Change`], with what `redact` names withheld
//!   ([`redact`]). The agreement is looked up again when each change goes:
//!   one removed or expired since stops it (dead-lettered, not sent).
//! - Incoming: see [`inbox`]; a partner's alert is stored as
//!   `PARTNER/ORIGINAL_ID` with `origin`, for the centres
//!   `[agreements.receive] deliver_to` names only, and never shared on.
//! - Evidence: see [`evidence`].
//! - Accountability: the audit trail's signed checkpoints go to every
//!   partner with an agreement in force, through the same outbox
//!   ([`envelope::CheckpointNote`] to `/api/v1/federation/checkpoints`);
//!   partners' checkpoints are kept (`GET /api/v1/federation/checkpoints/{partner}`)
//!   so that a partner's rewritten chain is caught against them.
//! - Partners and agreements are reloaded from the config file on SIGHUP
//!   and when it changes ([`reload`]); the rest of the file is read at start.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use prometheus::{IntCounterVec, Opts, Registry};
use tokio::sync::watch;

use crate::deliver::hub::Hub;
use crate::deliver::sink::Share;
use crate::storage::Store;
use aiswatch_core::ids::CentreId;
use aiswatch_core::time::{now_ms, Millis};

pub mod config;
pub mod envelope;
pub mod evidence;
pub mod inbox;
pub mod redact;
pub mod reload;
pub mod sink;

pub use config::{
    AgreementConfig, EvidencePolicy, FederationConfig, PartnerConfig, ReceiveTerms, Redaction,
    SendTerms,
};

/// The partners and agreements in force: the federation tables of the
/// configuration as last (re)loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    /// This installation's name.
    pub name: Option<String>,
    /// Partner installations.
    pub partners: Vec<PartnerConfig>,
    /// Agreements with them.
    pub agreements: Vec<AgreementConfig>,
}

impl Terms {
    /// The federation tables of `cfg`.
    pub fn of(cfg: &crate::config::Config) -> Terms {
        Terms {
            name: cfg.federation.name.clone(),
            partners: cfg.partners.clone(),
            agreements: cfg.agreements.clone(),
        }
    }

    /// Partner `id`.
    pub fn partner(&self, id: &str) -> Option<&PartnerConfig> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// Agreement `id` with `partner`.
    pub fn agreement(&self, id: &str, partner: &str) -> Option<&AgreementConfig> {
        self.agreements
            .iter()
            .find(|a| a.id == id && a.partner == partner)
    }

    /// What each partner is sent (agreements with `[agreements.send]`).
    pub fn shares(&self) -> Arc<[Share]> {
        self.agreements
            .iter()
            .filter_map(|a| {
                let s = a.send.as_ref()?;
                Some(Share {
                    partner: CentreId::from(a.partner.as_str()),
                    agreement: a.id.clone(),
                    zones: s.zones.clone(),
                    kinds: s.kinds.clone(),
                    states: s.states.clone(),
                    delay_ms: s.delay.as_millis().min(Millis::MAX as u128) as Millis,
                    expires_at: a.expires_at(),
                })
            })
            .collect()
    }
}

/// The terms in force, updated on every reload.
pub type LiveTerms = watch::Receiver<Arc<Terms>>;

/// Counters of what crossed the border.
#[derive(Clone)]
pub struct FederationMetrics {
    /// Messages to the inbox, by partner and result.
    pub received: IntCounterVec,
    /// Evidence requests, by partner and result.
    pub evidence: IntCounterVec,
}

impl FederationMetrics {
    /// Creates the counters and registers them in `registry`.
    ///
    /// # Errors
    /// A metric of the same name is already registered.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let received = IntCounterVec::new(
            Opts::new(
                "aiswatch_federation_received_total",
                "Messages to the federation inbox, by partner (\"unknown\" for an unpinned sender) and result (accepted, duplicate, unauthorized, forbidden, malformed).",
            ),
            &["partner", "result"],
        )?;
        let evidence = IntCounterVec::new(
            Opts::new(
                "aiswatch_federation_evidence_requests_total",
                "Partners' evidence requests, by partner and result (served, pending, refused, unauthorized, forbidden, malformed).",
            ),
            &["partner", "result"],
        )?;
        registry.register(Box::new(received.clone()))?;
        registry.register(Box::new(evidence.clone()))?;
        Ok(Self { received, evidence })
    }
}

/// Everything sharing needs at run time. Cheap to share (`Arc`).
pub struct Federation {
    /// The partners and agreements in force.
    pub terms: LiveTerms,
    /// The installation key: signs what is sent.
    pub key: Arc<SigningKey>,
    /// Where partners' alerts are stored.
    pub store: Store,
    /// Announces partners' alerts to the live stream and the outbox.
    pub hub: Arc<Hub>,
    /// HTTP client for partners' inboxes and evidence requests.
    pub client: reqwest::Client,
    /// Counters.
    pub metrics: FederationMetrics,
    /// Where what is sent and received is recorded.
    pub audit: crate::audit::Audit,
}

impl Federation {
    /// The terms now.
    pub fn terms(&self) -> Arc<Terms> {
        self.terms.borrow().clone()
    }

    /// Who is sent the audit trail's checkpoints: every partner with an
    /// agreement in force, with the first such agreement.
    pub fn checkpoint_partners(&self) -> Vec<(String, String)> {
        let terms = self.terms();
        let now = now_ms();
        terms
            .partners
            .iter()
            .filter_map(|p| {
                let a = terms
                    .agreements
                    .iter()
                    .find(|a| a.partner == p.id && a.in_force(now))?;
                Some((p.id.clone(), a.id.clone()))
            })
            .collect()
    }

    /// This installation's public key, 64 hex digits.
    pub fn public_key(&self) -> String {
        crate::evidence::key::public_hex(&self.key.verifying_key())
    }
}

/// Sharing as `cfg` configures it: the terms in force (with the sender
/// that puts reloaded ones in force) and the store's shares set.
///
/// # Errors
/// The metrics cannot be registered.
pub fn start(
    cfg: &crate::config::Config,
    store: &Store,
    hub: &Arc<Hub>,
    key: Arc<SigningKey>,
    registry: &Registry,
    audit: crate::audit::Audit,
) -> Result<(Arc<Federation>, watch::Sender<Arc<Terms>>), prometheus::Error> {
    let terms = Terms::of(cfg);
    store.set_shares(terms.shares());
    let (tx, rx) = watch::channel(Arc::new(terms));
    let client = reqwest::Client::builder()
        .timeout(cfg.delivery.timeout)
        .connect_timeout(cfg.delivery.timeout)
        .build()
        .unwrap_or_default();
    let fed = Federation {
        terms: rx,
        key,
        store: store.clone(),
        hub: hub.clone(),
        client,
        metrics: FederationMetrics::register(registry)?,
        audit,
    };
    Ok((Arc::new(fed), tx))
}

impl Federation {
    /// The outbox channel to partners (one value serves every partner:
    /// each message names its own).
    pub fn sink(self: &Arc<Self>) -> Arc<dyn crate::deliver::sink::Sink> {
        Arc::new(sink::PartnerSink::new(self.clone()))
    }
}

/// Wall-clock now as RFC 3339, for messages.
pub(crate) fn now_rfc3339() -> String {
    aiswatch_core::time::rfc3339(now_ms())
}

/// `{url}/api/v1/federation/{route}` of a partner.
pub(crate) fn partner_url(p: &PartnerConfig, route: &str) -> String {
    format!("{}/api/v1/federation/{route}", p.url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_the_agreements_that_send() {
        let cfg = crate::config::Config::parse(
            r#"
[federation]
name = "A"
[[partners]]
id = "B"
url = "http://127.0.0.1:1"
public_key = "0000000000000000000000000000000000000000000000000000000000000000"
[[agreements]]
id = "A-B-1"
partner = "B"
expires = "2027-12-31"
[agreements.send]
zones = ["z1"]
kinds = ["dark_period"]
delay = "1m"
redact = ["sources"]
evidence = "on_request"
[[agreements]]
id = "A-B-2"
partner = "B"
[agreements.receive]
deliver_to = []
"#,
        )
        .expect("parses");
        let t = Terms::of(&cfg);
        let s = t.shares();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].agreement, "A-B-1");
        assert_eq!(s[0].delay_ms, 60_000);
        assert!(s[0].expires_at.is_some());
        assert_eq!(
            t.agreement("A-B-1", "B")
                .and_then(|a| a.send.as_ref())
                .map(|s| s.evidence),
            Some(EvidencePolicy::OnRequest)
        );
        assert!(t.agreement("A-B-1", "C").is_none());
    }
}
