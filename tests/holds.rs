//! Legal holds end to end with the real binary, on SQLite and (with
//! `AISWATCH_TEST_PG_URL`) PostgreSQL: retention of 2 h run every second
//! over a 12 h feed from 18:00 to 06:00 the next day (so PostgreSQL's
//! partition of the first day is pruned). Two vessels loiter in the patrol
//! zone from 18:10 and 18:20; one alert is held before the rest of the feed
//! arrives. Once retention has pruned past both: the held alert's bundle
//! exports, verifies, and holds every position of its vessel in its window;
//! the other answers 410 naming pruned data, its vessel's first-day track
//! is gone. Holds are listed, released, and refused to a centre's token.

mod common;

use aiswatch::evidence::{files, verify, Bundle, Manifest};
use aiswatch_sim::encode::{tagged_lines, type1, PositionA};
use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token";
const CENTRE_TOKEN: &str = "sim-tok";
const CENTRES: &str = "[[centres]]\nid = \"SIM-CENTRE\"\napi_tokens = [\"sim-tok\"]\n";
/// 2026-01-01T00:00:00Z, unix seconds.
const DAY0: i64 = 1_767_225_600;
const HOUR: i64 = 3600;
/// The feed: 18:00 of day 0 to 06:00 of day 1.
const START: i64 = DAY0 + 18 * HOUR;
const END: i64 = DAY0 + 30 * HOUR;
/// Where the feed is split: both alerts are open (raised after an hour of
/// loitering), nothing is old enough to prune.
const SPLIT: i64 = DAY0 + 19 * HOUR + 35 * 60;
/// The held vessel and the other one.
const HELD: u32 = 247_000_001;
const OTHER: u32 = 247_000_002;

/// A vessel reporting every minute from [`START`] to [`END`] at `lat`,
/// eastward at 5 kn but at 0.5 kn (loitering) from `slow.0` to `slow.1`:
/// (time, line) pairs.
fn vessel(mmsi: u32, lat: f64, slow: (i64, i64)) -> Vec<(i64, String)> {
    let mut lon = 2.3;
    let mut out = Vec::new();
    for t in (START..=END).step_by(60) {
        let sog_kn = if (slow.0..slow.1).contains(&t) {
            0.5
        } else {
            5.0
        };
        let p = PositionA {
            mmsi,
            status: 0,
            sog_kn,
            lon,
            lat,
            cog: 90.0,
            heading: 90,
            second: 0,
            radio: 0,
        };
        out.extend(
            tagged_lines(&type1(&p), 0, 'A', "st-holds", t)
                .into_iter()
                .map(|l| (t, l)),
        );
        lon += sog_kn * 1852.0 / 60.0 / (111_320.0 * lat.to_radians().cos());
    }
    out
}

/// The loitering alert of `mmsi` in `alerts`.
fn alert_of(alerts: &Value, mmsi: u32) -> String {
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "loitering" && a["mmsi"] == json!([mmsi]))
        .unwrap_or_else(|| panic!("no loitering alert of {mmsi}: {alerts}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rfc3339(unix_s: i64) -> String {
    aiswatch_core::time::rfc3339(unix_s * 1000)
}

async fn run(db: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("sim.geojson"), aiswatch_sim::zones_geojson()).unwrap();
    let mut timed = vessel(HELD, 4.3, (DAY0 + 18 * HOUR + 600, DAY0 + 19 * HOUR + 2400));
    timed.extend(vessel(
        OTHER,
        4.4,
        (DAY0 + 18 * HOUR + 1200, DAY0 + 19 * HOUR + 3000),
    ));
    timed.sort_by_key(|(t, _)| *t);
    let lines: Vec<String> = timed.iter().map(|(_, l)| l.clone()).collect();
    let first: Vec<String> = timed
        .iter()
        .filter(|(t, _)| *t <= SPLIT)
        .map(|(_, l)| l.clone())
        .collect();
    let (_, reference) = replay_reference_in(&lines, &zones);

    let sqlite = db.is_none();
    let db = db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("store.db").display()));
    let config = write_config(dir.path(), &zones, &db, ADMIN, CENTRES);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace(
        "[storage]\n",
        "[storage]\nretention = \"2h\"\nprune_every = \"1s\"\n",
    );
    std::fs::write(&config, text).unwrap();
    let d = start(dir.path(), &config, 1).await;

    feed(d.tcp, &first).await;
    let alerts = wait_for(
        d.http,
        "/api/v1/alerts?kind=loitering",
        Some(ADMIN),
        120,
        |v| v["alerts"].as_array().is_some_and(|a| a.len() == 2),
    )
    .await;
    let (held, other) = (alert_of(&alerts, HELD), alert_of(&alerts, OTHER));
    let hold_path = |id: &str| format!("/api/v1/alerts/{}/hold", encode(id));
    let body = json!({"reason": "case 2026/114", "by": "Lt. Diallo"});

    // Admin only, both fields, once, of an alert that exists.
    let (status, v) = post_json(d.http, &hold_path(&other), CENTRE_TOKEN, &body).await;
    assert_eq!(status, 403, "{v}");
    let (status, v) = post_json(d.http, &hold_path(&held), ADMIN, &json!({"reason": " "})).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = post_json(
        d.http,
        &hold_path(&held),
        ADMIN,
        &json!({"reason": " ", "by": "x"}),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("reason"), "{v}");
    let (status, v) = post_json(d.http, &hold_path("loitering:nowhere:1:1"), ADMIN, &body).await;
    assert_eq!(status, 404, "{v}");
    let (status, v) = post_json(d.http, &hold_path(&held), ADMIN, &body).await;
    assert_eq!(status, 201, "{v}");
    let started = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == held.as_str())
        .unwrap()["started_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = chrono::DateTime::parse_from_rfc3339(&started)
        .unwrap()
        .timestamp();
    assert_eq!(
        (
            &v["alert"],
            &v["reason"],
            &v["by"],
            &v["mmsi"],
            &v["zone"],
            &v["to"]
        ),
        (
            &json!(held),
            &body["reason"],
            &body["by"],
            &json!([HELD]),
            &json!("sim-patrol"),
            &Value::Null
        ),
        "{v}"
    );
    assert_eq!(v["from"], rfc3339(started - 2 * HOUR), "{v}");
    let (status, v) = post_json(d.http, &hold_path(&held), ADMIN, &body).await;
    assert_eq!(status, 409, "{v}");

    // The rest of the feed; retention prunes up to 2 h before its end
    // (PostgreSQL: whole days, so to the end of day 0).
    let rest: Vec<String> = timed
        .iter()
        .filter(|(t, _)| *t > SPLIT)
        .map(|(_, l)| l.clone())
        .collect();
    feed(d.tcp, &rest).await;
    wait_positions(d.http, ADMIN, reference.len()).await;
    let horizon = if sqlite {
        END - 2 * HOUR
    } else {
        DAY0 + 24 * HOUR
    };
    wait_for(d.http, "/api/v1/status", Some(ADMIN), 60, |s| {
        s["storage"]["pruned_before"] == rfc3339(horizon)
    })
    .await;

    // The held alert: exported, verified, every position of its window.
    let evidence = |id: &str| format!("/api/v1/alerts/{}/evidence", encode(id));
    let (status, zip) = get_bytes(d.http, &evidence(&held), ADMIN).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&zip));
    let b = Bundle::from_zip(&zip).unwrap();
    let check = verify(&b, None);
    assert!(check.is_ok(), "{:?}", check.findings);
    let m: Manifest = serde_json::from_slice(b.get(files::MANIFEST).unwrap()).unwrap();
    assert!(m.window.from_ms < horizon * 1000, "{:?}", m.window);
    let want = reference
        .iter()
        .filter(|p| p.mmsi.0 == HELD && p.time >= m.window.from_ms && p.time <= m.window.to_ms)
        .count();
    let csv = std::str::from_utf8(b.get(files::POSITIONS_CSV).unwrap()).unwrap();
    assert!(want > 100, "{want}");
    assert_eq!(csv.lines().count() - 1, want);
    assert!(!m.raw_lines.is_empty());

    // The other: gone, saying why; its vessel's first day pruned, the held one's kept.
    let (status, body_bytes) = get_bytes(d.http, &evidence(&other), ADMIN).await;
    let v: Value = serde_json::from_slice(&body_bytes).unwrap();
    assert_eq!(status, 410, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("pruned") && e.contains(&other) && e.contains(&rfc3339(horizon)),
        "{e}"
    );
    let day0 = |mmsi: u32| {
        format!(
            "/api/v1/vessels/{mmsi}/track?from={}&to={}",
            rfc3339(START),
            rfc3339(DAY0 + 24 * HOUR - 1)
        )
    };
    let points = |v: &Value| v["geometry"]["coordinates"].as_array().map_or(0, Vec::len);
    assert_eq!(
        points(&get_json(d.http, &day0(OTHER), Some(ADMIN)).await),
        0
    );
    let held_day0 = reference
        .iter()
        .filter(|p| p.mmsi.0 == HELD && p.time < (DAY0 + 24 * HOUR) * 1000)
        .count();
    assert_eq!(
        points(&get_json(d.http, &day0(HELD), Some(ADMIN)).await),
        held_day0
    );

    // Listed, released once, no longer listed.
    let holds = get_json(d.http, "/api/v1/holds", Some(ADMIN)).await;
    let listed: Vec<&Value> = holds["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["alert"])
        .collect();
    assert_eq!(listed, vec![&json!(held)], "{holds}");
    let (status, _) = request(d.http, "GET", "/api/v1/holds", Some(CENTRE_TOKEN)).await;
    assert_eq!(status, 403);
    let (status, text) = request(d.http, "DELETE", &hold_path(&held), Some(ADMIN)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["alert"],
        json!(held)
    );
    let holds = get_json(d.http, "/api/v1/holds", Some(ADMIN)).await;
    assert_eq!(holds, json!({"holds": []}));
    let (status, text) = request(d.http, "DELETE", &hold_path(&held), Some(ADMIN)).await;
    assert_eq!(status, 404, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_alert_keeps_its_evidence_through_retention() {
    run(None).await;
    if let Some(base) = pg_base_url("holds") {
        run(Some(pg_schema(&base, "holds").await)).await;
    }
}
