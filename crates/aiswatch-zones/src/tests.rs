//! Tests of the whole module: bad fixtures, the shipped zones, lookups.

use std::path::{Path, PathBuf};
use std::time::Instant;

use geo::{LineString, MultiPolygon, Polygon};

use super::*;

fn manifest_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Detectors as a caller describes them, enough for the loader's checks.
const SPECS: &[DetectorSpec] = &[
    DetectorSpec {
        name: "dark_period",
        thresholds: &[Threshold {
            key: "min_gap",
            unit: Unit::Duration,
        }],
        ordered: &[],
        runs_in: any_zone,
    },
    DetectorSpec {
        name: "loitering",
        thresholds: &[
            Threshold {
                key: "max_speed_kn",
                unit: Unit::Positive("knots"),
            },
            Threshold {
                key: "min_duration",
                unit: Unit::Duration,
            },
        ],
        ordered: &[],
        runs_in: not_in_ports,
    },
    DetectorSpec {
        name: "rendezvous",
        thresholds: &[
            Threshold {
                key: "max_distance_m",
                unit: Unit::Positive("metres"),
            },
            Threshold {
                key: "max_speed_kn",
                unit: Unit::Positive("knots"),
            },
        ],
        ordered: &[],
        runs_in: not_in_ports,
    },
    DetectorSpec {
        name: "spoofing",
        thresholds: &[Threshold {
            key: "max_speed_kn",
            unit: Unit::Positive("knots"),
        }],
        ordered: &[],
        runs_in: any_zone,
    },
    DetectorSpec {
        name: "range",
        thresholds: &[
            Threshold {
                key: "min_kn",
                unit: Unit::Positive("knots"),
            },
            Threshold {
                key: "max_kn",
                unit: Unit::Positive("knots"),
            },
            Threshold {
                key: "switches",
                unit: Unit::Whole("switches", 2),
            },
        ],
        ordered: &[("min_kn", "max_kn")],
        runs_in: any_zone,
    },
];

fn not_in_ports(kind: ZoneKind) -> Result<(), &'static str> {
    match kind {
        ZoneKind::Port => Err("not allowed in a port zone"),
        _ => Ok(()),
    }
}

fn bad_dir(case: &str) -> PathBuf {
    manifest_dir().join("tests/data/zones_bad").join(case)
}

/// Checks fixture `case` and returns its errors, asserting that one of them
/// is in `x.geojson` at `feature`, on `property`, with `needle` in its
/// message, and that its Display names all three.
fn expect(
    case: &str,
    kind: ZoneErrorKind,
    feature: Option<usize>,
    property: Option<&str>,
    needle: &str,
) -> Vec<ZoneError> {
    let errors = ZoneSet::check_dir(&bad_dir(case), SPECS);
    assert!(!errors.is_empty(), "{case}: no error");
    let hit = errors.iter().find(|e| {
        e.kind == kind
            && e.feature == feature
            && e.property.as_deref() == property
            && e.message.contains(needle)
    });
    let Some(e) = hit else {
        panic!(
            "{case}: no {kind:?} error at feature {feature:?} property {property:?} \
             containing {needle:?}; got:\n{}",
            errors
                .iter()
                .map(|e| format!("  {e} [{:?}]", e.kind))
                .collect::<Vec<_>>()
                .join("\n")
        );
    };
    let shown = e.to_string();
    assert!(
        e.file.ends_with(Path::new(case).join("x.geojson")),
        "{case}: wrong file {}",
        e.file.display()
    );
    assert!(shown.contains(&format!("{case}/x.geojson: ")), "{shown}");
    if let Some(f) = feature {
        assert!(shown.contains(&format!("feature #{f}")), "{shown}");
    }
    if let Some(p) = property {
        assert!(shown.contains(&format!(": {p}: ")), "{shown}");
    }
    // The same directory must refuse to load, with the same errors.
    assert_eq!(
        ZoneSet::load_dir(&bad_dir(case), SPECS).unwrap_err(),
        errors
    );
    errors
}

#[test]
fn syntax_error_names_line_and_column() {
    let errs = expect(
        "syntax",
        ZoneErrorKind::Syntax,
        None,
        None,
        "trailing comma at line 4 column 24",
    );
    assert_eq!(errs.len(), 1);
}

#[test]
fn not_a_feature_collection() {
    expect(
        "not_feature_collection",
        ZoneErrorKind::Structure,
        None,
        None,
        "expected a GeoJSON FeatureCollection, found type \"Feature\"",
    );
}

#[test]
fn geometry_errors() {
    use ZoneErrorKind::Geometry;
    let id = |errs: Vec<ZoneError>| {
        assert!(
            errs.iter().all(|e| e.id.as_deref() == Some("bad-zone")),
            "{errs:?}"
        );
    };
    id(expect(
        "geometry_type",
        Geometry,
        Some(1),
        Some("geometry.type"),
        "\"LineString\"",
    ));
    id(expect(
        "ring_not_closed",
        Geometry,
        Some(1),
        Some("geometry.coordinates[0]"),
        "ring is not closed",
    ));
    id(expect(
        "ring_too_short",
        Geometry,
        Some(1),
        Some("geometry.coordinates[0]"),
        "ring has 3 positions",
    ));
    id(expect(
        "lon_out_of_range",
        Geometry,
        Some(1),
        Some("geometry.coordinates[0][1]"),
        "longitude 190 out of range",
    ));
    id(expect(
        "lat_out_of_range",
        Geometry,
        Some(1),
        Some("geometry.coordinates[0][1]"),
        "latitude -95 out of range",
    ));
    id(expect(
        "self_intersection",
        Geometry,
        Some(1),
        Some("geometry.coordinates[0]"),
        "ring intersects itself",
    ));
}

#[test]
fn property_errors() {
    use ZoneErrorKind::Property;
    let errs = expect(
        "missing_id",
        Property,
        Some(1),
        Some("id"),
        "missing required",
    );
    assert_eq!(errs[0].id, None);
    expect(
        "unknown_property",
        Property,
        Some(1),
        Some("colour"),
        "unknown property",
    );
    expect(
        "unknown_detector",
        Property,
        Some(1),
        Some("detect.teleport"),
        "unknown detector",
    );
    expect(
        "unknown_threshold",
        Property,
        Some(1),
        Some("detect.loitering.max_speed"),
        "unknown threshold",
    );
    let errs = expect(
        "bad_duration",
        Property,
        Some(1),
        Some("detect.loitering.min_duration"),
        "invalid duration \"2 hrs\"",
    );
    assert!(
        errs[0].to_string().contains(
            "bad_duration/x.geojson: feature #1 (id \"lagos-anch\"): \
             detect.loitering.min_duration: invalid duration \"2 hrs\": "
        ),
        "{}",
        errs[0]
    );
    expect(
        "negative_speed",
        Property,
        Some(1),
        Some("detect.rendezvous.max_speed_kn"),
        "must be a positive number of knots, found -2",
    );
    expect(
        "wrong_type",
        Property,
        Some(1),
        Some("detect.rendezvous.max_distance_m"),
        "expected a number of metres, found string \"500\"",
    );
    expect(
        "unknown_kind",
        Property,
        Some(1),
        Some("kind"),
        "unknown kind \"harbour\"",
    );
    expect(
        "port_loitering",
        Property,
        Some(1),
        Some("detect.loitering"),
        "not allowed in a port zone",
    );
}

#[test]
fn every_error_is_collected() {
    let errs = ZoneSet::check_dir(&bad_dir("many_errors"), SPECS);
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.feature, e.id.as_deref(), e.property.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), Some("first"), Some("kind")),
            (
                Some(1),
                Some("first"),
                Some("detect.loitering.min_duration")
            ),
            (Some(2), Some("second"), Some("colour")),
            (Some(2), Some("second"), Some("geometry.coordinates[0]")),
        ],
        "{errs:#?}"
    );
}

#[test]
fn duplicate_ids_across_files_name_both() {
    let dir = bad_dir("duplicate_ids");
    let errs = ZoneSet::check_dir(&dir, SPECS);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let e = &errs[0];
    assert_eq!(e.kind, ZoneErrorKind::DuplicateId);
    assert_eq!(e.file, dir.join("b.geojson"));
    assert_eq!(e.feature, Some(1));
    assert_eq!(e.property.as_deref(), Some("id"));
    let shown = e.to_string();
    assert!(shown.contains("b.geojson: feature #1 (id \"dup-zone\"): id: duplicate id"));
    assert!(shown.contains("a.geojson feature #0"), "{shown}");
}

#[test]
fn missing_or_empty_dir_is_an_error_naming_it() {
    let missing = manifest_dir().join("tests/data/zones_bad/no_such_dir");
    let errs = ZoneSet::load_dir(&missing, SPECS).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, ZoneErrorKind::Io);
    assert!(errs[0]
        .to_string()
        .starts_with(&missing.display().to_string()));

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "not a zone").unwrap();
    let errs = ZoneSet::check_dir(tmp.path(), SPECS);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("no *.geojson"), "{}", errs[0]);
}

/// The shipped example zones, read for their geometry (their `detect`
/// blocks are the engine's to check: see its tests).
pub(crate) fn shipped() -> ZoneSet {
    let dir = manifest_dir().join("zones");
    let mut zones = Vec::new();
    for file in list_dir(&dir).expect("shipped zones") {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).expect("zone file")).expect("JSON");
        for f in v["features"].as_array_mut().expect("features") {
            f["properties"]
                .as_object_mut()
                .expect("properties")
                .remove("detect");
        }
        let bytes = serde_json::to_vec(&v).expect("JSON");
        let set = ZoneSet::from_geojson(&file, &bytes, &[]).unwrap_or_else(|errs| {
            panic!("{}: {errs:?}", file.display());
        });
        zones.extend(set.zones().iter().cloned());
    }
    ZoneSet::from_zones(zones).expect("shipped zones index")
}

#[test]
fn shipped_zones_load_cleanly() {
    let set = shipped();
    assert!(set.len() >= 10);
    // Every file has at least one patrol zone; every zone names a centre.
    let mut files: Vec<&Path> = set
        .zones()
        .iter()
        .map(|z| z.source_file.as_path())
        .collect();
    files.dedup();
    assert_eq!(files.len(), 4);
    for f in files {
        assert!(
            set.zones()
                .iter()
                .any(|z| z.source_file == f && z.kind == ZoneKind::Patrol),
            "{} has no patrol zone",
            f.display()
        );
    }
    assert!(set.zones().iter().all(|z| !z.centres.is_empty()));
    let lagos = set.get("lagos-anch").unwrap();
    assert_eq!(lagos.kind, ZoneKind::Port);
    assert_eq!(lagos.feature_index, 1);
    assert!(lagos.source_file.ends_with("gulf_of_guinea.geojson"));
    assert_eq!(
        lagos.centres,
        vec![aiswatch_core::ids::CentreId::from("MDAT-GoG")]
    );
}

#[test]
fn detect_blocks_are_checked_against_the_specs() {
    let sq = r#"{"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}"#;
    let zone = |detect: &str| {
        format!(
            r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature",
               "properties": {{"id": "a", "detect": {detect}}}, "geometry": {sq}}}]}}"#
        )
    };
    // Kept as the zone wrote it, durations in seconds.
    let set = ZoneSet::from_geojson(
        Path::new("t.geojson"),
        zone(r#"{"dark_period": {"min_gap": "1h 30m"}, "loitering": {}}"#).as_bytes(),
        SPECS,
    )
    .unwrap();
    let d = &set.zones()[0].detect;
    assert!(d.runs("loitering") && d.runs("dark_period") && !d.runs("rendezvous"));
    assert_eq!(d.get("dark_period").unwrap()["min_gap"], "5400s");
    assert!(d.get("loitering").unwrap().is_empty());
    // Every problem, each named.
    let errs = check_text(&zone(
        r#"{"range": {"min_kn": 5, "max_kn": 3, "switches": 1.5}, "dark_period": {"min_gap": "0m"}}"#,
    ));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.property.as_deref().unwrap_or(""), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "detect.dark_period.min_gap",
                "duration \"0m\" must be greater than zero"
            ),
            (
                "detect.range.switches",
                "must be a whole number of at least 2, found 1.5"
            ),
            ("detect.range.min_kn", "minimum 5 must be below maximum 3"),
        ],
        "{errs:#?}"
    );
    // A detector's name outside `detect` gets a hint.
    let errs = check_text(&format!(
        r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature",
           "properties": {{"id": "a", "loitering": {{}}}}, "geometry": {sq}}}]}}"#
    ));
    assert!(errs[0].message.contains("detectors go inside"), "{errs:?}");
}

#[test]
fn concrete_thresholds_are_checked() {
    let range = DetectorSpec::find(SPECS, "range").unwrap();
    let v = serde_json::json!({"min_kn": -1.0, "max_kn": 3.0, "switches": 1});
    assert_eq!(
        range.problems(v.as_object().unwrap()),
        vec![
            "range.min_kn: must be a positive number, found -1",
            "range.switches: must be at least 2, found 1",
        ]
    );
    let dark = DetectorSpec::find(SPECS, "dark_period").unwrap();
    let v = serde_json::json!({"min_gap": "0s"});
    assert_eq!(
        dark.problems(v.as_object().unwrap()),
        vec!["dark_period.min_gap: must be greater than zero"]
    );
}

fn ids_at(set: &ZoneSet, lon: f64, lat: f64) -> Vec<&str> {
    let mut ids: Vec<&str> = set.zones_at(lon, lat).map(|z| z.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn point_lookups_on_shipped_zones() {
    let set = shipped();
    // Open water off the Niger Delta: patrol only.
    assert_eq!(ids_at(&set, 5.0, 3.0), ["gog-offshore"]);
    assert!(!set.is_port(5.0, 3.0));
    // Lagos anchorage: inside the patrol zone too, and a port.
    assert_eq!(ids_at(&set, 3.4, 6.25), ["gog-offshore", "lagos-anch"]);
    assert!(set.is_port(3.4, 6.25));
    // Singapore: both parts of the anchorage MultiPolygon.
    assert_eq!(ids_at(&set, 103.95, 1.25), ["sg-anchorages", "sg-strait"]);
    assert_eq!(ids_at(&set, 103.75, 1.22), ["sg-anchorages", "sg-strait"]);
    assert_eq!(ids_at(&set, 104.2, 1.2), ["sg-strait"]);
    // Gulf of Aden corridor, and just outside it.
    assert_eq!(ids_at(&set, 49.0, 13.15), ["aden-irtc"]);
    assert!(ids_at(&set, 49.0, 13.6).is_empty());
    // Mozambique Channel and Beira.
    assert_eq!(ids_at(&set, 40.0, -19.0), ["moz-channel"]);
    assert_eq!(ids_at(&set, 34.9, -19.9), ["beira-anch"]);
    // Land, other oceans, AIS "not available", NaN.
    assert!(ids_at(&set, 3.4, 7.5).is_empty());
    assert!(ids_at(&set, -30.0, 40.0).is_empty());
    assert!(ids_at(&set, 181.0, 91.0).is_empty());
    assert!(ids_at(&set, f64::NAN, 1.0).is_empty());
}

fn zone(id: &str, kind: ZoneKind, geometry: MultiPolygon<f64>) -> Zone {
    Zone {
        id: id.into(),
        name: None,
        kind,
        centres: vec!["TEST".into()],
        detect: ZoneDetect::default(),
        geometry,
        source_file: PathBuf::from("mem.geojson"),
        feature_index: 0,
        source: Default::default(),
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )
}

#[test]
fn antimeridian_zone_as_multipolygon() {
    // Fiji-like box from 177°E to 178°W, split at ±180.
    let fiji = MultiPolygon(vec![
        rect(177.0, -19.0, 180.0, -16.0),
        rect(-180.0, -19.0, -178.0, -16.0),
    ]);
    let set = ZoneSet::from_zones(vec![zone("fiji", ZoneKind::Patrol, fiji)]).unwrap();
    assert_eq!(ids_at(&set, 179.5, -17.0), ["fiji"]);
    assert_eq!(ids_at(&set, -179.5, -17.0), ["fiji"]);
    assert!(ids_at(&set, 0.0, -17.0).is_empty());
    assert!(ids_at(&set, 176.0, -17.0).is_empty());
}

#[test]
fn empty_set_and_from_zones_checks() {
    let set = ZoneSet::empty();
    assert!(set.is_empty());
    assert_eq!(set.zones_at(0.0, 0.0).count(), 0);
    assert!(!set.is_port(0.0, 0.0));

    let sq = || MultiPolygon(vec![rect(0.0, 0.0, 1.0, 1.0)]);
    let errs = ZoneSet::from_zones(vec![
        zone("a", ZoneKind::Patrol, sq()),
        zone("a", ZoneKind::Port, sq()),
        zone(
            "big",
            ZoneKind::Patrol,
            MultiPolygon(vec![rect(0.0, 0.0, 200.0, 1.0)]),
        ),
    ])
    .unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert_eq!(errs[0].kind, ZoneErrorKind::DuplicateId);
    assert!(errs[1].message.contains("longitude 200"));
}

#[test]
fn overlapping_multipolygon_parts_report_the_zone_once() {
    let mp = MultiPolygon(vec![rect(0.0, 0.0, 2.0, 2.0), rect(1.0, 1.0, 3.0, 3.0)]);
    let set = ZoneSet::from_zones(vec![zone("z", ZoneKind::Port, mp)]).unwrap();
    assert_eq!(ids_at(&set, 1.5, 1.5), ["z"]);
    assert!(set.is_port(2.5, 2.5));
}

/// Not a benchmark (debug build, no assertion on time): shows that 100k
/// lookups over 300 zones of 2,000 vertices stay cheap. Run with
/// `--nocapture` to see the figures.
#[test]
fn lookup_micro_check_300_zones_of_2000_vertices() {
    use super::index::tests::{coastline, Rng};
    let mut rng = Rng(42);
    let mut zones = Vec::new();
    // 20 × 15 grid of coastline-like zones, 8° apart, about 3° radius.
    for i in 0..300 {
        let (cx, cy) = (
            -160.0 + 16.0 * (i % 20) as f64,
            -60.0 + 8.0 * (i / 20) as f64,
        );
        let ring = coastline(&mut rng, cx, cy, 3.0, 2000);
        let kind = if i % 7 == 0 {
            ZoneKind::Port
        } else {
            ZoneKind::Patrol
        };
        zones.push(zone(
            &format!("z{i}"),
            kind,
            MultiPolygon(vec![Polygon::new(ring, vec![])]),
        ));
    }
    let t = Instant::now();
    let set = ZoneSet::from_zones(zones).unwrap();
    let build = t.elapsed();

    let points: Vec<(f64, f64)> = (0..100_000)
        .map(|_| {
            (
                -165.0 + 325.0 * rng.next_f64(),
                -65.0 + 120.0 * rng.next_f64(),
            )
        })
        .collect();
    let t = Instant::now();
    let mut hits = 0usize;
    for &(x, y) in &points {
        hits += set.zones_at(x, y).count();
    }
    let fast = t.elapsed();
    // Of which the R-tree of bounding boxes alone (dominant in debug builds).
    let t = Instant::now();
    let candidates: usize = points
        .iter()
        .map(|&(x, y)| set.tree.locate_all_at_point(&[x, y]).count())
        .sum();
    let tree_only = t.elapsed();

    // The same answers from the naive way: R-tree candidates, then geo's
    // O(n) `contains`, on a sample.
    let t = Instant::now();
    let sample = 5_000;
    for &(x, y) in points.iter().take(sample) {
        let mut want: Vec<usize> = set
            .tree
            .locate_all_at_point(&[x, y])
            .map(|e| e.data.0)
            .filter(|&z| geo::Contains::contains(&set.zones[z].geometry, &geo::Point::new(x, y)))
            .collect();
        want.sort_unstable();
        let mut got: Vec<usize> = set
            .zones_at(x, y)
            .map(|z| set.by_id[z.id.as_str()])
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "at ({x}, {y})");
    }
    let naive = t.elapsed();
    println!(
        "zones micro check (debug build): validate+index 300 zones x 2000 vertices in \
         {build:?}; 100k lookups in {fast:?} ({:.0} ns/lookup, {hits} hits), of which \
         R-tree alone {tree_only:?} ({candidates} candidates); naive R-tree + geo contains \
         (plus one banded lookup): {:.0} ns/lookup",
        fast.as_nanos() as f64 / 1e5,
        naive.as_nanos() as f64 / sample as f64,
    );
}

/// Writes `text` as `t.geojson` in a temp dir and checks it.
fn check_text(text: &str) -> Vec<ZoneError> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("t.geojson"), text).unwrap();
    ZoneSet::check_dir(tmp.path(), SPECS)
}

#[test]
fn structural_odds_and_ends() {
    let sq = r#"{"type": "Polygon", "coordinates": [[[1, 1], [2, 1, 5.0], [2, 2], [1, 1]]]}"#;
    let fc =
        |features: &str| format!(r#"{{"type": "FeatureCollection", "features": [{features}]}}"#);

    // Altitude is accepted and ignored; integers are fine as coordinates.
    let ok = fc(&format!(
        r#"{{"type": "Feature", "properties": {{"id": "a", "centre": ["X", "Y"]}}, "geometry": {sq}}}"#
    ));
    assert!(check_text(&ok).is_empty(), "{:?}", check_text(&ok));

    // Missing properties: one error, not a second "missing id".
    let errs = check_text(&fc(&format!(r#"{{"type": "Feature", "geometry": {sq}}}"#)));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].property.as_deref(), Some("properties"));

    // A Feature-level id gets a hint.
    let errs = check_text(&fc(&format!(
        r#"{{"type": "Feature", "id": "a", "properties": {{}}, "geometry": {sq}}}"#
    )));
    assert!(
        errs[0].message.contains("put the id in \"properties\""),
        "{errs:?}"
    );

    // Null geometry, a non-object feature, bad centres.
    let errs = check_text(&fc(&format!(
        r#"{{"type": "Feature", "properties": {{"id": "a"}}, "geometry": null}},
           42,
           {{"type": "Feature", "properties": {{"id": "b", "centre": ["X", "X", 3]}}, "geometry": {sq}}}"#
    )));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.feature, e.property.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(0), Some("geometry")),
            (Some(1), None),
            (Some(2), Some("centre[1]")),
            (Some(2), Some("centre[2]")),
        ],
        "{errs:#?}"
    );

    // Not an array of features.
    let errs = check_text(r#"{"type": "FeatureCollection", "features": {}}"#);
    assert_eq!(errs[0].kind, ZoneErrorKind::Structure);
}

/// The detectors number a set's zones in 16 bits: a set of more is refused,
/// naming the first zone beyond the limit, never loaded with numbers wrapped.
#[test]
fn a_set_of_more_zones_than_the_detectors_can_number_is_refused() {
    let features = |n: usize| {
        let f: Vec<String> = (0..n)
            .map(|i| {
                let (x, y) = ((i % 300) as f64 * 0.5, (i / 300) as f64 * 0.5 - 80.0);
                format!(
                    r#"{{"type":"Feature","properties":{{"id":"z{i}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{y}]]]}}}}"#,
                    x + 0.1,
                    x + 0.1,
                    y + 0.1
                )
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            f.join(",")
        )
    };
    let file = Path::new("many.geojson");
    let at_limit = ZoneSet::from_geojson(file, features(MAX_ZONES).as_bytes(), &[]).unwrap();
    assert_eq!(at_limit.len(), MAX_ZONES);
    let errs = ZoneSet::from_geojson(file, features(MAX_ZONES + 1).as_bytes(), &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    let e = errs[0].to_string();
    assert!(
        e.contains("many.geojson")
            && e.contains(&format!("feature #{MAX_ZONES}"))
            && e.contains("65537 zones in all"),
        "{e}"
    );
}
