//! The one error type of the zones module.

use std::fmt;
use std::path::PathBuf;

/// What went wrong, coarsely: lets callers and tests branch without parsing
/// the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneErrorKind {
    /// The zone directory or a file could not be read, or holds no zone file.
    Io,
    /// The file is not valid JSON (the message carries serde_json's line and
    /// column).
    Syntax,
    /// Valid JSON, but not the GeoJSON shape we accept (not a
    /// FeatureCollection, a feature that is not an object, ...).
    Structure,
    /// A geometry is not a valid Polygon/MultiPolygon: wrong type, ring not
    /// closed or too short, coordinate out of range, self-intersection.
    Geometry,
    /// A feature property is missing, unknown, of the wrong type or out of
    /// range (including `detect` and its thresholds).
    Property,
    /// Two features share one `id`.
    DuplicateId,
}

/// One problem in one zone file, located as precisely as we can.
///
/// Displays as
/// `zones/gulf_of_guinea.geojson: feature #3 (id "lagos-anch"): detect.loitering.min_duration: invalid duration "2 hrs": ...`.
/// Parts that are unknown are left out. `feature` is the 0-based index into
/// the file's `features` array, so `feature #3` is `features[3]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ZoneError {
    /// Coarse classification.
    pub kind: ZoneErrorKind,
    /// The file (or, for directory-level errors, the directory) at fault.
    pub file: PathBuf,
    /// 0-based index of the feature in the file's `features` array.
    pub feature: Option<usize>,
    /// The feature's `id` property, when it has a usable one.
    pub id: Option<String>,
    /// Path of the offending member, e.g. `detect.loitering.min_duration`,
    /// `geometry.coordinates[0][4]` or `id`.
    pub property: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl ZoneError {
    /// An error about a whole file or directory.
    pub(crate) fn file(kind: ZoneErrorKind, file: impl Into<PathBuf>, message: String) -> Self {
        Self {
            kind,
            file: file.into(),
            feature: None,
            id: None,
            property: None,
            message,
        }
    }
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match (self.feature, &self.id) {
            (Some(i), Some(id)) => write!(f, ": feature #{i} (id {id:?})")?,
            (Some(i), None) => write!(f, ": feature #{i}")?,
            (None, Some(id)) => write!(f, ": zone {id:?}")?,
            (None, None) => {}
        }
        if let Some(p) = &self.property {
            write!(f, ": {p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_known_part() {
        let e = ZoneError {
            kind: ZoneErrorKind::Property,
            file: "zones/gulf_of_guinea.geojson".into(),
            feature: Some(3),
            id: Some("lagos-anch".into()),
            property: Some("detect.loitering.min_duration".into()),
            message: "invalid duration \"2 hrs\": unknown time unit \"hrs\"".into(),
        };
        assert_eq!(
            e.to_string(),
            "zones/gulf_of_guinea.geojson: feature #3 (id \"lagos-anch\"): \
             detect.loitering.min_duration: invalid duration \"2 hrs\": unknown time unit \"hrs\""
        );
        let e = ZoneError::file(ZoneErrorKind::Io, "zones", "no *.geojson files".into());
        assert_eq!(e.to_string(), "zones: no *.geojson files");
    }
}
