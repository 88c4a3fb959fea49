//! Events interrupted by silence: one event, one alert.
//!
//! A loitering vessel, or a rendezvous pair, that falls silent for longer
//! than `stale_after` used to end with "contact lost", and the next report
//! from the same spot began a new event under a new alert: on sparse feeds
//! (positions hours apart) one wait of days became several alerts. Now the
//! event is only *suspended* while the silence lasts (its alert stays open,
//! with no updates), and it goes on under the same alert id when the vessel
//! is heard again within `resume_within`, still slow, and no further from
//! where it fell silent than its speed limit allows over the silence (its
//! drift distance). Otherwise it ends "contact lost" at its last report.
//! The silences are counted in the alert's `details`.

use serde_json::{json, Value};

use super::{haversine, ms, DetectConfig, Fix, KN_PER_MPS};
use aiswatch_core::time::Millis;

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

    /// The `details` fields.
    pub(super) fn details(&self) -> Value {
        json!({
            "count": self.count,
            "total_s": self.total_ms / 1000,
            "longest_s": self.longest_ms / 1000,
        })
    }

    /// A clause for the summary ("" when there was none).
    pub(super) fn clause(&self) -> String {
        match self.count {
            0 => String::new(),
            1 => format!(
                "; went on after {} of AIS silence",
                crate::alert::human_duration(self.longest_ms)
            ),
            n => format!(
                "; went on after {n} AIS silences (longest {})",
                crate::alert::human_duration(self.longest_ms)
            ),
        }
    }
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
        Fix {
            lon,
            lat: 4.0,
            time: t,
            sog: None,
            cog: None,
            speed: None,
        }
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
        assert_eq!(s.details()["longest_s"], 3 * 3600);
        assert_eq!(s.details()["total_s"], 4 * 3600);
        assert!(s.clause().contains("2 AIS silences"), "{}", s.clause());
    }
}
