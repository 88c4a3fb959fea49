//! The bundle as a zip file: written with fixed timestamps (the export time
//! is in the manifest), read back strictly (no duplicate or unsafe names).

use std::io::{Read, Write};

use zip::result::ZipError;
use zip::write::SimpleFileOptions;

use super::EvidenceError;

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
    /// An entry cannot be opened.
    #[error("entry {index}: {error}")]
    Entry {
        /// Its 0-based index.
        index: usize,
        /// Why.
        error: ZipError,
    },
    /// An absolute path or one with `..`.
    #[error("{0}: unsafe path")]
    UnsafePath(String),
    /// A path present twice.
    #[error("{0}: appears twice")]
    Twice(String),
    /// An entry over 1 GiB.
    #[error("{0}: larger than 1 GiB")]
    TooLarge(String),
    /// Reading an entry failed (a damaged zip fails its CRC check here).
    #[error("{entry}: {error}")]
    ReadEntry {
        /// The entry's path.
        entry: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Largest file accepted in a bundle being read (a zip bomb stops here).
const MAX_ENTRY_BYTES: u64 = 1 << 30;

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

    /// Reads a zip file. Errors name the entry that could not be read
    /// (a damaged zip fails its CRC check here).
    pub fn from_zip(bytes: &[u8]) -> Result<Bundle, EvidenceError> {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| EvidenceError::Zip(ZipProblem::Unreadable(e)))?;
        let mut b = Bundle::default();
        for i in 0..z.len() {
            let mut f = z
                .by_index(i)
                .map_err(|error| EvidenceError::Zip(ZipProblem::Entry { index: i, error }))?;
            let name = f.name().to_owned();
            if f.is_dir() {
                continue;
            }
            if name.starts_with('/') || name.split('/').any(|c| c == "..") {
                return Err(EvidenceError::Zip(ZipProblem::UnsafePath(name)));
            }
            if b.get(&name).is_some() {
                return Err(EvidenceError::Zip(ZipProblem::Twice(name)));
            }
            if f.size() > MAX_ENTRY_BYTES {
                return Err(EvidenceError::Zip(ZipProblem::TooLarge(name)));
            }
            let mut data = Vec::with_capacity(f.size() as usize);
            (&mut f)
                .take(MAX_ENTRY_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|error| {
                    EvidenceError::Zip(ZipProblem::ReadEntry {
                        entry: name.clone(),
                        error,
                    })
                })?;
            b.entries.push((name, data));
        }
        Ok(b)
    }
}
