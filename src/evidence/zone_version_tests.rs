//! Evidence carries the zone versions the detectors applied: an alert
//! whose zone was edited after the event exports the version in force
//! during it; an edit inside the event gives both; `verify` catches a
//! swapped `zone.geojson`.

use std::sync::Arc;

use super::tests::installation;
use super::*;
use crate::storage::{Batch, Scope};
use aiswatch_core::ids::{CentreId, Mmsi};
use aiswatch_engine::alert::{Alert, Kind, State};
use aiswatch_zones::ZoneSet;

const A: u32 = 211_000_001;
const B: u32 = 211_000_002;
/// The fixture's rendezvous (unix ms).
const START: i64 = (1_767_225_600 + 3600) * 1000;
const END: i64 = (1_767_225_600 + 4800) * 1000;

fn manifest(b: &Bundle) -> Manifest {
    serde_json::from_slice(b.get(files::MANIFEST).unwrap()).unwrap()
}

/// An open and a closing change of a rendezvous of A and B begun `offset`
/// ms after the fixture's, made under `open` and `close`.
fn changes(offset: i64, open: &Arc<str>, close: &Arc<str>) -> Vec<Alert> {
    let start = START + offset;
    [
        (State::Open, start + 60_000, open),
        (State::Closed, END, close),
    ]
    .into_iter()
    .map(|(state, at, v)| Alert {
        id: Alert::make_id(Kind::Rendezvous, "sim-patrol", &[Mmsi(A), Mmsi(B)], start),
        kind: Kind::Rendezvous,
        state,
        mmsi: vec![Mmsi(A), Mmsi(B)],
        zone: "sim-patrol".into(),
        zone_name: Some("Simulated patrol box".into()),
        zone_version: Some(v.clone()),
        centre: vec![CentreId::from("SIM-CENTRE")],
        at,
        started_at: start,
        ended_at: (state == State::Closed).then_some(END),
        lat: 4.2,
        lon: 2.5,
        vessels: vec![],
        summary: "A and B together".into(),
        message: None,
        details: aiswatch_engine::alert::Details::Rendezvous(Default::default()),
    })
    .collect()
}

#[tokio::test]
async fn a_bundle_carries_the_zone_versions_applied_during_the_event() {
    let inst = installation().await;
    let mut ctx = inst.ctx.clone();
    let before = ctx.zones.as_ref().clone();
    let v1 = before.get("sim-patrol").unwrap().source.clone();
    // The zone's boundary edited by an administrator after the fixture's start.
    let mut edited: serde_json::Value = serde_json::from_str(&v1.feature).unwrap();
    edited["properties"]["name"] = "Patrol box, moved".into();
    let ring = &mut edited["geometry"]["coordinates"][0];
    ring[1][0] = serde_json::json!(ring[1][0].as_f64().unwrap() + 0.5);
    ring[2][0] = serde_json::json!(ring[2][0].as_f64().unwrap() + 0.5);
    let file = format!(r#"{{"type": "FeatureCollection", "features": [{edited}]}}"#);
    let after = ZoneSet::from_geojson(
        std::path::Path::new("sim.geojson"),
        file.as_bytes(),
        aiswatch_engine::detect::SPECS,
    )
    .unwrap();
    let v2 = after.get("sim-patrol").unwrap().source.clone();
    assert_ne!(v1.version, v2.version);
    ctx.store
        .record_zones(&before, "start", 1_000)
        .await
        .unwrap();
    ctx.store
        .record_zones(&after, "admin", 2_000)
        .await
        .unwrap();
    // Exported with the edited zone in force.
    ctx.zones = Arc::new(after);

    let mut alerts = changes(60_000, &v1.version, &v1.version);
    let edited_inside = changes(120_000, &v1.version, &v2.version);
    alerts.extend(edited_inside.iter().cloned());
    ctx.store
        .write(&Batch {
            alerts,
            ..Batch::default()
        })
        .await
        .unwrap();

    // Edited after the event: the version in force during it.
    let b = export(
        &ctx,
        &changes(60_000, &v1.version, &v1.version)[0].id,
        &Scope::Admin,
    )
    .await
    .unwrap();
    let public = ctx.key.verifying_key();
    assert!(
        verify(&b, Some(&public)).is_ok(),
        "{:?}",
        verify(&b, None).findings
    );
    let m = manifest(&b);
    let got: Vec<(&str, u64)> = m
        .zone
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.changes))
        .collect();
    assert_eq!(got, [(&*v1.version, 2)]);
    assert_eq!(m.zone.versions[0].by.as_deref(), Some("start"));
    assert!(m.zone.versions[0].in_force_until.is_some());
    let zone_file = String::from_utf8(b.get(files::ZONE).unwrap().to_vec()).unwrap();
    assert!(zone_file.contains(&*v1.feature), "{zone_file}");
    assert!(!zone_file.contains("moved"), "{zone_file}");
    let report = String::from_utf8(b.get(files::REPORT).unwrap().to_vec()).unwrap();
    assert!(
        report.contains(&format!(
            "Zone version the detectors applied: `{}`",
            v1.version
        )),
        "{report}"
    );

    // Edited inside the event: both, in the order applied.
    let both = export(&ctx, &edited_inside[0].id, &Scope::Admin)
        .await
        .unwrap();
    assert!(verify(&both, Some(&public)).is_ok());
    let m2 = manifest(&both);
    let got: Vec<(&str, u64, Option<&str>)> = m2
        .zone
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.changes, v.by.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (&*v1.version, 1, Some("start")),
            (&*v2.version, 1, Some("admin"))
        ]
    );
    let zone_file = String::from_utf8(both.get(files::ZONE).unwrap().to_vec()).unwrap();
    assert!(zone_file.contains(&*v1.feature) && zone_file.contains(&*v2.feature));

    // A swapped zone file: the edited version in place of the applied one.
    let mut swapped = b.clone();
    swapped.put(
        files::ZONE,
        format!(
            "{{\"type\": \"FeatureCollection\", \"features\": [\n{}\n]}}\n",
            v2.feature
        )
        .into_bytes(),
    );
    let o = verify(&swapped, Some(&public));
    assert!(!o.is_ok());
    let said: Vec<String> = o.findings.iter().map(ToString::to_string).collect();
    assert!(
        said.iter()
            .any(|f| f.contains(files::ZONE) && f.contains("is not zone version")),
        "{said:?}"
    );

    // A change whose version the bundle does not carry, even with a
    // manifest re-signed by the same key (an insider), is named.
    let mut forged = manifest(&b);
    forged.zone.versions[0].version = v2.version.to_string();
    let bytes = serde_json::to_vec_pretty(&forged).unwrap();
    let mut re = b.clone();
    re.put(files::MANIFEST, bytes.clone());
    use ed25519_dalek::Signer;
    re.put(
        files::SIGNATURE,
        format!("{}\n", key::hex(&ctx.key.sign(&bytes).to_bytes())).into_bytes(),
    );
    let said: Vec<String> = verify(&re, Some(&public))
        .findings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        said.iter()
            .any(|f| f.contains("which the bundle does not carry")),
        "{said:?}"
    );
}
