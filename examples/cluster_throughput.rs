//! End-to-end throughput of one process (`--role all`) against a cluster
//! of an ingest node and one leading engine, and against one with two
//! partitions (two leading engines), on the same PostgreSQL.
//!
//! ```sh
//! AISWATCH_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//! AISWATCH_TEST_NATS_URL=nats://127.0.0.1:4222 \
//! cargo run --release --example cluster_throughput -- --rounds 3
//! ```
//!
//! Each round runs the three, in this process, each on a fresh schema (and
//! a fresh stream prefix): the shipped sample is written to the TCP
//! receiver at once, and the time from the first byte to the last position
//! and the last alert change stored is the measure (lines per second). The
//! cluster's lines go through JetStream (one acknowledged message per
//! line) before the engines; with two partitions each engine reads every
//! line and runs the detectors of its zones (each shipped zone file, a sea,
//! whole on one partition: Gulf of Aden and Mozambique Channel on 0, Gulf
//! of Guinea and Singapore Strait on 1). The medians over the rounds and
//! their ratios are printed.

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

/// A cluster node: NATS, its name, the prefix and the partitions.
type Node<'a> = (&'a str, &'a str, &'a str, u32);

fn config(dir: &Path, db: &str, cluster: Option<Node>) -> Config {
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
        Some((nats, node, prefix, partitions)) => (
            node,
            format!(
                "[cluster]\nnats_url = {nats:?}\nnode = \"{node}\"\nprefix = \"{prefix}\"\npartitions = {partitions}\n{}",
                by_sea(Path::new(zones), partitions)
            ),
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

/// `[cluster.zone_partitions]` placing each zone file (a sea) whole on
/// one partition, file by file in name order.
fn by_sea(zones: &Path, partitions: u32) -> String {
    let mut files: Vec<_> = std::fs::read_dir(zones)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|f| f.extension().is_some_and(|e| e == "geojson"))
        .collect();
    files.sort();
    let mut out = String::from("[cluster.zone_partitions]\n");
    for (i, f) in files.iter().enumerate() {
        let fc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(f).unwrap()).expect("a zone file");
        for z in fc["features"].as_array().unwrap() {
            let id = z["properties"]["id"].as_str().unwrap();
            out += &format!("{id:?} = {}\n", i as u32 % partitions);
        }
    }
    out
}

/// Positions and alert changes stored.
async fn stored(db: &str) -> (i64, i64) {
    let mut c = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query_as("SELECT (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM position_blocks), (SELECT COUNT(*) FROM alert_events)")
        .fetch_one(&mut c)
        .await
        .unwrap_or((0, 0))
}

/// Seconds from the first byte fed to `want` positions and alert changes
/// stored.
async fn until_stored(db: &str, want: (i64, i64), fed: Instant) -> f64 {
    loop {
        let (p, e) = stored(db).await;
        if p >= want.0 && e >= want.1 {
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

/// Feeds the sample to a cluster of an ingest node and `partitions`
/// engines on a fresh schema and prefix; seconds until all is stored.
async fn cluster_round(
    args: &Args,
    dir: &Path,
    bytes: &[u8],
    want: (i64, i64),
    partitions: u32,
    round: usize,
) -> f64 {
    let db = schema(&args.pg, &format!("cluster{partitions}")).await;
    let prefix = format!("awbench{}_{partitions}_{round}", std::process::id());
    let d = dir.join(format!("cluster{partitions}-{round}"));
    let mut nodes = Vec::new();
    for e in 1..=partitions {
        let name = format!("engine-{e}");
        let cfg = config(&d, &db, Some((&args.nats, &name, &prefix, partitions)));
        let (stop, _, task) = start(cfg, Role::Engine).await;
        // Each takes the first partition without a leader: wait until this
        // one leads before the next starts.
        let lease = format!("{prefix}/engine/{}", e - 1);
        let mut c = sqlx::PgConnection::connect(&db).await.unwrap();
        while sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cluster_leases WHERE name = $1")
            .bind(&lease)
            .fetch_one(&mut c)
            .await
            .unwrap_or(0)
            == 0
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        nodes.push((stop, task));
    }
    let cfg = config(&d, &db, Some((&args.nats, "ingest-1", &prefix, partitions)));
    let (stop, tcp, task) = start(cfg, Role::Ingest).await;
    let fed = feed(tcp.unwrap(), bytes).await;
    let t = until_stored(&db, want, fed).await;
    // The ingest node stops first, then the engines.
    nodes.insert(0, (stop, task));
    for (stop, task) in nodes {
        let _ = stop.send(());
        let _ = task.await;
    }
    t
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
    let (mut one, mut single, mut two) = (Vec::new(), Vec::new(), Vec::new());
    let mut want = (0, 0);
    for round in 0..args.rounds {
        // One process.
        let db = schema(&args.pg, "all").await;
        let d = dir.path().join(format!("all-{round}"));
        let (stop, tcp, task) = start(config(&d, &db, None), Role::All).await;
        let fed = feed(tcp.unwrap(), &bytes).await;
        if want == (0, 0) {
            // The first round finds how much the sample stores.
            let mut last = (-1, -1);
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let n = stored(&db).await;
                if n.0 > 0 && n == last {
                    break;
                }
                last = n;
            }
            want = last;
        }
        one.push(until_stored(&db, want, fed).await);
        let _ = stop.send(());
        let _ = task.await;
        // The cluster, with one engine leader, then two.
        single.push(cluster_round(&args, dir.path(), &bytes, want, 1, round).await);
        two.push(cluster_round(&args, dir.path(), &bytes, want, 2, round).await);
        println!(
            "round {}: one process {:.2} s, cluster with 1 engine leader {:.2} s, with 2 {:.2} s ({lines} lines, {} positions, {} alert changes)",
            round + 1,
            one[round],
            single[round],
            two[round],
            want.0,
            want.1
        );
    }
    let (a, c1, c2) = (median(&mut one), median(&mut single), median(&mut two));
    let rate = |t: f64| lines as f64 / t;
    println!(
        "median: one process {:.0} lines/s, cluster with 1 engine leader {:.0} lines/s, with 2 {:.0} lines/s; \
         ratios: 1 leader / one process {:.2}, 2 leaders / 1 leader {:.2}",
        rate(a),
        rate(c1),
        rate(c2),
        a / c1,
        c1 / c2
    );
}
