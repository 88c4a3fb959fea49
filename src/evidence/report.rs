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

/// The report of `g` whose raw lines are `raw`; `fingerprint` is the
/// key's; `withheld` says what was withheld, if anything.
pub(super) fn render(
    g: &Gathered,
    raw: &[RawLineEntry],
    fingerprint: &str,
    withheld: Option<&Withheld>,
) -> String {
    let f = &g.facts;
    let summary = withheld
        .and_then(|w| w.summary.as_deref())
        .unwrap_or(&f.summary);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Evidence: {} alert {}\n",
        f.kind.as_str(),
        md_code(&f.id)
    );
    let _ = writeln!(s, "## What happened\n\n{}\n", md_text(summary));
    let _ = writeln!(
        s,
        "- Detector: `{}`; latest state: {}",
        f.kind.as_str(),
        md_code(&f.state)
    );
    let zone_name = f.zone_name.as_deref().map_or("(no name)".into(), md_text);
    let _ = writeln!(s, "- Zone: {} — {zone_name}", md_code(&f.zone));
    if g.zone_versions.is_empty() {
        let _ = writeln!(
            s,
            "- Zone version: not recorded with the alert; `zone.geojson` is the zone as in force at export"
        );
    }
    for v in &g.zone_versions {
        let _ = writeln!(
            s,
            "- Zone version the detectors applied: {} — in force from {} until {}, brought by {}; {} of the alert's changes made under it",
            md_code(&v.version),
            v.in_force_from.as_deref().unwrap_or("(not in the zone history)"),
            v.in_force_until.as_deref().unwrap_or("export (still in force)"),
            md_text(v.by.as_deref().unwrap_or("(unknown)")),
            v.changes
        );
    }
    let _ = writeln!(s, "- Began: {}", f.started_at);
    let _ = writeln!(
        s,
        "- Ended: {}",
        f.ended_at.as_deref().unwrap_or("still open at export")
    );
    let _ = writeln!(
        s,
        "- Where: {:.5}° N, {:.5}° E (negative: S, W)",
        f.lat, f.lon
    );
    let _ = writeln!(s, "- State changes recorded: {}\n", g.changes.len());

    let _ = writeln!(s, "## Vessels\n");
    let _ = writeln!(
        s,
        "| MMSI | name | call sign | IMO | positions in window | raw lines |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
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
    let _ = writeln!(
        s,
        "\nWindow exported (event time): {} to {} (the event ± {} min).\n",
        rfc3339(g.window.from_ms),
        rfc3339(g.window.to_ms),
        g.window.margin_ms / 60_000
    );

    let _ = writeln!(s, "## Receivers\n");
    if withheld.is_some() {
        let _ = writeln!(
            s,
            "Withheld: receivers (the sharing agreement's `redact = [\"sources\"]`). Every \
             receiving station, source id and peer address in this bundle (each tag block's `s:` \
             value in `{}`, the `station` and `source` columns, the manifest's `source`, `peer`, \
             `station`) and each raw line's chain links (`prev`, `hash`) are each replaced by a \
             commitment `withheld:<hex>` = SHA-256(salt ‖ value), a different salt for every \
             place, which only the exporting installation can derive; the alert's fields that \
             name or place receivers are removed, and receiver names in its text read \
             `[withheld]`. The AIS payloads are untouched.\n",
            files::RAW_LINES
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
        let _ = writeln!(
            s,
            "No raw line of these vessels in the window is in the archive.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "| source | peer | station | lines | first received | last received |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for ((src, peer, st), (n, a, b)) in &by {
            let _ = writeln!(
                s,
                "| {src} | {peer} | {st} | {n} | {} | {} |",
                rfc3339(*a),
                rfc3339(*b)
            );
        }
        let _ = writeln!(s);
    }
    if let (Some(a), Some(b)) = (raw.first(), raw.last()) {
        let _ = writeln!(
            s,
            "The {} raw lines are records seq {} to {} of the installation's continuous raw archive.\n",
            raw.len(),
            a.seq,
            b.seq
        );
    }

    let _ = writeln!(s, "## Files\n");
    for (name, what) in [
        (
            files::RAW_LINES,
            "the lines exactly as received, one per line",
        ),
        (files::POSITIONS_CSV, "the positions stored from them"),
        (
            files::TRACKS_GEOJSON,
            "the same as tracks, with the vessels' static data",
        ),
        (
            files::STATICS_CSV,
            "static-data changes (the first row per vessel: in force at the window's start)",
        ),
        (files::ALERT, "the alert's latest state as stored"),
        (files::ALERT_CHANGES, "every state change, in order"),
        (
            files::ZONE,
            "the zone as the detectors applied it: one Feature per version in force during the event",
        ),
        (files::THRESHOLDS, "the detectors' thresholds in the zone"),
        (files::MAP, "the picture"),
        (
            files::MANIFEST,
            "SHA-256 of every file, and each raw line's place in the archive's hash chain",
        ),
        (files::SIGNATURE, "Ed25519 signature over manifest.json"),
        (files::PUBLIC_KEY, "the key that signed it"),
    ] {
        let _ = writeln!(s, "- `{name}`: {what}");
    }

    let _ = writeln!(s, "\n## How to verify\n");
    let _ = writeln!(
        s,
        "1. Get the exporting installation's public key from its operator (`aiswatch key show`) \
         by a channel you trust; its fingerprint should be `{fingerprint}`."
    );
    let _ = writeln!(
        s,
        "2. Run `aiswatch evidence verify BUNDLE.zip --key PUBKEY`, or, without aiswatch, \
         `python3 scripts/verify_evidence.py BUNDLE.zip --key PUBKEY` (needs only Python's \
         `hashlib` and `zipfile` and the `cryptography` package)."
    );
    if withheld.is_some() {
        let _ = writeln!(
            s,
            "3. The raw lines' chain links are withheld, so the lines cannot be tied to the \
             archive from this bundle. The exporting installation can open every commitment \
             (`aiswatch evidence reveal FULL.zip`, for the full bundle of the same alert and \
             window): for each, SHA-256(salt ‖ value) gives the commitment, and the full bundle \
             with its values so replaced gives this bundle's files byte for byte \
             (`aiswatch evidence verify THIS.zip --full FULL.zip --openings OPENINGS.json`); \
             the full bundle's lines tie to the archive."
        );
    } else {
        let _ = writeln!(
            s,
            "3. To tie the lines to the archive itself, the operator runs `aiswatch archive verify` \
             and compares the hash the archive holds at each seq with the manifest's."
        );
    }
    let _ = writeln!(s, "\n## What this proves, and what not\n");
    let _ = writeln!(
        s,
        "- Every file is as the key holder exported it: any changed, added or removed byte, \
         line or file breaks a SHA-256 or the signature."
    );
    if withheld.is_some() {
        let _ = writeln!(
            s,
            "- The raw lines' AIS sentences are as received; only the receivers' names in \
             them are replaced. Their place in the archive's hash chain cannot be checked \
             from this bundle (the links are withheld); the commitments bind this bundle to \
             the full one, which can be."
        );
    } else {
        let _ = writeln!(
            s,
            "- Each raw line, with its receive time, source and peer, is chained into the archive \
             at its seq: its hash covers the previous record's hash. Lines of other vessels \
             between them are not in the bundle; the archive holds them."
        );
    }
    let _ = writeln!(
        s,
        "- The stored positions are what the raw lines decode to (`aiswatch evidence verify` \
         decodes them again)."
    );
    let _ = writeln!(
        s,
        "- It does not prove that what a vessel transmitted was true (AIS is self-reported), \
         nor that no transmission was missed before it reached the archive: an absence of \
         lines is absence of reception."
    );
    s
}
