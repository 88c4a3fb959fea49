//! UDP source: one socket, one line or several per datagram.
//!
//! Receivers (AIS-catcher, rtl-ais, …) fire datagrams and never retransmit,
//! so this source must never slow down: it `try_send`s and counts the lines
//! it has to drop when the pipeline is full (`aiswatch_source_dropped_lines_total`)
//! instead of letting the kernel's socket buffer overflow silently.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;
use tracing::{debug, info, warn};

use super::{LineBatch, LineSplitter, RawLine, SourceCtx, SourceError};
use crate::time::now_ms;

/// Largest UDP payload (IPv4); a smaller buffer would silently truncate.
const DATAGRAM_BYTES: usize = 65_536;

/// Datagrams already queued in the socket are taken without waiting, up to
/// this many per batch, so a burst costs one channel send instead of many.
const MAX_DATAGRAMS_PER_BATCH: usize = 64;

/// A batch stops taking queued datagrams once it has this many lines.
const MAX_LINES_PER_BATCH: usize = 256;

/// Pause after a receive error, so a persistent one cannot spin the CPU.
const ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Binds `addr` and runs [`run`] on it.
///
/// # Errors
/// [`SourceError::BindUdp`] if the address cannot be bound.
pub async fn bind_and_run(ctx: SourceCtx, addr: SocketAddr) -> Result<(), SourceError> {
    let socket = UdpSocket::bind(addr)
        .await
        .map_err(|source| SourceError::BindUdp {
            id: ctx.id.clone(),
            addr,
            source,
        })?;
    run(ctx, socket).await
}

/// Receives datagrams on an already bound `socket` until cancelled or until
/// the receiver of the source's channel is gone. Each datagram is split into
/// lines (its unterminated last line counts as a line).
///
/// Tests pass a socket bound to `127.0.0.1:0`. Always returns `Ok(())`; the
/// `Result` matches the other sources.
pub async fn run(ctx: SourceCtx, socket: UdpSocket) -> Result<(), SourceError> {
    let local = socket.local_addr().ok();
    info!(source = %ctx.id, addr = ?local, "Listening for UDP datagrams.");
    let m = &ctx.metrics;
    m.up.set(1);
    let mut buf = vec![0u8; DATAGRAM_BYTES];
    let mut splitter = LineSplitter::new();
    loop {
        let first = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            r = socket.recv_from(&mut buf) => r,
        };
        let mut lines = Vec::new();
        let peer = match first {
            Ok((n, peer)) => {
                split_datagram(&ctx, &mut splitter, &buf[..n], &mut lines);
                peer
            }
            Err(e) => {
                m.errors.inc();
                warn!(source = %ctx.id, error = %e, "UDP receive failed.");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => break,
                    _ = tokio::time::sleep(ERROR_PAUSE) => continue,
                }
            }
        };
        // Take what is already queued from the same sender, without waiting for more.
        let mut other = None;
        for _ in 1..MAX_DATAGRAMS_PER_BATCH {
            if lines.len() >= MAX_LINES_PER_BATCH {
                break;
            }
            match socket.try_recv_from(&mut buf) {
                Ok((n, p)) if p == peer => {
                    split_datagram(&ctx, &mut splitter, &buf[..n], &mut lines)
                }
                Ok((n, p)) => {
                    // Another receiver: its lines go in a batch of their own.
                    let mut l = Vec::new();
                    split_datagram(&ctx, &mut splitter, &buf[..n], &mut l);
                    other = Some((p, l));
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    m.errors.inc();
                    warn!(source = %ctx.id, error = %e, "UDP receive failed.");
                    break;
                }
            }
        }
        if !lines.is_empty() && !offer(&ctx, peer, lines) {
            break;
        }
        if let Some((p, l)) = other {
            if !l.is_empty() && !offer(&ctx, p, l) {
                break;
            }
        }
    }
    m.up.set(0);
    info!(source = %ctx.id, "UDP source stopped.");
    Ok(())
}

/// Splits one datagram into `lines` and counts it.
fn split_datagram(
    ctx: &SourceCtx,
    splitter: &mut LineSplitter,
    datagram: &[u8],
    lines: &mut Vec<RawLine>,
) {
    let at = now_ms();
    ctx.metrics.bytes.inc_by(datagram.len() as u64);
    let n = splitter.push(datagram, at, lines) + splitter.finish(at, lines);
    ctx.metrics.lines.inc_by(n as u64);
}

/// Offers a batch without waiting. Returns `false` when the receiver is gone.
fn offer(ctx: &SourceCtx, peer: SocketAddr, lines: Vec<RawLine>) -> bool {
    let batch = LineBatch {
        source: ctx.id.clone(),
        peer: Some(peer),
        lines,
    };
    match ctx.tx.try_send(batch) {
        Ok(()) => true,
        Err(TrySendError::Full(batch)) => {
            ctx.metrics.dropped.inc_by(batch.lines.len() as u64);
            debug!(source = %ctx.id, lines = batch.lines.len(), "Pipeline full; dropped lines.");
            true
        }
        Err(TrySendError::Closed(_)) => {
            debug!(source = %ctx.id, "Receiver gone; stopping.");
            false
        }
    }
}
