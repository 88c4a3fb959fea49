//! ⑤ The outbox: every alert state change is in the store (with one
//! pending delivery per routed centre and channel) before anything is
//! sent; one worker per centre and channel then delivers them, at least
//! once, through failures and restarts.
//!
//! - Order: a worker takes, for each alert, only its first pending change,
//!   so one alert's changes arrive in order (never `closed` before `open`);
//!   changes of different alerts go concurrently.
//! - Independence: each centre and channel has its own worker, so a slow
//!   or dead centre delays no other.
//! - Retries: capped exponential backoff with jitter; past
//!   `[delivery] give_up_after` a delivery is dead-lettered (`failed`),
//!   listed by `GET /api/v1/deliveries?state=failed` and retried by
//!   `POST /api/v1/deliveries/{id}/retry`.
//! - Wake-up: the store writer signals every commit that carried alert
//!   changes ([`Hub`]); workers also look again once a second.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};
use tokio::sync::{watch, OnceCell};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::config::{CentreConfig, DeliveryConfig};
use super::hub::Hub;
use super::sink::{Channel, Message, SendError, Sink};
use crate::storage::delivery::{DueDelivery, Outcome};
use crate::storage::Store;
use aiswatch_core::ids::CentreId;
use aiswatch_core::time::{now_ms, Millis};

/// Deliveries taken per round of a worker.
const ROUND: usize = 256;
/// Longest a worker waits before looking at the outbox again.
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// Delivery metrics, per centre and channel.
pub struct DeliveryMetrics {
    attempts: IntCounterVec,
    failures: IntCounterVec,
    dead_letters: IntCounterVec,
    pending: IntGaugeVec,
    oldest_pending: GaugeVec,
    latency: HistogramVec,
}

impl DeliveryMetrics {
    /// Creates the metrics and registers them in `registry`.
    ///
    /// # Errors
    /// A metric of the same name is already registered.
    pub fn register(registry: &Registry) -> Result<Arc<Self>, prometheus::Error> {
        let labels = &["centre", "channel"];
        let counter = |name: &str, help: &str| -> Result<IntCounterVec, prometheus::Error> {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let m = DeliveryMetrics {
            attempts: counter(
                "aiswatch_delivery_attempts_total",
                "Delivery attempts of alert changes.",
            )?,
            failures: counter(
                "aiswatch_delivery_failures_total",
                "Failed delivery attempts (each retried until give_up_after).",
            )?,
            dead_letters: counter(
                "aiswatch_delivery_dead_letters_total",
                "Deliveries given up after give_up_after (state failed).",
            )?,
            pending: IntGaugeVec::new(
                Opts::new(
                    "aiswatch_outbox_pending",
                    "Deliveries waiting in the outbox.",
                ),
                labels,
            )?,
            oldest_pending: GaugeVec::new(
                Opts::new(
                    "aiswatch_outbox_oldest_pending_seconds",
                    "Age of the oldest pending delivery (0 when none).",
                ),
                labels,
            )?,
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "aiswatch_delivery_latency_seconds",
                    "From the engine emitting an alert change to its acknowledged delivery.",
                )
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0, 3600.0,
                ]),
                labels,
            )?,
        };
        registry.register(Box::new(m.pending.clone()))?;
        registry.register(Box::new(m.oldest_pending.clone()))?;
        registry.register(Box::new(m.latency.clone()))?;
        Ok(Arc::new(m))
    }
}

/// How a [`LazySink`] connects.
type Connect = Box<dyn Fn() -> BoxFuture<'static, Result<Arc<dyn Sink>, SendError>> + Send + Sync>;

/// Connects a channel on first use (a broker down at start must not stop
/// the daemon; the outbox keeps the changes until it is back).
pub struct LazySink {
    channel: Channel,
    what: String,
    connect: Connect,
    sink: OnceCell<Arc<dyn Sink>>,
}

impl LazySink {
    /// A sink that calls `connect` until it succeeds; `what` names it in errors.
    pub fn new(
        channel: Channel,
        what: String,
        connect: impl Fn() -> BoxFuture<'static, Result<Arc<dyn Sink>, SendError>>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        LazySink {
            channel,
            what,
            connect: Box::new(connect),
            sink: OnceCell::new(),
        }
    }
}

impl Sink for LazySink {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let sink = self
                .sink
                .get_or_try_init(|| (self.connect)())
                .await
                .map_err(|e| SendError::caused(format!("{}: cannot connect", self.what), e))?;
            sink.send(msg).await
        })
    }
}

/// Starts one worker per centre and channel; each ends when `cancel`
/// fires (attempts then in flight stay pending, for the next start).
pub fn spawn(
    store: Store,
    cfg: &DeliveryConfig,
    sinks: Sinks,
    hub: &Hub,
    metrics: Arc<DeliveryMetrics>,
    cancel: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    sinks
        .into_iter()
        .map(|(centre, sink)| {
            info!(centre = %centre, channel = sink.channel().as_str(), "Delivery worker started.");
            let w = Worker {
                lang: store.lang_of(&centre),
                store: store.clone(),
                centre,
                sink,
                cfg: cfg.clone(),
                wake: hub.wake_rx(),
                metrics: metrics.clone(),
            };
            tokio::spawn(w.run(cancel.clone()))
        })
        .collect()
}

struct Worker {
    store: Store,
    centre: CentreId,
    /// The language of the centre's summaries.
    lang: &'static str,
    sink: Arc<dyn Sink>,
    cfg: DeliveryConfig,
    wake: watch::Receiver<u64>,
    metrics: Arc<DeliveryMetrics>,
}

impl Worker {
    fn labels(&self) -> [&str; 2] {
        [self.centre.as_str(), self.sink.channel().as_str()]
    }

    async fn run(mut self, cancel: CancellationToken) {
        let channel = self.sink.channel();
        let mut next_look: Millis = 0;
        loop {
            let now = now_ms();
            let due = match self
                .store
                .due_deliveries(&self.centre, channel, now, ROUND)
                .await
            {
                Ok(d) => d,
                Err(e) => {
                    warn!(centre = %self.centre, channel = channel.as_str(), error = %e, "Outbox read failed; retrying.");
                    Vec::new()
                }
            };
            if !due.is_empty() {
                let round = futures_util::stream::iter(due)
                    .map(|d| self.attempt(d))
                    .buffer_unordered(self.cfg.concurrency.max(1))
                    .collect::<Vec<Outcome>>();
                // At shutdown, attempts in flight are dropped: they stay
                // pending and go again after the restart (at least once).
                let outcomes = tokio::select! {
                    o = round => o,
                    _ = cancel.cancelled() => break,
                };
                self.record(&outcomes, &cancel).await;
                continue;
            }
            // Nothing due: refresh the gauges, then sleep until a commit,
            // the next retry time, or the idle look.
            let mut wait = IDLE_LOOK;
            if now >= next_look {
                next_look = now + 1000;
                if let Ok((depth, next_at)) = self.store.outbox_depth(&self.centre, channel).await {
                    let l = self.labels();
                    self.metrics
                        .pending
                        .with_label_values(&l)
                        .set(depth.pending);
                    let age = depth
                        .oldest
                        .map_or(0.0, |o| (now - o).max(0) as f64 / 1000.0);
                    self.metrics.oldest_pending.with_label_values(&l).set(age);
                    if let Some(t) = next_at {
                        wait = wait.min(Duration::from_millis((t - now).max(0) as u64));
                    }
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.wake.changed() => if r.is_err() {
                    // The writer is gone (shutdown): poll until cancelled.
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(wait) => {}
                    }
                },
                _ = tokio::time::sleep(wait) => {}
            }
        }
        debug!(centre = %self.centre, channel = channel.as_str(), "Delivery worker stopped.");
    }

    /// One attempt of one delivery.
    async fn attempt(&self, d: DueDelivery) -> Outcome {
        let msg = Message {
            key: Message::key_for(&d.alert, d.seq),
            alert: d.alert.clone(),
            centre: self.centre.clone(),
            seq: d.seq,
            agreement: d.agreement.clone(),
            // A partner's installation gets the change as stored (and
            // says it in its own centres' languages).
            body: if d.checkpoint.is_some() || self.sink.channel() == Channel::Partner {
                d.json.into()
            } else {
                crate::localize::alert_json(&d.json, self.lang).into()
            },
            checkpoint: d.checkpoint,
        };
        let l = self.labels();
        self.metrics.attempts.with_label_values(&l).inc();
        let res = match tokio::time::timeout(self.cfg.timeout, self.sink.send(&msg)).await {
            Ok(r) => r,
            Err(_) => Err(SendError::new(format!(
                "no acknowledgement within {}",
                humantime::format_duration(self.cfg.timeout)
            ))),
        };
        let now = now_ms();
        match res {
            Ok(()) => {
                let secs = (now - d.created_at).max(0) as f64 / 1000.0;
                self.metrics.latency.with_label_values(&l).observe(secs);
                Outcome::Delivered { id: d.id, at: now }
            }
            Err(e) => {
                let error = e.to_string();
                self.metrics.failures.with_label_values(&l).inc();
                let give_up = ms(self.cfg.give_up_after);
                if e.permanent || now - d.since >= give_up {
                    self.metrics.dead_letters.with_label_values(&l).inc();
                    warn!(centre = %self.centre, channel = l[1], alert = %d.alert, change = d.seq, delivery = d.id, attempts = d.attempts + 1, %error,
                        "Delivery given up (dead letter); retry with POST /api/v1/deliveries/DELIVERY/retry.");
                    return Outcome::Failed { id: d.id, error };
                }
                if d.attempts == 0 {
                    warn!(centre = %self.centre, channel = l[1], alert = %d.alert, change = d.seq, %error, "Delivery failed; retrying.");
                } else {
                    debug!(centre = %self.centre, channel = l[1], alert = %d.alert, change = d.seq, attempts = d.attempts + 1, %error, "Delivery failed again.");
                }
                let next_at = now + backoff(&self.cfg, d.attempts, d.id);
                Outcome::Retry {
                    id: d.id,
                    next_at,
                    error,
                }
            }
        }
    }

    /// Records a round's outcomes; a store that refuses is retried (until
    /// shutdown: then the changes stay pending and go again after restart).
    async fn record(&self, outcomes: &[Outcome], cancel: &CancellationToken) {
        let mut delay = Duration::from_millis(100);
        while let Err(e) = self.store.record_deliveries(outcomes).await {
            warn!(centre = %self.centre, error = %e, "Recording deliveries failed; retrying.");
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

fn ms(d: Duration) -> Millis {
    d.as_millis().min(Millis::MAX as u128 / 4) as Millis
}

/// The wait before retry number `attempts + 1`: `min_backoff · 2^attempts`,
/// capped at `max_backoff`, with jitter (50–100 % of it) so that many
/// deliveries failing together do not retry together.
fn backoff(cfg: &DeliveryConfig, attempts: i64, id: i64) -> Millis {
    let base = ms(cfg.min_backoff).max(1);
    let cap = ms(cfg.max_backoff).max(base);
    let exp = u32::try_from(attempts.clamp(0, 40)).unwrap_or(40);
    let full = base.saturating_mul(1i64 << exp.min(40)).min(cap);
    let r = ahash::RandomState::new().hash_one((id, attempts, now_ms()));
    let frac = 0.5 + (r % 1000) as f64 / 2000.0;
    ((full as f64) * frac) as Millis
}

/// Each centre's push channels, one entry per centre and channel.
pub type Sinks = Vec<(CentreId, Arc<dyn Sink>)>;

/// A centre's push channel that cannot be set up; the message names the
/// centre and the key.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// `[centres.webhook]` is wrong.
    #[error("[[centres]] id = {:?}: [centres.webhook] {error}", centre.as_str())]
    Webhook {
        /// The centre.
        centre: CentreId,
        /// What is wrong (shown in the message, hence not a `source`).
        error: super::webhook::WebhookConfigError,
    },
    /// `[centres.mqtt]` is wrong.
    #[error("[[centres]] id = {:?}: [centres.mqtt] {error}", centre.as_str())]
    Mqtt {
        /// The centre.
        centre: CentreId,
        /// What is wrong (shown in the message, hence not a `source`).
        error: SendError,
    },
    /// `[centres.nats]`'s TLS files are wrong.
    #[error("[[centres]] id = {:?}: [centres.nats] {error}", centre.as_str())]
    Nats {
        /// The centre.
        centre: CentreId,
        /// What is wrong (shown in the message, hence not a `source`).
        error: Box<super::tls::TlsError>,
    },
}

/// The push channels of every configured centre, ready for [`spawn`].
/// MQTT connects in the background and reconnects by itself; NATS connects
/// on first use: a broker down at start delays delivery, not the daemon.
/// TLS files are read here, so a bad one stops the start.
///
/// # Errors
/// A channel's settings are wrong (bad URL, missing secret, unreadable CA
/// file…): the message names the centre, the key and the file.
pub fn sinks(centres: &[CentreConfig], delivery: &DeliveryConfig) -> Result<Sinks, SinkError> {
    let mut out: Sinks = Vec::new();
    for c in centres {
        if let Some(w) = &c.webhook {
            let sink = super::webhook::WebhookSink::new(w, delivery.timeout).map_err(|error| {
                SinkError::Webhook {
                    centre: c.id.clone(),
                    error,
                }
            })?;
            out.push((c.id.clone(), Arc::new(sink)));
        }
        if let Some(m) = &c.mqtt {
            let sink = super::mqtt::MqttSink::start(&c.id, m).map_err(|error| SinkError::Mqtt {
                centre: c.id.clone(),
                error,
            })?;
            out.push((c.id.clone(), Arc::new(sink)));
        }
        if let Some(n) = &c.nats {
            let tls = super::nats::tls_config(n).map_err(|error| SinkError::Nats {
                centre: c.id.clone(),
                error: Box::new(error),
            })?;
            let (centre, n2) = (c.id.clone(), n.clone());
            let sink = LazySink::new(Channel::Nats, format!("NATS {}", n.url), move || {
                let (centre, n, tls) = (centre.clone(), n2.clone(), tls.clone());
                Box::pin(async move {
                    let s = super::nats::NatsSink::connect_with(&centre, &n, tls).await?;
                    Ok(Arc::new(s) as Arc<dyn Sink>)
                })
            });
            out.push((c.id.clone(), Arc::new(sink)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let cfg = DeliveryConfig {
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            ..Default::default()
        };
        for a in 0..100 {
            let b = backoff(&cfg, a, 7);
            let full = (100i64 << a.min(40)).min(10_000);
            assert!(
                b >= full / 2 && b <= full,
                "attempt {a}: {b} not in [{}, {full}]",
                full / 2
            );
        }
        assert!(backoff(&cfg, i64::MAX, 1) <= 10_000);
        assert!(backoff(&cfg, -5, 1) <= 100);
    }
}
