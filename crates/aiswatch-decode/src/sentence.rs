//! Framing of one received line into NMEA sentences.
//!
//! A line may carry, in this order: NMEA 4.10 tag blocks (`\s:rEV02,c:1334337317*58\`),
//! one sentence (`!AIVDM,1,1,,B,<payload>,0*5F`), and trailing receiver fields
//! after the checksum (`,1327992119173` or USCG/NAIS `,d-109,S2105,…,r003669946,1325394060`).
//! Some satellite feeds put several tag-blocked sentences on one line. Gatehouse
//! `$PGHP` sentences carry the receive time of the sentence that follows.
//!
//! The checksum is mandatory: a line without one is rejected, because a
//! truncated sentence would otherwise decode into a phantom position.

use aiswatch_core::time::{epoch_to_ms, Millis};

use super::Reject;

/// The parts of a tag block that the pipeline uses.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TagBlock<'a> {
    /// `s:` source station.
    pub station: Option<&'a [u8]>,
    /// `c:` receive time.
    pub time: Option<Millis>,
    /// `g:` sentence group: (part, total, group id).
    pub group: Option<(u8, u8, u32)>,
}

/// Outcome of reading a tag block's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagCheck {
    /// No tag block on this sentence.
    Absent,
    /// Present and its checksum is right.
    Valid,
    /// Checksum written as `*00` (some feeds never compute it): used, but flagged.
    Unverified,
    /// Checksum wrong or tag block malformed: its contents are ignored.
    Invalid,
}

/// One AIS sentence (VDM or VDO) framed and checksum-verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// Tag block fields, if a valid (or `*00`) tag block preceded the sentence.
    pub tags: TagBlock<'a>,
    /// What became of the tag block.
    pub tag_check: TagCheck,
    /// Two-character talker (`AI`, `AB`, `BS`, `--`, …).
    pub talker: [u8; 2],
    /// `true` for VDO (own ship).
    pub own_ship: bool,
    /// Number of fragments of the message (1–9).
    pub total: u8,
    /// This fragment's number (1-based).
    pub number: u8,
    /// Sequential message id (multi-part only), if present.
    pub seq: Option<u8>,
    /// Radio channel (`A`, `B`, `1`, `2`), 0 if absent.
    pub channel: u8,
    /// The armoured payload (validated: every byte is a six-bit armour character).
    pub payload: &'a [u8],
    /// Fill bits (0–5).
    pub fill: u8,
    /// Receive epoch found after the checksum (USCG/NAIS or AMSA style).
    pub trailing_time: Option<Millis>,
    /// USCG/NAIS `r<station>` field after the checksum.
    pub trailing_station: Option<&'a [u8]>,
}

/// What one chunk of a line turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// An AIS sentence.
    Ais(Sentence<'a>),
    /// A Gatehouse `$PGHP,1,…` header: the receive time of the next sentence.
    Pghp(Millis),
    /// A well-formed sentence that is not AIS (`$GPZDA`, `$AIVSI`, …): ignored.
    NonAis,
    /// A rejected chunk, with why.
    Rejected(Reject),
}

/// Longest line accepted. NMEA sentences are at most 82 characters; tag
/// blocks, trailing receiver fields and several sentences on one line make
/// real lines longer, but never by this much.
pub const MAX_LINE: usize = 2048;

/// Splits one line into items. Calls `f` once per item, in order.
pub fn split_line<'a>(line: &'a [u8], mut f: impl FnMut(Item<'a>)) {
    if line.len() > MAX_LINE {
        f(Item::Rejected(Reject::TooLong));
        return;
    }
    let mut rest = line;
    loop {
        // Skip leading blanks and find where the next chunk starts.
        let start = match memchr::memchr3(b'\\', b'!', b'$', rest) {
            Some(i) => i,
            None => {
                if rest.iter().any(|b| !b.is_ascii_whitespace()) {
                    f(Item::Rejected(Reject::NotNmea));
                }
                return;
            }
        };
        rest = &rest[start..];
        let (item, next) = parse_chunk(rest);
        f(item);
        match next {
            Some(n) if n < rest.len() => rest = &rest[n..],
            _ => return,
        }
    }
}

/// Parses one chunk beginning at `s[0]` (`\`, `!` or `$`). Returns the item
/// and the offset of whatever follows it on the line (another chunk), if any.
fn parse_chunk(s: &[u8]) -> (Item<'_>, Option<usize>) {
    let mut pos = 0;
    let mut tags = TagBlock::default();
    let mut tag_check = TagCheck::Absent;
    // Tag blocks (normally one; tolerate several in a row).
    while s.get(pos) == Some(&b'\\') {
        let body_start = pos + 1;
        let Some(len) = s[body_start..].iter().position(|&b| b == b'\\') else {
            // Unterminated tag block: its contents cannot be trusted, but a
            // sentence after it still carries its own checksum.
            match s[body_start..].iter().position(|&b| b == b'!' || b == b'$') {
                Some(i) => {
                    pos = body_start + i;
                    tag_check = TagCheck::Invalid;
                    break;
                }
                None => return (Item::Rejected(Reject::BadTagBlock), None),
            }
        };
        let body = &s[body_start..body_start + len];
        pos = body_start + len + 1;
        match parse_tag_block(body) {
            Some((t, verified)) => {
                merge_tags(&mut tags, t);
                if tag_check != TagCheck::Invalid {
                    tag_check = if verified {
                        TagCheck::Valid
                    } else {
                        TagCheck::Unverified
                    };
                }
            }
            None => tag_check = TagCheck::Invalid,
        }
    }
    if tag_check == TagCheck::Invalid {
        tags = TagBlock::default();
    }
    let s2 = &s[pos..];
    match s2.first() {
        Some(b'!') | Some(b'$') => {}
        _ => {
            return (
                Item::Rejected(Reject::BadTagBlock),
                next_chunk(s2).map(|n| n + pos),
            )
        }
    }
    // The sentence runs to the next tag block, or to the end of the line.
    let end = memchr::memchr(b'\\', &s2[1..]).map_or(s2.len(), |i| i + 1);
    let sentence = &s2[..end];
    let next = (end < s2.len()).then_some(pos + end);
    let Some(star) = memchr::memchr(b'*', sentence) else {
        return (Item::Rejected(Reject::NoChecksum), next);
    };
    let body = &sentence[1..star];
    let Some(expected) = sentence.get(star + 1..star + 3).and_then(hex_byte) else {
        return (Item::Rejected(Reject::NoChecksum), next);
    };
    if xor(body) != expected {
        return (Item::Rejected(Reject::BadChecksum), next);
    }
    // What follows the checksum: receiver fields, or another sentence.
    let mut trailing = &sentence[star + 3..];
    let mut next = next;
    if let Some(i) = memchr::memchr2(b'!', b'$', trailing) {
        next = Some(pos + star + 3 + i);
        trailing = &trailing[..i];
    }
    let item = parse_sentence(body, trailing, tags, tag_check);
    (item, next)
}

fn next_chunk(s: &[u8]) -> Option<usize> {
    s.iter()
        .skip(1)
        .position(|&b| b == b'\\' || b == b'!' || b == b'$')
        .map(|i| i + 1)
}

fn merge_tags<'a>(into: &mut TagBlock<'a>, t: TagBlock<'a>) {
    into.station = into.station.or(t.station);
    into.time = into.time.or(t.time);
    into.group = into.group.or(t.group);
}

/// Parses a tag block body `k:v,k:v*hh`. Returns the tags and whether the
/// checksum verified (`false` for the dummy `*00`), or `None` if it is
/// malformed or its checksum is wrong.
fn parse_tag_block(body: &[u8]) -> Option<(TagBlock<'_>, bool)> {
    let star = body.iter().rposition(|&b| b == b'*')?;
    let fields = &body[..star];
    let sum = hex_byte(body.get(star + 1..)?)?;
    let verified = if xor(fields) == sum {
        true
    } else if sum == 0 {
        false
    } else {
        return None;
    };
    let mut tags = TagBlock::default();
    for field in fields.split(|&b| b == b',') {
        if field.len() < 2 || field[1] != b':' {
            return None;
        }
        let v = &field[2..];
        match field[0] {
            b's' => tags.station = Some(v),
            b'c' => tags.time = Some(parse_u64(v).and_then(epoch_to_ms)?),
            b'g' => tags.group = parse_group(v),
            _ => {}
        }
    }
    Some((tags, verified))
}

/// `g:1-2-3985` → (1, 2, 3985). A malformed group is ignored (the sentence's
/// own fragment fields still allow reassembly).
fn parse_group(v: &[u8]) -> Option<(u8, u8, u32)> {
    let mut it = v.split(|&b| b == b'-');
    let part = parse_u64(it.next()?)?;
    let total = parse_u64(it.next()?)?;
    let id = parse_u64(it.next()?)?;
    if it.next().is_some() || part == 0 || total == 0 || part > total || total > 9 {
        return None;
    }
    Some((part as u8, total as u8, u32::try_from(id).ok()?))
}

fn parse_sentence<'a>(
    body: &'a [u8],
    trailing: &'a [u8],
    tags: TagBlock<'a>,
    tag_check: TagCheck,
) -> Item<'a> {
    let mut fields = body.split(|&b| b == b',');
    let addr = fields.next().unwrap_or_default();
    if addr == b"PGHP" {
        return parse_pghp(fields).map_or(Item::Rejected(Reject::BadField), Item::Pghp);
    }
    if addr.len() != 5 || !(addr.ends_with(b"VDM") || addr.ends_with(b"VDO")) {
        return Item::NonAis;
    }
    let talker = [addr[0], addr[1]];
    let own_ship = addr[4] == b'O';
    let mut next = || fields.next();
    let (Some(total), Some(number), Some(seq), Some(channel), Some(payload), fill) =
        (next(), next(), next(), next(), next(), next())
    else {
        return Item::Rejected(Reject::BadField);
    };
    let total = single_digit(total);
    let number = single_digit(number);
    let (Some(total @ 1..=9), Some(number @ 1..=9)) = (total, number) else {
        return Item::Rejected(Reject::BadField);
    };
    if number > total {
        return Item::Rejected(Reject::BadField);
    }
    let seq = match seq {
        [] => None,
        s => match single_digit(s) {
            Some(d) => Some(d),
            None => return Item::Rejected(Reject::BadField),
        },
    };
    let channel = match channel {
        [] => 0,
        [c] => *c,
        _ => return Item::Rejected(Reject::BadField),
    };
    // Fill bits: empty means 0; a missing field is tolerated the same way.
    let fill = match fill {
        None | Some([]) => 0,
        Some(f) => match single_digit(f) {
            Some(d @ 0..=5) => d,
            _ => return Item::Rejected(Reject::BadField),
        },
    };
    // Not `all`: without the early exit the check runs on whole vectors.
    if payload.is_empty() || !payload.iter().fold(true, |ok, &b| ok & is_armour(b)) {
        return Item::Rejected(Reject::BadPayload);
    }
    let (trailing_time, trailing_station) = parse_trailing(trailing);
    Item::Ais(Sentence {
        tags,
        tag_check,
        talker,
        own_ship,
        total,
        number,
        seq,
        channel,
        payload,
        fill,
        trailing_time,
        trailing_station,
    })
}

/// Receiver fields after the checksum: the first Unix epoch (10 or 13
/// digits, optionally with a fraction) is the receive time; `r<id>` names the
/// station (USCG/NAIS).
fn parse_trailing(t: &[u8]) -> (Option<Millis>, Option<&[u8]>) {
    let mut time = None;
    let mut station = None;
    for field in t.split(|&b| b == b',') {
        match field.first() {
            Some(b'r') if field.len() > 1 && station.is_none() => station = Some(&field[1..]),
            Some(b'0'..=b'9') if time.is_none() => {
                let int = field.split(|&b| b == b'.').next().unwrap_or_default();
                if int.len() == 10 || int.len() == 13 {
                    time = parse_u64(int).and_then(epoch_to_ms);
                }
            }
            _ => {}
        }
    }
    (time, station)
}

/// `$PGHP,1,yyyy,mm,dd,HH,MM,SS,mmm,…`: Gatehouse receive time header.
fn parse_pghp<'a>(mut fields: impl Iterator<Item = &'a [u8]>) -> Option<Millis> {
    if fields.next()? != b"1" {
        return None;
    }
    let mut n = || fields.next().and_then(parse_u64);
    let (y, mo, d, h, mi, s, ms) = (n()?, n()?, n()?, n()?, n()?, n()?, n()?);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo as u32, d as u32)?;
    let t = date.and_hms_milli_opt(h as u32, mi as u32, s as u32, ms as u32)?;
    Some(t.and_utc().timestamp_millis())
}

/// A valid six-bit armour character (`0`–`W`, `` ` ``–`w`).
#[inline]
pub fn is_armour(b: u8) -> bool {
    matches!(b, b'0'..=b'W' | b'`'..=b'w')
}

#[inline]
fn xor(b: &[u8]) -> u8 {
    b.iter().fold(0, |a, &c| a ^ c)
}

fn hex_byte(h: &[u8]) -> Option<u8> {
    let v = |c: u8| (c as char).to_digit(16);
    match h {
        [a, b, ..] => Some((v(*a)? * 16 + v(*b)?) as u8),
        _ => None,
    }
}

fn single_digit(s: &[u8]) -> Option<u8> {
    match s {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => None,
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |a, &c| {
        c.is_ascii_digit().then(|| a * 10 + u64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(line: &str) -> Vec<Item<'_>> {
        let mut v = Vec::new();
        split_line(line.as_bytes(), |i| v.push(i));
        v
    }

    fn ais(line: &str) -> Sentence<'_> {
        match items(line).into_iter().next() {
            Some(Item::Ais(s)) => s,
            other => panic!("not AIS: {other:?}"),
        }
    }

    #[test]
    fn plain_sentence() {
        let s = ais("!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37");
        assert_eq!(&s.talker, b"AI");
        assert_eq!(
            (s.total, s.number, s.seq, s.channel, s.fill),
            (1, 1, None, b'B', 0)
        );
        assert_eq!(s.tag_check, TagCheck::Absent);
    }

    #[test]
    fn checksum_is_mandatory() {
        assert_eq!(
            items("!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0"),
            vec![Item::Rejected(Reject::NoChecksum)]
        );
        assert_eq!(
            items("!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*38"),
            vec![Item::Rejected(Reject::BadChecksum)]
        );
        assert_eq!(
            items("!AIVDM,1,1,,B,17P>D600?w:9K`q"),
            vec![Item::Rejected(Reject::NoChecksum)]
        );
    }

    #[test]
    fn tag_block_with_group() {
        let s = ais(
            r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70",
        );
        assert_eq!(s.tag_check, TagCheck::Valid);
        assert_eq!(s.tags.station, Some(&b"rEV02"[..]));
        assert_eq!(s.tags.time, Some(1_334_337_317_000));
        assert_eq!(s.tags.group, Some((1, 2, 3985)));
    }

    #[test]
    fn dummy_and_bad_tag_checksums() {
        let s = ais(r"\c:1420030798*00\!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37");
        assert_eq!(
            (s.tag_check, s.tags.time),
            (TagCheck::Unverified, Some(1_420_030_798_000))
        );
        let s = ais(r"\c:1420030798*13\!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37");
        assert_eq!((s.tag_check, s.tags.time), (TagCheck::Invalid, None));
        // Unterminated: the tag block is ignored, the sentence still stands on its checksum.
        let s = ais(r"\c:1420030798*13!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37");
        assert_eq!((s.tag_check, s.tags.time), (TagCheck::Invalid, None));
        assert_eq!(
            items(r"\c:1420030798*13"),
            vec![Item::Rejected(Reject::BadTagBlock)]
        );
    }

    #[test]
    fn several_sentences_on_one_line() {
        let v = items(
            r"\c:1662052384,s:FM112*00\!AIVDM,2,1,1,A,502CuBh0000000000000000000000000000000000000040Ht00000000000,0*37\c:1662052384,s:FM112*00\!AIVDM,2,2,1,A,00000000000,2*25",
        );
        assert_eq!(v.len(), 2);
        assert!(matches!(&v[1], Item::Ais(s) if s.number == 2 && s.fill == 2));
    }

    #[test]
    fn trailing_receiver_fields() {
        let s = ais("!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001");
        assert_eq!(s.trailing_time, Some(1_325_394_060_000));
        assert_eq!(s.trailing_station, Some(&b"003669946"[..]));
        let s = ais("!AIVDM,1,1,,B,IFICEMae<`HfcEV4M8aEWM<2VH1j6?;6<t9>,0*51,1327992119173");
        assert_eq!(s.trailing_time, Some(1_327_992_119_173));
    }

    #[test]
    fn pghp_header() {
        assert_eq!(
            items("$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B"),
            vec![Item::Pghp(1_276_256_771_390)]
        );
    }

    #[test]
    fn odd_talkers_and_non_ais() {
        assert_eq!(
            &ais("!--VDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*3F").talker,
            b"--"
        );
        assert_eq!(
            items("$GPZDA,114702.51,27,01,2012,,*66"),
            vec![Item::NonAis]
        );
        assert_eq!(
            items("\u{1}\u{2}garbage"),
            vec![Item::Rejected(Reject::NotNmea)]
        );
    }
}
