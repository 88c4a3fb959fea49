//! `[http]` and `[api]`: where the HTTP server listens, who may read
//! everything, and how much a query may cost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::secret::Secret;

/// `[http]`: HTTP server settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// A connection whose request head (request line and headers) has not
    /// fully arrived this long after the server started reading it is
    /// closed; also how long an idle keep-alive connection is kept.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// Most HTTP connections open at once. When full, the oldest connection
    /// that has not sent a complete request head yet is closed for a new
    /// one; if every connection has (a request or stream in progress, or a
    /// keep-alive connection between requests), the new one is answered 503
    /// and closed.
    pub max_connections: usize,
}

/// `[http] header_read_timeout` by default: far more than a client on a
/// slow link needs to send a few hundred bytes of headers.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// `[http] max_connections` by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9700)),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// `[api]`: who may read everything, and how much a query may cost.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Tokens that see every centre's alerts.
    pub admin_tokens: Vec<Secret>,
    /// Files holding one admin token each (e.g. `/run/secrets/…`).
    pub admin_token_files: Vec<PathBuf>,
    /// Heavy queries (store reads, spatial searches) running at once;
    /// beyond this the API answers 503 with `Retry-After`.
    pub max_concurrent_queries: usize,
    /// Most items (vessels, alerts, points) in one response page.
    pub max_page: usize,
    /// Live streams (`/api/v1/alerts/stream`) open at once; beyond this the
    /// API answers 503 with `Retry-After`.
    pub max_streams: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            admin_tokens: Vec::new(),
            admin_token_files: Vec::new(),
            max_concurrent_queries: 8,
            max_page: 10_000,
            max_streams: 256,
        }
    }
}
