//! The task loops around the synchronous crates: decode (②) and the engine
//! (③④). `app` spawns them and wires their channels; each ends when its
//! input closes (or, for the engine, at shutdown), dropping its outputs so
//! the next stage drains in turn.

pub mod decode;
pub mod engine;

use crate::ingest::SourceId;
use aiswatch_decode::Decoded;

/// Messages decoded from one [`crate::ingest::LineBatch`], for the engine.
#[derive(Debug)]
pub struct MessageBatch {
    /// The source the lines came from.
    pub source: SourceId,
    /// The messages, in order.
    pub messages: Vec<Decoded>,
    /// The line batch's position in the cluster's line stream, if it came
    /// from there (see [`crate::ingest::LineBatch::position`]).
    pub position: Option<u64>,
}
