//! ① Sources: where raw lines come from. Each source has an id that travels
//! with its lines, so that framing state (multi-part reassembly) is kept per
//! source and every reject can be attributed to a receiver.
//!
//! Sources only read and split lines; they never parse NMEA. They send
//! [`LineBatch`]es to the decode stage over a bounded channel.
//!
//! Every source runs until its [`CancellationToken`] is cancelled (the file
//! source also ends at end of file) and then drops its sender: the last
//! dropped sender is how the decode stage learns that ingest is over.
//! Backpressure follows the style guide: TCP and file sources wait for room
//! (`send().await`), UDP sources `try_send` and count what they drop.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounter, IntGauge};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use aiswatch_core::time::Millis;

pub mod file;
pub mod playback;
mod split;
pub mod tcp;
pub mod udp;

pub use split::LineSplitter;

/// A source's id, from config (e.g. `"udp"`, `"aishub"`). Cheap to clone.
pub type SourceId = Arc<str>;

pub use aiswatch_decode::input::MAX_LINE_BYTES;

/// One line as received, with its arrival time (wall clock at the source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// When the line arrived, by the wall clock.
    pub received_at: Millis,
    /// The line without its terminator. Not necessarily UTF-8.
    pub text: Vec<u8>,
}

/// Lines from one source, in arrival order.
#[derive(Debug, Clone)]
pub struct LineBatch {
    /// The source they came from.
    pub source: SourceId,
    /// The receiver that sent them (TCP connection or UDP sender), if the
    /// source has several: framing state (multi-part messages) is kept per
    /// receiver, so two receivers' fragments never join. Not a metric label.
    pub peer: Option<SocketAddr>,
    /// The lines.
    pub lines: Vec<RawLine>,
    /// Where the last of them is in the cluster's line stream (an engine
    /// node reads its lines from there); `None` from a source.
    pub position: Option<u64>,
    /// Lines an engine taking over reads again only for the decoder's
    /// reassembly state (a multi-part message begun before it took over):
    /// decoded, never forwarded nor archived. `false` from a source.
    pub prelude: bool,
}

/// One configured source (`[[sources]]` in the TOML config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// Listen for UDP datagrams (AIS-catcher, rtl-ais and most receivers send this).
    Udp {
        /// Source id.
        id: String,
        /// Address to bind, e.g. `0.0.0.0:10110`.
        bind: SocketAddr,
        /// Socket receive buffer to ask the kernel for (`SO_RCVBUF`), in
        /// bytes: what absorbs a burst while the reader is busy. Linux grants
        /// at most `net.core.rmem_max` (doubled); datagrams beyond are
        /// dropped by the kernel and counted in
        /// `aiswatch_source_dropped_datagrams_total`. Default 4 MiB.
        #[serde(default)]
        recv_buffer_bytes: Option<usize>,
    },
    /// Connect to a receiver or aggregator and read its stream; reconnects
    /// with capped exponential backoff.
    TcpClient {
        /// Source id.
        id: String,
        /// `host:port` to connect to.
        addr: String,
        /// First reconnect delay.
        #[serde(default = "default_backoff_min", with = "humantime_serde")]
        backoff_min: Duration,
        /// Longest reconnect delay.
        #[serde(default = "default_backoff_max", with = "humantime_serde")]
        backoff_max: Duration,
        /// Reconnect if nothing arrives for this long (a silent half-open
        /// connection is a common failure of receivers).
        #[serde(default = "default_idle_timeout", with = "humantime_serde")]
        idle_timeout: Duration,
    },
    /// Accept TCP connections that receivers push lines to.
    TcpServer {
        /// Source id.
        id: String,
        /// Address to bind.
        bind: SocketAddr,
        /// Most simultaneous connections. When full, a silent connection is
        /// closed for a new one (see [`tcp::serve_with`]).
        #[serde(default = "default_max_connections")]
        max_connections: usize,
        /// Most simultaneous connections from one IP address.
        #[serde(default = "default_max_connections_per_peer")]
        max_connections_per_peer: usize,
        /// Most simultaneous connections from one network (IPv4 /24, IPv6
        /// /64). Default: a quarter of `max_connections`, at least
        /// `max_connections_per_peer`.
        #[serde(default)]
        max_connections_per_prefix: Option<usize>,
        /// Close a connection that delivers no complete line for this long.
        #[serde(default = "default_idle_timeout", with = "humantime_serde")]
        idle_timeout: Duration,
    },
    /// Read a file (`.gz` accepted) once, or `-` for stdin; or play it
    /// back on its own clock, looped (see [`playback`]).
    File {
        /// Source id.
        id: String,
        /// Path, or `-` for stdin.
        path: PathBuf,
        /// Play at this multiple of the data's own clock (tag-block `c:`
        /// times): 60 plays an hour of data in a minute. Default: as fast as
        /// the pipeline takes it.
        #[serde(default)]
        speed: Option<f64>,
        /// At the end of the file, start again, every tag-block time shifted
        /// by one more period (see [`playback::period_ms`]). Not for stdin.
        #[serde(default, rename = "loop")]
        looped: bool,
    },
}

/// Connections from one IP address a TCP server accepts by default: a
/// receiver site needs one or two; eight leaves room for reconnects racing
/// the old connection's close and a few receivers behind one NAT.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 8;

/// Connections from one network (IPv4 /24, IPv6 /64) a TCP server accepts
/// by default: a quarter of `max_connections` (so that filling the server
/// takes four networks), but at least `max_connections_per_peer` and at
/// most `max_connections`.
pub fn default_max_connections_per_prefix(max_connections: usize, per_peer: usize) -> usize {
    (max_connections / 4).max(per_peer).min(max_connections)
}

/// A TCP server closes a connection that sends no complete line for this
/// long, by default. Five minutes, as the client's idle timeout: a receiver
/// with any vessel or base station in range sends every few seconds (base
/// stations report every 10 s), so only a dead or hostile peer stays silent
/// that long; a quiet receiver that is dropped reconnects. Silent
/// connections cannot lock others out meanwhile: they are the first evicted
/// when the server is full.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// UDP receive buffer asked for by default: ~25,000 typical datagrams,
/// a few seconds of a busy aggregate feed while the reader is held up.
pub const DEFAULT_RECV_BUFFER_BYTES: usize = 4 << 20;

/// Longest timeout accepted in a source's config (100 years): beyond, time
/// arithmetic overflows.
const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 86_400);
/// Most connections a TCP server may be configured for.
const MAX_CONNECTIONS: usize = 1_000_000;
/// Largest UDP receive buffer that may be asked for (`SO_RCVBUF` is an `int`).
const MAX_RECV_BUFFER_BYTES: usize = 1 << 30;

/// A source config value that cannot work, named by source and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source {id:?}: {key} {why}")]
pub struct InvalidSource {
    /// The source's id.
    pub id: String,
    /// The key at fault.
    pub key: &'static str,
    /// What is wrong with its value.
    pub why: String,
}

impl SourceConfig {
    /// Checks values that cannot work. The message names the source and the
    /// key, e.g. `source "push": max_connections must be at least 1`.
    pub fn validate(&self) -> Result<(), InvalidSource> {
        let bad = |key: &'static str, why: &str| {
            Err(InvalidSource {
                id: self.id().to_owned(),
                key,
                why: why.to_owned(),
            })
        };
        let timeout = |key: &'static str, d: &Duration| {
            if d.is_zero() {
                bad(key, "must be longer than 0s")
            } else if *d > MAX_TIMEOUT {
                bad(key, "must be at most 100 years")
            } else {
                Ok(())
            }
        };
        match self {
            SourceConfig::Udp {
                recv_buffer_bytes: Some(b),
                ..
            } if !(1024..=MAX_RECV_BUFFER_BYTES).contains(b) => {
                bad("recv_buffer_bytes", "must be between 1024 and 1073741824")
            }
            SourceConfig::File { speed: Some(s), .. } if !(s.is_finite() && *s > 0.0) => bad(
                "speed",
                &format!("must be a finite number above 0, found {s}"),
            ),
            SourceConfig::File {
                path, looped: true, ..
            } if path == std::path::Path::new("-") => bad(
                "loop",
                "cannot be set for stdin (path \"-\"): it cannot be read again",
            ),
            SourceConfig::Udp { .. } | SourceConfig::File { .. } => Ok(()),
            SourceConfig::TcpClient {
                backoff_min,
                backoff_max,
                idle_timeout,
                ..
            } => {
                timeout("idle_timeout", idle_timeout)?;
                if *backoff_min > MAX_TIMEOUT || *backoff_max > MAX_TIMEOUT {
                    return bad("backoff_min/backoff_max", "must be at most 100 years");
                }
                Ok(())
            }
            SourceConfig::TcpServer {
                max_connections,
                max_connections_per_peer,
                max_connections_per_prefix,
                idle_timeout,
                ..
            } => {
                // max_connections itself is checked with the other pool
                // sizes (config::limits).
                if (1..=MAX_CONNECTIONS).contains(max_connections) {
                    if !(1..=*max_connections).contains(max_connections_per_peer) {
                        return bad(
                            "max_connections_per_peer",
                            "must be between 1 and max_connections",
                        );
                    }
                    if let Some(n) = max_connections_per_prefix {
                        if !(*max_connections_per_peer..=*max_connections).contains(n) {
                            return bad(
                                "max_connections_per_prefix",
                                "must be between max_connections_per_peer and max_connections",
                            );
                        }
                    }
                }
                timeout("idle_timeout", idle_timeout)
            }
        }
    }

    /// The source's id.
    pub fn id(&self) -> &str {
        match self {
            SourceConfig::Udp { id, .. }
            | SourceConfig::TcpClient { id, .. }
            | SourceConfig::TcpServer { id, .. }
            | SourceConfig::File { id, .. } => id,
        }
    }
}

fn default_backoff_min() -> Duration {
    Duration::from_millis(500)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(30)
}
fn default_idle_timeout() -> Duration {
    DEFAULT_IDLE_TIMEOUT
}
fn default_max_connections() -> usize {
    64
}
fn default_max_connections_per_peer() -> usize {
    DEFAULT_MAX_CONNECTIONS_PER_PEER
}

/// Why a source could not start or had to stop.
///
/// Only start-up failures (bind, open) and an unreadable file end a source;
/// connection and read errors of network sources are counted in
/// `aiswatch_source_errors_total`, logged, and retried or confined to their
/// connection.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The UDP socket could not be bound.
    #[error("source {id}: cannot bind UDP socket to {addr}: {source}")]
    BindUdp {
        /// Source id.
        id: SourceId,
        /// Address from config.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The TCP listener could not be bound.
    #[error("source {id}: cannot listen on TCP {addr}: {source}")]
    BindTcp {
        /// Source id.
        id: SourceId,
        /// Address from config.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The file (or stdin) could not be opened.
    #[error("source {id}: cannot open {}: {source}", path.display())]
    Open {
        /// Source id.
        id: SourceId,
        /// Path from config.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Reading the file failed part-way (e.g. a truncated `.gz`); the lines
    /// before the error were delivered.
    #[error("source {id}: read error in {}: {source}", path.display())]
    Read {
        /// Source id.
        id: SourceId,
        /// Path from config.
        path: PathBuf,
        /// The I/O or decompression error.
        source: io::Error,
    },
    /// A config value cannot work (see [`SourceConfig::validate`]).
    #[error(transparent)]
    Config(#[from] InvalidSource),
    /// The blocking reader task panicked or was aborted.
    #[error("source {id}: reader task failed: {source}")]
    Task {
        /// Source id.
        id: SourceId,
        /// The join error.
        source: tokio::task::JoinError,
    },
}

/// A started source: runs until cancelled (or, for a file, until its end).
pub type RunningSource =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SourceError>> + Send>>;

/// What [`start_source_with`] returns: the source's future, and where it
/// listens.
pub struct StartedSource {
    /// Runs the source (see [`start_source`]).
    pub run: RunningSource,
    /// The address a listening source (UDP, TCP server) is bound to, as the
    /// OS reports it: with port 0 in the config, the port it picked. `None`
    /// for sources that do not listen.
    pub local_addr: Option<SocketAddr>,
}

/// Starts one configured source: binds its socket or opens its file now, so
/// that a wrong address or path fails the daemon's start, and returns the
/// future that runs it, sending its lines to `tx`.
///
/// The future returns `Ok(())` on cancellation, at end of file, or when the
/// receiving side of `tx` is gone. Network errors after start-up are
/// counted, logged and retried, never returned. When it returns, the source
/// has dropped every clone of `tx` it held.
///
impl SourceConfig {
    /// Whether the source goes on from the engine's rebuilt clock (a looped
    /// file: see [`SourceEnv::resume_after`]), and so starts only once the
    /// rebuild is done.
    pub fn resumes(&self) -> bool {
        matches!(self, SourceConfig::File { looped: true, .. })
    }
}

/// A looped file source plays as for an engine with default settings and no
/// history; [`start_source_with`] takes the daemon's (see [`SourceEnv`]).
pub async fn start_source(
    cfg: SourceConfig,
    tx: mpsc::Sender<LineBatch>,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) -> Result<RunningSource, SourceError> {
    let started = start_source_with(cfg, tx, metrics, cancel, SourceEnv::default()).await?;
    Ok(started.run)
}

/// What a looped file source needs to know of the engine it feeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceEnv {
    /// The engine's `vessel_ttl`: the least data time left between passes
    /// (see [`playback::period_ms`]).
    pub vessel_ttl: Duration,
    /// The engine's clock as rebuilt from the store, if any: a looped file
    /// source starts at its first pass whose times all come after it, so a
    /// restarted daemon goes on where it stopped instead of replaying, as
    /// late positions, passes it has already seen.
    pub resume_after: Option<aiswatch_core::time::Millis>,
}

impl Default for SourceEnv {
    fn default() -> Self {
        SourceEnv {
            vessel_ttl: aiswatch_engine::engine::EngineConfig::default().vessel_ttl,
            resume_after: None,
        }
    }
}

/// [`start_source`], for the engine `env` describes; also tells the
/// address the source listens on.
pub async fn start_source_with(
    cfg: SourceConfig,
    tx: mpsc::Sender<LineBatch>,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
    env: SourceEnv,
) -> Result<StartedSource, SourceError> {
    cfg.validate().map_err(SourceError::Config)?;
    let ctx = SourceCtx::new(cfg.id().into(), tx, &metrics, cancel);
    let mut local_addr = None;
    let run: RunningSource = match cfg {
        SourceConfig::Udp {
            bind,
            recv_buffer_bytes,
            ..
        } => {
            let socket =
                udp::bind(bind, recv_buffer_bytes).map_err(|source| SourceError::BindUdp {
                    id: ctx.id.clone(),
                    addr: bind,
                    source,
                })?;
            local_addr = socket.local_addr().ok();
            Box::pin(udp::run(ctx, socket))
        }
        SourceConfig::TcpClient {
            addr,
            backoff_min,
            backoff_max,
            idle_timeout,
            ..
        } => {
            let opts = tcp::ClientOptions {
                backoff_min,
                backoff_max,
                idle_timeout,
            };
            Box::pin(async move {
                tcp::run_client(ctx, addr, opts).await;
                Ok(())
            })
        }
        SourceConfig::TcpServer {
            bind,
            max_connections,
            max_connections_per_peer,
            max_connections_per_prefix,
            idle_timeout,
            ..
        } => {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|source| SourceError::BindTcp {
                    id: ctx.id.clone(),
                    addr: bind,
                    source,
                })?;
            local_addr = listener.local_addr().ok();
            let opts = tcp::ServerOptions {
                max_connections,
                max_connections_per_peer,
                max_connections_per_prefix: max_connections_per_prefix.unwrap_or_else(|| {
                    default_max_connections_per_prefix(max_connections, max_connections_per_peer)
                }),
                idle_timeout,
            };
            Box::pin(async move {
                tcp::serve_with(ctx, listener, opts).await;
                Ok(())
            })
        }
        SourceConfig::File {
            path,
            speed,
            looped,
            ..
        } => {
            if path != std::path::Path::new("-") {
                std::fs::metadata(&path).map_err(|source| SourceError::Open {
                    id: ctx.id.clone(),
                    path: path.clone(),
                    source,
                })?;
            }
            let play = playback::Playback {
                speed,
                looped,
                vessel_ttl: env.vessel_ttl,
                resume_after: env.resume_after,
            };
            Box::pin(file::run_with(ctx, path, play))
        }
    };
    Ok(StartedSource { run, local_addr })
}

/// Starts `cfg` and runs it to its end (see [`start_source`]).
pub async fn run_source(
    cfg: SourceConfig,
    tx: mpsc::Sender<LineBatch>,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) -> Result<(), SourceError> {
    start_source(cfg, tx, metrics, cancel).await?.await
}

/// A source's metric handles, resolved once for its `source` label so the
/// per-read path does no label lookups.
#[derive(Clone)]
pub(crate) struct SourceMetrics {
    pub(crate) lines: IntCounter,
    pub(crate) bytes: IntCounter,
    pub(crate) dropped: IntCounter,
    pub(crate) connections: IntCounter,
    pub(crate) errors: IntCounter,
    pub(crate) up: IntGauge,
    pub(crate) closed_idle: IntCounter,
    pub(crate) closed_evicted: IntCounter,
    pub(crate) closed_limit: IntCounter,
    pub(crate) closed_peer_limit: IntCounter,
    pub(crate) closed_prefix_limit: IntCounter,
    pub(crate) dropped_datagrams: IntCounter,
    pub(crate) recv_buffer: IntGauge,
    pub(crate) passes: IntCounter,
    pub(crate) playback_lag: prometheus::Gauge,
}

impl SourceMetrics {
    fn new(m: &Metrics, id: &str) -> Self {
        let l = [id];
        SourceMetrics {
            lines: m.source_lines.with_label_values(&l),
            bytes: m.source_bytes.with_label_values(&l),
            dropped: m.source_dropped.with_label_values(&l),
            connections: m.source_connections.with_label_values(&l),
            errors: m.source_errors.with_label_values(&l),
            up: m.source_up.with_label_values(&l),
            closed_idle: m
                .source_connections_closed
                .with_label_values(&[id, "idle_timeout"]),
            closed_evicted: m
                .source_connections_closed
                .with_label_values(&[id, "evicted"]),
            closed_limit: m
                .source_connections_closed
                .with_label_values(&[id, "limit"]),
            closed_peer_limit: m
                .source_connections_closed
                .with_label_values(&[id, "peer_limit"]),
            closed_prefix_limit: m
                .source_connections_closed
                .with_label_values(&[id, "prefix_limit"]),
            dropped_datagrams: m.source_dropped_datagrams.with_label_values(&l),
            recv_buffer: m.source_receive_buffer_bytes.with_label_values(&l),
            passes: m.source_passes.with_label_values(&l),
            playback_lag: m.source_playback_lag_seconds.with_label_values(&l),
        }
    }
}

/// What every source needs besides its own config: its id, where its lines
/// go, its metrics and its stop signal. Cloning is cheap (one per TCP
/// connection); each clone holds a sender, so a source has ended for the
/// downstream only once every clone is dropped.
#[derive(Clone)]
pub struct SourceCtx {
    pub(crate) id: SourceId,
    pub(crate) tx: mpsc::Sender<LineBatch>,
    pub(crate) metrics: SourceMetrics,
    pub(crate) cancel: CancellationToken,
}

impl SourceCtx {
    /// Bundles a source's id, output channel, metrics (labelled with `id`)
    /// and cancellation token.
    pub fn new(
        id: SourceId,
        tx: mpsc::Sender<LineBatch>,
        metrics: &Metrics,
        cancel: CancellationToken,
    ) -> Self {
        let metrics = SourceMetrics::new(metrics, &id);
        SourceCtx {
            id,
            tx,
            metrics,
            cancel,
        }
    }

    /// The source's id.
    pub fn id(&self) -> &SourceId {
        &self.id
    }

    /// Sends `lines` in order, in batches of at most `max` lines, waiting for
    /// room in the channel (backpressure). Returns `false` if the source was
    /// cancelled meanwhile or the receiver is gone: the caller should stop.
    pub(crate) async fn send_all(
        &self,
        lines: Vec<RawLine>,
        max: usize,
        peer: Option<SocketAddr>,
    ) -> bool {
        for batch in into_batches(lines, max) {
            let batch = LineBatch {
                source: self.id.clone(),
                peer,
                lines: batch,
                position: None,
                prelude: false,
            };
            tokio::select! {
                r = self.tx.send(batch) => {
                    if r.is_err() {
                        tracing::debug!(source = %self.id, "Receiver gone; stopping.");
                        return false;
                    }
                }
                _ = self.cancel.cancelled() => return false,
            }
        }
        true
    }
}

/// Splits `lines` into consecutive batches of at most `max` (≥ 1) lines,
/// without copying when they already fit in one.
pub(crate) fn into_batches(lines: Vec<RawLine>, max: usize) -> impl Iterator<Item = Vec<RawLine>> {
    let max = max.max(1);
    let (mut whole, rest) = if lines.len() <= max {
        ((!lines.is_empty()).then_some(lines), Vec::new())
    } else {
        (None, lines)
    };
    let mut iter = rest.into_iter();
    std::iter::from_fn(move || {
        if let Some(w) = whole.take() {
            return Some(w);
        }
        let b: Vec<RawLine> = iter.by_ref().take(max).collect();
        (!b.is_empty()).then_some(b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_capped_and_ordered() {
        let lines: Vec<RawLine> = (0..600)
            .map(|i| RawLine {
                received_at: i,
                text: vec![b'a'],
            })
            .collect();
        let b: Vec<Vec<RawLine>> = into_batches(lines, 256).collect();
        assert_eq!(
            b.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![256, 256, 88]
        );
        assert_eq!(b[2][0].received_at, 512);
        assert_eq!(into_batches(Vec::new(), 256).count(), 0);
        let one = vec![RawLine {
            received_at: 0,
            text: vec![b'a'],
        }];
        assert_eq!(into_batches(one, 256).count(), 1);
    }
}
