//! Export and verification on a small, fully known installation: a SQLite
//! store and a raw archive written from encoded lines (two vessels of a
//! rendezvous, one bystander, a two-part static message, lines from two
//! receivers), then tampering with every byte of the bundle's files.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use ed25519_dalek::{Signer, SigningKey};

use super::*;
use crate::storage::raw::{RawArchive, RawOptions};
use crate::storage::Scope;
use crate::storage::{Batch, PositionRow};
use aiswatch_core::ids::{AlertId, CentreId, Mmsi};
use aiswatch_decode::Decoder;
use aiswatch_engine::alert::{Alert, Kind, State};
use aiswatch_sim::encode::{self, Dims, PositionA, StaticA};

pub(super) const A: u32 = 211_000_001;
const B: u32 = 211_000_002;
const OTHER: u32 = 211_000_003;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;
/// The rendezvous: T0 + 1 h to T0 + 1 h 20 min (unix s).
pub(super) const START: i64 = T0 + 3600;
const END: i64 = T0 + 4800;

/// A receiving station's name (tag block `s:`) as hostile as a tag block
/// allows: a spreadsheet formula and HTML.
const HOSTILE_STATION: &str = "@SUM(1+1)<b>";

/// A line's event time: its tag block's `c:` (unix s).
fn event_s(line: &[u8]) -> i64 {
    let s = std::str::from_utf8(line).unwrap();
    s.split("c:")
        .nth(1)
        .unwrap()
        .split('*')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub(super) struct Installation {
    _dir: tempfile::TempDir,
    pub(super) ctx: ExportContext,
    /// Every line appended, with its MMSI and event time (unix s).
    fed: Vec<(Vec<u8>, u32, i64)>,
    pub(super) alert_id: AlertId,
}

fn position_lines(mmsi: u32, t: i64, i: usize, station: &str) -> Vec<String> {
    let p = PositionA {
        mmsi,
        status: 0,
        sog_kn: 0.5,
        lon: 2.5 + i as f64 * 0.0001,
        lat: 4.2 + (mmsi % 10) as f64 * 0.0001,
        cog: 90.0,
        heading: 90,
        second: (t % 60) as u8,
        radio: 0,
    };
    encode::tagged_lines(&encode::type1(&p), 0, 'A', station, t)
}

fn static_lines(mmsi: u32, t: i64) -> Vec<String> {
    let s = StaticA {
        mmsi,
        imo: 9_144_070,
        callsign: "9G6113".into(),
        name: "LAGOON QUEEN".into(),
        ship_type: 70,
        dims: Dims {
            to_bow: 100,
            to_stern: 20,
            to_port: 10,
            to_starboard: 10,
        },
        draught_m: 8.5,
        destination: "TEMA".into(),
        eta: (0, 0, 24, 60),
    };
    encode::tagged_lines(&encode::type5(&s), 3, 'B', "st-2", t)
}

/// Writes the installation: lines every minute for 3 h from T0 for A, B and
/// OTHER, A's static data (two fragments) at T0 + 40 min; the store gets
/// the positions as decoded and a rendezvous of A and B from [`START`] to
/// [`END`] (margin 30 min: the window is T0 + 30 min to T0 + 110 min).
pub(super) async fn installation() -> Installation {
    let dir = tempfile::tempdir().unwrap();
    let raw_dir = dir.path().join("raw");
    let mut archive = RawArchive::open(
        &raw_dir,
        RawOptions {
            segment_bytes: 16 * 1024,
            ..RawOptions::default()
        },
    )
    .unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let peers: [SocketAddr; 2] = [
        "10.0.0.1:4001".parse().unwrap(),
        "10.0.0.2:4001".parse().unwrap(),
    ];
    let source: Arc<str> = "tcp".into();
    let mut decoders = [Decoder::new(), Decoder::new()];
    let mut positions = Vec::new();
    let mut fed = Vec::new();
    let mut out = Vec::new();
    for i in 0..180usize {
        let t = T0 + i as i64 * 60;
        let mut batch: Vec<(String, u32)> = Vec::new();
        for m in [A, B, OTHER] {
            let st = match i % 3 {
                0 => "st-2",
                1 => "st-1",
                _ => HOSTILE_STATION,
            };
            batch.extend(
                position_lines(m, t + i64::from(m % 7), i, st)
                    .into_iter()
                    .map(|l| (l, m)),
            );
        }
        if i == 40 {
            batch.extend(static_lines(A, t).into_iter().map(|l| (l, A)));
        }
        for (k, (line, m)) in batch.into_iter().enumerate() {
            // Two receivers; a multi-part message's fragments come from one.
            let p = if line.contains("AIVDM,2,") { 0 } else { k % 2 };
            // Received a few seconds after the event, as live.
            let rx = t * 1000 + 2_500;
            archive
                .append(rx, "tcp", Some(peers[p]), line.as_bytes())
                .unwrap();
            out.clear();
            decoders[p].feed_from(Some(peers[p]), line.as_bytes(), rx, &mut out);
            for d in &out {
                if let Some(mut row) = PositionRow::of(&source, d) {
                    row.seq = positions.len() as u64 + 1;
                    positions.push(row);
                }
            }
            fed.push((line.into_bytes(), m, t));
        }
    }
    archive.flush().unwrap();
    drop(archive);
    let (start, end) = (START * 1000, END * 1000);
    let mut alerts = Vec::new();
    for (state, at) in [(State::Open, start + 60_000), (State::Closed, end)] {
        alerts.push(Alert {
            id: Alert::make_id(Kind::Rendezvous, "sim-patrol", &[Mmsi(A), Mmsi(B)], start),
            kind: Kind::Rendezvous,
            state,
            mmsi: vec![Mmsi(A), Mmsi(B)],
            zone: "sim-patrol".into(),
            zone_name: Some("Simulated patrol box".into()),
            zone_version: None,
            centre: vec![CentreId::from("SIM-CENTRE")],
            at,
            started_at: start,
            ended_at: (state == State::Closed).then_some(end),
            lat: 4.2,
            lon: 2.5,
            vessels: vec![],
            summary: aiswatch_engine::alert::english(&together()),
            message: Some(together()),
            details: aiswatch_engine::alert::Details::Rendezvous(
                aiswatch_engine::detect::rendezvous::Details {
                    max_distance_m: Some(500.0),
                    ..Default::default()
                },
            ),
        });
    }
    let alert_id = alerts[0].id.clone();
    store
        .write(&Batch {
            positions,
            alerts,
            ..Batch::default()
        })
        .await
        .unwrap();
    let zones_dir = dir.path().join("zones");
    std::fs::create_dir_all(&zones_dir).unwrap();
    std::fs::write(zones_dir.join("sim.geojson"), aiswatch_sim::zones_geojson()).unwrap();
    let zones =
        aiswatch_zones::ZoneSet::load_dir(&zones_dir, aiswatch_engine::detect::SPECS).unwrap();
    let (key, _) = key::load_or_create(dir.path()).unwrap();
    let ctx = ExportContext {
        store,
        raw_dir,
        raw_writer: ArchiveWriter::None,
        key: Arc::new(key),
        zones: Arc::new(zones),
        defaults: aiswatch_engine::detect::DetectConfig::default().defaults,
        config_sha256: sha256_hex(b""),
        config_file: None,
        margin_ms: 30 * 60_000,
    };
    Installation {
        _dir: dir,
        ctx,
        fed,
        alert_id,
    }
}

/// The fixture's rendezvous summary, as the engine would write it.
fn together() -> aiswatch_engine::alert::Message {
    aiswatch_engine::alert::Message::new("rendezvous")
        .text("vessel", format!("{A}"))
        .text("other", format!("{B}"))
        .duration("duration", 2 * 3_600_000 + 5 * 60_000)
        .text("zone", "Simulated patrol box")
        .decimal("distance_m", 212.0, 0)
        .decimal("closest_m", 150.0, 0)
        .decimal("max_speed_kn", 2.0, 1)
        .decimal("threshold_m", 500.0, 0)
        .duration("min_duration", 2 * 3_600_000)
        .text("silences", "")
        .text("ended", "")
}

pub(super) fn lines_of(b: &Bundle) -> Vec<Vec<u8>> {
    let text = b.get(files::RAW_LINES).unwrap();
    text.split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// An export where another process writes the archive (a cluster's api
/// node beside the engine leader) finds the line of a position stored a
/// moment ago, still held by that writer until its next write-out.
#[tokio::test]
async fn an_export_beside_another_process_writing_the_archive_finds_lines_just_stored() {
    use crate::storage::raw::{spawn_writer, RawBatch, FLUSH_EVERY};
    let mut inst = installation().await;
    let archive = RawArchive::open(
        &inst.ctx.raw_dir,
        RawOptions {
            segment_bytes: 16 * 1024,
            ..RawOptions::default()
        },
    )
    .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let writer = spawn_writer(archive, rx, FLUSH_EVERY).unwrap();
    // One more report of A in the window: its line goes to the writer, then
    // its position to the store, as the leader's stages do.
    let t = START + 30 * 60 + 30;
    let line = position_lines(A, t, 90, "st-1").remove(0);
    let (received, peer) = (t * 1000 + 2_500, "10.0.0.1:4001".parse().unwrap());
    tx.send(RawBatch {
        source: "tcp".into(),
        peer: Some(peer),
        lines: vec![(received, line.clone().into_bytes())],
    })
    .await
    .unwrap();
    let mut out = Vec::new();
    Decoder::new().feed_from(Some(peer), line.as_bytes(), received, &mut out);
    let mut row = PositionRow::of(&Arc::from("tcp"), &out[0]).unwrap();
    row.seq = inst.ctx.store.last_seq().await.unwrap() + 1;
    inst.ctx
        .store
        .write(&Batch {
            positions: vec![row],
            ..Batch::default()
        })
        .await
        .unwrap();

    inst.ctx.raw_writer = ArchiveWriter::Elsewhere;
    let b = export(&inst.ctx, &inst.alert_id, &Scope::Admin)
        .await
        .unwrap();
    assert!(lines_of(&b).iter().any(|l| l.ends_with(line.as_bytes())));
    drop(tx);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn export_holds_every_line_of_the_vessels_in_the_window_and_verifies() {
    let inst = installation().await;
    assert!(
        crate::storage::raw::segments(&inst.ctx.raw_dir)
            .unwrap()
            .len()
            > 3,
        "several segments"
    );
    let b = export(&inst.ctx, &inst.alert_id, &Scope::Admin)
        .await
        .unwrap();
    let public = inst.ctx.key.verifying_key();
    let o = verify(&b, Some(&public));
    assert!(o.is_ok(), "{:?}", o.findings);
    assert!(o.pinned);

    // Exactly the fed lines of A and B with event times in the window.
    let (from, to) = (START - 1800, END + 1800);
    let want: Vec<Vec<u8>> = inst
        .fed
        .iter()
        .filter(|(l, m, _)| (*m == A || *m == B) && (from..=to).contains(&event_s(l)))
        .map(|(l, _, _)| l.clone())
        .collect();
    assert!(want.len() > 100);
    let got = lines_of(&b);
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want, "byte for byte, in archive order");
    // A's two-part static message is there whole.
    assert_eq!(
        got.iter()
            .filter(|l| l.windows(8).any(|w| w == b"AIVDM,2,"))
            .count(),
        2
    );
    // No line of the bystander.
    let m = o.manifest.unwrap();
    assert_eq!(m.raw_lines.len(), want.len());
    assert_eq!(
        o.positions,
        want.len() - 2,
        "every position line but the static's two"
    );
    assert_eq!(m.vessels, vec![A, B]);
    assert!(m
        .raw_lines
        .iter()
        .any(|e| e.station.as_deref() == Some("st-2")));
    assert!(m.archive.segments_scanned <= m.archive.segments_total);
    // The same lines without the segments' indexes (every segment scanned).
    assert!(
        m.archive.segments_indexed > 0,
        "closed segments have an index"
    );
    for e in std::fs::read_dir(&inst.ctx.raw_dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let scanned = export(&inst.ctx, &inst.alert_id, &Scope::Admin)
        .await
        .unwrap();
    assert_eq!(scanned.get(files::RAW_LINES), b.get(files::RAW_LINES));
    let sm = verify(&scanned, Some(&public)).manifest.unwrap();
    assert_eq!(sm.archive.segments_indexed, 0);
    // The zip round-trips.
    let zip = b.to_zip().unwrap();
    assert!(verify_zip(&zip, Some(&public)).is_ok());
    // A centre that the alert is not routed to sees nothing.
    let e = export(
        &inst.ctx,
        &inst.alert_id,
        &Scope::Centre(CentreId::from("OTHER")),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, EvidenceError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn old_segments_are_skipped_without_losing_lines() {
    let inst = installation().await;
    // Lines are received 2.5 s after their event: a window starting 2 h 30
    // min in skips the segments received before 1 h 30 min (the clock
    // slack), and still finds every line of A in it.
    let (from, to) = (T0 + 9000, T0 + 10_800);
    let found = crate::evidence::collect(
        &inst.ctx.raw_dir,
        &BTreeSet::from([A]),
        from * 1000,
        to * 1000,
    )
    .unwrap();
    assert!(
        found.scanned < found.total,
        "{} of {}",
        found.scanned,
        found.total
    );
    let want: Vec<&Vec<u8>> = inst
        .fed
        .iter()
        .filter(|(l, m, _)| *m == A && (from..=to).contains(&event_s(l)))
        .map(|(l, _, _)| l)
        .collect();
    assert!(!want.is_empty());
    let got: Vec<&Vec<u8>> = found.lines.iter().map(|c| &c.rec.line).collect();
    assert_eq!(got, want);
}

/// Whether `o` failed naming `file` (a change to the manifest shows as its
/// signature failing over it).
pub(super) fn names(o: &VerifyOutcome, file: &str) -> bool {
    o.findings
        .iter()
        .any(|f| f.file == file || (file == files::MANIFEST && f.file == files::SIGNATURE))
}

#[tokio::test]
async fn every_changed_byte_line_signature_or_key_is_caught() {
    let inst = installation().await;
    let mut ctx = inst.ctx.clone();
    // A small bundle: the 20-minute event, no margin.
    ctx.margin_ms = 0;
    let good = export(&ctx, &inst.alert_id, &Scope::Admin).await.unwrap();
    let public = ctx.key.verifying_key();
    assert!(verify(&good, Some(&public)).is_ok());

    // Every byte of every file, each changed alone (files over 64 KiB, if
    // any: the first and last 4 KiB and every 7th byte).
    let mut tried = 0;
    for (name, bytes) in &good.entries {
        let n = bytes.len();
        for i in 0..n {
            let dense = n <= 65_536 || i < 4096 || i >= n - 4096 || i % 7 == 0;
            if !dense {
                continue;
            }
            let mut b = good.clone();
            let e = b.entries.iter_mut().find(|(p, _)| p == name).unwrap();
            e.1[i] ^= 0x01;
            let o = verify(&b, Some(&public));
            assert!(names(&o, name), "{name} byte {i}: {:?}", o.findings);
            tried += 1;
        }
    }
    eprintln!(
        "{tried} single-byte changes caught, in {} files",
        good.entries.len()
    );

    // A raw line removed, or one added (the line before it repeated).
    let lines = lines_of(&good);
    assert!(lines.len() > 4);
    for k in [0, lines.len() / 2, lines.len() - 1] {
        let mut fewer = lines.clone();
        fewer.remove(k);
        let mut more = lines.clone();
        more.insert(k, lines[k].clone());
        for changed in [fewer, more] {
            let mut b = good.clone();
            b.put(
                files::RAW_LINES,
                changed
                    .iter()
                    .flat_map(|l| [l.as_slice(), b"\n"].concat())
                    .collect(),
            );
            let o = verify(&b, Some(&public));
            assert!(names(&o, files::RAW_LINES), "line {k}: {:?}", o.findings);
        }
    }

    // Another key's signature, or another key: with the key pinned, caught.
    let other = SigningKey::from_bytes(&[7u8; 32]);
    let manifest = good.get(files::MANIFEST).unwrap().to_vec();
    let mut b = good.clone();
    b.put(
        files::SIGNATURE,
        format!("{}\n", key::hex(&other.sign(&manifest).to_bytes())).into_bytes(),
    );
    assert!(names(&verify(&b, Some(&public)), files::SIGNATURE));
    assert!(
        names(&verify(&b, None), files::SIGNATURE),
        "the bundled key does not match either"
    );
    b.put(
        files::PUBLIC_KEY,
        format!("{}\n", key::public_hex(&other.verifying_key())).into_bytes(),
    );
    let o = verify(&b, Some(&public));
    assert!(
        names(&o, files::PUBLIC_KEY) && names(&o, files::SIGNATURE),
        "{:?}",
        o.findings
    );
    // Unpinned, the swapped key is still caught: the manifest names the signer's key.
    assert!(names(&verify(&b, None), files::MANIFEST));
    // A file added, a file removed.
    let mut b = good.clone();
    b.put("extra.txt", b"x".to_vec());
    assert!(names(&verify(&b, Some(&public)), "extra.txt"));
    let mut b = good.clone();
    b.entries.retain(|(p, _)| p != files::MAP);
    assert!(names(&verify(&b, Some(&public)), files::MAP));
    // A damaged zip is refused, not a panic.
    let mut zip = good.to_zip().unwrap();
    let mid = zip.len() / 2;
    zip[mid] ^= 0xFF;
    assert!(!verify_zip(&zip, Some(&public)).is_ok());
}

/// Whether a CSV cell is a number (`-2.5`, `12`, `1e-3`): the only cells
/// that may begin with `-` or `+`.
fn is_number(cell: &str) -> bool {
    let t = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (mantissa, exp) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let m_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (digits(a) || a.is_empty())
                && (digits(b) || b.is_empty())
                && !(a.is_empty() && b.is_empty())
        }
        None => digits(mantissa),
    };
    m_ok && exp.is_none_or(digits)
}

#[tokio::test]
async fn hostile_ais_text_is_neither_a_formula_nor_markup_in_the_bundle() {
    const NAME: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
    const CALLSIGN: &str = "-2+3";
    const DESTINATION: &str = "@SUM(1+1)";
    let hostile: [(&str, &str, &str); 4] = [
        (NAME, CALLSIGN, DESTINATION),
        ("+CMD|' /C calc'!A0", "\t=1", "\r=2"),
        (
            "<script>alert(1)</script>",
            "'=3",
            "<img src=x onerror=alert(2)>",
        ),
        ("SEA-STAR [x](http://e) | *b*", "@A1", "-1"),
    ];
    let inst = installation().await;
    // Each vessel's static data changes four times in the window.
    let source: Arc<str> = "-src".into();
    let mut statics = Vec::new();
    for (k, (name, callsign, destination)) in hostile.iter().enumerate() {
        for m in [A, B] {
            statics.push(crate::storage::StaticRow {
                seq: 10_000 + statics.len() as u64,
                mmsi: Mmsi(m),
                time: (START + 60 * k as i64) * 1000,
                info: aiswatch_engine::track::StaticInfo {
                    name: Some((*name).to_owned()),
                    callsign: Some((*callsign).to_owned()),
                    imo: Some(9_144_070),
                    destination: Some((*destination).to_owned()),
                    draught_m: Some(-1.5),
                    ..Default::default()
                },
                source: source.clone(),
                station: None,
            });
        }
    }
    inst.ctx
        .store
        .write(&Batch {
            statics,
            ..Batch::default()
        })
        .await
        .unwrap();
    let b = export(&inst.ctx, &inst.alert_id, &Scope::Admin)
        .await
        .unwrap();
    let public = inst.ctx.key.verifying_key();
    assert!(verify_zip(&b.to_zip().unwrap(), Some(&public)).is_ok());

    // No cell of any CSV file starts a formula, unless it is a number.
    let mut cells = 0;
    let mut text = Vec::new();
    for (path, bytes) in b.entries.iter().filter(|(p, _)| p.ends_with(".csv")) {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        for (i, row) in r.records().enumerate() {
            for cell in row.unwrap().iter() {
                cells += 1;
                let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(
                    !formula || is_number(cell),
                    "{path} row {i}: cell {cell:?} starts a formula"
                );
                text.push(cell.to_owned());
            }
        }
    }
    assert!(cells > 100);
    // The hostile text is there, neutralised, and the rule undoes: the
    // original is the cell without its one leading quote.
    for (name, callsign, destination) in hostile {
        for t in [name, callsign, destination] {
            let cell = crate::evidence::escape::csv_text(t);
            assert!(text.iter().any(|c| *c == cell), "{t:?} as {cell:?}");
            assert_eq!(cell.strip_prefix('\'').unwrap_or(&cell), t);
        }
    }
    assert!(text.iter().any(|c| c == "'@SUM(1+1)<b>"), "station");
    assert!(text.iter().any(|c| c == "'-src"), "source");
    assert!(text.iter().any(|c| c == "-1.5"), "numbers stay numbers");

    // The JSON keeps the text as received.
    let tracks = String::from_utf8(b.get(files::TRACKS_GEOJSON).unwrap().to_vec()).unwrap();
    let tracks: serde_json::Value = serde_json::from_str(&tracks).unwrap();
    assert_eq!(tracks["features"][0]["properties"]["name"], hostile[3].0);
    let m: Manifest = serde_json::from_slice(b.get(files::MANIFEST).unwrap()).unwrap();
    assert!(m
        .raw_lines
        .iter()
        .any(|e| e.station.as_deref() == Some(HOSTILE_STATION)));

    // report.md: names and stations show as text, never as HTML or Markdown.
    let report = String::from_utf8(b.get(files::REPORT).unwrap().to_vec()).unwrap();
    assert!(!report.contains('<'), "{report}");
    assert!(
        report.contains("SEA-STAR \\[x\\]\\(http://e\\) \\| \\*b\\*"),
        "{report}"
    );
    assert!(report.contains("@SUM\\(1+1\\)&lt;b&gt;"), "{report}");
}

#[tokio::test]
async fn the_report_is_in_the_exporting_centres_language_and_nothing_else_changes() {
    let inst = installation().await;
    let public = inst.ctx.key.verifying_key();
    let inst = &inst;
    let export_in = |lang: &'static str| async move {
        let opts = ExportOptions {
            withhold_sources: false,
            lang: Some(lang),
        };
        export_with(&inst.ctx, &inst.alert_id, &Scope::Admin, &opts).await
    };
    let en = export_in("en").await.unwrap();
    let report = |b: &Bundle| String::from_utf8(b.get(files::REPORT).unwrap().to_vec()).unwrap();
    let english = report(&en);
    assert!(
        english.starts_with("# Evidence: rendezvous alert `"),
        "{english}"
    );
    assert!(english.contains("## What happened\n\n"), "{english}");
    assert!(english.contains("together for 2h 05m in Simulated patrol box, 212 m apart"));
    for (lang, words) in [
        (
            "fr",
            [
                "# Éléments de preuve",
                "## Ce qui s'est passé",
                "bord à bord depuis 2 h 05 min",
                "## Comment vérifier",
            ],
        ),
        (
            "pt",
            [
                "# Elementos de prova",
                "## O que aconteceu",
                "juntos há 2 h 05 min",
                "## Como verificar",
            ],
        ),
    ] {
        let b = export_in(lang).await.unwrap();
        let o = verify(&b, Some(&public));
        assert!(o.is_ok(), "{lang}: {:?}", o.findings);
        let text = report(&b);
        for w in words {
            assert!(text.contains(w), "{lang}: no {w:?} in\n{text}");
        }
        for w in [
            "What happened",
            "Vessels",
            "How to verify",
            "together for",
            "Window exported",
            "does not prove",
        ] {
            assert!(!text.contains(w), "{lang}: English {w:?} left in\n{text}");
        }
        // The figures the English report gives, written the language's way.
        assert!(text.contains("4,20000° N, 2,50000° E"), "{lang}\n{text}");
        // Every data file is the same bytes in every language.
        for (path, bytes) in &en.entries {
            if ![files::REPORT, files::MANIFEST, files::SIGNATURE].contains(&path.as_str()) {
                assert_eq!(
                    b.get(path),
                    Some(bytes.as_slice()),
                    "{lang}: {path} differs"
                );
            }
        }
    }
}
