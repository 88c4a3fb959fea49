//! UDP source: one socket, one line or several per datagram.
//!
//! Receivers (AIS-catcher, rtl-ais, …) fire datagrams and never retransmit,
//! so this source must never slow down: it `try_send`s and counts the lines
//! it has to drop when the pipeline is full (`aiswatch_source_dropped_lines_total`)
//! instead of letting the kernel's socket buffer overflow silently.
//!
//! The kernel still drops datagrams when the socket's receive buffer fills
//! faster than this task reads it (a burst, a CPU-starved host). The buffer
//! size is configurable (`recv_buffer_bytes`, `SO_RCVBUF`), and the kernel's
//! own drop counter for the socket (the `drops` column of `/proc/net/udp`,
//! matched by the socket's inode) is read every second into
//! `aiswatch_source_dropped_datagrams_total`, so a lossy feed shows.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;
use tracing::{debug, info, warn};

use super::{LineBatch, LineSplitter, RawLine, SourceCtx, SourceError};
use aiswatch_core::time::now_ms;

/// Largest UDP payload (IPv4); a smaller buffer would silently truncate.
const DATAGRAM_BYTES: usize = 65_536;

/// Datagrams already queued in the socket are taken without waiting, up to
/// this many per batch, so a burst costs one channel send instead of many.
const MAX_DATAGRAMS_PER_BATCH: usize = 64;

/// A batch stops taking queued datagrams once it has this many lines.
const MAX_LINES_PER_BATCH: usize = 256;

/// Pause after a receive error, so a persistent one cannot spin the CPU.
const ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How often the kernel's drop counter is read.
const DROPS_EVERY: Duration = Duration::from_secs(1);

/// Kernel drops are logged at most this often.
const DROPS_LOG_EVERY: Duration = Duration::from_secs(60);

/// Binds a UDP socket to `addr` with a receive buffer of `recv_buffer_bytes`
/// (default [`DEFAULT_RECV_BUFFER_BYTES`](super::DEFAULT_RECV_BUFFER_BYTES)),
/// set before binding so that no datagram meets a smaller one. The kernel
/// may grant less (Linux: at most `net.core.rmem_max`, doubled); [`run`]
/// reports what it got. Must be called within a tokio runtime.
///
/// # Errors
/// Creating, configuring or binding the socket failed.
pub fn bind(addr: SocketAddr, recv_buffer_bytes: Option<usize>) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_recv_buffer_size(recv_buffer_bytes.unwrap_or(super::DEFAULT_RECV_BUFFER_BYTES))?;
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// Binds `addr` (default receive buffer) and runs [`run`] on it.
///
/// # Errors
/// [`SourceError::BindUdp`] if the address cannot be bound.
pub async fn bind_and_run(ctx: SourceCtx, addr: SocketAddr) -> Result<(), SourceError> {
    let socket = bind(addr, None).map_err(|source| SourceError::BindUdp {
        id: ctx.id.clone(),
        addr,
        source,
    })?;
    run(ctx, socket).await
}

/// The kernel's count of datagrams dropped on one socket (Linux:
/// `/proc/net/udp` or `udp6`, the row whose inode is the socket's).
struct KernelDrops {
    table: &'static str,
    inode: u64,
}

impl KernelDrops {
    /// `None` where the counter cannot be read (not Linux, no `/proc`).
    fn of(socket: &UdpSocket) -> Option<Self> {
        use std::os::fd::AsRawFd;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())).ok()?;
        let inode = link
            .to_str()?
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()?;
        let table = match socket.local_addr().ok()? {
            SocketAddr::V4(_) => "/proc/net/udp",
            SocketAddr::V6(_) => "/proc/net/udp6",
        };
        let k = KernelDrops { table, inode };
        k.read().map(|_| k)
    }

    /// Datagrams dropped since the socket was created.
    fn read(&self) -> Option<u64> {
        let text = std::fs::read_to_string(self.table).ok()?;
        parse_drops(&text, self.inode)
    }
}

/// The `drops` column (the last) of the row of a `/proc/net/udp` table whose
/// `inode` column (the tenth) is `inode`.
fn parse_drops(table: &str, inode: u64) -> Option<u64> {
    let want = inode.to_string();
    table.lines().skip(1).find_map(|row| {
        let mut f = row.split_whitespace();
        if f.nth(9)? != want {
            return None;
        }
        f.last()?.parse().ok()
    })
}

/// Receives datagrams on an already bound `socket` until cancelled or until
/// the receiver of the source's channel is gone. Each datagram is split into
/// lines (its unterminated last line counts as a line).
///
/// Tests pass a socket bound to `127.0.0.1:0`. Always returns `Ok(())`; the
/// `Result` matches the other sources.
pub async fn run(ctx: SourceCtx, socket: UdpSocket) -> Result<(), SourceError> {
    let local = socket.local_addr().ok();
    let granted = SockRef::from(&socket).recv_buffer_size().ok();
    // `addr=host:port` as the HTTP server logs it: with port 0 in the
    // config, this line is where an operator finds the port.
    info!(source = %ctx.id, addr = local.map(tracing::field::display), recv_buffer_bytes = ?granted, "Listening for UDP datagrams.");
    let m = &ctx.metrics;
    m.up.set(1);
    if let Some(b) = granted {
        m.recv_buffer.set(i64::try_from(b).unwrap_or(i64::MAX));
    }
    let drops = KernelDrops::of(&socket);
    if drops.is_none() {
        debug!(source = %ctx.id, "Kernel drop counter unavailable (no /proc/net/udp).");
    }
    let mut drops_seen = 0u64;
    let mut drops_logged: Option<tokio::time::Instant> = None;
    let mut drops_tick = tokio::time::interval(DROPS_EVERY);
    drops_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = vec![0u8; DATAGRAM_BYTES];
    let mut splitter = LineSplitter::new();
    loop {
        let first = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            _ = drops_tick.tick(), if drops.is_some() => {
                let Some(now) = drops.as_ref().and_then(KernelDrops::read) else { continue };
                if now > drops_seen {
                    m.dropped_datagrams.inc_by(now - drops_seen);
                    let due = drops_logged.is_none_or(|t| t.elapsed() >= DROPS_LOG_EVERY);
                    if due {
                        warn!(
                            source = %ctx.id,
                            dropped_total = now,
                            recv_buffer_bytes = ?granted,
                            "The kernel dropped UDP datagrams: the receive buffer was full. \
                             Raise recv_buffer_bytes (and net.core.rmem_max)."
                        );
                        drops_logged = Some(tokio::time::Instant::now());
                    }
                    drops_seen = now;
                }
                continue;
            }
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
        position: None,
        prelude: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_read_from_the_socket_row() {
        let table = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0
  124: 0100007F:9C41 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 4243 2 0000000000000000 17
";
        assert_eq!(parse_drops(table, 4243), Some(17));
        assert_eq!(parse_drops(table, 4242), Some(0));
        assert_eq!(parse_drops(table, 1), None);
    }
}
