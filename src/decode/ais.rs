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

/// Six-bit de-armouring of a payload into `bits` (MSB first). Returns the bit count.
pub fn unarmour(payload: &[u8], fill: u8, bits: &mut Vec<u8>) -> usize {
    bits.clear();
    let mut acc: u32 = 0;
    let mut n = 0;
    for &c in payload {
        let mut v = c.wrapping_sub(48);
        if v > 40 {
            v -= 8;
        }
        acc = (acc << 6) | u32::from(v & 0x3f);
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
        let mut w = [0u8; 8];
        let end = (first + 8).min(self.data.len());
        if first < end {
            w[..end - first].copy_from_slice(&self.data[first..end]);
        }
        let word = u64::from_be_bytes(w);
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
        let mut s = format!("{nbits}:");
        for k in 0..nbits.div_ceil(8) {
            let take = (nbits - 8 * k).min(8);
            let v = self.u(start + 8 * k, take) << (8 - take);
            s.push_str(&format!("{v:02x}"));
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

/// Class A position report (types 1, 2, 3).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassA {
    /// Navigational status (0–15; 15 = not defined).
    pub status: u8,
    /// Rate of turn, raw (−128 = n/a).
    pub turn: i8,
    /// Speed over ground, 1/10 kn (1023 = n/a).
    pub speed: u16,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Course over ground, 1/10 degree (3600 = n/a).
    pub course: u16,
    /// True heading, degrees (511 = n/a).
    pub heading: u16,
    /// UTC second of the report (60+ = n/a).
    pub second: u8,
    /// Manoeuvre indicator.
    pub maneuver: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status.
    pub radio: u32,
}

/// Base station report (type 4) or UTC/date response (type 11).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseStation {
    /// Year (0 = n/a).
    pub year: u16,
    /// Month (0 = n/a).
    pub month: u8,
    /// Day (0 = n/a).
    pub day: u8,
    /// Hour (24 = n/a).
    pub hour: u8,
    /// Minute (60 = n/a).
    pub minute: u8,
    /// Second (60 = n/a).
    pub second: u8,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Type of position fixing device.
    pub epfd: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status.
    pub radio: u32,
}

/// Vessel dimensions from the reference point, metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    /// To bow.
    pub to_bow: u16,
    /// To stern.
    pub to_stern: u16,
    /// To port.
    pub to_port: u8,
    /// To starboard.
    pub to_starboard: u8,
}

impl Dimensions {
    fn read(b: &Bits<'_>, at: usize) -> Self {
        Dimensions {
            to_bow: b.u(at, 9) as u16,
            to_stern: b.u(at + 9, 9) as u16,
            to_port: b.u(at + 18, 6) as u8,
            to_starboard: b.u(at + 24, 6) as u8,
        }
    }

    /// Overall length in metres, if known.
    pub fn length_m(&self) -> Option<u16> {
        let l = self.to_bow + self.to_stern;
        (l > 0).then_some(l)
    }
}

/// Static and voyage data (type 5).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticVoyage {
    /// AIS version.
    pub ais_version: u8,
    /// IMO number (0 = n/a).
    pub imo: u32,
    /// Call sign.
    pub callsign: String,
    /// Vessel name.
    pub shipname: String,
    /// Ship and cargo type.
    pub shiptype: u8,
    /// Dimensions.
    pub dims: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// ETA month (0 = n/a).
    pub month: u8,
    /// ETA day (0 = n/a).
    pub day: u8,
    /// ETA hour (24 = n/a).
    pub hour: u8,
    /// ETA minute (60 = n/a).
    pub minute: u8,
    /// Draught, 1/10 m.
    pub draught: u8,
    /// Destination.
    pub destination: String,
    /// Data terminal equipment flag.
    pub dte: bool,
}

/// SAR aircraft position report (type 9).
#[derive(Debug, Clone, PartialEq)]
pub struct SarAircraft {
    /// Altitude, metres (4095 = n/a).
    pub alt: u16,
    /// Speed over ground, knots (1023 = n/a).
    pub speed: u16,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Course, 1/10 degree.
    pub course: u16,
    /// UTC second.
    pub second: u8,
    /// Regional reserved.
    pub regional: u8,
    /// DTE flag.
    pub dte: bool,
    /// Assigned mode flag.
    pub assigned: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status.
    pub radio: u32,
}

/// Class B position report (type 18).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassB {
    /// Regional reserved.
    pub reserved: u8,
    /// Speed over ground, 1/10 kn.
    pub speed: u16,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Course, 1/10 degree.
    pub course: u16,
    /// True heading.
    pub heading: u16,
    /// UTC second.
    pub second: u8,
    /// Regional reserved.
    pub regional: u8,
    /// Carrier-sense unit flag.
    pub cs: bool,
    /// Display flag.
    pub display: bool,
    /// DSC flag.
    pub dsc: bool,
    /// Band flag.
    pub band: bool,
    /// Message 22 flag.
    pub msg22: bool,
    /// Assigned mode flag.
    pub assigned: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status.
    pub radio: u32,
}

/// Class B extended position report (type 19).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassBExtended {
    /// Regional reserved.
    pub reserved: u8,
    /// Speed over ground, 1/10 kn.
    pub speed: u16,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Course, 1/10 degree.
    pub course: u16,
    /// True heading.
    pub heading: u16,
    /// UTC second.
    pub second: u8,
    /// Regional reserved.
    pub regional: u8,
    /// Vessel name.
    pub shipname: String,
    /// Ship and cargo type.
    pub shiptype: u8,
    /// Dimensions.
    pub dims: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// RAIM flag.
    pub raim: bool,
    /// DTE flag.
    pub dte: bool,
    /// Assigned mode flag.
    pub assigned: bool,
}

/// Aid-to-navigation report (type 21).
#[derive(Debug, Clone, PartialEq)]
pub struct AidToNav {
    /// Aid type.
    pub aid_type: u8,
    /// Name, with the name extension appended.
    pub name: String,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, 1/10 000 min.
    pub lon: i32,
    /// Latitude, 1/10 000 min.
    pub lat: i32,
    /// Dimensions.
    pub dims: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// UTC second.
    pub second: u8,
    /// Off-position indicator.
    pub off_position: bool,
    /// Regional reserved.
    pub regional: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Virtual aid flag.
    pub virtual_aid: bool,
    /// Assigned mode flag.
    pub assigned: bool,
}

/// Class B static data (type 24), part A (name) or B (type, call sign, dimensions).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticDataB {
    /// 0 = part A, 1 = part B.
    pub partno: u8,
    /// Part A: vessel name.
    pub shipname: Option<String>,
    /// Part B: ship and cargo type.
    pub shiptype: Option<u8>,
    /// Part B: vendor id.
    pub vendorid: Option<String>,
    /// Part B: unit model code.
    pub model: Option<u8>,
    /// Part B: serial number.
    pub serial: Option<u32>,
    /// Part B: call sign.
    pub callsign: Option<String>,
    /// Part B: dimensions (not for auxiliary craft).
    pub dims: Option<Dimensions>,
    /// Part B: mothership MMSI (auxiliary craft, MMSI 98xxxxxxx).
    pub mothership_mmsi: Option<u32>,
}

/// Long-range position report (type 27); positions in 1/10 minute.
#[derive(Debug, Clone, PartialEq)]
pub struct LongRange {
    /// Position accuracy flag.
    pub accuracy: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Navigational status.
    pub status: u8,
    /// Longitude, 1/10 minute (108 600 = n/a).
    pub lon: i32,
    /// Latitude, 1/10 minute (54 600 = n/a).
    pub lat: i32,
    /// Speed, knots (63 = n/a).
    pub speed: u8,
    /// Course, degrees (511 = n/a).
    pub course: u16,
    /// GNSS position status.
    pub gnss: bool,
}

/// The minimum bit length accepted for each type (index = type). Shorter
/// messages are rejected as `bad_message`; slightly short ones that real
/// transponders send (e.g. type 5 of 420 bits) are accepted with the missing
/// trailing bits read as 0.
const MIN_BITS: [usize; 28] = [
    0, 163, 163, 163, 162, 420, 88, 72, 56, 162, 70, 162, 72, 72, 40, 88, 96, 80, 162, 312, 72,
    272, 160, 160, 160, 40, 60, 96,
];

/// Decodes a de-armoured message; `None` if its type is unknown or it is too short.
pub fn decode(data: &[u8], nbits: usize) -> Option<AisMessage> {
    let b = Bits::new(data, nbits);
    let msg_type = b.u(0, 6) as u8;
    if msg_type == 0 || msg_type > 27 || nbits < MIN_BITS[usize::from(msg_type)] {
        return None;
    }
    let repeat = b.u(6, 2) as u8;
    let mmsi = b.u(8, 30) as u32;
    let body = match msg_type {
        1..=3 => Body::ClassA(ClassA {
            status: b.u(38, 4) as u8,
            turn: b.i(42, 8) as i8,
            speed: b.u(50, 10) as u16,
            accuracy: b.b(60),
            lon: b.i(61, 28) as i32,
            lat: b.i(89, 27) as i32,
            course: b.u(116, 12) as u16,
            heading: b.u(128, 9) as u16,
            second: b.u(137, 6) as u8,
            maneuver: b.u(143, 2) as u8,
            raim: b.b(148),
            radio: b.u(149, 19) as u32,
        }),
        4 | 11 => Body::BaseStation(BaseStation {
            year: b.u(38, 14) as u16,
            month: b.u(52, 4) as u8,
            day: b.u(56, 5) as u8,
            hour: b.u(61, 5) as u8,
            minute: b.u(66, 6) as u8,
            second: b.u(72, 6) as u8,
            accuracy: b.b(78),
            lon: b.i(79, 28) as i32,
            lat: b.i(107, 27) as i32,
            epfd: b.u(134, 4) as u8,
            raim: b.b(148),
            radio: b.u(149, 19) as u32,
        }),
        5 => Body::StaticVoyage(Box::new(StaticVoyage {
            ais_version: b.u(38, 2) as u8,
            imo: b.u(40, 30) as u32,
            callsign: b.text(70, 7),
            shipname: b.text(112, 20),
            shiptype: b.u(232, 8) as u8,
            dims: Dimensions::read(&b, 240),
            epfd: b.u(270, 4) as u8,
            month: b.u(274, 4) as u8,
            day: b.u(278, 5) as u8,
            hour: b.u(283, 5) as u8,
            minute: b.u(288, 6) as u8,
            draught: b.u(294, 8) as u8,
            destination: b.text(302, 20),
            dte: b.b(422),
        })),
        9 => Body::SarAircraft(SarAircraft {
            alt: b.u(38, 12) as u16,
            speed: b.u(50, 10) as u16,
            accuracy: b.b(60),
            lon: b.i(61, 28) as i32,
            lat: b.i(89, 27) as i32,
            course: b.u(116, 12) as u16,
            second: b.u(128, 6) as u8,
            regional: b.u(134, 8) as u8,
            dte: b.b(142),
            assigned: b.b(146),
            raim: b.b(147),
            radio: b.u(148, 20) as u32,
        }),
        18 => Body::ClassB(ClassB {
            reserved: b.u(38, 8) as u8,
            speed: b.u(46, 10) as u16,
            accuracy: b.b(56),
            lon: b.i(57, 28) as i32,
            lat: b.i(85, 27) as i32,
            course: b.u(112, 12) as u16,
            heading: b.u(124, 9) as u16,
            second: b.u(133, 6) as u8,
            regional: b.u(139, 2) as u8,
            cs: b.b(141),
            display: b.b(142),
            dsc: b.b(143),
            band: b.b(144),
            msg22: b.b(145),
            assigned: b.b(146),
            raim: b.b(147),
            radio: b.u(148, 20) as u32,
        }),
        19 => Body::ClassBExtended(Box::new(ClassBExtended {
            reserved: b.u(38, 8) as u8,
            speed: b.u(46, 10) as u16,
            accuracy: b.b(56),
            lon: b.i(57, 28) as i32,
            lat: b.i(85, 27) as i32,
            course: b.u(112, 12) as u16,
            heading: b.u(124, 9) as u16,
            second: b.u(133, 6) as u8,
            regional: b.u(139, 4) as u8,
            shipname: b.text(143, 20),
            shiptype: b.u(263, 8) as u8,
            dims: Dimensions::read(&b, 271),
            epfd: b.u(301, 4) as u8,
            raim: b.b(305),
            dte: b.b(306),
            assigned: b.b(307),
        })),
        21 => {
            // The name extension only continues a full-length name.
            let mut name = b.raw_text(43, 20);
            if name.len() == 20 && nbits > 272 {
                name.push_str(&b.raw_text(272, (nbits - 272) / 6));
            }
            name.truncate(name.trim_end_matches(' ').len());
            Body::AidToNav(Box::new(AidToNav {
                aid_type: b.u(38, 5) as u8,
                name,
                accuracy: b.b(163),
                lon: b.i(164, 28) as i32,
                lat: b.i(192, 27) as i32,
                dims: Dimensions::read(&b, 219),
                epfd: b.u(249, 4) as u8,
                second: b.u(253, 6) as u8,
                off_position: b.b(259),
                regional: b.u(260, 8) as u8,
                raim: b.b(268),
                virtual_aid: b.b(269),
                assigned: b.b(270),
            }))
        }
        24 => {
            let partno = b.u(38, 2) as u8;
            let mut s = StaticDataB {
                partno,
                shipname: None,
                shiptype: None,
                vendorid: None,
                model: None,
                serial: None,
                callsign: None,
                dims: None,
                mothership_mmsi: None,
            };
            match partno {
                0 => s.shipname = Some(b.text(40, 20)),
                1 => {
                    s.shiptype = Some(b.u(40, 8) as u8);
                    s.vendorid = Some(b.text(48, 7));
                    s.model = Some(b.u(66, 4) as u8);
                    s.serial = Some(b.u(70, 20) as u32);
                    s.callsign = Some(b.text(90, 7));
                    if mmsi / 10_000_000 == 98 {
                        s.mothership_mmsi = Some(b.u(132, 30) as u32);
                    } else {
                        s.dims = Some(Dimensions::read(&b, 132));
                    }
                }
                _ => return None,
            }
            Body::StaticDataB(Box::new(s))
        }
        27 => Body::LongRange(LongRange {
            accuracy: b.b(38),
            raim: b.b(39),
            status: b.u(40, 4) as u8,
            lon: b.i(44, 18) as i32,
            lat: b.i(62, 17) as i32,
            speed: b.u(79, 6) as u8,
            course: b.u(85, 9) as u16,
            gnss: b.b(94),
        }),
        _ => Body::Other(other_fields(msg_type, &b)),
    };
    Some(AisMessage {
        msg_type,
        repeat,
        mmsi,
        body,
    })
}

/// Field tables for the types that tracking does not use.
fn other_fields(msg_type: u8, b: &Bits<'_>) -> Vec<(&'static str, Value)> {
    use Value::{B, S, U};
    let tenth_min = |raw: i64| Value::F(raw as f64 / 600.0, 4);
    match msg_type {
        6 => vec![
            ("seqno", U(b.u(38, 2))),
            ("dest_mmsi", U(b.u(40, 30))),
            ("retransmit", B(b.b(70))),
            ("dac", U(b.u(72, 10))),
            ("fid", U(b.u(82, 6))),
            ("data", S(b.hex_from(88))),
        ],
        7 | 13 => {
            let mut v = Vec::new();
            const NAMES: [&str; 4] = ["mmsi1", "mmsi2", "mmsi3", "mmsi4"];
            const SEQ: [&str; 4] = ["seq1", "seq2", "seq3", "seq4"];
            for k in 0..4 {
                let at = 40 + 32 * k;
                if at + 32 > b.len() {
                    break;
                }
                v.push((NAMES[k], U(b.u(at, 30))));
                v.push((SEQ[k], U(b.u(at + 30, 2))));
            }
            v
        }
        8 => vec![
            ("dac", U(b.u(40, 10))),
            ("fid", U(b.u(50, 6))),
            ("data", S(b.hex_from(56))),
        ],
        10 => vec![("dest_mmsi", U(b.u(40, 30)))],
        12 => vec![
            ("seqno", U(b.u(38, 2))),
            ("dest_mmsi", U(b.u(40, 30))),
            ("retransmit", B(b.b(70))),
            ("text", S(b.text(72, (b.len().saturating_sub(72)) / 6))),
        ],
        14 => vec![("text", S(b.text(40, (b.len().saturating_sub(40)) / 6)))],
        15 => vec![
            ("mmsi1", U(b.u(40, 30))),
            ("type1_1", U(b.u(70, 6))),
            ("offset1_1", U(b.u(76, 12))),
        ],
        16 => vec![
            ("mmsi1", U(b.u(40, 30))),
            ("offset1", U(b.u(70, 12))),
            ("increment1", U(b.u(82, 10))),
        ],
        17 => vec![
            ("lon", tenth_min(b.i(40, 18))),
            ("lat", tenth_min(b.i(58, 17))),
            ("data", S(b.hex_from(80))),
        ],
        20 => vec![
            ("offset1", U(b.u(40, 12))),
            ("number1", U(b.u(52, 4))),
            ("timeout1", U(b.u(56, 3))),
            ("increment1", U(b.u(59, 11))),
        ],
        22 => vec![
            ("channel_a", U(b.u(40, 12))),
            ("channel_b", U(b.u(52, 12))),
            ("txrx", U(b.u(64, 4))),
            ("power", B(b.b(68))),
            ("addressed", B(b.b(139))),
            ("band_a", B(b.b(140))),
            ("band_b", B(b.b(141))),
            ("zonesize", U(b.u(142, 3))),
        ],
        23 => vec![
            ("ne_lon", tenth_min(b.i(40, 18))),
            ("ne_lat", tenth_min(b.i(58, 17))),
            ("sw_lon", tenth_min(b.i(75, 18))),
            ("sw_lat", tenth_min(b.i(93, 17))),
            ("station_type", U(b.u(110, 4))),
            ("ship_type", U(b.u(114, 8))),
            ("txrx", U(b.u(144, 2))),
            ("interval", U(b.u(146, 4))),
            ("quiet", U(b.u(150, 4))),
        ],
        25 | 26 => vec![
            ("addressed", B(b.b(38))),
            ("structured", B(b.b(39))),
            ("data", S(b.hex_from(40))),
        ],
        _ => Vec::new(),
    }
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

    /// Speed over ground in knots, if reported.
    pub fn speed_kn(&self) -> Option<f64> {
        match &self.body {
            Body::ClassA(p) => speed_kn(p.speed),
            Body::ClassB(p) => speed_kn(p.speed),
            Body::ClassBExtended(p) => speed_kn(p.speed),
            Body::LongRange(p) => (p.speed != 63).then_some(f64::from(p.speed)),
            _ => None,
        }
    }

    /// Course over ground in degrees, if reported.
    pub fn course_deg(&self) -> Option<f64> {
        match &self.body {
            Body::ClassA(p) => course_deg(p.course),
            Body::ClassB(p) => course_deg(p.course),
            Body::ClassBExtended(p) => course_deg(p.course),
            Body::LongRange(p) => (p.course < 360).then_some(f64::from(p.course)),
            _ => None,
        }
    }

    /// True heading in degrees, if reported.
    pub fn heading_deg(&self) -> Option<u16> {
        match &self.body {
            Body::ClassA(p) => heading_deg(p.heading),
            Body::ClassB(p) => heading_deg(p.heading),
            Body::ClassBExtended(p) => heading_deg(p.heading),
            _ => None,
        }
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
