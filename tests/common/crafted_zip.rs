//! Zips built to deceive a verifier: a zip as any tool writes it, then a
//! member renamed in place or its declared size changed. Shared by the
//! evidence unit tests (`src/evidence/zip_tests.rs`) and `tests/evidence.rs`.

/// A zip of `entries` (deflated), as any zip tool would write it.
pub fn zip_of<'a>(entries: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// `zip` with every occurrence of `from` (a name, in local headers and
/// the central directory) replaced by `to`, of the same length.
pub fn renamed(mut zip: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut i = 0;
    while i + from.len() <= zip.len() {
        if &zip[i..i + from.len()] == from.as_bytes() {
            zip[i..i + from.len()].copy_from_slice(to.as_bytes());
        }
        i += 1;
    }
    zip
}

/// `zip` with the uncompressed size its central directory states for
/// `name` set to `size` (nothing is inflated to check it).
pub fn declared(mut zip: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
    let at = (0..zip.len() - 46)
        .rev()
        .find(|&i| &zip[i..i + 4] == b"PK\x01\x02" && zip[i + 46..].starts_with(name.as_bytes()))
        .unwrap();
    zip[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    zip
}
