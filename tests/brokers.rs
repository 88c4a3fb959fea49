//! The MQTT and NATS JetStream sinks against the real brokers this machine
//! runs: every message arrives once, in order, with its exact payload; the
//! NATS stream is created, shared and dedupes; an unreachable broker is an
//! error, never a hang.
//!
//! Broker addresses come from `AISWATCH_TEST_MQTT_URL` (e.g.
//! `mqtt://127.0.0.1:1883`) and `AISWATCH_TEST_NATS_URL` (e.g.
//! `nats://127.0.0.1:4222`); a test whose variable is unset says SKIPPED on
//! stderr and passes. Names (topics, subjects, streams, client ids) carry
//! the process id so runs never meet.
//!
//! TLS (`mqtts://`, NATS `tls://`): each test starts its own mosquitto or
//! nats-server with a PKI it makes ([`tls`]); a broker that is not installed
//! makes the test say SKIPPED.

mod common;
#[path = "brokers/proxy.rs"]
mod proxy;
#[path = "brokers/subscriber.rs"]
mod subscriber;
use subscriber::{mqtt_subscriber, socket_of};
#[path = "brokers/tls.rs"]
mod tls;

use std::collections::BTreeSet;
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiswatch::config::{MqttConfig, NatsConfig};
use aiswatch::deliver::mqtt::{LinkState, MqttSink};
use aiswatch::deliver::nats::{msg_id, NatsSink, ACK_TIMEOUT};
use aiswatch::deliver::sink::{Message, SendError, Sink};
use aiswatch_core::ids::{AlertId, CentreId};
use async_nats::jetstream::{self, consumer};
use futures_util::future::join_all;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Messages per run of the ordered and the concurrent phase.
const N: usize = 1000;
/// Longest wait for anything a broker should do at once.
const WAIT: Duration = Duration::from_secs(30);

/// The broker URL in `var`, or `None` after saying loudly that `test` is
/// skipped.
fn broker_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // Straight to stderr: libtest captures `eprintln!`, not this.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test}: no broker; set {var} to run it"
            );
            None
        }
    }
}

/// `name-<pid>`, so concurrent and repeated runs never share names.
fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

/// Change `i` of one test alert, body tagged with `run`.
fn message(run: &str, i: usize) -> Message {
    let alert = AlertId::from(format!("loitering:test:{run}:{i}"));
    Message {
        key: Message::key_for(&alert, 1),
        body: Arc::from(format!(r#"{{"run":"{run}","seq":{i},"text":"ä ✓"}}"#)),
        alert,
        centre: CentreId::from("TEST"),
        seq: 1,
        agreement: None,
        checkpoint: None,
    }
}

/// `fut` within [`WAIT`], or the test fails naming `what`.
async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    timeout(WAIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// Sends `msgs` one after the other, each after the previous one's ack.
async fn send_in_order(sink: &dyn Sink, msgs: &[Message]) -> Duration {
    let started = Instant::now();
    for m in msgs {
        within("send", sink.send(m)).await.expect("acknowledged");
    }
    started.elapsed()
}

/// Sends `msgs` all at once.
async fn send_at_once(sink: &dyn Sink, msgs: &[Message]) -> Duration {
    let started = Instant::now();
    let results = within(
        "concurrent sends",
        join_all(msgs.iter().map(|m| sink.send(m))),
    )
    .await;
    let elapsed = started.elapsed();
    let failed: Vec<&SendError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} failed, first: {:?}",
        failed.len(),
        failed.first()
    );
    elapsed
}

fn report(channel: &str, phase: &str, n: usize, took: Duration) {
    eprintln!(
        "MEASURED: {channel} {phase}: {n} acked in {:.1} ms ({:.0}/s)",
        took.as_secs_f64() * 1e3,
        n as f64 / took.as_secs_f64()
    );
}

// ---------------------------------------------------------------- MQTT ---

fn mqtt_config(url: &str, topic: &str, client: &str) -> MqttConfig {
    MqttConfig {
        url: url.to_owned(),
        topic: topic.to_owned(),
        client_id: Some(unique(client)),
        username: None,
        password: None,
        password_file: None,
        ca_file: None,
        client_cert_file: None,
        client_key_file: None,
    }
}

/// The next `n` payloads.
async fn receive(rx: &mut mpsc::UnboundedReceiver<Vec<u8>>, n: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let p = within("subscriber", rx.recv())
            .await
            .expect("subscriber runs");
        got.push(p);
    }
    got
}

fn bodies(msgs: &[Message]) -> Vec<Vec<u8>> {
    msgs.iter().map(|m| m.body.as_bytes().to_vec()).collect()
}

#[tokio::test]
async fn mqtt_qos1_publishes_arrive_once_in_order_with_exact_payloads() {
    let Some(url) = broker_url("AISWATCH_TEST_MQTT_URL", "mqtt_qos1_publishes_arrive") else {
        return;
    };
    let topic = format!("aiswatch/test/{}/order", std::process::id());
    let mut rx = mqtt_subscriber(&url, &topic, None).await;
    let cfg = mqtt_config(&url, &topic, "aiswatch-test-order");
    let sink = within("connect", MqttSink::connect(&CentreId::from("TEST"), &cfg))
        .await
        .expect("connects");

    let ordered: Vec<Message> = (0..N).map(|i| message("mqtt-order", i)).collect();
    let took = send_in_order(&sink, &ordered).await;
    report("mqtt", "one at a time", N, took);
    assert_eq!(
        receive(&mut rx, N).await,
        bodies(&ordered),
        "in order, exact"
    );

    // Concurrent sends: every one is acked by its own PUBACK and arrives once.
    let burst: Vec<Message> = (N..2 * N).map(|i| message("mqtt-burst", i)).collect();
    let took = send_at_once(&sink, &burst).await;
    report("mqtt", "all at once", N, took);
    let got: BTreeSet<Vec<u8>> = receive(&mut rx, N).await.into_iter().collect();
    assert_eq!(got, bodies(&burst).into_iter().collect(), "each once");
    assert!(rx.try_recv().is_err(), "no extra message");
}

#[tokio::test]
async fn mqtt_closed_port_is_an_error_naming_the_broker_not_a_hang() {
    // Held, not listening: refused, and nobody else's meanwhile.
    let closed = common::HeldPort::loopback();
    let url = format!("mqtt://{}", closed.addr);
    let cfg = mqtt_config(&url, "aiswatch/test/closed", "aiswatch-test-closed");
    let centre = CentreId::from("TEST");
    let err = within("connect", MqttSink::connect(&centre, &cfg))
        .await
        .err()
        .expect("no broker there");
    assert!(err.to_string().contains(&url), "{err}");

    // Started without waiting: `send` fails at once while down.
    let sink = MqttSink::start(&centre, &cfg).expect("config is fine");
    let err = within("send", sink.send(&message("mqtt-closed", 0)))
        .await
        .expect_err("not connected");
    assert!(
        err.to_string().contains(&url) && err.to_string().contains("aiswatch/test/closed"),
        "{err}"
    );
}

#[tokio::test]
async fn mqtt_sink_fails_fast_while_the_broker_is_away_and_reconnects() {
    let Some(url) = broker_url("AISWATCH_TEST_MQTT_URL", "mqtt_sink_reconnects") else {
        return;
    };
    let proxy = proxy::Proxy::start(socket_of(&url).await).await;
    let topic = format!("aiswatch/test/{}/restart", std::process::id());
    let mut rx = mqtt_subscriber(&url, &topic, None).await;
    let via_proxy = format!("mqtt://{}", proxy.addr);
    let cfg = mqtt_config(&via_proxy, &topic, "aiswatch-test-restart");
    let sink = within("connect", MqttSink::connect(&CentreId::from("TEST"), &cfg))
        .await
        .expect("connects");
    let mut link = sink.link();
    let msgs: Vec<Message> = (0..3).map(|i| message("mqtt-restart", i)).collect();
    within("send", sink.send(&msgs[0])).await.expect("up");

    proxy.take_down();
    within(
        "link down",
        link.wait_for(|s| matches!(s, LinkState::Down(_))),
    )
    .await
    .expect("event loop runs");
    let started = Instant::now();
    let err = within("send while down", sink.send(&msgs[1]))
        .await
        .expect_err("broker away");
    assert!(started.elapsed() < Duration::from_secs(1), "fails fast");
    assert!(err.to_string().contains(&via_proxy), "{err}");

    proxy.bring_up();
    within("link up", link.wait_for(|s| *s == LinkState::Up))
        .await
        .expect("event loop runs");
    within("send", sink.send(&msgs[2]))
        .await
        .expect("reconnected");
    assert_eq!(
        receive(&mut rx, 2).await,
        bodies(&[msgs[0].clone(), msgs[2].clone()])
    );
}

// ---------------------------------------------------------------- NATS ---

fn nats_config(url: &str, subject: &str, stream: &str) -> NatsConfig {
    NatsConfig {
        url: url.to_owned(),
        subject: subject.to_owned(),
        stream: stream.to_owned(),
        credentials_file: None,
        ca_file: None,
        client_cert_file: None,
        client_key_file: None,
    }
}

/// `AISWATCH_TEST_<NAME>_<pid>`: a stream name of this run, deleted first
/// in case a crashed run of the same pid left it.
async fn fresh_stream(js: &jetstream::Context, name: &str) -> String {
    let stream = format!("AISWATCH_TEST_{name}_{}", std::process::id());
    let _ = js.delete_stream(&stream).await;
    stream
}

/// `aiswatch.test.<pid>.<name>`.
fn subject(name: &str) -> String {
    format!("aiswatch.test.{}.{name}", std::process::id())
}

async fn admin(url: &str) -> jetstream::Context {
    jetstream::new(
        async_nats::connect(url)
            .await
            .expect("NATS admin connection"),
    )
}

async fn stream_info(js: &jetstream::Context, stream: &str) -> jetstream::stream::Info {
    let mut s = js.get_stream(stream).await.expect("stream exists");
    s.info().await.expect("stream info").clone()
}

#[tokio::test]
async fn nats_publishes_are_acked_stored_in_order_and_deduped() {
    let Some(url) = broker_url("AISWATCH_TEST_NATS_URL", "nats_publishes_are_acked") else {
        return;
    };
    let js = admin(&url).await;
    let stream = fresh_stream(&js, "ORDER").await;
    let subj = subject("order");
    let sink = within(
        "connect",
        NatsSink::connect(&CentreId::from("TEST"), &nats_config(&url, &subj, &stream)),
    )
    .await
    .expect("connects");
    // Subscribe first: a consumer of everything the subject gets.
    let consumer = js
        .get_stream(&stream)
        .await
        .expect("connect created the stream")
        .create_consumer(consumer::pull::Config {
            filter_subject: subj.clone(),
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut received = consumer.messages().await.expect("message stream");

    let ordered: Vec<Message> = (0..N).map(|i| message("nats-order", i)).collect();
    let took = send_in_order(&sink, &ordered).await;
    report("nats", "one at a time", N, took);
    let burst: Vec<Message> = (N..2 * N).map(|i| message("nats-burst", i)).collect();
    let took = send_at_once(&sink, &burst).await;
    report("nats", "all at once", N, took);

    let mut got = Vec::with_capacity(2 * N);
    while got.len() < 2 * N {
        let m = within("consumer", received.next())
            .await
            .expect("stream goes on")
            .expect("a message");
        let key = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_owned());
        got.push((key, m.payload.to_vec()));
    }
    let expect = |msgs: &[Message]| -> Vec<(Option<String>, Vec<u8>)> {
        msgs.iter()
            .map(|m| (Some(msg_id(m)), m.body.as_bytes().to_vec()))
            .collect()
    };
    assert_eq!(got[..N], expect(&ordered)[..], "in order, exact, keyed");
    let burst_got: BTreeSet<_> = got[N..].iter().cloned().collect();
    assert_eq!(burst_got, expect(&burst).into_iter().collect(), "each once");

    // A retry of a stored change is acknowledged and not stored again.
    within("resend", sink.send(&ordered[0]))
        .await
        .expect("duplicate ack is Ok");
    within("resend", sink.send(&burst[7]))
        .await
        .expect("duplicate ack is Ok");
    assert_eq!(stream_info(&js, &stream).await.state.messages, 2 * N as u64);

    js.delete_stream(&stream).await.expect("delete test stream");
}

#[tokio::test]
async fn nats_stream_is_created_when_missing_and_extended_when_shared() {
    let Some(url) = broker_url("AISWATCH_TEST_NATS_URL", "nats_stream_is_created") else {
        return;
    };
    let js = admin(&url).await;
    let stream = fresh_stream(&js, "SHARED").await;
    let (a, b) = (subject("shared.a"), subject("shared.b"));

    let sink_a = NatsSink::connect(&CentreId::from("A"), &nats_config(&url, &a, &stream))
        .await
        .expect("creates the stream");
    assert_eq!(
        stream_info(&js, &stream).await.config.subjects,
        std::slice::from_ref(&a)
    );

    let sink_b = NatsSink::connect(&CentreId::from("B"), &nats_config(&url, &b, &stream))
        .await
        .expect("extends the stream");
    assert_eq!(
        stream_info(&js, &stream).await.config.subjects,
        [a.clone(), b.clone()]
    );

    // Connecting again changes nothing.
    NatsSink::connect(&CentreId::from("A"), &nats_config(&url, &a, &stream))
        .await
        .expect("already there");
    assert_eq!(
        stream_info(&js, &stream).await.config.subjects,
        [a.clone(), b.clone()]
    );

    sink_a
        .send(&message("nats-shared", 1))
        .await
        .expect("A stored");
    sink_b
        .send(&message("nats-shared", 2))
        .await
        .expect("B stored");
    let info = stream_info(&js, &stream).await;
    assert_eq!(info.state.messages, 2);

    // A subject a wildcard of the stream already covers is not added.
    let wild = fresh_stream(&js, "WILD").await;
    js.create_stream(jetstream::stream::Config {
        name: wild.clone(),
        subjects: vec![subject("wild.>")],
        ..Default::default()
    })
    .await
    .expect("wildcard stream");
    NatsSink::connect(
        &CentreId::from("C"),
        &nats_config(&url, &subject("wild.c"), &wild),
    )
    .await
    .expect("covered");
    assert_eq!(
        stream_info(&js, &wild).await.config.subjects,
        [subject("wild.>")]
    );

    js.delete_stream(&stream).await.expect("delete test stream");
    js.delete_stream(&wild).await.expect("delete test stream");
}

#[tokio::test]
async fn nats_closed_port_is_an_error_naming_the_server() {
    // Held, not listening: refused, and nobody else's meanwhile.
    let closed = common::HeldPort::loopback();
    let url = format!("nats://{}", closed.addr);
    let cfg = nats_config(&url, "aiswatch.test.closed", "AISWATCH_TEST_CLOSED");
    let err = within("connect", NatsSink::connect(&CentreId::from("TEST"), &cfg))
        .await
        .err()
        .expect("no server there");
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test]
async fn nats_outage_is_an_error_within_the_attempt_then_recovers() {
    let Some(url) = broker_url("AISWATCH_TEST_NATS_URL", "nats_outage") else {
        return;
    };
    let js = admin(&url).await;
    let stream = fresh_stream(&js, "OUTAGE").await;
    let proxy = proxy::Proxy::start(socket_of(&url).await).await;
    let via_proxy = format!("nats://{}", proxy.addr);
    let subj = subject("outage");
    let sink = NatsSink::connect(
        &CentreId::from("TEST"),
        &nats_config(&via_proxy, &subj, &stream),
    )
    .await
    .expect("connects");
    let msgs: Vec<Message> = (0..2).map(|i| message("nats-outage", i)).collect();
    sink.send(&msgs[0]).await.expect("up");

    proxy.take_down();
    let started = Instant::now();
    let err = within("send while down", sink.send(&msgs[1]))
        .await
        .expect_err("server away");
    let took = started.elapsed();
    assert!(
        took <= 2 * ACK_TIMEOUT + Duration::from_secs(1),
        "took {took:?}"
    );
    assert!(err.to_string().contains(&via_proxy), "{err}");
    eprintln!("MEASURED: nats send while down failed after {took:?}: {err}");

    // Back: the outbox's retry (same key) goes through once async-nats has
    // reconnected, and the stream holds the change once even if the
    // failed attempt's publish went out on reconnect.
    proxy.bring_up();
    let started = Instant::now();
    within("recovery", async {
        while sink.send(&msgs[1]).await.is_err() {}
    })
    .await;
    eprintln!("MEASURED: nats recovered after {:?}", started.elapsed());
    assert_eq!(stream_info(&js, &stream).await.state.messages, 2);

    js.delete_stream(&stream).await.expect("delete test stream");
}

// ----------------------------------------------------------------- TLS ---

/// `cfg` trusting `ca` instead of the system's roots.
fn mqtt_trusting(mut cfg: MqttConfig, ca: &Path) -> MqttConfig {
    cfg.ca_file = Some(ca.to_path_buf());
    cfg
}

/// `cfg` trusting `ca` instead of the system's roots.
fn nats_trusting(mut cfg: NatsConfig, ca: &Path) -> NatsConfig {
    cfg.ca_file = Some(ca.to_path_buf());
    cfg
}

/// Whether a failed connection's text says the certificate was refused.
fn says_untrusted(err: &str) -> bool {
    let e = err.to_ascii_lowercase();
    e.contains("certificate") && (e.contains("unknownissuer") || e.contains("unknown issuer"))
}

#[tokio::test]
async fn mqtts_delivers_through_a_tls_broker_verified_against_the_centres_ca() {
    let pki = tls::Pki::new();
    let Some(broker) = tls::mosquitto(&pki, false, "mqtts_delivers").await else {
        return;
    };
    let url = format!("mqtts://{}", broker.addr);
    let topic = "aiswatch/test/tls";
    let mut rx = mqtt_subscriber(&url, topic, Some(pki.client_config(false))).await;
    let cfg = mqtt_trusting(mqtt_config(&url, topic, "aiswatch-test-tls"), &pki.ca_file);
    let sink = within("connect", MqttSink::connect(&CentreId::from("TEST"), &cfg))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", broker.log()));
    let msgs: Vec<Message> = (0..20).map(|i| message("mqtts", i)).collect();
    send_in_order(&sink, &msgs).await;
    assert_eq!(receive(&mut rx, msgs.len()).await, bodies(&msgs));
}

#[tokio::test]
async fn mqtts_refuses_a_broker_certificate_it_cannot_verify_and_says_why() {
    let pki = tls::Pki::new();
    let Some(broker) = tls::mosquitto(&pki, false, "mqtts_refuses").await else {
        return;
    };
    let url = format!("mqtts://{}", broker.addr);
    let topic = "aiswatch/test/untrusted";
    let centre = CentreId::from("TEST");
    let other_ca = mqtt_trusting(
        mqtt_config(&url, topic, "aiswatch-test-untrusted"),
        &pki.other_ca_file,
    );
    // A CA that did not sign it, and the system's roots, which do not
    // know the test CA.
    for cfg in [
        other_ca.clone(),
        mqtt_config(&url, topic, "aiswatch-test-sys"),
    ] {
        let err = within("connect", MqttSink::connect(&centre, &cfg))
            .await
            .err()
            .expect("an untrusted broker is refused")
            .to_string();
        assert!(err.contains(&url) && says_untrusted(&err), "{err}");
    }
    // Started in the background (as the daemon does): every attempt fails
    // at once with the reason, for the outbox to retry.
    let sink = MqttSink::start(&centre, &other_ca).expect("the config is fine");
    let mut link = sink.link();
    within(
        "link down",
        link.wait_for(|s| matches!(s, LinkState::Down(_))),
    )
    .await
    .expect("event loop runs");
    let err = within("send", sink.send(&message("mqtts-untrusted", 0)))
        .await
        .expect_err("not connected")
        .to_string();
    assert!(
        err.contains(&url) && err.contains(topic) && says_untrusted(&err),
        "{err}"
    );
}

#[tokio::test]
async fn mqtts_mutual_tls_presents_the_client_certificate() {
    let pki = tls::Pki::new();
    let Some(broker) = tls::mosquitto(&pki, true, "mqtts_mutual_tls").await else {
        return;
    };
    let url = format!("mqtts://{}", broker.addr);
    let topic = "aiswatch/test/mutual";
    let centre = CentreId::from("TEST");
    let mut rx = mqtt_subscriber(&url, topic, Some(pki.client_config(true))).await;
    let server_only = mqtt_trusting(
        mqtt_config(&url, topic, "aiswatch-test-mutual"),
        &pki.ca_file,
    );
    let err = within("connect", MqttSink::connect(&centre, &server_only))
        .await
        .err()
        .expect("the broker wants a client certificate");
    assert!(err.to_string().contains(&url), "{err}");

    let mut cfg = server_only;
    cfg.client_cert_file = Some(pki.client_cert.clone());
    cfg.client_key_file = Some(pki.client_key.clone());
    let sink = within("connect", MqttSink::connect(&centre, &cfg))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", broker.log()));
    let msgs: Vec<Message> = (0..3).map(|i| message("mqtts-mutual", i)).collect();
    send_in_order(&sink, &msgs).await;
    assert_eq!(receive(&mut rx, msgs.len()).await, bodies(&msgs));
}

/// A JetStream context on the test's TLS server, trusting the test CA
/// (with the client certificate when `mutual`), made with async-nats's own
/// TLS options.
async fn tls_admin(url: &str, pki: &tls::Pki, mutual: bool) -> jetstream::Context {
    let mut options = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(pki.ca_file.clone());
    if mutual {
        options = options.add_client_certificate(pki.client_cert.clone(), pki.client_key.clone());
    }
    jetstream::new(options.connect(url).await.expect("NATS admin over TLS"))
}

/// The `(Nats-Msg-Id, payload)` of the first `n` messages of `subject`.
async fn stored(
    js: &jetstream::Context,
    stream: &str,
    subject: &str,
    n: usize,
) -> Vec<(String, Vec<u8>)> {
    let consumer = js
        .get_stream(stream)
        .await
        .expect("the sink made the stream")
        .create_consumer(consumer::pull::Config {
            filter_subject: subject.to_owned(),
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut received = consumer.messages().await.expect("message stream");
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let m = within("consumer", received.next())
            .await
            .expect("stream goes on")
            .expect("a message");
        let key = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        got.push((key, m.payload.to_vec()));
    }
    got
}

fn keyed_bodies(msgs: &[Message]) -> Vec<(String, Vec<u8>)> {
    msgs.iter()
        .map(|m| (msg_id(m), m.body.as_bytes().to_vec()))
        .collect()
}

#[tokio::test]
async fn nats_over_tls_delivers_verified_against_the_centres_ca_and_refuses_others() {
    let pki = tls::Pki::new();
    let Some(server) = tls::nats_server(&pki, false, "nats_over_tls").await else {
        return;
    };
    let centre = CentreId::from("TEST");
    let url = format!("tls://{}", server.addr);
    let cfg = nats_trusting(
        nats_config(&url, "aiswatch.test.tls", "AISWATCH_TEST_TLS"),
        &pki.ca_file,
    );
    let sink = within("connect", NatsSink::connect(&centre, &cfg))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let msgs: Vec<Message> = (0..20).map(|i| message("nats-tls", i)).collect();
    send_in_order(&sink, &msgs).await;
    let js = tls_admin(&url, &pki, false).await;
    assert_eq!(
        stored(&js, "AISWATCH_TEST_TLS", "aiswatch.test.tls", msgs.len()).await,
        keyed_bodies(&msgs)
    );

    // A nats:// URL with a ca_file insists on TLS too, with that CA.
    let plain_url = format!("nats://{}", server.addr);
    let mut cfg2 = cfg.clone();
    cfg2.url = plain_url.clone();
    within("connect", NatsSink::connect(&centre, &cfg2))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()))
        .send(&message("nats-tls-plain-url", 0))
        .await
        .expect("stored");

    // Another CA, or the system's roots: refused, saying why.
    let mut other = cfg.clone();
    other.ca_file = Some(pki.other_ca_file.clone());
    let mut system = cfg;
    system.ca_file = None;
    for bad in [other, system] {
        let err = within("connect", NatsSink::connect(&centre, &bad))
            .await
            .err()
            .expect("an untrusted server is refused")
            .to_string();
        assert!(err.contains(&url) && says_untrusted(&err), "{err}");
    }
}

#[tokio::test]
async fn nats_mutual_tls_presents_the_client_certificate() {
    let pki = tls::Pki::new();
    let Some(server) = tls::nats_server(&pki, true, "nats_mutual_tls").await else {
        return;
    };
    let centre = CentreId::from("TEST");
    let url = format!("tls://{}", server.addr);
    let mut cfg = nats_trusting(
        nats_config(&url, "aiswatch.test.mutual", "AISWATCH_TEST_MUTUAL"),
        &pki.ca_file,
    );
    let err = within("connect", NatsSink::connect(&centre, &cfg))
        .await
        .err()
        .expect("the server wants a client certificate");
    assert!(err.to_string().contains(&url), "{err}");

    cfg.client_cert_file = Some(pki.client_cert.clone());
    cfg.client_key_file = Some(pki.client_key.clone());
    let sink = within("connect", NatsSink::connect(&centre, &cfg))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let msgs: Vec<Message> = (0..3).map(|i| message("nats-mutual", i)).collect();
    send_in_order(&sink, &msgs).await;
    let js = tls_admin(&url, &pki, true).await;
    assert_eq!(
        stored(
            &js,
            "AISWATCH_TEST_MUTUAL",
            "aiswatch.test.mutual",
            msgs.len()
        )
        .await,
        keyed_bodies(&msgs)
    );
}
