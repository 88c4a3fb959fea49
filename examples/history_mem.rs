//! Peak heap while streaming a large MarineCadastre CSV through
//! `HistoryReader`, measured with a counting allocator.
//!
//! Writes a synthetic MarineCadastre day (default 2,000,000 rows from
//! 20,000 vessels, rows in random time order: the worst case for the sort)
//! to a temporary file, then reads it back in time order and reports rows
//! per second, spilled runs, and the peak heap during the read. The file is
//! removed at the end.
//!
//! ```sh
//! cargo run --release --example history_mem -- [ROWS] [RUN_ROWS]
//! ```
//!
//! With `AISWATCH_HISTORY_FILE=path` an existing file is read instead.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use aiswatch_core::rng::Rng;
use aiswatch_decode::history::{HistoryReader, SortOptions};

#[path = "common/alloc.rs"]
mod alloc;

const VESSELS: u64 = 20_000;
const DAY_S: i64 = 86_400;
const T0_S: i64 = 1_641_168_000; // 2022-01-03T00:00:00Z

/// Writes `rows` MarineCadastre rows in random time order.
fn generate(path: &PathBuf, rows: usize) -> std::io::Result<()> {
    let mut r = Rng::new(42);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass")?;
    for _ in 0..rows {
        let v = r.below(VESSELS);
        let t = chrono::DateTime::from_timestamp(T0_S + r.int(0, DAY_S - 1), 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%S");
        let class = if v % 4 == 0 { "B" } else { "A" };
        writeln!(
            out,
            "{},{t},{:.5},{:.5},{:.1},{:.1},{},VESSEL NUMBER {v},IMO{},WDC{v},{},0,{},{},{:.1},{},{class}",
            366_000_000 + v,
            r.range(20.0, 45.0),
            r.range(-125.0, -70.0),
            r.range(0.0, 20.0),
            r.range(0.0, 359.9),
            r.below(360),
            9_000_000 + v,
            30 + v % 60,
            20 + v % 200,
            5 + v % 40,
            2.0 + (v % 100) as f64 / 10.0,
            v % 90,
        )?;
    }
    out.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: usize = args.first().map_or(Ok(2_000_000), |s| s.parse())?;
    let mut opts = SortOptions::default();
    if let Some(n) = args.get(1) {
        opts.run_rows = n.parse()?;
    }
    let (path, generated) = match std::env::var_os("AISWATCH_HISTORY_FILE") {
        Some(p) => (PathBuf::from(p), false),
        None => {
            let p = std::env::temp_dir().join(format!("history_mem-{}.csv", std::process::id()));
            let t = Instant::now();
            generate(&p, rows)?;
            let mb = std::fs::metadata(&p)?.len() as f64 / 1e6;
            println!(
                "generated {rows} rows ({mb:.0} MB) in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            (p, true)
        }
    };
    let base = alloc::reset_peak();
    let t = Instant::now();
    let mut reader = HistoryReader::open(&path, opts.clone())?;
    let sorted_s = t.elapsed().as_secs_f64();
    let spilled = reader.spilled_runs();
    let peak_open = alloc::peak() - base;
    let (mut n, mut last, mut sorted) = (0u64, i64::MIN, true);
    for m in reader.by_ref() {
        sorted &= m.time >= last;
        last = m.time;
        n += 1;
    }
    let stats = reader.finish()?;
    let total_s = t.elapsed().as_secs_f64();
    let peak = alloc::peak() - base;
    println!(
        "read {} rows ({} rejected) -> {n} messages ({} positions, {} static), time-sorted: {sorted}",
        stats.rows, stats.rejected, stats.positions, stats.statics
    );
    println!(
        "run_rows {}, spilled runs {spilled}; read+sort {sorted_s:.2} s, merge {:.2} s, total {total_s:.2} s = {:.0} rows/s",
        opts.run_rows,
        total_s - sorted_s,
        stats.rows as f64 / total_s
    );
    println!(
        "peak heap: {:.1} MB while reading and sorting, {:.1} MB overall ({:.0} bytes/row of input)",
        peak_open as f64 / 1e6,
        peak as f64 / 1e6,
        peak as f64 / stats.rows.max(1) as f64
    );
    if generated {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
