//! Parameter parsing: every failure is a 400 naming the parameter.

use chrono::DateTime;

use super::ApiError;
use crate::storage::BBox;
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::Millis;

/// Largest MMSI (nine digits).
const MAX_MMSI: u32 = 999_999_999;

/// A lon/lat box `min_lon,min_lat,max_lon,max_lat` in degrees;
/// `min_lon > max_lon` crosses the antimeridian.
pub(crate) fn bbox(param: &'static str, s: &str) -> Result<BBox, ApiError> {
    let bad = |m: &str| {
        ApiError::bad(
            param,
            format!("{m} (expected min_lon,min_lat,max_lon,max_lat in degrees, got {s:?})"),
        )
    };
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not four numbers"))?;
    let &[min_lon, min_lat, max_lon, max_lat] = v.as_slice() else {
        return Err(bad("not four numbers"));
    };
    if !valid_lon(min_lon) || !valid_lon(max_lon) {
        return Err(bad("longitudes must be within -180..180"));
    }
    if !valid_lat(min_lat) || !valid_lat(max_lat) {
        return Err(bad("latitudes must be within -90..90"));
    }
    if min_lat > max_lat {
        return Err(bad("min_lat must not be greater than max_lat"));
    }
    Ok(BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

/// A finite number.
pub(crate) fn number(param: &'static str, s: &str) -> Result<f64, ApiError> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ApiError::bad(param, format!("not a number: {s:?}"))),
    }
}

/// A longitude, degrees.
pub(crate) fn lon(param: &'static str, s: &str) -> Result<f64, ApiError> {
    let x = number(param, s)?;
    if valid_lon(x) {
        Ok(x)
    } else {
        Err(ApiError::bad(
            param,
            format!("longitude must be within -180..180, not {x}"),
        ))
    }
}

/// A latitude, degrees.
pub(crate) fn lat(param: &'static str, s: &str) -> Result<f64, ApiError> {
    let x = number(param, s)?;
    if valid_lat(x) {
        Ok(x)
    } else {
        Err(ApiError::bad(
            param,
            format!("latitude must be within -90..90, not {x}"),
        ))
    }
}

/// An RFC 3339 instant. A `+` offset that the query string turned into a
/// space is read as `+`.
pub(crate) fn time(param: &'static str, s: &str) -> Result<Millis, ApiError> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|e| {
            if s.contains(' ') {
                DateTime::parse_from_rfc3339(&s.replace(' ', "+"))
            } else {
                Err(e)
            }
        })
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::bad(
                param,
                format!("not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z): {s:?}"),
            )
        })
}

/// An MMSI: 1 to 9 digits, not zero.
pub(crate) fn mmsi(param: &'static str, s: &str) -> Result<Mmsi, ApiError> {
    let ok = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    match s.parse::<u32>() {
        Ok(m) if ok && m > 0 && m <= MAX_MMSI => Ok(Mmsi(m)),
        _ => Err(ApiError::bad(
            param,
            format!("not an MMSI (1 to 9 digits): {s:?}"),
        )),
    }
}

/// What a parameter holding a NUL character is told.
pub(crate) const NUL_MESSAGE: &str = "must not contain a NUL character (%00)";

/// A text parameter (a path segment: query parameters are checked as they
/// are read, see [`super::Params`]): any text but a NUL character, which no
/// text the store keeps can hold.
pub(crate) fn text<'a>(param: &'static str, s: &'a str) -> Result<&'a str, ApiError> {
    if s.contains('\0') {
        return Err(ApiError::bad(param, NUL_MESSAGE));
    }
    Ok(s)
}

/// A required parameter.
pub(crate) fn required<'a>(
    param: &'static str,
    v: &'a Option<String>,
) -> Result<&'a str, ApiError> {
    v.as_deref().ok_or_else(|| ApiError::bad(param, "required"))
}

fn valid_lon(x: f64) -> bool {
    (-180.0..=180.0).contains(&x)
}

fn valid_lat(x: f64) -> bool {
    (-90.0..=90.0).contains(&x)
}

/// `x` rounded to one decimal: what AIS measures (1/10 knot, 1/10 degree),
/// so an `f32` speed prints as `12.2`, never `12.199999809265137`.
pub(crate) fn tenth(x: f32) -> f64 {
    (f64::from(x) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_parameters() {
        let b = bbox("bbox", "170,-10,-170,10").unwrap();
        assert!(b.contains(179.0, 0.0) && !b.contains(0.0, 0.0));
        for s in ["1,2,3", "a,b,c,d", "0,0,200,1", "0,5,1,4", "0,-91,1,1"] {
            let e = bbox("bbox", s).unwrap_err().to_string();
            assert!(e.starts_with("bbox: "), "{e}");
        }
        assert_eq!(mmsi("mmsi", "123456789").unwrap(), Mmsi(123_456_789));
        assert!(mmsi("mmsi", "1234567890").is_err());
        assert!(mmsi("mmsi", "+12").is_err());
        assert!(mmsi("mmsi", "0").is_err());
        assert_eq!(
            time("from", "2024-05-01T12:00:00Z").unwrap(),
            1_714_564_800_000
        );
        assert_eq!(
            time("from", "2024-05-01T14:00:00 02:00").unwrap(),
            1_714_564_800_000
        );
        assert!(time("from", "yesterday")
            .unwrap_err()
            .to_string()
            .starts_with("from: "));
        assert!(lat("lat", "91").is_err() && lon("lon", "NaN").is_err());
        assert_eq!(text("id", "a:b").unwrap(), "a:b");
        assert!(text("id", "a\0b")
            .unwrap_err()
            .to_string()
            .starts_with("id: "));
        assert_eq!(tenth(12.2_f32).to_string(), "12.2");
    }
}
