//! Each centre reads the same alert changes in its own language.

use super::*;

/// One patrol zone over the Gulf of Guinea box whose alerts go to three
/// centres.
fn one_zone_three_centres(dir: &Path) -> std::path::PathBuf {
    let zone = patrol_zone(
        "delta",
        serde_json::json!(["EN", "FR", "PT"]),
        (0.5, 8.8),
        serde_json::json!({"name": "Zone Delta"}),
    );
    write_zones(dir, "delta.geojson", vec![zone])
}

/// English phrases of the summaries: none may be left in another language's.
const ENGLISH_PHRASES: &[&str] = &[
    " silent for ",
    " loitering ",
    " together for ",
    "reappeared",
    "threshold",
    " kn",
    " nm ",
    "ended:",
    " apart",
    "closest",
    "last heard",
    "kept receiving",
    "went on after",
    " of AIS silence",
];

/// What a centre reading `lang` got for one change, against the change
/// as stored (`want`): the same bytes but for `lang` and `summary` (the
/// stored summary's place), `kind` and `details` byte-identical, and a
/// summary in `lang` that keeps every MMSI, name, the zone and every
/// figure of the English one.
fn check_in_language(raw: &str, want: &Value, lang: &str) {
    let got: Value = serde_json::from_str(raw).unwrap();
    assert_eq!(got["lang"], lang, "{raw}");
    let (mut a, mut b) = (got.clone(), want.clone());
    for v in [&mut a, &mut b] {
        let o = v.as_object_mut().unwrap();
        o.remove("lang");
        o.remove("summary");
    }
    assert!(
        same(&a, &b),
        "{lang}: more than the summary differs:\n{raw}\nwant\n{want}"
    );
    // (Within 1e-9 of replay's; byte for byte across languages below.)
    assert_eq!(got["kind"], want["kind"]);
    let (text, english) = (
        got["summary"].as_str().unwrap(),
        want["summary"].as_str().unwrap(),
    );
    if lang == "en" {
        assert_eq!(text, english);
        return;
    }
    assert_ne!(text, english, "{lang}: summary left in English");
    for p in ENGLISH_PHRASES {
        assert!(!text.contains(p), "{lang}: English {p:?} left in {text:?}");
    }
    for v in want["vessels"].as_array().unwrap() {
        assert!(
            text.contains(&v["mmsi"].to_string()),
            "{lang}: no MMSI in {text:?}"
        );
        if let Some(n) = v["name"].as_str() {
            assert!(text.contains(n), "{lang}: no name {n:?} in {text:?}");
        }
    }
    assert!(text.contains("Zone Delta"), "{lang}: no zone in {text:?}");
    // Every figure of the English summary, with the language's decimal comma.
    let figures = english
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|f| f.trim_matches('.'))
        .filter(|f| f.chars().any(|c| c.is_ascii_digit()));
    for f in figures {
        let local = f.replace('.', ",");
        assert!(
            text.contains(&local),
            "{lang}: figure {f} ({local}) not in {text:?}\nEnglish: {english}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_centre_reads_the_same_changes_in_its_own_language() {
    let lines = sample_lines();
    let dir = tempfile::tempdir().unwrap();
    let zones = one_zone_three_centres(dir.path());
    let (ref_alerts, _) = replay_reference_in(&lines, &zones);
    let want = keyed(&ref_alerts);
    let kinds: BTreeSet<&str> = ref_alerts
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 3, "the sample gives {kinds:?}");
    let run = std::process::id();
    let half = "MQTT/NATS half of each_centre_reads_the_same_changes_in_its_own_language";
    let mqtt = broker_url("AISWATCH_TEST_MQTT_URL", half);
    let nats = broker_url("AISWATCH_TEST_NATS_URL", half);
    let stream = format!("AWLANG_{run}");
    let langs = [("EN", "en"), ("FR", "fr"), ("PT", "pt-AO")];
    let mut centres = String::from(
        "[delivery]\nmin_backoff = \"20ms\"\nmax_backoff = \"300ms\"\ntimeout = \"5s\"\n\n",
    );
    let mut receivers = Vec::new();
    let mut mqtt_rx = Vec::new();
    for (c, lang) in langs {
        let (listener, addr) = hook_listener().await;
        receivers.push(Receiver::start(listener, |_| false, Duration::ZERO).await);
        centres += &format!(
            "[[centres]]\nid = \"{c}\"\nlanguage = \"{lang}\"\napi_tokens = [\"tok-{c}\"]\n\
             [centres.webhook]\nurl = \"http://{addr}/hook\"\nsecret = \"{SECRET}\"\n"
        );
        if let Some(u) = &mqtt {
            let topic = format!("aiswatch-test/{run}/lang/{c}");
            centres += &format!("[centres.mqtt]\nurl = \"{u}\"\ntopic = \"{topic}\"\nclient_id = \"aiswatch-lang-{run}-{c}\"\n");
            mqtt_rx.push(mqtt_subscriber(u, &topic, None).await);
        }
        if let Some(u) = &nats {
            centres += &format!("[centres.nats]\nurl = \"{u}\"\nsubject = \"aiswatch.lang.{run}.{c}\"\nstream = \"{stream}\"\n");
        }
        centres += "\n";
    }
    let config = write_config(dir.path(), &zones, &sqlite(dir.path()), ADMIN, &centres);
    let d = start(dir.path(), &config, 1).await;
    let mut streams = Vec::new();
    for (c, _) in langs {
        streams.push(tokio::spawn(read_events(
            open_stream(d.http, &format!("tok-{c}"), None).await,
            want.len(),
        )));
    }
    feed(d.tcp, &lines).await;

    // Each change's payload from `"details":` on (the last field), per centre.
    let mut tails: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((c, lang), (rx, _server)) in langs.iter().zip(&receivers) {
        let lang = &lang[..2];
        // Webhook: every change, signed, once acknowledged.
        let got = rx.wait_all(&want, dir.path()).await;
        let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
        for g in got.iter().filter(|g| g.ok) {
            wh.verify(g.body.as_bytes(), &g.headers).unwrap();
            check_in_language(&g.body, &want[&g.id], lang);
            let tail = &g.body[g.body.find("\"details\":").unwrap()..];
            tails
                .entry(g.id.clone())
                .or_default()
                .insert(tail.to_owned());
        }
        // The live stream and the API with the centre's token.
        let events = streams.remove(0).await.unwrap();
        assert_eq!(events.len(), want.len(), "{c}'s stream");
        let seen = keyed(&events.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>());
        for (k, v) in &seen {
            check_in_language(&v.to_string(), &want[k], lang);
        }
        let (st, body) = request(d.http, "GET", "/api/v1/alerts", Some(&format!("tok-{c}"))).await;
        assert_eq!(st, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let latest = page["alerts"].as_array().unwrap();
        assert_eq!(
            latest.len(),
            ref_alerts
                .iter()
                .filter_map(|a| a["id"].as_str())
                .collect::<BTreeSet<_>>()
                .len()
        );
        for a in latest {
            // The latest change of each alert.
            let last = ref_alerts.iter().rfind(|w| w["id"] == a["id"]).unwrap();
            check_in_language(&a.to_string(), last, lang);
        }
        let (_, session) =
            request(d.http, "POST", "/api/v1/session", Some(&format!("tok-{c}"))).await;
        assert!(
            session.contains(&format!("\"lang\":\"{lang}\"")),
            "{session}"
        );
    }
    assert!(
        tails.values().all(|t| t.len() == 1),
        "details not byte-identical across languages"
    );
    // Mean time from commit to acknowledgement, per centre and channel
    // (for BENCHMARKS.md: what localising adds is within the noise).
    let (_, metrics) = request(d.http, "GET", "/metrics", None).await;
    let value = |name: &str, c: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}{{centre=\"{c}\",channel=\"webhook\"}} ")))
            .map_or(0.0, |v| v.trim().parse().unwrap())
    };
    for (c, lang) in langs {
        let (sum, n) = (
            value("aiswatch_delivery_latency_seconds_sum", c),
            value("aiswatch_delivery_latency_seconds_count", c),
        );
        eprintln!(
            "webhook latency {c} ({lang}): {n} deliveries, mean {:.2} ms",
            1000.0 * sum / n.max(1.0)
        );
    }
    // The administrator reads the changes as stored: English, no `lang`.
    let (_, body) = request(d.http, "GET", "/api/v1/alerts", Some(ADMIN)).await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert!(page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a.get("lang").is_none()));
    if mqtt.is_some() {
        for ((_, lang), rx) in langs.iter().zip(mqtt_rx.iter_mut()) {
            let mut keys = BTreeSet::new();
            while keys.len() < want.len() {
                let p = tokio::time::timeout(Duration::from_secs(120), rx.recv())
                    .await
                    .expect("MQTT messages stopped")
                    .unwrap();
                let p = String::from_utf8(p).expect("MQTT payload is UTF-8");
                let v: Value = serde_json::from_str(&p).unwrap();
                let (k, w) = want
                    .iter()
                    .find(|(_, w)| {
                        w["id"] == v["id"] && same(&w["at"], &v["at"]) && w["state"] == v["state"]
                    })
                    .unwrap_or_else(|| panic!("unexpected MQTT message {v}"));
                check_in_language(&p, w, &lang[..2]);
                keys.insert(k.clone());
            }
        }
        eprintln!("MQTT: each centre's topic got every change in its language");
    }
    if let Some(u) = &nats {
        for (c, lang) in langs {
            let got = nats_all(u, &stream, &format!("aiswatch.lang.{run}.{c}"), want.len()).await;
            for (k, v) in &got {
                check_in_language(&v.to_string(), &want[k], &lang[..2]);
            }
        }
        delete_stream(u, &stream).await;
        eprintln!("NATS: each centre's subject got every change in its language");
    }
    eprintln!(
        "{} changes ({kinds:?}) reached an English, a French and a Portuguese centre on every channel, \
         summaries in each one's language, everything else identical",
        want.len()
    );
}
