//! File source: reads a file (plain or `.gz`) or stdin once, then ends; or
//! plays a file back on its own clock, looped (see [`super::playback`]).
//!
//! Reading is blocking I/O (and gzip is CPU work), so it runs in
//! `spawn_blocking`. The blocking task hands batches to an async forwarder
//! over a small channel rather than holding the pipeline's sender itself: a
//! read blocked on a silent stdin cannot be interrupted, and the pipeline
//! must still see this source end as soon as it is cancelled.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

use super::playback::{first_pass_after, line_time, period_ms, shift_line, Pacer, Playback};
use super::{into_batches, LineSplitter, RawLine, SourceCtx, SourceError};
use aiswatch_core::time::{now_ms, Millis, MAX_DURATION};
pub use aiswatch_decode::input::open_reader;

/// Most lines in one [`LineBatch`](super::LineBatch) from a file.
pub const MAX_LINES_PER_BATCH: usize = 1024;

/// Reads `path` (see [`open_reader`]) to its end, sending its lines in
/// batches of at most [`MAX_LINES_PER_BATCH`], then returns `Ok(())`. Returns
/// early, also with `Ok(())`, when cancelled or when the receiver of the
/// source's channel is gone.
///
/// # Errors
/// [`SourceError::Open`] if the file cannot be opened, [`SourceError::Read`]
/// if reading fails part-way (the lines before the failure were sent), and
/// [`SourceError::Task`] if the reader task panicked.
pub async fn run(ctx: SourceCtx, path: PathBuf) -> Result<(), SourceError> {
    run_with(ctx, path, Playback::default()).await
}

/// [`run`], played back as `play` says: paced on the data's clock and/or
/// looped (see [`super::playback`]). A looped source ends only when
/// cancelled, on an error, or when its next pass would be ahead of the wall
/// clock. Cancellation stops it at once, in a wait as in a send.
///
/// # Errors
/// As [`run`]; a file that cannot be reopened for a later pass is an
/// [`SourceError::Open`] error too.
pub async fn run_with(ctx: SourceCtx, path: PathBuf, play: Playback) -> Result<(), SourceError> {
    let (bridge_tx, mut bridge_rx) = mpsc::channel::<Chunk>(2);
    let reader_path = path.clone();
    let reader_ctx_cancel = ctx.cancel.clone();
    let metrics = ctx.metrics.clone();
    let reader_id = ctx.id.clone();
    let looped = play.looped && path != Path::new("-");
    let reader = tokio::task::spawn_blocking(move || -> Result<(), ReadFailure> {
        let mut r = Reader {
            bridge: &bridge_tx,
            cancel: &reader_ctx_cancel,
            metrics: &metrics,
        };
        r.passes(&reader_id, &reader_path, looped, &play)
    });
    info!(source = %ctx.id, path = %path.display(), speed = ?play.speed, looped, "Reading file.");
    ctx.metrics.up.set(1);
    let mut pace = play.speed.map(Pace::new);
    let mut stopped = false;
    loop {
        let chunk = tokio::select! {
            _ = ctx.cancel.cancelled() => { stopped = true; break; }
            b = bridge_rx.recv() => b,
        };
        let sent = match chunk {
            None => break,
            Some(Chunk::Lines(lines)) => match &mut pace {
                None => ctx.send_all(lines, MAX_LINES_PER_BATCH, None).await,
                Some(p) => p.send(&ctx, lines).await,
            },
            Some(Chunk::PassEnd {
                pass,
                lines,
                shift_ms,
            }) => {
                ctx.metrics.passes.inc();
                if looped || pace.is_some() {
                    let lag_ms = pace.as_mut().map_or(0, Pace::end_pass);
                    info!(
                        source = %ctx.id,
                        pass,
                        lines,
                        shift_s = shift_ms / 1000,
                        max_lag_ms = lag_ms,
                        "Playback pass done."
                    );
                }
                true
            }
        };
        if !sent {
            stopped = true;
            break;
        }
    }
    ctx.metrics.up.set(0);
    // Closing the bridge makes a reader still running stop at its next send.
    drop(bridge_rx);
    if stopped {
        info!(source = %ctx.id, path = %path.display(), "File source stopped.");
        return Ok(());
    }
    let result = match reader.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(ReadFailure::Open(source))) => Err(SourceError::Open {
            id: ctx.id.clone(),
            path,
            source,
        }),
        Ok(Err(ReadFailure::Read(source))) => {
            ctx.metrics.errors.inc();
            Err(SourceError::Read {
                id: ctx.id.clone(),
                path,
                source,
            })
        }
        Err(source) => Err(SourceError::Task {
            id: ctx.id.clone(),
            source,
        }),
    };
    match &result {
        Ok(()) => info!(source = %ctx.id, "End of file."),
        Err(e) => warn!(source = %ctx.id, error = %e, "File source failed."),
    }
    result
}

/// What the blocking reader hands the forwarder.
enum Chunk {
    /// Lines, in file order (already shifted for a later pass).
    Lines(Vec<RawLine>),
    /// Pass `pass` (from 0) ended after `lines` lines, its times shifted by `shift_ms`.
    PassEnd {
        pass: u64,
        lines: u64,
        shift_ms: Millis,
    },
}

/// Sends lines when they are due (see [`Pacer`]).
struct Pace {
    pacer: Pacer,
    /// When the current pass began: when its first line was handled.
    start: Option<Instant>,
    /// The pass's largest lag (ms) behind schedule, when a batch was sent.
    max_lag_ms: u64,
}

impl Pace {
    fn new(speed: f64) -> Self {
        Pace {
            pacer: Pacer::new(speed),
            start: None,
            max_lag_ms: 0,
        }
    }

    /// Sends `lines`, each when due: lines due together go in one batch, and
    /// the task sleeps only until the next line falls due. Returns `false`
    /// when cancelled or the receiver is gone.
    async fn send(&mut self, ctx: &SourceCtx, lines: Vec<RawLine>) -> bool {
        let start = *self.start.get_or_insert_with(Instant::now);
        let mut now = Instant::now();
        let mut ready: Vec<RawLine> = Vec::new();
        let mut ready_due = start;
        for line in lines {
            let offset = self.pacer.due(line_time(&line.text));
            let due = start.checked_add(offset).unwrap_or(now + MAX_DURATION);
            if due > now {
                if !self.flush(ctx, &mut ready, ready_due).await {
                    return false;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = ctx.cancel.cancelled() => return false,
                }
                now = Instant::now();
            }
            ready_due = due;
            ready.push(line);
        }
        self.flush(ctx, &mut ready, ready_due).await
    }

    /// Sends `ready` (the last of them due at `due`), stamped with the wall
    /// clock now: that is when they arrive, for the pipeline.
    async fn flush(&mut self, ctx: &SourceCtx, ready: &mut Vec<RawLine>, due: Instant) -> bool {
        if ready.is_empty() {
            return true;
        }
        let lag = Instant::now().saturating_duration_since(due);
        self.max_lag_ms = self.max_lag_ms.max(lag.as_millis() as u64);
        ctx.metrics.playback_lag.set(lag.as_secs_f64());
        let at = now_ms();
        for l in ready.iter_mut() {
            l.received_at = at;
        }
        ctx.send_all(std::mem::take(ready), MAX_LINES_PER_BATCH, None)
            .await
    }

    /// Ends a pass: the next line starts the next one. Returns the pass's
    /// largest lag, in ms.
    fn end_pass(&mut self) -> u64 {
        self.pacer.restart();
        self.start = None;
        std::mem::take(&mut self.max_lag_ms)
    }
}

/// Why the blocking reader ended early.
enum ReadFailure {
    Open(io::Error),
    Read(io::Error),
}

/// The blocking half of [`run_with`].
struct Reader<'a> {
    bridge: &'a mpsc::Sender<Chunk>,
    cancel: &'a tokio_util::sync::CancellationToken,
    metrics: &'a super::SourceMetrics,
}

impl Reader<'_> {
    /// Reads the file once, or (`looped`) pass after pass, each shifted by
    /// one more period. Returns `Ok(())` at the end (of the only pass, or
    /// when looping must stop), or early when cancelled or the forwarder is
    /// gone.
    fn passes(
        &mut self,
        id: &str,
        path: &Path,
        looped: bool,
        play: &Playback,
    ) -> Result<(), ReadFailure> {
        // Tag-block times of the file (first, last), once measured.
        let mut span: Option<(Millis, Millis)> = None;
        let mut measured = false;
        let mut period: Millis = 0;
        let mut start = 0;
        if let (true, Some(clock)) = (looped, play.resume_after) {
            let input = open_reader(path).map_err(ReadFailure::Open)?;
            let Some(found) = self.scan(input).map_err(ReadFailure::Read)? else {
                return Ok(());
            };
            (span, measured) = (found, true);
            period = self.period(id, span, play);
            if let Some((first, _)) = span {
                start = first_pass_after(first, period, clock);
            }
            if start > 0 {
                info!(source = %id, pass = start, "Looping on from the first pass after the restored clock.");
            }
        }
        for pass in start.. {
            let shift = Millis::try_from(pass)
                .ok()
                .and_then(|k| k.checked_mul(period));
            let Some(shift) = shift else {
                warn!(source = %id, pass, "Loop period overflows; looping stops.");
                return Ok(());
            };
            if let (true, Some((_, last))) = (pass > 0, span) {
                if last.saturating_add(shift) > now_ms() {
                    warn!(
                        source = %id,
                        pass,
                        "The next pass's times would be ahead of the wall clock (the engine refuses them); looping stops."
                    );
                    return Ok(());
                }
            }
            let input = open_reader(path).map_err(ReadFailure::Open)?;
            let want_span = (looped && !measured).then_some(&mut span);
            let Some(lines) = self
                .read(input, shift, want_span)
                .map_err(ReadFailure::Read)?
            else {
                return Ok(());
            };
            let end = Chunk::PassEnd {
                pass,
                lines,
                shift_ms: shift,
            };
            if self.bridge.blocking_send(end).is_err() || !looped {
                return Ok(());
            }
            if lines == 0 {
                warn!(source = %id, "The file is empty; looping stops.");
                return Ok(());
            }
            if !measured {
                measured = true;
                period = self.period(id, span, play);
            }
        }
        Ok(())
    }

    /// The loop period for a file whose times span `span` (0 without times:
    /// passes are then neither shifted nor paced, which is logged).
    fn period(&self, id: &str, span: Option<(Millis, Millis)>, play: &Playback) -> Millis {
        match span {
            Some((first, last)) => period_ms(first, last, play.vessel_ttl),
            None => {
                warn!(
                    source = %id,
                    "No tag-block times in the file: passes are neither shifted nor paced."
                );
                0
            }
        }
    }

    /// The first and last tag-block times of `input`, read to its end
    /// without sending anything; `None` when cancelled.
    fn scan(
        &mut self,
        mut input: Box<dyn BufRead + Send>,
    ) -> io::Result<Option<Option<(Millis, Millis)>>> {
        let mut splitter = LineSplitter::new();
        let mut lines: Vec<RawLine> = Vec::new();
        let mut span = None;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(None);
            }
            let chunk = match input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let n = chunk.len();
            if n == 0 {
                splitter.finish(0, &mut lines);
            } else {
                splitter.push(chunk, 0, &mut lines);
            }
            input.consume(n);
            note_span(&lines, &mut span);
            lines.clear();
            if n == 0 {
                return Ok(Some(span));
            }
        }
    }

    /// Splits `input` and hands batches to the forwarder, every tag-block
    /// time shifted by `shift_ms`; with `span`, notes the first and last
    /// time seen. Returns the lines read at end of input, `None` when
    /// cancelled or the forwarder is gone.
    fn read(
        &mut self,
        mut input: Box<dyn BufRead + Send>,
        shift_ms: Millis,
        mut span: Option<&mut Option<(Millis, Millis)>>,
    ) -> io::Result<Option<u64>> {
        let mut splitter = LineSplitter::new();
        let mut pending: Vec<RawLine> = Vec::new();
        let mut total = 0u64;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(None);
            }
            let chunk = match input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let n = chunk.len();
            let at = now_ms();
            let k = if n == 0 {
                splitter.finish(at, &mut pending)
            } else {
                splitter.push(chunk, at, &mut pending)
            };
            input.consume(n);
            self.metrics.bytes.inc_by(n as u64);
            self.metrics.lines.inc_by(k as u64);
            total += k as u64;
            if let Some(span) = span.as_deref_mut() {
                note_span(&pending, span);
            }
            if shift_ms != 0 {
                for l in &mut pending {
                    if let Some(t) = shift_line(&l.text, shift_ms) {
                        l.text = t;
                    }
                }
            }
            // Send whatever this read completed: for a file, reads are large and
            // batches full; for a piped stdin, lines must not wait for more.
            if !pending.is_empty() {
                for batch in into_batches(std::mem::take(&mut pending), MAX_LINES_PER_BATCH) {
                    if self.bridge.blocking_send(Chunk::Lines(batch)).is_err() {
                        return Ok(None);
                    }
                }
            }
            if n == 0 {
                return Ok(Some(total));
            }
        }
    }
}

/// Widens `span` (first, last) to the tag-block times of `lines`.
fn note_span(lines: &[RawLine], span: &mut Option<(Millis, Millis)>) {
    for t in lines.iter().filter_map(|l| line_time(&l.text)) {
        *span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
