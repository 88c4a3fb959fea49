//! End-to-end throughput of one process (`--role all`) against a cluster
//! of an ingest node and a leading engine node, on the same PostgreSQL.
//!
//! ```sh
//! AISWATCH_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//! AISWATCH_TEST_NATS_URL=nats://127.0.0.1:4222 \
//! cargo run --release --example cluster_throughput -- --rounds 3
//! ```
//!
//! Each round runs both, in this process, on a fresh schema (and a fresh
//! stream prefix): the shipped sample is written to the TCP receiver at
//! once, and the time from the first byte to the last position stored is
//! the measure (lines per second). The cluster's lines go through
//! JetStream (one acknowledged message per line) before the engine. The
//! medians over the rounds and their ratio are printed.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Parser;
use sqlx::Connection;
use tokio::io::AsyncWriteExt;

use aiswatch::cluster::Role;
use aiswatch::config::Config;

#[derive(Parser)]
struct Args {
    /// Rounds (each: one process, then the cluster).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// PostgreSQL (a database the bench may create schemas in).
    #[arg(long, env = "AISWATCH_TEST_PG_URL")]
    pg: String,
    /// NATS with JetStream.
    #[arg(long, env = "AISWATCH_TEST_NATS_URL")]
    nats: String,
}

fn sample() -> Vec<u8> {
    use std::io::Read;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/sample/feed.nmea.gz");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("the shipped sample"))
        .read_to_end(&mut out)
        .expect("the shipped sample");
    out
}

/// A fresh schema; the URL whose connections use it.
async fn schema(base: &str, name: &str) -> String {
    let schema = format!("aw_bench_{name}_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut c)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

fn config(dir: &Path, db: &str, cluster: Option<(&str, &str, &str)>) -> Config {
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
    .map(|c| format!("[[centres]]\nid = \"{c}\"\n"))
    .collect();
    let (name, cluster) = match cluster {
        Some((nats, node, prefix)) => (
            node,
            format!("[cluster]\nnats_url = {nats:?}\nnode = \"{node}\"\nprefix = \"{prefix}\"\n"),
        ),
        None => ("all", String::new()),
    };
    let text = format!(
        "zones = {zones:?}\n[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:0\"\n\
         [http]\nlisten = \"127.0.0.1:0\"\n[storage]\nurl = {db:?}\ndata_dir = {data:?}\n{cluster}{centres}",
        data = dir.join("data"),
    );
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path)).expect("the bench's config")
}

async fn positions(db: &str) -> i64 {
    let mut c = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM positions")
        .fetch_one(&mut c)
        .await
        .unwrap_or(0)
}

/// Seconds from the first byte fed to `want` positions stored.
async fn until_stored(db: &str, want: i64, fed: Instant) -> f64 {
    loop {
        if positions(db).await >= want {
            return fed.elapsed().as_secs_f64();
        }
        assert!(
            fed.elapsed() < Duration::from_secs(600),
            "not stored in 10 min"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

type Stop = tokio::sync::oneshot::Sender<()>;

/// Starts `role` on `cfg`; its stop switch and TCP receiver, if any.
async fn start(
    cfg: Config,
    role: Role,
) -> (
    Stop,
    Option<std::net::SocketAddr>,
    tokio::task::JoinHandle<()>,
) {
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let r = aiswatch::cluster::node::run(
            cfg,
            role,
            async {
                let _ = stop_rx.await;
            },
            Some(bound_tx),
        )
        .await;
        if let Err(e) = r {
            eprintln!("{}: {e}", role.as_str());
        }
    });
    let bound = bound_rx.await.expect("the node starts");
    (stop_tx, bound.source("tcp"), task)
}

async fn feed(addr: std::net::SocketAddr, bytes: &[u8]) -> Instant {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let t = Instant::now();
    s.write_all(bytes).await.unwrap();
    t
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let bytes = sample();
    let lines = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let dir = tempfile::tempdir().unwrap();
    let (mut one, mut cluster) = (Vec::new(), Vec::new());
    let mut want = 0;
    for round in 0..args.rounds {
        // One process.
        let db = schema(&args.pg, "all").await;
        let d = dir.path().join(format!("all-{round}"));
        let (stop, tcp, task) = start(config(&d, &db, None), Role::All).await;
        let fed = feed(tcp.unwrap(), &bytes).await;
        if want == 0 {
            // The first round finds how many positions the sample stores.
            let mut last = -1;
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let n = positions(&db).await;
                if n > 0 && n == last {
                    break;
                }
                last = n;
            }
            want = last;
        }
        let t = until_stored(&db, want, fed).await;
        one.push(t);
        let _ = stop.send(());
        let _ = task.await;

        // The cluster: an ingest node and an engine node.
        let db = schema(&args.pg, "cluster").await;
        let prefix = format!("awbench{}_{round}", std::process::id());
        let d = dir.path().join(format!("cluster-{round}"));
        let (stop_e, _, engine) = start(
            config(&d, &db, Some((&args.nats, "engine-1", &prefix))),
            Role::Engine,
        )
        .await;
        let (stop_i, tcp, ingest) = start(
            config(&d, &db, Some((&args.nats, "ingest-1", &prefix))),
            Role::Ingest,
        )
        .await;
        let fed = feed(tcp.unwrap(), &bytes).await;
        let t = until_stored(&db, want, fed).await;
        cluster.push(t);
        let _ = stop_i.send(());
        let _ = stop_e.send(());
        let _ = ingest.await;
        let _ = engine.await;
        println!(
            "round {}: one process {:.2} s, cluster {:.2} s ({lines} lines, {want} positions)",
            round + 1,
            one[round],
            cluster[round]
        );
    }
    let (a, c) = (median(&mut one), median(&mut cluster));
    println!(
        "median: one process {:.0} lines/s, cluster (1 ingest + 1 engine) {:.0} lines/s, ratio cluster/one {:.2}",
        lines as f64 / a,
        lines as f64 / c,
        a / c
    );
}
