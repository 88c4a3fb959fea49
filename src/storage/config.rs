//! `[storage]`: the store (SQLite by default, PostgreSQL at scale) and the
//! raw line archive.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// `[storage]`: the store (SQLite by default, PostgreSQL at scale) and the
/// raw line archive.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `sqlite://FILE` or `postgres://…`. Default: `sqlite://<data_dir>/aiswatch.db`.
    pub url: Option<String>,
    /// Directory for the SQLite file and the raw archive (flag `--data-dir`).
    pub data_dir: PathBuf,
    /// Positions and raw lines older than this are pruned in the background
    /// (positions by event time, against the newest stored event time; raw
    /// segments by receive time). Alerts are kept, and so is what a legal
    /// hold covers (`POST /api/v1/alerts/{id}/hold`). Default: keep everything.
    #[serde(with = "humantime_serde")]
    pub retention: Option<Duration>,
    /// How often retention runs (positions and raw segments), when
    /// `retention` is set. Default: 10 minutes.
    #[serde(with = "humantime_serde")]
    pub prune_every: Duration,
    /// Append every accepted line, as received, to the hash-chained raw archive.
    pub raw: bool,
    /// Positions held in memory while the database is slow or away; beyond
    /// this, new positions are dropped and counted (alerts never are).
    pub buffer_positions: usize,
    /// Most positions written in one transaction.
    pub batch_positions: usize,
    /// Longest time an accepted position waits before its transaction commits.
    #[serde(with = "humantime_serde")]
    pub flush_interval: Duration,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: None,
            data_dir: PathBuf::from("data"),
            retention: None,
            prune_every: Duration::from_secs(600),
            raw: true,
            buffer_positions: 500_000,
            batch_positions: 50_000,
            flush_interval: Duration::from_millis(250),
        }
    }
}

impl StorageConfig {
    /// The database URL: the configured one, else the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("aiswatch.db").display()),
        }
    }
}
