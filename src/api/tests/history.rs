//! History from the store: tracks (pages, simplification) and who was in a box.

use super::*;

#[tokio::test]
async fn history_from_the_store() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // Default window: 24 h before the engine clock. 30 points, capped at max_page = 20.
    let r = call(app, "/api/v1/vessels/123456789/track", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("\"sog_kn\":[12.2,12.2,") && !r.text.contains("12.19"),
        "{}",
        r.text
    );
    let t = r.json();
    assert_eq!(
        (t["type"].as_str(), t["geometry"]["type"].as_str()),
        (Some("Feature"), Some("LineString"))
    );
    assert_eq!(t["geometry"]["coordinates"][0], json!([3.0, 6.0]));
    let p = &t["properties"];
    assert_eq!(
        (p["mmsi"].as_u64(), p["truncated"].as_bool()),
        (Some(123_456_789), Some(true))
    );
    assert_eq!(p["times"].as_array().unwrap().len(), 20);
    assert_eq!(p["times"][0], rfc3339(CLOCK - 30 * MIN));
    assert_eq!(
        (p["cog"][0].as_f64(), p["sog_kn"].as_array().unwrap().len()),
        (Some(90.0), 20)
    );
    let next = p["next_from"].as_str().unwrap();
    assert_eq!(next, rfc3339(CLOCK - 10 * MIN));
    let rest = ok(app, &format!("/api/v1/vessels/123456789/track?from={next}")).await;
    assert_eq!(rest["properties"]["times"].as_array().unwrap().len(), 10);
    assert_eq!(
        (
            &rest["properties"]["truncated"],
            &rest["properties"]["next_from"]
        ),
        (&json!(false), &Value::Null)
    );
    // A straight line simplifies to its ends, keeping their times and speeds.
    let from = rfc3339(CLOCK - 25 * MIN);
    let s = ok(
        app,
        &format!("/api/v1/vessels/123456789/track?from={from}&simplify_m=100"),
    )
    .await;
    assert_eq!(s["geometry"]["coordinates"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["properties"]["times"],
        json!([from, rfc3339(CLOCK - 6 * MIN)])
    );
    assert_eq!(s["properties"]["sog_kn"], json!([12.2, 12.2]));
    // One point: a Point. An offset written `+00:00` arrives as a space and still parses.
    let one = ok(
        app,
        "/api/v1/vessels/987654321/track?from=2024-05-01T11:20:00+00:00&to=2024-05-01T11:20:30Z",
    )
    .await;
    assert_eq!(
        one["geometry"],
        json!({ "type": "Point", "coordinates": [3.5, 6.5] })
    );
    // No points in the window: a Feature without geometry; unknown vessel: 404.
    let none = ok(
        app,
        "/api/v1/vessels/987654321/track?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
    )
    .await;
    assert_eq!(
        (
            &none["geometry"],
            none["properties"]["times"].as_array().map(Vec::len)
        ),
        (&Value::Null, Some(0))
    );
    assert_eq!(
        call(app, "/api/v1/vessels/555555555/track", Some(ADMIN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Who was in the box: 123456789 (30 points, capped at 20: one vessel fills the page), then 987654321.
    let (from, to) = (rfc3339(CLOCK - 2 * 60 * MIN), rfc3339(CLOCK));
    let all = ok(
        app,
        &format!("/api/v1/positions?bbox=2,5,4,7&from={from}&to={to}"),
    )
    .await;
    assert_eq!(mmsis(&all), [123_456_789]);
    assert_eq!(all["next_cursor"], "123456789");
    let q = format!("/api/v1/positions?bbox=2,5,4,7&from={from}&to={to}&limit=20&cursor=123456789");
    let p2 = ok(app, &q).await;
    assert_eq!(
        (mmsis(&p2), &p2["next_cursor"]),
        (vec![987_654_321], &Value::Null)
    );
    assert_eq!(
        p2["vessels"][0]["points"][0],
        json!({ "time": rfc3339(CLOCK - 40 * MIN), "lon": 3.5, "lat": 6.5, "sog_kn": 12.2, "cog": 90.0 })
    );
}

#[tokio::test]
async fn latest_positions_show_where_each_vessel_was_at_a_time() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // Every vessel's newest point at or before `to` within the window, over
    // pages (123456789 has 21 points in it: alone it fills a page of 20,
    // read newest first, so its newest is kept).
    let at = |from: Millis, to: Millis| {
        format!(
            "/api/v1/positions?bbox=2,5,4,7&from={}&to={}&latest=true",
            rfc3339(from),
            rfc3339(to)
        )
    };
    let mut seen = Vec::new();
    let mut q = at(CLOCK - 120 * MIN, CLOCK - 10 * MIN);
    loop {
        let page = ok(app, &q).await;
        for v in page["vessels"].as_array().unwrap() {
            assert_eq!(v["points"].as_array().unwrap().len(), 1, "{v}");
            let p = &v["points"][0];
            seen.push((
                v["mmsi"].as_u64().unwrap(),
                p["time"].clone(),
                p["lon"].clone(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => q = format!("{}&cursor={c}", at(CLOCK - 120 * MIN, CLOCK - 10 * MIN)),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            (
                123_456_789,
                json!(rfc3339(CLOCK - 10 * MIN)),
                json!(3.0 + 20.0 * 0.01)
            ),
            (987_654_321, json!(rfc3339(CLOCK - 39 * MIN)), json!(3.51)),
        ]
    );
    // A short look-back: only who reported in it, as they were then.
    let then = ok(app, &at(CLOCK - 45 * MIN, CLOCK - 39 * MIN - MIN / 2)).await;
    assert_eq!(mmsis(&then), [987_654_321]);
    assert_eq!(
        then["vessels"][0]["points"][0]["time"],
        rfc3339(CLOCK - 40 * MIN)
    );
    let bad = call(
        app,
        &format!("{}&latest=yes", at(CLOCK - MIN, CLOCK)),
        Some(ADMIN),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("latest"), "{}", bad.text);
}
