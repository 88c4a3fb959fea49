//! Two sovereign installations on loopback: A (its own zones, receivers
//! and key) shares alerts with B under an agreement; B has its own zones,
//! receivers, centres and key.
//!
//! - B gets exactly the changes of A's alerts that the agreement covers
//!   (zones, kinds, states), each held back by its delay, none other, under
//!   `A/ID`, for the centre the agreement names only;
//! - no station id of A anywhere in B's API answers, live stream, webhooks
//!   or the evidence bundle B obtains;
//! - a message signed with an unpinned key, for an unknown agreement, or
//!   replayed, changes nothing;
//! - B down for a while catches up, in order;
//! - evidence under `on_request` verifies at B against A's pinned key,
//!   under `never` is refused;
//! - an agreement removed from A's config stops sharing within 2 s.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use common::{
    api_alerts, encode, feed, get_bytes, get_json, open_stream, read_events, reference_changes,
    replay_reference_in, request, sample_lines, start, wait_for, Changes, HeldPort,
};

const ADMIN_A: &str = "adm-a";
const ADMIN_B: &str = "adm-b";
const OPS_B: &str = "tok-b-ops";
const OTHER_B: &str = "tok-b-other";
/// A's receivers, as the sample's tag blocks name them.
const A_STATIONS: &str = "sim-st";

/// A's zones: the sample's waters split in two at 3.2° E.
fn zones_a(dir: &Path) -> PathBuf {
    let zone = |id: &str, lon0: f64, lon1: f64| {
        json!({"type": "Feature", "properties": {"id": id, "name": format!("A {id}"), "kind": "patrol",
            "centre": "A-WATCH", "detect": {"dark_period": {"min_gap": "2h"},
            "loitering": {"max_speed_kn": 2.0, "min_duration": "2h"},
            "rendezvous": {"max_distance_m": 500, "max_speed_kn": 2.0, "min_duration": "2h"}}},
            "geometry": {"type": "Polygon", "coordinates": [[[lon0, 2.0], [lon1, 2.0], [lon1, 6.4], [lon0, 6.4], [lon0, 2.0]]]}})
    };
    write_zones(
        dir,
        "zones-a",
        vec![zone("west", 0.5, 3.2), zone("east", 3.2, 8.8)],
    )
}

/// B's zone: the same waters, its own thresholds, its own two centres.
fn zones_b(dir: &Path) -> PathBuf {
    let z = json!({"type": "Feature", "properties": {"id": "b-waters", "name": "B waters", "kind": "patrol",
        "centre": ["B-OPS", "B-OTHER"], "detect": {"dark_period": {"min_gap": "2h"},
        "loitering": {"max_speed_kn": 1.0, "min_duration": "3h"}}},
        "geometry": {"type": "Polygon", "coordinates": [[[0.5, 2.0], [8.8, 2.0], [8.8, 6.4], [0.5, 6.4], [0.5, 2.0]]]}});
    write_zones(dir, "zones-b", vec![z])
}

fn write_zones(dir: &Path, name: &str, features: Vec<Value>) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let fc = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(d.join("zones.geojson"), fc.to_string()).unwrap();
    d
}

/// The sample as B's own receivers heard it: the same traffic, its
/// stations renamed `b-rx-N` (tag-block checksums recomputed).
fn feed_b(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let Some(rest) = l.strip_prefix('\\') else {
                return l.clone();
            };
            let Some((tag, after)) = rest.split_once('*') else {
                return l.clone();
            };
            let tag = tag.replace("s:sim-st", "s:b-rx-");
            let sum = tag.bytes().fold(0u8, |a, b| a ^ b);
            format!("\\{tag}*{sum:02X}{}", &after[2..])
        })
        .collect()
}

/// `aiswatch key show --config FILE`: the public key it prints (the key
/// is created in the config's data directory).
fn key_show(config: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["key", "show", "--config"])
        .arg(config)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "key show: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let hex = out
        .lines()
        .find_map(|l| l.strip_prefix("Ed25519 public key (hex):"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(hex.len(), 64, "{out}");
    hex
}

/// The installation key of the data directory `data`.
fn secret_key(data: &Path) -> SigningKey {
    let text = std::fs::read_to_string(data.join("keys/evidence_ed25519")).unwrap();
    let seed: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    SigningKey::from_bytes(&seed.try_into().unwrap())
}

/// An installation's config: TCP receiver on port 0, API on `http`, SQLite
/// in `dir/data`, fast retries, and `rest` (centres, federation).
fn config(dir: &Path, zones: &Path, http: SocketAddr, admin: &str, rest: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let text = format!(
        "zones = {zones:?}\n\n[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:0\"\n\n\
         [http]\nlisten = \"{http}\"\n\n[storage]\ndata_dir = {data:?}\n\n\
         [api]\nadmin_tokens = [\"{admin}\"]\n\n\
         [delivery]\nmin_backoff = \"100ms\"\nmax_backoff = \"400ms\"\n\n{rest}",
        data = dir.join("data"),
    );
    let path = dir.join("aiswatch.toml");
    // Written whole and renamed, as an administrator's editor would.
    let tmp = dir.join("aiswatch.toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// A's federation tables: partner B, and the agreement (`evidence` policy,
/// or none at all).
fn a_terms(b_url: &str, b_key: &str, evidence: Option<&str>) -> String {
    let mut t = format!(
        "[[centres]]\nid = \"A-WATCH\"\n\n[federation]\nname = \"A\"\n\n\
         [[partners]]\nid = \"B\"\nurl = \"{b_url}\"\npublic_key = \"{b_key}\"\n\n"
    );
    if let Some(ev) = evidence {
        t.push_str(&format!(
            "[[agreements]]\nid = \"A-B-1\"\npartner = \"B\"\nexpires = \"2099-12-31\"\n\
             [agreements.send]\nzones = [\"east\"]\nkinds = [\"dark_period\", \"loitering\"]\n\
             states = [\"open\", \"closed\"]\ndelay = \"1s\"\nredact = [\"sources\"]\nevidence = \"{ev}\"\n"
        ));
    }
    t
}

/// B's: centres B-OPS (webhook to `hook`) and B-OTHER; partner A; the same
/// agreement, receiving for B-OPS only.
fn b_terms(hook: SocketAddr, a_url: &str, a_key: &str) -> String {
    format!(
        "[[centres]]\nid = \"B-OPS\"\napi_tokens = [\"{OPS_B}\"]\n\
         [centres.webhook]\nurl = \"http://{hook}/hook\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n\n\
         [[centres]]\nid = \"B-OTHER\"\napi_tokens = [\"{OTHER_B}\"]\n\n\
         [federation]\nname = \"B\"\n\n\
         [[partners]]\nid = \"A\"\nurl = \"{a_url}\"\npublic_key = \"{a_key}\"\n\n\
         [[agreements]]\nid = \"A-B-1\"\npartner = \"A\"\n[agreements.receive]\ndeliver_to = [\"B-OPS\"]\n"
    )
}

/// What the agreement covers of A's alert changes, under B's ids.
fn covered(alerts: &[Value]) -> Changes {
    let shared: Vec<Value> = alerts
        .iter()
        .filter(|a| {
            a["zone"] == "east"
                && ["dark_period", "loitering"].contains(&a["kind"].as_str().unwrap())
                && ["open", "closed"].contains(&a["state"].as_str().unwrap())
        })
        .map(|a| {
            let mut a = a.clone();
            a["id"] = format!("A/{}", a["id"].as_str().unwrap()).into();
            a
        })
        .collect();
    reference_changes(&shared)
}

/// The partner alerts B holds (ids `A/…`), with their changes.
async fn partner_alerts(http: SocketAddr, token: &str) -> Changes {
    api_alerts(http, token)
        .await
        .into_iter()
        .filter(|(id, _)| id.starts_with("A/"))
        .collect()
}

/// Waits until B holds exactly `want` of A's alerts.
async fn wait_partner_alerts(http: SocketAddr, want: &Changes, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = partner_alerts(http, ADMIN_B).await;
        if got == *want {
            return;
        }
        assert!(
            got.keys().all(|k| want.contains_key(k)),
            "B holds alerts the agreement does not cover: {:?}",
            got.keys()
                .filter(|k| !want.contains_key(*k))
                .collect::<Vec<_>>()
        );
        if Instant::now() > deadline {
            panic!(
                "B's partner alerts differ after 120 s:\n got {got:?}\nwant {want:?}\n{}",
                logs(dir)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn logs(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "log") {
            let t = std::fs::read_to_string(&p).unwrap_or_default();
            let tail: Vec<&str> = t.lines().rev().take(40).collect();
            out.push_str(&format!("--- {}\n", p.display()));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

/// Webhook bodies B's centre received.
#[derive(Clone, Default)]
struct Hook {
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Hook {
    async fn start() -> (Hook, SocketAddr) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let h = Hook::default();
        let state = h.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let state = state.clone();
                async move {
                    state.bodies.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (h, addr)
    }

    fn partner_bodies(&self) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .filter(|v| v["origin"] == "A")
            .collect()
    }
}

/// POSTs `body` to B's inbox signed with `key`: (status, answer).
async fn post_signed(
    http: SocketAddr,
    route: &str,
    body: &Value,
    key: &SigningKey,
) -> (u16, Vec<u8>) {
    let bytes = serde_json::to_vec(body).unwrap();
    let sig = aiswatch::federation::envelope::sign(key, &bytes);
    let r = reqwest::Client::new()
        .post(format!("http://{http}/api/v1/federation/{route}"))
        .header("content-type", "application/json")
        .header("x-aiswatch-signature", sig)
        .body(bytes)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Every file of a zip, as text (lossy).
fn zip_texts(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut b).unwrap();
        out.insert(
            f.name().to_owned(),
            String::from_utf8_lossy(&b).into_owned(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_installations_share_exactly_what_the_agreement_covers() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (za, zb) = (zones_a(tmp.path()), zones_b(tmp.path()));
    let (port_a, port_b) = (HeldPort::loopback(), HeldPort::loopback());
    let (url_a, url_b) = (
        format!("http://{}", port_a.addr),
        format!("http://{}", port_b.addr),
    );
    let (hook, hook_addr) = Hook::start().await;

    // Keys first (`key show` creates them), then the configs that pin them.
    let key_a = key_show(&config(&dir_a, &za, port_a.addr, ADMIN_A, ""));
    let key_b = key_show(&config(&dir_b, &zb, port_b.addr, ADMIN_B, ""));
    assert_ne!(key_a, key_b);
    let cfg_b = config(
        &dir_b,
        &zb,
        port_b.addr,
        ADMIN_B,
        &b_terms(hook_addr, &url_a, &key_a),
    );
    let cfg_a = config(
        &dir_a,
        &za,
        port_a.addr,
        ADMIN_A,
        &a_terms(&url_b, &key_b, Some("on_request")),
    );
    let sk_a = secret_key(&dir_a.join("data"));

    let lines = sample_lines();
    let s1 = common::clean_split(&lines, lines.len() / 2);
    let s2 = common::clean_split(&lines, lines.len() * 4 / 5);
    let b = start(&dir_b, &cfg_b, 1).await;
    let a = start(&dir_a, &cfg_a, 1).await;
    assert_eq!((a.http, b.http), (port_a.addr, port_b.addr));
    feed(b.tcp, &feed_b(&lines)).await;

    // Part 1: B gets what the agreement covers of it.
    feed(a.tcp, &lines[..s1]).await;
    let (ref1, _) = replay_reference_in(&lines[..s1], &za);
    let want1 = covered(&ref1);
    assert!(!want1.is_empty(), "the first part raises covered alerts");
    wait_partner_alerts(b.http, &want1, tmp.path()).await;

    // Messages that must change nothing.
    let before = partner_alerts(b.http, ADMIN_B).await;
    let (some_id, _) = before.iter().next().unwrap();
    let original = some_id.strip_prefix("A/").unwrap();
    let detail = get_json(
        b.http,
        &format!("/api/v1/alerts/{}", encode(some_id)),
        Some(ADMIN_B),
    )
    .await;
    let mut forged_alert = detail["alert"].clone();
    forged_alert["id"] = original.into();
    forged_alert["state"] = "closed".into();
    forged_alert["summary"] = "forged".into();
    let change = |agreement: &str, to: &str, key: &str| {
        json!({"v": 1, "from": "A", "to": to, "agreement": agreement, "key": key, "seq": 1,
               "sent_at": "2026-12-05T00:00:00Z", "redacted": [], "alert": forged_alert})
    };
    let replayed_key = format!("{original}/1");
    let unpinned = SigningKey::from_bytes(&[9; 32]);
    let (s, body) = post_signed(
        b.http,
        "inbox",
        &change("A-B-1", "B", &format!("{original}/99")),
        &unpinned,
    )
    .await;
    assert_eq!(s, 401, "unpinned key: {}", String::from_utf8_lossy(&body));
    let (s, _) = post_signed(
        b.http,
        "inbox",
        &change("NO-SUCH", "B", &format!("{original}/99")),
        &sk_a,
    )
    .await;
    assert_eq!(s, 403, "unknown agreement");
    let (s, _) = post_signed(
        b.http,
        "inbox",
        &change("A-B-1", "C", &format!("{original}/99")),
        &sk_a,
    )
    .await;
    assert_eq!(s, 403, "addressed to another installation");
    let (s, body) = post_signed(b.http, "inbox", &change("A-B-1", "B", &replayed_key), &sk_a).await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["duplicate"],
        true,
        "a replay is a duplicate"
    );
    assert_eq!(
        partner_alerts(b.http, ADMIN_B).await,
        before,
        "nothing changed"
    );

    // Part 2 while B is down: A keeps the changes; B, back, catches up in order.
    let mut b = b;
    common::stop(&mut b, true);
    feed(a.tcp, &lines[s1..s2]).await;
    let (ref2, _) = replay_reference_in(&lines[..s2], &za);
    let want2 = covered(&ref2);
    assert!(
        want2.values().map(Vec::len).sum::<usize>() > want1.values().map(Vec::len).sum::<usize>()
    );
    wait_for(
        a.http,
        "/api/v1/deliveries?channel=partner&state=pending",
        Some(ADMIN_A),
        60,
        // Down long enough for A's attempts to fail.
        |v| {
            v["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["attempts"].as_i64() >= Some(2))
        },
    )
    .await;
    let b = start(&dir_b, &cfg_b, 2).await;
    wait_partner_alerts(b.http, &want2, tmp.path()).await;

    // Delay: each change held back at least 1 s; every delivery names the agreement.
    let sent = get_json(
        a.http,
        "/api/v1/deliveries?channel=partner&state=delivered&limit=1000",
        Some(ADMIN_A),
    )
    .await;
    let sent = sent["deliveries"].as_array().unwrap();
    assert_eq!(sent.len(), want2.values().map(Vec::len).sum::<usize>());
    let mut held = Vec::new();
    for d in sent {
        assert_eq!(d["agreement"], "A-B-1");
        let t = |k: &str| chrono::DateTime::parse_from_rfc3339(d[k].as_str().unwrap()).unwrap();
        let took = t("delivered_at") - t("created_at");
        assert!(took >= chrono::Duration::seconds(1), "{d}");
        held.push(took.num_milliseconds());
    }
    held.sort_unstable();
    eprintln!(
        "emitted → acknowledged by B, 1 s delay included: median {} ms, max {} ms ({} changes, some retried while B was down)",
        held[held.len() / 2],
        held[held.len() - 1],
        held.len()
    );

    // Only B-OPS sees them; nothing of A's receivers anywhere.
    let ops = partner_alerts(b.http, OPS_B).await;
    assert_eq!(ops, want2);
    assert!(
        partner_alerts(b.http, OTHER_B).await.is_empty(),
        "B-OTHER sees A's alerts"
    );
    let (s, _) = request(
        b.http,
        "GET",
        &format!("/api/v1/alerts/{}", encode(some_id)),
        Some(OTHER_B),
    )
    .await;
    assert_eq!(s, 404);
    let mut seen = String::new();
    for id in ops.keys() {
        let d = get_json(
            b.http,
            &format!("/api/v1/alerts/{}", encode(id)),
            Some(OPS_B),
        )
        .await;
        assert_eq!(d["alert"]["origin"], "A", "{d}");
        assert_eq!(d["alert"]["agreement"], "A-B-1");
        assert_eq!(d["alert"]["centre"], json!(["B-OPS"]));
        seen.push_str(&d.to_string());
    }
    seen.push_str(
        &get_json(b.http, "/api/v1/alerts?limit=1000", Some(ADMIN_B))
            .await
            .to_string(),
    );
    let b_own = api_alerts(b.http, OPS_B).await;
    let stream = open_stream(b.http, OPS_B, Some(0)).await;
    let events: Vec<Value> = read_events(stream, b_own.values().map(Vec::len).sum())
        .await
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let streamed: BTreeSet<String> = events
        .iter()
        .filter(|e| e["origin"] == "A")
        .map(|e| {
            format!(
                "{}/{}",
                e["id"].as_str().unwrap(),
                e["at"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        streamed.len(),
        want2.values().map(Vec::len).sum::<usize>(),
        "stream"
    );
    seen.push_str(&serde_json::to_string(&events).unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while hook.partner_bodies().len() < streamed.len() {
        assert!(
            Instant::now() < deadline,
            "B-OPS's webhook got {} of {}",
            hook.partner_bodies().len(),
            streamed.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen.push_str(&serde_json::to_string(&hook.partner_bodies()).unwrap());
    // B's own alerts name B's receivers: the check below would see a station id.
    assert!(
        seen.contains("b-rx-"),
        "B's own dark periods name its receivers"
    );
    assert!(!seen.contains(A_STATIONS), "A's station ids reached B");
    let partner_text = serde_json::to_string(&hook.partner_bodies()).unwrap();
    for k in ["\"heard_by\"", "\"judged\"", "\"station\""] {
        assert!(!partner_text.contains(k), "{k} in a shared alert");
    }

    // Evidence: on_request verifies at B against A's pinned key, withheld.
    let dark = ops
        .keys()
        .find(|k| k.starts_with("A/dark_period:"))
        .unwrap_or_else(|| ops.keys().next().unwrap())
        .clone();
    let path = format!("/api/v1/alerts/{}/evidence", encode(&dark));
    let (s, zip) = get_bytes(b.http, &path, OPS_B).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&zip));
    for (name, text) in zip_texts(&zip) {
        assert!(!text.contains(A_STATIONS), "{name} names A's receivers");
    }
    let file = tmp.path().join("shared.zip");
    std::fs::write(&file, &zip).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["evidence", "verify"])
        .arg(&file)
        .args(["--key", &key_a])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "evidence verify: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let verifier = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify_evidence.py");
    let has_python = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_python {
        let o = Command::new("python3")
            .arg(&verifier)
            .arg(&file)
            .args(["--key", &key_a])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "verify_evidence.py: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    } else {
        eprintln!("SKIPPED (independent Python verifier): python3 with the `cryptography` package is not installed");
    }
    let (s, _) = get_bytes(b.http, &path, OTHER_B).await;
    assert_eq!(s, 404, "B-OTHER may not ask");

    // Under `approve`, held until A's administrator approves.
    config(
        &dir_a,
        &za,
        port_a.addr,
        ADMIN_A,
        &a_terms(&url_b, &key_b, Some("approve")),
    );
    wait_for(a.http, "/api/v1/federation", Some(ADMIN_A), 10, |v| {
        v["agreements"][0]["send"]["evidence"] == "approve"
    })
    .await;
    let (s, body) = get_bytes(b.http, &path, OPS_B).await;
    assert_eq!(s, 202, "{}", String::from_utf8_lossy(&body));
    let fed = get_json(a.http, "/api/v1/federation", Some(ADMIN_A)).await;
    let pending: Vec<&Value> = fed["evidence_requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "pending")
        .collect();
    assert_eq!(pending.len(), 1, "{fed}");
    assert_eq!(format!("A/{}", pending[0]["alert"].as_str().unwrap()), dark);
    let decide = format!(
        "http://{}/api/v1/federation/evidence_requests/B/{}/approve",
        a.http,
        pending[0]["request"].as_str().unwrap()
    );
    let r = reqwest::Client::new()
        .post(&decide)
        .bearer_auth(ADMIN_A)
        .header("content-type", "application/json")
        .body(json!({"by": "duty officer"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, zip2) = get_bytes(b.http, &path, OPS_B).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&zip2));
    let fed = get_json(a.http, "/api/v1/federation", Some(ADMIN_A)).await;
    assert!(fed["evidence_requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["state"] == "served" && r["decided_by"] == "duty officer"));

    // Under `never`, refused (the config reloaded on change).
    config(
        &dir_a,
        &za,
        port_a.addr,
        ADMIN_A,
        &a_terms(&url_b, &key_b, Some("never")),
    );
    wait_for(a.http, "/api/v1/federation", Some(ADMIN_A), 10, |v| {
        v["agreements"][0]["send"]["evidence"] == "never"
    })
    .await;
    let (s, body) = get_bytes(b.http, &path, OPS_B).await;
    assert_eq!(s, 403, "{}", String::from_utf8_lossy(&body));

    // The agreement removed: nothing more is shared, within 2 s.
    let t0 = Instant::now();
    config(
        &dir_a,
        &za,
        port_a.addr,
        ADMIN_A,
        &a_terms(&url_b, &key_b, None),
    );
    wait_for(a.http, "/api/v1/federation", Some(ADMIN_A), 10, |v| {
        v["agreements"].as_array().unwrap().is_empty()
    })
    .await;
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "agreement withdrawn after {took:?}"
    );
    feed(a.tcp, &lines[s2..]).await;
    let (ref3, _) = replay_reference_in(&lines, &za);
    assert!(
        covered(&ref3) != want2,
        "the last part would have shared more"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while api_alerts(a.http, ADMIN_A).await != reference_changes(&ref3) {
        assert!(
            Instant::now() < deadline,
            "A did not store the last part's changes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent_after = get_json(
        a.http,
        "/api/v1/deliveries?channel=partner&limit=1000",
        Some(ADMIN_A),
    )
    .await;
    assert_eq!(
        sent_after["deliveries"].as_array().unwrap().len(),
        sent.len(),
        "queued after withdrawal"
    );
    assert_eq!(partner_alerts(b.http, ADMIN_B).await, want2);
    eprintln!("agreement withdrawn in {took:?}");
}

/// A's audit checkpoints reach B, which keeps them; with B's copy, `audit
/// verify` at A catches a chain rewritten with its hashes recomputed (and
/// A's own checkpoints deleted), which A's own records alone cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_keeps_the_checkpoints_that_catch_a_rewritten_trail() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (za, zb) = (zones_a(tmp.path()), zones_b(tmp.path()));
    let (port_a, port_b) = (HeldPort::loopback(), HeldPort::loopback());
    let (url_a, url_b) = (
        format!("http://{}", port_a.addr),
        format!("http://{}", port_b.addr),
    );
    let (_hook, hook_addr) = Hook::start().await;
    let key_a = key_show(&config(&dir_a, &za, port_a.addr, ADMIN_A, ""));
    let key_b = key_show(&config(&dir_b, &zb, port_b.addr, ADMIN_B, ""));
    let often = "\n[audit]\ncheckpoint_every = \"1s\"\n";
    let cfg_b = config(
        &dir_b,
        &zb,
        port_b.addr,
        ADMIN_B,
        &b_terms(hook_addr, &url_a, &key_a),
    );
    let terms_a = a_terms(&url_b, &key_b, Some("never")) + often;
    let cfg_a = config(&dir_a, &za, port_a.addr, ADMIN_A, &terms_a);
    let mut b = start(&dir_b, &cfg_b, 1).await;
    let mut a = start(&dir_a, &cfg_a, 1).await;
    for _ in 0..5 {
        request(a.http, "GET", "/api/v1/alerts", Some(ADMIN_A)).await;
    }
    // B keeps A's checkpoints.
    let path = "/api/v1/federation/checkpoints/A";
    let deadline = Instant::now() + Duration::from_secs(30);
    let kept = loop {
        let (s, body) = get_bytes(b.http, path, ADMIN_B).await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
        if !body.is_empty() {
            break body;
        }
        assert!(Instant::now() < deadline, "no checkpoint of A reached B");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (s, _) = get_bytes(b.http, path, OPS_B).await;
    assert_eq!(s, 403, "a centre may not read partners' checkpoints");
    let audit_b = get_json(
        b.http,
        "/api/v1/audit?actor=partner:A&action=federation.checkpoint",
        Some(ADMIN_B),
    )
    .await;
    assert!(
        !audit_b["records"].as_array().unwrap().is_empty(),
        "{audit_b}"
    );
    let sent = get_json(
        a.http,
        "/api/v1/audit?actor=partner:B&action=federation.send",
        Some(ADMIN_A),
    )
    .await;
    assert!(!sent["records"].as_array().unwrap().is_empty(), "{sent}");
    common::stop(&mut a, false);
    common::stop(&mut b, false);
    let file = tmp.path().join("checkpoints-of-a.jsonl");
    std::fs::write(&file, &kept).unwrap();

    let verify = |with_file: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_aiswatch"));
        c.args(["audit", "verify", "--config"]).arg(&cfg_a);
        if with_file {
            c.arg("--checkpoints").arg(&file);
        }
        let o = c.output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = verify(true);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("from the file"), "{out}");
    // Rewritten from a record B's first checkpoint covers, A's own
    // checkpoints deleted: A alone sees nothing wrong, B's copy does.
    let first: aiswatch::audit::Checkpoint =
        serde_json::from_str(String::from_utf8_lossy(&kept).lines().next().unwrap()).unwrap();
    let db = format!("sqlite://{}", dir_a.join("data/aiswatch.db").display());
    common::audit::rewrite_from(&db, first.seq as i64).await;
    common::audit::sql(
        &db,
        &[
            "DELETE FROM deliveries WHERE checkpoint IS NOT NULL".into(),
            "DELETE FROM audit_checkpoints".into(),
        ],
    )
    .await;
    let (code, out) = verify(false);
    assert_eq!(code, Some(0), "without the partner's copy: {out}");
    let (code, out) = verify(true);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "record {}: differs from the checkpoint",
            first.seq
        )),
        "{out}"
    );
}
