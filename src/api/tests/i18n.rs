//! The console's words: the languages, each one's messages (a regional tag
//! answered by its language), no token needed, cached by ETag, and a
//! language without a catalog refused by name.

use super::*;

#[tokio::test]
async fn languages_are_listed_english_first_without_a_token() {
    let f = fixture(DEFAULT).await;
    let r = call(&f.app, "/api/v1/i18n", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        r.json(),
        json!({"languages": [
            {"tag": "en", "name": "English"},
            {"tag": "fr", "name": "Français"},
            {"tag": "pt", "name": "Português"},
        ]})
    );
}

#[tokio::test]
async fn console_messages_in_the_negotiated_language() {
    let f = fixture(DEFAULT).await;
    let en = call(&f.app, "/api/v1/i18n/en", None).await;
    assert_eq!(en.status, StatusCode::OK, "{}", en.text);
    let en = en.json();
    assert_eq!(en["lang"], "en");
    assert_eq!(en["messages"]["signin-submit"], "Sign in");
    // A regional tag reads its language's catalog.
    let fr = call(&f.app, "/api/v1/i18n/fr-CI", None).await;
    assert_eq!(fr.status, StatusCode::OK, "{}", fr.text);
    let fr = fr.json();
    assert_eq!(fr["lang"], "fr");
    assert_eq!(fr["messages"]["signin-submit"], "Se connecter");
    // The same keys in every language; a figure left for the console to fill in.
    let keys = |v: &Value| {
        v["messages"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&en), keys(&fr));
    assert!(
        fr["messages"]["time-looking-back"]
            .as_str()
            .unwrap()
            .contains("{$time}"),
        "{}",
        fr["messages"]["time-looking-back"]
    );
    // Without the prefix, and nothing but the console's.
    assert!(en["messages"].get("loitering").is_none());
    let pt = call(&f.app, "/api/v1/i18n/pt-MZ", None).await.json();
    assert_eq!(pt["lang"], "pt");
    assert_eq!(pt["messages"]["kind-dark-period"], "apagão AIS");
}

#[tokio::test]
async fn a_language_without_a_catalog_is_refused_by_name() {
    let f = fixture(DEFAULT).await;
    for tag in ["de", "zz-ZZ", "not%20a%20tag"] {
        let r = call(&f.app, &format!("/api/v1/i18n/{tag}"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{tag}: {}", r.text);
        let error = r.json()["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with("no catalog for language"), "{error}");
        assert!(error.contains("en, fr, pt"), "{error}");
    }
}

#[tokio::test]
async fn console_messages_are_revalidated_by_etag() {
    let f = fixture(DEFAULT).await;
    for path in ["/api/v1/i18n", "/api/v1/i18n/fr"] {
        let r = call(&f.app, path, None).await;
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache", "{path}");
        let etag = r.headers[header::ETAG].clone();
        let req = Request::builder()
            .uri(path)
            .header(header::IF_NONE_MATCH, etag.clone())
            .body(Body::empty())
            .unwrap();
        let res = f.app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(res.headers()[header::ETAG], etag, "{path}");
    }
    // Each language its own.
    let en = call(&f.app, "/api/v1/i18n/en", None).await;
    let fr = call(&f.app, "/api/v1/i18n/fr", None).await;
    assert_ne!(en.headers[header::ETAG], fr.headers[header::ETAG]);
}
