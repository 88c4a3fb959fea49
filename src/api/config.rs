//! `[http]` and `[api]`: where the HTTP server listens, who may read
//! everything, and how much a query may cost.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;

/// `[http]`: HTTP server settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9700)),
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
