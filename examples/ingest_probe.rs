//! Hostile-input probe of a running daemon's sources: runs a built
//! `aiswatch` binary on loopback ports with the shipped zones (so detectors
//! run), attacks its sources, and prints resident memory (VmRSS from
//! `/proc`) and metrics before and after.
//!
//! Scenarios (all by default, or name some):
//! - `stations`: 500 k lines, each with a new tag-block station `s:`
//!   (`stations-long`: the same with 200-character station ids);
//! - `orphans`: first parts of 2-part messages that never complete, from
//!   1,000 UDP senders and 500 TCP peers (`AISWATCH_PROBE_PARTS` per peer,
//!   default 300), then memory again after the fragments expired;
//! - `lockout`: 100 silent and 100 slowloris TCP connections, then a real
//!   receiver sends 1,000 lines: how many arrive within 10 s;
//! - `udp-drops`: a UDP flood against the daemon's socket with a 64 KiB
//!   receive buffer (`udp-drops-default`: the default buffer); kernel drops
//!   (read from `/proc/net/udp` by port) against what the metrics say.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example ingest_probe -- --bin target/release/aiswatch stations orphans
//! ```
//! `--old` writes a config without the keys this change added (for a binary
//! built before it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A valid type-1 payload (its checksum is computed per line).
const PAYLOAD: &str = "17P>D600?w:9K`qpgqCf43h400RS";

fn xor(s: &str) -> u8 {
    s.bytes().fold(0, |a, b| a ^ b)
}

/// `\<tags>*hh\!AIVDM,…*hh` with both checksums right.
fn line(tags: &str, sentence: &str) -> String {
    format!(
        "\\{tags}*{:02X}\\!{sentence}*{:02X}\n",
        xor(tags),
        xor(sentence)
    )
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn free_port() -> u16 {
    let s = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let p = s.local_addr().expect("addr").port();
    match UdpSocket::bind(("127.0.0.1", p)) {
        Ok(_) => p,
        Err(_) => free_port(),
    }
}

struct Daemon {
    child: Child,
    http: u16,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start(bin: &Path, extra_udp: &str, extra_tcp: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let (http, port) = (free_port(), free_port());
        let zones = std::env::current_dir().expect("cwd").join("zones");
        let demo = std::fs::read_to_string("deploy/demo.toml").expect("deploy/demo.toml");
        let centres = demo
            .split_once("# The regional centres")
            .map(|x| x.1)
            .unwrap_or_default();
        let cfg = format!(
            "zones = {zones:?}\n\
             [[sources]]\nkind = \"udp\"\nid = \"udp\"\nbind = \"127.0.0.1:{port}\"\n{extra_udp}\n\
             [[sources]]\nkind = \"tcp_server\"\nid = \"tcp\"\nbind = \"127.0.0.1:{port}\"\n{extra_tcp}\n\
             [http]\nlisten = \"127.0.0.1:{http}\"\n\
             [storage]\ndata_dir = {:?}\nraw = false\n\
             # The regional centres{centres}",
            dir.path().join("data")
        );
        let cfg_path = dir.path().join("aiswatch.toml");
        std::fs::write(&cfg_path, cfg).expect("write config");
        let log = std::fs::File::create(dir.path().join("log")).expect("log");
        let child = Command::new(bin)
            .args(["run", "--config"])
            .arg(&cfg_path)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn the daemon");
        let d = Daemon {
            child,
            http,
            port,
            _dir: dir,
        };
        let t0 = Instant::now();
        while d.metrics().is_none() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    fn metrics(&self) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).ok()?;
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        body.contains("aiswatch_").then_some(body)
    }

    /// Sum of every sample of metric `name` whose labels contain `labels`.
    fn metric(&self, name: &str, labels: &str) -> f64 {
        let text = self.metrics().unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .filter(|l| l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Polls until `metric` ≥ `want` or `limit` passes; returns the last value.
    fn wait_metric(&self, name: &str, labels: &str, want: f64, limit: Duration) -> f64 {
        let t0 = Instant::now();
        loop {
            let v = self.metric(name, labels);
            if v >= want || t0.elapsed() > limit {
                return v;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until RSS stops changing (the pipeline has drained).
    fn settle(&self) -> f64 {
        let mut last = self.rss_mb();
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(500));
            let now = self.rss_mb();
            if (now - last).abs() < 0.5 {
                return now;
            }
            last = now;
        }
        last
    }

    fn tcp(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

fn stations(bin: &Path, old: bool, long: bool) {
    let n = 500_000usize;
    let _ = old;
    let d = Daemon::start(bin, "", "");
    let base = d.settle();
    let t0 = now_s() - 7200;
    let pad = if long { "x".repeat(192) } else { String::new() };
    let mut s = TcpStream::connect(d.tcp()).expect("connect");
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        let tags = format!("s:S{i:07}{pad},c:{}", t0 + (i / 100) as u64);
        buf.push_str(&line(&tags, &format!("AIVDM,1,1,,A,{PAYLOAD},0")));
        if buf.len() > (1 << 20) {
            s.write_all(buf.as_bytes()).expect("write");
            buf.clear();
        }
    }
    s.write_all(buf.as_bytes()).expect("write");
    drop(s);
    let got = d.wait_metric(
        "aiswatch_sentences_total",
        "source=\"tcp\"",
        n as f64,
        Duration::from_secs(300),
    );
    let after = d.settle();
    let limited = d.metric("aiswatch_rejected_total", "reason=\"station_limit\"");
    println!(
        "stations{}: {got} sentences with {n} distinct s: ids; RSS {base:.1} MB -> {after:.1} MB (+{:.1} MB, {:.0} B/station); station_limit {limited}",
        if long { " (200-char ids)" } else { "" },
        after - base,
        (after - base) * 1048576.0 / n as f64
    );
}

fn orphan(id: u64) -> String {
    // A 600-character payload: a first part of a 2-part message that never completes.
    let payload: String = (0..600)
        .map(|k| if k % 7 == 0 { '5' } else { 'w' })
        .collect();
    line(&format!("g:1-2-{id}"), &format!("AIVDM,2,1,,A,{payload},0"))
}

fn orphans(bin: &Path, old: bool) {
    let parts: u64 = std::env::var("AISWATCH_PROBE_PARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (udp, tcp) = if old {
        ("", "")
    } else {
        (
            "recv_buffer_bytes = 16777216",
            "max_connections_per_peer = 64",
        )
    };
    let d = Daemon::start(bin, udp, tcp);
    let base = d.settle();
    let udp_addr = d.tcp();
    // 1,000 UDP senders, one datagram each per round, paced so the kernel keeps up.
    let senders: Vec<UdpSocket> = (0..1000)
        .map(|_| UdpSocket::bind("127.0.0.1:0").expect("udp bind"))
        .collect();
    let mut id = 0u64;
    for _round in 0..parts {
        for s in &senders {
            id += 1;
            let _ = s.send_to(orphan(id).as_bytes(), udp_addr);
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    // 500 TCP peers, 50 at a time.
    for chunk in 0..10 {
        let mut conns = Vec::new();
        for _ in 0..50 {
            if let Ok(c) = TcpStream::connect(d.tcp()) {
                conns.push(c);
            }
        }
        for c in &mut conns {
            let mut buf = String::new();
            for _ in 0..parts {
                id += 1;
                buf.push_str(&orphan(id));
            }
            let _ = c.write_all(buf.as_bytes());
        }
        let _ = chunk;
    }
    let want = (parts * 1500) as f64;
    let got = d.wait_metric(
        "aiswatch_sentences_total",
        "",
        want,
        Duration::from_secs(60),
    );
    let after = d.settle();
    let limited = d.metric("aiswatch_rejected_total", "reason=\"fragment_limit\"")
        + d.metric("aiswatch_rejected_total", "reason=\"peer_limit\"");
    println!(
        "orphans: {got} of {want} first parts from 1,000 UDP senders + 500 TCP peers; RSS {base:.1} MB -> {after:.1} MB (+{:.1} MB); fragment/peer limits {limited}",
        after - base
    );
    std::thread::sleep(Duration::from_secs(75));
    let later = d.rss_mb();
    let orph = d.metric("aiswatch_rejected_total", "reason=\"orphan_fragment\"");
    println!(
        "orphans: 75 s later (fragments expire after 60 s) RSS {later:.1} MB; orphan_fragment {orph}"
    );
}

fn lockout(bin: &Path) {
    let d = Daemon::start(bin, "", "");
    let silent: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(d.tcp()).ok())
        .collect();
    let mut slow: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(d.tcp()).ok())
        .collect();
    for s in &mut slow {
        let _ = s.write_all(b"!AIVDM,1,1");
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = d.metric("aiswatch_source_lines_total", "source=\"tcp\"");
    let t0 = Instant::now();
    let mut sent = 0;
    if let Ok(mut real) = TcpStream::connect(d.tcp()) {
        for i in 0..1000u64 {
            let l = line(
                &format!("s:real,c:{}", now_s() - 60 + i / 100),
                &format!("AIVDM,1,1,,A,{PAYLOAD},0"),
            );
            if real.write_all(l.as_bytes()).is_err() {
                break;
            }
            sent += 1;
        }
        let _ = real.flush();
        // Keep the connection open while we count.
        let got = d.wait_metric(
            "aiswatch_source_lines_total",
            "source=\"tcp\"",
            before + 1000.0,
            Duration::from_secs(10),
        ) - before;
        println!(
            "lockout: 200 silent/slowloris connections, then a real receiver wrote {sent} lines: {got} delivered in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        let mut probe = [0u8; 1];
        real.set_read_timeout(Some(Duration::from_millis(100))).ok();
        let _ = BufReader::new(&real).read(&mut probe);
    } else {
        println!("lockout: the real receiver could not even connect");
    }
    drop(silent);
    drop(slow);
}

/// Kernel drops of the UDP socket bound to `port` (sum over /proc/net/udp and udp6).
fn proc_udp_drops(port: u16) -> u64 {
    let hex = format!(":{port:04X}");
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .filter_map(|p| std::fs::File::open(p).ok())
        .flat_map(|f| BufReader::new(f).lines().map_while(Result::ok).skip(1))
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|local| local.ends_with(&hex))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

/// `small`: a 64 KiB receive buffer (new binaries only), to make drops
/// certain; else the default.
fn udp_drops(bin: &Path, old: bool, small: bool) {
    let extra = if old || !small {
        ""
    } else {
        "recv_buffer_bytes = 65536"
    };
    let d = Daemon::start(bin, extra, "");
    let target = d.tcp();
    let l = line(
        &format!("s:flood,c:{}", now_s() - 60),
        &format!("AIVDM,1,1,,A,{PAYLOAD},0"),
    );
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let l = l.clone();
            std::thread::spawn(move || {
                let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
                for _ in 0..100_000 {
                    let _ = s.send_to(l.as_bytes(), target);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::thread::sleep(Duration::from_secs(3));
    let kernel = proc_udp_drops(d.port);
    let lines = d.metric("aiswatch_source_lines_total", "source=\"udp\"");
    let dropped = d.metric("aiswatch_source_dropped_lines_total", "source=\"udp\"");
    let dgrams = d.metric("aiswatch_source_dropped_datagrams_total", "source=\"udp\"");
    let granted = d.metric("aiswatch_source_receive_buffer_bytes", "source=\"udp\"");
    println!(
        "udp-drops ({}): 400000 datagrams sent; read {lines}; kernel drops (/proc/net/udp) {kernel}; \
         aiswatch_source_dropped_lines_total {dropped}; aiswatch_source_dropped_datagrams_total {dgrams}; \
         receive buffer granted {granted}",
        if extra.is_empty() { "default receive buffer" } else { extra }
    );
}

fn main() {
    let mut bin = PathBuf::from("target/release/aiswatch");
    let mut old = false;
    let mut which = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin" => bin = args.next().map(PathBuf::from).expect("--bin PATH"),
            "--old" => old = true,
            s => which.push(s.to_owned()),
        }
    }
    if which.is_empty() {
        which = [
            "stations",
            "stations-long",
            "orphans",
            "lockout",
            "udp-drops",
        ]
        .map(String::from)
        .to_vec();
    }
    println!("binary: {}", bin.display());
    for w in &which {
        match w.as_str() {
            "stations" => stations(&bin, old, false),
            "stations-long" => stations(&bin, old, true),
            "orphans" => orphans(&bin, old),
            "lockout" => lockout(&bin),
            "udp-drops" => udp_drops(&bin, old, true),
            "udp-drops-default" => udp_drops(&bin, old, false),
            other => eprintln!("unknown scenario {other}"),
        }
    }
}
