//! Legal holds, as evidence sees them: placing one records what a bundle
//! of the alert would hold (its vessels, its window, the first raw record
//! of its lines, the zone file as it is now), so that retention keeps it
//! and a later export can still be made; the zone part of an export comes
//! from the hold's copy when the zone left or its file changed.

use std::collections::BTreeSet;
use std::path::Path;

use super::build::{alert_facts, window_of};
use super::{collect, EvidenceError, ExportContext};
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
    let raw_dir = ctx.raw_dir.clone();
    let want = vessels.clone();
    let raw =
        tokio::task::spawn_blocking(move || collect(&raw_dir, &want, window.from_ms, window.to_ms))
            .await
            .map_err(EvidenceError::ScanTask)??;
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

fn file_name(path: &Path) -> String {
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
