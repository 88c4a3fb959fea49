//! Legal holds, as evidence sees them: placing one records what a bundle
//! of the alert would hold (its vessels, its window, the first raw record
//! of its lines, the zone file as it is now), so that retention keeps it
//! and a later export can still be made; the zone part of an export comes
//! from the hold's copy when the zone left or its file changed.

use std::collections::BTreeSet;
use std::path::Path;

use super::build::{alert_facts, collect_window, window_of};
use super::{EvidenceError, ExportContext};
use crate::storage::{Hold, Scope, ZoneCopy};
use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::now_ms;
use aiswatch_zones::{Zone, ZoneSet};

/// Places a hold on alert `id` for `reason`, by `by`. `Ok(None)` when it
/// is already held.
///
/// # Errors
/// [`EvidenceError::NotFound`] when there is no such alert; the store, the
/// raw archive or the zone file failed.
pub async fn place_hold(
    ctx: &ExportContext,
    id: &AlertId,
    reason: &str,
    by: &str,
) -> Result<Option<Hold>, EvidenceError> {
    let hist = ctx
        .store
        .alert(id, &Scope::Admin)
        .await?
        .ok_or_else(|| EvidenceError::NotFound(id.as_str().to_owned()))?;
    let facts = alert_facts(id, &hist.latest.json)?;
    let window = window_of(&facts, ctx.margin_ms)?;
    let vessels: BTreeSet<u32> = facts.mmsi.iter().copied().collect();
    // The alert's lines so far: later ones get later seqs.
    let raw = collect_window(ctx, &vessels, &window).await?;
    let zone_copy = match ctx.zones.get(&facts.zone) {
        Some(z) => {
            let bytes =
                std::fs::read(&z.source_file).map_err(|e| EvidenceError::io(&z.source_file, e))?;
            let file = String::from_utf8(bytes).map_err(|_| {
                EvidenceError::Export(format!("{}: not UTF-8", z.source_file.display()))
            })?;
            Some(ZoneCopy {
                file_name: file_name(&z.source_file),
                file,
                feature_index: z.feature_index,
            })
        }
        None => None,
    };
    let hold = Hold {
        alert_id: id.clone(),
        reason: reason.to_owned(),
        by: by.to_owned(),
        placed_at: now_ms(),
        from_ms: window.from_ms,
        // An open alert's window still grows: everything from its start on.
        to_ms: facts.ended_at.is_some().then_some(window.to_ms),
        mmsi: vessels.into_iter().map(Mmsi).collect(),
        zone: facts.zone,
        zone_copy,
        raw_from_seq: raw.lines.iter().map(|l| l.rec.seq).min(),
    };
    Ok(ctx.store.place_hold(&hold).await?.then_some(hold))
}

/// A path's file name (no directory), for manifests and holds.
pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The zone `id` of an export and its file's bytes: the zone in force and
/// its file as it is now, unless `held` kept a copy and the zone is no
/// longer in force or its file changed (then the copy, loaded as it was).
pub(super) fn zone_of(
    ctx: &ExportContext,
    id: &str,
    held: Option<&Hold>,
) -> Result<(Zone, Vec<u8>), EvidenceError> {
    let copy = held.and_then(|h| h.zone_copy.as_ref());
    let current = match ctx.zones.get(id) {
        Some(z) => match std::fs::read(&z.source_file) {
            Ok(bytes) => Some((z, bytes)),
            Err(_) if copy.is_some() => None,
            Err(e) => return Err(EvidenceError::io(&z.source_file, e)),
        },
        None => None,
    };
    match (current, copy) {
        (Some((z, bytes)), None) => Ok((z.clone(), bytes)),
        (Some((z, bytes)), Some(c)) if c.file.as_bytes() == bytes.as_slice() => {
            Ok((z.clone(), bytes))
        }
        (_, Some(c)) => {
            let path = Path::new(&c.file_name);
            let set =
                ZoneSet::from_geojson(path, c.file.as_bytes(), aiswatch_engine::detect::SPECS)
                    .map_err(|errs| {
                        let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
                        EvidenceError::Export(format!(
                            "the copy of zone file {} kept by the hold does not load: {}",
                            c.file_name,
                            list.join("; ")
                        ))
                    })?;
            let mut zone = set.get(id).cloned().ok_or_else(|| {
                EvidenceError::Export(format!(
                    "the copy of zone file {} kept by the hold has no zone {id:?}",
                    c.file_name
                ))
            })?;
            zone.feature_index = c.feature_index;
            Ok((zone, c.file.clone().into_bytes()))
        }
        (None, None) => Err(EvidenceError::Export(format!(
            "zone {id:?} of the alert is not among the zones in force"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::evidence::tests::installation;
    use crate::evidence::{export, files, sha256_hex, verify, Manifest};

    fn manifest(b: &crate::evidence::Bundle) -> Manifest {
        serde_json::from_slice(b.get(files::MANIFEST).unwrap()).unwrap()
    }

    /// A hold keeps the alert's first raw line and its zone file: the
    /// bundle takes the zone from that copy once the file changed or the
    /// zone left, and exports past retention; released, it does neither.
    #[tokio::test]
    async fn a_hold_keeps_the_zone_and_the_window_past_retention() {
        let inst = installation().await;
        let (ctx, id) = (&inst.ctx, &inst.alert_id);
        let first = export(ctx, id, &Scope::Admin).await.unwrap();
        let before = manifest(&first);
        let h = place_hold(ctx, id, "case 7", "officer")
            .await
            .unwrap()
            .unwrap();
        assert!(place_hold(ctx, id, "again", "officer")
            .await
            .unwrap()
            .is_none());
        assert_eq!(h.raw_from_seq, before.raw_lines.first().map(|l| l.seq));
        assert_eq!(
            (h.from_ms, h.to_ms),
            (before.window.from_ms, Some(before.window.to_ms))
        );
        let copy = h.zone_copy.clone().unwrap();
        assert_eq!(sha256_hex(copy.file.as_bytes()), before.zone.file_sha256);

        // The zone file changed on disk, then the zone left.
        let zone = ctx.zones.get(&h.zone).unwrap();
        std::fs::write(
            &zone.source_file,
            "{\"type\": \"FeatureCollection\", \"features\": []}",
        )
        .unwrap();
        let mut gone = ctx.clone();
        gone.zones = Arc::new(ZoneSet::empty());
        for c in [ctx, &gone] {
            let b = export(c, id, &Scope::Admin).await.unwrap();
            assert!(verify(&b, None).is_ok());
            assert_eq!(manifest(&b).zone, before.zone);
        }

        // Retention past the window's start: kept while held.
        ctx.store.prune_positions(h.from_ms + 1).await.unwrap();
        let b = export(ctx, id, &Scope::Admin).await.unwrap();
        assert_eq!(b.get(files::POSITIONS_CSV), first.get(files::POSITIONS_CSV));
        ctx.store.release_hold(id).await.unwrap();
        let e = export(ctx, id, &Scope::Admin).await.unwrap_err();
        assert!(matches!(e, EvidenceError::Pruned { .. }), "{e}");
        assert!(e.to_string().contains("pruned by retention"), "{e}");
        let e = export(&gone, id, &Scope::Admin).await.unwrap_err();
        assert!(matches!(e, EvidenceError::Pruned { .. }), "{e}");
    }
}
