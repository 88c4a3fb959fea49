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

pub mod api;
pub mod app;
pub mod audit;
pub mod cluster;
pub mod config;
pub mod deliver;
pub mod evidence;
pub mod federation;
pub mod ingest;
pub mod lifecycle;
pub mod live_zones;
pub mod localize;
pub mod metrics;
pub mod pipeline;
pub mod preview;
pub mod replay;
pub mod secret;
pub mod storage;
