//! ⑤ Delivery: every alert state change routed to a centre is pushed over
//! that centre's channels (webhook, MQTT, NATS JetStream) and the live SSE
//! stream. The store's outbox makes it durable, ordered and retried; this
//! module only reads the outbox and talks to the far ends.

pub mod config;
pub mod hub;
pub mod mqtt;
pub mod nats;
pub mod outbox;
pub mod sink;
pub mod tls;
pub mod webhook;

#[cfg(test)]
mod delivery_tests;

pub use config::{CentreConfig, DeliveryConfig, MqttConfig, NatsConfig, WebhookConfig};
