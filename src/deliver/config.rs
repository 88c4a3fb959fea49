//! `[[centres]]` and `[delivery]`: the regional centres alerts are routed
//! to, their push channels, and how deliveries are retried.
//!
//! A centre's `api_tokens` live here too (one `[[centres]]` table in the
//! file); the root configuration turns them into the API's token table.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::sink::Channel;
use super::tls::TlsFiles;
use crate::secret::Secret;
use aiswatch_core::ids::CentreId;

/// `[[centres]]`: a regional centre that receives the alerts of the zones
/// naming it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CentreConfig {
    /// The id zones name in their `centre` property.
    pub id: CentreId,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// Tokens of this centre's users: they see only this centre's alerts.
    #[serde(default)]
    pub api_tokens: Vec<Secret>,
    /// Files holding one token each.
    #[serde(default)]
    pub api_token_files: Vec<PathBuf>,
    /// The centre's language, a BCP 47 tag (`fr`, `pt-AO`): its alert
    /// summaries, on every channel and on the API with its tokens, and its
    /// officers' console are in this language (English where the catalog
    /// lacks a message). Default `en`; a tag must have a catalog in
    /// `locales/`.
    #[serde(default)]
    pub language: Option<String>,
    /// Alert kinds pushed to this centre (its channels and the live
    /// stream). Default: all.
    #[serde(default)]
    pub kinds: Option<Vec<aiswatch_engine::alert::Kind>>,
    /// Standard Webhooks POST of every alert state change.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// MQTT publish (QoS 1) of every alert state change.
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
    /// NATS JetStream publish of every alert state change.
    #[serde(default)]
    pub nats: Option<NatsConfig>,
}

impl CentreConfig {
    /// The catalog this centre reads (`en` when no language is set, or
    /// the set one has no catalog: the configuration check refuses that).
    pub fn lang(&self) -> &'static str {
        let catalogs = aiswatch_i18n::Catalogs::shipped();
        self.language
            .as_deref()
            .and_then(|t| catalogs.negotiate(t))
            .unwrap_or(aiswatch_i18n::ENGLISH)
    }

    /// The push channels this centre has.
    pub fn channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.webhook.is_some() {
            out.push(Channel::Webhook);
        }
        if self.mqtt.is_some() {
            out.push(Channel::Mqtt);
        }
        if self.nats.is_some() {
            out.push(Channel::Nats);
        }
        out
    }
}

/// `[centres.webhook]`: Standard Webhooks (standardwebhooks.com).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (`http://` or `https://`).
    pub url: String,
    /// Signing secret, `whsec_<base64>`.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// File holding the secret instead.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

/// `[centres.mqtt]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://HOST:PORT`, or `mqtts://HOST:PORT` for TLS (port 8883 by
    /// default).
    pub url: String,
    /// Topic the alert JSON is published to.
    pub topic: String,
    /// MQTT client id. Default: `aiswatch-<centre id>`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// User name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password, if the broker wants one.
    #[serde(default)]
    pub password: Option<Secret>,
    /// File holding the password instead.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM CA certificate(s) the broker's certificate must chain to,
    /// instead of the system's roots (a centre's private PKI). Needs
    /// `mqtts://`, as do the client certificate and key.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) for mutual TLS, with `client_key_file`.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of `client_cert_file` (may be the same file).
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
}

impl MqttConfig {
    /// The TLS files of this channel.
    pub fn tls_files(&self) -> TlsFiles<'_> {
        TlsFiles {
            ca_file: self.ca_file.as_deref(),
            client_cert_file: self.client_cert_file.as_deref(),
            client_key_file: self.client_key_file.as_deref(),
        }
    }
}

/// `[centres.nats]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// `nats://HOST:PORT`, or `tls://HOST:PORT` to insist on TLS (a
    /// `nats://` server that asks for TLS gets it too).
    pub url: String,
    /// Subject the alert JSON is published to.
    pub subject: String,
    /// JetStream stream holding the subject; created, or extended with the
    /// subject, when missing. Default: `AISWATCH_ALERTS`.
    #[serde(default = "default_nats_stream")]
    pub stream: String,
    /// Credentials file (`.creds`), if the server wants one.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// PEM CA certificate(s) the broker's certificate must chain to,
    /// instead of the system's roots (a centre's private PKI). Setting
    /// it, or the client certificate and key, insists on TLS.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) for mutual TLS, with `client_key_file`.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of `client_cert_file` (may be the same file).
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
}

impl NatsConfig {
    /// The TLS files of this channel.
    pub fn tls_files(&self) -> TlsFiles<'_> {
        TlsFiles {
            ca_file: self.ca_file.as_deref(),
            client_cert_file: self.client_cert_file.as_deref(),
            client_key_file: self.client_key_file.as_deref(),
        }
    }
}

fn default_nats_stream() -> String {
    "AISWATCH_ALERTS".into()
}

/// `[delivery]`: retries of the push channels.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// A delivery still failing this long after the change was stored is
    /// dead-lettered (`GET /api/v1/deliveries?state=failed`).
    #[serde(with = "humantime_serde")]
    pub give_up_after: Duration,
    /// First retry delay; doubled on each failure, with jitter.
    #[serde(with = "humantime_serde")]
    pub min_backoff: Duration,
    /// Longest retry delay.
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
    /// One attempt's time limit (connect, send, acknowledgement).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Deliveries of different alerts in flight at once, per centre and channel.
    pub concurrency: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            give_up_after: Duration::from_secs(24 * 3600),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            concurrency: 16,
        }
    }
}

/// `[delivery]` and the centres' channels: sane limits, one secret source
/// each, URLs of the right scheme, TLS files readable and well-formed (read
/// here). The first problem found, naming its key and file (centres and
/// channels are few). Zero and overlong values are the root
/// configuration's bounds check.
pub fn first_problem(d: &DeliveryConfig, centres: &[CentreConfig]) -> Option<String> {
    if d.max_backoff < d.min_backoff {
        return Some("[delivery] max_backoff must not be below min_backoff".into());
    }
    let scheme = |c: &CentreConfig, key: &str, url: &str, ok: &[&str]| {
        let s = url.split("://").next().unwrap_or("");
        if url.contains("://") && ok.contains(&s) {
            None
        } else {
            Some(format!(
                "[[centres]] id = {:?}: [centres.{key}] url {url:?} must start with {}",
                c.id.as_str(),
                ok.iter()
                    .map(|o| format!("{o}://"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
        }
    };
    for c in centres {
        if let Some(w) = &c.webhook {
            if let Some(p) = scheme(c, "webhook", &w.url, &["http", "https"]) {
                return Some(p);
            }
            if w.secret.is_some() == w.secret_file.is_some() {
                return Some(format!(
                    "[[centres]] id = {:?}: [centres.webhook] needs exactly one of secret and secret_file",
                    c.id.as_str()
                ));
            }
        }
        if let Some(m) = &c.mqtt {
            if let Some(p) = scheme(c, "mqtt", &m.url, &["mqtt", "mqtts", "tcp"]) {
                return Some(p);
            }
            if m.topic.is_empty() || m.topic.contains(['+', '#']) {
                return Some(format!(
                    "[[centres]] id = {:?}: [centres.mqtt] topic {:?} must be a plain topic (no wildcards)",
                    c.id.as_str(),
                    m.topic
                ));
            }
            if let Err(e) = super::mqtt::tls_config(m) {
                return Some(format!(
                    "[[centres]] id = {:?}: [centres.mqtt] {e}",
                    c.id.as_str()
                ));
            }
        }
        if let Some(n) = &c.nats {
            if let Some(p) = scheme(c, "nats", &n.url, &["nats", "tls"]) {
                return Some(p);
            }
            if n.subject.is_empty() || n.subject.contains(['*', '>', ' ']) || n.stream.is_empty() {
                return Some(format!(
                    "[[centres]] id = {:?}: [centres.nats] subject {:?} must be a plain subject (no wildcards) and stream non-empty",
                    c.id.as_str(),
                    n.subject
                ));
            }
            if let Err(e) = super::nats::tls_config(n) {
                return Some(format!(
                    "[[centres]] id = {:?}: [centres.nats] {e}",
                    c.id.as_str()
                ));
            }
        }
    }
    None
}
