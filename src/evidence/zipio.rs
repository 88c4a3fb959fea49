//! The bundle as a zip file: written with fixed timestamps (the export time
//! is in the manifest), read back strictly (no duplicate or unsafe names).

use std::io::{Read, Write};

use zip::write::SimpleFileOptions;

use super::EvidenceError;

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
        let zerr = |e: zip::result::ZipError| EvidenceError::Zip(e.to_string());
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::DEFAULT)
            .unix_permissions(0o644);
        for (path, bytes) in &self.entries {
            w.start_file(path.as_str(), opts).map_err(zerr)?;
            w.write_all(bytes)
                .map_err(|e| EvidenceError::Zip(format!("{path}: {e}")))?;
        }
        Ok(w.finish().map_err(zerr)?.into_inner())
    }

    /// Reads a zip file. Errors name the entry that could not be read
    /// (a damaged zip fails its CRC check here).
    pub fn from_zip(bytes: &[u8]) -> Result<Bundle, EvidenceError> {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| EvidenceError::Zip(format!("not a readable zip file: {e}")))?;
        let mut b = Bundle::default();
        for i in 0..z.len() {
            let mut f = z
                .by_index(i)
                .map_err(|e| EvidenceError::Zip(format!("entry {i}: {e}")))?;
            let name = f.name().to_owned();
            if f.is_dir() {
                continue;
            }
            if name.starts_with('/') || name.split('/').any(|c| c == "..") {
                return Err(EvidenceError::Zip(format!("{name}: unsafe path")));
            }
            if b.get(&name).is_some() {
                return Err(EvidenceError::Zip(format!("{name}: appears twice")));
            }
            if f.size() > MAX_ENTRY_BYTES {
                return Err(EvidenceError::Zip(format!("{name}: larger than 1 GiB")));
            }
            let mut data = Vec::with_capacity(f.size() as usize);
            (&mut f)
                .take(MAX_ENTRY_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|e| EvidenceError::Zip(format!("{name}: {e}")))?;
            b.entries.push((name, data));
        }
        Ok(b)
    }
}
