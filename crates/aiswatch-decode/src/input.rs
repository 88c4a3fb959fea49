//! Opening inputs: files, gzip archives and stdin, read line by line by
//! the file sources, `replay` and the history readers.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// Longest line a source passes on whole; longer lines are cut to this length
/// (the decoder then rejects them as `too_long`) and the rest up to the next
/// newline is skipped, so a runaway line can never stall or exhaust memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Read buffer size, for the file and for gzip's output.
const BUF_BYTES: usize = 64 * 1024;

/// Opens `path` for fast buffered reading: `-` is stdin; a name ending in
/// `.gz` (any case), or a file that starts with the gzip magic bytes, is
/// decompressed (concatenated gzip members included, as written by
/// `cat a.gz b.gz` or log rotation); anything else is read as is.
///
/// # Errors
/// Those of [`File::open`]. A corrupt or truncated `.gz` is reported by the
/// reads, not here.
pub fn open_reader(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(BUF_BYTES, io::stdin())));
    }
    let mut raw = BufReader::with_capacity(BUF_BYTES, File::open(path)?);
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if named_gz || raw.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            BUF_BYTES,
            MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(raw))
    }
}
