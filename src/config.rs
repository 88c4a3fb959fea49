//! Configuration: the TOML file says *what* to run (sources, engine limits,
//! HTTP address); flags say *how*. Precedence: defaults < file < flags.
//! Parsed once into typed values with unknown keys rejected, so a typo in a
//! key fails at start with the file, line and column named.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ingest::SourceConfig;
use aiswatch_engine::engine::EngineConfig;

mod limits;
pub use limits::{MAX_CHANNEL, MAX_DURATION, MAX_ITEMS, MAX_POOL};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where lines come from. Default: UDP on 0.0.0.0:10110.
    pub sources: Vec<SourceConfig>,
    /// The HTTP server (`/metrics`, `/health`, `/api/…`).
    pub http: HttpConfig,
    /// Engine limits.
    pub engine: EngineConfig,
    /// Patrol zones directory.
    pub zones: Option<PathBuf>,
    /// Detector defaults and settings (zones override thresholds).
    pub detect: aiswatch_engine::detect::DetectConfig,
    /// Bounded channel sizes between stages.
    pub channels: ChannelConfig,
    /// Where positions, static data, alerts and raw lines are kept.
    pub storage: StorageConfig,
    /// API access: admin tokens, query limits.
    pub api: ApiConfig,
    /// Regional centres: who may read which alerts, where they are pushed.
    pub centres: Vec<CentreConfig>,
    /// How alerts are delivered to the centres' channels.
    pub delivery: DeliveryConfig,
    /// How long a graceful stop may take.
    pub shutdown: ShutdownConfig,
    /// The daemon's own log (stderr).
    pub logging: LoggingConfig,
    /// The file this was loaded from and the SHA-256 (hex) of its bytes
    /// (evidence bundles name the configuration they were made under);
    /// `None` on defaults.
    #[serde(skip)]
    pub loaded_from: Option<(PathBuf, String)>,
}

/// `[logging]`: the daemon's log on stderr (`RUST_LOG` filters it).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    /// `text` (default, for people) or `json` (one object a line, for log
    /// collectors). The flag `--log-format` (or `AISWATCH_LOG_FORMAT`) wins.
    pub format: LogFormat,
}

/// How log events are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (tracing's `fmt` format).
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target`,
    /// `fields.message` (a fixed sentence per event) and the event's fields.
    Json,
}

/// `[shutdown]`: on SIGTERM or SIGINT the daemon stops taking input, drains
/// the engine, flushes the store and the outbox, and exits 0 within
/// `timeout`; non-zero if it could not.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// Default 10 s; at most 1 h.
    #[serde(with = "humantime_serde")]
    pub timeout: std::time::Duration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

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
    /// segments by receive time). Alerts are kept. Default: keep everything.
    #[serde(with = "humantime_serde")]
    pub retention: Option<std::time::Duration>,
    /// Append every accepted line, as received, to the hash-chained raw archive.
    pub raw: bool,
    /// Positions held in memory while the database is slow or away; beyond
    /// this, new positions are dropped and counted (alerts never are).
    pub buffer_positions: usize,
    /// Most positions written in one transaction.
    pub batch_positions: usize,
    /// Longest time an accepted position waits before its transaction commits.
    #[serde(with = "humantime_serde")]
    pub flush_interval: std::time::Duration,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: None,
            data_dir: PathBuf::from("data"),
            retention: None,
            raw: true,
            buffer_positions: 500_000,
            batch_positions: 20_000,
            flush_interval: std::time::Duration::from_millis(250),
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

/// A bearer token. Never printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
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

/// `[[centres]]`: a regional centre that receives the alerts of the zones
/// naming it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CentreConfig {
    /// The id zones name in their `centre` property.
    pub id: aiswatch_core::ids::CentreId,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// Tokens of this centre's users: they see only this centre's alerts.
    #[serde(default)]
    pub api_tokens: Vec<Secret>,
    /// Files holding one token each.
    #[serde(default)]
    pub api_token_files: Vec<PathBuf>,
    /// Alert kinds pushed to this centre (its channels and the live
    /// stream). Default: all.
    #[serde(default)]
    pub kinds: Option<Vec<aiswatch_engine::alert::Kind>>,
    /// Standard Webhooks POST of every alert state change.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// MQTT publish (QoS 1) of every alert state change.
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
    /// NATS JetStream publish of every alert state change.
    #[serde(default)]
    pub nats: Option<NatsConfig>,
}

impl CentreConfig {
    /// The push channels this centre has.
    pub fn channels(&self) -> Vec<crate::deliver::sink::Channel> {
        use crate::deliver::sink::Channel;
        let mut out = Vec::new();
        if self.webhook.is_some() {
            out.push(Channel::Webhook);
        }
        if self.mqtt.is_some() {
            out.push(Channel::Mqtt);
        }
        if self.nats.is_some() {
            out.push(Channel::Nats);
        }
        out
    }
}

/// `[centres.webhook]`: Standard Webhooks (standardwebhooks.com).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (`http://` or `https://`).
    pub url: String,
    /// Signing secret, `whsec_<base64>`.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// File holding the secret instead.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

/// `[centres.mqtt]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://HOST:PORT` (or `mqtts://`).
    pub url: String,
    /// Topic the alert JSON is published to.
    pub topic: String,
    /// MQTT client id. Default: `aiswatch-<centre id>`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// User name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password, if the broker wants one.
    #[serde(default)]
    pub password: Option<Secret>,
    /// File holding the password instead.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// `[centres.nats]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// `nats://HOST:PORT`.
    pub url: String,
    /// Subject the alert JSON is published to.
    pub subject: String,
    /// JetStream stream holding the subject; created, or extended with the
    /// subject, when missing. Default: `AISWATCH_ALERTS`.
    #[serde(default = "default_nats_stream")]
    pub stream: String,
    /// Credentials file (`.creds`), if the server wants one.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
}

fn default_nats_stream() -> String {
    "AISWATCH_ALERTS".into()
}

/// `[delivery]`: retries of the push channels.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// A delivery still failing this long after the change was stored is
    /// dead-lettered (`GET /api/v1/deliveries?state=failed`).
    #[serde(with = "humantime_serde")]
    pub give_up_after: std::time::Duration,
    /// First retry delay; doubled on each failure, with jitter.
    #[serde(with = "humantime_serde")]
    pub min_backoff: std::time::Duration,
    /// Longest retry delay.
    #[serde(with = "humantime_serde")]
    pub max_backoff: std::time::Duration,
    /// One attempt's time limit (connect, send, acknowledgement).
    #[serde(with = "humantime_serde")]
    pub timeout: std::time::Duration,
    /// Deliveries of different alerts in flight at once, per centre and channel.
    pub concurrency: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            give_up_after: std::time::Duration::from_secs(24 * 3600),
            min_backoff: std::time::Duration::from_millis(500),
            max_backoff: std::time::Duration::from_secs(300),
            timeout: std::time::Duration::from_secs(10),
            concurrency: 16,
        }
    }
}

/// What a token may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Admin,
    /// The alerts (and zones) routed to one centre.
    Centre(aiswatch_core::ids::CentreId),
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    pub listen: SocketAddr,
}

/// Capacities of the bounded channels between pipeline stages.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelConfig {
    /// Line batches from sources to the decode stage.
    pub lines: usize,
    /// Decoded message batches to the engine.
    pub messages: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sources: vec![SourceConfig::Udp {
                id: "udp".into(),
                bind: SocketAddr::from(([0, 0, 0, 0], 10110)),
                recv_buffer_bytes: None,
            }],
            http: HttpConfig::default(),
            engine: EngineConfig::default(),
            zones: None,
            detect: aiswatch_engine::detect::DetectConfig::default(),
            channels: ChannelConfig::default(),
            storage: StorageConfig::default(),
            api: ApiConfig::default(),
            centres: Vec::new(),
            delivery: DeliveryConfig::default(),
            shutdown: ShutdownConfig::default(),
            logging: LoggingConfig::default(),
            loaded_from: None,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9700)),
        }
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            lines: 1024,
            messages: 1024,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {0}: {1}")]
    Read(PathBuf, #[source] std::io::Error),
    /// The file is not valid TOML or does not fit the schema.
    #[error("config {0}: {1}")]
    Parse(PathBuf, String),
    /// Values that parse but cannot work together.
    #[error("config {0}: {1}")]
    Invalid(String, String),
    /// The zones directory has errors (one per line).
    #[error("zones {0}: {1}")]
    Zones(PathBuf, String),
}

impl Config {
    /// Loads `path` over the defaults, or the defaults alone.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let cfg = match path {
            None => Config::default(),
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| ConfigError::Read(p.into(), e))?;
                let mut cfg = Self::parse(&text).map_err(|e| ConfigError::Parse(p.into(), e))?;
                cfg.loaded_from = Some((
                    p.to_path_buf(),
                    crate::evidence::sha256_hex(text.as_bytes()),
                ));
                cfg
            }
        };
        cfg.validate(path.map_or_else(|| "defaults".to_owned(), |p| p.display().to_string()))?;
        Ok(cfg)
    }

    /// Parses TOML text (errors carry line and column).
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn validate(&self, origin: String) -> Result<(), ConfigError> {
        let problems = self.problems();
        match problems.len() {
            0 => Ok(()),
            1 => Err(ConfigError::Invalid(origin, problems.join(""))),
            n => Err(ConfigError::Invalid(
                origin,
                format!("{n} errors:\n{}", problems.join("\n")),
            )),
        }
    }

    /// Every value that parses but cannot work, one message per problem,
    /// each naming its key (empty when the configuration is usable).
    /// Token files are read; zone files are not (see `aiswatch config check`).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            if s.id().is_empty() {
                out.push(format!("[[sources]] #{i} id: must not be empty"));
            } else if !ids.insert(s.id()) {
                out.push(format!("[[sources]] #{i} id: {:?} is used twice", s.id()));
            }
            if let Err(e) = s.validate() {
                out.push(format!("[[sources]] {e}"));
            }
        }
        if let Err(errs) = self.detect.defaults().validate() {
            // "loitering.max_speed_kn: …" → "[detect.loitering] max_speed_kn: …"
            out.extend(errs.into_iter().map(|e| match e.split_once('.') {
                Some((table, rest)) => format!("[detect.{table}] {rest}"),
                None => format!("[detect] {e}"),
            }));
        }
        out.extend(limits::check(self));
        let t = self.shutdown.timeout;
        if t.is_zero() || t > std::time::Duration::from_secs(3600) {
            out.push("[shutdown] timeout: must be above zero and at most 1h".into());
        }
        // These stop at their first problem: centres and channels are few.
        for r in [self.validate_access("-"), self.validate_delivery("-")] {
            match r {
                Ok(()) => {}
                Err(ConfigError::Invalid(_, m)) => out.push(m),
                Err(e) => out.push(e.to_string()),
            }
        }
        out
    }
}

impl Config {
    /// Centres and tokens: ids unique and non-empty, every token file
    /// readable, no token empty or shared by two scopes.
    fn validate_access(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |m: String| ConfigError::Invalid(origin.to_owned(), m);
        let mut ids = std::collections::HashSet::new();
        for c in &self.centres {
            if c.id.as_str().trim().is_empty() {
                return Err(bad("[[centres]] id must not be empty".into()));
            }
            if !ids.insert(c.id.clone()) {
                return Err(bad(format!(
                    "[[centres]] id {:?} is declared twice",
                    c.id.as_str()
                )));
            }
        }
        let mut seen = std::collections::HashMap::new();
        for (token, scope) in self.tokens()? {
            if token.trim().is_empty() {
                return Err(bad(format!("an empty API token ({scope:?})")));
            }
            if let Some(other) = seen.insert(token, scope.clone()) {
                if other != scope {
                    return Err(bad(format!(
                        "one API token is given to two scopes ({other:?} and {scope:?})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// `[delivery]` and the centres' channels: sane limits, one secret
    /// source each, URLs of the right scheme.
    fn validate_delivery(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |m: String| ConfigError::Invalid(origin.to_owned(), m);
        let d = &self.delivery;
        // Zero and overlong values are `limits::check`'s.
        if d.max_backoff < d.min_backoff {
            return Err(bad(
                "[delivery] max_backoff must not be below min_backoff".into()
            ));
        }
        let scheme = |c: &CentreConfig, key: &str, url: &str, ok: &[&str]| {
            let s = url.split("://").next().unwrap_or("");
            if url.contains("://") && ok.contains(&s) {
                Ok(())
            } else {
                Err(bad(format!(
                    "[[centres]] id = {:?}: [centres.{key}] url {url:?} must start with {}",
                    c.id.as_str(),
                    ok.iter()
                        .map(|o| format!("{o}://"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )))
            }
        };
        for c in &self.centres {
            if let Some(w) = &c.webhook {
                scheme(c, "webhook", &w.url, &["http", "https"])?;
                if w.secret.is_some() == w.secret_file.is_some() {
                    return Err(bad(format!(
                        "[[centres]] id = {:?}: [centres.webhook] needs exactly one of secret and secret_file",
                        c.id.as_str()
                    )));
                }
            }
            if let Some(m) = &c.mqtt {
                scheme(c, "mqtt", &m.url, &["mqtt", "mqtts", "tcp"])?;
                if m.topic.is_empty() || m.topic.contains(['+', '#']) {
                    return Err(bad(format!(
                        "[[centres]] id = {:?}: [centres.mqtt] topic {:?} must be a plain topic (no wildcards)",
                        c.id.as_str(),
                        m.topic
                    )));
                }
            }
            if let Some(n) = &c.nats {
                scheme(c, "nats", &n.url, &["nats", "tls"])?;
                if n.subject.is_empty()
                    || n.subject.contains(['*', '>', ' '])
                    || n.stream.is_empty()
                {
                    return Err(bad(format!(
                        "[[centres]] id = {:?}: [centres.nats] subject {:?} must be a plain subject (no wildcards) and stream non-empty",
                        c.id.as_str(),
                        n.subject
                    )));
                }
            }
        }
        Ok(())
    }

    /// Every configured token with what it may see, token files read.
    ///
    /// # Errors
    /// A token file that cannot be read, named.
    pub fn tokens(&self) -> Result<Vec<(String, Scope)>, ConfigError> {
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p)
                .map(|t| t.trim().to_owned())
                .map_err(|e| ConfigError::Read(p.clone(), e))
        };
        let mut out = Vec::new();
        for t in &self.api.admin_tokens {
            out.push((t.0.clone(), Scope::Admin));
        }
        for p in &self.api.admin_token_files {
            out.push((read(p)?, Scope::Admin));
        }
        for c in &self.centres {
            let scope = Scope::Centre(c.id.clone());
            for t in &c.api_tokens {
                out.push((t.0.clone(), scope.clone()));
            }
            for p in &c.api_token_files {
                out.push((read(p)?, scope.clone()));
            }
        }
        Ok(out)
    }

    /// Zones that name a centre this configuration does not declare, one
    /// message per zone and centre (empty when all are declared).
    pub fn undeclared_centres(&self, zones: &aiswatch_zones::ZoneSet) -> Vec<String> {
        let mut out = Vec::new();
        for z in zones.zones() {
            for c in &z.centres {
                if !self.centres.iter().any(|d| d.id == *c) {
                    out.push(format!(
                        "{}: feature #{} (id {:?}): property \"centre\": centre {:?} is not declared in [[centres]] of the config",
                        z.source_file.display(),
                        z.feature_index,
                        z.id,
                        c.as_str()
                    ));
                }
            }
        }
        out
    }

    /// Builds the engine this configuration describes: zones from
    /// `zones_dir` (a flag) or the config's `zones`, with detectors when
    /// there are zones.
    pub fn engine(
        &self,
        zones_dir: Option<&Path>,
    ) -> Result<aiswatch_engine::engine::Engine, ConfigError> {
        let mut engine = aiswatch_engine::engine::Engine::new(self.engine.clone());
        if let Some(dir) = zones_dir.or(self.zones.as_deref()) {
            let zones = aiswatch_zones::ZoneSet::load_dir(dir).map_err(|errs| {
                let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                ConfigError::Zones(
                    dir.to_path_buf(),
                    format!("{} error(s):\n{}", lines.len(), lines.join("\n")),
                )
            })?;
            engine = engine.with_detectors(aiswatch_engine::detect::Detectors::new(
                zones,
                self.detect.clone(),
            ));
        }
        Ok(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources_and_rejects_unknown_keys() {
        let c = Config::parse(
            r#"
            [[sources]]
            kind = "tcp_client"
            id = "aishub"
            addr = "127.0.0.1:4001"
            backoff_max = "10s"

            [engine]
            duplicate_window = "20s"
            "#,
        )
        .unwrap();
        assert_eq!(c.sources[0].id(), "aishub");
        assert_eq!(c.engine.duplicate_window.as_secs(), 20);
        let e = Config::parse("[engine]\nduplicate_windw = \"20s\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("duplicate_windw"), "{e}");
    }

    #[test]
    fn shipped_configs_parse() {
        for f in ["deploy/aiswatch.toml", "deploy/demo.toml"] {
            let text =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(f)).unwrap();
            Config::parse(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[test]
    fn centre_channels_parse_and_are_checked() {
        let ok = r#"
            [delivery]
            give_up_after = "2h"
            [[centres]]
            id = "A"
            kinds = ["dark_period", "rendezvous"]
            [centres.webhook]
            url = "https://a.example/hook"
            secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            [centres.mqtt]
            url = "mqtt://127.0.0.1:1883"
            topic = "aiswatch/alerts/A"
            [centres.nats]
            url = "nats://127.0.0.1:4222"
            subject = "aiswatch.alerts.A"
        "#;
        let c = Config::parse(ok).unwrap();
        use crate::deliver::sink::Channel;
        assert_eq!(
            c.centres[0].channels(),
            [Channel::Webhook, Channel::Mqtt, Channel::Nats]
        );
        assert_eq!(
            c.centres[0].nats.as_ref().unwrap().stream,
            "AISWATCH_ALERTS"
        );
        assert_eq!(c.delivery.give_up_after.as_secs(), 7200);
        let check = |text: &str| -> Result<Config, String> {
            let c = Config::parse(text)?;
            c.validate_delivery("test").map_err(|e| e.to_string())?;
            let p = c.problems();
            if !p.is_empty() {
                return Err(p.join("\n"));
            }
            Ok(c)
        };
        for (bad, says) in [
            (
                ok.replace("dark_period\"", "dark_periods\""),
                "dark_periods",
            ),
            (ok.replace("https://a", "ftp://a"), "[centres.webhook] url"),
            (ok.replace("aiswatch/alerts/A", "aiswatch/#"), "wildcards"),
            (
                ok.replace("secret = ", "secret_file = \"/x\"\nsecret = "),
                "exactly one",
            ),
            (
                ok.replace("give_up_after = \"2h\"", "concurrency = 0"),
                "[delivery]",
            ),
        ] {
            let e = check(&bad).unwrap_err();
            assert!(e.contains(says), "{says}: {e}");
        }
    }
}
