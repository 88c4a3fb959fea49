//! Editing zones in their files: find a zone's feature, plan the files an
//! edit leaves (the zone replaced in place, added to `ID.geojson`, or
//! removed), check the whole directory as it would be with exactly the
//! checks of `aiswatch zones check`, and write the changed file atomically
//! (a temporary file in the directory, synced, renamed over the old one).
//! The other features of a file keep their text as written.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use aiswatch_zones::{ZoneError, ZoneSet, ZoneSource};

/// A zone's feature as its file holds it now.
#[derive(Debug, Clone)]
pub struct Located {
    /// The file.
    pub file: PathBuf,
    /// 0-based index in its `features`.
    pub index: usize,
    /// The feature.
    pub feature: Value,
    /// Its version (the ETag of the zone).
    pub version: String,
}

/// What an edit does to zone `id`.
#[derive(Debug, Clone)]
pub enum Change {
    /// Creates or replaces it with this Feature.
    Put(Value),
    /// Removes it.
    Delete,
}

/// The files an edit leaves: each changed file's new text, or `None` when
/// the edit removes the file (its last zone deleted).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file the zone is (or was) in.
    pub file: PathBuf,
    /// True when the zone is new.
    pub created: bool,
    /// New contents per changed file.
    pub edits: HashMap<PathBuf, Option<Vec<u8>>>,
}

/// Why an edit cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// A zone file cannot be read, parsed as a FeatureCollection, or written.
    #[error("{}: {message}", file.display())]
    File {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The zones directory as the edit would leave it does not load: every
    /// problem, naming file, feature and property.
    #[error("the zones would not load: {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
}

/// One problem with a zone set, as the API gives it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `io`, `syntax`, `structure`, `geometry`, `property`, `duplicate_id`
    /// or `centre` (a centre no `[[centres]]` declares).
    pub kind: &'static str,
    /// The file (name only), or the request for a zone set sent in a request.
    pub file: String,
    /// 0-based index of the feature in that file's (or request's) `features`.
    pub feature: Option<usize>,
    /// The feature's id, when it has a usable one.
    pub id: Option<String>,
    /// The offending member (`geometry.coordinates[0][0]`,
    /// `detect.loitering.min_duration`).
    pub property: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl Problem {
    /// A loader's error as a problem.
    pub fn of(e: &ZoneError) -> Self {
        use aiswatch_zones::ZoneErrorKind as K;
        Self {
            kind: match e.kind {
                K::Io => "io",
                K::Syntax => "syntax",
                K::Structure => "structure",
                K::Geometry => "geometry",
                K::Property => "property",
                K::DuplicateId => "duplicate_id",
            },
            file: e.file.file_name().map_or_else(
                || e.file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            feature: e.feature,
            id: e.id.clone(),
            property: e.property.clone(),
            message: e.message.clone(),
        }
    }

    /// A problem found by the daemon's own checks (centres declared).
    pub fn daemon(message: String) -> Self {
        Self {
            kind: "centre",
            file: String::new(),
            feature: None,
            id: None,
            property: Some("centre".into()),
            message,
        }
    }
}

/// A zone file read for editing: its other top-level members and its
/// features' text as written.
#[derive(Deserialize)]
struct FileIn {
    features: Vec<Box<RawValue>>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

fn file_error(file: &Path, message: impl Into<String>) -> EditError {
    EditError::File {
        file: file.to_path_buf(),
        message: message.into(),
    }
}

fn read(file: &Path) -> Result<FileIn, EditError> {
    let bytes = std::fs::read(file).map_err(|e| file_error(file, format!("cannot read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        file_error(
            file,
            format!("not a FeatureCollection (fix it by hand first): {e}"),
        )
    })
}

/// The id a feature gives itself (`properties.id`).
pub fn feature_id(f: &Value) -> Option<&str> {
    f.get("properties")?.get("id")?.as_str()
}

/// Zone `id`'s feature in the zone files of `dir`, if any file holds it.
///
/// # Errors
/// A zone file cannot be read or is not a FeatureCollection.
pub fn locate(dir: &Path, id: &str) -> Result<Option<Located>, EditError> {
    let files = aiswatch_zones::list_dir(dir).unwrap_or_default();
    for file in files {
        let f = read(&file)?;
        for (index, raw) in f.features.iter().enumerate() {
            let Ok(feature) = serde_json::from_str::<Value>(raw.get()) else {
                continue;
            };
            if feature_id(&feature) == Some(id) {
                let version = ZoneSource::of(&feature).version.to_string();
                return Ok(Some(Located {
                    file,
                    index,
                    feature,
                    version,
                }));
            }
        }
    }
    Ok(None)
}

/// A file name for a new zone `id`: `ID.geojson`, with anything but
/// letters, digits, `-`, `_` and `.` replaced by `_`.
fn file_for(dir: &Path, id: &str) -> PathBuf {
    let mut name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        name.insert(0, '_');
    }
    dir.join(format!("{name}.geojson"))
}

/// The text of a zone file: `type` first, its other members, then one
/// feature per line group.
fn render(rest: &BTreeMap<String, Value>, features: &[String]) -> Vec<u8> {
    let mut out = String::from("{\n  \"type\": \"FeatureCollection\",\n");
    for (k, v) in rest.iter().filter(|(k, _)| k.as_str() != "type") {
        let v = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        let k = serde_json::to_string(k).unwrap_or_default();
        out.push_str(&format!("  {k}: {v},\n"));
    }
    out.push_str("  \"features\": [\n");
    for (i, f) in features.iter().enumerate() {
        let sep = if i + 1 < features.len() { "," } else { "" };
        let indented = f.replace('\n', "\n    ");
        out.push_str(&format!("    {indented}{sep}\n"));
    }
    out.push_str("  ]\n}\n");
    out.into_bytes()
}

/// The files of `dir` after `change` to zone `id`, which `at` locates (as
/// [`locate`] found it).
///
/// # Errors
/// The zone's file cannot be read.
pub fn plan(
    dir: &Path,
    id: &str,
    at: Option<&Located>,
    change: &Change,
) -> Result<Plan, EditError> {
    let pretty = |f: &Value| serde_json::to_string_pretty(f).unwrap_or_default();
    let (file, created) = match at {
        Some(l) => (l.file.clone(), false),
        None => (file_for(dir, id), true),
    };
    let (rest, mut features) = if file.exists() {
        let f = read(&file)?;
        let texts: Vec<String> = f.features.iter().map(|r| r.get().to_owned()).collect();
        (f.rest, texts)
    } else {
        (BTreeMap::new(), Vec::new())
    };
    match (change, at) {
        (Change::Put(f), Some(l)) => features[l.index] = pretty(f),
        (Change::Put(f), None) => features.push(pretty(f)),
        (Change::Delete, Some(l)) => {
            features.remove(l.index);
        }
        (Change::Delete, None) => {}
    }
    let text = (!features.is_empty()).then(|| render(&rest, &features));
    Ok(Plan {
        edits: HashMap::from([(file.clone(), text)]),
        file,
        created,
    })
}

/// The zone set `dir` would load after `plan`, checked exactly as
/// `aiswatch zones check` and a reload check it (`check`: centres
/// declared).
///
/// # Errors
/// Every problem, as [`EditError::Invalid`].
pub fn check(
    dir: &Path,
    plan: &Plan,
    check: &(dyn Fn(&ZoneSet) -> Vec<String> + Send + Sync),
) -> Result<ZoneSet, EditError> {
    let set = ZoneSet::load_dir_edited(dir, aiswatch_engine::detect::SPECS, &plan.edits)
        .map_err(|errs| EditError::Invalid(errs.iter().map(Problem::of).collect()))?;
    let problems = check(&set);
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(EditError::Invalid(
            problems.into_iter().map(Problem::daemon).collect(),
        ))
    }
}

/// Writes `plan`: each file replaced atomically (written beside it under a
/// dot-name the zone loader ignores, synced, renamed over it), or removed.
///
/// # Errors
/// A file cannot be written, synced, renamed or removed.
pub fn write(plan: &Plan) -> Result<(), EditError> {
    for (file, text) in &plan.edits {
        let fail = |what: &str, e: std::io::Error| file_error(file, format!("cannot {what}: {e}"));
        match text {
            Some(bytes) => {
                let dir = file.parent().unwrap_or(Path::new("."));
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
                let mut f = std::fs::File::create(&tmp).map_err(|e| fail("create", e))?;
                f.write_all(bytes).map_err(|e| fail("write", e))?;
                f.sync_all().map_err(|e| fail("sync", e))?;
                drop(f);
                std::fs::rename(&tmp, file).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    fail("replace", e)
                })?;
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            None => std::fs::remove_file(file).map_err(|e| fail("remove", e))?,
        }
    }
    Ok(())
}

/// A whole zone set sent in a request (a FeatureCollection), loaded and
/// checked like a directory holding it as one file, `request.geojson`.
///
/// # Errors
/// Every problem, features numbered as in the request.
pub fn load_request(
    body: &[u8],
    check: &(dyn Fn(&ZoneSet) -> Vec<String> + Send + Sync),
) -> Result<ZoneSet, Vec<Problem>> {
    let set = ZoneSet::from_geojson(
        Path::new("request.geojson"),
        body,
        aiswatch_engine::detect::SPECS,
    )
    .map_err(|errs| errs.iter().map(Problem::of).collect::<Vec<_>>())?;
    let problems = check(&set);
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(problems.into_iter().map(Problem::daemon).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"type": "FeatureCollection", "name": "test",
 "features": [
  {"type": "Feature", "properties": {"id": "a", "kind": "patrol"},
   "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}},
  {"type": "Feature", "properties": {"id": "b"},
   "geometry": {"type": "Polygon", "coordinates": [[[2,2],[3,2],[3,3],[2,2]]]}}
 ]}"#;

    fn no_check() -> impl Fn(&ZoneSet) -> Vec<String> + Send + Sync {
        |_| Vec::new()
    }

    fn square(id: &str, x: f64) -> Value {
        serde_json::json!({"type": "Feature", "properties": {"id": id, "name": "Sq"},
            "geometry": {"type": "Polygon", "coordinates": [[[x,0.0],[x+1.0,0.0],[x+1.0,1.0],[x,0.0]]]}})
    }

    /// Replacing keeps the other feature's text and the file's other
    /// members; adding goes to `ID.geojson`; deleting the last zone of a
    /// file removes it; every result loads, and a bow-tie is refused
    /// naming its geometry, with nothing written.
    #[test]
    fn edits_replace_add_and_remove_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("z.geojson");
        std::fs::write(&f, FILE).unwrap();
        let at = locate(dir.path(), "a").unwrap().unwrap();
        assert_eq!((at.file.clone(), at.index), (f.clone(), 0));
        let p = plan(dir.path(), "a", Some(&at), &Change::Put(square("a", 5.0))).unwrap();
        let set = check(dir.path(), &p, &no_check()).unwrap();
        write(&p).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains("\"name\": \"test\""), "{text}");
        assert!(
            text.contains(r#"{"type": "Feature", "properties": {"id": "b"},"#),
            "{text}"
        );
        let now = locate(dir.path(), "a").unwrap().unwrap();
        assert_eq!(now.version, *set.get("a").unwrap().source.version);
        assert_ne!(now.version, at.version);
        let reloaded = ZoneSet::load_dir(dir.path(), aiswatch_engine::detect::SPECS).unwrap();
        assert_eq!(
            reloaded.get("a").unwrap().source,
            set.get("a").unwrap().source
        );

        let p = plan(
            dir.path(),
            "new/zone",
            None,
            &Change::Put(square("new/zone", 7.0)),
        )
        .unwrap();
        assert_eq!(p.file, dir.path().join("new_zone.geojson"));
        check(dir.path(), &p, &no_check()).unwrap();
        write(&p).unwrap();
        assert!(locate(dir.path(), "new/zone").unwrap().is_some());

        let mut bowtie = square("c", 9.0);
        bowtie["geometry"]["coordinates"] =
            serde_json::json!([[[9.0, 0.0], [10.0, 1.0], [10.0, 0.0], [9.0, 1.0], [9.0, 0.0]]]);
        let p = plan(dir.path(), "c", None, &Change::Put(bowtie)).unwrap();
        let Err(EditError::Invalid(problems)) = check(dir.path(), &p, &no_check()) else {
            panic!("a bow-tie passed");
        };
        assert!(problems.iter().any(|p| p.kind == "geometry"
            && p.id.as_deref() == Some("c")
            && p.property
                .as_deref()
                .is_some_and(|x| x.starts_with("geometry"))));
        assert!(!dir.path().join("c.geojson").exists());

        let gone = locate(dir.path(), "new/zone").unwrap().unwrap();
        let p = plan(dir.path(), "new/zone", Some(&gone), &Change::Delete).unwrap();
        check(dir.path(), &p, &no_check()).unwrap();
        write(&p).unwrap();
        assert!(!dir.path().join("new_zone.geojson").exists());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["z.geojson"], "no temporary file is left");
    }
}
