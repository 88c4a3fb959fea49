//! Zones edited live, on the daemon binary: an edit shows in the
//! zones API within 2 s; an invalid edit keeps the previous zones and
//! `/readyz` names file and feature; SIGHUP reloads; removing a zone closes
//! its open alerts with `"reason": "zone_removed"` through the alert path
//! (stored, so the alerts API shows the close).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token";

fn zone(id: &str, w: f64, e: f64) -> Value {
    json!({
        "type": "Feature",
        "properties": {
            "id": id, "kind": "patrol",
            "detect": {
                "dark_period": {"min_gap": "2h"},
                "loitering": {"max_speed_kn": 2.0, "min_duration": "2h"},
                "rendezvous": {"max_distance_m": 500, "max_speed_kn": 2.0, "min_duration": "2h"}
            }
        },
        "geometry": {"type": "Polygon", "coordinates": [[[w, 2.0], [e, 2.0], [e, 6.4], [w, 6.4], [w, 2.0]]]}
    })
}

fn write_zones(path: &Path, features: &[Value]) {
    let fc = json!({"type": "FeatureCollection", "features": features});
    // Written whole and renamed in, as editors and deploy tools do.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, fc.to_string()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn zone_ids(http: SocketAddr) -> BTreeSet<String> {
    let v = get_json(http, "/api/v1/zones", Some(ADMIN)).await;
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls the zones API until it lists exactly `want`; returns how long it took.
async fn wait_zones(http: SocketAddr, want: &[&str], within: Duration) -> Duration {
    let t0 = Instant::now();
    let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
    loop {
        let got = zone_ids(http).await;
        if got == want {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < within,
            "zones API shows {got:?}, not {want:?}, after {:?}",
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

async fn metrics(http: SocketAddr) -> String {
    request(http, "GET", "/metrics", None).await.1
}

/// Alerts of `zone` whose latest state is open, by id.
async fn open_alerts(http: SocketAddr, zone: &str) -> BTreeSet<String> {
    let v = get_json(
        http,
        &format!("/api/v1/alerts?zone={zone}&state=open&limit=1000"),
        Some(ADMIN),
    )
    .await;
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_edited_live_reload_refuse_and_close_alerts_of_removed_zones() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    let (west, east) = (zones.join("west.geojson"), zones.join("east.geojson"));
    write_zones(&west, &[zone("west", 0.5, 3.1)]);
    write_zones(&east, &[zone("east", 3.1, 8.8)]);

    // Which alerts are still open at the end of the sample, per zone.
    let lines = sample_lines();
    let (reference, _) = replay_reference_in(&lines, &zones);
    let mut latest: BTreeMap<String, (String, String)> = BTreeMap::new();
    for a in &reference {
        latest.insert(
            a["id"].as_str().unwrap().to_owned(),
            (
                a["zone"].as_str().unwrap().to_owned(),
                a["state"].as_str().unwrap().to_owned(),
            ),
        );
    }
    let open_at_end = |z: &str| -> BTreeSet<String> {
        latest
            .iter()
            .filter(|(_, (zone, state))| zone == z && state != "closed")
            .map(|(id, _)| id.clone())
            .collect()
    };
    let (victim, keep) = if open_at_end("west").len() >= open_at_end("east").len() {
        ("west", "east")
    } else {
        ("east", "west")
    };
    let victim_open = open_at_end(victim);
    assert!(
        !victim_open.is_empty(),
        "the sample leaves no alert open in either zone"
    );

    let db = format!("sqlite://{}", dir.path().join("aiswatch.db").display());
    let config = write_config(dir.path(), &zones, &db, ADMIN, "");
    let mut d = start(dir.path(), &config, 1).await;
    let (http, tcp) = (d.http, d.tcp);
    wait_zones(http, &["east", "west"], Duration::from_secs(5)).await;

    // 1. An added zone (in an existing file) shows within 2 s.
    write_zones(&west, &[zone("west", 0.5, 3.1), zone("far", 40.0, 41.0)]);
    let took = wait_zones(http, &["east", "far", "west"], Duration::from_secs(2)).await;
    eprintln!("added zone visible after {took:?}");

    // 2. An invalid edit keeps the previous zones; /readyz names file and feature.
    let mut bad = zone("far", 40.0, 41.0);
    bad["properties"]["detect"]["loitering"]["max_speed_kn"] = json!(-1);
    write_zones(&west, &[zone("west", 0.5, 3.1), bad]);
    let ready = wait_for(http, "/readyz", None, 2, |v| {
        v["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().contains("zones reload refused"))
    })
    .await;
    let detail = ready["details"].to_string();
    assert!(
        detail.contains("west.geojson")
            && detail.contains("feature #1")
            && detail.contains("detect.loitering.max_speed_kn"),
        "{detail}"
    );
    assert_eq!(ready["ready"], true, "previous zones run on: {ready}");
    assert_eq!(
        zone_ids(http).await,
        ["east", "far", "west"].map(String::from).into()
    );
    let m = metrics(http).await;
    assert_eq!(
        metric(&m, "aiswatch_zones_reloads_total{result=\"error\"}"),
        1,
        "{m}"
    );
    assert_eq!(metric(&m, "aiswatch_zones_reload_failed"), 1);

    // 3. Fixed again: back in force, the error cleared.
    write_zones(&west, &[zone("west", 0.5, 3.1)]);
    wait_zones(http, &["east", "west"], Duration::from_secs(2)).await;
    wait_for(http, "/readyz", None, 2, |v| {
        !v["details"].to_string().contains("zones reload refused")
    })
    .await;

    // 4. SIGHUP reloads though nothing changed (and does not stop the daemon).
    let ok_before = metric(
        &metrics(http).await,
        "aiswatch_zones_reloads_total{result=\"ok\"}",
    );
    let st = std::process::Command::new("kill")
        .args(["-HUP", &d.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let ok = metric(
            &metrics(http).await,
            "aiswatch_zones_reloads_total{result=\"ok\"}",
        );
        if ok == ok_before + 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no reload after SIGHUP ({ok})");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(d.child.try_wait().unwrap().is_none(), "SIGHUP stopped it");

    // 5. Feed the sample: the victim zone has open alerts at the end.
    feed(tcp, &lines).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while open_alerts(http, victim).await != victim_open {
        assert!(
            Instant::now() < deadline,
            "open alerts of {victim}: {:?}, want {victim_open:?}",
            open_alerts(http, victim).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 6. Removing its file closes each with the reason, through the store.
    std::fs::remove_file(if victim == "west" { &west } else { &east }).unwrap();
    wait_zones(http, &[keep], Duration::from_secs(2)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !open_alerts(http, victim).await.is_empty() {
        assert!(Instant::now() < deadline, "alerts of {victim} still open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &victim_open {
        let detail = get_json(http, &format!("/api/v1/alerts/{}", id), Some(ADMIN)).await;
        let a = &detail["alert"];
        assert_eq!(a["state"], "closed", "{a}");
        assert_eq!(a["details"]["reason"], "zone_removed", "{a}");
        assert_eq!(a["zone"], victim);
    }
    stop(&mut d, false);
}
