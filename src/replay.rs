//! Reading recorded input files for `decode` and `replay`: plain or `.gz`
//! files, or `-` for stdin, split into lines with a cap on line length so
//! that a file of binary junk can neither stall nor exhaust memory.

use std::io::{self, BufRead};

pub use crate::ingest::file::open_reader as open_input;

use crate::ingest::MAX_LINE_BYTES;
use aiswatch_core::time::Millis;

/// Calls `f` with each line (without `\r\n`), in order. A line longer than
/// [`MAX_LINE_BYTES`] is passed cut to that length (the decoder rejects it)
/// and its remainder skipped. Returns the number of lines.
pub fn for_each_line(mut r: impl BufRead, mut f: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut n = 0u64;
    let mut partial: Vec<u8> = Vec::new();
    let mut skipping = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !partial.is_empty() {
                n += 1;
                f(trim_cr(&partial));
            }
            return Ok(n);
        }
        let len = buf.len();
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
            let line = &buf[start..start + i];
            if skipping {
                skipping = false;
            } else if partial.is_empty() {
                n += 1;
                f(trim_cr(line));
            } else {
                let take = (MAX_LINE_BYTES - partial.len()).min(line.len());
                partial.extend_from_slice(&line[..take]);
                n += 1;
                f(trim_cr(&partial));
                partial.clear();
            }
            start += i + 1;
        }
        if !skipping && start < len {
            let rest = &buf[start..];
            let take = (MAX_LINE_BYTES - partial.len()).min(rest.len());
            partial.extend_from_slice(&rest[..take]);
            if partial.len() >= MAX_LINE_BYTES {
                n += 1;
                f(&partial);
                partial.clear();
                skipping = true;
            }
        }
        r.consume(len);
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Lines between two readings of the clock while decoding a file: the
/// arrival time dates only lines without a time of their own (and
/// fragments and stations for expiry, in seconds).
const CLOCK_EVERY: u32 = 256;

/// Frames and decodes `input` with a decoder of its own, handing `hand`
/// the messages whenever `batch` of them are waiting, with the arrival
/// time they were decoded at, and at the end the rest (possibly none).
/// `hand` takes the messages out of the vector it is given; once it returns
/// `false` the remaining lines are read but not decoded. Returns the
/// decoder's counts.
pub fn decode_batches(
    input: impl BufRead,
    batch: usize,
    mut hand: impl FnMut(&mut Vec<aiswatch_decode::Decoded>, Millis) -> bool,
) -> io::Result<aiswatch_decode::DecodeStats> {
    let mut dec = aiswatch_decode::Decoder::new();
    let mut now = aiswatch_core::time::now_ms();
    let mut n = 0u32;
    let mut msgs = Vec::with_capacity(batch);
    let mut open = true;
    for_each_line(input, |line| {
        if !open {
            return;
        }
        n = n.wrapping_add(1);
        if n % CLOCK_EVERY == 0 {
            now = aiswatch_core::time::now_ms();
        }
        dec.feed(line, now, &mut msgs);
        if msgs.len() >= batch {
            open = hand(&mut msgs, now);
        }
    })?;
    dec.expire(Millis::MAX);
    if open {
        hand(&mut msgs, now);
    }
    Ok(dec.stats().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn splits_caps_and_keeps_neighbours() {
        let mut input = b"a\r\nb\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 3));
        input.extend_from_slice(b"\nc\nd");
        let mut got: Vec<Vec<u8>> = Vec::new();
        // A tiny buffer exercises lines that span reads.
        let r = BufReader::with_capacity(7, &input[..]);
        let n = for_each_line(r, |l| got.push(l.to_vec())).unwrap();
        assert_eq!(n, 5);
        assert_eq!(got[0], b"a");
        assert_eq!(got[1], b"b");
        assert_eq!(got[2].len(), MAX_LINE_BYTES);
        assert_eq!(got[3], b"c");
        assert_eq!(got[4], b"d");
    }

    /// A real feed four times over: several groups of batches, the last
    /// one partial.
    fn feed() -> Vec<u8> {
        let one = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/aishub-5000.nmea"
        ))
        .unwrap();
        one.repeat(4)
    }

    /// Replays `input`, stopping after `stop` steps; the steps taken and
    /// the messages the engine was given.
    fn steps(input: &[u8], stop: usize) -> (usize, u64) {
        let mut engine = aiswatch_engine::engine::Engine::new(Default::default());
        let mut n = 0;
        replay_nmea(input, &"feed".into(), &mut engine, &mut None, &mut |_| {
            n += 1;
            n < stop
        })
        .unwrap();
        (n, engine.stats().messages)
    }

    #[test]
    fn the_engine_takes_every_batch_in_groups_and_stops_mid_group() {
        let input = feed();
        let mut batches = Vec::new();
        decode_batches(&input[..], BATCH, |m, _| {
            batches.push(std::mem::take(m).len());
            true
        })
        .unwrap();
        let messages = batches.iter().sum::<usize>() as u64;
        assert!(batches.len() > 2 * GROUP && batches.len() % GROUP != 0);
        assert_eq!(steps(&input, usize::MAX), (batches.len(), messages));
        let stop = GROUP + GROUP / 2;
        let first = batches[..stop].iter().sum::<usize>() as u64;
        assert_eq!(steps(&input, stop), (stop, first));
    }
}

/// What a replay did, for the summary on stderr.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReplaySummary {
    /// Input files.
    pub files: usize,
    /// Framing and decoding counters, all files together.
    #[serde(skip)]
    pub decode: aiswatch_decode::DecodeStats,
    /// Engine counters.
    pub engine: aiswatch_engine::engine::EngineStats,
    /// Vessels tracked at the end.
    pub vessels: usize,
    /// One line per decoded-history file read.
    pub history: Vec<String>,
    /// Alert state changes by kind and state, e.g. `("dark_period", "open") → 3`.
    pub alerts: std::collections::BTreeMap<(String, String), u64>,
    /// First and last event time seen.
    pub span: Option<(Millis, Millis)>,
    /// Wall-clock seconds taken.
    pub seconds: f64,
}

impl ReplaySummary {
    /// Lines per second of wall time.
    pub fn lines_per_s(&self) -> f64 {
        self.decode.lines as f64 / self.seconds.max(1e-9)
    }

    /// The human-readable summary `replay` prints on stderr.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let d = &self.decode;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "replay: {} file(s), {} lines in {:.3} s ({:.0} lines/s)",
            self.files,
            d.lines,
            self.seconds,
            self.lines_per_s()
        );
        let _ = writeln!(
            s,
            "  sentences {}, non-AIS {}, messages {}, duplicates {}, vessels {}",
            d.sentences, d.non_ais, d.messages, self.engine.duplicates, self.vessels
        );
        for h in &self.history {
            let _ = writeln!(s, "  history {h}");
        }
        let by_type: Vec<String> = d
            .by_type
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(t, n)| format!("{t}:{n}"))
            .collect();
        let _ = writeln!(s, "  messages by type: {}", by_type.join(" "));
        let rejects: Vec<String> = aiswatch_decode::Reject::ALL
            .iter()
            .filter(|r| d.reject(**r) > 0)
            .map(|r| format!("{}:{}", r.as_str(), d.reject(*r)))
            .collect();
        let _ = writeln!(
            s,
            "  rejected {}: {}",
            d.rejects_total(),
            if rejects.is_empty() {
                "none".to_owned()
            } else {
                rejects.join(" ")
            }
        );
        let limited: Vec<String> = aiswatch_decode::Limit::ALL
            .iter()
            .filter(|l| d.limit(**l) > 0)
            .map(|l| format!("{}:{}", l.as_str(), d.limit(*l)))
            .collect();
        if !limited.is_empty() {
            let _ = writeln!(s, "  limits: {}", limited.join(" "));
        }
        if d.tag_unverified + d.tag_invalid > 0 {
            let _ = writeln!(
                s,
                "  tag blocks: {} with dummy *00 checksum used, {} with bad checksum ignored",
                d.tag_unverified, d.tag_invalid
            );
        }
        let e = &self.engine;
        if e.future_time + e.late_positions > 0 {
            let _ = writeln!(
                s,
                "  future-dated {}, late positions {}",
                e.future_time, e.late_positions
            );
        }
        if !self.alerts.is_empty() {
            let a: Vec<String> = self
                .alerts
                .iter()
                .map(|((k, st), n)| format!("{k}/{st}:{n}"))
                .collect();
            let _ = writeln!(s, "  alerts: {}", a.join(" "));
        }
        match self.span {
            Some((a, b)) => {
                let _ = writeln!(
                    s,
                    "  event time {} .. {}",
                    aiswatch_core::time::rfc3339(a),
                    aiswatch_core::time::rfc3339(b)
                );
            }
            None => {
                let _ = writeln!(s, "  event time: none");
            }
        }
        s
    }
}

/// Pushes recorded files through `engine`, as fast as possible. Each file
/// is its own source (fragments never join across files). Time comes from
/// the data; lines without a time get the time they were read. `on_step`
/// runs after every batch of messages: it takes the engine's alerts (and
/// records, when storing).
pub fn replay_files(
    files: &[std::path::PathBuf],
    engine: &mut aiswatch_engine::engine::Engine,
    mut on_step: impl FnMut(&mut aiswatch_engine::engine::Engine),
) -> Result<ReplaySummary, ReplayError> {
    replay_files_while(files, engine, |e| {
        on_step(e);
        true
    })
}

/// [`replay_files`], stopping (the summary then says how far it got) after
/// the first batch of messages for which `on_step` returns `false`.
pub fn replay_files_while(
    files: &[std::path::PathBuf],
    engine: &mut aiswatch_engine::engine::Engine,
    mut on_step: impl FnMut(&mut aiswatch_engine::engine::Engine) -> bool,
) -> Result<ReplaySummary, ReplayError> {
    let stopped = std::cell::Cell::new(false);
    let mut on_step = |e: &mut aiswatch_engine::engine::Engine| {
        stopped.set(!on_step(e));
        !stopped.get()
    };
    let started = std::time::Instant::now();
    let mut sum = ReplaySummary {
        files: files.len(),
        ..Default::default()
    };
    let mut span: Option<(Millis, Millis)> = None;
    for path in files {
        if stopped.get() {
            break;
        }
        let source: std::sync::Arc<str> = path.display().to_string().into();
        // Opened once: a FIFO, `<(cmd)` or stdin can be read only once, so
        // the format is sniffed from the reader that then reads it all.
        let input = open_input(path).map_err(|e| ReplayError::Open(path.clone(), e))?;
        // Decoded history (CSV/JSON archives) is recognised by its first line.
        let (history, input) = aiswatch_decode::history::sniff_reader(input)
            .map_err(|e| ReplayError::Read(path.clone(), e))?;
        if history.is_some() {
            // Streamed in time order; memory is bounded by the sort's run size.
            let opts = aiswatch_decode::history::SortOptions::default();
            let mut reader =
                aiswatch_decode::history::HistoryReader::from_reader(path, input, opts)?;
            let now = aiswatch_core::time::now_ms();
            let mut batch = Vec::with_capacity(256);
            loop {
                batch.clear();
                batch.extend(reader.by_ref().take(256));
                if batch.is_empty() {
                    break;
                }
                for m in &batch {
                    span = Some(
                        span.map_or((m.time, m.time), |(a, b)| (a.min(m.time), b.max(m.time))),
                    );
                }
                sum.decode.messages += batch.len() as u64;
                engine.ingest(&source, &batch, now);
                if !on_step(engine) {
                    break;
                }
            }
            let format = reader.format();
            let stats = reader.finish()?;
            sum.decode.lines += stats.rows;
            sum.history.push(format!(
                "{}: {} ({} rows, {} positions, {} static, {} rejected{})",
                path.display(),
                format,
                stats.rows,
                stats.positions,
                stats.statics,
                stats.rejected,
                stats
                    .first_errors
                    .first()
                    .map(|e| format!("; first: {e}"))
                    .unwrap_or_default()
            ));
            continue;
        }
        let stats = replay_nmea(input, &source, engine, &mut span, &mut on_step)
            .map_err(|e| ReplayError::Read(path.clone(), e))?;
        sum.decode.add(&stats);
    }
    sum.engine = engine.stats().clone();
    sum.vessels = engine.tracks().len();
    sum.span = span;
    sum.seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

/// Messages the engine takes in one step.
const BATCH: usize = 256;
/// Batches handed from the decoding thread to the engine's at a time.
/// Handed one at a time, a decoder running ahead is woken by the engine at
/// every batch, and the scheduler can keep the two threads taking turns on
/// one core while the other idles between a store writer's short tasks.
const GROUP: usize = 16;
/// Groups the decoding thread may run ahead of the engine (65,536 messages).
const AHEAD: usize = 16;

/// One NMEA input through `engine`: lines are framed and decoded on a
/// thread of their own, up to [`AHEAD`] groups of batches ahead of the
/// engine (as the daemon's decode and engine stages), so the engine's
/// thread does only the engine's work. The engine sees the same batches, in the same order, as
/// when one thread does both. Returns the decoder's counts.
///
/// The engine hands each group back once it has taken it, and the
/// decoding thread drops its messages and fills the emptied lists again.
/// A message's station name is shared and counted: the decoder counts it
/// up for every message; counted down on the engine's core, the count's
/// cache line would pass between the two cores at every message.
fn replay_nmea(
    input: impl BufRead + Send,
    source: &std::sync::Arc<str>,
    engine: &mut aiswatch_engine::engine::Engine,
    span: &mut Option<(Millis, Millis)>,
    on_step: &mut impl FnMut(&mut aiswatch_engine::engine::Engine) -> bool,
) -> io::Result<aiswatch_decode::DecodeStats> {
    type Group = Vec<(Vec<aiswatch_decode::Decoded>, Millis)>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Group>(AHEAD);
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Group>();
    std::thread::scope(|s| {
        let decoding = s.spawn(move || {
            // Emptied lists of messages, and of batches, to fill again.
            let mut lists: Vec<Vec<aiswatch_decode::Decoded>> = Vec::new();
            let mut groups: Vec<Group> = Vec::new();
            let mut group = Vec::with_capacity(GROUP);
            let stats = decode_batches(input, BATCH, |msgs, now| {
                if lists.is_empty() {
                    for mut g in spent_rx.try_iter() {
                        lists.extend(g.drain(..).map(|(mut m, _)| {
                            m.clear();
                            m
                        }));
                        groups.push(g);
                    }
                }
                let next = lists.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                group.push((std::mem::replace(msgs, next), now));
                // The engine's end hangs up only if it stopped early or its
                // thread panicked.
                group.len() < GROUP || {
                    let next = groups.pop().unwrap_or_else(|| Vec::with_capacity(GROUP));
                    tx.send(std::mem::replace(&mut group, next)).is_ok()
                }
            });
            if !group.is_empty() {
                let _ = tx.send(group);
            }
            stats
        });
        'groups: for group in rx {
            for (msgs, now) in &group {
                for m in msgs {
                    *span = Some(
                        span.map_or((m.time, m.time), |(a, b)| (a.min(m.time), b.max(m.time))),
                    );
                }
                engine.ingest(source, msgs, *now);
                if !on_step(engine) {
                    // The decoder stops at its next group: no one takes it.
                    break 'groups;
                }
            }
            // Once the decoder has ended, the group is dropped here.
            let _ = spent_tx.send(group);
        }
        decoding
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// An input could not be opened.
    #[error("cannot open {0}: {1}")]
    Open(std::path::PathBuf, #[source] io::Error),
    /// An input could not be read to its end (I/O error, corrupt gzip).
    #[error("cannot read {0}: {1}")]
    Read(std::path::PathBuf, #[source] io::Error),
    /// A decoded-history file could not be read.
    #[error(transparent)]
    History(#[from] aiswatch_decode::history::HistoryError),
}
