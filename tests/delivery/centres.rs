//! Each centre gets its own alerts and no other's on every channel, and a
//! broker it cannot trust holds its changes in the outbox.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_centres_never_get_each_others_alerts_on_any_channel() {
    let lines = sample_lines();
    let dir = tempfile::tempdir().unwrap();
    let zones = two_zones(dir.path());
    let (ref_alerts, _) = replay_reference_in(&lines, &zones);
    let want = keyed(&ref_alerts);
    let of = |zone: &str| -> BTreeMap<String, Value> {
        want.iter()
            .filter(|(_, a)| a["zone"] == zone)
            .map(|(k, a)| (k.clone(), a.clone()))
            .collect()
    };
    let (west, east) = (of("west"), of("east"));
    assert!(
        !west.is_empty() && !east.is_empty(),
        "west {} east {}",
        west.len(),
        east.len()
    );

    let ((listener_w, hook_w), (listener_e, hook_e)) =
        (hook_listener().await, hook_listener().await);
    let (rx_w, _s1) = Receiver::start(listener_w, |_| false, Duration::ZERO).await;
    let (rx_e, _s2) = Receiver::start(listener_e, |_| false, Duration::ZERO).await;
    let mut centres = centres_with_webhook(&[("WEST", hook_w), ("EAST", hook_e)]);
    let run = std::process::id();
    let half = "MQTT/NATS half of two_centres";
    let mqtt = broker_url("AISWATCH_TEST_MQTT_URL", half);
    let nats = broker_url("AISWATCH_TEST_NATS_URL", half);
    let stream = format!("AWTEST_{run}");
    let mut mqtt_rx = Vec::new();
    for c in ["WEST", "EAST"] {
        let block = format!("[[centres]]\nid = \"{c}\"\n");
        let mut extra = String::new();
        if let Some(u) = &mqtt {
            let topic = format!("aiswatch-test/{run}/{c}");
            extra += &format!("[centres.mqtt]\nurl = \"{u}\"\ntopic = \"{topic}\"\nclient_id = \"aiswatch-test-{run}-{c}\"\n");
            mqtt_rx.push(mqtt_subscriber(u, &topic, None).await);
        }
        if let Some(u) = &nats {
            extra += &format!("[centres.nats]\nurl = \"{u}\"\nsubject = \"aiswatch.test.{run}.{c}\"\nstream = \"{stream}\"\n");
        }
        // Inserted right after the centre's own header line.
        let at = centres.find(&block).unwrap();
        let line_end = at + block.len() + centres[at + block.len()..].find('\n').unwrap() + 1;
        centres.insert_str(line_end, &extra);
    }
    let config = write_config(dir.path(), &zones, &sqlite(dir.path()), ADMIN, &centres);
    let d = start(dir.path(), &config, 1).await;
    // Tokens: WEST and EAST are declared after the eight shipped centres.
    let (tok_w, tok_e) = ("tok-8", "tok-9");
    // Subscribed before the feed starts: a stream opened without
    // Last-Event-ID carries what comes after.
    let streams = (
        tokio::spawn(read_events(
            open_stream(d.http, tok_w, None).await,
            west.len(),
        )),
        tokio::spawn(read_events(
            open_stream(d.http, tok_e, None).await,
            east.len(),
        )),
        tokio::spawn(read_events(
            open_stream(d.http, ADMIN, None).await,
            want.len(),
        )),
    );
    feed(d.tcp, &lines).await;

    let got_w = rx_w.wait_all(&west, dir.path()).await;
    let got_e = rx_e.wait_all(&east, dir.path()).await;
    // check() panics on any change not in the centre's own set.
    check(&got_w, &west);
    check(&got_e, &east);

    let as_keys = |events: &[(i64, Value)]| -> BTreeMap<String, Value> {
        keyed(&events.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>())
    };
    // A centre's token reads summaries in its language (English here).
    let centre_keys = |events: &[(i64, Value)]| -> BTreeMap<String, Value> {
        keyed(
            &events
                .iter()
                .map(|(_, v)| english(v.clone()))
                .collect::<Vec<_>>(),
        )
    };
    let sw = streams.0.await.unwrap();
    let se = streams.1.await.unwrap();
    let sa = streams.2.await.unwrap();
    let same_set = |a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>| {
        a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
    };
    assert!(same_set(&centre_keys(&sw), &west), "WEST's stream");
    assert!(same_set(&centre_keys(&se), &east), "EAST's stream");
    assert!(same_set(&as_keys(&sa), &want), "the admin's stream");
    // Resuming after the 10th event gives exactly the rest.
    let (tenth, _) = sa[9];
    let rest = read_events(open_stream(d.http, ADMIN, Some(tenth)).await, sa.len() - 10).await;
    assert_eq!(rest, sa[10..].to_vec(), "resumed with Last-Event-ID");
    // A centre's resumed stream is still its own.
    let rest_w = read_events(open_stream(d.http, tok_w, Some(0)).await, west.len()).await;
    assert!(same_set(&centre_keys(&rest_w), &west));
    if !mqtt_rx.is_empty() {
        for (rx, own) in mqtt_rx.iter_mut().zip([&west, &east]) {
            // mqtt_all fails on any message not of this centre.
            mqtt_all(rx, own).await;
        }
        eprintln!("MQTT: each centre's topic got exactly its own changes");
    }
    if let Some(u) = &nats {
        for (c, own) in [("WEST", &west), ("EAST", &east)] {
            let got = nats_all(u, &stream, &format!("aiswatch.test.{run}.{c}"), own.len()).await;
            let got: BTreeMap<String, Value> =
                got.into_iter().map(|(k, v)| (k, english(v))).collect();
            assert!(same_set(&got, own), "{c}'s NATS subject");
        }
        delete_stream(u, &stream).await;
        eprintln!("NATS: each centre's subject got exactly its own changes, keyed by Nats-Msg-Id (centre/alert/change)");
    }
    eprintln!(
        "west {} changes, east {} changes: each centre got exactly its own on webhook and stream",
        west.len(),
        east.len()
    );
}

/// `centres` with `extra` (TOML lines) inserted in `centre`'s block, right
/// after its header lines.
fn with_channels(centres: &mut String, centre: &str, extra: &str) {
    let block = format!("[[centres]]\nid = \"{centre}\"\n");
    let at = centres.find(&block).unwrap();
    let line_end = at + block.len() + centres[at + block.len()..].find('\n').unwrap() + 1;
    centres.insert_str(line_end, extra);
}

/// The pending deliveries of MDAT-GoG's `channel`, once there are `n` and
/// every failed one last failed saying `why` (the first attempts may have
/// come before the first connection failed).
async fn pending(http: SocketAddr, channel: &str, n: usize, why: &str) -> Vec<Value> {
    let path = format!("/api/v1/deliveries?state=pending&centre=MDAT-GoG&channel={channel}");
    let v = wait_for(http, &path, Some(ADMIN), 120, |v| {
        v["deliveries"].as_array().is_some_and(|a| {
            let errors: Vec<&str> = a.iter().filter_map(|d| d["last_error"].as_str()).collect();
            a.len() == n && !errors.is_empty() && errors.iter().all(|e| e.contains(why))
        })
    })
    .await;
    v["deliveries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_broker_certificate_keeps_changes_in_the_outbox_until_trusted() {
    let test = "an_untrusted_broker_certificate_keeps_changes";
    let pki = tls::Pki::new();
    let Some(mqtt) = tls::mosquitto(&pki, false, test).await else {
        return;
    };
    let Some(nats) = tls::nats_server(&pki, false, test).await else {
        return;
    };
    let lines = sample_lines();
    let (ref_alerts, _) = replay_reference(&lines);
    let want = keyed(&ref_alerts);
    let dir = tempfile::tempdir().unwrap();
    let (mqtt_url, nats_url) = (
        format!("mqtts://{}", mqtt.addr),
        format!("tls://{}", nats.addr),
    );
    let (topic, subject, stream) = ("aiswatch/alerts/MDAT-GoG", "aiswatch.alerts.gog", "ALERTS");
    let config_trusting = |ca: &Path| {
        let mut centres = centres_with_webhook(&[]);
        let ca = ca.display();
        with_channels(
            &mut centres,
            "MDAT-GoG",
            &format!(
                "[centres.mqtt]\nurl = \"{mqtt_url}\"\ntopic = \"{topic}\"\nca_file = \"{ca}\"\n\
                 [centres.nats]\nurl = \"{nats_url}\"\nsubject = \"{subject}\"\nstream = \"{stream}\"\n\
                 ca_file = \"{ca}\"\n"
            ),
        );
        write_config(
            dir.path(),
            &shipped_zones(),
            &sqlite(dir.path()),
            ADMIN,
            &centres,
        )
    };

    // Trusting a CA that did not sign the brokers' certificates: every
    // change is stored and kept pending, each failure saying why.
    let config = config_trusting(&pki.other_ca_file);
    let mut d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines).await;
    for (channel, url) in [("mqtt", &mqtt_url), ("nats", &nats_url)] {
        let kept = pending(d.http, channel, want.len(), "invalid peer certificate").await;
        let errors: Vec<&str> = kept
            .iter()
            .filter_map(|d| d["last_error"].as_str())
            .collect();
        assert!(
            errors.iter().all(|e| e.contains(url.as_str())),
            "{channel}: {errors:?}"
        );
        eprintln!("{channel}: {} changes kept; {}", kept.len(), errors[0]);
    }
    stop(&mut d, true);

    // Trusting the right CA: the kept changes go out, each at least once.
    let mut rx = mqtt_subscriber(&mqtt_url, topic, Some(pki.client_config(false))).await;
    let config = config_trusting(&pki.ca_file);
    let _d = start(dir.path(), &config, 2).await;
    let got = mqtt_all(&mut rx, &want).await;
    assert!(got.len() >= want.len());
    let client = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(pki.ca_file.clone())
        .connect(&nats_url)
        .await
        .unwrap();
    let stored = nats_stored(client, stream, subject, want.len()).await;
    assert_eq!(stored.len(), want.len());
    for (k, v) in &stored {
        assert!(
            same(&english(v.clone()), &want[k]),
            "NATS {k}: {v}\nwant {}",
            want[k]
        );
    }
    eprintln!(
        "{} changes kept through an untrusted certificate, then delivered over mqtts:// and tls://",
        want.len()
    );
}
