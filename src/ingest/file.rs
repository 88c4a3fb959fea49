//! File source: reads a file (plain or `.gz`) or stdin once, then ends.
//!
//! Reading is blocking I/O (and gzip is CPU work), so it runs in
//! `spawn_blocking`. The blocking task hands batches to an async forwarder
//! over a small channel rather than holding the pipeline's sender itself: a
//! read blocked on a silent stdin cannot be interrupted, and the pipeline
//! must still see this source end as soon as it is cancelled.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::{into_batches, LineSplitter, RawLine, SourceCtx, SourceError};
use crate::time::now_ms;

/// Read buffer size, for the file and for gzip's output.
const BUF_BYTES: usize = 64 * 1024;

/// Most lines in one [`LineBatch`](super::LineBatch) from a file.
pub const MAX_LINES_PER_BATCH: usize = 1024;

/// Opens `path` for fast buffered reading: `-` is stdin; a name ending in
/// `.gz` (any case), or a file that starts with the gzip magic bytes, is
/// decompressed (concatenated gzip members included, as written by
/// `cat a.gz b.gz` or log rotation); anything else is read as is.
///
/// # Errors
/// Those of [`File::open`]. A corrupt or truncated `.gz` is reported by the
/// reads, not here.
pub fn open_reader(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(BUF_BYTES, io::stdin())));
    }
    let mut raw = BufReader::with_capacity(BUF_BYTES, File::open(path)?);
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if named_gz || raw.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            BUF_BYTES,
            MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(raw))
    }
}

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
    let (bridge_tx, mut bridge_rx) = mpsc::channel::<Vec<RawLine>>(2);
    let reader_path = path.clone();
    let reader_ctx_cancel = ctx.cancel.clone();
    let metrics = ctx.metrics.clone();
    let reader = tokio::task::spawn_blocking(move || -> Result<(), ReadFailure> {
        let input = open_reader(&reader_path).map_err(ReadFailure::Open)?;
        read_blocking(input, &bridge_tx, &reader_ctx_cancel, &metrics).map_err(ReadFailure::Read)
    });
    info!(source = %ctx.id, path = %path.display(), "Reading file.");
    ctx.metrics.up.set(1);
    let mut stopped = false;
    loop {
        let lines = tokio::select! {
            _ = ctx.cancel.cancelled() => { stopped = true; break; }
            b = bridge_rx.recv() => b,
        };
        let Some(lines) = lines else { break };
        if !ctx.send_all(lines, MAX_LINES_PER_BATCH, None).await {
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

/// Why the blocking reader ended early.
enum ReadFailure {
    Open(io::Error),
    Read(io::Error),
}

/// The blocking half of [`run`]: splits `input` and hands batches to
/// `bridge`. Returns `Ok(())` at end of input, or early when cancelled or the
/// forwarder is gone.
fn read_blocking(
    mut input: Box<dyn BufRead + Send>,
    bridge: &mpsc::Sender<Vec<RawLine>>,
    cancel: &tokio_util::sync::CancellationToken,
    metrics: &super::SourceMetrics,
) -> io::Result<()> {
    let mut splitter = LineSplitter::new();
    let mut pending: Vec<RawLine> = Vec::new();
    loop {
        if cancel.is_cancelled() {
            return Ok(());
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
        metrics.bytes.inc_by(n as u64);
        metrics.lines.inc_by(k as u64);
        // Send whatever this read completed: for a file, reads are large and
        // batches full; for a piped stdin, lines must not wait for more.
        if !pending.is_empty() {
            for batch in into_batches(std::mem::take(&mut pending), MAX_LINES_PER_BATCH) {
                if bridge.blocking_send(batch).is_err() {
                    return Ok(());
                }
            }
        }
        if n == 0 {
            return Ok(());
        }
    }
}
