//! Degraded service: no store, readiness reasons, the query limiter and
//! `/healthz` under load, the cap on live streams.

use super::*;

#[tokio::test]
async fn without_a_store() {
    let f = fixture(Opts {
        store: false,
        ..DEFAULT
    })
    .await;
    for path in [
        "/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z",
        "/api/v1/alerts",
        "/api/v1/alerts/x",
        "/api/v1/vessels/123456789/track",
    ] {
        let r = call(&f.app, path, Some(ADMIN)).await;
        assert_eq!(
            (r.status, r.text.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"error":"no store configured"}"#
            ),
            "{path}"
        );
    }
    assert_eq!(
        call(&f.app, "/api/v1/vessels/987654321", Some(ADMIN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let s = ok(&f.app, "/api/v1/status").await;
    assert_eq!(
        (&s["alerts"], &s["storage"]["kind"]),
        (&Value::Null, &json!("none"))
    );
}

#[tokio::test]
async fn readiness_gives_reasons() {
    let f = fixture(DEFAULT).await;
    let r = call(&f.app, "/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        (&v["ready"], &v["reasons"], &v["details"]),
        (&json!(true), &json!([]), &json!([]))
    );
    let ctx = &f.state.ctx;
    ctx.sources_ready.store(false, Ordering::Relaxed);
    ctx.engine_heartbeat
        .store(now_ms() - 10_000, Ordering::Relaxed);
    ctx.storage.failing.store(true, Ordering::Relaxed);
    *ctx.storage.last_error.lock().unwrap() = Some("disk full".into());
    ctx.storage.positions_dropped.store(5, Ordering::Relaxed);
    let r = call(&f.app, "/readyz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let v = r.json();
    assert_eq!(v["ready"], false);
    let reasons: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("sources")
            && reasons[1].contains("disk full")
            && reasons[2].starts_with("engine stalled")
    );
    assert_eq!(
        (
            v["positions_dropped"].as_u64(),
            v["details"].as_array().map(Vec::len)
        ),
        (Some(5), Some(1))
    );
    let s = ok(&f.app, "/api/v1/status").await;
    assert_eq!(
        (&s["storage"]["failing"], &s["storage"]["last_error"]),
        (&json!(true), &json!("disk full"))
    );
    // Feed health per source, from the daemon's counters.
    assert_eq!(s["sources"], json!([]));
    f.state
        .ctx
        .metrics
        .source_lines
        .with_label_values(&["rx1"])
        .inc_by(5);
    f.state
        .ctx
        .metrics
        .decoded
        .with_label_values(&["rx1"])
        .inc_by(4);
    f.state
        .ctx
        .metrics
        .source_up
        .with_label_values(&["rx1"])
        .set(0);
    let s = ok(&f.app, "/api/v1/status").await;
    assert_eq!(
        s["sources"],
        json!([{ "id": "rx1", "lines": 5, "messages": 4, "up": false }])
    );
}

/// 200 heavy queries hold every permit (each waits for the engine to
/// refresh a stale snapshot); a 201st is refused with 503 and
/// `Retry-After`, `/healthz` still answers at once, and when the engine
/// publishes a large snapshot all 200 finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiter_refuses_and_healthz_answers_under_load() {
    const N: usize = 200;
    let f = fixture(Opts {
        max_concurrent_queries: N,
        ..DEFAULT
    })
    .await;
    f.snapshot
        .send_replace(Arc::new(snapshot(now_ms() - 60_000, 0)));
    let heavy: Vec<_> = (0..N)
        .map(|i| {
            let app = f.app.clone();
            let path = if i % 2 == 0 {
                "/api/v1/vessels?bbox=-31,-31,-28,-28"
            } else {
                "/api/v1/vessels?lon=-29.5&lat=-29.5&radius_m=100000"
            };
            tokio::spawn(async move { call(&app, path, Some(ADMIN)).await.status })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.state.limiter.available_permits() > 0 {
        assert!(
            Instant::now() < deadline,
            "heavy queries never took every permit"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let busy = call(&f.app, "/api/v1/vessels?bbox=2,5,4,7", Some(ADMIN)).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers.get(header::RETRY_AFTER).unwrap(), "1");
    assert!(busy.json()["error"].as_str().unwrap().contains("retry"));
    let t = Instant::now();
    let h = call(&f.app, "/healthz", None).await;
    assert_eq!((h.status, h.text.as_str()), (StatusCode::OK, "ok"));
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t.elapsed()
    );
    assert!(heavy.iter().any(|h| !h.is_finished()));
    assert!(f.state.ctx.want_snapshot.load(Ordering::Relaxed));

    // The engine answers with 20 000 vessels: the queries now do real work.
    f.snapshot
        .send_replace(Arc::new(snapshot(now_ms(), 20_000)));
    let t = Instant::now();
    assert_eq!(call(&f.app, "/healthz", None).await.status, StatusCode::OK);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t.elapsed()
    );
    for h in heavy {
        assert_eq!(h.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(f.state.limiter.available_permits(), N);
}

#[tokio::test]
async fn live_streams_need_a_token_and_are_capped() {
    let f = fixture(DEFAULT).await;
    let open = |token: Option<&'static str>| {
        let app = f.app.clone();
        async move {
            let mut req = Request::builder().uri("/api/v1/alerts/stream");
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
        }
    };
    assert_eq!(open(None).await.status(), StatusCode::UNAUTHORIZED);
    let a = open(Some(TOKEN_A)).await;
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(a.headers()[header::CONTENT_TYPE], "text/event-stream");
    let b = open(Some(TOKEN_B)).await;
    assert_eq!(b.status(), StatusCode::OK);
    // Two open (`max_streams = 2`): the third waits for one to close.
    let busy = open(Some(ADMIN)).await;
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
    drop(a);
    assert_eq!(open(Some(ADMIN)).await.status(), StatusCode::OK);
    drop(b);
}
