//! The vocabulary every aiswatch crate shares: typed ids ([`ids::Mmsi`],
//! [`ids::AlertId`], [`ids::CentreId`]), event time ([`time::Millis`]) and
//! the seeded generator the simulator and tests draw from.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod ids;
pub mod rng;
pub mod time;

pub use ids::{AlertId, CentreId, Mmsi};
pub use time::Millis;
