//! AIS encoders: message fields → six-bit armoured payloads → NMEA
//! sentences with checksums and NMEA 4.10 tag blocks.
//!
//! The bit layouts mirror [`aiswatch_decode::ais::decode`] (gpsd's
//! AIVDM.adoc). Values are given in natural units (knots, degrees) and
//! rounded to the field resolution (0.1 kn, 1/10 000 minute, 0.1°).

/// An armoured payload and its fill bits, ready to be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Six-bit armour characters.
    pub armoured: String,
    /// Fill bits added to reach a multiple of six bits (0–5).
    pub fill: u8,
}

/// Builds a message MSB first.
#[derive(Debug, Default)]
struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    fn u(&mut self, v: u64, n: usize) -> &mut Self {
        for k in (0..n).rev() {
            self.bits.push((v >> k) & 1 == 1);
        }
        self
    }

    fn i(&mut self, v: i64, n: usize) -> &mut Self {
        self.u((v as u64) & ((1u64 << n) - 1), n)
    }

    fn b(&mut self, v: bool) -> &mut Self {
        self.u(u64::from(v), 1)
    }

    /// Six-bit text, padded with `@` to `chars` characters. Lowercase is
    /// upper-cased; characters outside the AIS alphabet become `?`.
    fn text(&mut self, s: &str, chars: usize) -> &mut Self {
        let mut it = s.chars().map(|c| c.to_ascii_uppercase());
        for _ in 0..chars {
            let v = match it.next() {
                Some(c @ '@'..='_') => c as u64 - 64,
                Some(c @ ' '..='?') => c as u64,
                Some(_) => u64::from(b'?'),
                None => 0,
            };
            self.u(v, 6);
        }
        self
    }

    fn armour(&self) -> Payload {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut s = String::with_capacity(self.bits.len().div_ceil(6));
        for chunk in self.bits.chunks(6) {
            let mut v = 0u8;
            for k in 0..6 {
                v = (v << 1) | u8::from(chunk.get(k).copied().unwrap_or(false));
            }
            s.push(char::from(if v < 40 { v + 48 } else { v + 56 }));
        }
        Payload {
            armoured: s,
            fill: fill as u8,
        }
    }
}

fn lon_raw(lon: f64) -> i64 {
    (lon * 600_000.0).round() as i64
}

fn lat_raw(lat: f64) -> i64 {
    (lat * 600_000.0).round() as i64
}

fn speed_raw(kn: f64) -> u64 {
    ((kn * 10.0).round().max(0.0) as u64).min(1022)
}

fn course_raw(deg: f64) -> u64 {
    ((deg.rem_euclid(360.0) * 10.0).round() as u64) % 3600
}

/// A Class A position report (type 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionA {
    /// Source MMSI.
    pub mmsi: u32,
    /// Navigational status (0 under way, 1 at anchor, …).
    pub status: u8,
    /// Speed over ground, knots.
    pub sog_kn: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Course over ground, degrees.
    pub cog: f64,
    /// True heading, degrees (511 = not available).
    pub heading: u16,
    /// UTC second of the report.
    pub second: u8,
    /// Radio status (SOTDMA communication state), 19 bits.
    pub radio: u32,
}

/// Encodes a type 1 message (168 bits, 28 characters, fill 0).
pub fn type1(p: &PositionA) -> Payload {
    let mut w = BitWriter::default();
    w.u(1, 6)
        .u(0, 2)
        .u(u64::from(p.mmsi), 30)
        .u(u64::from(p.status), 4)
        .i(-128, 8)
        .u(speed_raw(p.sog_kn), 10)
        .b(true)
        .i(lon_raw(p.lon), 28)
        .i(lat_raw(p.lat), 27)
        .u(course_raw(p.cog), 12)
        .u(u64::from(p.heading), 9)
        .u(u64::from(p.second), 6)
        .u(0, 2)
        .u(0, 3)
        .b(false)
        .u(u64::from(p.radio) & 0x7_FFFF, 19);
    w.armour()
}

/// A Class B position report (type 18).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionB {
    /// Source MMSI.
    pub mmsi: u32,
    /// Speed over ground, knots.
    pub sog_kn: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Course over ground, degrees.
    pub cog: f64,
    /// True heading, degrees (511 = not available).
    pub heading: u16,
    /// UTC second of the report.
    pub second: u8,
    /// Radio status, 20 bits.
    pub radio: u32,
}

/// Encodes a type 18 message (168 bits; CS unit, message 22 capable).
pub fn type18(p: &PositionB) -> Payload {
    let mut w = BitWriter::default();
    w.u(18, 6)
        .u(0, 2)
        .u(u64::from(p.mmsi), 30)
        .u(0, 8)
        .u(speed_raw(p.sog_kn), 10)
        .b(false)
        .i(lon_raw(p.lon), 28)
        .i(lat_raw(p.lat), 27)
        .u(course_raw(p.cog), 12)
        .u(u64::from(p.heading), 9)
        .u(u64::from(p.second), 6)
        .u(0, 2)
        .b(true) // cs
        .b(false) // display
        .b(true) // dsc
        .b(true) // band
        .b(true) // msg22
        .b(false) // assigned
        .b(false) // raim
        .u(u64::from(p.radio) & 0xF_FFFF, 20);
    w.armour()
}

/// Hull dimensions from the AIS reference point, metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dims {
    /// To bow (9 bits).
    pub to_bow: u16,
    /// To stern (9 bits).
    pub to_stern: u16,
    /// To port (6 bits).
    pub to_port: u8,
    /// To starboard (6 bits).
    pub to_starboard: u8,
}

impl Dims {
    fn write(&self, w: &mut BitWriter) {
        w.u(u64::from(self.to_bow.min(511)), 9)
            .u(u64::from(self.to_stern.min(511)), 9)
            .u(u64::from(self.to_port.min(63)), 6)
            .u(u64::from(self.to_starboard.min(63)), 6);
    }
}

/// Static and voyage data of a Class A vessel (type 5).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticA {
    /// Source MMSI.
    pub mmsi: u32,
    /// IMO number.
    pub imo: u32,
    /// Call sign (≤ 7 characters).
    pub callsign: String,
    /// Vessel name (≤ 20 characters).
    pub name: String,
    /// Ship and cargo type.
    pub ship_type: u8,
    /// Dimensions.
    pub dims: Dims,
    /// Draught, metres (0.1 m resolution).
    pub draught_m: f64,
    /// Destination (≤ 20 characters).
    pub destination: String,
    /// ETA (month, day, hour, minute); (0, 0, 24, 60) = not available.
    pub eta: (u8, u8, u8, u8),
}

/// Encodes a type 5 message: 424 bits, 71 characters, fill 2 (two sentences).
pub fn type5(s: &StaticA) -> Payload {
    let mut w = BitWriter::default();
    w.u(5, 6)
        .u(0, 2)
        .u(u64::from(s.mmsi), 30)
        .u(0, 2)
        .u(u64::from(s.imo), 30)
        .text(&s.callsign, 7)
        .text(&s.name, 20)
        .u(u64::from(s.ship_type), 8);
    s.dims.write(&mut w);
    w.u(1, 4) // EPFD: GPS
        .u(u64::from(s.eta.0), 4)
        .u(u64::from(s.eta.1), 5)
        .u(u64::from(s.eta.2), 5)
        .u(u64::from(s.eta.3), 6)
        .u(((s.draught_m * 10.0).round().max(0.0) as u64).min(255), 8)
        .text(&s.destination, 20)
        .b(false)
        .u(0, 1);
    w.armour()
}

/// Static data of a Class B vessel (type 24, parts A and B).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticB {
    /// Source MMSI.
    pub mmsi: u32,
    /// Vessel name (part A, ≤ 20 characters).
    pub name: String,
    /// Ship and cargo type (part B).
    pub ship_type: u8,
    /// Vendor id (part B, ≤ 3 characters).
    pub vendor: String,
    /// Unit model code (4 bits).
    pub model: u8,
    /// Unit serial number (20 bits).
    pub serial: u32,
    /// Call sign (part B, ≤ 7 characters).
    pub callsign: String,
    /// Dimensions (part B).
    pub dims: Dims,
}

/// Encodes type 24 part A (name): 168 bits.
pub fn type24a(s: &StaticB) -> Payload {
    let mut w = BitWriter::default();
    w.u(24, 6)
        .u(0, 2)
        .u(u64::from(s.mmsi), 30)
        .u(0, 2)
        .text(&s.name, 20)
        .u(0, 8);
    w.armour()
}

/// Encodes type 24 part B (type, vendor, call sign, dimensions): 168 bits.
pub fn type24b(s: &StaticB) -> Payload {
    let mut w = BitWriter::default();
    w.u(24, 6)
        .u(0, 2)
        .u(u64::from(s.mmsi), 30)
        .u(1, 2)
        .u(u64::from(s.ship_type), 8)
        .text(&s.vendor, 3)
        .u(u64::from(s.model & 0xF), 4)
        .u(u64::from(s.serial & 0xF_FFFF), 20)
        .text(&s.callsign, 7);
    s.dims.write(&mut w);
    w.u(0, 6);
    w.armour()
}

/// NMEA checksum: XOR of every byte of `body` (the text between `!`/`\`
/// and `*`).
pub fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |a, b| a ^ b)
}

/// A tag block `\s:<station>,c:<unix seconds>*hh\`.
pub fn tag_block(station: &str, unix_s: i64) -> String {
    let body = format!("s:{station},c:{unix_s}");
    format!("\\{body}*{:02X}\\", checksum(&body))
}

/// Most payload characters per sentence (keeps a sentence within 82 bytes).
pub const MAX_CHARS_PER_SENTENCE: usize = 60;

/// Frames a payload as `!AIVDM` sentences (one, or several with sequence id
/// `seq` 0–9), each with its checksum, on radio `channel` (`'A'`/`'B'`).
/// Only the last fragment carries the fill bits.
pub fn sentences(p: &Payload, seq: u8, channel: char) -> Vec<String> {
    let chunks: Vec<&str> = p
        .armoured
        .as_bytes()
        .chunks(MAX_CHARS_PER_SENTENCE)
        // Armour is ASCII, so every chunk is valid UTF-8.
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let total = chunks.len().max(1);
    let seq_field = if total > 1 {
        (seq % 10).to_string()
    } else {
        String::new()
    };
    chunks
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let fill = if k + 1 == total { p.fill } else { 0 };
            let body = format!("AIVDM,{total},{},{seq_field},{channel},{c},{fill}", k + 1);
            format!("!{body}*{:02X}", checksum(&body))
        })
        .collect()
}

/// Tag-blocked lines for one received message: every fragment gets its own
/// `\s:…,c:…*hh\` tag block.
pub fn tagged_lines(
    p: &Payload,
    seq: u8,
    channel: char,
    station: &str,
    unix_s: i64,
) -> Vec<String> {
    let tag = tag_block(station, unix_s);
    sentences(p, seq, channel)
        .into_iter()
        .map(|s| format!("{tag}{s}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_decode::ais::Body;
    use aiswatch_decode::{Decoded, Decoder};

    fn decode_lines(lines: &[String]) -> (Vec<Decoded>, u64) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for l in lines {
            d.feed(l.as_bytes(), 0, &mut out);
        }
        (out, d.stats().rejects_total())
    }

    #[test]
    fn checksum_matches_known_sentence() {
        // From the decoder's own tests.
        assert_eq!(
            checksum("AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0"),
            0x37
        );
        assert_eq!(
            tag_block("rEV02", 1_334_337_317),
            r"\s:rEV02,c:1334337317*58\"
        );
    }

    #[test]
    fn type1_round_trip() {
        let p = PositionA {
            mmsi: 657_123_456,
            status: 1,
            sog_kn: 12.34,
            lon: 3.123_456,
            lat: -4.5,
            cog: 359.96,
            heading: 271,
            second: 42,
            radio: 0x1234,
        };
        let pl = type1(&p);
        assert_eq!((pl.armoured.len(), pl.fill), (28, 0));
        let lines = tagged_lines(&pl, 0, 'A', "sim-st1", 1_767_225_600);
        assert_eq!(lines.len(), 1);
        let (out, rejects) = decode_lines(&lines);
        assert_eq!((out.len(), rejects), (1, 0));
        let d = &out[0];
        assert_eq!(d.time, 1_767_225_600_000);
        assert_eq!(d.station.as_deref(), Some("sim-st1"));
        assert_eq!(d.channel, b'A');
        let m = &d.message;
        assert_eq!((m.msg_type, m.mmsi), (1, 657_123_456));
        let (lon, lat) = m.position().unwrap();
        assert!((lon - 3.123_456).abs() < 2e-6 && (lat + 4.5).abs() < 2e-6);
        assert_eq!(m.speed_kn(), Some(12.3));
        assert_eq!(m.course_deg(), Some(0.0));
        assert_eq!(m.heading_deg(), Some(271));
        assert_eq!(m.nav_status(), Some(1));
        let Body::ClassA(a) = &m.body else { panic!() };
        assert_eq!((a.second, a.radio, a.turn), (42, 0x1234, -128));
    }

    #[test]
    fn type18_round_trip() {
        let p = PositionB {
            mmsi: 636_000_001,
            sog_kn: 0.4,
            lon: -0.5,
            lat: 4.25,
            cog: 123.4,
            heading: 511,
            second: 7,
            radio: 0x9_8765,
        };
        let (out, rejects) = decode_lines(&tagged_lines(&type18(&p), 0, 'B', "x", 1_767_225_601));
        assert_eq!((out.len(), rejects), (1, 0));
        let m = &out[0].message;
        assert_eq!((m.msg_type, m.mmsi), (18, 636_000_001));
        let (lon, lat) = m.position().unwrap();
        assert!((lon + 0.5).abs() < 2e-6 && (lat - 4.25).abs() < 2e-6);
        assert_eq!(m.speed_kn(), Some(0.4));
        assert_eq!(m.course_deg(), Some(123.4));
        assert_eq!(m.heading_deg(), None);
        let Body::ClassB(b) = &m.body else { panic!() };
        assert!(b.cs && b.msg22);
        assert_eq!((b.second, b.radio), (7, 0x9_8765));
    }

    #[test]
    fn type5_two_sentences_round_trip() {
        let s = StaticA {
            mmsi: 538_001_234,
            imo: 9_412_345,
            callsign: "V7AB3".into(),
            name: "Atlantic Pride".into(),
            ship_type: 80,
            dims: Dims {
                to_bow: 150,
                to_stern: 30,
                to_port: 12,
                to_starboard: 14,
            },
            draught_m: 11.2,
            destination: "LAGOS".into(),
            eta: (1, 2, 3, 4),
        };
        let pl = type5(&s);
        assert_eq!((pl.armoured.len(), pl.fill), (71, 2));
        let lines = tagged_lines(&pl, 7, 'A', "sim-st2", 1_767_225_602);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("!AIVDM,2,1,7,A,"), "{}", lines[0]);
        assert!(lines[0].contains(",0*"));
        assert!(lines[1].contains("!AIVDM,2,2,7,A,"));
        assert!(lines[1].contains(",2*"));
        let (out, rejects) = decode_lines(&lines);
        assert_eq!((out.len(), rejects), (1, 0));
        let m = &out[0].message;
        assert_eq!((m.msg_type, m.mmsi), (5, 538_001_234));
        let Body::StaticVoyage(v) = &m.body else {
            panic!()
        };
        assert_eq!(v.imo, 9_412_345);
        assert_eq!(v.callsign, "V7AB3");
        assert_eq!(v.shipname, "ATLANTIC PRIDE");
        assert_eq!(v.shiptype, 80);
        assert_eq!(v.dims.length_m(), Some(180));
        assert_eq!((v.dims.to_port, v.dims.to_starboard), (12, 14));
        assert_eq!(v.draught, 112);
        assert_eq!(v.destination, "LAGOS");
        assert_eq!((v.month, v.day, v.hour, v.minute), (1, 2, 3, 4));
    }

    #[test]
    fn type24_parts_round_trip() {
        let s = StaticB {
            mmsi: 657_000_777,
            name: "NIGER STAR".into(),
            ship_type: 37,
            vendor: "SIM".into(),
            model: 1,
            serial: 4242,
            callsign: "5NXY".into(),
            dims: Dims {
                to_bow: 8,
                to_stern: 4,
                to_port: 2,
                to_starboard: 2,
            },
        };
        let mut lines = tagged_lines(&type24a(&s), 0, 'A', "s", 1_767_225_603);
        lines.extend(tagged_lines(&type24b(&s), 0, 'B', "s", 1_767_225_604));
        assert_eq!(lines.len(), 2);
        let (out, rejects) = decode_lines(&lines);
        assert_eq!((out.len(), rejects), (2, 0));
        let Body::StaticDataB(a) = &out[0].message.body else {
            panic!()
        };
        assert_eq!(a.partno, 0);
        assert_eq!(a.shipname.as_deref(), Some("NIGER STAR"));
        let Body::StaticDataB(b) = &out[1].message.body else {
            panic!()
        };
        assert_eq!(b.partno, 1);
        assert_eq!(b.shiptype, Some(37));
        assert_eq!(b.callsign.as_deref(), Some("5NXY"));
        assert_eq!(b.model, Some(1));
        assert_eq!(b.serial, Some(4242));
        assert_eq!(b.dims.and_then(|d| d.length_m()), Some(12));
    }
}
