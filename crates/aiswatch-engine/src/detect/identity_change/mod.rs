//! Identity change: while a vessel is in a zone, its name, call sign, IMO
//! number or ship type changes; its IMO number turns up under an MMSI of
//! another flag (the flag follows from the MMSI's MID, so a re-flagged ship
//! reappears under a new MMSI); or one MMSI reports from two places no
//! vessel could join, back and forth (two transponders on one MMSI). All
//! changes of a vessel are one alert, closed after `quiet` without another.
//!
//! A name corrected once at the start of a voyage is not an alert: the
//! vessel's first attribute change within `grace` of its first message is a
//! correction (kept, and named in the details of a later alert). A second
//! change, or any change after `grace`, fires.
//!
//! A single impossible jump that does not come back is the spoofing
//! detector's business. A conflict is reports alternating between two
//! tracks, each consistent with itself: it fires after `min_switches` jumps
//! between them (default 4, A→B→A→B→A), so neither a jump nor a glitch and
//! back (2) is a conflict; and the two places must be `min_distance_m` apart
//! (default 10 km: satellite receive-time skew makes vessels "jump" a few
//! kilometres back and forth).

use std::time::Duration;

use ahash::{AHashMap, AHashSet};

use super::context::{Context, Key, Report};
use super::episode::Quiet;
use super::place::Place;
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{haversine, ms, shrink, DetectConfig, Fix, Step, KN_PER_MPS, REASON_FORGOTTEN};
use crate::alert::{english, message, Alert, Arg, Kind, Message, State, VesselInfo};
use crate::track::{flag::flag_of, Mmsi, StaticInfo};
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::{
    AttributeChange, AttributeValue, Change, Conflict, Correction, Details, Field, FlagChange,
};

/// Changes listed in an alert's details (the count goes on).
const MAX_CHANGES: usize = 10;
/// An IMO number given by another MMSI this recently still counts.
const IMO_MEMORY_MS: Millis = 7 * 24 * 3_600_000;

/// The identity-change detector: per vessel, its identity history and
/// open alert; and who gave each IMO number last.
#[derive(Debug, Default)]
pub(crate) struct IdentityChange {
    params: ZoneParams<Params>,
    vessels: AHashMap<Mmsi, IdentState>,
    /// IMO number → the MMSI that last gave it and when (vessels in
    /// identity-change zones only): a new MMSI with another flag is a flag change.
    imo_owner: AHashMap<u32, (Mmsi, Millis)>,
}

#[derive(Debug, Default)]
struct IdentState {
    /// Identity history: changes seen, the other place of a conflict.
    track: IdentTrack,
    /// Open identity-change alert.
    open: Option<Ident>,
}

/// A vessel's identity history.
#[derive(Debug, Default)]
struct IdentTrack {
    /// Attribute changes seen (the correction included).
    changes: u32,
    /// The change forgiven as a correction at the start of the voyage.
    correction: Option<Correction>,
    /// Last fix of the other track of a suspected conflict.
    twin: Option<Fix>,
    /// Jumps between the two tracks so far.
    switches: u32,
    /// When the first of those jumps happened.
    twin_since: Millis,
}

/// An open identity-change alert.
#[derive(Debug)]
struct Ident {
    /// The alert: zone, id, start, last change, changes counted.
    q: Quiet,
    changes: Vec<Change>,
    conflict: bool,
    quiet: Millis,
}

/// One sentence for a change (an element of `details.changes`).
fn describe(c: &Change) -> Message {
    let flag = |f: &Option<String>| match f {
        Some(f) => Arg::Text(format!("{f:?}")),
        None => Arg::Word {
            id: "value-none".into(),
            text: "none".into(),
        },
    };
    let value = |v: &AttributeValue| match v {
        AttributeValue::Text(s) => format!("{s:?}"),
        AttributeValue::Number(n) => n.to_string(),
    };
    match c {
        Change::Conflict(c) => Message::new("identity-change-conflict")
            .decimal("distance_km", c.distance_m / 1000.0, 0)
            .int("jumps", i64::from(c.switches)),
        Change::Flag(c) => Message::new("identity-change-flag")
            .int("imo", i64::from(c.imo))
            .arg("flag", flag(&c.to))
            .int("previous_mmsi", i64::from(c.previous_mmsi))
            .arg("previous_flag", flag(&c.from)),
        Change::Attribute(c) => Message::new("identity-change-attribute")
            .word(
                "field",
                format!("field-{}", c.field.words().replace(' ', "-")),
                c.field.words(),
            )
            .text("from", value(&c.from))
            .text("to", value(&c.to)),
    }
}

/// Attribute changes from `before` to `after` (fields known on both sides).
fn attribute_changes(before: &StaticInfo, after: &StaticInfo) -> Vec<Change> {
    let mut out = Vec::new();
    let mut cmp = |field: Field, a: Option<AttributeValue>, b: Option<AttributeValue>| {
        if let (Some(from), Some(to)) = (a, b) {
            if from != to {
                out.push(Change::Attribute(AttributeChange { field, from, to }));
            }
        }
    };
    let text = |s: &Option<String>| s.clone().map(AttributeValue::Text);
    let number = |n: Option<u32>| n.map(AttributeValue::Number);
    cmp(Field::Name, text(&before.name), text(&after.name));
    cmp(
        Field::Callsign,
        text(&before.callsign),
        text(&after.callsign),
    );
    cmp(Field::Imo, number(before.imo), number(after.imo));
    cmp(
        Field::ShipType,
        number(before.ship_type.map(u32::from)),
        number(after.ship_type.map(u32::from)),
    );
    out
}

/// The first zone of `place` running the identity-change detector.
fn ident_zone(params: &ZoneParams<Params>, place: &Place) -> Option<(u16, Params)> {
    place
        .zones
        .iter()
        .find_map(|&z| params.get(z).map(|p| (z, *p)))
}

/// Where and when a change was seen: zone, its thresholds, time, position.
struct Seen<'a> {
    zone: u16,
    p: &'a Params,
    t: Millis,
    pos: (f64, f64),
}

impl Detector for IdentityChange {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::IdentityChange, zones, defaults);
    }

    fn memory(&self, _cfg: &DetectConfig) -> Memory {
        let quiet = self
            .params
            .iter()
            .map(|p| p.quiet)
            .max()
            .unwrap_or_default();
        Memory {
            episode: Duration::ZERO,
            quiet,
        }
    }

    fn position(&mut self, cx: &mut Context, r: &Report) {
        self.conflict(cx, r);
    }

    fn static_data(&mut self, cx: &mut Context, mmsi: Mmsi, before: Option<&StaticInfo>) {
        self.statics(cx, mmsi, before);
    }

    fn due(&mut self, cx: &mut Context, key: Key, _due: Millis) {
        let (mmsi, now) = (key.vessel, cx.now);
        let Some(st) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let Some(i) = &st.open else { return };
        // One pending check per alert: it moves itself to the last change + quiet.
        let due = i.q.last.saturating_add(i.quiet);
        if due > now {
            let last = i.q.last;
            cx.schedule(due, Key::at(mmsi, last));
            return;
        }
        let Some(i) = st.open.take() else { return };
        let alert = ident_closed(cx, mmsi, i, None);
        cx.out.push(alert);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        if let Some(i) = self.vessels.remove(&mmsi).and_then(|st| st.open) {
            let alert = ident_closed(cx, mmsi, i, Some(REASON_FORGOTTEN));
            cx.out.push(alert);
        }
    }

    fn forgotten(&mut self, dropped: &AHashSet<Mmsi>) {
        self.imo_owner.retain(|_, (m, _)| !dropped.contains(m));
        shrink(&mut self.vessels);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        for (&mmsi, st) in self.vessels.iter_mut() {
            let Some(reason) = st.open.as_ref().and_then(|i| reload.ends(i.q.zone, Kind::IdentityChange)) else {
                continue;
            };
            let Some(i) = st.open.take() else { continue };
            let alert = ident_closed(cx, mmsi, i, Some(reason));
            cx.out.push(alert);
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for i in self.vessels.values_mut().filter_map(|st| st.open.as_mut()) {
            i.q.zone = reload.zone(i.q.zone);
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi) || self.imo_owner.values().any(|(m, _)| *m == mmsi)
    }
}

impl IdentityChange {
    /// New static data of `mmsi` at `cx.now` (the track store holds it
    /// already; `before` is what it held before).
    fn statics(&mut self, cx: &mut Context, mmsi: Mmsi, before: Option<&StaticInfo>) {
        let t = cx.now;
        let Some(v) = cx.vessels.get(&mmsi) else {
            return;
        };
        let Some((zone, p)) = ident_zone(&self.params, &v.place) else {
            return;
        };
        let pos = v.last.as_ref().map_or((0.0, 0.0), |f| (f.lon, f.lat));
        let Some(vessel) = cx.tracks.get(mmsi) else {
            return;
        };
        let Some(after) = vessel.static_info.as_deref() else {
            return;
        };
        let mut changes = before.map_or_else(Vec::new, |b| attribute_changes(b, after));
        // Re-flagging: the IMO number (fixed for a hull's life) under an
        // MMSI of another country.
        if let Some(imo) = after.imo.filter(|i| (1_000_000..=9_999_999).contains(i)) {
            if let Some((m0, t0)) = self.imo_owner.insert(imo, (mmsi, t)) {
                let (f0, f1) = (flag_of(m0), flag_of(mmsi));
                if m0 != mmsi && t - t0 <= IMO_MEMORY_MS && f0 != f1 {
                    changes.push(Change::Flag(FlagChange {
                        field: Field::Flag,
                        from: f0.map(String::from),
                        imo,
                        previous_mmsi: m0.0,
                        to: f1.map(String::from),
                    }));
                }
            }
        }
        let grace = ms(p.grace);
        let first_seen = vessel.first_seen;
        for c in changes {
            let st = self.vessels.entry(mmsi).or_default();
            st.track.changes += 1;
            if st.track.changes == 1 && c.field() != Field::Flag && t - first_seen < grace {
                st.track.correction = Some(Correction {
                    after_s: (t - first_seen) / 1000,
                    change: c,
                });
                continue;
            }
            let seen = Seen {
                zone,
                p: &p,
                t,
                pos,
            };
            self.raise(cx, mmsi, seen, c);
        }
    }

    /// Identity conflict: reports alternating between two places no vessel
    /// could join. Called with every position report.
    fn conflict(&mut self, cx: &mut Context, r: &Report) {
        let (mmsi, fix) = (r.mmsi, r.fix);
        let Some((zone, p)) = ident_zone(&self.params, r.place) else {
            return;
        };
        let Some(Step { from: prev, m: d }) = r.step else {
            return;
        };
        let stale = cx.stale();
        let jump_min = cx.cfg.jump_min_m.max(p.min_distance_m);
        // Whether a vessel could go `d` metres from `a` to `b`.
        let reach = |a: &Fix, b: &Fix, d: f64| {
            let dt = (b.time - a.time) as f64 / 1000.0;
            d <= jump_min || (dt > 0.0 && d / dt * KN_PER_MPS <= p.max_speed_kn)
        };
        let reachable = reach(prev, fix, d);
        if reachable && !self.vessels.contains_key(&mmsi) {
            return; // an ordinary step of a vessel with nothing remembered
        }
        let tr = &mut self.vessels.entry(mmsi).or_default().track;
        if tr.twin.as_ref().is_some_and(|t| fix.time - t.time > stale) {
            tr.twin = None;
            tr.switches = 0;
        }
        if reachable {
            return;
        }
        let from_twin = |t: &Fix| reach(t, fix, haversine(t.lon, t.lat, fix.lon, fix.lat));
        if tr.twin.as_ref().is_some_and(from_twin) {
            tr.switches += 1;
        } else {
            tr.switches = 1;
            tr.twin_since = fix.time;
        }
        tr.twin = Some(prev.clone());
        if tr.switches < p.min_switches {
            return;
        }
        let c = Change::Conflict(Conflict {
            distance_m: d.round(),
            field: Field::Conflict,
            places: [[prev.lon, prev.lat], [fix.lon, fix.lat]],
            since_s: (fix.time - tr.twin_since) / 1000,
            switches: tr.switches,
        });
        let seen = Seen {
            zone,
            p: &p,
            t: fix.time,
            pos: (fix.lon, fix.lat),
        };
        self.raise(cx, mmsi, seen, c);
    }

    /// Opens or updates `mmsi`'s alert with `change`.
    fn raise(&mut self, cx: &mut Context, mmsi: Mmsi, seen: Seen, change: Change) {
        let Seen { zone, p, t, pos } = seen;
        let update = cx.update_every();
        let st = self.vessels.entry(mmsi).or_default();
        let conflict = change.field() == Field::Conflict;
        let state = match &mut st.open {
            Some(i) => {
                let repeat = conflict && i.conflict;
                i.q.again(t);
                i.conflict |= conflict;
                if repeat {
                    // Every report of a conflict alternates: counted, sent
                    // at most every `update_every`.
                    if let Some(c) = i.changes.iter_mut().find(|c| c.field() == Field::Conflict) {
                        *c = change.clone();
                    }
                    if !i.q.send(t, update) {
                        return;
                    }
                } else {
                    if i.changes.len() < MAX_CHANGES {
                        i.changes.push(change.clone());
                    }
                    i.q.last_sent = t;
                }
                State::Update
            }
            None => {
                let quiet = ms(p.quiet);
                let zone_id = &cx.zone(zone).id;
                st.open = Some(Ident {
                    q: Quiet::open(Kind::IdentityChange, zone, zone_id, mmsi, t),
                    changes: vec![change.clone()],
                    conflict,
                    quiet,
                });
                cx.schedule(t.saturating_add(quiet), Key::at(mmsi, t));
                State::Open
            }
        };
        let Some(i) = st.open.as_ref() else { return };
        let z = cx.zone(zone);
        let info = VesselInfo::from_store(cx.tracks, mmsi);
        let summary = message("identity-change-open", &info, z.name.as_deref().unwrap_or(&z.id))
            .message("change", describe(&change))
            .int("count", i64::from(i.q.count));
        let alert = Alert {
            id: i.q.id.clone(),
            kind: Kind::IdentityChange,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            zone_version: None,
            centre: z.centres.clone(),
            at: t,
            started_at: i.q.started,
            ended_at: None,
            lat: pos.1,
            lon: pos.0,
            summary: english(&summary),
            message: Some(summary),
            vessels: vec![info],
            details: crate::alert::Details::IdentityChange(Details {
                change: Some(change),
                changes: Some(i.changes.clone()),
                correction: Some(st.track.correction.clone()),
                count: Some(i.q.count),
                grace_s: Some(p.grace.as_secs()),
                max_speed_kn: Some(p.max_speed_kn),
                min_distance_m: Some(p.min_distance_m),
                min_switches: Some(p.min_switches),
                quiet_s: Some(p.quiet.as_secs()),
                reason: None,
            }),
        };
        cx.out.push(alert);
    }
}

/// The close of an identity-change alert at `cx.now`: quiet for `quiet`
/// (no `reason`), or ended for `reason` (e.g. [`super::REASON_FORGOTTEN`]).
fn ident_closed(cx: &Context, mmsi: Mmsi, i: Ident, reason: Option<&str>) -> Alert {
    let now = cx.now;
    let z = cx.zone(i.q.zone);
    let info = VesselInfo::from_store(cx.tracks, mmsi);
    let (lon, lat) = cx.last(mmsi).map_or((0.0, 0.0), |f: &Fix| (f.lon, f.lat));
    let summary = match reason {
        None => Message::new("identity-change-quiet"),
        Some(r) => Message::new("identity-change-ended").arg("reason", crate::alert::reason(r)),
    }
    .text("vessel", info.label())
    .duration("quiet", now.saturating_sub(i.q.last))
    .int("count", i64::from(i.q.count));
    Alert {
        id: i.q.id,
        kind: Kind::IdentityChange,
        state: State::Closed,
        mmsi: vec![mmsi],
        zone: z.id.clone(),
        zone_name: z.name.clone(),
        zone_version: None,
        centre: z.centres.clone(),
        at: now,
        started_at: i.q.started,
        ended_at: Some(i.q.last),
        lat,
        lon,
        summary: english(&summary),
        message: Some(summary),
        vessels: vec![info],
        details: crate::alert::Details::IdentityChange(Details {
            changes: Some(i.changes),
            count: Some(i.q.count),
            quiet_s: Some(u64::try_from(i.quiet / 1000).unwrap_or_default()),
            reason: Some(reason.unwrap_or("quiet").to_owned()),
            ..Details::default()
        }),
    }
}
