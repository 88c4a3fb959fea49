//! The store writer: WAL, commits, and a PostgreSQL schema dropped under it.

use super::*;

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

/// A transaction that fails after its blocks' packed reports went into
/// their statement is tried again with the blocks packed anew: every
/// report is stored, as sent.
#[tokio::test]
async fn a_failed_sqlite_transaction_is_written_whole_when_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let store = Store::connect(&url).await.unwrap();
    let Backend::Sqlite { writer, .. } = &store.backend else {
        unreachable!("a SQLite store")
    };
    // The commit's last statement, the high-water mark, is refused while
    // `refuse` holds a row: the blocks are in by then.
    for q in [
        "CREATE TABLE refuse (x)",
        "INSERT INTO refuse VALUES (1)",
        "CREATE TRIGGER refuse_meta BEFORE INSERT ON store_meta \
         WHEN EXISTS (SELECT 1 FROM refuse) BEGIN SELECT RAISE(ABORT, 'refused'); END",
    ] {
        sqlx::query(q).execute(writer).await.unwrap();
    }
    let sent: Vec<PositionRow> = (0..60)
        .map(|i| {
            pos(
                244_000_000 + i % 3,
                1_700_000_000_000 + i64::from(i) * 10_000,
                4.0,
                52.0,
            )
        })
        .collect();
    let mut prepared = Prepared::new(Batch {
        positions: sent.clone(),
        ..Batch::default()
    });
    let err = store.write_prepared(&mut prepared).await.unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(store.count_positions().await.unwrap(), 0);
    sqlx::query("DELETE FROM refuse")
        .execute(writer)
        .await
        .unwrap();
    store.write_prepared(&mut prepared).await.unwrap();
    for m in 244_000_000..244_000_003 {
        let got = store.track(Mmsi(m), 0, Millis::MAX, 100).await.unwrap();
        let want: Vec<_> = sent.iter().filter(|r| r.mmsi.0 == m).cloned().collect();
        assert_eq!(got, want, "vessel {m}");
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

    /// The page size and the WAL checkpoint interval (in pages) every
    /// connection of `store` has.
    async fn pages(store: &Store) -> Vec<(i64, i64)> {
        let crate::storage::Backend::Sqlite { pool, writer, .. } = &store.backend else {
            panic!("not SQLite");
        };
        let mut got = Vec::new();
        for p in [pool, writer] {
            let mut c = p.acquire().await.unwrap();
            let one = |q: &'static str| sqlx::query_scalar::<_, i64>(q);
            let size = one("PRAGMA page_size").fetch_one(&mut *c).await.unwrap();
            let every = one("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            got.push((size, every));
        }
        got
    }

    /// A new store is made with 16 KiB pages; one made with other pages
    /// keeps them. Either checkpoints the WAL every 16 MiB, in its pages.
    #[tokio::test]
    async fn new_stores_have_16_kib_pages_and_old_ones_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.db").display());
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(pages(&store).await, [(16384, 1024); 2]);
        store.close().await;

        let old = dir.path().join("old.db");
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", old.display()))
                .await
                .unwrap();
        for q in [
            "PRAGMA page_size = 4096",
            "PRAGMA journal_mode = WAL",
            "CREATE TABLE t (x)",
        ] {
            sqlx::query(q).execute(&mut c).await.unwrap();
        }
        c.close().await.unwrap();
        let store = Store::connect(&format!("sqlite://{}", old.display()))
            .await
            .unwrap();
        assert_eq!(pages(&store).await, [(4096, 4096); 2]);
        let (mut tx, stats) = quick_writer(&store);
        tx.send(batch(0)).await;
        written(&stats, BATCH as u64, 60).await;
        drop(tx);
        assert_eq!(store.count_positions().await.unwrap(), BATCH as i64);
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
        sqlx::query("SELECT COUNT(*) FROM position_blocks")
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

    /// A few MB committed, the WAL is copied into the database file
    /// beside the writer, long before SQLite's own checkpoint after a
    /// commit would (16 MiB of WAL): the file grows while the writer goes
    /// on, and the store's close has little left to copy.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sqlite_wal_is_copied_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.db");
        let store = Store::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let (mut tx, stats) = quick_writer(&store);
        let size = || std::fs::metadata(&file).unwrap().len();
        let empty = size();
        // 20 vessels reporting every second, 2 500 reports each a batch:
        // about 14 packed bytes a report, 6 MB in all.
        const VESSELS: u32 = 20;
        let mut total = 0;
        for k in 0..9 {
            let positions = (0..50_000)
                .map(|i| {
                    let (v, n) = (i % VESSELS, k * 2500 + i / VESSELS);
                    let step = f64::from(n) * 1e-4;
                    pos(
                        300_000_000 + v,
                        1_000_000_000 + i64::from(n) * 1000,
                        f64::from(v) + step,
                        10.0 + step,
                    )
                })
                .collect::<Vec<_>>();
            total += positions.len() as u64;
            tx.send(Batch {
                positions,
                ..Batch::default()
            })
            .await;
        }
        written(&stats, total, 120).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while size() < empty + (2 << 20) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the database file is {} bytes ({empty} empty) with {} WAL bytes beside it",
                size(),
                store.wal_bytes().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop(tx);
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
