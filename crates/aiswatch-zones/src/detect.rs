//! Which detectors run in a zone, with which thresholds.
//!
//! The zones crate does not know the detectors: each one describes itself
//! with a [`DetectorSpec`] (its name, its thresholds and their units, the
//! zone kinds it may run in), and the loader checks a zone's `detect`
//! object against the specs it is given. A zone keeps each detector's block
//! ([`ZoneDetect`]) for the detector to read its thresholds from: only the
//! thresholds the zone sets, durations as whole seconds (`"5400s"`). A
//! detector absent from `detect` does not run in the zone at all.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::load::{describe, Issue};
use super::ZoneKind;

/// How a detector's thresholds are written and checked in a zone's `detect`
/// block and in the config's defaults.
#[derive(Debug, Clone, Copy)]
pub struct DetectorSpec {
    /// The key in `detect` (and the alert kind).
    pub name: &'static str,
    /// Its thresholds, in the order they are documented.
    pub thresholds: &'static [Threshold],
    /// Pairs (minimum, maximum) of thresholds where the first must be below
    /// the second.
    pub ordered: &'static [(&'static str, &'static str)],
    /// Whether it may run in a zone of a kind, and why not.
    pub runs_in: fn(ZoneKind) -> Result<(), &'static str>,
}

/// One threshold of a detector.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// Its key.
    pub key: &'static str,
    /// What it holds.
    pub unit: Unit,
}

/// What a threshold holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A positive finite number of this unit ("knots", "metres").
    Positive(&'static str),
    /// A whole number of at least `min` of this unit.
    Whole(&'static str, u32),
    /// A non-zero duration (`"90m"`, `"2h"` in zone files).
    Duration,
}

/// Any zone kind.
pub fn any_zone(_: ZoneKind) -> Result<(), &'static str> {
    Ok(())
}

/// Per-zone detector selection and threshold overrides, as written in the
/// zone file and checked against the detectors' specs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneDetect {
    blocks: BTreeMap<String, Map<String, Value>>,
}

impl ZoneDetect {
    /// The `detect` object as a zone file could write it (durations as
    /// `"<seconds>s"`).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.blocks
                .iter()
                .map(|(k, v)| (k.clone(), Value::Object(v.clone())))
                .collect(),
        )
    }

    /// True when no detector runs in the zone.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Whether detector `name` runs in the zone.
    pub fn runs(&self, name: &str) -> bool {
        self.blocks.contains_key(name)
    }

    /// The thresholds the zone sets for detector `name` (durations as
    /// `"<seconds>s"`), if it runs there.
    pub fn get(&self, name: &str) -> Option<&Map<String, Value>> {
        self.blocks.get(name)
    }

    /// Runs detector `name` with these thresholds (zones made in code; they
    /// are taken as given).
    pub fn set(&mut self, name: &str, thresholds: Map<String, Value>) {
        self.blocks.insert(name.to_owned(), thresholds);
    }

    /// The detectors that run, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.blocks.keys().map(String::as_str)
    }
}

impl DetectorSpec {
    /// The spec of `name` among `specs`.
    pub fn find<'a>(specs: &'a [DetectorSpec], name: &str) -> Option<&'a DetectorSpec> {
        specs.iter().find(|s| s.name == name)
    }

    /// Checks concrete thresholds (the config's defaults for this detector,
    /// serialized: numbers, and durations as humantime strings): one message
    /// per bad field, e.g. `loitering.max_speed_kn: must be a positive
    /// number, found -1`.
    pub fn problems(&self, values: &Map<String, Value>) -> Vec<String> {
        let mut bad = Vec::new();
        let name = self.name;
        let num = |key: &str| values.get(key).and_then(Value::as_f64);
        for t in self.thresholds {
            let key = t.key;
            match t.unit {
                Unit::Positive(_) => {
                    if let Some(v) = num(key) {
                        if !(v.is_finite() && v > 0.0) {
                            bad.push(format!(
                                "{name}.{key}: must be a positive number, found {v}"
                            ));
                        }
                    }
                }
                Unit::Whole(_, min) => {
                    if let Some(v) = num(key) {
                        if v < f64::from(min) {
                            bad.push(format!("{name}.{key}: must be at least {min}, found {v}"));
                        }
                    }
                }
                Unit::Duration => {
                    let d = values
                        .get(key)
                        .and_then(Value::as_str)
                        .and_then(|s| humantime::parse_duration(s).ok());
                    match d {
                        Some(d) if d.is_zero() => {
                            bad.push(format!("{name}.{key}: must be greater than zero"));
                        }
                        Some(d) if d > aiswatch_core::time::MAX_DURATION => bad.push(format!(
                            "{name}.{key}: {} is too long (at most 100 years)",
                            humantime::format_duration(d)
                        )),
                        _ => {}
                    }
                }
            }
        }
        for (lo, hi) in self.ordered {
            if let (Some(l), Some(h)) = (num(lo), num(hi)) {
                if l >= h {
                    bad.push(format!(
                        "{name}.{lo}: minimum {l} must be below maximum {h}"
                    ));
                }
            }
        }
        bad
    }
}

/// Parses the `detect` property against `specs`, pushing one [`Issue`] per
/// problem and returning what could be understood.
pub(crate) fn parse_detect(
    v: &Value,
    kind: ZoneKind,
    specs: &[DetectorSpec],
    issues: &mut Vec<Issue>,
) -> ZoneDetect {
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
        let Some(spec) = DetectorSpec::find(specs, name) else {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            issues.push(Issue::property(
                &path,
                format!("unknown detector {name:?} (known: {})", known.join(", ")),
            ));
            continue;
        };
        if let Err(why) = (spec.runs_in)(kind) {
            issues.push(Issue::property(&path, why.to_string()));
            continue;
        }
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
        let t = Thresholds {
            obj: cfg,
            path: &path,
        };
        let mut block = Map::new();
        for key in cfg.keys() {
            if !spec.thresholds.iter().any(|t| t.key == key) {
                let keys: Vec<&str> = spec.thresholds.iter().map(|t| t.key).collect();
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
        for th in spec.thresholds {
            let key = th.key;
            let value = match th.unit {
                Unit::Positive(unit) => t.positive(key, unit, issues).map(Value::from),
                Unit::Whole(unit, min) => t
                    .positive(key, unit, issues)
                    .and_then(|x| t.whole(key, x, f64::from(min), issues))
                    .map(Value::from),
                Unit::Duration => t
                    .duration(key, issues)
                    .map(|d| Value::from(format!("{}s", d.as_secs()))),
            };
            if let Some(v) = value {
                block.insert(key.to_owned(), v);
            }
        }
        for (lo, hi) in spec.ordered {
            let get = |k: &str| block.get(k).and_then(Value::as_f64);
            t.ordered(lo, get(lo), get(hi), issues);
        }
        out.blocks.insert(name.clone(), block);
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
    fn overlong_durations_are_refused() {
        // 300 000 000 days overflow milliseconds into nonsense downstream.
        let spec = DetectorSpec {
            name: "d",
            thresholds: &[Threshold {
                key: "gap",
                unit: Unit::Duration,
            }],
            ordered: &[],
            runs_in: any_zone,
        };
        let mut issues = Vec::new();
        let v = serde_json::json!({"d": {"gap": "300000000d"}});
        let d = parse_detect(&v, ZoneKind::Patrol, &[spec], &mut issues);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].property.as_deref(), Some("detect.d.gap"));
        assert!(issues[0].message.contains("100 years"), "{issues:?}");
        assert!(d.get("d").unwrap().is_empty());
    }
}
