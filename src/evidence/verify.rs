//! Checking a bundle: the zip itself (read strictly, see the `zipio`
//! module), the signature over the manifest (against a pinned key
//! when given), every file's SHA-256 and size, no file unlisted, every raw
//! line's chain link, and that the raw lines, decoded again with the
//! project's decoder, give every stated position. Each mismatch is a
//! [`Finding`] naming the file (and line or row) that broke. In a redacted
//! bundle (the manifest's `redacted`) a raw line whose `prev` and `hash`
//! are commitments has no link to check: it is counted as unchained, its
//! seq order still checked, and it is decoded on its own.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{Read, Seek};
use std::net::SocketAddr;
use std::sync::Arc;

use ed25519_dalek::{Signature, VerifyingKey};

use super::manifest::{files, Manifest, PositionCsv, FORMAT};
use super::withhold::{is_commitment, SOURCES};
use super::zipio::{self, Keep, Limits, Member};
use super::{key, sha256_hex, Bundle};
use crate::storage::PositionRow;
use aiswatch_decode::Decoder;

/// One thing that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file it is about (`bundle` for the zip itself).
    pub file: String,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default)]
pub struct VerifyOutcome {
    /// Every mismatch; empty when the bundle is good.
    pub findings: Vec<Finding>,
    /// Whether the signature was checked against a pinned key (else
    /// against the key the bundle carries, which proves only integrity).
    pub pinned: bool,
    /// The key the bundle carries (hex), if it parses.
    pub bundle_key: Option<String>,
    /// The manifest, if it parses.
    pub manifest: Option<Manifest>,
    /// Raw lines whose link was checked.
    pub raw_lines: usize,
    /// Positions re-decoded and matched.
    pub positions: usize,
    /// What the bundle withholds (the manifest's `redacted`): `sources`
    /// when receivers were withheld. Empty for a full bundle.
    pub withheld: Vec<String>,
    /// Raw lines whose chain links are withheld (replaced by
    /// commitments): they cannot be checked from the bundle.
    pub unchained: usize,
}

impl VerifyOutcome {
    /// Whether everything holds.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    fn find(&mut self, file: &str, what: impl Into<String>) {
        self.findings.push(Finding {
            file: file.to_owned(),
            what: what.into(),
        });
    }
}

/// [`verify`] on a zip file's bytes, within the default [`Limits`].
pub fn verify_zip(bytes: &[u8], pinned: Option<&VerifyingKey>) -> VerifyOutcome {
    verify_reader(std::io::Cursor::new(bytes), pinned, &Limits::default())
}

/// [`verify`] on a zip file read from `r`, within `limits`: the zip's
/// directory is checked before anything is read (see [`Bundle::from_zip`]),
/// then each file streams through SHA-256; only the manifest, signature,
/// key, raw lines and positions are kept in memory.
pub fn verify_reader<R: Read + Seek>(
    r: R,
    pinned: Option<&VerifyingKey>,
    limits: &Limits,
) -> VerifyOutcome {
    match zipio::read(r, limits, Keep::Held) {
        Ok((members, held)) => check(&held, &members, pinned),
        Err(e) => {
            let mut o = VerifyOutcome {
                pinned: pinned.is_some(),
                ..VerifyOutcome::default()
            };
            o.find("bundle", e.to_string());
            o
        }
    }
}

fn hash32(text: &str) -> Option<[u8; 32]> {
    key::unhex(text)
        .filter(|_| text.bytes().all(|b| !b.is_ascii_uppercase()))
        .and_then(|b| b.try_into().ok())
}

/// Checks a bundle held in memory; see the module doc.
pub fn verify(b: &Bundle, pinned: Option<&VerifyingKey>) -> VerifyOutcome {
    let members: Vec<Member> = b
        .entries
        .iter()
        .map(|(path, bytes)| Member {
            path: path.clone(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
        .collect();
    check(b, &members, pinned)
}

/// Checks a bundle whose files are `members` (as hashed) and of which `b`
/// holds at least [`files::HELD`].
fn check(b: &Bundle, members: &[Member], pinned: Option<&VerifyingKey>) -> VerifyOutcome {
    let mut o = VerifyOutcome {
        pinned: pinned.is_some(),
        ..VerifyOutcome::default()
    };
    // The key and the signature.
    let bundled = match b.get(files::PUBLIC_KEY) {
        None => {
            o.find(files::PUBLIC_KEY, "missing");
            None
        }
        Some(bytes) => match std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.strip_suffix('\n'))
            .and_then(hash32)
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        {
            Some(k) => {
                o.bundle_key = Some(key::public_hex(&k));
                Some(k)
            }
            None => {
                o.find(files::PUBLIC_KEY, "not an Ed25519 public key in hex");
                None
            }
        },
    };
    if let (Some(p), Some(k)) = (pinned, &bundled) {
        if p != k {
            o.find(
                files::PUBLIC_KEY,
                format!(
                    "is not the pinned key: bundle {} ({}), pinned {} ({})",
                    key::public_hex(k),
                    key::fingerprint(k),
                    key::public_hex(p),
                    key::fingerprint(p)
                ),
            );
        }
    }
    let Some(manifest_bytes) = b.get(files::MANIFEST) else {
        o.find(files::MANIFEST, "missing");
        return o;
    };
    let sig = b
        .get(files::SIGNATURE)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|t| t.strip_suffix('\n'))
        .and_then(|t| key::unhex(t).filter(|_| !t.bytes().any(|c| c.is_ascii_uppercase())))
        .and_then(|v| <[u8; 64]>::try_from(v).ok())
        .map(|a| Signature::from_bytes(&a));
    match (sig, pinned.or(bundled.as_ref())) {
        (None, _) => o.find(files::SIGNATURE, "missing or not 64 bytes in hex"),
        (Some(_), None) => o.find(files::SIGNATURE, "no key to check it with"),
        (Some(s), Some(k)) => {
            if k.verify_strict(manifest_bytes, &s).is_err() {
                o.find(
                    files::SIGNATURE,
                    format!(
                        "does not verify over manifest.json with key {}",
                        key::fingerprint(k)
                    ),
                );
            }
        }
    }
    let m: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            o.find(files::MANIFEST, format!("not a manifest: {e}"));
            return o;
        }
    };
    if m.format != FORMAT {
        o.find(
            files::MANIFEST,
            format!("format {:?}, expected {FORMAT:?}", m.format),
        );
    }
    if o.bundle_key.as_deref().is_some_and(|k| k != m.public_key) {
        o.find(
            files::MANIFEST,
            "public_key differs from the public_key file",
        );
    }
    if let Some(r) = &m.redacted {
        o.withheld = r.withheld.clone();
        for k in &r.withheld {
            if k != SOURCES {
                o.find(
                    files::MANIFEST,
                    format!(
                        "redacted: {k:?} is not a kind this verifier knows (it knows {SOURCES:?})"
                    ),
                );
            }
        }
    }
    check_files(members, &m, &mut o);
    check_raw(b, &m, &mut o);
    check_zone_versions(b, &m, &mut o);
    o.manifest = Some(m);
    o
}

/// Every listed file is there with its hash and size; nothing unlisted.
fn check_files(members: &[Member], m: &Manifest, o: &mut VerifyOutcome) {
    let present: HashMap<&str, &Member> = members.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut listed = HashSet::new();
    for f in &m.files {
        if !listed.insert(f.path.as_str()) {
            o.find(&f.path, "listed twice in the manifest");
            continue;
        }
        match present.get(f.path.as_str()) {
            None => o.find(&f.path, "listed in the manifest but missing"),
            Some(got) => {
                if got.bytes != f.bytes {
                    o.find(
                        &f.path,
                        format!("{} bytes, the manifest says {}", got.bytes, f.bytes),
                    );
                }
                if got.sha256 != f.sha256 {
                    o.find(
                        &f.path,
                        format!(
                            "SHA-256 {} differs from the manifest's {}",
                            got.sha256, f.sha256
                        ),
                    );
                }
            }
        }
    }
    for f in members {
        if !listed.contains(f.path.as_str()) && !files::UNLISTED.contains(&f.path.as_str()) {
            o.find(&f.path, "not listed in the manifest (added)");
        }
    }
}

/// The zone versions the manifest names: `zone.geojson` holds each one's
/// Feature, in order, whose text hashes to it; every alert change made
/// under a version names one of them, as many times as the manifest says.
fn check_zone_versions(b: &Bundle, m: &Manifest, o: &mut VerifyOutcome) {
    let versions = &m.zone.versions;
    if versions.is_empty() {
        return;
    }
    #[derive(serde::Deserialize)]
    struct Zones<'a> {
        #[serde(borrow)]
        features: Vec<&'a serde_json::value::RawValue>,
    }
    let z = files::ZONE;
    match b.get(z).map(serde_json::from_slice::<Zones<'_>>) {
        None => o.find(z, "missing"),
        Some(Err(e)) => o.find(z, format!("not a FeatureCollection: {e}")),
        Some(Ok(zones)) => {
            if zones.features.len() != versions.len() {
                o.find(
                    z,
                    format!(
                        "{} features, the manifest names {} zone versions",
                        zones.features.len(),
                        versions.len()
                    ),
                );
            }
            for (i, (f, v)) in zones.features.iter().zip(versions).enumerate() {
                let got = sha256_hex(f.get().as_bytes());
                if got != v.version {
                    o.find(
                        z,
                        format!(
                            "feature #{i} is not zone version {} (its SHA-256 is {got})",
                            v.version
                        ),
                    );
                }
            }
        }
    }
    #[derive(serde::Deserialize)]
    struct Change {
        #[serde(default)]
        zone_version: Option<String>,
    }
    let c = files::ALERT_CHANGES;
    let Some(text) = b.get(c) else {
        o.find(c, "missing");
        return;
    };
    let mut used: HashMap<&str, u64> = HashMap::new();
    for (i, line) in text
        .split(|&x| x == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        match serde_json::from_slice::<Change>(line) {
            Err(e) => o.find(c, format!("line {}: not JSON: {e}", i + 1)),
            Ok(Change { zone_version: None }) => {}
            Ok(Change {
                zone_version: Some(v),
            }) => match versions.iter().find(|x| x.version == v) {
                Some(x) => *used.entry(x.version.as_str()).or_default() += 1,
                None => o.find(
                    c,
                    format!(
                        "line {}: made under zone version {v}, which the bundle does not carry",
                        i + 1
                    ),
                ),
            },
        }
    }
    for v in versions {
        let n = used.get(v.version.as_str()).copied().unwrap_or(0);
        if n != v.changes {
            o.find(
                files::MANIFEST,
                format!(
                    "zone version {}: {n} alert changes made under it, the manifest says {}",
                    v.version, v.changes
                ),
            );
        }
    }
}

/// The raw lines' chain links, and the positions they decode to.
fn check_raw(b: &Bundle, m: &Manifest, o: &mut VerifyOutcome) {
    let f = files::RAW_LINES;
    let Some(text) = b.get(f) else {
        o.find(f, "missing");
        return;
    };
    if !text.is_empty() && text.last() != Some(&b'\n') {
        o.find(f, "does not end with a newline");
    }
    let lines: Vec<&[u8]> = if text.is_empty() {
        Vec::new()
    } else {
        text.strip_suffix(b"\n")
            .unwrap_or(text)
            .split(|&c| c == b'\n')
            .collect()
    };
    if lines.len() != m.raw_lines.len() {
        o.find(
            f,
            format!(
                "{} lines, the manifest lists {}",
                lines.len(),
                m.raw_lines.len()
            ),
        );
    }
    let withheld = m.redacted.is_some();
    let mut last_seq: Option<u64> = None;
    let mut prev_entry: Option<(u64, [u8; 32])> = None;
    let mut decoders: HashMap<(String, Option<SocketAddr>), Decoder> = HashMap::new();
    let mut decoded = HashSet::new();
    let mut out = Vec::new();
    for (i, (e, line)) in m.raw_lines.iter().zip(&lines).enumerate() {
        let at = format!("line {} (seq {})", i + 1, e.seq);
        if e.n != i as u64 + 1 {
            o.find(
                files::MANIFEST,
                format!("raw line entry {} has n = {}", i + 1, e.n),
            );
        }
        if withheld && is_commitment(&e.prev) && is_commitment(&e.hash) {
            // The links are withheld: only the order of seqs shows.
            o.unchained += 1;
            if let Some(pseq) = last_seq.filter(|p| e.seq <= *p) {
                o.find(f, format!("{at}: seq not after the previous line's {pseq}"));
            }
            last_seq = Some(e.seq);
            prev_entry = None;
            // Its receiver is withheld too: the line is decoded on its own.
            out.clear();
            Decoder::new().feed_from(None, line, e.received_at_ms, &mut out);
            let source: Arc<str> = e.source.as_str().into();
            for d in &out {
                if let Some(p) = PositionRow::of(&source, d) {
                    decoded.insert(position_key(&super::build::position_csv(&p)));
                }
            }
            continue;
        }
        let (Some(prev), Some(hash)) = (hash32(&e.prev), hash32(&e.hash)) else {
            o.find(
                files::MANIFEST,
                format!("{at}: prev or hash is not 64 hex digits"),
            );
            continue;
        };
        let peer_text = e.peer.clone().unwrap_or_default();
        if e.source.len() > usize::from(u16::MAX) || peer_text.len() > usize::from(u16::MAX) {
            o.find(
                files::MANIFEST,
                format!("{at}: source or peer longer than 65535 bytes"),
            );
            continue;
        }
        let h = crate::storage::raw::link_hash(
            &prev,
            e.seq,
            e.received_at_ms,
            e.source.as_bytes(),
            peer_text.as_bytes(),
            line,
        );
        if h != hash {
            o.find(
                f,
                format!("{at}: the line, its receive time, source or peer differ from what the archive chained (hash mismatch)"),
            );
        } else {
            o.raw_lines += 1;
        }
        if let Some(pseq) = last_seq.filter(|p| e.seq <= *p) {
            if prev_entry.is_none() {
                o.find(f, format!("{at}: seq not after the previous line's {pseq}"));
            }
        }
        last_seq = Some(e.seq);
        if let Some((pseq, phash)) = prev_entry {
            if e.seq <= pseq {
                o.find(f, format!("{at}: seq not after the previous line's {pseq}"));
            } else if e.seq == pseq + 1 && prev != phash {
                o.find(
                    f,
                    format!("{at}: does not chain from the line before it (seq {pseq})"),
                );
            }
        }
        prev_entry = Some((e.seq, hash));
        let peer = match &e.peer {
            None => None,
            Some(p) => match p.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    o.find(files::MANIFEST, format!("{at}: peer {p:?} is not ip:port"));
                    None
                }
            },
        };
        let source: Arc<str> = e.source.as_str().into();
        let dec = decoders.entry((e.source.clone(), peer)).or_default();
        out.clear();
        dec.feed_from(peer, line, e.received_at_ms, &mut out);
        for d in &out {
            if let Some(p) = PositionRow::of(&source, d) {
                decoded.insert(position_key(&super::build::position_csv(&p)));
            }
        }
    }
    check_positions(b, m, &decoded, o);
}

type PosKey = (
    u32,
    i64,
    u64,
    u64,
    Option<u16>,
    Option<u16>,
    Option<u16>,
    Option<u8>,
    u8,
);

fn position_key(p: &PositionCsv) -> PosKey {
    (
        p.mmsi,
        p.time_ms,
        p.lon.to_bits(),
        p.lat.to_bits(),
        p.sog_dkn,
        p.cog_ddeg,
        p.heading,
        p.nav_status,
        p.msg_type,
    )
}

/// Every row of `positions.csv` is given by a raw line, of a vessel of the
/// alert, in the window.
fn check_positions(b: &Bundle, m: &Manifest, decoded: &HashSet<PosKey>, o: &mut VerifyOutcome) {
    let f = files::POSITIONS_CSV;
    let Some(bytes) = b.get(f) else {
        o.find(f, "missing");
        return;
    };
    let mut r = csv::Reader::from_reader(bytes);
    for (i, row) in r.deserialize::<PositionCsv>().enumerate() {
        let at = format!("row {}", i + 1);
        let p = match row {
            Ok(p) => p,
            Err(e) => {
                o.find(f, format!("{at}: {e}"));
                continue;
            }
        };
        if !m.vessels.contains(&p.mmsi) {
            o.find(
                f,
                format!("{at}: MMSI {} is not a vessel of the alert", p.mmsi),
            );
        }
        if p.time_ms < m.window.from_ms || p.time_ms > m.window.to_ms {
            o.find(f, format!("{at}: time outside the window"));
        }
        if p.time != aiswatch_core::time::rfc3339(p.time_ms) {
            o.find(
                f,
                format!("{at}: time {:?} is not time_ms {}", p.time, p.time_ms),
            );
        }
        if decoded.contains(&position_key(&p)) {
            o.positions += 1;
        } else {
            o.find(
                f,
                format!(
                    "{at}: MMSI {} at {}: no raw line decodes to this position",
                    p.mmsi, p.time
                ),
            );
        }
    }
}
