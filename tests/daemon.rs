//! The daemon end to end over real loopback sockets: UDP in, TCP server in,
//! a TCP client that survives its receiver restarting; tag-block times drive
//! the engine's clock; a bbox query returns the right vessels.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use aiswatch::app::{self, Bound};
use aiswatch::config::Config;
use aiswatch::ingest::SourceConfig;
use aiswatch_engine::engine::{Engine, EngineConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;

const DATA: &str = "tests/data/amsa-exact-earth-tag-block.nmea";

/// Longest wait for something the daemon should do at once.
const WAIT: Duration = Duration::from_secs(10);

async fn get(http: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(http).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn get_json(http: SocketAddr, path: &str) -> Value {
    let (status, body) = get(http, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Polls `/api/v1/status` until `f` holds, or fails after [`WAIT`].
async fn wait_for(http: SocketAddr, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let s = get_json(http, "/api/v1/status").await;
        if f(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `/metrics` until the sample `sample` (name and labels) reads
/// `want`, or fails after [`WAIT`].
async fn wait_metric(http: SocketAddr, sample: &str, want: u64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, text) = get(http, "/metrics").await;
        let got = text
            .lines()
            .find_map(|l| l.strip_prefix(sample)?.trim().parse::<u64>().ok());
        if got == Some(want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sample} is {got:?}, not {want}, after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn lines() -> Vec<String> {
    std::fs::read_to_string(DATA)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Multi-part messages must not be cut between two sockets: split at a line
/// whose tag block does not continue a group.
fn split_points(lines: &[String], parts: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    for k in 1..parts {
        let mut i = lines.len() * k / parts;
        while lines[i].starts_with("\\g:2") {
            i += 1;
        }
        cuts.push(i);
    }
    cuts
}

#[tokio::test]
async fn sockets_in_tag_block_times_and_bbox_query() {
    let lines = lines();
    let cuts = split_points(&lines, 4);
    let (a, b, c) = (
        &lines[..cuts[0]],
        &lines[cuts[0]..cuts[1]],
        &lines[cuts[1]..cuts[2]],
    );
    let d = &lines[cuts[2]..];

    // The "receiver" our TCP client connects to, on a port held for its
    // restart.
    let receiver_port = common::HeldPort::loopback();
    let receiver = receiver_port.listen();

    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.storage.data_dir = data.path().to_path_buf();
    cfg.http.listen = "127.0.0.1:0".parse().unwrap();
    cfg.sources = vec![
        SourceConfig::Udp {
            id: "udp".into(),
            bind: "127.0.0.1:0".parse().unwrap(),
            recv_buffer_bytes: None,
        },
        SourceConfig::TcpServer {
            id: "push".into(),
            bind: "127.0.0.1:0".parse().unwrap(),
            max_connections: 4,
            max_connections_per_peer: 4,
            max_connections_per_prefix: None,
            idle_timeout: Duration::from_secs(300),
        },
        SourceConfig::TcpClient {
            id: "pull".into(),
            addr: receiver_port.addr.to_string(),
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            idle_timeout: Duration::from_secs(30),
        },
    ];
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (bound_tx, bound_rx) = oneshot::channel::<Bound>();
    let daemon = tokio::spawn(app::run(
        cfg,
        async {
            let _ = stop_rx.await;
        },
        Some(bound_tx),
    ));
    let bound = bound_rx.await.unwrap();
    let http = bound.http;
    let (udp_addr, push_addr) = (bound.source("udp").unwrap(), bound.source("push").unwrap());
    assert_eq!(
        bound.source("pull"),
        None,
        "a TCP client listens on nothing"
    );
    assert!(udp_addr.port() != 0 && push_addr.port() != 0, "{bound:?}");

    // UDP: one datagram per line.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for l in a {
        udp.send_to(format!("{l}\r\n").as_bytes(), udp_addr)
            .await
            .unwrap();
    }
    // TCP server: a receiver pushes its lines.
    let mut push = TcpStream::connect(push_addr).await.unwrap();
    push.write_all((b.join("\r\n") + "\r\n").as_bytes())
        .await
        .unwrap();
    push.flush().await.unwrap();
    // TCP client: the receiver serves part c, then restarts, then serves part d.
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(5), receiver.accept())
        .await
        .unwrap()
        .unwrap();
    conn.write_all((c.join("\n") + "\n").as_bytes())
        .await
        .unwrap();
    conn.flush().await.unwrap();

    let sent_abc = (a.len() + b.len() + c.len()) as u64;
    let expect_abc = {
        let mut e = Engine::new(EngineConfig::default());
        let mut dec = aiswatch_decode::Decoder::new();
        let mut out = Vec::new();
        for l in a.iter().chain(b).chain(c) {
            dec.feed(l.as_bytes(), 0, &mut out);
        }
        e.ingest(&"x".into(), &out, i64::MAX / 2);
        e.tracks().len()
    };
    wait_for(http, "parts a, b, c", |s| {
        s["vessels"].as_u64() == Some(expect_abc as u64)
    })
    .await;

    // The receiver restarts on the same port: down until the client has
    // seen it go, then up again.
    drop(conn);
    drop(receiver);
    wait_metric(http, "aiswatch_source_up{source=\"pull\"}", 0).await;
    let receiver = receiver_port.listen();
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(5), receiver.accept())
        .await
        .unwrap()
        .unwrap();
    conn.write_all((d.join("\n") + "\n").as_bytes())
        .await
        .unwrap();
    conn.flush().await.unwrap();

    // The same lines through the replay path give the expected end state.
    let mut replay = Engine::new(EngineConfig::default());
    aiswatch::replay::replay_files(&[Path::new(DATA).to_path_buf()], &mut replay, |e| {
        drop(e.take_alerts())
    })
    .unwrap();
    let want_vessels = replay.tracks().len() as u64;
    let status = wait_for(http, "part d after the restart", |s| {
        s["vessels"].as_u64() == Some(want_vessels)
    })
    .await;
    assert!(sent_abc > 0);

    // Tag-block `c:` times drive the clock: it is the data's latest time, not the wall clock.
    let want_clock = aiswatch_core::time::rfc3339(replay.clock().unwrap());
    assert_eq!(
        status["clock"],
        Value::String(want_clock.clone()),
        "{status}"
    );
    assert!(want_clock.starts_with("2012-04-13"), "{want_clock}");

    // A bbox query returns exactly the vessels whose current position is inside it.
    let all: Vec<(u32, f64, f64)> = replay
        .tracks()
        .iter()
        .filter_map(|v| Some((v.mmsi.0, v.lon?, v.lat?)))
        .collect();
    assert!(all.len() > 20, "{}", all.len());
    let (lon0, lat0) = (all[0].1, all[0].2);
    let bbox = (lon0 - 20.0, lat0 - 15.0, lon0 + 20.0, lat0 + 15.0);
    let mut want: Vec<u32> = all
        .iter()
        .filter(|(_, lon, lat)| {
            *lon >= bbox.0 && *lon <= bbox.2 && *lat >= bbox.1 && *lat <= bbox.3
        })
        .map(|x| x.0)
        .collect();
    want.sort();
    let j = get_json(
        http,
        &format!(
            "/api/v1/vessels?bbox={},{},{},{}",
            bbox.0, bbox.1, bbox.2, bbox.3
        ),
    )
    .await;
    let mut got: Vec<u32> = j["vessels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["mmsi"].as_u64().unwrap() as u32)
        .collect();
    got.sort();
    assert!(
        !want.is_empty() && want.len() < all.len(),
        "bbox should select some, not all: {}",
        want.len()
    );
    assert_eq!(got, want);

    // Radius query: nearest first, every distance within the radius.
    let j = get_json(
        http,
        &format!("/api/v1/vessels?lon={lon0}&lat={lat0}&radius_m=50000"),
    )
    .await;
    let d: Vec<f64> = j["vessels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["distance_m"].as_f64().unwrap())
        .collect();
    assert!(
        !d.is_empty() && d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|&x| x <= 50_000.0),
        "{d:?}"
    );

    // One vessel, and its track from the store; bad queries are 4xx with a reason.
    let one = get_json(http, &format!("/api/v1/vessels/{}", all[0].0)).await;
    assert_eq!(one["mmsi"].as_u64(), Some(u64::from(all[0].0)));
    let track = get_json(
        http,
        &format!(
            "/api/v1/vessels/{}/track?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z",
            all[0].0
        ),
    )
    .await;
    assert!(
        track["properties"]["times"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{track}"
    );
    assert_eq!(get(http, "/api/v1/vessels/1").await.0, 404);
    assert_eq!(get(http, "/api/v1/vessels?bbox=1,2,3").await.0, 400);

    // Metrics: per-source counters and rejects are exported.
    let (_, metrics) = get(http, "/metrics").await;
    for src in ["udp", "push", "pull"] {
        assert!(
            metrics.contains(&format!("aiswatch_sentences_total{{source=\"{src}\"}}")),
            "{src}"
        );
    }
    assert!(
        metrics.contains("aiswatch_source_connections_total{source=\"pull\"} 2"),
        "client reconnected"
    );

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_port_already_in_use_fails_the_start_with_its_address() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.storage.data_dir = data.path().to_path_buf();
    cfg.http.listen = "127.0.0.1:0".parse().unwrap();
    cfg.sources = vec![SourceConfig::Udp {
        id: "udp".into(),
        bind: addr,
        recv_buffer_bytes: None,
    }];
    let err = app::run(cfg, std::future::pending(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&addr.to_string()) && err.contains("udp"),
        "{err}"
    );
}

/// Whether the server closed `s` within [`WAIT`] (whatever it said first).
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    matches!(
        tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await,
        Ok(Ok(_) | Err(_))
    )
}

#[tokio::test]
async fn unfinished_requests_are_closed_and_http_connections_capped() {
    // Before: a connection that sent part of a request head was never
    // closed, and there was no cap on open connections.
    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.storage.data_dir = data.path().to_path_buf();
    cfg.http.listen = "127.0.0.1:0".parse().unwrap();
    cfg.http.header_read_timeout = Duration::from_millis(500);
    cfg.http.max_connections = 16;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (bound_tx, bound_rx) = oneshot::channel::<Bound>();
    let daemon = tokio::spawn(app::run(
        cfg,
        async {
            let _ = stop_rx.await;
        },
        Some(bound_tx),
    ));
    let http = bound_rx.await.unwrap().http;
    let partial = b"GET /api/v1/status HTTP/1.1\r\nHost: test\r\nX-Slow: 1";

    // 16 unfinished requests fill the server; a 17th closes the oldest.
    let t0 = tokio::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(http).await.unwrap();
        s.write_all(partial).await.unwrap();
        slow.push(s);
    }
    let mut newest = TcpStream::connect(http).await.unwrap();
    newest.write_all(partial).await.unwrap();
    assert!(
        closed_by_server(&mut slow[0]).await,
        "the oldest was not evicted"
    );
    // The others, and the newest, are closed at the header read timeout.
    slow.push(newest);
    for s in &mut slow[1..] {
        assert!(closed_by_server(s).await);
    }
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    drop(slow);
    wait_metric(
        http,
        "aiswatch_http_connections_closed_total{reason=\"evicted\"}",
        1,
    )
    .await;
    wait_metric(
        http,
        "aiswatch_http_connections_closed_total{reason=\"header_timeout\"}",
        16,
    )
    .await;

    // 16 connections that each had a request answered (kept alive): the
    // 17th is refused with a 503, and nobody is cut off.
    let mut kept = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(http).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        kept.push(s);
    }
    let mut refused = TcpStream::connect(http).await.unwrap();
    let mut text = Vec::new();
    tokio::time::timeout(WAIT, refused.read_to_end(&mut text))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("too many connections"), "{text}");
    // Once the kept-alive connections go, requests are served again.
    drop(kept);
    let deadline = tokio::time::Instant::now() + WAIT;
    while get(http, "/healthz").await.0 != 200 {
        assert!(tokio::time::Instant::now() < deadline);
    }
    wait_metric(
        http,
        "aiswatch_http_connections_closed_total{reason=\"limit\"}",
        1,
    )
    .await;

    stop_tx.send(()).unwrap();
    tokio::time::timeout(WAIT, daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// Rewrites a sentence's sequence id and fixes its checksum.
fn with_seq(sentence: &str, seq: char) -> String {
    let mut f: Vec<String> = sentence.split(',').map(str::to_owned).collect();
    f[3] = seq.to_string();
    let s = f.join(",");
    let body = &s[1..s.find('*').unwrap()];
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("{}*{sum:02X}", &s[..s.find('*').unwrap()])
}

#[tokio::test]
async fn fragments_from_two_receivers_never_join() {
    // Two type 5 messages with the same sequence id and channel, from two
    // receivers pushing over TCP at the same time, interleaved.
    let a1 = with_seq(
        "!AIVDM,2,1,9,B,53nFBv01SJ<thHp6220H4heHTf2222222222221?50:454o<`9QSlUDp,0*09",
        '3',
    );
    let a2 = with_seq("!AIVDM,2,2,9,B,888888888888880,2*2E", '3');
    let b1 = with_seq(
        "!AIVDM,2,1,6,B,56:fS:D0000000000008v0<QD4r0`T4v3400000t0`D147?ps1P00000,0*3D",
        '3',
    );
    let b2 = with_seq("!AIVDM,2,2,6,B,000000000000008,2*29", '3');
    let expect = |lines: &[&String]| {
        let mut d = aiswatch_decode::Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), 0, &mut out);
        }
        out
    };
    assert_eq!(expect(&[&a1, &a2]).len(), 1);
    assert_eq!(expect(&[&b1, &b2]).len(), 1);

    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.storage.data_dir = data.path().to_path_buf();
    cfg.http.listen = "127.0.0.1:0".parse().unwrap();
    cfg.sources = vec![SourceConfig::TcpServer {
        id: "push".into(),
        bind: "127.0.0.1:0".parse().unwrap(),
        max_connections: 4,
        max_connections_per_peer: 4,
        max_connections_per_prefix: None,
        idle_timeout: Duration::from_secs(300),
    }];
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (bound_tx, bound_rx) = oneshot::channel::<Bound>();
    let daemon = tokio::spawn(app::run(
        cfg,
        async {
            let _ = stop_rx.await;
        },
        Some(bound_tx),
    ));
    let bound = bound_rx.await.unwrap();
    let (http, push) = (bound.http, bound.source("push").unwrap());
    let mut conns = [
        TcpStream::connect(push).await.unwrap(),
        TcpStream::connect(push).await.unwrap(),
    ];
    for (n, (i, line)) in [(0, &a1), (1, &b1), (0, &a2), (1, &b2)]
        .into_iter()
        .enumerate()
    {
        conns[i]
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        conns[i].flush().await.unwrap();
        // Decoded before the next is sent, so the decoder sees the two
        // receivers' fragments interleaved, in this order.
        let sample = "aiswatch_sentences_total{source=\"push\"}";
        wait_metric(http, sample, n as u64 + 1).await;
    }
    wait_for(http, "both static messages", |s| {
        s["vessels"].as_u64() == Some(2)
    })
    .await;
    let (_, metrics) = get(http, "/metrics").await;
    assert!(
        !metrics.contains("orphan_fragment"),
        "a fragment was lost or spliced:\n{metrics}"
    );
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
