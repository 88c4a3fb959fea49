//! Fast, selective reading of the archive for evidence export: which
//! segments may hold lines received after a time, and a scan of one segment
//! that hands out each record's line cheaply and parses the whole record
//! (with the hash it chains from) only when asked.
//!
//! Unlike [`records`](super::records) nothing is allocated per record that
//! is not wanted, so a caller that keeps one line in thousands reads a
//! segment at close to the speed of the disk cache.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::format::{self, PeerCache};
use super::read::RawRecord;
use super::RawError;
use aiswatch_core::time::Millis;

/// A segment of the archive: its first seq and its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The seq of its first record (from the file name).
    pub first_seq: u64,
    /// The file.
    pub path: PathBuf,
    /// When its first record was received (unix ms); `None` when it holds none.
    pub first_received: Option<Millis>,
}

/// The archive's segments, oldest first, each with its first record's
/// receive time (one short read per segment).
pub fn segments(dir: &Path) -> Result<Vec<SegmentInfo>, RawError> {
    let mut out = Vec::new();
    for (first_seq, path) in format::list_segments(dir)? {
        let file = File::open(&path).map_err(|e| RawError::io(&path, e))?;
        let mut reader = BufReader::with_capacity(4096, file);
        let mut line = Vec::with_capacity(256);
        let mut first_received = None;
        for _ in 0..2 {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| RawError::io(&path, e))?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            first_received = format::parse_received_at(&line[..line.len() - 1]);
        }
        out.push(SegmentInfo {
            first_seq,
            path,
            first_received,
        });
    }
    Ok(out)
}

/// One record line met by [`scan_segment`].
pub struct ScanLine<'a> {
    text: &'a [u8],
    /// The hash of the record before it (the header's `prev` for the
    /// first), as the 64 hex digits stored: parsed only when asked for.
    prev: &'a [u8; 64],
    segment: &'a Path,
    line_no: u64,
    peers: &'a mut PeerCache,
    /// Byte offsets of the six fields' starts (and the end).
    cuts: [usize; 6],
}

impl ScanLine<'_> {
    fn field(&self, i: usize) -> &[u8] {
        let end = if i == 5 {
            self.text.len()
        } else {
            self.cuts[i + 1] - 1
        };
        &self.text[self.cuts[i]..end]
    }

    fn corrupt(&self, why: &str) -> RawError {
        RawError::corrupt(self.segment, self.line_no, why)
    }

    /// The source and peer fields as stored (escaped; the peer is `-` when
    /// there is none): keys that tell receivers apart without parsing.
    pub fn source_peer(&self) -> (&[u8], &[u8]) {
        (self.field(2), self.field(3))
    }

    /// When the line was received (unix ms).
    pub fn received_at(&self) -> Result<Millis, RawError> {
        format::parse_i64(self.field(1))
            .ok_or_else(|| self.corrupt("received_at is not an integer"))
    }

    /// The receiver it came from, if the source knew it.
    pub fn peer(&mut self) -> Result<Option<std::net::SocketAddr>, RawError> {
        let field = self.field(3).to_vec();
        self.peers
            .peer(&field)
            .map(|(p, _)| p)
            .map_err(|why| self.corrupt(why))
    }

    /// The line's bytes as received.
    pub fn line(&self) -> Result<Cow<'_, [u8]>, RawError> {
        let f = self.field(5);
        if memchr::memchr(b'%', f).is_none() {
            // Nothing escaped: the field is the line (the writer escapes
            // every non-plain byte, so a plain field has none).
            return Ok(Cow::Borrowed(f));
        }
        format::unescape(f)
            .map(Cow::Owned)
            .map_err(|why| self.corrupt(why))
    }

    /// The whole record, and the hash it chains from.
    pub fn record(&mut self) -> Result<(RawRecord, [u8; 32]), RawError> {
        let prev = format::parse_hash(self.prev).ok_or_else(|| {
            self.corrupt("the previous record's hash is not 64 lowercase hex digits")
        })?;
        let rec = self
            .peers
            .parse_record(self.text)
            .map_err(|why| RawError::corrupt(self.segment, self.line_no, why))?;
        Ok((
            rec.into_record(self.segment.to_path_buf(), self.line_no),
            prev,
        ))
    }
}

/// Reads one segment, calling `f` with every complete record line in
/// order. Does not check hashes (the caller checks what it keeps, with the
/// `prev` each record comes with); a line that is not six tab-separated
/// fields, or a hash field that is not 64 bytes, is [`RawError::Corrupt`]. An incomplete
/// last line (a write in progress) ends the scan quietly.
pub fn scan_segment<E: From<RawError>>(
    path: &Path,
    mut f: impl FnMut(&mut ScanLine<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let file = File::open(path).map_err(|e| RawError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(512);
    let mut peers = PeerCache::default();
    let read = |reader: &mut BufReader<File>, buf: &mut Vec<u8>| -> Result<bool, RawError> {
        buf.clear();
        let n = reader
            .read_until(b'\n', buf)
            .map_err(|e| RawError::io(path, e))?;
        if n == 0 || buf.last() != Some(&b'\n') {
            return Ok(false);
        }
        buf.pop();
        Ok(true)
    };
    if !read(&mut reader, &mut buf)? {
        return Ok(());
    }
    let (_, header_prev) =
        format::parse_header(&buf).map_err(|why| RawError::corrupt(path, 1, why))?;
    // Kept as stored (hex): most records are never asked for their `prev`.
    let mut prev = [0u8; 64];
    let mut hex = Vec::with_capacity(64);
    format::hex_into(&mut hex, &header_prev);
    prev.copy_from_slice(&hex);
    let mut line_no = 1;
    while read(&mut reader, &mut buf)? {
        line_no += 1;
        let mut cuts = [0usize; 6];
        let mut at = 0;
        for c in cuts.iter_mut().skip(1) {
            let Some(i) = memchr::memchr(b'\t', &buf[at..]) else {
                return Err(
                    RawError::corrupt(path, line_no, "fewer than 6 tab-separated fields").into(),
                );
            };
            at += i + 1;
            *c = at;
        }
        let hash: [u8; 64] = buf[cuts[4]..cuts[5] - 1]
            .try_into()
            .map_err(|_| RawError::corrupt(path, line_no, "hash is not 64 hex digits"))?;
        let mut item = ScanLine {
            text: &buf,
            prev: &prev,
            segment: path,
            line_no,
            peers: &mut peers,
            cuts,
        };
        f(&mut item)?;
        prev = hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::raw::{RawArchive, RawOptions};

    #[test]
    fn scan_gives_every_record_with_the_hash_it_chains_from() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RawOptions {
            segment_bytes: 300,
            ..RawOptions::default()
        };
        let mut a = RawArchive::open(dir.path(), opts).unwrap();
        let peer = Some("10.0.0.1:4001".parse().unwrap());
        for i in 0..20i64 {
            let line = format!("!AIVDM,1,1,,A,line {i}%\t,0*00");
            a.append(1_000 + i, "src", peer, line.as_bytes()).unwrap();
        }
        a.flush().unwrap();
        drop(a);
        let segs = segments(dir.path()).unwrap();
        assert!(segs.len() > 2, "small segments: {segs:?}");
        assert_eq!(segs[0].first_received, Some(1_000));
        let mut prev = [0u8; 32];
        let mut n = 0;
        for s in &segs {
            scan_segment::<RawError>(&s.path, |l| {
                let line = l.line()?.into_owned();
                assert_eq!(l.source_peer(), (&b"src"[..], &b"10.0.0.1:4001"[..]));
                let (rec, p) = l.record()?;
                assert_eq!(rec.line, line);
                assert_eq!(line, format!("!AIVDM,1,1,,A,line {n}%\t,0*00").into_bytes());
                assert_eq!(p, prev, "prev of seq {}", rec.seq);
                assert_eq!(rec.link_from(&p), rec.hash);
                prev = rec.hash;
                n += 1;
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(n, 20);
    }
}
