//! ① Sources: where raw lines come from. Each source has an id that travels
//! with its lines, so that framing state (multi-part reassembly) is kept per
//! source and every reject can be attributed to a receiver.
//!
//! Sources only read and split lines; they never parse NMEA. They send
//! [`LineBatch`]es to the decode stage over a bounded channel.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::time::Millis;

pub mod file;
pub mod tcp;
pub mod udp;

/// A source's id, from config (e.g. `"udp"`, `"aishub"`). Cheap to clone.
pub type SourceId = Arc<str>;

/// Longest line a source passes on whole; longer lines are cut to this length
/// (the decoder then rejects them as `too_long`) and the rest up to the next
/// newline is skipped, so a runaway line can never stall or exhaust memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

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
    /// The lines.
    pub lines: Vec<RawLine>,
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
        /// Most simultaneous connections.
        #[serde(default = "default_max_connections")]
        max_connections: usize,
    },
    /// Read a file (`.gz` accepted) once, or `-` for stdin.
    File {
        /// Source id.
        id: String,
        /// Path, or `-` for stdin.
        path: PathBuf,
    },
}

impl SourceConfig {
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
    Duration::from_secs(300)
}
fn default_max_connections() -> usize {
    64
}

/// TEMPORARY stub until the sources land.
pub async fn run_source(
    _cfg: SourceConfig,
    _tx: tokio::sync::mpsc::Sender<LineBatch>,
    _metrics: Arc<crate::metrics::Metrics>,
    _cancel: tokio_util::sync::CancellationToken,
) -> Result<(), std::io::Error> {
    Ok(())
}
