//! TCP sources: a client that connects to a receiver or aggregator and keeps
//! reconnecting, and a server that receivers push lines to.
//!
//! Both wait for room in the pipeline (`send().await`): TCP has its own flow
//! control, so a slow pipeline slows the peer down instead of losing lines.
//! Lines are sent as soon as a read has been split (at most
//! [`MAX_LINES_PER_BATCH`] per batch): nothing is held back waiting for more.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn, Instrument};

use super::{LineSplitter, SourceCtx, SourceError};
use crate::time::now_ms;

/// Bytes read from a socket at once.
const READ_BUF_BYTES: usize = 64 * 1024;

/// Most lines in one [`LineBatch`](super::LineBatch) from a TCP source.
pub const MAX_LINES_PER_BATCH: usize = 256;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the
/// accept loop cannot spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Reconnection settings of a [`run_client`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// First reconnect delay; the delay doubles after each failed attempt.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Reconnect when nothing arrives for this long. Also bounds how long a
    /// connection attempt may take.
    pub idle_timeout: Duration,
}

/// How reading one connection ended.
enum StreamEnd {
    /// The peer closed the connection.
    Eof,
    /// Nothing arrived within the idle timeout.
    Idle,
    /// A read failed.
    Error(io::Error),
    /// Cancelled, or the receiver is gone: the source must stop.
    Stop,
}

/// Reads `stream` to its end, sending its lines. `delivered` is set once any
/// byte has arrived. On a clean end of stream, an unterminated last line is
/// sent too; after an error or idle timeout it is dropped (likely cut short).
async fn read_stream<R: AsyncRead + Unpin>(
    ctx: &SourceCtx,
    peer: Option<SocketAddr>,
    stream: &mut R,
    idle_timeout: Option<Duration>,
    delivered: &mut bool,
) -> StreamEnd {
    let m = &ctx.metrics;
    let mut buf = vec![0u8; READ_BUF_BYTES];
    let mut splitter = LineSplitter::new();
    loop {
        let read = async {
            match idle_timeout {
                Some(d) => tokio::time::timeout(d, stream.read(&mut buf)).await.ok(),
                None => Some(stream.read(&mut buf).await),
            }
        };
        let n = tokio::select! {
            _ = ctx.cancel.cancelled() => return StreamEnd::Stop,
            r = read => match r {
                None => return StreamEnd::Idle,
                Some(Err(e)) => return StreamEnd::Error(e),
                Some(Ok(n)) => n,
            },
        };
        let mut lines = Vec::new();
        if n == 0 {
            let k = splitter.finish(now_ms(), &mut lines);
            m.lines.inc_by(k as u64);
            if !ctx.send_all(lines, MAX_LINES_PER_BATCH, peer).await {
                return StreamEnd::Stop;
            }
            return StreamEnd::Eof;
        }
        *delivered = true;
        m.bytes.inc_by(n as u64);
        let k = splitter.push(&buf[..n], now_ms(), &mut lines);
        m.lines.inc_by(k as u64);
        if !ctx.send_all(lines, MAX_LINES_PER_BATCH, peer).await {
            return StreamEnd::Stop;
        }
    }
}

/// Connects to `addr` (`host:port`) and reads lines, reconnecting forever
/// with capped exponential backoff until cancelled or until the receiver of
/// the source's channel is gone.
///
/// After a failed attempt or a connection that delivered nothing, the delay
/// doubles from `backoff_min` up to `backoff_max`; after a connection that
/// delivered data it starts again at `backoff_min`. `source_up` is 1 while
/// connected.
pub async fn run_client(ctx: SourceCtx, addr: String, opts: ClientOptions) {
    let m = &ctx.metrics;
    let backoff_min = opts.backoff_min.max(Duration::from_millis(1));
    let backoff_max = opts.backoff_max.max(backoff_min);
    let mut backoff = backoff_min;
    info!(source = %ctx.id, addr = %addr, "Connecting.");
    loop {
        if ctx.tx.is_closed() {
            break;
        }
        let connect = tokio::time::timeout(opts.idle_timeout, TcpStream::connect(addr.as_str()));
        let attempt = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            r = connect => r,
        };
        match attempt {
            Err(_elapsed) => {
                m.errors.inc();
                warn!(source = %ctx.id, addr = %addr, "Connection attempt timed out.");
            }
            Ok(Err(e)) => {
                m.errors.inc();
                warn!(source = %ctx.id, addr = %addr, error = %e, "Connection failed.");
            }
            Ok(Ok(mut stream)) => {
                let peer = stream.peer_addr().ok();
                m.connections.inc();
                m.up.set(1);
                info!(source = %ctx.id, addr = %addr, peer = ?peer, "Connected.");
                let mut delivered = false;
                let span = tracing::info_span!("conn", source = %ctx.id, peer = ?peer);
                let end = read_stream(
                    &ctx,
                    peer,
                    &mut stream,
                    Some(opts.idle_timeout),
                    &mut delivered,
                )
                .instrument(span)
                .await;
                m.up.set(0);
                match end {
                    StreamEnd::Stop => break,
                    StreamEnd::Eof => {
                        m.errors.inc();
                        warn!(source = %ctx.id, addr = %addr, "Connection closed by peer.");
                    }
                    StreamEnd::Idle => {
                        m.errors.inc();
                        warn!(
                            source = %ctx.id,
                            addr = %addr,
                            idle = ?opts.idle_timeout,
                            "Connection idle; reconnecting."
                        );
                    }
                    StreamEnd::Error(e) => {
                        m.errors.inc();
                        warn!(source = %ctx.id, addr = %addr, error = %e, "Connection lost.");
                    }
                }
                if delivered {
                    backoff = backoff_min;
                }
            }
        }
        debug!(source = %ctx.id, delay = ?backoff, "Waiting before reconnecting.");
        tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = backoff.saturating_mul(2).min(backoff_max);
    }
    m.up.set(0);
    info!(source = %ctx.id, addr = %addr, "TCP client stopped.");
}

/// Binds `addr` and runs [`serve`] on it.
///
/// # Errors
/// [`SourceError::BindTcp`] if the address cannot be bound.
pub async fn bind_and_serve(
    ctx: SourceCtx,
    addr: SocketAddr,
    max_connections: usize,
) -> Result<(), SourceError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SourceError::BindTcp {
            id: ctx.id.clone(),
            addr,
            source,
        })?;
    serve(ctx, listener, max_connections).await;
    Ok(())
}

/// Accepts connections on an already bound `listener`, one task per
/// connection, until cancelled or until the receiver of the source's channel
/// is gone; then waits for the connection tasks to end (they watch the same
/// token), so that no sender outlives this call.
///
/// At most `max_connections` are served at once: a connection beyond that is
/// closed at once and counted in `source_errors`. A failing peer ends only
/// its own task. `source_up` is 1 while listening. Tests pass a listener
/// bound to `127.0.0.1:0`.
pub async fn serve(ctx: SourceCtx, listener: TcpListener, max_connections: usize) {
    let m = &ctx.metrics;
    let local = listener.local_addr().ok();
    info!(source = %ctx.id, addr = ?local, max_connections, "Listening for TCP connections.");
    m.up.set(1);
    let limit = Arc::new(Semaphore::new(max_connections));
    let tasks = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            _ = ctx.tx.closed() => break,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((stream, peer)) => match limit.clone().try_acquire_owned() {
                Ok(permit) => {
                    m.connections.inc();
                    let span = tracing::info_span!("conn", source = %ctx.id, peer = %peer);
                    tasks.spawn(serve_conn(ctx.clone(), stream, peer, permit).instrument(span));
                }
                Err(_) => {
                    m.errors.inc();
                    warn!(
                        source = %ctx.id,
                        peer = %peer,
                        max_connections,
                        "Too many connections; closing the new one."
                    );
                    drop(stream);
                }
            },
            Err(e) => {
                m.errors.inc();
                warn!(source = %ctx.id, error = %e, "Accept failed.");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => break,
                    _ = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                }
            }
        }
    }
    m.up.set(0);
    drop(listener);
    tasks.close();
    tasks.wait().await;
    info!(source = %ctx.id, "TCP server stopped.");
}

/// Reads one accepted connection until it ends; holds its permit meanwhile.
async fn serve_conn(
    ctx: SourceCtx,
    mut stream: TcpStream,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
) {
    debug!(source = %ctx.id, peer = %peer, "Connection accepted.");
    let mut delivered = false;
    match read_stream(&ctx, Some(peer), &mut stream, None, &mut delivered).await {
        StreamEnd::Eof => debug!(source = %ctx.id, peer = %peer, "Connection closed by peer."),
        StreamEnd::Error(e) => {
            ctx.metrics.errors.inc();
            warn!(source = %ctx.id, peer = %peer, error = %e, "Connection lost.");
        }
        StreamEnd::Idle | StreamEnd::Stop => {}
    }
}
