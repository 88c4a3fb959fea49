//! Webhook channel, per the Standard Webhooks specification
//! (standardwebhooks.com), so centres verify with off-the-shelf libraries:
//! a POST of the alert JSON with `webhook-id` (the idempotency key, the
//! same on every retry), `webhook-timestamp` (unix seconds of this
//! attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, keyed by the base64 part of the
//! `whsec_…` secret). A 2xx answer is success; anything else fails the
//! attempt and the outbox retries it.

use base64::Engine as _;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::WebhookConfig;
use super::sink::{Channel, Message, SendError, Sink};

/// The spec's prefix of a signing secret.
const SECRET_PREFIX: &str = "whsec_";

/// Why a webhook cannot be set up from its `[centres.webhook]` table; each
/// message starts with the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    /// `url` does not parse.
    #[error("url {url:?}: {source}")]
    Url {
        /// The configured URL.
        url: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// `url` is neither `http://` nor `https://`.
    #[error("url {url:?}: the scheme must be http or https")]
    Scheme {
        /// The configured URL.
        url: String,
    },
    /// `secret_file` cannot be read.
    #[error("secret_file {}: {source}", path.display())]
    SecretFile {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Both `secret` and `secret_file`.
    #[error("give secret or secret_file, not both")]
    TwoSecrets,
    /// Neither `secret` nor `secret_file`.
    #[error("a secret (or secret_file) is required: whsec_<base64>")]
    NoSecret,
    /// The secret is not `whsec_<base64>`.
    #[error("secret is not whsec_<base64>: {0}")]
    SecretNotBase64(#[source] base64::DecodeError),
    /// The secret decodes to fewer than 16 bytes.
    #[error("secret too short: {0} bytes (the spec asks for 24 to 64)")]
    SecretTooShort(usize),
    /// The HTTP client cannot be built (TLS roots).
    #[error("HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// One centre's webhook.
pub struct WebhookSink {
    client: reqwest::Client,
    url: reqwest::Url,
    /// For messages: the URL without query or credentials.
    shown: String,
    key: Vec<u8>,
}

impl WebhookSink {
    /// A sink posting to `cfg.url`, signing with its secret.
    ///
    /// # Errors
    /// A bad URL, a missing or malformed secret, or an unreadable
    /// secret file, named.
    pub fn new(
        cfg: &WebhookConfig,
        timeout: std::time::Duration,
    ) -> Result<Self, WebhookConfigError> {
        let url = reqwest::Url::parse(&cfg.url).map_err(|source| WebhookConfigError::Url {
            url: cfg.url.clone(),
            source,
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookConfigError::Scheme {
                url: cfg.url.clone(),
            });
        }
        let secret = match (&cfg.secret, &cfg.secret_file) {
            (Some(s), None) => s.0.clone(),
            (None, Some(p)) => std::fs::read_to_string(p)
                .map_err(|source| WebhookConfigError::SecretFile {
                    path: p.clone(),
                    source,
                })?
                .trim()
                .to_owned(),
            (Some(_), Some(_)) => return Err(WebhookConfigError::TwoSecrets),
            (None, None) => return Err(WebhookConfigError::NoSecret),
        };
        let key = decode_secret(&secret)?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("aiswatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(WebhookConfigError::Client)?;
        let shown = format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        ) + url.path();
        Ok(WebhookSink {
            client,
            url,
            shown,
            key,
        })
    }
}

/// The key bytes of a `whsec_<base64>` secret.
fn decode_secret(secret: &str) -> Result<Vec<u8>, WebhookConfigError> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(WebhookConfigError::SecretNotBase64)?;
    if key.len() < 16 {
        return Err(WebhookConfigError::SecretTooShort(key.len()));
    }
    Ok(key)
}

/// The `webhook-signature` header value.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length: new_from_slice cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{sig}")
}

impl Sink for WebhookSink {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let ts = aiswatch_core::time::now_ms().div_euclid(1000);
            let resp = self
                .client
                .post(self.url.clone())
                .header("content-type", "application/json")
                .header("webhook-id", &msg.key)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    sign(&self.key, &msg.key, ts, &msg.body),
                )
                .body(msg.body.to_string())
                .send()
                .await
                .map_err(|e| SendError::caused(format!("POST {}", self.shown), e.without_url()))?;
            let status = resp.status();
            if status.is_success() {
                Ok(())
            } else {
                Err(SendError::new(format!(
                    "POST {}: HTTP {status}",
                    self.shown
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries' tests.
    #[test]
    fn signature_matches_the_reference_example() {
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn bad_secrets_are_named() {
        assert!(decode_secret("whsec_not base64!")
            .unwrap_err()
            .to_string()
            .contains("whsec_"));
        assert!(decode_secret("whsec_AAAA")
            .unwrap_err()
            .to_string()
            .contains("too short"));
        let cfg = WebhookConfig {
            url: "ftp://x".into(),
            secret: Some(crate::secret::Secret(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            )),
            secret_file: None,
        };
        let e = WebhookSink::new(&cfg, std::time::Duration::from_secs(1))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("scheme"), "{e}");
    }
}
