//! `report.md`: what happened, from which receivers, and how to check the
//! bundle, for a reader who is not an AIS engineer. Every text that comes
//! from AIS, a receiver or a file (summary, names, call signs, stations,
//! zone) is escaped so that it shows as written, never as Markdown or HTML.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::build::Gathered;
use super::escape::{md_code, md_text};
use super::manifest::{files, RawLineEntry};
use super::withhold::Withheld;
use aiswatch_core::time::rfc3339;
use aiswatch_i18n::{Catalogs, Message};

/// The report of `g` whose raw lines are `raw`; `fingerprint` is the
/// key's; `withheld` says what was withheld, if anything; in `lang` (a
/// catalog tag: every sentence is a `report-*` message of `locales/`).
pub(super) fn render(
    g: &Gathered,
    raw: &[RawLineEntry],
    fingerprint: &str,
    withheld: Option<&Withheld>,
    lang: &str,
) -> String {
    let catalogs = Catalogs::shipped();
    let t = |m: Message| catalogs.render(lang, &m).unwrap_or_default();
    let word = |id: &str| t(Message::new(id));
    let f = &g.facts;
    // The summary as stored (receivers withheld where they are), said in
    // `lang` from its message when it has one.
    let (english, message) = match withheld {
        Some(w) => (w.summary.as_deref(), w.message.as_ref()),
        None => (None, f.message.as_ref()),
    };
    let english = english.unwrap_or(&f.summary);
    let summary = message
        .and_then(|m| catalogs.render(lang, m))
        .unwrap_or_else(|| english.to_owned());
    let mut s = String::new();
    // `prefix` (Markdown: "# ", "- ", …), the message, a newline, and a
    // blank line after a heading or paragraph.
    let line = |prefix: &str, m: Message, blank: bool| {
        format!("{prefix}{}{}", t(m), if blank { "\n\n" } else { "\n" })
    };
    s += &line(
        "# ",
        Message::new("report-title")
            .text("kind", f.kind.as_str())
            .arg("kind_name", aiswatch_engine::alert::kind_word(f.kind))
            .text("id", md_code(&f.id)),
        true,
    );
    s += &line("## ", Message::new("report-what-happened"), true);
    s += &line(
        "",
        Message::new("report-summary").text("summary", md_text(&summary)),
        true,
    );
    s += &line(
        "- ",
        Message::new("report-detector")
            .text("kind", f.kind.as_str())
            .text("state", md_code(&f.state)),
        false,
    );
    let zone_name = f
        .zone_name
        .as_deref()
        .map_or_else(|| word("report-no-name"), md_text);
    s += &line(
        "- ",
        Message::new("report-zone")
            .text("zone", md_code(&f.zone))
            .text("name", zone_name),
        false,
    );
    if g.zone_versions.is_empty() {
        s += &line("- ", Message::new("report-zone-version-unrecorded"), false);
    }
    for v in &g.zone_versions {
        s += &line(
            "- ",
            Message::new("report-zone-version")
                .text("version", md_code(&v.version))
                .text(
                    "from",
                    v.in_force_from
                        .clone()
                        .unwrap_or_else(|| word("report-not-in-zone-history")),
                )
                .text(
                    "until",
                    v.in_force_until
                        .clone()
                        .unwrap_or_else(|| word("report-still-in-force")),
                )
                .text(
                    "by",
                    md_text(&v.by.clone().unwrap_or_else(|| word("report-unknown"))),
                )
                .int("changes", v.changes as i64),
            false,
        );
    }
    s += &line(
        "- ",
        Message::new("report-began").text("at", f.started_at.as_str()),
        false,
    );
    s += &line(
        "- ",
        Message::new("report-ended").text(
            "at",
            f.ended_at
                .clone()
                .unwrap_or_else(|| word("report-still-open")),
        ),
        false,
    );
    s += &line(
        "- ",
        Message::new("report-where")
            .decimal("lat", f.lat, 5)
            .decimal("lon", f.lon, 5),
        false,
    );
    s += &line(
        "- ",
        Message::new("report-changes").int("count", g.changes.len() as i64),
        true,
    );

    s += &line("## ", Message::new("report-vessels"), true);
    s += &line("", Message::new("report-vessels-header"), false);
    s += &line("", Message::new("report-table-rule"), false);
    let vessels: BTreeSet<u32> = f.mmsi.iter().copied().collect();
    for m in &vessels {
        let info = g
            .statics
            .iter()
            .rev()
            .find(|x| x.mmsi.0 == *m)
            .map(|x| &x.info);
        let lines = g.raw.lines.iter().filter(|c| c.mmsi == *m).count();
        let _ = writeln!(
            s,
            "| {m} | {} | {} | {} | {} | {lines} |",
            info.and_then(|i| i.name.as_deref())
                .map_or("—".into(), md_text),
            info.and_then(|i| i.callsign.as_deref())
                .map_or("—".into(), md_text),
            info.and_then(|i| i.imo)
                .map_or("—".to_owned(), |i| i.to_string()),
            g.positions.iter().filter(|p| p.mmsi.0 == *m).count(),
        );
    }
    s += &line(
        "\n",
        Message::new("report-window")
            .text("from", rfc3339(g.window.from_ms))
            .text("to", rfc3339(g.window.to_ms))
            .int("margin", g.window.margin_ms / 60_000),
        true,
    );

    s += &line("## ", Message::new("report-receivers"), true);
    if withheld.is_some() {
        s += &line(
            "",
            Message::new("report-withheld").text("raw_lines", files::RAW_LINES),
            true,
        );
    }
    let mut by: BTreeMap<(String, String, String), (usize, i64, i64)> = BTreeMap::new();
    for e in raw {
        let k = (
            md_text(&e.source),
            e.peer.as_deref().map_or("—".into(), md_text),
            e.station.as_deref().map_or("—".into(), md_text),
        );
        let v = by
            .entry(k)
            .or_insert((0, e.received_at_ms, e.received_at_ms));
        v.0 += 1;
        v.1 = v.1.min(e.received_at_ms);
        v.2 = v.2.max(e.received_at_ms);
    }
    if withheld.is_some() {
        // No table: who heard what is what is withheld.
    } else if by.is_empty() {
        s += &line("", Message::new("report-no-raw-lines"), true);
    } else {
        s += &line("", Message::new("report-receivers-header"), false);
        s += &line("", Message::new("report-table-rule"), false);
        for ((src, peer, st), (n, a, b)) in &by {
            let _ = writeln!(
                s,
                "| {src} | {peer} | {st} | {n} | {} | {} |",
                rfc3339(*a),
                rfc3339(*b)
            );
        }
        s.push('\n');
    }
    if let (Some(a), Some(b)) = (raw.first(), raw.last()) {
        s += &line(
            "",
            Message::new("report-archive-records")
                .int("count", raw.len() as i64)
                .int("first", a.seq as i64)
                .int("last", b.seq as i64),
            true,
        );
    }

    s += &line("## ", Message::new("report-files"), true);
    for (name, what) in [
        (files::RAW_LINES, "report-file-raw-lines"),
        (files::POSITIONS_CSV, "report-file-positions"),
        (files::TRACKS_GEOJSON, "report-file-tracks"),
        (files::STATICS_CSV, "report-file-statics"),
        (files::ALERT, "report-file-alert"),
        (files::ALERT_CHANGES, "report-file-alert-changes"),
        (files::ZONE, "report-file-zone"),
        (files::THRESHOLDS, "report-file-thresholds"),
        (files::MAP, "report-file-map"),
        (files::MANIFEST, "report-file-manifest"),
        (files::SIGNATURE, "report-file-signature"),
        (files::PUBLIC_KEY, "report-file-public-key"),
    ] {
        s += &line(
            "- ",
            Message::new("report-file")
                .text("name", name)
                .text("what", word(what)),
            false,
        );
    }

    s += &line("\n## ", Message::new("report-how-to-verify"), true);
    s += &line(
        "1. ",
        Message::new("report-verify-key").text("fingerprint", fingerprint),
        false,
    );
    s += &line("2. ", Message::new("report-verify-run"), false);
    s += &line(
        "3. ",
        Message::new(if withheld.is_some() {
            "report-verify-withheld"
        } else {
            "report-verify-archive"
        }),
        false,
    );
    s += &line("\n## ", Message::new("report-proves"), true);
    s += &line("- ", Message::new("report-proves-files"), false);
    s += &line(
        "- ",
        Message::new(if withheld.is_some() {
            "report-proves-lines-withheld"
        } else {
            "report-proves-lines"
        }),
        false,
    );
    s += &line("- ", Message::new("report-proves-positions"), false);
    s += &line("- ", Message::new("report-proves-not"), false);
    s
}
