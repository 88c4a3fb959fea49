//! Evidence bundles: one alert exported with its raw lines as
//! received, the decoded data, the zone and thresholds, a map, a report
//! and a signed manifest; and the check of such a bundle.
//!
//! # What a bundle holds
//!
//! A zip file with `raw/lines.nmea` (every line of the alert's vessels whose
//! event time lies in the window, byte for byte, `\n` after each),
//! `positions.csv`, `tracks.geojson`, `statics.csv`, `alert.json`,
//! `alert_changes.jsonl`, `zone.geojson`, `thresholds.json`, `map.svg`,
//! `report.md`, and `manifest.json` (see [`Manifest`]) with
//! `manifest.sig` (Ed25519 over the manifest's exact bytes, hex) and
//! `public_key` (hex). Text from AIS in the CSV files and `report.md` is
//! neutralised so that a spreadsheet or a Markdown viewer shows it as text
//! (see `escape.rs`); the JSON files keep it as received.
//!
//! # Reading a bundle
//!
//! A bundle is the one file aiswatch takes from untrusted hands: its zip
//! is checked (entry count, no name twice, no name that is not a bundle's,
//! declared sizes within [`Limits`]) before any file is read, and its files
//! stream through SHA-256 (see [`Bundle::from_zip`] and [`verify_reader`]).
//!
//! # What a good bundle proves, and what not
//!
//! - Every file is as the holder of the private key exported it (the
//!   manifest lists their SHA-256 and is signed). Pin the key
//!   (`aiswatch key show` on the exporting installation) to know whose.
//! - Each raw line, with its receive time, source and peer, is the record
//!   at its `seq` in the installation's hash-chained archive: its `hash`
//!   chains from the `prev` stated, so the archive, checked with
//!   `aiswatch archive verify`, must hold the same hash at that seq. The
//!   bundle alone cannot show the lines between exported ones (other
//!   vessels' lines); it shows that nothing in the exported lines changed.
//! - The stored positions re-decode from the raw lines.
//! - It does not prove that a receiver reported the truth (AIS is
//!   self-reported and can be spoofed), nor that no line was lost before
//!   it reached the archive.
//!
//! # What a redacted bundle proves
//!
//! A bundle for a partner whose agreement says `redact = ["sources"]`
//! ([`export_with`], [`ExportOptions::withhold_sources`]) names no
//! receiver: each tag block's `s:` value (and a NAIS `r` field, a `$PGHP`
//! header's receiver fields) in `raw/lines.nmea`, the `station` and
//! `source` columns of the CSV files, and the manifest's `source`, `peer`,
//! `station`, `prev` and `hash` of each raw line are each replaced by a
//! commitment `withheld:<hex SHA-256(salt ‖ value)>`. The chain links go
//! too: a link hash covers source, peer and line, so with the rest of the
//! line known it would let anyone test guessed receiver names. Each salt
//! is HMAC-SHA256 under the installation's signing key seed over the alert
//! id, file, place, field and value (see `withhold.rs`): a partner cannot
//! test a guess, no two places share a commitment (so lines cannot be
//! grouped by receiver, which would map its coverage), and the
//! installation can derive every salt again from the full bundle alone.
//! The alert's JSON files (`alert.json`, `alert_changes.jsonl`,
//! `thresholds.json`) lose the keys that name or place receivers
//! (`station`, `stations`, `station_last_heard`, `heard_by`, `down`,
//! `judged`, `source`, `peer`, at any depth), receiver names in their text
//! read `[withheld]`, and the manifest holds a commitment to each original
//! file. `report.md` has no receivers table. The manifest's `redacted`
//! says all this and is signed as usual.
//!
//! Such a bundle still proves that every file is as the key holder
//! exported it, and that the stored positions re-decode from the raw
//! lines: the AIS payloads are untouched, only the tag blocks' station
//! values change (their checksums recomputed so the lines still parse).
//! It cannot tie the lines to the archive's chain: [`verify`] counts them
//! as `unchained` and says the receivers were withheld.
//!
//! That it is the same evidence as the full bundle, if a court later gets
//! that: the installation opens every commitment with [`reveal`] (the
//! full bundle and its key suffice: `aiswatch evidence reveal FULL.zip`),
//! giving for each its file, place, field, value and salt. Then each
//! SHA-256(salt ‖ value) is its commitment, and the full bundle's files
//! with each value at its place replaced by that commitment are the
//! redacted bundle's byte for byte ([`check_openings`], `aiswatch evidence
//! verify REDACTED.zip --full FULL.zip --openings OPENINGS.json`); the
//! full bundle's lines tie to the archive. The full bundle must be of the
//! same alert and window (the same `--margin`) with the same stored data.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ed25519_dalek::SigningKey;

use crate::storage::Store;
use aiswatch_core::time::Millis;
use aiswatch_engine::detect::Defaults;
use aiswatch_zones::ZoneSet;

mod build;
mod collect;
mod escape;
mod geojson;
mod hold;
pub mod key;
mod manifest;
mod report;
mod svg;
mod verify;
mod withhold;
mod zipio;

pub use build::{export, export_with, ExportOptions};
pub use collect::{collect, Collected, Found, CLOCK_SLACK_MS};
pub use hold::place_hold;
pub use manifest::{
    files, ArchiveRef, FileEntry, Manifest, PositionCsv, RawLineEntry, RedactedFile, Redaction,
    StaticCsv, Window, ZoneRef, CHAIN_FORMULA, FORMAT,
};
pub use verify::{verify, verify_reader, verify_zip, Finding, VerifyOutcome};
pub use withhold::{
    check_openings, commitment, is_commitment, reveal, Opening, Openings, COMMITMENT_FORMULA,
    OPENINGS_FORMAT, SOURCES, WITHHELD_PREFIX,
};
pub use zipio::{Bundle, Limits, Member, ZipProblem};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod withhold_tests;
#[cfg(test)]
mod zip_tests;
#[cfg(test)]
mod zone_version_tests;

/// The default margin around an event: two hours.
pub const DEFAULT_MARGIN_MS: Millis = 2 * 3_600_000;

/// Errors of export and verification (verification's findings about a
/// bundle are not errors: see [`VerifyOutcome`]).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The signing key or a public key given is not one.
    #[error("evidence key: {0}")]
    Key(String),
    /// The operating system gave no random numbers for a new key.
    #[error("evidence key: no random numbers from the OS: {0}")]
    Random(getrandom::Error),
    /// 32 bytes that are not an Ed25519 public key.
    #[error("evidence key: {key:?}: not an Ed25519 public key: {source}")]
    PublicKey {
        /// The key as given.
        key: String,
        /// Why.
        source: ed25519_dalek::SignatureError,
    },
    /// The store could not be read.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// The raw archive could not be read (the cause is in the message,
    /// hence not also a `source`).
    #[error("raw archive: {0}")]
    Archive(crate::storage::raw::RawError),
    /// A raw record does not chain from the record before it.
    #[error(
        "raw archive: {}: seq {seq}: the hash does not chain from the record before it; run `aiswatch archive verify`",
        segment.display()
    )]
    Unchained {
        /// The segment file.
        segment: PathBuf,
        /// The record's sequence number.
        seq: u64,
    },
    /// The task scanning the raw archive panicked or was cancelled.
    #[error("raw archive: scan task failed: {0}")]
    ScanTask(tokio::task::JoinError),
    /// No such alert (or not one the caller may see).
    #[error("no alert {0}")]
    NotFound(String),
    /// The bundle window reaches back before what retention pruned, and no
    /// legal hold kept the alert's evidence.
    #[error(
        "alert {alert}: its evidence window {from} .. {to} reaches before {horizon}: positions \
         before {horizon} were pruned by retention; place a hold to keep an alert's evidence"
    )]
    Pruned {
        /// The alert.
        alert: String,
        /// The window's start (RFC 3339).
        from: String,
        /// The window's end (RFC 3339).
        to: String,
        /// What retention pruned up to (RFC 3339).
        horizon: String,
    },
    /// What was stored cannot be exported (its zone gone, a zone file
    /// changed, a bundle that would not verify).
    #[error("cannot export: {0}")]
    Export(String),
    /// JSON that does not read or write: `what` says which.
    #[error("cannot export: {what}: {source}")]
    Json {
        /// The stored alert, zone file or part of the bundle.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A time of the stored alert that is not RFC 3339.
    #[error("cannot export: stored alert: {field} {text:?}: {source}")]
    Time {
        /// Which field.
        field: &'static str,
        /// Its text.
        text: String,
        /// Why.
        source: chrono::ParseError,
    },
    /// A CSV file of the bundle could not be written.
    #[error("cannot export: csv: {0}")]
    Csv(#[from] csv::Error),
    /// The zip could not be written or read.
    #[error("zip: {0}")]
    Zip(zipio::ZipProblem),
}

impl EvidenceError {
    /// `what` (JSON) does not read or write.
    pub(crate) fn json(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Self {
        let what = what.into();
        move |source| Self::Json { what, source }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<crate::storage::raw::RawError> for EvidenceError {
    fn from(e: crate::storage::raw::RawError) -> Self {
        Self::Archive(e)
    }
}

/// Who writes the raw archive an export reads. A line is sent to the
/// archive's writer before its position goes to the store, and the writer
/// writes out what it holds at least every [`crate::storage::raw::FLUSH_EVERY`].
#[derive(Clone, Default)]
pub enum ArchiveWriter {
    /// Nobody: the archive is closed (the offline commands).
    #[default]
    None,
    /// This process: an export asks it to write out first.
    Here(crate::storage::raw::RawFlush),
    /// Another process, into a shared data directory (a cluster's engine
    /// leader, read by an api node): an export waits one writing period
    /// (and a margin) before reading.
    Elsewhere,
}

/// Everything an export reads, besides the alert id.
#[derive(Clone)]
pub struct ExportContext {
    /// The store.
    pub store: Store,
    /// The raw archive's directory (`<data_dir>/raw`).
    pub raw_dir: PathBuf,
    /// Who writes the raw archive while exports read it: every stored
    /// position's line must be in its files before an export reads them.
    pub raw_writer: ArchiveWriter,
    /// The installation's signing key.
    pub key: Arc<SigningKey>,
    /// The zones in force.
    pub zones: Arc<ZoneSet>,
    /// The detectors' defaults from the config (zones override them).
    pub defaults: Defaults,
    /// SHA-256 (hex) of the configuration file's bytes (of nothing when
    /// running on defaults), and the file.
    pub config_sha256: String,
    /// The configuration file, if any.
    pub config_file: Option<PathBuf>,
    /// Margin around the event (default [`DEFAULT_MARGIN_MS`]).
    pub margin_ms: Millis,
}

impl ExportContext {
    /// The context of one installation: its raw archive
    /// (`<data_dir>/raw`), its key in `data_dir` (created if there is none:
    /// the `bool` says so), the configuration file it runs under with the
    /// SHA-256 (hex) of its bytes (`None`: defaults), the detectors'
    /// defaults, and the default margin.
    pub fn open(
        store: Store,
        zones: Arc<ZoneSet>,
        data_dir: &Path,
        loaded_from: Option<&(PathBuf, String)>,
        defaults: Defaults,
    ) -> Result<(Self, bool), EvidenceError> {
        let (key, created) = key::load_or_create(data_dir)?;
        let (config_file, config_sha256) = match loaded_from {
            Some((p, h)) => (Some(p.clone()), h.clone()),
            None => (None, sha256_hex(b"")),
        };
        Ok((
            Self {
                store,
                raw_dir: data_dir.join(crate::storage::raw::RAW_DIR),
                raw_writer: ArchiveWriter::None,
                key: Arc::new(key),
                zones,
                defaults,
                config_sha256,
                config_file,
                margin_ms: DEFAULT_MARGIN_MS,
            },
            created,
        ))
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    key::hex(&Sha256::digest(bytes))
}
