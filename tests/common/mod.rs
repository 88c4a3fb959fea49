//! Helpers shared by the integration tests: a tiny HTTP client, the
//! PostgreSQL test database (its URL from `AISWATCH_TEST_PG_URL`, one schema
//! per test), and the shipped sample feed; [`ingest`]: sources on loopback
//! sockets.
#![allow(dead_code)]

pub mod audit;
pub mod ingest;
mod sample;

// Not every test binary reads the sample.
#[allow(unused_imports)]
pub use sample::sample_lines;

use std::collections::BTreeMap;
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

/// A loopback TCP port held, for as long as this lives, by a socket bound
/// to it that does not listen: connections to it are refused, and no other
/// socket can take it (the kernel skips it for port-0 binds and outgoing
/// connections). [`HeldPort::listen`] opens listeners on it, so a fake
/// receiver can go down and come back on the same port with no moment in
/// which the port is free for someone else.
pub struct HeldPort {
    pub addr: SocketAddr,
    _holder: tokio::net::TcpSocket,
}

impl HeldPort {
    /// An ephemeral port of 127.0.0.1, held.
    pub fn loopback() -> HeldPort {
        let holder = reusable_socket();
        holder.bind(([127, 0, 0, 1], 0).into()).unwrap();
        let addr = holder.local_addr().unwrap();
        HeldPort {
            addr,
            _holder: holder,
        }
    }

    /// A listener on the held port. Dropping it refuses connections again.
    pub fn listen(&self) -> tokio::net::TcpListener {
        let s = reusable_socket();
        s.bind(self.addr).unwrap();
        s.listen(1024).unwrap()
    }
}

/// `SO_REUSEADDR` on the holder and on each listener is what lets them
/// share the port (Linux allows it while the others do not listen).
fn reusable_socket() -> tokio::net::TcpSocket {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.set_reuseaddr(true).unwrap();
    s
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

/// POST `path` with a JSON body and `token`: (status, body).
pub async fn post_json(
    http: std::net::SocketAddr,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("http://{http}{path}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GET with a token, expecting 200 and JSON.
pub async fn get_json(http: SocketAddr, path: &str, token: Option<&str>) -> Value {
    let (status, body) = request(http, "GET", path, token).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// GET with a bearer token: (status, body bytes).
pub async fn get_bytes(http: SocketAddr, path: &str, token: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(format!("http://{http}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

/// Opens the live stream (SSE) with `token`, resuming after `last_id` if
/// given. It has subscribed when this returns (the answer's head is sent
/// after the subscription).
pub async fn open_stream(http: SocketAddr, token: &str, last_id: Option<i64>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut req = client
        .get(format!("http://{http}/api/v1/alerts/stream"))
        .bearer_auth(token);
    if let Some(id) = last_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp
}

/// Reads `n` events (id, data) from an open stream.
pub async fn read_events(mut resp: reqwest::Response, n: usize) -> Vec<(i64, Value)> {
    // Bytes: a chunk may end inside a character.
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(120), resp.chunk())
            .await
            .expect("stream stalled")
            .unwrap()
            .expect("stream ended");
        buf.extend_from_slice(&chunk);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let ev = String::from_utf8(buf.drain(..end + 2).collect()).unwrap();
            let mut id = None;
            let mut data = None;
            for l in ev.lines() {
                if let Some(v) = l.strip_prefix("id: ") {
                    id = Some(v.parse::<i64>().unwrap());
                } else if let Some(v) = l.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(v).unwrap());
                }
            }
            if let (Some(i), Some(d)) = (id, data) {
                out.push((i, d));
            }
        }
    }
    out
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
    let zones = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    replay_reference_in(lines, &zones)
}

/// [`replay_reference`] on the zones in `zones`.
pub fn replay_reference_in(
    lines: &[String],
    zones: &std::path::Path,
) -> (Vec<Value>, Vec<aiswatch::storage::PositionRow>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.nmea");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut engine = aiswatch::config::Config::default()
        .engine(Some(zones))
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

/// `aiswatch run` as a child process; killed when dropped, so a failed
/// assertion never leaves a daemon running. It binds port 0; `http` and
/// `tcp` are the addresses it logged.
pub struct Daemon {
    pub child: std::process::Child,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
}

/// Writes a config: a TCP receiver (source `tcp`) and the API, both on
/// port 0 of loopback, the store at `db` (data directory under `dir`), one
/// admin token, and `centres` (TOML, with any `[delivery]` settings)
/// appended.
pub fn write_config(
    dir: &std::path::Path,
    zones: &std::path::Path,
    db: &str,
    admin: &str,
    centres: &str,
) -> std::path::PathBuf {
    let text = format!(
        "zones = {zones:?}\n\n[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:0\"\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\nurl = {db:?}\ndata_dir = {data:?}\n\n\
         [api]\nadmin_tokens = [\"{admin}\"]\n\n{centres}",
        data = dir.join("data"),
    );
    let path = dir.join("aiswatch.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The `addr=` of the first line of a text log that contains every one of
/// `marks` (a message and the fields that single the line out).
pub fn logged_addr(log: &str, marks: &[&str]) -> Option<SocketAddr> {
    let line = log.lines().find(|l| marks.iter().all(|m| l.contains(m)))?;
    let addr = line.split_once(" addr=")?.1.split_whitespace().next()?;
    Some(
        addr.parse()
            .unwrap_or_else(|e| panic!("bad addr= ({e}) in: {line}")),
    )
}

/// Starts the daemon on `config` (log in `dir/daemon-<n>.log`) and waits
/// until it has logged where its API and its TCP receiver listen.
pub async fn start(dir: &std::path::Path, config: &std::path::Path, n: u32) -> Daemon {
    let log = dir.join(format!("daemon-{n}.log"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Killed if the wait below fails.
    let mut d = Daemon {
        child,
        http: ([127, 0, 0, 1], 0).into(),
        tcp: ([127, 0, 0, 1], 0).into(),
    };
    // Both lines are logged once the socket is bound: from then on a
    // connection waits in its backlog until it is served.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let http = logged_addr(&text, &["HTTP server listening."]);
        let tcp = logged_addr(&text, &["Listening for TCP connections.", "source=tcp "]);
        if let (Some(http), Some(tcp)) = (http, tcp) {
            d.http = http;
            d.tcp = tcp;
            return d;
        }
        if let Some(st) = d.child.try_wait().unwrap() {
            panic!("aiswatch run exited ({st}) before listening:\n{text}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "aiswatch run not listening after 60 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stops the daemon: SIGKILL (`kill`) or SIGTERM, then waits for it.
pub fn stop(d: &mut Daemon, kill: bool) {
    if kill {
        d.child.kill().unwrap();
        let _ = d.child.wait();
    } else {
        let st = std::process::Command::new("kill")
            .args(["-TERM", &d.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let code = d.child.wait().unwrap();
        assert!(code.success(), "graceful stop exited with {code}");
    }
}

/// Waits until the daemon has stored `n` positions and has none pending.
pub async fn wait_positions(http: SocketAddr, admin: &str, n: usize) {
    wait_for(http, "/api/v1/status", Some(admin), 120, |s| {
        s["storage"]["positions_written"].as_u64() == Some(n as u64)
            && s["storage"]["positions_pending"].as_u64() == Some(0)
    })
    .await;
}

/// Percent-encodes a path segment.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Each alert's state changes (state, at), by id.
pub type Changes = BTreeMap<String, Vec<(String, String)>>;

/// (state, at) of an alert change.
pub fn change(a: &Value) -> (String, String) {
    (
        a["state"].as_str().unwrap().to_owned(),
        a["at"].as_str().unwrap().to_owned(),
    )
}

/// Every alert the API knows, with its state changes in order.
pub async fn api_alerts(http: SocketAddr, admin: &str) -> Changes {
    let mut out = Changes::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match cursor {
            Some(c) => format!("/api/v1/alerts?limit=100&cursor={c}"),
            None => "/api/v1/alerts?limit=100".to_owned(),
        };
        let page = get_json(http, &path, Some(admin)).await;
        for a in page["alerts"].as_array().unwrap() {
            let id = a["id"].as_str().unwrap().to_owned();
            let detail = get_json(
                http,
                &format!("/api/v1/alerts/{}", encode(&id)),
                Some(admin),
            )
            .await;
            let all = detail["changes"].as_array().unwrap();
            // The alert may have changed between the list and the detail:
            // what the list showed is then one of its earlier states.
            assert!(
                detail["alert"] == *a || all.contains(a),
                "latest state of {id}: listed {a}, detail {detail}"
            );
            let changes = all.iter().map(change).collect();
            assert!(
                out.insert(id.clone(), changes).is_none(),
                "{id} listed twice"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(encode(c)),
            None => return out,
        }
    }
}

/// [`Changes`] of `aiswatch replay`'s alerts.
pub fn reference_changes(alerts: &[Value]) -> Changes {
    let mut out = Changes::new();
    for a in alerts {
        out.entry(a["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(change(a));
    }
    out
}
