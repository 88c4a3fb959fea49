//! Column classification and value parsing: header names → [`Cols`], and
//! the text of one field → a number, a status, a ship type or a time.
//!
//! Times are parsed with `chrono`. The accepted shapes are checked on the
//! bytes first (exact digit counts, `T`/space separator), because chrono's
//! numeric items are lenient (one-digit months, leading blanks).

use chrono::format::{parse_and_remainder, Fixed, Item, Numeric, Pad, Parsed, StrftimeItems};
use chrono::{NaiveDateTime, NaiveTime};

use super::HistoryFormat;
use aiswatch_core::time::Millis;

/// Header name as matched: BOM, `#` and blanks removed, lower case.
pub(super) fn norm_name(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
}

/// Column index of each field we use, by meaning.
#[derive(Debug, Default, Clone)]
pub(super) struct Cols {
    pub time: Option<usize>,
    pub mmsi: Option<usize>,
    pub lat: Option<usize>,
    pub lon: Option<usize>,
    pub sog: Option<usize>,
    pub cog: Option<usize>,
    pub heading: Option<usize>,
    pub status: Option<usize>,
    pub name: Option<usize>,
    pub callsign: Option<usize>,
    pub imo: Option<usize>,
    pub shiptype: Option<usize>,
    pub length: Option<usize>,
    pub width: Option<usize>,
    pub draught: Option<usize>,
    pub destination: Option<usize>,
    pub eta: Option<usize>,
    pub class: Option<usize>,
    pub msg_type: Option<usize>,
    pub station: Option<usize>,
    pub time_source: Option<usize>,
    pub dims: [Option<usize>; 4],
}

/// Recognises the format from normalised header names and maps columns.
pub(super) fn classify(names: &[String]) -> Option<(HistoryFormat, Cols)> {
    let has = |n: &str| names.iter().any(|x| x == n);
    let format = if has("basedatetime") {
        HistoryFormat::MarineCadastre
    } else if has("type of mobile") {
        HistoryFormat::Dma
    } else if has("ais_pos_timestamp") {
        HistoryFormat::BoatPositions
    } else if has("recv_time_utc") {
        HistoryFormat::DerivedPositions
    } else if has("datetime") && has("navigational_status") {
        HistoryFormat::AisAnalyze
    } else if has("timestamp") && (has("tagblock_station") || has("type")) {
        HistoryFormat::GpsdioCsv
    } else {
        return None;
    };
    let mut c = Cols::default();
    for (i, n) in names.iter().enumerate() {
        let slot = match n.as_str() {
            "basedatetime" | "timestamp" | "datetime" | "ais_pos_timestamp" | "recv_time_utc" => {
                &mut c.time
            }
            "mmsi" => &mut c.mmsi,
            // movingpandas: a small vessel number, used as the MMSI as is.
            "id" if format == HistoryFormat::BoatPositions => &mut c.mmsi,
            "lat" | "latitude" => &mut c.lat,
            "lon" | "longitude" => &mut c.lon,
            "sog" | "speed" => &mut c.sog,
            "cog" | "course" => &mut c.cog,
            "heading" => &mut c.heading,
            "status" | "navigational status" | "navigational_status" | "nav_status" => {
                &mut c.status
            }
            "vesselname" | "name" | "shipname" => &mut c.name,
            "callsign" => &mut c.callsign,
            "imo" => &mut c.imo,
            "vesseltype" | "ship type" | "shiptype" => &mut c.shiptype,
            "length" => &mut c.length,
            "width" => &mut c.width,
            "draft" | "draught" => &mut c.draught,
            "destination" => &mut c.destination,
            "eta" => &mut c.eta,
            "transceiverclass" | "type of mobile" => &mut c.class,
            "type" | "msg_type" => &mut c.msg_type,
            "tagblock_station" => &mut c.station,
            "time_source" => &mut c.time_source,
            "a" if format == HistoryFormat::Dma => &mut c.dims[0],
            "b" if format == HistoryFormat::Dma => &mut c.dims[1],
            "c" if format == HistoryFormat::Dma => &mut c.dims[2],
            "d" if format == HistoryFormat::Dma => &mut c.dims[3],
            _ => continue,
        };
        // The first column of a name wins.
        slot.get_or_insert(i);
    }
    (c.time.is_some() && c.mmsi.is_some() && c.lat.is_some() && c.lon.is_some())
        .then_some((format, c))
}

/// Tokens archives write for "no value".
pub(super) fn is_na(s: &str) -> bool {
    // Every token starts with `n` or `u`: most values are decided here.
    match s.as_bytes().first() {
        None => return true,
        Some(b) if !matches!(b | 0x20, b'n' | b'u') => return false,
        Some(_) => {}
    }
    [
        "unknown",
        "unknown value",
        "undefined",
        "na",
        "n/a",
        "nan",
        "null",
        "none",
    ]
    .iter()
    .any(|t| s.eq_ignore_ascii_case(t))
}

/// A number, `Ok(None)` for an n/a token or NaN, `Err` for anything else.
pub(super) fn number(s: &str) -> Result<Option<f64>, ()> {
    if is_na(s) {
        return Ok(None);
    }
    let v: f64 = s.parse().map_err(|_| ())?;
    Ok(v.is_finite().then_some(v))
}

/// A non-negative integer written as `123` or `123.0`.
pub(super) fn integer(s: &str) -> Option<u64> {
    if let Ok(v) = s.parse::<u64>() {
        return Some(v);
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15).then_some(v as u64)
}

/// Degrees → 1/10 000 minute, the sentinel if missing or out of range.
pub(super) fn angle_raw(deg: Option<f64>, limit: f64, na: i32) -> i32 {
    match deg {
        Some(d) if (-limit..=limit).contains(&d) => (d * 600_000.0).round() as i32,
        _ => na,
    }
}

/// Knots → 1/10 knot; 1023 (n/a) if missing, negative, or ≥ 102.3.
pub(super) fn speed_raw(kn: Option<f64>) -> u16 {
    match kn {
        Some(v) if v >= 0.0 && (v * 10.0).round() <= 1022.0 => (v * 10.0).round() as u16,
        _ => 1023,
    }
}

/// Degrees → 1/10 degree; 3600 (n/a) if missing or outside [0, 360).
pub(super) fn course_raw(deg: Option<f64>) -> u16 {
    match deg {
        Some(v) if (0.0..360.0).contains(&v) => ((v * 10.0).round() as u16) % 3600,
        _ => 3600,
    }
}

/// Heading in whole degrees; 511 (n/a) if missing or outside [0, 360).
pub(super) fn heading_raw(deg: Option<f64>) -> u16 {
    match deg {
        Some(v) if (0.0..360.0).contains(&v) => (v.round() as u16) % 360,
        _ => 511,
    }
}

/// Navigational status 0–15 from a number or DMA text; 15 (not defined)
/// for missing, unknown or out-of-range values.
pub(super) fn nav_status(s: &str) -> u8 {
    if is_na(s) {
        return 15;
    }
    if let Some(v) = integer(s) {
        return if v <= 15 { v as u8 } else { 15 };
    }
    const TEXT: [(&str, u8); 16] = [
        ("under way using engine", 0),
        ("at anchor", 1),
        ("not under command", 2),
        ("restricted maneuv", 3),
        ("restricted manoeuv", 3),
        ("constrained by", 4),
        ("moored", 5),
        ("aground", 6),
        ("engaged in fishing", 7),
        ("under way sailing", 8),
        ("reserved for future amendment [hsc]", 9),
        ("reserved for future amendment [wig]", 10),
        ("power-driven vessel towing astern", 11),
        ("power-driven vessel pushing", 12),
        ("reserved for future use", 13),
        ("ais-sart", 14),
    ];
    let b = s.as_bytes();
    TEXT.iter()
        .find(|(p, _)| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        .map_or(15, |&(_, v)| v)
}

/// Ship and cargo type from a number (1–99) or DMA text.
pub(super) fn ship_type(s: &str) -> Option<u8> {
    if is_na(s) {
        return None;
    }
    if let Some(v) = integer(s) {
        return (1..=99).contains(&v).then_some(v as u8);
    }
    const TEXT: [(&str, u8); 24] = [
        ("wig", 20),
        ("fishing", 30),
        ("towing", 31),
        ("towing long/wide", 32),
        ("dredging", 33),
        ("diving", 34),
        ("military", 35),
        ("sailing", 36),
        ("pleasure", 37),
        ("hsc", 40),
        ("passenger", 60),
        ("cargo", 70),
        ("tanker", 80),
        ("other", 90),
        ("pilot", 50),
        ("sar", 51),
        ("tug", 52),
        ("port tender", 53),
        ("anti-pollution", 54),
        ("law enforcement", 55),
        ("spare 1", 56),
        ("spare 2", 57),
        ("medical", 58),
        ("not party to conflict", 59),
    ];
    TEXT.iter()
        .find(|(p, _)| s.eq_ignore_ascii_case(p))
        .map(|&(_, v)| v)
}

/// IMO number from `9331347` or `IMO9331347`; `None` if absent or invalid.
pub(super) fn imo_number(s: &str) -> Option<u32> {
    let d = s
        .strip_prefix("IMO")
        .or_else(|| s.strip_prefix("imo"))
        .unwrap_or(s)
        .trim();
    let v = integer(d)?;
    (1..(1 << 30)).contains(&v).then_some(v as u32)
}

/// Text field, `None` for n/a tokens.
pub(super) fn text(s: &str) -> Option<&str> {
    (!is_na(s)).then_some(s)
}

// ---------------------------------------------------------------------------
// Times

/// `yyyy-mm-dd`.
const ISO_DATE: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
];
/// `dd/mm/yyyy` (DMA, movingpandas).
const DMY_DATE: &[Item<'static>] = &[
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal("/"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("/"),
    Item::Numeric(Numeric::Year, Pad::Zero),
];
/// `HH:MM`.
const HOUR_MINUTE: &[Item<'static>] = &[
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
];
/// `:SS[.fff…]` (any number of fraction digits, at least one).
const SECONDS: &[Item<'static>] = &[
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond),
];

/// `true` if `b[range]` exists and is all ASCII digits.
fn digits_at(b: &[u8], range: std::ops::Range<usize>) -> bool {
    b.get(range)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// Parses `yyyy-mm-dd[T ]HH:MM[:SS[.fff…]][Z|±HH[[:]MM]| UTC]` and the DMA /
/// movingpandas `dd/mm/yyyy HH:MM[:SS]`; the time part is optional. Returns
/// the civil date-time as written and its UTC offset in seconds (0 when
/// none is given: archive times are UTC).
pub(super) fn parse_civil(s: &str) -> Option<(NaiveDateTime, i64)> {
    let s = s.trim();
    let b = s.as_bytes();
    let items = if b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && digits_at(b, 0..4)
        && digits_at(b, 5..7)
        && digits_at(b, 8..10)
    {
        ISO_DATE
    } else if b.get(2) == Some(&b'/')
        && b.get(5) == Some(&b'/')
        && digits_at(b, 0..2)
        && digits_at(b, 3..5)
        && digits_at(b, 6..10)
    {
        DMY_DATE
    } else {
        return None;
    };
    // The first 10 bytes are ASCII, so 10 is a char boundary.
    let mut p = Parsed::new();
    let rest = parse_and_remainder(&mut p, &s[..10], items.iter()).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let date = p.to_naive_date().ok()?;
    let mut rest = &s[10..];
    let mut time = NaiveTime::MIN;
    if !rest.is_empty() {
        let r = rest.as_bytes();
        let shape = matches!(r[0], b'T' | b't' | b' ')
            && digits_at(r, 1..3)
            && r.get(3) == Some(&b':')
            && digits_at(r, 4..6);
        if !shape {
            return None;
        }
        rest = parse_and_remainder(&mut p, &rest[1..], HOUR_MINUTE.iter()).ok()?;
        if rest.starts_with(':') {
            if !digits_at(rest.as_bytes(), 1..3) {
                return None;
            }
            rest = parse_and_remainder(&mut p, rest, SECONDS.iter()).ok()?;
        }
        time = p.to_naive_time().ok()?;
    }
    let offset = match rest {
        "" | "Z" | "z" | " UTC" => 0,
        _ => offset_seconds(rest)?,
    };
    Some((date.and_time(time), offset))
}

/// A UTC offset `±HH`, `±HHMM` or `±HH:MM`, in seconds.
fn offset_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let shape = matches!(b.first(), Some(b'+' | b'-'))
        && digits_at(b, 1..3)
        && match b.len() {
            3 => true,
            5 => digits_at(b, 3..5),
            6 => b[3] == b':' && digits_at(b, 4..6),
            _ => false,
        };
    if !shape {
        return None;
    }
    let mut p = Parsed::new();
    let rest = parse_and_remainder(&mut p, s, StrftimeItems::new("%#z")).ok()?;
    if !rest.is_empty() {
        return None;
    }
    p.offset().map(i64::from)
}

/// Event time of a row: a date-time as [`parse_civil`], or a Unix epoch in
/// seconds or milliseconds. Fractions of a millisecond are truncated.
pub(super) fn parse_time(s: &str) -> Option<Millis> {
    if let Some((at, offset_s)) = parse_civil(s) {
        return Some(at.and_utc().timestamp_millis() - offset_s * 1000);
    }
    aiswatch_core::time::epoch_to_ms(s.parse().ok()?)
}
