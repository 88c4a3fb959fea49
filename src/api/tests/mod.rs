//! The API end to end over a temp SQLite store: every route's status and
//! shape, token scopes, named 400s, 404s, the OpenAPI document, the query
//! limiter and `/healthz` under load. Requests go through the real
//! [`Router`] with `tower::ServiceExt::oneshot`.

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
use crate::api::config::ApiConfig;
use crate::metrics::Metrics;
use crate::storage::writer::WriterStats;
use crate::storage::Scope;
use crate::storage::{Batch, PositionRow, StaticRow, Store};
use aiswatch_core::ids::{CentreId, Mmsi};
use aiswatch_core::time::{now_ms, rfc3339, Millis};
use aiswatch_engine::alert::{Alert, Details, Kind, State};
use aiswatch_engine::detect::{dark_period, loitering};
use aiswatch_engine::engine::EngineStats;
use aiswatch_engine::snapshot::Snapshot;
use aiswatch_engine::track::{StaticInfo, Vessel, VesselClass};
use aiswatch_zones::{Zone, ZoneDetect, ZoneKind, ZoneSet};

mod acks;
mod alerts;
mod auth;
mod health;
mod history;
mod i18n;
mod openapi;
mod vessels;
mod web;

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
        id: id.into(),
        name: Some(format!("Zone {id}")),
        kind: ZoneKind::Patrol,
        centres: vec![CentreId::from(centre)],
        detect: ZoneDetect::default(),
        geometry: square(lon, lat),
        source_file: "test.geojson".into(),
        feature_index: 0,
        source: Default::default(),
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
        zone: zone.into(),
        zone_name: Some(format!("Zone {zone}")),
        zone_version: None,
        centre: vec![CentreId::from(centre)],
        at,
        started_at: started,
        ended_at: (state == State::Closed).then_some(at),
        lat,
        lon,
        vessels: vec![],
        summary: format!("{} in {zone}", kind.as_str()),
        message: None,
        details: match kind {
            Kind::DarkPeriod => Details::DarkPeriod(dark_period::Details {
                last_sog_kn: Some(Some(12.2)),
                silent_s: Some((at - started) / 1000),
                ..Default::default()
            }),
            Kind::Loitering => Details::Loitering(loitering::Details {
                duration_s: Some((at - started) / 1000),
                max_speed_kn_seen: Some(12.2),
                ..Default::default()
            }),
            k => Details::ended(k, "test"),
        },
    }
}

async fn fixture(o: Opts) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = if o.store {
        let url = format!("sqlite://{}/t.db", dir.path().display());
        Some(Store::connect(&url).await.unwrap())
    } else {
        None
    };
    fixture_on(o, store, dir).await
}

/// The fixture over `store` (its data written into it), keeping `dir`.
async fn fixture_on(o: Opts, store: Option<Store>, dir: tempfile::TempDir) -> Fixture {
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
    let store = if let Some(store) = store {
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
            station: None,
        }];
        store
            .write(&Batch {
                positions,
                statics,
                alerts,
                ticks: Vec::new(),
                heard: Vec::new(),
                emitted_at: None,
                input: None,
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
        zones: crate::live_zones::fixed(Arc::new(
            ZoneSet::from_zones(vec![zone("za", "A", 3.0, 6.0), zone("zb", "B", 50.0, 12.0)])
                .unwrap(),
        )),
        zone_editor: None,
        preview: None,
        tokens,
        limits: ApiConfig {
            max_concurrent_queries: o.max_concurrent_queries,
            max_page: 20,
            max_streams: 2,
            ..ApiConfig::default()
        },
        engine_heartbeat: Arc::new(AtomicI64::new(now_ms())),
        sources_ready: Arc::new(AtomicBool::new(true)),
        rebuild: Arc::new(crate::storage::rebuild::Progress::done()),
        hub: Some(crate::deliver::hub::Hub::new(16)),
        routes: Arc::new([]),
        evidence: None,
        federation: None,
        audit: crate::audit::Audit::off(),
        cluster: None,
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
    request(app, "GET", path, token, None).await
}

/// `method path` with `token` and a JSON `body`.
async fn request(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
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

/// GET with `token`, expecting 200 JSON.
async fn ok_as(app: &Router, path: &str, token: &str) -> Value {
    let r = call(app, path, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.json()
}
