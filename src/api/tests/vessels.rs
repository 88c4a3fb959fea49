//! Current vessels from the snapshot: boxes, radius, pages, one vessel.

use super::*;

#[tokio::test]
async fn current_vessels_from_the_snapshot() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let s = ok(app, "/api/v1/status").await;
    assert_eq!(s["clock"], "2024-05-01T12:00:00.000Z");
    // The snapshot was taken at the fixture's start, on the wall clock.
    let lag = s["lag_s"].as_f64().unwrap();
    let want = (now_ms() - CLOCK) as f64 / 1000.0;
    assert!(
        lag <= want && lag > want - 600.0,
        "lag_s {lag}, wall − clock {want}"
    );
    assert_eq!(s["vessels"], 4);
    assert_eq!(s["alerts"], json!({ "stored": 2, "open": 1 }));
    assert_eq!(s["storage"]["kind"], "sqlite");
    assert!(s["engine"]["messages"].is_u64() && s["storage"]["failing"] == false);
    assert!(f.state.ctx.want_snapshot.load(Ordering::Relaxed));

    let r = call(app, "/api/v1/vessels?bbox=2,5,4,7", Some(ADMIN)).await;
    assert!(r.text.contains("\"sog_kn\":12.2,"), "{}", r.text);
    assert!(r.text.contains("\"draught_m\":5.2,"), "{}", r.text);
    let v = r.json();
    assert_eq!(mmsis(&v), [123_456_789, 222_222_222]);
    assert_eq!(
        (v["total"].as_u64(), &v["next_cursor"]),
        (Some(2), &Value::Null)
    );
    let a = &v["vessels"][0];
    assert_eq!(
        (a["class"].as_str(), a["static"]["name"].as_str()),
        (Some("a"), Some("ALPHA"))
    );
    assert!(a.get("flag").is_some());
    assert!(a.get("distance_m").is_none());
    // Pages.
    let p1 = ok(app, "/api/v1/vessels?bbox=2,5,4,7&limit=1").await;
    assert_eq!(
        (mmsis(&p1), p1["next_cursor"].as_str()),
        (vec![123_456_789], Some("123456789"))
    );
    let p2 = ok(app, "/api/v1/vessels?bbox=2,5,4,7&limit=1&cursor=123456789").await;
    assert_eq!(
        (mmsis(&p2), &p2["next_cursor"]),
        (vec![222_222_222], &Value::Null)
    );
    // Across the antimeridian.
    assert_eq!(
        mmsis(&ok(app, "/api/v1/vessels?bbox=179,-1,-179,1").await),
        [333_333_333]
    );
    // Radius: nearest first, with distances, in pages.
    let r = ok(app, "/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000").await;
    assert_eq!(mmsis(&r), [123_456_789, 222_222_222]);
    assert_eq!(r["vessels"][0]["distance_m"], 0.0);
    let d = r["vessels"][1]["distance_m"].as_f64().unwrap();
    assert!((1500.0..1700.0).contains(&d), "{d}");
    let r1 = ok(app, "/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000&limit=1").await;
    let c = r1["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(mmsis(&r1), [123_456_789]);
    let r2 = ok(
        app,
        &format!("/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000&limit=1&cursor={c}"),
    )
    .await;
    assert_eq!(
        (mmsis(&r2), &r2["next_cursor"]),
        (vec![222_222_222], &Value::Null)
    );

    // One vessel: live, else from the store, else 404.
    let live = ok(app, "/api/v1/vessels/123456789").await;
    assert_eq!(
        (live["origin"].as_str(), live["sog_kn"].as_f64()),
        (Some("live"), Some(12.2))
    );
    assert_eq!(live["first_seen"], rfc3339(CLOCK - 60 * MIN));
    let stored = ok(app, "/api/v1/vessels/987654321").await;
    assert_eq!(
        (stored["origin"].as_str(), stored["static"]["name"].as_str()),
        (Some("store"), Some("GHOST"))
    );
    assert_eq!(
        (
            stored["lon"].as_f64(),
            stored["sog_kn"].as_f64(),
            &stored["first_seen"]
        ),
        (Some(3.51), Some(12.2), &Value::Null)
    );
    let r = call(app, "/api/v1/vessels/555555555", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "no such vessel: 555555555");
}
