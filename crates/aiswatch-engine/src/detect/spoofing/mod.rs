//! Spoofing: impossible jumps (or two places at once) and invalid ship
//! MMSIs in a zone. Anomalies of a vessel are one alert, closed after
//! `spoofing_quiet` without another.

use ahash::{AHashMap, AHashSet};

use super::context::{Context, Key, Report};
use super::episode::Quiet;
use super::registry::{Defaults, Detector, Memory, Reload, ZoneParams};
use super::{ms, shrink, DetectConfig, Fix, Step, KN_PER_MPS, REASON_FORGOTTEN};
use crate::alert::{english, message, Alert, Kind, Message, State, VesselInfo};
use crate::track::Mmsi;
use aiswatch_core::time::Millis;
use aiswatch_zones::ZoneSet;

mod params;
pub(super) use params::{Params, SPEC};

mod details;
pub use details::{Anomaly, AnomalyReason, Details};

/// The spoofing detector: per vessel in a spoofing zone, whether its MMSI
/// was checked and its open alert.
#[derive(Debug, Default)]
pub(crate) struct Spoofing {
    params: ZoneParams<Params>,
    vessels: AHashMap<Mmsi, SpoofState>,
}

#[derive(Debug, Default)]
struct SpoofState {
    /// Its invalid MMSI was reported (once per vessel, not on every report).
    checked: bool,
    open: Option<Quiet>,
}

impl Detector for Spoofing {
    fn configure(&mut self, zones: &ZoneSet, defaults: &Defaults) {
        self.params = ZoneParams::new(Kind::Spoofing, zones, defaults);
    }

    fn memory(&self, cfg: &DetectConfig) -> Memory {
        Memory {
            episode: std::time::Duration::ZERO,
            quiet: cfg.spoofing_quiet,
        }
    }

    fn before_position(&mut self, cx: &mut Context, r: &Report) {
        self.report(cx, r);
    }

    fn due(&mut self, cx: &mut Context, key: Key, _due: Millis) {
        let mmsi = key.vessel;
        let Some(st) = self.vessels.get_mut(&mmsi) else {
            return;
        };
        if st.open.as_ref().is_none_or(|s| s.last != key.at) {
            return;
        }
        let Some(s) = st.open.take() else { return };
        let alert = spoof_closed(cx, mmsi, s, None);
        cx.out.push(alert);
    }

    fn forget(&mut self, cx: &mut Context, mmsi: Mmsi) {
        if let Some(s) = self.vessels.remove(&mmsi).and_then(|st| st.open) {
            let alert = spoof_closed(cx, mmsi, s, Some(REASON_FORGOTTEN));
            cx.out.push(alert);
        }
    }

    fn forgotten(&mut self, _dropped: &AHashSet<Mmsi>) {
        shrink(&mut self.vessels);
    }

    fn unwatch(&mut self, cx: &mut Context, reload: &Reload) {
        for (&mmsi, st) in self.vessels.iter_mut() {
            let Some(reason) = st.open.as_ref().and_then(|s| reload.ends(s.zone, Kind::Spoofing)) else {
                continue;
            };
            let Some(s) = st.open.take() else { continue };
            let alert = spoof_unwatched(cx, mmsi, s, reason);
            cx.out.push(alert);
        }
    }

    fn remap(&mut self, reload: &Reload) {
        for s in self.vessels.values_mut().filter_map(|st| st.open.as_mut()) {
            s.zone = reload.zone(s.zone);
        }
    }

    #[cfg(test)]
    fn holds(&self, mmsi: Mmsi) -> bool {
        self.vessels.contains_key(&mmsi)
    }
}

impl Spoofing {
    fn report(&mut self, cx: &mut Context, r: &Report) {
        let (mmsi, step, fix) = (r.mmsi, r.step, r.fix);
        let zone = r
            .place
            .zones
            .iter()
            .chain(&r.prev_place.zones)
            .find_map(|&z| self.params.get(z).map(|p| (z, *p)));
        let Some((zone, p)) = zone else { return };
        let mut why = None;
        // An invalid MMSI is reported once per vessel, not on every report.
        let invalid = !valid_ship_mmsi(mmsi);
        if invalid && self.vessels.get(&mmsi).is_none_or(|st| !st.checked) {
            why = Some(Anomaly {
                distance_m: None,
                from: None,
                implied_speed_kn: None,
                max_speed_kn: None,
                mmsi: Some(mmsi.0),
                reason: AnomalyReason::InvalidMmsi,
                seconds: None,
                to: None,
            });
        }
        if let Some(Step { from: prev, m: d }) = step {
            let dt_s = (fix.time - prev.time) as f64 / 1000.0;
            if d > cx.cfg.jump_min_m {
                let implied = if dt_s > 0.0 {
                    d / dt_s * KN_PER_MPS
                } else {
                    f64::INFINITY
                };
                if implied > p.max_speed_kn {
                    why = Some(Anomaly {
                        distance_m: Some(d.round()),
                        from: Some([prev.lon, prev.lat]),
                        implied_speed_kn: Some(
                            implied.is_finite().then(|| (implied * 10.0).round() / 10.0),
                        ),
                        max_speed_kn: Some(p.max_speed_kn),
                        mmsi: None,
                        reason: if dt_s <= 0.0 {
                            AnomalyReason::TwoPlacesAtOnce
                        } else {
                            AnomalyReason::ImpossibleJump
                        },
                        seconds: Some(dt_s),
                        to: Some([fix.lon, fix.lat]),
                    });
                }
            }
        }
        let Some(why) = why else { return };
        let st = self.vessels.entry(mmsi).or_default();
        st.checked |= invalid;
        let quiet = ms(cx.cfg.spoofing_quiet);
        let update = cx.update_every();
        let z = cx.zone(zone);
        let (state, id, started, count) = match &mut st.open {
            Some(s) => {
                s.again(fix.time);
                if !s.send(fix.time, update) {
                    return; // counted; an update goes out at most every `update_every`
                }
                (State::Update, s.id.clone(), s.started, s.count)
            }
            None => {
                let s = Quiet::open(Kind::Spoofing, zone, &z.id, mmsi, fix.time);
                let id = s.id.clone();
                st.open = Some(s);
                (State::Open, id, fix.time, 1)
            }
        };
        let info = VesselInfo::from_store(cx.tracks, mmsi);
        let reason = why.reason.words();
        let summary = message("spoofing-open", &info, z.name.as_deref().unwrap_or(&z.id))
            .word("anomaly", format!("anomaly-{}", reason.replace(' ', "-")), reason)
            .int("count", i64::from(count));
        let alert = Alert {
            id,
            kind: Kind::Spoofing,
            state,
            mmsi: vec![mmsi],
            zone: z.id.clone(),
            zone_name: z.name.clone(),
            zone_version: None,
            centre: z.centres.clone(),
            at: fix.time,
            started_at: started,
            ended_at: None,
            lat: fix.lat,
            lon: fix.lon,
            summary: english(&summary),
            message: Some(summary),
            vessels: vec![info],
            details: crate::alert::Details::Spoofing(Details {
                anomalies: Some(count),
                anomaly: Some(why),
                reason: None,
            }),
        };
        cx.schedule(fix.time.saturating_add(quiet), Key::at(mmsi, fix.time));
        cx.out.push(alert);
    }
}

/// The close of a spoofing alert at `cx.now`: quiet for `spoofing_quiet`
/// (no `reason`), or ended for `reason` (e.g. [`super::REASON_FORGOTTEN`]).
fn spoof_closed(cx: &Context, mmsi: Mmsi, s: Quiet, reason: Option<&str>) -> Alert {
    let now = cx.now;
    let z = cx.zone(s.zone);
    let info = VesselInfo::from_store(cx.tracks, mmsi);
    let (lon, lat) = cx.last(mmsi).map_or((0.0, 0.0), |f: &Fix| (f.lon, f.lat));
    let summary = match reason {
        None => Message::new("spoofing-quiet"),
        Some(r) => Message::new("spoofing-ended").arg("reason", crate::alert::reason(r)),
    }
    .text("vessel", info.label())
    .duration("quiet", now.saturating_sub(s.last))
    .int("count", i64::from(s.count));
    let details = crate::alert::Details::Spoofing(Details {
        anomalies: Some(s.count),
        anomaly: None,
        reason: reason.map(String::from),
    });
    Alert {
        id: s.id,
        kind: Kind::Spoofing,
        state: State::Closed,
        mmsi: vec![mmsi],
        zone: z.id.clone(),
        zone_name: z.name.clone(),
        zone_version: None,
        centre: z.centres.clone(),
        at: now,
        started_at: s.started,
        ended_at: Some(s.last),
        lat,
        lon,
        summary: english(&summary),
        message: Some(summary),
        vessels: vec![info],
        details,
    }
}

/// The close of a spoofing alert whose zone, or its spoofing watch, a
/// reload removed (`reason`).
fn spoof_unwatched(cx: &Context, mmsi: Mmsi, s: Quiet, reason: &str) -> Alert {
    let z = cx.zone(s.zone);
    let info = || VesselInfo::from_store(cx.tracks, mmsi);
    let pos = cx.last(mmsi).map_or((0.0, 0.0), |f| (f.lon, f.lat));
    let summary = message("spoofing-unwatched", &info(), z.name.as_deref().unwrap_or(&z.id))
        .arg("reason", crate::alert::reason(reason))
        .int("count", i64::from(s.count));
    Alert {
        id: s.id,
        kind: Kind::Spoofing,
        state: State::Closed,
        mmsi: vec![mmsi],
        zone: z.id.clone(),
        zone_name: z.name.clone(),
        zone_version: None,
        centre: z.centres.clone(),
        at: cx.now,
        started_at: s.started,
        ended_at: Some(s.last),
        lat: pos.1,
        lon: pos.0,
        summary: english(&summary),
        message: Some(summary),
        vessels: vec![info()],
        details: crate::alert::Details::Spoofing(Details {
            anomalies: Some(s.count),
            anomaly: None,
            reason: Some(reason.to_owned()),
        }),
    }
}

/// Ship-station MMSIs have nine digits and an assigned MID; SAR aircraft
/// (111…), auxiliary craft (98…) and AIS-SART/MOB/EPIRB (970–974…) are valid
/// non-ship identities.
pub fn valid_ship_mmsi(m: Mmsi) -> bool {
    match m.0 {
        111_000_000..=111_999_999 | 970_000_000..=974_999_999 | 980_000_000..=989_999_999 => true,
        200_000_000..=799_999_999 => crate::track::flag::flag_of(m).is_some(),
        _ => false,
    }
}
