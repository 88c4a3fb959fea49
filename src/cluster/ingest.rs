//! An ingest node's end of the line stream: every line the sources take
//! is published to JetStream, one message per line, and counts as taken
//! only once the stream acknowledged it.
//!
//! Each line gets a `Nats-Msg-Id` (`<node>-<start>-<n>`) when it arrives,
//! so publishing it again after a lost acknowledgement or a reconnect is
//! harmless: the stream drops the copy within its duplicate window. While
//! NATS is away, lines wait in memory, up to `[channels] ingest_buffer`;
//! lines beyond are dropped, counted
//! (`aiswatch_cluster_lines_overflowed_total`) and logged, never silently
//! lost. The sources are never held up by NATS.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage as Publish;
use async_nats::jetstream::Context;
use async_nats::HeaderMap;
use bytes::Bytes;
use tokio::sync::{mpsc, Notify};
use tracing::{info, warn};

use super::{ClusterConfig, ClusterMetrics, NodeStatus, LINES};
use crate::ingest::{LineBatch, SourceId};
use aiswatch_core::time::{now_ms, Millis};

/// Header: when the line arrived at the ingest node (unix ms).
pub const RECEIVED: &str = "Aiswatch-Received";
/// Header: the id of the source that took it.
pub const SOURCE: &str = "Aiswatch-Source";
/// Header: the receiver that sent it, for sources with several.
pub const PEER: &str = "Aiswatch-Peer";

/// Lines published before their acknowledgements are awaited.
const IN_FLIGHT: usize = 2_048;
/// How long one acknowledgement may take.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between two tries while NATS is away.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One line waiting for the stream.
struct Pending {
    id: String,
    received_at: Millis,
    source: SourceId,
    peer: Option<SocketAddr>,
    text: Bytes,
}

impl Pending {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RECEIVED, self.received_at.to_string().as_str());
        h.insert(SOURCE, &*self.source);
        if let Some(p) = self.peer {
            h.insert(PEER, p.to_string().as_str());
        }
        h
    }

    fn message(&self) -> Publish {
        Publish::build()
            .payload(self.text.clone())
            .headers(self.headers())
            .message_id(&self.id)
    }
}

/// Lines taken and not yet acknowledged, shared by the taker and the
/// publisher.
#[derive(Default)]
struct Buffer {
    lines: Mutex<(VecDeque<Pending>, bool)>,
    more: Notify,
}

/// Publishes every line of `rx` to the cluster's line stream until `rx`
/// closes and everything taken is acknowledged.
pub async fn publish(
    mut rx: mpsc::Receiver<LineBatch>,
    js: Context,
    c: ClusterConfig,
    cap: usize,
    metrics: ClusterMetrics,
    status: Arc<NodeStatus>,
) {
    let buf = Arc::new(Buffer::default());
    let taker = {
        let (buf, metrics, node) = (buf.clone(), metrics.clone(), c.node.clone());
        tokio::spawn(async move {
            let start = now_ms();
            let mut n: u64 = 0;
            let mut last_log: Millis = 0;
            while let Some(b) = rx.recv().await {
                let mut over = 0u64;
                {
                    let Ok(mut g) = buf.lines.lock() else { return };
                    for line in b.lines {
                        n += 1;
                        if g.0.len() >= cap {
                            over += 1;
                            continue;
                        }
                        g.0.push_back(Pending {
                            id: format!("{node}-{start}-{n}"),
                            received_at: line.received_at,
                            source: b.source.clone(),
                            peer: b.peer,
                            text: Bytes::from(line.text),
                        });
                    }
                    metrics.buffered.set(g.0.len() as i64);
                }
                if over > 0 {
                    metrics.overflowed.inc_by(over);
                    let now = now_ms();
                    if now - last_log >= 10_000 {
                        last_log = now;
                        warn!(source = %b.source, dropped = over, dropped_total = metrics.overflowed.get(), buffer = cap,
                            "Line stream unreachable and [channels] ingest_buffer full: lines dropped.");
                    }
                }
                buf.more.notify_one();
            }
            if let Ok(mut g) = buf.lines.lock() {
                g.1 = true;
            }
            buf.more.notify_one();
        })
    };
    let subject = c.subject(LINES);
    let mut stream_ready = false;
    let mut backoff = Duration::from_millis(100);
    let mut failing = false;
    loop {
        let chunk: Vec<Pending> = {
            let Ok(mut g) = buf.lines.lock() else { break };
            let (lines, closed) = &mut *g;
            if lines.is_empty() && *closed {
                break;
            }
            let n = lines.len().min(IN_FLIGHT);
            lines.drain(..n).collect()
        };
        if chunk.is_empty() {
            buf.more.notified().await;
            continue;
        }
        if !stream_ready {
            match super::ensure_stream(&js, &c).await {
                Ok(_) => stream_ready = true,
                Err(e) => {
                    requeue(&buf, chunk);
                    warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Line stream unreachable; lines wait in the buffer.");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        // A client that cannot reach the server may hold a publish back
        // itself: the whole round has a deadline.
        let (acked, failed, error) =
            match tokio::time::timeout(2 * ACK_TIMEOUT, send(&js, &subject, &chunk)).await {
                Ok((ok, error)) => {
                    let acked = ok.iter().filter(|o| **o).count() as u64;
                    let failed: Vec<_> = chunk
                        .into_iter()
                        .zip(ok)
                        .filter_map(|(l, ok)| (!ok).then_some(l))
                        .collect();
                    (acked, failed, error)
                }
                Err(_) => (
                    0,
                    chunk,
                    Some("NATS did not take the lines in time".to_owned()),
                ),
            };
        metrics.published.inc_by(acked);
        if failed.is_empty() {
            if failing {
                failing = false;
                status.set_problem(None);
                info!("Line stream reachable again; buffered lines are being published.");
            }
            backoff = Duration::from_millis(100);
        } else {
            let error = error.unwrap_or_default();
            status.set_problem(Some(format!(
                "line stream unreachable ({error}): lines wait in the buffer"
            )));
            if !failing {
                failing = true;
                warn!(%error, waiting = failed.len(), "Line stream unreachable; lines wait in the buffer.");
            }
            requeue(&buf, failed);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        if let Ok(g) = buf.lines.lock() {
            metrics.buffered.set(g.0.len() as i64);
        }
    }
    let _ = taker.await;
}

/// Puts lines that were not acknowledged back at the front, in order.
fn requeue(buf: &Buffer, lines: Vec<Pending>) {
    if let Ok(mut g) = buf.lines.lock() {
        for l in lines.into_iter().rev() {
            g.0.push_front(l);
        }
    }
}

/// Publishes `chunk` and waits for the acknowledgements: which lines the
/// stream acknowledged, the first error.
async fn send(js: &Context, subject: &str, chunk: &[Pending]) -> (Vec<bool>, Option<String>) {
    let mut acks = Vec::with_capacity(chunk.len());
    let mut error = None;
    for l in chunk {
        match js.send_publish(subject.to_owned(), l.message()).await {
            Ok(f) => acks.push(Some(f)),
            Err(e) => {
                error.get_or_insert_with(|| e.to_string());
                acks.push(None);
            }
        }
    }
    let mut ok = Vec::with_capacity(chunk.len());
    for f in acks {
        ok.push(match f {
            Some(f) => {
                match tokio::time::timeout(ACK_TIMEOUT, std::future::IntoFuture::into_future(f))
                    .await
                {
                    Ok(Ok(_)) => true,
                    Ok(Err(e)) => {
                        error.get_or_insert_with(|| e.to_string());
                        false
                    }
                    Err(_) => {
                        error.get_or_insert_with(|| "no acknowledgement within 5 s".to_owned());
                        false
                    }
                }
            }
            None => false,
        });
    }
    (ok, error)
}

/// A line read back from the stream, with where it is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLine {
    /// Its sequence number in the stream.
    pub seq: u64,
    /// The source that took it.
    pub source: SourceId,
    /// The receiver that sent it, if the source has several.
    pub peer: Option<SocketAddr>,
    /// When it arrived at the ingest node.
    pub received_at: Millis,
    /// The line.
    pub text: Vec<u8>,
}

impl StreamLine {
    /// Reads a message the publisher wrote; `None` for one that is not
    /// (no or bad headers), which the caller counts and skips.
    pub fn read(seq: u64, headers: Option<&HeaderMap>, payload: &[u8]) -> Option<StreamLine> {
        let h = headers?;
        let received_at = h.get(RECEIVED)?.as_str().parse().ok()?;
        let source: SourceId = h.get(SOURCE)?.as_str().into();
        let peer = match h.get(PEER) {
            Some(p) => Some(p.as_str().parse().ok()?),
            None => None,
        };
        Some(StreamLine {
            seq,
            source,
            peer,
            received_at,
            text: payload.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_line_reads_back_with_its_headers() {
        let p = Pending {
            id: "ingest-1-5-7".into(),
            received_at: 1_700_000_000_123,
            source: "tcp".into(),
            peer: Some("10.0.0.7:4001".parse().unwrap()),
            text: Bytes::from_static(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"),
        };
        let got = StreamLine::read(42, Some(&p.headers()), &p.text).unwrap();
        assert_eq!(
            got,
            StreamLine {
                seq: 42,
                source: "tcp".into(),
                peer: p.peer,
                received_at: p.received_at,
                text: p.text.to_vec(),
            }
        );
        let mut bad = HeaderMap::new();
        bad.insert(RECEIVED, "yesterday");
        bad.insert(SOURCE, "tcp");
        assert!(StreamLine::read(1, Some(&bad), b"x").is_none());
        assert!(StreamLine::read(1, None, b"x").is_none());
    }
}
