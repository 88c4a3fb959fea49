//! The built binary, as users and their scripts run it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn aiswatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `aiswatch simulate --out dir ARGS`: a feed and its zones in `dir`.
fn simulate(dir: &Path, args: &[&str]) {
    let o = aiswatch(&[&["simulate", "--out", dir.to_str().unwrap()], args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
}

/// gpsd's own regression expectations (unscaled JSON after each sentence)
/// against our scaled decode, for the fields users compare.
#[test]
fn decode_agrees_with_gpsd_regression_expectations() {
    let chk = std::fs::read_to_string("tests/data/gpsd-type6-fid55.log.chk").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut expected: Vec<Value> = Vec::new();
    let mut sentences = String::new();
    let mut pending = 0;
    for line in chk.lines() {
        if line.starts_with('!') {
            sentences.push_str(line);
            sentences.push('\n');
            pending += 1;
        } else if line.starts_with('{') {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["class"] == "AIS" && pending > 0 {
                expected.push(v);
            }
            pending = 0;
        }
    }
    let input = dir.path().join("in.nmea");
    std::fs::write(&input, sentences).unwrap();
    let out = aiswatch(&["decode", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ours: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // gpsd leaves out some messages we decode (lengths it calls out of range):
    // align on (type, mmsi), in order.
    let (mut compared, mut agree, mut j) = (0, 0, 0);
    for g in &expected {
        let key = |v: &Value| (v["type"].as_u64(), v["mmsi"].as_u64());
        let Some(k) = (j..ours.len().min(j + 50)).find(|&k| key(&ours[k]) == key(g)) else {
            eprintln!("missing: {g}");
            compared += 1;
            continue;
        };
        j = k + 1;
        let o = &ours[k];
        let t = g["type"].as_u64().unwrap();
        if ![1, 2, 3, 4, 5, 18, 19, 21].contains(&t) {
            continue;
        }
        compared += 1;
        let num = |v: &Value| v.as_f64();
        let mut ok = g["mmsi"] == o["mmsi"] && g["type"] == o["type"];
        for (k, scale) in [
            ("lat", 600_000.0),
            ("lon", 600_000.0),
            ("course", 10.0),
            ("draught", 10.0),
        ] {
            if let (Some(a), Some(b)) = (num(&g[k]), num(&o[k])) {
                ok &= (a / scale - b).abs() < 1e-6;
            }
        }
        if let (Some(a), Some(b)) = (num(&g["speed"]), num(&o["speed"])) {
            ok &= (a / if t == 9 { 1.0 } else { 10.0 } - b).abs() < 1e-6;
        }
        for k in [
            "status",
            "heading",
            "imo",
            "shipname",
            "callsign",
            "destination",
            "name",
            "aid_type",
            "shiptype",
        ] {
            if !g[k].is_null() {
                ok &= g[k] == o[k];
            }
        }
        if ok {
            agree += 1;
        } else {
            eprintln!("differs:\n gpsd {g}\n ours {o}");
        }
    }
    assert!(compared > 900, "{compared}");
    let pct = 100.0 * agree as f64 / compared as f64;
    eprintln!("agreement with gpsd expectations: {agree}/{compared} = {pct:.2} %");
    assert!(pct >= 99.5, "{pct}");
}

#[test]
fn garbage_between_real_lines_is_counted_not_fatal() {
    let real = std::fs::read_to_string("tests/data/aishub-5000.nmea").unwrap();
    let mut dirty = Vec::new();
    for (i, l) in real.lines().enumerate() {
        dirty.extend_from_slice(l.as_bytes());
        dirty.push(b'\n');
        if i % 50 == 7 && !l.starts_with("!AIVDM,2,1") {
            dirty.extend_from_slice(&[0, 159, 255, 10, 13, 0x1b, b'\n']);
            dirty.extend(std::iter::repeat_n(b'A', 20_000));
            dirty.push(b'\n');
            dirty.extend_from_slice(&l.as_bytes()[..l.len() / 2]);
            dirty.push(b'\n');
            dirty.extend_from_slice(
                b"!AIVDM,2,1,7,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3A\n",
            );
            dirty.extend_from_slice(b"\\s:bad,c:12*ZZ\\\n");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (clean, dirty_path) = (dir.path().join("clean.nmea"), dir.path().join("dirty.nmea"));
    std::fs::write(&clean, real).unwrap();
    std::fs::write(&dirty_path, dirty).unwrap();
    let count = |p: &Path| {
        let o = aiswatch(&["decode", p.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().count()
    };
    let (n_clean, n_dirty) = (count(&clean), count(&dirty_path));
    assert!(n_clean > 4_000);
    assert_eq!(
        n_dirty, n_clean,
        "every real message survives the garbage around it"
    );
    let o = aiswatch(&["replay", dirty_path.to_str().unwrap()]);
    assert!(o.status.success());
    let summary = stderr(&o);
    for reason in ["too_long", "not_nmea", "no_checksum", "orphan_fragment"] {
        assert!(summary.contains(reason), "{reason} missing in:\n{summary}");
    }
}

#[test]
fn zones_check_accepts_the_shipped_zones_and_names_every_error() {
    let o = aiswatch(&["zones", "check", "zones"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for entry in std::fs::read_dir("tests/data/zones_bad").unwrap() {
        let dir = entry.unwrap().path();
        let o = aiswatch(&["zones", "check", dir.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", dir.display());
        assert!(
            err.contains(".geojson"),
            "{}: no file named in {err}",
            dir.display()
        );
        let name = dir.file_name().unwrap().to_str().unwrap();
        if !["syntax", "not_feature_collection"].contains(&name) {
            assert!(
                err.contains("feature #"),
                "{name}: no feature named in {err}"
            );
        }
    }
}

#[test]
fn replay_reads_history_csv_and_prints_alerts_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    simulate(
        dir.path(),
        &["--hours", "6", "--vessels", "60", "--seed", "4"],
    );
    let zones = dir.path().join("zones");
    let feed = dir.path().join("feed.nmea");
    let o = aiswatch(&[
        "replay",
        "--zones",
        zones.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let alerts: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!alerts.is_empty());
    for a in &alerts {
        for k in [
            "id",
            "kind",
            "state",
            "mmsi",
            "zone",
            "centre",
            "started_at",
            "ended_at",
            "lat",
            "lon",
            "details",
        ] {
            assert!(a.get(k).is_some(), "{k} missing in {a}");
        }
    }
    // Replay is deterministic: the same input gives the same alerts.
    let again = aiswatch(&[
        "replay",
        "--zones",
        zones.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&again), stdout(&o));

    let hist = aiswatch(&["replay", "tests/data/history/dma_aisdk_sample.csv"]);
    assert!(hist.status.success(), "{}", stderr(&hist));
    assert!(stderr(&hist).contains("history"), "{}", stderr(&hist));
}

#[test]
fn errors_name_the_file() {
    let o = aiswatch(&["replay", "no/such/file.nmea"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.nmea"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[engine]\nduplicate_windw = \"1s\"\n").unwrap();
    let o = aiswatch(&[
        "replay",
        "--config",
        cfg.to_str().unwrap(),
        "tests/data/gfw-ee-group.nmea",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.toml") && e.contains("duplicate_windw") && e.contains("line 2"),
        "{e}"
    );
}

/// `aiswatch config check FILE`: exit 0 on a usable config, 1 on
/// any error, each naming the key (or the zone file and feature).
#[test]
fn config_check_names_every_bad_key_and_exits_1() {
    let o = aiswatch(&["config", "check", "deploy/demo.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("OK") && stdout(&o).contains("zone(s)"));

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let zones = std::fs::canonicalize("zones").unwrap();
    let centres = std::fs::read_to_string("deploy/demo.toml").unwrap();
    let centres = &centres[centres.find("[[centres]]").unwrap()..];
    let base = format!("zones = {:?}\n{centres}\n", zones.to_str().unwrap());
    let ok = write("ok.toml", &base);
    let o = aiswatch(&["config", "check", &ok]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));

    // A section that loads but does nothing: OK, with a note naming it.
    let older = write(
        "older.toml",
        &format!("{base}[engine.track]\npoints = 64\nmin_spacing_ms = 60000\n"),
    );
    let o = aiswatch(&["config", "check", &older]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("older.toml: note: [engine.track]: has no effect"),
        "{}",
        stderr(&o)
    );

    let bad = write(
        "bad.toml",
        &format!(
            "{base}[detect]\nupdate_every = \"0s\"\nstale_after = \"300000000y\"\n\
             [channels]\nlines = 9223372036854775807\n\
             [[sources]]\nkind = \"tcp_server\"\nid = \"push\"\nbind = \"127.0.0.1:0\"\nmax_connections = 0\n"
        ),
    );
    let o = aiswatch(&["config", "check", &bad]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for key in [
        "[detect] update_every",
        "[detect] stale_after",
        "[channels] lines",
        "max_connections",
        "4 error(s)",
    ] {
        assert!(err.contains(key), "{key} not named in:\n{err}");
    }

    // Syntax: toml names the line.
    let syntax = write("syntax.toml", "[engine]\nduplicate_window = 20s\n");
    let o = aiswatch(&["config", "check", &syntax]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));

    // Zones it points to: a bad zone file is named with its feature, and
    // an undeclared centre is an error too.
    let zdir = dir.path().join("zones");
    std::fs::create_dir(&zdir).unwrap();
    std::fs::copy(
        "tests/data/zones_bad/negative_speed/x.geojson",
        zdir.join("z.geojson"),
    )
    .unwrap();
    let zbad = write(
        "zbad.toml",
        &format!("zones = {:?}\n", zdir.to_str().unwrap()),
    );
    let o = aiswatch(&["config", "check", &zbad]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("z.geojson") && err.contains("feature #") && err.contains("zones ="),
        "{err}"
    );
    let undeclared = write(
        "undeclared.toml",
        &format!("zones = {:?}\n", zones.to_str().unwrap()),
    );
    let o = aiswatch(&["config", "check", &undeclared]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not declared"), "{}", stderr(&o));

    // `run` refuses the same values at start, promptly, naming the key
    // (`update_every = "0s"` used to spin at 100 % CPU and ignore SIGTERM).
    let spin = write("spin.toml", "[detect]\nupdate_every = \"0s\"\n");
    let o = aiswatch(&[
        "run",
        "--config",
        &spin,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[detect] update_every"),
        "{}",
        stderr(&o)
    );
}

/// Runs `aiswatch replay PATH` while a thread writes `content` into the FIFO
/// at `path`; kills it after 60 s. Returns the summary (stderr).
fn replay_through_fifo(path: &Path, content: Vec<u8>) -> String {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success());
    let fifo = path.to_path_buf();
    // Opening a FIFO for writing waits for a reader; if the replay never
    // opens it again, this thread stays blocked and the test fails below.
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo) {
            for chunk in content.chunks(4096) {
                if f.write_all(chunk).is_err() {
                    return;
                }
            }
        }
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["replay", path.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("replay of a FIFO did not finish (it waits for input it already consumed)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// The `N lines` of a replay summary.
fn summary_lines(summary: &str) -> u64 {
    summary
        .split(", ")
        .nth(1)
        .and_then(|s| s.strip_suffix(" lines").or_else(|| s.split(' ').next()))
        .and_then(|s| s.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no line count in {summary}"))
}

#[test]
fn replay_of_a_fifo_reads_all_of_it() {
    // Before: sniffing the format opened the FIFO, consumed its first buffer
    // and closed it; the replay proper then read only what was left, or
    // waited for ever.
    let dir = tempfile::tempdir().unwrap();
    let nmea = std::fs::read("tests/data/aishub-5000.nmea").unwrap();
    let from_file = aiswatch(&["replay", "tests/data/aishub-5000.nmea"]);
    assert!(from_file.status.success());
    let want = summary_lines(&stderr(&from_file));
    assert!(want >= 5000, "{want}");
    let got = replay_through_fifo(&dir.path().join("feed.fifo"), nmea);
    assert_eq!(summary_lines(&got), want, "{got}");

    // Decoded history is recognised through a FIFO too.
    let csv = std::fs::read("tests/data/history/dma_aisdk_sample.csv").unwrap();
    let got = replay_through_fifo(&dir.path().join("history.fifo"), csv);
    assert!(got.contains("history") && got.contains(": dma ("), "{got}");
}

/// `aiswatch replay --db`: the store opens while the engine runs, and a
/// second replay into it continues its record sequence where the first
/// ended (its records numbered as if the store had been open from the
/// start), keeping every position. A store that cannot be opened stops
/// the replay with an error naming it.
#[test]
fn replay_into_a_store_continues_its_sequence() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path(), &["--hours", "1", "--vessels", "20"]);
    let feed = std::fs::read_to_string(dir.path().join("feed.nmea")).unwrap();
    let lines: Vec<&str> = feed.lines().collect();
    let half = lines.len() / 2;
    let (a, b) = (dir.path().join("a.nmea"), dir.path().join("b.nmea"));
    std::fs::write(&a, lines[..half].join("\n") + "\n").unwrap();
    std::fs::write(&b, lines[half..].join("\n") + "\n").unwrap();
    // Many transactions a replay: the first one handed on while the
    // store may still be opening.
    let cfg = dir.path().join("small-batches.toml");
    std::fs::write(&cfg, "[storage]\nbatch_positions = 300\n").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The record numbers of a store's position blocks (vessel, first,
    // last, reports) and ticks, `by` on.
    let numbers = |name: &str, by: i64| {
        let url = format!("sqlite://{}", dir.path().join(name).display());
        rt.block_on(async {
            let db = sqlx::SqlitePool::connect(&url).await.unwrap();
            let mut blocks: Vec<(i64, i64, i64, i64)> =
                sqlx::query_as("SELECT mmsi, first_seq, last_seq, n FROM position_blocks")
                    .fetch_all(&db)
                    .await
                    .unwrap();
            let ticks: Vec<(i64,)> = sqlx::query_as("SELECT seq FROM ticks")
                .fetch_all(&db)
                .await
                .unwrap();
            db.close().await;
            for b in &mut blocks {
                (b.1, b.2) = (b.1 + by, b.2 + by);
            }
            (
                blocks,
                ticks.into_iter().map(|t| t.0 + by).collect::<Vec<_>>(),
            )
        })
    };
    // (last record number, positions) of a store after replaying `feeds`.
    let replayed = |name: &str, feeds: &[&Path]| {
        let url = format!("sqlite://{}", dir.path().join(name).display());
        for f in feeds {
            let args = ["replay", "--config", cfg.to_str().unwrap(), "--db", &url];
            let o = aiswatch(&[&args[..], &[f.to_str().unwrap()]].concat());
            assert!(o.status.success(), "{}", stderr(&o));
        }
        rt.block_on(async {
            let store = aiswatch::storage::Store::connect(&url).await.unwrap();
            let got = (
                store.last_seq().await.unwrap(),
                store.count_positions().await.unwrap(),
            );
            store.close().await;
            got
        })
    };
    let (seq_a, positions_a) = replayed("a.db", &[&a]);
    let (seq_b, positions_b) = replayed("b.db", &[&b]);
    assert!(seq_a > 0 && seq_b > 0 && positions_a > 0 && positions_b > 0);
    assert_eq!(
        replayed("ab.db", &[&a, &b]),
        (seq_a + seq_b, positions_a + positions_b)
    );
    let (mut blocks, mut ticks) = numbers("a.db", 0);
    let (more_blocks, more_ticks) = numbers("b.db", seq_a as i64);
    blocks.extend(more_blocks);
    ticks.extend(more_ticks);
    let (mut got_blocks, mut got_ticks) = numbers("ab.db", 0);
    for v in [&mut blocks, &mut got_blocks] {
        v.sort_unstable();
    }
    for v in [&mut ticks, &mut got_ticks] {
        v.sort_unstable();
    }
    assert!(!ticks.is_empty());
    assert_eq!(got_blocks, blocks, "position blocks' record numbers");
    assert_eq!(got_ticks, ticks, "ticks' record numbers");

    let o = aiswatch(&[
        "replay",
        "--db",
        "mysql://nowhere/aiswatch",
        b.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("mysql://nowhere/aiswatch"),
        "{}",
        stderr(&o)
    );
}
