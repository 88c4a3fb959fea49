//! A test's own MQTT subscriber: what a centre's consumer of alerts
//! receives from the broker the daemon publishes to.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use tokio::sync::mpsc;

/// How long the broker may take to acknowledge the subscription.
const SUBACK_WAIT: Duration = Duration::from_secs(30);

/// `host:port` of `scheme://host:port`.
pub async fn socket_of(url: &str) -> SocketAddr {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    tokio::net::lookup_host(authority.trim_end_matches('/'))
        .await
        .expect("resolve broker")
        .next()
        .expect("broker address")
}

/// A QoS 1 subscriber to `topic` on the broker at `url` (`mqtt://host:port`,
/// or `mqtts://` with `tls`), subscribed once this returns; yields the
/// payloads it receives. Its client id is `topic`'s, as the broker drops a
/// client when another one takes its id.
pub async fn mqtt_subscriber(
    url: &str,
    topic: &str,
    tls: Option<rustls::ClientConfig>,
) -> mpsc::UnboundedReceiver<Vec<u8>> {
    let addr = socket_of(url).await;
    let id = format!("aiswatch-test-sub-{}", topic.replace('/', "-"));
    let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(10));
    if let Some(tls) = tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls),
        )));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    client
        .subscribe(topic, QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let (tx, rx) = mpsc::unbounded_channel();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        // The client lives as long as its event loop.
        let _client = client;
        let mut subscribed_tx = Some(subscribed_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(s) = subscribed_tx.take() {
                        let _ = s.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send(p.payload.to_vec()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                // The test is over (its receiver gone, its own broker stopped).
                Err(_) if tx.is_closed() => return,
                Err(e) => panic!("test subscriber lost the broker: {e}"),
            }
        }
    });
    tokio::time::timeout(SUBACK_WAIT, subscribed)
        .await
        .unwrap_or_else(|_| panic!("MQTT subscriber: no SUBACK within {SUBACK_WAIT:?}"))
        .expect("subscriber runs");
    rx
}
