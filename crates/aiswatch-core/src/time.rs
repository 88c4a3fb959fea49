//! Event time. Internally every instant is milliseconds since the Unix epoch
//! (UTC): cheap to compare and to carry on every message. Conversions to
//! `chrono` happen only at the edges (JSON, logs).

use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// Milliseconds in a second.
pub const MS_PER_S: Millis = 1000;

/// Longest duration any setting (config key or zone threshold) accepts:
/// 100 years. Far below where milliseconds overflow a [`Millis`] (~292
/// million years), so a time plus any configured duration stays exact.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(100 * 31_557_600);

/// The wall clock, in [`Millis`]. Only sources call this (arrival time).
pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// Converts [`Millis`] to a `DateTime<Utc>`; out-of-range values clamp to the epoch.
pub fn to_datetime(ms: Millis) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// RFC 3339 with millisecond precision and a `Z` suffix.
pub fn rfc3339(ms: Millis) -> String {
    to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Interprets a Unix epoch number as seconds or milliseconds by its size.
///
/// Receivers send either (`c:1334337317` or `c:1662052384000`). Anything
/// before 1990 or after 2100 in both readings is rejected.
pub fn epoch_to_ms(v: u64) -> Option<Millis> {
    const MIN_S: u64 = 631_152_000; // 1990-01-01
    const MAX_S: u64 = 4_102_444_800; // 2100-01-01
    if (MIN_S..MAX_S).contains(&v) {
        Some(v as Millis * 1000)
    } else if (MIN_S * 1000..MAX_S * 1000).contains(&v) {
        Some(v as Millis)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_and_millis() {
        assert_eq!(epoch_to_ms(1_334_337_317), Some(1_334_337_317_000));
        assert_eq!(epoch_to_ms(1_327_992_119_157), Some(1_327_992_119_157));
        assert_eq!(epoch_to_ms(12), None);
        assert_eq!(rfc3339(1_334_337_317_000), "2012-04-13T17:15:17.000Z");
    }
}

/// Serde helpers writing [`Millis`] as RFC 3339 strings.
pub mod serde_rfc3339 {
    use super::{rfc3339, Millis};

    /// Serializes an instant.
    pub fn serialize<S: serde::Serializer>(t: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(*t))
    }

    /// Serializes an optional instant (`null` when absent).
    pub fn option<S: serde::Serializer>(t: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    /// Reads an instant written by [`serialize`].
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        parse(&text)
    }

    /// Reads an optional instant written by [`option`].
    pub fn option_deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Millis>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>> as serde::Deserialize>::deserialize(d)?;
        text.map(|t| parse(&t)).transpose()
    }

    fn parse<E: serde::de::Error>(text: &str) -> Result<Millis, E> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp_millis())
            .map_err(|e| E::custom(format_args!("instant {text:?}: {e}")))
    }
}
