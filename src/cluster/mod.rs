//! aiswatch as a cluster: the same pipeline split over processes, with
//! NATS JetStream between them and PostgreSQL under them.
//!
//! ```text
//! sources ─▶ ingest nodes ──JetStream `<prefix>_lines`──▶ engine leaders ─▶ PostgreSQL ◀─ api nodes
//!            (any number)     (durable, deduplicated)      (one per partition; (store,      (any number)
//!                                                           standbys wait on    outbox)
//!                                                           a lease)
//! ```
//!
//! - [`ingest`]: the sources publish every line they take to the stream,
//!   buffering while NATS is away.
//! - [`lease`]: one engine at a time leads each partition, holding a
//!   PostgreSQL advisory lock; its epoch fences its store commits.
//! - [`consume`]: a leader reads the stream from just after the position
//!   the store committed, so no line is skipped and none applied twice.
//! - [`view`]: api nodes (and standbys) answer from the store and from the
//!   vessel state partition 0's leader publishes there.
//! - [`node`]: what each `--role` runs.
//!
//! Partitions divide the zones, not the lines: every leader reads every
//! line (a track, or a meeting of two vessels, needs all of them) and
//! raises the alerts of its own zones ([`ClusterConfig::zones_of`]), so
//! each detector sees what one engine sees. Partition 0's leader also
//! stores the records, delivers and publishes the vessel state.
//!
//! No consensus, queue or replication of our own: JetStream keeps the lines,
//! PostgreSQL the state and the leases.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::{Gauge, IntCounter, IntGauge, IntGaugeVec, Opts, Registry};
use serde::{Deserialize, Serialize};

pub mod consume;
pub mod ingest;
pub mod lease;
pub mod node;
pub mod view;

/// The subject every line goes to: each partition's leader reads them all.
pub const LINES: u32 = 0;
/// The partition that stores the records (positions, static data, the raw
/// archive), publishes the vessel state and delivers.
pub const FIRST: u32 = 0;
/// Most partitions a cluster may have.
pub const MAX_PARTITIONS: u32 = 64;

/// `[cluster]`: how this node finds the others.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// The NATS server (JetStream on), e.g. `nats://nats:4222`.
    pub nats_url: String,
    /// A NATS credentials file (`.creds`), if the server asks for one.
    #[serde(default)]
    pub nats_creds: Option<PathBuf>,
    /// This node's name, unique in the cluster (logs, status, the lease).
    pub node: String,
    /// What every stream, consumer, lease and published state of this
    /// cluster is named with, so that clusters can share a NATS server
    /// and a database.
    pub prefix: String,
    /// How many engines lead at once, each for the alerts of its share of
    /// the zones (1: one leader for all of them). The same on every node.
    #[serde(default = "one")]
    pub partitions: u32,
    /// Zones placed on a partition by hand (zone id → partition); any
    /// other zone goes where a hash of its id puts it.
    #[serde(default)]
    pub zone_partitions: std::collections::BTreeMap<String, u32>,
}

fn one() -> u32 {
    1
}

impl ClusterConfig {
    /// Problems with the values, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !token(&self.prefix) {
            out.push(format!(
                "[cluster] prefix = {:?}: 1 to 64 of A-Z, a-z, 0-9, '_' and '-' (it names NATS streams and subjects)",
                self.prefix
            ));
        }
        if !token(&self.node) {
            out.push(format!(
                "[cluster] node = {:?}: 1 to 64 of A-Z, a-z, 0-9, '_' and '-'",
                self.node
            ));
        }
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            out.push(format!(
                "[cluster] partitions = {}: 1 to {MAX_PARTITIONS}",
                self.partitions
            ));
        }
        for (zone, &p) in &self.zone_partitions {
            if p >= self.partitions {
                out.push(format!(
                    "[cluster.zone_partitions] {zone:?} = {p}: partitions are numbered 0 to {} ([cluster] partitions = {})",
                    self.partitions.saturating_sub(1),
                    self.partitions
                ));
            }
        }
        if !(self.nats_url.starts_with("nats://") || self.nats_url.starts_with("tls://")) {
            out.push(format!(
                "[cluster] nats_url = {:?}: expected nats://HOST:PORT or tls://HOST:PORT",
                self.nats_url
            ));
        }
        out
    }

    /// The partition whose leader raises zone `zone`'s alerts: as
    /// `[cluster.zone_partitions]` says, or the first 8 bytes of the
    /// SHA-256 of its id modulo `partitions`.
    pub fn partition_of(&self, zone: &str) -> u32 {
        if let Some(&p) = self.zone_partitions.get(zone) {
            return p;
        }
        let n = u64::from(self.partitions.max(1));
        let h = <sha2::Sha256 as sha2::Digest>::digest(zone.as_bytes());
        (u64::from_be_bytes(h[..8].try_into().unwrap_or_default()) % n) as u32
    }

    /// Every partition, in order.
    pub fn all_partitions(&self) -> Vec<u32> {
        (0..self.partitions.max(1)).collect()
    }

    /// Every partition's engine lease, in partition order.
    pub fn leases(&self) -> Vec<String> {
        self.all_partitions()
            .iter()
            .map(|&p| self.lease(p))
            .collect()
    }

    /// The zones partition `p`'s engine runs with: its own, and every
    /// other zone whose bounding box meets one of theirs. Where zones
    /// overlap, what one raises depends on the others (a port keeps
    /// loitering and rendezvous quiet in the patrol zone around it; a
    /// meeting is the first zone's that runs the detector), so the engine
    /// runs them all there and hands over only its own zones' alerts
    /// ([`ClusterConfig::owns`]). Zones far from its own are left out.
    pub fn zones_of(&self, all: &aiswatch_zones::ZoneSet, p: u32) -> aiswatch_zones::ZoneSet {
        use geo::{BoundingRect, Intersects};
        let own: Vec<geo::Rect<f64>> = all
            .zones()
            .iter()
            .filter(|z| self.partition_of(&z.id) == p)
            .filter_map(|z| z.geometry.bounding_rect())
            .collect();
        all.filter_map(|z| {
            let near = self.partition_of(&z.id) == p
                || z.geometry
                    .bounding_rect()
                    .is_some_and(|b| own.iter().any(|o| o.intersects(&b)));
            near.then(|| z.clone())
        })
    }

    /// Whether an alert of `zone` is partition `p`'s to raise.
    pub fn owns(&self, p: u32) -> crate::storage::rebuild::Owns {
        let c = self.clone();
        std::sync::Arc::new(move |zone: &str| c.partition_of(zone) == p)
    }

    /// Zones of `[cluster.zone_partitions]` that `zones` does not hold.
    pub fn unknown_zones(&self, zones: &aiswatch_zones::ZoneSet) -> Vec<String> {
        self.zone_partitions
            .keys()
            .filter(|z| zones.get(z).is_none())
            .map(|z| format!("[cluster.zone_partitions] {z:?}: no zone file defines this zone"))
            .collect()
    }

    /// The JetStream stream holding every line the ingest nodes took.
    pub fn stream(&self) -> String {
        format!("{}_lines", self.prefix)
    }

    /// Subject `n` of the line stream (every line goes to [`LINES`]).
    pub fn subject(&self, n: u32) -> String {
        format!("{}.lines.{n}", self.prefix)
    }

    /// The durable consumer the leader of partition `p` reads with.
    pub fn consumer(&self, p: u32) -> String {
        format!("{}_engine_{p}", self.prefix)
    }

    /// The engine lease of partition `p` (also the name its published
    /// vessel state is kept under).
    pub fn lease(&self, p: u32) -> String {
        format!("{}/engine/{p}", self.prefix)
    }
}

/// What a node runs (`aiswatch run --role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process (sources, engine, store, delivery, API).
    #[default]
    All,
    /// Sources only: every line goes to the cluster's line stream.
    Ingest,
    /// Decode, engine and store for the partition whose lease it holds
    /// (with delivery, on partition 0); a standby until then.
    Engine,
    /// The API and console, from the store.
    Api,
}

impl Role {
    /// As on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Ingest => "ingest",
            Role::Engine => "engine",
            Role::Api => "api",
        }
    }
}

/// Why a role cannot run on this config: `[cluster]` missing, or a store
/// other than PostgreSQL (each naming the key).
pub fn check(role: Role, cluster: Option<&ClusterConfig>, store_url: &str) -> Vec<String> {
    if role == Role::All {
        return cluster.map(ClusterConfig::problems).unwrap_or_default();
    }
    let mut out = match cluster {
        None => vec![format!(
            "--role {}: the config has no [cluster] section (nats_url, node, prefix)",
            role.as_str()
        )],
        Some(c) => c.problems(),
    };
    if role != Role::Ingest && !store_url.starts_with("postgres") {
        out.push(format!(
            "--role {}: [storage] url must be a postgres:// URL (every node of a cluster shares the store), not {}",
            role.as_str(),
            crate::storage::redact(store_url)
        ));
    }
    out
}

/// This node as `/api/v1/status` shows it.
#[derive(Debug)]
pub struct NodeStatus {
    /// `[cluster] node`.
    pub node: String,
    /// Its role.
    pub role: Role,
    /// Whether it leads its partitions.
    pub leader: AtomicBool,
    /// The partitions it leads (engine), reads (api) or feeds (ingest).
    pub partitions: Mutex<Vec<u32>>,
    /// The node that last took the engine lease, as the store says.
    pub leader_node: Mutex<Option<String>>,
    /// Why the node cannot do its work now (e.g. the line stream
    /// unreachable), for `/readyz`.
    pub problem: Mutex<Option<String>>,
}

impl NodeStatus {
    /// A node that leads nothing yet, with `partitions`.
    pub fn new(node: &str, role: Role, partitions: Vec<u32>) -> Arc<NodeStatus> {
        Arc::new(NodeStatus {
            node: node.to_owned(),
            role,
            leader: AtomicBool::new(false),
            partitions: Mutex::new(partitions),
            leader_node: Mutex::new(None),
            problem: Mutex::new(None),
        })
    }

    /// Why the node cannot do its work now, if it cannot.
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|p| p.clone())
    }

    /// Sets or clears [`NodeStatus::problem`].
    pub fn set_problem(&self, p: Option<String>) {
        if let Ok(mut g) = self.problem.lock() {
            *g = p;
        }
    }

    /// The `cluster` object of `/api/v1/status`.
    pub fn view(&self) -> ClusterView {
        ClusterView {
            node: self.node.clone(),
            role: self.role.as_str(),
            leader: self.leader.load(Ordering::Relaxed),
            partitions: self
                .partitions
                .lock()
                .map(|p| p.clone())
                .unwrap_or_default(),
            leader_node: self.leader_node.lock().ok().and_then(|l| l.clone()),
        }
    }
}

/// The `cluster` object of `/api/v1/status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClusterView {
    /// `[cluster] node`.
    pub node: String,
    /// `ingest`, `engine` or `api`.
    pub role: &'static str,
    /// Whether this node leads its partition (an engine holding a lease).
    pub leader: bool,
    /// The partitions it leads (engine: none while a standby), reads (api)
    /// or feeds (ingest).
    pub partitions: Vec<u32>,
    /// The engine node that leads (partition 0 on all but a leader), as
    /// last known (null: none yet).
    pub leader_node: Option<String>,
}

/// The cluster's Prometheus metrics.
#[derive(Clone)]
pub struct ClusterMetrics {
    /// 1 while this node leads the partition.
    pub leader: IntGaugeVec,
    /// Times this node took or lost a lease.
    pub lease_changes: IntCounter,
    /// Lines the stream still holds for this leader.
    pub lag_messages: IntGauge,
    /// Wall time since the line just read was stored in the stream, s.
    pub lag_seconds: Gauge,
    /// Lines the stream acknowledged (ingest).
    pub published: IntCounter,
    /// Lines waiting for NATS (ingest).
    pub buffered: IntGauge,
    /// Lines dropped because the buffer was full (ingest).
    pub overflowed: IntCounter,
}

impl ClusterMetrics {
    /// Registers the metrics in `r`.
    ///
    /// # Errors
    /// A metric of the same name is registered already.
    pub fn register(r: &Registry) -> Result<ClusterMetrics, prometheus::Error> {
        let leader = IntGaugeVec::new(
            Opts::new(
                "aiswatch_cluster_leader",
                "1 while this engine node holds the partition's lease.",
            ),
            &["partition"],
        )?;
        let lease_changes = IntCounter::new(
            "aiswatch_cluster_lease_changes_total",
            "Times this node took or lost an engine lease.",
        )?;
        let lag_messages = IntGauge::new(
            "aiswatch_cluster_consumer_lag_messages",
            "Lines the stream holds that the leading engine has not read yet.",
        )?;
        let lag_seconds = Gauge::new(
            "aiswatch_cluster_consumer_lag_seconds",
            "Wall time between a line being stored in the stream and the leading engine reading it.",
        )?;
        let published = IntCounter::new(
            "aiswatch_cluster_lines_published_total",
            "Lines the stream acknowledged (ingest nodes).",
        )?;
        let buffered = IntGauge::new(
            "aiswatch_cluster_lines_buffered",
            "Lines waiting for NATS to acknowledge them (ingest nodes).",
        )?;
        let overflowed = IntCounter::new(
            "aiswatch_cluster_lines_overflowed_total",
            "Lines dropped because [channels] ingest_buffer was full while NATS was away (ingest nodes).",
        )?;
        r.register(Box::new(leader.clone()))?;
        r.register(Box::new(lease_changes.clone()))?;
        r.register(Box::new(lag_messages.clone()))?;
        r.register(Box::new(lag_seconds.clone()))?;
        r.register(Box::new(published.clone()))?;
        r.register(Box::new(buffered.clone()))?;
        r.register(Box::new(overflowed.clone()))?;
        Ok(ClusterMetrics {
            leader,
            lease_changes,
            lag_messages,
            lag_seconds,
            published,
            buffered,
            overflowed,
        })
    }
}

/// How long connecting to NATS may take before the client retries in
/// the background.
const NATS_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `[cluster] nats_url` as `<prefix>-<node>`. A server not
/// up yet is retried in the background (publishes wait or fail and are
/// retried by their callers).
///
/// # Errors
/// An unreadable credentials file or a bad URL, naming the key.
pub async fn connect(c: &ClusterConfig) -> Result<async_nats::Client, String> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(format!("aiswatch-{}-{}", c.prefix, c.node))
        .connection_timeout(NATS_CONNECT_TIMEOUT)
        .retry_on_initial_connect()
        .max_reconnects(None);
    if let Some(f) = &c.nats_creds {
        opts = opts
            .credentials_file(f)
            .await
            .map_err(|e| format!("[cluster] nats_creds = {}: {e}", f.display()))?;
    }
    opts.connect(c.nats_url.as_str())
        .await
        .map_err(|e| format!("[cluster] nats_url = {}: {e}", c.nats_url))
}

/// Makes the line stream exist (file storage, deduplicated by
/// `Nats-Msg-Id` over two minutes, lines kept seven days). An existing
/// stream is left as its operator configured it.
///
/// # Errors
/// NATS refused or did not answer.
pub async fn ensure_stream(
    js: &async_nats::jetstream::Context,
    c: &ClusterConfig,
) -> Result<async_nats::jetstream::stream::Stream, String> {
    use async_nats::jetstream::stream;
    js.get_or_create_stream(stream::Config {
        name: c.stream(),
        subjects: vec![format!("{}.lines.>", c.prefix)],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        max_age: Duration::from_secs(7 * 24 * 3600),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("stream {}: {e}", c.stream()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ClusterConfig {
        ClusterConfig {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats_creds: None,
            node: "engine-1".into(),
            prefix: "aw".into(),
            partitions: 1,
            zone_partitions: Default::default(),
        }
    }

    #[test]
    fn names_start_with_the_prefix() {
        let c = cfg();
        assert_eq!(c.stream(), "aw_lines");
        assert_eq!(c.subject(0), "aw.lines.0");
        assert_eq!(c.consumer(0), "aw_engine_0");
        assert_eq!(c.lease(0), "aw/engine/0");
    }

    #[test]
    fn roles_other_than_all_need_a_cluster_and_postgres() {
        assert!(check(Role::All, None, "sqlite://x.db").is_empty());
        let p = check(Role::Engine, None, "sqlite://x.db");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("[cluster]") && p[1].contains("[storage] url"));
        assert!(check(Role::Api, Some(&cfg()), "postgres://db/aw").is_empty());
        assert!(check(Role::Ingest, Some(&cfg()), "sqlite://x.db").is_empty());
        let bad = ClusterConfig {
            prefix: "a.b".into(),
            nats_url: "http://x".into(),
            ..cfg()
        };
        let p = check(Role::Ingest, Some(&bad), "");
        assert!(p.iter().any(|m| m.contains("[cluster] prefix")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("[cluster] nats_url")), "{p:?}");
    }

    #[test]
    fn zones_are_divided_among_the_partitions_with_the_zones_they_meet() {
        let zones_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
        let all = crate::config::Config::default()
            .engine(Some(&zones_dir))
            .unwrap()
            .zones()
            .clone();
        // By a hash of the id, unless placed by hand: stable, and the same
        // on every node.
        let hashed = ClusterConfig {
            partitions: 2,
            ..cfg()
        };
        let p = hashed.partition_of("sg-strait");
        assert!(p < 2 && (0..10).all(|_| hashed.partition_of("sg-strait") == p));
        // The Gulf of Guinea's patrol zone on partition 1, every other zone
        // (its anchorages too) on 0.
        let c = ClusterConfig {
            zone_partitions: all
                .zones()
                .iter()
                .map(|z| (z.id.to_string(), u32::from(z.id.as_str() == "gog-offshore")))
                .collect(),
            ..hashed
        };
        let (z0, z1) = (c.zones_of(&all, 0), c.zones_of(&all, 1));
        // Each partition runs its own zones as they are...
        for z in all.zones() {
            let set = if c.partition_of(&z.id) == 0 { &z0 } else { &z1 };
            assert_eq!(set.get(&z.id), Some(z), "{}", z.id);
        }
        // ... and the zones that meet them, whose alerts are not its own:
        // partition 1 the anchorages inside its patrol zone, partition 0
        // that patrol zone around its anchorages; no zone of another sea.
        let foreign = |set: &aiswatch_zones::ZoneSet, p: u32| -> Vec<String> {
            let mut v: Vec<String> = set
                .zones()
                .iter()
                .filter(|z| c.partition_of(&z.id) != p)
                .map(|z| z.id.to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(foreign(&z1, 1), ["cotonou-anch", "lagos-anch", "lome-anch"]);
        assert_eq!(foreign(&z0, 0), ["gog-offshore"]);
        assert_eq!(z1.len(), 4);
        let (o0, o1) = (c.owns(0), c.owns(1));
        assert!(o1("gog-offshore") && !o0("gog-offshore"));
        assert!(c.unknown_zones(&all).is_empty());
        let typo = ClusterConfig {
            zone_partitions: [("gog-ofshore".to_owned(), 1), ("sg-strait".to_owned(), 2)].into(),
            ..c
        };
        assert_eq!(typo.unknown_zones(&all).len(), 1);
        let p = typo.problems();
        assert!(
            p.len() == 1 && p[0].contains("\"sg-strait\" = 2") && p[0].contains("0 to 1"),
            "{p:?}"
        );
        let none = ClusterConfig {
            partitions: 0,
            ..cfg()
        };
        assert!(none.problems()[0].contains("[cluster] partitions = 0"));
    }
}
