//! The OpenAPI document.

use super::*;

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let f = fixture(DEFAULT).await;
    let r = call(&f.app, "/api/v1/openapi.json", None).await;
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/status",
        "/api/v1/vessels",
        "/api/v1/vessels/{mmsi}",
        "/api/v1/vessels/{mmsi}/track",
        "/api/v1/positions",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/{id}/ack",
        "/api/v1/alerts/{id}/evidence",
        "/api/v1/alerts/{id}/hold",
        "/api/v1/holds",
        "/api/v1/alerts/stream",
        "/api/v1/zones",
        "/api/v1/zones/{id}",
        "/api/v1/zones/{id}/versions",
        "/api/v1/zones/check",
        "/api/v1/zones/preview",
        "/api/v1/deliveries",
        "/api/v1/deliveries/{id}/retry",
        "/api/v1/federation",
        "/api/v1/federation/inbox",
        "/api/v1/federation/evidence",
        "/api/v1/federation/evidence_requests/{partner}/{request}/{decision}",
        "/api/v1/openapi.json",
        "/api/v1/i18n",
        "/api/v1/i18n/{tag}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({ "type": "http", "scheme": "bearer" })
    );
    assert_eq!(doc["security"], json!([{ "bearer": [] }]));
    let vessels = &paths["/api/v1/vessels"]["get"];
    let names: Vec<&str> = vessels["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bbox", "lon", "lat", "radius_m", "limit", "cursor"]);
    assert!(doc["components"]["schemas"]["TrackFeature"].is_object());
    // The alert kinds come from the detector registry.
    let kind = paths["/api/v1/alerts"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kind")
        .unwrap();
    let kinds: Vec<&str> = aiswatch_engine::alert::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(kind["schema"]["enum"], json!(kinds));
    let mut ops: Vec<&str> = paths
        .values()
        .flat_map(|p| ["get", "post", "put", "delete"].map(|m| p[m]["operationId"].as_str()))
        .flatten()
        .collect();
    ops.sort_unstable();
    let n = ops.len();
    ops.dedup();
    assert_eq!(
        (n, ops.len()),
        (37, 37),
        "operation ids must be unique: {ops:?}"
    );
}

#[tokio::test]
async fn numeric_path_ids_out_of_range_answer_a_documented_400() {
    let f = fixture(DEFAULT).await;
    let doc = call(&f.app, "/api/v1/openapi.json", None).await.json();
    // Every operation with an integer path parameter documents the 400
    // that a value beyond the integer's range (or not a number) gets.
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let numeric = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "path" && p["schema"]["type"] == "integer");
            if numeric {
                assert!(
                    op["responses"]["400"].is_object(),
                    "{method} {path} answers 400 for an id out of range but does not document it"
                );
                checked.push(format!("{method} {path}"));
            }
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "get /api/v1/audit/{seq}",
            "get /api/v1/vessels/{mmsi}",
            "get /api/v1/vessels/{mmsi}/track",
            "post /api/v1/deliveries/{id}/retry",
        ]
    );
    // And they do answer 400, naming the parameter.
    let too_big = "99999999999999999999";
    for (method, path) in [
        ("POST", format!("/api/v1/deliveries/{too_big}/retry")),
        ("GET", format!("/api/v1/vessels/{too_big}")),
        ("GET", format!("/api/v1/vessels/{too_big}/track")),
        ("GET", format!("/api/v1/audit/{too_big}")),
    ] {
        let r = request(&f.app, method, &path, Some(ADMIN), None).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            r.text
        );
        assert!(r.json()["error"].is_string());
    }
}
