//! The outbox against real stores (SQLite, and PostgreSQL when
//! `AISWATCH_TEST_PG_URL` is set) with a channel that fails on purpose.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::DeliveryConfig;
use super::hub::Hub;
use super::outbox::{spawn, DeliveryMetrics};
use super::sink::{Channel, Message, Route, SendError, Sink};
use crate::storage::delivery::{DeliveryFilter, RetryResult};
use crate::storage::tests::{alert, stores};
use crate::storage::{Batch, Store};
use aiswatch_core::ids::CentreId;
use aiswatch_engine::alert::{Kind, State};

/// Records every attempt; fails when `fail(attempt number)` says so.
struct Flaky {
    centre: &'static str,
    attempts: Mutex<Vec<(String, bool)>>,
    fail: Box<dyn Fn(usize) -> bool + Send + Sync>,
    changed: Notify,
}

impl Sink for Flaky {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }
    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            assert_eq!(msg.centre.as_str(), self.centre);
            let mut a = self.attempts.lock().unwrap();
            let failed = (self.fail)(a.len());
            a.push((msg.key.clone(), !failed));
            self.changed.notify_waiters();
            if failed {
                Err(SendError::new("refused on purpose"))
            } else {
                Ok(())
            }
        })
    }
}

fn flaky(centre: &'static str, fail: impl Fn(usize) -> bool + Send + Sync + 'static) -> Arc<Flaky> {
    Arc::new(Flaky {
        centre,
        attempts: Mutex::new(Vec::new()),
        fail: Box::new(fail),
        changed: Notify::new(),
    })
}

fn fast() -> DeliveryConfig {
    DeliveryConfig {
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..DeliveryConfig::default()
    }
}

fn routes() -> Vec<Route> {
    vec![
        Route {
            centre: "A".into(),
            kinds: None,
            channels: vec![Channel::Webhook],
            lang: "en",
        },
        Route {
            centre: "B".into(),
            kinds: Some(vec![Kind::Loitering]),
            channels: vec![Channel::Webhook],
            lang: "en",
        },
    ]
}

/// Waits until `sink` has acknowledged `n` distinct keys.
async fn delivered(sink: &Flaky, n: usize) -> Vec<String> {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let wait = sink.changed.notified();
            let ok: Vec<String> = {
                let a = sink.attempts.lock().unwrap();
                a.iter()
                    .filter(|(_, ok)| *ok)
                    .map(|(k, _)| k.clone())
                    .collect()
            };
            if ok.len() >= n {
                return ok;
            }
            wait.await;
        }
    })
    .await
    .expect("deliveries did not arrive in time")
}

/// Deliveries in `state`, newest first.
async fn in_state(store: &Store, state: &str) -> Vec<crate::storage::delivery::DeliveryView> {
    store
        .deliveries(&DeliveryFilter {
            state: Some(state.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn write(store: &Store, hub: &Hub, alerts: Vec<aiswatch_engine::alert::Alert>) {
    let events = store
        .write(&Batch {
            alerts,
            ..Batch::default()
        })
        .await
        .unwrap();
    hub.committed(events);
}

#[tokio::test]
async fn every_change_goes_once_per_centre_in_order_through_failures() {
    for (store, _dir) in stores().await {
        let store = store.with_routes(routes().into());
        let hub = Hub::new(64);
        let a = flaky("A", |i| i % 3 == 0);
        let b = flaky("B", |i| i % 2 == 0);
        let sinks: Vec<(CentreId, Arc<dyn Sink>)> =
            vec![("A".into(), a.clone()), ("B".into(), b.clone())];
        let cancel = CancellationToken::new();
        let metrics = DeliveryMetrics::register(&prometheus::Registry::new()).unwrap();
        let workers = spawn(store.clone(), &fast(), sinks, &hub, metrics, cancel.clone());

        // Alert 7 goes to A only; alert 8 (loitering) to A and B; alert 9
        // is a dark period of B's zone, which B does not take.
        let mut dark = alert(9, "B", State::Open, 1_000_000);
        dark.kind = Kind::DarkPeriod;
        dark.id =
            aiswatch_engine::alert::Alert::make_id(Kind::DarkPeriod, "z", &dark.mmsi, 1_000_000);
        write(
            &store,
            &hub,
            vec![alert(7, "A", State::Open, 1_100_000), dark],
        )
        .await;
        let mut both = alert(8, "A", State::Open, 1_200_000);
        both.centre.push("B".into());
        write(
            &store,
            &hub,
            vec![both.clone(), alert(7, "A", State::Update, 1_300_000)],
        )
        .await;
        both.state = State::Closed;
        write(
            &store,
            &hub,
            vec![alert(7, "A", State::Closed, 1_400_000), both],
        )
        .await;

        let got_a = delivered(&a, 5).await;
        let got_b = delivered(&b, 2).await;
        let id7 = aiswatch_engine::alert::Alert::make_id(
            Kind::Loitering,
            "z",
            &[aiswatch_engine::track::Mmsi(7)],
            1_000_000,
        );
        let id8 = aiswatch_engine::alert::Alert::make_id(
            Kind::Loitering,
            "z",
            &[aiswatch_engine::track::Mmsi(8)],
            1_000_000,
        );
        let seqs = |got: &[String], id: &aiswatch_core::ids::AlertId| -> Vec<String> {
            got.iter()
                .filter(|k| k.starts_with(&format!("{}/", id.as_str())))
                .cloned()
                .collect()
        };
        assert_eq!(
            seqs(&got_a, &id7),
            [1, 2, 3].map(|s| Message::key_for(&id7, s))
        );
        assert_eq!(
            seqs(&got_a, &id8),
            [1, 2].map(|s| Message::key_for(&id8, s))
        );
        assert_eq!(got_b, [1, 2].map(|s| Message::key_for(&id8, s)));
        // Failures were retried with the same key.
        let attempts = a.attempts.lock().unwrap().clone();
        assert!(attempts.iter().any(|(_, ok)| !ok));
        for (k, _) in attempts.iter().filter(|(_, ok)| !ok) {
            assert!(got_a.contains(k), "{k} failed and was never delivered");
        }
        cancel.cancel();
        for w in workers {
            w.await.unwrap();
        }
        let pending = in_state(&store, "pending").await;
        assert!(pending.is_empty(), "{pending:?}");
        let done = in_state(&store, "delivered").await;
        assert_eq!(done.len(), 7);
        assert!(done.iter().all(|d| d.delivered_at.is_some()));
    }
}

#[tokio::test]
async fn a_delivery_failing_past_give_up_is_dead_lettered_then_retried() {
    for (store, _dir) in stores().await {
        let store = store.with_routes(routes().into());
        let hub = Hub::new(64);
        // Fails until it has failed three times.
        let a = flaky("A", |i| i < 3);
        let sinks: Vec<(CentreId, Arc<dyn Sink>)> = vec![("A".into(), a.clone())];
        // Given up at the first failure (with any positive bound the first
        // attempt may come within it, in the millisecond the change was made).
        let cfg = DeliveryConfig {
            give_up_after: Duration::ZERO,
            ..fast()
        };
        let cancel = CancellationToken::new();
        let metrics = DeliveryMetrics::register(&prometheus::Registry::new()).unwrap();
        let workers = spawn(store.clone(), &cfg, sinks, &hub, metrics, cancel.clone());
        write(&store, &hub, vec![alert(7, "A", State::Open, 1_100_000)]).await;

        let dead = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                // Polled: the outcome is recorded just after the attempt.
                let f = in_state(&store, "failed").await;
                if !f.is_empty() {
                    return f;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("never dead-lettered");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("refused on purpose"));
        let id = dead[0].id;
        assert_eq!(
            store.retry_delivery(id + 1000, 0).await.unwrap(),
            RetryResult::NotFound
        );
        // Retried by hand until it goes through (the sink fails twice more,
        // each failure dead-lettering it again at once).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            assert!(tokio::time::Instant::now() < deadline, "never delivered");
            match store
                .retry_delivery(id, aiswatch_core::time::now_ms())
                .await
                .unwrap()
            {
                RetryResult::Queued => hub.wake(),
                RetryResult::NotFailed(s) if s == "delivered" => break,
                RetryResult::NotFailed(_) => {}
                RetryResult::NotFound => panic!("delivery {id} vanished"),
            }
            // Poll the outcome (recorded just after the attempt).
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let ok = delivered(&a, 1).await;
        assert_eq!(ok.len(), 1);
        assert!(matches!(
            store.retry_delivery(id, 0).await.unwrap(),
            RetryResult::NotFailed(s) if s == "delivered"
        ));
        cancel.cancel();
        for w in workers {
            w.await.unwrap();
        }
    }
}

/// A channel that never answers (until the attempt times out).
struct Hang;

impl Sink for Hang {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }
    fn send<'a>(&'a self, _: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_centre_that_never_answers_delays_no_other() {
    let (store, _dir) = stores().await.swap_remove(0);
    // B takes loitering only: every alert here is one.
    let store = store.with_routes(routes().into());
    let hub = Hub::new(64);
    let b = flaky("B", |_| false);
    let sinks: Vec<(CentreId, Arc<dyn Sink>)> =
        vec![("A".into(), Arc::new(Hang)), ("B".into(), b.clone())];
    let cfg = DeliveryConfig {
        timeout: Duration::from_secs(3600),
        ..fast()
    };
    let cancel = CancellationToken::new();
    let metrics = DeliveryMetrics::register(&prometheus::Registry::new()).unwrap();
    let workers = spawn(store.clone(), &cfg, sinks, &hub, metrics, cancel.clone());
    let mut alerts = Vec::new();
    for m in 0..20 {
        let mut a = alert(100 + m, "A", State::Open, 1_100_000);
        a.centre.push("B".into());
        alerts.push(a);
    }
    write(&store, &hub, alerts).await;
    // All 20 reach B while A's attempts hang for an hour.
    let got = delivered(&b, 20).await;
    assert_eq!(got.len(), 20);
    // Shutdown does not wait for the hung attempts.
    cancel.cancel();
    for w in workers {
        tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .unwrap()
            .unwrap();
    }
}
