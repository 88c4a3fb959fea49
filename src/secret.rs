//! A secret from the configuration (a bearer token, a webhook signing
//! secret, a broker password), shared by the components that read one.

use serde::Deserialize;

/// A bearer token. Never printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}
