//! AIS message bodies (ITU-R M.1371; field layout as in gpsd's AIVDM.adoc).
//!
//! Our own decoder, chosen over nmea-parser on measured correctness and
//! speed (see BENCHMARKS.md): the payload is de-armoured once into a byte
//! buffer and fields are read with word-sized shifts. The types that drive
//! tracking (1/2/3/4/5/9/11/18/19/21/24/27) get typed structs; the rest keep
//! their header and a table of fields for `decode` output.
//!
//! Raw field values are kept as transmitted (positions in 1/10 000 minute,
//! speeds in 1/10 knot …); accessors return scaled values in SI-ish units and
//! `None` for the "not available" sentinels.

mod parse;
mod types;

pub use parse::decode;
pub use types::{
    AidToNav, BaseStation, ClassA, ClassB, ClassBExtended, Dimensions, LongRange, SarAircraft,
    StaticDataB, StaticVoyage,
};

/// Six-bit de-armouring of a payload into `bits` (MSB first). Returns the bit count.
pub fn unarmour(payload: &[u8], fill: u8, bits: &mut Vec<u8>) -> usize {
    fn six(c: u8) -> u32 {
        let mut v = c.wrapping_sub(48);
        if v > 40 {
            v -= 8;
        }
        u32::from(v & 0x3f)
    }
    bits.clear();
    // Four characters are three whole bytes.
    let mut quads = payload.chunks_exact(4);
    for q in &mut quads {
        let w = six(q[0]) << 18 | six(q[1]) << 12 | six(q[2]) << 6 | six(q[3]);
        bits.extend_from_slice(&w.to_be_bytes()[1..]);
    }
    let mut acc: u32 = 0;
    let mut n = 0;
    for &c in quads.remainder() {
        acc = (acc << 6) | six(c);
        n += 6;
        if n >= 8 {
            n -= 8;
            bits.push((acc >> n) as u8);
        }
    }
    if n > 0 {
        bits.push((acc << (8 - n)) as u8);
    }
    (payload.len() * 6).saturating_sub(usize::from(fill))
}

/// Reads fields from a de-armoured payload. Bits past the end read as 0.
#[derive(Clone, Copy)]
pub struct Bits<'a> {
    data: &'a [u8],
    len: usize,
}

impl<'a> Bits<'a> {
    /// Wraps a buffer filled by [`unarmour`].
    pub fn new(data: &'a [u8], len: usize) -> Self {
        Bits { data, len }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Unsigned field of `n` ≤ 57 bits at bit offset `start`.
    #[inline]
    pub fn u(&self, start: usize, n: usize) -> u64 {
        debug_assert!(n <= 57);
        let first = start / 8;
        let word = match self.data.get(first..).and_then(<[u8]>::first_chunk::<8>) {
            Some(w) => u64::from_be_bytes(*w),
            // The last bytes of the buffer: read as if followed by zeros.
            None => {
                let mut w = [0u8; 8];
                let end = (first + 8).min(self.data.len());
                if first < end {
                    w[..end - first].copy_from_slice(&self.data[first..end]);
                }
                u64::from_be_bytes(w)
            }
        };
        let shift = 64 - (start % 8) - n;
        let v = (word >> shift) & ((1u64 << n) - 1);
        // Mask bits beyond the message length (the fill bits).
        if start + n > self.len {
            if start >= self.len {
                return 0;
            }
            let keep = self.len - start;
            return v >> (n - keep) << (n - keep);
        }
        v
    }

    /// Signed (two's complement) field.
    #[inline]
    pub fn i(&self, start: usize, n: usize) -> i64 {
        let v = self.u(start, n);
        ((v << (64 - n)) as i64) >> (64 - n)
    }

    /// Boolean bit.
    #[inline]
    pub fn b(&self, start: usize) -> bool {
        self.u(start, 1) != 0
    }

    /// Six-bit text of up to `chars` characters: ends at the first `@`
    /// (the padding character) or the end of the message; trailing spaces
    /// removed (gpsd's convention).
    pub fn text(&self, start: usize, chars: usize) -> String {
        let mut s = self.raw_text(start, chars);
        s.truncate(s.trim_end_matches(' ').len());
        s
    }

    /// Like [`Bits::text`] but keeps trailing spaces.
    fn raw_text(&self, start: usize, chars: usize) -> String {
        let avail = self.len.saturating_sub(start) / 6;
        let mut s = String::with_capacity(chars.min(avail));
        for k in 0..chars.min(avail) {
            let v = self.u(start + 6 * k, 6) as u8;
            if v == 0 {
                break;
            }
            s.push(char::from(if v < 32 { v + 64 } else { v }));
        }
        s
    }

    /// Remaining bits from `start` as gpsd prints binary data: `"<bits>:<hex>"`.
    pub fn hex_from(&self, start: usize) -> String {
        let nbits = self.len.saturating_sub(start);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(8 + nbits.div_ceil(4));
        s.push_str(itoa::Buffer::new().format(nbits));
        s.push(':');
        for k in 0..nbits.div_ceil(8) {
            let take = (nbits - 8 * k).min(8);
            let v = self.u(start + 8 * k, take) << (8 - take);
            s.push(char::from(HEX[(v >> 4) as usize & 15]));
            s.push(char::from(HEX[v as usize & 15]));
        }
        s
    }
}

/// A decoded AIS message.
#[derive(Debug, Clone, PartialEq)]
pub struct AisMessage {
    /// Message type 1–27.
    pub msg_type: u8,
    /// Repeat indicator.
    pub repeat: u8,
    /// Source MMSI.
    pub mmsi: u32,
    /// Type-specific body.
    pub body: Body,
}

/// Type-specific message bodies.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Types 1, 2, 3: Class A position report.
    ClassA(ClassA),
    /// Types 4 and 11: base station report / UTC response.
    BaseStation(BaseStation),
    /// Type 5: static and voyage data.
    StaticVoyage(Box<StaticVoyage>),
    /// Type 9: SAR aircraft position.
    SarAircraft(SarAircraft),
    /// Type 18: Class B position report.
    ClassB(ClassB),
    /// Type 19: Class B extended position report (position + static).
    ClassBExtended(Box<ClassBExtended>),
    /// Type 21: aid to navigation.
    AidToNav(Box<AidToNav>),
    /// Type 24: Class B static data, part A or B.
    StaticDataB(Box<StaticDataB>),
    /// Type 27: long-range (satellite) position.
    LongRange(LongRange),
    /// Any other type: its fields by gpsd name.
    Other(Vec<(&'static str, Value)>),
}

/// A field value of an [`Body::Other`] message.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Unsigned integer.
    U(u64),
    /// Signed integer.
    I(i64),
    /// Flag.
    B(bool),
    /// Text (six-bit text or hex data).
    S(String),
    /// Scaled float with the number of decimals gpsd prints.
    F(f64, u8),
}

/// Longitude sentinel (181°) in 1/10 000 minute.
pub const LON_NA: i32 = 181 * 600_000;
/// Latitude sentinel (91°) in 1/10 000 minute.
pub const LAT_NA: i32 = 91 * 600_000;

/// Degrees from 1/10 000 minute, `None` for the sentinel or out of range.
pub fn lon_deg(raw: i32) -> Option<f64> {
    let d = f64::from(raw) / 600_000.0;
    (raw != LON_NA && (-180.0..=180.0).contains(&d)).then_some(d)
}

/// Degrees from 1/10 000 minute, `None` for the sentinel or out of range.
pub fn lat_deg(raw: i32) -> Option<f64> {
    let d = f64::from(raw) / 600_000.0;
    (raw != LAT_NA && (-90.0..=90.0).contains(&d)).then_some(d)
}

/// Knots from 1/10 knot; `None` for 1023 (n/a). 1022 means "102.2 kn or more".
pub fn speed_kn(raw: u16) -> Option<f64> {
    (raw != 1023).then(|| f64::from(raw) / 10.0)
}

/// Degrees from 1/10 degree; `None` for 3600 (n/a) and invalid values.
pub fn course_deg(raw: u16) -> Option<f64> {
    (raw < 3600).then(|| f64::from(raw) / 10.0)
}

/// Heading in degrees; `None` for 511 (n/a) and invalid values.
pub fn heading_deg(raw: u16) -> Option<u16> {
    (raw < 360).then_some(raw)
}

impl AisMessage {
    /// Position in degrees (lon, lat), if the message has a valid one.
    pub fn position(&self) -> Option<(f64, f64)> {
        let (lon, lat) = match &self.body {
            Body::ClassA(p) => (p.lon, p.lat),
            Body::ClassB(p) => (p.lon, p.lat),
            Body::ClassBExtended(p) => (p.lon, p.lat),
            Body::SarAircraft(p) => (p.lon, p.lat),
            Body::BaseStation(p) => (p.lon, p.lat),
            Body::AidToNav(p) => (p.lon, p.lat),
            Body::LongRange(p) => {
                // 1/10 minute; sentinels 181° and 91°.
                let (lon, lat) = (f64::from(p.lon) / 600.0, f64::from(p.lat) / 600.0);
                let ok = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
                return ok.then_some((lon, lat));
            }
            _ => return None,
        };
        Some((lon_deg(lon)?, lat_deg(lat)?))
    }

    /// Raw speed, course and heading of a Class A or Class B position
    /// report (types 1–3, 18, 19), which carry them alike.
    fn class_ab_motion(&self) -> Option<(u16, u16, u16)> {
        match &self.body {
            Body::ClassA(p) => Some((p.speed, p.course, p.heading)),
            Body::ClassB(p) => Some((p.speed, p.course, p.heading)),
            Body::ClassBExtended(p) => Some((p.speed, p.course, p.heading)),
            _ => None,
        }
    }

    /// Speed over ground in knots, if reported.
    pub fn speed_kn(&self) -> Option<f64> {
        match &self.body {
            Body::LongRange(p) => (p.speed != 63).then_some(f64::from(p.speed)),
            _ => speed_kn(self.class_ab_motion()?.0),
        }
    }

    /// Course over ground in degrees, if reported.
    pub fn course_deg(&self) -> Option<f64> {
        match &self.body {
            Body::LongRange(p) => (p.course < 360).then_some(f64::from(p.course)),
            _ => course_deg(self.class_ab_motion()?.1),
        }
    }

    /// True heading in degrees, if reported.
    pub fn heading_deg(&self) -> Option<u16> {
        heading_deg(self.class_ab_motion()?.2)
    }

    /// Navigational status, if reported (15 = not defined → `None`).
    pub fn nav_status(&self) -> Option<u8> {
        match &self.body {
            Body::ClassA(p) if p.status != 15 => Some(p.status),
            Body::LongRange(p) if p.status != 15 => Some(p.status),
            _ => None,
        }
    }

    /// Whether this is a vessel's own position report (not a base station,
    /// aid to navigation or aircraft).
    pub fn is_vessel_position(&self) -> bool {
        matches!(self.msg_type, 1 | 2 | 3 | 18 | 19 | 27)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(payload: &str, fill: u8) -> AisMessage {
        let mut bits = Vec::new();
        let n = unarmour(payload.as_bytes(), fill, &mut bits);
        decode(&bits, n).expect("decodes")
    }

    // Expected values from gpsd's test/sample.aivdm annotations.
    #[test]
    fn type1() {
        let m = msg("15RTgt0PAso;90TKcjM8h6g208CQ", 0);
        assert_eq!((m.msg_type, m.mmsi), (1, 371_798_000));
        let Body::ClassA(p) = &m.body else { panic!() };
        assert_eq!(p.speed, 123);
        assert_eq!(p.turn, -127);
        let (lon, lat) = m.position().unwrap();
        assert!((lon - -123.395_383_3).abs() < 1e-6 && (lat - 48.381_633_3).abs() < 1e-6);
        assert_eq!((p.course, p.heading, p.second), (2240, 215, 33));
    }

    #[test]
    fn type5() {
        let m = msg(
            "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880",
            2,
        );
        let Body::StaticVoyage(s) = &m.body else {
            panic!()
        };
        assert_eq!(m.mmsi, 351_759_000);
        assert_eq!(s.imo, 9_134_270);
        assert_eq!(s.callsign, "3FOF8");
        assert_eq!(s.shipname, "EVER DIADEM");
        assert_eq!(s.shiptype, 70);
        assert_eq!(s.destination, "NEW YORK");
        assert_eq!(s.draught, 122);
    }

    #[test]
    fn sentinels_are_not_positions() {
        let m = msg("H42O55i18tMET00000000000000", 2);
        assert_eq!(m.msg_type, 24);
        assert_eq!(m.position(), None);
        assert_eq!(lon_deg(LON_NA), None);
        assert_eq!(lat_deg(LAT_NA), None);
        assert_eq!(speed_kn(1023), None);
        assert_eq!(course_deg(3600), None);
        assert_eq!(heading_deg(511), None);
    }

    #[test]
    fn short_or_unknown_messages_are_rejected() {
        let mut bits = Vec::new();
        let n = unarmour(b"15RTgt0PAso;90TKcjM8", 0, &mut bits);
        assert!(decode(&bits, n).is_none());
        let n = unarmour(b"w5RTgt0PAso;90TKcjM8h6g208CQ", 0, &mut bits);
        assert!(decode(&bits, n).is_none());
    }
}
