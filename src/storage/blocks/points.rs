//! A block's reports as bytes: one vessel's reports in sequence order,
//! each field as the change from the report before, a field the same as
//! before not written at all.
//!
//! Layout 2 (written; layout 1, postcard of [`Point`]s, still read):
//!
//! ```text
//! 2, names, n, n × point
//! names:  count, then each: length, UTF-8 bytes
//! point:  what (u8), seq Δ, t Δ, place, [sog], [cog], [heading],
//!         [nav_status], [msg_type], [station, source], hash (8 bytes, LE)
//! ```
//!
//! Integers are LEB128 varints, signed ones zigzag first (small changes take
//! one byte). `what` says which bracketed fields follow (each: differs from
//! the report before, which for the first is "not reported", type 0, no
//! station, source 0), whether the time change is in whole seconds (most
//! are: receivers stamp seconds) and whether the place is in AIS units
//! (1/10 000 minute, as the change from the last such place: the degrees a
//! decoder gives come back exactly) or in degrees (two `f64`, LE).
//! Optional fields are stored as 0 for none, the value plus one otherwise.
//!
//! The hash, eight bytes of sixteen to twenty a report, is the payload's:
//! incompressible, and what tells a report read again after a restart.

use std::sync::Arc;

use serde::Deserialize;

use super::super::{PositionRow, StorageError};
use aiswatch_core::ids::Mmsi;

/// The layout written.
const LAYOUT: u8 = 2;
/// The layout written before: postcard of [`Packed`].
const LAYOUT_POSTCARD: u8 = 1;

/// `what` bits: which fields follow, and in which form.
const SOG: u8 = 1;
const COG: u8 = 1 << 1;
const HEADING: u8 = 1 << 2;
const NAV_STATUS: u8 = 1 << 3;
const MSG_TYPE: u8 = 1 << 4;
const NAMES: u8 = 1 << 5;
const DEGREES: u8 = 1 << 6;
const MILLIS: u8 = 1 << 7;

/// The smallest point: `what`, seq, t, a place in units (two bytes) and
/// the hash.
const MIN_POINT: usize = 1 + 1 + 1 + 2 + 8;

/// 1/10 000 minute per degree.
pub(super) const PER_DEG: f64 = 600_000.0;

/// `deg` in AIS units, when that gives `deg` back exactly. Rounded half
/// away from zero by hand, not by libm's `round` (a call on the baseline
/// x86-64): a value that comes back exactly is within a hair of a whole
/// unit, which every way of rounding gives alike.
fn units(deg: f64) -> Option<i32> {
    let x = deg * PER_DEG;
    let u = (x + 0.5f64.copysign(x)) as i64;
    let u = i32::try_from(u).ok().filter(|&u| u != i32::MIN)?;
    (f64::from(u) / PER_DEG == deg).then_some(u)
}

/// What the fields of a report are changes from.
#[derive(Clone, Copy, Default)]
struct Before {
    seq: u64,
    t: i64,
    at: (i32, i32),
    sog: u64,
    cog: u64,
    heading: u64,
    nav_status: u64,
    msg_type: u8,
    /// Index in the names plus one (0: none), index in the names.
    names: (u64, u64),
}

fn opt<T: Into<u64>>(v: Option<T>) -> u64 {
    v.map_or(0, |v| v.into() + 1)
}

/// The stored form of `rows` (one vessel's, sequence order).
pub(in crate::storage) fn encode(rows: &[&PositionRow]) -> Vec<u8> {
    let mut p = Packer::with_room(rows.len());
    for r in rows {
        p.push(r);
    }
    p.finish()
}

/// A block's reports packed one at a time, as [`encode`] packs them:
/// a batch's blocks can then be packed in one pass over its reports in
/// order, rather than each block gathering its own from all over.
pub(in crate::storage) struct Packer<'a> {
    names: Vec<&'a str>,
    /// The addresses of the last report's station name (0: none) and
    /// source name: a report's are mostly those of the report before.
    /// The reports pushed are borrowed for the packer's life, so an
    /// address stays its name's.
    last_names: (usize, usize),
    b: Before,
    points: Vec<u8>,
    n: u64,
}

impl<'a> Packer<'a> {
    /// A packer with room for about `n` reports.
    pub(in crate::storage) fn with_room(n: usize) -> Self {
        Packer {
            names: Vec::new(),
            last_names: (0, 0),
            b: Before::default(),
            points: Vec::with_capacity(n * 24),
            n: 0,
        }
    }

    /// Packs `r`, the next report in sequence order.
    pub(in crate::storage) fn push(&mut self, r: &'a PositionRow) {
        let (mut out, b) = (PointBytes::default(), &mut self.b);
        let addresses = (
            r.station.as_deref().map_or(0, |s| s.as_ptr() as usize),
            r.source.as_ptr() as usize,
        );
        let ids = if self.n > 0 && addresses == self.last_names {
            b.names
        } else {
            self.last_names = addresses;
            let station = r
                .station
                .as_deref()
                .map_or(0, |s| name_of(&mut self.names, s) + 1);
            (station, name_of(&mut self.names, &r.source))
        };
        let dt = r.time.wrapping_sub(b.t);
        let place = match (units(r.lon), units(r.lat)) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => None,
        };
        let (sog, cog, heading, nav_status) = (
            opt(r.sog_dkn),
            opt(r.cog_ddeg),
            opt(r.heading),
            opt(r.nav_status),
        );
        let what = [
            (sog != b.sog, SOG),
            (cog != b.cog, COG),
            (heading != b.heading, HEADING),
            (nav_status != b.nav_status, NAV_STATUS),
            (r.msg_type != b.msg_type, MSG_TYPE),
            (ids != b.names, NAMES),
            (place.is_none(), DEGREES),
            (dt % 1000 != 0, MILLIS),
        ]
        .into_iter()
        .fold(0, |what, (set, bit)| if set { what | bit } else { what });
        out.byte(what);
        out.uint(r.seq.wrapping_sub(b.seq));
        out.int(if what & MILLIS == 0 { dt / 1000 } else { dt });
        match place {
            Some((x, y)) => {
                out.int(i64::from(x.wrapping_sub(b.at.0)));
                out.int(i64::from(y.wrapping_sub(b.at.1)));
                b.at = (x, y);
            }
            None => {
                out.bytes(&r.lon.to_le_bytes());
                out.bytes(&r.lat.to_le_bytes());
            }
        }
        for (bit, v, was) in [
            (SOG, sog, b.sog),
            (COG, cog, b.cog),
            (HEADING, heading, b.heading),
            (NAV_STATUS, nav_status, b.nav_status),
        ] {
            if what & bit != 0 {
                out.int(v.wrapping_sub(was) as i64);
            }
        }
        if what & MSG_TYPE != 0 {
            out.byte(r.msg_type);
        }
        if what & NAMES != 0 {
            out.uint(ids.0);
            out.uint(ids.1);
        }
        out.bytes(&r.hash.to_le_bytes());
        self.points.extend_from_slice(&out.buf[..out.len]);
        *b = Before {
            seq: r.seq,
            t: r.time,
            sog,
            cog,
            heading,
            nav_status,
            msg_type: r.msg_type,
            names: ids,
            ..*b
        };
        self.n += 1;
    }

    /// The stored form of the reports pushed.
    pub(in crate::storage) fn finish(self) -> Vec<u8> {
        let names = self.names.iter().map(|n| n.len() + 1).sum::<usize>();
        let mut out = Vec::with_capacity(16 + names + self.points.len());
        out.push(LAYOUT);
        out.uint(self.names.len() as u64);
        for n in &self.names {
            out.uint(n.len() as u64);
            out.extend_from_slice(n.as_bytes());
        }
        out.uint(self.n);
        out.extend_from_slice(&self.points);
        out
    }
}

/// Where `s` is in `names`, added at the end if it is not there. The
/// names of a block are one or two, mostly the same shared string:
/// compared by address first.
pub(super) fn name_of<'a>(names: &mut Vec<&'a str>, s: &'a str) -> u64 {
    match names.iter().position(|n| std::ptr::eq(*n, s) || *n == s) {
        Some(i) => i as u64,
        None => {
            names.push(s);
            names.len() as u64 - 1
        }
    }
}

/// The most bytes a point takes: `what`, seq and time (varints of up to
/// ten bytes), the place in degrees, four small fields, the message type,
/// two name indices and the hash.
const MAX_POINT: usize = 1 + 2 * 10 + 2 * 8 + 4 * 10 + 1 + 2 * 10 + 8;

/// One point's bytes as they are put together, copied onto the block's at
/// once: pushed onto a `Vec` a byte at a time, each byte would store and
/// load the `Vec`'s length again (a byte written may be any memory).
struct PointBytes {
    buf: [u8; MAX_POINT],
    len: usize,
}

impl Default for PointBytes {
    fn default() -> Self {
        PointBytes {
            buf: [0; MAX_POINT],
            len: 0,
        }
    }
}

impl PointBytes {
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }
}

/// Where a block's integers go: LEB128 varints, signed ones zigzag first.
trait Varints {
    fn byte(&mut self, b: u8);

    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte(v as u8 | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }
}

impl Varints for PointBytes {
    fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }
}

impl Varints for Vec<u8> {
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// The reports of a stored block of vessel `mmsi`, in the order written.
pub(in crate::storage) fn decode(
    mmsi: Mmsi,
    bytes: &[u8],
) -> Result<Vec<PositionRow>, StorageError> {
    let bad = |why: String| StorageError::Block(format!("vessel {}: {why}", mmsi.0));
    match bytes.split_first() {
        Some((&LAYOUT, body)) => Reader { bytes: body, at: 0 }
            .points(mmsi)
            .map_err(|e| bad(format!("{e} (byte {} of {})", e.at + 1, bytes.len()))),
        Some((&LAYOUT_POSTCARD, body)) => decode_postcard(mmsi, body).map_err(bad),
        _ => Err(bad(format!(
            "block of an unknown layout ({} bytes)",
            bytes.len()
        ))),
    }
}

/// Why a block could not be read, and where.
#[derive(Debug)]
struct Unreadable {
    what: &'static str,
    at: usize,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, what: &'static str) -> Result<T, Unreadable> {
        Err(Unreadable { what, at: self.at })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Unreadable> {
        match self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
        {
            Some(b) => {
                self.at += n;
                Ok(b)
            }
            None => self.fail("cut short"),
        }
    }

    fn byte(&mut self) -> Result<u8, Unreadable> {
        Ok(self.take(1)?[0])
    }

    fn uint(&mut self) -> Result<u64, Unreadable> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        self.fail("a number longer than 64 bits")
    }

    fn int(&mut self) -> Result<i64, Unreadable> {
        let v = self.uint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn f64(&mut self) -> Result<f64, Unreadable> {
        let b = self.take(8)?;
        Ok(f64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    fn small<T: TryFrom<u64>>(
        &mut self,
        was: u64,
        what: &'static str,
    ) -> Result<(u64, Option<T>), Unreadable> {
        let v = was.wrapping_add(self.int()? as u64);
        match v.checked_sub(1).map(T::try_from) {
            None => Ok((v, None)),
            Some(Ok(x)) => Ok((v, Some(x))),
            Some(Err(_)) => self.fail(what),
        }
    }

    fn points(mut self, mmsi: Mmsi) -> Result<Vec<PositionRow>, Unreadable> {
        let count = self.uint()?;
        let mut names: Vec<Arc<str>> = Vec::new();
        for _ in 0..count {
            let len = self.uint()?;
            let b = self.take(usize::try_from(len).unwrap_or(usize::MAX))?;
            match std::str::from_utf8(b) {
                Ok(s) => names.push(Arc::from(s)),
                Err(_) => return self.fail("a name not in UTF-8"),
            }
        }
        let n = self.uint()?;
        let left = (self.bytes.len() - self.at) / MIN_POINT;
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(usize::MAX).min(left));
        let mut b = Before::default();
        let (mut sog, mut cog, mut heading, mut nav_status) = (None, None, None, None);
        for _ in 0..n {
            let what = self.byte()?;
            b.seq = b.seq.wrapping_add(self.uint()?);
            let dt = self.int()?;
            b.t = b.t.wrapping_add(if what & MILLIS == 0 {
                dt.wrapping_mul(1000)
            } else {
                dt
            });
            let (lon, lat) = if what & DEGREES == 0 {
                let dx = self.int()?;
                let dy = self.int()?;
                b.at = (
                    b.at.0.wrapping_add(dx as i32),
                    b.at.1.wrapping_add(dy as i32),
                );
                (f64::from(b.at.0) / PER_DEG, f64::from(b.at.1) / PER_DEG)
            } else {
                (self.f64()?, self.f64()?)
            };
            if what & SOG != 0 {
                (b.sog, sog) = self.small(b.sog, "a speed out of range")?;
            }
            if what & COG != 0 {
                (b.cog, cog) = self.small(b.cog, "a course out of range")?;
            }
            if what & HEADING != 0 {
                (b.heading, heading) = self.small(b.heading, "a heading out of range")?;
            }
            if what & NAV_STATUS != 0 {
                (b.nav_status, nav_status) =
                    self.small(b.nav_status, "a navigational status out of range")?;
            }
            if what & MSG_TYPE != 0 {
                b.msg_type = self.byte()?;
            }
            if what & NAMES != 0 {
                b.names = (self.uint()?, self.uint()?);
            }
            let name = |i: u64| names.get(usize::try_from(i).unwrap_or(usize::MAX)).cloned();
            let station = match b.names.0 {
                0 => None,
                i => Some(name(i - 1).map_or_else(|| self.fail("a station not in the names"), Ok)?),
            };
            let source =
                name(b.names.1).map_or_else(|| self.fail("a source not in the names"), Ok)?;
            let hash = self.take(8)?;
            out.push(PositionRow {
                seq: b.seq,
                mmsi,
                time: b.t,
                lon,
                lat,
                sog_dkn: sog,
                cog_ddeg: cog,
                heading,
                nav_status,
                msg_type: b.msg_type,
                station,
                source,
                hash: u64::from_le_bytes(hash.try_into().unwrap_or_default()),
            });
        }
        if self.at != self.bytes.len() {
            return self.fail("bytes after the last report");
        }
        Ok(out)
    }
}

/// A block as layout 1 stored it: the points in sequence order, each
/// point's sequence number, time and place as the change from the point
/// before.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Packed<'a> {
    /// Station and source names the points refer to by index.
    #[serde(borrow)]
    names: Vec<&'a str>,
    points: Vec<Point>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Point {
    /// From the point before (the first: from 0).
    seq: u64,
    t: i64,
    place: Place,
    sog_dkn: Option<u16>,
    cog_ddeg: Option<u16>,
    heading: Option<u16>,
    nav_status: Option<u8>,
    msg_type: u8,
    /// Index in `names` plus one; 0: no station.
    station: u32,
    source: u32,
    hash: [u8; 8],
}

/// Where a report put its sender.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
enum Place {
    /// In the AIS unit, from the last point given so (the first: from 0).
    Units(i32, i32),
    /// Degrees that are no whole number of units.
    Degrees(f64, f64),
}

/// A block of layout 1.
fn decode_postcard(mmsi: Mmsi, body: &[u8]) -> Result<Vec<PositionRow>, String> {
    let p: Packed<'_> = postcard::from_bytes(body).map_err(|e| e.to_string())?;
    let names: Vec<Arc<str>> = p.names.iter().map(|n| Arc::from(*n)).collect();
    let name = |i: u32| {
        names
            .get(i as usize)
            .cloned()
            .ok_or_else(|| format!("name {i} of {}", names.len()))
    };
    let (mut seq, mut t, mut at) = (0u64, 0i64, (0i32, 0i32));
    p.points
        .iter()
        .map(|q| {
            seq = seq.wrapping_add(q.seq);
            t = t.wrapping_add(q.t);
            let (lon, lat) = match q.place {
                Place::Units(dx, dy) => {
                    at = (at.0.wrapping_add(dx), at.1.wrapping_add(dy));
                    (f64::from(at.0) / PER_DEG, f64::from(at.1) / PER_DEG)
                }
                Place::Degrees(x, y) => (x, y),
            };
            Ok(PositionRow {
                seq,
                mmsi,
                time: t,
                lon,
                lat,
                sog_dkn: q.sog_dkn,
                cog_ddeg: q.cog_ddeg,
                heading: q.heading,
                nav_status: q.nav_status,
                msg_type: q.msg_type,
                station: match q.station {
                    0 => None,
                    i => Some(name(i - 1)?),
                },
                source: name(q.source)?,
                hash: u64::from_le_bytes(q.hash),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// AIS units rounded by hand: the answer libm's `round` gives,
        /// for AIS values, values halfway between and any float.
        #[test]
        fn units_are_what_rounding_gives(deg in proptest::num::f64::ANY, k in -110_000_000i64..110_000_000) {
            let rounded = |deg: f64| {
                let u = (deg * PER_DEG).round();
                (u.abs() <= f64::from(i32::MAX) && u / PER_DEG == deg).then_some(u as i32)
            };
            for d in [deg, -deg, k as f64 / PER_DEG, (k as f64 + 0.5) / PER_DEG, deg * 1e-6] {
                proptest::prop_assert_eq!(units(d), rounded(d), "{}", d);
            }
        }
    }

    fn report(seq: u64, t: i64, lon: f64, lat: f64) -> PositionRow {
        PositionRow {
            seq,
            mmsi: Mmsi(563_000_042),
            time: t,
            lon,
            lat,
            sog_dkn: Some(121),
            cog_ddeg: Some(2_734),
            heading: Some(273),
            nav_status: Some(0),
            msg_type: 1,
            station: Some(Arc::from("rx-north")),
            source: Arc::from("tcp://rx1:5631"),
            hash: 0x9e37_79b9_7f4a_7c15 ^ seq,
        }
    }

    #[test]
    fn fields_that_come_and_go_and_times_off_the_second_come_back() {
        let mut rows: Vec<PositionRow> = (0..6)
            .map(|i| {
                report(
                    900 + 3 * i,
                    1_714_521_600_000 + 10_000 * i as i64,
                    103.8,
                    1.25,
                )
            })
            .collect();
        rows[1].sog_dkn = None;
        rows[1].heading = Some(511);
        rows[2].time += 437;
        rows[3].cog_ddeg = None;
        rows[3].nav_status = Some(15);
        rows[3].msg_type = 18;
        rows[4].station = None;
        rows[4].source = Arc::from("nats://feeds.sat");
        rows[5].nav_status = None;
        rows[5].seq = u64::MAX;
        let refs: Vec<&PositionRow> = rows.iter().collect();
        assert_eq!(decode(Mmsi(563_000_042), &encode(&refs)).unwrap(), rows);
    }

    #[test]
    fn a_moving_vessels_report_takes_under_twenty_bytes() {
        // Ten-second reports of a vessel at 12 knots, speed and course
        // varying a little: the payload's hash is 8 of the bytes.
        let rows: Vec<PositionRow> = (0..100)
            .map(|i| {
                // As decoded: whole AIS units.
                let x = 62_280_000 + 330 * i as i32;
                let y = 750_000 - 120 * i as i32;
                let mut r = report(
                    50_000 + 2_400 * i,
                    1_714_521_600_000 + 10_000 * i as i64,
                    f64::from(x) / PER_DEG,
                    f64::from(y) / PER_DEG,
                );
                r.sog_dkn = Some(118 + (i % 5) as u16);
                r.cog_ddeg = Some(1_100 + (i % 3) as u16);
                r
            })
            .collect();
        let refs: Vec<&PositionRow> = rows.iter().collect();
        let bytes = encode(&refs);
        assert!(bytes.len() < 100 * 20, "{} bytes", bytes.len());
        assert_eq!(decode(Mmsi(563_000_042), &bytes).unwrap(), rows);
    }

    #[test]
    fn blocks_of_the_layout_before_are_still_read() {
        let rows = [
            report(7, 1_000_000, 3.5, -6.25),
            report(9, 1_010_000, 181.0, 91.0),
        ];
        // As layout 1 wrote them: changes of sequence, time and place only.
        let first = Point {
            seq: 7,
            t: 1_000_000,
            place: Place::Units(2_100_000, -3_750_000),
            sog_dkn: Some(121),
            cog_ddeg: Some(2_734),
            heading: Some(273),
            nav_status: Some(0),
            msg_type: 1,
            station: 1,
            source: 1,
            hash: rows[0].hash.to_le_bytes(),
        };
        let second = Point {
            seq: 2,
            t: 10_000,
            place: Place::Degrees(181.0, 91.0),
            hash: rows[1].hash.to_le_bytes(),
            ..first
        };
        let packed = Packed {
            names: vec!["rx-north", "tcp://rx1:5631"],
            points: vec![first, second],
        };
        let mut bytes = vec![LAYOUT_POSTCARD];
        bytes.extend(postcard::to_allocvec(&packed).unwrap());
        assert_eq!(decode(Mmsi(563_000_042), &bytes).unwrap(), rows);
    }

    #[test]
    fn any_bytes_give_reports_or_an_error() {
        // Blocks of real reports with bytes changed at random (a fixed
        // sequence): read back or refused, never a panic.
        let rows: Vec<PositionRow> = (0..8)
            .map(|i| report(100 + i, 1_000_000 + 7_001 * i as i64, 3.5, -6.25))
            .collect();
        let good = encode(&rows.iter().collect::<Vec<_>>());
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut bytes = good.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            bytes.truncate(1 + (next() % bytes.len() as u64) as usize);
            let _ = decode(Mmsi(5), &bytes);
        }
    }

    #[test]
    fn a_damaged_block_is_an_error_that_says_where() {
        let rows = [report(7, 1_000_000, 3.5, -6.25)];
        let bytes = encode(&rows.iter().collect::<Vec<_>>());
        for cut in 1..bytes.len() {
            let e = decode(Mmsi(5), &bytes[..cut]).unwrap_err().to_string();
            assert!(e.contains("vessel 5") && e.contains("byte"), "{e}");
        }
        // A name longer than anything: cut short, not an overflow.
        let e = decode(
            Mmsi(5),
            &[
                LAYOUT, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cut short"), "{e}");
        let mut named_wrong = bytes.clone();
        // The point's name indices follow its speed, course and the rest:
        // an index past the names.
        let at = named_wrong.len() - 8 - 1;
        named_wrong[at] = 9;
        let e = decode(Mmsi(5), &named_wrong).unwrap_err().to_string();
        assert!(e.contains("not in the names"), "{e}");
    }
}
