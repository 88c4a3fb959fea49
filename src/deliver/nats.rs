//! NATS JetStream delivery: one publish of the alert JSON per attempt,
//! with `Nats-Msg-Id: <centre>/<key>` ([`msg_id`]), acknowledged once the
//! stream stored it.
//!
//! The stream dedupes by that header (within its duplicate window, 2 min
//! by default), so a retry of a change the stream already has is answered
//! with a "duplicate" ack, which counts as delivered. The centre is part
//! of it because centres may share a stream: two centres' copies of one
//! change are two messages, not a duplicate.
//!
//! At connect the stream is made to hold the subject: created when missing,
//! or given the subject when it exists without it (centres may share one
//! stream, each with its own subject). async-nats reconnects by itself;
//! while it is away an attempt ends with an error after [`ACK_TIMEOUT`].
//!
//! TLS: a `tls://` URL, or a `ca_file` or client certificate, insists on
//! it; the server's certificate is verified against the system's roots or
//! the `ca_file`, with our rustls configuration ([`super::tls`]).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind, PublishErrorKind};
use async_nats::jetstream::stream::Config as StreamConfig;
use async_nats::jetstream::{self, ErrorCode};
use async_nats::{header, ConnectOptions, HeaderMap};
use futures_util::future::BoxFuture;

use super::config::NatsConfig;
use super::sink::{Channel, Message, SendError, Sink};
use super::tls::TlsError;
use aiswatch_core::ids::CentreId;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one attempt waits for the JetStream ack (also the timeout of
/// the stream management requests).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Rounds of "read the stream, create or extend it" before giving up, when
/// another client changes it at the same time.
const ENSURE_ROUNDS: usize = 4;

/// Publishes alerts of one centre to a NATS JetStream stream.
pub struct NatsSink {
    /// `url subject`, for errors.
    target: String,
    subject: String,
    stream: String,
    js: jetstream::Context,
}

impl NatsSink {
    /// Connects to `cfg.url` and makes `cfg.stream` hold `cfg.subject`.
    ///
    /// # Errors
    /// A bad URL or subject, an unreadable credentials or TLS file, no
    /// server (or one whose certificate does not verify), or a stream that
    /// cannot be created or extended; the message names the URL, subject
    /// and stream.
    pub async fn connect(centre: &CentreId, cfg: &NatsConfig) -> Result<NatsSink, SendError> {
        let tls = tls_config(cfg).map_err(|e| {
            SendError::caused(format!("NATS {} subject {}", cfg.url, cfg.subject), e)
        })?;
        Self::connect_with(centre, cfg, tls).await
    }

    /// [`NatsSink::connect`] with the TLS configuration already made by
    /// [`tls_config`] (the daemon makes it at start, connects on first use).
    ///
    /// # Errors
    /// As [`NatsSink::connect`].
    pub async fn connect_with(
        centre: &CentreId,
        cfg: &NatsConfig,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<NatsSink, SendError> {
        let target = format!("NATS {} subject {}", cfg.url, cfg.subject);
        check_subject(&cfg.subject).map_err(|e| SendError::caused(target.clone(), e))?;
        let mut options = ConnectOptions::new()
            .name(format!("aiswatch-{centre}"))
            .connection_timeout(CONNECT_TIMEOUT);
        if let Some(tls) = tls {
            options = options
                .require_tls(true)
                .tls_client_config(Arc::unwrap_or_clone(tls));
        }
        if let Some(path) = &cfg.credentials_file {
            options = options.credentials_file(path).await.map_err(|e| {
                SendError::caused(format!("{target}: credentials_file {}", path.display()), e)
            })?;
        }
        let client = options
            .connect(cfg.url.as_str())
            .await
            .map_err(|e| SendError::caused(format!("{target}: connect failed"), e))?;
        let mut js = jetstream::new(client);
        js.set_timeout(ACK_TIMEOUT);
        let sink = NatsSink {
            target,
            subject: cfg.subject.clone(),
            stream: cfg.stream.clone(),
            js,
        };
        sink.ensure_stream().await?;
        Ok(sink)
    }

    /// The JetStream context, for tests and tools that inspect the stream.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    fn error(&self, what: &str) -> SendError {
        SendError::new(format!("{}: {what}", self.target))
    }

    fn caused(
        &self,
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> SendError {
        SendError::caused(format!("{}: {what}", self.target), source)
    }

    /// Creates the stream with our subject, or adds the subject to it.
    /// Reads back after a change, since a concurrent update by another
    /// centre may have replaced the subject list.
    async fn ensure_stream(&self) -> Result<(), SendError> {
        let name = self.stream.as_str();
        for _ in 0..ENSURE_ROUNDS {
            let config = match self.js.get_stream(name).await {
                Ok(stream) => stream.cached_info().config.clone(),
                Err(e) if is_stream_not_found(&e.kind()) => {
                    let config = StreamConfig {
                        name: name.to_owned(),
                        subjects: vec![self.subject.clone()],
                        ..Default::default()
                    };
                    match self.js.create_stream(config).await {
                        Ok(_) => {
                            tracing::info!(stream = name, subject = %self.subject, "JetStream stream created.")
                        }
                        Err(e) if is_name_taken(&e.kind()) => {}
                        Err(e) => {
                            return Err(self.caused(&format!("stream {name}: create failed"), e))
                        }
                    }
                    continue;
                }
                Err(e) => return Err(self.caused(&format!("stream {name}: lookup failed"), e)),
            };
            if holds(&config, &self.subject) {
                return Ok(());
            }
            let mut config = config;
            config.subjects.push(self.subject.clone());
            self.js.update_stream(config).await.map_err(|e| {
                self.caused(&format!("stream {name}: adding the subject failed"), e)
            })?;
            tracing::info!(stream = name, subject = %self.subject, "JetStream stream given the subject.");
        }
        Err(self.error(&format!(
            "stream {name}: still without the subject after {ENSURE_ROUNDS} rounds (changed concurrently?)"
        )))
    }

    /// One publish and its ack.
    async fn publish(&self, msg: &Message) -> Result<jetstream::publish::PublishAck, SendError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::NATS_MESSAGE_ID, msg_id(msg).as_str());
        let payload = msg.body.as_bytes().to_vec().into();
        let ack = self
            .js
            .publish_with_headers(self.subject.clone(), headers, payload)
            .await
            .map_err(|e| self.caused("publish failed", e))?;
        match ack.await {
            Ok(ack) => Ok(ack),
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                // Someone removed the stream or our subject from it: put it
                // back so that the outbox's next attempt succeeds.
                let healed = match self.ensure_stream().await {
                    Ok(()) => "subject restored".to_owned(),
                    Err(e) => e.to_string(),
                };
                Err(self.error(&format!(
                    "no stream holds the subject ({healed}); not stored"
                )))
            }
            Err(e) => Err(self.caused("no JetStream ack", e)),
        }
    }
}

/// The `Nats-Msg-Id` of `msg`: `<centre>/<alert id>/<change>`, the same
/// on every attempt.
pub fn msg_id(msg: &Message) -> String {
    format!("{}/{}", msg.centre.as_str(), msg.key)
}

impl Sink for NatsSink {
    fn channel(&self) -> Channel {
        Channel::Nats
    }

    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            // async-nats bounds each step by ACK_TIMEOUT; this bounds the
            // sum, e.g. a full command queue while reconnecting.
            let ack = tokio::time::timeout(2 * ACK_TIMEOUT, self.publish(msg))
                .await
                .map_err(|_| {
                    self.error(&format!("no JetStream ack within {:?}", 2 * ACK_TIMEOUT))
                })??;
            if ack.duplicate {
                tracing::debug!(stream = %ack.stream, key = %msg.key, "JetStream already had it.");
            }
            Ok(())
        })
    }
}

/// The TLS client configuration of a channel that insists on TLS (a
/// `tls://` URL, a `ca_file` or a client certificate), its files read and
/// checked; `None` for plain `nats://`, where a server that asks for TLS
/// still gets it, verified against the system's roots.
///
/// # Errors
/// TLS files that cannot be used, named.
pub fn tls_config(cfg: &NatsConfig) -> Result<Option<Arc<rustls::ClientConfig>>, TlsError> {
    let files = cfg.tls_files();
    let tls_url = cfg
        .url
        .split(',')
        .any(|u| u.trim().to_ascii_lowercase().starts_with("tls://"));
    if !tls_url && !files.any() {
        return Ok(None);
    }
    super::tls::client_config(&files).map(Some)
}

fn is_stream_not_found(kind: &GetStreamErrorKind) -> bool {
    matches!(kind, GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

fn is_name_taken(kind: &CreateStreamErrorKind) -> bool {
    matches!(kind, CreateStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NAME_EXIST)
}

/// Whether a stream with `config` stores messages published to `subject`.
fn holds(config: &StreamConfig, subject: &str) -> bool {
    if config.subjects.is_empty() {
        // A stream without subjects takes its name as the subject.
        return config.name == subject;
    }
    config.subjects.iter().any(|p| subject_matches(p, subject))
}

/// Whether the subject pattern `pattern` (with `*` and `>` wildcards)
/// matches the literal `subject`.
fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut tokens = subject.split('.');
    for p in pattern.split('.') {
        match (p, tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (p, Some(t)) if p == t => {}
            _ => return false,
        }
    }
    tokens.next().is_none()
}

/// A subject that cannot be published to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bad subject: want dot-separated tokens without wildcards or spaces")]
pub struct BadSubject;

/// A subject one may publish to: dot-separated non-empty tokens, no
/// wildcards or white space.
fn check_subject(subject: &str) -> Result<(), BadSubject> {
    let bad = subject.is_empty()
        || subject.contains(char::is_whitespace)
        || subject
            .split('.')
            .any(|t| t.is_empty() || t == "*" || t == ">");
    if bad {
        return Err(BadSubject);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_subjects_match_like_the_server() {
        assert!(subject_matches("alerts.gog", "alerts.gog"));
        assert!(subject_matches("alerts.*", "alerts.gog"));
        assert!(subject_matches("alerts.>", "alerts.gog.x"));
        assert!(subject_matches(">", "a"));
        assert!(!subject_matches("alerts.*", "alerts.gog.x"));
        assert!(!subject_matches("alerts.>", "alerts"));
        assert!(!subject_matches("alerts.gog", "alerts.gog.x"));
        assert!(!subject_matches("alerts.gog.x", "alerts.gog"));
    }

    #[test]
    fn a_stream_holds_its_subjects_or_its_name() {
        let mut c = StreamConfig {
            name: "S".into(),
            ..Default::default()
        };
        assert!(holds(&c, "S"));
        assert!(!holds(&c, "a"));
        c.subjects = vec!["a.*".into(), "b".into()];
        assert!(holds(&c, "a.x") && holds(&c, "b"));
        assert!(!holds(&c, "c"));
    }

    #[test]
    fn publish_subjects_have_no_wildcards() {
        assert!(check_subject("aiswatch.alerts.gog").is_ok());
        for bad in ["", "a.*", "a.>", "a..b", "a b", ".a"] {
            assert!(check_subject(bad).is_err(), "{bad}");
        }
    }
}
