//! The store end to end, with the real binary: the shipped sample fed over
//! TCP to `aiswatch run`, the daemon killed (-9) or stopped (SIGTERM)
//! halfway, restarted on the same store, fed the rest. Afterwards the API
//! must hold exactly the alerts `aiswatch replay` gives for the whole
//! feed (same ids, same state changes: none lost, re-opened or doubled),
//! and a vessel's track every position fed for it. On SQLite always; on
//! PostgreSQL when `AISWATCH_TEST_PG_URL` is set (`.ci/run` sets it).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

const ADMIN: &str = "admin-token";

/// A connection holding the store's `ticks` table locked (PostgreSQL): the
/// restarted daemon's rebuild waits on it until it is released.
struct HeldRebuild(sqlx::PgConnection);

impl HeldRebuild {
    async fn lock(db: &str) -> Self {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        sqlx::query("BEGIN").execute(&mut c).await.unwrap();
        sqlx::query("LOCK TABLE ticks IN ACCESS EXCLUSIVE MODE")
            .execute(&mut c)
            .await
            .unwrap();
        HeldRebuild(c)
    }

    async fn release(mut self) {
        sqlx::query("COMMIT").execute(&mut self.0).await.unwrap();
    }
}

async fn restart_case(db: &str, kill: bool) {
    restart_case_with(db, kill, false).await;
}

/// `hold`: the restarted daemon's rebuild is held (PostgreSQL only) while
/// the test checks that it answers and reads its sources meanwhile.
async fn restart_case_with(db: &str, kill: bool, hold: bool) {
    let lines = sample_lines();
    let split = clean_split(&lines, lines.len() / 2);
    let (ref_alerts, ref_positions) = replay_reference(&lines);
    let (_, first_positions) = replay_reference(&lines[..split]);
    assert!(!ref_alerts.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    let config = write_config(dir.path(), &zones, db, ADMIN, &centres_toml());

    let mut d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines[..split]).await;
    wait_positions(d.http, ADMIN, first_positions.len()).await;
    stop(&mut d, kill);

    // On new ports: the addresses are the ones this start logged.
    let held = if hold {
        Some(HeldRebuild::lock(db).await)
    } else {
        None
    };
    let mut d = start(dir.path(), &config, 2).await;
    if let Some(held) = held {
        // Listening, answering, and saying why it is not ready yet.
        let (status, body) = request(d.http, "GET", "/healthz", None).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = request(d.http, "GET", "/readyz", None).await;
        assert_eq!(status, 503, "{body}");
        let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(ready["rebuilding"].is_object(), "{ready}");
        assert!(
            ready["reasons"][0]
                .as_str()
                .is_some_and(|r| r.starts_with("rebuilding state from the store")),
            "{ready}"
        );
        // What arrives meanwhile waits and is applied after, in order.
        feed(d.tcp, &lines[split..]).await;
        let (status, _) = request(d.http, "GET", "/readyz", None).await;
        assert_eq!(status, 503);
        held.release().await;
    } else {
        feed(d.tcp, &lines[split..]).await;
    }
    wait_positions(d.http, ADMIN, ref_positions.len() - first_positions.len()).await;

    let got = api_alerts(d.http, ADMIN).await;
    let want = reference_changes(&ref_alerts);
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    // Every alert with exactly replay's state changes (the rebuilt clock
    // ticks when the original did, so even periodic updates agree).
    for (id, w) in &want {
        assert_eq!(&got[id], w, "state changes of {id}");
    }

    // The busiest vessel's track holds every position fed for it.
    let mut per: BTreeMap<u32, Vec<&aiswatch::storage::PositionRow>> = BTreeMap::new();
    for p in &ref_positions {
        per.entry(p.mmsi.0).or_default().push(p);
    }
    let (mmsi, pts) = per.iter().max_by_key(|(_, v)| v.len()).unwrap();
    let (from, to) = (
        pts.iter().map(|p| p.time).min().unwrap(),
        pts.iter().map(|p| p.time).max().unwrap(),
    );
    let track = get_json(
        d.http,
        &format!(
            "/api/v1/vessels/{mmsi}/track?from={}&to={}",
            aiswatch_core::time::rfc3339(from),
            aiswatch_core::time::rfc3339(to)
        ),
        Some(ADMIN),
    )
    .await;
    let times = track["properties"]["times"].as_array().unwrap();
    assert_eq!(times.len(), pts.len(), "track of {mmsi}");
    let coords = track["geometry"]["coordinates"].as_array().unwrap();
    for (i, p) in pts.iter().enumerate() {
        assert_eq!(
            times[i].as_str().unwrap(),
            aiswatch_core::time::rfc3339(p.time)
        );
        // serde_json's default float parsing may be off by one ulp.
        assert!((coords[i][0].as_f64().unwrap() - p.lon).abs() < 1e-12);
        assert!((coords[i][1].as_f64().unwrap() - p.lat).abs() < 1e-12);
    }
    eprintln!(
        "{db}: {} alerts, {} changes, {} positions, restart after line {split} ({})",
        want.len(),
        ref_alerts.len(),
        ref_positions.len(),
        if kill { "kill -9" } else { "SIGTERM" }
    );
    stop(&mut d, false);
}

fn sqlite_url(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join(format!("{name}.db")).display()
    );
    (dir, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_then_restart_gives_replays_alerts() {
    let (_d, url) = sqlite_url("kill");
    restart_case(&url, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_graceful_restart_gives_replays_alerts() {
    let (_d, url) = sqlite_url("term");
    restart_case(&url, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_then_restart_gives_replays_alerts() {
    let Some(base) = pg_base_url("postgres_kill_9_then_restart_gives_replays_alerts") else {
        return;
    };
    restart_case(&pg_schema(&base, "kill").await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_graceful_restart_gives_replays_alerts() {
    let Some(base) = pg_base_url("postgres_graceful_restart_gives_replays_alerts") else {
        return;
    };
    restart_case(&pg_schema(&base, "term").await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_listens_and_buffers_while_it_rebuilds() {
    let Some(base) = pg_base_url("postgres_restart_listens_and_buffers_while_it_rebuilds") else {
        return;
    };
    restart_case_with(&pg_schema(&base, "held").await, true, true).await;
}
