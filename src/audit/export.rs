//! `aiswatch audit export --since --until --out F.zip`: the records made
//! in a window, with what ties them into the chain, signed like an
//! evidence bundle; `scripts/verify_audit.py` checks one on its own.
//!
//! The zip holds `records.jsonl` (each record's line exactly as hashed),
//! `checkpoints.jsonl` (the signed heads that fall within the extract),
//! `manifest.json` (see [`ExtractManifest`]), `manifest.sig` (Ed25519
//! over the manifest's bytes, hex and a newline) and `public_key` (hex and a newline). A reader walks
//! the lines from `first_prev`: each hash is SHA-256(previous hash ‖
//! line), the seqs run on without a gap, the last hash is `last_hash`, and
//! each checkpoint's signature and hash agree.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::evidence::key::hex;
use crate::evidence::{sha256_hex, Bundle, EvidenceError};
use crate::storage::Store;
use aiswatch_core::time::{now_ms, rfc3339, Millis};

/// The format name in the manifest.
pub const FORMAT: &str = "aiswatch-audit-extract/1";

/// Files of an extract.
pub mod files {
    /// The records.
    pub const RECORDS: &str = "records.jsonl";
    /// The checkpoints within it.
    pub const CHECKPOINTS: &str = "checkpoints.jsonl";
    /// The manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// Its signature.
    pub const SIGNATURE: &str = "manifest.sig";
    /// The signer's key.
    pub const PUBLIC_KEY: &str = "public_key";
}

/// A file of the extract, as the manifest lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExtractFile {
    /// Path in the zip.
    pub path: String,
    /// Bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// `manifest.json` of an extract.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExtractManifest {
    /// [`FORMAT`].
    pub format: String,
    /// How each record's hash is made.
    pub chain_formula: String,
    /// When exported (RFC 3339).
    pub exported_at: String,
    /// The window asked for (RFC 3339, wall clock of the records).
    pub since: String,
    /// End of the window.
    pub until: String,
    /// Records in the extract.
    pub records: u64,
    /// The first record's seq (none: the window holds no record).
    pub first_seq: Option<u64>,
    /// The last record's seq.
    pub last_seq: Option<u64>,
    /// The hash the first record links from (hex).
    pub first_prev: Option<String>,
    /// The last record's hash (hex).
    pub last_hash: Option<String>,
    /// The files and their hashes.
    pub files: Vec<ExtractFile>,
}

/// The formula, as the manifest states it.
pub const CHAIN_FORMULA: &str =
    "hash = SHA-256(previous record's hash as 32 bytes || this record's line as UTF-8); before the first record: 32 zero bytes";

/// The signed extract of records made from `since` to `until` (wall clock).
///
/// # Errors
/// The store failed, or the zip could not be written.
pub async fn export(
    store: &Store,
    key: &SigningKey,
    since: Millis,
    until: Millis,
) -> Result<(Vec<u8>, ExtractManifest), EvidenceError> {
    let mut lines = String::new();
    let (mut first, mut last, mut first_prev, mut last_hash) = (None, None, None, None);
    let mut records = 0u64;
    if let Some(start) = store.audit_seq_at(since).await? {
        let mut from = start;
        'walk: loop {
            let page = store.audit_walk(from, 5_000).await?;
            let done = page.len() < 5_000;
            for r in page {
                if r.at > until {
                    break 'walk;
                }
                first.get_or_insert(r.seq);
                first_prev.get_or_insert_with(|| r.prev.clone());
                last = Some(r.seq);
                last_hash = Some(r.hash.clone());
                lines.push_str(&r.record);
                lines.push('\n');
                records += 1;
                from = r.seq + 1;
            }
            if done {
                break;
            }
        }
    }
    let mut cps = String::new();
    if let (Some(a), Some(b)) = (first, last) {
        for cp in store.audit_checkpoints().await? {
            if (a..=b).contains(&cp.seq) {
                cps.push_str(&serde_json::to_string(&cp).unwrap_or_default());
                cps.push('\n');
            }
        }
    }
    let file = |path: &str, bytes: &[u8]| ExtractFile {
        path: path.to_owned(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    };
    let manifest = ExtractManifest {
        format: FORMAT.to_owned(),
        chain_formula: CHAIN_FORMULA.to_owned(),
        exported_at: rfc3339(now_ms()),
        since: rfc3339(since),
        until: rfc3339(until),
        records,
        first_seq: first,
        last_seq: last,
        first_prev,
        last_hash,
        files: vec![
            file(files::RECORDS, lines.as_bytes()),
            file(files::CHECKPOINTS, cps.as_bytes()),
        ],
    };
    let mbytes =
        serde_json::to_vec_pretty(&manifest).map_err(EvidenceError::json("the manifest"))?;
    let mut b = Bundle::default();
    b.put(files::RECORDS, lines.into_bytes());
    b.put(files::CHECKPOINTS, cps.into_bytes());
    b.put(
        files::SIGNATURE,
        format!("{}\n", hex(&key.sign(&mbytes).to_bytes())).into_bytes(),
    );
    b.put(files::MANIFEST, mbytes);
    b.put(
        files::PUBLIC_KEY,
        format!("{}\n", hex(key.verifying_key().as_bytes())).into_bytes(),
    );
    Ok((b.to_zip()?, manifest))
}
