//! ③④ The engine: vessel tracks in a spatial index, the detectors, and the
//! records and alerts they emit. Synchronous and free of I/O: the daemon
//! feeds it decoded messages and ticks, `replay` does the same from files,
//! and both get the same alerts because the clock is the data's.
//!
//! ```text
//! Decoded → Engine::apply → TrackStore (+ PositionIndex) → Detectors
//!        → Batch { positions, statics, heard, ticks, alerts }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod alert;
pub mod detect;
pub mod engine;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod record;
pub mod snapshot;
pub mod track;

/// Whether a table of `len` entries with room for `capacity` should give
/// its memory back: under a quarter full (a burst of vessels, millions of
/// MMSIs, must not keep its table for ever).
pub(crate) fn oversized(capacity: usize, len: usize) -> bool {
    capacity > 4 * len + 1024
}
