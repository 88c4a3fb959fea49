//! External merge sort of [`Row`]s by `(time, seq)`, in bounded memory.
//!
//! Rows are collected into a run of at most [`SortOptions::run_rows`]. A
//! full run is sorted and spilled to a temporary file in a compact binary
//! form; the last run stays in memory. Runs are then merged with a
//! `BinaryHeap`. When [`SortOptions::fan_in`] runs of one size pile up
//! they are merged into one bigger run first (like a counter in base
//! `fan_in`), so open files stay few and each row is rewritten about
//! `log_fan_in(runs)` times. An input that fits in one run is never
//! written out.
//!
//! Temporary files are created in [`SortOptions::temp_dir`] with unique
//! names and removed at once (on Unix the open file lives on unnamed), or
//! when dropped where an open file cannot be removed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ahash::AHashMap;

use super::row::{Kind, Row, StaticVals};
use super::SortOptions;
use crate::ais::Dimensions;
use crate::TimeSource;
use aiswatch_core::time::Millis;

/// Buffer of each run file, read or written.
const FILE_BUFFER: usize = 64 * 1024;

/// Collects rows into sorted runs; [`Sorter::finish`] merges them.
pub(super) struct Sorter {
    run_rows: usize,
    fan_in: usize,
    dir: PathBuf,
    buf: Vec<Row>,
    seq: u64,
    /// Spilled runs with their level (a level-`n` run holds about
    /// `fan_in^n` runs), levels non-increasing.
    spilled: Vec<(u32, RunFile)>,
}

impl Sorter {
    pub fn new(opts: &SortOptions) -> Self {
        Sorter {
            run_rows: opts.run_rows.max(1),
            fan_in: opts.fan_in.max(2),
            dir: opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
            buf: Vec::new(),
            seq: 0,
            spilled: Vec::new(),
        }
    }

    /// Adds a row, numbering it in arrival order.
    ///
    /// # Errors
    /// Writing a spilled run failed.
    pub fn push(&mut self, mut row: Row) -> io::Result<()> {
        row.seq = self.seq;
        self.seq += 1;
        self.buf.push(row);
        if self.buf.len() >= self.run_rows {
            self.spill()?;
        }
        Ok(())
    }

    /// Runs spilled so far (after merges of runs into bigger ones).
    pub fn spilled(&self) -> usize {
        self.spilled.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        sort(&mut self.buf);
        let run = write_run(&self.dir, self.buf.drain(..).map(Ok))?;
        self.spilled.push((0, run));
        // Merge `fan_in` runs of one level into one of the next.
        while let Some(&(level, _)) = self.spilled.last() {
            let n = self.spilled.len();
            if n < self.fan_in || self.spilled[n - self.fan_in].0 != level {
                break;
            }
            let merged = self.merge_tail(self.fan_in)?;
            self.spilled.push((level + 1, merged));
        }
        Ok(())
    }

    /// Merges the last `k` spilled runs into one new run file.
    fn merge_tail(&mut self, k: usize) -> io::Result<RunFile> {
        let runs = self.spilled.split_off(self.spilled.len() - k);
        let sources = runs
            .into_iter()
            .map(|(_, f)| Source::File(RunReader::new(f)))
            .collect();
        let mut merge = Merge::new(sources)?;
        write_run(&self.dir, std::iter::from_fn(|| merge.next().transpose()))
    }

    /// Sorts the last run and returns the merge of all runs.
    ///
    /// # Errors
    /// Writing or reading a spilled run failed.
    pub fn finish(mut self) -> io::Result<Merge> {
        // With the in-memory run, at most `fan_in` sources.
        while self.spilled.len() >= self.fan_in {
            let k = (self.spilled.len() + 2 - self.fan_in).max(2);
            let merged = self.merge_tail(k)?;
            self.spilled.push((u32::MAX, merged));
        }
        sort(&mut self.buf);
        let mut sources: Vec<Source> = self
            .spilled
            .into_iter()
            .map(|(_, f)| Source::File(RunReader::new(f)))
            .collect();
        sources.push(Source::Mem(std::mem::take(&mut self.buf).into_iter()));
        Merge::new(sources)
    }
}

/// `(time, seq)` is unique, so an unstable sort is a stable one here.
fn sort(rows: &mut [Row]) {
    rows.sort_unstable_by_key(|r| (r.time, r.seq));
}

// ---------------------------------------------------------------------------
// Merging

/// A sorted run being read.
pub(super) enum Source {
    Mem(std::vec::IntoIter<Row>),
    File(RunReader),
}

impl Source {
    fn next(&mut self, pool: &mut Pool) -> io::Result<Option<Row>> {
        match self {
            Source::Mem(it) => Ok(it.next()),
            Source::File(r) => r.next(pool),
        }
    }
}

/// Each MMSI's static values last read from any run: runs reading equal
/// values share one allocation, so the readers' memory is a pointer per
/// MMSI each, not a copy.
type Pool = AHashMap<u32, Arc<StaticVals>>;

/// K-way merge of sorted runs: rows in `(time, seq)` order.
pub(super) struct Merge {
    sources: Vec<Source>,
    /// The next row of each source.
    heads: Vec<Option<Row>>,
    heap: BinaryHeap<Reverse<(Millis, u64, usize)>>,
    pool: Pool,
}

impl Merge {
    fn new(mut sources: Vec<Source>) -> io::Result<Self> {
        let mut heads = Vec::with_capacity(sources.len());
        let mut heap = BinaryHeap::with_capacity(sources.len());
        let mut pool = Pool::new();
        for (i, s) in sources.iter_mut().enumerate() {
            let head = s.next(&mut pool)?;
            if let Some(r) = &head {
                heap.push(Reverse((r.time, r.seq, i)));
            }
            heads.push(head);
        }
        Ok(Merge {
            sources,
            heads,
            heap,
            pool,
        })
    }

    /// The next row in order; `Ok(None)` at the end.
    ///
    /// # Errors
    /// Reading a spilled run failed, or it is corrupt.
    pub fn next(&mut self) -> io::Result<Option<Row>> {
        let Some(Reverse((_, _, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let row = self.heads[i].take();
        let next = self.sources[i].next(&mut self.pool)?;
        if let Some(r) = &next {
            self.heap.push(Reverse((r.time, r.seq, i)));
        }
        self.heads[i] = next;
        Ok(row)
    }
}

// ---------------------------------------------------------------------------
// Run files

/// Removes a temporary file when dropped.
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An open temporary file holding one run.
pub(super) struct RunFile {
    // Declared first: closed before `path` removes the file.
    file: File,
    /// Still to be removed (where an open file cannot be).
    _path: Option<TempPath>,
}

impl RunFile {
    fn create(dir: &Path) -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(
                "aiswatch-history-{}-{nanos:08x}-{n}.run",
                std::process::id()
            ));
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let path = match std::fs::remove_file(&path) {
                Ok(()) => None,
                Err(_) => Some(TempPath(path)),
            };
            return Ok(RunFile { file, _path: path });
        }
    }
}

impl Read for RunFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Write for RunFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

// Row encoding, little-endian:
//   time i64, seq u64, mmsi u32, lon i32, lat i32, speed u16, course u16,
//   heading u16, time_source u8, kind u8, msg_type u8, status u8,
//   station: 0 none | 1 id:u32 (seen before in this run) | 2 len:u32 bytes,
//   statics: 0 none | 1 (same as the MMSI's previous row in this run)
//            | 2 mask:u8 then each value present in the mask.

/// Writes sorted rows to a new run file, ready to be read back.
fn write_run(dir: &Path, rows: impl Iterator<Item = io::Result<Row>>) -> io::Result<RunFile> {
    let mut out = BufWriter::with_capacity(FILE_BUFFER, RunFile::create(dir)?);
    let mut stations: AHashMap<Arc<str>, u32> = AHashMap::new();
    let mut statics: AHashMap<u32, Arc<StaticVals>> = AHashMap::new();
    let mut b = Vec::with_capacity(256);
    for row in rows {
        let r = row?;
        b.clear();
        b.extend_from_slice(&r.time.to_le_bytes());
        b.extend_from_slice(&r.seq.to_le_bytes());
        b.extend_from_slice(&r.mmsi.to_le_bytes());
        b.extend_from_slice(&r.lon.to_le_bytes());
        b.extend_from_slice(&r.lat.to_le_bytes());
        b.extend_from_slice(&r.speed.to_le_bytes());
        b.extend_from_slice(&r.course.to_le_bytes());
        b.extend_from_slice(&r.heading.to_le_bytes());
        b.extend_from_slice(&[
            time_source_code(r.time_source),
            kind_code(r.kind),
            r.msg_type,
            r.status,
        ]);
        match &r.station {
            None => b.push(0),
            Some(s) => match stations.get(s) {
                Some(id) => {
                    b.push(1);
                    b.extend_from_slice(&id.to_le_bytes());
                }
                None => {
                    b.push(2);
                    put_str(&mut b, s);
                    let id = stations.len() as u32;
                    stations.insert(s.clone(), id);
                }
            },
        }
        match &r.statics {
            None => b.push(0),
            Some(v) => {
                let same = statics
                    .get(&r.mmsi)
                    .is_some_and(|p| Arc::ptr_eq(p, v) || **p == **v);
                if same {
                    b.push(1);
                } else {
                    b.push(2);
                    put_statics(&mut b, v);
                    statics.insert(r.mmsi, v.clone());
                }
            }
        }
        out.write_all(&b)?;
    }
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.file.rewind()?;
    Ok(file)
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u32).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

fn put_statics(b: &mut Vec<u8>, v: &StaticVals) {
    let mask = u8::from(v.name.is_some())
        | u8::from(v.callsign.is_some()) << 1
        | u8::from(v.imo.is_some()) << 2
        | u8::from(v.shiptype.is_some()) << 3
        | u8::from(v.dims.is_some()) << 4
        | u8::from(v.draught.is_some()) << 5
        | u8::from(v.destination.is_some()) << 6
        | u8::from(v.eta.is_some()) << 7;
    b.push(mask);
    if let Some(s) = &v.name {
        put_str(b, s);
    }
    if let Some(s) = &v.callsign {
        put_str(b, s);
    }
    if let Some(x) = v.imo {
        b.extend_from_slice(&x.to_le_bytes());
    }
    if let Some(x) = v.shiptype {
        b.push(x);
    }
    if let Some(d) = v.dims {
        b.extend_from_slice(&d.to_bow.to_le_bytes());
        b.extend_from_slice(&d.to_stern.to_le_bytes());
        b.extend_from_slice(&[d.to_port, d.to_starboard]);
    }
    if let Some(x) = v.draught {
        b.push(x);
    }
    if let Some(s) = &v.destination {
        put_str(b, s);
    }
    if let Some((mo, d, h, mi)) = v.eta {
        b.extend_from_slice(&[mo, d, h, mi]);
    }
}

fn time_source_code(t: TimeSource) -> u8 {
    match t {
        TimeSource::TagBlock => 0,
        TimeSource::Pghp => 1,
        TimeSource::Trailing => 2,
        TimeSource::Arrival => 3,
    }
}

fn kind_code(k: Kind) -> u8 {
    match k {
        Kind::A => 0,
        Kind::B => 1,
        Kind::LongRange => 2,
        Kind::Base => 3,
        Kind::AtoN => 4,
        Kind::Sar => 5,
        Kind::Static => 6,
    }
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt sort run: {what}"),
    )
}

/// Reads back a run written by [`write_run`].
pub(super) struct RunReader {
    rd: BufReader<RunFile>,
    stations: Vec<Arc<str>>,
    statics: AHashMap<u32, Arc<StaticVals>>,
}

impl RunReader {
    fn new(file: RunFile) -> Self {
        RunReader {
            rd: BufReader::with_capacity(FILE_BUFFER, file),
            stations: Vec::new(),
            statics: AHashMap::new(),
        }
    }

    fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut a = [0u8; N];
        self.rd.read_exact(&mut a)?;
        Ok(a)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }

    fn u16(&mut self) -> io::Result<u16> {
        Ok(u16::from_le_bytes(self.bytes()?))
    }

    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn string(&mut self) -> io::Result<String> {
        let n = self.u32()? as usize;
        let mut v = vec![0u8; n];
        self.rd.read_exact(&mut v)?;
        String::from_utf8(v).map_err(|_| corrupt("text"))
    }

    fn next(&mut self, pool: &mut Pool) -> io::Result<Option<Row>> {
        if self.rd.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let time = i64::from_le_bytes(self.bytes()?);
        let seq = u64::from_le_bytes(self.bytes()?);
        let mmsi = self.u32()?;
        let lon = i32::from_le_bytes(self.bytes()?);
        let lat = i32::from_le_bytes(self.bytes()?);
        let speed = self.u16()?;
        let course = self.u16()?;
        let heading = self.u16()?;
        let [ts, kind, msg_type, status] = self.bytes()?;
        let time_source = match ts {
            0 => TimeSource::TagBlock,
            1 => TimeSource::Pghp,
            2 => TimeSource::Trailing,
            3 => TimeSource::Arrival,
            _ => return Err(corrupt("time source")),
        };
        let kind = match kind {
            0 => Kind::A,
            1 => Kind::B,
            2 => Kind::LongRange,
            3 => Kind::Base,
            4 => Kind::AtoN,
            5 => Kind::Sar,
            6 => Kind::Static,
            _ => return Err(corrupt("kind")),
        };
        let station = match self.u8()? {
            0 => None,
            1 => {
                let id = self.u32()? as usize;
                Some(
                    self.stations
                        .get(id)
                        .ok_or_else(|| corrupt("station"))?
                        .clone(),
                )
            }
            2 => {
                let s: Arc<str> = self.string()?.into();
                self.stations.push(s.clone());
                Some(s)
            }
            _ => return Err(corrupt("station tag")),
        };
        let statics = match self.u8()? {
            0 => None,
            1 => Some(
                self.statics
                    .get(&mmsi)
                    .ok_or_else(|| corrupt("statics"))?
                    .clone(),
            ),
            2 => {
                let v = self.read_statics()?;
                let v = match pool.get(&mmsi) {
                    Some(p) if **p == v => p.clone(),
                    _ => {
                        let a = Arc::new(v);
                        pool.insert(mmsi, a.clone());
                        a
                    }
                };
                self.statics.insert(mmsi, v.clone());
                Some(v)
            }
            _ => return Err(corrupt("statics tag")),
        };
        Ok(Some(Row {
            time,
            seq,
            mmsi,
            lon,
            lat,
            speed,
            course,
            heading,
            time_source,
            kind,
            msg_type,
            status,
            station,
            statics,
        }))
    }

    fn read_statics(&mut self) -> io::Result<StaticVals> {
        let mask = self.u8()?;
        let has = |bit: u8| mask & (1 << bit) != 0;
        let mut v = StaticVals::default();
        if has(0) {
            v.name = Some(self.string()?);
        }
        if has(1) {
            v.callsign = Some(self.string()?);
        }
        if has(2) {
            v.imo = Some(self.u32()?);
        }
        if has(3) {
            v.shiptype = Some(self.u8()?);
        }
        if has(4) {
            let to_bow = self.u16()?;
            let to_stern = self.u16()?;
            let [to_port, to_starboard] = self.bytes()?;
            v.dims = Some(Dimensions {
                to_bow,
                to_stern,
                to_port,
                to_starboard,
            });
        }
        if has(5) {
            v.draught = Some(self.u8()?);
        }
        if has(6) {
            v.destination = Some(self.string()?);
        }
        if has(7) {
            let [mo, d, h, mi] = self.bytes()?;
            v.eta = Some((mo, d, h, mi));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time: Millis, mmsi: u32, station: Option<&str>, name: Option<&str>) -> Row {
        Row {
            time,
            seq: 0,
            mmsi,
            lon: -1,
            lat: 2,
            speed: 3,
            course: 4,
            heading: 5,
            time_source: TimeSource::Pghp,
            kind: Kind::B,
            msg_type: 18,
            status: 15,
            station: station.map(Arc::from),
            statics: name.map(|n| {
                Arc::new(StaticVals {
                    name: Some(n.to_owned()),
                    dims: Some(Dimensions {
                        to_bow: 1,
                        to_stern: 2,
                        to_port: 3,
                        to_starboard: 4,
                    }),
                    eta: Some((1, 2, 3, 4)),
                    ..StaticVals::default()
                })
            }),
        }
    }

    #[test]
    fn a_row_fits_in_a_cache_line() {
        // The run buffer's memory is `run_rows` times this.
        assert!(
            std::mem::size_of::<Row>() <= 64,
            "{}",
            std::mem::size_of::<Row>()
        );
    }

    #[test]
    fn rows_round_trip_through_a_run_file() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            row(1, 7, Some("rA"), Some("ONE")),
            row(2, 7, Some("rA"), Some("ONE")),
            row(3, 8, None, None),
            row(4, 7, Some("rB"), Some("TWO")),
            row(5, 8, Some("rA"), Some("ÆØÅ")),
        ];
        let run = write_run(dir.path(), rows.clone().into_iter().map(Ok)).unwrap();
        // Removed from the directory at once (Unix), or still there to be
        // removed on drop.
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(left <= usize::from(cfg!(not(unix))));
        let mut rd = RunReader::new(run);
        let mut back = Vec::new();
        let mut pool = Pool::new();
        while let Some(r) = rd.next(&mut pool).unwrap() {
            back.push(r);
        }
        assert_eq!(back, rows);
        drop(rd);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn cascaded_merge_is_sorted_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SortOptions {
            run_rows: 3,
            fan_in: 2,
            temp_dir: Some(dir.path().to_owned()),
        };
        let mut s = Sorter::new(&opts);
        let times: Vec<Millis> = (0..50).map(|i| (i * 37) % 11).collect();
        for &t in &times {
            s.push(row(t, 1, None, None)).unwrap();
        }
        assert!(s.spilled() <= 6, "{}", s.spilled());
        let mut m = s.finish().unwrap();
        let mut keys = Vec::new();
        while let Some(r) = m.next().unwrap() {
            keys.push((r.time, r.seq));
        }
        let mut want: Vec<(Millis, u64)> = times.iter().copied().zip(0..).collect();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
}
