//! The store on real SQLite and, when `AISWATCH_TEST_PG_URL` is set, real
//! PostgreSQL (a fresh schema per test): one meaning on both.

use std::sync::Arc;

use super::*;
use aiswatch_core::ids::CentreId;
use aiswatch_engine::alert::{Alert, Details, Kind, State};

mod alerts;
mod positions;
mod restart;
mod writing;

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
