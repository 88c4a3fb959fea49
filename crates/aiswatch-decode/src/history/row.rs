//! One input record (a CSV row or a JSON line) → a [`Row`]: the parsed
//! values in raw AIS units, ready to be sorted, spilled and turned into
//! messages.

use std::sync::Arc;

use ahash::AHashMap;
use csv::StringRecord;

use super::formats::{
    angle_raw, classify, course_raw, heading_raw, imo_number, integer, is_na, nav_status,
    norm_name, number, parse_civil, parse_time, ship_type, speed_raw, text, Cols,
};
use super::HistoryFormat;
use crate::ais::{Dimensions, LAT_NA, LON_NA};
use crate::TimeSource;
use aiswatch_core::time::Millis;

/// Why one row of a decoded-history file is refused. Refused rows are
/// counted and the first few kept as text, naming the line.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// A CSV record with a different number of fields than the header.
    #[error("expected {expected} fields, found {found}")]
    Fields {
        /// Fields in the header.
        expected: usize,
        /// Fields in the record.
        found: usize,
    },
    /// A value that does not parse as its column's type.
    #[error("bad {column} {value:?}")]
    Value {
        /// The column (its header name; `?` when unknown).
        column: String,
        /// The value as found.
        value: String,
    },
    /// A JSON line that does not parse.
    #[error("bad JSON ({0})")]
    Json(#[source] serde_json::Error),
    /// A JSON line without a required member.
    #[error("no {0}")]
    Missing(&'static str),
}

/// The largest MMSI a message can carry (30 bits). Archives hold
/// 10-digit values such as 1072211352, so this is the only bound.
const MMSI_MAX: u64 = (1 << 30) - 1;
/// Distinct station names kept for sharing; more are still read, unshared.
const MAX_STATIONS: usize = 10_000;

/// What a row's position report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
/// `S` is `String`, or `&str` for a row's values before they are kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct StaticVals<S = String> {
    pub name: Option<S>,
    pub callsign: Option<S>,
    pub imo: Option<u32>,
    pub shiptype: Option<u8>,
    pub dims: Option<Dimensions>,
    pub draught: Option<u8>,
    pub destination: Option<S>,
    /// ETA month, day, hour, minute.
    pub eta: Option<(u8, u8, u8, u8)>,
}

impl<S> StaticVals<S> {
    /// No value given.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.callsign.is_none()
            && self.imo.is_none()
            && self.shiptype.is_none()
            && self.dims.is_none()
            && self.draught.is_none()
            && self.destination.is_none()
            && self.eta.is_none()
    }
}

impl StaticVals<&str> {
    fn to_owned_vals(&self) -> StaticVals {
        StaticVals {
            name: self.name.map(str::to_owned),
            callsign: self.callsign.map(str::to_owned),
            imo: self.imo,
            shiptype: self.shiptype,
            dims: self.dims,
            draught: self.draught,
            destination: self.destination.map(str::to_owned),
            eta: self.eta,
        }
    }
}

impl StaticVals {
    /// Equal to the borrowed values `o`.
    fn same_as(&self, o: &StaticVals<&str>) -> bool {
        self.imo == o.imo
            && self.shiptype == o.shiptype
            && self.dims == o.dims
            && self.draught == o.draught
            && self.eta == o.eta
            && self.name.as_deref() == o.name
            && self.callsign.as_deref() == o.callsign
            && self.destination.as_deref() == o.destination
    }

    /// `true` if laying `o` over these values would change them: some
    /// value given in `o` differs. Allocation-free [`StaticVals::overlay`]
    /// comparison.
    pub fn changed_by(&self, o: &StaticVals) -> bool {
        fn differs<T: PartialEq>(new: &Option<T>, old: &Option<T>) -> bool {
            new.is_some() && new != old
        }
        differs(&o.name, &self.name)
            || differs(&o.callsign, &self.callsign)
            || differs(&o.imo, &self.imo)
            || differs(&o.shiptype, &self.shiptype)
            || differs(&o.dims, &self.dims)
            || differs(&o.draught, &self.draught)
            || differs(&o.destination, &self.destination)
            || differs(&o.eta, &self.eta)
    }

    /// These values with `o`'s given ones on top.
    pub fn overlay(&self, o: &StaticVals) -> StaticVals {
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

/// One good row, in raw AIS units. Rows sort by `(time, seq)`; `seq` is
/// the row's place in the file, so the order is total and stable.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub time: Millis,
    pub seq: u64,
    pub mmsi: u32,
    pub lon: i32,
    pub lat: i32,
    pub speed: u16,
    pub course: u16,
    pub heading: u16,
    pub time_source: TimeSource,
    pub kind: Kind,
    pub msg_type: u8,
    pub status: u8,
    pub station: Option<Arc<str>>,
    /// `None` when the row gives no static value. Consecutive rows of an
    /// MMSI with equal values share one allocation.
    pub statics: Option<Arc<StaticVals>>,
}

impl Row {
    /// Whether the row's static values are Class B ones (type 24 parts).
    pub fn class_b(&self) -> bool {
        self.kind == Kind::B || self.msg_type == 24
    }
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

/// Turns the records of one file into [`Row`]s. Rejects are returned as
/// the reason text (`bad LAT "abc"`); the caller adds the line number.
pub(super) struct RowParser {
    format: HistoryFormat,
    cols: Cols,
    /// Header names as written, for error messages.
    names: Vec<String>,
    stations: AHashMap<String, Arc<str>>,
    /// Each MMSI's last static values in file order, to share equal ones.
    last_statics: AHashMap<u32, Arc<StaticVals>>,
}

/// Splits one line as a CSV record with the `csv` crate; `None` if it is
/// not a single complete record.
pub(super) fn split_header(line: &str) -> Option<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut rec = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut rec).ok()? {
        return None;
    }
    // More input after the first record: a quoted field left open.
    if rdr.position().byte() < line.len() as u64 {
        return None;
    }
    Some(
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect(),
    )
}

impl RowParser {
    /// A parser for `format` whose first line is `first_line` (the CSV
    /// header; for JSON lines, the first record). `None` if the header does
    /// not classify as `format`.
    pub fn new(format: HistoryFormat, first_line: &str) -> Option<Self> {
        let (cols, names) = if format == HistoryFormat::GpsdioJson {
            (Cols::default(), Vec::new())
        } else {
            let line = first_line.trim_start_matches('\u{feff}').trim();
            let names: Vec<String> = split_header(line)?
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
        Some(RowParser {
            format,
            cols,
            names,
            stations: AHashMap::new(),
            last_statics: AHashMap::new(),
        })
    }

    fn bad(&self, col: Option<usize>, v: &str) -> RowError {
        let name = col
            .and_then(|c| self.names.get(c))
            .map_or("?", |s| s.as_str());
        RowError::Value {
            column: name.to_owned(),
            value: v.to_owned(),
        }
    }

    /// One CSV record (fields untrimmed).
    pub fn csv_row(&mut self, f: &StringRecord) -> Result<Row, RowError> {
        if f.len() != self.names.len() {
            return Err(RowError::Fields {
                expected: self.names.len(),
                found: f.len(),
            });
        }
        let c = &self.cols;
        let get = |col: Option<usize>| col.and_then(|i| f.get(i)).map_or("", str::trim);
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
        let statics = if matches!(kind, Kind::A | Kind::B | Kind::LongRange | Kind::Static) {
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
            StaticVals {
                name: text(get(c.name)),
                callsign: text(get(c.callsign)),
                imo: imo_number(get(c.imo)),
                shiptype: ship_type(get(c.shiptype)),
                dims,
                draught: meters(c.draught).map(|v| (v * 10.0).round().min(255.0) as u8),
                destination: text(get(c.destination)),
                eta: parse_civil(get(c.eta)).map(|(t, _)| {
                    use chrono::{Datelike, Timelike};
                    (
                        t.month() as u8,
                        t.day() as u8,
                        t.hour() as u8,
                        t.minute() as u8,
                    )
                }),
            }
        } else {
            StaticVals::<&str>::default()
        };
        let station = match c.station.and_then(|i| f.get(i)).map(str::trim) {
            Some(s) if !is_na(s) => Some(self.intern(s)),
            _ => None,
        };
        let statics = self.share(mmsi, statics);
        Ok(Row {
            time,
            seq: 0,
            mmsi,
            lon: angle_raw(lon, 180.0, LON_NA),
            lat: angle_raw(lat, 90.0, LAT_NA),
            speed: speed_raw(sog),
            course: course_raw(cog),
            heading: heading_raw(heading),
            time_source,
            kind,
            msg_type,
            status,
            station,
            statics,
        })
    }

    /// One gpsdio JSON line.
    pub fn json_row(&self, line: &str) -> Result<Row, RowError> {
        let j: JsonRow = serde_json::from_str(line).map_err(RowError::Json)?;
        let m = j.ssvid.ok_or(RowError::Missing("ssvid"))?.text();
        let mmsi = integer(&m)
            .filter(|&v| v <= MMSI_MAX)
            .ok_or_else(|| RowError::Value {
                column: "ssvid".into(),
                value: m.clone(),
            })? as u32;
        let ts = j.timestamp.ok_or(RowError::Missing("timestamp"))?.text();
        let time = parse_time(&ts).ok_or_else(|| RowError::Value {
            column: "timestamp".into(),
            value: ts.clone(),
        })?;
        let fin = |v: Option<f64>| v.filter(|x| x.is_finite());
        Ok(Row {
            time,
            seq: 0,
            mmsi,
            lon: angle_raw(fin(j.lon), 180.0, LON_NA),
            lat: angle_raw(fin(j.lat), 90.0, LAT_NA),
            speed: speed_raw(fin(j.speed)),
            course: course_raw(fin(j.course)),
            heading: heading_raw(fin(j.heading)),
            time_source: TimeSource::Trailing,
            kind: Kind::A,
            msg_type: 1,
            status: 15,
            station: None,
            statics: None,
        })
    }

    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.stations.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        if self.stations.len() < MAX_STATIONS {
            self.stations.insert(s.to_owned(), a.clone());
        }
        a
    }

    /// `None` for no values; else the MMSI's previous allocation when
    /// equal (most rows repeat their vessel's values), or a new one.
    fn share(&mut self, mmsi: u32, v: StaticVals<&str>) -> Option<Arc<StaticVals>> {
        if v.is_empty() {
            return None;
        }
        if let Some(last) = self.last_statics.get(&mmsi) {
            if last.same_as(&v) {
                return Some(last.clone());
            }
        }
        let a = Arc::new(v.to_owned_vals());
        self.last_statics.insert(mmsi, a.clone());
        Some(a)
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
