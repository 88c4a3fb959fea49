//! The registry: kinds, zone `detect` blocks checked by the detectors'
//! specs, `[detect.<detector>]` defaults, thresholds resolved per zone.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::super::loitering;
use super::*;

fn shipped() -> ZoneSet {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../zones"));
    ZoneSet::load_dir(&dir, SPECS).unwrap_or_else(|errs| panic!("shipped zones: {errs:#?}"))
}

/// The problems of a zone file with one zone of `kind` and `detect`.
fn problems(kind: &str, detect: serde_json::Value) -> Vec<(String, String)> {
    let file = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"id": "z", "kind": kind, "detect": detect},
        "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}}]});
    let bytes = serde_json::to_vec(&file).unwrap();
    match ZoneSet::from_geojson(Path::new("z.geojson"), &bytes, SPECS) {
        Ok(_) => Vec::new(),
        Err(errs) => errs
            .into_iter()
            .map(|e| (e.property.unwrap_or_default(), e.message))
            .collect(),
    }
}

#[test]
fn kinds_specs_and_detectors_follow_the_registry() {
    assert_eq!(Kind::ALL.len(), SPECS.len());
    assert_eq!(Kind::ALL.len(), registered().len());
    for (k, spec) in Kind::ALL.iter().zip(SPECS) {
        assert_eq!(spec.name, k.as_str());
        assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        assert_eq!(Kind::parse(k.as_str()), Some(*k));
    }
    assert_eq!(Kind::parse("teleport"), None);
}

#[test]
fn shipped_zones_run_what_their_kind_allows() {
    let set = shipped();
    let defaults = Defaults::default();
    for z in set.zones().iter().filter(|z| z.is_port()) {
        assert!(
            !z.detect.runs("loitering") && !z.detect.runs("rendezvous"),
            "{}",
            z.id
        );
    }
    let lagos = set.get("lagos-anch").unwrap();
    let dark: super::super::dark_period::Params =
        defaults.resolve(Kind::DarkPeriod, lagos).unwrap();
    assert_eq!(dark.min_gap, Duration::from_secs(6 * 3600));
    assert!(defaults
        .resolve::<loitering::Params>(Kind::Loitering, lagos)
        .is_none());
}

#[test]
fn zone_blocks_are_checked_by_each_detectors_spec() {
    assert_eq!(
        problems("patrol", json!({"loitering": {"min_duration": "4h"}})),
        vec![]
    );
    let got = problems(
        "port",
        json!({"loitering": {}, "rendezvous": {}, "dark_period": {}}),
    );
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got
        .iter()
        .all(|(_, m)| m.contains("not allowed in a port zone")));
    let got = problems("patrol", json!({"fishing": {}}));
    assert_eq!(got[0].0, "detect.fishing");
    assert!(got[0].1.contains("closed_area"), "{got:?}");
    let got = problems("patrol", json!({"teleport": {}}));
    assert!(got[0].1.contains(
        &Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // Every problem, each named by its key.
    let got = problems(
        "closed_area",
        json!({"fishing": {"min_speed_kn": 6, "max_speed_kn": 5, "speed": 1},
               "identity_change": {"min_switches": 1},
               "rendezvous": {"max_distance_m": "500"}}),
    );
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "detect.fishing.speed",
            "detect.fishing.min_speed_kn",
            "detect.identity_change.min_switches",
            "detect.rendezvous.max_distance_m",
        ],
        "{got:#?}"
    );
    assert!(got[3].1.contains("expected a number of metres"), "{got:?}");
}

#[test]
fn defaults_come_from_the_config_and_zones_override_them() {
    let cfg: DetectConfig = serde_json::from_value(json!({
        "loitering": {"min_duration": "4h"},
        "feed_stall": "10m",
    }))
    .unwrap();
    assert_eq!(cfg.feed_stall, Duration::from_secs(600));
    let t = cfg.defaults.get(Kind::Loitering).unwrap();
    assert_eq!(t["min_duration"], "4h");
    assert_eq!(t["max_speed_kn"], 2.0);
    assert!(cfg.defaults.problems().is_empty());
    assert_eq!(
        DetectConfig::default().defaults.get(Kind::Rendezvous),
        cfg.defaults.get(Kind::Rendezvous)
    );

    let bytes = serde_json::to_vec(&json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "z", "detect": {"loitering": {"max_speed_kn": 1.5}}},
         "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}}]}))
    .unwrap();
    let set = ZoneSet::from_geojson(Path::new("z.geojson"), &bytes, SPECS).unwrap();
    let p: loitering::Params = cfg
        .defaults
        .resolve(Kind::Loitering, &set.zones()[0])
        .unwrap();
    assert_eq!(
        (p.max_speed_kn, p.min_duration),
        (1.5, Duration::from_secs(4 * 3600))
    );
    // Evidence records every detector, in registry order, null where off.
    let in_force = serde_json::to_string(&cfg.defaults.in_force(&set.zones()[0])).unwrap();
    assert!(
        in_force.starts_with(r#"{"dark_period":null,"loitering":{"max_speed_kn":1.5,"min_duration":"4h"},"rendezvous":null"#),
        "{in_force}"
    );

    for (bad, needle) in [
        (
            json!({"loitering": {"speed": 1}}),
            "[detect.loitering] unknown field `speed`",
        ),
        (json!({"teleport": {}}), "[detect] unknown field `teleport`"),
        (
            json!({"teleport": {}}),
            "or a detector's table: `dark_period`, `loitering`",
        ),
        (
            json!({"loitering": {"min_duration": 5}}),
            "[detect.loitering]",
        ),
    ] {
        let e = serde_json::from_value::<DetectConfig>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }
    let mut d = Defaults::default();
    let t = |v: serde_json::Value| toml::Value::try_from(v).unwrap();
    d.set("spoofing", t(json!({"max_speed_kn": -3.0}))).unwrap();
    d.set("identity_change", t(json!({"min_switches": 1})))
        .unwrap();
    // A number that is not one is refused where it is read.
    let nan = toml::Value::Table(toml::toml! { max_speed_kn = nan });
    assert_eq!(
        d.set("loitering", nan).unwrap_err().to_string(),
        "max_speed_kn: must be a finite number"
    );
    assert_eq!(
        d.problems(),
        vec![
            "spoofing.max_speed_kn: must be a positive number, found -3",
            "identity_change.min_switches: must be at least 2, found 1",
        ]
    );
}
