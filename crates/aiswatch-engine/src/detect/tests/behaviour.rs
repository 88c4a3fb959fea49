//! Identity change, fishing in a closed area and drifting, on hand-made
//! tracks encoded as real NMEA (the simulator's encoder) and decoded.

use super::*;
use aiswatch_decode::Decoder;
use aiswatch_sim::encode::{self, Dims, PositionA, StaticA};

/// A patrol box (lon 2..4, lat 3..5) watching identity and drifting, with a
/// closed area (lon 2.0..2.5, lat 3.0..3.5) in its corner.
const ZONES3: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"patrol","name":"Test patrol","centre":"TEST",
   "detect":{"identity_change":{},"drifting":{}}},
  "geometry":{"type":"Polygon","coordinates":[[[2,3],[4,3],[4,5],[2,5],[2,3]]]}},
 {"type":"Feature","properties":{"id":"mpa","name":"Test MPA","kind":"closed_area","centre":"TEST",
   "detect":{"fishing":{"min_duration":"1h"}}},
  "geometry":{"type":"Polygon","coordinates":[[[2,3],[2.5,3],[2.5,3.5],[2,3.5],[2,3]]]}}]}"#;

fn engine3() -> Engine {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), ZONES3).unwrap();
    let zones = ZoneSet::load_dir(dir.path(), crate::detect::SPECS).unwrap();
    Engine::new(EngineConfig::default())
        .with_detectors(Detectors::new(zones, DetectConfig::default()))
}

fn decode(lines: Vec<String>) -> Vec<Decoded> {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for l in lines {
        d.feed(l.as_bytes(), 0, &mut out);
    }
    out
}

/// One Class A position report with heading and status.
#[allow(clippy::too_many_arguments)]
fn report(
    mmsi: u32,
    t: Millis,
    lon: f64,
    lat: f64,
    sog: f64,
    cog: f64,
    heading: u16,
    status: u8,
) -> Vec<Decoded> {
    let p = encode::type1(&PositionA {
        mmsi,
        status,
        sog_kn: sog,
        lon,
        lat,
        cog: cog.rem_euclid(360.0),
        heading,
        second: ((t / 1000) % 60) as u8,
        radio: 0,
    });
    decode(encode::tagged_lines(&p, 0, 'A', "st1", t / 1000))
}

fn static5(
    mmsi: u32,
    t: Millis,
    name: &str,
    callsign: &str,
    imo: u32,
    ship_type: u8,
) -> Vec<Decoded> {
    static5_eta(mmsi, t, name, callsign, imo, ship_type, (1, 2, 3, 0))
}

/// [`static5`] with its ETA (month, day, hour, minute): another payload
/// for the same identity.
fn static5_eta(
    mmsi: u32,
    t: Millis,
    name: &str,
    callsign: &str,
    imo: u32,
    ship_type: u8,
    eta: (u8, u8, u8, u8),
) -> Vec<Decoded> {
    let p = encode::type5(&StaticA {
        mmsi,
        imo,
        callsign: callsign.into(),
        name: name.into(),
        ship_type,
        dims: Dims {
            to_bow: 40,
            to_stern: 10,
            to_port: 4,
            to_starboard: 4,
        },
        draught_m: 5.0,
        destination: "LAGOS".into(),
        eta,
    });
    decode(encode::tagged_lines(&p, 1, 'A', "st1", t / 1000))
}

/// Reports every `every` ms from `t0` to `t1` starting at `start`; `motion(t)`
/// gives (sog, cog, heading offset from cog, status). Positions follow sog/cog.
fn sail(
    mmsi: u32,
    t0: Millis,
    t1: Millis,
    every: Millis,
    start: (f64, f64),
    motion: impl Fn(Millis) -> (f64, f64, f64, u8),
) -> Vec<Decoded> {
    let mut out = Vec::new();
    let (mut lon, mut lat) = start;
    let mut t = t0;
    while t <= t1 {
        let (sog, cog, off, status) = motion(t);
        let heading = ((cog + off).round() as i64).rem_euclid(360) as u16;
        out.extend(report(mmsi, t, lon, lat, sog, cog, heading, status));
        let d_m = sog * 1852.0 / 3600.0 * (every as f64 / 1000.0);
        lat += d_m * cog.to_radians().cos() / 111_320.0;
        lon += d_m * cog.to_radians().sin() / (111_320.0 * lat.to_radians().cos());
        t += every;
    }
    out
}

fn of_kind(a: &[Alert], k: Kind, m: u32) -> Vec<&Alert> {
    a.iter()
        .filter(|a| a.kind == k && a.mmsi == [Mmsi(m)])
        .collect()
}

#[test]
fn identity_change_fires_on_changes_but_not_on_a_correction_at_voyage_start() {
    let mut e = engine3();
    let m = 244_000_101;
    let mut msgs = sail(m, T0, T0 + 9 * HOUR, MIN, (3.0, 4.0), |_| {
        (10.0, 90.0, 0.0, 0)
    });
    msgs.extend(static5(
        m,
        T0 + 2 * MIN,
        "SEA STAR",
        "PD1234",
        9_123_456,
        70,
    ));
    // Corrected once, 10 min after first contact: not an alert.
    msgs.extend(static5(
        m,
        T0 + 10 * MIN,
        "SEA STAR 2",
        "PD1234",
        9_123_456,
        70,
    ));
    msgs.extend(static5(
        m,
        T0 + 60 * MIN,
        "SEA STAR 2",
        "PD1234",
        9_123_456,
        70,
    ));
    // Renamed mid-voyage, then a new call sign.
    msgs.extend(static5(
        m,
        T0 + 90 * MIN,
        "OCEAN QUEEN",
        "PD1234",
        9_123_456,
        70,
    ));
    msgs.extend(static5(
        m,
        T0 + 100 * MIN,
        "OCEAN QUEEN",
        "V7XY1",
        9_123_456,
        70,
    ));
    // The same one-off correction on another vessel is never an alert.
    let c = 244_000_102;
    msgs.extend(sail(c, T0, T0 + 3 * HOUR, MIN, (3.0, 3.8), |_| {
        (10.0, 90.0, 0.0, 0)
    }));
    msgs.extend(static5(c, T0 + 2 * MIN, "BLUE FIN", "PD999", 9_123_457, 70));
    msgs.extend(static5(
        c,
        T0 + 8 * MIN,
        "BLUE FIN 7",
        "PD999",
        9_123_457,
        70,
    ));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(
        of_kind(&alerts, Kind::IdentityChange, c).is_empty(),
        "{alerts:#?}"
    );
    let a = of_kind(&alerts, Kind::IdentityChange, m);
    let states: Vec<State> = a.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        vec![State::Open, State::Update, State::Closed],
        "{a:#?}"
    );
    assert_eq!(a[0].started_at, T0 + 90 * MIN);
    assert_eq!(wire(a[0])["change"]["field"], "name");
    assert_eq!(wire(a[0])["change"]["from"], "SEA STAR 2");
    assert_eq!(wire(a[0])["change"]["to"], "OCEAN QUEEN");
    assert_eq!(wire(a[0])["correction"]["change"]["to"], "SEA STAR 2");
    assert!(
        a[0].summary
            .contains("name changed from \"SEA STAR 2\" to \"OCEAN QUEEN\""),
        "{}",
        a[0].summary
    );
    assert_eq!(wire(a[1])["change"]["field"], "callsign");
    assert_eq!(a[2].ended_at, Some(T0 + 100 * MIN));
    assert_eq!(wire(a[2])["reason"], "quiet");
}

#[test]
fn static_data_read_again_late_changes_no_identity() {
    // A vessel renamed mid-voyage; then the recording is read again (a
    // restart re-reading its file, or a satellite feed's late copies): its
    // old static messages, older than what the vessel has, must not turn
    // the name back and forth.
    let m = 244_000_111;
    // Another ETA each pass: payloads differ, so they are not dropped as
    // copies of messages just heard.
    let statics = |eta| {
        [
            (T0 + 2 * MIN, "SEA STAR"),
            (T0 + 60 * MIN, "SEA STAR"),
            (T0 + 90 * MIN, "OCEAN QUEEN"),
            (T0 + 120 * MIN, "OCEAN QUEEN"),
        ]
        .into_iter()
        .flat_map(|(t, name)| static5_eta(m, t, name, "PD1234", 9_123_456, 70, eta))
        .collect::<Vec<_>>()
    };
    let mut msgs = sail(m, T0, T0 + 4 * HOUR, MIN, (3.0, 4.0), |_| {
        (10.0, 90.0, 0.0, 0)
    });
    msgs.extend(statics((1, 2, 3, 0)));
    let mut e = engine3();
    let first = run(&mut e, msgs);
    let opened = of_kind(&first, Kind::IdentityChange, m)
        .iter()
        .filter(|a| a.state == State::Open)
        .count();
    assert_eq!(opened, 1, "{first:#?}");
    let again = run(&mut e, statics((4, 5, 6, 0)));
    assert!(
        of_kind(&again, Kind::IdentityChange, m).is_empty(),
        "{again:#?}"
    );
    // The last one is as new as what the vessel has: applied, changing nothing.
    assert_eq!(e.stats().late_statics, 3);
    let v = e.tracks().get(Mmsi(m)).expect("tracked");
    assert_eq!(v.name(), Some("OCEAN QUEEN"));
}

#[test]
fn identity_conflict_needs_back_and_forth_not_one_jump() {
    let mut e = engine3();
    let (twin, jump) = (244_000_201, 244_000_202);
    let mut msgs = Vec::new();
    // Two transmitters 110 km apart on one MMSI, heard in turn every 30 s.
    for k in 0..60 {
        let lon = if k % 2 == 0 { 2.5 } else { 3.5 };
        msgs.extend(report(
            twin,
            T0 + k * 30_000,
            lon + k as f64 * 1e-4,
            4.0,
            8.0,
            90.0,
            90,
            0,
        ));
    }
    // One jump that stays (spoofing's business), and a glitch and back.
    for k in 0..60 {
        let lon = if k < 20 {
            2.5
        } else if k == 40 {
            3.9
        } else {
            3.5
        };
        msgs.extend(report(
            jump,
            T0 + k * 30_000,
            lon + k as f64 * 1e-4,
            4.4,
            8.0,
            90.0,
            90,
            0,
        ));
    }
    msgs.extend(background(211_000_001, T0, T0 + 2 * HOUR, "st1"));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(
        of_kind(&alerts, Kind::IdentityChange, jump).is_empty(),
        "{alerts:#?}"
    );
    let a = of_kind(&alerts, Kind::IdentityChange, twin);
    assert_eq!(a[0].state, State::Open);
    assert_eq!(wire(a[0])["change"]["field"], "conflict");
    assert_eq!(wire(a[0])["change"]["switches"], 4);
    // The fifth report is the fourth jump.
    assert_eq!(a[0].started_at, T0 + 4 * 30_000);
    let km = wire(a[0])["change"]["distance_m"].as_f64().unwrap() / 1000.0;
    assert!((100.0..120.0).contains(&km), "{km}");
}

#[test]
fn flag_change_is_an_imo_under_another_country_mmsi() {
    let mut e = engine3();
    let (nl, mh) = (244_000_301, 538_000_301);
    let mut msgs = sail(nl, T0, T0 + HOUR, MIN, (3.0, 4.0), |_| (10.0, 90.0, 0.0, 0));
    msgs.extend(static5(
        nl,
        T0 + 5 * MIN,
        "GREY LADY",
        "PD777",
        9_300_001,
        80,
    ));
    msgs.extend(sail(
        mh,
        T0 + 2 * HOUR,
        T0 + 3 * HOUR,
        MIN,
        (3.2, 4.0),
        |_| (10.0, 90.0, 0.0, 0),
    ));
    msgs.extend(static5(
        mh,
        T0 + 2 * HOUR + 5 * MIN,
        "GREY LADY",
        "V7AB1",
        9_300_001,
        80,
    ));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(of_kind(&alerts, Kind::IdentityChange, nl).is_empty());
    let a = of_kind(&alerts, Kind::IdentityChange, mh);
    assert_eq!(a[0].state, State::Open);
    assert_eq!(wire(a[0])["change"]["field"], "flag");
    assert_eq!(wire(a[0])["change"]["from"], "NL");
    assert_eq!(wire(a[0])["change"]["to"], "MH");
    assert_eq!(wire(a[0])["change"]["previous_mmsi"], nl);
}

#[test]
fn fishing_in_a_closed_area_declared_or_trawling_but_not_transit() {
    let mut e = engine3();
    let (declared, trawler, transit, straight) =
        (244_000_401, 244_000_402, 244_000_403, 244_000_404);
    let mut msgs = Vec::new();
    for (m, ty) in [(declared, 30), (trawler, 70), (transit, 30), (straight, 70)] {
        msgs.extend(static5(m, T0, "F", "PD1", 9_400_000 + m % 100, ty));
    }
    let end = T0 + 2 * HOUR;
    msgs.extend(sail(declared, T0 + MIN, end, MIN, (2.1, 3.1), |_| {
        (3.0, 45.0, 0.0, 0)
    }));
    // Zigzag at 3.5 kn: a 90° turn every 15 min.
    msgs.extend(sail(trawler, T0 + MIN, end, MIN, (2.2, 3.2), |t| {
        let leg = (t - T0) / (15 * MIN);
        (3.5, if leg % 2 == 0 { 45.0 } else { 135.0 }, 0.0, 0)
    }));
    // A fishing vessel crossing at 10 kn; a cargo ship slow but straight.
    msgs.extend(sail(transit, T0 + MIN, end, MIN, (2.01, 3.3), |_| {
        (10.0, 90.0, 0.0, 0)
    }));
    msgs.extend(sail(straight, T0 + MIN, end, MIN, (2.05, 3.05), |_| {
        (3.0, 30.0, 0.0, 0)
    }));
    // Then the declared one leaves at 10 kn.
    msgs.extend(sail(
        declared,
        end + MIN,
        end + HOUR,
        MIN,
        (2.17, 3.17),
        |_| (10.0, 45.0, 0.0, 0),
    ));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(
        of_kind(&alerts, Kind::Fishing, transit).is_empty(),
        "{alerts:#?}"
    );
    assert!(
        of_kind(&alerts, Kind::Fishing, straight).is_empty(),
        "{alerts:#?}"
    );
    let d = of_kind(&alerts, Kind::Fishing, declared);
    assert_eq!(d[0].state, State::Open);
    assert_eq!(d[0].started_at, T0 + MIN);
    assert_eq!(d[0].at, T0 + 2 * MIN + HOUR);
    assert_eq!(wire(d[0])["declared_fishing"], true);
    assert_eq!(d[0].zone, "mpa");
    let closed = d.iter().find(|a| a.state == State::Closed).unwrap();
    assert_eq!(wire(closed)["reason"], "under way above fishing speeds");
    let t = of_kind(&alerts, Kind::Fishing, trawler);
    assert_eq!(t[0].state, State::Open);
    assert_eq!(wire(t[0])["declared_fishing"], false);
    assert!(
        wire(t[0])["turns"].as_u64().unwrap() >= 3,
        "{:?}",
        t[0].details
    );
    assert!(t[0].summary.contains("trawling-like"), "{}", t[0].summary);
}

#[test]
fn drifting_needs_a_wide_angle_and_no_anchor() {
    let mut e = engine3();
    let (drift, crab, anchored) = (244_000_501, 244_000_502, 244_000_503);
    let mut msgs = Vec::new();
    // Beam-on to a 2 kn current for an hour, then under way again.
    msgs.extend(sail(drift, T0, T0 + 2 * HOUR, 3 * MIN, (3.0, 4.0), |t| {
        if t < T0 + HOUR {
            (2.0, 200.0, 90.0, 0)
        } else {
            (10.0, 200.0, 2.0, 0)
        }
    }));
    // Under way with a cross current: 20° drift angle.
    msgs.extend(sail(crab, T0, T0 + 2 * HOUR, MIN, (3.0, 4.2), |_| {
        (10.0, 90.0, 20.0, 0)
    }));
    // At anchor, swinging: heading far off the (noise) course.
    msgs.extend(sail(
        anchored,
        T0,
        T0 + 2 * HOUR,
        3 * MIN,
        (3.0, 4.4),
        |_| (0.5, 10.0, 100.0, 1),
    ));
    let alerts = run(&mut e, msgs);
    assert_round_trips(&alerts);
    assert!(
        of_kind(&alerts, Kind::Drifting, crab).is_empty(),
        "{alerts:#?}"
    );
    assert!(
        of_kind(&alerts, Kind::Drifting, anchored).is_empty(),
        "{alerts:#?}"
    );
    let d = of_kind(&alerts, Kind::Drifting, drift);
    let states: Vec<State> = d.iter().map(|a| a.state).collect();
    assert_eq!(states, vec![State::Open, State::Closed], "{d:#?}");
    assert_eq!(d[0].started_at, T0);
    assert_eq!(d[0].at, T0 + 33 * MIN);
    assert_eq!(wire(d[1])["reason"], "heading back in line with the course");
    assert_eq!(d[1].ended_at, Some(T0 + HOUR));
    assert!(d[0].summary.contains("drifting"), "{}", d[0].summary);
}

#[test]
fn fishing_is_refused_outside_closed_areas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("z.geojson"),
        ZONES3.replace(r#""kind":"closed_area","#, ""),
    )
    .unwrap();
    let err = ZoneSet::load_dir(dir.path(), crate::detect::SPECS).unwrap_err();
    assert!(format!("{err:?}").contains("closed_area"), "{err:?}");
}
