//! Which detectors run in a zone, with which thresholds.
//!
//! A zone's `detect` object only *overrides*: every threshold is an `Option`
//! and [`ZoneDetect::resolve`] fills the gaps from the config's
//! [`DetectorDefaults`]. A detector absent from `detect` does not run in the
//! zone at all.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::load::{describe, Issue};
use super::params::*;
use super::ZoneKind;

/// The detectors a zone can enable, as spelled in `detect`.
pub const DETECTORS: [&str; 7] = [
    "dark_period",
    "loitering",
    "rendezvous",
    "spoofing",
    "identity_change",
    "fishing",
    "drifting",
];

/// Per-zone detector selection and threshold overrides, as written in the
/// zone file. `None` for a detector means it does not run in the zone;
/// `None` for a threshold means "use the config default".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ZoneDetect {
    /// AIS silence longer than `min_gap`.
    pub dark_period: Option<DarkPeriodCfg>,
    /// A vessel slower than `max_speed_kn` for at least `min_duration`.
    pub loitering: Option<LoiteringCfg>,
    /// Two vessels within `max_distance_m`, both slower than `max_speed_kn`,
    /// for at least `min_duration`.
    pub rendezvous: Option<RendezvousCfg>,
    /// Implied speed between consecutive positions above `max_speed_kn`.
    pub spoofing: Option<SpoofingCfg>,
    /// Name, call sign, IMO, ship type or flag changing, or one MMSI
    /// reporting from two places at once.
    pub identity_change: Option<IdentityChangeCfg>,
    /// Fishing (declared, or trawling-like motion) in a `closed_area`.
    pub fishing: Option<FishingCfg>,
    /// Heading and course apart by 45–135° while moving (AMSA's drift rule).
    pub drifting: Option<DriftingCfg>,
}

/// Zone overrides for the identity-change detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdentityChangeCfg {
    /// A vessel's first change this soon after it is first heard is a
    /// correction at the start of a voyage, not an alert.
    #[serde(with = "humantime_serde")]
    pub grace: Option<Duration>,
    /// Implied speed (knots) above which two positions cannot be one vessel.
    pub max_speed_kn: Option<f64>,
    /// Jumps back and forth between two places that make an identity conflict.
    pub min_switches: Option<u32>,
    /// Two places closer than this (metres) are never a conflict.
    pub min_distance_m: Option<f64>,
    /// The alert closes after this long without another change.
    #[serde(with = "humantime_serde")]
    pub quiet: Option<Duration>,
}

/// Zone overrides for the fishing (closed area) detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FishingCfg {
    /// Lowest fishing speed, knots.
    pub min_speed_kn: Option<f64>,
    /// Highest fishing speed, knots.
    pub max_speed_kn: Option<f64>,
    /// How long it must fish before an alert.
    #[serde(with = "humantime_serde")]
    pub min_duration: Option<Duration>,
    /// Course changes per hour that make undeclared motion fishing-like.
    pub min_turns_per_h: Option<f64>,
    /// A course change of at least this many degrees counts as a turn.
    pub turn_deg: Option<f64>,
}

/// Zone overrides for the drifting detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DriftingCfg {
    /// Lowest drifting speed, knots.
    pub min_speed_kn: Option<f64>,
    /// Highest drifting speed, knots.
    pub max_speed_kn: Option<f64>,
    /// Smallest |heading − course|, degrees.
    pub min_angle_deg: Option<f64>,
    /// Largest |heading − course|, degrees.
    pub max_angle_deg: Option<f64>,
    /// How long it must drift before an alert.
    #[serde(with = "humantime_serde")]
    pub min_duration: Option<Duration>,
}

/// Zone overrides for the dark-period (AIS gap) detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DarkPeriodCfg {
    /// Shortest silence that is alerted.
    #[serde(with = "humantime_serde")]
    pub min_gap: Option<Duration>,
}

/// Zone overrides for the loitering detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoiteringCfg {
    /// Speed (knots) at or below which a vessel counts as loitering.
    pub max_speed_kn: Option<f64>,
    /// How long it must loiter before an alert.
    #[serde(with = "humantime_serde")]
    pub min_duration: Option<Duration>,
}

/// Zone overrides for the rendezvous (ship-to-ship encounter) detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RendezvousCfg {
    /// Greatest distance (metres) between the two vessels.
    pub max_distance_m: Option<f64>,
    /// Speed (knots) both must stay at or below.
    pub max_speed_kn: Option<f64>,
    /// How long they must stay together before an alert.
    #[serde(with = "humantime_serde")]
    pub min_duration: Option<Duration>,
}

/// Zone overrides for the position-spoofing (impossible jump) detector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpoofingCfg {
    /// Implied speed (knots) above which a jump is suspicious.
    pub max_speed_kn: Option<f64>,
}

/// Thresholds used where a zone does not override them; meant to be a table
/// of the config file (e.g. `[detect.loitering] max_speed_kn = 2.0`). Every
/// field has a default, so an empty table is valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorDefaults {
    /// Dark-period defaults.
    pub dark_period: DarkPeriodParams,
    /// Loitering defaults.
    pub loitering: LoiteringParams,
    /// Rendezvous defaults.
    pub rendezvous: RendezvousParams,
    /// Spoofing defaults.
    pub spoofing: SpoofingParams,
    /// Identity-change defaults.
    pub identity_change: IdentityChangeParams,
    /// Fishing defaults.
    pub fishing: FishingParams,
    /// Drifting defaults.
    pub drifting: DriftingParams,
}

impl DetectorDefaults {
    /// Checks that every speed and distance is a positive finite number and
    /// every duration is non-zero: one message per bad field (empty when
    /// every value can work), e.g.
    /// `loitering.max_speed_kn: must be a positive number, found -1`.
    pub fn problems(&self) -> Vec<String> {
        let mut bad = Vec::new();
        let mut num = |name: &str, v: f64| {
            if !(v.is_finite() && v > 0.0) {
                bad.push(format!("{name}: must be a positive number, found {v}"));
            }
        };
        num("loitering.max_speed_kn", self.loitering.max_speed_kn);
        num("rendezvous.max_distance_m", self.rendezvous.max_distance_m);
        num("rendezvous.max_speed_kn", self.rendezvous.max_speed_kn);
        num("spoofing.max_speed_kn", self.spoofing.max_speed_kn);
        num(
            "identity_change.max_speed_kn",
            self.identity_change.max_speed_kn,
        );
        num(
            "identity_change.min_distance_m",
            self.identity_change.min_distance_m,
        );
        let (f, d) = (&self.fishing, &self.drifting);
        num("fishing.min_speed_kn", f.min_speed_kn);
        num("fishing.max_speed_kn", f.max_speed_kn);
        num("fishing.min_turns_per_h", f.min_turns_per_h);
        num("fishing.turn_deg", f.turn_deg);
        num("drifting.min_speed_kn", d.min_speed_kn);
        num("drifting.max_speed_kn", d.max_speed_kn);
        num("drifting.min_angle_deg", d.min_angle_deg);
        num("drifting.max_angle_deg", d.max_angle_deg);
        for (name, lo, hi) in [
            ("fishing", f.min_speed_kn, f.max_speed_kn),
            ("drifting", d.min_speed_kn, d.max_speed_kn),
            ("drifting angle", d.min_angle_deg, d.max_angle_deg),
        ] {
            if lo >= hi {
                bad.push(format!("{name}: minimum {lo} must be below maximum {hi}"));
            }
        }
        if self.identity_change.min_switches < 2 {
            bad.push(format!(
                "identity_change.min_switches: must be at least 2, found {}",
                self.identity_change.min_switches
            ));
        }
        for (name, d) in [
            ("dark_period.min_gap", self.dark_period.min_gap),
            ("loitering.min_duration", self.loitering.min_duration),
            ("rendezvous.min_duration", self.rendezvous.min_duration),
            ("identity_change.quiet", self.identity_change.quiet),
            ("fishing.min_duration", self.fishing.min_duration),
            ("drifting.min_duration", self.drifting.min_duration),
        ] {
            if d.is_zero() {
                bad.push(format!("{name}: must be greater than zero"));
            }
        }
        bad
    }
}

/// The detectors that run in one zone, with concrete thresholds; `None` for a
/// detector that does not run there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ResolvedDetect {
    /// Dark-period thresholds, if the detector runs.
    pub dark_period: Option<DarkPeriodParams>,
    /// Loitering thresholds, if the detector runs.
    pub loitering: Option<LoiteringParams>,
    /// Rendezvous thresholds, if the detector runs.
    pub rendezvous: Option<RendezvousParams>,
    /// Spoofing thresholds, if the detector runs.
    pub spoofing: Option<SpoofingParams>,
    /// Identity-change thresholds, if the detector runs.
    pub identity_change: Option<IdentityChangeParams>,
    /// Fishing thresholds, if the detector runs.
    pub fishing: Option<FishingParams>,
    /// Drifting thresholds, if the detector runs.
    pub drifting: Option<DriftingParams>,
}

impl ZoneDetect {
    /// True when no detector runs in the zone.
    pub fn is_empty(&self) -> bool {
        self.dark_period.is_none()
            && self.loitering.is_none()
            && self.rendezvous.is_none()
            && self.spoofing.is_none()
            && self.identity_change.is_none()
            && self.fishing.is_none()
            && self.drifting.is_none()
    }

    /// Fills every omitted threshold from `defaults`. Detectors the zone does
    /// not enable stay `None`.
    pub fn resolve(&self, defaults: &DetectorDefaults) -> ResolvedDetect {
        ResolvedDetect {
            dark_period: self.dark_period.as_ref().map(|c| DarkPeriodParams {
                min_gap: c.min_gap.unwrap_or(defaults.dark_period.min_gap),
            }),
            loitering: self.loitering.as_ref().map(|c| LoiteringParams {
                max_speed_kn: c.max_speed_kn.unwrap_or(defaults.loitering.max_speed_kn),
                min_duration: c.min_duration.unwrap_or(defaults.loitering.min_duration),
            }),
            rendezvous: self.rendezvous.as_ref().map(|c| RendezvousParams {
                max_distance_m: c
                    .max_distance_m
                    .unwrap_or(defaults.rendezvous.max_distance_m),
                max_speed_kn: c.max_speed_kn.unwrap_or(defaults.rendezvous.max_speed_kn),
                min_duration: c.min_duration.unwrap_or(defaults.rendezvous.min_duration),
            }),
            spoofing: self.spoofing.as_ref().map(|c| SpoofingParams {
                max_speed_kn: c.max_speed_kn.unwrap_or(defaults.spoofing.max_speed_kn),
            }),
            identity_change: self.identity_change.as_ref().map(|c| {
                let d = &defaults.identity_change;
                IdentityChangeParams {
                    grace: c.grace.unwrap_or(d.grace),
                    max_speed_kn: c.max_speed_kn.unwrap_or(d.max_speed_kn),
                    min_switches: c.min_switches.unwrap_or(d.min_switches),
                    min_distance_m: c.min_distance_m.unwrap_or(d.min_distance_m),
                    quiet: c.quiet.unwrap_or(d.quiet),
                }
            }),
            fishing: self.fishing.as_ref().map(|c| {
                let d = &defaults.fishing;
                FishingParams {
                    min_speed_kn: c.min_speed_kn.unwrap_or(d.min_speed_kn),
                    max_speed_kn: c.max_speed_kn.unwrap_or(d.max_speed_kn),
                    min_duration: c.min_duration.unwrap_or(d.min_duration),
                    min_turns_per_h: c.min_turns_per_h.unwrap_or(d.min_turns_per_h),
                    turn_deg: c.turn_deg.unwrap_or(d.turn_deg),
                }
            }),
            drifting: self.drifting.as_ref().map(|c| {
                let d = &defaults.drifting;
                DriftingParams {
                    min_speed_kn: c.min_speed_kn.unwrap_or(d.min_speed_kn),
                    max_speed_kn: c.max_speed_kn.unwrap_or(d.max_speed_kn),
                    min_angle_deg: c.min_angle_deg.unwrap_or(d.min_angle_deg),
                    max_angle_deg: c.max_angle_deg.unwrap_or(d.max_angle_deg),
                    min_duration: c.min_duration.unwrap_or(d.min_duration),
                }
            }),
        }
    }
}

/// Parses the `detect` property, pushing one [`Issue`] per problem and
/// returning what could be understood.
pub(crate) fn parse_detect(v: &Value, kind: ZoneKind, issues: &mut Vec<Issue>) -> ZoneDetect {
    let mut out = ZoneDetect::default();
    let Some(obj) = v.as_object() else {
        issues.push(Issue::property(
            "detect",
            format!("expected an object of detectors, found {}", describe(v)),
        ));
        return out;
    };
    for (name, cfg) in obj {
        let path = format!("detect.{name}");
        if kind == ZoneKind::Port && (name == "loitering" || name == "rendezvous") {
            issues.push(Issue::property(
                &path,
                "not allowed in a port zone: loitering and rendezvous are never alerted inside \
                 ports and anchorages (use kind \"patrol\" to watch this area)"
                    .to_string(),
            ));
            continue;
        }
        if name == "fishing" && kind != ZoneKind::ClosedArea {
            issues.push(Issue::property(
                &path,
                "allowed only in a zone of kind \"closed_area\" (fishing is alerted where it \
                 is forbidden)"
                    .to_string(),
            ));
            continue;
        }
        let Some(keys) = thresholds_of(name) else {
            issues.push(Issue::property(
                &path,
                format!(
                    "unknown detector {name:?} (known: {})",
                    DETECTORS.join(", ")
                ),
            ));
            continue;
        };
        let Some(cfg) = cfg.as_object() else {
            issues.push(Issue::property(
                &path,
                format!(
                    "expected an object of thresholds (`{{}}` for all defaults), found {}",
                    describe(cfg)
                ),
            ));
            continue;
        };
        for key in cfg.keys() {
            if !keys.contains(&key.as_str()) {
                issues.push(Issue::property(
                    &format!("{path}.{key}"),
                    format!(
                        "unknown threshold {key:?} for {name} (known: {})",
                        if keys.is_empty() {
                            "none".to_string()
                        } else {
                            keys.join(", ")
                        }
                    ),
                ));
            }
        }
        let t = Thresholds {
            obj: cfg,
            path: &path,
        };
        match name.as_str() {
            "dark_period" => {
                out.dark_period = Some(DarkPeriodCfg {
                    min_gap: t.duration("min_gap", issues),
                })
            }
            "loitering" => {
                out.loitering = Some(LoiteringCfg {
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                    min_duration: t.duration("min_duration", issues),
                })
            }
            "rendezvous" => {
                out.rendezvous = Some(RendezvousCfg {
                    max_distance_m: t.positive("max_distance_m", "metres", issues),
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                    min_duration: t.duration("min_duration", issues),
                })
            }
            "spoofing" => {
                out.spoofing = Some(SpoofingCfg {
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                })
            }
            "identity_change" => {
                out.identity_change = Some(IdentityChangeCfg {
                    grace: t.duration("grace", issues),
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                    min_switches: t
                        .positive("min_switches", "switches", issues)
                        .and_then(|x| t.whole("min_switches", x, 2.0, issues)),
                    min_distance_m: t.positive("min_distance_m", "metres", issues),
                    quiet: t.duration("quiet", issues),
                })
            }
            "fishing" => {
                let c = FishingCfg {
                    min_speed_kn: t.positive("min_speed_kn", "knots", issues),
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                    min_duration: t.duration("min_duration", issues),
                    min_turns_per_h: t.positive("min_turns_per_h", "turns an hour", issues),
                    turn_deg: t.positive("turn_deg", "degrees", issues),
                };
                t.ordered("min_speed_kn", c.min_speed_kn, c.max_speed_kn, issues);
                out.fishing = Some(c);
            }
            "drifting" => {
                let c = DriftingCfg {
                    min_speed_kn: t.positive("min_speed_kn", "knots", issues),
                    max_speed_kn: t.positive("max_speed_kn", "knots", issues),
                    min_angle_deg: t.positive("min_angle_deg", "degrees", issues),
                    max_angle_deg: t.positive("max_angle_deg", "degrees", issues),
                    min_duration: t.duration("min_duration", issues),
                };
                t.ordered("min_speed_kn", c.min_speed_kn, c.max_speed_kn, issues);
                t.ordered("min_angle_deg", c.min_angle_deg, c.max_angle_deg, issues);
                out.drifting = Some(c);
            }
            _ => unreachable!("thresholds_of knows only the detectors in DETECTORS"),
        }
    }
    out
}

/// Parses the compact humantime form zone files use: one or more
/// `<integer><unit>` groups, optionally separated by spaces, with unit `s`,
/// `m`, `h` or `d` (`"90m"`, `"2h"`, `"1h 30m"`). Stricter than
/// `humantime::parse_duration`, which also takes `"2 hrs"` or `"2 months"`:
/// zone files should read the same to every operator.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, BadDuration> {
    let mut secs: u64 = 0;
    let mut rest = s;
    if rest.trim().is_empty() {
        return Err(BadDuration::Empty);
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(BadDuration::Unexpected(rest.to_owned()));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| BadDuration::NumberTooLarge(rest[..digits].to_owned()))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "" => return Err(BadDuration::MissingUnit(n)),
            u => return Err(BadDuration::UnknownUnit(u.to_owned())),
        };
        secs = n
            .checked_mul(mult)
            .and_then(|x| secs.checked_add(x))
            .ok_or(BadDuration::TooLarge)?;
        rest = &rest[unit_len..];
        if let Some(r) = rest.strip_prefix(' ') {
            if r.is_empty() || r.starts_with(' ') {
                return Err(BadDuration::Spaces);
            }
            rest = r;
        }
    }
    Ok(Duration::from_secs(secs))
}

/// How the durations of zone files are written, for error messages.
const DURATION_HELP: &str =
    "expected <number><unit> with unit s, m, h or d, e.g. \"90m\", \"2h\", \"1h 30m\"";

/// Why a zone file's duration does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadDuration {
    /// Nothing but white space.
    #[error("empty; {DURATION_HELP}")]
    Empty,
    /// Something other than a number where one is due.
    #[error("unexpected {0:?}; {DURATION_HELP}")]
    Unexpected(String),
    /// A number beyond `u64`.
    #[error("number {0:?} too large")]
    NumberTooLarge(String),
    /// A number without its unit.
    #[error("missing unit after {0}; {DURATION_HELP}")]
    MissingUnit(u64),
    /// A unit other than s, m, h, d.
    #[error("unknown unit {0:?}; {DURATION_HELP}")]
    UnknownUnit(String),
    /// More seconds than `u64` holds.
    #[error("duration too large")]
    TooLarge,
    /// Spaces other than one between groups.
    #[error("unexpected spaces; {DURATION_HELP}")]
    Spaces,
}

/// The threshold keys each detector accepts.
fn thresholds_of(detector: &str) -> Option<&'static [&'static str]> {
    Some(match detector {
        "dark_period" => &["min_gap"],
        "loitering" => &["max_speed_kn", "min_duration"],
        "rendezvous" => &["max_distance_m", "max_speed_kn", "min_duration"],
        "spoofing" => &["max_speed_kn"],
        "identity_change" => &[
            "grace",
            "max_speed_kn",
            "min_switches",
            "min_distance_m",
            "quiet",
        ],
        "fishing" => &[
            "min_speed_kn",
            "max_speed_kn",
            "min_duration",
            "min_turns_per_h",
            "turn_deg",
        ],
        "drifting" => &[
            "min_speed_kn",
            "max_speed_kn",
            "min_angle_deg",
            "max_angle_deg",
            "min_duration",
        ],
        _ => return None,
    })
}

/// One detector's threshold object, with typed getters that report problems.
struct Thresholds<'a> {
    obj: &'a Map<String, Value>,
    path: &'a str,
}

impl Thresholds<'_> {
    /// `x` as a whole number of at least `min` (`None` and an issue otherwise).
    fn whole(&self, key: &str, x: f64, min: f64, issues: &mut Vec<Issue>) -> Option<u32> {
        if x.fract() == 0.0 && x >= min && x <= f64::from(u32::MAX) {
            Some(x as u32)
        } else {
            issues.push(Issue::property(
                &format!("{}.{key}", self.path),
                format!("must be a whole number of at least {min}, found {x}"),
            ));
            None
        }
    }

    /// An issue on `key` (the minimum) when both bounds are given and
    /// `lo` is not below `hi`.
    fn ordered(&self, key: &str, lo: Option<f64>, hi: Option<f64>, issues: &mut Vec<Issue>) {
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo >= hi {
                issues.push(Issue::property(
                    &format!("{}.{key}", self.path),
                    format!("minimum {lo} must be below maximum {hi}"),
                ));
            }
        }
    }

    fn duration(&self, key: &str, issues: &mut Vec<Issue>) -> Option<Duration> {
        let v = self.obj.get(key)?;
        let path = format!("{}.{key}", self.path);
        let Some(s) = v.as_str() else {
            issues.push(Issue::property(
                &path,
                format!(
                    "expected a duration string such as \"90m\" or \"2h\", found {}",
                    describe(v)
                ),
            ));
            return None;
        };
        match parse_duration(s) {
            Ok(d) if d.is_zero() => {
                issues.push(Issue::property(
                    &path,
                    format!("duration {s:?} must be greater than zero"),
                ));
                None
            }
            Ok(d) if d > aiswatch_core::time::MAX_DURATION => {
                issues.push(Issue::property(
                    &path,
                    format!("duration {s:?} is too long (at most 100 years)"),
                ));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                issues.push(Issue::property(
                    &path,
                    format!("invalid duration {s:?}: {e}"),
                ));
                None
            }
        }
    }

    fn positive(&self, key: &str, unit: &str, issues: &mut Vec<Issue>) -> Option<f64> {
        let v = self.obj.get(key)?;
        let path = format!("{}.{key}", self.path);
        match v.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => Some(x),
            Some(x) => {
                issues.push(Issue::property(
                    &path,
                    format!("must be a positive number of {unit}, found {x}"),
                ));
                None
            }
            None => {
                issues.push(Issue::property(
                    &path,
                    format!("expected a number of {unit}, found {}", describe(v)),
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value, kind: ZoneKind) -> (ZoneDetect, Vec<Issue>) {
        let mut issues = Vec::new();
        let d = parse_detect(&v, kind, &mut issues);
        (d, issues)
    }

    #[test]
    fn parses_overrides_and_resolves_against_defaults() {
        let (d, issues) = parse(
            json!({"dark_period": {"min_gap": "90m"},
                   "loitering": {"max_speed_kn": 1.5},
                   "rendezvous": {"max_distance_m": 300, "min_duration": "1h 30m"}}),
            ZoneKind::Patrol,
        );
        assert!(issues.is_empty(), "{issues:?}");
        let r = d.resolve(&DetectorDefaults::default());
        assert_eq!(r.dark_period.unwrap().min_gap, Duration::from_secs(5400));
        let l = r.loitering.unwrap();
        assert_eq!(l.max_speed_kn, 1.5);
        assert_eq!(l.min_duration, Duration::from_secs(3600));
        let rv = r.rendezvous.unwrap();
        assert_eq!(rv.max_distance_m, 300.0);
        assert_eq!(rv.max_speed_kn, 2.0);
        assert_eq!(rv.min_duration, Duration::from_secs(5400));
        assert!(r.spoofing.is_none(), "absent detector must not run");
    }

    #[test]
    fn empty_object_enables_with_defaults() {
        let (d, issues) = parse(json!({"spoofing": {}}), ZoneKind::Patrol);
        assert!(issues.is_empty());
        let r = d.resolve(&DetectorDefaults::default());
        assert_eq!(r.spoofing.unwrap().max_speed_kn, 50.0);
        assert!(r.dark_period.is_none() && r.loitering.is_none() && r.rendezvous.is_none());
    }

    #[test]
    fn collects_every_problem() {
        let (_, issues) = parse(
            json!({"loitering": {"max_speed_kn": -1, "min_duration": "2 hrs", "speed": 3},
                   "rendezvous": {"max_distance_m": "500"},
                   "dark_period": {"min_gap": 7200},
                   "teleport": {}}),
            ZoneKind::Patrol,
        );
        let paths: Vec<_> = issues.iter().map(|i| i.property.clone().unwrap()).collect();
        for want in [
            "detect.loitering.max_speed_kn",
            "detect.loitering.min_duration",
            "detect.loitering.speed",
            "detect.rendezvous.max_distance_m",
            "detect.dark_period.min_gap",
            "detect.teleport",
        ] {
            assert!(
                paths.iter().any(|p| p == want),
                "missing {want} in {paths:?}"
            );
        }
        assert_eq!(issues.len(), 6, "{issues:?}");
    }

    #[test]
    fn overlong_thresholds_are_refused() {
        // 300 000 000 days overflow milliseconds into nonsense downstream.
        let (_, issues) = parse(
            json!({"dark_period": {"min_gap": "300000000d"},
                   "loitering": {"min_duration": "36525d"}}),
            ZoneKind::Patrol,
        );
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(
            issues[0].property.as_deref(),
            Some("detect.dark_period.min_gap")
        );
        assert!(issues[0].message.contains("100 years"), "{issues:?}");
    }

    #[test]
    fn ports_reject_loitering_and_rendezvous() {
        let (d, issues) = parse(json!({"dark_period": {}, "loitering": {}}), ZoneKind::Port);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].property.as_deref(), Some("detect.loitering"));
        assert!(d.dark_period.is_some());
    }

    #[test]
    fn durations_are_compact_humantime() {
        let ok = |s: &str| parse_duration(s).unwrap().as_secs();
        assert_eq!(ok("90m"), 5400);
        assert_eq!(ok("2h"), 7200);
        assert_eq!(ok("1h 30m"), 5400);
        assert_eq!(ok("1h30m"), 5400);
        assert_eq!(ok("1d"), 86_400);
        for bad in [
            "2 hrs", "2hrs", "2", "h", "", " 2h", "2h ", "1.5h", "2h  30m", "-2h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_duration("2 hrs")
            .unwrap_err()
            .to_string()
            .contains("missing unit after 2"));
    }

    #[test]
    fn defaults_deserialize_and_validate() {
        let d: DetectorDefaults =
            serde_json::from_value(json!({"loitering": {"min_duration": "4h"}})).unwrap();
        assert_eq!(d.loitering.min_duration, Duration::from_secs(4 * 3600));
        assert_eq!(d.loitering.max_speed_kn, 2.0);
        assert_eq!(d.rendezvous, RendezvousParams::default());
        assert!(d.problems().is_empty());
        let bad = DetectorDefaults {
            spoofing: SpoofingParams { max_speed_kn: -3.0 },
            ..Default::default()
        };
        assert_eq!(bad.problems().len(), 1);
        assert!(
            serde_json::from_value::<DetectorDefaults>(json!({"loitering": {"speed": 1}})).is_err()
        );
    }
}
