//! ③ Patrol zones: GeoJSON loading, validation and a spatial index of zones.
//!
//! Operators describe *where* to watch and *what* to watch for in
//! `zones/*.geojson` (see `zones/README.md` for the file format). Each file
//! is a GeoJSON FeatureCollection of Polygon/MultiPolygon features in WGS84
//! lon/lat; each feature is one [`Zone`] with an `id`, a [`ZoneKind`], the
//! regional centres its alerts go to, and the detectors that run in it
//! ([`ZoneDetect`]): each detector describes its thresholds with a
//! [`DetectorSpec`], and the loader checks a zone's blocks against the specs
//! it is given, so this crate knows no detector by name.
//!
//! [`ZoneSet::load_dir`] reads and validates a directory and reports *every*
//! problem it finds as a [`ZoneError`] naming file, feature, id and
//! property; [`ZoneSet::check_dir`] is the same for `aiswatch zones check`.
//!
//! Lookups ([`ZoneSet::zones_at`], [`ZoneSet::is_port`]) go through an
//! R-tree of polygon bounding boxes (or, for up to 32 polygons, a scan of
//! the boxes), then a banded edge index per polygon, so they stay cheap
//! with hundreds of zones of thousands of vertices. They answer in load
//! order. [`ZoneSet::zones_throughout`] tells when a whole grid cell is in
//! the same zones, so callers can remember the answer per cell.
//!
//! # Antimeridian
//!
//! Coordinates are plain lon/lat, so a single ring must not cross ±180°
//! (it would be read as spanning the whole globe the other way). A zone that
//! straddles the antimeridian is a MultiPolygon with one part ending at
//! lon 180 and another starting at lon −180. Queries take lon in −180..=180;
//! anything else (including the AIS "not available" 181/91) is in no zone.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cells;
mod detect;
mod error;
mod geom;
mod index;
mod load;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use serde::Serialize;
use smallvec::SmallVec;

pub use detect::{any_zone, DetectorSpec, Threshold, Unit, ZoneDetect};
pub use error::{ZoneError, ZoneErrorKind};
pub use load::{list_dir, PROPERTIES};

use index::PolyIndex;
use load::Issue;

/// What a zone is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneKind {
    /// Open water to watch (the default).
    #[default]
    Patrol,
    /// A port or anchorage: vessels stop and meet here as a matter of
    /// course, so loitering and rendezvous are never alerted inside one,
    /// even where it lies within a patrol zone.
    Port,
    /// An area closed to fishing (marine protected area, closed season,
    /// territorial waters without a licence): the only kind where the
    /// `fishing` detector runs. Otherwise watched like a patrol zone.
    #[serde(rename = "closed_area")]
    ClosedArea,
}

/// One zone: a feature of a zone file.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Unique across all zone files.
    pub id: aiswatch_core::ids::ZoneId,
    /// Human-readable name.
    pub name: Option<String>,
    /// Patrol zone or port.
    pub kind: ZoneKind,
    /// Regional centres that receive this zone's alerts, in file order.
    /// Empty when the file names none.
    pub centres: Vec<aiswatch_core::ids::CentreId>,
    /// Detectors that run here and their threshold overrides.
    pub detect: ZoneDetect,
    /// The area, lon/lat degrees (x = lon).
    pub geometry: geo::MultiPolygon<f64>,
    /// The file the zone came from.
    pub source_file: PathBuf,
    /// 0-based index of the feature in that file's `features` array.
    pub feature_index: usize,
    /// The zone as applied: its GeoJSON Feature and that text's SHA-256
    /// (the zone's version). Empty for zones made in code until
    /// [`ZoneSet::from_zones`] describes them.
    pub source: ZoneSource,
}

/// A zone's GeoJSON Feature, as one line of JSON (members in the order of
/// serde_json's maps, numbers as serde_json writes them), and the SHA-256
/// of that text in hex: the same zone always gives the same version, on
/// every installation, in live and in replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneSource {
    /// The Feature's JSON text.
    pub feature: std::sync::Arc<str>,
    /// SHA-256 of `feature`, 64 lowercase hex digits.
    pub version: std::sync::Arc<str>,
}

impl ZoneSource {
    /// The source of a Feature given as a JSON value.
    pub fn of(feature: &serde_json::Value) -> Self {
        use sha2::Digest;
        let text = feature.to_string();
        let digest = sha2::Sha256::digest(text.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
        }
        Self {
            feature: text.into(),
            version: hex.into(),
        }
    }
}

impl Zone {
    /// The zone as a GeoJSON Feature value: its properties as a zone file
    /// writes them and its area as a MultiPolygon (for zones made in code;
    /// a loaded zone's [`Zone::source`] keeps the feature as written).
    pub fn to_feature(&self) -> serde_json::Value {
        use serde_json::{json, Map};
        let mut props = Map::new();
        props.insert("id".into(), json!(self.id.as_str()));
        if let Some(n) = &self.name {
            props.insert("name".into(), json!(n));
        }
        props.insert("kind".into(), json!(self.kind));
        if !self.centres.is_empty() {
            let c: Vec<&str> = self.centres.iter().map(|c| c.as_str()).collect();
            props.insert("centre".into(), json!(c));
        }
        if !self.detect.is_empty() {
            props.insert("detect".into(), self.detect.to_json());
        }
        json!({
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "MultiPolygon", "coordinates": self.coordinates()},
        })
    }

    /// The area as GeoJSON MultiPolygon coordinates: per polygon its
    /// exterior ring then its holes, each ring's `[lon, lat]` positions.
    pub fn coordinates(&self) -> Vec<Vec<Vec<[f64; 2]>>> {
        self.geometry
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect()
    }

    /// True for ports and anchorages.
    pub fn is_port(&self) -> bool {
        self.kind == ZoneKind::Port
    }
}

/// Zones one set may hold: the detectors number a set's zones in 16 bits.
pub const MAX_ZONES: usize = 1 << 16;

/// The error for a set of `zones` zones, more than [`MAX_ZONES`], located at
/// `first_beyond`, the first zone past the limit.
pub(crate) fn too_many(zones: usize, first_beyond: &Zone) -> ZoneError {
    ZoneError {
        kind: ZoneErrorKind::Structure,
        file: first_beyond.source_file.clone(),
        feature: Some(first_beyond.feature_index),
        id: Some(first_beyond.id.to_string()),
        property: None,
        message: format!(
            "{zones} zones in all: a zone set holds at most {MAX_ZONES}; this is the first beyond"
        ),
    }
}

/// Up to this many polygons, a point lookup scans their boxes in load order
/// instead of walking the R-tree (whose iterator copies a stack of nodes).
const SCAN_MAX: usize = 32;

/// An R-tree entry: one polygon's bounding box, tagged (zone, polygon).
type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// All zones, indexed for point lookups. Immutable once built: to reload,
/// build a new set and swap it in.
#[derive(Debug, Clone)]
pub struct ZoneSet {
    zones: Vec<Zone>,
    /// Per zone, one index per polygon (same order as its MultiPolygon).
    polys: Vec<Vec<PolyIndex>>,
    tree: RTree<BoxEntry>,
    by_id: HashMap<aiswatch_core::ids::ZoneId, usize>,
}

impl Default for ZoneSet {
    fn default() -> Self {
        Self::empty()
    }
}

impl ZoneSet {
    /// A set with no zones: every lookup answers "nowhere".
    pub fn empty() -> Self {
        Self::build(Vec::new())
    }

    /// Reads every `*.geojson` file of `dir` (not recursive), in file-name
    /// order, and validates all of them. A missing directory, or one without
    /// zone files, is an error naming the directory.
    ///
    /// # Errors
    ///
    /// Every problem found in every file, not just the first.
    pub fn load_dir(dir: &Path, specs: &[DetectorSpec]) -> Result<ZoneSet, Vec<ZoneError>> {
        let files = load::list_dir(dir).map_err(|e| vec![e])?;
        let (zones, errors) = load::load_files(&files, specs);
        if errors.is_empty() {
            Ok(Self::build(zones))
        } else {
            Err(errors)
        }
    }

    /// Validates and loads `dir` as [`ZoneSet::load_dir`] would after the
    /// edits `edits` (file → its new bytes, or `None`: the file removed; a
    /// file not yet in `dir` is added): what an edit would leave, checked
    /// before anything is written.
    ///
    /// # Errors
    ///
    /// Every problem found in every file.
    pub fn load_dir_edited(
        dir: &Path,
        specs: &[DetectorSpec],
        edits: &HashMap<PathBuf, Option<Vec<u8>>>,
    ) -> Result<ZoneSet, Vec<ZoneError>> {
        let mut files = match load::list_dir(dir) {
            Ok(f) => f,
            // A directory emptied of zone files is judged on the edits alone.
            Err(e) if e.kind == ZoneErrorKind::Io && dir.is_dir() => Vec::new(),
            Err(e) => return Err(vec![e]),
        };
        for (f, bytes) in edits {
            let listed = files.contains(f);
            match bytes {
                None => files.retain(|x| x != f),
                Some(_) if !listed => files.push(f.clone()),
                Some(_) => {}
            }
        }
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        if files.is_empty() {
            return Err(vec![ZoneError::file(
                ZoneErrorKind::Io,
                dir,
                "no *.geojson zone files would be left in the directory".to_string(),
            )]);
        }
        let (zones, errors) = load::load_with(&files, specs, |f| match edits.get(f) {
            Some(Some(bytes)) => Ok(bytes.clone()),
            _ => std::fs::read(f),
        });
        if errors.is_empty() {
            Ok(Self::build(zones))
        } else {
            Err(errors)
        }
    }

    /// Loads one zone file already in memory, validated as
    /// [`ZoneSet::load_dir`] validates each file; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// Every problem found in the file.
    pub fn from_geojson(
        file: &Path,
        bytes: &[u8],
        specs: &[DetectorSpec],
    ) -> Result<ZoneSet, Vec<ZoneError>> {
        let (zones, errors) = load::load_with(&[file.to_path_buf()], specs, |_| Ok(bytes.to_vec()));
        if errors.is_empty() {
            Ok(Self::build(zones))
        } else {
            Err(errors)
        }
    }

    /// Validates `dir` like [`ZoneSet::load_dir`] and returns all problems;
    /// empty means the directory would load. For `aiswatch zones check`.
    pub fn check_dir(dir: &Path, specs: &[DetectorSpec]) -> Vec<ZoneError> {
        match load::list_dir(dir) {
            Ok(files) => load::load_files(&files, specs).1,
            Err(e) => vec![e],
        }
    }

    /// Builds a set from zones made in code (tests, other loaders). Checks
    /// what the index relies on: valid ids, unique ids, and valid geometry
    /// (rings of ≥ 4 positions, coordinates in range, no self-intersection).
    /// Detector thresholds are taken as given.
    ///
    /// # Errors
    ///
    /// Every problem found, located by each zone's `source_file` and
    /// `feature_index`.
    pub fn from_zones(zones: Vec<Zone>) -> Result<ZoneSet, Vec<ZoneError>> {
        let mut errors = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, z) in zones.iter().enumerate() {
            let mut issues: Vec<Issue> = Vec::new();
            if z.id.is_empty() {
                issues.push(Issue::property("id", "must not be empty".to_string()));
            } else if let Some(&first) = seen.get(z.id.as_str()) {
                let f = &zones[first];
                errors.push(ZoneError {
                    kind: ZoneErrorKind::DuplicateId,
                    file: z.source_file.clone(),
                    feature: Some(z.feature_index),
                    id: Some(z.id.to_string()),
                    property: Some("id".to_string()),
                    message: format!(
                        "duplicate id {:?}: already used by {} feature #{}",
                        z.id,
                        f.source_file.display(),
                        f.feature_index
                    ),
                });
            } else {
                seen.insert(&z.id, i);
            }
            if z.geometry.0.is_empty() {
                issues.push(Issue::geometry(
                    "geometry",
                    "MultiPolygon has no polygons".to_string(),
                ));
            }
            for (p, poly) in z.geometry.0.iter().enumerate() {
                let path = |r: usize| format!("geometry.coordinates[{p}][{r}]");
                let before = issues.len();
                for (r, ring) in std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .enumerate()
                {
                    geom::check_ring_coords(&ring.0, &path(r), &mut issues);
                }
                if issues.len() == before {
                    geom::check_simple(poly, &path, &mut issues);
                }
            }
            errors.extend(issues.into_iter().map(|is| ZoneError {
                kind: is.kind,
                file: z.source_file.clone(),
                feature: Some(z.feature_index),
                id: (!z.id.is_empty()).then(|| z.id.to_string()),
                property: is.property,
                message: is.message,
            }));
        }
        if let Some(z) = zones.get(MAX_ZONES) {
            errors.push(too_many(zones.len(), z));
        }
        if errors.is_empty() {
            let zones = zones
                .into_iter()
                .map(|mut z| {
                    if z.source.version.is_empty() {
                        z.source = ZoneSource::of(&z.to_feature());
                    }
                    z
                })
                .collect();
            Ok(Self::build(zones))
        } else {
            Err(errors)
        }
    }

    /// Indexes zones already known to be valid.
    fn build(zones: Vec<Zone>) -> Self {
        let polys: Vec<Vec<PolyIndex>> = zones
            .iter()
            .map(|z| z.geometry.0.iter().map(PolyIndex::new).collect())
            .collect();
        let boxes: Vec<BoxEntry> = polys
            .iter()
            .enumerate()
            .flat_map(|(zi, ps)| {
                ps.iter().enumerate().filter_map(move |(pi, p)| {
                    let (min, max) = p.bbox();
                    // A degenerate polygon (no area) has an empty box.
                    (min[0] <= max[0])
                        .then(|| GeomWithData::new(Rectangle::from_corners(min, max), (zi, pi)))
                })
            })
            .collect();
        let by_id = zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.id.clone(), i))
            .collect();
        Self {
            zones,
            polys,
            tree: RTree::bulk_load(boxes),
            by_id,
        }
    }

    /// A set of some of these zones, each as `f` makes it (`None`: left
    /// out), in the same order. The zones stay valid: ids and geometry are
    /// not checked again (`f` must keep them).
    pub fn filter_map(&self, f: impl FnMut(&Zone) -> Option<Zone>) -> ZoneSet {
        Self::build(self.zones.iter().filter_map(f).collect())
    }

    /// All zones, in load order (file name, then feature order).
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// True when there are no zones.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The zone with this id.
    pub fn get(&self, id: &str) -> Option<&Zone> {
        self.by_id.get(id).map(|&i| &self.zones[i])
    }

    /// The zones containing the point (`lon`, `lat`, degrees), each once, in
    /// load order (see [`ZoneSet::zones`]). Patrol zones and ports may
    /// overlap, so a point can be in several. Points exactly on a boundary
    /// may be counted in or out. Out-of-range or NaN coordinates (such as
    /// the AIS "not available" lon 181 / lat 91) are in no zone.
    pub fn zones_at(&self, lon: f64, lat: f64) -> impl Iterator<Item = &Zone> + '_ {
        self.indices_at(lon, lat)
            .into_iter()
            .map(move |i| &self.zones[i])
    }

    /// Like [`ZoneSet::zones_at`], as indices into [`ZoneSet::zones`].
    pub fn indices_at(&self, lon: f64, lat: f64) -> SmallVec<[usize; 8]> {
        let mut out = SmallVec::new();
        let valid = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
        if !valid {
            return out;
        }
        if self.tree.size() <= SCAN_MAX {
            // A few polygons: their boxes, in order, beat a walk of the tree.
            for (z, ps) in self.polys.iter().enumerate() {
                if ps.iter().any(|p| p.contains(lon, lat)) {
                    out.push(z);
                }
            }
            return out;
        }
        out.extend(
            self.tree
                .locate_all_at_point(&[lon, lat])
                .filter(|e| {
                    let (z, p) = e.data;
                    let ps = &self.polys[z];
                    // Report a zone only for the first of its polygons that holds
                    // the point, in case parts of a MultiPolygon overlap.
                    ps[p].contains(lon, lat) && !ps[..p].iter().any(|q| q.contains(lon, lat))
                })
                .map(|e| e.data.0),
        );
        out.sort_unstable();
        out
    }

    /// True when (`lon`, `lat`) lies in at least one port zone.
    pub fn is_port(&self, lon: f64, lat: f64) -> bool {
        self.zones_at(lon, lat).any(Zone::is_port)
    }
}
