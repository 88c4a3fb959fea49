//! aiswatch: a maritime vessel-tracking anomaly-detection daemon.
//!
//! The pipeline, in the order data flows:
//!
//! ```text
//! ingest (sources) → decode (framing, tag blocks, reassembly, AIS bits)
//!   → engine (dedup, vessel tracks + spatial index, detectors) → alerts → sinks
//! ```
//!
//! Storage and the HTTP API sit beside the engine. One [`engine::Engine`]
//! serves both the live daemon and `aiswatch replay`; its clock is the data's.
#![forbid(unsafe_code)]

pub mod alert;
pub mod api;
pub mod app;
pub mod config;
pub mod decode;
pub mod detect;
pub mod engine;
pub mod evidence;
pub mod history;
pub mod ids;
pub mod ingest;
pub mod lifecycle;
pub mod metrics;
pub mod replay;
pub mod sim;
pub mod snapshot;
pub mod storage;
pub mod time;
pub mod track;
pub mod zones;
