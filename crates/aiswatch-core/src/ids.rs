//! Typed identifiers: an alert id, a zone id, a regional centre id and an
//! MMSI are all "a string or a number" on the wire, but never
//! interchangeable in the code.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A Maritime Mobile Service Identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mmsi(pub u32);

impl fmt::Display for Mmsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:09}", self.0)
    }
}

/// A regional centre's id, as declared in `[[centres]]` and named by zones
/// in their `centre` property (e.g. `MDAT-GoG`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CentreId(pub Arc<str>);

/// A zone's id, unique across the loaded zone files (its `id` property,
/// e.g. `gog-patrol`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZoneId(pub Arc<str>);

/// An alert's id: stable for the event's life and built from the data
/// only (`kind:zone:mmsi[-mmsi]:start-unix-seconds`), so a replay gives the
/// ids live gave and a restart continues them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(pub Arc<str>);

macro_rules! string_id {
    ($t:ident) => {
        impl $t {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<&str> for $t {
            fn from(s: &str) -> Self {
                $t(s.into())
            }
        }
        impl From<String> for $t {
            fn from(s: String) -> Self {
                $t(s.into())
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, o: &str) -> bool {
                &*self.0 == o
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, o: &&str) -> bool {
                &*self.0 == *o
            }
        }
        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(CentreId);
string_id!(ZoneId);
string_id!(AlertId);
