//! `POST /api/v1/alerts/{id}/ack`: stored, scoped to the caller's centre,
//! shown in the alert list and detail; bad bodies named.

use super::*;

async fn post(app: &Router, path: &str, token: Option<&str>, body: &str) -> Reply {
    request(app, "POST", path, token, Some(body)).await
}

#[tokio::test]
async fn acks_are_stored_scoped_and_shown() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let ack_a = format!("/api/v1/alerts/{ALERT_A}/ack");
    let before = now_ms();
    let r = post(
        app,
        &ack_a,
        Some(TOKEN_A),
        r#"{"by": " Lt. Diallo ", "note": "Patrol boat tasked.\nETA 40 min"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    assert_eq!(
        (&v["alert_id"], &v["centre"], &v["by"], &v["note"]),
        (
            &json!(ALERT_A),
            &json!("A"),
            &json!("Lt. Diallo"),
            &json!("Patrol boat tasked.\nETA 40 min")
        )
    );
    let at = crate::api::params::time("at", v["at"].as_str().unwrap()).unwrap();
    assert!(at >= before - 1000 && at <= now_ms() + 1000, "{v}");

    // Shown to the centre in the detail (every ack) and the list (the latest).
    post(app, &ack_a, Some(TOKEN_A), r#"{"by": "Cdr. Mensah"}"#).await;
    let d = ok_as(app, &format!("/api/v1/alerts/{ALERT_A}"), TOKEN_A).await;
    let by: Vec<&str> = d["acks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["Lt. Diallo", "Cdr. Mensah"]);
    let l = ok_as(app, "/api/v1/alerts", TOKEN_A).await;
    assert_eq!(l["acks"][ALERT_A]["by"], "Cdr. Mensah");
    assert_eq!(l["acks"].as_object().unwrap().len(), 1);
    assert_eq!(ok(app, "/api/v1/alerts").await["acks"][ALERT_A]["note"], "");

    // Another centre cannot acknowledge, or see, what is not routed to it.
    let hidden = post(app, &ack_a, Some(TOKEN_B), r#"{"by": "x"}"#).await;
    let missing = post(
        app,
        "/api/v1/alerts/loitering:za:1:1/ack",
        Some(TOKEN_B),
        r#"{"by": "x"}"#,
    )
    .await;
    assert_eq!(
        (hidden.status, missing.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        ok_as(app, "/api/v1/alerts", TOKEN_B).await["acks"],
        json!({})
    );
    assert_eq!(
        post(app, &ack_a, None, r#"{"by": "x"}"#).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Bad bodies: 400 naming the field.
    let long = "n".repeat(2001);
    for (body, field) in [
        ("", "body"),
        ("not json", "body"),
        (r#"{"note": "no one"}"#, "body"),
        (r#"{"by": "x", "colour": "red"}"#, "body"),
        (r#"{"by": "   "}"#, "by"),
        (r#"{"by": "a\u0007b"}"#, "by"),
        (&format!(r#"{{"by": "{}"}}"#, "b".repeat(101)), "by"),
        (&format!(r#"{{"by": "x", "note": "{long}"}}"#), "note"),
    ] {
        let r = post(app, &ack_a, Some(TOKEN_A), body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        let e = r.json()["error"].as_str().unwrap().to_owned();
        assert!(e.starts_with(&format!("{field}:")), "{body}: {e}");
    }
    // None of those was stored.
    assert_eq!(
        ok(app, &format!("/api/v1/alerts/{ALERT_A}")).await["acks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
