//! Sources under hostile input: silent, slowloris and once-talking TCP
//! peers cannot lock a real receiver out, idle connections time out,
//! per-address and per-network limits hold, and UDP datagrams the kernel
//! drops show in the metrics.
//! Real loopback sockets; extra loopback addresses (127.0.x.y) stand for
//! distinct peers.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use aiswatch::ingest::{tcp, udp};
use aiswatch::metrics::Metrics;
use common::ingest::{
    closed_by_server, eventually, expect_lines, get, harness, local_udp, recv_lines, spawn_server,
    stop, WAIT,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn closed(m: &Metrics, id: &str, reason: &str) -> u64 {
    m.source_connections_closed
        .with_label_values(&[id, reason])
        .get()
}

/// Connects to `to` from the loopback address `from` (any of 127/8).
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::from((from, 0))).unwrap();
    s.connect(to).await.unwrap()
}

#[tokio::test]
async fn silent_and_slowloris_connections_do_not_lock_a_receiver_out() {
    // Before: 64 idle connections (the default limit) refused every real
    // receiver until they closed; 0 of 1,000 lines were delivered.
    let mut h = harness("push", 64);
    let opts = tcp::ServerOptions {
        max_connections: 64,
        max_connections_per_peer: 8,
        max_connections_per_prefix: 16,
        idle_timeout: Duration::from_secs(300),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;

    // 100 silent connections from 100 addresses, 50 from the receiver's own
    // address, 50 slowloris peers trickling a line that never ends.
    let mut hostile = Vec::new();
    for i in 0..100u8 {
        hostile.push(connect_from(Ipv4Addr::new(127, 0, 1, i + 1), addr).await);
    }
    for _ in 0..50 {
        hostile.push(connect_from(Ipv4Addr::LOCALHOST, addr).await);
    }
    let stop_trickle = CancellationToken::new();
    for i in 0..50u8 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 2, i + 1), addr).await;
        let stop = stop_trickle.clone();
        tokio::spawn(async move {
            // One byte every 20 ms, never a newline: the slow trickle is
            // the attack under test.
            while !stop.is_cancelled() && s.write_all(b"x").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    eventually("the server to be full", || {
        get(&h.metrics.source_connections, "push") >= 64
    })
    .await;

    // More silent connections keep arriving while the real receiver talks.
    let flood = tokio::spawn(async move {
        let mut more = Vec::new();
        for i in 0..100u8 {
            more.push(connect_from(Ipv4Addr::new(127, 0, 3, i + 1), addr).await);
        }
        more
    });
    let t0 = Instant::now();
    let mut real = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    let lines: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    real.write_all(lines.as_bytes()).await.unwrap();
    let got = recv_lines(&mut h.rx, "push", 1000).await;
    let elapsed = t0.elapsed();
    for (i, l) in got.iter().enumerate() {
        assert_eq!(l.text, format!("line {i}").into_bytes());
    }
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let _more = flood.await.unwrap();

    // The real receiver is still connected: it talks, so it is never evicted.
    real.write_all(b"still here\n").await.unwrap();
    expect_lines(&mut h.rx, "push", &[b"still here"]).await;
    assert!(closed(&h.metrics, "push", "evicted") >= 150);

    stop_trickle.cancel();
    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn a_connection_without_a_complete_line_is_closed_at_the_idle_timeout() {
    let mut h = harness("idle", 16);
    let opts = tcp::ServerOptions {
        max_connections: 8,
        max_connections_per_peer: 8,
        max_connections_per_prefix: 8,
        idle_timeout: Duration::from_millis(300),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;

    // A slowloris: bytes keep arriving, but never a newline.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let (mut slow_r, mut slow_w) = slow.split();
    // A real receiver: a line every 50 ms.
    let mut talker = TcpStream::connect(addr).await.unwrap();
    let t0 = Instant::now();
    let mut buf = [0u8; 8];
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut sent = 0;
    let slow_closed = loop {
        tokio::select! {
            r = slow_r.read(&mut buf) => break matches!(r, Ok(0) | Err(_)),
            _ = tick.tick() => {
                let _ = slow_w.write_all(b"!AIVDM").await;
                talker.write_all(format!("t{sent}\n").as_bytes()).await.unwrap();
                sent += 1;
            }
        }
        assert!(t0.elapsed() < WAIT, "the slowloris was never closed");
    };
    assert!(slow_closed);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(closed(&h.metrics, "idle", "idle_timeout"), 1);
    // The talking connection outlived the timeout and still delivers.
    talker.write_all(b"last\n").await.unwrap();
    let got = recv_lines(&mut h.rx, "idle", sent + 1).await;
    assert_eq!(got.last().unwrap().text, b"last");
    // Once silent, it is closed too.
    assert!(closed_by_server(&mut talker).await);
    eventually("two idle closes", || {
        closed(&h.metrics, "idle", "idle_timeout") == 2
    })
    .await;

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn per_address_limit_refuses_excess_when_every_connection_talks() {
    let mut h = harness("peer", 16);
    let opts = tcp::ServerOptions {
        max_connections: 16,
        max_connections_per_peer: 2,
        max_connections_per_prefix: 16,
        idle_timeout: Duration::from_secs(300),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;

    let mut a = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    let mut b = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    a.write_all(b"a\n").await.unwrap();
    b.write_all(b"b\n").await.unwrap();
    recv_lines(&mut h.rx, "peer", 2).await;
    // A third from the same address: both others talk, so it is refused.
    let mut c = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert!(closed_by_server(&mut c).await);
    assert_eq!(closed(&h.metrics, "peer", "peer_limit"), 1);
    assert_eq!(closed(&h.metrics, "peer", "evicted"), 0);
    // Another address still gets in.
    let mut d = connect_from(Ipv4Addr::new(127, 0, 0, 2), addr).await;
    d.write_all(b"d\n").await.unwrap();
    expect_lines(&mut h.rx, "peer", &[b"d"]).await;
    // The first two are untouched.
    a.write_all(b"a2\n").await.unwrap();
    expect_lines(&mut h.rx, "peer", &[b"a2"]).await;

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn udp_datagrams_dropped_by_the_kernel_are_counted() {
    // Before: the kernel dropped 40 % of a feed and no metric moved.
    let h = harness("lossy", 1024);
    // The smallest buffer the kernel grants (it rounds a tiny request up).
    let socket = udp::bind("127.0.0.1:0".parse().unwrap(), Some(1024)).unwrap();
    let addr = socket.local_addr().unwrap();
    // Flood it while its reader is not running yet (a paused reader).
    let (client, _) = local_udp().await;
    let line = format!("!AIVDM,1,1,,A,{},0*00\n", "w".repeat(500));
    for _ in 0..2000 {
        client.send_to(line.as_bytes(), addr).await.unwrap();
    }
    let task = tokio::spawn(udp::run(h.ctx.clone(), socket));
    let dropped = || get(&h.metrics.source_dropped_datagrams, "lossy");
    eventually("kernel drops in the metrics", || dropped() > 0).await;
    let granted = h
        .metrics
        .source_receive_buffer_bytes
        .with_label_values(&["lossy"])
        .get();
    assert!(granted > 0 && granted < 2000 * 500, "{granted}");
    // What was read and what the kernel dropped add up to what was sent.
    eventually("every datagram read or dropped", || {
        get(&h.metrics.source_lines, "lossy") + dropped() == 2000
    })
    .await;

    stop(&h.cancel, task).await.unwrap();
}

#[tokio::test]
async fn waiting_for_the_pipeline_does_not_count_as_idle() {
    let mut h = harness("stalled", 1);
    let opts = tcp::ServerOptions {
        max_connections: 4,
        max_connections_per_peer: 4,
        max_connections_per_prefix: 4,
        idle_timeout: Duration::from_millis(200),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // Three reads' worth of lines: the first fills the channel, the second
    // waits for room, and nobody drains it for three idle timeouts.
    s.write_all(b"a\n").await.unwrap();
    eventually("the channel to fill", || h.rx.len() == 1).await;
    s.write_all(b"b\n").await.unwrap();
    // The stall itself, on purpose: three idle timeouts pass with the
    // reader blocked.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let got = recv_lines(&mut h.rx, "stalled", 2).await;
    assert_eq!(got[1].text, b"b");
    s.write_all(b"c\n").await.unwrap();
    expect_lines(&mut h.rx, "stalled", &[b"c"]).await;
    assert_eq!(closed(&h.metrics, "stalled", "idle_timeout"), 0);

    stop(&h.cancel, task).await;
}

/// A receiver as deployed: connects from 127.0.0.1, and once its
/// connection is up sends `n` numbered lines, one every `pace`; when the
/// server closes the connection it reconnects after `reconnect` (AIS
/// forwarders retry every second or few) and goes on with the next line
/// (a line written as the server closed is lost).
/// Returns how many connections it made.
async fn receiver(to: SocketAddr, n: usize, pace: Duration, reconnect: Duration) -> usize {
    /// Sends lines `next..n` until done (`true`) or the server closes.
    async fn talk(
        r: &mut ReadHalf<'_>,
        w: &mut WriteHalf<'_>,
        next: &mut usize,
        n: usize,
        pace: Duration,
    ) -> bool {
        let mut tick = tokio::time::interval_at(Instant::now() + pace, pace);
        let mut buf = [0u8; 16];
        while *next < n {
            tokio::select! {
                biased;
                // The server never writes: any read result means closed.
                _ = r.read(&mut buf) => return false,
                _ = tick.tick() => {
                    if w.write_all(format!("line {next}\n").as_bytes()).await.is_err() {
                        return false;
                    }
                    *next += 1;
                }
            }
        }
        true
    }
    let mut next = 0;
    let mut connections = 0;
    loop {
        let mut s = connect_from(Ipv4Addr::LOCALHOST, to).await;
        connections += 1;
        let (mut r, mut w) = s.split();
        if talk(&mut r, &mut w, &mut next, n, pace).await {
            // What was written is read before the close.
            return connections;
        }
        // The receiver's own reconnect delay: part of the scenario.
        tokio::time::sleep(reconnect).await;
    }
}

#[tokio::test]
async fn peers_that_sent_one_line_cannot_hold_a_full_server() {
    // Before: a connection that had sent a line could only be evicted
    // after a minute of silence, so 64 peers that sent one line each kept
    // a receiver out for that minute (and for good, sending a line a minute).
    let mut h = harness("oneline", 1024);
    let opts = tcp::ServerOptions {
        max_connections: 64,
        max_connections_per_peer: 8,
        max_connections_per_prefix: 16,
        idle_timeout: Duration::from_secs(300),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;

    // 64 peers from 8 networks (8 addresses each) send one valid line, then
    // stay quiet, holding every slot.
    let mut quiet = Vec::new();
    for net in 0..8u8 {
        for host in 0..8u8 {
            let mut s = connect_from(Ipv4Addr::new(127, 0, 10 + net, host + 1), addr).await;
            s.write_all(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n")
                .await
                .unwrap();
            quiet.push(s);
        }
    }
    recv_lines(&mut h.rx, "oneline", 64).await;
    assert_eq!(get(&h.metrics.source_connections, "oneline"), 64);

    // A receiver connects and sends 1,000 lines over 5 s.
    let t0 = Instant::now();
    let recv = tokio::spawn(receiver(
        addr,
        1000,
        Duration::from_millis(5),
        Duration::from_secs(1),
    ));
    let budget = Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < 990 {
        match tokio::time::timeout_at(t0 + budget, h.rx.recv()).await {
            Ok(Some(b)) => got.extend(b.lines),
            _ => panic!("{} of 1000 lines within {budget:?}", got.len()),
        }
    }
    let elapsed = t0.elapsed();
    let connections = recv.await.unwrap();
    // In order, none twice.
    let numbers: Vec<usize> = got
        .iter()
        .map(|l| {
            let t = std::str::from_utf8(&l.text).unwrap();
            t.strip_prefix("line ").unwrap().parse().unwrap()
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(elapsed < budget, "took {elapsed:?}");
    // It got in by closing one of the quiet peers, at most 10 s after
    // their line (and at once had they been quiet that long already).
    assert!(closed(&h.metrics, "oneline", "evicted") >= 1);
    assert!(connections <= 20, "{connections} connections");

    stop(&h.cancel, task).await;
}

#[tokio::test]
async fn per_network_limit_makes_room_in_that_network_or_refuses() {
    let mut h = harness("net", 64);
    let opts = tcp::ServerOptions {
        max_connections: 64,
        max_connections_per_peer: 4,
        max_connections_per_prefix: 8,
        idle_timeout: Duration::from_secs(300),
    };
    let (addr, task) = spawn_server(h.ctx, opts).await;
    let net = |host: u8| Ipv4Addr::new(127, 0, 30, host);

    // 8 silent connections from one /24, from 8 addresses.
    let mut silent = Vec::new();
    for host in 1..=8 {
        silent.push(connect_from(net(host), addr).await);
    }
    eventually("8 connections", || {
        get(&h.metrics.source_connections, "net") == 8
    })
    .await;
    // A 9th address of that /24 gets in by closing the oldest of them.
    let mut ninth = connect_from(net(9), addr).await;
    assert!(closed_by_server(&mut silent[0]).await);
    assert_eq!(closed(&h.metrics, "net", "evicted"), 1);
    ninth.write_all(b"ninth\n").await.unwrap();
    expect_lines(&mut h.rx, "net", &[b"ninth"]).await;

    // Once all 8 of the /24 talk, the next one from it is refused ...
    for (i, s) in silent.iter_mut().enumerate().skip(1) {
        s.write_all(format!("s{i}\n").as_bytes()).await.unwrap();
    }
    recv_lines(&mut h.rx, "net", 7).await;
    let mut tenth = connect_from(net(10), addr).await;
    assert!(closed_by_server(&mut tenth).await);
    assert_eq!(closed(&h.metrics, "net", "prefix_limit"), 1);
    assert_eq!(closed(&h.metrics, "net", "evicted"), 1);
    // ... while another network still gets in, closing nobody.
    let mut other = connect_from(Ipv4Addr::new(127, 0, 31, 1), addr).await;
    other.write_all(b"other\n").await.unwrap();
    expect_lines(&mut h.rx, "net", &[b"other"]).await;
    assert_eq!(closed(&h.metrics, "net", "evicted"), 1);

    stop(&h.cancel, task).await;
}
