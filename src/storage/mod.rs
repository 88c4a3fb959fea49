//! Storage: so far only the raw line archive.

pub mod raw;
