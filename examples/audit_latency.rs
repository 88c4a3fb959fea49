//! API latency with the audit trail on and off, under many clients.
//!
//! ```sh
//! cargo run --release --example audit_latency -- --clients 64 --seconds 10 --rounds 3
//! ```
//!
//! Each round starts the daemon in this process twice, audit off then on
//! (SQLite, the shipped zones, the shipped sample fed over TCP), waits until
//! the sample is stored, then runs `--clients` concurrent clients for
//! `--seconds`, each looping over the reads a watch floor makes: a page of
//! alerts, one alert, one vessel, the zones, a vessel's track (admin and
//! centre tokens alike). Every request's latency is kept; per mode the
//! p50 and p99 over all rounds are printed, with the p99 ratio on/off and
//! the records the trail wrote.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::AsyncWriteExt;

use aiswatch::config::Config;

#[derive(Parser)]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of load per mode and round.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Rounds (each: off, then on).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

const ADMIN: &str = "bench-admin";
const CENTRE: &str = "bench-centre";

fn sample() -> Vec<u8> {
    use std::io::Read;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/sample/feed.nmea.gz");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("the shipped sample"))
        .read_to_end(&mut out)
        .expect("the shipped sample");
    out
}

fn config(dir: &Path, audit: bool) -> Config {
    let zones = concat!(env!("CARGO_MANIFEST_DIR"), "/zones");
    let centres: String = [
        "MDAT-GoG",
        "YARIS",
        "IFC Singapore",
        "ReCAAP ISC",
        "MSCHOA",
        "UKMTO",
        "RMIFC Madagascar",
        "RCOC Seychelles",
    ]
    .iter()
    .enumerate()
    .map(|(i, c)| {
        let tokens = if i == 0 {
            format!("[\"{CENTRE}\"]")
        } else {
            "[]".into()
        };
        format!("[[centres]]\nid = \"{c}\"\napi_tokens = {tokens}\n")
    })
    .collect();
    let text = format!(
        "zones = {zones:?}\n[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:0\"\n\
         [http]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = {data:?}\n\
         [api]\nadmin_tokens = [\"{ADMIN}\"]\nmax_concurrent_queries = 256\n[audit]\nenabled = {audit}\n{centres}",
        data = dir.join("data"),
    );
    let path = dir.join("aiswatch.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path)).expect("the bench's config")
}

async fn get(c: &reqwest::Client, http: SocketAddr, path: &str, token: &str) -> serde_json::Value {
    c.get(format!("http://{http}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// (latencies in µs, records the trail wrote) of one mode.
async fn round(args: &Args, audit: bool, feed: &[u8]) -> (Vec<u64>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), audit);
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(aiswatch::app::run(
        cfg,
        async {
            let _ = stop_rx.await;
        },
        Some(bound_tx),
    ));
    let bound = bound_rx.await.expect("the daemon starts");
    let http = bound.http;
    let mut s = tokio::net::TcpStream::connect(bound.source("tcp").unwrap())
        .await
        .unwrap();
    s.write_all(feed).await.unwrap();
    drop(s);
    let c = reqwest::Client::new();
    // Stored: the positions counter stops moving.
    let mut last = u64::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let st = get(&c, http, "/api/v1/status", ADMIN).await;
        let n = st["storage"]["positions_written"].as_u64().unwrap_or(0);
        if n > 0 && n == last && st["storage"]["positions_pending"] == 0 {
            break;
        }
        last = n;
    }
    let alerts = get(&c, http, "/api/v1/alerts?limit=200", ADMIN).await;
    let alerts = alerts["alerts"].as_array().cloned().unwrap_or_default();
    assert!(!alerts.is_empty(), "the sample raises alerts");
    let paths: Arc<Vec<(String, &'static str)>> = Arc::new(
        alerts
            .iter()
            .take(20)
            .flat_map(|a| {
                let id: String = a["id"]
                    .as_str()
                    .unwrap()
                    .bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b':' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                let m = a["mmsi"][0].as_u64().unwrap();
                [
                    ("/api/v1/alerts?limit=50".to_owned(), ADMIN),
                    (format!("/api/v1/alerts/{id}"), ADMIN),
                    (format!("/api/v1/vessels/{m}"), CENTRE),
                    ("/api/v1/zones".to_owned(), CENTRE),
                    (format!("/api/v1/vessels/{m}/track"), ADMIN),
                    ("/api/v1/alerts?limit=50".to_owned(), CENTRE),
                ]
            })
            .collect(),
    );
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let (c, paths) = (c.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut k = i;
            while Instant::now() < until {
                let (p, t) = &paths[k % paths.len()];
                k += 7;
                let t0 = Instant::now();
                let r = c
                    .get(format!("http://{http}{p}"))
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap();
                let ok = r.status().is_success();
                let _ = r.bytes().await;
                lat.push(t0.elapsed().as_micros() as u64);
                assert!(ok, "{p}");
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let metrics = c
        .get(format!("http://{http}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let written = metrics
        .lines()
        .find_map(|l| l.strip_prefix("aiswatch_audit_records_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64;
    let _ = stop_tx.send(());
    daemon.await.unwrap().expect("the daemon stops cleanly");
    (all, written)
}

fn pct(v: &mut [u64], p: f64) -> u64 {
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let feed = sample();
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut written = 0;
    for r in 0..args.rounds {
        let (a, _) = round(&args, false, &feed).await;
        let (b, w) = round(&args, true, &feed).await;
        let (mut a2, mut b2) = (a.clone(), b.clone());
        println!(
            "round {}: off p50 {} µs p99 {} µs ({} requests) | on p50 {} µs p99 {} µs ({} requests, {} audit records)",
            r + 1,
            pct(&mut a2, 0.5),
            pct(&mut a2, 0.99),
            a.len(),
            pct(&mut b2, 0.5),
            pct(&mut b2, 0.99),
            b.len(),
            w
        );
        written += w;
        off.extend(a);
        on.extend(b);
    }
    let (p50a, p99a) = (pct(&mut off, 0.5), pct(&mut off, 0.99));
    let (p50b, p99b) = (pct(&mut on, 0.5), pct(&mut on, 0.99));
    println!(
        "all rounds, {} clients: audit off p50 {p50a} µs p99 {p99a} µs ({} requests); on p50 {p50b} µs p99 {p99b} µs ({} requests, {written} records); p99 on/off {:.3}, p50 on/off {:.3}",
        args.clients,
        off.len(),
        on.len(),
        p99b as f64 / p99a as f64,
        p50b as f64 / p50a as f64
    );
}
