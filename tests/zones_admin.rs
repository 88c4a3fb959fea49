//! Zones for administrators, on the daemon binary, on SQLite and
//! PostgreSQL: alert changes carry the zone version the engine ran with;
//! an edit through the API is refused for a centre (403), checked like
//! `zones check` (422 naming the geometry, nothing written), previewed over
//! the stored lines (counts and ids equal an independent replay of the
//! same lines with those zones), saved atomically to the zone file with
//! `If-Match` (live when the answer comes; a stale ETag is 412, none 428),
//! and kept in the zone history (`/versions`, `?at=`); a new zone goes to
//! `ID.geojson` and a delete removes it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token";
/// MDAT-GoG's token in [`centres_toml`].
const CENTRE: &str = "tok-0";
const ZONE: &str = "gog-offshore";

/// Sends `method path` with `token`, `If-Match` and a JSON body:
/// (status, ETag, body).
async fn send(
    http: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> (u16, Option<String>, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = reqwest::Client::new()
        .request(method, format!("http://{http}{path}"))
        .bearer_auth(token);
    if let Some(m) = if_match {
        r = r.header("if-match", m);
    }
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Every feature of the zone files in `dir`, in load order.
fn features_of(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            v["features"].as_array().unwrap().clone()
        })
        .collect()
}

/// Per kind, the distinct alert ids of replay's changes.
fn ids_by_kind(alerts: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in alerts {
        out.entry(a["kind"].as_str().unwrap().to_owned())
            .or_default()
            .insert(a["id"].as_str().unwrap().to_owned());
    }
    out
}

/// A gauge of `aiswatch_store` from the metrics text.
fn metric(text: &str, what: &str) -> u64 {
    let key = format!("aiswatch_store{{what=\"{what}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key)?.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

async fn zone_version(http: SocketAddr, id: &str) -> Option<String> {
    let v = get_json(http, "/api/v1/zones", Some(ADMIN)).await;
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == id)
        .map(|f| f["properties"]["version"].as_str().unwrap().to_owned())
}

async fn scenario(dir: &Path, db: &str) {
    let zones = dir.join("zones");
    std::fs::create_dir(&zones).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    for e in std::fs::read_dir(&shipped).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "geojson") {
            std::fs::copy(&p, zones.join(p.file_name().unwrap())).unwrap();
        }
    }
    let lines = sample_lines();
    let (reference, positions) = replay_reference_in(&lines, &zones);
    let config = write_config(dir, &zones, db, ADMIN, &centres_toml());
    let d = start(dir, &config, 1).await;
    let http = d.http;
    feed(d.tcp, &lines).await;
    wait_positions(http, ADMIN, positions.len()).await;

    // Alert changes carry the version of the zone the engine ran with.
    let v1 = zone_version(http, ZONE).await.unwrap();
    let page = get_json(http, "/api/v1/alerts?limit=1000", Some(ADMIN)).await;
    let listed = page["alerts"].as_array().unwrap();
    assert!(!listed.is_empty());
    for a in listed {
        assert_eq!(a["zone"], ZONE, "the sample's alerts are all in {ZONE}");
        assert_eq!(a["zone_version"].as_str(), Some(v1.as_str()), "{a}");
    }

    // One zone, as its file holds it, with its version as ETag.
    let path = format!("/api/v1/zones/{ZONE}");
    let (status, etag, feature) = send(http, "GET", &path, ADMIN, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(etag.as_deref(), Some(format!("\"{v1}\"").as_str()));
    assert_eq!(
        feature["properties"]["detect"]["dark_period"]["min_gap"],
        "2h"
    );
    let file = zones.join("gulf_of_guinea.geojson");
    let before = std::fs::read(&file).unwrap();

    // A centre may read its zone, never change it.
    let (status, _, _) = send(http, "GET", &path, CENTRE, None, None).await;
    assert_eq!(status, 200);
    let (status, _, body) = send(http, "PUT", &path, CENTRE, etag.as_deref(), Some(&feature)).await;
    assert_eq!(status, 403, "{body}");

    // A bow-tie is refused naming the geometry; nothing is written.
    let mut bowtie = feature.clone();
    bowtie["geometry"] = json!({"type": "Polygon", "coordinates": [[[1.0, 2.0], [3.0, 4.0], [3.0, 2.0], [1.0, 4.0], [1.0, 2.0]]]});
    let (status, _, body) = send(http, "PUT", &path, ADMIN, etag.as_deref(), Some(&bowtie)).await;
    assert_eq!(status, 422, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["kind"] == "geometry"
            && e["id"] == ZONE
            && e["property"].as_str().unwrap().starts_with("geometry")),
        "{body}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let (status, body) = post_json(
        http,
        "/api/v1/zones/check",
        ADMIN,
        &json!({"type": "FeatureCollection", "features": [bowtie]}),
    )
    .await;
    assert_eq!((status, body["ok"].as_bool()), (200, Some(false)), "{body}");

    // The edit: no loitering nor rendezvous in the patrol zone.
    let mut edited = feature.clone();
    let detect = edited["properties"]["detect"].as_object_mut().unwrap();
    detect.remove("loitering");
    detect.remove("rendezvous");
    let set: Vec<Value> = features_of(&zones)
        .into_iter()
        .map(|f| {
            if f["properties"]["id"] == ZONE {
                edited.clone()
            } else {
                f
            }
        })
        .collect();
    let collection = json!({"type": "FeatureCollection", "features": set});

    // Previewed over the stored lines: the ids an independent replay of
    // the same lines gives, with the zones in force and with the edit.
    // (once the raw archive has every line the daemon accepted on disk: it
    // flushes at least every second).
    let deadline = Instant::now() + Duration::from_secs(20);
    let (preview, took) = loop {
        let archived = metric(
            &request(http, "GET", "/metrics", None).await.1,
            "raw_lines_written",
        );
        let t0 = Instant::now();
        let (status, preview) =
            post_json(http, "/api/v1/zones/preview?hours=24", ADMIN, &collection).await;
        let took = t0.elapsed();
        assert_eq!(status, 200, "{preview}");
        let read = preview["lines"].as_u64().unwrap();
        if read == archived && read as usize > lines.len() * 9 / 10 {
            break (preview, took);
        }
        assert!(
            Instant::now() < deadline,
            "preview read {read} lines, the archive holds {archived}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let edited_dir = dir.join("edited");
    std::fs::create_dir(&edited_dir).unwrap();
    std::fs::write(edited_dir.join("all.geojson"), collection.to_string()).unwrap();
    let (edited_reference, _) = replay_reference_in(&lines, &edited_dir);
    let (was, would) = (ids_by_kind(&reference), ids_by_kind(&edited_reference));
    assert_eq!(ids_by_kind(preview["was"].as_array().unwrap()), was);
    assert_eq!(ids_by_kind(preview["would_be"].as_array().unwrap()), would);
    let kinds: BTreeSet<&String> = was.keys().chain(would.keys()).collect();
    for k in kinds {
        let (w, n) = (
            was.get(k).cloned().unwrap_or_default(),
            would.get(k).cloned().unwrap_or_default(),
        );
        let s = &preview["summary"][k];
        assert_eq!(s["was"].as_u64(), Some(w.len() as u64), "{k}: {s}");
        assert_eq!(s["would_be"].as_u64(), Some(n.len() as u64), "{k}: {s}");
        assert_eq!(
            s["added"].as_u64(),
            Some(n.difference(&w).count() as u64),
            "{k}: {s}"
        );
        assert_eq!(
            s["removed"].as_u64(),
            Some(w.difference(&n).count() as u64),
            "{k}: {s}"
        );
        assert_eq!(
            s["unchanged"].as_u64(),
            Some(w.intersection(&n).count() as u64),
            "{k}: {s}"
        );
    }
    assert!(
        was.get("loitering").is_some_and(|s| !s.is_empty())
            || was.get("rendezvous").is_some_and(|s| !s.is_empty()),
        "the sample raises loitering or rendezvous: the edit changes something"
    );
    assert!(
        !would.contains_key("loitering") && !would.contains_key("rendezvous"),
        "{would:?}"
    );
    eprintln!(
        "preview of {} lines: {took:?} (server: {} s)",
        lines.len(),
        preview["seconds"]
    );

    // Saved: in the file, checked, live when the answer comes.
    let t0 = Instant::now();
    let (status, etag2, saved) =
        send(http, "PUT", &path, ADMIN, etag.as_deref(), Some(&edited)).await;
    assert_eq!(status, 200, "{saved}");
    let v2 = zone_version(http, ZONE).await.unwrap();
    let live = t0.elapsed();
    assert!(live < Duration::from_secs(2), "live after {live:?}");
    assert_ne!(v2, v1);
    assert_eq!(etag2.as_deref(), Some(format!("\"{v2}\"").as_str()));
    assert_eq!(saved["file"], "gulf_of_guinea.geojson");
    let on_disk = features_of(&zones);
    let z = on_disk
        .iter()
        .find(|f| f["properties"]["id"] == ZONE)
        .unwrap();
    assert_eq!(z, &edited, "the file holds the zone as saved");
    assert_eq!(
        on_disk.len(),
        features_of(&shipped).len(),
        "the other zones are kept"
    );
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["zones", "check"])
        .arg(&zones)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A concurrent edit: the ETag read before the save is stale now.
    let (status, _, body) = send(http, "PUT", &path, ADMIN, etag.as_deref(), Some(&feature)).await;
    assert_eq!(status, 412, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("concurrent edit"),
        "{body}"
    );
    let (status, _, _) = send(http, "PUT", &path, ADMIN, None, Some(&feature)).await;
    assert_eq!(status, 428);

    // The history: the version at start, then the admin's, and the zones
    // in force at a time in between.
    let h = get_json(http, &format!("{path}/versions"), Some(ADMIN)).await;
    let versions = h["versions"].as_array().unwrap();
    let got: Vec<(&str, &str, bool)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap(),
                v["by"].as_str().unwrap(),
                v["until"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(v2.as_str(), "admin", true), (v1.as_str(), "start", false)]
    );
    assert_eq!(versions[0]["feature"], edited);
    let before_edit = versions[1]["until"].as_str().unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(before_edit)
        .unwrap()
        .timestamp_millis()
        - 1;
    let then = get_json(
        http,
        &format!(
            "/api/v1/zones?at={}",
            encode(&aiswatch_core::time::rfc3339(t))
        ),
        Some(ADMIN),
    )
    .await;
    let z = then["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == ZONE)
        .unwrap();
    assert_eq!(z["properties"]["version"].as_str(), Some(v1.as_str()));
    assert_eq!(z["properties"]["detect"]["loitering"]["min_duration"], "2h");

    // A new zone goes to its own file; deleted, the file goes too.
    let mut new = edited.clone();
    new["properties"]["id"] = json!("gog-test-box");
    new["geometry"] = json!({"type": "Polygon", "coordinates": [[[1.0, 2.5], [1.5, 2.5], [1.5, 3.0], [1.0, 3.0], [1.0, 2.5]]]});
    let (status, etag3, _) = send(
        http,
        "PUT",
        "/api/v1/zones/gog-test-box",
        ADMIN,
        None,
        Some(&new),
    )
    .await;
    assert_eq!(status, 201);
    assert!(zones.join("gog-test-box.geojson").exists());
    assert!(zone_version(http, "gog-test-box").await.is_some());
    let (status, _, _) = send(
        http,
        "DELETE",
        "/api/v1/zones/gog-test-box",
        ADMIN,
        etag3.as_deref(),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(!zones.join("gog-test-box.geojson").exists());
    assert!(zone_version(http, "gog-test-box").await.is_none());
    let (status, _, _) = send(http, "GET", "/api/v1/zones/gog-test-box", ADMIN, None, None).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_edited_previewed_and_versioned_through_the_api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("aiswatch.db").display());
    scenario(dir.path(), &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_edited_previewed_and_versioned_through_the_api_on_postgres() {
    let Some(base) = pg_base_url("zones_admin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = pg_schema(&base, "zones_admin").await;
    scenario(dir.path(), &db).await;
}
