//! Reading recorded input files for `decode` and `replay`: plain or `.gz`
//! files, or `-` for stdin, split into lines with a cap on line length so
//! that a file of binary junk can neither stall nor exhaust memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::ingest::MAX_LINE_BYTES;

/// Opens `path` for reading: `-` is stdin; a `.gz` name, or a file that starts
/// with the gzip magic bytes, is decompressed (multi-member archives too).
pub fn open_input(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    const BUF: usize = 256 * 1024;
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::with_capacity(BUF, io::stdin())));
    }
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let f = File::open(path)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(BUF, f));
        Ok(Box::new(BufReader::with_capacity(BUF, gz)))
    } else {
        Ok(Box::new(BufReader::with_capacity(BUF, f)))
    }
}

/// Calls `f` with each line (without `\r\n`), in order. A line longer than
/// [`MAX_LINE_BYTES`] is passed cut to that length (the decoder rejects it)
/// and its remainder skipped. Returns the number of lines.
pub fn for_each_line(mut r: impl BufRead, mut f: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut n = 0u64;
    let mut partial: Vec<u8> = Vec::new();
    let mut skipping = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !partial.is_empty() {
                n += 1;
                f(trim_cr(&partial));
            }
            return Ok(n);
        }
        let len = buf.len();
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
            let line = &buf[start..start + i];
            if skipping {
                skipping = false;
            } else if partial.is_empty() {
                n += 1;
                f(trim_cr(line));
            } else {
                let take = (MAX_LINE_BYTES - partial.len()).min(line.len());
                partial.extend_from_slice(&line[..take]);
                n += 1;
                f(trim_cr(&partial));
                partial.clear();
            }
            start += i + 1;
        }
        if !skipping && start < len {
            let rest = &buf[start..];
            let take = (MAX_LINE_BYTES - partial.len()).min(rest.len());
            partial.extend_from_slice(&rest[..take]);
            if partial.len() >= MAX_LINE_BYTES {
                n += 1;
                f(&partial);
                partial.clear();
                skipping = true;
            }
        }
        r.consume(len);
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_caps_and_keeps_neighbours() {
        let mut input = b"a\r\nb\n".to_vec();
        input.extend(std::iter::repeat(b'x').take(MAX_LINE_BYTES * 3));
        input.extend_from_slice(b"\nc\nd");
        let mut got: Vec<Vec<u8>> = Vec::new();
        // A tiny buffer exercises lines that span reads.
        let r = BufReader::with_capacity(7, &input[..]);
        let n = for_each_line(r, |l| got.push(l.to_vec())).unwrap();
        assert_eq!(n, 5);
        assert_eq!(got[0], b"a");
        assert_eq!(got[1], b"b");
        assert_eq!(got[2].len(), MAX_LINE_BYTES);
        assert_eq!(got[3], b"c");
        assert_eq!(got[4], b"d");
    }
}
