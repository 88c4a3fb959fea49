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
//! [`HistoryReader`] streams a file in bounded memory: CSV is read with the
//! `csv` crate, rows are sorted by an external merge sort (runs of
//! [`SortOptions::run_rows`] rows spilled to temporary files, then merged),
//! and messages are built while merging. A full MarineCadastre day (~7 M
//! rows, ~1 GB) needs about one run of rows in memory, not the whole file.
//!
//! Layout: `formats` (header classification, field values, times with
//! `chrono`), `row` (record → row), `source` (CSV and JSON framing),
//! `sort` (runs and merge), `emit` (rows → messages, static dedup).
//!
//! # Units
//! Input: degrees, knots, metres, as the archives store them. Output: the
//! raw AIS units of [`crate::ais`] (1/10 000 minute, 1/10 knot …),
//! with the "not available" sentinels for missing or out-of-range values.

mod emit;
mod formats;
mod row;
mod sort;
mod source;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use crate::input::open_reader as open_input;
use crate::input::MAX_LINE_BYTES;
use crate::Decoded;

use emit::Emitter;
use row::RowParser;
use sort::{Merge, Sorter};
use source::Input;

/// How many rejected rows are described in [`HistoryStats::first_errors`].
const MAX_ERRORS_KEPT: usize = 10;
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

/// What a [`HistoryReader`] did with a file.
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
    /// A temporary file of the external sort could not be written or read
    /// back (disk full, corrupt).
    #[error("{0}: temporary sort file: {1}")]
    Spill(PathBuf, #[source] io::Error),
}

/// How [`HistoryReader`] sorts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOptions {
    /// Rows held in memory (about 64 bytes each, plus shared static
    /// values) before a sorted run is spilled to a temporary file.
    /// Default 1,000,000; at least 1.
    pub run_rows: usize,
    /// Most runs merged at once (open files). Default 64; at least 2.
    pub fan_in: usize,
    /// Where runs are spilled; `None` = [`std::env::temp_dir`].
    pub temp_dir: Option<PathBuf>,
}

impl Default for SortOptions {
    fn default() -> Self {
        SortOptions {
            run_rows: 1_000_000,
            fan_in: 64,
            temp_dir: None,
        }
    }
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
            let names: Vec<String> = row::split_header(line)?
                .iter()
                .map(|n| formats::norm_name(n))
                .collect();
            formats::classify(&names).map(|(f, _)| f)
        }
    }
}

/// Reads the first line of `path` (see [`open_input`]) and recognises its
/// format with [`detect`]: `Ok(None)` means "not history, treat as NMEA".
///
/// This opens `path` for itself: for input that can be read only once (a
/// FIFO, `<(cmd)`, stdin) use [`sniff_reader`] on the one open reader.
///
/// # Errors
/// [`HistoryError::Open`] or [`HistoryError::Read`].
pub fn sniff(path: &Path) -> Result<Option<HistoryFormat>, HistoryError> {
    let input = open_input(path).map_err(|e| HistoryError::Open(path.into(), e))?;
    let (format, _) = sniff_reader(input).map_err(|e| HistoryError::Read(path.into(), e))?;
    Ok(format)
}

/// The input a [`sniff_reader`] returns: the first line it read, then the rest.
pub type Sniffed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Recognises the format of `input` from its first line (as [`sniff`])
/// without losing anything: returns the format and a reader that yields the
/// whole input again, first line included. Nothing is reopened, so pipes,
/// FIFOs, `<(cmd)` and stdin are read once, in full.
///
/// # Errors
/// Reading the first line failed.
pub fn sniff_reader<R: BufRead>(mut input: R) -> io::Result<(Option<HistoryFormat>, Sniffed<R>)> {
    let mut first = Vec::new();
    input
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut first)?;
    let mut line = &first[..];
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    let format = detect(&String::from_utf8_lossy(line));
    Ok((format, io::Cursor::new(first).chain(input)))
}

/// A decoded-history file as an iterator of messages sorted by time
/// (stable: rows with the same time keep their order, a row's static
/// message before its position).
///
/// [`HistoryReader::open`] reads the whole input, spilling sorted runs to
/// temporary files as they fill; iterating merges them. Memory is bounded
/// by [`SortOptions::run_rows`] rows plus per-MMSI static data, whatever
/// the file size.
///
/// Row times are UTC. `time_source` is [`TimeSource::TagBlock`] for gpsdio
/// CSV (its times come from the receivers' tag blocks), the file's own
/// `time_source` column for derived positions, and
/// [`TimeSource::Trailing`] otherwise: like a trailing epoch, a time that a
/// data provider attached to the message after reception.
///
/// [`TimeSource::TagBlock`]: crate::TimeSource::TagBlock
/// [`TimeSource::Trailing`]: crate::TimeSource::Trailing
pub struct HistoryReader {
    path: PathBuf,
    format: HistoryFormat,
    stats: HistoryStats,
    spilled: usize,
    merge: Merge,
    emit: Emitter,
    /// Messages built but not yet returned (a row gives up to three).
    queue: VecDeque<Decoded>,
    /// A run file failed while merging: iteration ended early.
    error: Option<io::Error>,
}

impl fmt::Debug for HistoryReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryReader")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("stats", &self.stats)
            .field("spilled", &self.spilled)
            .finish_non_exhaustive()
    }
}

impl HistoryReader {
    /// Opens a decoded-history file (plain, `.gz`, or `-` for stdin), reads
    /// it and sorts its rows; the messages come from iterating.
    ///
    /// # Errors
    /// [`HistoryError::Open`]/[`HistoryError::Read`] for I/O,
    /// [`HistoryError::UnknownFormat`] when the first line is not
    /// recognised, [`HistoryError::Spill`] when a sorted run cannot be
    /// written.
    pub fn open(path: &Path, opts: SortOptions) -> Result<Self, HistoryError> {
        let input = open_input(path).map_err(|e| HistoryError::Open(path.into(), e))?;
        Self::from_reader(path, input, opts)
    }

    /// As [`HistoryReader::open`], from an open input; `name` is used in
    /// errors only.
    ///
    /// # Errors
    /// As [`HistoryReader::open`], except [`HistoryError::Open`].
    pub fn from_reader(
        name: &Path,
        mut input: impl BufRead,
        opts: SortOptions,
    ) -> Result<Self, HistoryError> {
        let read_err = |e| HistoryError::Read(name.into(), e);
        let spill_err = |e| HistoryError::Spill(name.into(), e);
        let first = read_first_line(&mut input).map_err(read_err)?;
        let unknown = || HistoryError::UnknownFormat {
            path: name.into(),
            first_line: first.chars().take(QUOTE_CHARS).collect(),
        };
        let format = detect(&first).ok_or_else(unknown)?;
        let mut parser = RowParser::new(format, &first).ok_or_else(unknown)?;
        let mut stats = HistoryStats::default();
        let mut sorter = Sorter::new(&opts);
        let mut rows = Input::new(format, &first, input);
        while let Some(row) = rows.next_row(&mut parser, &mut stats).map_err(read_err)? {
            sorter.push(row).map_err(spill_err)?;
        }
        let spilled = sorter.spilled();
        let merge = sorter.finish().map_err(spill_err)?;
        Ok(HistoryReader {
            path: name.into(),
            format,
            stats,
            spilled,
            merge,
            emit: Emitter::new(),
            queue: VecDeque::new(),
            error: None,
        })
    }

    /// The file's format.
    pub fn format(&self) -> HistoryFormat {
        self.format
    }

    /// Counters so far: `rows` and `rejected` are final once opened;
    /// `positions` and `statics` grow as messages are returned.
    pub fn stats(&self) -> &HistoryStats {
        &self.stats
    }

    /// Sorted runs that were spilled to temporary files (0 when the input
    /// fitted in one run).
    pub fn spilled_runs(&self) -> usize {
        self.spilled
    }

    /// The final counters, to call once the iterator has returned `None`.
    ///
    /// # Errors
    /// [`HistoryError::Spill`] if reading a temporary run failed, which
    /// ended the iteration early.
    pub fn finish(self) -> Result<HistoryStats, HistoryError> {
        match self.error {
            Some(e) => Err(HistoryError::Spill(self.path, e)),
            None => Ok(self.stats),
        }
    }
}

impl Iterator for HistoryReader {
    type Item = Decoded;

    /// The next message in time order. On a temporary-file error the
    /// iteration ends early; [`HistoryReader::finish`] reports it.
    fn next(&mut self) -> Option<Decoded> {
        loop {
            if let Some(d) = self.queue.pop_front() {
                return Some(d);
            }
            if self.error.is_some() {
                return None;
            }
            match self.merge.next() {
                Ok(Some(row)) => self.emit.row(row, &mut self.queue, &mut self.stats),
                Ok(None) => return None,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Parses history already in memory (the whole file, header included),
/// through the same code as [`HistoryReader`], with default options.
/// Returns `None` when the first line is not a known format.
pub fn parse_history(text: &str) -> Option<(HistoryFormat, Vec<Decoded>, HistoryStats)> {
    let mut reader =
        HistoryReader::from_reader(Path::new("-"), text.as_bytes(), SortOptions::default()).ok()?;
    let msgs: Vec<Decoded> = reader.by_ref().collect();
    let format = reader.format();
    let stats = reader.finish().ok()?;
    Some((format, msgs, stats))
}

/// The first line, without its line break, at most [`MAX_LINE_BYTES`]
/// long (the rest of a longer line is skipped).
fn read_first_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut buf = Vec::new();
    r.by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut buf)?;
    if buf.last() != Some(&b'\n') && buf.len() >= MAX_LINE_BYTES {
        r.skip_until(b'\n')?;
    }
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
