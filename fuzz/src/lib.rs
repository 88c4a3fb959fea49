//! The fuzz entry points, shared by the libFuzzer targets (`fuzz_targets/`)
//! and the root crate's corpus regression test (`tests/fuzz_corpus.rs`
//! includes this file as a module), so CI replays every corpus file through
//! the same code on stable Rust without a fuzzer.
//!
//! Each entry checks more than "no panic": invariants are asserted here, so
//! a violation is a crash the fuzzer reports. Memory is checked with
//! [`alloc::Counting`], which the binaries install as global allocator: the
//! peak of live bytes allocated by one call on this thread must stay within
//! a bound linear in the input size.

use std::path::Path;

use aiswatch_decode::ais::{decode, unarmour};
use aiswatch_decode::history::{detect, HistoryReader, SortOptions};
use aiswatch_decode::sentence::{is_armour, split_line, Item};
use aiswatch_decode::{gpsd_json, Decoded, Decoder};
use aiswatch_zones::{ZoneErrorKind, ZoneSet};

/// Per-thread accounting of live heap bytes, for the allocation bound.
pub mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    fn add(n: isize) {
        let _ = LIVE.try_with(|l| {
            let v = l.get() + n;
            l.set(v);
            let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
        });
    }

    /// The system allocator, counting this thread's live bytes.
    pub struct Counting;

    // SAFETY: every call is forwarded unchanged to `System`; the counters are
    // const-initialised thread-locals that never allocate.
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let p = System.alloc(l);
            if !p.is_null() {
                add(l.size() as isize);
            }
            p
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            let p = System.alloc_zeroed(l);
            if !p.is_null() {
                add(l.size() as isize);
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            System.dealloc(p, l);
            add(-(l.size() as isize));
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let q = System.realloc(p, l, new);
            if !q.is_null() {
                add(new as isize - l.size() as isize);
            }
            q
        }
    }

    /// Runs `f` and returns its result with the peak of extra live bytes it
    /// allocated on this thread (0 when [`Counting`] is not installed).
    pub fn peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
        let start = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(start));
        let r = f();
        let peak = PEAK.with(Cell::get);
        (r, usize::try_from(peak - start).unwrap_or(0))
    }
}

/// Asserts the allocation bound: `base` bytes plus `per_byte` per input byte.
fn bounded<R>(what: &str, len: usize, base: usize, per_byte: usize, f: impl FnOnce() -> R) -> R {
    let (r, peak) = alloc::peak(f);
    let limit = base + per_byte * len;
    assert!(
        peak <= limit,
        "{what}: {peak} bytes allocated for {len} input bytes (limit {limit})"
    );
    r
}

fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// Framing and tag blocks: `split_line` on every line.
pub fn sentence(data: &[u8]) {
    let range = data.as_ptr_range();
    let within = |s: &[u8]| {
        let r = s.as_ptr_range();
        s.is_empty() || (range.start <= r.start && r.end <= range.end)
    };
    bounded("split_line", data.len(), 0, 0, || {
        for line in lines(data) {
            let mut n = 0;
            split_line(line, |item| {
                n += 1;
                if let Item::Ais(s) = item {
                    assert!((1..=9).contains(&s.total), "total {}", s.total);
                    assert!(
                        (1..=s.total).contains(&s.number),
                        "part {} of {}",
                        s.number,
                        s.total
                    );
                    assert!(s.fill <= 5, "fill {}", s.fill);
                    assert!(
                        s.payload.iter().all(|&b| is_armour(b)),
                        "payload not armoured"
                    );
                    assert!(within(s.payload), "payload outside the line");
                    if let Some(st) = s.tags.station.or(s.trailing_station) {
                        assert!(within(st), "station outside the line");
                    }
                    if let Some((part, total, _)) = s.tags.group {
                        assert!(
                            (1..=total).contains(&part) && total <= 9,
                            "group {part}/{total}"
                        );
                    }
                }
            });
            // Every item starts at a `\`, `!` or `$`, plus one trailing reject.
            let starts = line
                .iter()
                .filter(|&&b| matches!(b, b'\\' | b'!' | b'$'))
                .count();
            assert!(
                n <= starts + 1,
                "{n} items from a line with {starts} starts"
            );
        }
    });
}

/// Payload decode: the first byte picks the fill bits, the rest is the
/// armoured payload (any bytes); also the raw bit decoder on the input.
pub fn ais(data: &[u8]) {
    let Some((&head, payload)) = data.split_first() else {
        return;
    };
    bounded("ais decode", data.len(), 4096, 16, || {
        let mut bits = Vec::new();
        let nbits = unarmour(payload, head % 6, &mut bits);
        assert_eq!(bits.len(), (payload.len() * 6).div_ceil(8));
        assert!(nbits <= bits.len() * 8);
        if let Some(m) = decode(&bits, nbits) {
            check_message(&m);
        }
        // Raw bits with any length up to the data's.
        let n = usize::from(head) % (payload.len() * 8 + 1);
        if let Some(m) = decode(payload, n) {
            check_message(&m);
        }
    });
}

fn check_message(m: &aiswatch_decode::AisMessage) {
    assert!((1..=27).contains(&m.msg_type));
    if let Some((lon, lat)) = m.position() {
        assert!(
            (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat),
            "{lon},{lat}"
        );
    }
    let _ = (
        m.speed_kn(),
        m.course_deg(),
        m.heading_deg(),
        m.nav_status(),
    );
    let _ = m.is_vessel_position();
}

/// `gpsd_json::write` must print one valid JSON object per message.
fn check_decoded(d: &Decoded, json: &mut String) {
    check_message(&d.message);
    json.clear();
    gpsd_json::write(json, d);
    let line = json.trim_end_matches('\n');
    assert!(!line.contains('\n'), "decode output spans lines: {line}");
    if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
        panic!("decode output is not JSON ({e}): {line}");
    }
}

const T0: i64 = 1_700_000_000_000;

/// The `Decoder` as the daemon uses it: lines in, messages out, then expiry.
pub fn decoder(data: &[u8]) {
    let mut json = String::new();
    let n_lines = lines(data).count() as u64;
    let (out, dec) = bounded("Decoder::feed", data.len(), 16 * 1024, 96, || {
        let mut dec = Decoder::new();
        let mut out = Vec::new();
        for (i, line) in lines(data).enumerate() {
            dec.feed(line, T0 + i as i64 * 37, &mut out);
        }
        (out, dec)
    });
    let stats = dec.stats();
    assert_eq!(stats.lines, n_lines);
    assert!(
        out.len() as u64 <= stats.sentences,
        "{} messages from {} sentences",
        out.len(),
        stats.sentences
    );
    assert_eq!(stats.messages, out.len() as u64);
    for d in &out {
        check_decoded(d, &mut json);
    }
    let mut dec = dec;
    dec.expire(T0 + n_lines as i64 * 37 + 3_600_000);
    assert!(dec.is_idle(), "fragments outlived expiry");
}

/// Reads fuzz bytes as small numbers; zeros once the data runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn below(&mut self, n: u8) -> u8 {
        self.u8() % n
    }
}

fn xor(s: &[u8]) -> u8 {
    s.iter().fold(0, |a, &b| a ^ b)
}

const PAYLOADS: [&str; 6] = [
    "13u?etPv2;0n:dDPwUM1U1Cb069D",
    "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8",
    "88888888880",
    "B52K>;h00Fc>jpUlNV@ikwpUoP06",
    "H52KMeDU653hhhi0000000000000",
    "K5DfMB9FLsM?P00d",
];

/// Multi-part reassembly across lines and peers: fuzz bytes describe
/// sentences (part numbers, sequence ids, groups, stations, times, payload
/// pieces), written with right checksums so they reach the assembler, and
/// fed to one of two decoders (peers) with arrival times and expiries.
pub fn assemble(data: &[u8]) {
    let mut b = Bytes(data);
    let mut decs = [Decoder::new(), Decoder::new()];
    let mut out = Vec::new();
    let mut json = String::new();
    let mut now = T0;
    let mut fed = 0usize;
    let mut line = String::new();
    bounded("reassembly", data.len(), 64 * 1024, 512, || {
        while !b.0.is_empty() {
            let op = b.u8();
            let peer = usize::from(op & 1);
            now += i64::from(b.u8()) * if op & 2 != 0 { 1_000 } else { 10 };
            if op & 0xf0 == 0xf0 {
                decs[peer].expire(now);
                continue;
            }
            let total = 1 + b.below(4) + if op & 4 != 0 { b.below(6) } else { 0 };
            let number = 1 + b.below(total + u8::from(op & 8 != 0));
            let seq = b.below(11);
            let chan = [&b""[..], b"A", b"B", b"1"][usize::from(b.below(4))];
            let payload_sel = b.u8();
            let payload = PAYLOADS[usize::from(payload_sel % 6)];
            let cut = usize::from(b.u8()) % (payload.len() + 1);
            let fill = b.below(6);
            let tags = b.u8();
            line.clear();
            let mut tag = String::new();
            if tags & 1 != 0 {
                let part = if tags & 0x40 != 0 {
                    b.below(10)
                } else {
                    number
                };
                tag.push_str(&format!("g:{part}-{total}-{},", b.below(4)));
            }
            if tags & 2 != 0 {
                tag.push_str(["s:rA,", "s:rB,", "s:,"][usize::from(b.below(3))]);
            }
            if tags & 4 != 0 {
                let t = (now / 1000) + i64::from(b.u8() as i8) * 30;
                tag.push_str(&format!("c:{t},"));
            }
            if !tag.is_empty() {
                tag.pop();
                let sum = match tags & 0x30 {
                    0x10 => 0,
                    0x20 => xor(tag.as_bytes()) ^ 1,
                    _ => xor(tag.as_bytes()),
                };
                line.push_str(&format!("\\{tag}*{sum:02X}\\"));
            }
            let seq = if seq == 10 {
                String::new()
            } else {
                seq.to_string()
            };
            let body = format!(
                "AIVDM,{total},{number},{seq},{},{},{fill}",
                std::str::from_utf8(chan).unwrap_or(""),
                &payload[..cut]
            );
            line.push_str(&format!("!{body}*{:02X}", xor(body.as_bytes())));
            if tags & 8 != 0 {
                line.push_str(&format!(",r00{},{}", b.below(3), now / 1000));
            }
            decs[peer].feed(line.as_bytes(), now, &mut out);
            fed += 1;
        }
    });
    let sentences: u64 = decs.iter().map(|d| d.stats().sentences).sum();
    assert!(out.len() as u64 <= sentences && sentences <= fed as u64);
    for d in &out {
        check_decoded(d, &mut json);
    }
    for d in &mut decs {
        d.expire(now + 3_600_000);
        assert!(d.is_idle(), "fragments outlived expiry");
    }
}

/// Decoded-history files (any format), read, sorted and emitted; an odd
/// length sorts in runs of 3 rows merged 2 at a time (spilled to temporary
/// files), to exercise the external sort.
pub fn history(data: &[u8]) {
    let opts = if data.len() % 2 == 1 {
        SortOptions {
            run_rows: 3,
            fan_in: 2,
            temp_dir: None,
        }
    } else {
        SortOptions::default()
    };
    let name = Path::new("fuzz.csv");
    let reader = match HistoryReader::from_reader(name, data, opts) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("fuzz.csv"),
                "error does not name the file: {msg}"
            );
            return;
        }
    };
    let first = lines(data).next().unwrap_or_default();
    assert_eq!(
        detect(&String::from_utf8_lossy(first)),
        Some(reader.format())
    );
    let rows = reader.stats().rows;
    let mut reader = reader;
    let mut last = i64::MIN;
    let mut n = 0u64;
    let mut json = String::new();
    for d in reader.by_ref() {
        assert!(
            d.time >= last,
            "history out of order: {} after {last}",
            d.time
        );
        last = d.time;
        n += 1;
        check_decoded(&d, &mut json);
    }
    let stats = reader.finish().expect("temporary sort files");
    assert!(n <= 3 * rows, "{n} messages from {rows} rows");
    assert_eq!(stats.positions + stats.statics, n);
    for e in &stats.first_errors {
        assert!(e.starts_with("line "), "row error without its line: {e}");
    }
}

/// One zone file from memory: errors name the file, and the feature where
/// the problem is inside one; a loaded set answers point lookups.
pub fn zones(data: &[u8]) {
    let name = Path::new("fuzz.geojson");
    match ZoneSet::from_geojson(name, data, aiswatch_engine::detect::SPECS) {
        Ok(set) => {
            for z in set.zones() {
                for p in &z.geometry.0 {
                    for c in p.exterior().0.iter().take(4) {
                        let _ = set.zones_at(c.x, c.y).count();
                        let _ = set.is_port(c.x, c.y);
                    }
                }
            }
            let _ = set.zones_at(0.0, 0.0).count();
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let features = serde_json::from_slice::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v.get("features")?.as_array().map(Vec::len));
            for e in &errors {
                assert_eq!(e.file, name);
                let text = e.to_string();
                assert!(text.starts_with("fuzz.geojson"), "{text}");
                if matches!(
                    e.kind,
                    ZoneErrorKind::Geometry | ZoneErrorKind::Property | ZoneErrorKind::DuplicateId
                ) {
                    let i = e.feature.unwrap_or_else(|| panic!("no feature: {text}"));
                    assert!(
                        features.is_some_and(|n| i < n),
                        "feature #{i} of {features:?}: {text}"
                    );
                }
            }
        }
    }
}
