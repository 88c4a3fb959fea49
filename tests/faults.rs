//! Faults, with the real binary and the shipped sample: the database
//! unreachable for 60 s, the disk full, a receiver that keeps dropping
//! its connection, and a stop that cannot flush. The daemon keeps running,
//! says so in `/readyz` and the metrics, recovers by itself and loses
//! nothing it accepted: afterwards the store holds every position and
//! exactly the alerts `aiswatch replay` gives. (A centre's endpoint that
//! hangs is in `tests/delivery.rs`.)

mod common;
#[path = "brokers/proxy.rs"]
mod proxy;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADMIN: &str = "admin-token";

fn zones() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("zones")
}

/// Polls `/readyz` until `f(status, body)` holds.
async fn wait_ready(http: SocketAddr, secs: u64, f: impl Fn(u16, &str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, body) = request(http, "GET", "/readyz", None).await;
        if f(status, &body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never matched: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the sample `aiswatch_store{what="…"}`.
async fn store_metric(http: SocketAddr, what: &str) -> u64 {
    let (_, text) = request(http, "GET", "/metrics", None).await;
    let key = format!("aiswatch_store{{what=\"{what}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Polls until `aiswatch_store{what="…"}` is above zero.
async fn wait_store_metric(http: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while store_metric(http, what).await == 0 {
        assert!(
            Instant::now() < deadline,
            "aiswatch_store{{what={what:?}}} stayed 0"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The alerts in the API are exactly replay's, state change for state change.
async fn assert_alerts_as_replay(http: SocketAddr, lines: &[String]) {
    let (ref_alerts, _) = replay_reference(lines);
    assert!(!ref_alerts.is_empty());
    let got = api_alerts(http, ADMIN).await;
    assert_eq!(got, reference_changes(&ref_alerts));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_for_60_s_loses_nothing() {
    let Some(base) = pg_base_url("postgres_unreachable_for_60_s_loses_nothing") else {
        return;
    };
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = proxy::Proxy::start(upstream).await;
    let via = base.replacen("127.0.0.1:5432", &proxy.addr.to_string(), 1);
    assert_ne!(via, base, "AISWATCH_TEST_PG_URL must name 127.0.0.1:5432");
    let db = pg_schema(&via, "outage").await;

    let lines = sample_lines();
    let split = clean_split(&lines, lines.len() / 2);
    let (_, all) = replay_reference(&lines);
    let (_, first) = replay_reference(&lines[..split]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &zones(), &db, ADMIN, &centres_toml());
    let mut d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines[..split]).await;
    wait_positions(d.http, ADMIN, first.len()).await;

    // Out for 60 s; the second half arrives meanwhile.
    proxy.take_down();
    let down = Instant::now();
    feed(d.tcp, &lines[split..]).await;
    let body = wait_ready(d.http, 60, |s, _| s == 503).await;
    assert!(body.contains("store"), "{body}");
    wait_store_metric(d.http, "errors").await;
    assert_eq!(
        request(d.http, "GET", "/healthz", None).await.0,
        200,
        "alive while the store is away"
    );
    // The outage lasts its full 60 s on purpose: that is the fault tested.
    tokio::time::sleep_until((down + Duration::from_secs(60)).into()).await;
    proxy.bring_up();

    wait_positions(d.http, ADMIN, all.len()).await;
    wait_ready(d.http, 60, |s, _| s == 200).await;
    assert_eq!(store_metric(d.http, "positions_dropped").await, 0);
    assert_alerts_as_replay(d.http, &lines).await;
    eprintln!(
        "PostgreSQL away for {:.0} s: {} positions stored, none dropped",
        down.elapsed().as_secs_f64(),
        all.len()
    );
    stop(&mut d, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_cannot_flush_exits_non_zero_within_its_timeout() {
    let Some(base) = pg_base_url("a_stop_that_cannot_flush_exits_non_zero_within_its_timeout")
    else {
        return;
    };
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = proxy::Proxy::start(upstream).await;
    let via = base.replacen("127.0.0.1:5432", &proxy.addr.to_string(), 1);
    let db = pg_schema(&via, "stuck").await;
    let lines = sample_lines();
    let dir = tempfile::tempdir().unwrap();
    let extra = "[shutdown]\ntimeout = \"2s\"\n";
    let config = write_config(dir.path(), &zones(), &db, ADMIN, &(centres_toml() + extra));
    let mut d = start(dir.path(), &config, 1).await;
    // The engine has rebuilt its state before the store goes away.
    wait_ready(d.http, 60, |s, _| s == 200).await;
    proxy.take_down();
    feed(d.tcp, &lines[..2000]).await;
    wait_ready(d.http, 60, |s, _| s == 503).await;
    let asked = Instant::now();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &d.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let code = d.child.wait().unwrap();
    let took = asked.elapsed();
    let log = std::fs::read_to_string(dir.path().join("daemon-1.log")).unwrap();
    assert!(!code.success(), "exit {code}:\n{log}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(log.contains("shutdown did not finish within"), "{log}");
    eprintln!("stop with the store away: exit {code} after {took:?}");
}

/// A tmpfs mounted for the test (root only); unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Fills the file system of `path` until it refuses (ENOSPC).
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0x55u8; 64 * 1024];
    loop {
        use std::io::Write;
        if f.write_all(&block).and_then(|_| f.flush()).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_then_freed_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let Some(_mounted) = Tmpfs::mount(&disk, "256m") else {
        eprintln!("SKIPPED disk_full_then_freed_loses_nothing: cannot mount a tmpfs (needs root)");
        return;
    };
    let lines = sample_lines();
    let split = clean_split(&lines, lines.len() / 2);
    let (_, all) = replay_reference(&lines);
    let (_, first) = replay_reference(&lines[..split]);
    let db = format!("sqlite://{}", disk.join("aiswatch.db").display());
    let config = write_config(&disk, &zones(), &db, ADMIN, &centres_toml());
    // The daemon's log lives off the full disk.
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(&config, logs.join("aiswatch.toml")).unwrap();
    let mut d = start(&logs, &logs.join("aiswatch.toml"), 1).await;
    feed(d.tcp, &lines[..split]).await;
    wait_positions(d.http, ADMIN, first.len()).await;

    let filler = disk.join("filler");
    fill(&filler);
    feed(d.tcp, &lines[split..]).await;
    let body = wait_ready(d.http, 60, |s, _| s == 503).await;
    assert!(body.contains("store"), "{body}");
    wait_store_metric(d.http, "errors").await;
    assert_eq!(request(d.http, "GET", "/healthz", None).await.0, 200);

    std::fs::remove_file(&filler).unwrap();
    wait_positions(d.http, ADMIN, all.len()).await;
    wait_ready(d.http, 60, |s, _| s == 200).await;
    // Nothing accepted was lost: positions, alerts, raw lines.
    assert_eq!(store_metric(d.http, "positions_dropped").await, 0);
    assert_alerts_as_replay(d.http, &lines).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while store_metric(d.http, "raw_lines_pending").await > 0 {
        assert!(Instant::now() < deadline, "raw lines still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store_metric(d.http, "raw_lines_dropped").await, 0);
    stop(&mut d, false);
}

/// A receiver on `port` that serves `chunks` one connection each, closing
/// after each and refusing connections (not listening) for `down` in
/// between.
async fn flapping_receiver(port: HeldPort, chunks: Vec<String>, down: Duration) {
    for chunk in chunks {
        let listener = port.listen();
        let (mut s, _) = listener.accept().await.unwrap();
        drop(listener);
        s.write_all(chunk.as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
        // The client has read all when it closes its side.
        let mut sink = [0u8; 64];
        while s.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        drop(s);
        // Down for a while on purpose: the client must back off and retry.
        tokio::time::sleep(down).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_receiver_loses_nothing() {
    let lines = sample_lines();
    let (_, all) = replay_reference(&lines);
    // Ten chunks, cut where no multi-part message is.
    let mut cuts = vec![0];
    for k in 1..10 {
        cuts.push(clean_split(&lines, lines.len() * k / 10).max(*cuts.last().unwrap()));
    }
    cuts.push(lines.len());
    let chunks: Vec<String> = cuts
        .windows(2)
        .map(|w| {
            lines[w[0]..w[1]]
                .iter()
                .map(|l| format!("{l}\r\n"))
                .collect()
        })
        .collect();
    let port = HeldPort::loopback();
    let receiver = port.addr;
    let feeder = tokio::spawn(flapping_receiver(port, chunks, Duration::from_millis(300)));

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("f.db").display());
    let extra = format!(
        "[[sources]]\nkind = \"tcp_client\"\nid = \"flappy\"\naddr = \"{receiver}\"\n\
         backoff_min = \"50ms\"\nbackoff_max = \"200ms\"\n"
    );
    let config = write_config(dir.path(), &zones(), &db, ADMIN, &(centres_toml() + &extra));
    let mut d = start(dir.path(), &config, 1).await;
    tokio::time::timeout(Duration::from_secs(120), feeder)
        .await
        .expect("the receiver served every chunk")
        .unwrap();
    wait_positions(d.http, ADMIN, all.len()).await;
    assert_alerts_as_replay(d.http, &lines).await;
    let (_, text) = request(d.http, "GET", "/metrics", None).await;
    let conns: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("aiswatch_source_connections_total{source=\"flappy\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(conns >= 10, "connections: {conns}");
    stop(&mut d, false);
}
