//! aiswatch as a cluster on NATS JetStream and PostgreSQL: an ingest node,
//! two engine nodes (a leader and a standby) and an api node, as separate
//! processes on loopback. Needs `AISWATCH_TEST_PG_URL` and
//! `AISWATCH_TEST_NATS_URL` (each run uses its own schema and prefix);
//! without them it says SKIPPED.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const ADMIN: &str = "cluster-admin-token";

/// A node: `aiswatch run --role ROLE` as a child process, killed when dropped.
struct Node {
    child: std::process::Child,
    http: SocketAddr,
    tcp: Option<SocketAddr>,
    log: std::path::PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`, and reaped.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

/// Writes node `name`'s config: the cluster, the shared store and data
/// directory; an ingest node also gets a TCP receiver.
fn node_config(
    dir: &Path,
    db: &str,
    nats: &str,
    prefix: &str,
    name: &str,
    centres: &str,
) -> std::path::PathBuf {
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    partitioned_config(dir, db, nats, prefix, name, centres, &zones, "")
}

/// [`node_config`] on the zones of `zones` with more of `[cluster]`
/// (`cluster`: TOML lines).
#[allow(clippy::too_many_arguments)]
fn partitioned_config(
    dir: &Path,
    db: &str,
    nats: &str,
    prefix: &str,
    name: &str,
    centres: &str,
    zones: &Path,
    cluster: &str,
) -> std::path::PathBuf {
    let sources = if name.starts_with("ingest") {
        "[[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:0\"\n\n"
    } else {
        ""
    };
    let text = format!(
        "zones = {zones:?}\n\n{sources}[http]\nlisten = \"127.0.0.1:0\"\n\n\
         [storage]\nurl = {db:?}\ndata_dir = {data:?}\n\n[api]\nadmin_tokens = [\"{ADMIN}\"]\n\n\
         [cluster]\nnats_url = {nats:?}\nnode = \"{name}\"\nprefix = \"{prefix}\"\n{cluster}\n{centres}",
        data = dir.join("data"),
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts node `name` with `role` and waits until it listens.
async fn spawn_node(dir: &Path, config: &Path, role: &str, name: &str) -> Node {
    let log = dir.join(format!("{name}-{}.log", aiswatch_core::time::now_ms()));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["run", "--role", role, "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut n = Node {
        child,
        http: ([127, 0, 0, 1], 0).into(),
        tcp: None,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = n.log();
        let http = logged_addr(&text, &["HTTP server listening."]);
        let tcp = logged_addr(&text, &["Listening for TCP connections.", "source=tcp "]);
        if let Some(http) = http {
            if role != "ingest" || tcp.is_some() {
                n.http = http;
                n.tcp = tcp;
                return n;
            }
        }
        if let Some(st) = n.child.try_wait().unwrap() {
            panic!("{name} exited ({st}) before listening:\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "{name} not listening after 60 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// This node's `cluster` object of `/api/v1/status` (null if it does not
/// answer: a node taking the lease hands its listener from the standby's
/// server to the leader's, and a request caught in between is dropped).
async fn cluster_of(n: &Node) -> serde_json::Value {
    let res = reqwest::Client::new()
        .get(format!("http://{}/api/v1/status", n.http))
        .bearer_auth(ADMIN)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    match res {
        Ok(r) if r.status() == 200 => r
            .text()
            .await
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map_or(serde_json::Value::Null, |v| v["cluster"].clone()),
        _ => serde_json::Value::Null,
    }
}

/// Waits until `n` leads; how long it took.
async fn until_leader(n: &Node, within: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        if cluster_of(n).await["leader"] == true {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < within,
            "not leader after {within:?}:\n{}",
            n.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Positions the store holds.
async fn stored_positions(db: &str) -> i64 {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM position_blocks")
        .fetch_one(&mut c)
        .await
        .unwrap()
}

/// Waits until the store holds `n` positions (never more).
async fn until_positions(db: &str, n: usize, nodes: &[&Node]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = stored_positions(db).await;
        assert!(
            got <= n as i64,
            "{got} positions stored, {n} fed: some twice"
        );
        if got == n as i64 {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<_> = nodes.iter().map(|n| n.log()).collect();
            panic!(
                "{got} of {n} positions stored after 120 s:\n{}",
                logs.join("\n-----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `SIG<name>` to a node.
fn signal(n: &Node, name: &str) {
    let st = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(n.child.id().to_string())
        .status()
        .unwrap();
    assert!(st.success(), "kill -{name}");
}

/// How far into the line stream lease `name`'s holders have committed.
async fn lease_position(db: &str, name: &str) -> u64 {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar::<_, i64>("SELECT position FROM cluster_leases WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut c)
        .await
        .unwrap()
        .unwrap_or(0) as u64
}

/// Where the `host:port` of a database URL is in it (byte range).
fn host_port(url: &str) -> (usize, usize) {
    let at = url
        .find('@')
        .map_or(url.find("://").unwrap() + 3, |a| a + 1);
    (at, at + url[at..].find('/').unwrap())
}

/// A cluster prefix of this run's own, so that runs sharing a NATS server
/// and a database never meet.
fn unique_prefix(tag: &str) -> String {
    format!(
        "{tag}{}_{}",
        std::process::id(),
        aiswatch_core::time::now_ms() % 1_000_000
    )
}

fn urls(test: &str) -> Option<(String, String)> {
    let pg = pg_base_url(test)?;
    match std::env::var("AISWATCH_TEST_NATS_URL") {
        Ok(u) if !u.is_empty() => Some((pg, u)),
        _ => {
            eprintln!("SKIPPED ({test}): set AISWATCH_TEST_NATS_URL, e.g. nats://127.0.0.1:4222");
            None
        }
    }
}

/// The shipped sample cut in two where no multi-part message is cut, with
/// what `aiswatch replay` gives for all of it and the positions of the
/// first half.
struct Halves {
    lines: Vec<String>,
    split: usize,
    ref_alerts: Vec<serde_json::Value>,
    ref_positions: Vec<aiswatch::storage::PositionRow>,
    first_positions: Vec<aiswatch::storage::PositionRow>,
}

impl Halves {
    fn of_sample() -> Halves {
        Halves::of_sample_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("zones"))
    }

    /// [`Halves::of_sample`] on the zones of `zones`.
    fn of_sample_in(zones: &Path) -> Halves {
        let lines = sample_lines();
        let split = clean_split(&lines, lines.len() / 2);
        let (ref_alerts, ref_positions) = replay_reference_in(&lines, zones);
        let (_, first_positions) = replay_reference_in(&lines[..split], zones);
        assert!(!ref_alerts.is_empty());
        Halves {
            lines,
            split,
            ref_alerts,
            ref_positions,
            first_positions,
        }
    }
}

/// Webhook deliveries received: (`webhook-id`, body), in arrival order.
#[derive(Clone, Default)]
struct Hook(Arc<Mutex<Vec<(String, String)>>>);

impl Hook {
    /// A receiver answering 200 to every delivery; its address.
    async fn start() -> (Hook, SocketAddr) {
        let hook = Hook::default();
        let got = hook.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let got = got.clone();
                async move {
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    got.0.lock().unwrap().push((id, body));
                    axum::http::StatusCode::OK
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (hook, addr)
    }

    /// Waits until every change of `want` (`alert id/seq`) arrived; each
    /// delivery received more than once carried the same body.
    async fn wait_all(&self, want: &[String]) -> usize {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.0.lock().unwrap().clone();
            let mut by_id: BTreeMap<&str, &str> = BTreeMap::new();
            for (id, body) in &got {
                if let Some(b) = by_id.insert(id, body) {
                    assert_eq!(b, body, "{id} delivered twice with different bodies");
                }
            }
            let missing: Vec<_> = want
                .iter()
                .filter(|k| !by_id.contains_key(k.as_str()))
                .collect();
            let extra: Vec<_> = by_id
                .keys()
                .filter(|k| !want.iter().any(|w| w == *k))
                .collect();
            assert!(
                extra.is_empty(),
                "deliveries of no replay change: {extra:?}"
            );
            if missing.is_empty() {
                return got.len();
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} changes never delivered, e.g. {:?}",
                missing.len(),
                want.len(),
                &missing[..missing.len().min(5)]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `[[centres]]` of the shipped zones; MDAT-GoG (the centre of the
/// sample's alerts) with a webhook to `hook`.
fn centres_with_hook(hook: SocketAddr) -> String {
    format!(
        "[delivery]\nmin_backoff = \"20ms\"\nmax_backoff = \"300ms\"\n\n{}",
        centres_toml().replacen(
            "[[centres]]\nid = \"MDAT-GoG\"\napi_tokens = [\"tok-0\"]\n",
            &format!(
                "[[centres]]\nid = \"MDAT-GoG\"\napi_tokens = [\"tok-0\"]\n\
                 [centres.webhook]\nurl = \"http://{hook}/hook\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
            ),
            1,
        )
    )
}

/// Each replay change's delivery key (`alert id/seq`).
fn change_keys(alerts: &[serde_json::Value]) -> Vec<String> {
    let mut seq: BTreeMap<String, u32> = BTreeMap::new();
    alerts
        .iter()
        .map(|a| {
            let id = a["id"].as_str().unwrap().to_owned();
            let n = seq.entry(id.clone()).or_default();
            *n += 1;
            format!("{id}/{n}")
        })
        .collect()
}

/// Waits (30 s at most) until `api`'s alerts are `aiswatch replay`'s
/// `ref_alerts`: the same ids, each with the same changes, none extra
/// (`nodes`' logs in the failure). Returns them.
async fn until_alerts_are_replays(
    api: &Node,
    ref_alerts: &[serde_json::Value],
    nodes: &[&Node],
) -> Changes {
    let want = reference_changes(ref_alerts);
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let got = api_alerts(api.http, ADMIN).await;
        if got == want || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}\n{}",
        nodes
            .iter()
            .map(|n| n.log())
            .collect::<Vec<_>>()
            .join("\n-----\n")
    );
    for (id, w) in &want {
        assert_eq!(&got[id], w, "state changes of {id}");
    }
    want
}

/// Every stored position (mmsi, time), in order, against what replay stores.
async fn assert_every_position_stored(db: &str, want: &[aiswatch::storage::PositionRow]) {
    let store = aiswatch::storage::Store::connect(db).await.unwrap();
    let stored = store.records(1, u64::MAX).await.unwrap().positions;
    let mut got: Vec<(i64, i64)> = stored
        .iter()
        .map(|p| (i64::from(p.mmsi.0), p.time))
        .collect();
    got.sort_unstable();
    let mut want: Vec<(i64, i64)> = want.iter().map(|p| (i64::from(p.mmsi.0), p.time)).collect();
    want.sort_unstable();
    assert!(
        got == want,
        "stored tracks differ from the positions fed ({} stored, {} fed)",
        got.len(),
        want.len()
    );
}

/// `aiswatch archive verify` on a node's config: the raw line archive's
/// hash chain holds, across whatever wrote it.
fn assert_archive_verifies(config: &Path) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["archive", "verify", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "archive verify: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_a_killed_leader_and_the_alerts_are_replays() {
    let Some((pg, nats)) = urls("cluster failover") else {
        return;
    };
    let db = pg_schema(&pg, "cluster").await;
    let prefix = unique_prefix("awt");
    let Halves {
        lines,
        split,
        ref_alerts,
        ref_positions,
        first_positions,
    } = Halves::of_sample();

    let dir = tempfile::tempdir().unwrap();
    let (hook, hook_addr) = Hook::start().await;
    let centres = centres_with_hook(hook_addr);
    let cfg = |name: &str| node_config(dir.path(), &db, &nats, &prefix, name, &centres);
    let e1 = spawn_node(dir.path(), &cfg("engine-1"), "engine", "engine-1").await;
    until_leader(&e1, Duration::from_secs(60)).await;
    let e2 = spawn_node(dir.path(), &cfg("engine-2"), "engine", "engine-2").await;
    let api = spawn_node(dir.path(), &cfg("api-1"), "api", "api-1").await;
    let ingest = spawn_node(dir.path(), &cfg("ingest-1"), "ingest", "ingest-1").await;

    // Every node answers its status with its place in the cluster.
    let c = cluster_of(&e2).await;
    assert_eq!(c["role"], "engine", "{c}");
    assert_eq!(c["leader"], false, "{c}");
    assert_eq!(c["leader_node"], "engine-1", "{c}");
    assert_eq!(cluster_of(&ingest).await["role"], "ingest");
    assert_eq!(cluster_of(&api).await["partitions"], serde_json::json!([0]));
    let (status, body) = request(e2.http, "GET", "/readyz", None).await;
    assert_eq!(status, 200, "a standby is ready to take over: {body}");
    assert!(body.contains("standby: engine-1 leads"), "{body}");

    feed(ingest.tcp.unwrap(), &lines[..split]).await;
    until_positions(&db, first_positions.len(), &[&ingest, &e1, &e2]).await;

    // kill -9 of the leader: the standby leads within 10 s.
    let mut e1 = e1;
    e1.kill_9();
    let took = until_leader(&e2, Duration::from_secs(10)).await;
    eprintln!(
        "cluster failover: standby leads {:.2} s after kill -9 of the leader",
        took.as_secs_f64()
    );

    feed(ingest.tcp.unwrap(), &lines[split..]).await;
    until_positions(&db, ref_positions.len(), &[&ingest, &e2]).await;

    // The api node's alerts are replay's: same ids, same changes, no extra.
    let want = until_alerts_are_replays(&api, &ref_alerts, &[&e2]).await;
    // Every fed position stored once; every change delivered to the
    // centre's webhook (a repeat only with its webhook-id and body); the
    // raw archive one chain across the failover.
    assert_every_position_stored(&db, &ref_positions).await;
    let keys = change_keys(&ref_alerts);
    let received = hook.wait_all(&keys).await;
    assert_archive_verifies(&cfg("engine-2"));
    // The api node's clock is the leader's, and it knows who leads.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = get_json(api.http, "/api/v1/status", Some(ADMIN)).await;
        if s["cluster"]["leader_node"] == "engine-2"
            && s["clock"].is_string()
            && s["vessels"].as_u64() > Some(0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "api status never shows the new leader's state: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "cluster failover: {} alerts, {} changes ({received} webhook deliveries), {} positions, kill -9 after line {split}",
        want.len(),
        ref_alerts.len(),
        ref_positions.len()
    );
    drop((ingest, api, e2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_partitions_give_the_alerts_of_one_engine_across_a_takeover() {
    let Some((pg, nats)) = urls("cluster partitions") else {
        return;
    };
    let db = pg_schema(&pg, "partitions").await;
    let prefix = unique_prefix("awp");
    // The shipped zones, and a second patrol zone over the west of the
    // Gulf of Guinea's (where half of the sample's alerts are, inside both),
    // owned by partition 1: both partitions raise alerts about the same
    // vessels, and partition 1 sees partition 0's anchorages as ports.
    let zones = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    for f in std::fs::read_dir(&shipped).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "geojson") {
            std::fs::copy(&f, zones.path().join(f.file_name().unwrap())).unwrap();
        }
    }
    let mut lons: Vec<f64> = Halves::of_sample()
        .ref_alerts
        .iter()
        .map(|a| a["lon"].as_f64().unwrap())
        .collect();
    lons.sort_by(f64::total_cmp);
    let west = lons[lons.len() / 2] + 0.01;
    let zone = serde_json::json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {
                "id": "gog-west", "name": "Gulf of Guinea, west", "kind": "patrol",
                "centre": ["MDAT-GoG"],
                "detect": {
                    "dark_period": {"min_gap": "2h"},
                    "loitering": {"max_speed_kn": 2.0, "min_duration": "2h"},
                    "rendezvous": {"max_distance_m": 500, "max_speed_kn": 2.0, "min_duration": "2h"},
                    "spoofing": {}
                }
            },
            "geometry": {"type": "Polygon", "coordinates": [[
                [0.5, 2.0], [west, 2.0], [west, 6.4], [0.5, 6.4], [0.5, 2.0]
            ]]}
        }]
    });
    std::fs::write(zones.path().join("gog_west.geojson"), zone.to_string()).unwrap();
    let Halves {
        lines,
        split,
        ref_alerts,
        ref_positions,
        first_positions,
    } = Halves::of_sample_in(zones.path());
    let alerting = ["gog-offshore", "gog-west"];
    let cluster =
        "partitions = 2\n\n[cluster.zone_partitions]\n\"gog-offshore\" = 0\n\"gog-west\" = 1\n";

    let dir = tempfile::tempdir().unwrap();
    let (hook, hook_addr) = Hook::start().await;
    let centres = centres_with_hook(hook_addr);
    let cfg = |name: &str| {
        partitioned_config(
            dir.path(),
            &db,
            &nats,
            &prefix,
            name,
            &centres,
            zones.path(),
            cluster,
        )
    };
    // Two leaders (one per partition) and a standby for either.
    let e1 = spawn_node(dir.path(), &cfg("engine-1"), "engine", "engine-1").await;
    until_leader(&e1, Duration::from_secs(60)).await;
    let e2 = spawn_node(dir.path(), &cfg("engine-2"), "engine", "engine-2").await;
    until_leader(&e2, Duration::from_secs(60)).await;
    let e3 = spawn_node(dir.path(), &cfg("engine-3"), "engine", "engine-3").await;
    let api = spawn_node(dir.path(), &cfg("api-1"), "api", "api-1").await;
    let ingest = spawn_node(dir.path(), &cfg("ingest-1"), "ingest", "ingest-1").await;
    assert_eq!(cluster_of(&e1).await["partitions"], serde_json::json!([0]));
    assert_eq!(cluster_of(&e2).await["partitions"], serde_json::json!([1]));
    let c = cluster_of(&e3).await;
    assert_eq!(
        (&c["leader"], &c["partitions"]),
        (&serde_json::json!(false), &serde_json::json!([])),
        "{c}"
    );
    assert_eq!(
        cluster_of(&api).await["partitions"],
        serde_json::json!([0, 1])
    );

    feed(ingest.tcp.unwrap(), &lines[..split]).await;
    until_positions(&db, first_positions.len(), &[&ingest, &e1, &e2]).await;

    // Partition 0's leader freezes (SIGSTOP: it keeps its lease and stores
    // nothing more) while partition 1's leader reads the rest of the feed.
    signal(&e1, "STOP");
    feed(ingest.tcp.unwrap(), &lines[split..]).await;
    let end = lines.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while lease_position(&db, &format!("{prefix}/engine/1")).await < end {
        assert!(
            Instant::now() < deadline,
            "partition 1 read to {} of {end} lines ({} published):\n{}",
            lease_position(&db, &format!("{prefix}/engine/1")).await,
            metric(&ingest, "aiswatch_cluster_lines_published_total").await,
            e2.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // kill -9 of partition 1's leader: the standby leads it within 10 s.
    // Partition 0's records stand at the first half: the new leader
    // rebuilds from them and applies the second half again, quietly.
    let mut e2 = e2;
    e2.kill_9();
    let took = until_leader(&e3, Duration::from_secs(10)).await;
    assert_eq!(cluster_of(&e3).await["partitions"], serde_json::json!([1]));
    let taken = e3.log();
    let taken = taken.lines().find(|l| l.contains("Lease taken")).unwrap();
    assert!(
        taken.contains(&format!("position={end} "))
            && taken.contains(&format!("CommitRow {{ position: {split},")),
        "{taken}"
    );
    eprintln!(
        "cluster partitions: the standby leads partition 1 {:.2} s after kill -9 of its leader, \
         rebuilt to line {split} and applying lines {} to {end} again",
        took.as_secs_f64(),
        split + 1
    );
    signal(&e1, "CONT");
    until_positions(&db, ref_positions.len(), &[&ingest, &e1, &e3]).await;

    // The api node's alerts are one engine's (replay's): same ids, same
    // changes, none twice, none missing.
    let want = until_alerts_are_replays(&api, &ref_alerts, &[&e1, &e3]).await;
    // Alerts per partition (zones placed by their rank in `alerting`).
    let by_partition = |p: usize| {
        let ids: std::collections::BTreeSet<&str> = ref_alerts
            .iter()
            .filter(|a| alerting.iter().position(|z| a["zone"] == *z).map(|i| i % 2) == Some(p))
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        ids.len()
    };
    assert!(
        by_partition(0) > 0 && by_partition(1) > 0,
        "both partitions raise alerts"
    );
    assert_every_position_stored(&db, &ref_positions).await;
    let received = hook.wait_all(&change_keys(&ref_alerts)).await;
    assert_archive_verifies(&cfg("engine-1"));
    eprintln!(
        "cluster partitions: {} alerts ({} on partition 0, {} on 1), {} changes ({received} webhook deliveries), {} positions, kill -9 after line {split}",
        want.len(),
        by_partition(0),
        by_partition(1),
        ref_alerts.len(),
        ref_positions.len()
    );
    drop((ingest, api, e1, e3));
}

/// A `nats-server` of this test's own (JetStream on, its own port and
/// store), so that stopping it disturbs no other test.
struct OwnNats {
    bin: &'static str,
    child: Option<std::process::Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl OwnNats {
    async fn start() -> Option<OwnNats> {
        let Some(bin) = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|b| Path::new(b).exists())
        else {
            eprintln!("SKIPPED (NATS outage): no nats-server binary");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut n = OwnNats {
            bin,
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        n.resume().await;
        Some(n)
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, on the same port and store) and waits until it answers.
    async fn resume(&mut self) {
        self.child = Some(
            std::process::Command::new(self.bin)
                .args([
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-js",
                    "-sd",
                ])
                .arg(self.dir.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "nats-server not answering");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A metric's value in a node's `/metrics` (0 if absent).
async fn metric(n: &Node, name: &str) -> f64 {
    let (_, body) = request(n.http, "GET", "/metrics", None).await;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_buffers_while_nats_is_stopped_and_nothing_is_lost() {
    let Some(pg) = pg_base_url("cluster NATS outage") else {
        return;
    };
    let Some(mut nats) = OwnNats::start().await else {
        return;
    };
    let db = pg_schema(&pg, "clnats").await;
    let Halves {
        lines,
        split,
        ref_alerts,
        ref_positions,
        first_positions,
    } = Halves::of_sample();

    let dir = tempfile::tempdir().unwrap();
    let centres = centres_toml();
    let cfg = |name: &str| node_config(dir.path(), &db, &nats.url(), "outage", name, &centres);
    let engine = spawn_node(dir.path(), &cfg("engine-1"), "engine", "engine-1").await;
    until_leader(&engine, Duration::from_secs(60)).await;
    let ingest = spawn_node(dir.path(), &cfg("ingest-1"), "ingest", "ingest-1").await;
    feed(ingest.tcp.unwrap(), &lines[..split]).await;
    until_positions(&db, first_positions.len(), &[&ingest, &engine]).await;

    // NATS stopped for 30 s while the rest of the feed arrives: it waits
    // in the ingest node's buffer, which says so.
    nats.stop();
    let stopped = Instant::now();
    feed(ingest.tcp.unwrap(), &lines[split..]).await;
    let fed = (lines.len() - split) as f64;
    loop {
        let buffered = metric(&ingest, "aiswatch_cluster_lines_buffered").await;
        let (status, body) = request(ingest.http, "GET", "/readyz", None).await;
        if buffered > 0.0 && status == 503 && body.contains("line stream unreachable") {
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(25),
            "the ingest node never said it buffers ({buffered} lines buffered, /readyz {status} {body}):\n{}",
            ingest.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(stopped.elapsed())).await;
    nats.resume().await;

    until_positions(&db, ref_positions.len(), &[&ingest, &engine]).await;
    assert_eq!(
        metric(&ingest, "aiswatch_cluster_lines_overflowed_total").await,
        0.0
    );
    assert!(metric(&ingest, "aiswatch_cluster_lines_published_total").await >= fed);
    let got = api_alerts(engine.http, ADMIN).await;
    assert_eq!(got, reference_changes(&ref_alerts));
    eprintln!(
        "cluster NATS outage: {} of {} lines fed while NATS was stopped for 30 s, none lost",
        lines.len() - split,
        lines.len()
    );
}

/// A TCP proxy to PostgreSQL that can be cut: its connections closed and
/// new ones refused, as when the database host becomes unreachable.
struct Proxy {
    addr: SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (up, _) = tokio::sync::watch::channel(true);
        let rx = up.subscribe();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = l.accept().await else {
                    return;
                };
                let mut rx = rx.clone();
                if !*rx.borrow_and_update() {
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Proxy { addr, up }
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let (at, end) = host_port(url);
        format!("{}{}{}", &url[..at], self.addr, &url[end..])
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_unreachable_for_30_s_loses_nothing() {
    let Some((pg, nats)) = urls("cluster store outage") else {
        return;
    };
    let db = pg_schema(&pg, "clpg").await;
    let (at, end) = host_port(&pg);
    let proxy = Proxy::start(pg[at..end].to_owned()).await;
    let via_proxy = proxy.url(&db);
    let prefix = unique_prefix("awp");
    let Halves {
        lines,
        split,
        ref_alerts,
        ref_positions,
        first_positions,
    } = Halves::of_sample();

    let dir = tempfile::tempdir().unwrap();
    let centres = centres_toml();
    let cfg = |name: &str| node_config(dir.path(), &via_proxy, &nats, &prefix, name, &centres);
    let e1 = spawn_node(dir.path(), &cfg("engine-1"), "engine", "engine-1").await;
    until_leader(&e1, Duration::from_secs(60)).await;
    let e2 = spawn_node(dir.path(), &cfg("engine-2"), "engine", "engine-2").await;
    let ingest = spawn_node(dir.path(), &cfg("ingest-1"), "ingest", "ingest-1").await;
    feed(ingest.tcp.unwrap(), &lines[..split]).await;
    until_positions(&db, first_positions.len(), &[&ingest, &e1, &e2]).await;

    // The store unreachable for 30 s while the rest of the feed arrives:
    // the line stream keeps it.
    proxy.cut();
    let cut = Instant::now();
    feed(ingest.tcp.unwrap(), &lines[split..]).await;
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(cut.elapsed())).await;
    assert_eq!(stored_positions(&db).await, first_positions.len() as i64);
    proxy.restore();

    until_positions(&db, ref_positions.len(), &[&ingest, &e1, &e2]).await;
    assert_every_position_stored(&db, &ref_positions).await;
    // Whichever engine leads now answers with replay's alerts.
    let deadline = Instant::now() + Duration::from_secs(60);
    let leader = loop {
        if cluster_of(&e2).await["leader"] == true {
            break &e2;
        }
        if cluster_of(&e1).await["leader"] == true {
            break &e1;
        }
        assert!(
            Instant::now() < deadline,
            "no leader after the outage:\n{}\n-----\n{}",
            e1.log(),
            e2.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        api_alerts(leader.http, ADMIN).await,
        reference_changes(&ref_alerts)
    );
    eprintln!(
        "cluster store outage: {} of {} lines fed while the store was unreachable for 30 s, none lost; {} leads after",
        lines.len() - split,
        lines.len(),
        cluster_of(leader).await["node"]
    );
}
