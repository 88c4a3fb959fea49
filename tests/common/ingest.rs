//! Ingest sources against real loopback sockets: a source context wired to
//! a channel, sockets on ephemeral ports, and waits on what arrives.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aiswatch::ingest::{tcp, LineBatch, RawLine, SourceCtx};
use aiswatch::metrics::Metrics;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

/// How long a test waits for lines, a connection or a condition.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long a source may take to end once cancelled, at the end of a test.
pub const STOP_WITHIN: Duration = Duration::from_secs(2);

/// A source's context and the other ends of what it holds.
pub struct Harness {
    pub ctx: SourceCtx,
    pub rx: mpsc::Receiver<LineBatch>,
    pub metrics: Arc<Metrics>,
    pub cancel: CancellationToken,
}

/// A context for source `id` whose channel holds `capacity` batches.
pub fn harness(id: &str, capacity: usize) -> Harness {
    let (tx, rx) = mpsc::channel(capacity);
    let metrics = Arc::new(Metrics::new());
    let cancel = CancellationToken::new();
    let ctx = SourceCtx::new(id.into(), tx, &metrics, cancel.clone());
    Harness {
        ctx,
        rx,
        metrics,
        cancel,
    }
}

/// Receives batches of source `id` until `n` lines have arrived (fails
/// after [`WAIT`], on an empty batch or one of another source).
pub async fn recv_lines(rx: &mut mpsc::Receiver<LineBatch>, id: &str, n: usize) -> Vec<RawLine> {
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while got.len() < n {
        let batch = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out with {} of {n} lines", got.len()))
            .expect("channel closed early");
        assert_eq!(&*batch.source, id);
        assert!(!batch.lines.is_empty());
        got.extend(batch.lines);
    }
    assert_eq!(got.len(), n, "more lines than expected");
    got
}

/// Receives as many lines as `want` holds and checks their text.
pub async fn expect_lines(rx: &mut mpsc::Receiver<LineBatch>, id: &str, want: &[&[u8]]) {
    let got = recv_lines(rx, id, want.len()).await;
    assert_eq!(texts(&got), want);
}

/// The text of each line.
pub fn texts(lines: &[RawLine]) -> Vec<Vec<u8>> {
    lines.iter().map(|l| l.text.clone()).collect()
}

/// A counter's value for source `id`.
pub fn get(counter: &prometheus::IntCounterVec, id: &str) -> u64 {
    counter.with_label_values(&[id]).get()
}

/// Polls `f` until it holds (fails after [`WAIT`]).
pub async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A UDP socket on an ephemeral loopback port.
pub async fn local_udp() -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

/// A TCP listener on an ephemeral loopback port.
pub async fn local_tcp() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

/// A TCP server source with `opts` on an ephemeral loopback port: its
/// address and task.
pub async fn spawn_server(
    ctx: SourceCtx,
    opts: tcp::ServerOptions,
) -> (SocketAddr, JoinHandle<()>) {
    let (listener, addr) = local_tcp().await;
    (addr, tokio::spawn(tcp::serve_with(ctx, listener, opts)))
}

/// Whether the server closed `s` (EOF or reset) within [`WAIT`].
pub async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 16];
    matches!(timeout(WAIT, s.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

/// Cancels a source and returns what its task returned (fails unless it
/// ends within [`STOP_WITHIN`]).
pub async fn stop<T>(cancel: &CancellationToken, task: JoinHandle<T>) -> T {
    cancel.cancel();
    timeout(STOP_WITHIN, task)
        .await
        .expect("the source did not stop")
        .unwrap()
}
