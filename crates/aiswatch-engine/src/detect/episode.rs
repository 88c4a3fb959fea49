//! The life of an episode, the same for every detector that watches one
//! (loitering, rendezvous, fishing, drifting): pending (no alert yet) →
//! open once it has lasted `min_duration` → updated every `update_every`
//! → suspended while its vessels are silent → closed. Its alert id is made
//! once, from the kind, zone, vessels and start, when it opens.
//!
//! An event interrupted by silence is one event, one alert: it is only
//! *suspended* while the silence lasts (its alert stays open, with no
//! updates), and it goes on under the same alert id when the vessel is
//! heard again within `resume_within`, still slow, and no further from
//! where it fell silent than its speed limit allows over the silence (its
//! drift distance). Otherwise it ends "contact lost" at its last report.
//! The silences are counted in the alert's `details`.
//!
//! Alerts about anomalies rather than episodes (spoofing, identity change)
//! share a simpler life ([`Quiet`]): open at the first anomaly, updated at
//! most every `update_every`, closed after a quiet period without another.

use serde::{Deserialize, Serialize};

use super::{haversine, ms, DetectConfig, Fix, KN_PER_MPS};
use crate::alert::{Alert, Kind, State};
use crate::track::Mmsi;
use aiswatch_core::ids::AlertId;
use aiswatch_core::time::Millis;

/// An episode: when it began, its alert once open, its next check and the
/// silences it went through.
#[derive(Debug, Clone)]
pub(super) struct Episode {
    pub(super) since: Millis,
    pub(super) alert: Option<AlertId>,
    /// When its one live check is due: a check due at another time has
    /// been superseded (a resumption checks at once).
    pub(super) check_at: Millis,
    /// Silences it went on after.
    pub(super) silences: Silences,
}

/// What a due check finds about an episode's vessels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Contact {
    /// Heard within `stale_after`: the episode goes on.
    Heard,
    /// Silent, but not for `resume_within` yet: suspended until then.
    Suspended { until: Millis },
    /// Silent too long: the episode ends "contact lost".
    Lost,
}

impl Episode {
    /// An episode beginning at `since`, first checked at `check_at`.
    pub(super) fn new(since: Millis, check_at: Millis) -> Episode {
        Episode {
            since,
            alert: None,
            check_at,
            silences: Silences::default(),
        }
    }

    /// Whether its vessels are still heard at `now`, silent since
    /// `quiet_since`: a silence over `stale` suspends the episode until
    /// `within` after `quiet_since`, and ends it after that.
    pub(super) fn contact(
        now: Millis,
        quiet_since: Millis,
        stale: Millis,
        within: Millis,
    ) -> Contact {
        let silent = now - quiet_since;
        if silent <= stale {
            Contact::Heard
        } else if silent < within {
            Contact::Suspended {
                until: quiet_since.saturating_add(within),
            }
        } else {
            Contact::Lost
        }
    }

    /// Opens its alert (`kind`, in zone `zone_id`, about `mmsi`) or updates
    /// it; its next check is at `next`. Returns the alert's state and id.
    pub(super) fn raise(
        &mut self,
        kind: Kind,
        zone_id: &str,
        mmsi: &[Mmsi],
        next: Millis,
    ) -> (State, AlertId) {
        self.check_at = next;
        match &self.alert {
            Some(id) => (State::Update, id.clone()),
            None => {
                let id = Alert::make_id(kind, zone_id, mmsi, self.since);
                self.alert = Some(id.clone());
                (State::Open, id)
            }
        }
    }
}

/// An alert of anomalies: opened by the first, counted on by the next,
/// closed after a quiet period without another.
#[derive(Debug)]
pub(super) struct Quiet {
    pub(super) zone: u16,
    pub(super) id: AlertId,
    pub(super) started: Millis,
    /// Time of the last anomaly.
    pub(super) last: Millis,
    /// Anomalies so far.
    pub(super) count: u32,
    /// When the alert last went out.
    pub(super) last_sent: Millis,
}

impl Quiet {
    /// Opened at `t` by an anomaly (`kind`) in zone `zone` (`zone_id`).
    pub(super) fn open(kind: Kind, zone: u16, zone_id: &str, mmsi: Mmsi, t: Millis) -> Quiet {
        Quiet {
            zone,
            id: Alert::make_id(kind, zone_id, &[mmsi], t),
            started: t,
            last: t,
            count: 1,
            last_sent: t,
        }
    }

    /// Another anomaly at `t`.
    pub(super) fn again(&mut self, t: Millis) {
        self.last = t;
        self.count += 1;
    }

    /// Whether an update goes out at `t` (at most every `update`); if so,
    /// it is the last sent.
    pub(super) fn send(&mut self, t: Millis, update: Millis) -> bool {
        if t - self.last_sent < update {
            return false;
        }
        self.last_sent = t;
        true
    }
}

/// Silences an event went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Silences {
    /// How many.
    pub(super) count: u32,
    /// Their total length, ms.
    pub(super) total_ms: Millis,
    /// The longest, ms.
    pub(super) longest_ms: Millis,
}

impl Silences {
    pub(super) fn add(&mut self, gap: Millis) {
        self.count += 1;
        self.total_ms = self.total_ms.saturating_add(gap);
        self.longest_ms = self.longest_ms.max(gap);
    }

    /// The `silences` figures of the alert's details.
    pub(super) fn details(&self) -> SilenceDetails {
        SilenceDetails {
            count: self.count,
            longest_s: self.longest_ms / 1000,
            total_s: self.total_ms / 1000,
        }
    }

    /// A clause for the summary ("" when there was none).
    pub(super) fn clause(&self) -> crate::alert::Arg {
        use crate::alert::{Arg, Message};
        match self.count {
            0 => Arg::Text(String::new()),
            n => Arg::Message(
                Message::new("silences-clause")
                    .int("count", i64::from(n))
                    .duration("longest", self.longest_ms),
            ),
        }
    }
}

/// The silences an episode went on after, in its alert's details
/// (`silences`). Fields in JSON key order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceDetails {
    /// How many.
    pub count: u32,
    /// The longest, seconds.
    pub longest_s: i64,
    /// Their total length, seconds.
    pub total_s: i64,
}

/// What a report after a silence does to an event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Resume {
    /// No silence since the previous report (at most `stale_after`).
    NoSilence,
    /// A silence of this long, after which the event goes on.
    Continues(Millis),
    /// A silence after which it does not: too long, or the vessel has
    /// moved further than its speed limit allows over it.
    Ends,
}

/// Limits of a resumption.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResumeRule {
    /// A gap longer than this is a silence (`stale_after`).
    pub(super) stale: Millis,
    /// A silence longer than this ends the event (`resume_within`).
    pub(super) within: Millis,
    /// The event's speed limit plus hysteresis, knots.
    pub(super) max_kn: f64,
}

impl ResumeRule {
    /// The rule for resuming an event after a silence, with speed limit `max_kn`.
    pub(super) fn new(cfg: &DetectConfig, max_kn: f64) -> ResumeRule {
        ResumeRule {
            stale: ms(cfg.stale_after),
            within: ms(cfg.resume_within),
            max_kn: max_kn + cfg.speed_hysteresis_kn,
        }
    }

    /// Judges `fix`, heard after `prev` (the vessel's previous report),
    /// for an event still going on. `slow` is the report's own verdict
    /// (`Some(false)`: fast).
    pub(super) fn judge(&self, prev: Option<&Fix>, fix: &Fix, slow: Option<bool>) -> Resume {
        let Some(p) = prev else {
            return Resume::NoSilence;
        };
        let gap = fix.time - p.time;
        if gap <= self.stale {
            return Resume::NoSilence;
        }
        if gap > self.within || slow == Some(false) {
            return Resume::Ends;
        }
        // The drift distance: what the speed limit allows over the silence.
        let drift_m = haversine(p.lon, p.lat, fix.lon, fix.lat);
        let allowed_m = self.max_kn / KN_PER_MPS * (gap as f64 / 1000.0);
        if drift_m <= allowed_m {
            Resume::Continues(gap)
        } else {
            Resume::Ends
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(t: Millis, lon: f64) -> Fix {
        Fix::new(lon, 4.0, t, None, None)
    }

    #[test]
    fn silence_continues_only_when_short_enough_slow_and_within_drift() {
        const H: Millis = 3_600_000;
        let rule = ResumeRule {
            stale: H / 2,
            within: 6 * H,
            max_kn: 2.5,
        };
        let p = fix(0, 3.0);
        // 10 min later: not a silence.
        assert_eq!(
            rule.judge(Some(&p), &fix(H / 6, 3.0), Some(true)),
            Resume::NoSilence
        );
        // 3 h later, 0.05° (5.5 km) away: 1 nm/h allowed 7.5 nm, so it goes on.
        assert_eq!(
            rule.judge(Some(&p), &fix(3 * H, 3.05), None),
            Resume::Continues(3 * H)
        );
        // 3 h later, 0.3° (33 km) away: too far for 2.5 kn.
        assert_eq!(rule.judge(Some(&p), &fix(3 * H, 3.3), None), Resume::Ends);
        // Back under way, or after too long.
        assert_eq!(
            rule.judge(Some(&p), &fix(3 * H, 3.0), Some(false)),
            Resume::Ends
        );
        assert_eq!(
            rule.judge(Some(&p), &fix(7 * H, 3.0), Some(true)),
            Resume::Ends
        );
        let mut s = Silences::default();
        s.add(3 * H);
        s.add(H);
        assert_eq!(s.details().longest_s, 3 * 3600);
        assert_eq!(s.details().total_s, 4 * 3600);
        let crate::alert::Arg::Message(m) = s.clause() else {
            panic!("no clause for two silences");
        };
        let text = crate::alert::english(&m);
        assert_eq!(text, "; went on after 2 AIS silences (longest 3h 00m)");
    }
}
