//! Position reports built from already-decoded values (archives, the
//! store): the fields such sources do not carry are "not available".

use super::ais::{ClassA, ClassB};

impl ClassA {
    /// A Class A report with these values, everything else not available.
    /// Units as in the message: 1/10 kn, 1/10 000 min, 1/10 degree, degrees.
    pub fn report(status: u8, speed: u16, lon: i32, lat: i32, course: u16, heading: u16) -> Self {
        ClassA {
            status,
            turn: -128,
            speed,
            accuracy: false,
            lon,
            lat,
            course,
            heading,
            second: 60,
            maneuver: 0,
            raim: false,
            radio: 0,
        }
    }
}

impl ClassB {
    /// A Class B report with these values, everything else not available
    /// (units as for [`ClassA::report`]).
    pub fn report(speed: u16, lon: i32, lat: i32, course: u16, heading: u16) -> Self {
        ClassB {
            reserved: 0,
            speed,
            accuracy: false,
            lon,
            lat,
            course,
            heading,
            second: 60,
            regional: 0,
            cs: false,
            display: false,
            dsc: false,
            band: false,
            msg22: false,
            assigned: false,
            raim: false,
            radio: 0,
        }
    }
}
