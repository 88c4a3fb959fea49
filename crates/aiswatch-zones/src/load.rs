//! Reading and validating zone files.
//!
//! Files are parsed into a `serde_json::Value` first (so syntax errors carry
//! serde_json's line and column), then walked by hand: that is what lets
//! every problem be reported with its file, feature, id and property path,
//! and lets us keep going after the first one.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use super::detect::{parse_detect, DetectorSpec, ZoneDetect};
use super::error::{ZoneError, ZoneErrorKind};
use super::geom::{check_ring_coords, check_simple};
use super::{Zone, ZoneKind};

/// The properties a zone feature may have.
pub const PROPERTIES: [&str; 5] = ["id", "name", "kind", "centre", "detect"];

/// A problem inside one feature, before it is tied to a file and feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Issue {
    pub(crate) kind: ZoneErrorKind,
    pub(crate) property: Option<String>,
    pub(crate) message: String,
}

/// A short description of a JSON value for "expected X, found Y" messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// The `*.geojson` files of `dir`, sorted by name.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, ZoneError> {
    let io = |m: String| ZoneError::file(ZoneErrorKind::Io, dir, m);
    let rd = fs::read_dir(dir).map_err(|e| io(format!("cannot read zone directory: {e}")))?;
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| io(format!("cannot read zone directory: {e}")))?;
        let path = entry.path();
        let is_geojson = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("geojson"));
        // `Path::is_file` follows symlinks, which is what we want here.
        if is_geojson && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(io("no *.geojson zone files in directory".to_string()));
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Loads every file, collecting every error, including ids duplicated
/// across files. Zones come back in file order, then feature order.
pub(crate) fn load_files(files: &[PathBuf], specs: &[DetectorSpec]) -> (Vec<Zone>, Vec<ZoneError>) {
    load_with(files, specs, |file| fs::read(file))
}

/// As [`load_files`], with each file's bytes from `read` (which may serve
/// them from memory).
pub(crate) fn load_with(
    files: &[PathBuf],
    specs: &[DetectorSpec],
    mut read: impl FnMut(&Path) -> std::io::Result<Vec<u8>>,
) -> (Vec<Zone>, Vec<ZoneError>) {
    let mut zones = Vec::new();
    let mut errors = Vec::new();
    // id → (file, feature index) of its first use.
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for file in files {
        let parsed_file = match read(file) {
            Ok(bytes) => parse_bytes(file, &bytes, specs, &mut errors),
            Err(e) => {
                errors.push(ZoneError::file(
                    ZoneErrorKind::Io,
                    file,
                    format!("cannot read file: {e}"),
                ));
                Vec::new()
            }
        };
        for parsed in parsed_file {
            if let Some(id) = &parsed.id {
                if let Some((first_file, first_feature)) = seen.get(id) {
                    errors.push(ZoneError {
                        kind: ZoneErrorKind::DuplicateId,
                        file: file.clone(),
                        feature: Some(parsed.feature),
                        id: Some(id.clone()),
                        property: Some("id".to_string()),
                        message: format!(
                            "duplicate id {id:?}: already used by {} feature #{first_feature}",
                            first_file.display()
                        ),
                    });
                    continue;
                }
                seen.insert(id.clone(), (file.clone(), parsed.feature));
            }
            zones.extend(parsed.zone);
        }
    }
    if let Some(z) = zones.get(crate::MAX_ZONES) {
        errors.push(crate::too_many(zones.len(), z));
    }
    (zones, errors)
}

/// What one feature yielded: its id (if usable, even when other parts are
/// bad, so duplicates are still caught) and the zone if it had no problem.
struct Parsed {
    feature: usize,
    id: Option<String>,
    zone: Option<Zone>,
}

fn parse_bytes(
    file: &Path,
    bytes: &[u8],
    specs: &[DetectorSpec],
    errors: &mut Vec<ZoneError>,
) -> Vec<Parsed> {
    let err = |kind, message| ZoneError::file(kind, file, message);
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            errors.push(err(ZoneErrorKind::Syntax, format!("invalid JSON: {e}")));
            return Vec::new();
        }
    };
    let Some(obj) = root.as_object() else {
        errors.push(err(
            ZoneErrorKind::Structure,
            format!(
                "expected a GeoJSON FeatureCollection object, found {}",
                describe(&root)
            ),
        ));
        return Vec::new();
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(t) => {
            errors.push(err(
                ZoneErrorKind::Structure,
                format!("expected a GeoJSON FeatureCollection, found type {t:?}"),
            ));
            return Vec::new();
        }
        None => {
            errors.push(err(
                ZoneErrorKind::Structure,
                "not a GeoJSON FeatureCollection: missing string member \"type\"".to_string(),
            ));
            return Vec::new();
        }
    }
    let Some(features) = obj.get("features").and_then(Value::as_array) else {
        errors.push(err(
            ZoneErrorKind::Structure,
            "FeatureCollection has no \"features\" array".to_string(),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(features.len());
    for (index, feature) in features.iter().enumerate() {
        let mut issues = Vec::new();
        let (id, zone) = parse_feature(feature, file, index, specs, &mut issues);
        for issue in issues {
            errors.push(ZoneError {
                kind: issue.kind,
                file: file.to_path_buf(),
                feature: Some(index),
                id: id.clone(),
                property: issue.property,
                message: issue.message,
            });
        }
        out.push(Parsed {
            feature: index,
            id,
            zone,
        });
    }
    out
}

fn structure(message: String) -> Issue {
    Issue {
        kind: ZoneErrorKind::Structure,
        property: None,
        message,
    }
}

impl Issue {
    /// A problem with a property (`id`, `detect.loitering.min_duration`).
    pub(crate) fn property(path: &str, message: String) -> Self {
        Issue {
            kind: ZoneErrorKind::Property,
            property: Some(path.to_string()),
            message,
        }
    }

    /// A problem with the geometry (`geometry.coordinates[0][4]`).
    pub(crate) fn geometry(path: &str, message: String) -> Self {
        Issue {
            kind: ZoneErrorKind::Geometry,
            property: Some(path.to_string()),
            message,
        }
    }
}

fn parse_feature(
    feature: &Value,
    file: &Path,
    index: usize,
    specs: &[DetectorSpec],
    issues: &mut Vec<Issue>,
) -> (Option<String>, Option<Zone>) {
    let Some(f) = feature.as_object() else {
        issues.push(structure(format!(
            "expected a GeoJSON Feature object, found {}",
            describe(feature)
        )));
        return (None, None);
    };
    match f.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        other => issues.push(structure(format!(
            "expected \"type\": \"Feature\", found {}",
            other.map_or("no type".to_string(), |t| format!("{t:?}"))
        ))),
    }

    let props = match f.get("properties") {
        Some(Value::Object(p)) => Some(p),
        Some(other) => {
            issues.push(Issue::property(
                "properties",
                format!("expected an object, found {}", describe(other)),
            ));
            None
        }
        None => {
            issues.push(Issue::property(
                "properties",
                "missing: a zone needs at least an \"id\" property".to_string(),
            ));
            None
        }
    };
    // Without properties, "missing id" would only repeat the problem.
    let p = props.map_or_else(Props::default, |props| {
        parse_properties(props, f.get("id"), specs, issues)
    });

    let geometry = parse_geometry(f.get("geometry"), issues);

    match (p.id.clone(), geometry) {
        (Some(id), Some(geometry)) if issues.is_empty() => (
            Some(id.clone()),
            Some(Zone {
                id: id.into(),
                name: p.name,
                kind: p.kind,
                centres: p.centres.into_iter().map(Into::into).collect(),
                detect: p.detect,
                geometry,
                source_file: file.to_path_buf(),
                feature_index: index,
                source: crate::ZoneSource::of(feature),
            }),
        ),
        _ => (p.id, None),
    }
}

#[derive(Default)]
struct Props {
    id: Option<String>,
    name: Option<String>,
    kind: ZoneKind,
    centres: Vec<String>,
    detect: ZoneDetect,
}

/// Parses the `properties` object. Returns what it understood even when
/// there were issues, so the id can still be used for messages and
/// duplicate checks.
fn parse_properties(
    props: &Map<String, Value>,
    feature_id: Option<&Value>,
    specs: &[DetectorSpec],
    issues: &mut Vec<Issue>,
) -> Props {
    for key in props.keys() {
        if !PROPERTIES.contains(&key.as_str()) {
            let hint = if DetectorSpec::find(specs, key).is_some() {
                " (detectors go inside \"detect\")"
            } else {
                ""
            };
            issues.push(Issue::property(
                key,
                format!(
                    "unknown property {key:?}{hint} (known: {})",
                    PROPERTIES.join(", ")
                ),
            ));
        }
    }

    let id = match props.get("id") {
        Some(Value::String(s)) if valid_id(s) => Some(s.clone()),
        Some(Value::String(s)) => {
            issues.push(Issue::property(
                "id",
                format!(
                    "invalid id {s:?}: must be non-empty, without control characters or \
                     leading/trailing spaces"
                ),
            ));
            None
        }
        Some(other) => {
            issues.push(Issue::property(
                "id",
                format!("expected a string, found {}", describe(other)),
            ));
            None
        }
        None => {
            let hint = if feature_id.is_some() {
                " (the Feature-level \"id\" member is not used: put the id in \"properties\")"
            } else {
                ""
            };
            issues.push(Issue::property(
                "id",
                format!("missing required property{hint}"),
            ));
            None
        }
    };

    let name = match props.get("name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            issues.push(Issue::property(
                "name",
                format!("expected a string, found {}", describe(other)),
            ));
            None
        }
    };

    let kind = match props.get("kind") {
        None => ZoneKind::Patrol,
        Some(Value::String(s)) if s == "patrol" => ZoneKind::Patrol,
        Some(Value::String(s)) if s == "port" => ZoneKind::Port,
        Some(Value::String(s)) if s == "closed_area" => ZoneKind::ClosedArea,
        Some(Value::String(s)) => {
            issues.push(Issue::property(
                "kind",
                format!("unknown kind {s:?} (expected \"patrol\", \"port\" or \"closed_area\")"),
            ));
            ZoneKind::Patrol
        }
        Some(other) => {
            issues.push(Issue::property(
                "kind",
                format!(
                    "expected \"patrol\", \"port\" or \"closed_area\", found {}",
                    describe(other)
                ),
            ));
            ZoneKind::Patrol
        }
    };

    let centres = parse_centres(props.get("centre"), issues);

    let detect = props
        .get("detect")
        .map(|d| parse_detect(d, kind, specs, issues))
        .unwrap_or_default();

    Props {
        id,
        name,
        kind,
        centres,
        detect,
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.trim() == s && !s.chars().any(char::is_control)
}

fn parse_centres(v: Option<&Value>, issues: &mut Vec<Issue>) -> Vec<String> {
    let bad = |issues: &mut Vec<Issue>, path: &str, found: &Value| {
        issues.push(Issue::property(
            path,
            format!(
                "expected a non-empty string naming a centre, found {}",
                describe(found)
            ),
        ))
    };
    let mut out: Vec<String> = Vec::new();
    match v {
        None => {}
        Some(Value::String(s)) if !s.trim().is_empty() => out.push(s.clone()),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                issues.push(Issue::property(
                    "centre",
                    "empty list: name at least one centre or leave \"centre\" out".to_string(),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let path = format!("centre[{i}]");
                match item {
                    Value::String(s) if !s.trim().is_empty() => {
                        if out.contains(s) {
                            issues
                                .push(Issue::property(&path, format!("centre {s:?} listed twice")));
                        } else {
                            out.push(s.clone());
                        }
                    }
                    other => bad(issues, &path, other),
                }
            }
        }
        Some(other) => issues.push(Issue::property(
            "centre",
            format!(
                "expected a centre name or a list of them, found {}",
                if other.as_str().is_some() {
                    "an empty string".to_string()
                } else {
                    describe(other)
                }
            ),
        )),
    }
    out
}

fn parse_geometry(g: Option<&Value>, issues: &mut Vec<Issue>) -> Option<MultiPolygon<f64>> {
    let g = match g {
        Some(Value::Object(g)) => g,
        Some(Value::Null) | None => {
            issues.push(Issue::geometry(
                "geometry",
                "missing: a zone needs a Polygon or MultiPolygon geometry".to_string(),
            ));
            return None;
        }
        Some(other) => {
            issues.push(Issue::geometry(
                "geometry",
                format!("expected a geometry object, found {}", describe(other)),
            ));
            return None;
        }
    };
    let ty = g.get("type").and_then(Value::as_str);
    let multi = match ty {
        Some("Polygon") => false,
        Some("MultiPolygon") => true,
        Some(t) => {
            issues.push(Issue::geometry(
                "geometry.type",
                format!("unsupported geometry type {t:?}: zones must be Polygon or MultiPolygon"),
            ));
            return None;
        }
        None => {
            issues.push(Issue::geometry(
                "geometry.type",
                "missing: expected \"Polygon\" or \"MultiPolygon\"".to_string(),
            ));
            return None;
        }
    };
    let Some(coords) = g.get("coordinates") else {
        issues.push(Issue::geometry(
            "geometry.coordinates",
            "missing".to_string(),
        ));
        return None;
    };
    let before = issues.len();
    let mut polys = Vec::new();
    if multi {
        let items = array(
            coords,
            "geometry.coordinates",
            "an array of polygons",
            issues,
        )?;
        if items.is_empty() {
            issues.push(Issue::geometry(
                "geometry.coordinates",
                "MultiPolygon has no polygons".to_string(),
            ));
        }
        for (p, poly) in items.iter().enumerate() {
            let path = format!("geometry.coordinates[{p}]");
            polys.extend(parse_polygon(poly, &path, issues));
        }
    } else {
        polys.extend(parse_polygon(coords, "geometry.coordinates", issues));
    }
    (issues.len() == before).then_some(MultiPolygon(polys))
}

fn array<'a>(
    v: &'a Value,
    path: &str,
    what: &str,
    issues: &mut Vec<Issue>,
) -> Option<&'a Vec<Value>> {
    let a = v.as_array();
    if a.is_none() {
        issues.push(Issue::geometry(
            path,
            format!("expected {what}, found {}", describe(v)),
        ));
    }
    a
}

/// Parses one polygon (an array of rings) at `path`; `None` if any problem
/// was found (all of them are reported).
fn parse_polygon(v: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<Polygon<f64>> {
    let rings = array(v, path, "an array of linear rings", issues)?;
    if rings.is_empty() {
        issues.push(Issue::geometry(
            path,
            "polygon has no rings (needs an exterior ring)".to_string(),
        ));
        return None;
    }
    let mut ok = true;
    let mut parsed: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let rpath = format!("{path}[{r}]");
        let Some(positions) = array(ring, &rpath, "an array of positions", issues) else {
            ok = false;
            continue;
        };
        let mut coords = Vec::with_capacity(positions.len());
        for (i, pos) in positions.iter().enumerate() {
            match position(pos) {
                Ok(c) => coords.push(c),
                Err(m) => {
                    issues.push(Issue::geometry(&format!("{rpath}[{i}]"), m));
                    ok = false;
                }
            }
        }
        if ok {
            ok &= check_ring_coords(&coords, &rpath, issues);
        }
        parsed.push(LineString(coords));
    }
    if !ok {
        return None;
    }
    let mut it = parsed.into_iter();
    let exterior = it.next()?;
    let poly = Polygon::new(exterior, it.collect());
    let before = issues.len();
    check_simple(&poly, &|r| format!("{path}[{r}]"), issues);
    (issues.len() == before).then_some(poly)
}

/// A GeoJSON position: `[lon, lat]` or `[lon, lat, altitude]`.
fn position(v: &Value) -> Result<Coord<f64>, String> {
    let found = || format!("expected a position [lon, lat], found {}", describe(v));
    let a = v.as_array().ok_or_else(found)?;
    if !(2..=3).contains(&a.len()) {
        return Err(format!(
            "expected a position [lon, lat], found an array of {} items",
            a.len()
        ));
    }
    let num = |i: usize, what: &str| {
        a[i].as_f64()
            .ok_or_else(|| format!("{what} must be a number, found {}", describe(&a[i])))
    };
    let x = num(0, "longitude")?;
    let y = num(1, "latitude")?;
    if a.len() == 3 {
        num(2, "altitude")?;
    }
    Ok(Coord { x, y })
}
