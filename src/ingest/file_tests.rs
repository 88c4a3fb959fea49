//! The file source played back: pacing on tokio's paused clock, looping
//! (shifted times, `.gz` reopened), cancellation, and two passes of the
//! shipped sample through the engine.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

use super::Pace;
use crate::ingest::{start_source_with, LineBatch, RawLine, SourceConfig, SourceCtx, SourceEnv};
use crate::metrics::Metrics;
use aiswatch_core::time::Millis;
use aiswatch_decode::Decoder;

const WAIT: Duration = Duration::from_secs(20);
const PAYLOAD: &str = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";

/// A line with a valid tag block: station `s`, time `secs`.
fn tagged(s: &str, secs: i64) -> String {
    let fields = format!("s:{s},c:{secs}");
    let sum = fields.bytes().fold(0u8, |a, b| a ^ b);
    format!("\\{fields}*{sum:02X}\\{PAYLOAD}")
}

fn raw(text: &str) -> RawLine {
    RawLine {
        received_at: 0,
        text: text.as_bytes().to_vec(),
    }
}

fn text(l: &RawLine) -> &str {
    std::str::from_utf8(&l.text).unwrap()
}

/// The event time the decoder gives `line`.
fn decoded_time(line: &[u8]) -> Millis {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    d.feed(line, 0, &mut out);
    assert_eq!(out.len(), 1, "{}", String::from_utf8_lossy(line));
    out[0].time
}

fn env(vessel_ttl_s: u64, resume_after: Option<Millis>) -> SourceEnv {
    SourceEnv {
        vessel_ttl: Duration::from_secs(vessel_ttl_s),
        resume_after,
    }
}

fn file_cfg(path: &std::path::Path, speed: Option<f64>, looped: bool) -> SourceConfig {
    SourceConfig::File {
        id: "play".into(),
        path: path.to_path_buf(),
        speed,
        looped,
    }
}

#[tokio::test(start_paused = true)]
async fn paced_lines_go_in_order_on_the_data_clock_batched_when_due_together() {
    let (tx, mut rx) = mpsc::channel::<LineBatch>(64);
    let metrics = Metrics::new();
    let ctx = SourceCtx::new("play".into(), tx, &metrics, CancellationToken::new());
    let t = 1_334_337_317;
    let chunk1 = vec![
        raw(&tagged("A", t)),
        raw("noise without a time"),
        raw(&tagged("A", t + 60)),
        raw(&tagged("B", t + 59)), // backwards: at once
        raw(&tagged("A", t + 120)),
        raw(&tagged("A", t + 120 + 3600)), // a 1 h jump is played as 10 min
    ];
    let chunk2 = vec![raw(&tagged("A", t + 3780))];
    let pass2 = vec![raw(&tagged("A", t + 9000)), raw(&tagged("A", t + 9030))];
    let feeder = tokio::spawn(async move {
        let mut pace = Pace::new(60.0);
        assert!(pace.send(&ctx, chunk1).await);
        assert!(pace.send(&ctx, chunk2).await);
        pace.end_pass();
        // The next pass starts when its first line is handled: an hour on.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(pace.send(&ctx, pass2).await);
    });
    let start = Instant::now();
    let mut got: Vec<(u128, Vec<String>)> = Vec::new();
    while let Some(b) = rx.recv().await {
        let at = (Instant::now() - start).as_millis();
        got.push((at, b.lines.iter().map(|l| text(l).to_owned()).collect()));
    }
    feeder.await.unwrap();
    let want: Vec<(u128, Vec<String>)> = vec![
        (0, vec![tagged("A", t), "noise without a time".into()]),
        (1_000, vec![tagged("A", t + 60), tagged("B", t + 59)]),
        (2_000, vec![tagged("A", t + 120)]),
        (12_000, vec![tagged("A", t + 3720)]),
        (13_000, vec![tagged("A", t + 3780)]),
        (3_613_000, vec![tagged("A", t + 9000)]),
        (3_613_500, vec![tagged("A", t + 9030)]),
    ];
    assert_eq!(got, want);
    // On schedule: the paused clock wakes sleepers exactly when due.
    let lag = metrics
        .source_playback_lag_seconds
        .with_label_values(&["play"])
        .get();
    assert!(lag < 0.01, "lag {lag}");
}

#[tokio::test(start_paused = true)]
async fn paced_lines_are_stamped_when_sent() {
    let (tx, mut rx) = mpsc::channel::<LineBatch>(8);
    let metrics = Metrics::new();
    let ctx = SourceCtx::new("play".into(), tx, &metrics, CancellationToken::new());
    let lines = vec![raw(&tagged("A", 1_334_337_317))];
    tokio::spawn(async move { Pace::new(1.0).send(&ctx, lines).await });
    let b = rx.recv().await.unwrap();
    let wall = aiswatch_core::time::now_ms();
    assert!((wall - b.lines[0].received_at).abs() < 5_000);
}

/// A sleeping paced source and a looped one blocked on a full channel both
/// stop as soon as they are cancelled.
#[tokio::test]
async fn cancel_stops_a_paced_or_looped_source_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.nmea");
    let t = 1_334_337_317;
    std::fs::write(
        &path,
        format!("{}\n{}\n", tagged("A", t), tagged("A", t + 3600)),
    )
    .unwrap();
    for (speed, looped) in [(Some(1.0), true), (Some(1.0), false), (None, true)] {
        let (tx, mut rx) = mpsc::channel(1);
        let cancel = CancellationToken::new();
        let src = start_source_with(
            file_cfg(&path, speed, looped),
            tx,
            Arc::new(Metrics::new()),
            cancel.clone(),
            env(3600, None),
        )
        .await
        .unwrap();
        let task = tokio::spawn(src.run);
        // The first line is due at once; the second an hour later (paced),
        // or the channel fills up (looped, unpaced).
        let first = timeout(WAIT, rx.recv()).await.unwrap().unwrap();
        assert_eq!(text(&first.lines[0]), tagged("A", t));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let asked = std::time::Instant::now();
        cancel.cancel();
        timeout(WAIT, task).await.unwrap().unwrap().unwrap();
        assert!(
            asked.elapsed() < Duration::from_millis(500),
            "{speed:?} {looped}: stopped after {:?}",
            asked.elapsed()
        );
    }
}

fn write_gz(path: &std::path::Path, text: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

#[tokio::test]
async fn looped_gz_file_is_read_again_with_times_shifted_by_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.nmea.gz");
    let t = 1_334_337_317;
    let lines = [tagged("A", t), "noise".to_owned(), tagged("B", t + 100)];
    write_gz(&path, &(lines.join("\r\n") + "\r\n"));
    let (tx, mut rx) = mpsc::channel(4);
    let metrics = Arc::new(Metrics::new());
    let cancel = CancellationToken::new();
    let src = start_source_with(
        file_cfg(&path, None, true),
        tx,
        metrics.clone(),
        cancel.clone(),
        env(3600, None),
    )
    .await
    .unwrap();
    let task = tokio::spawn(src.run);
    let mut got: Vec<RawLine> = Vec::new();
    while got.len() < 9 {
        let b = timeout(WAIT, rx.recv()).await.unwrap().unwrap();
        got.extend(b.lines);
    }
    cancel.cancel();
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    // P = span (100 s) + vessel_ttl (1 h) + 1 min.
    let p: i64 = 100 + 3600 + 60;
    for k in 0..3i64 {
        let pass = &got[3 * k as usize..3 * k as usize + 3];
        assert_eq!(text(&pass[0]), tagged("A", t + k * p), "pass {k}");
        assert_eq!(text(&pass[1]), "noise", "pass {k}");
        assert_eq!(text(&pass[2]), tagged("B", t + 100 + k * p), "pass {k}");
        assert_eq!(
            decoded_time(&pass[0].text),
            (t + k * p) * 1000,
            "pass {k} decodes with its shifted time"
        );
    }
    let passes = metrics.source_passes.with_label_values(&["play"]).get();
    assert!(passes >= 2, "{passes} passes");
}

/// A restarted daemon's looped source starts at the first pass after the
/// clock rebuilt from the store.
#[tokio::test]
async fn looping_resumes_after_the_restored_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.nmea");
    let t = 1_334_337_317;
    std::fs::write(
        &path,
        format!("{}\n{}\n", tagged("A", t), tagged("B", t + 100)),
    )
    .unwrap();
    let p: i64 = 100 + 3600 + 60;
    for (clock, first_pass) in [(t - 1, 0), (t + p + 10, 2), (t + 5 * p, 6)] {
        let (tx, mut rx) = mpsc::channel(4);
        let cancel = CancellationToken::new();
        let src = start_source_with(
            file_cfg(&path, None, true),
            tx,
            Arc::new(Metrics::new()),
            cancel.clone(),
            env(3600, Some(clock * 1000)),
        )
        .await
        .unwrap();
        let task = tokio::spawn(src.run);
        let b = timeout(WAIT, rx.recv()).await.unwrap().unwrap();
        cancel.cancel();
        timeout(WAIT, task).await.unwrap().unwrap().unwrap();
        assert_eq!(
            text(&b.lines[0]),
            tagged("A", t + first_pass * p),
            "clock {clock}"
        );
    }
}

#[tokio::test]
async fn looping_stops_before_times_run_ahead_of_the_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recent.nmea");
    let t = aiswatch_core::time::now_ms() / 1000 - 60;
    std::fs::write(&path, tagged("A", t) + "\n").unwrap();
    let (tx, mut rx) = mpsc::channel(4);
    let src = start_source_with(
        file_cfg(&path, None, true),
        tx,
        Arc::new(Metrics::new()),
        CancellationToken::new(),
        env(3600, None),
    )
    .await
    .unwrap();
    // One pass, then the source ends by itself: pass 1 would be an hour ahead.
    timeout(WAIT, src.run).await.unwrap().unwrap();
    let mut got = Vec::new();
    while let Some(b) = rx.recv().await {
        got.extend(b.lines);
    }
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn defaults_read_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("once.nmea");
    std::fs::write(&path, tagged("A", 1_334_337_317) + "\n").unwrap();
    let (tx, mut rx) = mpsc::channel(4);
    let src = start_source_with(
        file_cfg(&path, None, false),
        tx,
        Arc::new(Metrics::new()),
        CancellationToken::new(),
        env(3600, None),
    )
    .await
    .unwrap();
    timeout(WAIT, src.run).await.unwrap().unwrap();
    let b = rx.recv().await.unwrap();
    assert_eq!(text(&b.lines[0]), tagged("A", 1_334_337_317));
    assert!(rx.recv().await.is_none());
}

/// Two passes of the shipped sample through the engine, as the looped demo
/// source sends them: the second pass raises the same alerts as the first
/// (kind, state, zone, vessels) under new ids, and the wrap raises nothing
/// new: the only changes there close what the first pass left open.
#[tokio::test]
async fn two_passes_of_the_sample_alert_alike_and_nothing_opens_at_the_wrap() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("deploy/sample/feed.nmea.gz");
    let engine_cfg = aiswatch_engine::engine::EngineConfig::default();
    let (tx, mut rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let src = start_source_with(
        file_cfg(&sample, None, true),
        tx,
        Arc::new(Metrics::new()),
        cancel.clone(),
        SourceEnv {
            vessel_ttl: engine_cfg.vessel_ttl,
            resume_after: None,
        },
    )
    .await
    .unwrap();
    let task = tokio::spawn(src.run);
    let per_pass = {
        let mut r = super::open_reader(&sample).unwrap();
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut r, &mut all).unwrap();
        all.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && *l != b"\r")
            .count()
    };
    let mut lines: Vec<RawLine> = Vec::new();
    while lines.len() < 2 * per_pass {
        let b = timeout(WAIT, rx.recv()).await.unwrap().unwrap();
        lines.extend(b.lines);
    }
    cancel.cancel();
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();

    let zones =
        aiswatch_zones::ZoneSet::load_dir(&root.join("zones"), aiswatch_engine::detect::SPECS)
            .unwrap();
    let mut engine = aiswatch_engine::engine::Engine::new(Default::default()).with_detectors(
        aiswatch_engine::detect::Detectors::new(zones, Default::default()),
    );
    let source: Arc<str> = "play".into();
    let mut decoder = Decoder::new();
    let wall = aiswatch_core::time::now_ms();
    let mut run = |lines: &[RawLine]| {
        let mut out = Vec::new();
        for chunk in lines.chunks(1024) {
            out.clear();
            for l in chunk {
                decoder.feed(&l.text, l.received_at, &mut out);
            }
            engine.ingest(&source, &out, wall);
        }
        let first = lines.iter().find_map(|l| super::line_time(&l.text));
        (engine.take_alerts(), first.unwrap())
    };
    let (a0, _) = run(&lines[..per_pass]);
    let (a1, wrap) = run(&lines[per_pass..2 * per_pass]);

    let key = |a: &aiswatch_engine::alert::Alert| {
        format!("{:?} {:?} {} {:?}", a.kind, a.state, a.zone, a.mmsi)
    };
    let ids0: std::collections::HashSet<_> = a0.iter().map(|a| a.id.clone()).collect();
    let (closes, new): (Vec<_>, Vec<_>) = a1.into_iter().partition(|a| ids0.contains(&a.id));
    let count = |v: &[aiswatch_engine::alert::Alert]| {
        let mut m = std::collections::BTreeMap::<String, usize>::new();
        for a in v {
            *m.entry(key(a)).or_default() += 1;
        }
        m
    };
    let kinds: std::collections::BTreeSet<String> =
        a0.iter().map(|a| format!("{:?}", a.kind)).collect();
    assert!(kinds.len() >= 3, "pass 0 raised {kinds:?}");
    assert_eq!(count(&new), count(&a0), "pass 1 alerts as pass 0");
    for a in &closes {
        assert_eq!(a.state, aiswatch_engine::alert::State::Closed, "{}", key(a));
        assert_eq!(a.at, wrap, "{}: closed at the wrap", key(a));
    }
    for a in &new {
        assert!(a.at > wrap, "{} raised at the wrap", key(a));
    }
    eprintln!(
        "pass 0: {} alert changes; pass 1: {} (same kinds, zones, vessels, new ids) + {} closes of pass 0's at the wrap",
        a0.len(),
        new.len(),
        closes.len()
    );
}
