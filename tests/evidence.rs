//! Evidence bundles end to end with the real binary: a simulated scenario (every
//! alert kind the simulator makes) fed over TCP to `aiswatch run`; while it
//! runs, `aiswatch evidence ID --out` for one alert of each kind and
//! `GET /api/v1/alerts/{id}/evidence`; `aiswatch evidence verify` (and the
//! independent Python verifier, when python3 has `cryptography`) accept
//! each bundle; its raw lines are byte for byte the fed lines of the
//! alert's vessels in the window, all of them. Then tampering: a changed
//! raw line fails both verifiers; a changed byte in an archive segment
//! fails `aiswatch archive verify`, naming the segment and line.

mod common;
#[path = "common/crafted_zip.rs"]
mod crafted_zip;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use aiswatch::evidence::{files, Bundle, Manifest};
use aiswatch_sim::{self as sim, SimConfig};
use common::*;
use crafted_zip::{declared, renamed, zip_of};

const ADMIN: &str = "admin-token";
const CENTRES: &str = "[[centres]]\nid = \"SIM-CENTRE\"\napi_tokens = [\"sim-tok\"]\n\n\
                       [[centres]]\nid = \"ELSEWHERE\"\napi_tokens = [\"else-tok\"]\n";

fn aiswatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// What the daemon archives of `lines` (one TCP connection): the lines its
/// decoder accepts, in order.
fn accepted(lines: &[String]) -> Vec<&String> {
    let mut d = aiswatch_decode::Decoder::new();
    let mut out = Vec::new();
    let peer = Some(SocketAddr::from(([127, 0, 0, 1], 1)));
    lines
        .iter()
        .filter(|l| {
            let before = d.stats().rejects_total();
            d.feed_from(peer, l.as_bytes(), 0, &mut out);
            d.stats().rejects_total() == before
        })
        .collect()
}

/// Each accepted line with the MMSI and event time of the message it is
/// (part of), decoded on its own: the simulator writes a multi-part
/// message's fragments one after the other, so a first fragment is decoded
/// with the line after it.
fn messages<'a>(lines: &[&'a String]) -> Vec<(&'a String, Option<(u32, i64)>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let n = if lines[i].contains("!AIVDM,2,1,") && i + 1 < lines.len() {
            2
        } else {
            1
        };
        let mut d = aiswatch_decode::Decoder::new();
        let mut msgs = Vec::new();
        for l in &lines[i..i + n] {
            d.feed(l.as_bytes(), 0, &mut msgs);
        }
        let m = msgs.first().map(|m| (m.message.mmsi, m.time));
        for l in &lines[i..i + n] {
            out.push((*l, m));
        }
        i += n;
    }
    out
}

fn bundle_lines(b: &Bundle) -> Vec<String> {
    let t = String::from_utf8(b.get(files::RAW_LINES).unwrap().to_vec()).unwrap();
    t.lines().map(str::to_owned).collect()
}

fn manifest(b: &Bundle) -> Manifest {
    serde_json::from_slice(b.get(files::MANIFEST).unwrap()).unwrap()
}

/// `python3 scripts/verify_evidence.py FILE --key KEY`, or `None` (after
/// saying SKIPPED) without python3 and its `cryptography` package.
fn python_verify(file: &Path, key: &str) -> Option<(i32, String)> {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED (independent Python verifier): python3 with the `cryptography` package is not installed");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify_evidence.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(file)
        .args(["--key", key])
        .output()
        .unwrap();
    Some((o.status.code().unwrap_or(-1), text(&o)))
}

/// The newest tag-block time (`c:`, unix seconds) among `lines`.
fn feed_end(lines: &[String]) -> i64 {
    lines
        .iter()
        .filter_map(|l| {
            let c = &l[l.find(",c:")? + 3..];
            c[..c.find(|ch: char| !ch.is_ascii_digit())?].parse().ok()
        })
        .max()
        .expect("tag-blocked feed")
}

/// A vessel in the patrol zone from `after` + 1 min, reporting every minute
/// for 20 min, then 1.4° (155 km) further east a minute later: a jump no
/// vessel could make (spoofing).
fn jumping_vessel(after: i64) -> Vec<String> {
    use aiswatch_sim::encode::{tagged_lines, type1, PositionA};
    let report = |k: i64, lon: f64| {
        let p = PositionA {
            mmsi: 247_000_999,
            status: 0,
            sog_kn: 8.0,
            lon,
            lat: 3.3,
            cog: 90.0,
            heading: 90,
            second: 0,
            radio: 0,
        };
        tagged_lines(&type1(&p), 0, 'A', "sim-jump", after + 60 * k)
    };
    (1..=20)
        .flat_map(|k| report(k, 2.3 + k as f64 * 0.002))
        .chain((21..=23).flat_map(|k| report(k, 3.7 + k as f64 * 0.002)))
        .collect()
}

/// Zips crafted from a good bundle: a forged duplicate before the genuine
/// file, a file that is not a bundle's, more entries than a bundle may
/// hold, more bytes in all than a bundle may have. `aiswatch evidence
/// verify` and the Python verifier refuse each (exit 1) naming the cause.
fn crafted_zips_are_refused(good: &Bundle, dir: &Path, key: &str) {
    let entries = || good.entries.iter().map(|(p, b)| (p.as_str(), b.as_slice()));
    let forged =
        b"mmsi,time_ms,time,lon,lat,sog_dkn,cog_ddeg,heading,nav_status,msg_type,station,source\n";
    let junk: Vec<String> = (0..200).map(|i| format!("junk/{i}")).collect();
    let mut big = zip_of(entries());
    for f in [files::MAP, files::REPORT, files::TRACKS_GEOJSON] {
        big = declared(big, f, 0x3000_0000);
    }
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "duplicate",
            renamed(
                zip_of(std::iter::once(("positions.csX", &forged[..])).chain(entries())),
                "positions.csX",
                files::POSITIONS_CSV,
            ),
            "positions.csv: appears twice in the zip",
        ),
        (
            "unexpected",
            zip_of(entries().chain(std::iter::once(("payload.exe", &b"MZ"[..])))),
            "payload.exe: not a file of an evidence bundle",
        ),
        (
            "too-many",
            zip_of(entries().chain(junk.iter().map(|n| (n.as_str(), &b""[..])))),
            "213 entries in the zip, more than the 64 a bundle may hold",
        ),
        (
            "oversized",
            big,
            "bytes in all when inflated, more than the 2147483648 a bundle may have",
        ),
    ];
    for (what, zip, says) in cases {
        let file = dir.join(format!("crafted-{what}.zip"));
        std::fs::write(&file, &zip).unwrap();
        let o = aiswatch(&["evidence", "verify", file.to_str().unwrap(), "--key", key]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        assert!(
            text(&o).contains("FAILED, 1 problem(s):\n  bundle: ") && text(&o).contains(says),
            "{what}: {}",
            text(&o)
        );
        if let Some((code, out_text)) = python_verify(&file, key) {
            assert_eq!(code, 1, "python verifier, {what}: {out_text}");
            assert!(
                out_text.contains(says),
                "python verifier, {what}: {out_text}"
            );
        }
    }
}

/// `aiswatch evidence ID --withhold-sources`: no receiver id the full
/// bundle names (station, source, peer) is in any file of the redacted
/// one; both verifiers accept it and say receivers were withheld; the
/// installation's `evidence reveal` of the full bundle opens every
/// commitment, and `evidence verify --full --openings` shows the two are
/// the same evidence (and refuses openings that lie).
fn withheld_sources_round_trip(dir: &Path, config: &str, key: &str, id: &str) {
    let full_file = dir.join("full.zip");
    let red_file = dir.join("redacted.zip");
    for (file, extra) in [(&full_file, None), (&red_file, Some("--withhold-sources"))] {
        let mut args = vec![
            "evidence",
            id,
            "--out",
            file.to_str().unwrap(),
            "--config",
            config,
        ];
        args.extend(extra);
        let o = aiswatch(&args);
        assert!(o.status.success(), "export {id} {extra:?}: {}", text(&o));
    }
    let full = Bundle::from_zip(&std::fs::read(&full_file).unwrap()).unwrap();
    let red = Bundle::from_zip(&std::fs::read(&red_file).unwrap()).unwrap();
    let fm = manifest(&full);
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for e in &fm.raw_lines {
        ids.insert(e.source.clone());
        ids.extend(e.peer.iter().cloned());
        ids.extend(e.station.iter().cloned());
    }
    // An id of hex digits alone could occur inside a commitment's hex by chance.
    ids.retain(|n| !n.bytes().all(|c| c.is_ascii_hexdigit()));
    assert!(ids.len() >= 3, "{ids:?}");
    for (path, bytes) in &red.entries {
        for n in &ids {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{path} names {n:?}"
            );
        }
    }
    let o = aiswatch(&[
        "evidence",
        "verify",
        red_file.to_str().unwrap(),
        "--key",
        key,
    ]);
    assert!(o.status.success(), "verify redacted: {}", text(&o));
    assert!(
        text(&o).contains("withheld: sources (receivers)")
            && text(&o).contains("cannot be checked"),
        "{}",
        text(&o)
    );
    if let Some((code, out_text)) = python_verify(&red_file, key) {
        assert_eq!(
            code, 0,
            "python verifier on the redacted bundle: {out_text}"
        );
        assert!(out_text.contains("withheld: sources"), "{out_text}");
    }
    let openings = dir.join("openings.json");
    let o = aiswatch(&[
        "evidence",
        "reveal",
        full_file.to_str().unwrap(),
        "--out",
        openings.to_str().unwrap(),
        "--config",
        config,
    ]);
    assert!(o.status.success(), "reveal: {}", text(&o));
    let same = |openings: &Path| {
        aiswatch(&[
            "evidence",
            "verify",
            red_file.to_str().unwrap(),
            "--key",
            key,
            "--full",
            full_file.to_str().unwrap(),
            "--openings",
            openings.to_str().unwrap(),
        ])
    };
    let o = same(&openings);
    assert!(o.status.success(), "same evidence: {}", text(&o));
    assert!(text(&o).contains("the same evidence as"), "{}", text(&o));
    let mut lying: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&openings).unwrap()).unwrap();
    lying["openings"][0]["salt"] = serde_json::Value::String("00".repeat(32));
    let lying_file = dir.join("lying.json");
    std::fs::write(&lying_file, lying.to_string()).unwrap();
    let o = same(&lying_file);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

async fn round_trip(db: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let sim_dir = dir.path().join("sim");
    let cfg = SimConfig {
        seed: 1,
        hours: 6.0,
        vessels: 100,
        ..SimConfig::default()
    };
    sim::generate(&cfg, &sim_dir).unwrap();
    let feed_text = std::fs::read_to_string(sim_dir.join("feed.nmea")).unwrap();
    let mut lines: Vec<String> = feed_text.lines().map(str::to_owned).collect();
    let zones = sim_dir.join("zones");
    // The simulator sends no impossible jumps: spoofing on in the patrol
    // zone, and one vessel that jumps 155 km in a minute after the feed.
    let zone_file = zones.join("sim.geojson");
    let mut z: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&zone_file).unwrap()).unwrap();
    z["features"][0]["properties"]["detect"]["spoofing"] = serde_json::json!({});
    std::fs::write(&zone_file, z.to_string()).unwrap();
    lines.extend(jumping_vessel(feed_end(&lines)));
    let (_, ref_positions) = replay_reference_in(&lines, &zones);
    let archived = accepted(&lines);

    let db = db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("store.db").display()));
    let config = write_config(dir.path(), &zones, &db, ADMIN, CENTRES);
    let config_s = config.to_str().unwrap();
    let mut d = start(dir.path(), &config, 1).await;
    feed(d.tcp, &lines).await;
    wait_positions(d.http, ADMIN, ref_positions.len()).await;
    // The raw archive is flushed every second: wait until it holds every line.
    let raw_dir = dir.path().join("data").join("raw");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let r = aiswatch::storage::raw::verify(&raw_dir).unwrap();
        assert!(r.is_ok(), "{:?}", r.broken);
        if r.records == archived.len() as u64 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "archive holds {} of {}",
            r.records,
            archived.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let key = aiswatch(&["key", "show", "--config", config_s]);
    assert!(key.status.success(), "{}", text(&key));
    let key = String::from_utf8(key.stdout).unwrap();
    let key = key
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();

    // One alert of each kind.
    let list = get_json(d.http, "/api/v1/alerts?limit=1000", Some(ADMIN)).await;
    let mut by_kind: BTreeMap<String, String> = BTreeMap::new();
    for a in list["alerts"].as_array().unwrap() {
        by_kind
            .entry(a["kind"].as_str().unwrap().to_owned())
            .or_insert_with(|| a["id"].as_str().unwrap().to_owned());
    }
    let kinds: BTreeSet<&str> = by_kind.keys().map(String::as_str).collect();
    // Every detector a zone can run.
    for k in aiswatch_engine::alert::Kind::ALL.iter().map(|k| k.as_str()) {
        assert!(kinds.contains(k), "no {k} alert among {kinds:?}");
    }

    let decoded = messages(&archived);
    let mut files_out: Vec<(String, PathBuf)> = Vec::new();
    for (kind, id) in &by_kind {
        let out = dir.path().join(format!("{kind}.zip"));
        let o = aiswatch(&[
            "evidence",
            id,
            "--out",
            out.to_str().unwrap(),
            "--config",
            config_s,
        ]);
        assert!(o.status.success(), "export {id}: {}", text(&o));
        let o = aiswatch(&["evidence", "verify", out.to_str().unwrap(), "--key", &key]);
        assert!(o.status.success(), "verify {id}: {}", text(&o));
        assert!(text(&o).contains("pinned key"), "{}", text(&o));

        let b = Bundle::from_zip(&std::fs::read(&out).unwrap()).unwrap();
        let m = manifest(&b);
        let vessels: BTreeSet<u32> = m.vessels.iter().copied().collect();
        let want: Vec<&str> = decoded
            .iter()
            .filter(|(_, msg)| {
                msg.is_some_and(|(mmsi, t)| {
                    vessels.contains(&mmsi) && t >= m.window.from_ms && t <= m.window.to_ms
                })
            })
            .map(|(l, _)| l.as_str())
            .collect();
        let got = bundle_lines(&b);
        assert!(!want.is_empty(), "{id}");
        assert_eq!(
            got, want,
            "{id}: the raw lines are every fed line of its vessels in the window"
        );
        eprintln!(
            "{kind}: {id}: {} raw lines, {} bytes",
            got.len(),
            std::fs::metadata(&out).unwrap().len()
        );

        if let Some((code, out_text)) = python_verify(&out, &key) {
            assert_eq!(code, 0, "python verifier on {id}: {out_text}");
        }
        files_out.push((id.clone(), out));
    }

    // The HTTP route, scoped like the rest of the API.
    let (id, file) = &files_out[0];
    let path = format!("/api/v1/alerts/{}/evidence", encode(id));
    let (status, body) = get_bytes(d.http, &path, ADMIN).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let pinned = aiswatch::evidence::key::parse_public(&key).unwrap();
    let o = aiswatch::evidence::verify_zip(&body, Some(&pinned));
    assert!(o.is_ok(), "{:?}", o.findings);
    let http_bundle = Bundle::from_zip(&body).unwrap();
    let cli_bundle = Bundle::from_zip(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(bundle_lines(&http_bundle), bundle_lines(&cli_bundle));
    assert_eq!(get_bytes(d.http, &path, "sim-tok").await.0, 200);
    assert_eq!(
        get_bytes(d.http, &path, "else-tok").await.0,
        404,
        "another centre's alert"
    );
    assert_eq!(
        get_bytes(d.http, "/api/v1/alerts/nope/evidence", ADMIN)
            .await
            .0,
        404
    );

    // A raw line changed: both verifiers refuse, naming the file.
    let mut bad = cli_bundle.clone();
    let mut raw = bad.get(files::RAW_LINES).unwrap().to_vec();
    let at = raw.iter().position(|&c| c == b',').unwrap();
    raw[at + 1] ^= 0x01;
    bad.put(files::RAW_LINES, raw);
    let bad_file = dir.path().join("bad.zip");
    std::fs::write(&bad_file, bad.to_zip().unwrap()).unwrap();
    let o = aiswatch(&["evidence", "verify", bad_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("raw/lines.nmea"), "{}", text(&o));
    if let Some((code, out_text)) = python_verify(&bad_file, &key) {
        assert_eq!(code, 1, "{out_text}");
        assert!(out_text.contains("raw/lines.nmea"), "{out_text}");
    }

    // The zone: the one version every change was made under; a swapped
    // zone file is named by both verifiers.
    let m = manifest(&cli_bundle);
    assert_eq!(m.zone.versions.len(), 1, "{:?}", m.zone);
    assert_eq!(m.zone.versions[0].by.as_deref(), Some("start"));
    let changes = cli_bundle.get(files::ALERT_CHANGES).unwrap();
    let n = changes
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(m.zone.versions[0].changes, n as u64);
    let mut swapped = cli_bundle.clone();
    let zone = String::from_utf8(swapped.get(files::ZONE).unwrap().to_vec()).unwrap();
    let other = zone.replacen("\"id\":", "\"name\":\"moved\",\"id\":", 1);
    assert_ne!(zone, other);
    swapped.put(files::ZONE, other.into_bytes());
    let swapped_file = dir.path().join("swapped.zip");
    std::fs::write(&swapped_file, swapped.to_zip().unwrap()).unwrap();
    let o = aiswatch(&["evidence", "verify", swapped_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is not zone version"), "{}", text(&o));
    if let Some((code, out_text)) = python_verify(&swapped_file, &key) {
        assert_eq!(code, 1, "{out_text}");
        assert!(out_text.contains("is not zone version"), "{out_text}");
    }

    crafted_zips_are_refused(&cli_bundle, dir.path(), &key);
    let dark = by_kind.get("dark_period").expect("a dark_period alert");
    withheld_sources_round_trip(dir.path(), config_s, &key, dark);

    // The archive: whole, then one byte changed in a segment.
    stop(&mut d, false);
    let o = aiswatch(&["archive", "verify", "--config", config_s]);
    assert!(o.status.success(), "{}", text(&o));
    let seg = std::fs::read_dir(&raw_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "log"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let mid = bytes.len() / 2;
    let line_no = bytes[..mid].iter().filter(|&&c| c == b'\n').count() + 1;
    bytes[mid] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();
    let o = aiswatch(&["archive", "verify", "--config", config_s]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let name = seg.file_name().unwrap().to_str().unwrap();
    let t = text(&o);
    assert!(t.contains(name), "{t}");
    assert!(
        t.contains(&format!("line {line_no}:")) || t.contains(&format!("line {}:", line_no - 1)),
        "line {line_no}: {t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_evidence_of_every_alert_kind_round_trips() {
    round_trip(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_evidence_of_every_alert_kind_round_trips() {
    let Some(base) = pg_base_url("postgres_evidence_of_every_alert_kind_round_trips") else {
        return;
    };
    round_trip(Some(pg_schema(&base, "evidence").await)).await;
}
