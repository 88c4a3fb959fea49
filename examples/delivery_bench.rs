//! Alert delivery on loopback, measured (BENCHMARKS.md, "Delivery"):
//! `aiswatch run` with N centres (default 10), each with a webhook to a
//! receiver in this process, fed the shipped sample over TCP.
//!
//! 1. Baseline: plain POSTs from a reqwest client to the same receiver,
//!    one at a time (the floor of any webhook delivery here).
//! 2. Latency: the sample fed paced (`--pace-s` seconds for its 8 h), so
//!    alerts come as they would live; for every (change, centre) the time
//!    from the engine emitting it (the delivery's `created_at`) to the
//!    receiver getting it. p50/p90/p99/max.
//! 3. Throughput: a fresh store, the whole sample at once; deliveries per
//!    second from the first emitted to the last received.
//!
//! Usage: cargo run --release --example delivery_bench -- [--bin target/release/aiswatch]
//!        [--centres 10] [--pace-s 40]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use axum::http::HeaderMap;
use tokio::io::AsyncWriteExt;

#[path = "../tests/common/sample.rs"]
mod sample;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ADMIN: &str = "bench-admin";

type Arrivals = Arc<Mutex<Vec<(String, String, i64)>>>;

fn now_ms() -> i64 {
    aiswatch_core::time::now_ms()
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, v: &mut [f64]) {
    println!(
        "{name}: n={} p50={:.1} ms p90={:.1} ms p99={:.1} ms max={:.1} ms",
        v.len(),
        pct(v, 0.5),
        pct(v, 0.9),
        pct(v, 0.99),
        pct(v, 1.0)
    );
}

/// A receiver recording (centre, webhook-id, arrival ms) of every POST.
async fn receiver() -> (SocketAddr, Arrivals) {
    let got: Arrivals = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook/:centre",
        axum::routing::post(
            move |UrlPath(c): UrlPath<String>, h: HeaderMap, _b: String| {
                let g = g.clone();
                async move {
                    let id = h
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    g.lock().unwrap().push((c, id, now_ms()));
                    "ok"
                }
            },
        ),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (addr, got)
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The Gulf of Guinea patrol zone, routed to every bench centre.
fn zones(dir: &Path, centres: &[String]) -> PathBuf {
    let z = dir.join("zones");
    std::fs::create_dir_all(&z).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones/gulf_of_guinea.geojson");
    let mut fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    let feats = fc["features"].as_array_mut().unwrap();
    feats.retain(|f| f["properties"]["id"] == "gog-offshore");
    feats[0]["properties"]["centre"] = serde_json::json!(centres);
    std::fs::write(z.join("gog.geojson"), fc.to_string()).unwrap();
    z
}

struct Daemon(std::process::Child);
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(
    bin: &str,
    dir: &Path,
    hook: SocketAddr,
    centres: &[String],
) -> (Daemon, SocketAddr, SocketAddr) {
    let (http, tcp) = (free_addr(), free_addr());
    let mut cfg = format!(
        "zones = {:?}\n[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"{tcp}\"\n[http]\nlisten = \"{http}\"\n\
         [storage]\ndata_dir = {:?}\nraw = false\n[api]\nadmin_tokens = [\"{ADMIN}\"]\n",
        zones(dir, centres),
        dir.join("data")
    );
    for c in centres {
        cfg += &format!("[[centres]]\nid = \"{c}\"\n[centres.webhook]\nurl = \"http://{hook}/hook/{c}\"\nsecret = \"{SECRET}\"\n");
    }
    std::fs::write(dir.join("aiswatch.toml"), cfg).unwrap();
    let child = std::process::Command::new(bin)
        .args(["run", "--config"])
        .arg(dir.join("aiswatch.toml"))
        .stderr(std::fs::File::create(dir.join("daemon.log")).unwrap())
        .spawn()
        .unwrap();
    let d = Daemon(child);
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(tcp).await.is_ok() {
            return (d, http, tcp);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "daemon did not start; see {}",
        dir.join("daemon.log").display()
    );
}

/// Every delivery's (centre, key) → created_at ms, from the admin API.
async fn created(http: SocketAddr) -> HashMap<(String, String), i64> {
    let client = reqwest::Client::new();
    let mut out = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("http://{http}/api/v1/deliveries?limit=10000");
        if let Some(c) = &cursor {
            url += &format!("&cursor={c}");
        }
        let text = client
            .get(url)
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for d in v["deliveries"].as_array().unwrap() {
            let t =
                chrono::DateTime::parse_from_rfc3339(d["created_at"].as_str().unwrap()).unwrap();
            let key = format!("{}/{}", d["alert_id"].as_str().unwrap(), d["change"]);
            out.insert(
                (d["centre"].as_str().unwrap().to_owned(), key),
                t.timestamp_millis(),
            );
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Feeds `lines` over TCP in `chunks` equal parts, `gap` apart.
async fn feed(tcp: SocketAddr, lines: &[String], chunks: usize, gap: Duration) {
    let mut s = tokio::net::TcpStream::connect(tcp).await.unwrap();
    for part in lines.chunks(lines.len().div_ceil(chunks.max(1))) {
        let mut buf = String::new();
        for l in part {
            buf += l;
            buf += "\r\n";
        }
        s.write_all(buf.as_bytes()).await.unwrap();
        tokio::time::sleep(gap).await;
    }
    s.shutdown().await.unwrap();
}

/// Waits until `n` distinct (centre, key) arrived; returns when the last did.
async fn wait_arrivals(got: &Arrivals, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let distinct: std::collections::HashSet<(String, String)> = got
            .lock()
            .unwrap()
            .iter()
            .map(|(c, k, _)| (c.clone(), k.clone()))
            .collect();
        if distinct.len() >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} deliveries arrived",
            distinct.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let bin = arg(
        "--bin",
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/aiswatch"),
    );
    let n_centres: usize = arg("--centres", "10").parse().unwrap();
    let pace_s: u64 = arg("--pace-s", "40").parse().unwrap();
    let centres: Vec<String> = (0..n_centres).map(|i| format!("C{i}")).collect();
    let lines = sample::sample_lines();
    let (hook, got) = receiver().await;
    println!(
        "load {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    // 1. Baseline: one POST at a time to the same receiver.
    let client = reqwest::Client::new();
    let mut base = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        client
            .post(format!("http://{hook}/hook/baseline"))
            .header("webhook-id", format!("b{i}"))
            .body(r#"{"baseline":true}"#)
            .send()
            .await
            .unwrap();
        base.push(t.elapsed().as_secs_f64() * 1e3);
    }
    summary("baseline POST round trip", &mut base);
    got.lock().unwrap().clear();

    // 2. Latency, paced feed.
    let dir = tempfile::tempdir().unwrap();
    let (d, http, tcp) = start(&bin, dir.path(), hook, &centres).await;
    let chunks = (pace_s * 10) as usize;
    feed(tcp, &lines, chunks, Duration::from_millis(100)).await;
    let made = {
        // All changes stored: the number of deliveries stops growing.
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let n = created(http).await.len();
            if n == last && n > 0 {
                break created(http).await;
            }
            last = n;
        }
    };
    wait_arrivals(&got, made.len()).await;
    let mut lat: Vec<f64> = Vec::new();
    let mut first: HashMap<(String, String), i64> = HashMap::new();
    for (c, k, t) in got.lock().unwrap().iter() {
        first.entry((c.clone(), k.clone())).or_insert(*t);
    }
    for (key, t) in &first {
        if let Some(c) = made.get(key) {
            lat.push((t - c) as f64);
        }
    }
    println!(
        "{} centres, {} deliveries ({} alert changes), sample paced over {pace_s} s",
        n_centres,
        made.len(),
        made.len() / n_centres.max(1)
    );
    summary("alert emitted -> webhook received", &mut lat);
    drop(d);
    got.lock().unwrap().clear();

    // 3. Throughput: everything at once.
    let dir = tempfile::tempdir().unwrap();
    let (_d, _http, tcp) = start(&bin, dir.path(), hook, &centres).await;
    let t0 = Instant::now();
    feed(tcp, &lines, 1, Duration::ZERO).await;
    wait_arrivals(&got, made.len()).await;
    let all = t0.elapsed().as_secs_f64();
    let arrivals = got.lock().unwrap().clone();
    let (lo, hi) = arrivals
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), (_, _, t)| {
            (a.min(*t), b.max(*t))
        });
    println!(
        "throughput: {} deliveries to {n_centres} centres in {:.2} s from first to last arrival ({:.0}/s); {:.2} s from feed start (ingest included)",
        made.len(),
        (hi - lo) as f64 / 1e3,
        made.len() as f64 / ((hi - lo).max(1) as f64 / 1e3),
        all
    );
}
