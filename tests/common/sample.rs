//! The shipped sample feed, for the tests and `examples/delivery_bench.rs`
//! (which includes this file with `#[path]`).

/// The shipped sample feed's lines (8 h of simulated Gulf of Guinea traffic).
pub fn sample_lines() -> Vec<String> {
    use std::io::Read;
    let f = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/sample/feed.nmea.gz"
    ))
    .unwrap();
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap();
    s.lines().map(str::to_owned).collect()
}
