//! Splitting a byte stream into lines (TCP, files, stdin, UDP datagrams).

use super::{RawLine, MAX_LINE_BYTES};
use aiswatch_core::time::Millis;

/// Splits a byte stream into lines: on `\n`, with one trailing `\r` removed
/// and empty lines skipped. Bytes need not be UTF-8.
///
/// A line longer than [`MAX_LINE_BYTES`] is emitted cut to that length as
/// soon as the limit is passed, and the rest of it up to the next `\n` is
/// discarded, so memory stays bounded and nothing waits on a runaway line.
/// A partial last line is kept until a later [`push`](Self::push) completes
/// it, or until [`finish`](Self::finish) (end of stream, end of datagram).
#[derive(Debug, Default)]
pub struct LineSplitter {
    /// The unterminated tail of the data seen so far (at most `MAX_LINE_BYTES`).
    partial: Vec<u8>,
    /// Inside an over-long line that was already cut: skip up to the next `\n`.
    discarding: bool,
}

impl LineSplitter {
    /// A splitter at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Splits `data`, appending every line it completes to `out`, each
    /// stamped with `received_at`. Returns how many lines were appended.
    pub fn push(&mut self, mut data: &[u8], received_at: Millis, out: &mut Vec<RawLine>) -> usize {
        let before = out.len();
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let seg = &data[..i];
                    data = &data[i + 1..];
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    let text = if self.partial.is_empty() {
                        trim_line(seg).to_vec()
                    } else {
                        let mut t = std::mem::take(&mut self.partial);
                        t.extend_from_slice(seg);
                        let len = trim_line(&t).len();
                        t.truncate(len);
                        t
                    };
                    push_line(text, received_at, out);
                }
                None => {
                    if self.discarding {
                        break;
                    }
                    let room = MAX_LINE_BYTES - self.partial.len();
                    if data.len() <= room {
                        // Up to exactly MAX_LINE_BYTES is kept: a `\r\n` may follow.
                        self.partial.extend_from_slice(data);
                    } else {
                        let mut t = std::mem::take(&mut self.partial);
                        t.extend_from_slice(&data[..room]);
                        out.push(RawLine {
                            received_at,
                            text: t,
                        });
                        self.discarding = true;
                    }
                    break;
                }
            }
        }
        out.len() - before
    }

    /// Ends the stream (or datagram): a non-empty unterminated last line is
    /// appended to `out`, and the splitter is ready for a new stream.
    /// Returns how many lines were appended (0 or 1).
    pub fn finish(&mut self, received_at: Millis, out: &mut Vec<RawLine>) -> usize {
        let discarding = std::mem::take(&mut self.discarding);
        let mut t = std::mem::take(&mut self.partial);
        if discarding || t.is_empty() {
            return 0;
        }
        let len = trim_line(&t).len();
        t.truncate(len);
        let before = out.len();
        push_line(t, received_at, out);
        out.len() - before
    }
}

/// Removes one trailing `\r`.
fn trim_line(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Appends a complete line unless it is empty, cutting it to [`MAX_LINE_BYTES`].
fn push_line(mut text: Vec<u8>, received_at: Millis, out: &mut Vec<RawLine>) {
    if text.is_empty() {
        return;
    }
    text.truncate(MAX_LINE_BYTES);
    out.push(RawLine { received_at, text });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, 1, &mut out);
        }
        s.finish(2, &mut out);
        out.into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn splits_lf_and_crlf_and_skips_empty() {
        let got = split(&[b"a\r\nb\n\n\r\nc\rd\nlast"]);
        assert_eq!(
            got,
            vec![
                b"a".to_vec(),
                b"b".to_vec(),
                b"c\rd".to_vec(),
                b"last".to_vec()
            ]
        );
    }

    #[test]
    fn partial_line_is_completed_by_next_push() {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        assert_eq!(s.push(b"!AIVDM,1,1", 1, &mut out), 0);
        assert_eq!(s.push(b",,A,x*00\r", 2, &mut out), 0);
        assert_eq!(s.push(b"\nnext", 3, &mut out), 1);
        assert_eq!(out[0].text, b"!AIVDM,1,1,,A,x*00");
        assert_eq!(out[0].received_at, 3);
        assert_eq!(s.finish(4, &mut out), 1);
        assert_eq!(out[1].text, b"next");
    }

    #[test]
    fn binary_bytes_pass_through() {
        let got = split(&[&[0xff, 0x00, 0xfe, b'\n', 0x80]]);
        assert_eq!(got, vec![vec![0xff, 0x00, 0xfe], vec![0x80]]);
    }

    #[test]
    fn long_line_is_cut_and_rest_skipped() {
        let long = vec![b'x'; MAX_LINE_BYTES * 2 + 5];
        let got = split(&[b"ok1\n", &long[..100], &long[100..], b"\nok2\n"]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], b"ok1");
        assert_eq!(got[1].len(), MAX_LINE_BYTES);
        assert_eq!(got[2], b"ok2");
    }

    #[test]
    fn long_line_in_one_chunk_is_cut() {
        let mut data = b"a\n".to_vec();
        data.extend(std::iter::repeat_n(b'y', MAX_LINE_BYTES + 1));
        data.extend_from_slice(b"\nb\n");
        let got = split(&[&data]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].len(), MAX_LINE_BYTES);
        assert_eq!(got[2], b"b");
    }

    #[test]
    fn cut_line_is_emitted_without_waiting_for_newline() {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        s.push(&vec![b'z'; MAX_LINE_BYTES + 1], 1, &mut out);
        assert_eq!(out.len(), 1);
        // The rest of the runaway line is skipped, however long.
        s.push(&vec![b'z'; 100_000], 1, &mut out);
        assert_eq!(out.len(), 1);
        assert!(s.partial.is_empty());
        s.push(b"zz\nok\n", 1, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].text, b"ok");
    }

    #[test]
    fn line_of_exactly_max_with_crlf_is_whole() {
        let mut line = vec![b'm'; MAX_LINE_BYTES];
        let want = line.clone();
        line.extend_from_slice(b"\r\n");
        assert_eq!(split(&[&line]), vec![want.clone()]);
        // Same, with the terminator arriving in separate reads.
        assert_eq!(split(&[&line[..MAX_LINE_BYTES], b"\r", b"\n"]), vec![want]);
    }
}
