//! Helpers shared by the integration tests: a tiny HTTP client, the
//! PostgreSQL test database (its URL from `AISWATCH_TEST_PG_URL`, one schema
//! per test), and the shipped sample feed.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Centres the shipped zones name.
pub const CENTRES: [&str; 8] = [
    "MDAT-GoG",
    "YARIS",
    "IFC Singapore",
    "ReCAAP ISC",
    "MSCHOA",
    "UKMTO",
    "RMIFC Madagascar",
    "RCOC Seychelles",
];

/// `[[centres]]` blocks declaring [`CENTRES`], with token `tok-<n>` each.
pub fn centres_toml() -> String {
    CENTRES
        .iter()
        .enumerate()
        .map(|(i, c)| format!("[[centres]]\nid = \"{c}\"\napi_tokens = [\"tok-{i}\"]\n"))
        .collect()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP request; returns (status, body).
pub async fn request(
    http: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(http).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n{auth}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text[9..12].parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// GET with a token, expecting 200 and JSON.
pub async fn get_json(http: SocketAddr, path: &str, token: Option<&str>) -> Value {
    let (status, body) = request(http, "GET", path, token).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// Polls `GET path` until `f` holds (every 50 ms, up to `secs`).
pub async fn wait_for(
    http: SocketAddr,
    path: &str,
    token: Option<&str>,
    secs: u64,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, body) = request(http, "GET", path, token).await;
        if status == 200 {
            let v: Value = serde_json::from_str(&body).unwrap();
            if f(&v) {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting on {path}: {v}");
            }
        } else if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting on {path}: {status} {body}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until something accepts TCP connections at `addr`.
pub async fn wait_port(addr: SocketAddr, secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The PostgreSQL URL for tests, or `None` after saying loudly that the
/// PostgreSQL half of a test is skipped.
pub fn pg_base_url(test: &str) -> Option<String> {
    match std::env::var("AISWATCH_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!("SKIPPED (PostgreSQL part of {test}): set AISWATCH_TEST_PG_URL, e.g. postgres://postgres@127.0.0.1:5432/test");
            None
        }
    }
}

/// A fresh schema in the test database; returns a URL whose connections use it.
pub async fn pg_schema(base: &str, name: &str) -> String {
    use sqlx::Connection;
    let schema = format!("aw_{}_{}_{}", name, std::process::id(), rand_suffix());
    let mut c = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut c)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

/// The shipped sample feed's lines (8 h of simulated Gulf of Guinea traffic).
pub fn sample_lines() -> Vec<String> {
    use std::io::Read;
    let f = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/sample/feed.nmea.gz"
    ))
    .unwrap();
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap();
    s.lines().map(str::to_owned).collect()
}

/// A line index near `at` where no multi-part message is cut.
pub fn clean_split(lines: &[String], at: usize) -> usize {
    let mut i = at;
    while i < lines.len() && !lines[i].contains(",1,1,") && !lines[i].contains("!AIVDM,2,1,") {
        i += 1;
    }
    i
}

/// What `aiswatch replay` gives for `lines` on the shipped zones: every
/// alert state change, and how many positions the store would get.
pub fn replay_reference(lines: &[String]) -> (Vec<Value>, Vec<aiswatch::storage::PositionRow>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.nmea");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let zones = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    let mut engine = aiswatch::config::Config::default()
        .engine(Some(&zones))
        .unwrap();
    engine.record(true);
    let mut alerts = Vec::new();
    let mut positions = Vec::new();
    aiswatch::replay::replay_files(&[path], &mut engine, |e| {
        for a in e.take_alerts() {
            alerts.push(serde_json::to_value(&a).unwrap());
        }
        positions.extend(e.take_records().positions);
    })
    .unwrap();
    (alerts, positions)
}

/// Sends `lines` to a TCP receiver port.
pub async fn feed(addr: SocketAddr, lines: &[String]) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = String::new();
    for l in lines {
        buf.push_str(l);
        buf.push_str("\r\n");
    }
    s.write_all(buf.as_bytes()).await.unwrap();
    s.shutdown().await.unwrap();
}
