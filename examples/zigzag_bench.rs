//! Zone loading/validation and in-zone ingest on zig-zag zones:
//! a comb of `teeth` long horizontal teeth (and the same turned upright),
//! 4 vertices a tooth. Prints `zones check` (load + validate) time and
//! engine ingest msg/s for position reports inside the zone's box.
//!
//! `cargo run --release --example zigzag_bench -- [teeth] [reports]`
//! (defaults 50000 teeth ≈ 200 k vertices, 200 000 reports);
//! `ZIGZAG_ONLY=horizontal|vertical` runs one shape.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use aiswatch_core::rng::Rng;
use aiswatch_decode::Decoder;
use aiswatch_sim::encode::{tagged_lines, type1, PositionA};

/// A comb: spine along x = 0..0.01, `teeth` teeth to x = 10, over y 0..10;
/// `upright` swaps x and y (long vertical edges). Offset to (lon0, lat0).
fn comb(teeth: usize, upright: bool, lon0: f64, lat0: f64) -> Vec<[f64; 2]> {
    let (s, w, h) = (0.01, 10.0, 10.0);
    let p = h / teeth as f64;
    let mut pts = vec![[s, 0.0]];
    for k in 0..teeth {
        let y0 = k as f64 * p;
        let y1 = y0 + p / 2.0;
        pts.extend([[w, y0], [w, y1], [s, y1], [s, y0 + p]]);
    }
    pts.extend([[0.0, h], [0.0, 0.0], [s, 0.0]]);
    pts.into_iter()
        .map(|[x, y]| {
            let (x, y) = if upright { (y, x) } else { (x, y) };
            [lon0 + x, lat0 + y]
        })
        .collect()
}

fn write_zone(dir: &Path, ring: &[[f64; 2]]) {
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"id": "comb", "detect": {
                "dark_period": {}, "loitering": {}, "rendezvous": {}, "spoofing": {}}},
            "geometry": {"type": "Polygon", "coordinates": [ring]}
        }]
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("comb.geojson"), fc.to_string()).unwrap();
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let teeth = args.first().copied().unwrap_or(50_000);
    let reports = args.get(1).copied().unwrap_or(200_000);
    let tmp = tempfile::tempdir().unwrap();
    let only = std::env::var("ZIGZAG_ONLY").ok();
    for (name, upright) in [("horizontal", false), ("vertical", true)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let (lon0, lat0) = (0.0, 0.0);
        let ring = comb(teeth, upright, lon0, lat0);
        let dir = tmp.path().join(name);
        write_zone(&dir, &ring);

        let t = Instant::now();
        let set = aiswatch_zones::ZoneSet::load_dir(&dir, aiswatch_engine::detect::SPECS)
            .expect("valid zone");
        let check_s = t.elapsed().as_secs_f64();
        assert_eq!(set.len(), 1);

        // Position reports at seeded points of the comb's box (about half
        // fall in a tooth), 1,000 vessels, one report a second each.
        let mut rng = Rng::new(7);
        let mut lines = Vec::with_capacity(reports);
        let t0 = 1_700_000_000i64;
        for i in 0..reports {
            let p = PositionA {
                mmsi: 244_000_000 + (i % 1000) as u32,
                status: 0,
                sog_kn: 1.0,
                lon: lon0 + 10.0 * rng.unit(),
                lat: lat0 + 10.0 * rng.unit(),
                cog: 90.0,
                heading: 511,
                second: (i % 60) as u8,
                radio: 0,
            };
            lines.extend(tagged_lines(
                &type1(&p),
                0,
                'A',
                "bench",
                t0 + (i / 1000) as i64,
            ));
        }
        let mut dec = Decoder::new();
        let mut msgs = Vec::with_capacity(reports);
        for l in &lines {
            dec.feed(l.as_bytes(), t0 * 1000, &mut msgs);
        }
        let inside = msgs
            .iter()
            .filter_map(|m| m.message.position())
            .filter(|&(lon, lat)| set.zones_at(lon, lat).next().is_some())
            .count();
        let mut engine = aiswatch::config::Config::default()
            .engine(Some(&dir))
            .unwrap();
        let src: Arc<str> = "bench".into();
        let t = Instant::now();
        for chunk in msgs.chunks(512) {
            engine.ingest(&src, chunk, (t0 + 86_400) * 1000);
            engine.take_alerts();
        }
        let ingest_s = t.elapsed().as_secs_f64();
        println!(
            "{name:>10} comb, {} vertices: zones check {:.3} s; ingest {:.0} msg/s ({} of {} reports in the zone)",
            ring.len(),
            check_s,
            msgs.len() as f64 / ingest_s,
            inside,
            msgs.len()
        );
    }
}
