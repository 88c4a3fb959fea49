//! What a restart closes, keeps and rebuilds.

use super::*;

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

mod coverage {
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
