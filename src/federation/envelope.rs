//! What installations send each other, and how it is signed.
//!
//! Every message is a JSON body signed whole: the header
//! `X-Aiswatch-Signature: ed25519=<128 hex digits>` holds the Ed25519
//! signature, by the sender's installation key, of the body's exact bytes.
//! The body names its sender (`from`), its recipient (`to`) and the
//! agreement (`agreement`), so a message signed for one partner or one
//! agreement is refused under any other; the receiver checks it against
//! the key it pinned for `from`, and nothing else.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::config::Redaction;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-aiswatch-signature";

/// Version of the message format.
pub const VERSION: u32 = 1;

/// An alert state change shared with a partner: the body of
/// `POST /api/v1/federation/inbox`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// [`VERSION`].
    pub v: u32,
    /// The sending installation's `[federation] name`.
    pub from: String,
    /// The receiving installation's name (the sender's partner `id`).
    pub to: String,
    /// The agreement it is shared under.
    pub agreement: String,
    /// The sender's idempotency key of this change (`ALERT_ID/SEQ`): the
    /// same on every retry.
    pub key: String,
    /// The change's number within its alert (1, 2, …).
    pub seq: i64,
    /// When it was sent (RFC 3339, wall clock).
    pub sent_at: String,
    /// What was withheld from `alert`.
    pub redacted: Vec<Redaction>,
    /// The alert as the sender's API shows it, less what was withheld.
    pub alert: serde_json::Value,
}

/// A request for the evidence bundle of an alert shared with the
/// requester: the body of `POST /api/v1/federation/evidence`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EvidenceAsk {
    /// [`VERSION`].
    pub v: u32,
    /// The requesting installation.
    pub from: String,
    /// The installation that shared the alert.
    pub to: String,
    /// The agreement the alert was shared under.
    pub agreement: String,
    /// The alert's id at the sharing installation (without the prefix).
    pub alert: String,
    /// The requester's id for this request: asking again with the same id
    /// asks after the same request (an approval pending).
    pub request: String,
    /// When it was sent (RFC 3339, wall clock).
    pub sent_at: String,
}

/// A signed head of the sender's audit trail: the body of
/// `POST /api/v1/federation/checkpoints`. The receiver keeps it, so that
/// the sender's chain, if rewritten later, disagrees with it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointNote {
    /// [`VERSION`].
    pub v: u32,
    /// The sending installation.
    pub from: String,
    /// The receiving installation.
    pub to: String,
    /// An agreement in force between them.
    pub agreement: String,
    /// When it was sent (RFC 3339, wall clock).
    pub sent_at: String,
    /// The checkpoint, signed by the sender's installation key.
    pub checkpoint: crate::audit::Checkpoint,
}

/// The public key of 64 hex digits, if it is one.
pub fn verifying_key(hex: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = crate::evidence::key::unhex(hex)?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The signature header's value for `body`.
pub fn sign(key: &SigningKey, body: &[u8]) -> String {
    format!(
        "ed25519={}",
        crate::evidence::key::hex(&key.sign(body).to_bytes())
    )
}

/// Whether `header` (the signature header's value) is `key`'s signature
/// of `body`.
pub fn verify(key: &VerifyingKey, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("ed25519=") else {
        return false;
    };
    let Some(sig) = crate::evidence::key::unhex(hex)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    key.verify(body, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_body_and_key_only() {
        let a = SigningKey::from_bytes(&[7; 32]);
        let b = SigningKey::from_bytes(&[8; 32]);
        let body = br#"{"v":1}"#;
        let h = sign(&a, body);
        assert!(verify(&a.verifying_key(), body, &h));
        assert!(!verify(&b.verifying_key(), body, &h));
        assert!(!verify(&a.verifying_key(), br#"{"v":2}"#, &h));
        assert!(!verify(&a.verifying_key(), body, "ed25519=00"));
        assert!(!verify(
            &a.verifying_key(),
            body,
            &h.replace("ed25519=", "")
        ));
        let hex = crate::evidence::key::hex(a.verifying_key().as_bytes());
        assert_eq!(verifying_key(&hex), Some(a.verifying_key()));
        assert_eq!(verifying_key("zz"), None);
    }
}
