//! Configuration: the TOML file says *what* to run (sources, engine limits,
//! HTTP address); flags say *how*. Precedence: defaults < file < flags.
//! Parsed once into typed values with unknown keys rejected, so a typo in a
//! key fails at start with the file, line and column named.
//!
//! Each component owns its table's struct (`[storage]` in
//! [`crate::storage::config`], `[[centres]]` and `[delivery]` in
//! [`crate::deliver::config`], `[http]` and `[api]` in
//! [`crate::api::config`], `[[sources]]` in [`crate::ingest`], `[engine]`
//! and `[detect]` in the engine crate); this module gathers them, checks
//! the values that only make sense together, and keeps the daemon's own
//! tables (`[channels]`, `[shutdown]`, `[logging]`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ingest::SourceConfig;
use crate::storage::Scope;
use aiswatch_engine::engine::EngineConfig;

mod limits;
pub use limits::{MAX_CHANNEL, MAX_DURATION, MAX_ITEMS, MAX_POOL};

pub use crate::api::config::{ApiConfig, HttpConfig};
pub use crate::deliver::config::{
    CentreConfig, DeliveryConfig, MqttConfig, NatsConfig, WebhookConfig,
};
pub use crate::federation::{AgreementConfig, FederationConfig, PartnerConfig};
pub use crate::secret::Secret;
pub use crate::storage::config::StorageConfig;

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
    /// This installation as partner installations know it.
    pub federation: FederationConfig,
    /// Partner installations: where their inboxes are, their pinned keys.
    pub partners: Vec<PartnerConfig>,
    /// What is shared with each partner, and accepted from it.
    pub agreements: Vec<AgreementConfig>,
    /// How long a graceful stop may take.
    pub shutdown: ShutdownConfig,
    /// The audit trail: who read or changed what.
    pub audit: crate::audit::AuditConfig,
    /// The daemon's own log (stderr).
    pub logging: LoggingConfig,
    /// How this node finds the rest of its cluster (`--role` other than `all`).
    pub cluster: Option<crate::cluster::ClusterConfig>,
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

/// Capacities of the bounded channels between pipeline stages.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelConfig {
    /// Line batches from sources to the decode stage.
    pub lines: usize,
    /// Decoded message batches to the engine.
    pub messages: usize,
    /// An ingest node of a cluster: lines held in memory while the line
    /// stream (NATS) is unreachable; beyond, lines are dropped and counted.
    pub ingest_buffer: usize,
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
            federation: FederationConfig::default(),
            partners: Vec::new(),
            agreements: Vec::new(),
            shutdown: ShutdownConfig::default(),
            audit: crate::audit::AuditConfig::default(),
            logging: LoggingConfig::default(),
            cluster: None,
            loaded_from: None,
        }
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            lines: 1024,
            messages: 1024,
            ingest_buffer: 1_000_000,
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
    #[error("config {0}")]
    Parse(PathBuf, #[source] toml::de::Error),
    /// Values that parse but cannot work together.
    #[error("config {0}: {1}")]
    Invalid(String, String),
    /// The zones directory has errors (one per line).
    #[error("zones {0}: {n} error(s):\n{list}", n = .1.len(), list = lines(.1))]
    Zones(PathBuf, Vec<aiswatch_zones::ZoneError>),
}

/// One error a line.
fn lines(errs: &[aiswatch_zones::ZoneError]) -> String {
    let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    lines.join("\n")
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
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
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
        // "loitering.max_speed_kn: …" → "[detect.loitering] max_speed_kn: …"
        out.extend(
            self.detect
                .defaults
                .problems()
                .into_iter()
                .map(|e| match e.split_once('.') {
                    Some((table, rest)) => format!("[detect.{table}] {rest}"),
                    None => format!("[detect] {e}"),
                }),
        );
        out.extend(limits::check(self));
        let t = self.shutdown.timeout;
        if t.is_zero() || t > std::time::Duration::from_secs(3600) {
            out.push("[shutdown] timeout: must be above zero and at most 1h".into());
        }
        // These stop at their first problem: centres and channels are few.
        match self.validate_access("-") {
            Ok(()) => {}
            Err(ConfigError::Invalid(_, m)) => out.push(m),
            Err(e) => out.push(e.to_string()),
        }
        out.extend(crate::deliver::config::first_problem(
            &self.delivery,
            &self.centres,
        ));
        let centres: Vec<_> = self.centres.iter().map(|c| c.id.clone()).collect();
        out.extend(crate::federation::config::problems(
            &self.federation,
            &self.partners,
            &self.agreements,
            &centres,
        ));
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
            if let Some(tag) = &c.language {
                let catalogs = aiswatch_i18n::Catalogs::shipped();
                if catalogs.negotiate(tag).is_none() {
                    return Err(bad(format!(
                        "[[centres]] id {:?}: language {tag:?} has no catalog (locales/ has {})",
                        c.id.as_str(),
                        catalogs.languages().collect::<Vec<_>>().join(", ")
                    )));
                }
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
            let zones = aiswatch_zones::ZoneSet::load_dir(dir, aiswatch_engine::detect::SPECS)
                .map_err(|errs| ConfigError::Zones(dir.to_path_buf(), errs))?;
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
    use std::time::Duration;

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
        let e = Config::parse("[engine]\nduplicate_windw = \"20s\"\n")
            .unwrap_err()
            .to_string();
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
        // Every problem of `text`, joined (empty: none).
        let check = |text: &str| -> String {
            let c = match Config::parse(text) {
                Ok(c) => c,
                Err(e) => return e.to_string(),
            };
            let mut p: Vec<String> = crate::deliver::config::first_problem(&c.delivery, &c.centres)
                .into_iter()
                .collect();
            p.extend(c.problems());
            p.join("\n")
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
            let e = check(&bad);
            assert!(e.contains(says), "{says}: {e}");
        }
    }

    #[test]
    fn broker_tls_files_are_read_at_load_and_named_with_their_centre() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\n%%%\n").unwrap();
        let missing = dir.path().join("missing-ca.pem");
        let centre = |mqtt: &str, nats: &str| {
            format!(
                "[[centres]]\nid = \"MRCC Lagos\"\n[centres.mqtt]\n{mqtt}\ntopic = \"t\"\n\
                 [centres.nats]\n{nats}\nsubject = \"s\"\n"
            )
        };
        let (plain_m, tls_m) = ("url = \"mqtt://h\"", "url = \"mqtts://h\"");
        let (plain_n, tls_n) = ("url = \"nats://h\"", "url = \"tls://h\"");
        let ca = |p: &Path| format!("\nca_file = {:?}", p.display().to_string());
        for (text, file, table) in [
            (
                centre(&format!("{tls_m}{}", ca(&missing)), plain_n),
                "missing-ca.pem",
                "[centres.mqtt] ca_file",
            ),
            (
                centre(&format!("{tls_m}{}", ca(&garbage)), plain_n),
                "garbage.pem",
                "[centres.mqtt] ca_file",
            ),
            (
                centre(plain_m, &format!("{tls_n}{}", ca(&missing))),
                "missing-ca.pem",
                "[centres.nats] ca_file",
            ),
            // A CA file also insists on TLS with nats://.
            (
                centre(plain_m, &format!("{plain_n}{}", ca(&garbage))),
                "garbage.pem",
                "[centres.nats] ca_file",
            ),
            (
                centre(
                    plain_m,
                    &format!(
                        "{tls_n}\nclient_cert_file = {:?}",
                        garbage.display().to_string()
                    ),
                ),
                "client_key_file",
                "[centres.nats]",
            ),
        ] {
            let e = load(&text).unwrap_err().to_string();
            assert!(
                e.contains("id = \"MRCC Lagos\"") && e.contains(table) && e.contains(file),
                "{table} {file}: {e}"
            );
        }
        let e = load(&centre(&format!("{plain_m}{}", ca(&garbage)), plain_n))
            .unwrap_err()
            .to_string();
        assert!(e.contains("mqtts://"), "{e}");
    }

    fn load(sources: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aiswatch.toml");
        std::fs::write(&path, sources).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn source_values_that_cannot_work_are_refused_by_key() {
        let server = |extra: &str| {
            format!("[[sources]]\nkind = \"tcp_server\"\nid = \"push\"\nbind = \"127.0.0.1:0\"\n{extra}\n")
        };
        for (extra, key) in [
            ("max_connections = 0", "max_connections"),
            ("max_connections = 2000000", "max_connections"),
            ("max_connections_per_peer = 0", "max_connections_per_peer"),
            (
                "max_connections = 4\nmax_connections_per_peer = 5",
                "max_connections_per_peer",
            ),
            (
                "max_connections_per_peer = 8\nmax_connections_per_prefix = 4",
                "max_connections_per_prefix",
            ),
            (
                "max_connections = 16\nmax_connections_per_prefix = 17",
                "max_connections_per_prefix",
            ),
            ("idle_timeout = \"0s\"", "idle_timeout"),
            ("idle_timeout = \"300000000y\"", "idle_timeout"),
        ] {
            let e = load(&server(extra)).unwrap_err().to_string();
            assert!(e.contains("\"push\"") && e.contains(key), "{extra}: {e}");
        }
        let udp = |extra: &str| {
            format!("[[sources]]\nkind = \"udp\"\nid = \"u\"\nbind = \"127.0.0.1:0\"\n{extra}\n")
        };
        for extra in ["recv_buffer_bytes = 0", "recv_buffer_bytes = 4294967296"] {
            let e = load(&udp(extra)).unwrap_err().to_string();
            assert!(e.contains("recv_buffer_bytes"), "{extra}: {e}");
        }
        let client = "[[sources]]\nkind = \"tcp_client\"\nid = \"c\"\naddr = \"x:1\"\nidle_timeout = \"0s\"\n";
        assert!(load(client)
            .unwrap_err()
            .to_string()
            .contains("idle_timeout"));
        // Sane values load, with the defaults filled in.
        let c = load(&server(
            "max_connections_per_peer = 2\nidle_timeout = \"90s\"",
        ))
        .unwrap();
        assert_eq!(
            c.sources[0],
            SourceConfig::TcpServer {
                id: "push".into(),
                bind: "127.0.0.1:0".parse().unwrap(),
                max_connections: 64,
                max_connections_per_peer: 2,
                max_connections_per_prefix: None,
                idle_timeout: Duration::from_secs(90),
            }
        );
        load(&udp("recv_buffer_bytes = 8388608")).unwrap();
    }

    #[test]
    fn playback_keys_parse_and_bad_speeds_are_refused_by_key() {
        let file = |extra: &str| {
            format!("[[sources]]\nkind = \"file\"\nid = \"sample\"\npath = \"x.nmea\"\n{extra}\n")
        };
        for speed in ["0", "0.0", "-1", "-60.5", "nan", "inf", "-inf"] {
            let e = load(&file(&format!("speed = {speed}")))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("\"sample\"") && e.contains("speed") && e.contains("above 0"),
                "speed = {speed}: {e}"
            );
        }
        let stdin = "[[sources]]\nkind = \"file\"\nid = \"in\"\npath = \"-\"\nloop = true\n";
        let e = load(stdin).unwrap_err().to_string();
        assert!(e.contains("\"in\"") && e.contains("loop"), "{e}");
        // An integer speed is a number; the defaults read once, unpaced.
        let c = load(&file("speed = 60\nloop = true")).unwrap();
        assert_eq!(
            c.sources[0],
            SourceConfig::File {
                id: "sample".into(),
                path: "x.nmea".into(),
                speed: Some(60.0),
                looped: true,
            }
        );
        let c = load(&file("")).unwrap();
        assert!(matches!(
            c.sources[0],
            SourceConfig::File {
                speed: None,
                looped: false,
                ..
            }
        ));
        load(&file("speed = 0.001")).unwrap();
    }
}
