//! Scoring detector alerts against the simulator's truth.
//!
//! Alerts arrive in the aiswatch alert shape, one JSON object per state
//! change (`open`, `update`, `closed`) of an event. They are grouped by
//! `id` into alert events; each alert event is matched to at most one truth
//! event of the same `kind` with the same set of MMSIs whose span overlaps
//! the alert's span (widened by a tolerance), and vice versa. The zone is
//! not compared: each kind is simulated in one zone.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One true event (`truth.jsonl`) or trap (`traps.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthEvent {
    /// A detector's kind (`dark_period`, `loitering`, `speeding` …), or a `trap_*` kind.
    pub kind: String,
    /// The vessels involved, sorted ascending (empty for traps that are not
    /// about a vessel, such as garbage lines or the outage itself).
    pub mmsi: Vec<u32>,
    /// Zone id where it happened (`null` outside every zone).
    pub zone: Option<String>,
    /// When the behaviour began (see the module docs of [`crate::sim`]).
    pub start: DateTime<Utc>,
    /// When it ended.
    pub end: DateTime<Utc>,
    /// Free-text detail (traps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads a JSON-lines truth or trap file. Blank lines are skipped.
///
/// # Errors
///
/// I/O errors, and `InvalidData` for a line that is not a [`TruthEvent`].
pub fn read_truth(path: &Path) -> io::Result<Vec<TruthEvent>> {
    let f = io::BufReader::new(std::fs::File::open(path)?);
    let mut out = Vec::new();
    for (n, line) in f.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ev = serde_json::from_str(&line).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}:{}: {e}", path.display(), n + 1),
            )
        })?;
        out.push(ev);
    }
    Ok(out)
}

/// Reads a JSON-lines file of alert objects (as the daemon writes them).
///
/// # Errors
///
/// I/O errors, and `InvalidData` for a line that is not JSON.
pub fn read_alerts(path: &Path) -> io::Result<Vec<serde_json::Value>> {
    let f = io::BufReader::new(std::fs::File::open(path)?);
    let mut out = Vec::new();
    for line in f.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        );
    }
    Ok(out)
}

/// Precision and recall for one kind of event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KindScore {
    /// Alert events matched to a truth event.
    pub tp: usize,
    /// Alert events matched to nothing.
    pub fp: usize,
    /// Truth events no alert matched.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// tp / (tp + fp); 1.0 when there are no alerts.
    pub precision: f64,
    /// tp / (tp + fn); 1.0 when there is no truth.
    pub recall: f64,
}

/// One matched pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// Index into the truth slice.
    pub truth: usize,
    /// The alert id.
    pub alert_id: String,
}

/// The result of [`score`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Per kind (always those of [`KINDS`], plus any other kind seen in
    /// the truth or the alerts).
    pub kinds: BTreeMap<String, KindScore>,
    /// Every matched pair.
    pub matches: Vec<Match>,
    /// Alert ids that matched nothing (the false positives).
    pub unmatched_alerts: Vec<String>,
    /// Alert objects skipped because they lack `kind`, `mmsi` or a valid `started_at`.
    pub malformed_alerts: usize,
}

/// The detector kinds scored even when absent from both sides.
pub const KINDS: [&str; 7] = [
    "dark_period",
    "loitering",
    "rendezvous",
    "identity_change",
    "fishing",
    "drifting",
    "speeding",
];

/// An alert event: every state of one alert id, folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// Alert id (or `#<index>` for objects without one).
    pub id: String,
    /// Alert kind.
    pub kind: String,
    /// MMSIs, sorted and deduplicated.
    pub mmsi: Vec<u32>,
    /// Earliest `started_at`, ms.
    pub start_ms: i64,
    /// `ended_at` when closed, else the latest instant seen in any state, ms.
    pub end_ms: i64,
}

fn time_ms(v: Option<&serde_json::Value>) -> Option<i64> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Groups alert objects by `id`. Returns the events (in order of first
/// appearance) and the number of malformed objects skipped.
pub fn alert_events(alerts: &[serde_json::Value]) -> (Vec<AlertEvent>, usize) {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: BTreeMap<String, AlertEvent> = BTreeMap::new();
    let mut malformed = 0;
    for (n, a) in alerts.iter().enumerate() {
        let id = match a.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v @ serde_json::Value::Number(_)) => v.to_string(),
            _ => format!("#{n}"),
        };
        let kind = a.get("kind").and_then(|k| k.as_str()).map(str::to_owned);
        let mmsi: Option<Vec<u32>> = match a.get("mmsi") {
            Some(serde_json::Value::Array(v)) => v
                .iter()
                .map(|x| x.as_u64().and_then(|m| u32::try_from(m).ok()))
                .collect(),
            Some(v) => v
                .as_u64()
                .and_then(|m| u32::try_from(m).ok())
                .map(|m| vec![m]),
            None => None,
        };
        let start = time_ms(a.get("started_at"));
        let (Some(kind), Some(mut mmsi), Some(start)) = (kind, mmsi, start) else {
            malformed += 1;
            continue;
        };
        mmsi.sort_unstable();
        mmsi.dedup();
        let ended = time_ms(a.get("ended_at"));
        // The latest instant this state vouches for.
        let seen = ["ended_at", "updated_at", "last_seen_at", "at", "time"]
            .iter()
            .filter_map(|k| time_ms(a.get(*k)))
            .fold(start, i64::max);
        match by_id.get_mut(&id) {
            Some(e) => {
                e.start_ms = e.start_ms.min(start);
                e.end_ms = match ended {
                    Some(t) => t.max(e.start_ms),
                    None => e.end_ms.max(seen),
                };
            }
            None => {
                order.push(id.clone());
                by_id.insert(
                    id.clone(),
                    AlertEvent {
                        id,
                        kind,
                        mmsi,
                        start_ms: start,
                        end_ms: ended.unwrap_or(seen).max(start),
                    },
                );
            }
        }
    }
    let events = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    (events, malformed)
}

fn overlap_ms(a0: i64, a1: i64, b0: i64, b1: i64, tol_ms: i64) -> Option<i64> {
    (a0 <= b1 + tol_ms && b0 - tol_ms <= a1).then(|| (a1.min(b1) - a0.max(b0)).max(0))
}

/// Scores alert objects against truth events, with `tolerance_s` seconds
/// of slack on both ends of every span.
///
/// Matching is greedy per kind, largest time overlap first (ties: closest
/// start), so the result does not depend on input order beyond ties.
pub fn score(truth: &[TruthEvent], alerts: &[serde_json::Value], tolerance_s: i64) -> Scores {
    let tol = tolerance_s.max(0) * 1000;
    let (events, malformed) = alert_events(alerts);
    let mut kinds: BTreeMap<String, KindScore> = KINDS
        .iter()
        .map(|k| (k.to_string(), KindScore::default()))
        .collect();
    for k in truth
        .iter()
        .map(|t| &t.kind)
        .chain(events.iter().map(|e| &e.kind))
    {
        kinds.entry(k.clone()).or_default();
    }
    let truth_ms: Vec<(i64, i64, Vec<u32>)> = truth
        .iter()
        .map(|t| {
            let mut m = t.mmsi.clone();
            m.sort_unstable();
            m.dedup();
            (t.start.timestamp_millis(), t.end.timestamp_millis(), m)
        })
        .collect();
    // Candidate pairs: (overlap, -|start diff|, truth, alert).
    let mut cands: Vec<(i64, i64, usize, usize)> = Vec::new();
    for (ai, e) in events.iter().enumerate() {
        for (ti, t) in truth.iter().enumerate() {
            let (t0, t1, ref m) = truth_ms[ti];
            if t.kind != e.kind || *m != e.mmsi {
                continue;
            }
            if let Some(ov) = overlap_ms(e.start_ms, e.end_ms, t0, t1, tol) {
                cands.push((ov, -(e.start_ms - t0).abs(), ti, ai));
            }
        }
    }
    cands.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut truth_used = vec![false; truth.len()];
    let mut alert_used = vec![false; events.len()];
    let mut matches = Vec::new();
    for (_, _, ti, ai) in cands {
        if truth_used[ti] || alert_used[ai] {
            continue;
        }
        truth_used[ti] = true;
        alert_used[ai] = true;
        matches.push(Match {
            truth: ti,
            alert_id: events[ai].id.clone(),
        });
    }
    matches.sort_by_key(|m| m.truth);
    for (ti, t) in truth.iter().enumerate() {
        let k = kinds.entry(t.kind.clone()).or_default();
        if truth_used[ti] {
            k.tp += 1;
        } else {
            k.fn_ += 1;
        }
    }
    let mut unmatched_alerts = Vec::new();
    for (ai, e) in events.iter().enumerate() {
        if !alert_used[ai] {
            kinds.entry(e.kind.clone()).or_default().fp += 1;
            unmatched_alerts.push(e.id.clone());
        }
    }
    for k in kinds.values_mut() {
        k.precision = if k.tp + k.fp == 0 {
            1.0
        } else {
            k.tp as f64 / (k.tp + k.fp) as f64
        };
        k.recall = if k.tp + k.fn_ == 0 {
            1.0
        } else {
            k.tp as f64 / (k.tp + k.fn_) as f64
        };
    }
    Scores {
        kinds,
        matches,
        unmatched_alerts,
        malformed_alerts: malformed,
    }
}

/// Trap kinds that describe a vessel's behaviour (and so can explain an alert).
/// `trap_duplicates` and `trap_noise` span whole runs and are about the
/// feed, not behaviour: they are left out of [`trap_hits`].
pub const BEHAVIOUR_TRAPS: [&str; 12] = [
    "trap_outage",
    "trap_port_anchor",
    "trap_fast_pass",
    "trap_short_gap",
    "trap_coverage_edge",
    "trap_identity_correction",
    "trap_cross_current",
    "trap_fishing_transit",
    "trap_speeding_just_under",
    "trap_speeding_short",
    "trap_speeding_no_zone",
    "trap_speeding_glitch",
];

/// Explains false alerts by traps: for each alert event whose MMSIs are all
/// among the (non-empty) MMSIs of a trap of a [`BEHAVIOUR_TRAPS`] kind and
/// whose span overlaps the trap's, counts one hit for that trap kind (first
/// matching trap wins). Returns hits per trap kind, e.g.
/// `{"trap_outage": 3}` = three alerts fired on silences explained by the
/// receiver outage.
pub fn trap_hits(
    traps: &[TruthEvent],
    alerts: &[serde_json::Value],
    tolerance_s: i64,
) -> BTreeMap<String, usize> {
    let tol = tolerance_s.max(0) * 1000;
    let (events, _) = alert_events(alerts);
    let mut hits = BTreeMap::new();
    for e in &events {
        let hit = traps.iter().find(|t| {
            !t.mmsi.is_empty()
                && BEHAVIOUR_TRAPS.contains(&t.kind.as_str())
                && e.mmsi.iter().all(|m| t.mmsi.contains(m))
                && overlap_ms(
                    e.start_ms,
                    e.end_ms,
                    t.start.timestamp_millis(),
                    t.end.timestamp_millis(),
                    tol,
                )
                .is_some()
        });
        if let Some(t) = hit {
            *hits.entry(t.kind.clone()).or_insert(0) += 1;
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(kind: &str, mmsi: &[u32], start: &str, end: &str) -> TruthEvent {
        TruthEvent {
            kind: kind.into(),
            mmsi: mmsi.to_vec(),
            zone: Some("sim-patrol".into()),
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
            note: None,
        }
    }

    fn a(
        id: &str,
        kind: &str,
        state: &str,
        mmsi: &[u32],
        s: &str,
        e: Option<&str>,
    ) -> serde_json::Value {
        json!({"id": id, "kind": kind, "state": state, "mmsi": mmsi, "zone": "sim-patrol",
               "started_at": s, "ended_at": e})
    }

    #[test]
    fn empty_is_perfect() {
        let s = score(&[], &[], 60);
        for k in KINDS {
            let ks = &s.kinds[k];
            assert_eq!((ks.tp, ks.fp, ks.fn_), (0, 0, 0));
            assert_eq!((ks.precision, ks.recall), (1.0, 1.0));
        }
    }

    #[test]
    fn states_fold_into_one_event_and_match() {
        let truth = vec![
            t(
                "dark_period",
                &[111],
                "2026-01-01T01:00:00Z",
                "2026-01-01T04:00:00Z",
            ),
            t(
                "rendezvous",
                &[5, 7],
                "2026-01-01T02:00:00Z",
                "2026-01-01T05:00:00Z",
            ),
        ];
        let alerts = vec![
            a(
                "d1",
                "dark_period",
                "open",
                &[111],
                "2026-01-01T01:00:05Z",
                None,
            ),
            a(
                "d1",
                "dark_period",
                "update",
                &[111],
                "2026-01-01T01:00:05Z",
                None,
            ),
            a(
                "d1",
                "dark_period",
                "closed",
                &[111],
                "2026-01-01T01:00:05Z",
                Some("2026-01-01T04:00:00Z"),
            ),
            // Order of the MMSIs does not matter.
            a(
                "r1",
                "rendezvous",
                "open",
                &[7, 5],
                "2026-01-01T04:30:00Z",
                None,
            ),
        ];
        let s = score(&truth, &alerts, 60);
        assert_eq!(s.kinds["dark_period"].tp, 1);
        assert_eq!(s.kinds["dark_period"].fp, 0);
        assert_eq!(s.kinds["rendezvous"].tp, 1);
        assert_eq!(s.kinds["loitering"].precision, 1.0);
        assert_eq!(s.matches.len(), 2);
        let (ev, bad) = alert_events(&alerts);
        assert_eq!((ev.len(), bad), (2, 0));
        assert_eq!(ev[0].end_ms - ev[0].start_ms, 3 * 3_600_000 - 5_000);
    }

    #[test]
    fn wrong_vessel_kind_or_time_is_a_miss() {
        let truth = vec![t(
            "loitering",
            &[1],
            "2026-01-01T01:00:00Z",
            "2026-01-01T02:00:00Z",
        )];
        let alerts = vec![
            a("x", "loitering", "open", &[2], "2026-01-01T01:10:00Z", None),
            a(
                "y",
                "dark_period",
                "open",
                &[1],
                "2026-01-01T01:10:00Z",
                None,
            ),
            a(
                "z",
                "loitering",
                "closed",
                &[1],
                "2026-01-01T03:00:00Z",
                Some("2026-01-01T04:00:00Z"),
            ),
            json!({"id": "bad", "kind": "loitering"}),
        ];
        let s = score(&truth, &alerts, 60);
        let l = &s.kinds["loitering"];
        assert_eq!((l.tp, l.fp, l.fn_), (0, 2, 1));
        assert_eq!((l.precision, l.recall), (0.0, 0.0));
        assert_eq!(s.kinds["dark_period"].fp, 1);
        assert_eq!(s.malformed_alerts, 1);
        // With a tolerance of an hour, "z" touches the truth span.
        let s = score(&truth, &alerts, 3600);
        assert_eq!(s.kinds["loitering"].tp, 1);
    }

    #[test]
    fn one_to_one_matching() {
        // Two alerts for one truth: one tp, one fp. Two truths, one alert: one fn.
        let truth = vec![
            t(
                "loitering",
                &[1],
                "2026-01-01T01:00:00Z",
                "2026-01-01T03:00:00Z",
            ),
            t(
                "loitering",
                &[1],
                "2026-01-01T05:00:00Z",
                "2026-01-01T07:00:00Z",
            ),
        ];
        let alerts = vec![
            a(
                "p",
                "loitering",
                "closed",
                &[1],
                "2026-01-01T01:00:00Z",
                Some("2026-01-01T03:00:00Z"),
            ),
            a(
                "q",
                "loitering",
                "closed",
                &[1],
                "2026-01-01T02:50:00Z",
                Some("2026-01-01T02:55:00Z"),
            ),
        ];
        let s = score(&truth, &alerts, 0);
        let l = &s.kinds["loitering"];
        assert_eq!((l.tp, l.fp, l.fn_), (1, 1, 1));
        assert_eq!(s.matches[0].alert_id, "p");
        assert_eq!(s.unmatched_alerts, vec!["q".to_string()]);
        assert!((l.precision - 0.5).abs() < 1e-12 && (l.recall - 0.5).abs() < 1e-12);
    }

    #[test]
    fn traps_explain_false_alerts_and_files_round_trip() {
        let mut tr = t(
            "trap_port_anchor",
            &[3, 4],
            "2026-01-01T00:00:00Z",
            "2026-01-01T12:00:00Z",
        );
        tr.note = Some("anchored pair".into());
        let alerts = vec![a(
            "l",
            "loitering",
            "open",
            &[3],
            "2026-01-01T05:00:00Z",
            None,
        )];
        let hits = trap_hits(std::slice::from_ref(&tr), &alerts, 0);
        assert_eq!(hits.get("trap_port_anchor"), Some(&1));

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let line = serde_json::to_string(&tr).unwrap();
        assert!(line.starts_with(r#"{"kind":"trap_port_anchor","mmsi":[3,4],"zone":"sim-patrol","start":"2026-01-01T00:00:00Z""#), "{line}");
        std::fs::write(&p, format!("{line}\n\n")).unwrap();
        assert_eq!(read_truth(&p).unwrap(), vec![tr]);
    }
}
