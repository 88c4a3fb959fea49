//! Field decoding: the layout of each message type (gpsd's AIVDM.adoc).

use super::{
    AidToNav, BaseStation, ClassA, ClassB, ClassBExtended, Dimensions, LongRange, SarAircraft,
    StaticDataB, StaticVoyage,
};
use super::{AisMessage, Bits, Body, Value};

impl Dimensions {
    fn read(b: &Bits<'_>, at: usize) -> Self {
        Dimensions {
            to_bow: b.u(at, 9) as u16,
            to_stern: b.u(at + 9, 9) as u16,
            to_port: b.u(at + 18, 6) as u8,
            to_starboard: b.u(at + 24, 6) as u8,
        }
    }
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
