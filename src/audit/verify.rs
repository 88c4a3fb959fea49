//! `aiswatch audit verify`: walks the stored chain from its first record
//! (after what retention removed) to its head and names the first record
//! changed, inserted or removed; then holds every checkpoint (ours, and
//! those in a file a partner kept) against the records they signed.

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;

use super::chain::{self, Checkpoint, Record};
use crate::evidence::key::hex;
use crate::storage::audit::StoredRecord;
use crate::storage::{StorageError, Store};

/// Records read per query.
const PAGE: usize = 5_000;

/// What a walk found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainReport {
    /// The first record walked (after those retention removed).
    pub first: Option<u64>,
    /// The last.
    pub last: Option<u64>,
    /// Records walked.
    pub records: u64,
    /// Records before this one were removed by retention.
    pub pruned_through: u64,
    /// Checkpoints held against the chain (signed by the key, within it).
    pub checkpoints: usize,
    /// Checkpoints older than the records kept (not checkable any more).
    pub checkpoints_before: usize,
    /// The first problem, naming the record; `None`: the chain holds.
    pub problem: Option<String>,
}

/// Walks the chain in `store` and holds `checkpoints` (signed by `key`)
/// against it. Stops at the first problem.
///
/// # Errors
/// The store failed.
pub async fn verify(
    store: &Store,
    key: &VerifyingKey,
    checkpoints: &[Checkpoint],
) -> Result<ChainReport, StorageError> {
    let mut report = ChainReport {
        pruned_through: store.audit_pruned_through().await?,
        ..ChainReport::default()
    };
    let mut by_seq: BTreeMap<u64, &Checkpoint> = BTreeMap::new();
    for cp in checkpoints {
        if !cp.signed_by(key) {
            report.problem = Some(format!(
                "checkpoint of record {} signed at {}: not signed by this installation's key",
                cp.seq, cp.at
            ));
            return Ok(report);
        }
        by_seq.insert(cp.seq, cp);
    }
    let mut expected = report.pruned_through + 1;
    let mut prev: Option<[u8; 32]> = (report.pruned_through == 0).then_some(chain::GENESIS);
    loop {
        let page = store.audit_walk(expected, PAGE).await?;
        let done = page.len() < PAGE;
        for r in &page {
            if let Some(p) = check(r, expected, prev.as_ref()) {
                report.problem = Some(p);
                return Ok(report);
            }
            let hash = chain::link(
                &prev.unwrap_or_else(|| chain::hash_from_hex(&r.prev).unwrap_or(chain::GENESIS)),
                &r.record,
            );
            if let Some(cp) = by_seq.get(&r.seq) {
                if cp.hash != hex(&hash) {
                    report.problem = Some(format!(
                        "record {}: differs from the checkpoint signed at {} (the chain was rewritten from there or before)",
                        r.seq, cp.at
                    ));
                    return Ok(report);
                }
                report.checkpoints += 1;
            }
            report.first.get_or_insert(r.seq);
            report.last = Some(r.seq);
            report.records += 1;
            prev = Some(hash);
            expected = r.seq + 1;
        }
        if done {
            break;
        }
    }
    let first = report.first.unwrap_or(expected);
    report.checkpoints_before = by_seq.range(..first).count();
    if let Some((seq, cp)) = by_seq.range(expected..).next() {
        report.problem = Some(format!(
            "record {seq}: missing, yet a checkpoint signed at {} covers it (records were removed from the end)",
            cp.at
        ));
    }
    Ok(report)
}

/// The problem with record `r` expected at `seq` after `prev`, if any.
fn check(r: &StoredRecord, seq: u64, prev: Option<&[u8; 32]>) -> Option<String> {
    if r.seq > seq {
        return Some(if r.seq == seq + 1 {
            format!(
                "record {seq}: removed (the chain goes from {} to {})",
                seq - 1,
                r.seq
            )
        } else {
            format!(
                "records {seq} to {}: removed (the chain goes from {} to {})",
                r.seq - 1,
                seq - 1,
                r.seq
            )
        });
    }
    let Some(stored_prev) = chain::hash_from_hex(&r.prev) else {
        return Some(format!(
            "record {}: its prev {:?} is not a hash",
            r.seq, r.prev
        ));
    };
    if let Some(p) = prev {
        if &stored_prev != p {
            return Some(format!(
                "record {}: does not link to record {} (one was inserted before it, or record {} was changed and its hash recomputed)",
                r.seq,
                r.seq - 1,
                r.seq - 1
            ));
        }
    }
    let rec: Record = match serde_json::from_str(&r.record) {
        Ok(rec) => rec,
        Err(e) => return Some(format!("record {}: not a record: {e}", r.seq)),
    };
    if rec.seq != r.seq {
        return Some(format!(
            "record {}: inserted (its content says record {})",
            r.seq, rec.seq
        ));
    }
    if chain::link(&stored_prev, &r.record) != chain::hash_from_hex(&r.hash).unwrap_or_default() {
        return Some(format!(
            "record {}: changed (its hash does not match its content)",
            r.seq
        ));
    }
    if rec.actor != r.actor
        || rec.action != r.action
        || rec.at != aiswatch_core::time::rfc3339(r.at)
    {
        return Some(format!(
            "record {}: changed (its actor, action or time columns differ from what was hashed)",
            r.seq
        ));
    }
    None
}
