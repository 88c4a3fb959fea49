//! Reading the archive back: the record iterator, and the chain check shared
//! by [`verify`](super::verify) and by [`RawArchive::open`](super::RawArchive::open)
//! (which checks the newest segment before it resumes the chain).

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::format::{self, Parsed, PeerCache};
use super::RawError;
use aiswatch_core::time::Millis;

/// One archived line, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Position in the continuous archive: 1 for the first line ever
    /// archived, then +1 per line, across segments and restarts.
    pub seq: u64,
    /// When the line was received, unix milliseconds.
    pub received_at: Millis,
    /// The source id it came in on.
    pub source: String,
    /// The receiver (TCP peer or UDP sender), if the source knew it.
    pub peer: Option<SocketAddr>,
    /// This record's link: see the module doc for what it covers.
    pub hash: [u8; 32],
    /// The line, byte for byte as received (without its terminator).
    pub line: Vec<u8>,
    /// The segment file holding it.
    pub segment: PathBuf,
    /// 1-based line number in that file (line 1 is the header); 0 when
    /// read through the segment's index (which knows byte offsets only).
    pub line_no: u64,
}

impl RawRecord {
    /// The hash this record must have if it follows a record (or segment
    /// header) whose hash is `prev`.
    pub fn link_from(&self, prev: &[u8; 32]) -> [u8; 32] {
        let peer = self.peer.map(format::peer_text).unwrap_or_default();
        format::link_hash(
            prev,
            self.seq,
            self.received_at,
            self.source.as_bytes(),
            peer.as_bytes(),
            &self.line,
        )
    }
}

/// What kind of break [`verify`](super::verify) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakKind {
    /// A record's content or hash differs from what was chained (or a
    /// segment header's `prev` differs from the previous segment's last hash).
    Changed,
    /// A record (or segment) that does not belong to the chain was inserted.
    Inserted,
    /// Records are missing: the seq jumps (a line or a segment was removed).
    Removed,
    /// Records are out of order (e.g. two lines swapped).
    Reordered,
    /// The file ends in an incomplete line, or a segment is empty. On the
    /// newest segment of a running archive this may be a write in progress.
    Torn,
    /// A line is not in the archive's format (bad field, bad escape, ...).
    Malformed,
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Changed => "changed",
            Self::Inserted => "inserted",
            Self::Removed => "removed",
            Self::Reordered => "reordered",
            Self::Torn => "torn",
            Self::Malformed => "malformed",
        })
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The segment file.
    pub segment: PathBuf,
    /// 1-based line number in it (line 1 is the header).
    pub line_no: u64,
    /// The seq the chain expected at this line (the first seq whose link
    /// does not hold).
    pub seq: u64,
    /// What is wrong.
    pub kind: BreakKind,
    /// What is wrong, in words.
    pub detail: String,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: line {}: seq {}: {}: {}",
            self.segment.display(),
            self.line_no,
            self.seq,
            self.kind,
            self.detail
        )
    }
}

/// What [`verify`](super::verify) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Segments checked (up to and including the one with the break).
    pub segments: usize,
    /// Records whose link holds (all of them when there is no break).
    pub records: u64,
    /// The first record's seq (1 unless older segments were pruned).
    pub first_seq: Option<u64>,
    /// The last good record's seq.
    pub last_seq: Option<u64>,
    /// The `prev` of the first segment's header: all zeros when the archive
    /// starts at its beginning, else the last hash of the pruned part.
    pub start_prev: [u8; 32],
    /// The last good record's hash (the tip of the chain).
    pub last_hash: [u8; 32],
    /// The first break, if any.
    pub broken: Option<BrokenLink>,
}

impl VerifyReport {
    /// Whether every link holds.
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}

/// One line of a segment file.
struct Line {
    no: u64,
    offset: u64,
    bytes: Vec<u8>,
    /// Ends in a newline (not included in `bytes`).
    complete: bool,
}

/// Reads a segment file line by line, tracking line numbers and offsets.
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    no: u64,
    offset: u64,
    peers: PeerCache,
}

impl Lines {
    fn open(path: &Path) -> Result<Self, RawError> {
        let file = File::open(path).map_err(|e| RawError::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(256 * 1024, file),
            no: 0,
            offset: 0,
            peers: PeerCache::default(),
        })
    }

    fn next_line(&mut self) -> Result<Option<Line>, RawError> {
        let mut bytes = Vec::with_capacity(128);
        let n = self
            .reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| RawError::io(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        let complete = bytes.last() == Some(&b'\n');
        if complete {
            bytes.pop();
        }
        self.no += 1;
        let offset = self.offset;
        self.offset += n as u64;
        Ok(Some(Line {
            no: self.no,
            offset,
            bytes,
            complete,
        }))
    }
}

/// The outcome of checking one segment.
pub(super) struct Walk {
    /// Records whose link holds.
    pub records: u64,
    /// The header's `(seq, prev)`, if it could be read.
    pub header: Option<(u64, [u8; 32])>,
    /// The seq the next record must have.
    pub next_seq: u64,
    /// The hash the next record must chain from.
    pub prev: [u8; 32],
    /// Day-rotation and pruning need these.
    pub last_received: Option<Millis>,
    pub max_received: Option<Millis>,
    /// Bytes up to the end of the last good line (header or record).
    pub good_len: u64,
    /// The first break in this segment.
    pub broken: Option<BrokenLink>,
    /// Set when the break is the file's last line (a crash's torn write can
    /// be cut here without losing anything after it): its offset.
    pub tail_offset: Option<u64>,
}

impl Walk {
    fn new() -> Self {
        Self {
            records: 0,
            header: None,
            next_seq: 0,
            prev: [0; 32],
            last_received: None,
            max_received: None,
            good_len: 0,
            broken: None,
            tail_offset: None,
        }
    }
}

/// Checks one segment: its name, its header against `expect` (the previous
/// segment's next seq and last hash, when that segment exists), and every
/// record's link. Stops at the first break. Only I/O errors are `Err`.
pub(super) fn walk_segment(
    path: &Path,
    name_seq: u64,
    expect: Option<(u64, [u8; 32])>,
) -> Result<Walk, RawError> {
    let mut lines = Lines::open(path)?;
    let mut walk = Walk::new();
    let broken = |line_no, seq, kind, detail: String| BrokenLink {
        segment: path.to_path_buf(),
        line_no,
        seq,
        kind,
        detail,
    };
    let expected_seq = expect.map_or(name_seq, |(s, _)| s);

    // The header.
    let header = match lines.next_line()? {
        None => {
            walk.broken = Some(broken(
                1,
                expected_seq,
                BreakKind::Torn,
                "empty segment file".into(),
            ));
            walk.tail_offset = Some(0);
            return Ok(walk);
        }
        Some(l) if !l.complete => {
            walk.broken = Some(broken(
                1,
                expected_seq,
                BreakKind::Torn,
                "incomplete header line".into(),
            ));
            walk.tail_offset = Some(0);
            return Ok(walk);
        }
        Some(l) => l,
    };
    let (seq, prev) = match format::parse_header(&header.bytes) {
        Ok(h) => h,
        Err(why) => {
            walk.broken = Some(broken(1, expected_seq, BreakKind::Malformed, why.into()));
            return Ok(walk);
        }
    };
    if seq != name_seq {
        let why = format!("file name says seq {name_seq} but header says {seq}");
        walk.broken = Some(broken(1, expected_seq, BreakKind::Malformed, why));
        return Ok(walk);
    }
    if seq == 1 && prev != [0; 32] {
        let why = "the first segment's header prev is not all zeros".to_string();
        walk.broken = Some(broken(1, 1, BreakKind::Changed, why));
        return Ok(walk);
    }
    if let Some((want_seq, want_prev)) = expect {
        let problem = if seq > want_seq {
            Some((
                BreakKind::Removed,
                format!("seq {want_seq}..={} missing before this segment", seq - 1),
            ))
        } else if seq < want_seq {
            Some((
                BreakKind::Inserted,
                format!("segment starts at seq {seq}, overlapping the previous one (next seq {want_seq})"),
            ))
        } else if prev != want_prev {
            Some((
                BreakKind::Changed,
                "header prev differs from the previous segment's last hash".to_string(),
            ))
        } else {
            None
        };
        if let Some((kind, why)) = problem {
            walk.broken = Some(broken(1, want_seq, kind, why));
            return Ok(walk);
        }
    }
    walk.header = Some((seq, prev));
    walk.next_seq = seq;
    walk.prev = prev;
    walk.good_len = header.offset + header.bytes.len() as u64 + 1;

    // The records. `before` is the chain state before the last good record,
    // to recognise a record inserted with a forged but valid hash.
    let mut before: Option<(u64, [u8; 32], u64)> = None;
    while let Some(line) = lines.next_line()? {
        if !line.complete {
            let why = format!("incomplete last line ({} bytes)", line.bytes.len());
            walk.broken = Some(broken(line.no, walk.next_seq, BreakKind::Torn, why));
            walk.tail_offset = Some(line.offset);
            return Ok(walk);
        }
        let rec = match lines.peers.parse_record(&line.bytes) {
            Ok(r) => r,
            Err(why) => {
                walk.broken = Some(broken(
                    line.no,
                    walk.next_seq,
                    BreakKind::Malformed,
                    why.into(),
                ));
                if lines.next_line()?.is_none() {
                    walk.tail_offset = Some(line.offset);
                }
                return Ok(walk);
            }
        };
        if rec.chains_from(walk.next_seq, &walk.prev) {
            before = Some((walk.next_seq, walk.prev, line.no));
            walk.next_seq += 1;
            walk.prev = rec.hash;
            walk.records += 1;
            walk.last_received = Some(rec.received_at);
            walk.max_received = Some(
                walk.max_received
                    .map_or(rec.received_at, |m| m.max(rec.received_at)),
            );
            walk.good_len = line.offset + line.bytes.len() as u64 + 1;
            continue;
        }
        // A break: look at the next record to tell what kind.
        let next = lines.next_line()?;
        let is_last = next.is_none();
        let next = next
            .filter(|l| l.complete)
            .and_then(|l| lines.peers.parse_record(&l.bytes).ok());
        let (line_no, seq, kind, why) = classify(&walk, before, &rec, next.as_ref(), line.no);
        if is_last && line_no == line.no {
            walk.tail_offset = Some(line.offset);
        }
        if line_no != line.no {
            // The previous record was the inserted one: it does not count.
            if let Some((bseq, bprev, _)) = before {
                walk.records -= 1;
                walk.next_seq = bseq;
                walk.prev = bprev;
            }
        }
        walk.broken = Some(broken(line_no, seq, kind, why));
        return Ok(walk);
    }
    Ok(walk)
}

/// Names the break at record `rec` (line `line_no`), which does not chain
/// from the walk's state; `next` is the record after it, if it parses.
/// Returns where the break is (line, expected seq), its kind and why.
fn classify(
    walk: &Walk,
    before: Option<(u64, [u8; 32], u64)>,
    rec: &Parsed,
    next: Option<&Parsed>,
    line_no: u64,
) -> (u64, u64, BreakKind, String) {
    let (want, prev) = (walk.next_seq, &walk.prev);
    if let Some(next) = next.filter(|n| n.chains_from(want, prev)) {
        if rec.seq == want + 1 && rec.chains_from(want + 1, &next.hash) {
            let why = format!("seq {} comes before seq {want}", rec.seq);
            return (line_no, want, BreakKind::Reordered, why);
        }
        let why = format!("record (seq {}) does not belong to the chain (the next line chains from the one before it)", rec.seq);
        return (line_no, want, BreakKind::Inserted, why);
    }
    // The previous line verified, but this one chains from the state before
    // it: the previous line was inserted (with a recomputed hash).
    if let Some((bseq, bprev, bline)) = before {
        if rec.chains_from(bseq, &bprev) {
            let why =
                "record does not belong to the chain (the next line chains from the one before it)";
            return (bline, bseq, BreakKind::Inserted, why.into());
        }
    }
    if rec.seq == want {
        let why = "hash does not match the record's content and the previous hash";
        (line_no, want, BreakKind::Changed, why.into())
    } else if rec.seq > want {
        let why = format!("seq {want}..={} missing", rec.seq - 1);
        (line_no, want, BreakKind::Removed, why)
    } else {
        let why = format!("seq {} repeated or out of place (expected {want})", rec.seq);
        (line_no, want, BreakKind::Inserted, why)
    }
}

/// See [`verify`](super::verify).
pub(super) fn verify_dir(dir: &Path) -> Result<VerifyReport, RawError> {
    let segments = format::list_segments(dir)?;
    let mut report = VerifyReport {
        segments: 0,
        records: 0,
        first_seq: None,
        last_seq: None,
        start_prev: [0; 32],
        last_hash: [0; 32],
        broken: None,
    };
    let mut expect = None;
    for (name_seq, path) in &segments {
        let walk = walk_segment(path, *name_seq, expect)?;
        report.segments += 1;
        if let Some((seq, prev)) = walk.header {
            if report.segments == 1 {
                report.start_prev = prev;
                report.last_hash = prev;
            }
            if walk.records > 0 {
                report.first_seq.get_or_insert(seq);
                report.last_seq = Some(walk.next_seq - 1);
                report.last_hash = walk.prev;
            }
        }
        report.records += walk.records;
        if walk.broken.is_some() {
            report.broken = walk.broken;
            break;
        }
        expect = Some((walk.next_seq, walk.prev));
    }
    Ok(report)
}

/// The iterator returned by [`records`](super::records).
pub struct Records {
    segments: std::vec::IntoIter<(u64, PathBuf)>,
    current: Option<(Lines, bool)>,
    /// Set after the end or an error: the iterator is fused.
    done: bool,
    /// A listing error, yielded first.
    pending: Option<RawError>,
}

impl Records {
    pub(super) fn new(dir: &Path) -> Self {
        match format::list_segments(dir) {
            Ok(segments) => Self {
                segments: segments.into_iter(),
                current: None,
                done: false,
                pending: None,
            },
            Err(e) => Self {
                segments: Vec::new().into_iter(),
                current: None,
                done: false,
                pending: Some(e),
            },
        }
    }

    fn step(&mut self) -> Result<Option<RawRecord>, RawError> {
        loop {
            let (mut lines, newest) = match self.current.take() {
                Some(c) => c,
                None => {
                    let Some((name_seq, path)) = self.segments.next() else {
                        return Ok(None);
                    };
                    let mut lines = Lines::open(&path)?;
                    let corrupt = |reason: &str| RawError::corrupt(&path, 1, reason);
                    let header = lines.next_line()?;
                    let newest = self.segments.len() == 0;
                    match header {
                        // The newest segment may be being created right now.
                        None if newest => return Ok(None),
                        Some(h) if !h.complete && newest => return Ok(None),
                        None => return Err(corrupt("empty segment file")),
                        Some(h) if !h.complete => return Err(corrupt("incomplete header line")),
                        Some(h) => {
                            let (seq, _) = format::parse_header(&h.bytes).map_err(corrupt)?;
                            if seq != name_seq {
                                return Err(corrupt("header seq differs from the file name"));
                            }
                        }
                    }
                    (lines, newest)
                }
            };
            let Some(line) = lines.next_line()? else {
                continue;
            };
            if !line.complete {
                // A write in progress (or a crash not yet repaired by open).
                if newest {
                    return Ok(None);
                }
                return Err(RawError::corrupt(
                    &lines.path,
                    line.no,
                    "incomplete last line",
                ));
            }
            let rec = lines
                .peers
                .parse_record(&line.bytes)
                .map_err(|why| RawError::corrupt(&lines.path, line.no, why))?;
            let segment = lines.path.clone();
            self.current = Some((lines, newest));
            return Ok(Some(rec.into_record(segment, line.no)));
        }
    }
}

impl Iterator for Records {
    type Item = Result<RawRecord, RawError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// The largest `received_at` in a closed segment, without checking hashes
/// (pruning only needs times). `None` when it holds no record.
pub(super) fn max_received(path: &Path) -> Result<Option<Millis>, RawError> {
    let mut lines = Lines::open(path)?;
    let mut max = None;
    while let Some(line) = lines.next_line()? {
        if line.no == 1 {
            continue;
        }
        let at = format::parse_received_at(&line.bytes).ok_or_else(|| {
            RawError::corrupt(path, line.no, "received_at is not a canonical number")
        })?;
        max = Some(max.map_or(at, |m: Millis| m.max(at)));
    }
    Ok(max)
}
