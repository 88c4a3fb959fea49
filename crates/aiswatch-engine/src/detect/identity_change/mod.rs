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

use std::cmp::Reverse;

use serde_json::{json, Value};

use super::{haversine, ms, Detectors, Fix, Place, Step, Task, KN_PER_MPS};
use crate::alert::{human_duration, Alert, Kind, State, VesselInfo};
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;
use crate::track::{flag::flag_of, Mmsi, StaticInfo, TrackStore};
use aiswatch_zones::IdentityChangeParams;

/// Changes listed in an alert's details (the count goes on).
const MAX_CHANGES: usize = 10;
/// An IMO number given by another MMSI this recently still counts.
const IMO_MEMORY_MS: Millis = 7 * 24 * 3_600_000;

/// A vessel's identity history.
#[derive(Debug, Default)]
pub(super) struct IdentTrack {
    /// Attribute changes seen (the correction included).
    changes: u32,
    /// The change forgiven as a correction at the start of the voyage.
    correction: Option<Value>,
    /// Last fix of the other track of a suspected conflict.
    twin: Option<Fix>,
    /// Jumps between the two tracks so far.
    switches: u32,
    /// When the first of those jumps happened.
    twin_since: Millis,
}

/// An open identity-change alert.
#[derive(Debug)]
pub(super) struct Ident {
    pub(super) zone: u16,
    pub(super) id: AlertId,
    pub(super) started: Millis,
    pub(super) last_change: Millis,
    pub(super) count: u32,
    last_sent: Millis,
    changes: Vec<Value>,
    conflict: bool,
    quiet: Millis,
}

/// One sentence for a change (an element of `details.changes`).
fn describe(c: &Value) -> String {
    let s = |v: &Value| match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "none".to_string(),
        v => v.to_string(),
    };
    match c["field"].as_str() {
        Some("conflict") => format!(
            "one MMSI reporting from two places {:.0} km apart, back and forth ({} jumps)",
            c["distance_m"].as_f64().unwrap_or(0.0) / 1000.0,
            c["switches"]
        ),
        Some("flag") => format!(
            "IMO {} now under this MMSI, flag {} (was MMSI {}, flag {})",
            c["imo"],
            s(&c["to"]),
            c["previous_mmsi"],
            s(&c["from"])
        ),
        Some(f) => format!(
            "{} changed from {} to {}",
            f.replace('_', " "),
            s(&c["from"]),
            s(&c["to"])
        ),
        None => "identity changed".to_string(),
    }
}

/// Attribute changes from `before` to `after` (fields known on both sides).
fn attribute_changes(before: &StaticInfo, after: &StaticInfo) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: Value, b: Value| {
        if !a.is_null() && !b.is_null() && a != b {
            out.push(json!({ "field": field, "from": a, "to": b }));
        }
    };
    cmp("name", json!(before.name), json!(after.name));
    cmp("callsign", json!(before.callsign), json!(after.callsign));
    cmp("imo", json!(before.imo), json!(after.imo));
    cmp("ship_type", json!(before.ship_type), json!(after.ship_type));
    out
}

impl Detectors {
    /// The first zone of `place` running the identity-change detector.
    fn ident_zone(&self, place: &Place) -> Option<(u16, IdentityChangeParams)> {
        place.zones.iter().find_map(|&z| {
            self.resolved[usize::from(z)]
                .identity_change
                .map(|p| (z, p))
        })
    }

    /// New static data of `mmsi` at `t` (the track store holds it already;
    /// `before` is what it held before). Only vessels in a zone count.
    pub fn static_data(
        &mut self,
        mmsi: Mmsi,
        before: Option<&crate::track::StaticInfo>,
        t: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let Some(v) = self.vessels.get(&mmsi) else {
            return;
        };
        let Some((zone, p)) = self.ident_zone(&v.place) else {
            return;
        };
        let pos = v.last.as_ref().map_or((0.0, 0.0), |f| (f.lon, f.lat));
        let Some(vessel) = tracks.get(mmsi) else {
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
                    changes.push(json!({"field": "flag", "from": f0, "to": f1,
                        "imo": imo, "previous_mmsi": m0.0}));
                }
            }
        }
        let grace = ms(p.grace);
        for c in changes {
            let Some(v) = self.vessels.get_mut(&mmsi) else {
                return;
            };
            v.id_track.changes += 1;
            if v.id_track.changes == 1 && c["field"] != "flag" && t - vessel.first_seen < grace {
                v.id_track.correction =
                    Some(json!({ "change": c, "after_s": (t - vessel.first_seen) / 1000 }));
                continue;
            }
            self.raise_ident(mmsi, zone, &p, c, t, pos, tracks, out);
        }
    }

    /// Identity conflict: reports alternating between two places no vessel
    /// could join. Called with every position report.
    pub(super) fn identity_conflict(
        &mut self,
        mmsi: Mmsi,
        step: Option<Step>,
        fix: &Fix,
        place: &Place,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let Some((zone, p)) = self.ident_zone(place) else {
            return;
        };
        let Some(Step { from: prev, m: d }) = step else {
            return;
        };
        let stale = ms(self.cfg.stale_after);
        let jump_min = self.cfg.jump_min_m.max(p.min_distance_m);
        // Whether a vessel could go `d` metres from `a` to `b`.
        let reach = |a: &Fix, b: &Fix, d: f64| {
            let dt = (b.time - a.time) as f64 / 1000.0;
            d <= jump_min || (dt > 0.0 && d / dt * KN_PER_MPS <= p.max_speed_kn)
        };
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let tr = &mut v.id_track;
        if tr.twin.as_ref().is_some_and(|t| fix.time - t.time > stale) {
            tr.twin = None;
            tr.switches = 0;
        }
        if reach(prev, fix, d) {
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
        let c = json!({
            "field": "conflict",
            "places": [[prev.lon, prev.lat], [fix.lon, fix.lat]],
            "distance_m": d.round(),
            "switches": tr.switches,
            "since_s": (fix.time - tr.twin_since) / 1000,
        });
        self.raise_ident(mmsi, zone, &p, c, fix.time, (fix.lon, fix.lat), tracks, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn raise_ident(
        &mut self,
        mmsi: Mmsi,
        zone: u16,
        p: &IdentityChangeParams,
        change: Value,
        t: Millis,
        pos: (f64, f64),
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let update = ms(self.cfg.update_every);
        let z = &self.zones.zones()[usize::from(zone)];
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let conflict = change["field"] == "conflict";
        let state = match &mut v.ident {
            Some(i) => {
                let repeat = conflict && i.conflict;
                i.last_change = t;
                i.count += 1;
                i.conflict |= conflict;
                if repeat {
                    // Every report of a conflict alternates: counted, sent
                    // at most every `update_every`.
                    if let Some(c) = i.changes.iter_mut().find(|c| c["field"] == "conflict") {
                        *c = change.clone();
                    }
                    if t - i.last_sent < update {
                        return;
                    }
                } else if i.changes.len() < MAX_CHANGES {
                    i.changes.push(change.clone());
                }
                i.last_sent = t;
                State::Update
            }
            None => {
                let quiet = ms(p.quiet);
                v.ident = Some(Ident {
                    zone,
                    id: Alert::make_id(Kind::IdentityChange, &z.id, &[mmsi], t),
                    started: t,
                    last_change: t,
                    count: 1,
                    last_sent: t,
                    changes: vec![change.clone()],
                    conflict,
                    quiet,
                });
                self.heap.push(Reverse((
                    t.saturating_add(quiet),
                    Task::IdentQuiet(mmsi, t),
                )));
                State::Open
            }
        };
        let Some(i) = v.ident.as_ref() else { return };
        let info = VesselInfo::from_store(tracks, mmsi);
        out.push(Alert {
            id: i.id.clone(),
            kind: Kind::IdentityChange,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at: t,
            started_at: i.started,
            ended_at: None,
            lat: pos.1,
            lon: pos.0,
            summary: format!(
                "{}: {} in {} ({} identity change{} so far).",
                info.label(),
                describe(&change),
                z.name.as_deref().unwrap_or(&z.id),
                i.count,
                if i.count == 1 { "" } else { "s" }
            ),
            vessels: vec![info],
            details: json!({
                "change": change,
                "changes": i.changes,
                "count": i.count,
                "correction": v.id_track.correction,
                "grace_s": p.grace.as_secs(),
                "max_speed_kn": p.max_speed_kn,
                "min_switches": p.min_switches,
                "min_distance_m": p.min_distance_m,
                "quiet_s": p.quiet.as_secs(),
                "reason": null,
            }),
        });
    }

    pub(super) fn check_ident_quiet(
        &mut self,
        mmsi: Mmsi,
        _last: Millis,
        now: Millis,
        tracks: &TrackStore,
        out: &mut Vec<Alert>,
    ) {
        let Some(v) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        let Some(i) = &v.ident else { return };
        // One pending check per alert: it moves itself to the last change + quiet.
        let due = i.last_change.saturating_add(i.quiet);
        if due > now {
            let last = i.last_change;
            self.heap.push(Reverse((due, Task::IdentQuiet(mmsi, last))));
            return;
        }
        let Some(i) = v.ident.take() else { return };
        let last = v.last.clone();
        out.push(self.ident_closed(mmsi, i, last.as_ref(), now, None, tracks));
    }

    /// The close of an identity-change alert: quiet for `quiet` (no
    /// `reason`), or ended for `reason` (e.g. [`super::REASON_FORGOTTEN`]).
    pub(super) fn ident_closed(
        &self,
        mmsi: Mmsi,
        i: Ident,
        last: Option<&Fix>,
        now: Millis,
        reason: Option<&str>,
        tracks: &TrackStore,
    ) -> Alert {
        let z = &self.zones.zones()[usize::from(i.zone)];
        let info = VesselInfo::from_store(tracks, mmsi);
        let (lon, lat) = last.map_or((0.0, 0.0), |f| (f.lon, f.lat));
        let quiet = human_duration(now.saturating_sub(i.last_change));
        let summary = match reason {
            None => format!(
                "{}: no further identity change for {} ({} in all).",
                info.label(),
                quiet,
                i.count
            ),
            Some(r) => format!(
                "{}: ended: {} after {} without an identity change ({} in all).",
                info.label(),
                r.replace('_', " "),
                quiet,
                i.count
            ),
        };
        Alert {
            id: i.id,
            kind: Kind::IdentityChange,
            state: State::Closed,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            centre: z.centres.clone(),
            at: now,
            started_at: i.started,
            ended_at: Some(i.last_change),
            lat,
            lon,
            summary,
            vessels: vec![info],
            details: json!({
                "changes": i.changes,
                "count": i.count,
                "quiet_s": i.quiet / 1000,
                "reason": reason.unwrap_or("quiet"),
            }),
        }
    }
}
