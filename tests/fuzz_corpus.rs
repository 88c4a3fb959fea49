//! Replays every fuzz corpus file (`fuzz/corpus/<target>/`) through the
//! same entry points as the fuzz targets (`fuzz/src/lib.rs`, included here),
//! with the same invariants and allocation bounds, so regressions are caught
//! on stable Rust without a fuzzer. Files found by fuzzing that crashed are
//! kept in the corpora as regression entries.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_entries;

use std::path::Path;

#[global_allocator]
static ALLOC: fuzz_entries::alloc::Counting = fuzz_entries::alloc::Counting;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty corpus", dir.display());
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // Name the file if the entry panics.
        let res = std::panic::catch_unwind(|| entry(&data));
        assert!(
            res.is_ok(),
            "{target}: {} failed (see the panic above)",
            f.display()
        );
    }
}

#[test]
fn sentence_corpus() {
    replay("sentence", fuzz_entries::sentence);
}

#[test]
fn ais_corpus() {
    replay("ais", fuzz_entries::ais);
}

#[test]
fn decoder_corpus() {
    replay("decoder", fuzz_entries::decoder);
}

#[test]
fn assemble_corpus() {
    replay("assemble", fuzz_entries::assemble);
}

#[test]
fn history_corpus() {
    replay("history", fuzz_entries::history);
}

#[test]
fn zones_corpus() {
    replay("zones", fuzz_entries::zones);
}
