//! The leading engine's source: the cluster's line stream, read with a
//! durable consumer from just after the position the store committed.
//!
//! Each line becomes part of a [`LineBatch`] carrying its stream sequence,
//! which travels through decode and the engine into the store, committed
//! with what the line produced: the position a leader taking over resumes
//! after. On taking over (and after any error of the stream) the consumer
//! is set anew to start after the last line read, so nothing is skipped and
//! nothing applied twice; on taking over, the lines just before the
//! position are read first as a prelude for the decoder only.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::Context;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::ingest::StreamLine;
use super::{ClusterConfig, ClusterMetrics, LINES};
use crate::ingest::{LineBatch, RawLine};
use aiswatch_core::time::{now_ms, Millis};

/// Messages taken from the consumer at once, at most.
const CHUNK: usize = 512;
/// Messages one pull request asks the server for.
const PULL_BATCH: usize = 2_000;
/// Lines before the resume position a leader reads again at the start,
/// as a prelude for the decoder: a multi-part message whose first parts
/// came before the position is then whole when its last part comes after
/// (fragments of one message come within a few lines, other receivers'
/// lines between them).
const PRELUDE: u64 = 256;
/// Longest wait before the stream is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where a leader reads from.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The partition it leads (its consumer).
    pub partition: u32,
    /// The stream sequence it read last (0: none; it reads from the start).
    pub after: u64,
    /// A sequence no batch reaches past: the last line applied before (see
    /// [`crate::app::Leading`]).
    pub split_at: Option<u64>,
}

/// Reads the lines after `at.after` into `tx` until `cancel`, after a
/// prelude of the [`PRELUDE`] lines before it. NATS being away is waited
/// out.
pub async fn run(
    js: Context,
    c: ClusterConfig,
    at: Reading,
    tx: mpsc::Sender<LineBatch>,
    metrics: ClusterMetrics,
    cancel: CancellationToken,
) -> Result<(), std::convert::Infallible> {
    let Reading {
        partition,
        after: resume,
        split_at,
    } = at;
    // The last line read: the consumer (re)starts after it.
    let mut after = resume.saturating_sub(PRELUDE);
    let mut backoff = Duration::from_millis(200);
    let mut bad: u64 = 0;
    loop {
        let messages = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            m = open(&js, &c, partition, after) => m,
        };
        let mut messages = match messages {
            Ok(m) => {
                info!(stream = %c.stream(), consumer = %c.consumer(partition), after, "Reading the line stream.");
                backoff = Duration::from_millis(200);
                m.ready_chunks(CHUNK)
            }
            Err(e) => {
                warn!(stream = %c.stream(), error = %e, retry_in_ms = backoff.as_millis() as u64, "Cannot read the line stream; retrying.");
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        loop {
            let chunk = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                c = messages.next() => c,
            };
            let Some(chunk) = chunk else { break };
            let mut lines = Vec::with_capacity(chunk.len());
            let mut failed = None;
            for m in chunk {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        failed = Some(e.to_string());
                        break;
                    }
                };
                let Ok(info) = m.info() else {
                    bad += 1;
                    continue;
                };
                let seq = info.stream_sequence;
                if seq <= after {
                    continue;
                }
                metrics
                    .lag_messages
                    .set(info.pending.min(i64::MAX as u64) as i64);
                let published = (info.published.unix_timestamp_nanos() / 1_000_000) as Millis;
                metrics
                    .lag_seconds
                    .set((now_ms() - published).max(0) as f64 / 1000.0);
                match StreamLine::read(seq, m.headers.as_ref(), &m.payload) {
                    Some(l) => lines.push((l, seq <= resume)),
                    None => {
                        bad += 1;
                        if bad.is_power_of_two() {
                            warn!(seq, skipped_total = bad, "A message of the line stream is not a line an ingest node wrote; skipped.");
                        }
                    }
                }
                after = seq;
            }
            for b in batches(lines, split_at) {
                if tx.send(b).await.is_err() {
                    return Ok(());
                }
            }
            if let Some(e) = failed {
                warn!(error = %e, after, "Reading the line stream failed; reopening it.");
                break;
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}

/// Partition `partition`'s consumer, set to start after `after`.
async fn open(
    js: &Context,
    c: &ClusterConfig,
    partition: u32,
    after: u64,
) -> Result<async_nats::jetstream::consumer::pull::Stream, String> {
    let stream = super::ensure_stream(js, c).await?;
    let name = c.consumer(partition);
    // Where a consumer starts cannot be changed: it is made anew.
    if let Err(e) = stream.delete_consumer(&name).await {
        if !e.to_string().contains("not found") {
            tracing::debug!(consumer = %name, error = %e, "Consumer not deleted.");
        }
    }
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: c.subject(LINES),
            deliver_policy: if after == 0 {
                DeliverPolicy::All
            } else {
                DeliverPolicy::ByStartSequence {
                    start_sequence: after + 1,
                }
            },
            ack_policy: AckPolicy::None,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("consumer {name}: {e}"))?;
    consumer
        .stream()
        .max_messages_per_batch(PULL_BATCH)
        .heartbeat(Duration::from_secs(5))
        .messages()
        .await
        .map_err(|e| format!("consumer {name}: {e}"))
}

/// Lines (each with whether it is of the prelude) in runs of one source,
/// receiver and kind, each a batch ending at its last line's sequence; a
/// batch ends at `split_at` too.
fn batches(lines: Vec<(StreamLine, bool)>, split_at: Option<u64>) -> Vec<LineBatch> {
    let mut out: Vec<LineBatch> = Vec::new();
    for (l, prelude) in lines {
        let line = RawLine {
            received_at: l.received_at,
            text: l.text,
        };
        match out.last_mut() {
            Some(b)
                if b.source == l.source
                    && b.peer == l.peer
                    && b.prelude == prelude
                    && b.position != split_at =>
            {
                b.lines.push(line);
                b.position = Some(l.seq);
            }
            _ => out.push(LineBatch {
                source: l.source,
                peer: l.peer,
                lines: vec![line],
                position: Some(l.seq),
                prelude,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, source: &str) -> StreamLine {
        StreamLine {
            seq,
            source: source.into(),
            peer: None,
            received_at: seq as Millis,
            text: format!("line {seq}").into_bytes(),
        }
    }

    #[test]
    fn runs_of_a_source_are_one_batch_ending_at_its_last_line() {
        let b = batches(
            vec![line(3, "a"), line(4, "a"), line(5, "b"), line(7, "a")]
                .into_iter()
                .map(|l| (l, false))
                .collect(),
            None,
        );
        let got: Vec<_> = b
            .iter()
            .map(|b| (b.source.to_string(), b.lines.len(), b.position))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_owned(), 2, Some(4)),
                ("b".to_owned(), 1, Some(5)),
                ("a".to_owned(), 1, Some(7))
            ]
        );
    }

    #[test]
    fn no_batch_reaches_past_the_split() {
        let b = batches(
            vec![
                (line(2, "a"), true),
                (line(3, "a"), false),
                (line(4, "a"), false),
                (line(5, "a"), false),
            ],
            Some(4),
        );
        let got: Vec<_> = b
            .iter()
            .map(|b| (b.lines.len(), b.position, b.prelude))
            .collect();
        assert_eq!(
            got,
            [(1, Some(2), true), (2, Some(4), false), (1, Some(5), false)]
        );
    }
}
