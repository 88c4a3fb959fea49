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

/// Opens the live stream with `token`; its events as they come.
async fn open_stream(
    app: &Router,
    token: &str,
) -> impl futures_util::Stream<Item = String> + Unpin {
    use futures_util::StreamExt;
    let req = Request::builder()
        .uri("/api/v1/alerts/stream")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Bytes in, one SSE block (ending in a blank line) out; keep-alive comments skipped.
    futures_util::stream::unfold(
        (res.into_body().into_data_stream(), String::new()),
        |(mut body, mut buf)| async move {
            loop {
                if let Some(i) = buf.find("\n\n") {
                    let block: String = buf.drain(..i + 2).collect();
                    if block.starts_with(':') {
                        continue;
                    }
                    return Some((block, (body, buf)));
                }
                let chunk = body.next().await?.ok()?;
                buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        },
    )
    .boxed()
}

async fn next_event(s: &mut (impl futures_util::Stream<Item = String> + Unpin)) -> String {
    use futures_util::StreamExt;
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("no event within 10 s")
        .expect("stream ended")
}

#[tokio::test]
async fn acks_are_pushed_live_to_their_centre_only() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let mut a = open_stream(app, TOKEN_A).await;
    let mut b = open_stream(app, TOKEN_B).await;
    let ack = |id: &str, token: &'static str, by: &str| {
        let body = format!(r#"{{"by": "{by}"}}"#);
        let path = format!("/api/v1/alerts/{id}/ack");
        async move {
            let r = post(app, &path, Some(token), &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.text
        }
    };
    let sent = ack(ALERT_A, TOKEN_A, "Lt. Diallo").await;
    // As the POST answered it, as `event: ack`, without an id (the alerts' Last-Event-ID stays).
    assert_eq!(
        next_event(&mut a).await,
        format!("event: ack\ndata: {sent}\n\n")
    );
    // B's first event is its own acknowledgement: A's never reached it.
    let sent_b = ack(ALERT_B, TOKEN_B, "Cdr. Okafor").await;
    let got = next_event(&mut b).await;
    assert_eq!(got, format!("event: ack\ndata: {sent_b}\n\n"));
    assert!(got.contains(r#""centre":"B""#), "{got}");
    // And A's next is its own again, not B's.
    let again = ack(ALERT_A, TOKEN_A, "Cdr. Mensah").await;
    assert_eq!(
        next_event(&mut a).await,
        format!("event: ack\ndata: {again}\n\n")
    );
}
