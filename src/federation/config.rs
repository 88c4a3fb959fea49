//! `[federation]`, `[[partners]]` and `[[agreements]]`: who this
//! installation is to its partners, whose keys it pins, and what it shares
//! with and accepts from each of them.

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use aiswatch_core::ids::{CentreId, ZoneId};
use aiswatch_core::time::Millis;
use aiswatch_engine::alert::{Kind, State};

/// `[federation]`: this installation as its partners know it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FederationConfig {
    /// This installation's name: the `id` its partners give it in their
    /// `[[partners]]`. Needed once any partner is configured.
    pub name: Option<String>,
}

/// `[[partners]]`: a partner installation.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartnerConfig {
    /// The partner's own `[federation] name`.
    pub id: String,
    /// Its API base (`https://…`); its inbox is `POST {url}/api/v1/federation/inbox`.
    pub url: String,
    /// Its Ed25519 public key, 64 hex digits (`aiswatch key show` there):
    /// nothing signed by another key is accepted as coming from it.
    pub public_key: String,
}

/// `[[agreements]]`: what is shared with one partner, and accepted from it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgreementConfig {
    /// The same id on both sides.
    pub id: String,
    /// The partner's `id`.
    pub partner: String,
    /// Last day in force (`YYYY-MM-DD`, through 23:59:59 UTC); none: no end.
    #[serde(default)]
    pub expires: Option<chrono::NaiveDate>,
    /// What this installation shares; none: nothing.
    #[serde(default)]
    pub send: Option<SendTerms>,
    /// What it accepts from the partner; none: nothing.
    #[serde(default)]
    pub receive: Option<ReceiveTerms>,
}

impl AgreementConfig {
    /// Wall-clock ms after which the agreement is no longer in force.
    pub fn expires_at(&self) -> Option<Millis> {
        self.expires.map(|d| {
            d.succ_opt()
                .unwrap_or(d)
                .and_hms_opt(0, 0, 0)
                .map_or(Millis::MAX, |t| t.and_utc().timestamp_millis())
        })
    }

    /// In force at wall-clock `now`.
    pub fn in_force(&self, now: Millis) -> bool {
        self.expires_at().is_none_or(|e| now < e)
    }
}

/// `[agreements.send]`: which alert changes go to the partner, and how.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SendTerms {
    /// Zones whose alerts are shared; none: every zone.
    pub zones: Option<Vec<ZoneId>>,
    /// Alert kinds shared; none: every kind.
    pub kinds: Option<Vec<Kind>>,
    /// Alert states shared (`open`, `update`, `closed`); none: all.
    pub states: Option<Vec<State>>,
    /// How long each change is held back before it is sent (wall clock).
    #[serde(with = "humantime_serde")]
    pub delay: Duration,
    /// What is withheld from everything shared (see [`Redaction`]).
    pub redact: Vec<Redaction>,
    /// Whether the partner may have the evidence bundle of a shared alert.
    pub evidence: EvidencePolicy,
}

impl SendTerms {
    /// Whether receivers are withheld.
    pub fn redacts_sources(&self) -> bool {
        self.redact.contains(&Redaction::Sources)
    }
}

/// A kind of information withheld from a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Redaction {
    /// Receivers: every station identifier, the source and peer a line
    /// came in on, and everything that locates a receiver (the stations
    /// that heard a vessel, were down, or judged a silence, and where). In
    /// evidence, each withheld value is replaced by a salted commitment.
    Sources,
}

impl Redaction {
    /// The name used in config, messages and bundles.
    pub fn as_str(self) -> &'static str {
        match self {
            Redaction::Sources => "sources",
        }
    }
}

/// `evidence` of `[agreements.send]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidencePolicy {
    /// Requests are refused.
    #[default]
    Never,
    /// Requests are answered at once.
    OnRequest,
    /// Requests wait for an administrator's approval.
    Approve,
}

/// `[agreements.receive]`: what becomes of the partner's alerts here.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiveTerms {
    /// The local centres (`[[centres]] id`) that see the partner's alerts;
    /// other centres never do (administrators always).
    pub deliver_to: Vec<CentreId>,
}

/// Whether `s` is 64 hex digits (an Ed25519 public key).
pub fn is_key_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Names usable in ids (`PARTNER/ALERT`), headers and file names.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Every problem of the federation tables, one message each naming its
/// key; `centres` are the declared `[[centres]]` ids.
pub fn problems(
    fed: &FederationConfig,
    partners: &[PartnerConfig],
    agreements: &[AgreementConfig],
    centres: &[CentreId],
) -> Vec<String> {
    let mut out = Vec::new();
    match &fed.name {
        Some(n) if !plain_name(n) => out.push(format!(
            "[federation] name {n:?}: letters, digits, '-', '_' and '.' only, at most 64"
        )),
        None if !partners.is_empty() || !agreements.is_empty() => out.push(
            "[federation] name is needed once [[partners]] or [[agreements]] are configured".into(),
        ),
        _ => {}
    }
    let mut ids = HashSet::new();
    for p in partners {
        let at = format!("[[partners]] id = {:?}", p.id);
        if !plain_name(&p.id) {
            out.push(format!(
                "{at}: letters, digits, '-', '_' and '.' only, at most 64"
            ));
        }
        if !ids.insert(p.id.as_str()) {
            out.push(format!("{at}: declared twice"));
        }
        if fed.name.as_deref() == Some(p.id.as_str()) {
            out.push(format!(
                "{at}: is this installation's own [federation] name"
            ));
        }
        if !(p.url.starts_with("http://") || p.url.starts_with("https://"))
            || reqwest::Url::parse(&p.url).is_err()
        {
            out.push(format!(
                "{at}: url {:?} must be an http:// or https:// URL",
                p.url
            ));
        }
        if !is_key_hex(&p.public_key) {
            out.push(format!("{at}: public_key must be 64 hex digits"));
        } else if super::envelope::verifying_key(&p.public_key).is_none() {
            out.push(format!("{at}: public_key is not an Ed25519 public key"));
        }
    }
    let mut agreement_ids = HashSet::new();
    for a in agreements {
        let at = format!("[[agreements]] id = {:?}", a.id);
        if !plain_name(&a.id) {
            out.push(format!(
                "{at}: letters, digits, '-', '_' and '.' only, at most 64"
            ));
        }
        if !agreement_ids.insert(a.id.as_str()) {
            out.push(format!("{at}: declared twice"));
        }
        if !partners.iter().any(|p| p.id == a.partner) {
            out.push(format!(
                "{at}: partner {:?} is not declared in [[partners]]",
                a.partner
            ));
        }
        if let Some(r) = &a.receive {
            for c in &r.deliver_to {
                if !centres.contains(c) {
                    out.push(format!(
                        "{at}: [agreements.receive] deliver_to: centre {:?} is not declared in [[centres]]",
                        c.as_str()
                    ));
                }
            }
        }
        if let Some(s) = &a.send {
            if s.delay > crate::config::MAX_DURATION {
                out.push(format!(
                    "{at}: [agreements.send] delay: at most {}",
                    humantime::format_duration(crate::config::MAX_DURATION)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_end_of_the_day_utc() {
        let a = AgreementConfig {
            id: "A".into(),
            partner: "P".into(),
            expires: Some(chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap()),
            send: None,
            receive: None,
        };
        let end = chrono::NaiveDate::from_ymd_opt(2028, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert!(a.in_force(end - 1));
        assert!(!a.in_force(end));
    }

    #[test]
    fn problems_name_the_table_and_key() {
        let cfg = crate::config::Config::parse(
            r#"
[[centres]]
id = "C1"
[[partners]]
id = "P"
url = "ftp://x"
public_key = "abc"
[[partners]]
id = "P"
url = "https://p.example"
public_key = "0000000000000000000000000000000000000000000000000000000000000000"
[[agreements]]
id = "AG"
partner = "NOBODY"
[agreements.receive]
deliver_to = ["C9"]
"#,
        )
        .expect("parses");
        let p = problems(
            &cfg.federation,
            &cfg.partners,
            &cfg.agreements,
            &["C1".into()],
        );
        let text = p.join("\n");
        for want in [
            "[federation] name is needed",
            "[[partners]] id = \"P\": url \"ftp://x\"",
            "[[partners]] id = \"P\": public_key must be 64 hex digits",
            "[[partners]] id = \"P\": declared twice",
            "[[agreements]] id = \"AG\": partner \"NOBODY\" is not declared",
            "deliver_to: centre \"C9\" is not declared",
        ] {
            assert!(text.contains(want), "{want:?} not in:\n{text}");
        }
        assert!(crate::config::Config::parse("[[agreements]]\nid = \"A\"\npartner = \"P\"\n[agreements.send]\nredact = [\"everything\"]\n").is_err());
    }
}
