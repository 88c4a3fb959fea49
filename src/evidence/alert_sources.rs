//! Withholding receivers from an alert's JSON in a bundle (`alert.json`,
//! each line of `alert_changes.jsonl`, `thresholds.json`): the same rules
//! as the federation's alert redaction, so a partner gets the same alert
//! by either path. Every key of [`SOURCE_KEYS`], at any depth, is removed
//! and the receiver names under it collected; then every whole-word
//! mention of a collected name (or of another receiver id the bundle
//! withholds) in the strings left (`summary`, `why`) reads [`WITHHELD`].

use std::collections::BTreeSet;

use serde_json::Value;

/// What a withheld receiver name reads as.
pub(super) const WITHHELD: &str = "[withheld]";

/// Keys, at any depth, whose values name or locate receivers.
pub(super) const SOURCE_KEYS: &[&str] = &[
    "station",
    "stations",
    "station_last_heard",
    "heard_by",
    "down",
    "judged",
    "source",
    "peer",
];

/// Withholds receivers from `alert` in place: removes [`SOURCE_KEYS`]
/// everywhere, then replaces whole-word mentions of the names found under
/// them and of `also` with [`WITHHELD`]. Returns the names found.
pub(super) fn withhold_alert(alert: &mut Value, also: &BTreeSet<String>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    remove_keys(alert, &mut names);
    // Longest first: a name containing another is replaced whole.
    let mut ordered: Vec<&String> = names.iter().chain(also).filter(|n| !n.is_empty()).collect();
    ordered.sort_by_key(|n| std::cmp::Reverse(n.len()));
    ordered.dedup();
    replace_mentions(alert, &ordered);
    names
}

/// Removes [`SOURCE_KEYS`] everywhere, collecting every string under them.
fn remove_keys(v: &mut Value, names: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for k in SOURCE_KEYS {
                if let Some(removed) = map.remove(*k) {
                    collect_names(k, &removed, names);
                }
            }
            for child in map.values_mut() {
                remove_keys(child, names);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| remove_keys(i, names)),
        _ => {}
    }
}

/// The receiver names in a removed value: every string under a station
/// key (`down` is a list of names), not times or figures.
fn collect_names(key: &str, v: &Value, names: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if key != "station_last_heard" => {
            names.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| collect_names(key, i, names)),
        Value::Object(map) => {
            for (k, child) in map {
                if let Some(k) = SOURCE_KEYS.iter().find(|s| **s == k.as_str()) {
                    collect_names(k, child, names);
                }
            }
        }
        _ => {}
    }
}

fn replace_mentions(v: &mut Value, names: &[&String]) {
    match v {
        Value::String(s) => {
            for n in names {
                *s = replace_word(s, n);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_mentions(i, names)),
        Value::Object(map) => map.values_mut().for_each(|c| replace_mentions(c, names)),
        _ => {}
    }
}

/// `text` with every whole-word `name` replaced by [`WITHHELD`]: a name
/// is whole where no letter, digit or name character (`-_.:/`) touches it.
pub(super) fn replace_word(text: &str, name: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + name.len()..].chars().next();
        // A sentence's full stop after the name is not part of it.
        let after_word = after.is_some_and(|c| {
            word(c)
                && !(c == '.'
                    && rest[i + name.len() + 1..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace))
        });
        out.push_str(&rest[..i]);
        if before.is_some_and(word) || after_word {
            out.push_str(name);
        } else {
            out.push_str(WITHHELD);
        }
        rest = &rest[i + name.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_dark_period_keeps_nothing_that_names_or_places_a_receiver() {
        let mut a = json!({
            "summary": "X silent in Z; last heard by station rx-lagos via tcp-1.",
            "details": {
                "down": ["rx-cotonou"],
                "heard_by": [{"copies": 3, "station": "rx-lagos"}],
                "judged": [{"lat": 4.0, "stations": [{"station": "rx-tema"}]}],
                "station": "rx-lagos",
                "station_last_heard": "2026-01-01T00:00:00Z",
                "why": "stations rx-lagos, rx-tema kept receiving",
                "silent_s": 7500
            }
        });
        let names = withhold_alert(&mut a, &BTreeSet::from(["tcp-1".to_owned()]));
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["rx-cotonou", "rx-lagos", "rx-tema"]
        );
        let text = a.to_string();
        for n in [
            "rx-lagos",
            "rx-tema",
            "rx-cotonou",
            "tcp-1",
            "heard_by",
            "judged",
        ] {
            assert!(!text.contains(n), "{n} survives in {text}");
        }
        assert!(
            text.contains("by station [withheld] via [withheld]."),
            "{text}"
        );
        assert_eq!(a["details"]["silent_s"], 7500);
        assert_eq!(
            replace_word("r1 and r10 and xr1", "r1"),
            "[withheld] and r10 and xr1"
        );
        assert_eq!(replace_word("at 7.5 kn", "7"), "at 7.5 kn");
    }
}
