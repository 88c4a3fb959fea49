//! Withholding receivers from a bundle ([`super::ExportOptions`]
//! `withhold_sources`), and the openings that show a court a redacted
//! bundle is the full one with its receivers withheld. See the module
//! doc of [`super`], "What a redacted bundle proves".
//!
//! Each withheld value is replaced by a commitment
//! `withheld:<hex SHA-256(salt ‖ value)>`. The 32-byte salt is
//! HMAC-SHA256 keyed with the installation's signing key seed over
//! `"aiswatch-evidence-withheld/1"` and the length-prefixed (u32 BE) alert
//! id, file, place (`line 3`, `row 7`, `raw_lines 3`, `file`), field and
//! value: nobody without the key can test a guessed value, every
//! occurrence has its own commitment (so receivers cannot be told apart or
//! grouped, which would map their coverage), and the installation can
//! derive every salt again from the full bundle alone ([`reveal`]).

use std::collections::{BTreeSet, HashMap};

use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::build::csv_bytes;
use super::manifest::{
    files, Manifest, PositionCsv, RawLineEntry, RedactedFile, Redaction, StaticCsv,
};
use super::verify::Finding;
use super::{key, Bundle, EvidenceError};
use crate::federation::redact::{sources_and as withhold_alert, SOURCE_KEYS};

/// What every commitment starts with.
pub const WITHHELD_PREFIX: &str = "withheld:";
/// The `redacted` kind that withholds receivers (agreement `redact = ["sources"]`).
pub const SOURCES: &str = "sources";
/// How a commitment is made, as written into every redacted manifest.
pub const COMMITMENT_FORMULA: &str = "withheld:<hex of SHA-256(salt || value)>; salt: 32 bytes only the exporting installation can derive (HMAC-SHA256 under its signing key over the alert id, file, place, field and value); value: the withheld field's bytes in the full bundle (a CSV cell as the CSV reader gives it); `aiswatch evidence reveal` gives (value, salt) for each";
/// The openings file's `format`.
pub const OPENINGS_FORMAT: &str = "aiswatch-evidence-openings/1";
/// What the salt's HMAC starts with.
const SALT_DOMAIN: &[u8] = b"aiswatch-evidence-withheld/1";

/// One commitment opened: where it is, the value it hides and its salt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The file of the redacted bundle that holds the commitment.
    pub file: String,
    /// Where in it: `line N` (raw lines), `row N` (CSV, 1-based, header
    /// not counted), `raw_lines N` (the manifest's entry), `file` (the
    /// whole file's bytes before withholding).
    pub at: String,
    /// Which field: `s#K` (the K-th tag block `s:` value on the line),
    /// `r#K` (the K-th NAIS `r` field), `pghp#K.F` (field F of the K-th
    /// `$PGHP` header), a column or manifest key, or `bytes`.
    pub field: String,
    /// The value withheld, as text (lossy where it is not UTF-8).
    pub value: String,
    /// The value's exact bytes, hex: what the commitment covers.
    pub value_hex: String,
    /// The salt, hex.
    pub salt: String,
    /// The commitment: `withheld:` and hex SHA-256(salt ‖ value).
    pub commitment: String,
}

/// Every commitment of a redacted bundle opened, for a court that holds
/// the full bundle (see [`reveal`] and [`check_openings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Openings {
    /// [`OPENINGS_FORMAT`].
    pub format: String,
    /// The alert.
    pub alert_id: String,
    /// [`COMMITMENT_FORMULA`].
    pub commitment: String,
    /// Each commitment, in the order withholding makes them.
    pub openings: Vec<Opening>,
}

/// The commitment to `value` under `salt`.
pub fn commitment(salt: &[u8], value: &[u8]) -> String {
    let d = Sha256::new()
        .chain_update(salt)
        .chain_update(value)
        .finalize();
    format!("{WITHHELD_PREFIX}{}", key::hex(&d))
}

/// Whether `s` is a commitment: `withheld:` and 64 lowercase hex digits.
pub fn is_commitment(s: &str) -> bool {
    s.strip_prefix(WITHHELD_PREFIX).is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    })
}

/// Where salts come from.
enum Salts<'a> {
    /// Derived from the signing key's seed (export, [`reveal`]).
    Derived([u8; 32]),
    /// Revealed: by (file, place, field) ([`check_openings`]).
    Revealed(HashMap<(&'a str, &'a str, &'a str), [u8; 32]>),
}

/// Makes the commitments of one bundle and records their openings.
pub(super) struct Withholder<'a> {
    salts: Salts<'a>,
    alert_id: String,
    /// Whether to keep each opening (only [`reveal`] needs them).
    record: bool,
    openings: Vec<Opening>,
}

impl<'a> Withholder<'a> {
    /// Salts derived from `key` for alert `alert_id`; each opening kept
    /// when `record`.
    pub(super) fn derived(key: &SigningKey, alert_id: &str, record: bool) -> Self {
        Self {
            salts: Salts::Derived(key.to_bytes()),
            alert_id: alert_id.to_owned(),
            record,
            openings: Vec::new(),
        }
    }

    /// Salts as `o` reveals them (a place without one gets a zero salt,
    /// whose commitment then differs).
    fn revealed(o: &'a Openings) -> Self {
        let map = o
            .openings
            .iter()
            .filter_map(|x| {
                let salt: [u8; 32] = key::unhex(&x.salt)?.try_into().ok()?;
                Some(((x.file.as_str(), x.at.as_str(), x.field.as_str()), salt))
            })
            .collect();
        Self {
            salts: Salts::Revealed(map),
            alert_id: o.alert_id.clone(),
            record: false,
            openings: Vec::new(),
        }
    }

    /// The commitment that replaces `value` at `file`, `at`, `field`.
    fn commit(&mut self, file: &str, at: &str, field: &str, value: &[u8]) -> String {
        let salt: [u8; 32] = match &self.salts {
            Salts::Derived(seed) => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(seed)
                    .expect("HMAC takes a key of any length");
                m.update(SALT_DOMAIN);
                for part in [
                    self.alert_id.as_bytes(),
                    file.as_bytes(),
                    at.as_bytes(),
                    field.as_bytes(),
                    value,
                ] {
                    m.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
                    m.update(part);
                }
                m.finalize().into_bytes().into()
            }
            Salts::Revealed(map) => map.get(&(file, at, field)).copied().unwrap_or([0; 32]),
        };
        let c = commitment(&salt, value);
        if !self.record {
            return c;
        }
        self.openings.push(Opening {
            file: file.to_owned(),
            at: at.to_owned(),
            field: field.to_owned(),
            value: String::from_utf8_lossy(value).into_owned(),
            value_hex: key::hex(value),
            salt: key::hex(&salt),
            commitment: c.clone(),
        });
        c
    }
}

/// What withholding did to a bundle.
pub(super) struct Withheld {
    /// The manifest's `redacted`.
    pub redaction: Redaction,
    /// The alert's summary with receivers withheld.
    pub summary: Option<String>,
    /// The catalog message behind it, receivers withheld the same way.
    pub message: Option<aiswatch_i18n::Message>,
}

/// The files and raw line entries withholding changes, besides the
/// manifest and `report.md`.
const CHANGED: [&str; 6] = [
    files::RAW_LINES,
    files::POSITIONS_CSV,
    files::STATICS_CSV,
    files::ALERT,
    files::ALERT_CHANGES,
    files::THRESHOLDS,
];

/// Withholds receivers from the files of `b` (a full bundle's, the
/// manifest and report aside) and from its raw line `entries`, in place.
pub(super) fn withhold(
    b: &mut Bundle,
    entries: &mut [RawLineEntry],
    w: &mut Withholder<'_>,
) -> Result<Withheld, EvidenceError> {
    // Every receiver id the data names: replaced in the alert's text too.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for e in entries.iter() {
        names.insert(e.source.clone());
        names.extend(e.peer.iter().cloned());
        names.extend(e.station.iter().cloned());
    }
    let unescape = |s: &str| s.strip_prefix('\'').unwrap_or(s).to_owned();

    // The raw lines.
    let text = b.get(files::RAW_LINES).unwrap_or_default().to_vec();
    let mut out = Vec::with_capacity(text.len() + entries.len() * 80);
    for (i, line) in text
        .strip_suffix(b"\n")
        .unwrap_or(&text)
        .split(|&c| c == b'\n')
        .enumerate()
        .filter(|_| !text.is_empty())
    {
        let at = format!("line {}", i + 1);
        let (l, replaced) =
            withhold_line(line, |field, v| w.commit(files::RAW_LINES, &at, field, v));
        if replaced == 0 && entries.get(i).is_some_and(|e| e.station.is_some()) {
            return Err(EvidenceError::Export(format!(
                "{}: {at}: names a station in a form that cannot be withheld",
                files::RAW_LINES
            )));
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    b.put(files::RAW_LINES, out);
    for e in entries.iter_mut() {
        let at = format!("raw_lines {}", e.n);
        let mut c = |field: &str, v: &str| w.commit(files::MANIFEST, &at, field, v.as_bytes());
        e.source = c("source", &e.source);
        e.peer = e.peer.as_deref().map(|v| c("peer", v));
        e.station = e.station.as_deref().map(|v| c("station", v));
        e.prev = c("prev", &e.prev);
        e.hash = c("hash", &e.hash);
    }

    // The CSV files.
    let bytes = b.get(files::POSITIONS_CSV).unwrap_or_default().to_vec();
    let mut rows = Vec::new();
    for (i, r) in csv::Reader::from_reader(bytes.as_slice())
        .deserialize::<PositionCsv>()
        .enumerate()
    {
        let mut r = r?;
        let at = format!("row {}", i + 1);
        if let Some(s) = r.station.take() {
            names.insert(unescape(&s));
            r.station = Some(w.commit(files::POSITIONS_CSV, &at, "station", s.as_bytes()));
        }
        names.insert(unescape(&r.source));
        r.source = w.commit(files::POSITIONS_CSV, &at, "source", r.source.as_bytes());
        rows.push(r);
    }
    b.put(files::POSITIONS_CSV, csv_bytes(rows)?);
    let bytes = b.get(files::STATICS_CSV).unwrap_or_default().to_vec();
    let mut rows = Vec::new();
    for (i, r) in csv::Reader::from_reader(bytes.as_slice())
        .deserialize::<StaticCsv>()
        .enumerate()
    {
        let mut r = r?;
        let at = format!("row {}", i + 1);
        names.insert(unescape(&r.source));
        r.source = w.commit(files::STATICS_CSV, &at, "source", r.source.as_bytes());
        rows.push(r);
    }
    b.put(files::STATICS_CSV, csv_bytes(rows)?);

    // The alert's JSON: keys removed, names in text withheld.
    let json = |path: &str, bytes: &[u8]| -> Result<Value, EvidenceError> {
        serde_json::from_slice(bytes).map_err(EvidenceError::json(path))
    };
    let original = |b: &Bundle, path: &str| b.get(path).unwrap_or_default().to_vec();
    let alert_bytes = original(b, files::ALERT);
    let changes_bytes = original(b, files::ALERT_CHANGES);
    let thresholds_bytes = original(b, files::THRESHOLDS);
    let mut alert = json(files::ALERT, &alert_bytes)?;
    let mut changes = changes_bytes
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| json(files::ALERT_CHANGES, l))
        .collect::<Result<Vec<_>, _>>()?;
    let mut thresholds = json(files::THRESHOLDS, &thresholds_bytes)?;
    names.remove("");
    let mut all = names.clone();
    for v in std::iter::once(&mut alert)
        .chain(changes.iter_mut())
        .chain(std::iter::once(&mut thresholds))
    {
        all.extend(withhold_alert(v, &names));
    }
    // Names one document's keys gave, withheld in the others' text too.
    for v in std::iter::once(&mut alert)
        .chain(changes.iter_mut())
        .chain(std::iter::once(&mut thresholds))
    {
        withhold_alert(v, &all);
    }
    let summary = alert
        .get("summary")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let message = alert
        .get("message")
        .and_then(|m| serde_json::from_value(m.clone()).ok());
    b.put(
        files::ALERT,
        serde_json::to_vec(&alert).map_err(EvidenceError::json(files::ALERT))?,
    );
    let mut lines = Vec::new();
    for c in &changes {
        serde_json::to_writer(&mut lines, c).map_err(EvidenceError::json(files::ALERT_CHANGES))?;
        lines.push(b'\n');
    }
    b.put(files::ALERT_CHANGES, lines);
    b.put(
        files::THRESHOLDS,
        serde_json::to_vec_pretty(&thresholds).map_err(EvidenceError::json(files::THRESHOLDS))?,
    );

    let removed: Vec<String> = SOURCE_KEYS
        .iter()
        .map(|k| format!("key {k:?} at any depth"))
        .chain(std::iter::once(
            "receiver names in the text left, which read \"[withheld]\"".to_owned(),
        ))
        .collect();
    let mut json_file = |path: &str, bytes: &[u8]| RedactedFile {
        path: path.to_owned(),
        replaced: Vec::new(),
        removed: removed.clone(),
        original: Some(w.commit(path, "file", "bytes", bytes)),
    };
    let alert_file = json_file(files::ALERT, &alert_bytes);
    let changes_file = json_file(files::ALERT_CHANGES, &changes_bytes);
    let thresholds_file = json_file(files::THRESHOLDS, &thresholds_bytes);
    let replaced = |path: &str, fields: &[&str]| RedactedFile {
        path: path.to_owned(),
        replaced: fields.iter().map(|f| (*f).to_owned()).collect(),
        removed: Vec::new(),
        original: None,
    };
    let redaction = Redaction {
        withheld: vec![SOURCES.to_owned()],
        commitment: COMMITMENT_FORMULA.to_owned(),
        files: vec![
            replaced(
                files::RAW_LINES,
                &[
                    "each tag block's s: value (its checksum recomputed)",
                    "each USCG/NAIS r<station> field after a sentence",
                    "each $PGHP header's fields after its time (its checksum recomputed)",
                ],
            ),
            replaced(files::POSITIONS_CSV, &["station", "source"]),
            replaced(files::STATICS_CSV, &["source"]),
            alert_file,
            changes_file,
            thresholds_file,
            RedactedFile {
                path: files::REPORT.to_owned(),
                replaced: Vec::new(),
                removed: vec!["the receivers table".to_owned()],
                original: None,
            },
            replaced(
                files::MANIFEST,
                &[
                    "raw_lines: source",
                    "raw_lines: peer",
                    "raw_lines: station",
                    "raw_lines: prev",
                    "raw_lines: hash",
                ],
            ),
        ],
    };
    Ok(Withheld {
        redaction,
        summary,
        message,
    })
}

/// `line` with every receiver it names replaced by `commit(field, value)`:
/// each tag block's `s:` value (its checksum recomputed when it held),
/// each USCG/NAIS `r<station>` field after a sentence's checksum, and the
/// fields after the time of a Gatehouse `$PGHP` header (country, region,
/// station; its checksum recomputed). Framing follows the decoder's
/// (`aiswatch_decode::sentence`); the AIS payload is left as it is. Also
/// returns how many values it replaced.
fn withhold_line(line: &[u8], mut commit: impl FnMut(&str, &[u8]) -> String) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(line.len() + 80);
    let (mut s_k, mut r_k, mut p_k) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' => {
                let start = i + 1;
                let (end, closed) = match line[start..].iter().position(|&c| c == b'\\') {
                    Some(k) => (start + k, true),
                    None => (
                        line[start..]
                            .iter()
                            .position(|&c| c == b'!' || c == b'$')
                            .map_or(line.len(), |k| start + k),
                        false,
                    ),
                };
                out.push(b'\\');
                out.extend(tag_block(&line[start..end], &mut s_k, &mut commit));
                if closed {
                    out.push(b'\\');
                    i = end + 1;
                } else {
                    i = end;
                }
            }
            b'!' | b'$' => {
                // The sentence runs to the next tag block or the line's end;
                // after its checksum, receiver fields until another sentence.
                let end = line[i + 1..]
                    .iter()
                    .position(|&c| c == b'\\')
                    .map_or(line.len(), |k| i + 1 + k);
                let s = &line[i..end];
                let Some(star) = s.iter().position(|&c| c == b'*') else {
                    out.extend_from_slice(s);
                    i = end;
                    continue;
                };
                let head = (star + 3).min(s.len());
                if s.starts_with(b"$PGHP,") {
                    out.extend(pghp(&s[..head], star, &mut p_k, &mut commit));
                } else {
                    out.extend_from_slice(&s[..head]);
                }
                let rest = &s[head..];
                let t_end = rest
                    .iter()
                    .position(|&c| c == b'!' || c == b'$')
                    .unwrap_or(rest.len());
                for (k, field) in rest[..t_end].split(|&c| c == b',').enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    if field.len() > 1 && field[0] == b'r' {
                        r_k += 1;
                        out.push(b'r');
                        out.extend(commit(&format!("r#{r_k}"), &field[1..]).bytes());
                    } else {
                        out.extend_from_slice(field);
                    }
                }
                i += head + t_end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, s_k + r_k + p_k)
}

fn xor(b: &[u8]) -> u8 {
    b.iter().fold(0, |a, &c| a ^ c)
}

/// `sum` (the checksum's two hex digits as written) for `body`, in the
/// case the original used.
fn checksum_text(body: &[u8], original: &[u8]) -> String {
    if original.iter().any(u8::is_ascii_lowercase) {
        format!("{:02x}", xor(body))
    } else {
        format!("{:02X}", xor(body))
    }
}

/// A tag block's body (between the backslashes) with each `s:` value
/// committed to; its checksum recomputed when it held (a `*00` or a wrong
/// one stays as written).
fn tag_block(
    body: &[u8],
    k: &mut usize,
    commit: &mut impl FnMut(&str, &[u8]) -> String,
) -> Vec<u8> {
    let (fields, sum) = match body.iter().rposition(|&c| c == b'*') {
        Some(star) => (&body[..star], Some(&body[star + 1..])),
        None => (body, None),
    };
    let mut out = Vec::with_capacity(body.len() + 80);
    let mut changed = false;
    for (n, f) in fields.split(|&c| c == b',').enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match f.strip_prefix(b"s:") {
            Some(v) => {
                *k += 1;
                changed = true;
                out.extend_from_slice(b"s:");
                out.extend(commit(&format!("s#{k}"), v).bytes());
            }
            None => out.extend_from_slice(f),
        }
    }
    if let Some(sum) = sum {
        out.push(b'*');
        let held = sum.len() >= 2
            && std::str::from_utf8(&sum[..2])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                == Some(xor(fields));
        if changed && held {
            out.extend(checksum_text(&out[..out.len() - 1], &sum[..2]).bytes());
            out.extend_from_slice(&sum[2..]);
        } else {
            out.extend_from_slice(sum);
        }
    }
    out
}

/// A `$PGHP,1,yyyy,mm,dd,HH,MM,SS,mmm,…*hh` header (`s`, with its `*` at
/// `star`) with each non-empty field after the time committed to, and
/// its checksum recomputed when it held.
fn pghp(
    s: &[u8],
    star: usize,
    k: &mut usize,
    commit: &mut impl FnMut(&str, &[u8]) -> String,
) -> Vec<u8> {
    *k += 1;
    let body = &s[1..star];
    let mut new_body = Vec::with_capacity(body.len() + 200);
    for (n, f) in body.split(|&c| c == b',').enumerate() {
        if n > 0 {
            new_body.push(b',');
        }
        // PGHP, 1, then 7 time fields: field 9 on is the receiver's.
        if n >= 9 && !f.is_empty() {
            new_body.extend(commit(&format!("pghp#{k}.{n}"), f).bytes());
        } else {
            new_body.extend_from_slice(f);
        }
    }
    let sum = &s[star + 1..];
    let held = sum.len() >= 2
        && std::str::from_utf8(&sum[..2])
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            == Some(xor(body));
    let mut out = vec![s[0]];
    out.extend_from_slice(&new_body);
    out.push(b'*');
    if held {
        out.extend(checksum_text(&new_body, &sum[..2]).bytes());
        out.extend_from_slice(&sum[2..]);
    } else {
        out.extend_from_slice(sum);
    }
    out
}

/// The openings of every commitment that a redacted export of `full` (a
/// bundle exported without withholding) holds: the exporting installation
/// (with its signing key `key`) derives each salt again, so it can open a
/// redacted bundle it shared whenever a court holds the full one. Only the
/// full bundle's bytes are needed, not the store or the archive.
pub fn reveal(key: &SigningKey, full: &Bundle) -> Result<Openings, EvidenceError> {
    let m = manifest_of(full)?;
    if m.redacted.is_some() {
        return Err(EvidenceError::Export(
            "reveal: the bundle given is itself redacted; give the full bundle".to_owned(),
        ));
    }
    let mut b = full.clone();
    let mut entries = m.raw_lines.clone();
    let mut w = Withholder::derived(key, &m.alert_id, true);
    withhold(&mut b, &mut entries, &mut w)?;
    Ok(Openings {
        format: OPENINGS_FORMAT.to_owned(),
        alert_id: m.alert_id,
        commitment: COMMITMENT_FORMULA.to_owned(),
        openings: w.openings,
    })
}

fn manifest_of(b: &Bundle) -> Result<Manifest, EvidenceError> {
    let bytes = b
        .get(files::MANIFEST)
        .ok_or_else(|| EvidenceError::Export(format!("{}: missing", files::MANIFEST)))?;
    serde_json::from_slice(bytes).map_err(EvidenceError::json(files::MANIFEST))
}

/// Whether `redacted` is `full` with its receivers withheld under
/// `openings`: each opening's salt and value give its commitment; and
/// withholding `full`'s receivers with the revealed salts gives, byte for
/// byte, the redacted bundle's raw lines, CSV files, alert JSON files,
/// thresholds and raw line entries, its untouched files (`tracks.geojson`,
/// `zone.geojson`, `map.svg`) are the full bundle's, and the commitments to
/// the original JSON files hold. Both bundles should also pass [`super::verify`]
/// (their signatures), which this does not repeat. Empty when all holds.
pub fn check_openings(redacted: &Bundle, full: &Bundle, openings: &Openings) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut find = |file: &str, what: String| {
        out.push(Finding {
            file: file.to_owned(),
            what,
        })
    };
    for o in &openings.openings {
        let opened = key::unhex(&o.salt)
            .zip(key::unhex(&o.value_hex))
            .is_some_and(|(salt, value)| commitment(&salt, &value) == o.commitment);
        if !opened {
            find(
                &o.file,
                format!(
                    "{} {}: the salt and value do not open {}",
                    o.at, o.field, o.commitment
                ),
            );
        }
    }
    let (rm, fm) = match (manifest_of(redacted), manifest_of(full)) {
        (Ok(r), Ok(f)) => (r, f),
        (Err(e), _) | (_, Err(e)) => {
            find(files::MANIFEST, e.to_string());
            return out;
        }
    };
    let Some(red) = &rm.redacted else {
        find(
            files::MANIFEST,
            "the first bundle is not redacted".to_owned(),
        );
        return out;
    };
    if rm.alert_id != fm.alert_id || rm.alert_id != openings.alert_id {
        find(
            files::MANIFEST,
            format!(
                "alert {} (redacted), {} (full), {} (openings) differ",
                rm.alert_id, fm.alert_id, openings.alert_id
            ),
        );
    }
    if rm.window != fm.window || rm.vessels != fm.vessels {
        find(files::MANIFEST, "the window or vessels differ".to_owned());
    }
    let mut b = full.clone();
    let mut entries = fm.raw_lines.clone();
    let mut w = Withholder::revealed(openings);
    let redone = match withhold(&mut b, &mut entries, &mut w) {
        Ok(x) => x,
        Err(e) => {
            find("bundle", format!("the full bundle cannot be withheld: {e}"));
            return out;
        }
    };
    for path in CHANGED
        .iter()
        .chain(&[files::TRACKS_GEOJSON, files::ZONE, files::MAP])
    {
        if b.get(path) != redacted.get(path) {
            find(
                path,
                "differs from the full bundle's with the revealed salts applied".to_owned(),
            );
        }
    }
    if entries != rm.raw_lines {
        find(
            files::MANIFEST,
            "raw_lines differ from the full bundle's with the revealed salts applied".to_owned(),
        );
    }
    let originals = |r: &Redaction| -> Vec<(String, Option<String>)> {
        r.files
            .iter()
            .map(|f| (f.path.clone(), f.original.clone()))
            .collect()
    };
    if originals(red) != originals(&redone.redaction) {
        find(
            files::MANIFEST,
            "redacted: a commitment to an original file does not open to the full bundle's"
                .to_owned(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_all(line: &str) -> (String, usize) {
        let (l, n) = withhold_line(line.as_bytes(), |f, v| {
            format!("W{f}={}", String::from_utf8_lossy(v).len())
        });
        (String::from_utf8(l).unwrap(), n)
    }

    #[test]
    fn stations_are_replaced_and_lines_still_parse() {
        use aiswatch_decode::sentence::split_line;
        let lines = [
            "\\s:rA,c:1767225642*0D\\!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29",
            "!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29,d-109,S2105,r003669946,1325394060",
            "$PGHP,1,2010,6,11,11,46,11,929,244,0,,1,72*21!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29",
        ];
        for line in lines {
            let mut w = Withholder::derived(&SigningKey::from_bytes(&[1; 32]), "a", false);
            let (l, n) = withhold_line(line.as_bytes(), |f, v| w.commit("f", "at", f, v));
            assert_eq!(n, 1, "{line}");
            let text = String::from_utf8(l.clone()).unwrap();
            assert!(text.contains("withheld:"), "{text}");
            for gone in ["rA,", "003669946", ",244,0,,1,72"] {
                assert!(!text.contains(gone), "{text}");
            }
            let mut items = Vec::new();
            split_line(&l, |i| items.push(format!("{i:?}")));
            assert!(
                items
                    .iter()
                    .all(|i| !i.contains("Rejected") && !i.contains("Invalid")),
                "{text}: {items:?}"
            );
        }
        // A tag block whose checksum did not hold stays so.
        let (l, _) =
            commit_all("\\s:rA,c:1767225642*52\\!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29");
        assert!(l.starts_with("\\s:Ws#1=2,c:1767225642*52\\"), "{l}");
        // Nothing to withhold: the line as it was.
        let plain = "!AIVDM,1,1,,B,195nlqPP1MP;h`D2BmDuQJmD1@9O,0*29";
        assert_eq!(commit_all(plain), (plain.to_owned(), 0));
    }

    #[test]
    fn salts_are_per_place_and_open_their_commitments() {
        let k = SigningKey::from_bytes(&[2; 32]);
        let mut w = Withholder::derived(&k, "alert-1", true);
        let a = w.commit("f", "line 1", "s#1", b"st-1");
        let b = w.commit("f", "line 2", "s#1", b"st-1");
        assert_ne!(a, b, "the same station on two lines cannot be grouped");
        assert!(is_commitment(&a) && !is_commitment("withheld:abc"));
        let o = &w.openings[0];
        let salt = key::unhex(&o.salt).unwrap();
        assert_eq!(commitment(&salt, b"st-1"), a);
        let mut again = Withholder::derived(&k, "alert-1", true);
        assert_eq!(
            again.commit("f", "line 1", "s#1", b"st-1"),
            a,
            "deterministic"
        );
        let mut other = Withholder::derived(&k, "alert-2", true);
        assert_ne!(other.commit("f", "line 1", "s#1", b"st-1"), a);
    }
}
