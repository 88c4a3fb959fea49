//! Playing a recorded file back on its own clock, and looping it: the
//! `file` source's `speed` and `loop` keys (used by the demo, which plays the
//! shipped 8 h sample at 60×, over and over).
//!
//! **Pacing.** A line is due `(t − t₀) / speed` of wall time after its pass
//! began, where `t` is its tag-block `c:` time and `t₀` the first one of the
//! pass. Data time is measured on a high-water mark: a line whose time goes
//! backwards (stations' clocks and delays differ by seconds) is due at once,
//! and so is a line without a time (it goes with the line before it). A
//! forward jump of more than [`MAX_PACED_JUMP_MS`] (10 min of data time) is
//! played as 10 min, so a gap in a recording never stalls the playback for
//! long: at 60× a day-long gap is a 10 s pause, not 24 min.
//!
//! **Looping.** Time comes from the data (the engine's clock, duplicate
//! collapsing, the detectors), so pass `k` (0, 1, …) shifts every tag-block
//! `c:` time by `k × P` and recomputes the tag block's checksum. The period
//! `P` ([`period_ms`]) is the file's span plus the engine's `vessel_ttl`
//! (and a minute): when pass `k + 1` starts, every vessel of pass `k` has
//! been unheard for longer than `vessel_ttl` and is forgotten, so a vessel
//! is never seen to jump from where pass `k` left it to where pass `k + 1`
//! starts it. The silence between passes is a feed stall (nothing heard
//! from anyone), which the dark-period detector does not count as vessels
//! going dark. Alerts a pass left open close at the wrap, as they would
//! once a live feed moved on: loitering and rendezvous for "contact lost",
//! the rest with "vessel_forgotten".
//!
//! The engine refuses times ahead of the wall clock, so looping stops (with
//! a warning) before a pass whose shifted times would be in the future. A
//! daemon restarted on its store starts the loop at the first pass after
//! the engine's rebuilt clock: the passes it has seen are not sent again.

use std::time::Duration;

use aiswatch_core::time::{epoch_to_ms, Millis, MS_PER_S};

/// Longest forward jump in data time that pacing waits for in full (10 min).
pub const MAX_PACED_JUMP_MS: Millis = 10 * 60 * MS_PER_S;

/// Data time added to `vessel_ttl` between passes: the engine looks for
/// vessels to forget once a minute of event time.
pub const LOOP_MARGIN_MS: Millis = 60 * MS_PER_S;

/// How a file source plays its file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// Multiple of the data's clock to play at; `None`: as fast as possible.
    pub speed: Option<f64>,
    /// Read the file again at its end, shifted (see the module docs).
    pub looped: bool,
    /// The engine's `vessel_ttl`: the least data time between two passes.
    pub vessel_ttl: Duration,
    /// Start looping at the first pass whose times all come after this
    /// (the engine's clock after a restart); see [`first_pass_after`].
    pub resume_after: Option<Millis>,
}

impl Default for Playback {
    /// Read once, as fast as possible (the `file` source's default).
    fn default() -> Self {
        Playback {
            speed: None,
            looped: false,
            vessel_ttl: aiswatch_engine::engine::EngineConfig::default().vessel_ttl,
            resume_after: None,
        }
    }
}

/// The loop period `P`, in milliseconds, for a file whose tag-block times
/// run from `first` to `last` (ms): the span plus `vessel_ttl` plus
/// [`LOOP_MARGIN_MS`], rounded up to a whole second (so times written in
/// seconds shift exactly). Saturates instead of overflowing.
pub fn period_ms(first: Millis, last: Millis, vessel_ttl: Duration) -> Millis {
    let ttl = Millis::try_from(vessel_ttl.as_millis()).unwrap_or(Millis::MAX);
    let p = last
        .saturating_sub(first)
        .max(0)
        .saturating_add(ttl)
        .saturating_add(LOOP_MARGIN_MS);
    p.saturating_add((MS_PER_S - p.rem_euclid(MS_PER_S)) % MS_PER_S)
}

/// The first pass (0, 1, …) of a loop of period `period` over times
/// starting at `first` whose times all come after `clock`.
pub fn first_pass_after(first: Millis, period: Millis, clock: Millis) -> u64 {
    if clock < first || period <= 0 {
        return 0;
    }
    u64::try_from((clock - first) / period + 1).unwrap_or(u64::MAX)
}

/// One tag block of a line: its body (between the backslashes, without
/// them) as `fields*hh`, split.
struct Block<'a> {
    /// Where the body starts in the line.
    start: usize,
    /// Where the body ends (the closing backslash).
    end: usize,
    fields: &'a [u8],
    /// `true` if the checksum verifies, `false` for the dummy `*00`.
    verified: bool,
}

/// The tag blocks of `line` whose checksum verifies or is the dummy `*00`,
/// the ones the decoder uses (see `decode::sentence`). Tag blocks open and
/// close with a backslash, which no sentence contains.
fn blocks(line: &[u8]) -> impl Iterator<Item = Block<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let open = at + memchr::memchr(b'\\', line.get(at..)?)?;
        let close = open + 1 + memchr::memchr(b'\\', &line[open + 1..])?;
        at = close + 1;
        let body = &line[open + 1..close];
        let Some(star) = body.iter().rposition(|&b| b == b'*') else {
            continue;
        };
        let Some(sum) = body.get(star + 1..star + 3).and_then(hex_byte) else {
            continue;
        };
        let fields = &body[..star];
        let verified = xor(fields) == sum;
        if verified || sum == 0 {
            return Some(Block {
                start: open + 1,
                end: close,
                fields,
                verified,
            });
        }
    })
}

/// The `c:` value of `fields`, if it is a valid epoch (seconds or ms).
fn c_value(fields: &[u8]) -> Option<u64> {
    fields.split(|&b| b == b',').find_map(|f| {
        let v = parse_u64(f.strip_prefix(b"c:")?)?;
        epoch_to_ms(v).map(|_| v)
    })
}

/// The time (ms) of `line`: the first `c:` of a tag block the decoder would
/// use. `None` for a line without one.
pub fn line_time(line: &[u8]) -> Option<Millis> {
    blocks(line).find_map(|b| c_value(b.fields).and_then(epoch_to_ms))
}

/// `line` with every tag-block `c:` time moved `shift_ms` later (in the
/// unit it is written in: seconds move by whole seconds) and the tag
/// block's checksum recomputed (a dummy `*00` stays `*00`). `None` when
/// nothing changes: no tag block with a time, or a shifted time that would
/// leave the range the decoder accepts (1990–2100).
pub fn shift_line(line: &[u8], shift_ms: Millis) -> Option<Vec<u8>> {
    if shift_ms == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(line.len() + 8);
    let mut copied = 0;
    let mut changed = false;
    for b in blocks(line) {
        let mut fields = Vec::with_capacity(b.fields.len() + 4);
        let mut moved = false;
        for (i, f) in b.fields.split(|&c| c == b',').enumerate() {
            if i > 0 {
                fields.push(b',');
            }
            match f.strip_prefix(b"c:").and_then(|v| shifted(v, shift_ms)) {
                Some(v) => {
                    fields.extend_from_slice(b"c:");
                    fields.extend_from_slice(v.to_string().as_bytes());
                    moved = true;
                }
                None => fields.extend_from_slice(f),
            }
        }
        if !moved {
            continue;
        }
        let sum = if b.verified { xor(&fields) } else { 0 };
        out.extend_from_slice(&line[copied..b.start]);
        out.extend_from_slice(&fields);
        out.extend_from_slice(format!("*{sum:02X}").as_bytes());
        copied = b.end;
        changed = true;
    }
    if !changed {
        return None;
    }
    out.extend_from_slice(&line[copied..]);
    Some(out)
}

/// The epoch `v` (seconds or ms, as written) moved `shift_ms` later, if it
/// was and stays valid.
fn shifted(v: &[u8], shift_ms: Millis) -> Option<u64> {
    let v = parse_u64(v)?;
    let ms = epoch_to_ms(v)?;
    let by = if ms == v as Millis {
        shift_ms
    } else {
        shift_ms / MS_PER_S
    };
    let new = v.checked_add_signed(by)?;
    epoch_to_ms(new)?;
    Some(new)
}

/// When lines of one pass are due, as an offset from the pass's start.
#[derive(Debug, Clone)]
pub struct Pacer {
    speed: f64,
    /// The pass's first time.
    first: Option<Millis>,
    /// The latest time seen in the pass.
    high: Millis,
    /// Data time not waited for (forward jumps beyond [`MAX_PACED_JUMP_MS`]).
    skipped: Millis,
}

impl Pacer {
    /// A pacer playing at `speed` (finite, above 0) times the data's clock.
    pub fn new(speed: f64) -> Self {
        Pacer {
            speed,
            first: None,
            high: 0,
            skipped: 0,
        }
    }

    /// Starts a new pass: the next time seen is its `t₀`.
    pub fn restart(&mut self) {
        *self = Pacer::new(self.speed);
    }

    /// How long after the pass began the next line, stamped `time`, is due.
    /// Lines come in file order.
    pub fn due(&mut self, time: Option<Millis>) -> Duration {
        match (time, self.first) {
            (Some(t), None) => {
                self.first = Some(t);
                self.high = t;
            }
            (Some(t), Some(_)) if t > self.high => {
                self.skipped += (t - self.high - MAX_PACED_JUMP_MS).max(0);
                self.high = t;
            }
            _ => {}
        }
        let Some(first) = self.first else {
            return Duration::ZERO;
        };
        let secs = (self.high - first - self.skipped) as f64 / 1000.0 / self.speed;
        Duration::try_from_secs_f64(secs)
            .unwrap_or(aiswatch_core::time::MAX_DURATION)
            .min(aiswatch_core::time::MAX_DURATION)
    }
}

fn xor(b: &[u8]) -> u8 {
    b.iter().fold(0, |a, &c| a ^ c)
}

fn hex_byte(h: &[u8]) -> Option<u8> {
    let v = |c: u8| (c as char).to_digit(16);
    match h {
        [a, b] => Some((v(*a)? * 16 + v(*b)?) as u8),
        _ => None,
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |a, &d| a * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_decode::Decoder;

    const LINE: &str = r"\s:A,c:1334337317*7A\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";

    fn decoded_time(line: &[u8]) -> Option<Millis> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        d.feed(line, 0, &mut out);
        out.first().map(|m| m.time)
    }

    #[test]
    fn shifted_line_decodes_with_the_shifted_time() {
        assert_eq!(decoded_time(LINE.as_bytes()), Some(1_334_337_317_000));
        let p = 288_056_000;
        let s = shift_line(LINE.as_bytes(), p).unwrap();
        assert_eq!(
            std::str::from_utf8(&s).unwrap(),
            r"\s:A,c:1334625373*7E\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
        );
        assert_eq!(decoded_time(&s), Some(1_334_337_317_000 + p));
        assert_eq!(line_time(&s), Some(1_334_337_317_000 + p));
        // Milliseconds stay milliseconds; a dummy checksum stays dummy; the
        // group and station fields and what follows the block are kept.
        let ms =
            r"\g:1-2-73,s:B,c:1334337317123*00\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
        let s = shift_line(ms.as_bytes(), 1_500).unwrap();
        assert!(s.starts_with(br"\g:1-2-73,s:B,c:1334337318623*00\!AIVDM"));
        assert_eq!(decoded_time(&s), Some(1_334_337_318_623));
    }

    #[test]
    fn every_tag_block_of_a_line_is_shifted() {
        let two = format!("{LINE}{LINE}");
        let s = shift_line(two.as_bytes(), 10_000).unwrap();
        let text = std::str::from_utf8(&s).unwrap();
        assert_eq!(text.matches("c:1334337327*").count(), 2, "{text}");
        let mut d = Decoder::new();
        let mut out = Vec::new();
        d.feed(&s, 0, &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|m| m.time == 1_334_337_327_000));
    }

    #[test]
    fn lines_without_a_usable_time_are_left_alone() {
        for line in [
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            r"\s:A*12\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            // Wrong checksum: the decoder ignores the block, so must we.
            r"\s:A,c:1334337317*7B\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            r"\s:A,c:12*00\!AIVDM",
            r"\s:A,c:1334337317*7A",
            "XoEX #hn9n5sL9wn,mCHoscc9WNS",
            "",
        ] {
            assert_eq!(shift_line(line.as_bytes(), 60_000), None, "{line}");
            assert_eq!(line_time(line.as_bytes()), None, "{line}");
        }
        assert_eq!(shift_line(LINE.as_bytes(), 0), None);
        // A shift past 2100 would make the time invalid: left unshifted.
        assert_eq!(shift_line(LINE.as_bytes(), 3_000_000_000_000), None);
    }

    #[test]
    fn period_covers_span_and_ttl_in_whole_seconds() {
        let ttl = Duration::from_secs(72 * 3600);
        let p = period_ms(1_767_225_602_000, 1_767_254_398_000, ttl);
        assert_eq!(p, 28_796_000 + 72 * 3_600_000 + 60_000);
        assert_eq!(period_ms(0, 1_500, Duration::from_secs(1)), 63_000);
        assert_eq!(period_ms(0, 0, Duration::MAX), Millis::MAX);
    }

    #[test]
    fn a_restart_resumes_at_the_first_pass_after_the_clock() {
        assert_eq!(first_pass_after(1_000, 100, 999), 0);
        assert_eq!(first_pass_after(1_000, 100, 1_000), 1);
        assert_eq!(first_pass_after(1_000, 100, 1_099), 1);
        assert_eq!(first_pass_after(1_000, 100, 1_100), 2);
        assert_eq!(first_pass_after(1_000, 0, 5_000), 0);
    }

    #[test]
    fn pacing_follows_the_data_clock() {
        let mut p = Pacer::new(60.0);
        let s = |ms: u64| Duration::from_millis(ms);
        // Lines before the first time go at once; the first time is t₀.
        assert_eq!(p.due(None), s(0));
        assert_eq!(p.due(Some(1_000_000)), s(0));
        // One minute of data is one second.
        assert_eq!(p.due(Some(1_060_000)), s(1_000));
        // Backwards, or no time: with the line before.
        assert_eq!(p.due(Some(1_030_000)), s(1_000));
        assert_eq!(p.due(None), s(1_000));
        // Forward again, measured from the high-water mark.
        assert_eq!(p.due(Some(1_120_000)), s(2_000));
        // A jump of an hour is played as 10 min (10 s at 60×).
        assert_eq!(p.due(Some(1_120_000 + 3_600_000)), s(12_000));
        assert_eq!(p.due(Some(1_120_000 + 3_660_000)), s(13_000));
        // A new pass starts from its own first time.
        p.restart();
        assert_eq!(p.due(Some(5_000_000)), s(0));
        assert_eq!(p.due(Some(5_006_000)), s(100));
        // Absurd speeds saturate rather than panic.
        let mut slow = Pacer::new(f64::MIN_POSITIVE);
        slow.due(Some(0));
        assert_eq!(slow.due(Some(1_000)), aiswatch_core::time::MAX_DURATION);
    }
}
