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
