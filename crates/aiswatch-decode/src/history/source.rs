//! Framing: the bytes after the first line → records → [`Row`]s, with
//! rejects counted. CSV goes through the `csv` crate; gpsdio JSON is one
//! record per line.
//!
//! Two things the `csv` crate does not do are added around it, in
//! [`Guard`], the reader it pulls bytes from:
//! - A record is given up once it grows past [`MAX_RECORD_BYTES`] (plus
//!   one read buffer): an unbalanced quote must not swallow a 1 GB file
//!   into one record. It is counted as a rejected row, the rest of its line
//!   is skipped and reading resumes with a fresh `csv` reader.
//! - A quoted field still open at the end of the file is reported. The
//!   `csv` crate silently closes it, so [`EOF_MARK`] is appended to the
//!   input: outside quotes it reads as a record of its own (the end);
//!   inside an open quote it ends up in the last field (a reject).

use std::io::{self, BufRead, Read};

use csv::{ByteRecord, StringRecord};

use super::row::{Row, RowError, RowParser};
use super::{HistoryFormat, HistoryStats};
use crate::input::MAX_LINE_BYTES;

/// A record spanning lines (a quoted field with line breaks) is given up
/// past about this size.
const MAX_RECORD_BYTES: u64 = 64 * 1024;
/// The `csv` reader's buffer.
const CSV_BUFFER: usize = 64 * 1024;
/// Appended after the input; see the module docs. No quote in it, NULs
/// around it: it cannot be confused with a real record's last field.
const EOF_MARK: &[u8] = b"\n\0aiswatch-end-of-input\0\n";
/// [`EOF_MARK`] as a field: the last line, outside quotes.
const EOF_FIELD: &[u8] = b"\0aiswatch-end-of-input\0";

/// Counts a rejected row; describes the first few.
pub(super) fn reject(stats: &mut HistoryStats, line: u64, why: &str) {
    stats.rejected += 1;
    if stats.first_errors.len() < super::MAX_ERRORS_KEPT {
        stats.first_errors.push(format!("line {line}: {why}"));
    }
}

/// The records of one file after its first line.
pub(super) enum Input<R: BufRead> {
    Csv(CsvInput<R>),
    Json(JsonInput<R>),
}

impl<R: BufRead> Input<R> {
    /// Reads `input` (positioned after `first_line`) as `format`.
    pub fn new(format: HistoryFormat, first_line: &str, input: R) -> Self {
        if format == HistoryFormat::GpsdioJson {
            Input::Json(JsonInput {
                inner: input,
                first: Some(first_line.trim_start_matches('\u{feff}').to_owned()),
                lineno: 0,
                buf: Vec::new(),
            })
        } else {
            Input::Csv(CsvInput {
                rdr: Some(csv_reader(Guard {
                    inner: input,
                    handed: 0,
                    boundary: 0,
                    lines: 0,
                    mark: 0,
                    runaway: false,
                })),
                rec: StringRecord::new(),
                line_base: 1,
                next_line: 1,
            })
        }
    }

    /// The next good row, counting every row read and rejecting bad ones
    /// into `stats`; `Ok(None)` at the end.
    ///
    /// # Errors
    /// I/O errors of the input (not bad rows).
    pub fn next_row(
        &mut self,
        parser: &mut RowParser,
        stats: &mut HistoryStats,
    ) -> io::Result<Option<Row>> {
        match self {
            Input::Csv(c) => c.next_row(parser, stats),
            Input::Json(j) => j.next_row(parser, stats),
        }
    }
}

fn csv_reader<R: BufRead>(g: Guard<R>) -> csv::Reader<Guard<R>> {
    // Records end at `\n` only (a `\r` before it is trimmed with the last
    // field): with CRLF ends, the `csv` crate would count lines one short.
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(CSV_BUFFER)
        .from_reader(g)
}

/// The byte source of the `csv` reader: see the module docs.
pub(super) struct Guard<R> {
    inner: R,
    /// Bytes handed to the current `csv` reader.
    handed: u64,
    /// Where the current `csv` reader's last complete record ended.
    boundary: u64,
    /// Line breaks handed out or skipped, in all.
    lines: u64,
    /// Bytes of [`EOF_MARK`] handed out.
    mark: usize,
    /// Set when a read was refused because a record grew too long.
    runaway: bool,
}

impl<R: BufRead> Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.handed.saturating_sub(self.boundary) > MAX_RECORD_BYTES + CSV_BUFFER as u64 {
            self.runaway = true;
            return Err(io::Error::other("CSV record too long"));
        }
        let mut n = loop {
            match self.inner.read(out) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if n == 0 && self.mark < EOF_MARK.len() {
            n = (EOF_MARK.len() - self.mark).min(out.len());
            out[..n].copy_from_slice(&EOF_MARK[self.mark..self.mark + n]);
            self.mark += n;
        }
        self.lines += memchr::memchr_iter(b'\n', &out[..n]).count() as u64;
        self.handed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> Guard<R> {
    /// After a runaway record: drops the rest of the current line, and
    /// starts counting afresh for a new `csv` reader.
    fn resync(&mut self) -> io::Result<()> {
        if self.mark == 0 {
            self.inner.skip_until(b'\n')?;
            self.lines += 1;
        } else {
            // The runaway reached the end: nothing more to read.
            self.mark = EOF_MARK.len();
        }
        self.handed = 0;
        self.boundary = 0;
        self.runaway = false;
        Ok(())
    }
}

/// CSV records through the `csv` crate.
pub(super) struct CsvInput<R: BufRead> {
    /// `None` once the input is exhausted.
    rdr: Option<csv::Reader<Guard<R>>>,
    /// Reused between records.
    rec: StringRecord,
    /// File line number of the current `csv` reader's line 0.
    line_base: u64,
    /// The current `csv` reader's line where the next record starts.
    next_line: u64,
}

impl<R: BufRead> CsvInput<R> {
    fn next_row(
        &mut self,
        parser: &mut RowParser,
        stats: &mut HistoryStats,
    ) -> io::Result<Option<Row>> {
        loop {
            let Some(rdr) = self.rdr.as_mut() else {
                return Ok(None);
            };
            let mut rec = std::mem::take(&mut self.rec).into_byte_record();
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => {
                    self.rdr = None;
                    return Ok(None);
                }
                Err(e) => {
                    if !rdr.get_ref().runaway {
                        return Err(io::Error::from(e));
                    }
                    stats.rows += 1;
                    reject(
                        stats,
                        self.line_base + self.next_line,
                        "unterminated quoted field",
                    );
                    if let Some(r) = self.rdr.take() {
                        let mut guard = r.into_inner();
                        guard.resync()?;
                        self.line_base = 1 + guard.lines;
                        self.next_line = 1;
                        self.rdr = Some(csv_reader(guard));
                    }
                    continue;
                }
            }
            let (end, next_line) = (rdr.position().byte(), rdr.position().line());
            rdr.get_mut().boundary = end;
            self.next_line = next_line;
            let line = self.line_base + rec.position().map_or(0, |p| p.line());
            let last = rec.get(rec.len().saturating_sub(1)).unwrap_or_default();
            if rec.len() == 1 && last == EOF_FIELD {
                self.rdr = None;
                return Ok(None);
            }
            if last.ends_with(EOF_MARK) {
                stats.rows += 1;
                reject(stats, line, "unterminated quoted field");
                self.rdr = None;
                return Ok(None);
            }
            // A line of blanks is not a row.
            if rec.len() == 1 && last.iter().all(u8::is_ascii_whitespace) {
                self.rec = StringRecord::from_byte_record_lossy(rec);
                continue;
            }
            stats.rows += 1;
            self.rec = to_strings(rec);
            match parser.csv_row(&self.rec) {
                Ok(row) => return Ok(Some(row)),
                Err(why) => reject(stats, line, &why.to_string()),
            }
        }
    }
}

/// The record as text: without copying when it is UTF-8, else with
/// invalid bytes replaced.
fn to_strings(rec: ByteRecord) -> StringRecord {
    match StringRecord::from_byte_record(rec) {
        Ok(s) => s,
        Err(e) => StringRecord::from_byte_record_lossy(e.into_byte_record()),
    }
}

/// gpsdio JSON, one record per line.
pub(super) struct JsonInput<R> {
    inner: R,
    /// The first line, read before format detection, fed as line 1.
    first: Option<String>,
    lineno: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> JsonInput<R> {
    fn next_row(
        &mut self,
        parser: &mut RowParser,
        stats: &mut HistoryStats,
    ) -> io::Result<Option<Row>> {
        loop {
            self.lineno += 1;
            let res = if let Some(first) = self.first.take() {
                parser.json_row_checked(&first)
            } else {
                if !read_line_capped(&mut self.inner, &mut self.buf)? {
                    return Ok(None);
                }
                parser.json_row_checked(&String::from_utf8_lossy(&self.buf))
            };
            match res {
                None => {}
                Some(Ok(row)) => {
                    stats.rows += 1;
                    return Ok(Some(row));
                }
                Some(Err(why)) => {
                    stats.rows += 1;
                    reject(stats, self.lineno, &why.to_string());
                }
            }
        }
    }
}

impl RowParser {
    /// [`RowParser::json_row`], or `None` for a blank line.
    fn json_row_checked(&self, line: &str) -> Option<Result<Row, RowError>> {
        (!line.trim().is_empty()).then(|| self.json_row(line))
    }
}

/// Reads one line into `buf` without its `\r\n`, keeping at most
/// [`MAX_LINE_BYTES`] of it (the rest is skipped). `false` at the end.
pub(super) fn read_line_capped(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let n = r
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() != Some(&b'\n') && buf.len() >= MAX_LINE_BYTES {
        r.skip_until(b'\n')?;
    }
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(true)
}
