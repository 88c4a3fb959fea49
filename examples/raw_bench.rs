//! Throughput of the raw line archive: `RawArchive::append` of ~80-byte
//! NMEA lines (time to append, including writing the buffer out to the page
//! cache, excluding the final `fdatasync`), then `verify` and `records` over
//! the result.
//!
//! ```sh
//! cargo run --release --example raw_bench [lines, default 2000000]
//! ```
//!
//! The archive goes to a fresh directory under the system temp dir, which is
//! removed at the end. Lines are made up front from a fixed seed.
//!
//! Measured (2 shared cores, Xeon with SHA-NI, other builds running; three
//! runs of 2 M lines): append 1.48–1.69 M lines/s (195 bytes on disk per
//! 80-byte line), final `fdatasync` ~35 ms, verify 1.18–1.33 M lines/s,
//! records 1.68–1.81 M lines/s. SHA-256 is the largest single cost of append.

use std::time::Instant;

use aiswatch::storage::raw::{self, RawArchive, RawOptions};

/// xorshift64*: deterministic payload characters without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A tagged type-1 sentence of 80 bytes with a random 28-character payload.
fn line(state: &mut u64, i: u64) -> Vec<u8> {
    const ARMOR: &[u8] = b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw";
    let payload: String = (0..28)
        .map(|_| char::from(ARMOR[(next(state) % 64) as usize]))
        .collect();
    let ts = 1_710_028_800 + i / 1000;
    format!(
        "\\s:rcv01,c:{ts},n:{:05}*5C\\!AIVDM,1,1,,B,{payload},0*{:02X}",
        i % 100_000,
        i % 256
    )
    .into_bytes()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 2_000_000,
    };
    let mut seed = 0x5EED_u64;
    let lines: Vec<Vec<u8>> = (0..n).map(|i| line(&mut seed, i)).collect();
    let avg = lines.iter().map(Vec::len).sum::<usize>() as f64 / n as f64;
    let peer = Some(std::net::SocketAddr::from(([192, 0, 2, 17], 40_001)));

    let dir = std::env::temp_dir().join(format!("aiswatch-raw-bench-{}", std::process::id()));
    let mut archive = RawArchive::open(&dir, RawOptions::default())?;
    let start = Instant::now();
    for (i, l) in lines.iter().enumerate() {
        // 1000 lines a second of receive time: one UTC day per 86.4 M lines.
        archive.append(1_710_028_800_000 + i as i64, "tcp-rcv01", peer, l)?;
    }
    let append_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    archive.flush()?;
    let flush_s = start.elapsed().as_secs_f64();
    drop(archive);
    let disk: u64 = std::fs::read_dir(&dir)?
        .map(|e| e.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<_, _>>()?;

    let start = Instant::now();
    let report = raw::verify(&dir)?;
    let verify_s = start.elapsed().as_secs_f64();
    assert!(report.is_ok() && report.records == n, "{report:?}");
    let start = Instant::now();
    let read = raw::records(&dir).filter(Result::is_ok).count();
    let read_s = start.elapsed().as_secs_f64();
    std::fs::remove_dir_all(&dir)?;

    println!(
        "lines: {n}, {avg:.1} bytes each; on disk {:.1} bytes/line in {} segments",
        disk as f64 / n as f64,
        report.segments
    );
    println!(
        "append: {:.0} lines/s ({:.0} MB/s of lines), {append_s:.3} s; final flush+fdatasync {flush_s:.3} s",
        n as f64 / append_s,
        n as f64 * avg / append_s / 1e6
    );
    println!(
        "verify: {:.0} lines/s; records: {:.0} lines/s ({read} read)",
        n as f64 / verify_s,
        n as f64 / read_s
    );
    Ok(())
}
