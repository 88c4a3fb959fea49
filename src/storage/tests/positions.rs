//! Positions: cells, tracks, boxes, retention and received text; static
//! changes.

use super::*;

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
        // The same answer from a window of a few hours (SQLite: a key seek
        // per hour and cell, not the per-hour list of cells with positions).
        let hours = s
            .positions_in(bbox, 0, 3 * 3_600_000, None, 1000, Points::All)
            .await
            .unwrap();
        assert_eq!(hours, page, "{}", s.kind());
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

/// A store from before position blocks: its rows of the one-row-per-report
/// table are moved into blocks when it opens, every field kept, and the
/// table is dropped; the restart's replay finds them by sequence number,
/// and the messages heard stored as JSON then.
#[tokio::test]
async fn a_store_from_before_blocks_keeps_every_position() {
    for (s, _dir) in stores().await {
        let old: Vec<PositionRow> = (0..120)
            .map(|i| {
                pos(
                    7 + i % 3,
                    3_600_000 * 5 + i as i64 * 61_000,
                    3.5 + i as f64 * 0.01,
                    4.5,
                )
            })
            .collect();
        let values: Vec<String> = old
            .iter()
            .map(|r| {
                let (cell, hour) = (cell_of(r.lon, r.lat), hour_of(r.time));
                format!(
                    "({cell}, {hour}, {}, {}, {}, {}, {:?}, {:?}, 122, 3599, NULL, 0, 1, 'st\t1', 'src')",
                    r.mmsi.0, r.time, r.hash as i64, r.seq, r.lon, r.lat
                )
            })
            .collect();
        let (table, insert) = match &s.backend {
            Backend::Sqlite { .. } => (
                "CREATE TABLE positions (cell INTEGER NOT NULL, hour INTEGER NOT NULL, mmsi INTEGER NOT NULL, \
                 t INTEGER NOT NULL, hash INTEGER NOT NULL, seq INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL, \
                 sog_dkn INTEGER, cog_ddeg INTEGER, heading INTEGER, nav_status INTEGER, msg_type INTEGER NOT NULL, \
                 station TEXT, source TEXT NOT NULL, PRIMARY KEY (cell, hour, mmsi, t, hash)) WITHOUT ROWID",
                "INSERT INTO positions (cell, hour, mmsi, t, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, \
                 nav_status, msg_type, station, source) VALUES ",
            ),
            Backend::Postgres(_) => (
                "CREATE TABLE positions (cell BIGINT NOT NULL, hour BIGINT, mmsi BIGINT NOT NULL, t BIGINT NOT NULL, \
                 hash BIGINT NOT NULL, seq BIGINT NOT NULL, lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL, \
                 sog_dkn BIGINT, cog_ddeg BIGINT, heading BIGINT, nav_status BIGINT, msg_type BIGINT NOT NULL, \
                 station TEXT, source TEXT NOT NULL, UNIQUE (mmsi, t, hash))",
                "INSERT INTO positions (cell, hour, mmsi, t, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, \
                 nav_status, msg_type, station, source) VALUES ",
            ),
        };
        let sql = format!("{insert}{}", values.join(","));
        on_writer!(s, p => {
            sqlx::query(table).execute(p).await.unwrap();
            sqlx::query(&sql).execute(p).await.unwrap();
        });
        // A batch's messages heard as they were stored then: JSON.
        let first = old.iter().map(|r| r.seq).min().unwrap();
        let heard = format!(
            "INSERT INTO heard (first_seq, last_seq, entries) VALUES ({first}, {first}, \
             '[[{first},\"rx-1\",18000000,7,-1,2,true]]')"
        );
        on_writer!(s, p => { sqlx::query(&heard).execute(p).await.unwrap(); });
        s.move_legacy_positions().await.unwrap();
        assert_eq!(s.count_positions().await.unwrap(), 120, "{}", s.kind());
        let back = s.records(first, first + 1_000).await.unwrap();
        assert_eq!(
            back.positions,
            old,
            "{}: in sequence order, every field",
            s.kind()
        );
        let h = &back.heard;
        assert_eq!(h.len(), 1, "{}", s.kind());
        assert_eq!(
            (h[0].seq, &*h[0].station, h[0].pos),
            (first, "rx-1", Some((-1, 2)))
        );
        let t = s.track(Mmsi(8), 0, i64::MAX, 1_000).await.unwrap();
        assert_eq!(t.len(), 40, "{}", s.kind());
        // Moved once: the old table is gone, opening again changes nothing.
        s.move_legacy_positions().await.unwrap();
        assert_eq!(s.count_positions().await.unwrap(), 120, "{}", s.kind());
        let gone = on_writer!(s, p => sqlx::query("SELECT COUNT(*) FROM positions").execute(p).await.is_err());
        assert!(gone, "{}", s.kind());
    }
}

/// Static changes keep every field on every store; of two of one vessel at
/// one time the later counts, within a batch and from a later batch.
#[tokio::test]
async fn static_changes_keep_every_field_and_the_later_of_a_time() {
    let change = |info: StaticInfo, station: Option<&str>| StaticRow {
        seq: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        mmsi: Mmsi(88),
        time: 6_000_000,
        info,
        source: "src".into(),
        station: station.map(Arc::from),
    };
    let full = StaticInfo {
        name: Some("KOTA SAHABAT".into()),
        callsign: Some("9V1234".into()),
        imo: Some(9_123_456),
        ship_type: Some(70),
        length_m: Some(180),
        beam_m: Some(28),
        draught_m: Some(7.5),
        destination: Some("TEMA".into()),
        updated_at: 6_000_000,
    };
    let bare = StaticInfo {
        updated_at: 6_000_000,
        ..StaticInfo::default()
    };
    for (s, _dir) in stores().await {
        let k = s.kind();
        let named = StaticInfo {
            name: Some("OLD NAME".into()),
            ..bare.clone()
        };
        let later = change(full.clone(), Some("st1"));
        s.write(&Batch {
            statics: vec![change(named, None), later.clone()],
            ..Batch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{k}: {e}"));
        let got = s.static_at(Mmsi(88), 6_000_000).await.unwrap();
        assert_eq!(got.as_ref(), Some(&later), "{k}");
        let cleared = change(bare.clone(), None);
        s.write(&Batch {
            statics: vec![cleared.clone()],
            ..Batch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{k}: {e}"));
        let got = s.static_at(Mmsi(88), 6_000_000).await.unwrap();
        assert_eq!(got.as_ref(), Some(&cleared), "{k}");
    }
}
