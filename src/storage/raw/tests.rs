//! Tests of the raw archive: round trips, rotation, crash recovery, the
//! chain check against each kind of tampering, pruning and the writer.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::format::{hex_into, link_hash, parse_record};
use super::*;

/// 2024-03-10T00:00:00Z.
const DAY0: Millis = 1_710_028_800_000;

fn small() -> RawOptions {
    RawOptions {
        segment_bytes: 2_000,
        buffer_bytes: 512,
    }
}

fn nmea(i: u64) -> Vec<u8> {
    format!(
        "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*{:02X}",
        i % 256
    )
    .into_bytes()
}

fn peer() -> Option<SocketAddr> {
    Some(SocketAddr::from(([10, 0, 0, 7], 4001)))
}

/// An archive of `n` lines, one a second from `DAY0`, flushed and closed.
fn archive_of(n: u64, opts: RawOptions) -> (tempfile::TempDir, [u8; 32]) {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = RawArchive::open(tmp.path(), opts).unwrap();
    for i in 1..=n {
        let seq = a
            .append(DAY0 + i as Millis * 1000, "udp", peer(), &nmea(i))
            .unwrap();
        assert_eq!(seq, i);
    }
    a.flush().unwrap();
    (tmp, a.last_hash())
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    format::list_segments(dir)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// The file's lines, without newlines (a trailing newline gives no empty line).
fn read_lines(path: &Path) -> Vec<Vec<u8>> {
    let data = fs::read(path).unwrap();
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut data = lines.join(&b'\n');
    data.push(b'\n');
    fs::write(path, data).unwrap();
}

fn broken(dir: &Path) -> BrokenLink {
    let report = verify(dir).unwrap();
    report
        .broken
        .clone()
        .unwrap_or_else(|| panic!("verify passed: {report:?}"))
}

fn all_records(dir: &Path) -> Vec<RawRecord> {
    records(dir).collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_byte_value_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let all: Vec<u8> = (0..=255).collect();
    let v6: SocketAddr = "[2001:db8::1]:10110".parse().unwrap();
    let inputs: Vec<(&str, Option<SocketAddr>, Vec<u8>)> = vec![
        ("udp", None, all.clone()),
        (
            "tcp %\t é",
            Some(v6),
            b"\\s:rcv1,c:1710028800*5C\\!AIVDM,1,1,,B,x,0*00\r\n".to_vec(),
        ),
        ("", peer(), Vec::new()),
        ("-", None, b"%25%".to_vec()),
    ];
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    for (i, (src, p, line)) in inputs.iter().enumerate() {
        a.append(-5 + i as Millis, src, *p, line).unwrap();
    }
    a.flush().unwrap();
    let got = all_records(tmp.path());
    assert_eq!(got.len(), inputs.len());
    for (r, (src, p, line)) in got.iter().zip(&inputs) {
        assert_eq!((r.source.as_str(), r.peer, &r.line), (*src, *p, line));
    }
    // Records are single lines whatever the payload.
    assert_eq!(read_lines(&segments(tmp.path())[0]).len(), 1 + inputs.len());
    assert!(verify(tmp.path()).unwrap().is_ok());
}

fn peer_strategy() -> impl Strategy<Value = Option<SocketAddr>> {
    prop_oneof![
        Just(None),
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| Some(SocketAddr::from((ip, port)))),
        (any::<[u16; 8]>(), any::<u16>()).prop_map(|(ip, port)| Some(SocketAddr::from((ip, port)))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_lines_round_trip_byte_for_byte(
        source in proptest::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
        peer in peer_strategy(),
        lines in proptest::collection::vec(
            (prop_oneof![9 => 0..86_400_000i64, 1 => any::<i64>()],
             proptest::collection::vec(any::<u8>(), 0..200)),
            1..40),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let mut a = RawArchive::open(tmp.path(), small()).unwrap();
        for (at, line) in &lines {
            a.append(*at, &source, peer, line).unwrap();
        }
        a.flush().unwrap();
        let tip = a.last_hash();
        drop(a);
        let got = all_records(tmp.path());
        prop_assert_eq!(got.len(), lines.len());
        for (i, (r, (at, line))) in got.iter().zip(&lines).enumerate() {
            prop_assert_eq!(r.seq, i as u64 + 1);
            prop_assert_eq!(r.received_at, *at);
            prop_assert_eq!(&r.source, &source);
            prop_assert_eq!(r.peer, peer);
            prop_assert_eq!(&r.line, line);
        }
        let report = verify(tmp.path()).unwrap();
        prop_assert!(report.is_ok(), "{:?}", report.broken);
        prop_assert_eq!(report.records, lines.len() as u64);
        prop_assert_eq!(report.last_hash, tip);
    }
}

#[test]
fn rotation_by_size_chains_across_segments() {
    let (tmp, tip) = archive_of(100, small());
    let segs = segments(tmp.path());
    assert!(segs.len() >= 5, "{} segments", segs.len());
    let mut prev_last = [0u8; 32];
    for seg in &segs {
        let lines = read_lines(seg);
        let (seq, prev) = format::parse_header(&lines[0]).unwrap();
        assert_eq!(prev, prev_last, "{}", seg.display());
        assert_eq!(
            seg.file_name().unwrap().to_str().unwrap(),
            format::segment_name(seq)
        );
        prev_last = parse_record(lines.last().unwrap()).unwrap().hash;
        assert!(fs::metadata(seg).unwrap().len() < 2_000 + 200);
    }
    let report = verify(tmp.path()).unwrap();
    assert!(report.is_ok(), "{:?}", report.broken);
    assert_eq!(report.segments, segs.len());
    assert_eq!(
        (report.records, report.first_seq, report.last_seq),
        (100, Some(1), Some(100))
    );
    assert_eq!((report.start_prev, report.last_hash), ([0; 32], tip));
    let seqs: Vec<u64> = all_records(tmp.path()).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
}

#[test]
fn rotates_at_utc_day_change() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    a.append(DAY0 - 1, "udp", None, b"a").unwrap();
    a.append(DAY0, "udp", None, b"b").unwrap();
    a.append(DAY0 + 86_399_999, "udp", None, b"c").unwrap();
    a.append(DAY0 + 86_400_000, "udp", None, b"d").unwrap();
    a.flush().unwrap();
    let per_segment: Vec<usize> = segments(tmp.path())
        .iter()
        .map(|s| read_lines(s).len() - 1)
        .collect();
    assert_eq!(per_segment, [1, 2, 1]);
    assert!(verify(tmp.path()).unwrap().is_ok());
}

#[test]
fn reopen_resumes_the_chain() {
    let (tmp, tip) = archive_of(10, RawOptions::default());
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    assert!(a.recovered().is_empty());
    assert_eq!((a.next_seq(), a.last_hash()), (11, tip));
    for i in 11..=20 {
        assert_eq!(
            a.append(DAY0 + i * 1000, "udp", None, &nmea(i as u64))
                .unwrap(),
            i as u64
        );
    }
    a.flush().unwrap();
    assert_eq!(segments(tmp.path()).len(), 1);
    let report = verify(tmp.path()).unwrap();
    assert!(report.is_ok(), "{:?}", report.broken);
    assert_eq!((report.records, report.last_hash), (20, a.last_hash()));
}

#[test]
fn torn_last_record_is_cut_on_open_and_the_chain_continues() {
    for tail in [
        &b"11\t1710028811000\tud"[..],
        b"11\t17100288\n",
        b"\0\0\0\0",
    ] {
        let (tmp, tip) = archive_of(10, RawOptions::default());
        let seg = &segments(tmp.path())[0];
        let good_len = fs::metadata(seg).unwrap().len();
        let mut data = fs::read(seg).unwrap();
        data.extend_from_slice(tail);
        fs::write(seg, &data).unwrap();
        assert_eq!(broken(tmp.path()).line_no, 12);

        let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
        let rec = a.recovered();
        assert_eq!(rec.len(), 1);
        assert_eq!(
            (&rec[0].segment, rec[0].offset, rec[0].bytes),
            (seg, good_len, tail.len() as u64)
        );
        assert_eq!((a.next_seq(), a.last_hash()), (11, tip));
        a.append(DAY0 + 11_000, "udp", None, b"after").unwrap();
        a.flush().unwrap();
        let report = verify(tmp.path()).unwrap();
        assert!(report.is_ok(), "{:?}", report.broken);
        assert_eq!(report.records, 11);
    }
}

#[test]
fn torn_header_of_a_new_segment_is_removed_on_open() {
    let (tmp, tip) = archive_of(10, RawOptions::default());
    let torn = tmp.path().join(format::segment_name(11));
    fs::write(&torn, b"# aiswatch raw v1 seq=11 pr").unwrap();
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    assert_eq!(a.recovered().len(), 1);
    assert_eq!((a.recovered()[0].bytes, a.last_hash()), (27, tip));
    assert!(!torn.exists());
    a.append(DAY0 + 11_000, "udp", None, b"after").unwrap();
    a.flush().unwrap();
    assert!(verify(tmp.path()).unwrap().is_ok());
}

#[test]
fn a_break_before_the_last_line_refuses_to_open() {
    let (tmp, _) = archive_of(10, RawOptions::default());
    let seg = &segments(tmp.path())[0];
    let mut lines = read_lines(seg);
    let n = lines[3].len();
    lines[3][n - 1] ^= 1;
    write_lines(seg, &lines);
    match RawArchive::open(tmp.path(), RawOptions::default()) {
        Err(RawError::Corrupt { line_no: 4, .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// Applies `tamper` to the lines of segment `index` of a fresh 20-line
/// archive (several segments when `opts` is small) and returns the break.
fn tampered(opts: RawOptions, index: usize, tamper: impl FnOnce(&mut Vec<Vec<u8>>)) -> BrokenLink {
    let (tmp, _) = archive_of(20, opts);
    let seg = &segments(tmp.path())[index];
    let mut lines = read_lines(seg);
    tamper(&mut lines);
    write_lines(seg, &lines);
    let b = broken(tmp.path());
    assert_eq!(&b.segment, seg);
    b
}

fn field_mut(line: &mut Vec<u8>, index: usize, f: impl FnOnce(&[u8]) -> Vec<u8>) {
    let mut fields: Vec<Vec<u8>> = line.split(|&b| b == b'\t').map(<[u8]>::to_vec).collect();
    fields[index] = f(&fields[index]);
    *line = fields.join(&b'\t');
}

#[test]
fn verify_catches_a_changed_byte_in_a_line() {
    // Line 6 holds seq 5 (line 1 is the header).
    let b = tampered(RawOptions::default(), 0, |l| {
        field_mut(&mut l[5], 5, |f| {
            f.iter()
                .map(|&c| if c == b'M' { b'N' } else { c })
                .collect()
        })
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Changed, 6, 5),
        "{b}"
    );
}

#[test]
fn verify_catches_a_changed_timestamp() {
    let b = tampered(RawOptions::default(), 0, |l| {
        field_mut(&mut l[5], 1, |f| {
            let t: i64 = std::str::from_utf8(f).unwrap().parse().unwrap();
            (t + 1).to_string().into_bytes()
        })
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Changed, 6, 5),
        "{b}"
    );
}

#[test]
fn verify_catches_an_inserted_copy_of_a_record() {
    let b = tampered(RawOptions::default(), 0, |l| {
        let copy = l[5].clone();
        l.insert(6, copy);
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Inserted, 7, 6),
        "{b}"
    );
}

#[test]
fn verify_catches_an_inserted_record_with_a_valid_forged_hash() {
    let b = tampered(RawOptions::default(), 0, |l| {
        let prev = parse_record(&l[5]).unwrap().hash;
        let at = DAY0 + 5_500;
        let hash = link_hash(&prev, 6, at, b"udp", b"", b"FORGED");
        let mut text = format!("6\t{at}\tudp\t-\t").into_bytes();
        hex_into(&mut text, &hash);
        text.extend_from_slice(b"\tFORGED");
        l.insert(6, text);
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Inserted, 7, 6),
        "{b}"
    );
}

#[test]
fn verify_catches_a_removed_record() {
    let b = tampered(RawOptions::default(), 0, |l| {
        l.remove(5);
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Removed, 6, 5),
        "{b}"
    );
}

#[test]
fn verify_catches_a_swapped_pair() {
    let b = tampered(RawOptions::default(), 0, |l| l.swap(5, 6));
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Reordered, 6, 5),
        "{b}"
    );
}

#[test]
fn verify_catches_a_changed_header_prev() {
    let b = tampered(small(), 1, |l| {
        let (seq, _) = format::parse_header(&l[0]).unwrap();
        let h = format::header_line(seq, &[7; 32]);
        l[0] = h[..h.len() - 1].to_vec();
    });
    assert_eq!((b.kind, b.line_no), (BreakKind::Changed, 1), "{b}");
}

#[test]
fn verify_catches_a_removed_middle_segment() {
    let (tmp, _) = archive_of(40, small());
    let segs = segments(tmp.path());
    assert!(segs.len() >= 3);
    let (first_of_third, _) = format::parse_header(&read_lines(&segs[2])[0]).unwrap();
    let (first_of_second, _) = format::parse_header(&read_lines(&segs[1])[0]).unwrap();
    fs::remove_file(&segs[1]).unwrap();
    let b = broken(tmp.path());
    assert_eq!(
        (&b.segment, b.line_no, b.kind, b.seq),
        (&segs[2], 1, BreakKind::Removed, first_of_second),
        "{b}"
    );
    assert!(
        b.detail.contains(&format!("..={}", first_of_third - 1)),
        "{b}"
    );
}

#[test]
fn verify_reports_a_torn_tail_and_malformed_lines() {
    let b = tampered(RawOptions::default(), 0, |l| {
        field_mut(&mut l[5], 0, |_| b"05".to_vec())
    });
    assert_eq!(
        (b.kind, b.line_no, b.seq),
        (BreakKind::Malformed, 6, 5),
        "{b}"
    );
    let (tmp, _) = archive_of(3, RawOptions::default());
    let seg = &segments(tmp.path())[0];
    let mut data = fs::read(seg).unwrap();
    data.extend_from_slice(b"4\t17");
    fs::write(seg, data).unwrap();
    let b = broken(tmp.path());
    assert_eq!((b.kind, b.line_no, b.seq), (BreakKind::Torn, 5, 4), "{b}");
    // Readers skip a torn tail of the newest segment: it may be a write in progress.
    assert_eq!(all_records(tmp.path()).len(), 3);
}

#[test]
fn records_end_with_an_error_at_a_malformed_line() {
    let (tmp, _) = archive_of(5, RawOptions::default());
    let seg = &segments(tmp.path())[0];
    let mut lines = read_lines(seg);
    field_mut(&mut lines[2], 5, |f| [f, b" "].concat());
    write_lines(seg, &lines);
    let got: Vec<_> = records(tmp.path()).collect();
    assert_eq!(got.len(), 2);
    assert!(
        matches!(got[1], Err(RawError::Corrupt { line_no: 3, .. })),
        "{got:?}"
    );
}

/// An archive with `per_day` lines on each of `days` days from `DAY0`.
fn daily(days: i64, per_day: i64) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    for d in 0..days {
        for i in 0..per_day {
            a.append(DAY0 + d * MS_PER_DAY + i * 60_000, "udp", None, b"x")
                .unwrap();
        }
    }
    a.flush().unwrap();
    tmp
}

#[test]
fn prune_deletes_only_old_whole_segments() {
    let tmp = daily(4, 5);
    assert_eq!(segments(tmp.path()).len(), 4);
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    // Day 1's last record is at 00:04: not all of it is before 00:03.
    assert_eq!(
        a.prune(DAY0 + MS_PER_DAY + 3 * 60_000, u64::MAX).unwrap(),
        1
    );
    assert_eq!(a.prune(DAY0 + 2 * MS_PER_DAY, u64::MAX).unwrap(), 1);
    let report = verify(tmp.path()).unwrap();
    assert!(report.is_ok(), "{:?}", report.broken);
    assert_eq!(
        (report.segments, report.first_seq, report.records),
        (2, Some(11), 10)
    );
    // `start_prev` is the hash of seq 10, which is gone.
    let eleventh = &all_records(tmp.path())[0];
    assert_eq!(eleventh.link_from(&report.start_prev), eleventh.hash);
    // Never the segment being written, even if everything is old.
    assert_eq!(a.prune(Millis::MAX, u64::MAX).unwrap(), 1);
    assert_eq!(segments(tmp.path()).len(), 1);
    a.append(DAY0 + 3 * MS_PER_DAY + 1, "udp", None, b"y")
        .unwrap();
    a.flush().unwrap();
    assert!(verify(tmp.path()).unwrap().is_ok());
}

#[test]
fn prune_keeps_segments_holding_held_records() {
    let tmp = daily(4, 5);
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    // Seq 7 is in day 1's segment (seqs 6-10): days 1 on stay, day 0 goes.
    assert_eq!(a.prune(Millis::MAX, 7).unwrap(), 1);
    let report = verify(tmp.path()).unwrap();
    assert!(report.is_ok(), "{:?}", report.broken);
    assert_eq!((report.first_seq, report.records), (Some(6), 15));
    // Held from the first seq of day 2's segment: day 1 goes too.
    assert_eq!(a.prune(Millis::MAX, 11).unwrap(), 1);
    assert_eq!(verify(tmp.path()).unwrap().first_seq, Some(11));
    assert_eq!(a.prune(Millis::MAX, 11).unwrap(), 0);
}

#[test]
fn prune_stops_at_a_segment_with_a_newer_record() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    // Day 0, then day 5 (clock jumped ahead), then day 1, then day 2.
    for day in [0, 5, 1, 2] {
        a.append(DAY0 + day * MS_PER_DAY, "udp", None, b"x")
            .unwrap();
    }
    assert_eq!(a.prune(DAY0 + 3 * MS_PER_DAY, u64::MAX).unwrap(), 1);
    assert!(verify(tmp.path()).unwrap().is_ok());
}

#[test]
fn append_refuses_a_source_longer_than_the_format_allows() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    let long = "s".repeat(70_000);
    assert!(matches!(
        a.append(0, &long, None, b"x"),
        Err(RawError::SourceTooLong { len: 70_000 })
    ));
    assert_eq!(a.append(0, "udp", None, b"x").unwrap(), 1);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn batch(source: &str, peer: Option<SocketAddr>, from: i64, n: i64) -> RawBatch {
    RawBatch {
        source: Arc::from(source),
        peer,
        lines: (from..from + n)
            .map(|i| (DAY0 + i, nmea(i as u64)))
            .collect(),
    }
}

#[test]
fn writer_appends_batches_and_flushes_on_close() {
    let tmp = tempfile::tempdir().unwrap();
    let a = RawArchive::open(tmp.path(), small()).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let w = spawn_writer(a, rx, Duration::from_secs(3600)).unwrap();
    let stats = w.stats();
    tx.blocking_send(batch("udp", None, 0, 30)).unwrap();
    tx.blocking_send(batch("tcp", peer(), 30, 20)).unwrap();
    tx.blocking_send(batch("udp", None, 50, 0)).unwrap();
    drop(tx);
    let a = w.join().unwrap();
    assert_eq!(
        (stats.lines_written(), stats.lines_pending(), stats.errors()),
        (50, 0, 0)
    );
    assert_eq!(
        stats.bytes_written(),
        (0..50).map(|i| nmea(i).len() as u64).sum::<u64>()
    );
    assert!(stats.flushes() >= 1);
    assert_eq!(a.next_seq(), 51);
    let got = all_records(tmp.path());
    assert_eq!(got.len(), 50);
    assert_eq!(
        (
            got[29].source.as_str(),
            got[30].source.as_str(),
            got[30].peer
        ),
        ("udp", "tcp", peer())
    );
    assert!(verify(tmp.path()).unwrap().is_ok());
}

#[test]
fn writer_flushes_periodically() {
    let tmp = tempfile::tempdir().unwrap();
    let a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let w = spawn_writer(a, rx, Duration::from_millis(20)).unwrap();
    tx.blocking_send(batch("udp", None, 0, 3)).unwrap();
    // Still open: the lines reach the file by the periodic flush alone.
    wait_for("a periodic flush", || records(tmp.path()).count() == 3);
    drop(tx);
    w.join().unwrap();
}

#[test]
fn a_flush_request_writes_out_every_batch_sent_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    // No periodic flush within the test: only the request writes out.
    let w = spawn_writer(a, rx, Duration::from_secs(3600)).unwrap();
    let flush = w.flusher();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        tx.send(batch("udp", None, 0, 3)).await.unwrap();
        tx.send(batch("tcp", peer(), 3, 2)).await.unwrap();
        flush.flush().await;
    });
    assert_eq!(records(tmp.path()).count(), 5);
    drop(tx);
    w.join().unwrap();
    // The writer gone, a request returns at once.
    rt.block_on(flush.flush());
}

#[test]
fn writer_retries_after_write_errors_without_losing_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = RawOptions {
        buffer_bytes: 1,
        ..small()
    };
    let a = RawArchive::open(tmp.path(), opts).unwrap();
    let disk_full = Arc::clone(&a.fail_writes);
    disk_full.store(true, Ordering::Relaxed);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let w = spawn_writer(a, rx, Duration::from_millis(10)).unwrap();
    let stats = w.stats();
    tx.blocking_send(batch("udp", None, 0, 10)).unwrap();
    tx.blocking_send(batch("udp", None, 10, 10)).unwrap();
    wait_for("write errors", || stats.errors() >= 3);
    assert!(stats.lines_pending() > 0);
    assert!(stats.last_error().unwrap().contains("disk full"));
    disk_full.store(false, Ordering::Relaxed);
    wait_for("recovery", || {
        stats.lines_pending() == 0 && stats.flushes() > 0
    });
    tx.blocking_send(batch("udp", None, 20, 5)).unwrap();
    drop(tx);
    w.join().unwrap();
    assert_eq!((stats.lines_written(), stats.lines_dropped()), (25, 0));
    let report = verify(tmp.path()).unwrap();
    assert!(report.is_ok(), "{:?}", report.broken);
    assert_eq!(report.records, 25);
}

#[test]
fn writer_counts_lines_it_could_not_write_by_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let a = RawArchive::open(tmp.path(), RawOptions::default()).unwrap();
    a.fail_writes.store(true, Ordering::Relaxed);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let w = spawn_writer(a, rx, Duration::from_millis(5)).unwrap();
    let stats = w.stats();
    tx.blocking_send(batch("udp", None, 0, 7)).unwrap();
    drop(tx);
    let a = w.join().unwrap();
    assert_eq!(stats.lines_dropped(), 7);
    assert_eq!(a.unwritten_records(), 7 - stats.lines_pending());
    assert!(stats.errors() > u64::from(SHUTDOWN_RETRIES));
}

/// Any single byte changed anywhere in any segment is a
/// broken link that names the segment and a line at or before the change
/// (checked for every byte of a small archive of three segments).
#[test]
fn every_changed_byte_of_every_segment_breaks_the_chain() {
    let (tmp, _) = archive_of(40, small());
    let segs = segments(tmp.path());
    assert!(segs.len() >= 3, "{segs:?}");
    let mut tried = 0;
    for seg in &segs {
        let good = fs::read(seg).unwrap();
        let line_of = |i: usize| good[..i].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        for i in 0..good.len() {
            for flip in [0x01u8, 0x20] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                fs::write(seg, &bad).unwrap();
                let r = verify(tmp.path()).unwrap();
                let b = r.broken.unwrap_or_else(|| {
                    panic!("{} byte {i} ^ {flip:#x}: not caught", seg.display())
                });
                assert_eq!(&b.segment, seg, "byte {i}");
                assert!(
                    b.line_no <= line_of(i) + 1,
                    "byte {i} on line {}: {b}",
                    line_of(i)
                );
                tried += 1;
            }
        }
        fs::write(seg, &good).unwrap();
    }
    assert!(verify(tmp.path()).unwrap().is_ok());
    eprintln!("{tried} changed bytes caught in {} segments", segs.len());
}
