//! What every delivery channel implements: take one alert state change for
//! one centre and acknowledge only once the far end has it.
//!
//! The outbox ([`super::outbox`]) owns ordering, retries, backoff and
//! dead-lettering; a sink only makes one attempt and says how it went.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use aiswatch_core::ids::{AlertId, CentreId};

/// A push channel of a centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Standard Webhooks POST.
    Webhook,
    /// MQTT, QoS 1.
    Mqtt,
    /// NATS JetStream, acknowledged publish.
    Nats,
    /// A partner installation's inbox (signed POST); the delivery's
    /// `centre` is the partner's id.
    Partner,
}

impl Channel {
    /// Every channel, in a fixed order.
    pub const ALL: [Channel; 4] = [
        Channel::Webhook,
        Channel::Mqtt,
        Channel::Nats,
        Channel::Partner,
    ];

    /// The name used in the store, metrics and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Mqtt => "mqtt",
            Channel::Nats => "nats",
            Channel::Partner => "partner",
        }
    }

    /// The channel with this name, if any.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One delivery attempt's content: an alert state change for one centre.
#[derive(Debug, Clone)]
pub struct Message {
    /// The idempotency key, the same on every attempt and every channel:
    /// `webhook-id`, `Nats-Msg-Id`. Built by [`Message::key_for`].
    pub key: String,
    /// The alert this change belongs to.
    pub alert: AlertId,
    /// The centre it is delivered to (a partner's id on [`Channel::Partner`]).
    pub centre: CentreId,
    /// The change's number within its alert (1, 2, …).
    pub seq: i64,
    /// The agreement it is shared under ([`Channel::Partner`] only).
    pub agreement: Option<String>,
    /// The alert JSON, exactly as `replay` prints it (a checkpoint's JSON
    /// when `checkpoint` is set).
    pub body: Arc<str>,
    /// The audit record a checkpoint to a partner signs.
    pub checkpoint: Option<u64>,
}

impl Message {
    /// The idempotency key of change number `seq` (1, 2, …) of `alert`.
    pub fn key_for(alert: &AlertId, seq: i64) -> String {
        format!("{}/{}", alert.as_str(), seq)
    }
}

/// One failed attempt: why, for the log, the metrics and `last_error`.
/// Every failure is retried by the outbox until `give_up_after`.
#[derive(Debug, thiserror::Error)]
#[error("{what}{}", source.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
pub struct SendError {
    /// Where and what failed (`POST https://…`, `NATS … subject …: publish failed`).
    pub what: String,
    /// The channel's own error, when one caused it.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// Retrying cannot help (an agreement withdrawn): dead-lettered at once.
    pub permanent: bool,
}

impl SendError {
    /// A failure with nothing more to say than `what`.
    pub fn new(what: impl Into<String>) -> Self {
        SendError {
            what: what.into(),
            source: None,
            permanent: false,
        }
    }

    /// A failure that retrying cannot mend: the delivery is dead-lettered
    /// at once (an administrator may retry it once the cause is gone).
    pub fn permanent(what: impl Into<String>) -> Self {
        SendError {
            permanent: true,
            ..SendError::new(what)
        }
    }

    /// A failure of `what` caused by `source`.
    pub fn caused(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        SendError {
            what: what.into(),
            source: Some(Box::new(source)),
            permanent: false,
        }
    }
}

/// A delivery channel of one centre. One value per centre and channel,
/// shared by the outbox worker; `send` may be called concurrently for
/// changes of different alerts.
pub trait Sink: Send + Sync + 'static {
    /// Which channel this is.
    fn channel(&self) -> Channel;

    /// Delivers `msg` once; `Ok` only when the far end acknowledged it
    /// (2xx, MQTT PUBACK, JetStream ack).
    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Where one centre's alerts are pushed: built from its `[[centres]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The centre.
    pub centre: CentreId,
    /// Kinds it wants; `None` = all.
    pub kinds: Option<Vec<aiswatch_engine::alert::Kind>>,
    /// Its push channels (the live stream needs none).
    pub channels: Vec<Channel>,
    /// The catalog its summaries are written in ([`CentreConfig::lang`]).
    ///
    /// [`CentreConfig::lang`]: super::config::CentreConfig::lang
    pub lang: &'static str,
}

impl Route {
    /// The routes of every configured centre.
    pub fn from_config(centres: &[super::config::CentreConfig]) -> Vec<Route> {
        centres
            .iter()
            .map(|c| Route {
                centre: c.id.clone(),
                kinds: c.kinds.clone(),
                channels: c.channels(),
                lang: c.lang(),
            })
            .collect()
    }

    /// The language `centre`'s summaries are written in, among `routes`
    /// (English for a centre without a route: a partner).
    pub fn lang_of(routes: &[Route], centre: &CentreId) -> &'static str {
        routes
            .iter()
            .find(|r| r.centre == *centre)
            .map_or(aiswatch_i18n::ENGLISH, |r| r.lang)
    }

    /// Whether an alert of `kind` routed to `centres` goes to this
    /// centre: the alert names the centre and the centre wants its kind.
    pub fn takes(&self, centres: &[CentreId], kind: aiswatch_engine::alert::Kind) -> bool {
        centres.contains(&self.centre) && self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
    }
}

/// What one partner is sent under one agreement: built from the
/// agreement's `[agreements.send]` (see `crate::federation`).
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// The partner's id (the delivery's `centre`).
    pub partner: CentreId,
    /// The agreement's id.
    pub agreement: String,
    /// Zones shared; `None` = all.
    pub zones: Option<Vec<aiswatch_core::ids::ZoneId>>,
    /// Kinds shared; `None` = all.
    pub kinds: Option<Vec<aiswatch_engine::alert::Kind>>,
    /// States shared; `None` = all.
    pub states: Option<Vec<aiswatch_engine::alert::State>>,
    /// Wall-clock hold-back of each change, ms.
    pub delay_ms: aiswatch_core::time::Millis,
    /// Wall-clock ms from which the agreement is no longer in force.
    pub expires_at: Option<aiswatch_core::time::Millis>,
}

impl Share {
    /// Whether a change of `kind` and `state` in `zone` is shared at wall
    /// time `now`.
    pub fn takes(
        &self,
        zone: &aiswatch_core::ids::ZoneId,
        kind: aiswatch_engine::alert::Kind,
        state: aiswatch_engine::alert::State,
        now: aiswatch_core::time::Millis,
    ) -> bool {
        self.expires_at.is_none_or(|e| now < e)
            && self.zones.as_ref().is_none_or(|z| z.contains(zone))
            && self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
            && self.states.as_ref().is_none_or(|s| s.contains(&state))
    }
}

/// An alert state change as stored, for the live stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    /// Position in the store's event log: the stream's `id:`.
    pub n: i64,
    /// Which detector.
    pub kind: aiswatch_engine::alert::Kind,
    /// Centres the zone routes it to (before each centre's `kinds` filter).
    pub centres: Vec<CentreId>,
    /// The alert JSON, as `replay` prints it.
    pub json: Arc<str>,
}
