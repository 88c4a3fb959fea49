//! The API end to end over a temp SQLite store: every route's status and
//! shape, token scopes, named 400s, 404s, the OpenAPI document, the query
//! limiter and `/healthz` under load. Requests go through the real
//! [`Router`] with `tower::ServiceExt::oneshot`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use geo::{LineString, MultiPolygon, Polygon};
use serde_json::{json, Value};
use tokio::sync::watch;
use tower::ServiceExt;

use super::{router_with, ApiContext, ApiState};
use crate::alert::{Alert, Kind, State};
use crate::config::{ApiConfig, Scope};
use crate::engine::EngineStats;
use crate::ids::{CentreId, Mmsi};
use crate::metrics::Metrics;
use crate::snapshot::Snapshot;
use crate::storage::writer::WriterStats;
use crate::storage::{Batch, PositionRow, StaticRow, Store};
use crate::time::{now_ms, rfc3339, Millis};
use crate::track::{StaticInfo, Vessel, VesselClass};
use crate::zones::{Zone, ZoneDetect, ZoneKind, ZoneSet};

/// 2024-05-01T12:00:00Z: the engine clock of the fixture.
const CLOCK: Millis = 1_714_564_800_000;
const MIN: Millis = 60_000;
const ADMIN: &str = "admin-token";
const TOKEN_A: &str = "token-of-a";
const TOKEN_B: &str = "token-of-b";
const ALERT_A: &str = "loitering:za:123456789:1714563000";
const ALERT_B: &str = "dark_period:zb:444444444:1714561200";

struct Fixture {
    _dir: tempfile::TempDir,
    state: Arc<ApiState>,
    app: Router,
    snapshot: watch::Sender<Arc<Snapshot>>,
    /// The stored JSON of each alert's state changes, in order.
    alert_json: Vec<String>,
}

struct Opts {
    tokens: bool,
    store: bool,
    max_concurrent_queries: usize,
}

const DEFAULT: Opts = Opts {
    tokens: true,
    store: true,
    max_concurrent_queries: 8,
};

fn vessel(mmsi: u32, lon: f64, lat: f64, sog: f32, name: Option<&str>) -> Vessel {
    Vessel {
        mmsi: Mmsi(mmsi),
        class: VesselClass::A,
        first_seen: CLOCK - 60 * MIN,
        last_seen: CLOCK - MIN,
        position_at: Some(CLOCK - MIN),
        lon: Some(lon),
        lat: Some(lat),
        sog_kn: Some(sog),
        cog: Some(90.0),
        heading_true: Some(90),
        nav_status: Some(0),
        station: None,
        source: Some("test".into()),
        messages: 30,
        static_info: name.map(|n| {
            Box::new(StaticInfo {
                name: Some(n.to_owned()),
                draught_m: Some(5.2),
                updated_at: CLOCK - 50 * MIN,
                ..StaticInfo::default()
            })
        }),
        track: VecDeque::new(),
    }
}

fn snapshot(taken_at: Millis, extra: usize) -> Snapshot {
    let mut vs = vec![
        vessel(123_456_789, 3.3, 6.0, 12.2, Some("ALPHA")),
        vessel(222_222_222, 3.31, 6.01, 0.1, None),
        vessel(333_333_333, 179.9, 0.0, 8.0, None),
        vessel(444_444_444, 50.0, 12.0, 3.0, None),
    ];
    // A crowd far from the others, for load.
    vs.extend((0..extra).map(|i| {
        vessel(
            500_000_000 + i as u32,
            -30.0 + (i % 100) as f64 * 0.01,
            -30.0 + (i / 100) as f64 * 0.01,
            1.0,
            None,
        )
    }));
    Snapshot::new(Some(CLOCK), taken_at, EngineStats::default(), vs)
}

/// Record sequence numbers are unique in the store.
static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn pos(mmsi: u32, t: Millis, lon: f64, lat: f64) -> PositionRow {
    PositionRow {
        seq: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        mmsi: Mmsi(mmsi),
        time: t,
        lon,
        lat,
        sog_dkn: Some(122),
        cog_ddeg: Some(900),
        heading: None,
        nav_status: None,
        msg_type: 1,
        station: None,
        source: "test".into(),
        hash: t as u64 ^ u64::from(mmsi),
    }
}

fn square(lon: f64, lat: f64) -> MultiPolygon<f64> {
    let ring = LineString::from(vec![
        (lon - 1.0, lat - 1.0),
        (lon + 1.0, lat - 1.0),
        (lon + 1.0, lat + 1.0),
        (lon - 1.0, lat + 1.0),
        (lon - 1.0, lat - 1.0),
    ]);
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

fn zone(id: &str, centre: &str, lon: f64, lat: f64) -> Zone {
    Zone {
        id: id.to_owned(),
        name: Some(format!("Zone {id}")),
        kind: ZoneKind::Patrol,
        centres: vec![CentreId::from(centre)],
        detect: ZoneDetect::default(),
        geometry: square(lon, lat),
        source_file: "test.geojson".into(),
        feature_index: 0,
    }
}

#[allow(clippy::too_many_arguments)]
fn alert(
    kind: Kind,
    state: State,
    zone: &str,
    centre: &str,
    mmsi: u32,
    started: Millis,
    at: Millis,
    lon: f64,
    lat: f64,
) -> Alert {
    Alert {
        id: Alert::make_id(kind, zone, &[Mmsi(mmsi)], started),
        kind,
        state,
        mmsi: vec![Mmsi(mmsi)],
        zone: zone.to_owned(),
        zone_name: Some(format!("Zone {zone}")),
        centre: vec![CentreId::from(centre)],
        at,
        started_at: started,
        ended_at: (state == State::Closed).then_some(at),
        lat,
        lon,
        vessels: vec![],
        summary: format!("{} in {zone}", kind.as_str()),
        details: json!({ "speed_kn": 12.2, "duration_s": (at - started) / 1000 }),
    }
}

async fn fixture(o: Opts) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let alerts = vec![
        alert(
            Kind::Loitering,
            State::Open,
            "za",
            "A",
            123_456_789,
            CLOCK - 30 * MIN,
            CLOCK - 20 * MIN,
            3.3,
            6.0,
        ),
        alert(
            Kind::DarkPeriod,
            State::Open,
            "zb",
            "B",
            444_444_444,
            CLOCK - 60 * MIN,
            CLOCK - 15 * MIN,
            50.0,
            12.0,
        ),
        alert(
            Kind::Loitering,
            State::Update,
            "za",
            "A",
            123_456_789,
            CLOCK - 30 * MIN,
            CLOCK - 10 * MIN,
            3.3,
            6.0,
        ),
        alert(
            Kind::DarkPeriod,
            State::Closed,
            "zb",
            "B",
            444_444_444,
            CLOCK - 60 * MIN,
            CLOCK - 5 * MIN,
            50.0,
            12.0,
        ),
    ];
    let alert_json = alerts.iter().map(Alert::to_json).collect();
    let store = if o.store {
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let mut positions: Vec<PositionRow> = (0..30)
            .map(|i| {
                pos(
                    123_456_789,
                    CLOCK - (30 - i) * MIN,
                    3.0 + i as f64 * 0.01,
                    6.0,
                )
            })
            .collect();
        positions.push(pos(987_654_321, CLOCK - 40 * MIN, 3.5, 6.5));
        positions.push(pos(987_654_321, CLOCK - 39 * MIN, 3.51, 6.5));
        positions.push(pos(444_444_444, CLOCK - 20 * MIN, 50.0, 12.0));
        let statics = vec![StaticRow {
            seq: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            mmsi: Mmsi(987_654_321),
            time: CLOCK - 41 * MIN,
            info: StaticInfo {
                name: Some("GHOST".into()),
                updated_at: CLOCK - 41 * MIN,
                ..StaticInfo::default()
            },
            source: "test".into(),
        }];
        store
            .write(&Batch {
                positions,
                statics,
                alerts,
                ticks: Vec::new(),
                emitted_at: None,
            })
            .await
            .unwrap();
        Some(store)
    } else {
        None
    };
    let (tx, rx) = watch::channel(Arc::new(snapshot(now_ms(), 0)));
    let tokens = if o.tokens {
        vec![
            (ADMIN.to_owned(), Scope::Admin),
            (TOKEN_A.to_owned(), Scope::Centre(CentreId::from("A"))),
            (TOKEN_B.to_owned(), Scope::Centre(CentreId::from("B"))),
        ]
    } else {
        vec![]
    };
    let ctx = ApiContext {
        metrics: Arc::new(Metrics::new()),
        snapshot: rx,
        want_snapshot: Arc::new(AtomicBool::new(false)),
        store,
        storage: Arc::new(WriterStats::default()),
        zones: crate::zones::fixed(Arc::new(
            ZoneSet::from_zones(vec![zone("za", "A", 3.0, 6.0), zone("zb", "B", 50.0, 12.0)])
                .unwrap(),
        )),
        tokens,
        limits: ApiConfig {
            max_concurrent_queries: o.max_concurrent_queries,
            max_page: 20,
            max_streams: 2,
            ..ApiConfig::default()
        },
        engine_heartbeat: Arc::new(AtomicI64::new(now_ms())),
        sources_ready: Arc::new(AtomicBool::new(true)),
        hub: Some(crate::alert::hub::Hub::new(16)),
        routes: Arc::new([]),
    };
    let state = Arc::new(ApiState::new(ctx));
    Fixture {
        _dir: dir,
        app: router_with(state.clone()),
        state,
        snapshot: tx,
        alert_json,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn call(app: &Router, path: &str, token: Option<&str>) -> Reply {
    let mut req = Request::builder().uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// GET as admin, expecting 200 JSON.
async fn ok(app: &Router, path: &str) -> Value {
    let r = call(app, path, Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.json()
}

fn mmsis(v: &Value) -> Vec<u64> {
    v["vessels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["mmsi"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn current_vessels_from_the_snapshot() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let s = ok(app, "/api/v1/status").await;
    assert_eq!(s["clock"], "2024-05-01T12:00:00.000Z");
    assert_eq!(s["vessels"], 4);
    assert_eq!(s["alerts"], json!({ "stored": 2, "open": 1 }));
    assert_eq!(s["storage"]["kind"], "sqlite");
    assert!(s["engine"]["messages"].is_u64() && s["storage"]["failing"] == false);
    assert!(f.state.ctx.want_snapshot.load(Ordering::Relaxed));

    let r = call(app, "/api/v1/vessels?bbox=2,5,4,7", Some(ADMIN)).await;
    assert!(r.text.contains("\"sog_kn\":12.2,"), "{}", r.text);
    assert!(r.text.contains("\"draught_m\":5.2,"), "{}", r.text);
    let v = r.json();
    assert_eq!(mmsis(&v), [123_456_789, 222_222_222]);
    assert_eq!(
        (v["total"].as_u64(), &v["next_cursor"]),
        (Some(2), &Value::Null)
    );
    let a = &v["vessels"][0];
    assert_eq!(
        (a["class"].as_str(), a["static"]["name"].as_str()),
        (Some("a"), Some("ALPHA"))
    );
    assert!(a.get("flag").is_some());
    assert!(a.get("distance_m").is_none());
    // Pages.
    let p1 = ok(app, "/api/v1/vessels?bbox=2,5,4,7&limit=1").await;
    assert_eq!(
        (mmsis(&p1), p1["next_cursor"].as_str()),
        (vec![123_456_789], Some("123456789"))
    );
    let p2 = ok(app, "/api/v1/vessels?bbox=2,5,4,7&limit=1&cursor=123456789").await;
    assert_eq!(
        (mmsis(&p2), &p2["next_cursor"]),
        (vec![222_222_222], &Value::Null)
    );
    // Across the antimeridian.
    assert_eq!(
        mmsis(&ok(app, "/api/v1/vessels?bbox=179,-1,-179,1").await),
        [333_333_333]
    );
    // Radius: nearest first, with distances, in pages.
    let r = ok(app, "/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000").await;
    assert_eq!(mmsis(&r), [123_456_789, 222_222_222]);
    assert_eq!(r["vessels"][0]["distance_m"], 0.0);
    let d = r["vessels"][1]["distance_m"].as_f64().unwrap();
    assert!((1500.0..1700.0).contains(&d), "{d}");
    let r1 = ok(app, "/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000&limit=1").await;
    let c = r1["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(mmsis(&r1), [123_456_789]);
    let r2 = ok(
        app,
        &format!("/api/v1/vessels?lon=3.3&lat=6.0&radius_m=5000&limit=1&cursor={c}"),
    )
    .await;
    assert_eq!(
        (mmsis(&r2), &r2["next_cursor"]),
        (vec![222_222_222], &Value::Null)
    );

    // One vessel: live, else from the store, else 404.
    let live = ok(app, "/api/v1/vessels/123456789").await;
    assert_eq!(
        (live["origin"].as_str(), live["sog_kn"].as_f64()),
        (Some("live"), Some(12.2))
    );
    assert_eq!(live["first_seen"], rfc3339(CLOCK - 60 * MIN));
    let stored = ok(app, "/api/v1/vessels/987654321").await;
    assert_eq!(
        (stored["origin"].as_str(), stored["static"]["name"].as_str()),
        (Some("store"), Some("GHOST"))
    );
    assert_eq!(
        (
            stored["lon"].as_f64(),
            stored["sog_kn"].as_f64(),
            &stored["first_seen"]
        ),
        (Some(3.51), Some(12.2), &Value::Null)
    );
    let r = call(app, "/api/v1/vessels/555555555", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "no such vessel: 555555555");
}

#[tokio::test]
async fn history_from_the_store() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // Default window: 24 h before the engine clock. 30 points, capped at max_page = 20.
    let r = call(app, "/api/v1/vessels/123456789/track", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("\"sog_kn\":[12.2,12.2,") && !r.text.contains("12.19"),
        "{}",
        r.text
    );
    let t = r.json();
    assert_eq!(
        (t["type"].as_str(), t["geometry"]["type"].as_str()),
        (Some("Feature"), Some("LineString"))
    );
    assert_eq!(t["geometry"]["coordinates"][0], json!([3.0, 6.0]));
    let p = &t["properties"];
    assert_eq!(
        (p["mmsi"].as_u64(), p["truncated"].as_bool()),
        (Some(123_456_789), Some(true))
    );
    assert_eq!(p["times"].as_array().unwrap().len(), 20);
    assert_eq!(p["times"][0], rfc3339(CLOCK - 30 * MIN));
    assert_eq!(
        (p["cog"][0].as_f64(), p["sog_kn"].as_array().unwrap().len()),
        (Some(90.0), 20)
    );
    let next = p["next_from"].as_str().unwrap();
    assert_eq!(next, rfc3339(CLOCK - 10 * MIN));
    let rest = ok(app, &format!("/api/v1/vessels/123456789/track?from={next}")).await;
    assert_eq!(rest["properties"]["times"].as_array().unwrap().len(), 10);
    assert_eq!(
        (
            &rest["properties"]["truncated"],
            &rest["properties"]["next_from"]
        ),
        (&json!(false), &Value::Null)
    );
    // A straight line simplifies to its ends, keeping their times and speeds.
    let from = rfc3339(CLOCK - 25 * MIN);
    let s = ok(
        app,
        &format!("/api/v1/vessels/123456789/track?from={from}&simplify_m=100"),
    )
    .await;
    assert_eq!(s["geometry"]["coordinates"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["properties"]["times"],
        json!([from, rfc3339(CLOCK - 6 * MIN)])
    );
    assert_eq!(s["properties"]["sog_kn"], json!([12.2, 12.2]));
    // One point: a Point. An offset written `+00:00` arrives as a space and still parses.
    let one = ok(
        app,
        "/api/v1/vessels/987654321/track?from=2024-05-01T11:20:00+00:00&to=2024-05-01T11:20:30Z",
    )
    .await;
    assert_eq!(
        one["geometry"],
        json!({ "type": "Point", "coordinates": [3.5, 6.5] })
    );
    // No points in the window: a Feature without geometry; unknown vessel: 404.
    let none = ok(
        app,
        "/api/v1/vessels/987654321/track?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
    )
    .await;
    assert_eq!(
        (
            &none["geometry"],
            none["properties"]["times"].as_array().map(Vec::len)
        ),
        (&Value::Null, Some(0))
    );
    assert_eq!(
        call(app, "/api/v1/vessels/555555555/track", Some(ADMIN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Who was in the box: 123456789 (30 points, capped at 20: one vessel fills the page), then 987654321.
    let (from, to) = (rfc3339(CLOCK - 2 * 60 * MIN), rfc3339(CLOCK));
    let all = ok(
        app,
        &format!("/api/v1/positions?bbox=2,5,4,7&from={from}&to={to}"),
    )
    .await;
    assert_eq!(mmsis(&all), [123_456_789]);
    assert_eq!(all["next_cursor"], "123456789");
    let q = format!("/api/v1/positions?bbox=2,5,4,7&from={from}&to={to}&limit=20&cursor=123456789");
    let p2 = ok(app, &q).await;
    assert_eq!(
        (mmsis(&p2), &p2["next_cursor"]),
        (vec![987_654_321], &Value::Null)
    );
    assert_eq!(
        p2["vessels"][0]["points"][0],
        json!({ "time": rfc3339(CLOCK - 40 * MIN), "lon": 3.5, "lat": 6.5, "sog_kn": 12.2, "cog": 90.0 })
    );
}

#[tokio::test]
async fn alerts_are_passed_through_and_scoped() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    // Newest first, each the stored JSON of its latest state, byte for byte.
    let r = call(app, "/api/v1/alerts", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.text,
        format!(
            "{{\"alerts\":[{},{}],\"next_cursor\":null}}",
            f.alert_json[3], f.alert_json[2]
        )
    );
    assert!(r.text.contains("\"speed_kn\":12.2"));
    let ids = |v: &Value| -> Vec<String> {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (q, want) in [
        ("state=open", vec![ALERT_A]),
        ("state=closed", vec![ALERT_B]),
        ("kind=dark_period", vec![ALERT_B]),
        ("zone=za", vec![ALERT_A]),
        ("mmsi=123456789", vec![ALERT_A]),
        ("until=2024-05-01T11:20:00Z", vec![ALERT_B]),
        ("since=2024-05-01T11:58:00Z", vec![ALERT_A]),
    ] {
        assert_eq!(
            ids(&ok(app, &format!("/api/v1/alerts?{q}")).await),
            want,
            "{q}"
        );
    }
    let p1 = ok(app, "/api/v1/alerts?limit=1").await;
    assert_eq!(ids(&p1), [ALERT_B]);
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = ok(app, &format!("/api/v1/alerts?limit=1&cursor={c}")).await;
    assert_eq!(
        (ids(&p2), &p2["next_cursor"]),
        (vec![ALERT_A.to_owned()], &Value::Null)
    );
    // Detail: latest and every change, in order, unchanged.
    let r = call(app, &format!("/api/v1/alerts/{ALERT_A}"), Some(ADMIN)).await;
    assert_eq!(
        r.text,
        format!(
            "{{\"alert\":{a2},\"changes\":[{a0},{a2}]}}",
            a0 = f.alert_json[0],
            a2 = f.alert_json[2]
        )
    );

    // Centre A sees its alert only; B's is "not found", exactly like a missing one.
    let a = ok_as(app, "/api/v1/alerts", TOKEN_A).await;
    assert_eq!(ids(&a), [ALERT_A]);
    assert_eq!(
        ok_as(app, &format!("/api/v1/alerts/{ALERT_A}"), TOKEN_A).await["changes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let hidden = call(app, &format!("/api/v1/alerts/{ALERT_B}"), Some(TOKEN_A)).await;
    let missing = call(app, "/api/v1/alerts/loitering:za:1:1", Some(TOKEN_A)).await;
    assert_eq!(
        (hidden.status, missing.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        hidden.text.replace(ALERT_B, "X"),
        missing.text.replace("loitering:za:1:1", "X")
    );
    assert_eq!(ids(&ok_as(app, "/api/v1/alerts", TOKEN_B).await), [ALERT_B]);
    assert_eq!(
        call(app, &format!("/api/v1/alerts/{ALERT_A}"), Some(TOKEN_B))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Zones: a GeoJSON FeatureCollection, a centre sees its own only.
    let zone_ids = |v: &Value| -> Vec<String> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["properties"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let z = ok(app, "/api/v1/zones").await;
    assert_eq!(
        (z["type"].as_str(), zone_ids(&z)),
        (
            Some("FeatureCollection"),
            vec!["za".to_owned(), "zb".to_owned()]
        )
    );
    let za = &z["features"][0];
    assert_eq!(za["type"], "Feature");
    assert_eq!(
        za["properties"],
        json!({ "id": "za", "name": "Zone za", "kind": "patrol", "centre": ["A"] })
    );
    assert_eq!(za["geometry"]["type"], "MultiPolygon");
    assert_eq!(za["geometry"]["coordinates"][0][0][0], json!([2.0, 5.0]));
    assert_eq!(
        zone_ids(&ok_as(app, "/api/v1/zones", TOKEN_A).await),
        ["za"]
    );
    assert_eq!(
        zone_ids(&ok_as(app, "/api/v1/zones", TOKEN_B).await),
        ["zb"]
    );
    // Status counts only what the token may see.
    assert_eq!(
        ok_as(app, "/api/v1/status", TOKEN_A).await["alerts"],
        json!({ "stored": 1, "open": 1 })
    );
    assert_eq!(
        ok_as(app, "/api/v1/status", TOKEN_B).await["alerts"],
        json!({ "stored": 1, "open": 0 })
    );
}

async fn ok_as(app: &Router, path: &str, token: &str) -> Value {
    let r = call(app, path, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.json()
}

#[tokio::test]
async fn tokens_are_required_except_for_probes_and_the_document() {
    let f = fixture(DEFAULT).await;
    let app = &f.app;
    let routes = [
        "/api/v1/status",
        "/api/v1/vessels?bbox=2,5,4,7",
        "/api/v1/vessels/123456789",
        "/api/v1/vessels/123456789/track",
        "/api/v1/positions?bbox=2,5,4,7&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z",
        "/api/v1/alerts",
        "/api/v1/alerts/x",
        "/api/v1/zones",
    ];
    for path in routes {
        for token in [None, Some("nope"), Some("admin-toke"), Some("")] {
            let r = call(app, path, token).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
            assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
            assert!(r.json()["error"].is_string());
        }
    }
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"] {
        assert_eq!(call(app, path, None).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(call(app, "/healthz", None).await.text, "ok");
    assert!(call(app, "/metrics", None)
        .await
        .text
        .contains("aiswatch_vessels_tracked"));
    // No token configured: open.
    let open = fixture(Opts {
        tokens: false,
        ..DEFAULT
    })
    .await;
    assert_eq!(
        call(&open.app, "/api/v1/alerts", None).await.json()["alerts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let f = fixture(DEFAULT).await;
    let cases = [
        ("/api/v1/vessels", "bbox"),
        ("/api/v1/vessels?bbox=1,2,3", "bbox"),
        ("/api/v1/vessels?bbox=10,5,20,4", "bbox"),
        ("/api/v1/vessels?bbox=0,0,181,1", "bbox"),
        ("/api/v1/vessels?bbox=0,0,1,1&lon=1", "bbox"),
        ("/api/v1/vessels?lon=1&lat=2", "radius_m"),
        ("/api/v1/vessels?lat=2&radius_m=5", "lon"),
        ("/api/v1/vessels?lon=200&lat=0&radius_m=10", "lon"),
        ("/api/v1/vessels?lon=1&lat=95&radius_m=10", "lat"),
        ("/api/v1/vessels?lon=1&lat=0&radius_m=-5", "radius_m"),
        ("/api/v1/vessels?lon=1&lat=0&radius_m=5&cursor=zz", "cursor"),
        ("/api/v1/vessels?bbox=0,0,1,1&limit=0", "limit"),
        ("/api/v1/vessels?bbox=0,0,1,1&limit=ten", "limit"),
        ("/api/v1/vessels?bbox=0,0,1,1&cursor=abc", "cursor"),
        ("/api/v1/vessels/abc", "mmsi"),
        ("/api/v1/vessels/1234567890", "mmsi"),
        ("/api/v1/vessels/abc/track", "mmsi"),
        ("/api/v1/vessels/123456789/track?from=yesterday", "from"),
        ("/api/v1/vessels/123456789/track?to=2024-13-01T00:00:00Z", "to"),
        ("/api/v1/vessels/123456789/track?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", "from"),
        ("/api/v1/vessels/123456789/track?simplify_m=-1", "simplify_m"),
        ("/api/v1/positions?from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z", "bbox"),
        ("/api/v1/positions?bbox=0,0,1,1&to=2024-05-01T12:00:00Z", "from"),
        ("/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z", "to"),
        ("/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z&cursor=x", "cursor"),
        ("/api/v1/alerts?state=maybe", "state"),
        ("/api/v1/alerts?kind=piracy", "kind"),
        ("/api/v1/alerts?mmsi=x", "mmsi"),
        ("/api/v1/alerts?since=x", "since"),
        ("/api/v1/alerts?until=x", "until"),
        ("/api/v1/alerts?cursor=x", "cursor"),
        ("/api/v1/alerts?limit=-1", "limit"),
    ];
    for (path, param) in cases {
        let r = call(&f.app, path, Some(ADMIN)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        let e = r.json()["error"].as_str().unwrap().to_owned();
        assert!(e.starts_with(&format!("{param}: ")), "{path}: {e}");
    }
    let r = call(&f.app, "/api/v1/nothing", Some(ADMIN)).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no such route"))
    );
}

#[test]
fn an_open_api_beyond_loopback_is_warned_about() {
    let any: std::net::SocketAddr = "0.0.0.0:9700".parse().unwrap();
    let local: std::net::SocketAddr = "127.0.0.1:9700".parse().unwrap();
    assert!(super::warn_if_open(&[], any));
    assert!(!super::warn_if_open(&[], local));
    assert!(!super::warn_if_open(&[("t".into(), Scope::Admin)], any));
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let f = fixture(DEFAULT).await;
    let r = call(&f.app, "/api/v1/openapi.json", None).await;
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/status",
        "/api/v1/vessels",
        "/api/v1/vessels/{mmsi}",
        "/api/v1/vessels/{mmsi}/track",
        "/api/v1/positions",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/stream",
        "/api/v1/zones",
        "/api/v1/deliveries",
        "/api/v1/deliveries/{id}/retry",
        "/api/v1/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({ "type": "http", "scheme": "bearer" })
    );
    assert_eq!(doc["security"], json!([{ "bearer": [] }]));
    let vessels = &paths["/api/v1/vessels"]["get"];
    let names: Vec<&str> = vessels["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bbox", "lon", "lat", "radius_m", "limit", "cursor"]);
    assert!(doc["components"]["schemas"]["TrackFeature"].is_object());
    let mut ops: Vec<&str> = paths
        .values()
        .flat_map(|p| ["get", "post"].map(|m| p[m]["operationId"].as_str()))
        .flatten()
        .collect();
    ops.sort_unstable();
    let n = ops.len();
    ops.dedup();
    assert_eq!(
        (n, ops.len()),
        (15, 15),
        "operation ids must be unique: {ops:?}"
    );
}

#[tokio::test]
async fn without_a_store() {
    let f = fixture(Opts {
        store: false,
        ..DEFAULT
    })
    .await;
    for path in [
        "/api/v1/positions?bbox=0,0,1,1&from=2024-05-01T00:00:00Z&to=2024-05-01T12:00:00Z",
        "/api/v1/alerts",
        "/api/v1/alerts/x",
        "/api/v1/vessels/123456789/track",
    ] {
        let r = call(&f.app, path, Some(ADMIN)).await;
        assert_eq!(
            (r.status, r.text.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"error":"no store configured"}"#
            ),
            "{path}"
        );
    }
    assert_eq!(
        call(&f.app, "/api/v1/vessels/987654321", Some(ADMIN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let s = ok(&f.app, "/api/v1/status").await;
    assert_eq!(
        (&s["alerts"], &s["storage"]["kind"]),
        (&Value::Null, &json!("none"))
    );
}

#[tokio::test]
async fn readiness_gives_reasons() {
    let f = fixture(DEFAULT).await;
    let r = call(&f.app, "/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        (&v["ready"], &v["reasons"], &v["details"]),
        (&json!(true), &json!([]), &json!([]))
    );
    let ctx = &f.state.ctx;
    ctx.sources_ready.store(false, Ordering::Relaxed);
    ctx.engine_heartbeat
        .store(now_ms() - 10_000, Ordering::Relaxed);
    ctx.storage.failing.store(true, Ordering::Relaxed);
    *ctx.storage.last_error.lock().unwrap() = Some("disk full".into());
    ctx.storage.positions_dropped.store(5, Ordering::Relaxed);
    let r = call(&f.app, "/readyz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let v = r.json();
    assert_eq!(v["ready"], false);
    let reasons: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("sources")
            && reasons[1].contains("disk full")
            && reasons[2].starts_with("engine stalled")
    );
    assert_eq!(
        (
            v["positions_dropped"].as_u64(),
            v["details"].as_array().map(Vec::len)
        ),
        (Some(5), Some(1))
    );
    let s = ok(&f.app, "/api/v1/status").await;
    assert_eq!(
        (&s["storage"]["failing"], &s["storage"]["last_error"]),
        (&json!(true), &json!("disk full"))
    );
}

/// 200 heavy queries hold every permit (each waits for the engine to
/// refresh a stale snapshot); a 201st is refused with 503 and
/// `Retry-After`, `/healthz` still answers at once, and when the engine
/// publishes a large snapshot all 200 finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiter_refuses_and_healthz_answers_under_load() {
    const N: usize = 200;
    let f = fixture(Opts {
        max_concurrent_queries: N,
        ..DEFAULT
    })
    .await;
    f.snapshot
        .send_replace(Arc::new(snapshot(now_ms() - 60_000, 0)));
    let heavy: Vec<_> = (0..N)
        .map(|i| {
            let app = f.app.clone();
            let path = if i % 2 == 0 {
                "/api/v1/vessels?bbox=-31,-31,-28,-28"
            } else {
                "/api/v1/vessels?lon=-29.5&lat=-29.5&radius_m=100000"
            };
            tokio::spawn(async move { call(&app, path, Some(ADMIN)).await.status })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.state.limiter.available_permits() > 0 {
        assert!(
            Instant::now() < deadline,
            "heavy queries never took every permit"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let busy = call(&f.app, "/api/v1/vessels?bbox=2,5,4,7", Some(ADMIN)).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers.get(header::RETRY_AFTER).unwrap(), "1");
    assert!(busy.json()["error"].as_str().unwrap().contains("retry"));
    let t = Instant::now();
    let h = call(&f.app, "/healthz", None).await;
    assert_eq!((h.status, h.text.as_str()), (StatusCode::OK, "ok"));
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t.elapsed()
    );
    assert!(heavy.iter().any(|h| !h.is_finished()));
    assert!(f.state.ctx.want_snapshot.load(Ordering::Relaxed));

    // The engine answers with 20 000 vessels: the queries now do real work.
    f.snapshot
        .send_replace(Arc::new(snapshot(now_ms(), 20_000)));
    let t = Instant::now();
    assert_eq!(call(&f.app, "/healthz", None).await.status, StatusCode::OK);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t.elapsed()
    );
    for h in heavy {
        assert_eq!(h.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(f.state.limiter.available_permits(), N);
}

#[tokio::test]
async fn live_streams_need_a_token_and_are_capped() {
    let f = fixture(DEFAULT).await;
    let open = |token: Option<&'static str>| {
        let app = f.app.clone();
        async move {
            let mut req = Request::builder().uri("/api/v1/alerts/stream");
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
        }
    };
    assert_eq!(open(None).await.status(), StatusCode::UNAUTHORIZED);
    let a = open(Some(TOKEN_A)).await;
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(a.headers()[header::CONTENT_TYPE], "text/event-stream");
    let b = open(Some(TOKEN_B)).await;
    assert_eq!(b.status(), StatusCode::OK);
    // Two open (`max_streams = 2`): the third waits for one to close.
    let busy = open(Some(ADMIN)).await;
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
    drop(a);
    assert_eq!(open(Some(ADMIN)).await.status(), StatusCode::OK);
    drop(b);
}
