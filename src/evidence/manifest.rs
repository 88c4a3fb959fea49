//! The bundle's typed documents: the manifest (what is signed), the rows of
//! the positions and static-data CSV files, and the names of the files.

use serde::{Deserialize, Serialize};

/// The manifest's `format`.
pub const FORMAT: &str = "aiswatch-evidence/1";

/// Bundle file names.
pub mod files {
    /// The manifest: every other file's SHA-256, the chain links. Signed.
    pub const MANIFEST: &str = "manifest.json";
    /// Ed25519 signature over the exact bytes of the manifest (hex, newline).
    pub const SIGNATURE: &str = "manifest.sig";
    /// The signer's public key (hex, newline).
    pub const PUBLIC_KEY: &str = "public_key";
    /// The raw lines as received, one per line (`\n` after each).
    pub const RAW_LINES: &str = "raw/lines.nmea";
    /// Stored positions of the alert's vessels in the window.
    pub const POSITIONS_CSV: &str = "positions.csv";
    /// The same, one LineString per vessel with its static data.
    pub const TRACKS_GEOJSON: &str = "tracks.geojson";
    /// Stored static-data changes of the vessels in the window.
    pub const STATICS_CSV: &str = "statics.csv";
    /// The alert's latest state as stored.
    pub const ALERT: &str = "alert.json";
    /// Every state change as stored, one JSON object a line.
    pub const ALERT_CHANGES: &str = "alert_changes.jsonl";
    /// The zone's features as the detectors applied them (each version).
    pub const ZONE: &str = "zone.geojson";
    /// The detectors' thresholds in force in the zone.
    pub const THRESHOLDS: &str = "thresholds.json";
    /// The picture.
    pub const MAP: &str = "map.svg";
    /// The human-readable report.
    pub const REPORT: &str = "report.md";
    /// The files the manifest does not list (they carry or check it).
    pub const UNLISTED: [&str; 3] = [MANIFEST, SIGNATURE, PUBLIC_KEY];
    /// The files the manifest lists, in the order they are written.
    pub const LISTED: [&str; 10] = [
        RAW_LINES,
        POSITIONS_CSV,
        TRACKS_GEOJSON,
        STATICS_CSV,
        ALERT,
        ALERT_CHANGES,
        ZONE,
        THRESHOLDS,
        MAP,
        REPORT,
    ];
    /// The files verification reads into memory to check their content;
    /// every other file only passes through SHA-256.
    pub const HELD: [&str; 7] = [
        MANIFEST,
        SIGNATURE,
        PUBLIC_KEY,
        RAW_LINES,
        POSITIONS_CSV,
        ALERT_CHANGES,
        ZONE,
    ];
    /// Directories a zip tool may add as entries of their own.
    pub const DIRECTORIES: [&str; 1] = ["raw/"];

    /// Whether `path` is a file (or directory entry) of a bundle: a zip
    /// holding anything else is refused before anything is read.
    pub fn known(path: &str) -> bool {
        LISTED.contains(&path) || UNLISTED.contains(&path) || DIRECTORIES.contains(&path)
    }
}

/// What the signature covers: everything needed to check every file and
/// tie every raw line to the archive's chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The aiswatch version that exported it.
    pub aiswatch_version: String,
    /// Wall-clock time of the export (RFC 3339).
    pub exported_at: String,
    /// The alert.
    pub alert_id: String,
    /// Its detector (`dark_period`, `rendezvous`, …).
    pub alert_kind: String,
    /// Its vessels.
    pub vessels: Vec<u32>,
    /// The event-time window exported.
    pub window: Window,
    /// SHA-256 of the configuration file the exporter ran with (hex), or of
    /// the empty string when it ran on defaults (`config_file` is then null).
    pub config_sha256: String,
    /// The configuration file's path, if any.
    pub config_file: Option<String>,
    /// The zone: the versions the detectors applied, or (for alerts stored
    /// before zones were versioned) the zone in force at export.
    pub zone: ZoneRef,
    /// The signer's public key (hex): must equal the `public_key` file.
    pub public_key: String,
    /// Every file of the bundle but the manifest, the signature and the key.
    pub files: Vec<FileEntry>,
    /// The raw lines in `raw/lines.nmea`, in order, with their chain links.
    pub raw_lines: Vec<RawLineEntry>,
    /// The formula each `hash` of `raw_lines` satisfies.
    pub chain: String,
    /// What the archive held when exported: its segments read and its seqs.
    pub archive: ArchiveRef,
    /// What was withheld from this bundle, if anything (absent from a full
    /// bundle's manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<Redaction>,
}

/// What a redacted bundle withholds, and how (see the module doc of
/// `crate::evidence`, "What a redacted bundle proves").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// The kinds withheld: `sources` (every receiver: station ids, source
    /// ids, peer addresses, and the chain links that would let them be
    /// guessed).
    pub withheld: Vec<String>,
    /// How each `withheld:…` commitment that replaces a value is made.
    pub commitment: String,
    /// Per file, what was replaced or removed.
    pub files: Vec<RedactedFile>,
}

/// What withholding changed in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactedFile {
    /// The file.
    pub path: String,
    /// Fields each of whose values is replaced by a commitment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<String>,
    /// What was removed outright.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// A commitment to the file's bytes before withholding (where fields
    /// were removed rather than replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// An event-time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start, unix ms.
    pub from_ms: i64,
    /// End (inclusive), unix ms.
    pub to_ms: i64,
    /// Margin around the event, ms (default two hours).
    pub margin_ms: i64,
}

/// The zone an alert was raised in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneRef {
    /// Its id.
    pub id: String,
    /// The zone file it came from (name only).
    pub file: String,
    /// SHA-256 of that file as it was at export.
    pub file_sha256: String,
    /// SHA-256 of `zone.geojson` (its feature), also listed in `files`.
    pub sha256: String,
    /// The versions the detectors applied, in the order first applied
    /// (absent for alerts stored before zones were versioned: then
    /// `zone.geojson` is the zone as in force at export).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<ZoneVersionRef>,
}

/// One version of the zone that the detectors applied to the alert: its
/// Feature is in `zone.geojson` (in this order), whose text hashes to
/// `version`, the value the alert's changes carry in `zone_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneVersionRef {
    /// SHA-256 of the Feature's JSON text (hex).
    pub version: String,
    /// When the daemon put it in force (RFC 3339, the daemon's clock);
    /// null when the zone history does not hold it.
    pub in_force_from: Option<String>,
    /// When a later zone set replaced it; null while in force.
    pub in_force_until: Option<String>,
    /// Who brought it (`start`, `file`, `admin`).
    pub by: Option<String>,
    /// How many of the alert's changes were made under it.
    pub changes: u64,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path in the zip.
    pub path: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its length.
    pub bytes: u64,
}

/// One exported raw line: where it sits in the archive and its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLineEntry {
    /// 1-based line number in `raw/lines.nmea`.
    pub n: u64,
    /// Position in the continuous archive.
    pub seq: u64,
    /// Receive time, unix ms.
    pub received_at_ms: i64,
    /// Receive time, RFC 3339 (for people).
    pub received_at: String,
    /// The source id it came in on.
    pub source: String,
    /// The receiver's `ip:port`, if the source knew it.
    pub peer: Option<String>,
    /// The receiving station (tag block `s:`), if the line names one.
    pub station: Option<String>,
    /// The hash of the archive record before it (hex).
    pub prev: String,
    /// Its own link hash (hex): the archive holds the same at `seq`.
    pub hash: String,
}

/// The archive's state at export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRef {
    /// Segments read (those that could hold lines of the window).
    pub segments_scanned: usize,
    /// Of those, segments read through their index by vessel.
    pub segments_indexed: usize,
    /// Segments in the archive.
    pub segments_total: usize,
}

/// One row of `positions.csv`: a stored position report, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionCsv {
    /// The vessel.
    pub mmsi: u32,
    /// Event time, unix ms.
    pub time_ms: i64,
    /// Event time, RFC 3339.
    pub time: String,
    /// Degrees.
    pub lon: f64,
    /// Degrees.
    pub lat: f64,
    /// Speed over ground, 1/10 knot.
    pub sog_dkn: Option<u16>,
    /// Course over ground, 1/10 degree.
    pub cog_ddeg: Option<u16>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// Navigational status.
    pub nav_status: Option<u8>,
    /// AIS message type.
    pub msg_type: u8,
    /// Receiving station, if known.
    pub station: Option<String>,
    /// The source that delivered it.
    pub source: String,
}

/// One row of `statics.csv`: a stored static-data change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticCsv {
    /// The vessel.
    pub mmsi: u32,
    /// Event time of the report that changed it, RFC 3339.
    pub time: String,
    /// Name.
    pub name: Option<String>,
    /// Call sign.
    pub callsign: Option<String>,
    /// IMO number.
    pub imo: Option<u32>,
    /// AIS ship type code.
    pub ship_type: Option<u8>,
    /// Metres.
    pub length_m: Option<u16>,
    /// Metres.
    pub beam_m: Option<u16>,
    /// Metres.
    pub draught_m: Option<f32>,
    /// Destination.
    pub destination: Option<String>,
    /// The source that delivered it.
    pub source: String,
}

/// The chain formula, as written into every manifest.
pub const CHAIN_FORMULA: &str = "hash = SHA-256(prev || seq u64 BE || received_at_ms i64 BE || len(source) u16 BE || source || len(peer) u16 BE || peer || line), peer empty when null, over the UTF-8 bytes of source and peer and the line's bytes in raw/lines.nmea";
