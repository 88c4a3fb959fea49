//! Ingest sources against real loopback sockets (127.0.0.1 only) and files.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aiswatch::ingest::{
    file, run_source, tcp, udp, LineBatch, SourceConfig, SourceCtx, SourceError, MAX_LINE_BYTES,
};
use aiswatch::metrics::Metrics;
use common::ingest::{
    closed_by_server, eventually, expect_lines, get, harness, local_tcp, local_udp, recv_lines,
    stop, texts, WAIT,
};
use common::HeldPort;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// A `tcp::serve` source (at most `max_connections`) on an ephemeral
/// loopback port: its address and task.
async fn spawn_serve(ctx: SourceCtx, max_connections: usize) -> (SocketAddr, JoinHandle<()>) {
    let (listener, addr) = local_tcp().await;
    (
        addr,
        tokio::spawn(tcp::serve(ctx, listener, max_connections)),
    )
}

/// Asserts that nothing more arrives for a short while (a fixed window: it
/// waits for something not to happen).
async fn assert_quiet(rx: &mut mpsc::Receiver<LineBatch>) {
    if let Ok(Some(b)) = timeout(Duration::from_millis(200), rx.recv()).await {
        panic!("unexpected batch: {:?}", b.lines.len());
    }
}

#[tokio::test]
async fn udp_datagram_with_three_lines_gives_three_raw_lines() {
    let mut h = harness("udp-test", 16);
    let (sock, addr) = local_udp().await;
    let task = tokio::spawn(udp::run(h.ctx.clone(), sock));
    drop(h.ctx);

    let (client, _) = local_udp().await;
    let before = aiswatch_core::time::now_ms();
    client
        .send_to(
            b"!AIVDM,1,1,,A,a*00\r\n!AIVDM,1,1,,B,b*00\n\n!AIVDM,1,1,,A,c*00",
            addr,
        )
        .await
        .unwrap();
    let lines = recv_lines(&mut h.rx, "udp-test", 3).await;
    assert_eq!(
        texts(&lines),
        vec![
            b"!AIVDM,1,1,,A,a*00".to_vec(),
            b"!AIVDM,1,1,,B,b*00".to_vec(),
            b"!AIVDM,1,1,,A,c*00".to_vec()
        ]
    );
    assert!(lines.iter().all(|l| l.received_at >= before));
    assert_eq!(get(&h.metrics.source_lines, "udp-test"), 3);
    assert_eq!(
        h.metrics.source_up.with_label_values(&["udp-test"]).get(),
        1
    );

    stop(&h.cancel, task).await.unwrap();
    assert_eq!(
        h.metrics.source_up.with_label_values(&["udp-test"]).get(),
        0
    );
}

#[tokio::test]
async fn udp_counts_dropped_lines_when_pipeline_is_full() {
    let mut h = harness("udp-full", 1);
    let (sock, addr) = local_udp().await;
    let task = tokio::spawn(udp::run(h.ctx.clone(), sock));
    drop(h.ctx);

    let (client, _) = local_udp().await;
    for i in 0..5 {
        client
            .send_to(format!("l{i}a\nl{i}b\n").as_bytes(), addr)
            .await
            .unwrap();
        // Read before the next is sent, so that each datagram is offered
        // on its own.
        eventually("the datagram read", || {
            get(&h.metrics.source_lines, "udp-full") == 2 * (i + 1)
        })
        .await;
    }
    let dropped = get(&h.metrics.source_dropped, "udp-full");
    // One batch fits in the channel; everything else was dropped, not queued.
    let mut delivered = 0;
    while let Ok(b) = h.rx.try_recv() {
        delivered += b.lines.len() as u64;
    }
    assert!(dropped >= 2, "dropped {dropped}");
    assert_eq!(delivered + dropped, 10);

    stop(&h.cancel, task).await.unwrap();
}

#[tokio::test]
async fn tcp_server_two_clients_and_partial_line_completed_later() {
    let mut h = harness("push", 16);
    let (addr, task) = spawn_serve(h.ctx, 8).await;

    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"A1\r\nA2 first half").await.unwrap();
    b.write_all(b"B1\nB2\n").await.unwrap();
    let first = recv_lines(&mut h.rx, "push", 3).await;
    assert_quiet(&mut h.rx).await;
    a.write_all(b" second half\r\nA3\n").await.unwrap();
    let second = recv_lines(&mut h.rx, "push", 2).await;

    let all: Vec<Vec<u8>> = texts(&first).into_iter().chain(texts(&second)).collect();
    let from_a: Vec<&Vec<u8>> = all.iter().filter(|t| t.starts_with(b"A")).collect();
    let from_b: Vec<&Vec<u8>> = all.iter().filter(|t| t.starts_with(b"B")).collect();
    assert_eq!(
        from_a,
        vec![
            &b"A1".to_vec(),
            &b"A2 first half second half".to_vec(),
            &b"A3".to_vec()
        ]
    );
    assert_eq!(from_b, vec![&b"B1".to_vec(), &b"B2".to_vec()]);
    assert_eq!(get(&h.metrics.source_connections, "push"), 2);

    // A peer that goes away ends only its own connection.
    drop(b);
    a.write_all(b"A4\n").await.unwrap();
    expect_lines(&mut h.rx, "push", &[b"A4"]).await;

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn tcp_server_refuses_connections_beyond_the_limit() {
    let mut h = harness("capped", 16);
    let (addr, task) = spawn_serve(h.ctx, 1).await;

    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(b"one\n").await.unwrap();
    expect_lines(&mut h.rx, "capped", &[b"one"]).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    // The server closes the excess connection: the read sees EOF (or a reset).
    assert!(closed_by_server(&mut second).await);
    assert_eq!(get(&h.metrics.source_errors, "capped"), 1);
    // The first connection is unaffected.
    first.write_all(b"two\n").await.unwrap();
    expect_lines(&mut h.rx, "capped", &[b"two"]).await;

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn garbage_line_of_20_kb_is_cut_and_neighbours_survive() {
    let mut h = harness("garbage", 16);
    let (addr, task) = spawn_serve(h.ctx, 8).await;

    // Deterministic binary garbage without newlines.
    let mut x: u32 = 0x2545_f491;
    let garbage: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match (x >> 24) as u8 {
                b'\n' => 0,
                b => b,
            }
        })
        .collect();
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"!AIVDM,good,1\n").await.unwrap();
    c.write_all(&garbage[..7_000]).await.unwrap();
    c.flush().await.unwrap();
    // The line arrives in two reads: the server has taken the first part
    // before the rest is sent.
    let first = (b"!AIVDM,good,1\n".len() + 7_000) as u64;
    eventually("the first part read", || {
        get(&h.metrics.source_bytes, "garbage") == first
    })
    .await;
    c.write_all(&garbage[7_000..]).await.unwrap();
    c.write_all(b"\n!AIVDM,good,2\r\n").await.unwrap();

    let lines = recv_lines(&mut h.rx, "garbage", 3).await;
    assert_eq!(lines[0].text, b"!AIVDM,good,1");
    assert_eq!(lines[1].text.len(), MAX_LINE_BYTES);
    assert_eq!(lines[1].text, garbage[..MAX_LINE_BYTES]);
    assert_eq!(lines[2].text, b"!AIVDM,good,2");
    assert_quiet(&mut h.rx).await;

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn tcp_client_reconnects_when_the_receiver_restarts() {
    let mut h = harness("aggregator", 16);
    // Held for the restart: nobody else can take the port meanwhile.
    let port = HeldPort::loopback();
    let (listener, addr) = (port.listen(), port.addr);
    let opts = tcp::ClientOptions {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(10),
    };
    let task = tokio::spawn(tcp::run_client(h.ctx.clone(), addr.to_string(), opts));
    drop(h.ctx);

    let (mut conn, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    conn.write_all(b"before restart\n").await.unwrap();
    expect_lines(&mut h.rx, "aggregator", &[b"before restart"]).await;
    assert_eq!(
        h.metrics.source_up.with_label_values(&["aggregator"]).get(),
        1
    );

    // The receiver restarts: its listener and connection go away, and a new
    // listener comes up on the same port once the client has been refused.
    drop(conn);
    drop(listener);
    eventually("a refused reconnect", || {
        get(&h.metrics.source_errors, "aggregator") >= 1
    })
    .await;
    let listener = port.listen();
    let (mut conn, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    conn.write_all(b"after restart\n").await.unwrap();
    expect_lines(&mut h.rx, "aggregator", &[b"after restart"]).await;
    assert_eq!(get(&h.metrics.source_connections, "aggregator"), 2);
    assert!(get(&h.metrics.source_errors, "aggregator") >= 1);

    stop(&h.cancel, task).await;
    assert_eq!(
        h.metrics.source_up.with_label_values(&["aggregator"]).get(),
        0
    );
}

#[tokio::test]
async fn tcp_client_reconnects_after_idle_timeout() {
    let mut h = harness("silent", 16);
    let (listener, addr) = local_tcp().await;
    let opts = tcp::ClientOptions {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        idle_timeout: Duration::from_millis(200),
    };
    let task = tokio::spawn(tcp::run_client(h.ctx.clone(), addr.to_string(), opts));
    drop(h.ctx);

    // A half-open-looking peer: accepted, then silent.
    let (_silent, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let (mut conn, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    conn.write_all(b"hello\n").await.unwrap();
    expect_lines(&mut h.rx, "silent", &[b"hello"]).await;

    stop(&h.cancel, task).await;
}

/// Log output of the current thread's tasks (tests run on one thread).
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures `info` and above until the guard is dropped.
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let me = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || me.clone())
            .finish();
        tracing::subscriber::set_default(sub)
    }

    /// The lines that contain `what`.
    fn lines_with(&self, what: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines()
            .filter(|l| l.contains(what))
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn tcp_client_backoff_has_a_floor_and_repeated_failures_are_logged_once() {
    // Before: with backoff_min = 1ns, a receiver that sends a line and
    // hangs up got a reconnect every millisecond, a warning for each.
    let logs = Logs::default();
    let _guard = logs.capture();
    let mut h = harness("flappy", 64);
    let (listener, addr) = local_tcp().await;
    let hangups = tokio::spawn(async move {
        loop {
            let (mut c, _) = listener.accept().await.unwrap();
            let _ = c.write_all(b"hello\n").await;
        }
    });
    let opts = tcp::ClientOptions {
        backoff_min: Duration::from_nanos(1),
        backoff_max: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(10),
    };
    let t0 = tokio::time::Instant::now();
    let task = tokio::spawn(tcp::run_client(h.ctx.clone(), addr.to_string(), opts));
    recv_lines(&mut h.rx, "flappy", 6).await;
    let elapsed = t0.elapsed();
    // Six connections, five waits of at least the 100 ms floor between them.
    assert!(elapsed >= 5 * tcp::BACKOFF_FLOOR, "{elapsed:?}");
    assert!(get(&h.metrics.source_errors, "flappy") >= 5);
    stop(&h.cancel, task).await;
    hangups.abort();

    let floor = logs.lines_with("below the floor");
    assert_eq!(floor.len(), 1, "{floor:?}");
    assert!(floor[0].contains("flappy") && floor[0].contains("backoff_min=1ns"));
    // Every hang-up is counted, one is logged (the next within a minute
    // only as a count with the next warning).
    let warned = logs.lines_with("Connection closed by peer");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("WARN") && warned[0].contains("flappy"));
    assert_eq!(logs.lines_with("Connected.").len(), 1);
}

fn write_gz(path: &std::path::Path, members: &[&[u8]]) {
    let mut f = std::fs::File::create(path).unwrap();
    for m in members {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(m).unwrap();
        f.write_all(&enc.finish().unwrap()).unwrap();
    }
}

#[tokio::test]
async fn file_source_reads_every_line_of_a_gz_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.nmea.gz");
    let mut first = String::new();
    for i in 0..2500 {
        first.push_str(&format!("!AIVDM,1,1,,A,line{i},0*00\r\n"));
    }
    let mut second = String::new();
    for i in 2500..3000 {
        second.push_str(&format!("!AIVDM,1,1,,A,line{i},0*00\n"));
    }
    second.push_str("!AIVDM,1,1,,A,last,0*00"); // no final newline
    write_gz(&path, &[first.as_bytes(), second.as_bytes()]);

    let (tx, mut rx) = mpsc::channel(4);
    let metrics = Arc::new(Metrics::new());
    let cfg = SourceConfig::File {
        id: "replayfile".into(),
        path: path.clone(),
        speed: None,
        looped: false,
    };
    let task = tokio::spawn(run_source(
        cfg,
        tx,
        metrics.clone(),
        CancellationToken::new(),
    ));

    let mut got = Vec::new();
    while let Some(batch) = timeout(WAIT, rx.recv()).await.unwrap() {
        assert_eq!(&*batch.source, "replayfile");
        assert!(batch.lines.len() <= file::MAX_LINES_PER_BATCH);
        got.extend(batch.lines);
    }
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert_eq!(got.len(), 3001);
    for (i, l) in got[..3000].iter().enumerate() {
        assert_eq!(l.text, format!("!AIVDM,1,1,,A,line{i},0*00").as_bytes());
    }
    assert_eq!(got[3000].text, b"!AIVDM,1,1,,A,last,0*00");
    assert_eq!(
        metrics
            .source_lines
            .with_label_values(&["replayfile"])
            .get(),
        3001
    );

    // The synchronous reader used by `replay` sees the same content.
    let mut r = file::open_reader(&path).unwrap();
    let mut all = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut all).unwrap();
    assert_eq!(all, [first.as_bytes(), second.as_bytes()].concat());
}

#[tokio::test]
async fn missing_file_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, _rx) = mpsc::channel(4);
    let cfg = SourceConfig::File {
        id: "nofile".into(),
        path: dir.path().join("absent.nmea"),
        speed: None,
        looped: false,
    };
    let r = run_source(cfg, tx, Arc::new(Metrics::new()), CancellationToken::new()).await;
    let e = r.unwrap_err();
    assert!(matches!(e, SourceError::Open { .. }), "{e:?}");
    assert!(
        e.to_string().contains("nofile") && e.to_string().contains("absent.nmea"),
        "{e}"
    );
}

#[tokio::test]
async fn bind_failures_name_the_source_and_address() {
    let (_udp, udp_addr) = local_udp().await;
    let (tx, _rx) = mpsc::channel(4);
    let cfg = SourceConfig::Udp {
        id: "busy-udp".into(),
        bind: udp_addr,
        recv_buffer_bytes: None,
    };
    let e = timeout(
        WAIT,
        run_source(
            cfg,
            tx.clone(),
            Arc::new(Metrics::new()),
            CancellationToken::new(),
        ),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(e, SourceError::BindUdp { .. }), "{e:?}");
    assert!(
        e.to_string().contains("busy-udp") && e.to_string().contains(&udp_addr.to_string()),
        "{e}"
    );

    let (_tcp, tcp_addr) = local_tcp().await;
    let cfg = SourceConfig::TcpServer {
        id: "busy-tcp".into(),
        bind: tcp_addr,
        max_connections: 4,
        max_connections_per_peer: 4,
        max_connections_per_prefix: None,
        idle_timeout: Duration::from_secs(300),
    };
    let e = timeout(
        WAIT,
        run_source(cfg, tx, Arc::new(Metrics::new()), CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(e, SourceError::BindTcp { .. }), "{e:?}");
    assert!(
        e.to_string().contains("busy-tcp") && e.to_string().contains(&tcp_addr.to_string()),
        "{e}"
    );
}

/// Cancels `cancel`, then checks that `task` ends and the channel closes
/// (every sender dropped) within one second.
async fn assert_stops<T: std::fmt::Debug>(
    what: &str,
    cancel: &CancellationToken,
    task: tokio::task::JoinHandle<T>,
    mut rx: mpsc::Receiver<LineBatch>,
) {
    cancel.cancel();
    let r = timeout(Duration::from_secs(1), async {
        let out = task.await.unwrap();
        while rx.recv().await.is_some() {}
        out
    })
    .await;
    let out = r.unwrap_or_else(|_| panic!("{what} did not stop within 1 s"));
    println!("{what} stopped: {out:?}");
}

/// Whether source `id` says it is up (listening or connected).
fn up(m: &Metrics, id: &str) -> bool {
    m.source_up.with_label_values(&[id]).get() == 1
}

#[tokio::test]
async fn cancellation_ends_every_source_within_one_second() {
    // UDP, idle.
    let h = harness("c-udp", 4);
    let (sock, _) = local_udp().await;
    let task = tokio::spawn(udp::run(h.ctx, sock));
    eventually("the UDP source up", || up(&h.metrics, "c-udp")).await;
    assert_stops("udp", &h.cancel, task, h.rx).await;

    // TCP server with a connected, silent peer.
    let h = harness("c-srv", 4);
    let (addr, task) = spawn_serve(h.ctx, 4).await;
    let _peer = TcpStream::connect(addr).await.unwrap();
    eventually("the connection accepted", || {
        get(&h.metrics.source_connections, "c-srv") == 1
    })
    .await;
    assert_stops("tcp server", &h.cancel, task, h.rx).await;

    // TCP server whose connection is blocked on a full channel: the first
    // line fills it, the second waits for room, the rest wait unread.
    let h = harness("c-srv-full", 1);
    let (addr, task) = spawn_serve(h.ctx, 4).await;
    let mut peer = TcpStream::connect(addr).await.unwrap();
    for i in 0..2 {
        peer.write_all(format!("l{i}\n").as_bytes()).await.unwrap();
        eventually("the line read", || {
            get(&h.metrics.source_lines, "c-srv-full") == i + 1
        })
        .await;
    }
    for i in 2..20 {
        peer.write_all(format!("l{i}\n").as_bytes()).await.unwrap();
    }
    assert_eq!(h.rx.len(), 1, "the channel is full");
    assert_stops("tcp server (backpressure)", &h.cancel, task, h.rx).await;

    // TCP client connected to a silent receiver.
    let h = harness("c-cli", 4);
    let (listener, addr) = local_tcp().await;
    let opts = tcp::ClientOptions {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
    };
    let task = tokio::spawn(tcp::run_client(h.ctx, addr.to_string(), opts));
    let _conn = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert_stops("tcp client (connected)", &h.cancel, task, h.rx).await;

    // TCP client in a long backoff: nothing listens on the port any more.
    let h = harness("c-cli-down", 4);
    let (listener, addr) = local_tcp().await;
    drop(listener);
    let opts = tcp::ClientOptions {
        backoff_min: Duration::from_secs(30),
        backoff_max: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
    };
    let task = tokio::spawn(tcp::run_client(h.ctx, addr.to_string(), opts));
    eventually("a refused connection", || {
        get(&h.metrics.source_errors, "c-cli-down") >= 1
    })
    .await;
    assert_stops("tcp client (backoff)", &h.cancel, task, h.rx).await;

    // File source blocked on a full, undrained channel.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.nmea");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..20_000 {
        writeln!(f, "!AIVDM,1,1,,A,{i},0*00").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let h = harness("c-file", 1);
    let task = tokio::spawn(file::run(h.ctx, path));
    // The first batch fills the channel; the next waits for room.
    eventually("the channel full", || h.rx.len() == 1).await;
    assert_stops("file", &h.cancel, task, h.rx).await;
}
