//! TCP sources: a client that connects to a receiver or aggregator and keeps
//! reconnecting, and a server that receivers push lines to.
//!
//! Both wait for room in the pipeline (`send().await`): TCP has its own flow
//! control, so a slow pipeline slows the peer down instead of losing lines.
//! Lines are sent as soon as a read has been split (at most
//! [`MAX_LINES_PER_BATCH`] per batch): nothing is held back waiting for more.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn, Instrument};

use super::{LineSplitter, SourceCtx, SourceError, SourceId};
use aiswatch_core::time::now_ms;

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
    /// The server closed it to make room for a new connection.
    Evicted,
    /// A read failed.
    Error(io::Error),
    /// Cancelled, or the receiver is gone: the source must stop.
    Stop,
}

/// How [`read_stream`] watches a connection.
struct Watch<'a> {
    /// End the connection when it is idle this long.
    idle_timeout: Option<Duration>,
    /// Idle means no complete line (a server's peers: a slowloris trickling
    /// bytes without a newline is idle), rather than no byte at all.
    idle_on_lines: bool,
    /// Told when a line completes (the server ranks connections by it).
    activity: Option<&'a Activity>,
    /// Cancelled when the server evicts the connection.
    evict: Option<&'a CancellationToken>,
    /// Read buffer size.
    buf_bytes: usize,
}

/// `now + d`, or a far future instant if that overflows (a huge timeout).
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Reads `stream` to its end, sending its lines. `delivered` is set once any
/// byte has arrived. On a clean end of stream, an unterminated last line is
/// sent too; after an error, idle timeout or eviction it is dropped (likely
/// cut short).
async fn read_stream<R: AsyncRead + Unpin>(
    ctx: &SourceCtx,
    peer: Option<SocketAddr>,
    stream: &mut R,
    watch: Watch<'_>,
    delivered: &mut bool,
) -> StreamEnd {
    let m = &ctx.metrics;
    let mut buf = vec![0u8; watch.buf_bytes];
    let mut splitter = LineSplitter::new();
    let never = CancellationToken::new();
    let evict = watch.evict.unwrap_or(&never);
    let mut deadline = watch.idle_timeout.map(deadline_after);
    loop {
        let idle = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let n = tokio::select! {
            _ = ctx.cancel.cancelled() => return StreamEnd::Stop,
            _ = evict.cancelled() => return StreamEnd::Evicted,
            _ = idle => return StreamEnd::Idle,
            r = stream.read(&mut buf) => match r {
                Err(e) => return StreamEnd::Error(e),
                Ok(n) => n,
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
        if k > 0 {
            if let Some(a) = watch.activity {
                a.sending(true);
            }
        }
        let sent = ctx.send_all(lines, MAX_LINES_PER_BATCH, peer).await;
        // Idleness counts from here: time spent waiting for room in the
        // pipeline (backpressure) is ours, not the peer's.
        if k > 0 {
            if let Some(a) = watch.activity {
                a.line();
                a.sending(false);
            }
        }
        if !sent {
            return StreamEnd::Stop;
        }
        if k > 0 || !watch.idle_on_lines {
            deadline = watch.idle_timeout.map(deadline_after);
        }
    }
}

/// The shortest reconnect delay a [`run_client`] source waits: a smaller
/// `backoff_min` is raised to it (with a warning naming the source), so that
/// a receiver that refuses or drops every connection is not hammered.
pub const BACKOFF_FLOOR: Duration = Duration::from_millis(100);

/// How often a failing [`run_client`] source logs its failures: the first
/// of a streak at once, then at most one summary with a count per period.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// Rate-limits a client's connection logs to one per `every`: a failure
/// after a quiet period is logged at once; the next ones within `every` are
/// only counted, and the count goes with the next message let through (a
/// later failure, or the connection that delivers again).
#[derive(Debug)]
struct FailureLog {
    every: Duration,
    /// When the last message was let through.
    logged_at: Option<Instant>,
    /// Failures since then, not logged.
    unlogged: u64,
}

impl FailureLog {
    fn new(every: Duration) -> Self {
        FailureLog {
            every,
            logged_at: None,
            unlogged: 0,
        }
    }

    /// Whether a message may be logged at `now`.
    fn quiet(&self, now: Instant) -> bool {
        self.logged_at
            .is_none_or(|t| now.saturating_duration_since(t) >= self.every)
    }

    /// A failure at `now`: `Some(n)` if it is to be logged, `n` being the
    /// failures left unlogged before it; `None` if it is only counted.
    fn failed(&mut self, now: Instant) -> Option<u64> {
        if self.quiet(now) {
            self.logged_at = Some(now);
            Some(std::mem::take(&mut self.unlogged))
        } else {
            self.unlogged += 1;
            None
        }
    }

    /// A connection delivered data at `now`: `Some(n)` if the `n` failures
    /// held back are to be reported now.
    fn recovered(&mut self, now: Instant) -> Option<u64> {
        if self.unlogged > 0 && self.quiet(now) {
            self.logged_at = Some(now);
            Some(std::mem::take(&mut self.unlogged))
        } else {
            None
        }
    }
}

/// Logs a client's connection failure through `log`: at `warn` when it
/// lets it through (with the count of failures held back before it),
/// else at `debug`.
fn log_failure(log: &mut FailureLog, id: &SourceId, addr: &str, what: &str, error: Option<&str>) {
    match log.failed(Instant::now()) {
        Some(0) => warn!(source = %id, addr = %addr, error, "{what}"),
        Some(n) => warn!(
            source = %id,
            addr = %addr,
            error,
            unlogged_failures = n,
            every = ?log.every,
            "{what} ({n} more failures since the last warning, not logged.)"
        ),
        None => debug!(source = %id, addr = %addr, error, "{what}"),
    }
}

/// Connects to `addr` (`host:port`) and reads lines, reconnecting forever
/// with capped exponential backoff until cancelled or until the receiver of
/// the source's channel is gone.
///
/// After a failed attempt or a connection that delivered nothing, the delay
/// doubles from `backoff_min` up to `backoff_max`; after a connection that
/// delivered data it starts again at `backoff_min`. Neither is below
/// [`BACKOFF_FLOOR`]. Failures are logged at most once per [`WARN_EVERY`]
/// while they last (the first at once, then a count); every one is counted
/// in `source_errors`. `source_up` is 1 while connected.
pub async fn run_client(ctx: SourceCtx, addr: String, opts: ClientOptions) {
    let m = &ctx.metrics;
    if opts.backoff_min < BACKOFF_FLOOR {
        warn!(
            source = %ctx.id,
            backoff_min = ?opts.backoff_min,
            floor = ?BACKOFF_FLOOR,
            "Reconnect delay backoff_min is below the floor; waiting the floor instead."
        );
    }
    let backoff_min = opts.backoff_min.max(BACKOFF_FLOOR);
    let backoff_max = opts.backoff_max.max(backoff_min);
    let mut backoff = backoff_min;
    let mut failures = FailureLog::new(WARN_EVERY);
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
                log_failure(
                    &mut failures,
                    &ctx.id,
                    &addr,
                    "Connection attempt timed out.",
                    None,
                );
            }
            Ok(Err(e)) => {
                m.errors.inc();
                let e = e.to_string();
                log_failure(
                    &mut failures,
                    &ctx.id,
                    &addr,
                    "Connection failed.",
                    Some(&e),
                );
            }
            Ok(Ok(mut stream)) => {
                let peer = stream.peer_addr().ok();
                m.connections.inc();
                m.up.set(1);
                // A peer that accepts and drops every connection would
                // otherwise log this at every attempt.
                if failures.quiet(Instant::now()) {
                    info!(source = %ctx.id, addr = %addr, peer = ?peer, "Connected.");
                } else {
                    debug!(source = %ctx.id, addr = %addr, peer = ?peer, "Connected.");
                }
                let mut delivered = false;
                let span = tracing::info_span!("conn", source = %ctx.id, peer = ?peer);
                let watch = Watch {
                    idle_timeout: Some(opts.idle_timeout),
                    idle_on_lines: false,
                    activity: None,
                    evict: None,
                    buf_bytes: READ_BUF_BYTES,
                };
                let end = read_stream(&ctx, peer, &mut stream, watch, &mut delivered)
                    .instrument(span)
                    .await;
                m.up.set(0);
                if delivered {
                    if let Some(n) = failures.recovered(Instant::now()) {
                        info!(
                            source = %ctx.id,
                            addr = %addr,
                            unlogged_failures = n,
                            "Receiving again ({n} connection failures since the last warning, not logged)."
                        );
                    }
                }
                match end {
                    StreamEnd::Stop => break,
                    StreamEnd::Eof => {
                        m.errors.inc();
                        log_failure(
                            &mut failures,
                            &ctx.id,
                            &addr,
                            "Connection closed by peer.",
                            None,
                        );
                    }
                    StreamEnd::Idle => {
                        m.errors.inc();
                        let idle = humantime::format_duration(opts.idle_timeout).to_string();
                        log_failure(
                            &mut failures,
                            &ctx.id,
                            &addr,
                            "Connection idle; reconnecting.",
                            Some(&format!("nothing received for {idle}")),
                        );
                    }
                    StreamEnd::Error(e) => {
                        m.errors.inc();
                        let e = e.to_string();
                        log_failure(&mut failures, &ctx.id, &addr, "Connection lost.", Some(&e));
                    }
                    StreamEnd::Evicted => {}
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

/// Limits of a [`serve`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most connections from one IP address at once.
    pub max_connections_per_peer: usize,
    /// Most connections from one network at once: an IPv4 /24 or an IPv6
    /// /64 (what one site or one host's addresses usually span).
    pub max_connections_per_prefix: usize,
    /// A connection that delivers no complete line for this long is closed.
    pub idle_timeout: Duration,
}

impl ServerOptions {
    /// `max_connections` at once, and the defaults of the config for the
    /// rest (8 per address, a quarter of `max_connections` but at least 8
    /// per network, 5 minutes idle).
    pub fn new(max_connections: usize) -> Self {
        let per_peer = super::DEFAULT_MAX_CONNECTIONS_PER_PEER;
        ServerOptions {
            max_connections,
            max_connections_per_peer: per_peer,
            max_connections_per_prefix: super::default_max_connections_per_prefix(
                max_connections,
                per_peer,
            ),
            idle_timeout: super::DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Bytes read from a pushing receiver at once: smaller than the client's,
/// since a server holds one buffer per connection.
const SERVER_READ_BUF_BYTES: usize = 16 * 1024;

/// A connection that has delivered lines may be evicted for a new one once
/// it has been without a complete line this long (or the idle timeout, if
/// shorter). Short, so that connections that sent a line once cannot hold
/// their slots against a receiver that talks (one with any vessel or base
/// station in range sends every few seconds); long enough that a server
/// full of such receivers refuses a newcomer instead of churning them.
pub const EVICT_AFTER_SILENCE: Duration = Duration::from_secs(10);

/// The network an address belongs to for the per-network limit: its /24
/// (IPv4, also when mapped into IPv6) or its /64 (IPv6).
fn prefix(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) & !0xff)),
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(
            u128::from(v6) & !((1u128 << 64) - 1),
        )),
    }
}

/// When a connection last completed a line, shared between its task and the
/// accept loop.
#[derive(Debug)]
struct Activity {
    /// The server's clock origin.
    epoch: Instant,
    /// Milliseconds after `epoch` of the last complete line, plus one;
    /// 0 = no line yet.
    last_line: AtomicU64,
    /// Its lines are waiting for room in the pipeline: it is talking.
    sending: AtomicBool,
}

impl Activity {
    fn sending(&self, yes: bool) {
        self.sending.store(yes, Ordering::Relaxed);
    }

    fn line(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last_line.store(ms + 1, Ordering::Relaxed);
    }

    /// When the last line completed, if any.
    fn last_line(&self) -> Option<Instant> {
        match self.last_line.load(Ordering::Relaxed) {
            0 => None,
            ms => self.epoch.checked_add(Duration::from_millis(ms - 1)),
        }
    }
}

/// Which connections a limit counts (one address's, one network's, all).
type Scope<'a> = dyn Fn(&Conn) -> bool + 'a;

/// One connection, as the accept loop sees it.
struct Conn {
    /// The peer's address (IPv4-mapped IPv6 addresses as IPv4).
    ip: IpAddr,
    /// Its network ([`prefix`]).
    net: IpAddr,
    accepted: Instant,
    activity: Arc<Activity>,
    evict: CancellationToken,
}

/// The connections being served.
#[derive(Default)]
struct Conns {
    by_id: HashMap<u64, Conn>,
    next_id: u64,
}

impl Conns {
    /// The connection to close for a new one, among those `from` selects:
    /// first one that never completed a line (the oldest), else the one
    /// whose last complete line is oldest, if that is at least `silence`
    /// ago. `None` if all are talking (or waiting for the pipeline).
    fn victim(&self, now: Instant, silence: Duration, from: impl Fn(&Conn) -> bool) -> Option<u64> {
        let mut best: Option<(u64, (bool, Instant))> = None;
        for (id, c) in &self.by_id {
            if !from(c) {
                continue;
            }
            if c.activity.sending.load(Ordering::Relaxed) {
                continue;
            }
            // Rank: never talked before talked; then by last sign of life.
            let rank = match c.activity.last_line() {
                None => (false, c.accepted),
                Some(t) if now.saturating_duration_since(t) >= silence => (true, t),
                Some(_) => continue,
            };
            if best.as_ref().is_none_or(|b| rank < b.1) {
                best = Some((*id, rank));
            }
        }
        best.map(|b| b.0)
    }

    fn evict(&mut self, id: u64) {
        if let Some(c) = self.by_id.remove(&id) {
            c.evict.cancel();
        }
    }
}

/// Removes a connection from [`Conns`] when its task ends.
struct Registered {
    conns: Arc<Mutex<Conns>>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.conns).by_id.remove(&self.id);
    }
}

/// The lock is only held for map updates that cannot panic; a poisoned one
/// is still consistent.
fn lock(conns: &Mutex<Conns>) -> std::sync::MutexGuard<'_, Conns> {
    conns.lock().unwrap_or_else(|e| e.into_inner())
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

/// [`serve_with`] at most `max_connections` at once, other limits default
/// ([`ServerOptions::new`]).
pub async fn serve(ctx: SourceCtx, listener: TcpListener, max_connections: usize) {
    serve_with(ctx, listener, ServerOptions::new(max_connections)).await;
}

/// Accepts connections on an already bound `listener`, one task per
/// connection, until cancelled or until the receiver of the source's channel
/// is gone; then waits for the connection tasks to end (they watch the same
/// token), so that no sender outlives this call.
///
/// Silent connections cannot lock receivers out:
/// - a connection that delivers no complete line (a newline, or a line cut
///   at [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES)) for `idle_timeout` is
///   closed — bytes trickling in without a newline do not keep it open;
/// - when a new connection would pass `max_connections_per_peer` for its IP
///   address, `max_connections_per_prefix` for its network (IPv4 /24, IPv6
///   /64), or `max_connections` in all, one connection is closed to make
///   room, among that address's, that network's or all connections: the
///   one that never completed a line (the oldest), else the one whose last
///   complete line is oldest — even if it once sent lines — provided that
///   line is at least [`EVICT_AFTER_SILENCE`] old (or the idle timeout, if
///   shorter). A receiver that talks is thus never the one closed, and
///   peers that send a line now and then cannot hold slots against it; a
///   receiver refused while every connection talked gets in when it
///   reconnects after one of them fell silent. If every candidate is
///   talking (or waiting for room in the pipeline), the new connection is
///   refused.
///
/// Closes and refusals are counted in
/// `aiswatch_source_connections_closed_total{source,reason}` (`idle_timeout`,
/// `evicted`, `limit`, `peer_limit`, `prefix_limit`); refusals also in
/// `source_errors`, as before. A failing peer ends only its own task.
/// `source_up` is 1 while listening. Tests pass a listener bound to
/// `127.0.0.1:0`.
pub async fn serve_with(ctx: SourceCtx, listener: TcpListener, opts: ServerOptions) {
    let m = &ctx.metrics;
    let local = listener.local_addr().ok();
    let max_connections = opts.max_connections.max(1);
    let per_peer = opts.max_connections_per_peer.max(1);
    let per_prefix = opts.max_connections_per_prefix.max(1);
    let silence = EVICT_AFTER_SILENCE.min(opts.idle_timeout);
    // `addr=host:port` as the HTTP server logs it: with port 0 in the
    // config, this line is where an operator finds the port.
    info!(
        source = %ctx.id,
        addr = local.map(tracing::field::display),
        max_connections,
        max_connections_per_peer = per_peer,
        max_connections_per_prefix = per_prefix,
        idle_timeout = ?opts.idle_timeout,
        "Listening for TCP connections."
    );
    m.up.set(1);
    let conns = Arc::new(Mutex::new(Conns::default()));
    let epoch = Instant::now();
    let tasks = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            _ = ctx.tx.closed() => break,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                m.errors.inc();
                warn!(source = %ctx.id, error = %e, "Accept failed.");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => break,
                    _ = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                }
                continue;
            }
        };
        let now = Instant::now();
        let ip = peer.ip().to_canonical();
        let net = prefix(ip);
        let admitted = {
            let mut c = lock(&conns);
            let mut refused = None;
            // Narrowest scope first: a peer over its own limit makes room
            // among its own connections, not its neighbours'.
            let scopes: [(&'static str, usize, &Scope<'_>); 3] = [
                ("peer_limit", per_peer, &|x: &Conn| x.ip == ip),
                ("prefix_limit", per_prefix, &|x: &Conn| x.net == net),
                ("limit", max_connections, &|_: &Conn| true),
            ];
            for (reason, limit, from) in scopes {
                if c.by_id.values().filter(|x| from(x)).count() < limit {
                    continue;
                }
                match c.victim(now, silence, from) {
                    Some(v) => {
                        c.evict(v);
                        m.closed_evicted.inc();
                    }
                    None => {
                        refused = Some((reason, limit));
                        break;
                    }
                }
            }
            match refused {
                Some(why) => Err(why),
                None => {
                    let id = c.next_id;
                    c.next_id += 1;
                    let activity = Arc::new(Activity {
                        epoch,
                        last_line: AtomicU64::new(0),
                        sending: AtomicBool::new(false),
                    });
                    let evict = CancellationToken::new();
                    c.by_id.insert(
                        id,
                        Conn {
                            ip,
                            net,
                            accepted: now,
                            activity: activity.clone(),
                            evict: evict.clone(),
                        },
                    );
                    Ok((id, activity, evict))
                }
            }
        };
        match admitted {
            Ok((id, activity, evict)) => {
                m.connections.inc();
                let reg = Registered {
                    conns: conns.clone(),
                    id,
                };
                let span = tracing::info_span!("conn", source = %ctx.id, peer = %peer);
                let conn = ServedConn {
                    peer,
                    activity,
                    evict,
                    idle_timeout: opts.idle_timeout,
                    _reg: reg,
                };
                tasks.spawn(serve_conn(ctx.clone(), stream, conn).instrument(span));
            }
            Err((reason, limit)) => {
                m.errors.inc();
                match reason {
                    "limit" => m.closed_limit.inc(),
                    "peer_limit" => m.closed_peer_limit.inc(),
                    _ => m.closed_prefix_limit.inc(),
                }
                warn!(
                    source = %ctx.id,
                    peer = %peer,
                    reason,
                    limit,
                    "Too many connections, all of them talking; closing the new one."
                );
                drop(stream);
            }
        }
    }
    m.up.set(0);
    drop(listener);
    tasks.close();
    tasks.wait().await;
    info!(source = %ctx.id, "TCP server stopped.");
}

/// What a connection task gets from the accept loop.
struct ServedConn {
    peer: SocketAddr,
    activity: Arc<Activity>,
    evict: CancellationToken,
    idle_timeout: Duration,
    /// Unregisters the connection when the task ends.
    _reg: Registered,
}

/// Reads one accepted connection until it ends.
async fn serve_conn(ctx: SourceCtx, mut stream: TcpStream, conn: ServedConn) {
    let peer = conn.peer;
    debug!(source = %ctx.id, peer = %peer, "Connection accepted.");
    let mut delivered = false;
    let watch = Watch {
        idle_timeout: Some(conn.idle_timeout),
        idle_on_lines: true,
        activity: Some(&conn.activity),
        evict: Some(&conn.evict),
        buf_bytes: SERVER_READ_BUF_BYTES,
    };
    match read_stream(&ctx, Some(peer), &mut stream, watch, &mut delivered).await {
        StreamEnd::Eof => debug!(source = %ctx.id, peer = %peer, "Connection closed by peer."),
        StreamEnd::Error(e) => {
            ctx.metrics.errors.inc();
            warn!(source = %ctx.id, peer = %peer, error = %e, "Connection lost.");
        }
        StreamEnd::Idle => {
            ctx.metrics.closed_idle.inc();
            info!(
                source = %ctx.id,
                peer = %peer,
                idle = ?conn.idle_timeout,
                "No complete line within the idle timeout; closing the connection."
            );
        }
        StreamEnd::Evicted => {
            info!(source = %ctx.id, peer = %peer, "Silent connection closed to make room for a new one.");
        }
        StreamEnd::Stop => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_logged_once_per_period_with_a_count() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut log = FailureLog::new(s(60));
        assert!(log.quiet(t0));
        // The first failure goes out at once; the next minute's are counted.
        assert_eq!(log.failed(t0), Some(0));
        assert!(!log.quiet(t0 + s(1)));
        for i in 1..=470 {
            assert_eq!(log.failed(t0 + Duration::from_millis(i * 100)), None);
        }
        // A minute after the last warning, the next one carries the count.
        assert_eq!(log.failed(t0 + s(60)), Some(470));
        assert_eq!(log.failed(t0 + s(61)), None);
        // Delivering again reports what was held back, once the period is over.
        assert_eq!(log.recovered(t0 + s(62)), None);
        assert_eq!(log.recovered(t0 + s(120)), Some(1));
        assert_eq!(log.recovered(t0 + s(500)), None);
        // After a quiet spell, a failure is logged at once again.
        assert_eq!(log.failed(t0 + s(600)), Some(0));
    }

    #[test]
    fn networks_are_ipv4_slash_24_and_ipv6_slash_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(prefix(ip("192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(prefix(ip("::ffff:192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(
            prefix(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(prefix(ip("192.0.2.1")), prefix(ip("192.0.3.1")));
    }
}
