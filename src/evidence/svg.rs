//! `map.svg`: the zone, each vessel's track and the event on one picture,
//! for readers of maps. Equirectangular, scaled by cos(latitude) so that
//! shapes are right near the centre; north up; a scale bar in nautical miles.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::build::Gathered;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 700.0;
const PAD: f64 = 40.0;
const COLOURS: [&str; 6] = [
    "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The picture of `g`.
pub(super) fn render(g: &Gathered) -> String {
    // The extent: tracks, the event, and the zone (clipped to a box three
    // times the tracks' around them, so a large zone does not shrink them).
    let mut pts: Vec<(f64, f64)> = g.positions.iter().map(|p| (p.lon, p.lat)).collect();
    pts.push((g.facts.lon, g.facts.lat));
    let (mut x0, mut x1, mut y0, mut y1) = extent(&pts);
    let (w, h) = ((x1 - x0).max(0.01), (y1 - y0).max(0.01));
    let zone_pts: Vec<(f64, f64)> = g
        .zone_geometry
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter().map(|c| (c.x, c.y)))
        .collect();
    if !zone_pts.is_empty() {
        let (zx0, zx1, zy0, zy1) = extent(&zone_pts);
        x0 = x0.min(zx0.max(x0 - w));
        x1 = x1.max(zx1.min(x1 + w));
        y0 = y0.min(zy0.max(y0 - h));
        y1 = y1.max(zy1.min(y1 + h));
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.05);
    let sx = (WIDTH - 2.0 * PAD) / ((x1 - x0).max(1e-6) * k);
    let sy = (HEIGHT - 2.0 * PAD - 60.0) / (y1 - y0).max(1e-6);
    let s = sx.min(sy);
    let px = |lon: f64| PAD + (lon - x0) * k * s;
    let py = |lat: f64| PAD + 40.0 + (y1 - lat) * s;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#f8fbff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{PAD}" y="24" font-size="16">{} — {}</text>"#,
        esc(g.facts.kind.as_str()),
        esc(&g.facts.id)
    );
    for poly in &g.zone_geometry.0 {
        let mut d = String::new();
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for (i, c) in ring.0.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    px(c.x),
                    py(c.y)
                );
            }
            d.push_str("Z ");
        }
        let _ = writeln!(
            out,
            r##"<path d="{d}" fill="#ffd70033" stroke="#b8860b" stroke-width="1.5" fill-rule="evenodd"><title>zone {}</title></path>"##,
            esc(&g.facts.zone)
        );
    }
    let vessels: BTreeSet<u32> = g.facts.mmsi.iter().copied().collect();
    for (i, m) in vessels.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let track: Vec<String> = g
            .positions
            .iter()
            .filter(|p| p.mmsi.0 == *m)
            .map(|p| format!("{:.1},{:.1}", px(p.lon), py(p.lat)))
            .collect();
        if !track.is_empty() {
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"><title>MMSI {m}</title></polyline>"#,
                track.join(" ")
            );
        }
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="14" height="4" fill="{colour}"/><text x="{}" y="{}">MMSI {m} ({} positions)</text>"#,
            PAD + 180.0 * i as f64,
            HEIGHT - 26.0,
            PAD + 18.0 + 180.0 * i as f64,
            HEIGHT - 20.0,
            g.positions.iter().filter(|p| p.mmsi.0 == *m).count()
        );
    }
    let (ex, ey) = (px(g.facts.lon), py(g.facts.lat));
    let _ = writeln!(
        out,
        r##"<circle cx="{ex:.1}" cy="{ey:.1}" r="7" fill="none" stroke="#000" stroke-width="2"><title>event at {:.5}, {:.5}</title></circle>"##,
        g.facts.lat, g.facts.lon
    );
    // Scale bar: a round number of nautical miles near a fifth of the width.
    let nm_per_px = 60.0 / s;
    let target = nm_per_px * (WIDTH - 2.0 * PAD) / 5.0;
    let nm = [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
    ]
    .into_iter()
    .rev()
    .find(|&v| v <= target)
    .unwrap_or(0.1);
    let len = nm / nm_per_px;
    let _ = writeln!(
        out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="2"/><text x="{}" y="{}">{nm} NM</text>"##,
        WIDTH - PAD - len,
        HEIGHT - 44.0,
        WIDTH - PAD,
        HEIGHT - 44.0,
        WIDTH - PAD - len,
        HEIGHT - 50.0
    );
    out.push_str("</svg>\n");
    out
}

fn extent(pts: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    pts.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    )
}
