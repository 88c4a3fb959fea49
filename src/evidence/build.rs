//! Building a bundle: the alert and its history from the store, the
//! vessels' positions and static data in the window, their raw lines from
//! the archive, the zone and thresholds, the map and the report; then the
//! manifest, signed. The finished bundle is checked with [`verify`] before
//! it is handed out, so an export never gives what verification refuses.

use std::collections::BTreeSet;

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::collect::{collect, Found};
use super::escape::csv_text;
use super::geojson::{EventProps, Feature, FeatureCollection, Geometry, Properties, TrackProps};
use super::hold::file_name;
use super::manifest::{
    files, ArchiveRef, FileEntry, Manifest, PositionCsv, RawLineEntry, StaticCsv, Window, ZoneRef,
    ZoneVersionRef, CHAIN_FORMULA, FORMAT,
};
use super::withhold::{withhold, Withholder};
use super::{
    key, report, sha256_hex, svg, verify, ArchiveWriter, Bundle, EvidenceError, ExportContext,
    Limits,
};
use crate::storage::Scope;
use crate::storage::{PositionRow, StaticRow};
use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::{rfc3339, Millis};
use aiswatch_engine::alert::Kind;
use aiswatch_engine::detect::InForce;

/// Most positions exported per vessel.
const MAX_POSITIONS: usize = 5_000_000;

/// Beyond the archive writer's period, for its writing and the lines
/// queued before it, when another process writes the archive.
const WRITE_MARGIN: std::time::Duration = std::time::Duration::from_millis(500);

/// What the export reads of a stored alert (the rest passes through).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AlertFacts {
    pub id: String,
    pub kind: Kind,
    pub state: String,
    pub mmsi: Vec<u32>,
    pub zone: String,
    pub zone_name: Option<String>,
    pub at: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub summary: String,
    /// The catalog message behind `summary` (absent in changes stored
    /// before summaries were catalogued).
    #[serde(default)]
    pub message: Option<aiswatch_i18n::Message>,
    pub details: Box<RawValue>,
}

/// A stored alert's RFC 3339 time as unix ms.
pub(super) fn parse_time(field: &'static str, text: &str) -> Result<Millis, EvidenceError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|source| EvidenceError::Time {
            field,
            text: text.to_owned(),
            source,
        })
}

/// `thresholds.json`.
#[derive(Serialize)]
struct Thresholds<'a> {
    /// The zone.
    zone: &'a str,
    /// Every detector's thresholds in force in the zone at export.
    in_force: InForce,
    /// What the alert itself says it used (its `details`).
    alert_details: &'a RawValue,
}

/// Everything gathered for one bundle, before it is written.
pub(super) struct Gathered {
    pub facts: AlertFacts,
    pub changes: Vec<String>,
    pub latest_json: String,
    pub window: Window,
    pub positions: Vec<PositionRow>,
    pub statics: Vec<StaticRow>,
    pub raw: Found,
    pub zone_geometry: geo::MultiPolygon<f64>,
    /// The zone versions the detectors applied (empty for alerts stored
    /// before zones were versioned).
    pub zone_versions: Vec<ZoneVersionRef>,
}

/// How a bundle is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Withhold receivers (agreement `redact = ["sources"]`): every
    /// station id, source id and peer address, and the raw lines' chain
    /// links, each replaced by a salted commitment (see the module doc,
    /// "What a redacted bundle proves").
    pub withhold_sources: bool,
    /// The language of `report.md` (a catalog tag; English when `None`).
    /// Only the report: the signed data files are the same in every
    /// language.
    pub lang: Option<&'static str>,
}

/// Exports alert `id` as the caller with `scope` may see it, in full.
pub async fn export(
    ctx: &ExportContext,
    id: &AlertId,
    scope: &Scope,
) -> Result<Bundle, EvidenceError> {
    export_with(ctx, id, scope, &ExportOptions::default()).await
}

/// Exports alert `id` as the caller with `scope` may see it, as `opts` say.
pub async fn export_with(
    ctx: &ExportContext,
    id: &AlertId,
    scope: &Scope,
    opts: &ExportOptions,
) -> Result<Bundle, EvidenceError> {
    let hist = ctx
        .store
        .alert(id, scope)
        .await?
        .ok_or_else(|| EvidenceError::NotFound(id.as_str().to_owned()))?;
    let facts = alert_facts(id, &hist.latest.json)?;
    let window = window_of(&facts, ctx.margin_ms)?;
    let held = ctx.store.hold(id).await?;
    check_not_pruned(ctx, id, &window, held.as_ref()).await?;
    let vessels: BTreeSet<u32> = facts.mmsi.iter().copied().collect();
    let mut positions = Vec::new();
    let mut statics = Vec::new();
    for &m in &vessels {
        let mmsi = Mmsi(m);
        positions.extend(
            ctx.store
                .track(mmsi, window.from_ms, window.to_ms, MAX_POSITIONS)
                .await?,
        );
        // The static data in force at the window's start, then its changes.
        if let Some(s) = ctx.store.static_at(mmsi, window.from_ms - 1).await? {
            statics.push(s);
        }
        statics.extend(
            ctx.store
                .statics_between(mmsi, window.from_ms, window.to_ms)
                .await?,
        );
    }
    let raw = collect_window(ctx, &vessels, &window).await?;
    let applied = applied_versions(ctx, &facts.zone, &hist.changes).await?;
    let (zone, feature, zone_ref) = if applied.is_empty() {
        // Stored before zones were versioned: the zone as in force now (or
        // as the hold kept it).
        let (zone, zone_file) = super::hold::zone_of(ctx, &facts.zone, held.as_ref())?;
        let feature = zone_feature(&zone_file, zone.feature_index, &zone.source_file)?;
        let zone_ref = ZoneRef {
            id: zone.id.to_string(),
            file: file_name(&zone.source_file),
            file_sha256: sha256_hex(&zone_file),
            sha256: sha256_hex(&feature),
            versions: Vec::new(),
        };
        (zone, feature, zone_ref)
    } else {
        let (zone, feature) = versions_geojson(&facts.zone, &applied)?;
        let zone_ref = ZoneRef {
            id: facts.zone.clone(),
            file: ctx
                .zones
                .get(&facts.zone)
                .map(|z| file_name(&z.source_file))
                .unwrap_or_default(),
            file_sha256: sha256_hex(&feature),
            sha256: sha256_hex(&feature),
            versions: applied.into_iter().map(|a| a.reference).collect(),
        };
        (zone, feature, zone_ref)
    };
    let zone = &zone;
    let thresholds = Thresholds {
        zone: &zone.id,
        in_force: ctx.defaults.in_force(zone),
        alert_details: &facts.details,
    };
    let thresholds =
        serde_json::to_vec_pretty(&thresholds).map_err(EvidenceError::json("thresholds"))?;
    let g = Gathered {
        facts,
        changes: hist.changes,
        latest_json: hist.latest.json,
        window,
        positions,
        statics,
        raw,
        zone_geometry: zone.geometry.clone(),
        zone_versions: zone_ref.versions.clone(),
    };
    assemble(ctx, &g, feature, thresholds, zone_ref, opts)
}

/// One zone version an alert's changes were made under.
struct Applied {
    reference: ZoneVersionRef,
    feature: String,
}

/// The zone versions `changes` (stored alert changes, JSON) carry, in the
/// order first applied, each with its Feature from the zone history (or,
/// when the history lacks it, from the zones in force if they hold that
/// version). Empty when no change carries one.
async fn applied_versions(
    ctx: &ExportContext,
    zone: &str,
    changes: &[String],
) -> Result<Vec<Applied>, EvidenceError> {
    #[derive(Deserialize)]
    struct Change {
        #[serde(default)]
        zone_version: Option<String>,
    }
    let mut out: Vec<Applied> = Vec::new();
    for c in changes {
        let Some(v) = serde_json::from_str::<Change>(c)
            .map_err(EvidenceError::json("a stored alert change"))?
            .zone_version
        else {
            continue;
        };
        if let Some(a) = out.iter_mut().find(|a| a.reference.version == v) {
            a.reference.changes += 1;
            continue;
        }
        let (feature, reference) = match ctx.store.zone_version(zone, &v).await? {
            Some(row) => (
                row.feature,
                ZoneVersionRef {
                    version: v,
                    in_force_from: Some(rfc3339(row.from_ms)),
                    in_force_until: row.until_ms.map(rfc3339),
                    by: Some(row.by),
                    changes: 1,
                },
            ),
            None => {
                let live = ctx.zones.get(zone).filter(|z| *z.source.version == *v);
                let Some(z) = live else {
                    return Err(EvidenceError::Export(format!(
                        "zone {zone:?} version {v} that the alert was raised under is neither in \
                         the zone history nor in force"
                    )));
                };
                (
                    z.source.feature.to_string(),
                    ZoneVersionRef {
                        version: v,
                        in_force_from: None,
                        in_force_until: None,
                        by: None,
                        changes: 1,
                    },
                )
            }
        };
        out.push(Applied { reference, feature });
    }
    Ok(out)
}

/// `zone.geojson` holding every applied version's Feature, each as its
/// text was hashed, and the zone as the last of them (for the thresholds
/// and the map).
fn versions_geojson(
    id: &str,
    applied: &[Applied],
) -> Result<(aiswatch_zones::Zone, Vec<u8>), EvidenceError> {
    let mut text = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
    for (i, a) in applied.iter().enumerate() {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&a.feature);
    }
    text.push_str("\n]}\n");
    let last = applied.last().map(|a| a.feature.as_str()).unwrap_or("{}");
    let one = format!("{{\"type\": \"FeatureCollection\", \"features\": [{last}]}}");
    let set = aiswatch_zones::ZoneSet::from_geojson(
        std::path::Path::new(files::ZONE),
        one.as_bytes(),
        aiswatch_engine::detect::SPECS,
    )
    .map_err(|errs| {
        let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
        EvidenceError::Export(format!(
            "the applied version of zone {id:?} does not load: {}",
            list.join("; ")
        ))
    })?;
    let zone = set.get(id).cloned().ok_or_else(|| {
        EvidenceError::Export(format!(
            "the applied version of zone {id:?} names another zone"
        ))
    })?;
    Ok((zone, text.into_bytes()))
}

/// The stored alert's JSON, read.
pub(super) fn alert_facts(id: &AlertId, json: &str) -> Result<AlertFacts, EvidenceError> {
    serde_json::from_str(json).map_err(EvidenceError::json(format!("stored alert {}", id.as_str())))
}

/// The raw lines of `vessels` in `window`, read from the archive on the
/// blocking pool.
pub(super) async fn collect_window(
    ctx: &ExportContext,
    vessels: &BTreeSet<u32>,
    window: &Window,
) -> Result<Found, EvidenceError> {
    // The positions were read from the store: their lines were sent to the
    // writer before they were stored.
    match &ctx.raw_writer {
        ArchiveWriter::None => {}
        ArchiveWriter::Here(f) => f.flush().await,
        ArchiveWriter::Elsewhere => {
            tokio::time::sleep(crate::storage::raw::FLUSH_EVERY + WRITE_MARGIN).await;
        }
    }
    let (dir, want, (from, to)) = (
        ctx.raw_dir.clone(),
        vessels.clone(),
        (window.from_ms, window.to_ms),
    );
    tokio::task::spawn_blocking(move || collect(&dir, &want, from, to))
        .await
        .map_err(EvidenceError::ScanTask)?
}

/// The bundle window of an alert: from its start less `margin_ms` to its
/// end (or latest change) plus `margin_ms`.
pub(super) fn window_of(facts: &AlertFacts, margin_ms: Millis) -> Result<Window, EvidenceError> {
    let mut end = parse_time("at", &facts.at)?;
    if let Some(e) = &facts.ended_at {
        end = end.max(parse_time("ended_at", e)?);
    }
    let start = parse_time("started_at", &facts.started_at)?;
    Ok(Window {
        from_ms: start.saturating_sub(margin_ms),
        to_ms: end.saturating_add(margin_ms),
        margin_ms,
    })
}

/// [`EvidenceError::Pruned`] when retention pruned positions in `window`
/// (before the horizon) that no hold on the alert kept.
async fn check_not_pruned(
    ctx: &ExportContext,
    id: &AlertId,
    window: &Window,
    held: Option<&crate::storage::Hold>,
) -> Result<(), EvidenceError> {
    let Some(horizon) = ctx.store.pruned_before().await? else {
        return Ok(());
    };
    if window.from_ms >= horizon {
        return Ok(());
    }
    // What of the window lies before the horizon, the hold must cover.
    let pruned_to = window.to_ms.min(horizon - 1);
    let kept = held
        .is_some_and(|h| h.from_ms <= window.from_ms && h.to_ms.is_none_or(|to| to >= pruned_to));
    if kept {
        return Ok(());
    }
    Err(EvidenceError::Pruned {
        alert: id.as_str().to_owned(),
        from: rfc3339(window.from_ms),
        to: rfc3339(window.to_ms),
        horizon: rfc3339(horizon),
    })
}

/// `zone.geojson`: a FeatureCollection holding the zone's feature from its file.
fn zone_feature(
    file: &[u8],
    index: usize,
    path: &std::path::Path,
) -> Result<Vec<u8>, EvidenceError> {
    #[derive(Deserialize)]
    struct Collection {
        features: Vec<Box<RawValue>>,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        features: [&'a RawValue; 1],
    }
    let c: Collection = serde_json::from_slice(file).map_err(EvidenceError::json(format!(
        "{}: changed since loaded",
        path.display()
    )))?;
    let f = c.features.get(index).ok_or_else(|| {
        EvidenceError::Export(format!(
            "{}: has no feature {index} any more",
            path.display()
        ))
    })?;
    serde_json::to_vec(&Out {
        kind: "FeatureCollection",
        features: [f],
    })
    .map_err(EvidenceError::json(files::ZONE))
}

pub(super) fn csv_bytes<T: Serialize>(
    rows: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>, EvidenceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner()
        .map_err(|e| EvidenceError::Csv(e.into_error().into()))
}

/// The CSV row of a stored position; its text cells neutralised
/// ([`csv_text`]).
pub(super) fn position_csv(p: &PositionRow) -> PositionCsv {
    PositionCsv {
        mmsi: p.mmsi.0,
        time_ms: p.time,
        time: rfc3339(p.time),
        lon: p.lon,
        lat: p.lat,
        sog_dkn: p.sog_dkn,
        cog_ddeg: p.cog_ddeg,
        heading: p.heading,
        nav_status: p.nav_status,
        msg_type: p.msg_type,
        station: p.station.as_deref().map(|t| csv_text(t).into_owned()),
        source: csv_text(&p.source).into_owned(),
    }
}

/// The CSV row of a stored static-data change; its text cells neutralised
/// ([`csv_text`]).
fn static_csv(s: &StaticRow) -> StaticCsv {
    StaticCsv {
        mmsi: s.mmsi.0,
        time: rfc3339(s.time),
        name: s.info.name.as_deref().map(|t| csv_text(t).into_owned()),
        callsign: s.info.callsign.as_deref().map(|t| csv_text(t).into_owned()),
        imo: s.info.imo,
        ship_type: s.info.ship_type,
        length_m: s.info.length_m,
        beam_m: s.info.beam_m,
        draught_m: s.info.draught_m,
        destination: s
            .info
            .destination
            .as_deref()
            .map(|t| csv_text(t).into_owned()),
        source: csv_text(&s.source).into_owned(),
    }
}

/// `tracks.geojson`: one LineString per vessel (with its latest static
/// data in the window) and the event's point.
fn tracks_geojson(g: &Gathered) -> Result<Vec<u8>, EvidenceError> {
    let mut features = Vec::new();
    let vessels: BTreeSet<u32> = g.facts.mmsi.iter().copied().collect();
    for m in vessels {
        let pts: Vec<&PositionRow> = g.positions.iter().filter(|p| p.mmsi.0 == m).collect();
        let info = g
            .statics
            .iter()
            .rev()
            .find(|s| s.mmsi.0 == m)
            .map(|s| &s.info);
        features.push(Feature::new(
            Geometry::LineString {
                coordinates: pts.iter().map(|p| [p.lon, p.lat]).collect(),
            },
            Properties::Track(TrackProps {
                mmsi: m,
                times: pts.iter().map(|p| rfc3339(p.time)).collect(),
                name: info.and_then(|i| i.name.clone()),
                callsign: info.and_then(|i| i.callsign.clone()),
                imo: info.and_then(|i| i.imo),
                ship_type: info.and_then(|i| i.ship_type),
                length_m: info.and_then(|i| i.length_m),
            }),
        ));
    }
    features.push(Feature::new(
        Geometry::Point {
            coordinates: [g.facts.lon, g.facts.lat],
        },
        Properties::Event(EventProps {
            alert_id: g.facts.id.clone(),
            kind: g.facts.kind.as_str().to_owned(),
            started_at: g.facts.started_at.clone(),
            ended_at: g.facts.ended_at.clone(),
        }),
    ));
    serde_json::to_vec(&FeatureCollection::new(features))
        .map_err(EvidenceError::json(files::TRACKS_GEOJSON))
}

/// Writes the files, the manifest and the signature; checks the result.
fn assemble(
    ctx: &ExportContext,
    g: &Gathered,
    zone_geojson: Vec<u8>,
    thresholds: Vec<u8>,
    zone: ZoneRef,
    opts: &ExportOptions,
) -> Result<Bundle, EvidenceError> {
    let mut b = Bundle::default();
    let mut lines = Vec::new();
    let mut entries = Vec::with_capacity(g.raw.lines.len());
    for (i, c) in g.raw.lines.iter().enumerate() {
        lines.extend_from_slice(&c.rec.line);
        lines.push(b'\n');
        entries.push(RawLineEntry {
            n: i as u64 + 1,
            seq: c.rec.seq,
            received_at_ms: c.rec.received_at,
            received_at: rfc3339(c.rec.received_at),
            source: c.rec.source.clone(),
            peer: c.rec.peer.map(|p| p.to_string()),
            station: c.station.clone(),
            prev: key::hex(&c.prev),
            hash: key::hex(&c.rec.hash),
        });
    }
    b.put(files::RAW_LINES, lines);
    b.put(
        files::POSITIONS_CSV,
        csv_bytes(g.positions.iter().map(position_csv))?,
    );
    b.put(files::TRACKS_GEOJSON, tracks_geojson(g)?);
    b.put(
        files::STATICS_CSV,
        csv_bytes(g.statics.iter().map(static_csv))?,
    );
    b.put(files::ALERT, g.latest_json.clone().into_bytes());
    let mut changes = String::new();
    for c in &g.changes {
        changes.push_str(c);
        changes.push('\n');
    }
    b.put(files::ALERT_CHANGES, changes.into_bytes());
    b.put(files::ZONE, zone_geojson);
    b.put(files::THRESHOLDS, thresholds);
    b.put(files::MAP, svg::render(g).into_bytes());
    let withheld = if opts.withhold_sources {
        let mut w = Withholder::derived(&ctx.key, &g.facts.id, false);
        Some(withhold(&mut b, &mut entries, &mut w)?)
    } else {
        None
    };
    let public = ctx.key.verifying_key();
    b.put(
        files::REPORT,
        report::render(
            g,
            &entries,
            &key::fingerprint(&public),
            withheld.as_ref(),
            opts.lang.unwrap_or(aiswatch_i18n::ENGLISH),
        )
        .into_bytes(),
    );

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        aiswatch_version: env!("CARGO_PKG_VERSION").to_owned(),
        exported_at: rfc3339(aiswatch_core::time::now_ms()),
        alert_id: g.facts.id.clone(),
        alert_kind: g.facts.kind.as_str().to_owned(),
        vessels: g.facts.mmsi.clone(),
        window: g.window,
        config_sha256: ctx.config_sha256.clone(),
        config_file: ctx.config_file.as_ref().map(|p| p.display().to_string()),
        zone,
        public_key: key::public_hex(&public),
        files: b
            .entries
            .iter()
            .map(|(path, bytes)| FileEntry {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            })
            .collect(),
        raw_lines: entries,
        chain: CHAIN_FORMULA.to_owned(),
        archive: ArchiveRef {
            segments_scanned: g.raw.scanned,
            segments_indexed: g.raw.indexed,
            segments_total: g.raw.total,
        },
        redacted: withheld.map(|w| w.redaction),
    };
    let mut manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(EvidenceError::json("manifest"))?;
    manifest_bytes.push(b'\n');
    let sig = ctx.key.sign(&manifest_bytes);
    b.put(files::MANIFEST, manifest_bytes);
    b.put(
        files::SIGNATURE,
        format!("{}\n", key::hex(&sig.to_bytes())).into_bytes(),
    );
    b.put(
        files::PUBLIC_KEY,
        format!("{}\n", key::public_hex(&public)).into_bytes(),
    );

    Limits::default()
        .admit(b.entries.iter().map(|(p, x)| (p.as_str(), x.len() as u64)))
        .map_err(|e| {
            EvidenceError::Export(format!(
                "the bundle would be refused by verification: {e}; export a narrower window (--margin)"
            ))
        })?;
    let check = verify(&b, Some(&public));
    if !check.is_ok() {
        let list: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
        return Err(EvidenceError::Export(format!(
            "the bundle would not verify (the store and the raw archive disagree?):\n{}",
            list.join("\n")
        )));
    }
    Ok(b)
}
