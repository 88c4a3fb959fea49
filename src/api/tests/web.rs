//! The console's static files: served at `/` from the embedded copy, typed,
//! cached by ETag; nothing else answers but the API's JSON 404.

use super::*;

#[tokio::test]
async fn console_files_are_served_typed_and_cached() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // No token needed: the page itself holds nothing; its data needs one.
    let index = call(app, "/", None).await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.text.contains("<title>aiswatch"), "{}", index.text);
    assert_eq!(index.headers[header::CONTENT_TYPE], "text/html");
    assert!(index.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    for (path, mime) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/vendor/world-atlas/land-50m.json", "application/json"),
    ] {
        let r = call(app, path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.headers[header::CONTENT_TYPE], mime, "{path}");
    }
    // Revalidation: the same ETag is "not modified".
    let etag = index.headers[header::ETAG].clone();
    let req = Request::builder()
        .uri("/")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    // Anything else: the API's 404, also for a way out of web/ and for POST.
    for path in [
        "/nope.js",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/api/v1/nope",
    ] {
        let r = call(app, path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["error"], "no such route", "{path}");
    }
    let req = Request::builder()
        .method("POST")
        .uri("/")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
