//! Decoded AIS history (CSV archives, JSON lines) → time-sorted [`Decoded`]
//! messages, so `aiswatch replay` can push national archives through the
//! same engine as raw NMEA.
//!
//! The format is recognised from the file's first line ([`detect`]); CSV
//! columns are matched by name (case-insensitive, any order, extra columns
//! ignored). Each row becomes a position report (type 1, or 18 for Class B)
//! and, when its static values (name, call sign, IMO, type, dimensions,
//! draught, destination) change for that MMSI, a type 5 (or a type 24 part A
//! and/or part B) message as well. A malformed row is counted and skipped,
//! never fatal.
//!
//! The CSV reader is hand-written (RFC 4180: quoted fields, doubled quotes,
//! commas and line breaks inside quotes, a UTF-8 byte-order mark): the
//! formats are simple, and it avoids a dependency.
//!
//! # Units
//! Input: degrees, knots, metres, as the archives store them. Output: the
//! raw AIS units of [`crate::decode::ais`] (1/10 000 minute, 1/10 knot …),
//! with the "not available" sentinels for missing or out-of-range values.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ahash::AHashMap;

use crate::decode::ais::{
    AidToNav, BaseStation, ClassA, ClassB, Dimensions, LongRange, SarAircraft, StaticDataB,
    StaticVoyage, LAT_NA, LON_NA,
};
use crate::decode::{AisMessage, Body, Decoded, TimeSource};
use crate::ingest::MAX_LINE_BYTES;
use crate::replay::{for_each_line, open_input};
use crate::time::Millis;

/// How many rejected rows are described in [`HistoryStats::first_errors`].
const MAX_ERRORS_KEPT: usize = 10;
/// A record spanning lines (a quoted field with line breaks) is given up
/// past this size: an unbalanced quote must not swallow the whole file.
const MAX_RECORD_BYTES: usize = 64 * 1024;
/// The largest MMSI a message can carry (30 bits). Archives hold
/// 10-digit values such as 1072211352, so this is the only bound.
const MMSI_MAX: u64 = (1 << 30) - 1;
/// The first line is quoted in errors up to this many characters.
const QUOTE_CHARS: usize = 120;

/// A decoded-history file format, recognised by [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryFormat {
    /// US MarineCadastre / NOAA (`MMSI,BaseDateTime,LAT,LON,…,TransceiverClass`).
    MarineCadastre,
    /// Danish Maritime Authority aisdk (`# Timestamp,Type of mobile,MMSI,…`).
    Dma,
    /// AISanalyze (`datetime,mmsi,lon,lat,navigational_status,…`), DMA-style text.
    AisAnalyze,
    /// movingpandas boat positions (`ID,ais_pos_timestamp,longitude,latitude`).
    BoatPositions,
    /// Global Fishing Watch gpsdio JSON lines (`{"ssvid":…,"timestamp":…}`).
    GpsdioJson,
    /// gpsdio decoded CSV (`timestamp,mmsi,type,…,tagblock_station,…`).
    GpsdioCsv,
    /// aiswatch's derived positions CSV (`recv_time_utc,time_source,mmsi,…`).
    DerivedPositions,
}

impl HistoryFormat {
    /// Short name for summaries and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryFormat::MarineCadastre => "marinecadastre",
            HistoryFormat::Dma => "dma",
            HistoryFormat::AisAnalyze => "aisanalyze",
            HistoryFormat::BoatPositions => "boat_positions",
            HistoryFormat::GpsdioJson => "gpsdio_json",
            HistoryFormat::GpsdioCsv => "gpsdio_csv",
            HistoryFormat::DerivedPositions => "derived_positions",
        }
    }
}

impl fmt::Display for HistoryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`read_history`] did with a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryStats {
    /// Data rows read (header and blank lines excluded).
    pub rows: u64,
    /// Position messages produced (one per good row that is not static-only;
    /// rows without a usable position carry the "not available" sentinels).
    pub positions: u64,
    /// Static messages produced (type 5, or each type 24 part), after
    /// collapsing unchanged static data per MMSI.
    pub statics: u64,
    /// Malformed rows skipped.
    pub rejected: u64,
    /// The first few rejects, like `line 17: bad LAT "abc"`.
    pub first_errors: Vec<String>,
}

/// Why a history file could not be read at all. Bad rows are not errors:
/// they are counted in [`HistoryStats`].
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file could not be opened.
    #[error("cannot open {0}: {1}")]
    Open(PathBuf, #[source] io::Error),
    /// The file could not be read to its end (I/O error, corrupt gzip).
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, #[source] io::Error),
    /// The first line is not a header of a known format (or is NMEA).
    #[error("{path}: unknown history format, first line {first_line:?}")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its first line, cut to 120 characters.
        first_line: String,
    },
}

/// Recognises a history format from a file's first line (a CSV header or
/// the first JSON record). A UTF-8 byte-order mark is allowed. Returns
/// `None` for NMEA (`!AIVDM…`, `$PGHP…`, `\s:…` tag blocks) and anything
/// unknown, including a header lacking the time, MMSI, latitude or
/// longitude column.
pub fn detect(first_line: &str) -> Option<HistoryFormat> {
    let line = first_line.trim_start_matches('\u{feff}').trim();
    match line.as_bytes().first()? {
        b'!' | b'$' | b'\\' => None,
        b'{' => {
            let has = |k: &str| line.contains(&format!("\"{k}\""));
            ((has("ssvid") || has("mmsi")) && has("timestamp") && has("lat") && has("lon"))
                .then_some(HistoryFormat::GpsdioJson)
        }
        _ => {
            let mut buf = String::new();
            let mut ends = Vec::new();
            if !split_csv(line, &mut buf, &mut ends) {
                return None;
            }
            let names: Vec<String> = Fields::new(&buf, &ends).iter().map(norm_name).collect();
            classify(&names).map(|(f, _)| f)
        }
    }
}

/// Reads the first line of `path` (see [`open_input`]) and recognises its
/// format with [`detect`]: `Ok(None)` means "not history, treat as NMEA".
///
/// # Errors
/// [`HistoryError::Open`] or [`HistoryError::Read`].
pub fn sniff(path: &Path) -> Result<Option<HistoryFormat>, HistoryError> {
    let mut input = open_input(path).map_err(|e| HistoryError::Open(path.into(), e))?;
    let first = read_first_line(&mut input).map_err(|e| HistoryError::Read(path.into(), e))?;
    Ok(detect(&first))
}

/// Reads a decoded-history file (plain, `.gz`, or `-` for stdin) into
/// messages sorted by time (stable: rows with the same time keep their
/// order, a row's static message before its position).
///
/// Row times are UTC. `time_source` is [`TimeSource::TagBlock`] for gpsdio
/// CSV (its times come from the receivers' tag blocks), the file's own
/// `time_source` column for derived positions, and
/// [`TimeSource::Trailing`] otherwise: like a trailing epoch, a time that a
/// data provider attached to the message after reception. No new
/// [`TimeSource`] variant is added for archives.
///
/// # Errors
/// [`HistoryError::Open`]/[`HistoryError::Read`] for I/O, and
/// [`HistoryError::UnknownFormat`] when the first line is not recognised.
pub fn read_history(
    path: &Path,
) -> Result<(HistoryFormat, Vec<Decoded>, HistoryStats), HistoryError> {
    let mut input = open_input(path).map_err(|e| HistoryError::Open(path.into(), e))?;
    let first = read_first_line(&mut input).map_err(|e| HistoryError::Read(path.into(), e))?;
    let unknown = || HistoryError::UnknownFormat {
        path: path.into(),
        first_line: first.chars().take(QUOTE_CHARS).collect(),
    };
    let format = detect(&first).ok_or_else(unknown)?;
    let mut reader = Reader::start(format, &first).ok_or_else(unknown)?;
    let mut lineno = 1u64;
    for_each_line(input, |line| {
        lineno += 1;
        reader.line(lineno, &String::from_utf8_lossy(line));
    })
    .map_err(|e| HistoryError::Read(path.into(), e))?;
    let (msgs, stats) = reader.finish();
    Ok((format, msgs, stats))
}

/// Parses history already in memory (the whole file, header included).
/// Returns `None` when the first line is not a known format.
pub fn parse_history(text: &str) -> Option<(HistoryFormat, Vec<Decoded>, HistoryStats)> {
    let mut lines = text.split('\n');
    let first = lines.next()?.trim_end_matches('\r');
    let format = detect(first)?;
    let mut reader = Reader::start(format, first)?;
    for (i, line) in lines.enumerate() {
        reader.line(i as u64 + 2, line.trim_end_matches('\r'));
    }
    let (msgs, stats) = reader.finish();
    Some((format, msgs, stats))
}

/// The first line, without its line break, at most [`MAX_LINE_BYTES`] long.
fn read_first_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut buf = Vec::new();
    r.take(MAX_LINE_BYTES as u64).read_until(b'\n', &mut buf)?;
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

// ---------------------------------------------------------------------------
// CSV framing

/// Splits one CSV record into fields, unescaped into `buf` with the end
/// offset of each field in `ends`. Returns `false` if a quoted field is
/// still open at the end of `line` (the record continues on the next line).
/// Text after a closing quote is kept (lenient, like most readers).
fn split_csv(line: &str, buf: &mut String, ends: &mut Vec<usize>) -> bool {
    buf.clear();
    ends.clear();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            i += 1;
            loop {
                let Some(k) = memchr::memchr(b'"', &b[i..]) else {
                    return false;
                };
                buf.push_str(&line[i..i + k]);
                i += k + 1;
                if b.get(i) == Some(&b'"') {
                    buf.push('"');
                    i += 1;
                } else {
                    break;
                }
            }
        }
        match memchr::memchr(b',', &b[i..]) {
            Some(k) => {
                buf.push_str(&line[i..i + k]);
                ends.push(buf.len());
                i += k + 1;
            }
            None => {
                buf.push_str(&line[i..]);
                ends.push(buf.len());
                return true;
            }
        }
    }
}

/// The fields of one record, as split by [`split_csv`].
#[derive(Clone, Copy)]
struct Fields<'a> {
    buf: &'a str,
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn new(buf: &'a str, ends: &'a [usize]) -> Self {
        Fields { buf, ends }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, trimmed; `""` past the end.
    fn get(&self, i: usize) -> &'a str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf[start..end].trim()
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Header name as matched: BOM, `#` and blanks removed, lower case.
fn norm_name(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// Columns

/// Column index of each field we use, by meaning.
#[derive(Debug, Default, Clone)]
struct Cols {
    time: Option<usize>,
    mmsi: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
    sog: Option<usize>,
    cog: Option<usize>,
    heading: Option<usize>,
    status: Option<usize>,
    name: Option<usize>,
    callsign: Option<usize>,
    imo: Option<usize>,
    shiptype: Option<usize>,
    length: Option<usize>,
    width: Option<usize>,
    draught: Option<usize>,
    destination: Option<usize>,
    eta: Option<usize>,
    class: Option<usize>,
    msg_type: Option<usize>,
    station: Option<usize>,
    time_source: Option<usize>,
    dims: [Option<usize>; 4],
}

/// Recognises the format from normalised header names and maps columns.
fn classify(names: &[String]) -> Option<(HistoryFormat, Cols)> {
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

// ---------------------------------------------------------------------------
// Values

/// Tokens archives write for "no value".
fn is_na(s: &str) -> bool {
    s.is_empty()
        || [
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
fn number(s: &str) -> Result<Option<f64>, ()> {
    if is_na(s) {
        return Ok(None);
    }
    let v: f64 = s.parse().map_err(|_| ())?;
    Ok(v.is_finite().then_some(v))
}

/// A non-negative integer written as `123` or `123.0`.
fn integer(s: &str) -> Option<u64> {
    if let Ok(v) = s.parse::<u64>() {
        return Some(v);
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15).then_some(v as u64)
}

/// Degrees → 1/10 000 minute, the sentinel if missing or out of range.
fn angle_raw(deg: Option<f64>, limit: f64, na: i32) -> i32 {
    match deg {
        Some(d) if (-limit..=limit).contains(&d) => (d * 600_000.0).round() as i32,
        _ => na,
    }
}

/// Knots → 1/10 knot; 1023 (n/a) if missing, negative, or ≥ 102.3.
fn speed_raw(kn: Option<f64>) -> u16 {
    match kn {
        Some(v) if v >= 0.0 && (v * 10.0).round() <= 1022.0 => (v * 10.0).round() as u16,
        _ => 1023,
    }
}

/// Degrees → 1/10 degree; 3600 (n/a) if missing or outside [0, 360).
fn course_raw(deg: Option<f64>) -> u16 {
    match deg {
        Some(v) if (0.0..360.0).contains(&v) => ((v * 10.0).round() as u16) % 3600,
        _ => 3600,
    }
}

/// Heading in whole degrees; 511 (n/a) if missing or outside [0, 360).
fn heading_raw(deg: Option<f64>) -> u16 {
    match deg {
        Some(v) if (0.0..360.0).contains(&v) => (v.round() as u16) % 360,
        _ => 511,
    }
}

/// Navigational status 0–15 from a number or DMA text; 15 (not defined)
/// for missing, unknown or out-of-range values.
fn nav_status(s: &str) -> u8 {
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
fn ship_type(s: &str) -> Option<u8> {
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
fn imo_number(s: &str) -> Option<u32> {
    let d = s
        .strip_prefix("IMO")
        .or_else(|| s.strip_prefix("imo"))
        .unwrap_or(s)
        .trim();
    let v = integer(d)?;
    (1..(1 << 30)).contains(&v).then_some(v as u32)
}

/// Text field, `None` for n/a tokens.
fn text(s: &str) -> Option<String> {
    (!is_na(s)).then(|| s.to_owned())
}

/// Calendar fields of a date-time: year, month, day, hour, minute, second, ms.
type Civil = (i32, u32, u32, u32, u32, u32, u32);

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

/// Parses `yyyy-mm-dd[T ]HH:MM[:SS[.fff…]][Z|±HH[:MM]]` and the DMA /
/// movingpandas `dd/mm/yyyy HH:MM[:SS]`; the time part is optional. Times
/// without an offset are UTC. Returns the calendar fields (with any offset
/// applied by [`to_millis`]) and the offset in minutes.
fn parse_civil(s: &str) -> Option<(Civil, i32)> {
    let b = s.trim().as_bytes();
    if b.len() < 10 {
        return None;
    }
    let (y, mo, d) = if b[4] == b'-' && b[7] == b'-' {
        (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)
    } else if b[2] == b'/' && b[5] == b'/' {
        (digits(&b[6..10])?, digits(&b[3..5])?, digits(&b[0..2])?)
    } else {
        return None;
    };
    let mut r = &b[10..];
    let (mut h, mut mi, mut sec, mut ms) = (0, 0, 0, 0);
    if !r.is_empty() {
        if !matches!(r[0], b'T' | b't' | b' ') || r.len() < 6 || r[3] != b':' {
            return None;
        }
        h = digits(&r[1..3])?;
        mi = digits(&r[4..6])?;
        r = &r[6..];
        if r.first() == Some(&b':') {
            sec = digits(r.get(1..3)?)?;
            r = &r[3..];
        }
        if r.first() == Some(&b'.') {
            let n = r[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let f = &r[1..1 + n];
            ms = digits(&f[..n.min(3)])? * [100, 10, 1][n.min(3) - 1];
            r = &r[1 + n..];
        }
    }
    let offset = match r {
        b"" | b"Z" | b"z" | b" UTC" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, om) = match rest {
                [a, b] => (digits(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                _ => return None,
            };
            let m = (oh * 60 + om) as i32;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    Some(((y as i32, mo, d, h, mi, sec, ms), offset))
}

fn to_millis(c: Civil, offset_min: i32) -> Option<Millis> {
    let (y, mo, d, h, mi, s, ms) = c;
    let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)?
        .and_hms_milli_opt(h, mi, s, ms)?
        .and_utc()
        .timestamp_millis();
    Some(t - Millis::from(offset_min) * 60_000)
}

/// Event time of a row: a date-time as [`parse_civil`], or a Unix epoch in
/// seconds or milliseconds.
fn parse_time(s: &str) -> Option<Millis> {
    if let Some((c, off)) = parse_civil(s) {
        return to_millis(c, off);
    }
    crate::time::epoch_to_ms(s.parse().ok()?)
}

// ---------------------------------------------------------------------------
// Rows

/// What a row's position report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Class A or class unknown: types 1–3.
    A,
    /// Class B: type 18.
    B,
    /// Long-range (satellite) report: type 27.
    LongRange,
    /// Base station: type 4 (or 11).
    Base,
    /// Aid to navigation: type 21.
    AtoN,
    /// SAR aircraft: type 9.
    Sar,
    /// A static message row (gpsdio/derived type 5 or 24): no position.
    Static,
}

/// Static and voyage values of a row or of a vessel; `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
struct StaticVals {
    name: Option<String>,
    callsign: Option<String>,
    imo: Option<u32>,
    shiptype: Option<u8>,
    dims: Option<Dimensions>,
    draught: Option<u8>,
    destination: Option<String>,
    /// ETA month, day, hour, minute.
    eta: Option<(u8, u8, u8, u8)>,
}

impl StaticVals {
    fn is_empty(&self) -> bool {
        *self == StaticVals::default()
    }

    /// These values with `o`'s given ones on top.
    fn overlay(&self, o: &StaticVals) -> StaticVals {
        StaticVals {
            name: o.name.clone().or_else(|| self.name.clone()),
            callsign: o.callsign.clone().or_else(|| self.callsign.clone()),
            imo: o.imo.or(self.imo),
            shiptype: o.shiptype.or(self.shiptype),
            dims: o.dims.or(self.dims),
            draught: o.draught.or(self.draught),
            destination: o.destination.clone().or_else(|| self.destination.clone()),
            eta: o.eta.or(self.eta),
        }
    }
}

/// One good row, in raw AIS units.
struct Row {
    time: Millis,
    time_source: TimeSource,
    mmsi: u32,
    kind: Kind,
    msg_type: u8,
    status: u8,
    lon: i32,
    lat: i32,
    speed: u16,
    course: u16,
    heading: u16,
    station: Option<Arc<str>>,
    statics: StaticVals,
}

/// Static data waiting for the time-ordered dedup pass.
struct Candidate {
    time: Millis,
    seq: u64,
    time_source: TimeSource,
    station: Option<Arc<str>>,
    mmsi: u32,
    class_b: bool,
    vals: StaticVals,
}

/// One gpsdio JSON record; other keys are ignored.
#[derive(serde::Deserialize)]
struct JsonRow {
    #[serde(alias = "mmsi")]
    ssvid: Option<NumOrText>,
    timestamp: Option<NumOrText>,
    lat: Option<f64>,
    lon: Option<f64>,
    speed: Option<f64>,
    course: Option<f64>,
    heading: Option<f64>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(f64),
    Text(String),
}

impl NumOrText {
    fn text(&self) -> String {
        match self {
            NumOrText::Num(v) => format!("{v}"),
            NumOrText::Text(s) => s.clone(),
        }
    }
}

/// Streaming state of one file.
struct Reader {
    format: HistoryFormat,
    cols: Cols,
    /// Header names as written, for error messages.
    names: Vec<String>,
    stats: HistoryStats,
    /// Messages with their sort key (time, row sequence).
    out: Vec<(Millis, u64, Decoded)>,
    candidates: Vec<Candidate>,
    /// MMSI → index of its last candidate (file order).
    last_candidate: AHashMap<u32, usize>,
    stations: AHashMap<String, Arc<str>>,
    hasher: ahash::RandomState,
    seq: u64,
    buf: String,
    ends: Vec<usize>,
    /// A record whose quoted field continues on the next line.
    pending: String,
    pending_line: u64,
}

impl Reader {
    /// A reader for `format` whose first line is `first_line`: the CSV
    /// header, or the first JSON record (which is fed as line 1).
    fn start(format: HistoryFormat, first_line: &str) -> Option<Self> {
        let mut r = Reader::new(format, first_line)?;
        if format == HistoryFormat::GpsdioJson {
            r.line(1, first_line.trim_start_matches('\u{feff}'));
        }
        Some(r)
    }

    fn new(format: HistoryFormat, first_line: &str) -> Option<Self> {
        let (cols, names) = if format == HistoryFormat::GpsdioJson {
            (Cols::default(), Vec::new())
        } else {
            let line = first_line.trim_start_matches('\u{feff}').trim();
            let mut buf = String::new();
            let mut ends = Vec::new();
            if !split_csv(line, &mut buf, &mut ends) {
                return None;
            }
            let f = Fields::new(&buf, &ends);
            let names: Vec<String> = f
                .iter()
                .map(|s| s.trim_start_matches('#').trim().to_owned())
                .collect();
            let norm: Vec<String> = names.iter().map(|s| norm_name(s)).collect();
            let (fmt, cols) = classify(&norm)?;
            if fmt != format {
                return None;
            }
            (cols, names)
        };
        Some(Reader {
            format,
            cols,
            names,
            stats: HistoryStats::default(),
            out: Vec::new(),
            candidates: Vec::new(),
            last_candidate: AHashMap::new(),
            stations: AHashMap::new(),
            // Fixed keys, like the NMEA decoder: equal rows hash equal everywhere.
            hasher: ahash::RandomState::with_seeds(0x5eed, 0x4157, 0xc5f, 0xba11),
            seq: 0,
            buf: String::new(),
            ends: Vec::new(),
            pending: String::new(),
            pending_line: 0,
        })
    }

    fn reject(&mut self, lineno: u64, why: String) {
        self.stats.rejected += 1;
        if self.stats.first_errors.len() < MAX_ERRORS_KEPT {
            self.stats
                .first_errors
                .push(format!("line {lineno}: {why}"));
        }
    }

    /// Feeds line `lineno` (1 = the header, already consumed).
    fn line(&mut self, lineno: u64, line: &str) {
        if self.format == HistoryFormat::GpsdioJson {
            if line.trim().is_empty() {
                return;
            }
            self.stats.rows += 1;
            match self.json_row(line) {
                Ok(row) => self.emit(row),
                Err(why) => self.reject(lineno, why),
            }
            return;
        }
        let joined;
        let (start, text) = if self.pending.is_empty() {
            if line.trim().is_empty() {
                return;
            }
            (lineno, line)
        } else {
            let mut p = std::mem::take(&mut self.pending);
            p.push('\n');
            p.push_str(line);
            joined = p;
            (self.pending_line, joined.as_str())
        };
        let mut buf = std::mem::take(&mut self.buf);
        let mut ends = std::mem::take(&mut self.ends);
        if split_csv(text, &mut buf, &mut ends) {
            self.stats.rows += 1;
            match self.csv_row(Fields::new(&buf, &ends)) {
                Ok(row) => self.emit(row),
                Err(why) => self.reject(start, why),
            }
        } else if text.len() > MAX_RECORD_BYTES {
            self.stats.rows += 1;
            self.reject(start, "unterminated quoted field".into());
        } else {
            self.pending = text.to_owned();
            self.pending_line = start;
        }
        self.buf = buf;
        self.ends = ends;
    }

    fn bad(&self, col: Option<usize>, v: &str) -> String {
        let name = col
            .and_then(|c| self.names.get(c))
            .map_or("?", |s| s.as_str());
        format!("bad {name} {v:?}")
    }

    fn csv_row(&mut self, f: Fields<'_>) -> Result<Row, String> {
        if f.len() != self.names.len() {
            return Err(format!(
                "expected {} fields, found {}",
                self.names.len(),
                f.len()
            ));
        }
        let c = &self.cols;
        let get = |col: Option<usize>| col.map_or("", |i| f.get(i));
        let num = |col: Option<usize>| number(get(col)).map_err(|()| self.bad(col, get(col)));

        let ts = get(c.time);
        let time = parse_time(ts).ok_or_else(|| self.bad(c.time, ts))?;
        let m = get(c.mmsi);
        let mmsi = integer(m)
            .filter(|&v| v <= MMSI_MAX)
            .ok_or_else(|| self.bad(c.mmsi, m))? as u32;
        let lat = num(c.lat)?;
        let lon = num(c.lon)?;
        let sog = num(c.sog)?;
        let cog = num(c.cog)?;
        let heading = num(c.heading)?;
        let status = nav_status(get(c.status));

        let (kind, msg_type) = if c.msg_type.is_some() {
            let t = get(c.msg_type);
            if is_na(t) {
                (Kind::A, 1)
            } else {
                let t = integer(t).ok_or_else(|| self.bad(c.msg_type, t))?;
                kind_of_type(t)
            }
        } else {
            kind_of_class(get(c.class))
        };

        let time_source = match self.format {
            HistoryFormat::GpsdioCsv => TimeSource::TagBlock,
            HistoryFormat::DerivedPositions => {
                let s = get(c.time_source);
                if s.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("tagblock"))
                {
                    TimeSource::TagBlock
                } else if s.eq_ignore_ascii_case("pghp") {
                    TimeSource::Pghp
                } else if s.eq_ignore_ascii_case("arrival") {
                    TimeSource::Arrival
                } else {
                    TimeSource::Trailing
                }
            }
            _ => TimeSource::Trailing,
        };

        // Static columns are best effort: a bad value there is "unknown",
        // not a reason to lose the position.
        let meters = |col: Option<usize>| number(get(col)).ok().flatten().filter(|v| *v > 0.0);
        let dims = if c.dims.iter().any(|d| !is_na(get(*d))) {
            let d = c
                .dims
                .map(|col| meters(col).map_or(0, |v| v.round() as u32));
            Some(Dimensions {
                to_bow: d[0].min(511) as u16,
                to_stern: d[1].min(511) as u16,
                to_port: d[2].min(63) as u8,
                to_starboard: d[3].min(63) as u8,
            })
        } else {
            dims_from_size(meters(c.length), meters(c.width))
        };
        let statics = if matches!(kind, Kind::A | Kind::B | Kind::LongRange | Kind::Static) {
            StaticVals {
                name: text(get(c.name)),
                callsign: text(get(c.callsign)),
                imo: imo_number(get(c.imo)),
                shiptype: ship_type(get(c.shiptype)),
                dims,
                draught: meters(c.draught).map(|v| (v * 10.0).round().min(255.0) as u8),
                destination: text(get(c.destination)),
                eta: parse_civil(get(c.eta))
                    .map(|((_, mo, d, h, mi, _, _), _)| (mo as u8, d as u8, h as u8, mi as u8)),
            }
        } else {
            StaticVals::default()
        };
        let station = match c.station.map(|i| f.get(i)) {
            Some(s) if !is_na(s) => Some(self.intern(s)),
            _ => None,
        };
        Ok(Row {
            time,
            time_source,
            mmsi,
            kind,
            msg_type,
            status,
            lon: angle_raw(lon, 180.0, LON_NA),
            lat: angle_raw(lat, 90.0, LAT_NA),
            speed: speed_raw(sog),
            course: course_raw(cog),
            heading: heading_raw(heading),
            station,
            statics,
        })
    }

    fn json_row(&self, line: &str) -> Result<Row, String> {
        let j: JsonRow = serde_json::from_str(line).map_err(|e| format!("bad JSON ({e})"))?;
        let m = j.ssvid.ok_or("no ssvid")?.text();
        let mmsi = integer(&m)
            .filter(|&v| v <= MMSI_MAX)
            .ok_or_else(|| format!("bad ssvid {m:?}"))? as u32;
        let ts = j.timestamp.ok_or("no timestamp")?.text();
        let time = parse_time(&ts).ok_or_else(|| format!("bad timestamp {ts:?}"))?;
        let fin = |v: Option<f64>| v.filter(|x| x.is_finite());
        Ok(Row {
            time,
            time_source: TimeSource::Trailing,
            mmsi,
            kind: Kind::A,
            msg_type: 1,
            status: 15,
            lon: angle_raw(fin(j.lon), 180.0, LON_NA),
            lat: angle_raw(fin(j.lat), 90.0, LAT_NA),
            speed: speed_raw(fin(j.speed)),
            course: course_raw(fin(j.course)),
            heading: heading_raw(fin(j.heading)),
            station: None,
            statics: StaticVals::default(),
        })
    }

    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.stations.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        if self.stations.len() < 10_000 {
            self.stations.insert(s.to_owned(), a.clone());
        }
        a
    }

    fn emit(&mut self, row: Row) {
        self.seq += 1;
        let seq = self.seq * 2;
        if !row.statics.is_empty() {
            self.candidate(&row, seq);
        }
        if row.kind == Kind::Static {
            return;
        }
        let body = position_body(&row);
        self.stats.positions += 1;
        let hash = self
            .hasher
            .hash_one((row.mmsi, row.time, row.lat, row.lon, row.msg_type));
        let d = Decoded {
            time: row.time,
            time_source: row.time_source,
            station: row.station,
            channel: 0,
            own_ship: false,
            payload_hash: hash,
            message: AisMessage {
                msg_type: row.msg_type,
                repeat: 0,
                mmsi: row.mmsi,
                body,
            },
        };
        self.out.push((row.time, seq + 1, d));
    }

    /// Keeps a row's static values unless equal to the MMSI's previous
    /// ones in file order (then only the earlier time is kept). The real
    /// dedup runs in time order in [`Reader::finish`].
    fn candidate(&mut self, row: &Row, seq: u64) {
        let class_b = row.kind == Kind::B || row.msg_type == 24;
        if let Some(&i) = self.last_candidate.get(&row.mmsi) {
            let c = &mut self.candidates[i];
            if c.vals == row.statics && c.class_b == class_b {
                if row.time < c.time {
                    c.time = row.time;
                    c.seq = seq;
                    c.time_source = row.time_source;
                    c.station = row.station.clone();
                }
                return;
            }
        }
        self.last_candidate.insert(row.mmsi, self.candidates.len());
        self.candidates.push(Candidate {
            time: row.time,
            seq,
            time_source: row.time_source,
            station: row.station.clone(),
            mmsi: row.mmsi,
            class_b,
            vals: row.statics.clone(),
        });
    }

    fn finish(mut self) -> (Vec<Decoded>, HistoryStats) {
        if !self.pending.is_empty() {
            self.stats.rows += 1;
            let line = self.pending_line;
            self.reject(line, "unterminated quoted field".into());
        }
        let mut cands = std::mem::take(&mut self.candidates);
        cands.sort_unstable_by_key(|c| (c.time, c.seq));
        let mut known: AHashMap<u32, StaticVals> = AHashMap::new();
        for c in cands {
            let prev = known.entry(c.mmsi).or_default();
            let now = prev.overlay(&c.vals);
            if now == *prev {
                continue;
            }
            let mut msgs: Vec<(u8, Body)> = Vec::with_capacity(2);
            if c.class_b {
                if now.name.is_some() && now.name != prev.name {
                    msgs.push((0, part_a(&now)));
                }
                if (now.shiptype, &now.callsign, now.dims)
                    != (prev.shiptype, &prev.callsign, prev.dims)
                {
                    msgs.push((1, part_b(&now)));
                }
            } else {
                msgs.push((0, Body::StaticVoyage(Box::new(static_voyage(&now)))));
            }
            *prev = now;
            for (part, body) in msgs {
                let msg_type = if c.class_b { 24 } else { 5 };
                self.stats.statics += 1;
                let hash = self.hasher.hash_one((c.mmsi, c.time, msg_type, part));
                self.out.push((
                    c.time,
                    c.seq,
                    Decoded {
                        time: c.time,
                        time_source: c.time_source,
                        station: c.station.clone(),
                        channel: 0,
                        own_ship: false,
                        payload_hash: hash,
                        message: AisMessage {
                            msg_type,
                            repeat: 0,
                            mmsi: c.mmsi,
                            body,
                        },
                    },
                ));
            }
        }
        // (time, row sequence) is unique per message except for a type 24
        // pair, pushed in part order: an unstable sort is a stable one here.
        self.out.sort_by_key(|e| (e.0, e.1));
        let msgs = self.out.into_iter().map(|(_, _, d)| d).collect();
        (msgs, self.stats)
    }
}

/// Message type and kind from a `type`/`msg_type` column. Types without a
/// position of their own (5, 24) are static-only rows; type 19 becomes a
/// plain 18 (its static part is carried separately); unknown types are 1.
fn kind_of_type(t: u64) -> (Kind, u8) {
    match t {
        1..=3 => (Kind::A, t as u8),
        18 | 19 => (Kind::B, 18),
        27 => (Kind::LongRange, 27),
        4 | 11 => (Kind::Base, t as u8),
        21 => (Kind::AtoN, 21),
        9 => (Kind::Sar, 9),
        5 | 24 => (Kind::Static, t as u8),
        _ => (Kind::A, 1),
    }
}

/// Message type and kind from a transceiver class (`A`, `B`, DMA `Class B`,
/// `Base Station`, `AtoN`, `SAR airborne`); anything else is type 1.
fn kind_of_class(s: &str) -> (Kind, u8) {
    let s = match s.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("class ") => &s[6..],
        _ => s,
    };
    let is = |t: &str| s.eq_ignore_ascii_case(t);
    if is("b") {
        (Kind::B, 18)
    } else if is("base station") {
        (Kind::Base, 4)
    } else if is("aton") {
        (Kind::AtoN, 21)
    } else if is("sar airborne") {
        (Kind::Sar, 9)
    } else {
        (Kind::A, 1)
    }
}

/// Dimensions from overall length and beam, the reference point assumed
/// amidships (archives give no antenna position): bow + stern = length,
/// port + starboard = beam.
fn dims_from_size(length: Option<f64>, width: Option<f64>) -> Option<Dimensions> {
    if length.is_none() && width.is_none() {
        return None;
    }
    let l = length.map_or(0, |v| (v.round() as u32).min(1022));
    let w = width.map_or(0, |v| (v.round() as u32).min(126));
    Some(Dimensions {
        to_bow: (l - l / 2) as u16,
        to_stern: (l / 2) as u16,
        to_port: (w / 2) as u8,
        to_starboard: (w - w / 2) as u8,
    })
}

fn position_body(r: &Row) -> Body {
    match r.kind {
        Kind::A | Kind::Static => Body::ClassA(ClassA {
            status: r.status,
            turn: -128,
            speed: r.speed,
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            course: r.course,
            heading: r.heading,
            second: 60,
            maneuver: 0,
            raim: false,
            radio: 0,
        }),
        Kind::B => Body::ClassB(ClassB {
            reserved: 0,
            speed: r.speed,
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            course: r.course,
            heading: r.heading,
            second: 60,
            regional: 0,
            cs: false,
            display: false,
            dsc: false,
            band: false,
            msg22: false,
            assigned: false,
            raim: false,
            radio: 0,
        }),
        // Type 27 units: 1/10 minute, whole knots (63 n/a), whole degrees (511 n/a).
        Kind::LongRange => Body::LongRange(LongRange {
            accuracy: false,
            raim: false,
            status: r.status,
            lon: if r.lon == LON_NA {
                181 * 600
            } else {
                tenth_minutes(r.lon)
            },
            lat: if r.lat == LAT_NA {
                91 * 600
            } else {
                tenth_minutes(r.lat)
            },
            speed: if r.speed == 1023 {
                63
            } else {
                ((r.speed + 5) / 10).min(62) as u8
            },
            course: if r.course == 3600 {
                511
            } else {
                ((r.course + 5) / 10) % 360
            },
            gnss: false,
        }),
        Kind::Base => {
            let t = crate::time::to_datetime(r.time);
            use chrono::{Datelike, Timelike};
            Body::BaseStation(BaseStation {
                year: t.year().clamp(0, 9999) as u16,
                month: t.month() as u8,
                day: t.day() as u8,
                hour: t.hour() as u8,
                minute: t.minute() as u8,
                second: t.second() as u8,
                accuracy: false,
                lon: r.lon,
                lat: r.lat,
                epfd: 0,
                raim: false,
                radio: 0,
            })
        }
        Kind::AtoN => Body::AidToNav(Box::new(AidToNav {
            aid_type: 0,
            name: String::new(),
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            dims: Dimensions::default(),
            epfd: 0,
            second: 60,
            off_position: false,
            regional: 0,
            raim: false,
            virtual_aid: false,
            assigned: false,
        })),
        // Type 9 speed is in whole knots (1023 n/a).
        Kind::Sar => Body::SarAircraft(SarAircraft {
            alt: 4095,
            speed: if r.speed == 1023 {
                1023
            } else {
                (r.speed + 5) / 10
            },
            accuracy: false,
            lon: r.lon,
            lat: r.lat,
            course: r.course,
            second: 60,
            regional: 0,
            dte: false,
            assigned: false,
            raim: false,
            radio: 0,
        }),
    }
}

/// 1/10 000 minute → 1/10 minute, rounded.
fn tenth_minutes(raw: i32) -> i32 {
    (f64::from(raw) / 1000.0).round() as i32
}

fn static_voyage(v: &StaticVals) -> StaticVoyage {
    let (month, day, hour, minute) = v.eta.unwrap_or((0, 0, 24, 60));
    StaticVoyage {
        ais_version: 0,
        imo: v.imo.unwrap_or(0),
        callsign: v.callsign.clone().unwrap_or_default(),
        shipname: v.name.clone().unwrap_or_default(),
        shiptype: v.shiptype.unwrap_or(0),
        dims: v.dims.unwrap_or_default(),
        epfd: 0,
        month,
        day,
        hour,
        minute,
        draught: v.draught.unwrap_or(0),
        destination: v.destination.clone().unwrap_or_default(),
        dte: false,
    }
}

fn part_a(v: &StaticVals) -> Body {
    Body::StaticDataB(Box::new(StaticDataB {
        partno: 0,
        shipname: v.name.clone(),
        shiptype: None,
        vendorid: None,
        model: None,
        serial: None,
        callsign: None,
        dims: None,
        mothership_mmsi: None,
    }))
}

fn part_b(v: &StaticVals) -> Body {
    Body::StaticDataB(Box::new(StaticDataB {
        partno: 1,
        shipname: None,
        shiptype: Some(v.shiptype.unwrap_or(0)),
        vendorid: None,
        model: None,
        serial: None,
        callsign: Some(v.callsign.clone().unwrap_or_default()),
        dims: v.dims,
        mothership_mmsi: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::ais::{course_deg, heading_deg, lat_deg, lon_deg, speed_kn};

    const SHARED: &str = "../shared/data/ais";

    fn parse(text: &str) -> (HistoryFormat, Vec<Decoded>, HistoryStats) {
        parse_history(text).expect("recognised")
    }

    fn class_a(d: &Decoded) -> &ClassA {
        match &d.message.body {
            Body::ClassA(p) => p,
            b => panic!("not class A: {b:?}"),
        }
    }

    fn assert_sorted(v: &[Decoded]) {
        assert!(v.windows(2).all(|w| w[0].time <= w[1].time), "not sorted");
    }

    fn ms(s: &str) -> Millis {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn detect_recognises_headers_and_refuses_nmea() {
        let cases = [
            ("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass", Some(HistoryFormat::MarineCadastre)),
            ("# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D", Some(HistoryFormat::Dma)),
            ("datetime,mmsi,lon,lat,navigational_status,SOG,Heading,imo,shiptype,length,name,width,draught", Some(HistoryFormat::AisAnalyze)),
            ("\u{feff}ID,ais_pos_timestamp,longitude,latitude", Some(HistoryFormat::BoatPositions)),
            (r#"{"ssvid": 263576000, "lat": -23.2656002045, "lon": 97.1636123657, "timestamp": "2015-10-15T02:39:55.000000Z", "speed": 2.2999999523, "course": 267.0, "implied_speed": null}"#, Some(HistoryFormat::GpsdioJson)),
            ("timestamp,mmsi,type,lat,lon,speed,course,heading,status,shipname,callsign,tagblock_station,tagblock_timestamp,source_file", Some(HistoryFormat::GpsdioCsv)),
            ("recv_time_utc,time_source,mmsi,msg_type,lat,lon,sog,cog,heading,nav_status,talker\r", Some(HistoryFormat::DerivedPositions)),
            // Order and case do not matter; extra columns are ignored.
            ("lon,Lat,basedatetime,Extra,mmsi", Some(HistoryFormat::MarineCadastre)),
            ("!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37", None),
            (r"\s:rEV02,c:1334337317*58\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj`26B0<02,0*5F", None),
            (r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58Kv,0*70", None),
            ("$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B", None),
            ("", None),
            ("hello,world", None),
            // Known marker but no position columns.
            ("MMSI,BaseDateTime,SOG", None),
            (r#"{"foo": 1}"#, None),
        ];
        for (line, want) in cases {
            assert_eq!(detect(line), want, "{line}");
        }
    }

    #[test]
    fn csv_quotes_bom_and_empty_fields() {
        let mut buf = String::new();
        let mut ends = Vec::new();
        assert!(split_csv(
            r#"a,"RAY ""CHIEF"" TONEY","x, y",,"" "#,
            &mut buf,
            &mut ends
        ));
        let f = Fields::new(&buf, &ends);
        let got: Vec<&str> = f.iter().collect();
        assert_eq!(got, ["a", r#"RAY "CHIEF" TONEY"#, "x, y", "", ""]);
        assert!(split_csv("a,b,", &mut buf, &mut ends));
        assert_eq!(ends.len(), 3);
        assert!(!split_csv(r#"a,"open"#, &mut buf, &mut ends));
    }

    #[test]
    fn time_formats() {
        let t = ms("2022-01-03T00:00:00Z");
        assert_eq!(parse_time("2022-01-03T00:00:00"), Some(t));
        assert_eq!(parse_time("2022-01-03 00:00:00"), Some(t));
        assert_eq!(parse_time("2022-01-03T00:00:00.000000Z"), Some(t));
        assert_eq!(parse_time("03/01/2022 00:00:00"), Some(t));
        assert_eq!(parse_time("03/01/2022 00:00"), Some(t));
        assert_eq!(parse_time("2022-01-03T01:00:00+01:00"), Some(t));
        assert_eq!(parse_time("1641168000"), Some(t));
        assert_eq!(
            parse_time("2012-02-01T22:02:00.087Z"),
            Some(ms("2012-02-01T22:02:00.087Z"))
        );
        for bad in [
            "",
            "abc",
            "2022-13-03T00:00:00",
            "31/02/2018 00:02:10",
            "2022-01-03X00:00",
            "2022-01-03T25:00:00",
            "2022-01-03T00:00:00+5",
            "2022-01-03T00:00:00.Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    // Five real MarineCadastre rows (US public domain), out of order, plus a
    // repeat of a static block, a sentinel row and three malformed rows.
    const MARINECADASTRE: &str = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass
367704390,2022-01-03T00:01:33,30.22024,-93.26774,0.1,90.1,194,\"RAY \"\"CHIEF\"\" TONEY\",,WDI5024,31,12,25,,,57,A
338148873,2022-01-03T00:00:00,33.60716,-117.91483,0.0,280.0,511,CAZADOR,,,37,,14,,,,B
367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,WTD4583,31,0,28,11,3.3,52,A
366899260,2022-01-03T00:00:03,34.12723,-119.44421,17.9,51.5,511,ISLAND ADVENTURE,,WDG9106,60,0,19,7,,60,A
367704390,2022-01-03T00:00:24,30.22025,-93.26768,0.2,275.4,197,\"RAY \"\"CHIEF\"\" TONEY\",,WDI5024,31,12,25,,,57,A
367000001,2022-01-03T00:05:00,91,181,102.3,360,511,,,,,,,,,,A
367000002,2022-01-03T00:05:00,abc,-88.5,0.0,0.0,511,,,,,,,,,,A
367000003,2022-01-03T24:05:00,30.1,-88.5,0.0,0.0,511,,,,,,,,,,A
367000004,2022-01-03T00:05:00,30.1,-88.5
";

    #[test]
    fn marinecadastre_rows_sorted_deduped_and_rejected() {
        let (fmt, out, st) = parse(MARINECADASTRE);
        assert_eq!(fmt, HistoryFormat::MarineCadastre);
        assert_eq!(st.rows, 9);
        assert_eq!(st.rejected, 3);
        assert_eq!(st.positions, 6);
        assert_eq!(
            st.first_errors,
            [
                r#"line 8: bad LAT "abc""#,
                r#"line 9: bad BaseDateTime "2022-01-03T24:05:00""#,
                "line 10: expected 17 fields, found 4",
            ]
        );
        assert_sorted(&out);
        // RAY "CHIEF" TONEY: one static for two identical rows, at the earlier time.
        let ray: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 367704390).collect();
        assert_eq!(ray.len(), 3);
        assert_eq!(ray[0].message.msg_type, 5);
        assert_eq!(ray[0].time, ms("2022-01-03T00:00:24Z"));
        let Body::StaticVoyage(sv) = &ray[0].message.body else {
            panic!()
        };
        assert_eq!(sv.shipname, r#"RAY "CHIEF" TONEY"#);
        assert_eq!(sv.callsign, "WDI5024");
        assert_eq!(sv.dims.length_m(), Some(25));
        let p = class_a(ray[1]);
        assert_eq!(p.status, 12);
        assert_eq!((p.speed, p.course, p.heading), (2, 2754, 197));
        assert_eq!(ray[1].time_source, TimeSource::Trailing);
        assert_eq!(ray[1].station, None);
        assert_eq!(ray[1].message.position(), Some((-93.26768, 30.22025)));

        // EAGLE: IMO prefix stripped, draught in decimetres, dims from L×W.
        let eagle = out
            .iter()
            .find(|d| d.message.mmsi == 367379190 && d.message.msg_type == 5)
            .unwrap();
        let Body::StaticVoyage(sv) = &eagle.message.body else {
            panic!()
        };
        assert_eq!((sv.imo, sv.shiptype, sv.draught), (8207721, 31, 33));
        assert_eq!(sv.dims.length_m(), Some(28));
        assert_eq!(
            u16::from(sv.dims.to_port) + u16::from(sv.dims.to_starboard),
            11
        );

        // CAZADOR is Class B: type 18 plus type 24 parts A and B.
        let caz: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 338148873).collect();
        let types: Vec<u8> = caz.iter().map(|d| d.message.msg_type).collect();
        assert_eq!(types, [24, 24, 18]);
        let Body::StaticDataB(a) = &caz[0].message.body else {
            panic!()
        };
        assert_eq!((a.partno, a.shipname.as_deref()), (0, Some("CAZADOR")));
        let Body::StaticDataB(b) = &caz[1].message.body else {
            panic!()
        };
        assert_eq!((b.partno, b.shiptype), (1, Some(37)));
        assert!(
            matches!(&caz[2].message.body, Body::ClassB(p) if p.heading == 511 && p.speed == 0)
        );

        // The sentinel row: a report with every value "not available".
        let s = out.iter().find(|d| d.message.mmsi == 367000001).unwrap();
        let p = class_a(s);
        assert_eq!((p.lon, p.lat), (LON_NA, LAT_NA));
        assert_eq!(
            (p.speed, p.course, p.heading, p.status),
            (1023, 3600, 511, 15)
        );
        assert_eq!(s.message.position(), None);
        assert_eq!(st.statics, 5);
    }

    #[test]
    fn out_of_range_values_are_not_available() {
        let text = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading
1,2022-01-03T00:00:00,-91,-181,-0.1,-1,-5
2,2022-01-03T00:00:00,NaN,nan,NaN,NaN,NaN
3,2022-01-03T00:00:00,90,-180,102.2,359.96,359.6
4,2022-01-03T00:00:00,1e300,-1e300,1e300,1e300,1e300
";
        let (_, out, st) = parse(text);
        assert_eq!((st.rows, st.positions, st.rejected), (4, 4, 0));
        for d in &out[..2] {
            let p = class_a(d);
            assert_eq!(
                (p.lon, p.lat, p.speed, p.course, p.heading),
                (LON_NA, LAT_NA, 1023, 3600, 511)
            );
        }
        let p = class_a(&out[2]);
        assert_eq!((lon_deg(p.lon), lat_deg(p.lat)), (Some(-180.0), Some(90.0)));
        assert_eq!(
            (
                speed_kn(p.speed),
                course_deg(p.course),
                heading_deg(p.heading)
            ),
            (Some(102.2), Some(0.0), Some(0))
        );
        let p = class_a(&out[3]);
        assert_eq!(
            (p.lon, p.lat, p.speed, p.course, p.heading),
            (LON_NA, LAT_NA, 1023, 3600, 511)
        );
    }

    #[test]
    fn payload_hash_collapses_exact_duplicates_only() {
        let text = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading
1,2022-01-03T00:00:00,30.1,-88.5,1,2,3
1,2022-01-03T00:00:00,30.1,-88.5,1,2,3
1,2022-01-03T00:00:01,30.1,-88.5,1,2,3
1,2022-01-03T00:00:00,30.1,-88.6,1,2,3
2,2022-01-03T00:00:00,30.1,-88.5,1,2,3
";
        let (_, out, _) = parse(text);
        let h: Vec<u64> = out.iter().map(|d| d.payload_hash).collect();
        assert_eq!(h[0], h[1]);
        let distinct: ahash::AHashSet<u64> = h.iter().copied().collect();
        assert_eq!(distinct.len(), 4);
    }

    #[test]
    fn dma_fixture() {
        let (fmt, out, st) = parse(include_str!("../tests/data/history/dma_aisdk_sample.csv"));
        assert_eq!(fmt, HistoryFormat::Dma);
        assert_eq!((st.rows, st.rejected), (8, 1));
        assert_eq!(
            st.first_errors,
            [r#"line 8: bad Timestamp "31/02/2018 00:02:10""#]
        );
        assert_eq!(st.positions, 7);
        assert_sorted(&out);
        // Base station first (00:00:00), as a type 4 with its time.
        assert_eq!(out[0].message.msg_type, 4);
        assert!(
            matches!(&out[0].message.body, Body::BaseStation(b) if b.year == 2018 && b.second == 0)
        );
        let carrier: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000001).collect();
        assert_eq!(carrier.len(), 3, "static repeated in row 5 is dropped");
        let Body::StaticVoyage(sv) = &carrier[0].message.body else {
            panic!()
        };
        assert_eq!(sv.shipname, "TEST CARRIER");
        assert_eq!((sv.imo, sv.shiptype, sv.draught), (9123456, 70, 56));
        assert_eq!(
            (
                sv.dims.to_bow,
                sv.dims.to_stern,
                sv.dims.to_port,
                sv.dims.to_starboard
            ),
            (80, 18, 8, 8)
        );
        assert_eq!((sv.month, sv.day, sv.hour, sv.minute), (2, 27, 6, 0));
        assert_eq!(sv.destination, "AARHUS");
        assert_eq!(class_a(carrier[1]).status, 0);
        // Class B with a quoted name holding a comma.
        let b: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000002).collect();
        assert!(
            matches!(&b[0].message.body, Body::StaticDataB(x) if x.shipname.as_deref() == Some("SEA, SALT"))
        );
        assert!(
            matches!(&b[1].message.body, Body::StaticDataB(x) if x.shiptype == Some(37) && x.callsign.as_deref() == Some("OU1234"))
        );
        assert!(matches!(&b[2].message.body, Body::ClassB(p) if p.speed == 41 && p.heading == 511));
        // Moored then at anchor; IMO "Unknown" is 0.
        let f: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000003).collect();
        assert_eq!(f.len(), 3);
        assert!(
            matches!(&f[0].message.body, Body::StaticVoyage(x) if x.imo == 0 && x.shiptype == 30)
        );
        assert_eq!((class_a(f[1]).status, class_a(f[2]).status), (5, 1));
        assert_eq!(class_a(f[1]).course, 3600);
        // Sentinels; "Engaged in fishing" is 7.
        let s = out.iter().find(|d| d.message.mmsi == 219000004).unwrap();
        let p = class_a(s);
        assert_eq!(
            (p.lon, p.lat, p.speed, p.course, p.status),
            (LON_NA, LAT_NA, 1023, 3600, 7)
        );
    }

    // Real rows of remip48/AISanalyze (MIT), reordered.
    #[test]
    fn aisanalyze_text_status_and_types() {
        let text = "\
datetime,mmsi,lon,lat,navigational_status,SOG,Heading,imo,shiptype,length,name,width,draught
2022-11-01 09:38:05,175,8.422753,55.473895,At anchor,0.0,161,Unknown,Fishing,17,Vessel 175,6,
2022-11-01 09:35:36,1,6.835648,55.735305,Under way using engine,12.5,30,9331347,Cargo,90,Vessel 1,13,3.6
2022-11-01 09:35:36,5,8.423378,55.471818,Unknown value,0.0,,Unknown,Reserved,,Vessel 5,,
2022-11-01 09:35:43,99,8.12001,56.369143,Reserved for future amendment [HSC],0.0,3,Unknown,Fishing,18,Vessel 99,6,
2022-11-01 09:35:36,13,8.435837,55.459477,Moored,0.0,184,9383754,Other,95,Vessel 13,20,6.2
2022-11-01 09:35:37,1,6.8357,55.7354,Under way using engine,12.5,30,9331347,Cargo,90,Vessel 1,13,3.6
";
        let (fmt, out, st) = parse(text);
        assert_eq!(fmt, HistoryFormat::AisAnalyze);
        assert_eq!(
            (st.rows, st.positions, st.statics, st.rejected),
            (6, 6, 5, 0)
        );
        assert_sorted(&out);
        let status = |mmsi: u32| {
            out.iter()
                .find(|d| d.message.mmsi == mmsi && d.message.msg_type == 1)
                .map(|d| class_a(d).status)
        };
        assert_eq!(status(175), Some(1));
        assert_eq!(status(1), Some(0));
        assert_eq!(status(5), Some(15));
        assert_eq!(status(99), Some(9));
        assert_eq!(status(13), Some(5));
        let sv = |mmsi: u32| {
            out.iter()
                .find_map(|d| match &d.message.body {
                    Body::StaticVoyage(x) if d.message.mmsi == mmsi => Some(x.clone()),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(
            (sv(1).imo, sv(1).shiptype, sv(1).draught),
            (9331347, 70, 36)
        );
        assert_eq!(
            (sv(175).shiptype, sv(13).shiptype, sv(5).shiptype),
            (30, 90, 0)
        );
        assert_eq!(sv(5).shipname, "Vessel 5");
    }

    // Real rows of movingpandas-examples boat-positions.csv (BSD-3 repository).
    #[test]
    fn boat_positions_with_bom() {
        let text = "\u{feff}ID,ais_pos_timestamp,longitude,latitude\r
2,21/03/2021 04:38,32.59446,31.74439\r
1,20/03/2021 00:22,32.32925,31.4386\r
1,20/03/2021 01:25,32.3986,31.40955\r
2,21/03/2021 04:40,32.59453,31.74094\r
x,21/03/2021 04:40,32.59453,31.74094\r
";
        let (fmt, out, st) = parse(text);
        assert_eq!(fmt, HistoryFormat::BoatPositions);
        assert_eq!(
            (st.rows, st.positions, st.statics, st.rejected),
            (5, 4, 0, 1)
        );
        assert_eq!(st.first_errors, [r#"line 6: bad ID "x""#]);
        assert_sorted(&out);
        assert_eq!(out[0].message.mmsi, 1);
        assert_eq!(out[0].time, ms("2021-03-20T00:22:00Z"));
        let p = class_a(&out[0]);
        assert_eq!(
            (p.speed, p.course, p.heading, p.status),
            (1023, 3600, 511, 15)
        );
        assert_eq!(out[0].message.position(), Some((32.32925, 31.4386)));
    }

    // Real lines of GlobalFishingWatch/gpsdio-segment (Apache-2.0).
    #[test]
    fn gpsdio_json_lines() {
        let text = r#"{"ssvid": 263576000, "lat": -23.2658004761, "lon": 97.163269043, "timestamp": "2015-10-15T02:40:18.000000Z", "speed": 3.4000000954, "course": 236.0, "implied_speed": "4.175164785001302"}
{"ssvid": 263576000, "lat": -23.2656002045, "lon": 97.1636123657, "timestamp": "2015-10-15T02:39:55.000000Z", "speed": 2.2999999523, "course": 267.0, "implied_speed": null}

{"ssvid": 416000000, "lat": 22.554946899414062, "lon": 120.32369232177734, "timestamp": "2014-01-01 01:31:34.000000", "course": 0, "speed": 0}
{"ssvid": 416000000, "lat": 22.5, "lon": 120.3, "timestamp": "yesterday", "course": 0, "speed": 0}
{"ssvid": 416000000, "lat": 22.5
{"ssvid": "338013000", "lat": null, "lon": -170.6182098389, "timestamp": "2017-07-18T00:07:20.000000Z", "speed": null, "course": 0}
"#;
        let (fmt, out, st) = parse(text);
        assert_eq!(fmt, HistoryFormat::GpsdioJson);
        assert_eq!((st.rows, st.positions, st.rejected), (6, 4, 2), "{st:?}");
        assert_eq!(st.first_errors[0], r#"line 5: bad timestamp "yesterday""#);
        assert!(
            st.first_errors[1].starts_with("line 6: bad JSON"),
            "{:?}",
            st.first_errors
        );
        assert_sorted(&out);
        assert_eq!(out[0].message.mmsi, 416000000);
        assert_eq!(out[1].time, ms("2015-10-15T02:39:55Z"));
        let p = class_a(&out[1]);
        assert_eq!((p.speed, p.course, p.heading), (23, 2670, 511));
        assert_eq!(class_a(&out[3]).lat, LAT_NA);
        assert_eq!(out[3].message.mmsi, 338013000);
    }

    // Real rows of gpsdio-segment's point-pair data (Apache-2.0), decoded.
    #[test]
    fn gpsdio_csv_types_stations_and_static_merge() {
        let text = "\
timestamp,mmsi,type,lat,lon,speed,course,heading,status,shipname,callsign,tagblock_station,tagblock_timestamp,source_file
2015-01-01T10:12:36.000000Z,224051350,5,,,,,,,BALUEIRO SEGUNDO,EHPX,rORBCOMM111,2015-01-01T10:12:36.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:12:36.000000Z,224051350,5,,,,,,,BALUEIRO SEGUNDO,EHPX,rORBCOMM107,2015-01-01T10:12:36.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:04:08.000000Z,224051350,1,-20.855125427246094,-96.11897277832031,6.199999809265137,97.69999694824219,511.0,15,,,rORBCOMM107,2015-01-01T10:04:08.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:09:27.000000Z,224051350,1,-20.85659408569336,-96.11213684082031,5.099999904632568,109.5,511.0,15,,,rORBCOMM107,2015-01-01T10:09:27.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:09:27.000000Z,224051350,1,-20.85659408569336,-96.11213684082031,5.099999904632568,109.5,511.0,15,,,rORBCOMM109,2015-01-01T10:09:27.000000Z,point-pair/224051350.msg.gz
2014-08-19T00:45:28.000000Z,227317360,24,,,,,,,F/V SAINT THOMAS,,rORBCOMM009u,2014-08-19T00:45:28.000000Z,point-pair/227317360.msg.gz
2014-08-20T03:56:56.000000Z,227317360,24,,,,,,,,FL2743,rORBCOMM009u,2014-08-20T03:56:56.000000Z,point-pair/227317360.msg.gz
2014-08-20T07:50:51.000000Z,227317360,24,,,,,,,F/V SAINT THOMAS,,rORBCOMM009u,2014-08-20T07:50:51.000000Z,point-pair/227317360.msg.gz
2014-08-05T00:04:24.000000Z,227317360,18,50.72907257080078,1.5938750505447388,4.300000190734863,294.8999938964844,511.0,,,,rORBCOMM009u,2014-08-05T00:04:24.000000Z,point-pair/227317360.msg.gz
2014-08-05T00:05:00.000000Z,227317360,x,50.7,1.5,4.3,294.8,511.0,,,,rORBCOMM009u,2014-08-05T00:05:00.000000Z,point-pair/227317360.msg.gz
";
        let (fmt, out, st) = parse(text);
        assert_eq!(fmt, HistoryFormat::GpsdioCsv);
        assert_eq!((st.rows, st.positions, st.rejected), (10, 4, 1));
        assert_eq!(st.first_errors, [r#"line 11: bad type "x""#]);
        assert_sorted(&out);
        assert!(out.iter().all(|d| d.time_source == TimeSource::TagBlock));
        let types: Vec<(u32, u8)> = out
            .iter()
            .map(|d| (d.message.mmsi, d.message.msg_type))
            .collect();
        assert_eq!(
            types,
            [
                (227317360, 18),
                (227317360, 24),
                (227317360, 24),
                (224051350, 1),
                (224051350, 1),
                (224051350, 1),
                (224051350, 5),
            ]
        );
        // Part A at 08-19, part B (call sign) at 08-20; the repeat of the name is dropped.
        assert!(matches!(&out[1].message.body, Body::StaticDataB(x) if x.partno == 0));
        assert!(
            matches!(&out[2].message.body, Body::StaticDataB(x) if x.partno == 1 && x.callsign.as_deref() == Some("FL2743"))
        );
        assert_eq!(out[3].station.as_deref(), Some("rORBCOMM107"));
        // Two stations heard the same report: same hash, the engine collapses them.
        assert_eq!(out[4].payload_hash, out[5].payload_hash);
        assert_ne!(out[4].station, out[5].station);
        assert!(
            matches!(&out[6].message.body, Body::StaticVoyage(x) if x.shipname == "BALUEIRO SEGUNDO" && x.callsign == "EHPX")
        );
        assert_eq!(st.statics, 3);
    }

    #[test]
    fn derived_positions_keep_types_and_time_source() {
        let text =
            "recv_time_utc,time_source,mmsi,msg_type,lat,lon,sog,cog,heading,nav_status,talker\r
2021-11-01T01:58:29.000Z,tagblock_c,412750020,27,30.903333,117.741667,0.0,25.0,,1,!AIVDM\r
2021-11-01T01:58:09.000Z,tagblock_c,995121034,21,-45.770665,170.719667,,,,,!AIVDM\r
2010-06-11T11:46:12.422Z,PGHP,235066562,1,55.632567,7.627452,2.9,348.8,297,0,!BSVDM\r
2010-06-11T11:46:11.390Z,PGHP,2311200,4,61.423605,-6.754698,,,,,!AIVDM\r
2012-02-01T22:02:00.087Z,trailing_ms,273412710,3,-69.099183,75.8972,0.8,105.6,49,0,!AIVDM\r
";
        let (fmt, out, st) = parse(text);
        assert_eq!(fmt, HistoryFormat::DerivedPositions);
        assert_eq!(
            (st.rows, st.positions, st.statics, st.rejected),
            (5, 5, 0, 0)
        );
        let types: Vec<u8> = out.iter().map(|d| d.message.msg_type).collect();
        assert_eq!(types, [4, 1, 3, 21, 27]);
        assert_eq!(out[0].time, ms("2010-06-11T11:46:11.390Z"));
        assert_eq!(out[0].time_source, TimeSource::Pghp);
        assert_eq!(out[2].time_source, TimeSource::Trailing);
        assert_eq!(out[3].time_source, TimeSource::TagBlock);
        assert!(matches!(out[0].message.body, Body::BaseStation(_)));
        assert!(matches!(out[3].message.body, Body::AidToNav(_)));
        let Body::LongRange(lr) = &out[4].message.body else {
            panic!()
        };
        assert_eq!((lr.speed, lr.course, lr.status), (0, 25, 1));
        let (lon, lat) = out[4].message.position().unwrap();
        assert!((lon - 117.741667).abs() < 0.001 && (lat - 30.903333).abs() < 0.001);
        assert_eq!(class_a(&out[2]).heading, 49);
    }

    #[test]
    fn quoted_line_break_and_unterminated_quote() {
        let text = "MMSI,BaseDateTime,LAT,LON,VesselName\n\
1,2022-01-03T00:00:00,30,-88,\"TWO\nLINES\"\n\
2,2022-01-03T00:00:01,30,-88,\"OPEN\n";
        let (_, out, st) = parse(text);
        assert_eq!((st.rows, st.positions, st.rejected), (2, 1, 1));
        assert_eq!(st.first_errors, ["line 4: unterminated quoted field"]);
        assert!(
            matches!(&out[0].message.body, Body::StaticVoyage(x) if x.shipname == "TWO\nLINES")
        );
    }

    #[test]
    fn read_history_files_gz_and_unknown() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("mc.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(MARINECADASTRE.as_bytes()).unwrap();
        enc.finish().unwrap();
        let (fmt, out, st) = read_history(&gz).unwrap();
        assert_eq!(fmt, HistoryFormat::MarineCadastre);
        assert_eq!((st.rows, st.positions, st.rejected), (9, 6, 3));
        assert_eq!(parse(MARINECADASTRE).1, out);
        assert_eq!(sniff(&gz).unwrap(), Some(HistoryFormat::MarineCadastre));

        let nmea = dir.path().join("x.nmea");
        let line = format!("!AIVDM,1,1,,B,{},0*37", "x".repeat(200));
        std::fs::write(&nmea, format!("{line}\n")).unwrap();
        assert_eq!(sniff(&nmea).unwrap(), None);
        match read_history(&nmea) {
            Err(HistoryError::UnknownFormat { path, first_line }) => {
                assert_eq!(path, nmea);
                assert_eq!(first_line.chars().count(), 120);
                assert!(line.starts_with(&first_line));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_history(&dir.path().join("missing.csv")),
            Err(HistoryError::Open(..))
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass";
        let rows = [
            ",,,,,,,,,,,,,,,,",
            "1,2022-01-03T00:00:00,1,1,1,1,1,\u{0}\u{ff},IMO,x,999,99,-5,1e9,1e9,,Z",
            "99999999999999999999,2022-01-03T00:00:00,1,1,,,,,,,,,,,,,",
            "1,2022-01-03T00:00:00,1,1,,,,,IMO99999999999,,,,,,,,",
            "1,9999-12-31T23:59:59.999999Z,1,1,,,,,,,,,,,,,",
            "1,2022-01-03T00:00:00,1,1,\"\"\"\",,,,,,,,,,,,",
            "\"",
        ];
        let text = format!("{header}\n{}\n", rows.join("\n"));
        let (_, out, st) = parse(&text);
        assert_eq!(st.rows, rows.len() as u64);
        assert_eq!(st.rejected, 4, "{:?}", st.first_errors);
        assert_sorted(&out);
    }

    fn shared(rel: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(SHARED).join(rel);
        if p.exists() {
            Some(p)
        } else {
            eprintln!("note: {} not found, test skipped", p.display());
            None
        }
    }

    #[test]
    fn full_marinecadastre_sample() {
        let Some(p) = shared("noaa-marinecadastre-20220103/AIS_2022_01_03_first99999.csv") else {
            return;
        };
        let (fmt, out, st) = read_history(&p).unwrap();
        assert_eq!(fmt, HistoryFormat::MarineCadastre);
        assert_eq!(st.rows, 99_999);
        assert_eq!(st.rejected, 0, "{:?}", st.first_errors);
        assert!(st.positions >= 99_000, "{st:?}");
        let mmsis: ahash::AHashSet<u32> = out.iter().map(|d| d.message.mmsi).collect();
        assert_eq!(mmsis.len(), 10_631);
        assert_sorted(&out);
        assert!(st.statics < 20_000, "{st:?}");
    }

    /// Counts for every real file (run with `--nocapture` to see them).
    #[test]
    fn real_files_summary() {
        let files = [
            "noaa-marinecadastre-20220103/AIS_2022_01_03_first99999.csv",
            "aisdb/test_data_noaa_20230101.csv",
            "aisanalyze/ais_anonymized.csv",
            "movingpandas-boat-positions/boat-positions.csv",
            "gfw-gpsdio-segment/263576000.json",
            "gfw-gpsdio-segment/338013000.json",
            "gfw-gpsdio-segment/416000000.json",
            "gfw-gpsdio-segment/segmented-416000000.json",
            "gfw-gpsdio-segment/point-pair-decoded.csv",
            "derived/aisdb__test_data_20211101.positions.csv",
            "derived/amsa-risky__exact-earth-augmented-2.positions.csv",
            "derived/amsa-risky__exact-earth-augmented-3.positions.csv",
            "derived/amsa-risky__exact-earth-augmented.positions.csv",
            "derived/dma-aislib__stream_example.positions.csv",
        ];
        for f in files {
            let Some(p) = shared(f) else { continue };
            let t = std::time::Instant::now();
            let (fmt, out, st) = read_history(&p).unwrap();
            let mmsis: ahash::AHashSet<u32> = out.iter().map(|d| d.message.mmsi).collect();
            eprintln!(
                "{f}: {fmt} rows {} positions {} statics {} rejected {} mmsis {} in {:?} {:?}",
                st.rows,
                st.positions,
                st.statics,
                st.rejected,
                mmsis.len(),
                t.elapsed(),
                st.first_errors
            );
            assert_eq!(st.rejected, 0, "{f}: {:?}", st.first_errors);
            assert_eq!(out.len() as u64, st.positions + st.statics);
            assert_sorted(&out);
        }
        // NMEA files are not history.
        if let Some(p) = shared("amsa-risky/exact-earth-with-tag-block.txt") {
            assert_eq!(sniff(&p).unwrap(), None);
        }
    }
}
