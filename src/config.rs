//! Configuration: the TOML file says *what* to run (sources, engine limits,
//! HTTP address); flags say *how*. Precedence: defaults < file < flags.
//! Parsed once into typed values with unknown keys rejected, so a typo in a
//! key fails at start with the file, line and column named.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::EngineConfig;
use crate::ingest::SourceConfig;

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
    pub detect: crate::detect::DetectConfig,
    /// Bounded channel sizes between stages.
    pub channels: ChannelConfig,
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
            }],
            http: HttpConfig::default(),
            engine: EngineConfig::default(),
            zones: None,
            detect: crate::detect::DetectConfig::default(),
            channels: ChannelConfig::default(),
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
                Self::parse(&text).map_err(|e| ConfigError::Parse(p.into(), e))?
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
        let mut ids = std::collections::HashSet::new();
        for s in &self.sources {
            if s.id().is_empty() {
                return Err(ConfigError::Invalid(
                    origin,
                    "a source has an empty id".into(),
                ));
            }
            if !ids.insert(s.id()) {
                return Err(ConfigError::Invalid(
                    origin,
                    format!("source id {:?} is used twice", s.id()),
                ));
            }
        }
        if let Err(errs) = self.detect.defaults().validate() {
            return Err(ConfigError::Invalid(
                origin,
                format!("[detect] {}", errs.join("; ")),
            ));
        }
        if self.channels.lines == 0 || self.channels.messages == 0 {
            return Err(ConfigError::Invalid(
                origin,
                "channel sizes must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Builds the engine this configuration describes: zones from
    /// `zones_dir` (a flag) or the config's `zones`, with detectors when
    /// there are zones.
    pub fn engine(&self, zones_dir: Option<&Path>) -> Result<crate::engine::Engine, ConfigError> {
        let mut engine = crate::engine::Engine::new(self.engine.clone());
        if let Some(dir) = zones_dir.or(self.zones.as_deref()) {
            let zones = crate::zones::ZoneSet::load_dir(dir).map_err(|errs| {
                let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                ConfigError::Zones(
                    dir.to_path_buf(),
                    format!("{} error(s):\n{}", lines.len(), lines.join("\n")),
                )
            })?;
            engine =
                engine.with_detectors(crate::detect::Detectors::new(zones, self.detect.clone()));
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
}
