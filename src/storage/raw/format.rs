//! The text format of a segment: escaping, hex, canonical numbers, the
//! header line, one record line, the link hash and segment file names.
//!
//! Every parser here is strict: it accepts exactly what the writer produces
//! and nothing else (no lowercase `%xx`, no needless escapes, no leading
//! zeros), so a segment's bytes are a function of its records and a changed
//! byte is never silently "equivalent".

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::RawError;
use aiswatch_core::time::Millis;

/// What every header line starts with; the format version is part of it.
const HEADER_PREFIX: &[u8] = b"# aiswatch raw v1 seq=";

/// Segment file names are `raw-<first seq, 20 digits>.log`.
const NAME_PREFIX: &str = "raw-";
const NAME_SUFFIX: &str = ".log";
const NAME_DIGITS: usize = 20;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// A byte written as itself: printable ASCII except `%` (so no space, tab,
/// CR, LF or non-ASCII byte ever appears raw in a field).
#[inline]
fn is_plain(b: u8) -> bool {
    (0x21..=0x7E).contains(&b) && b != b'%'
}

/// Appends `bytes` to `out`, escaping every non-plain byte as `%XX`
/// (uppercase hex).
pub(super) fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    // The common case, an NMEA line: nothing to escape. A branch-free fold
    // vectorises; the loop below does not.
    if bytes.iter().fold(true, |all, &b| all & is_plain(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_plain(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0xF)],
            ]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

fn upper_hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Reverses [`escape_into`], accepting only its exact output.
pub(super) fn unescape(field: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b == b'%' {
            let hi = field.get(i + 1).copied().and_then(upper_hex_value);
            let lo = field.get(i + 2).copied().and_then(upper_hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err("bad %-escape");
            };
            let v = (hi << 4) | lo;
            if is_plain(v) {
                return Err("needless %-escape of a printable byte");
            }
            out.push(v);
            i += 3;
        } else if is_plain(b) {
            out.push(b);
            i += 1;
        } else {
            return Err("unescaped space, control or non-ASCII byte");
        }
    }
    Ok(out)
}

/// Appends the lowercase hex of `bytes`.
pub(super) fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(HEX_LOWER[usize::from(b >> 4)]);
        out.push(HEX_LOWER[usize::from(b & 0xF)]);
    }
}

/// Lowercase hex of a hash, as a `String`.
pub fn hash_hex(hash: &[u8; 32]) -> String {
    let mut out = Vec::with_capacity(64);
    hex_into(&mut out, hash);
    out.into_iter().map(char::from).collect()
}

/// Lowercase hex digit values; 0xFF for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 16 {
        t[HEX_LOWER[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Parses exactly 64 lowercase hex digits.
pub(super) fn parse_hash(field: &[u8]) -> Option<[u8; 32]> {
    if field.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(field.chunks_exact(2)) {
        let (hi, lo) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        bad |= hi | lo;
        *o = (hi << 4) | lo;
    }
    // Valid digits are < 16, so any high bit means a bad one.
    (bad & 0xF0 == 0).then_some(out)
}

/// Parses a canonical unsigned decimal: digits only, no leading zero.
pub(super) fn parse_u64(field: &[u8]) -> Option<u64> {
    let canonical = match field {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => field.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Parses a canonical signed decimal as `itoa` writes it (no `+`, no `-0`).
pub(super) fn parse_i64(field: &[u8]) -> Option<Millis> {
    let digits = field.strip_prefix(b"-").unwrap_or(field);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if (digits[0] == b'0' && digits.len() > 1) || field == b"-0" {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// The peer as recorded: `ip:port` with IPv6 flow info and scope id dropped,
/// so that reading it back gives the same text (and so the same hash).
pub(super) fn peer_text(peer: SocketAddr) -> String {
    SocketAddr::new(peer.ip(), peer.port()).to_string()
}

/// The chain link: `SHA-256(prev ‖ seq u64 BE ‖ received_at i64 BE ‖
/// len(source) u16 BE ‖ source ‖ len(peer) u16 BE ‖ peer ‖ line)`.
///
/// Callers guarantee that `source` and `peer` are at most `u16::MAX` bytes
/// (the writer refuses longer sources, the parser longer fields).
pub fn link_hash(
    prev: &[u8; 32],
    seq: u64,
    received_at: Millis,
    source: &[u8],
    peer: &[u8],
    line: &[u8],
) -> [u8; 32] {
    let len16 = |b: &[u8]| u16::try_from(b.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut head = [0u8; 50];
    head[..32].copy_from_slice(prev);
    head[32..40].copy_from_slice(&seq.to_be_bytes());
    head[40..48].copy_from_slice(&received_at.to_be_bytes());
    head[48..50].copy_from_slice(&len16(source));
    let mut h = Sha256::new();
    h.update(head);
    h.update(source);
    h.update(len16(peer));
    h.update(peer);
    h.update(line);
    h.finalize().into()
}

/// The header line of a segment whose first record has `seq` and whose
/// chain continues from `prev`, with its newline.
pub(super) fn header_line(seq: u64, prev: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_PREFIX.len() + 20 + 6 + 64 + 1);
    out.extend_from_slice(HEADER_PREFIX);
    out.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
    out.extend_from_slice(b" prev=");
    hex_into(&mut out, prev);
    out.push(b'\n');
    out
}

/// Parses a header line (without its newline) into `(first seq, prev)`.
pub(super) fn parse_header(line: &[u8]) -> Result<(u64, [u8; 32]), &'static str> {
    let rest = line
        .strip_prefix(HEADER_PREFIX)
        .ok_or("not an `# aiswatch raw v1` header")?;
    let sp = memchr::memchr(b' ', rest).ok_or("header has no prev=")?;
    let seq = parse_u64(&rest[..sp]).ok_or("header seq is not a canonical number")?;
    let prev = rest[sp..]
        .strip_prefix(b" prev=")
        .and_then(parse_hash)
        .ok_or("header prev is not 64 lowercase hex digits")?;
    Ok((seq, prev))
}

/// One record line, parsed and unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parsed {
    pub seq: u64,
    pub received_at: Millis,
    pub source: String,
    pub peer: Option<SocketAddr>,
    /// The peer's bytes as hashed: empty when there is none.
    pub peer_text: Vec<u8>,
    pub hash: [u8; 32],
    pub line: Vec<u8>,
}

impl Parsed {
    /// The record as read from line `line_no` (0: through the index) of
    /// `segment`.
    pub fn into_record(self, segment: PathBuf, line_no: u64) -> super::RawRecord {
        super::RawRecord {
            seq: self.seq,
            received_at: self.received_at,
            source: self.source,
            peer: self.peer,
            hash: self.hash,
            line: self.line,
            segment,
            line_no,
        }
    }

    /// The hash this record would have if it followed `prev`.
    pub fn link_from(&self, prev: &[u8; 32]) -> [u8; 32] {
        link_hash(
            prev,
            self.seq,
            self.received_at,
            self.source.as_bytes(),
            &self.peer_text,
            &self.line,
        )
    }

    /// Whether this record is the link `seq` after `prev`.
    pub fn chains_from(&self, seq: u64, prev: &[u8; 32]) -> bool {
        self.seq == seq && self.link_from(prev) == self.hash
    }
}

/// Parses one record line (without its newline):
/// `seq \t received_at \t source \t peer \t hash \t line`.
#[cfg(test)]
pub(super) fn parse_record(text: &[u8]) -> Result<Parsed, &'static str> {
    PeerCache::default().parse_record(text)
}

/// The last peer field parsed: consecutive records usually share it, and
/// parsing and checking an address costs more than the rest of a record.
#[derive(Debug, Default)]
pub(super) struct PeerCache {
    last: Option<(Vec<u8>, SocketAddr)>,
}

impl PeerCache {
    /// The peer field's address and hashed bytes.
    pub(super) fn peer(
        &mut self,
        field: &[u8],
    ) -> Result<(Option<SocketAddr>, Vec<u8>), &'static str> {
        if field == b"-" {
            return Ok((None, Vec::new()));
        }
        if let Some((f, addr)) = &self.last {
            if f == field {
                // Canonical peers have no escapes: the field is the text.
                return Ok((Some(*addr), field.to_vec()));
            }
        }
        let text = String::from_utf8(unescape(field)?).map_err(|_| "peer is not UTF-8")?;
        let addr: SocketAddr = text.parse().map_err(|_| "peer is not ip:port")?;
        if peer_text(addr) != text {
            return Err("peer is not in canonical form");
        }
        if text.as_bytes() == field {
            self.last = Some((field.to_vec(), addr));
        }
        Ok((Some(addr), text.into_bytes()))
    }

    /// Parses one record line (without its newline):
    /// `seq \t received_at \t source \t peer \t hash \t line`.
    pub(super) fn parse_record(&mut self, text: &[u8]) -> Result<Parsed, &'static str> {
        let mut fields = text.split(|&b| b == b'\t');
        let mut next = || fields.next().ok_or("fewer than 6 tab-separated fields");
        let (seq, at, source, peer, hash, line) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if fields.next().is_some() {
            return Err("more than 6 tab-separated fields");
        }
        let seq = parse_u64(seq).ok_or("seq is not a canonical number")?;
        let received_at = parse_i64(at).ok_or("received_at is not a canonical number")?;
        let source = String::from_utf8(unescape(source)?).map_err(|_| "source is not UTF-8")?;
        if source.len() > usize::from(u16::MAX) {
            return Err("source longer than 65535 bytes");
        }
        let (peer, peer_text) = self.peer(peer)?;
        let hash = parse_hash(hash).ok_or("hash is not 64 lowercase hex digits")?;
        let line = unescape(line)?;
        Ok(Parsed {
            seq,
            received_at,
            source,
            peer,
            peer_text,
            hash,
            line,
        })
    }
}

/// Just the `received_at` field of a record line (for pruning).
pub(super) fn parse_received_at(text: &[u8]) -> Option<Millis> {
    let mut fields = text.split(|&b| b == b'\t');
    fields.next()?;
    parse_i64(fields.next()?)
}

/// The file name of the segment whose first record has `seq`.
pub(super) fn segment_name(seq: u64) -> String {
    format!(
        "{NAME_PREFIX}{seq:0width$}{NAME_SUFFIX}",
        width = NAME_DIGITS
    )
}

/// The first seq encoded in a segment file name, if it is one.
pub(super) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(NAME_PREFIX)?.strip_suffix(NAME_SUFFIX)?;
    if digits.len() != NAME_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segments in `dir`, oldest (lowest first seq) first. Other files are
/// ignored.
pub(super) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, RawError> {
    let io = |e| RawError::io(dir, e);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        if let Some(seq) = name.to_str().and_then(parse_segment_name) {
            out.push((seq, entry.path()));
        }
    }
    out.sort_unstable_by_key(|&(seq, _)| seq);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_but_printable_ascii() {
        let mut out = Vec::new();
        escape_into(&mut out, b"!A %\t\r\n~\x00\xff\x7f");
        assert_eq!(out, b"!A%20%25%09%0D%0A~%00%FF%7F");
        assert_eq!(
            unescape(&out).as_deref(),
            Ok(&b"!A %\t\r\n~\x00\xff\x7f"[..])
        );
    }

    #[test]
    fn unescape_accepts_only_canonical_text() {
        assert!(unescape(b"%41").is_err(), "needless escape");
        assert!(unescape(b"%0a").is_err(), "lowercase hex");
        assert!(unescape(b"%0").is_err(), "short escape");
        assert!(unescape(b"a b").is_err(), "raw space");
        assert!(unescape("é".as_bytes()).is_err(), "raw non-ASCII");
        assert_eq!(unescape(b"").as_deref(), Ok(&b""[..]));
    }

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"01",
            b"+1",
            b"-1",
            b"1 ",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        for bad in [&b"-0"[..], b"-", b"007", b"+5", b"-01"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn header_round_trips() {
        let prev = [0xabu8; 32];
        let line = header_line(42, &prev);
        assert_eq!(
            line,
            format!("# aiswatch raw v1 seq=42 prev={}\n", "ab".repeat(32)).into_bytes()
        );
        assert_eq!(parse_header(&line[..line.len() - 1]), Ok((42, prev)));
        assert!(parse_header(b"# aiswatch raw v1 seq=042 prev=00").is_err());
    }

    #[test]
    fn segment_names_sort_by_seq() {
        assert_eq!(segment_name(7), "raw-00000000000000000007.log");
        assert_eq!(parse_segment_name(&segment_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_segment_name("raw-7.log"), None);
        assert_eq!(parse_segment_name("raw-00000000000000000007.log.tmp"), None);
    }

    #[test]
    fn peers_with_scope_are_recorded_without_it() {
        let addr: SocketAddr = "[fe80::1%2]:4001".parse().unwrap_or_else(|_| {
            SocketAddr::V6(std::net::SocketAddrV6::new(
                "fe80::1".parse().unwrap(),
                4001,
                0,
                2,
            ))
        });
        assert_eq!(peer_text(addr), "[fe80::1]:4001");
    }
}
