//! The HTTP accept loop: hyper's HTTP/1 connections around the router,
//! with the limits `[http]` sets. Unfinished requests cannot pile up:
//!
//! - a request head (request line and headers) must arrive within
//!   `header_read_timeout` of hyper starting to read it (hyper's own
//!   `header_read_timeout`, which also ends idle keep-alive connections);
//! - at most `max_connections` are open. When full, the oldest connection
//!   that has not sent a complete request head yet is closed for the new
//!   one: clients that trickle headers, or connect and say nothing, only
//!   push each other out, never a client whose request is being answered.
//!   If every connection has sent one, the new connection is answered 503
//!   and closed.
//!
//! Closes are counted in `aiswatch_http_connections_closed_total{reason}`
//! (`header_timeout`, `evicted`, `limit`); `aiswatch_http_connections`
//! is the number open.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use prometheus::IntCounter;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::HttpConfig;
use crate::metrics::Metrics;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the
/// accept loop cannot spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Largest read buffer of a connection: request heads beyond it are
/// refused (431). The API's requests are short GETs and small JSON bodies;
/// this bounds what `max_connections` unfinished heads can hold.
const MAX_BUF_BYTES: usize = 64 * 1024;

/// What a refused connection is told before it is closed.
fn busy_response() -> Vec<u8> {
    let body = r#"{"error":"too many connections; retry in a second"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// How often a refusal is logged at `warn` (the metric counts each).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(60);

/// One open connection, as the accept loop sees it.
struct Conn {
    accepted: Instant,
    /// Set once a complete request head has arrived.
    requested: Arc<AtomicBool>,
    evict: CancellationToken,
}

/// The open connections.
#[derive(Default)]
struct Conns {
    by_id: HashMap<u64, Conn>,
    next_id: u64,
}

impl Conns {
    /// The oldest connection without a complete request head yet.
    fn victim(&self) -> Option<u64> {
        self.by_id
            .iter()
            .filter(|(_, c)| !c.requested.load(Ordering::Relaxed))
            .min_by_key(|(id, c)| (c.accepted, **id))
            .map(|(id, _)| *id)
    }
}

/// The lock is only held for map updates that cannot panic; a poisoned one
/// is still consistent.
fn lock(conns: &Mutex<Conns>) -> std::sync::MutexGuard<'_, Conns> {
    conns.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unregisters a connection when its task ends.
struct Registered {
    conns: Arc<Mutex<Conns>>,
    id: u64,
    open: prometheus::IntGauge,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.conns).by_id.remove(&self.id);
        self.open.dec();
    }
}

/// Serves `app` on `listener` with the limits of `http` until `cancel`
/// fires; then stops accepting, lets requests in progress finish (hyper's
/// graceful shutdown: keep-alive connections close after their response)
/// and returns once every connection has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    http: &HttpConfig,
    metrics: &Metrics,
    cancel: CancellationToken,
) {
    let max_connections = http.max_connections.max(1);
    let closed = |reason: &str| -> IntCounter {
        metrics.http_connections_closed.with_label_values(&[reason])
    };
    let (timed_out, evicted, refused) =
        (closed("header_timeout"), closed("evicted"), closed("limit"));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(http.header_read_timeout)
        .max_buf_size(MAX_BUF_BYTES);
    let builder = Arc::new(builder);
    let conns = Arc::new(Mutex::new(Conns::default()));
    let tasks = TaskTracker::new();
    let mut refusal_logged: Option<Instant> = None;
    let busy = busy_response();
    info!(
        max_connections,
        header_read_timeout = ?http.header_read_timeout,
        "HTTP connection limits."
    );
    loop {
        let (stream, peer) = tokio::select! {
            _ = cancel.cancelled() => break,
            r = listener.accept() => match r {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "HTTP accept failed.");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                    }
                    continue;
                }
            },
        };
        let admitted = {
            let mut c = lock(&conns);
            if c.by_id.len() >= max_connections {
                if let Some(v) = c.victim() {
                    if let Some(old) = c.by_id.remove(&v) {
                        old.evict.cancel();
                        evicted.inc();
                    }
                }
            }
            if c.by_id.len() >= max_connections {
                None
            } else {
                let id = c.next_id;
                c.next_id += 1;
                let requested = Arc::new(AtomicBool::new(false));
                let evict = CancellationToken::new();
                c.by_id.insert(
                    id,
                    Conn {
                        accepted: Instant::now(),
                        requested: requested.clone(),
                        evict: evict.clone(),
                    },
                );
                Some((id, requested, evict))
            }
        };
        let Some((id, requested, evict)) = admitted else {
            refused.inc();
            if refusal_logged.is_none_or(|t| t.elapsed() >= REFUSAL_LOG_EVERY) {
                refusal_logged = Some(Instant::now());
                warn!(
                    peer = %peer,
                    max_connections,
                    "Too many HTTP connections, every one with a request; answering 503 and closing the new one."
                );
            }
            // Best effort: a fresh socket's send buffer takes it at once.
            let _ = stream.try_write(&busy);
            continue;
        };
        metrics.http_connections.inc();
        let reg = Registered {
            conns: conns.clone(),
            id,
            open: metrics.http_connections.clone(),
        };
        let conn = Served {
            builder: builder.clone(),
            app: app.clone(),
            requested,
            evict,
            cancel: cancel.clone(),
            timed_out: timed_out.clone(),
            _reg: reg,
        };
        tasks.spawn(conn.run(stream, peer));
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

/// What a connection task needs.
struct Served {
    builder: Arc<hyper::server::conn::http1::Builder>,
    app: Router,
    requested: Arc<AtomicBool>,
    evict: CancellationToken,
    cancel: CancellationToken,
    timed_out: IntCounter,
    /// Unregisters the connection when the task ends.
    _reg: Registered,
}

impl Served {
    async fn run(self, stream: TcpStream, peer: std::net::SocketAddr) {
        let requested = self.requested.clone();
        let app = TowerToHyperService::new(self.app.clone());
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            requested.store(true, Ordering::Relaxed);
            let app = app.clone();
            async move {
                let res: Result<_, Infallible> =
                    hyper::service::Service::call(&app, req.map(Body::new)).await;
                res
            }
        });
        let conn = self.builder.serve_connection(TokioIo::new(stream), service);
        let mut conn = std::pin::pin!(conn);
        let res = tokio::select! {
            r = conn.as_mut() => r,
            // Its slot went to a newer connection: dropping it closes the socket.
            _ = self.evict.cancelled() => {
                debug!(peer = %peer, "HTTP connection without a request closed for a new one.");
                return;
            }
            _ = self.cancel.cancelled() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        match res {
            Ok(()) => {}
            Err(e) if e.is_timeout() => {
                self.timed_out.inc();
                debug!(peer = %peer, "HTTP request head not complete in time; connection closed.");
            }
            Err(e) => debug!(peer = %peer, error = %e, "HTTP connection ended with an error."),
        }
    }
}
