//! Delivery to the centres, end to end with the real binary: the shipped
//! sample fed over TCP to `aiswatch run`, webhooks received by a real HTTP
//! server on loopback that fails on purpose, and the live stream read as a
//! dashboard would.
//!
//! Every alert state change that `aiswatch replay` gives must arrive at
//! least once, signed (checked with the Standard Webhooks library), with
//! one alert's changes in order, through 500s, a receiver that is down, a
//! kill -9 of the daemon, and never at another centre. Over MQTT and NATS
//! with TLS, a broker whose certificate does not verify keeps every change
//! in the outbox until it does.

mod common;
#[path = "brokers/subscriber.rs"]
mod subscriber;
use subscriber::mqtt_subscriber;
#[path = "brokers/tls.rs"]
mod tls;

#[path = "delivery/centres.rs"]
mod centres;
#[path = "delivery/languages.rs"]
mod languages;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::*;
use serde_json::Value;
use tokio::sync::Notify;

const ADMIN: &str = "admin-token";
/// A Standard Webhooks secret (24 random bytes, base64).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    headers: HeaderMap,
    body: String,
    ok: bool,
}

/// A webhook receiver: an axum server that answers 500 when `fail(n)` says
/// so for the n-th request (0-based), 200 otherwise, optionally slowly (the
/// delay is on purpose: a test that kills the daemon mid-delivery needs
/// deliveries to take a while).
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    changed: Arc<Notify>,
}

impl Receiver {
    async fn start(
        listener: tokio::net::TcpListener,
        fail: fn(usize) -> bool,
        delay: Duration,
    ) -> (Receiver, tokio::task::JoinHandle<()>) {
        let r = Receiver {
            got: Arc::default(),
            changed: Arc::default(),
        };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let mut got = state.got.lock().unwrap();
                    let ok = !fail(got.len());
                    got.push(Got {
                        id: headers["webhook-id"].to_str().unwrap().to_owned(),
                        headers,
                        body,
                        ok,
                    });
                    state.changed.notify_waiters();
                    if ok {
                        StatusCode::OK
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                }
            }),
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (r, task)
    }

    fn snapshot(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until every key in `want` was answered 200.
    async fn wait_all(&self, want: &BTreeMap<String, Value>, dir: &Path) -> Vec<Got> {
        let secs = 120;
        let res = tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                let wait = self.changed.notified();
                let got = self.snapshot();
                let ok: BTreeSet<&str> =
                    got.iter().filter(|g| g.ok).map(|g| g.id.as_str()).collect();
                if want.keys().all(|k| ok.contains(k.as_str())) {
                    return got;
                }
                wait.await;
            }
        })
        .await;
        match res {
            Ok(g) => g,
            Err(_) => {
                let got = self.snapshot();
                let ok: BTreeSet<&str> =
                    got.iter().filter(|g| g.ok).map(|g| g.id.as_str()).collect();
                let missing: Vec<_> = want
                    .keys()
                    .filter(|k| !ok.contains(k.as_str()))
                    .take(5)
                    .collect();
                panic!(
                    "{} of {} changes not delivered, e.g. {missing:?}\n{}",
                    want.len() - ok.len().min(want.len()),
                    want.len(),
                    logs(dir)
                );
            }
        }
    }
}

/// The idempotency key of each reference change (`alert id/seq`) → its JSON.
fn keyed(alerts: &[Value]) -> BTreeMap<String, Value> {
    let mut seq: BTreeMap<String, u32> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for a in alerts {
        let id = a["id"].as_str().unwrap().to_owned();
        let n = seq.entry(id.clone()).or_default();
        *n += 1;
        out.insert(format!("{id}/{n}"), a.clone());
    }
    out
}

/// What every test checks of what a receiver got: each change received is
/// one of `want`, byte-for-byte the JSON replay printed; every signature
/// verifies with the Standard Webhooks library; retries reuse the
/// `webhook-id` with the same body; one alert's changes were first
/// acknowledged in order. Returns how many requests were retries.
fn check(got: &[Got], want: &BTreeMap<String, Value>) -> usize {
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    let mut bodies: BTreeMap<&str, &str> = BTreeMap::new();
    let mut first_ok: Vec<&str> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut retries = 0;
    for g in got {
        wh.verify(g.body.as_bytes(), &g.headers)
            .unwrap_or_else(|e| panic!("signature of {} does not verify: {e:?}", g.id));
        let body = english(serde_json::from_str(&g.body).unwrap());
        let w = want
            .get(&g.id)
            .unwrap_or_else(|| panic!("unexpected change {}", g.id));
        assert!(same(&body, w), "body of {}:\n{body}\nwant\n{w}", g.id);
        if let Some(b) = bodies.insert(&g.id, &g.body) {
            assert_eq!(b, g.body, "a retry of {} changed its body", g.id);
            retries += 1;
        }
        if g.ok && seen.insert(g.id.as_str()) {
            first_ok.push(&g.id);
        }
    }
    // Per alert, change n+1 is never acknowledged before change n.
    let mut last: BTreeMap<&str, u32> = BTreeMap::new();
    for k in first_ok {
        let (alert, n) = k.rsplit_once('/').unwrap();
        let n: u32 = n.parse().unwrap();
        let prev = last.insert(alert, n).unwrap_or(0);
        assert_eq!(
            n,
            prev + 1,
            "{alert}: change {n} acknowledged after change {prev}"
        );
    }
    retries
}

/// A change as an English-speaking centre receives it (`"lang": "en"`),
/// without `lang`: the change as stored and as `replay` prints it.
fn english(mut v: Value) -> Value {
    assert_eq!(v["lang"], "en", "a change to an English centre: {v}");
    v.as_object_mut().unwrap().remove("lang");
    v
}

/// JSON equality, numbers within 1e-9 (live and replay may sum a mean
/// position in another order).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn centres_with_webhook(hooks: &[(&str, SocketAddr)]) -> String {
    let mut s = String::from(
        "[delivery]\nmin_backoff = \"20ms\"\nmax_backoff = \"300ms\"\ntimeout = \"5s\"\n\n",
    );
    let mut names: Vec<String> = CENTRES.iter().map(|c| c.to_string()).collect();
    for (c, _) in hooks {
        if !names.iter().any(|n| n == c) {
            names.push(c.to_string());
        }
    }
    for (i, c) in names.iter().enumerate() {
        s += &format!("[[centres]]\nid = \"{c}\"\napi_tokens = [\"tok-{i}\"]\n");
        if let Some((_, addr)) = hooks.iter().find(|(h, _)| h == c) {
            s += &format!(
                "[centres.webhook]\nurl = \"http://{addr}/hook\"\nsecret = \"{SECRET}\"\n"
            );
        }
        s += "\n";
    }
    s
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("aiswatch.db").display())
}

fn shipped_zones() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("zones")
}

/// A webhook receiver's listener on an ephemeral loopback port.
async fn hook_listener() -> (tokio::net::TcpListener, SocketAddr) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// A config on the shipped zones and a SQLite store in `dir`, MDAT-GoG
/// (the centre of the sample's alerts) with a webhook to `hook`.
fn mdat_gog_with_webhook(dir: &Path, hook: SocketAddr) -> std::path::PathBuf {
    let centres = centres_with_webhook(&[("MDAT-GoG", hook)]);
    write_config(dir, &shipped_zones(), &sqlite(dir), ADMIN, &centres)
}

/// Waits until some delivery has been attempted and failed (the metric).
async fn wait_failed_attempt(http: SocketAddr) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let failures = |m: &str| -> u64 {
        m.lines()
            .find_map(|l| {
                l.strip_prefix(
                    "aiswatch_delivery_failures_total{centre=\"MDAT-GoG\",channel=\"webhook\"} ",
                )
            })
            .map_or(0, |v| v.trim().parse().unwrap())
    };
    loop {
        let (_, m) = request(http, "GET", "/metrics", None).await;
        if failures(&m) > 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed delivery attempt in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The daemon logs under `dir`, for a failure message.
fn logs(dir: &Path) -> String {
    let mut out = String::new();
    for n in 1..=2 {
        if let Ok(t) = std::fs::read_to_string(dir.join(format!("daemon-{n}.log"))) {
            let tail: Vec<&str> = t
                .lines()
                .filter(|l| !l.contains("aiswatch::app") || l.contains("WARN"))
                .rev()
                .take(30)
                .collect();
            out += &format!("--- daemon-{n}.log (last lines)\n");
            for l in tail.into_iter().rev() {
                out += l;
                out.push('\n');
            }
        }
    }
    out
}

/// Payloads until every key of `want` arrived (duplicates allowed: QoS 1).
async fn mqtt_all(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    want: &BTreeMap<String, Value>,
) -> Vec<Value> {
    let mut got = Vec::new();
    let mut keys = BTreeSet::new();
    while keys.len() < want.len() {
        let p = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("MQTT messages stopped")
            .unwrap();
        let v = english(serde_json::from_slice(&p).unwrap());
        let key = want
            .iter()
            .find(|(_, w)| same(w, &v))
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| panic!("unexpected MQTT message {v}"));
        keys.insert(key);
        got.push(v);
    }
    got
}

/// Every message of `subject` in the JetStream stream `stream` once it
/// holds `n` (by `Nats-Msg-Id` → payload).
async fn nats_all(url: &str, stream: &str, subject: &str, n: usize) -> BTreeMap<String, Value> {
    let client = async_nats::connect(url.trim_start_matches("nats://"))
        .await
        .unwrap();
    nats_stored(client, stream, subject, n).await
}

/// [`nats_all`] through `client`.
async fn nats_stored(
    client: async_nats::Client,
    stream: &str,
    subject: &str,
    n: usize,
) -> BTreeMap<String, Value> {
    use async_nats::jetstream::consumer;
    use futures_util::StreamExt;
    let js = async_nats::jetstream::new(client);
    let consumer = js
        .get_stream(stream)
        .await
        .unwrap()
        .create_consumer(consumer::pull::Config {
            filter_subject: subject.to_owned(),
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer.messages().await.unwrap();
    let mut out = BTreeMap::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(120), msgs.next())
            .await
            .expect("NATS messages stopped")
            .unwrap()
            .unwrap();
        let key = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .unwrap()
            .as_str();
        // `<centre>/<alert id>/<change>`: the change's key is the rest.
        let key = key.split_once('/').unwrap().1.to_owned();
        out.insert(key, serde_json::from_slice(&m.payload).unwrap());
    }
    out
}

/// A patrol zone from lon `w` to `e` across the Gulf of Guinea box (lat 2
/// to 6.4), its alerts routed to `centre` (a name or a list), with dark
/// period, loitering and rendezvous on; `props` adds properties.
fn patrol_zone(id: &str, centre: Value, (w, e): (f64, f64), props: Value) -> Value {
    let mut z = serde_json::json!({
        "type": "Feature",
        "properties": {
            "id": id, "kind": "patrol", "centre": centre,
            "detect": {
                "dark_period": {"min_gap": "2h"},
                "loitering": {"max_speed_kn": 2.0, "min_duration": "2h"},
                "rendezvous": {"max_distance_m": 500, "max_speed_kn": 2.0, "min_duration": "2h"}
            }
        },
        "geometry": {"type": "Polygon", "coordinates": [[[w, 2.0], [e, 2.0], [e, 6.4], [w, 6.4], [w, 2.0]]]}
    });
    if let (Some(p), Some(extra)) = (z["properties"].as_object_mut(), props.as_object()) {
        p.extend(extra.clone());
    }
    z
}

/// `features` as `dir/zones/<file>`; the zones directory.
fn write_zones(dir: &Path, file: &str, features: Vec<Value>) -> std::path::PathBuf {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(zones.join(file), fc.to_string()).unwrap();
    zones
}

/// Two patrol zones splitting the Gulf of Guinea box at 3.1° E, one per centre.
fn two_zones(dir: &Path) -> std::path::PathBuf {
    let none = serde_json::json!({});
    write_zones(
        dir,
        "split.geojson",
        vec![
            patrol_zone("west", "WEST".into(), (0.5, 3.1), none.clone()),
            patrol_zone("east", "EAST".into(), (3.1, 8.8), none),
        ],
    )
}

/// The URL of the broker in `var` (`.ci/run` sets them when this machine
/// runs the brokers), or `None` after saying loudly that `what` is skipped.
fn broker_url(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED: {what}: {var} not set");
            None
        }
    }
}

/// Removes the JetStream stream a test made.
async fn delete_stream(url: &str, stream: &str) {
    let client = async_nats::connect(url.trim_start_matches("nats://"))
        .await
        .unwrap();
    let _ = async_nats::jetstream::new(client)
        .delete_stream(stream)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_gets_every_change_signed_and_in_order_through_500s_and_downtime() {
    let lines = sample_lines();
    let split = clean_split(&lines, lines.len() / 2);
    let (ref_alerts, _) = replay_reference(&lines);
    let want = keyed(&ref_alerts);
    let dir = tempfile::tempdir().unwrap();
    // The receiver is down (its port held, not listening: connections are
    // refused) while the first half is fed.
    let hook = HeldPort::loopback();
    let config = mdat_gog_with_webhook(dir.path(), hook.addr);
    let d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines[..split]).await;
    wait_failed_attempt(d.http).await;
    // Then up, answering 500 to every third request.
    let (rx, _server) = Receiver::start(hook.listen(), |n| n % 3 == 2, Duration::ZERO).await;
    feed(d.tcp, &lines[split..]).await;
    let got = rx.wait_all(&want, dir.path()).await;
    let retries = check(&got, &want);
    let failed = got.iter().filter(|g| !g.ok).count();
    assert!(
        failed > 0 && retries >= failed,
        "{failed} answered 500, {retries} retried"
    );
    // Nothing left in the outbox; the failures are in the metrics.
    wait_for(
        d.http,
        "/api/v1/deliveries?state=pending",
        Some(ADMIN),
        30,
        |v| v["deliveries"].as_array().is_some_and(|a| a.is_empty()),
    )
    .await;
    // The outbox is the administrator's: a centre's token is refused, a
    // delivered change has nothing to retry, an unknown id is 404.
    let (st, _) = request(d.http, "GET", "/api/v1/deliveries", Some("tok-0")).await;
    assert_eq!(st, 403);
    let done = get_json(
        d.http,
        "/api/v1/deliveries?state=delivered&channel=webhook&limit=1",
        Some(ADMIN),
    )
    .await;
    let id = done["deliveries"][0]["id"].as_i64().unwrap();
    assert_eq!(done["deliveries"][0]["centre"], "MDAT-GoG");
    let (st, body) = request(
        d.http,
        "POST",
        &format!("/api/v1/deliveries/{id}/retry"),
        Some(ADMIN),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    let (st, _) = request(
        d.http,
        "POST",
        "/api/v1/deliveries/987654321/retry",
        Some(ADMIN),
    )
    .await;
    assert_eq!(st, 404);
    let (st, body) = request(d.http, "GET", "/api/v1/deliveries?state=lost", Some(ADMIN)).await;
    assert!(st == 400 && body.contains("state"), "{st} {body}");
    let (_, metrics) = request(d.http, "GET", "/metrics", None).await;
    assert!(metrics
        .contains("aiswatch_delivery_failures_total{centre=\"MDAT-GoG\",channel=\"webhook\"}"));
    eprintln!(
        "{} changes of {} alerts: {} requests, {failed} answered 500, every change delivered",
        want.len(),
        ref_alerts
            .iter()
            .map(|a| a["id"].as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        got.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_delivery_then_restart_still_delivers_every_change() {
    let lines = sample_lines();
    let split = clean_split(&lines, lines.len() / 2);
    let (ref_alerts, _) = replay_reference(&lines);
    let want = keyed(&ref_alerts);
    let (first_alerts, first_positions) = replay_reference(&lines[..split]);
    let dir = tempfile::tempdir().unwrap();
    let (listener, hook) = hook_listener().await;
    let config = mdat_gog_with_webhook(dir.path(), hook);
    // A slow receiver, so the kill falls in the middle of delivery.
    let (rx, _server) = Receiver::start(listener, |_| false, Duration::from_millis(100)).await;
    let mut d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines[..split]).await;
    // The first half stored (what a kill -9 loses of the feed itself is
    // the persistence tests' matter), its alerts partly delivered: kill.
    wait_positions(d.http, ADMIN, first_positions.len()).await;
    let at_kill = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let wait = rx.changed.notified();
            let n = rx.snapshot().len();
            if n >= 3 {
                return n;
            }
            wait.await;
        }
    })
    .await
    .expect("nothing delivered before the kill");
    stop(&mut d, true);
    assert!(
        at_kill < first_alerts.len(),
        "all {} changes delivered before the kill: nothing tested",
        first_alerts.len()
    );
    let d = start(dir.path(), &config, 2).await;
    feed(d.tcp, &lines[split..]).await;
    let got = rx.wait_all(&want, dir.path()).await;
    check(&got, &want);
    eprintln!(
        "{} changes: {at_kill} received before kill -9, {} requests in all (duplicates allowed: at least once)",
        want.len(),
        got.len()
    );
}
