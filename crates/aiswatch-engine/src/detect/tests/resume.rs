//! Silence at the edge of a receiver's coverage, and one event (loitering,
//! rendezvous) one alert across silences.

use super::{assert_round_trips, wire};
use crate::alert::{Alert, Kind, State};
use crate::fixtures::{at_spot, background, coverage_edge_feed, engine, pos, run, HOUR, MIN, T0};
use crate::track::Mmsi;

fn of(alerts: &[Alert], kind: Kind, mmsi: u32) -> Vec<Alert> {
    alerts
        .iter()
        .filter(|a| a.kind == kind && a.mmsi.contains(&Mmsi(mmsi)))
        .cloned()
        .collect()
}

/// Two stations overlap inside one 0.25° cell (lon 3.0–3.25, lat 4.0–4.25):
/// A hears its western 60 %, B all of it. B goes down for 3 h. A vessel in
/// the east heard only by B falls silent with it: explained, no alert. A
/// vessel in the west that A kept hearing goes silent while A is up: a
/// dark period, whose details say who heard it and why it counts.
#[test]
fn coverage_edge_silence_is_explained_but_a_real_dark_period_next_to_it_is_not() {
    let (msgs, d) = coverage_edge_feed();
    let alerts = run(&mut engine(), msgs);
    assert_round_trips(&alerts);
    let dark: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == Kind::DarkPeriod)
        .collect();
    assert_eq!(
        dark.iter()
            .map(|a| (a.mmsi[0].0, a.state))
            .collect::<Vec<_>>(),
        vec![(d, State::Open), (d, State::Closed)],
        "{:#?}",
        dark.iter().map(|a| &a.summary).collect::<Vec<_>>()
    );
    let open = dark[0];
    assert_eq!(open.started_at, T0 + 90 * MIN);
    let det = &wire(open);
    assert_eq!(det["heard_by"][0]["station"], "A", "{det:#}");
    assert_eq!(det["judged"][0]["basis"], "vessel");
    assert_eq!(det["judged"][0]["stations"][0]["down_s"], 0);
    assert!(det["down"].as_array().unwrap().is_empty(), "{det:#}");
    assert!(
        open.summary
            .contains("station A that heard it kept receiving"),
        "{}",
        open.summary
    );
}

#[test]
fn loitering_goes_on_after_a_silence_under_the_same_alert() {
    let mut msgs = background(211_000_040, T0, T0 + 10 * HOUR, "st1");
    // L: slow 90 min, silent 3 h, back at the same spot, then under way.
    let l = 244_000_110;
    msgs.extend(at_spot(
        l,
        (T0, T0 + 90 * MIN, 3 * MIN),
        (3.0, 4.0, 0.5),
        &["st1"],
    ));
    msgs.extend(at_spot(
        l,
        (T0 + 270 * MIN, T0 + 330 * MIN, 3 * MIN),
        (3.002, 4.0, 0.5),
        &["st1"],
    ));
    msgs.push(pos(l, T0 + 333 * MIN, 3.01, 4.0, 11.0, "st1"));
    // M: the same, but back 33 km away (6 kn over the silence).
    let m = 244_000_111;
    msgs.extend(at_spot(
        m,
        (T0, T0 + 90 * MIN, 3 * MIN),
        (3.5, 4.2, 0.5),
        &["st1"],
    ));
    msgs.extend(at_spot(
        m,
        (T0 + 270 * MIN, T0 + 400 * MIN, 3 * MIN),
        (3.8, 4.2, 0.5),
        &["st1"],
    ));
    // N: silent for 7 h, longer than resume_within (6 h).
    let n = 244_000_112;
    msgs.extend(at_spot(
        n,
        (T0, T0 + 90 * MIN, 3 * MIN),
        (2.5, 3.6, 0.5),
        &["st1"],
    ));
    msgs.extend(at_spot(
        n,
        (T0 + 510 * MIN, T0 + 540 * MIN, 3 * MIN),
        (2.5, 3.6, 0.5),
        &["st1"],
    ));
    let alerts = run(&mut engine(), msgs);
    assert_round_trips(&alerts);

    let la = of(&alerts, Kind::Loitering, l);
    assert!(la.iter().all(|a| a.id == la[0].id), "one alert: {la:#?}");
    assert_eq!(la[0].state, State::Open);
    let last = la.last().unwrap();
    assert_eq!(last.state, State::Closed);
    assert_eq!(wire(last)["reason"], "under way again");
    assert_eq!(wire(last)["silences"]["count"], 1);
    assert_eq!(wire(last)["silences"]["longest_s"], 3 * 3600);
    assert_eq!(last.started_at, T0);
    assert!(
        last.summary.contains("went on after 3h 00m"),
        "{}",
        last.summary
    );
    // An update as soon as it is back, none while it was silent.
    assert!(la
        .iter()
        .any(|a| a.state == State::Update && (T0 + 270 * MIN..=T0 + 271 * MIN).contains(&a.at)));
    assert!(!la
        .iter()
        .any(|a| a.at > T0 + 120 * MIN && a.at < T0 + 270 * MIN));

    let ma = of(&alerts, Kind::Loitering, m);
    let first_close = ma.iter().find(|a| a.state == State::Closed).unwrap();
    assert_eq!(first_close.id, ma[0].id);
    assert_eq!(wire(first_close)["reason"], "contact lost");
    assert_eq!(first_close.ended_at, Some(T0 + 90 * MIN));
    assert!(
        ma.iter().any(|a| a.id != ma[0].id),
        "a new event where it went"
    );

    let na = of(&alerts, Kind::Loitering, n);
    let close = na.iter().find(|a| a.state == State::Closed).unwrap();
    assert_eq!(wire(close)["reason"], "contact lost");
    assert_eq!(close.ended_at, Some(T0 + 90 * MIN));
    assert_eq!(close.at, T0 + 90 * MIN + 6 * HOUR, "when the wait was over");
}

#[test]
fn rendezvous_goes_on_after_a_silence_under_the_same_alert() {
    let mut msgs = background(211_000_041, T0, T0 + 7 * HOUR, "st1");
    let (a, b) = (244_000_120, 244_000_121);
    for (from, to) in [(T0, T0 + 150 * MIN), (T0 + 270 * MIN, T0 + 330 * MIN)] {
        msgs.extend(at_spot(a, (from, to, 3 * MIN), (3.0, 3.6, 0.5), &["st1"]));
        msgs.extend(at_spot(
            b,
            (from + 20_000, to + 20_000, 3 * MIN),
            (3.001, 3.6, 0.5),
            &["st1"],
        ));
    }
    msgs.push(pos(a, T0 + 335 * MIN, 3.02, 3.6, 11.0, "st1"));
    let alerts = run(&mut engine(), msgs);
    assert_round_trips(&alerts);
    let r = of(&alerts, Kind::Rendezvous, a);
    assert!(!r.is_empty());
    assert!(r.iter().all(|x| x.id == r[0].id), "one alert: {r:#?}");
    let last = r.last().unwrap();
    assert_eq!(last.state, State::Closed);
    assert_eq!(wire(last)["reason"], "under way again");
    assert!(wire(last)["silences"]["count"].as_u64().unwrap() >= 1);
    assert!(r
        .iter()
        .any(|x| x.state == State::Update && x.at >= T0 + 270 * MIN && x.at <= T0 + 271 * MIN));
}
