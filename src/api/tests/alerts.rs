//! Alerts passed through byte for byte, filters and pages; what a centre's
//! token sees of alerts, zones and status.

use super::*;

#[tokio::test]
async fn alerts_are_passed_through_and_scoped() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // Newest first, each the stored JSON of its latest state, byte for byte.
    let r = call(app, "/api/v1/alerts", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.text,
        format!(
            "{{\"alerts\":[{},{}],\"next_cursor\":null,\"acks\":{{}}}}",
            f.alert_json[3], f.alert_json[2]
        )
    );
    assert!(r.text.contains("\"max_speed_kn_seen\":12.2"));
    let ids = |v: &Value| -> Vec<String> {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (q, want) in [
        ("state=open", vec![ALERT_A]),
        ("state=closed", vec![ALERT_B]),
        ("kind=dark_period", vec![ALERT_B]),
        ("zone=za", vec![ALERT_A]),
        ("mmsi=123456789", vec![ALERT_A]),
        ("until=2024-05-01T11:20:00Z", vec![ALERT_B]),
        ("since=2024-05-01T11:58:00Z", vec![ALERT_A]),
    ] {
        assert_eq!(
            ids(&ok(app, &format!("/api/v1/alerts?{q}")).await),
            want,
            "{q}"
        );
    }
    let p1 = ok(app, "/api/v1/alerts?limit=1").await;
    assert_eq!(ids(&p1), [ALERT_B]);
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = ok(app, &format!("/api/v1/alerts?limit=1&cursor={c}")).await;
    assert_eq!(
        (ids(&p2), &p2["next_cursor"]),
        (vec![ALERT_A.to_owned()], &Value::Null)
    );
    // Detail: latest and every change, in order, unchanged.
    let r = call(app, &format!("/api/v1/alerts/{ALERT_A}"), Some(ADMIN)).await;
    assert_eq!(
        r.text,
        format!(
            "{{\"alert\":{a2},\"changes\":[{a0},{a2}],\"acks\":[]}}",
            a0 = f.alert_json[0],
            a2 = f.alert_json[2]
        )
    );

    // Centre A sees its alert only; B's is "not found", exactly like a missing one.
    let a = ok_as(app, "/api/v1/alerts", TOKEN_A).await;
    assert_eq!(ids(&a), [ALERT_A]);
    assert_eq!(
        ok_as(app, &format!("/api/v1/alerts/{ALERT_A}"), TOKEN_A).await["changes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let hidden = call(app, &format!("/api/v1/alerts/{ALERT_B}"), Some(TOKEN_A)).await;
    let missing = call(app, "/api/v1/alerts/loitering:za:1:1", Some(TOKEN_A)).await;
    assert_eq!(
        (hidden.status, missing.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        hidden.text.replace(ALERT_B, "X"),
        missing.text.replace("loitering:za:1:1", "X")
    );
    assert_eq!(ids(&ok_as(app, "/api/v1/alerts", TOKEN_B).await), [ALERT_B]);
    assert_eq!(
        call(app, &format!("/api/v1/alerts/{ALERT_A}"), Some(TOKEN_B))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Zones: a GeoJSON FeatureCollection, a centre sees its own only.
    let zone_ids = |v: &Value| -> Vec<String> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["properties"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let z = ok(app, "/api/v1/zones").await;
    assert_eq!(
        (z["type"].as_str(), zone_ids(&z)),
        (
            Some("FeatureCollection"),
            vec!["za".to_owned(), "zb".to_owned()]
        )
    );
    let za = &z["features"][0];
    assert_eq!(za["type"], "Feature");
    let version = za["properties"]["version"].as_str().unwrap().to_owned();
    assert_eq!(
        za["properties"],
        json!({ "id": "za", "name": "Zone za", "kind": "patrol", "centre": ["A"], "version": version })
    );
    assert_eq!(version.len(), 64, "a SHA-256 in hex");
    assert_eq!(za["geometry"]["type"], "MultiPolygon");
    assert_eq!(za["geometry"]["coordinates"][0][0][0], json!([2.0, 5.0]));
    assert_eq!(
        zone_ids(&ok_as(app, "/api/v1/zones", TOKEN_A).await),
        ["za"]
    );
    assert_eq!(
        zone_ids(&ok_as(app, "/api/v1/zones", TOKEN_B).await),
        ["zb"]
    );
    // Status counts only what the token may see.
    assert_eq!(
        ok_as(app, "/api/v1/status", TOKEN_A).await["alerts"],
        json!({ "stored": 1, "open": 1 })
    );
    assert_eq!(
        ok_as(app, "/api/v1/status", TOKEN_B).await["alerts"],
        json!({ "stored": 1, "open": 0 })
    );
}

/// A NUL character in a text parameter (query or path) is a 400 naming
/// the parameter, on SQLite and PostgreSQL alike (PostgreSQL refuses NUL
/// in text: the query must never reach it).
#[tokio::test]
async fn a_nul_in_a_text_parameter_is_a_named_400_on_every_store() {
    for (store, dir) in crate::storage::tests::stores().await {
        let kind = store.kind();
        let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let f = fixture_on(DEFAULT, Some(store), dir).await;
        for (method, path, param) in [
            ("GET", "/api/v1/alerts?zone=%00", "zone"),
            ("GET", "/api/v1/alerts?state=open&zone=za%00b", "zone"),
            ("GET", "/api/v1/deliveries?centre=%00", "centre"),
            (
                "GET",
                "/api/v1/deliveries?centre=A&channel=web%00hook",
                "channel",
            ),
            ("GET", "/api/v1/alerts?zo%00ne=za", "zo\\0ne"),
            ("GET", "/api/v1/alerts/%00", "id"),
            ("GET", "/api/v1/alerts/loitering%00/evidence", "id"),
            ("POST", "/api/v1/alerts/a%00b/ack", "id"),
        ] {
            let body = (method == "POST").then_some(r#"{"by": "officer"}"#);
            let r = request(&f.app, method, path, Some(ADMIN), body).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{kind}: {method} {path}: {}",
                r.text
            );
            let e = r.json()["error"].as_str().unwrap().to_owned();
            assert!(e.starts_with(&format!("{param}: ")), "{kind}: {path}: {e}");
        }
        // Without the NUL, the same queries answer.
        ok(&f.app, "/api/v1/alerts?zone=za").await;
        ok(&f.app, "/api/v1/deliveries?centre=A").await;
        ok(&f.app, &format!("/api/v1/alerts/{ALERT_A}")).await;
    }
}
