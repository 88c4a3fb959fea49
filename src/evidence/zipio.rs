//! The bundle as a zip file: written with fixed timestamps (the export time
//! is in the manifest), read back strictly, as a file from untrusted hands.
//!
//! # Reading
//!
//! Before any member is read, the zip's own end record and central
//! directory are walked: more than [`Limits::max_members`] entries, a name
//! present twice (zip readers differ on which copy they show, so a forged
//! copy placed first would be what a person opens), or a name that is not
//! a file of a bundle is refused, naming the member. The sizes the zip
//! declares are then held against [`Limits`] (per member, in all, and for
//! the few files verification keeps in memory), and only then is each
//! member streamed through SHA-256: a member that inflates past its
//! declared size is cut off there. The work is linear in the zip's size.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;

use super::manifest::files;
use super::{key, EvidenceError};

/// Why a bundle's zip file could not be written or read; a damaged zip
/// names the entry. The cause is part of the message (not also a
/// `source`), as `evidence verify` prints it as one finding.
#[derive(Debug, thiserror::Error)]
pub enum ZipProblem {
    /// Writing the zip failed.
    #[error("{0}")]
    Write(ZipError),
    /// Writing one entry failed.
    #[error("{entry}: {error}")]
    WriteEntry {
        /// The entry's path.
        entry: String,
        /// Why.
        error: std::io::Error,
    },
    /// The bytes are not a zip file.
    #[error("not a readable zip file: {0}")]
    Unreadable(ZipError),
    /// The zip's end record or central directory does not hold together.
    #[error("not a readable zip file: {0}")]
    Malformed(String),
    /// Reading the zip file itself failed.
    #[error("cannot read the zip file: {0}")]
    Io(std::io::Error),
    /// More entries than a bundle may have.
    #[error("{count} entries in the zip, more than the {max} a bundle may hold")]
    TooMany {
        /// Entries the central directory states.
        count: u64,
        /// [`Limits::max_members`].
        max: u64,
    },
    /// An entry cannot be opened.
    #[error("entry {index}: {error}")]
    Entry {
        /// Its 0-based index.
        index: usize,
        /// Why.
        error: ZipError,
    },
    /// A path present twice.
    #[error("{0}: appears twice in the zip (readers differ on which copy they show)")]
    Twice(String),
    /// A path that is not a file of a bundle.
    #[error("{0}: not a file of an evidence bundle")]
    Unexpected(String),
    /// The zip library and the central directory disagree on the entries.
    #[error("not a readable zip file: entry {index} ({name}) reads differently in its central directory")]
    Inconsistent {
        /// Its 0-based index.
        index: usize,
        /// Its name in the central directory.
        name: String,
    },
    /// An entry larger than [`Limits::max_member_bytes`].
    #[error("{entry}: {bytes} bytes, more than the {max} a bundle's file may have")]
    TooLarge {
        /// The entry's path.
        entry: String,
        /// Its size as the zip declares it.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Entries larger together than [`Limits::max_total_bytes`].
    #[error("{bytes} bytes in all when inflated, more than the {max} a bundle may have")]
    TotalTooLarge {
        /// Their sizes as the zip declares them, summed.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The files verification keeps in memory, larger together than
    /// [`Limits::max_held_bytes`].
    #[error("{} together hold {bytes} bytes, more than the {max} verification reads", files::HELD.join(", "))]
    HeldTooLarge {
        /// Their sizes as the zip declares them, summed.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// An entry inflates to more bytes than the zip declares.
    #[error("{entry}: inflates to more than the {declared} bytes the zip declares")]
    Inflates {
        /// The entry's path.
        entry: String,
        /// Its declared size.
        declared: u64,
    },
    /// Reading an entry failed (a damaged zip fails its CRC check here).
    #[error("{entry}: {error}")]
    ReadEntry {
        /// The entry's path.
        entry: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Bounds on a bundle being read. The defaults leave room for bundles of
/// several hundred thousand raw lines; what a bundle holds beyond them is
/// refused before it is inflated, so reading one stays within a few
/// hundred MB of memory whatever the zip says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the central directory (a bundle has 13).
    pub max_members: u64,
    /// Bytes of one member, inflated.
    pub max_member_bytes: u64,
    /// Bytes of all members together, inflated.
    pub max_total_bytes: u64,
    /// Bytes of the members verification keeps in memory ([`files::HELD`]:
    /// the manifest, signature, key, raw lines and positions) together.
    pub max_held_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_members: 64,
            max_member_bytes: 1 << 30,
            max_total_bytes: 2 << 30,
            max_held_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// Checks members of `(path, bytes)` against the limits: each, all,
    /// and those of [`files::HELD`].
    pub fn admit<'a>(
        &self,
        members: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<(), ZipProblem> {
        let (mut total, mut held) = (0u64, 0u64);
        for (path, bytes) in members {
            if bytes > self.max_member_bytes {
                return Err(ZipProblem::TooLarge {
                    entry: path.to_owned(),
                    bytes,
                    max: self.max_member_bytes,
                });
            }
            total = total.saturating_add(bytes);
            if files::HELD.contains(&path) {
                held = held.saturating_add(bytes);
            }
        }
        if total > self.max_total_bytes {
            return Err(ZipProblem::TotalTooLarge {
                bytes: total,
                max: self.max_total_bytes,
            });
        }
        if held > self.max_held_bytes {
            return Err(ZipProblem::HeldTooLarge {
                bytes: held,
                max: self.max_held_bytes,
            });
        }
        Ok(())
    }
}

/// One member of a zip as read: its path, length and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Path in the zip.
    pub path: String,
    /// Bytes read (inflated).
    pub bytes: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
}

/// Which members' bytes a read keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// All of them.
    All,
    /// Only [`files::HELD`] (the rest are hashed and dropped).
    Held,
}

/// A bundle's files, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// (path in the zip, bytes).
    pub entries: Vec<(String, Vec<u8>)>,
}

impl Bundle {
    /// The bytes of the file at `path`, if there is one.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.as_slice())
    }

    /// Adds (or replaces) a file.
    pub fn put(&mut self, path: &str, bytes: Vec<u8>) {
        match self.entries.iter_mut().find(|(p, _)| p == path) {
            Some(e) => e.1 = bytes,
            None => self.entries.push((path.to_owned(), bytes)),
        }
    }

    /// The zip file.
    pub fn to_zip(&self) -> Result<Vec<u8>, EvidenceError> {
        let zerr = |e: ZipError| EvidenceError::Zip(ZipProblem::Write(e));
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::DEFAULT)
            .unix_permissions(0o644);
        for (path, bytes) in &self.entries {
            w.start_file(path.as_str(), opts).map_err(zerr)?;
            w.write_all(bytes).map_err(|error| {
                EvidenceError::Zip(ZipProblem::WriteEntry {
                    entry: path.clone(),
                    error,
                })
            })?;
        }
        Ok(w.finish().map_err(zerr)?.into_inner())
    }

    /// Reads a zip file whole, within the default [`Limits`]. Errors name
    /// the entry that could not be read (a damaged zip fails its CRC check
    /// here).
    pub fn from_zip(bytes: &[u8]) -> Result<Bundle, EvidenceError> {
        Self::from_zip_within(bytes, &Limits::default())
    }

    /// [`Bundle::from_zip`] within `limits`.
    pub fn from_zip_within(bytes: &[u8], limits: &Limits) -> Result<Bundle, EvidenceError> {
        read(std::io::Cursor::new(bytes), limits, Keep::All)
            .map(|(_, b)| b)
            .map_err(EvidenceError::Zip)
    }
}

/// Reads a zip: its directory checked first (see the module doc), then
/// every member streamed through SHA-256, the bytes of those `keep` says
/// kept in the [`Bundle`].
pub(super) fn read<R: Read + Seek>(
    mut r: R,
    limits: &Limits,
    keep: Keep,
) -> Result<(Vec<Member>, Bundle), ZipProblem> {
    let dir = directory(&mut r, limits)?;
    let mut z = zip::ZipArchive::new(r).map_err(ZipProblem::Unreadable)?;
    // The library keeps one entry per name; the directory walked above
    // holds no name twice, so both must list the same entries.
    if z.len() != dir.names.len() {
        return Err(ZipProblem::Malformed(format!(
            "{} entries, {} in its central directory",
            z.len(),
            dir.names.len()
        )));
    }
    if z.central_directory_start() != dir.start {
        return Err(ZipProblem::Malformed(
            "two central directories (the one read is not the one the end record states)".into(),
        ));
    }
    let mut sizes = Vec::with_capacity(dir.names.len());
    let mut spans = Vec::with_capacity(dir.names.len());
    for (index, name) in dir.names.iter().enumerate() {
        if z.name_for_index(index) != Some(name.as_str()) {
            return Err(ZipProblem::Inconsistent {
                index,
                name: name.clone(),
            });
        }
        let f = z
            .by_index_raw(index)
            .map_err(|error| ZipProblem::Entry { index, error })?;
        sizes.push(if f.is_dir() { None } else { Some(f.size()) });
        let end = f
            .data_start()
            .and_then(|d| d.checked_add(f.compressed_size()))
            .ok_or_else(|| ZipProblem::Inconsistent {
                index,
                name: name.clone(),
            })?;
        spans.push((f.header_start(), end, dir.descriptor[index]));
    }
    tiled(spans, dir.start)?;
    limits.admit(
        dir.names
            .iter()
            .zip(&sizes)
            .filter_map(|(n, s)| s.map(|s| (n.as_str(), s))),
    )?;
    let mut members = Vec::with_capacity(dir.names.len());
    let mut b = Bundle::default();
    let mut buf = vec![0u8; 64 * 1024];
    for (index, (name, size)) in dir.names.iter().zip(sizes).enumerate() {
        let Some(declared) = size else { continue };
        let kept = keep == Keep::All || files::HELD.contains(&name.as_str());
        let mut f = z
            .by_index(index)
            .map_err(|error| ZipProblem::Entry { index, error })?;
        let mut data = if kept {
            // `declared` is within the limits checked above.
            Vec::with_capacity(usize::try_from(declared).unwrap_or(0))
        } else {
            Vec::new()
        };
        let mut h = Sha256::new();
        let mut n = 0u64;
        let mut limited = (&mut f).take(declared.saturating_add(1));
        loop {
            let k = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(ZipProblem::ReadEntry {
                        entry: name.clone(),
                        error,
                    })
                }
            };
            n += k as u64;
            if n > declared {
                return Err(ZipProblem::Inflates {
                    entry: name.clone(),
                    declared,
                });
            }
            h.update(&buf[..k]);
            if kept {
                data.extend_from_slice(&buf[..k]);
            }
        }
        members.push(Member {
            path: name.clone(),
            bytes: n,
            sha256: key::hex(&h.finalize()),
        });
        if kept {
            b.entries.push((name.clone(), data));
        }
    }
    Ok((members, b))
}

/// Checks that the entries' local headers and data (`(header start, data
/// end, followed by a data descriptor)`) cover the zip from its first byte
/// to its central directory with no byte left over or shared: a file
/// hidden between them (which a reader that walks the local headers would
/// show) is refused.
fn tiled(mut spans: Vec<(u64, u64, bool)>, dir_start: u64) -> Result<(), ZipProblem> {
    spans.sort_unstable();
    // Where the entry before ends, and whether a data descriptor (an
    // optional signature, the CRC and two sizes of 4 or 8 bytes each)
    // follows it.
    let (mut at, mut descriptor) = (0u64, false);
    for next in spans
        .into_iter()
        .map(|(start, end, d)| (start, Some((end, d))))
        .chain([(dir_start, None)])
    {
        let (start, then) = next;
        let fits = match start.checked_sub(at) {
            Some(0) => true,
            Some(12 | 16 | 20 | 24) => descriptor,
            _ => false,
        };
        if !fits {
            return Err(ZipProblem::Malformed(format!(
                "bytes {at} to {start} of the zip belong to no entry of its central directory, or to two (a hidden file?)"
            )));
        }
        if let Some((end, d)) = then {
            (at, descriptor) = (end, d);
        }
    }
    Ok(())
}

/// The central directory as the zip's end record states it.
struct Directory {
    /// Offset of the central directory.
    start: u64,
    /// Its entries' names, in order; none twice, each a bundle's.
    names: Vec<String>,
    /// Whether each entry's data is followed by a data descriptor.
    descriptor: Vec<bool>,
}

const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD64_LOCATOR: &[u8; 4] = b"PK\x06\x07";
const EOCD64: &[u8; 4] = b"PK\x06\x06";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
/// The end record's length without its comment.
const EOCD_LEN: usize = 22;
/// A central directory header's length without its name, extra field and comment.
const CENTRAL_LEN: usize = 46;

fn u16_at(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: usize) -> Result<Vec<u8>, ZipProblem> {
    let mut b = vec![0u8; len];
    r.seek(SeekFrom::Start(at)).map_err(ZipProblem::Io)?;
    r.read_exact(&mut b).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ZipProblem::Malformed(format!("{len} bytes at offset {at} run past the end"))
        } else {
            ZipProblem::Io(e)
        }
    })?;
    Ok(b)
}

/// Walks the end record (zip64 too) and the central directory: the entry
/// count is checked before the directory is read, each name before the
/// next is.
fn directory<R: Read + Seek>(r: &mut R, limits: &Limits) -> Result<Directory, ZipProblem> {
    let len = r.seek(SeekFrom::End(0)).map_err(ZipProblem::Io)?;
    let tail_len = len.min((EOCD_LEN + usize::from(u16::MAX)) as u64);
    let tail_at = len - tail_len;
    let tail = read_at(r, tail_at, tail_len as usize)?;
    // The last end record whose comment reaches exactly to the end.
    let at = (0..=tail.len().saturating_sub(EOCD_LEN))
        .rev()
        .find(|&i| {
            tail.len() >= i + EOCD_LEN
                && &tail[i..i + 4] == EOCD
                && i + EOCD_LEN + u16_at(&tail, i + 20) as usize == tail.len()
        })
        .ok_or_else(|| ZipProblem::Malformed("no end of central directory record".into()))?;
    let eocd_at = tail_at + at as u64;
    let e = &tail[at..];
    let (mut count, mut size, mut start) = (u16_at(e, 10), u32_at(e, 12), u32_at(e, 16));
    let mut dir_end = eocd_at;
    if count == 0xFFFF || size == 0xFFFF_FFFF || start == 0xFFFF_FFFF {
        let loc_at = eocd_at
            .checked_sub(20)
            .ok_or_else(|| ZipProblem::Malformed("no zip64 end record locator".into()))?;
        let loc = read_at(r, loc_at, 20)?;
        if &loc[..4] != EOCD64_LOCATOR {
            return Err(ZipProblem::Malformed("no zip64 end record locator".into()));
        }
        let z64_at = u64_at(&loc, 8);
        if z64_at.checked_add(56).is_none_or(|end| end > loc_at) {
            return Err(ZipProblem::Malformed(
                "the zip64 end record is not before its locator".into(),
            ));
        }
        let z = read_at(r, z64_at, 56)?;
        if &z[..4] != EOCD64 {
            return Err(ZipProblem::Malformed("no zip64 end record".into()));
        }
        (count, size, start) = (u64_at(&z, 32), u64_at(&z, 40), u64_at(&z, 48));
        dir_end = z64_at;
    }
    if count > limits.max_members {
        return Err(ZipProblem::TooMany {
            count,
            max: limits.max_members,
        });
    }
    // Every header is at most 46 bytes and three 16-bit lengths.
    let most = count * (CENTRAL_LEN as u64 + 3 * u64::from(u16::MAX));
    if size > most || start.checked_add(size).is_none_or(|end| end > dir_end) {
        return Err(ZipProblem::Malformed(format!(
            "central directory of {size} bytes at offset {start} does not fit its {count} entries before its end record"
        )));
    }
    let cd = read_at(r, start, size as usize)?;
    let mut names = Vec::with_capacity(count as usize);
    let mut descriptor = Vec::with_capacity(count as usize);
    let mut seen = HashSet::new();
    let mut p = 0usize;
    for index in 0..count as usize {
        if cd.len() < p + CENTRAL_LEN || &cd[p..p + 4] != CENTRAL {
            return Err(ZipProblem::Malformed(format!(
                "central directory entry {index} is not where the one before it ends"
            )));
        }
        let (n, x, c) = (
            u16_at(&cd, p + 28) as usize,
            u16_at(&cd, p + 30) as usize,
            u16_at(&cd, p + 32) as usize,
        );
        let name_at = p + CENTRAL_LEN;
        let Some(raw) = cd.get(name_at..name_at + n) else {
            return Err(ZipProblem::Malformed(format!(
                "central directory entry {index} runs past the directory"
            )));
        };
        let name = String::from_utf8_lossy(raw).into_owned();
        if !files::known(&name) {
            return Err(ZipProblem::Unexpected(name));
        }
        if !seen.insert(name.clone()) {
            return Err(ZipProblem::Twice(name));
        }
        names.push(name);
        descriptor.push(u16_at(&cd, p + 8) & 0x08 != 0);
        p = name_at + n + x + c;
    }
    if p != cd.len() {
        return Err(ZipProblem::Malformed(format!(
            "{} bytes in the central directory after its {count} entries",
            cd.len().saturating_sub(p)
        )));
    }
    Ok(Directory {
        start,
        names,
        descriptor,
    })
}
