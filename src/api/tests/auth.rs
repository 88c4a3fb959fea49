//! Tokens, and named errors for bad parameters.

use super::*;

#[tokio::test]
async fn tokens_are_required_except_for_probes_and_the_document() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let routes = [
        "/api/v1/status",
        "/api/v1/vessels?bbox=2,5,4,7",
        "/api/v1/vessels/123456789",
        "/api/v1/vessels/123456789/track",
        "/api/v1/positions?bbox=2,5,4,7&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z",
        "/api/v1/alerts",
        "/api/v1/alerts/x",
        "/api/v1/zones",
    ];
    for path in routes {
        for token in [None, Some("nope"), Some("admin-toke"), Some("")] {
            let r = call(app, path, token).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
            assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
            assert!(r.json()["error"].is_string());
        }
    }
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"] {
        assert_eq!(call(app, path, None).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(call(app, "/healthz", None).await.text, "ok");
    assert!(call(app, "/metrics", None)
        .await
        .text
        .contains("aiswatch_vessels_tracked"));
    // No token configured: open.
    let open = fixture(Opts {
        tokens: false,
        ..DEFAULT
    })
    .await;
    assert_eq!(
        call(&open.app, "/api/v1/alerts", None).await.json()["alerts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let f = fixture(DEFAULT).await;
    let cases = [
        ("/api/v1/vessels", "bbox"),
        ("/api/v1/vessels?bbox=1,2,3", "bbox"),
        ("/api/v1/vessels?bbox=10,5,20,4", "bbox"),
        ("/api/v1/vessels?bbox=0,0,181,1", "bbox"),
        ("/api/v1/vessels?bbox=0,0,1,1&lon=1", "bbox"),
        ("/api/v1/vessels?lon=1&lat=2", "radius_m"),
        ("/api/v1/vessels?lat=2&radius_m=5", "lon"),
        ("/api/v1/vessels?lon=200&lat=0&radius_m=10", "lon"),
        ("/api/v1/vessels?lon=1&lat=95&radius_m=10", "lat"),
        ("/api/v1/vessels?lon=1&lat=0&radius_m=-5", "radius_m"),
        ("/api/v1/vessels?lon=1&lat=0&radius_m=5&cursor=zz", "cursor"),
        ("/api/v1/vessels?bbox=0,0,1,1&limit=0", "limit"),
        ("/api/v1/vessels?bbox=0,0,1,1&limit=ten", "limit"),
        ("/api/v1/vessels?bbox=0,0,1,1&cursor=abc", "cursor"),
        ("/api/v1/vessels/abc", "mmsi"),
        ("/api/v1/vessels/1234567890", "mmsi"),
        ("/api/v1/vessels/abc/track", "mmsi"),
        ("/api/v1/vessels/123456789/track?from=yesterday", "from"),
        ("/api/v1/vessels/123456789/track?to=2024-13-01T00:00:00Z", "to"),
        ("/api/v1/vessels/123456789/track?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", "from"),
        ("/api/v1/vessels/123456789/track?simplify_m=-1", "simplify_m"),
        ("/api/v1/positions?from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z", "bbox"),
        ("/api/v1/positions?bbox=0,0,1,1&to=2024-05-01T12:00:00Z", "from"),
        ("/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z", "to"),
        ("/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z&cursor=x", "cursor"),
        ("/api/v1/alerts?state=maybe", "state"),
        ("/api/v1/alerts?kind=piracy", "kind"),
        ("/api/v1/alerts?mmsi=x", "mmsi"),
        ("/api/v1/alerts?since=x", "since"),
        ("/api/v1/alerts?until=x", "until"),
        ("/api/v1/alerts?cursor=x", "cursor"),
        ("/api/v1/alerts?limit=-1", "limit"),
    ];
    for (path, param) in cases {
        let r = call(&f.app, path, Some(ADMIN)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        let e = r.json()["error"].as_str().unwrap().to_owned();
        assert!(e.starts_with(&format!("{param}: ")), "{path}: {e}");
    }
    let r = call(&f.app, "/api/v1/nothing", Some(ADMIN)).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no such route"))
    );
}

#[test]
fn an_open_api_beyond_loopback_is_warned_about() {
    let any: std::net::SocketAddr = "0.0.0.0:9700".parse().unwrap();
    let local: std::net::SocketAddr = "127.0.0.1:9700".parse().unwrap();
    assert!(crate::api::warn_if_open(&[], any));
    assert!(!crate::api::warn_if_open(&[], local));
    assert!(!crate::api::warn_if_open(
        &[("t".into(), Scope::Admin)],
        any
    ));
}
