//! Values that parse but cannot work: zero intervals (a timer that fires
//! without end), durations so long that converting them to milliseconds
//! overflows into nonsense, channel and pool sizes that panic or exhaust
//! memory when allocated. Every problem names its key.
//!
//! The bounds are far beyond any sensible setting, so they only refuse
//! mistakes (`"0s"`, `"300000000y"`, `9223372036854775807`).

use std::time::Duration;

use super::Config;
use crate::ingest::SourceConfig;

pub use aiswatch_core::time::MAX_DURATION;

/// Most batches a channel between stages may hold.
pub const MAX_CHANNEL: usize = 1 << 20;

/// Most simultaneous connections, queries, streams or deliveries a pool
/// may allow (tokio's semaphore panics beyond `usize::MAX >> 3`).
pub const MAX_POOL: usize = 1 << 20;

/// Most items held or written at once (positions buffered, per batch,
/// per page, per track).
pub const MAX_ITEMS: usize = 100_000_000;

/// Collects problems, each as `key: what is wrong`.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    /// A duration that must be above zero and at most [`MAX_DURATION`].
    fn interval(&mut self, key: &str, d: Duration) {
        if d.is_zero() {
            self.0.push(format!("{key}: must be greater than zero"));
        } else {
            self.bounded(key, d);
        }
    }

    /// A duration that may be zero but not above [`MAX_DURATION`].
    fn bounded(&mut self, key: &str, d: Duration) {
        if d > MAX_DURATION {
            self.0.push(format!(
                "{key}: {} is too long (at most 100 years)",
                humantime::format_duration(d)
            ));
        }
    }

    /// A count in `1..=max`.
    fn count(&mut self, key: &str, n: usize, max: usize) {
        if n == 0 || n > max {
            self.0
                .push(format!("{key}: must be between 1 and {max}, found {n}"));
        }
    }

    /// A finite number ≥ 0.
    fn non_negative(&mut self, key: &str, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            self.0
                .push(format!("{key}: must be a finite number ≥ 0, found {v}"));
        }
    }
}

/// Every value of `cfg` that cannot work, one message per key.
pub(crate) fn check(cfg: &Config) -> Vec<String> {
    let mut p = Problems::default();
    for (i, s) in cfg.sources.iter().enumerate() {
        let key = |k: &str| format!("[[sources]] #{i} (id {:?}) {k}", s.id());
        match s {
            SourceConfig::TcpClient {
                backoff_min,
                backoff_max,
                idle_timeout,
                ..
            } => {
                p.interval(&key("backoff_min"), *backoff_min);
                p.interval(&key("backoff_max"), *backoff_max);
                if backoff_max < backoff_min {
                    p.0.push(format!(
                        "{}: must not be below backoff_min",
                        key("backoff_max")
                    ));
                }
                p.interval(&key("idle_timeout"), *idle_timeout);
            }
            SourceConfig::TcpServer {
                max_connections, ..
            } => p.count(&key("max_connections"), *max_connections, MAX_POOL),
            SourceConfig::Udp { .. } | SourceConfig::File { .. } => {}
        }
    }

    let e = &cfg.engine;
    p.interval("[engine] duplicate_window", e.duplicate_window);
    p.bounded("[engine] max_future", e.max_future);
    p.interval("[engine] vessel_ttl", e.vessel_ttl);

    let d = &cfg.detect;
    p.interval("[detect] feed_stall", d.feed_stall);
    p.interval("[detect] station_outage", d.station_outage);
    p.interval("[detect] update_every", d.update_every);
    p.interval("[detect] stale_after", d.stale_after);
    p.bounded("[detect] resume_within", d.resume_within);
    p.interval("[detect] spoofing_quiet", d.spoofing_quiet);
    p.non_negative("[detect] dark_gap_factor", d.dark_gap_factor);
    p.non_negative("[detect] speed_hysteresis_kn", d.speed_hysteresis_kn);
    p.non_negative("[detect] jump_min_m", d.jump_min_m);
    // Detector thresholds are checked by their specs (`Defaults::problems`).

    p.count("[channels] lines", cfg.channels.lines, MAX_CHANNEL);
    p.count("[channels] messages", cfg.channels.messages, MAX_CHANNEL);
    p.count(
        "[channels] ingest_buffer",
        cfg.channels.ingest_buffer,
        MAX_ITEMS,
    );
    if let Some(c) = &cfg.cluster {
        p.0.extend(c.problems());
    }

    let st = &cfg.storage;
    if let Some(r) = st.retention {
        p.interval("[storage] retention", r);
    }
    p.interval("[storage] prune_every", st.prune_every);
    p.count("[storage] buffer_positions", st.buffer_positions, MAX_ITEMS);
    p.count("[storage] batch_positions", st.batch_positions, MAX_ITEMS);
    p.interval("[storage] flush_interval", st.flush_interval);

    let au = &cfg.audit;
    if let Some(r) = au.retention {
        p.interval("[audit] retention", r);
    }
    p.interval("[audit] checkpoint_every", au.checkpoint_every);
    p.count("[audit] buffer", au.buffer, MAX_ITEMS);

    let http = &cfg.http;
    p.interval("[http] header_read_timeout", http.header_read_timeout);
    p.count("[http] max_connections", http.max_connections, MAX_POOL);

    let api = &cfg.api;
    p.count(
        "[api] max_concurrent_queries",
        api.max_concurrent_queries,
        MAX_POOL,
    );
    p.count("[api] max_page", api.max_page, MAX_ITEMS);
    p.count("[api] max_streams", api.max_streams, MAX_POOL);

    let dl = &cfg.delivery;
    p.interval("[delivery] give_up_after", dl.give_up_after);
    p.interval("[delivery] min_backoff", dl.min_backoff);
    p.interval("[delivery] max_backoff", dl.max_backoff);
    p.interval("[delivery] timeout", dl.timeout);
    p.count("[delivery] concurrency", dl.concurrency, MAX_POOL);
    p.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems of `toml` (parsed over the defaults), joined.
    fn problems(toml: &str) -> String {
        let c = Config::parse(toml).unwrap_or_else(|e| panic!("{toml}: {e}"));
        c.problems().join("\n")
    }

    #[test]
    fn defaults_and_shipped_configs_have_no_problems() {
        assert_eq!(problems(""), "");
        for f in ["deploy/aiswatch.toml", "deploy/demo.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
            let c = Config::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(check(&c), Vec::<String>::new(), "{f}");
        }
    }

    /// Each value that cannot work (zero intervals, absurd durations, pool
    /// and channel sizes out of bounds) and its neighbours: refused, key named.
    #[test]
    fn values_that_cannot_work_are_refused_by_key() {
        for (toml, key, says) in [
            (
                "[detect]\nupdate_every = \"0s\"",
                "[detect] update_every",
                "greater than zero",
            ),
            (
                "[detect]\nupdate_every = \"300000000y\"",
                "[detect] update_every",
                "100 years",
            ),
            (
                "[engine]\nmax_future = \"300000000y\"",
                "[engine] max_future",
                "100 years",
            ),
            (
                "[engine]\nvessel_ttl = \"300000000y\"",
                "[engine] vessel_ttl",
                "100 years",
            ),
            (
                "[engine]\nvessel_ttl = \"0s\"",
                "[engine] vessel_ttl",
                "greater than zero",
            ),
            (
                "[detect]\nstale_after = \"300000000y\"",
                "[detect] stale_after",
                "100 years",
            ),
            (
                "[detect]\nspoofing_quiet = \"0s\"",
                "[detect] spoofing_quiet",
                "greater than zero",
            ),
            (
                "[detect.dark_period]\nmin_gap = \"300000000y\"",
                "[detect.dark_period] min_gap",
                "100 years",
            ),
            (
                "[channels]\nlines = 9223372036854775807",
                "[channels] lines",
                "between 1 and",
            ),
            ("[channels]\nmessages = 0", "[channels] messages", "between 1"),
            (
                "[[sources]]\nkind = \"tcp_server\"\nid = \"push\"\nbind = \"127.0.0.1:0\"\nmax_connections = 0",
                "[[sources]] #0 (id \"push\") max_connections",
                "between 1",
            ),
            (
                "[[sources]]\nkind = \"tcp_client\"\nid = \"agg\"\naddr = \"x:1\"\nbackoff_min = \"0s\"",
                "[[sources]] #0 (id \"agg\") backoff_min",
                "greater than zero",
            ),
            (
                "[[sources]]\nkind = \"tcp_client\"\nid = \"agg\"\naddr = \"x:1\"\nidle_timeout = \"0s\"",
                "idle_timeout",
                "greater than zero",
            ),
            ("[storage]\nretention = \"0s\"", "[storage] retention", "zero"),
            ("[storage]\nprune_every = \"0s\"", "[storage] prune_every", "zero"),
            ("[api]\nmax_streams = 0", "[api] max_streams", "between 1"),
            (
                "[api]\nmax_concurrent_queries = 9223372036854775807",
                "[api] max_concurrent_queries",
                "between 1",
            ),
            (
                "[delivery]\nmax_backoff = \"300000000y\"",
                "[delivery] max_backoff",
                "100 years",
            ),
            (
                "[delivery]\nconcurrency = 9223372036854775807",
                "[delivery] concurrency",
                "between 1",
            ),
            (
                "[detect]\ndark_gap_factor = nan",
                "[detect] dark_gap_factor",
                "finite",
            ),
        ] {
            let got = problems(toml);
            assert!(
                got.contains(&format!("{key}: ")) && got.contains(says),
                "{toml}\n→ {got}"
            );
        }
    }

    #[test]
    fn bounds_themselves_are_accepted() {
        let got = problems(
            "[detect]\nupdate_every = \"100years\"\n[channels]\nlines = 1048576\n\
             [engine]\nmax_future = \"0s\"",
        );
        assert_eq!(got, "");
    }
}
