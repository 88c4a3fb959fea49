//! Issue 9: silence at the edge of a receiver's coverage, and one event
//! (loitering, rendezvous) one alert across silences.

use super::tests::{background, engine, pos, run, HOUR, MIN, T0};
use crate::alert::{Alert, Kind, State};
use crate::decode::Decoded;
use crate::track::Mmsi;

fn of(alerts: &[Alert], kind: Kind, mmsi: u32) -> Vec<Alert> {
    alerts
        .iter()
        .filter(|a| a.kind == kind && a.mmsi.contains(&Mmsi(mmsi)))
        .cloned()
        .collect()
}

/// Reports of `mmsi` every `every` from `from` to `to` (inclusive) at a
/// fixed spot, heard by `stations`.
fn at_spot(
    mmsi: u32,
    (from, to, every): (i64, i64, i64),
    (lon, lat, sog): (f64, f64, f64),
    stations: &[&str],
) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut t = from;
    while t <= to {
        for s in stations {
            out.push(pos(mmsi, t, lon, lat, sog, s));
        }
        t += every;
    }
    out
}

/// The coverage-edge traffic (see the test below); returns the messages
/// and the MMSI of the vessel that really goes dark.
fn coverage_edge_feed() -> (Vec<Decoded>, u32) {
    let (b_down, b_up) = (T0 + HOUR, T0 + 4 * HOUR);
    let mut msgs = Vec::new();
    // Traffic all over the cell for 6 h.
    for i in 0..10u32 {
        let lon = 3.01 + f64::from(i) * 0.024;
        let lat = 4.05 + f64::from(i) * 0.01;
        for k in 0..=360 {
            let t = T0 + k * MIN;
            if lon < 3.15 {
                msgs.push(pos(211_100_000 + i, t, lon, lat, 0.0, "A"));
            }
            if !(b_down..b_up).contains(&t) {
                msgs.push(pos(211_100_000 + i, t, lon, lat, 0.0, "B"));
            }
        }
    }
    // The edge vessel, east, heard only by B; silent while B is down.
    msgs.extend(at_spot(
        244_000_100,
        (T0, b_down - MIN, MIN),
        (3.2, 4.1, 0.0),
        &["B"],
    ));
    msgs.extend(at_spot(
        244_000_100,
        (b_up + 5 * MIN, T0 + 5 * HOUR, MIN),
        (3.2, 4.1, 0.0),
        &["B"],
    ));
    // The real one, west: heard by A (and B while it is up), then dark for
    // 3 h while A is up.
    let d = 244_000_101;
    msgs.extend(at_spot(
        d,
        (T0, b_down - MIN, MIN),
        (3.05, 4.12, 0.0),
        &["A", "B"],
    ));
    msgs.extend(at_spot(
        d,
        (b_down, T0 + 90 * MIN, MIN),
        (3.05, 4.12, 0.0),
        &["A"],
    ));
    msgs.extend(at_spot(
        d,
        (T0 + 270 * MIN, T0 + 5 * HOUR, MIN),
        (3.05, 4.12, 0.0),
        &["A"],
    ));

    (msgs, d)
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
    let det = &open.details;
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

    let la = of(&alerts, Kind::Loitering, l);
    assert!(la.iter().all(|a| a.id == la[0].id), "one alert: {la:#?}");
    assert_eq!(la[0].state, State::Open);
    let last = la.last().unwrap();
    assert_eq!(last.state, State::Closed);
    assert_eq!(last.details["reason"], "under way again");
    assert_eq!(last.details["silences"]["count"], 1);
    assert_eq!(last.details["silences"]["longest_s"], 3 * 3600);
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
    assert_eq!(first_close.details["reason"], "contact lost");
    assert_eq!(first_close.ended_at, Some(T0 + 90 * MIN));
    assert!(
        ma.iter().any(|a| a.id != ma[0].id),
        "a new event where it went"
    );

    let na = of(&alerts, Kind::Loitering, n);
    let close = na.iter().find(|a| a.state == State::Closed).unwrap();
    assert_eq!(close.details["reason"], "contact lost");
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
    let r = of(&alerts, Kind::Rendezvous, a);
    assert!(!r.is_empty());
    assert!(r.iter().all(|x| x.id == r[0].id), "one alert: {r:#?}");
    let last = r.last().unwrap();
    assert_eq!(last.state, State::Closed);
    assert_eq!(last.details["reason"], "under way again");
    assert!(last.details["silences"]["count"].as_u64().unwrap() >= 1);
    assert!(r
        .iter()
        .any(|x| x.state == State::Update && x.at >= T0 + 270 * MIN && x.at <= T0 + 271 * MIN));
}

/// A restart rebuilds who hears whom from every station's copies (B's are
/// second copies, stored as heard rows), so the alerts after the restart
/// are the uninterrupted run's, to the byte: ids, states, the stations that
/// heard each vessel with their copies, the summary. Vessel `w`, heard by A
/// and B, falls silent just before the restart; rebuilt from first copies
/// only, its last copies would all be A's and B would be missing from its
/// dark period's `heard_by`.
#[tokio::test]
async fn restart_rebuilds_coverage_from_every_copy() {
    let (mut msgs, d) = coverage_edge_feed();
    let w = 244_000_102;
    msgs.extend(at_spot(
        w,
        (T0, T0 + 55 * MIN, MIN),
        (3.08, 4.15, 0.0),
        &["A", "B"],
    ));
    msgs.sort_by_key(|m| m.time);
    let split = T0 + 56 * MIN;
    let json = |a: Alert| serde_json::to_string(&a).unwrap();
    let want: Vec<String> = run(&mut engine(), msgs.clone())
        .into_iter()
        .filter(|a| a.at > split)
        .map(json)
        .collect();
    for m in [d, w] {
        assert!(
            want.iter()
                .any(|a| a.contains(&format!("dark_period:patrol:{m}"))),
            "{m}'s dark period comes after the restart: {want:#?}"
        );
    }
    for (s, _dir) in crate::storage::tests::stores().await {
        crate::storage::tests::record_until(&s, engine(), &msgs, split, T0 + 1000 * HOUR).await;
        let mut second = engine();
        let resume = crate::storage::rebuild::rebuild(&s, &mut second)
            .await
            .unwrap();
        assert!(resume.silenced.is_empty(), "{:?}", resume.silenced);
        let got: Vec<String> = run(
            &mut second,
            msgs.iter().filter(|m| m.time > split).cloned().collect(),
        )
        .into_iter()
        .map(json)
        .collect();
        assert_eq!(got, want);
        s.close().await;
    }
}
