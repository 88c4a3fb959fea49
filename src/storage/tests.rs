//! The store on real SQLite and, when `AISWATCH_TEST_PG_URL` is set, real
//! PostgreSQL (a fresh schema per test): one meaning on both.

use std::sync::Arc;

use super::*;
use aiswatch_core::ids::CentreId;
use aiswatch_engine::alert::{Alert, Details, Kind, State};

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
        cog_ddeg: Some(3599),
        heading: None,
        nav_status: Some(0),
        msg_type: 1,
        station: Some("st\t1".into()),
        source: Arc::from("src"),
        hash: u64::MAX - u64::from(mmsi),
    }
}

pub(crate) fn alert(id_mmsi: u32, centre: &str, state: State, at: Millis) -> Alert {
    let mmsi = vec![Mmsi(id_mmsi)];
    Alert {
        id: Alert::make_id(Kind::Loitering, "z", &mmsi, 1_000_000),
        kind: Kind::Loitering,
        state,
        mmsi,
        zone: "z".into(),
        zone_name: None,
        zone_version: None,
        centre: vec![CentreId::from(centre)],
        at,
        started_at: 1_000_000,
        ended_at: (state == State::Closed).then_some(at),
        lat: 1.0,
        lon: 2.0,
        vessels: vec![],
        summary: format!("{state:?}"),
        message: None,
        details: Details::Loitering(Default::default()),
    }
}

/// Runs `engine` on `msgs` up to `split` (event time) from source `test`,
/// writing its records and alerts to `s` message by message, as the daemon
/// does before it is stopped.
pub(crate) async fn record_until(
    s: &Store,
    mut engine: aiswatch_engine::engine::Engine,
    msgs: &[aiswatch_decode::Decoded],
    split: Millis,
    wall: Millis,
) {
    let src: Arc<str> = "test".into();
    engine.set_next_seq(s.last_seq().await.unwrap() + 1);
    engine.record(true);
    for m in msgs.iter().filter(|m| m.time <= split) {
        engine.ingest(&src, std::slice::from_ref(m), wall);
        let mut b = engine.take_records();
        b.alerts = engine.take_alerts();
        s.write(&b).await.unwrap();
    }
}

pub(crate) async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut out = vec![(Store::connect(&url).await.unwrap(), Some(dir))];
    match std::env::var("AISWATCH_TEST_PG_URL") {
        Ok(base) if !base.is_empty() => {
            use sqlx::Connection;
            let schema = format!(
                "aw_unit_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
            );
            let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut c)
                .await
                .unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            out.push((Store::connect(&url).await.unwrap(), None));
        }
        _ => eprintln!("SKIPPED (PostgreSQL half of storage tests): AISWATCH_TEST_PG_URL not set"),
    }
    out
}

#[test]
fn cells_cover_boxes_and_the_antimeridian() {
    let b = BBox {
        min_lon: 3.1,
        min_lat: 4.1,
        max_lon: 4.1,
        max_lat: 5.1,
    };
    let cells = b.cells(1000).unwrap();
    assert_eq!(cells.len(), 25);
    assert!(cells.contains(&cell_of(3.1, 4.1)) && cells.contains(&cell_of(4.1, 5.1)));
    let am = BBox {
        min_lon: 179.9,
        min_lat: 0.0,
        max_lon: -179.9,
        max_lat: 0.1,
    };
    assert!(am.contains(180.0, 0.05) && am.contains(-180.0, 0.05) && !am.contains(0.0, 0.05));
    assert_eq!(am.cells(1000).unwrap().len(), 2);
    let world = BBox {
        min_lon: -180.0,
        min_lat: -90.0,
        max_lon: 180.0,
        max_lat: 90.0,
    };
    assert!(world.cells(1024).is_none());
    assert_eq!(cell_of(180.0, 90.0), cell_of(179.99, 89.99));
}

#[tokio::test]
async fn positions_round_trip_tracks_and_boxes() {
    for (s, _dir) in stores().await {
        let mut b = Batch::default();
        for i in 0..50 {
            b.positions.push(pos(1, 1_000_000 + i * 10_000, 3.5, 4.5));
            b.positions
                .push(pos(2, 1_000_000 + i * 10_000, 3.6 + i as f64 * 0.1, 4.5));
            b.positions
                .push(pos(3, 1_000_000 + i * 10_000, 179.99, 0.05));
        }
        s.write(&b).await.unwrap();
        // The same reports again (an archive imported twice): kept once.
        let mut again = Batch::default();
        for p in &b.positions {
            let mut p = p.clone();
            p.seq += 1_000_000;
            again.positions.push(p);
        }
        s.write(&again).await.unwrap();
        assert_eq!(s.count_positions().await.unwrap(), 150, "{}", s.kind());
        assert_eq!(s.last_time().await.unwrap(), Some(1_490_000));
        let t = s.track(Mmsi(1), 1_000_000, 1_100_000, 100).await.unwrap();
        assert_eq!(t.len(), 11, "{}", s.kind());
        assert!(t.windows(2).all(|w| w[0].time < w[1].time));
        assert_eq!(t[0], b.positions[0], "{}: exact round trip", s.kind());
        assert_eq!(t[0].sog_kn(), Some(12.2));
        // The box holds vessel 1 wholly, vessel 2 until it sails out at 4.0°E.
        let bbox = BBox {
            min_lon: 3.0,
            min_lat: 4.0,
            max_lon: 4.0,
            max_lat: 5.0,
        };
        let page = s
            .positions_in(bbox, 0, i64::MAX, None, 1000, Points::All)
            .await
            .unwrap();
        let got: Vec<(u32, usize)> = page
            .vessels
            .iter()
            .map(|v| (v.mmsi.0, v.points.len()))
            .collect();
        assert_eq!(got, vec![(1, 50), (2, 5)], "{}", s.kind());
        assert_eq!(page.next_cursor, None);
        // Paged: a page stops at a whole vessel.
        let p1 = s
            .positions_in(bbox, 0, i64::MAX, None, 52, Points::All)
            .await
            .unwrap();
        assert_eq!(p1.vessels.len(), 1);
        assert_eq!(p1.next_cursor, Some(Mmsi(1)));
        let p2 = s
            .positions_in(bbox, 0, i64::MAX, p1.next_cursor, 52, Points::All)
            .await
            .unwrap();
        assert_eq!(p2.vessels[0].mmsi, Mmsi(2));
        // Only the newest point in the box: vessel 2's last before it sails out.
        let newest = |max| s.positions_in(bbox, 0, i64::MAX, None, max, Points::Newest);
        let got: Vec<(u32, Vec<i64>)> = newest(1000)
            .await
            .unwrap()
            .vessels
            .iter()
            .map(|v| (v.mmsi.0, v.points.iter().map(|p| p.time).collect()))
            .collect();
        assert_eq!(
            got,
            vec![(1, vec![1_490_000]), (2, vec![1_040_000])],
            "{}",
            s.kind()
        );
        // Vessel 1 alone fills a page of 10: read newest first, its newest is kept.
        let capped = newest(10).await.unwrap();
        assert_eq!(capped.vessels[0].points[0].time, 1_490_000, "{}", s.kind());
        assert_eq!(capped.next_cursor, Some(Mmsi(1)));
        // Across the antimeridian; and a box too big for cells goes by time.
        let am = BBox {
            min_lon: 179.9,
            min_lat: 0.0,
            max_lon: -179.9,
            max_lat: 0.1,
        };
        let p = s
            .positions_in(am, 0, i64::MAX, None, 1000, Points::All)
            .await
            .unwrap();
        assert_eq!(p.vessels.len(), 1);
        let world = BBox {
            min_lon: -180.0,
            min_lat: -90.0,
            max_lon: 180.0,
            max_lat: 90.0,
        };
        let p = s
            .positions_in(world, 1_000_000, 1_000_000, None, 1000, Points::All)
            .await
            .unwrap();
        assert_eq!(p.vessels.len(), 3);
        // Retention.
        s.prune_positions(1_250_000).await.unwrap();
        let left = s.track(Mmsi(1), 0, i64::MAX, 1000).await.unwrap();
        if s.kind() == "sqlite" {
            assert_eq!(left.len(), 25);
            assert_eq!(left[0].time, 1_250_000);
        }
        s.close().await;
    }
}

/// A vessel over four days, in a new grid cell every 10 minutes (576
/// cells and hours: more than a track reads per step), and one in port.
#[tokio::test]
async fn tracks_and_boxes_span_hours_cells_and_retention() {
    const H: Millis = 3_600_000;
    let t0 = 1_700_000_000_000 - 1_700_000_000_000 % H + 17 * 60_000;
    for (s, _dir) in stores().await {
        let mut b = Batch::default();
        let mut sailed = Vec::new();
        for i in 0..576 {
            let p = pos(10, t0 + i * 600_000, -20.0 + i as f64 * 0.26, 10.0);
            sailed.push(p.clone());
            b.positions.push(p);
            b.positions.push(pos(11, t0 + i * 600_000, 5.01, 5.01));
        }
        s.write(&b).await.unwrap();
        let k = s.kind();
        // Whole, in order, and the same from any start inside a hour.
        let all = s.track(Mmsi(10), 0, Millis::MAX, 10_000).await.unwrap();
        assert_eq!(all, sailed, "{k}");
        let from = t0 + 100 * 600_000 + 1;
        let part = s
            .track(Mmsi(10), from, from + 24 * H, 10_000)
            .await
            .unwrap();
        assert_eq!(part.as_slice(), &sailed[101..=244], "{k}");
        // Cut by the limit, past the first step of 512 (hour, cell) entries.
        let cut = s.track(Mmsi(10), 0, Millis::MAX, 530).await.unwrap();
        assert_eq!(cut.as_slice(), &sailed[..530], "{k}");
        let few = s.track(Mmsi(10), t0, Millis::MAX, 3).await.unwrap();
        assert_eq!(few.as_slice(), &sailed[..3], "{k}");
        // The newest at or before a time, also when that hour holds only later ones.
        for at in [t0 + 5 * H, t0 + 5 * H + 1, t0 - 1, t0 + 10 * 600_000 - 1] {
            let want = sailed.iter().rfind(|p| p.time <= at).cloned();
            assert_eq!(
                s.last_position(Mmsi(10), at).await.unwrap(),
                want,
                "{k} at {at}"
            );
        }
        assert_eq!(
            s.last_position(Mmsi(11), Millis::MAX)
                .await
                .unwrap()
                .map(|p| p.time),
            Some(t0 + 575 * 600_000),
            "{k}"
        );
        // A box too big to list its cells, over six hours.
        let world = BBox {
            min_lon: -180.0,
            min_lat: -90.0,
            max_lon: 180.0,
            max_lat: 90.0,
        };
        let page = s
            .positions_in(world, t0 + H, t0 + 7 * H - 1, None, 10_000, Points::All)
            .await
            .unwrap();
        let got: Vec<(u32, usize)> = page
            .vessels
            .iter()
            .map(|v| (v.mmsi.0, v.points.len()))
            .collect();
        assert_eq!(got, vec![(10, 36), (11, 36)], "{k}");
        // West of 0°E, vessel 10 only, while it was there.
        let west = BBox {
            min_lon: -30.0,
            min_lat: -30.0,
            max_lon: 0.0,
            max_lat: 30.0,
        };
        let page = s
            .positions_in(west, 0, Millis::MAX, None, 10_000, Points::All)
            .await
            .unwrap();
        let n = sailed.iter().filter(|p| p.lon <= 0.0).count();
        assert_eq!(page.vessels.len(), 1, "{k}");
        assert_eq!(page.vessels[0].points.len(), n, "{k}");
        // Retention inside an hour: what is older goes, the rest stays whole.
        let before = t0 + 48 * H + 30 * 60_000;
        s.prune_positions(before).await.unwrap();
        let left = s.track(Mmsi(10), 0, Millis::MAX, 10_000).await.unwrap();
        let want: Vec<_> = sailed
            .iter()
            .filter(|p| p.time >= before)
            .cloned()
            .collect();
        if k == "sqlite" {
            assert_eq!(left, want, "{k}");
        } else {
            // Whole days go on PostgreSQL.
            assert!(left.len() >= want.len() && left.ends_with(&want), "{k}");
        }
        s.close().await;
    }
}

#[tokio::test]
async fn alerts_keep_every_change_and_respect_scopes() {
    for (s, _dir) in stores().await {
        let mut b = Batch::default();
        b.alerts.push(alert(7, "A", State::Open, 1_100_000));
        b.alerts.push(alert(8, "B", State::Open, 1_200_000));
        s.write(&b).await.unwrap();
        let mut b = Batch::default();
        b.alerts.push(alert(7, "A", State::Update, 1_300_000));
        b.alerts.push(alert(7, "A", State::Closed, 1_400_000));
        s.write(&b).await.unwrap();
        // Changes already stored (a re-import) are not stored again.
        s.write(&b).await.unwrap();

        let a7 = Alert::make_id(Kind::Loitering, "z", &[Mmsi(7)], 1_000_000);
        let a8 = Alert::make_id(Kind::Loitering, "z", &[Mmsi(8)], 1_000_000);
        let h = s.alert(&a7, &Scope::Admin).await.unwrap().unwrap();
        assert_eq!(h.changes.len(), 3);
        assert!(h.changes[2].contains("\"state\":\"closed\""));
        assert_eq!(h.latest.json, h.changes[2]);
        let a = Scope::Centre("A".into());
        assert!(s.alert(&a7, &a).await.unwrap().is_some());
        assert!(
            s.alert(&a8, &a).await.unwrap().is_none(),
            "{}: B's alert hidden from A",
            s.kind()
        );

        let f = |scope: Scope| AlertFilter {
            scope,
            zone: None,
            kind: None,
            open: None,
            mmsi: None,
            since: None,
            until: None,
            limit: 10,
            cursor: None,
        };
        let all = s.alerts(&f(Scope::Admin)).await.unwrap();
        assert_eq!(
            all.alerts.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            vec![a8.clone(), a7.clone()]
        );
        let only_a = s.alerts(&f(a.clone())).await.unwrap();
        assert_eq!(only_a.alerts.len(), 1);
        assert_eq!(only_a.alerts[0].id, a7);
        let open = s
            .alerts(&AlertFilter {
                open: Some(true),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(open.alerts.len(), 1);
        assert_eq!(open.alerts[0].id, a8);
        let by_mmsi = s
            .alerts(&AlertFilter {
                mmsi: Some(Mmsi(7)),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(by_mmsi.alerts.len(), 1);
        let since = s
            .alerts(&AlertFilter {
                since: Some(1_500_000),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(
            since.alerts.len(),
            1,
            "closed before since: only the open one"
        );
        let p1 = s
            .alerts(&AlertFilter {
                limit: 1,
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(p1.alerts.len(), 1);
        let p2 = s
            .alerts(&AlertFilter {
                limit: 1,
                cursor: p1.next_cursor,
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(p2.alerts[0].id, a7);
        assert_eq!(p2.next_cursor, None);
        let open = s.open_alerts().await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(s.alert_counts(&Scope::Admin).await.unwrap(), (2, 1));
        assert_eq!(
            s.alert_counts(&Scope::Centre("B".into())).await.unwrap(),
            (1, 1)
        );
        s.close().await;
    }
}

/// An open alert whose stored JSON cannot be read is still closed at
/// restart, with what its open row knows, and the restart goes on.
#[test]
fn restart_closes_an_unreadable_orphan_with_what_its_row_knows() {
    use crate::storage::rebuild::{orphan_close, REASON_ZONE_REMOVED};
    use aiswatch_engine::engine::{Engine, EngineConfig};
    let engine = Engine::new(EngineConfig::default()).with_detectors(
        aiswatch_engine::detect::Detectors::new(
            aiswatch_zones::ZoneSet::empty(),
            aiswatch_engine::detect::DetectConfig::default(),
        ),
    );
    let row = OpenAlert {
        id: "loitering:gone:244000007:1767225600".into(),
        started_at: 1_767_225_600_000,
        kind: "loitering".into(),
        zone: "gone".into(),
        json: r#"{"id":"loitering:gone:244000007:1767225600","kind":"loitering","details":{"reports":"many"}"#.into(),
    };
    let close = orphan_close(&row, &engine, 1_767_229_200_000).expect("closed");
    assert_eq!(close.id, row.id);
    assert_eq!((close.kind, close.state), (Kind::Loitering, State::Closed));
    assert_eq!(close.zone, "gone");
    assert!(close.mmsi.is_empty() && close.centre.is_empty());
    assert_eq!(
        close.details,
        Details::ended(Kind::Loitering, REASON_ZONE_REMOVED)
    );
    assert!(
        close.summary.starts_with("alert loitering:gone:"),
        "{}",
        close.summary
    );
}

/// An alert left open by a detector since switched off in its zone (or by a
/// zone since removed) is closed by the restart, not left open for ever.
#[tokio::test]
async fn restart_closes_alerts_of_switched_off_detectors_and_removed_zones() {
    use crate::storage::rebuild::{rebuild, REASON_DETECTOR_DISABLED, REASON_ZONE_REMOVED};
    use aiswatch_engine::detect::{DetectConfig, Detectors};
    use aiswatch_engine::engine::{Engine, EngineConfig};
    // Zone "patrol" now runs only dark periods (loitering was on before).
    const ZONE: &str = r#"{"type":"FeatureCollection","features":[
     {"type":"Feature","properties":{"id":"patrol","centre":"A","detect":{"dark_period":{}}},
      "geometry":{"type":"Polygon","coordinates":[[[1,0],[3,0],[3,2],[1,2],[1,0]]]}}]}"#;
    let t0: Millis = 1_767_225_600_000;
    let open = |kind: Kind, zone: &str| {
        let mmsi = vec![Mmsi(244_000_007)];
        Alert {
            id: Alert::make_id(kind, zone, &mmsi, t0),
            kind,
            state: State::Open,
            mmsi,
            zone: zone.into(),
            zone_name: Some("Patrol".into()),
            zone_version: None,
            centre: vec![CentreId::from("A")],
            at: t0 + 3_600_000,
            started_at: t0,
            ended_at: None,
            lat: 1.0,
            lon: 2.0,
            vessels: vec![],
            summary: "open".into(),
            message: None,
            details: Details::from_json(kind, serde_json::json!({})).unwrap(),
        }
    };
    for (s, _dir) in stores().await {
        let mut b = Batch::default();
        b.positions.push(pos(244_000_007, t0 + 3_600_000, 2.0, 1.0));
        b.alerts.push(open(Kind::Loitering, "patrol"));
        b.alerts.push(open(Kind::DarkPeriod, "patrol"));
        b.alerts.push(open(Kind::Loitering, "gone"));
        s.write(&b).await.unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("z.geojson"), ZONE).unwrap();
        let zones =
            aiswatch_zones::ZoneSet::load_dir(dir.path(), aiswatch_engine::detect::SPECS).unwrap();
        let mut engine = Engine::new(EngineConfig::default())
            .with_detectors(Detectors::new(zones, DetectConfig::default()));
        let resume = rebuild(&s, &mut engine, &Default::default()).await.unwrap();
        assert_eq!((resume.open_alerts, resume.closed_orphans), (3, 2));
        let closes = engine.take_alerts();
        let got: Vec<_> = closes
            .iter()
            .map(|a| {
                (
                    a.zone.as_str(),
                    a.kind,
                    a.state,
                    match &a.details {
                        Details::Loitering(d) => d.reason.as_deref(),
                        _ => None,
                    },
                )
            })
            .collect();
        assert!(got.contains(&(
            "patrol",
            Kind::Loitering,
            State::Closed,
            Some(REASON_DETECTOR_DISABLED)
        )));
        assert!(got.contains(&(
            "gone",
            Kind::Loitering,
            State::Closed,
            Some(REASON_ZONE_REMOVED)
        )));
        assert_eq!(got.len(), 2, "the dark period runs on: {got:?}");
        let c = &closes[0];
        assert_eq!(c.centre, vec![CentreId::from("A")], "routed as before");
        assert_eq!(c.mmsi, vec![Mmsi(244_000_007)]);
        assert_eq!(c.ended_at, Some(t0 + 3_600_000));
        // Through the normal path: stored, and no longer open.
        s.write(&Batch {
            alerts: closes,
            ..Batch::default()
        })
        .await
        .unwrap();
        let still: Vec<_> = s.open_alerts().await.unwrap();
        assert_eq!(still.len(), 1);
        assert!(still[0].id.to_string().starts_with("dark_period:patrol:"));
        s.close().await;
    }
}

#[tokio::test]
async fn acks_are_kept_per_centre() {
    for (store, _dir) in stores().await {
        let mut shared = alert(5, "A", State::Open, 2_000_000);
        shared.centre.push(CentreId::from("B"));
        let only_b = alert(6, "B", State::Open, 2_000_000);
        let batch = Batch {
            positions: vec![],
            statics: vec![],
            alerts: vec![shared.clone(), only_b.clone()],
            ticks: vec![],
            heard: vec![],
            emitted_at: None,
            input: None,
        };
        store.write(&batch).await.unwrap();
        let a = Scope::Centre(CentreId::from("A"));
        let b = Scope::Centre(CentreId::from("B"));
        let ack = |scope: Scope, id: AlertId, by: &'static str, at: Millis| {
            let store = &store;
            async move { store.ack_alert(&id, &scope, by, "seen", at).await.unwrap() }
        };
        // A centre acknowledges only what it sees.
        assert_eq!(ack(a.clone(), only_b.id.clone(), "a1", 10).await, None);
        assert_eq!(ack(a.clone(), AlertId::from("nope"), "a1", 10).await, None);
        let first = ack(a.clone(), shared.id.clone(), "a1", 10).await.unwrap();
        assert_eq!(
            (
                first.centre.as_ref().map(|c| c.as_str()),
                first.by.as_str(),
                first.at
            ),
            (Some("A"), "a1", 10)
        );
        ack(b.clone(), shared.id.clone(), "b1", 11).await.unwrap();
        ack(a.clone(), shared.id.clone(), "a2", 12).await.unwrap();
        ack(Scope::Admin, only_b.id.clone(), "root", 13)
            .await
            .unwrap();
        let n = |id: &AlertId| {
            let store = &store;
            let id = id.clone();
            async move {
                store
                    .alert(&id, &Scope::Admin)
                    .await
                    .unwrap()
                    .unwrap()
                    .latest
                    .n
            }
        };
        let ns = [n(&shared.id).await, n(&only_b.id).await];
        let who = |acks: Vec<Ack>| acks.into_iter().map(|k| k.by).collect::<Vec<_>>();
        // Each centre its own, oldest first; an admin everything.
        assert_eq!(who(store.acks(&ns, &a).await.unwrap()), ["a1", "a2"]);
        assert_eq!(who(store.acks(&ns, &b).await.unwrap()), ["b1"]);
        assert_eq!(
            who(store.acks(&ns, &Scope::Admin).await.unwrap()),
            ["a1", "b1", "a2", "root"]
        );
        assert!(store.acks(&[], &Scope::Admin).await.unwrap().is_empty());
        store.close().await;
    }
}

/// The silences a loitering alert counts.
fn silences(d: &Details) -> Option<u32> {
    match d {
        Details::Loitering(l) => l.silences.map(|s| s.count),
        _ => None,
    }
}

/// A loitering that goes on after a silence keeps its alert id
/// when the daemon restarts during the silence: the rebuild reaches back to
/// the open alert's start, so the resumed event is the same one.
#[tokio::test]
async fn restart_during_a_silence_keeps_the_resumed_loitering_alert() {
    use crate::storage::rebuild::rebuild;
    use aiswatch_decode::ais::{AisMessage, Body, ClassA};
    use aiswatch_decode::{Decoded, TimeSource};
    use aiswatch_engine::detect::{DetectConfig, Detectors};
    use aiswatch_engine::engine::{Engine, EngineConfig};
    const ZONE: &str = r#"{"type":"FeatureCollection","features":[
     {"type":"Feature","properties":{"id":"patrol","centre":"A","detect":{"loitering":{"min_duration":"1h"}}},
      "geometry":{"type":"Polygon","coordinates":[[[1,0],[3,0],[3,2],[1,2],[1,0]]]}}]}"#;
    const MIN: Millis = 60_000;
    let t0: Millis = 1_767_225_600_000;
    let msg = |mmsi: u32, t: Millis, lon: f64, sog: f64| Decoded {
        time: t,
        time_source: TimeSource::TagBlock,
        station: Some("st1".into()),
        channel: b'A',
        own_ship: false,
        payload_hash: (u64::from(mmsi) << 32) ^ t as u64,
        message: AisMessage {
            msg_type: 1,
            repeat: 0,
            mmsi,
            body: Body::ClassA(ClassA::report(
                0,
                (sog * 10.0).round() as u16,
                (lon * 600_000.0).round() as i32,
                600_000,
                900,
                511,
            )),
        },
    };
    // A ship passing every 5 min keeps the clock going; ours is slow for
    // 90 min, silent for 3 h, back at the same spot, then under way.
    let mut msgs: Vec<Decoded> = (0..=84)
        .map(|k| msg(211_000_050, t0 + k * 5 * MIN, 1.2 + k as f64 * 0.01, 12.0))
        .collect();
    // (Under way just before: its first report is not the loitering's start.)
    msgs.push(msg(244_000_050, t0 - 3 * MIN, 2.0, 11.0));
    for k in (0..=30).chain(90..=110) {
        msgs.push(msg(244_000_050, t0 + k * 3 * MIN, 2.0, 0.5));
    }
    msgs.push(msg(244_000_050, t0 + 333 * MIN, 2.01, 11.0));
    msgs.sort_by_key(|m| m.time);
    let split = t0 + 200 * MIN;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), ZONE).unwrap();
    let engine = || {
        let zones =
            aiswatch_zones::ZoneSet::load_dir(dir.path(), aiswatch_engine::detect::SPECS).unwrap();
        Engine::new(EngineConfig::default())
            .with_detectors(Detectors::new(zones, DetectConfig::default()))
    };
    let src: Arc<str> = "test".into();
    let wall = t0 + 1000 * 60 * MIN;
    let mut reference = engine();
    let mut want = Vec::new();
    for m in &msgs {
        reference.ingest(&src, std::slice::from_ref(m), wall);
        want.extend(
            reference
                .take_alerts()
                .into_iter()
                .filter(|a| a.at > split)
                .map(|a| (a.id, a.state, silences(&a.details))),
        );
    }
    assert!(want.len() >= 2, "{want:?}");
    for (s, _dir) in stores().await {
        record_until(&s, engine(), &msgs, split, wall).await;
        assert_eq!(
            s.open_alerts().await.unwrap().len(),
            1,
            "open in the silence"
        );
        let mut second = engine();
        let resume = rebuild(&s, &mut second, &Default::default()).await.unwrap();
        assert!(resume.silenced.is_empty(), "{:?}", resume.silenced);
        let mut got = Vec::new();
        for m in msgs.iter().filter(|m| m.time > split) {
            second.ingest(&src, std::slice::from_ref(m), wall);
            got.extend(
                second
                    .take_alerts()
                    .into_iter()
                    .map(|a| (a.id, a.state, silences(&a.details))),
            );
        }
        assert_eq!(got, want);
        s.close().await;
    }
}

mod restart {
    //! The restart rebuild against the engine's hand-made coverage-edge traffic.
    use aiswatch_engine::alert::Alert;
    use aiswatch_engine::fixtures::{at_spot, coverage_edge_feed, engine, run, HOUR, MIN, T0};

    use super::{record_until, stores};

    /// A restart rebuilds who hears whom from every station's copies (B's are
    /// second copies, stored as heard rows), so the alerts after the restart
    /// are the uninterrupted run's, to the byte: ids, states, the stations that
    /// heard each vessel with their copies, the summary. Vessel `w`, heard by A
    /// and B, falls silent just before the restart; rebuilt from first copies
    /// only, its last copies would all be A's and B would be missing from its
    /// dark period's `heard_by`.
    #[tokio::test]
    async fn restart_rebuilds_coverage_from_every_copy() {
        let (mut msgs, d) = coverage_edge_feed();
        let w = 244_000_102;
        msgs.extend(at_spot(
            w,
            (T0, T0 + 55 * MIN, MIN),
            (3.08, 4.15, 0.0),
            &["A", "B"],
        ));
        msgs.sort_by_key(|m| m.time);
        let split = T0 + 56 * MIN;
        let json = |a: Alert| serde_json::to_string(&a).unwrap();
        let want: Vec<String> = run(&mut engine(), msgs.clone())
            .into_iter()
            .filter(|a| a.at > split)
            .map(json)
            .collect();
        for m in [d, w] {
            assert!(
                want.iter()
                    .any(|a| a.contains(&format!("dark_period:patrol:{m}"))),
                "{m}'s dark period comes after the restart: {want:#?}"
            );
        }
        for (s, _dir) in stores().await {
            record_until(&s, engine(), &msgs, split, T0 + 1000 * HOUR).await;
            let mut second = engine();
            let resume = super::rebuild::rebuild(&s, &mut second, &Default::default())
                .await
                .unwrap();
            assert!(resume.silenced.is_empty(), "{:?}", resume.silenced);
            let got: Vec<String> = run(
                &mut second,
                msgs.iter().filter(|m| m.time > split).cloned().collect(),
            )
            .into_iter()
            .map(json)
            .collect();
            assert_eq!(got, want);
            s.close().await;
        }
    }
}

/// The writer on `store`, committing each batch sent at once.
fn quick_writer(store: &Store) -> (writer::StoreSender, Arc<writer::WriterStats>) {
    let stats = Arc::new(writer::WriterStats::default());
    let cfg = StorageConfig {
        flush_interval: std::time::Duration::from_millis(1),
        ..StorageConfig::default()
    };
    let (tx, _task) = writer::spawn(store.clone(), &cfg, stats.clone(), None);
    (tx, stats)
}

/// Waits until the writer has committed `n` positions in all, failing
/// with its last error after `secs`.
async fn written(stats: &writer::WriterStats, n: u64, secs: u64) {
    use std::sync::atomic::Ordering::Relaxed;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while stats.positions_written.load(Relaxed) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} positions written; last error: {:?}",
            stats.positions_written.load(Relaxed),
            stats.last_error.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

mod wal {
    use std::sync::atomic::Ordering::Relaxed;

    use sqlx::Connection;

    use super::{pos, quick_writer, written};
    use crate::storage::{Batch, Store};

    /// What the WAL file may grow to: the size SQLite cuts it back to.
    const BOUND: u64 = 64 << 20;
    const BATCH: usize = 2000;

    /// A batch spread over the world and many vessels: thousands of pages
    /// of the positions table and its indexes written per commit.
    fn batch(k: u64) -> Batch {
        let mut x = k.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let positions = (0..BATCH)
            .map(|i| {
                let mmsi = 200_000_000 + (next() * 20_000.0) as u32;
                let t = 1_000_000_000 + k as i64 * 1000 + i as i64;
                pos(mmsi, t, next() * 358.0 - 179.0, next() * 170.0 - 85.0)
            })
            .collect();
        Batch {
            positions,
            ..Batch::default()
        }
    }

    /// Batch after batch through the writer, with and without a reader
    /// holding a snapshot (as an API query does while it reads): the WAL
    /// file stays within its bound, and comes back within it once a reader
    /// that kept it from being checkpointed lets go.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sqlite_wal_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::connect(&url).await.unwrap();
        let (mut tx, stats) = quick_writer(&store);
        let mut k = 0;
        let mut total = 0;
        // Far more WAL traffic than the bound, with no reader about.
        for _ in 0..80 {
            tx.send(batch(k)).await;
            k += 1;
            total += BATCH as u64;
            written(&stats, total, 60).await;
            let wal = store.wal_bytes().unwrap();
            assert!(wal <= BOUND, "WAL {wal} bytes after {k} batches");
            // The gauge follows the file once the writer has looked after
            // its commit (it counts positions first).
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
            while stats.wal_bytes.load(Relaxed) != store.wal_bytes().unwrap() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the WAL gauge does not follow the file"
                );
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
        // A reader holds a snapshot: nothing after it can be checkpointed,
        // so the WAL grows past the bound.
        let mut reader = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut reader).await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM positions")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        let held = k;
        while store.wal_bytes().unwrap() <= BOUND {
            assert!(k < held + 200, "the reader did not hold the WAL back");
            tx.send(batch(k)).await;
            k += 1;
            total += BATCH as u64;
            written(&stats, total, 60).await;
        }
        // It lets go: within the writer's retry interval the WAL is back
        // within the bound, and stays there.
        sqlx::query("COMMIT").execute(&mut reader).await.unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while store.wal_bytes().unwrap() > BOUND {
            assert!(
                tokio::time::Instant::now() < deadline,
                "WAL {} bytes 10 s after the reader let go",
                store.wal_bytes().unwrap()
            );
            tx.send(batch(k)).await;
            k += 1;
            total += BATCH as u64;
            written(&stats, total, 60).await;
        }
        for _ in 0..20 {
            tx.send(batch(k)).await;
            k += 1;
            total += BATCH as u64;
            written(&stats, total, 60).await;
            let wal = store.wal_bytes().unwrap();
            assert!(wal <= BOUND, "WAL {wal} bytes after the reader let go");
        }
        drop(tx);
        assert_eq!(
            store.count_positions().await.unwrap(),
            total as i64,
            "every position kept"
        );
        store.close().await;
    }
}

/// A PostgreSQL schema dropped and created anew under a running writer:
/// the writer finds its tables gone, runs the migrations again and writes
/// the batch it was holding; nothing written after the drop is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_schema_dropped_and_created_anew_is_migrated_again() {
    use sqlx::Connection;
    use std::sync::atomic::Ordering::Relaxed;
    let base = match std::env::var("AISWATCH_TEST_PG_URL") {
        Ok(b) if !b.is_empty() => b,
        _ => {
            eprintln!("SKIPPED a_postgres_schema_dropped_and_created_anew_is_migrated_again: AISWATCH_TEST_PG_URL not set");
            return;
        }
    };
    let schema = format!(
        "aw_remigrate_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    let store = Store::connect(&url).await.unwrap();
    let (mut tx, stats) = quick_writer(&store);

    let day = 86_400_000;
    let first = Batch {
        positions: (0..10).map(|i| pos(11, 1_000_000 + i, 3.5, 4.5)).collect(),
        alerts: vec![alert(11, "A", State::Open, 1_000_000)],
        ..Batch::default()
    };
    tx.send(first).await;
    written(&stats, 10, 30).await;

    for sql in [
        format!("DROP SCHEMA {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&sql).execute(&mut admin).await.unwrap();
    }
    // The same day (its partition known to the store, gone with the
    // schema) and a new one.
    let second = Batch {
        positions: (0..20)
            .map(|i| pos(12, 1_000_100 + i * (day / 10), 3.5, 4.5))
            .collect(),
        alerts: vec![alert(12, "A", State::Open, 1_000_100)],
        ..Batch::default()
    };
    tx.send(second).await;
    written(&stats, 30, 30).await;
    assert_eq!(stats.migrations_rerun.load(Relaxed), 1);
    assert!(stats.problem().is_none(), "{:?}", stats.problem());
    assert_eq!(store.count_positions().await.unwrap(), 20);
    let alerts = store
        .alerts(&AlertFilter {
            scope: Scope::Admin,
            zone: None,
            kind: None,
            open: None,
            mmsi: None,
            since: None,
            until: None,
            limit: 10,
            cursor: None,
        })
        .await
        .unwrap();
    assert_eq!(alerts.alerts.len(), 1);
    assert!(alerts.alerts[0].id.as_str().contains(":12:"));
    assert_eq!(
        store.track(Mmsi(12), 0, i64::MAX, 100).await.unwrap().len(),
        20
    );
    drop(tx);
    store.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// A NUL in a station id or a vessel's name (text as received off the
/// air, or from gpsd JSON) is stored as U+FFFD on every store: PostgreSQL
/// refuses NUL in text, and a batch it refused would be retried for ever.
#[tokio::test]
async fn a_nul_in_received_text_is_stored_on_every_store() {
    for (s, _dir) in stores().await {
        let mut p = pos(77, 5_000_000, 3.5, 4.5);
        p.station = Some("st\0x".into());
        let st = StaticRow {
            seq: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            mmsi: Mmsi(77),
            time: 5_000_000,
            info: StaticInfo {
                name: Some("A\0B".into()),
                updated_at: 5_000_000,
                ..StaticInfo::default()
            },
            source: "src".into(),
            station: Some("st\0x".into()),
        };
        s.write(&Batch {
            positions: vec![p],
            statics: vec![st],
            ..Batch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", s.kind()));
        let t = s.track(Mmsi(77), 0, i64::MAX, 10).await.unwrap();
        assert_eq!(t[0].station.as_deref(), Some("st\u{FFFD}x"), "{}", s.kind());
        let st = s.static_at(Mmsi(77), 5_000_000).await.unwrap().unwrap();
        assert_eq!(st.info.name.as_deref(), Some("A\u{FFFD}B"), "{}", s.kind());
        assert_eq!(st.station.as_deref(), Some("st\u{FFFD}x"), "{}", s.kind());
    }
}
