//! A per-segment index by vessel, so that evidence export reads a vessel's
//! lines without scanning the archive: `raw-<first seq>.idx` beside each
//! closed segment, written when the segment is closed.
//!
//! # Format
//!
//! `AWRAWIDX1\n`, the entry count (u64 BE), then the entries sorted by
//! (MMSI, offset), 20 bytes each: MMSI u32 BE, the record's byte offset in
//! the segment u64 BE, the byte offset of the record (or header, offset 0)
//! before it u64 BE, whose hash the record chains from.
//!
//! A line is indexed under the MMSI in its (first) AIS sentence's payload;
//! a later fragment of a multi-part message under the MMSI of the first
//! fragment from the same source, peer, sequence id and channel. Lines
//! with no MMSI (`$PGHP`, …) are not indexed. The index is a shortcut, not
//! evidence: what it points to is read and hash-checked like any record,
//! and a segment without an index (the one being written, one closed by a
//! crash, one written by an older aiswatch) is scanned instead.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiswatch_decode::sentence::{split_line, Item};

use super::format::{self, PeerCache};
use super::read::RawRecord;
use super::RawError;

const MAGIC: &[u8] = b"AWRAWIDX1\n";
const ENTRY: usize = 20;

/// What [`quick`] reads: (fragments, fragment number, sequence id, channel, payload).
pub type Fields<'a> = (u8, u8, Option<u8>, u8, &'a [u8]);

/// A record and the hash it chains from.
pub type Chained = (RawRecord, [u8; 32]);

/// The fields of a line that is one plain `!xxVDM`/`!xxVDO` sentence
/// (after any tag block), read without checking the checksum: (fragments,
/// fragment number, sequence id, channel, payload). `None` for anything
/// else (several sentences on a line, `$PGHP`, …): frame those with the
/// decoder's own [`split_line`]. A pre-filter only: what it lets through
/// is decoded properly.
pub fn quick(line: &[u8]) -> Option<Fields<'_>> {
    let i = memchr::memchr(b'!', line)?;
    let rest = &line[i + 1..];
    if memchr::memchr(b'!', rest).is_some() || rest.len() < 6 || rest[5] != b',' {
        return None;
    }
    if &rest[2..5] != b"VDM" && &rest[2..5] != b"VDO" {
        return None;
    }
    let digit = |f: &[u8]| match f {
        [d @ b'1'..=b'9'] => Some(d - b'0'),
        _ => None,
    };
    let mut f = rest[6..].splitn(6, |&c| c == b',');
    let total = digit(f.next()?)?;
    let number = digit(f.next()?)?;
    let seq = match f.next()? {
        [] => None,
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => return None,
    };
    let channel = match f.next()? {
        [] => 0,
        [c] => *c,
        _ => return None,
    };
    Some((total, number, seq, channel, f.next()?))
}

/// The MMSI of an armoured payload (bits 8–37), if it is long enough.
pub fn payload_mmsi(payload: &[u8]) -> Option<u32> {
    if payload.len() < 7 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &payload[..7] {
        let mut x = u64::from(c.wrapping_sub(48));
        if x > 40 {
            x -= 8;
        }
        v = (v << 6) | (x & 0x3F);
    }
    Some(((v >> 4) & 0x3FFF_FFFF) as u32)
}

/// A multi-part message being followed: (source, peer, sequence id, channel).
type PartKey = (String, Option<SocketAddr>, Option<u8>, u8);

/// The index of the segment being written.
#[derive(Debug, Default)]
pub(super) struct Builder {
    entries: Vec<(u32, u64, u64)>,
    parts: HashMap<PartKey, u32>,
    /// False when the segment had records before this builder began (a
    /// resumed segment): its index would be incomplete, so none is written.
    pub complete: bool,
}

impl Builder {
    pub fn new() -> Self {
        Self {
            complete: true,
            ..Self::default()
        }
    }

    /// The builder of the next segment: multi-part messages being followed
    /// go on into it (a message's fragments may straddle two segments).
    pub fn next(&mut self) -> Self {
        Self {
            parts: std::mem::take(&mut self.parts),
            ..Self::new()
        }
    }

    /// Notes the record at `offset` (the one before it at `prev`).
    pub fn note(
        &mut self,
        source: &str,
        peer: Option<SocketAddr>,
        line: &[u8],
        offset: u64,
        prev: u64,
    ) {
        let mut seen = |total: u8, number: u8, seq: Option<u8>, channel: u8, payload: &[u8]| {
            let k = (source.to_owned(), peer, seq, channel);
            let mmsi = if number == 1 {
                let m = payload_mmsi(payload);
                if total > 1 {
                    match m {
                        Some(m) => self.parts.insert(k, m),
                        None => self.parts.remove(&k),
                    };
                }
                m
            } else {
                let m = self.parts.get(&k).copied();
                if number >= total {
                    self.parts.remove(&k);
                }
                m
            };
            if let Some(m) = mmsi {
                self.entries.push((m, offset, prev));
            }
        };
        match quick(line) {
            Some((t, n, s, c, p)) => seen(t, n, s, c, p),
            None => {
                let mut first = true;
                split_line(line, |item| {
                    if let (Item::Ais(s), true) = (item, first) {
                        first = false;
                        seen(s.total, s.number, s.seq, s.channel, s.payload);
                    }
                });
            }
        }
    }

    /// Writes the index of the segment at `segment` (under a temporary name,
    /// then renamed), if it is complete.
    pub fn write(mut self, segment: &Path) -> Result<(), RawError> {
        if !self.complete {
            return Ok(());
        }
        let path = index_path(segment);
        self.entries.sort_unstable();
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + self.entries.len() * ENTRY);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.entries.len() as u64).to_be_bytes());
        for (m, o, p) in &self.entries {
            out.extend_from_slice(&m.to_be_bytes());
            out.extend_from_slice(&o.to_be_bytes());
            out.extend_from_slice(&p.to_be_bytes());
        }
        let tmp = path.with_extension("idx.tmp");
        let mut f = File::create(&tmp).map_err(|e| RawError::io(&tmp, e))?;
        f.write_all(&out)
            .and_then(|_| f.sync_data())
            .map_err(|e| RawError::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| RawError::io(&path, e))
    }
}

/// The index file of a segment file.
pub fn index_path(segment: &Path) -> PathBuf {
    segment.with_extension("idx")
}

/// Reads whole lines at byte offsets of one file.
struct At {
    file: File,
    path: PathBuf,
}

impl At {
    /// The line (without its newline) starting at `offset`.
    fn line(&self, offset: u64) -> Result<Vec<u8>, RawError> {
        use std::os::unix::fs::FileExt;
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        let mut at = offset;
        loop {
            let n = self
                .file
                .read_at(&mut chunk, at)
                .map_err(|e| RawError::io(&self.path, e))?;
            if n == 0 {
                return Err(RawError::corrupt(
                    &self.path,
                    0,
                    format!("index points past the end (offset {offset})"),
                ));
            }
            if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
                out.extend_from_slice(&chunk[..i]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
            at += n as u64;
        }
    }
}

/// The records of `mmsis` in the segment at `segment`, each with the hash it
/// chains from, in file order, through the segment's index; `None` when the
/// segment has no usable index (then scan it).
pub fn indexed_records(
    segment: &Path,
    mmsis: &std::collections::BTreeSet<u32>,
) -> Result<Option<Vec<Chained>>, RawError> {
    use std::os::unix::fs::FileExt;
    let idx_path = index_path(segment);
    let Ok(idx) = File::open(&idx_path) else {
        return Ok(None);
    };
    let mut head = [0u8; 18];
    if idx.read_exact_at(&mut head, 0).is_err() || &head[..10] != MAGIC {
        return Ok(None);
    }
    let count = u64::from_be_bytes(head[10..18].try_into().unwrap_or_default());
    let len = idx
        .metadata()
        .map_err(|e| RawError::io(&idx_path, e))?
        .len();
    if len != 18 + count * ENTRY as u64 {
        return Ok(None);
    }
    let entry = |i: u64| -> Result<(u32, u64, u64), RawError> {
        let mut e = [0u8; ENTRY];
        idx.read_exact_at(&mut e, 18 + i * ENTRY as u64)
            .map_err(|e| RawError::io(&idx_path, e))?;
        let u64_at = |a: usize| u64::from_be_bytes(e[a..a + 8].try_into().unwrap_or_default());
        Ok((
            u32::from_be_bytes(e[..4].try_into().unwrap_or_default()),
            u64_at(4),
            u64_at(12),
        ))
    };
    let mut hits = Vec::new();
    for &m in mmsis {
        // The first entry with MMSI ≥ m.
        let (mut lo, mut hi) = (0u64, count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if entry(mid)?.0 < m {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        while lo < count {
            let e = entry(lo)?;
            if e.0 != m {
                break;
            }
            hits.push((e.1, e.2));
            lo += 1;
        }
    }
    hits.sort_unstable();
    hits.dedup();
    let at = At {
        file: File::open(segment).map_err(|e| RawError::io(segment, e))?,
        path: segment.to_path_buf(),
    };
    let mut peers = PeerCache::default();
    let mut out = Vec::with_capacity(hits.len());
    for (offset, prev_at) in hits {
        let text = at.line(offset)?;
        let prev_text = at.line(prev_at)?;
        let bad =
            |why: &str| RawError::corrupt(segment, 0, format!("record at byte {offset}: {why}"));
        let prev = if prev_at == 0 {
            format::parse_header(&prev_text).map_err(&bad)?.1
        } else {
            let field = prev_text
                .split(|&c| c == b'\t')
                .nth(4)
                .ok_or_else(|| bad("the record before it has no hash"))?;
            format::parse_hash(field).ok_or_else(|| bad("the record before it has a bad hash"))?
        };
        let rec = peers.parse_record(&text).map_err(bad)?;
        out.push((rec.into_record(segment.to_path_buf(), 0), prev));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::raw::{segments, RawArchive, RawOptions};
    use aiswatch_sim::encode::{self, Dims, PositionA, StaticA};

    #[test]
    fn index_gives_every_record_of_a_vessel_with_the_hash_it_chains_from() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RawOptions {
            segment_bytes: 4096,
            ..RawOptions::default()
        };
        let mut a = RawArchive::open(dir.path(), opts).unwrap();
        let peers: [Option<SocketAddr>; 2] = [Some("10.0.0.1:1".parse().unwrap()), None];
        let vessels = [244_000_001u32, 244_000_002, 244_000_003];
        let mut of_first = std::collections::BTreeSet::new();
        for i in 0..300u32 {
            let m = vessels[(i % 3) as usize];
            let lines = if i % 50 == 7 {
                let s = StaticA {
                    mmsi: m,
                    imo: 1,
                    callsign: "X".into(),
                    name: "Y".into(),
                    ship_type: 70,
                    dims: Dims::default(),
                    draught_m: 1.0,
                    destination: "Z".into(),
                    eta: (0, 0, 24, 60),
                };
                encode::tagged_lines(
                    &encode::type5(&s),
                    1,
                    'B',
                    "st",
                    1_700_000_000 + i64::from(i),
                )
            } else {
                let p = PositionA {
                    mmsi: m,
                    status: 0,
                    sog_kn: 1.0,
                    lon: 1.0,
                    lat: 1.0,
                    cog: 0.0,
                    heading: 0,
                    second: 0,
                    radio: 0,
                };
                encode::tagged_lines(
                    &encode::type1(&p),
                    0,
                    'A',
                    "st",
                    1_700_000_000 + i64::from(i),
                )
            };
            for l in lines {
                let seq = a
                    .append(
                        1_000 + i64::from(i),
                        "src",
                        peers[(i % 2) as usize],
                        l.as_bytes(),
                    )
                    .unwrap();
                if m == vessels[0] {
                    of_first.insert(seq);
                }
            }
        }
        a.flush().unwrap();
        drop(a);
        let segs = segments(dir.path()).unwrap();
        assert!(segs.len() > 3);
        let want = std::collections::BTreeSet::from([vessels[0]]);
        let mut got = std::collections::BTreeSet::new();
        for (k, s) in segs.iter().enumerate() {
            let recs = indexed_records(&s.path, &want).unwrap();
            if k + 1 == segs.len() {
                assert!(recs.is_none(), "the segment being written has no index");
                super::super::scan_segment::<RawError>(&s.path, |l| {
                    let (r, _) = l.record()?;
                    if of_first.contains(&r.seq) {
                        got.insert(r.seq);
                    }
                    Ok(())
                })
                .unwrap();
                continue;
            }
            for (r, prev) in recs.unwrap() {
                assert_eq!(r.link_from(&prev), r.hash, "seq {}", r.seq);
                assert!(
                    of_first.contains(&r.seq),
                    "seq {} is another vessel's",
                    r.seq
                );
                got.insert(r.seq);
            }
        }
        assert_eq!(
            got, of_first,
            "every record of the vessel, fragments included"
        );
        // A damaged index is not used.
        let idx = index_path(&segs[0].path);
        let mut bytes = fs::read(&idx).unwrap();
        bytes.pop();
        fs::write(&idx, bytes).unwrap();
        assert!(indexed_records(&segs[0].path, &want).unwrap().is_none());
    }
}
