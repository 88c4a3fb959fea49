//! Withholding receivers: a bundle for a partner names no receiver, still
//! verifies (here and with the independent Python verifier), and opens to
//! the full bundle of the same alert.

use super::tests::{installation, lines_of, names, Installation, A, START};
use super::*;
use crate::storage::{Batch, Scope};
use aiswatch_core::ids::{AlertId, CentreId, Mmsi};
use aiswatch_engine::alert::{Alert, Kind, State};

/// Every receiver id the installation's data holds (peers whole: a bare
/// port could be part of a commitment's hex).
const RECEIVER_IDS: [&str; 7] = [
    "st-1",
    "st-2",
    "@SUM(1+1)",
    "tcp",
    "10.0.0.1:4001",
    "10.0.0.2:4001",
    "rx-down",
];

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A dark period of A whose details and summary name receivers.
async fn dark_period_naming_receivers(inst: &Installation) -> AlertId {
    let start = START * 1000;
    let alert = Alert {
        id: Alert::make_id(Kind::DarkPeriod, "sim-patrol", &[Mmsi(A)], start),
        kind: Kind::DarkPeriod,
        state: State::Open,
        mmsi: vec![Mmsi(A)],
        zone: "sim-patrol".into(),
        zone_name: Some("Simulated patrol box".into()),
        zone_version: None,
        centre: vec![CentreId::from("SIM-CENTRE")],
        at: start + 60_000,
        started_at: start,
        ended_at: None,
        lat: 4.2,
        lon: 2.5,
        vessels: vec![],
        summary: "A silent; last heard by station st-1 via tcp; rx-down was down.".into(),
        message: None,
        details: aiswatch_engine::alert::Details::DarkPeriod(
            aiswatch_engine::detect::dark_period::Details {
                station: Some("st-1".into()),
                down: Some(vec!["rx-down".into()]),
                heard_by: Some(vec![aiswatch_engine::detect::dark_period::HeardBy {
                    copies: 3,
                    down_s: 0,
                    of: 4,
                    share: 1.0,
                    station: "st-2".into(),
                }]),
                silent_s: Some(3600),
                ..Default::default()
            },
        ),
    };
    let id = alert.id.clone();
    inst.ctx
        .store
        .write(&Batch {
            alerts: vec![alert],
            ..Batch::default()
        })
        .await
        .unwrap();
    id
}

/// `python3 scripts/verify_evidence.py` on `zip` with `key`: (exit code,
/// output), or `None` (after saying SKIPPED) without python3 and its
/// `cryptography` package.
fn python_verify(zip: &[u8], key: &str) -> Option<(i32, String)> {
    use std::process::Command;
    let probe = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED (independent Python verifier): python3 with the `cryptography` package is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.zip");
    std::fs::write(&file, zip).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify_evidence.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(&file)
        .args(["--key", key])
        .output()
        .unwrap();
    Some((
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    ))
}

#[tokio::test]
async fn a_bundle_withholding_sources_names_no_receiver_verifies_and_opens_to_the_full_one() {
    let inst = installation().await;
    let dark = dark_period_naming_receivers(&inst).await;
    let mut ctx = inst.ctx.clone();
    ctx.margin_ms = 10 * 60_000;
    let public = ctx.key.verifying_key();
    let key_hex = key::public_hex(&public);
    let opts = ExportOptions {
        withhold_sources: true,
        lang: None,
    };
    for id in [&inst.alert_id, &dark] {
        let full = export(&ctx, id, &Scope::Admin).await.unwrap();
        let red = export_with(&ctx, id, &Scope::Admin, &opts).await.unwrap();
        let zip = red.to_zip().unwrap();

        // The full bundle names receivers in many files; the redacted one
        // in none, in any member of the zip as unzipped.
        let named: Vec<&str> = full
            .entries
            .iter()
            .filter(|(_, b)| RECEIVER_IDS.iter().any(|n| holds(b, n)))
            .map(|(p, _)| p.as_str())
            .collect();
        for f in [
            files::RAW_LINES,
            files::POSITIONS_CSV,
            files::MANIFEST,
            files::REPORT,
        ] {
            assert!(named.contains(&f), "{} in {named:?}", id.as_str());
        }
        if id == &dark {
            for f in [files::ALERT, files::ALERT_CHANGES, files::THRESHOLDS] {
                assert!(named.contains(&f), "{f} in {named:?}");
            }
        }
        let unzipped = Bundle::from_zip(&zip).unwrap();
        assert_eq!(unzipped.entries.len(), full.entries.len());
        for (path, bytes) in &unzipped.entries {
            for n in RECEIVER_IDS {
                assert!(!holds(bytes, n), "{}: {path} names {n:?}", id.as_str());
            }
        }

        // It verifies: signature and hashes hold, every position re-decodes
        // from the redacted lines, the chain links are said to be withheld.
        let o = verify_zip(&zip, Some(&public));
        assert!(o.is_ok(), "{:?}", o.findings);
        let fo = verify(&full, Some(&public));
        assert!(fo.is_ok() && fo.withheld.is_empty() && fo.unchained == 0);
        assert_eq!(o.withheld, vec![SOURCES.to_owned()]);
        assert_eq!(o.raw_lines, 0);
        assert_eq!(o.unchained, fo.raw_lines);
        assert!(o.unchained > 10);
        assert_eq!(o.positions, fo.positions);
        let rm: Manifest = serde_json::from_slice(red.get(files::MANIFEST).unwrap()).unwrap();
        let fm: Manifest = serde_json::from_slice(full.get(files::MANIFEST).unwrap()).unwrap();
        assert!(fm.redacted.is_none());
        assert_eq!(rm.redacted.as_ref().unwrap().withheld, vec![SOURCES]);
        assert_eq!(
            red.get(files::TRACKS_GEOJSON),
            full.get(files::TRACKS_GEOJSON)
        );
        let report = String::from_utf8(red.get(files::REPORT).unwrap().to_vec()).unwrap();
        assert!(report.contains("Withheld: receivers"), "{report}");
        if id == &dark {
            let alert = String::from_utf8(red.get(files::ALERT).unwrap().to_vec()).unwrap();
            assert!(
                alert.contains(
                    "last heard by station [withheld] via [withheld]; [withheld] was down."
                ),
                "{alert}"
            );
            assert!(alert.contains("\"silent_s\":3600"), "{alert}");
        }
        if let Some((code, out)) = python_verify(&zip, &key_hex) {
            assert_eq!(code, 0, "python verifier: {out}");
            assert!(out.contains("withheld: sources"), "{out}");
        }

        // Each redacted line is the full one with its station replaced.
        let (rl, fl) = (lines_of(&red), lines_of(&full));
        assert_eq!(rl.len(), fl.len());
        for (r, f) in rl.iter().zip(&fl) {
            let tail = |l: &[u8]| l[l.iter().rposition(|&c| c == b'\\').unwrap()..].to_vec();
            assert_eq!(tail(r), tail(f), "the AIS sentence is untouched");
        }

        // The installation opens every commitment from the full bundle; a
        // commitment there opens to the full bundle's value.
        let openings = reveal(&ctx.key, &full).unwrap();
        assert!(
            check_openings(&red, &full, &openings).is_empty(),
            "{:?}",
            check_openings(&red, &full, &openings)
        );
        let (re, fe) = (&rm.raw_lines[0], &fm.raw_lines[0]);
        for (field, red_value, full_value) in [
            ("station", re.station.clone(), fe.station.clone()),
            ("source", Some(re.source.clone()), Some(fe.source.clone())),
            ("peer", re.peer.clone(), fe.peer.clone()),
            ("hash", Some(re.hash.clone()), Some(fe.hash.clone())),
        ] {
            let op = openings
                .openings
                .iter()
                .find(|o| o.file == files::MANIFEST && o.at == "raw_lines 1" && o.field == field)
                .unwrap();
            let (red_value, full_value) = (red_value.unwrap(), full_value.unwrap());
            assert!(is_commitment(&red_value), "{red_value}");
            assert_eq!(op.value, full_value);
            let salt = key::unhex(&op.salt).unwrap();
            assert_eq!(
                commitment(&salt, full_value.as_bytes()),
                red_value,
                "{field}"
            );
            assert_ne!(
                commitment(&salt, b"st-9"),
                red_value,
                "another value does not open it"
            );
        }
        // The tag block's s: of the first line opens to the full line's station.
        let op = openings
            .openings
            .iter()
            .find(|o| o.file == files::RAW_LINES && o.at == "line 1" && o.field == "s#1")
            .unwrap();
        let first = String::from_utf8(rl[0].clone()).unwrap();
        assert!(first.contains(&format!("s:{},", op.commitment)), "{first}");
        assert!(String::from_utf8_lossy(&fl[0]).contains(&format!("s:{},", op.value)));

        // Openings that lie, or a full bundle that differs, do not hold.
        let mut lying = openings.clone();
        lying.openings[0].salt = key::hex(&[9u8; 32]);
        assert!(!check_openings(&red, &full, &lying).is_empty());
        let mut other = full.clone();
        let mut raw = other.get(files::RAW_LINES).unwrap().to_vec();
        let at = raw.iter().position(|&c| c == b's').unwrap() + 3;
        raw[at] ^= 0x01;
        other.put(files::RAW_LINES, raw);
        assert!(!check_openings(&red, &other, &openings).is_empty());
    }

    // A tampered redacted bundle is refused, by both verifiers.
    let red = export_with(&ctx, &inst.alert_id, &Scope::Admin, &opts)
        .await
        .unwrap();
    let mut bad = red.clone();
    let mut raw = bad.get(files::RAW_LINES).unwrap().to_vec();
    let at = raw.iter().position(|&c| c == b',').unwrap();
    raw[at + 1] ^= 0x01;
    bad.put(files::RAW_LINES, raw);
    let o = verify(&bad, Some(&public));
    assert!(names(&o, files::RAW_LINES), "{:?}", o.findings);
    if let Some((code, out)) = python_verify(&bad.to_zip().unwrap(), &key_hex) {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("raw/lines.nmea"), "{out}");
    }
    // A station value swapped for another commitment: the file's hash breaks.
    let mut bad = red.clone();
    let text = String::from_utf8(bad.get(files::POSITIONS_CSV).unwrap().to_vec()).unwrap();
    let i = text.find(WITHHELD_PREFIX).unwrap() + WITHHELD_PREFIX.len();
    let mut swapped = text.into_bytes();
    swapped[i] = if swapped[i] == b'0' { b'1' } else { b'0' };
    bad.put(files::POSITIONS_CSV, swapped);
    assert!(names(&verify(&bad, Some(&public)), files::POSITIONS_CSV));
    // The manifest changed (claiming a line's links withheld, say): the
    // signature breaks.
    let mut bad = red.clone();
    let mut m: Manifest = serde_json::from_slice(bad.get(files::MANIFEST).unwrap()).unwrap();
    m.redacted
        .as_mut()
        .unwrap()
        .withheld
        .push("positions".into());
    bad.put(files::MANIFEST, serde_json::to_vec_pretty(&m).unwrap());
    let o = verify(&bad, Some(&public));
    assert!(names(&o, files::MANIFEST), "{:?}", o.findings);
    if let Some((code, out)) = python_verify(&bad.to_zip().unwrap(), &key_hex) {
        assert_eq!(code, 1, "{out}");
    }
}
