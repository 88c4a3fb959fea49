//! aiswatch's decode, history and zones modules, from the root crate's
//! source files, for the fuzz build (see Cargo.toml).
#![forbid(unsafe_code)]

#[path = "../../../src/decode/mod.rs"]
pub mod decode;
#[path = "../../../src/history/mod.rs"]
pub mod history;
#[path = "../../../src/ids.rs"]
pub mod ids;
#[path = "../../../src/time.rs"]
pub mod time;
#[path = "../../../src/zones/mod.rs"]
pub mod zones;

/// What the history reader takes from `aiswatch::ingest`.
pub mod ingest {
    /// As `aiswatch::ingest::MAX_LINE_BYTES` (`tests/fuzz_corpus.rs` runs
    /// the real one over the same corpora).
    pub const MAX_LINE_BYTES: usize = 16 * 1024;
}

/// What the history reader takes from `aiswatch::replay`.
pub mod replay {
    use std::io::{self, BufRead, BufReader};
    use std::path::Path;

    /// Opens a plain file. The fuzz targets only use
    /// `HistoryReader::from_reader`; gzip and stdin are the daemon's.
    pub fn open_input(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
        Ok(Box::new(BufReader::new(std::fs::File::open(path)?)))
    }
}

/// `aiswatch::ids` re-exports `track::Mmsi`; nothing fuzzed uses it.
pub mod track {
    /// A Maritime Mobile Service Identity (as `aiswatch::track::Mmsi`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
    #[serde(transparent)]
    pub struct Mmsi(pub u32);
}
