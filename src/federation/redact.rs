//! Withholding receivers from an alert shared with a partner.
//!
//! Sources and methods are what a state protects most: which receivers it
//! runs, where, and how well they hear. An alert's `details` name the
//! stations that heard a vessel, were down, or judged a silence (and the
//! places they judged it at), and its sentences repeat some of those
//! names. [`sources`] removes every such field, then replaces each name
//! it removed wherever else it still appears (the `summary`, `why`) with
//! [`WITHHELD`]. What is left says what happened, where, which vessels
//! and since when — not who heard it.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// What a withheld receiver name reads as.
pub const WITHHELD: &str = "[withheld]";

/// Keys, at any depth, whose values name or locate receivers.
pub const SOURCE_KEYS: &[&str] = &[
    "station",
    "stations",
    "station_last_heard",
    "heard_by",
    "down",
    "judged",
    "source",
    "peer",
];

/// Withholds receivers from `alert` (an alert's JSON object) in place;
/// returns the receiver names it removed.
pub fn sources(alert: &mut Value) -> BTreeSet<String> {
    sources_and(alert, &BTreeSet::new())
}

/// [`sources`], replacing mentions of the names in `also` too (receiver
/// ids an evidence bundle withholds elsewhere: its lines' sources, peers
/// and stations).
pub fn sources_and(alert: &mut Value, also: &BTreeSet<String>) -> BTreeSet<String> {
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
                let k = if SOURCE_KEYS.contains(&k.as_str()) {
                    k.as_str()
                } else {
                    ""
                };
                if !k.is_empty() {
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
        Value::Object(map) => map_values(map, names),
        _ => {}
    }
}

fn map_values(map: &mut Map<String, Value>, names: &[&String]) {
    for child in map.values_mut() {
        replace_mentions(child, names);
    }
}

/// `text` with every whole-word `name` replaced by [`WITHHELD`]: a name
/// is whole where no letter, digit or name character (`-_.:/`) touches it.
fn replace_word(text: &str, name: &str) -> String {
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
            "id": "dark_period:z:1:2",
            "summary": "X silent for 2h 05m in Z (threshold 1h); last heard at 4.1000, 3.2000 by station rx-lagos; station rx-lagos that heard it kept receiving.",
            "message": {"id": "dark-period-open", "args": {
                "receiver": {"text": "rx-lagos"},
                "why": {"clauses": [{"id": "dark-period-why-vessel", "args": {"receivers": {"text": "rx-lagos, rx-tema"}}}]}
            }},
            "details": {
                "down": ["rx-cotonou"],
                "heard_by": [{"copies": 3, "down_s": 0, "of": 4, "share": 1.0, "station": "rx-lagos"}],
                "judged": [{"basis": "cell", "explained_s": 0, "lat": 4.0, "lon": 3.0,
                            "stations": [{"down_s": 0, "share": 1.0, "station": "rx-tema"}]}],
                "station": "rx-lagos",
                "station_last_heard": "2026-01-01T00:00:00Z",
                "why": "stations rx-lagos, rx-tema covering where it would be now kept receiving",
                "silent_s": 7500
            }
        });
        let names = sources(&mut a);
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["rx-cotonou", "rx-lagos", "rx-tema"]
        );
        let text = a.to_string();
        for n in ["rx-lagos", "rx-tema", "rx-cotonou", "heard_by", "judged"] {
            assert!(!text.contains(n), "{n} survives in {text}");
        }
        assert!(text.contains("by station [withheld];"), "{text}");
        // The summary's message keeps its arguments, names withheld: a
        // partner's centres read it in their language without them.
        assert_eq!(a["message"]["args"]["receiver"]["text"], WITHHELD);
        assert_eq!(
            a["message"]["args"]["why"]["clauses"][0]["args"]["receivers"]["text"],
            "[withheld], [withheld]"
        );
        let mut b = json!({"summary": "heard via tcp-1 and rx-x.", "details": {"station": "rx-x"}});
        sources_and(&mut b, &BTreeSet::from(["tcp-1".to_owned()]));
        assert_eq!(b["summary"], "heard via [withheld] and [withheld].");
        assert_eq!(a["details"]["silent_s"], 7500);
    }

    #[test]
    fn a_name_inside_another_word_or_figure_is_left() {
        assert_eq!(
            replace_word("r1 and r10 and xr1", "r1"),
            "[withheld] and r10 and xr1"
        );
        assert_eq!(replace_word("by station 7.", "7"), "by station [withheld].");
        assert_eq!(replace_word("at 7.5 kn", "7"), "at 7.5 kn");
    }
}
