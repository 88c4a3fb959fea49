//! The audit chain: how a record is written down, hashed and linked, and
//! how the chain's head is signed.
//!
//! A record is one line of JSON, its keys in the order of [`Record`]
//! (`seq`, `at`, `actor`, `action`, `route`, `ids`, `status`, `count`),
//! kept exactly as hashed. Its hash is
//!
//! ```text
//! hash(n) = SHA-256(hash(n-1) ‖ record(n))      hash(0) = 32 zero bytes
//! ```
//!
//! over the previous hash's 32 bytes and the record's UTF-8 bytes. The
//! record holds its own `seq`, so a record changed, inserted or removed
//! breaks the chain at that point. A checkpoint signs the head with the
//! installation key: Ed25519 over [`checkpoint_message`].

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::evidence::key::{hex, unhex};
use aiswatch_core::time::Millis;

/// The hash before the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// What a record touched. Lists are empty (and left out) when nothing of
/// that kind was touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ids {
    /// Alert ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// Vessels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mmsis: Vec<u32>,
    /// Zone ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

impl Ids {
    /// Nothing touched.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.mmsis.is_empty() && self.zones.is_empty()
    }
}

/// One audit record, as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Its place in the chain: 1, 2, … without gaps.
    pub seq: u64,
    /// When (RFC 3339, wall clock, milliseconds).
    pub at: String,
    /// Who: `admin`, `centre:ID`, `partner:ID` or `system`.
    pub actor: String,
    /// What, e.g. `alert.read`, `evidence.export`, `zones.reload`.
    pub action: String,
    /// How: `GET /api/v1/alerts/{id}`, or what did it outside the API.
    pub route: String,
    /// What it touched.
    #[serde(default, skip_serializing_if = "Ids::is_empty")]
    pub ids: Ids,
    /// The outcome: an HTTP status (200, 403, …), 0 where there is none.
    pub status: u16,
    /// Items a list returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl Record {
    /// The record's line, exactly as hashed.
    pub fn text(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The hash of a record whose line is `text`, after `prev`.
pub fn link(prev: &[u8; 32], text: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// 64 hex digits as 32 bytes.
pub fn hash_from_hex(s: &str) -> Option<[u8; 32]> {
    unhex(s)?.try_into().ok()
}

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The record signed (the head when signed).
    pub seq: u64,
    /// Its hash (hex).
    pub hash: String,
    /// When it was signed (RFC 3339, wall clock).
    pub at: String,
    /// Ed25519 over [`checkpoint_message`] (hex).
    pub signature: String,
}

/// What a checkpoint's signature covers.
pub fn checkpoint_message(seq: u64, hash: &str, at: &str) -> String {
    format!("aiswatch audit checkpoint\nseq {seq}\nhash {hash}\nat {at}\n")
}

impl Checkpoint {
    /// The head `seq`/`hash` signed with `key` at `at`.
    pub fn sign(key: &SigningKey, seq: u64, hash: &[u8; 32], at: Millis) -> Checkpoint {
        let hash = hex(hash);
        let at = aiswatch_core::time::rfc3339(at);
        let signature = hex(&key
            .sign(checkpoint_message(seq, &hash, &at).as_bytes())
            .to_bytes());
        Checkpoint {
            seq,
            hash,
            at,
            signature,
        }
    }

    /// Whether `key` signed it.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        let Some(sig) = unhex(&self.signature).and_then(|b| Signature::from_slice(&b).ok()) else {
            return false;
        };
        key.verify(
            checkpoint_message(self.seq, &self.hash, &self.at).as_bytes(),
            &sig,
        )
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> Record {
        Record {
            seq,
            at: "2026-12-05T10:00:00.000Z".into(),
            actor: "centre:MDAT-GoG".into(),
            action: "alert.read".into(),
            route: "GET /api/v1/alerts/{id}".into(),
            ids: Ids {
                alerts: vec!["dark_period:gog:1:1".into()],
                ..Ids::default()
            },
            status: 200,
            count: None,
        }
    }

    #[test]
    fn a_record_is_one_line_in_field_order_without_empty_parts() {
        assert_eq!(
            record(3).text(),
            r#"{"seq":3,"at":"2026-12-05T10:00:00.000Z","actor":"centre:MDAT-GoG","action":"alert.read","route":"GET /api/v1/alerts/{id}","ids":{"alerts":["dark_period:gog:1:1"]},"status":200}"#
        );
        let back: Record = serde_json::from_str(&record(3).text()).unwrap();
        assert_eq!(back, record(3));
    }

    #[test]
    fn links_depend_on_the_previous_hash_and_every_byte() {
        let a = link(&GENESIS, &record(1).text());
        let b = link(&a, &record(2).text());
        assert_ne!(link(&GENESIS, &record(2).text()), b);
        let mut changed = record(2);
        changed.status = 403;
        assert_ne!(link(&a, &changed.text()), b);
        assert_eq!(hash_from_hex(&hex(&b)), Some(b));
    }

    #[test]
    fn a_checkpoint_verifies_only_as_signed() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let cp = Checkpoint::sign(&key, 9, &[1; 32], 1_700_000_000_000);
        assert!(cp.signed_by(&key.verifying_key()));
        assert!(!cp.signed_by(&other.verifying_key()));
        let mut moved = cp.clone();
        moved.seq = 10;
        assert!(!moved.signed_by(&key.verifying_key()));
        let mut rehashed = cp;
        rehashed.hash = hex(&[2; 32]);
        assert!(!rehashed.signed_by(&key.verifying_key()));
    }
}
