//! The task loops around the synchronous crates: decode (②) and the engine
//! (③④). `app` spawns them and wires their channels; each ends when its
//! input closes (or, for the engine, at shutdown), dropping its outputs so
//! the next stage drains in turn.

pub mod decode;
pub mod engine;
