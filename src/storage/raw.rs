//! The raw line archive: every accepted line as received (bytes, receive
//! time, source, peer), appended to segment files, each line's SHA-256
//! chained to the previous one, so that what a receiver sent can later be
//! shown unaltered.
//!
//! # Layout
//!
//! One directory (the daemon uses `<data_dir>/raw`, see [`RAW_DIR`]) holds
//! segment files named `raw-<first seq, 20 digits>.log`, so names sort by
//! seq and so by time. A segment is closed (and synced) and the next one
//! started when it has reached [`RawOptions::segment_bytes`] or when the UTC
//! day of the receive time changes, so that retention can drop whole days.
//!
//! # Format
//!
//! Text, one line per record, `\n`-terminated. Line 1 is the header:
//!
//! ```text
//! # aiswatch raw v1 seq=<first seq> prev=<hash of the previous record, hex>
//! ```
//!
//! Every other line is one record, six tab-separated fields:
//!
//! ```text
//! seq  received_at  source  peer  hash  line
//! ```
//!
//! - `seq`: position in the continuous archive, 1 for the first line ever
//!   archived, +1 per line across segments and restarts.
//! - `received_at`: unix milliseconds (may be negative), canonical decimal.
//! - `source`: the source id; `peer`: `ip:port` (IPv6 as `[ip]:port`, flow
//!   info and scope id dropped), or `-` when the source has no peer.
//! - `hash`: 64 lowercase hex digits, see below.
//! - `line`: the line's bytes. Bytes `0x21..=0x7E` except `%` stand for
//!   themselves; every other byte (space, `%`, tab, CR, LF, controls,
//!   non-ASCII) is written `%XX` with uppercase hex. So a record is always one
//!   line, and the bytes come back exactly. `source` and `peer` are escaped
//!   the same way. Readers accept only this canonical form (no needless or
//!   lowercase escapes, no leading zeros): a file's bytes are a function of
//!   its records.
//!
//! # The chain
//!
//! ```text
//! hash_i = SHA-256(hash_{i-1} ‖ seq_i u64 BE ‖ received_at_i i64 BE
//!                  ‖ len(source) u16 BE ‖ source ‖ len(peer) u16 BE ‖ peer ‖ line)
//! ```
//!
//! over the unescaped bytes, with `peer` empty when there is none and
//! `hash_0` = 32 zero bytes. A header's `prev` is the hash of the record
//! before the segment's first, so each segment can be checked on its own,
//! and the archive still checks after old segments were pruned: [`verify`]
//! starts from the first remaining header's `prev` and reports it.
//!
//! What the chain shows: no record was changed, inserted, removed or
//! reordered *between* the first and the last record checked. It cannot show
//! that records were cut off the end (or, alone, that the oldest segments
//! were not pruned): anchor the tip ([`VerifyReport::last_hash`]) elsewhere
//! for that. The hash is keyless: it proves integrity against the stored
//! chain, not authorship.
//!
//! # Writing and crashes
//!
//! [`RawArchive::append`] serialises into a memory buffer that is written
//! out when full; [`RawArchive::flush`] writes and `fdatasync`s. A write
//! error leaves the buffer's unwritten bytes in place to be written later,
//! so the file always holds a prefix of the record stream. After a crash the
//! newest segment may end in a torn record; [`RawArchive::open`] cuts it
//! (only a bad *last* line: a bad line followed by others is corruption and
//! refuses to open) and reports the cut in [`RawArchive::recovered`].
//! Only one process may write a directory at a time (not enforced).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiswatch_core::time::Millis;

mod format;
pub mod index;
mod read;
mod scan;
mod writer;

#[cfg(test)]
mod tests;

pub use format::{hash_hex, link_hash};
pub use read::{BreakKind, BrokenLink, RawRecord, Records, VerifyReport};
pub use scan::{scan_segment, segments, ScanLine, SegmentInfo};
pub use writer::{
    spawn_writer, spawn_writer_pruning, Pruning, RawBatch, RawFlush, RawStats, RawWriter,
    MAX_PENDING_BYTES, SHUTDOWN_RETRIES,
};

/// The archive's directory under the data directory: `<data_dir>/raw`.
pub const RAW_DIR: &str = "raw";

/// How often the daemon's archive writer writes out what it received (at
/// most this long after a line is sent to it, with the writer keeping up).
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Milliseconds in a UTC day (no leap seconds in unix time).
const MS_PER_DAY: Millis = 86_400_000;

/// Errors of the raw archive.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// A file or directory could not be read, written or synced.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A segment is not what the writer would have written, in a place where
    /// it cannot be repaired (anywhere but a torn last line).
    #[error("{}: line {line_no}: {reason}", segment.display())]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// 1-based line number (line 1 is the header).
        line_no: u64,
        /// What is wrong.
        reason: String,
    },
    /// A source id longer than the format's 65535 bytes.
    #[error("source id of {len} bytes is longer than 65535")]
    SourceTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The writer thread could not be started, or panicked.
    #[error("raw archive writer thread: {0}")]
    Writer(String),
}

impl RawError {
    fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn corrupt(segment: &Path, line_no: u64, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            segment: segment.to_path_buf(),
            line_no,
            reason: reason.into(),
        }
    }
}

/// How the archive writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOptions {
    /// Start a new segment once the current one has this many bytes
    /// (default 64 MiB). A segment can exceed it by one record.
    pub segment_bytes: u64,
    /// Write the memory buffer out once it holds this many bytes (default
    /// 256 KiB).
    pub buffer_bytes: usize,
}

impl Default for RawOptions {
    fn default() -> Self {
        Self {
            segment_bytes: 64 * 1024 * 1024,
            buffer_bytes: 256 * 1024,
        }
    }
}

/// What [`RawArchive::open`] had to repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The segment that was cut (or removed, when its header was torn).
    pub segment: PathBuf,
    /// Where it was cut: its new length.
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes: u64,
    /// What was wrong with them.
    pub reason: String,
}

/// The segment being written.
#[derive(Debug)]
struct Segment {
    first_seq: u64,
    path: PathBuf,
    file: File,
    /// Bytes written plus bytes buffered for it.
    bytes: u64,
    /// Bytes of its header still in the buffer.
    header_pending: u64,
    records: u64,
    /// UTC day (unix ms / 86 400 000) of the last record.
    day: Option<i64>,
    max_received: Option<Millis>,
}

/// The writing end of the archive. See the module doc.
#[derive(Debug)]
pub struct RawArchive {
    dir: PathBuf,
    opts: RawOptions,
    segment: Option<Segment>,
    next_seq: u64,
    prev: [u8; 32],
    /// Serialised records not yet written to `segment.file`.
    buf: Vec<u8>,
    /// The last source and peer, escaped: consecutive lines usually share them.
    source_cache: (String, Vec<u8>),
    peer_cache: (Option<SocketAddr>, Vec<u8>, Vec<u8>),
    /// Largest `received_at` of closed segments, by first seq, as learned.
    closed_max: BTreeMap<u64, Option<Millis>>,
    recovered: Vec<Recovery>,
    /// The current segment's index by vessel (see [`index`]), and the
    /// offset of its last record (0: the header).
    index: index::Builder,
    last_offset: u64,
    /// Test hook: fail every write while set, like a full disk.
    #[cfg(test)]
    fail_writes: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl RawArchive {
    /// Opens (creating if needed) the archive in `dir` and resumes its chain
    /// after the last record of the newest segment.
    ///
    /// The newest segment is checked record by record. A bad last line (a
    /// crash's torn write) is cut off; a segment with a torn header is
    /// removed when an older one exists to resume from. Both are reported in
    /// [`recovered`](Self::recovered) for the caller to log. Any other break
    /// is [`RawError::Corrupt`]: run [`verify`] and look before writing more.
    pub fn open(dir: impl AsRef<Path>, opts: RawOptions) -> Result<Self, RawError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| RawError::io(&dir, e))?;
        let mut archive = Self {
            dir,
            opts,
            segment: None,
            next_seq: 1,
            prev: [0; 32],
            buf: Vec::new(),
            source_cache: (String::new(), Vec::new()),
            peer_cache: (None, Vec::new(), b"-".to_vec()),
            closed_max: BTreeMap::new(),
            recovered: Vec::new(),
            index: index::Builder::new(),
            last_offset: 0,
            #[cfg(test)]
            fail_writes: Default::default(),
        };
        let mut segments = format::list_segments(&archive.dir)?;
        while let Some((seq, path)) = segments.pop() {
            let walk = read::walk_segment(&path, seq, None)?;
            let file_len = fs::metadata(&path)
                .map_err(|e| RawError::io(&path, e))?
                .len();
            if let Some(broken) = walk.broken {
                let reason = format!("{}: {}", broken.kind, broken.detail);
                let Some(offset) = walk.tail_offset else {
                    return Err(RawError::corrupt(&path, broken.line_no, reason));
                };
                if walk.header.is_none() {
                    // Torn header: the segment was being created. Resume from
                    // the one before it (or from the start, if it was the first).
                    if segments.is_empty() && seq != 1 {
                        return Err(RawError::corrupt(
                            &path,
                            1,
                            format!("{reason}; no older segment to resume from"),
                        ));
                    }
                    fs::remove_file(&path).map_err(|e| RawError::io(&path, e))?;
                    archive.recovered.push(Recovery {
                        segment: path,
                        offset: 0,
                        bytes: file_len,
                        reason,
                    });
                    continue;
                }
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| RawError::io(&path, e))?;
                file.set_len(offset).map_err(|e| RawError::io(&path, e))?;
                file.sync_all().map_err(|e| RawError::io(&path, e))?;
                archive.recovered.push(Recovery {
                    segment: path.clone(),
                    offset,
                    bytes: file_len - offset,
                    reason,
                });
            }
            let file = OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|e| RawError::io(&path, e))?;
            archive.next_seq = walk.next_seq;
            archive.prev = walk.prev;
            // Lines written before this start are not in the index: none is
            // written for this segment (exports scan it).
            archive.index.complete = walk.records == 0;
            archive.segment = Some(Segment {
                first_seq: seq,
                path,
                file,
                bytes: walk.good_len,
                header_pending: 0,
                records: walk.records,
                day: walk.last_received.map(|t| t.div_euclid(MS_PER_DAY)),
                max_received: walk.max_received,
            });
            break;
        }
        Ok(archive)
    }

    /// What [`open`](Self::open) cut or removed after a crash (usually nothing).
    pub fn recovered(&self) -> &[Recovery] {
        &self.recovered
    }

    /// The archive's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The seq the next appended line will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The hash of the last appended record (the chain's tip; all zeros
    /// before the first).
    pub fn last_hash(&self) -> [u8; 32] {
        self.prev
    }

    /// Records appended but not yet written to the file (after write
    /// errors, or before the buffer fills); a crash would lose them.
    pub fn unwritten_records(&self) -> u64 {
        let lines = memchr::memchr_iter(b'\n', &self.buf).count() as u64;
        let header = self.segment.as_ref().is_some_and(|s| s.header_pending > 0);
        lines - u64::from(header)
    }

    /// Appends one line, received at `received_at` (unix ms) on `source`
    /// from `peer`, and returns its seq. Buffered: see [`flush`](Self::flush).
    ///
    /// On `Err` the line was not appended and the archive is unchanged apart
    /// from having written out part of its buffer: retry later. Errors are
    /// I/O errors writing out the buffer (or closing a segment) and
    /// [`RawError::SourceTooLong`].
    pub fn append(
        &mut self,
        received_at: Millis,
        source: &str,
        peer: Option<SocketAddr>,
        line: &[u8],
    ) -> Result<u64, RawError> {
        if source.len() > usize::from(u16::MAX) {
            return Err(RawError::SourceTooLong { len: source.len() });
        }
        let day = received_at.div_euclid(MS_PER_DAY);
        let rotate = match &self.segment {
            None => true,
            Some(s) => s.records > 0 && (s.bytes >= self.opts.segment_bytes || s.day != Some(day)),
        };
        if rotate {
            self.rotate()?;
        } else if self.buf.len() >= self.opts.buffer_bytes {
            self.write_out()?;
        }
        if self.source_cache.0 != source {
            self.source_cache.0.clear();
            self.source_cache.0.push_str(source);
            self.source_cache.1.clear();
            format::escape_into(&mut self.source_cache.1, source.as_bytes());
        }
        if self.peer_cache.0 != peer {
            let text = peer.map(format::peer_text).unwrap_or_default();
            self.peer_cache.0 = peer;
            self.peer_cache.1 = text.clone().into_bytes();
            self.peer_cache.2.clear();
            if peer.is_some() {
                format::escape_into(&mut self.peer_cache.2, text.as_bytes());
            } else {
                self.peer_cache.2.push(b'-');
            }
        }
        let seq = self.next_seq;
        let offset = self.segment.as_ref().map_or(0, |s| s.bytes);
        self.index
            .note(source, peer, line, offset, self.last_offset);
        self.last_offset = offset;
        let hash = format::link_hash(
            &self.prev,
            seq,
            received_at,
            source.as_bytes(),
            &self.peer_cache.1,
            line,
        );

        let start = self.buf.len();
        let buf = &mut self.buf;
        buf.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
        buf.push(b'\t');
        buf.extend_from_slice(itoa::Buffer::new().format(received_at).as_bytes());
        buf.push(b'\t');
        buf.extend_from_slice(&self.source_cache.1);
        buf.push(b'\t');
        buf.extend_from_slice(&self.peer_cache.2);
        buf.push(b'\t');
        format::hex_into(buf, &hash);
        buf.push(b'\t');
        format::escape_into(buf, line);
        buf.push(b'\n');
        let written = (buf.len() - start) as u64;

        if let Some(s) = &mut self.segment {
            s.bytes += written;
            s.records += 1;
            s.day = Some(day);
            s.max_received = Some(s.max_received.map_or(received_at, |m| m.max(received_at)));
        }
        self.next_seq += 1;
        self.prev = hash;
        Ok(seq)
    }

    /// Writes out everything appended so far and `fdatasync`s the segment.
    /// On `Err` the unwritten part stays buffered: call again later.
    pub fn flush(&mut self) -> Result<(), RawError> {
        self.write_out()?;
        if let Some(s) = &self.segment {
            s.file.sync_data().map_err(|e| RawError::io(&s.path, e))?;
        }
        Ok(())
    }

    /// Deletes the oldest segments whose every record was received before
    /// `before_ms` (unix ms) and has a seq below `keep_from_seq` (what a
    /// legal hold keeps; `u64::MAX`: nothing held), never the one being
    /// written. Returns how many were deleted.
    ///
    /// Only a run of oldest segments is deleted: it stops at the first
    /// segment that has a newer record (the clock went back) or a held one,
    /// so that what remains is one continuous chain that [`verify`] accepts.
    pub fn prune(&mut self, before_ms: Millis, keep_from_seq: u64) -> Result<usize, RawError> {
        let current = self.segment.as_ref().map(|s| s.first_seq);
        let mut deleted = 0;
        let segs = format::list_segments(&self.dir)?;
        for (i, (seq, path)) in segs.iter().enumerate() {
            let seq = *seq;
            if Some(seq) == current || current.is_some_and(|c| seq > c) {
                break;
            }
            // Its records run up to the next segment's first seq.
            let next = segs.get(i + 1).map_or(self.next_seq, |s| s.0);
            if next > keep_from_seq {
                break;
            }
            let max = match self.closed_max.get(&seq) {
                Some(&m) => m,
                None => {
                    let m = read::max_received(path)?;
                    self.closed_max.insert(seq, m);
                    m
                }
            };
            if max.is_some_and(|m| m >= before_ms) {
                break;
            }
            fs::remove_file(path).map_err(|e| RawError::io(path, e))?;
            let _ = fs::remove_file(index::index_path(path));
            self.closed_max.remove(&seq);
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Closes the current segment (written out and synced) and starts the
    /// next one at `next_seq`, its header written out and synced.
    fn rotate(&mut self) -> Result<(), RawError> {
        if self.segment.is_some() {
            self.flush()?;
        }
        let seq = self.next_seq;
        let path = self.dir.join(format::segment_name(seq));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| RawError::io(&path, e))?;
        let header = format::header_line(seq, &self.prev);
        let next = Segment {
            first_seq: seq,
            path,
            file,
            bytes: header.len() as u64,
            header_pending: header.len() as u64,
            records: 0,
            day: None,
            max_received: None,
        };
        if let Some(old) = self.segment.replace(next) {
            self.closed_max.insert(old.first_seq, old.max_received);
            // The closed segment's index. Best effort: without it, an
            // export scans the segment instead (slower, same result).
            let next = self.index.next();
            let _ = std::mem::replace(&mut self.index, next).write(&old.path);
        } else {
            self.index = index::Builder::new();
        }
        self.last_offset = 0;
        self.buf.extend_from_slice(&header);
        self.flush()?;
        // Make the new file's name durable too.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| RawError::io(&self.dir, e))
    }

    /// Writes the buffer to the current segment. On error the bytes not
    /// written stay buffered (the file holds exactly those before them).
    fn write_out(&mut self) -> Result<(), RawError> {
        let Some(seg) = &mut self.segment else {
            return Ok(());
        };
        let mut written = 0;
        let result = loop {
            if written == self.buf.len() {
                break Ok(());
            }
            #[cfg(test)]
            if self.fail_writes.load(std::sync::atomic::Ordering::Relaxed) {
                break Err(io::Error::other("injected write failure (disk full)"));
            }
            match seg.file.write(&self.buf[written..]) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.drain(..written);
        seg.header_pending = seg.header_pending.saturating_sub(written as u64);
        result.map_err(|e| RawError::io(&seg.path, e))
    }
}

impl Drop for RawArchive {
    /// Writes out the buffer, best effort and without syncing (like
    /// `BufWriter`); call [`flush`](RawArchive::flush) to see errors.
    fn drop(&mut self) {
        let _ = self.write_out();
    }
}

/// All records of the archive in `dir`, oldest first, without checking the
/// chain (see [`verify`]). An error ends the iteration. An incomplete last
/// line of the newest segment (a write in progress) is not yielded.
pub fn records(dir: impl AsRef<Path>) -> Records {
    Records::new(dir.as_ref())
}

/// Checks the whole archive in `dir`: every segment's name and header, every
/// record's hash, consecutive seqs, and each header's `prev` against the
/// previous segment's last hash. Stops at the first break and reports it in
/// [`VerifyReport::broken`]; `Err` only for I/O errors.
pub fn verify(dir: impl AsRef<Path>) -> Result<VerifyReport, RawError> {
    read::verify_dir(dir.as_ref())
}
