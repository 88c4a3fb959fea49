//! `aiswatch decode` output: one JSON object per message with gpsd's AIS
//! JSON field names and scaling (`"scaled":true`, as `gpsdecode` prints), so
//! users can diff our decode against gpsd's. Not-available values are
//! printed as gpsd prints them (lat 91, lon 181, speed 102.3, heading 511 …).
//! Fields of our own come last: `rxtime` (event time, when the data carried
//! one), `time_source` and `station`.
//!
//! Hand-written rather than derived: this is the hot path of `decode`.

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::ais::{Body, Dimensions, Value};
use super::{Decoded, TimeSource};

/// gpsd's navigational status texts.
const STATUS_TEXT: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted manoeuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Power-driven vessel towing astern",
    "Power-driven vessel pushing ahead or towing alongside",
    "Reserved for future use",
    "AIS-SART is active",
    "Not defined",
];

struct W<'a>(&'a mut String);

// The small writers are inlined so that each key is copied as a constant.
impl W<'_> {
    #[inline(always)]
    fn key(&mut self, k: &str) {
        self.0.push_str(",\"");
        self.0.push_str(k);
        self.0.push_str("\":");
    }
    #[inline(always)]
    fn u(&mut self, k: &str, v: impl Into<u64>) {
        self.key(k);
        self.uint(v.into());
    }
    /// Many fields are one digit (repeat, status, maneuver, epfd …).
    #[inline(always)]
    fn uint(&mut self, v: u64) {
        if v < 10 {
            self.0.push(char::from(b'0' + v as u8));
        } else {
            self.0.push_str(itoa::Buffer::new().format(v));
        }
    }
    fn i(&mut self, k: &str, v: i64) {
        self.key(k);
        self.0.push_str(itoa::Buffer::new().format(v));
    }
    /// A value transmitted in tenths, printed with one decimal (`123` → `12.3`),
    /// exactly as `printf("%.1f", raw / 10.0)` prints it, without float formatting.
    #[inline(always)]
    fn tenths(&mut self, k: &str, raw: u16) {
        self.key(k);
        self.uint(u64::from(raw / 10));
        self.0.push('.');
        self.0.push(char::from(b'0' + (raw % 10) as u8));
    }
    #[inline(always)]
    fn b(&mut self, k: &str, v: bool) {
        self.key(k);
        self.0.push_str(if v { "true" } else { "false" });
    }
    fn f(&mut self, k: &str, v: f64, decimals: usize) {
        self.key(k);
        let _ = write!(self.0, "{v:.decimals$}");
    }
    #[inline(always)]
    fn s(&mut self, k: &str, v: &str) {
        self.key(k);
        self.string(v);
    }
    fn string(&mut self, v: &str) {
        self.0.push('"');
        // Six-bit text and our own labels never need escaping: copy them whole.
        if !v.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.0.push_str(v);
            self.0.push('"');
            return;
        }
        for c in v.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", c as u32);
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }
    fn lonlat(&mut self, lon: i32, lat: i32) {
        self.key("lon");
        self.micro_deg(lon);
        self.key("lat");
        self.micro_deg(lat);
    }
    /// 1/10 000 minute as degrees with 6 decimals (`%.6f` of raw / 600 000),
    /// by integer arithmetic: micro-degrees = raw / 0.6, rounded half away from zero.
    fn micro_deg(&mut self, raw: i32) {
        let r = i64::from(raw) * 10;
        let micro = (r.abs() + 3) / 6;
        if r < 0 && micro != 0 {
            self.0.push('-');
        }
        self.uint((micro / 1_000_000) as u64);
        let mut frac = *b".000000";
        let mut rest = micro % 1_000_000;
        for d in frac[1..].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        self.0
            .push_str(std::str::from_utf8(&frac).unwrap_or_default());
    }
    fn dims(&mut self, d: &Dimensions) {
        self.u("to_bow", d.to_bow);
        self.u("to_stern", d.to_stern);
        self.u("to_port", d.to_port);
        self.u("to_starboard", d.to_starboard);
    }
    fn status(&mut self, s: u8) {
        self.u("status", s);
        // The texts need no escaping.
        self.key("status_text");
        self.0.push('"');
        self.0.push_str(STATUS_TEXT[usize::from(s & 15)]);
        self.0.push('"');
    }
}

/// The `turn` value as gpsd prints it for each raw rate of turn (index =
/// raw + 128): the three sentinels as strings, else `%.0f` of
/// (raw / 4.733)² with the sign of raw. Formatted once, not per message.
fn turn_text(raw: i8) -> &'static str {
    static TEXT: OnceLock<[String; 256]> = OnceLock::new();
    let text = TEXT.get_or_init(|| {
        std::array::from_fn(|i| match i as i16 - 128 {
            -128 => "\"nan\"".to_owned(),
            -127 => "\"fastleft\"".to_owned(),
            127 => "\"fastright\"".to_owned(),
            t => {
                let r = f64::from(t) / 4.733;
                format!("{:.0}", r * r * f64::from(t).signum())
            }
        })
    });
    &text[(i16::from(raw) + 128) as usize]
}

/// Appends one JSON object and a newline to `out`.
pub fn write(out: &mut String, d: &Decoded) {
    let m = &d.message;
    out.push_str("{\"class\":\"AIS\"");
    let mut w = W(out);
    w.u("type", m.msg_type);
    w.u("repeat", m.repeat);
    w.u("mmsi", m.mmsi);
    w.b("scaled", true);
    match &m.body {
        Body::ClassA(p) => {
            w.status(p.status);
            w.key("turn");
            w.0.push_str(turn_text(p.turn));
            match p.speed {
                1023 => w.s("speed", "nan"),
                1022 => w.s("speed", "fast"),
                s => w.tenths("speed", s),
            }
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.tenths("course", p.course);
            w.u("heading", p.heading);
            w.u("second", p.second);
            w.u("maneuver", p.maneuver);
            w.b("raim", p.raim);
            w.u("radio", p.radio);
        }
        Body::BaseStation(p) => {
            w.key("timestamp");
            let _ = write!(
                w.0,
                "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\"",
                p.year, p.month, p.day, p.hour, p.minute, p.second
            );
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.u("epfd", p.epfd);
            w.b("raim", p.raim);
            w.u("radio", p.radio);
        }
        Body::StaticVoyage(s) => {
            w.u("imo", s.imo);
            w.u("ais_version", s.ais_version);
            w.s("callsign", &s.callsign);
            w.s("shipname", &s.shipname);
            w.u("shiptype", s.shiptype);
            w.dims(&s.dims);
            w.u("epfd", s.epfd);
            w.key("eta");
            let _ = write!(
                w.0,
                "\"{:02}-{:02}T{:02}:{:02}Z\"",
                s.month, s.day, s.hour, s.minute
            );
            w.tenths("draught", u16::from(s.draught));
            w.s("destination", &s.destination);
            w.u("dte", u8::from(s.dte));
        }
        Body::SarAircraft(p) => {
            w.u("alt", p.alt);
            w.u("speed", p.speed);
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.tenths("course", p.course);
            w.u("second", p.second);
            w.u("regional", p.regional);
            w.u("dte", u8::from(p.dte));
            w.b("raim", p.raim);
            w.u("radio", p.radio);
        }
        Body::ClassB(p) => {
            w.u("reserved", p.reserved);
            w.tenths("speed", p.speed);
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.tenths("course", p.course);
            w.u("heading", p.heading);
            w.u("second", p.second);
            w.u("regional", p.regional);
            w.b("cs", p.cs);
            w.b("display", p.display);
            w.b("dsc", p.dsc);
            w.b("band", p.band);
            w.b("msg22", p.msg22);
            w.b("raim", p.raim);
            w.u("radio", p.radio);
        }
        Body::ClassBExtended(p) => {
            w.u("reserved", p.reserved);
            w.tenths("speed", p.speed);
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.tenths("course", p.course);
            w.u("heading", p.heading);
            w.u("second", p.second);
            w.u("regional", p.regional);
            w.s("shipname", &p.shipname);
            w.u("shiptype", p.shiptype);
            w.dims(&p.dims);
            w.u("epfd", p.epfd);
            w.b("raim", p.raim);
            w.u("dte", u8::from(p.dte));
            w.b("assigned", p.assigned);
        }
        Body::AidToNav(p) => {
            w.u("aid_type", p.aid_type);
            w.s("name", &p.name);
            w.b("accuracy", p.accuracy);
            w.lonlat(p.lon, p.lat);
            w.dims(&p.dims);
            w.u("epfd", p.epfd);
            w.u("second", p.second);
            w.b("off_position", p.off_position);
            w.u("regional", p.regional);
            w.b("raim", p.raim);
            w.b("virtual_aid", p.virtual_aid);
            w.b("assigned", p.assigned);
        }
        Body::StaticDataB(p) => {
            w.s("part", if p.partno == 0 { "A" } else { "B" });
            if let Some(n) = &p.shipname {
                w.s("shipname", n);
            }
            if let Some(t) = p.shiptype {
                w.u("shiptype", t);
            }
            if let Some(v) = &p.vendorid {
                w.s("vendorid", v);
            }
            if let Some(v) = p.model {
                w.u("model", v);
            }
            if let Some(v) = p.serial {
                w.u("serial", v);
            }
            if let Some(c) = &p.callsign {
                w.s("callsign", c);
            }
            if let Some(m) = p.mothership_mmsi {
                w.u("mothership_mmsi", m);
            }
            if let Some(d) = &p.dims {
                w.dims(d);
            }
        }
        Body::LongRange(p) => {
            w.b("accuracy", p.accuracy);
            w.b("raim", p.raim);
            w.status(p.status);
            w.f("lon", f64::from(p.lon) / 600.0, 4);
            w.f("lat", f64::from(p.lat) / 600.0, 4);
            w.u("speed", p.speed);
            w.u("course", p.course);
            w.b("gnss", p.gnss);
        }
        Body::Other(fields) => {
            for (k, v) in fields {
                match v {
                    Value::U(x) => w.u(k, *x),
                    Value::I(x) => w.i(k, *x),
                    Value::B(x) => w.b(k, *x),
                    Value::S(x) => w.s(k, x),
                    Value::F(x, d) => w.f(k, *x, usize::from(*d)),
                }
            }
        }
    }
    if d.time_source != TimeSource::Arrival {
        w.s("rxtime", &aiswatch_core::time::rfc3339(d.time));
        let ts = match d.time_source {
            TimeSource::TagBlock => "tag_block",
            TimeSource::Pghp => "pghp",
            TimeSource::Trailing => "trailing",
            TimeSource::Arrival => "arrival",
        };
        w.s("time_source", ts);
    }
    if let Some(st) = &d.station {
        w.s("station", st);
    }
    out.push_str("}\n");
}
