//! The typed bodies of the messages that drive tracking
//! (1/2/3/4/5/9/11/18/19/21/24/27), with raw field values as transmitted.

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
