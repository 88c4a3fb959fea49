//! An alert's JSON in its reader's language.
//!
//! An alert is stored once, with its `summary` in English and the catalog
//! `message` behind it. Whatever reaches a centre (its channels, the API
//! and the live stream with its token) carries the summary rendered in
//! the centre's language and `lang` naming it; every other byte stays as
//! stored, so `kind`, `details`, ids and times are the same in every
//! language.

use serde::Deserialize;

use aiswatch_i18n::{Catalogs, Message, ENGLISH};

/// The fields of a stored alert that localising reads.
#[derive(Deserialize)]
struct Summarised {
    summary: String,
    #[serde(default)]
    message: Option<Message>,
}

/// `json` (one alert state change as stored) with its summary in `lang`
/// and `"lang"` set. Said in English (and `"lang": "en"`) when the change
/// has no message (stored before summaries were catalogued) or no catalog
/// can say it; `json` unchanged if it is not an alert.
pub fn alert_json(json: &str, lang: &str) -> String {
    let Ok(a) = serde_json::from_str::<Summarised>(json) else {
        return json.to_owned();
    };
    let (lang, text) = match &a.message {
        Some(m) if lang != ENGLISH => match Catalogs::shipped().render(lang, m) {
            Some(t) => (lang, t),
            None => (ENGLISH, a.summary.clone()),
        },
        _ => (ENGLISH, a.summary.clone()),
    };
    let (Ok(old), Ok(new)) = (
        serde_json::to_string(&a.summary),
        serde_json::to_string(&text),
    ) else {
        return json.to_owned();
    };
    let old = format!("\"summary\":{old}");
    let Some(at) = json.find(&old) else {
        return json.to_owned();
    };
    let mut out = String::with_capacity(json.len() + new.len() + 16);
    out.push_str(&json[..at]);
    out.push_str("\"lang\":");
    out.push_str(&serde_json::Value::from(lang).to_string());
    out.push_str(",\"summary\":");
    out.push_str(&new);
    out.push_str(&json[at + old.len()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORED: &str = r#"{"id":"speeding:z:1:2","kind":"speeding","summary":"V speeding 2h 30m in Z at up to 4.6 kn (limit 12.0 kn for 1h 00m).","message":{"id":"speeding","args":{"duration":{"duration_ms":9000000},"ended":{"text":""},"limit_kn":{"decimal":{"value":12.0,"places":1}},"max_speed_kn":{"decimal":{"value":4.6,"places":1}},"min_duration":{"duration_ms":3600000},"vessel":{"text":"V"},"zone":{"text":"Z"}}},"details":{"max_speed_kn":12.0}}"#;

    #[test]
    fn the_summary_is_said_in_the_language_and_nothing_else_changes() {
        let fr = alert_json(STORED, "fr");
        assert!(
            fr.contains(r#""lang":"fr","summary":"V en excès de vitesse depuis 2 h 30 min dans Z, jusqu'à 4,6 nœuds (limite 12,0 nœuds pendant 1 h 00 min)."#),
            "{fr}"
        );
        let strip = |s: &str| {
            let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("summary");
            o.remove("lang");
            v
        };
        assert_eq!(strip(&fr), strip(STORED));
        let en = alert_json(STORED, "en");
        assert_eq!(
            en,
            STORED.replace(r#""summary""#, r#""lang":"en","summary""#)
        );
    }

    #[test]
    fn a_change_without_a_message_stays_english() {
        let old = r#"{"id":"x","summary":"A \"quoted\" summary","details":{}}"#;
        assert_eq!(
            alert_json(old, "pt"),
            r#"{"id":"x","lang":"en","summary":"A \"quoted\" summary","details":{}}"#
        );
        assert_eq!(alert_json("not json", "fr"), "not json");
    }
}
