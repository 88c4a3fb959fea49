//! History reader tests: formats, values, rejects, sorting and spilling.

use super::formats::parse_time;
use super::*;
use crate::ais::{course_deg, heading_deg, lat_deg, lon_deg, speed_kn, ClassA, LAT_NA, LON_NA};
use crate::{Body, TimeSource};
use aiswatch_core::time::Millis;

const SHARED: &str = "../shared/data/ais";

fn parse(text: &str) -> (HistoryFormat, Vec<Decoded>, HistoryStats) {
    parse_history(text).expect("recognised")
}

/// Reads a whole file, sorted with `opts`.
fn read_with(
    path: &Path,
    opts: SortOptions,
) -> Result<(HistoryFormat, Vec<Decoded>, HistoryStats), HistoryError> {
    let mut r = HistoryReader::open(path, opts)?;
    let msgs: Vec<Decoded> = r.by_ref().collect();
    let format = r.format();
    Ok((format, msgs, r.finish()?))
}

fn read_history(path: &Path) -> Result<(HistoryFormat, Vec<Decoded>, HistoryStats), HistoryError> {
    read_with(path, SortOptions::default())
}

fn class_a(d: &Decoded) -> &ClassA {
    match &d.message.body {
        Body::ClassA(p) => p,
        b => panic!("not class A: {b:?}"),
    }
}

fn assert_sorted(v: &[Decoded]) {
    assert!(v.windows(2).all(|w| w[0].time <= w[1].time), "not sorted");
}

fn ms(s: &str) -> Millis {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn detect_recognises_headers_and_refuses_nmea() {
    let cases = [
        ("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass", Some(HistoryFormat::MarineCadastre)),
        ("# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D", Some(HistoryFormat::Dma)),
        ("datetime,mmsi,lon,lat,navigational_status,SOG,Heading,imo,shiptype,length,name,width,draught", Some(HistoryFormat::AisAnalyze)),
        ("\u{feff}ID,ais_pos_timestamp,longitude,latitude", Some(HistoryFormat::BoatPositions)),
        (r#"{"ssvid": 263576000, "lat": -23.2656002045, "lon": 97.1636123657, "timestamp": "2015-10-15T02:39:55.000000Z", "speed": 2.2999999523, "course": 267.0, "implied_speed": null}"#, Some(HistoryFormat::GpsdioJson)),
        ("timestamp,mmsi,type,lat,lon,speed,course,heading,status,shipname,callsign,tagblock_station,tagblock_timestamp,source_file", Some(HistoryFormat::GpsdioCsv)),
        ("recv_time_utc,time_source,mmsi,msg_type,lat,lon,sog,cog,heading,nav_status,talker\r", Some(HistoryFormat::DerivedPositions)),
        // Order and case do not matter; extra columns are ignored.
        ("lon,Lat,basedatetime,Extra,mmsi", Some(HistoryFormat::MarineCadastre)),
        ("!AIVDM,1,1,,B,17P>D600?w:9K`qpgqCf43h400RS,0*37", None),
        (r"\s:rEV02,c:1334337317*58\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj`26B0<02,0*5F", None),
        (r"\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58Kv,0*70", None),
        ("$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B", None),
        ("", None),
        ("hello,world", None),
        // Known marker but no position columns.
        ("MMSI,BaseDateTime,SOG", None),
        (r#"{"foo": 1}"#, None),
    ];
    for (line, want) in cases {
        assert_eq!(detect(line), want, "{line}");
    }
}

#[test]
fn csv_quotes_bom_and_empty_fields() {
    let got = row::split_header(r#"a,"RAY ""CHIEF"" TONEY","x, y",,"" "#).unwrap();
    assert_eq!(got, ["a", r#"RAY "CHIEF" TONEY"#, "x, y", "", ""]);
    assert_eq!(row::split_header("a,b,").unwrap().len(), 3);
    // Through the reader: a BOM, quotes, an empty field, CRLF.
    let text = "\u{feff}MMSI,BaseDateTime,LAT,LON,VesselName,CallSign\r\n\
1,2022-01-03T00:00:00,30,-88,\"A, \"\"B\"\"\",\r\n";
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::MarineCadastre);
    assert_eq!((st.rows, st.rejected, st.statics), (1, 0, 1), "{st:?}");
    assert!(
        matches!(&out[0].message.body, Body::StaticVoyage(x) if x.shipname == r#"A, "B""# && x.callsign.is_empty())
    );
}

#[test]
fn time_formats() {
    let t = ms("2022-01-03T00:00:00Z");
    assert_eq!(parse_time("2022-01-03T00:00:00"), Some(t));
    assert_eq!(parse_time("2022-01-03 00:00:00"), Some(t));
    assert_eq!(parse_time("2022-01-03T00:00:00.000000Z"), Some(t));
    assert_eq!(parse_time("03/01/2022 00:00:00"), Some(t));
    assert_eq!(parse_time("03/01/2022 00:00"), Some(t));
    assert_eq!(parse_time("2022-01-03T01:00:00+01:00"), Some(t));
    assert_eq!(parse_time("1641168000"), Some(t));
    assert_eq!(
        parse_time("2012-02-01T22:02:00.087Z"),
        Some(ms("2012-02-01T22:02:00.087Z"))
    );
    for bad in [
        "",
        "abc",
        "2022-13-03T00:00:00",
        "31/02/2018 00:02:10",
        "2022-01-03X00:00",
        "2022-01-03T25:00:00",
        "2022-01-03T00:00:00+5",
        "2022-01-03T00:00:00.Z",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}

// Five real MarineCadastre rows (US public domain), out of order, plus a
// repeat of a static block, a sentinel row and three malformed rows.
const MARINECADASTRE: &str = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass
367704390,2022-01-03T00:01:33,30.22024,-93.26774,0.1,90.1,194,\"RAY \"\"CHIEF\"\" TONEY\",,WDI5024,31,12,25,,,57,A
338148873,2022-01-03T00:00:00,33.60716,-117.91483,0.0,280.0,511,CAZADOR,,,37,,14,,,,B
367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,WTD4583,31,0,28,11,3.3,52,A
366899260,2022-01-03T00:00:03,34.12723,-119.44421,17.9,51.5,511,ISLAND ADVENTURE,,WDG9106,60,0,19,7,,60,A
367704390,2022-01-03T00:00:24,30.22025,-93.26768,0.2,275.4,197,\"RAY \"\"CHIEF\"\" TONEY\",,WDI5024,31,12,25,,,57,A
367000001,2022-01-03T00:05:00,91,181,102.3,360,511,,,,,,,,,,A
367000002,2022-01-03T00:05:00,abc,-88.5,0.0,0.0,511,,,,,,,,,,A
367000003,2022-01-03T24:05:00,30.1,-88.5,0.0,0.0,511,,,,,,,,,,A
367000004,2022-01-03T00:05:00,30.1,-88.5
";

#[test]
fn marinecadastre_rows_sorted_deduped_and_rejected() {
    let (fmt, out, st) = parse(MARINECADASTRE);
    assert_eq!(fmt, HistoryFormat::MarineCadastre);
    assert_eq!(st.rows, 9);
    assert_eq!(st.rejected, 3);
    assert_eq!(st.positions, 6);
    assert_eq!(
        st.first_errors,
        [
            r#"line 8: bad LAT "abc""#,
            r#"line 9: bad BaseDateTime "2022-01-03T24:05:00""#,
            "line 10: expected 17 fields, found 4",
        ]
    );
    assert_sorted(&out);
    // RAY "CHIEF" TONEY: one static for two identical rows, at the earlier time.
    let ray: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 367704390).collect();
    assert_eq!(ray.len(), 3);
    assert_eq!(ray[0].message.msg_type, 5);
    assert_eq!(ray[0].time, ms("2022-01-03T00:00:24Z"));
    let Body::StaticVoyage(sv) = &ray[0].message.body else {
        panic!()
    };
    assert_eq!(sv.shipname, r#"RAY "CHIEF" TONEY"#);
    assert_eq!(sv.callsign, "WDI5024");
    assert_eq!(sv.dims.length_m(), Some(25));
    let p = class_a(ray[1]);
    assert_eq!(p.status, 12);
    assert_eq!((p.speed, p.course, p.heading), (2, 2754, 197));
    assert_eq!(ray[1].time_source, TimeSource::Trailing);
    assert_eq!(ray[1].station, None);
    assert_eq!(ray[1].message.position(), Some((-93.26768, 30.22025)));

    // EAGLE: IMO prefix stripped, draught in decimetres, dims from L×W.
    let eagle = out
        .iter()
        .find(|d| d.message.mmsi == 367379190 && d.message.msg_type == 5)
        .unwrap();
    let Body::StaticVoyage(sv) = &eagle.message.body else {
        panic!()
    };
    assert_eq!((sv.imo, sv.shiptype, sv.draught), (8207721, 31, 33));
    assert_eq!(sv.dims.length_m(), Some(28));
    assert_eq!(
        u16::from(sv.dims.to_port) + u16::from(sv.dims.to_starboard),
        11
    );

    // CAZADOR is Class B: type 18 plus type 24 parts A and B.
    let caz: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 338148873).collect();
    let types: Vec<u8> = caz.iter().map(|d| d.message.msg_type).collect();
    assert_eq!(types, [24, 24, 18]);
    let Body::StaticDataB(a) = &caz[0].message.body else {
        panic!()
    };
    assert_eq!((a.partno, a.shipname.as_deref()), (0, Some("CAZADOR")));
    let Body::StaticDataB(b) = &caz[1].message.body else {
        panic!()
    };
    assert_eq!((b.partno, b.shiptype), (1, Some(37)));
    assert!(matches!(&caz[2].message.body, Body::ClassB(p) if p.heading == 511 && p.speed == 0));

    // The sentinel row: a report with every value "not available".
    let s = out.iter().find(|d| d.message.mmsi == 367000001).unwrap();
    let p = class_a(s);
    assert_eq!((p.lon, p.lat), (LON_NA, LAT_NA));
    assert_eq!(
        (p.speed, p.course, p.heading, p.status),
        (1023, 3600, 511, 15)
    );
    assert_eq!(s.message.position(), None);
    assert_eq!(st.statics, 5);
}

#[test]
fn out_of_range_values_are_not_available() {
    let text = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading
1,2022-01-03T00:00:00,-91,-181,-0.1,-1,-5
2,2022-01-03T00:00:00,NaN,nan,NaN,NaN,NaN
3,2022-01-03T00:00:00,90,-180,102.2,359.96,359.6
4,2022-01-03T00:00:00,1e300,-1e300,1e300,1e300,1e300
";
    let (_, out, st) = parse(text);
    assert_eq!((st.rows, st.positions, st.rejected), (4, 4, 0));
    for d in &out[..2] {
        let p = class_a(d);
        assert_eq!(
            (p.lon, p.lat, p.speed, p.course, p.heading),
            (LON_NA, LAT_NA, 1023, 3600, 511)
        );
    }
    let p = class_a(&out[2]);
    assert_eq!((lon_deg(p.lon), lat_deg(p.lat)), (Some(-180.0), Some(90.0)));
    assert_eq!(
        (
            speed_kn(p.speed),
            course_deg(p.course),
            heading_deg(p.heading)
        ),
        (Some(102.2), Some(0.0), Some(0))
    );
    let p = class_a(&out[3]);
    assert_eq!(
        (p.lon, p.lat, p.speed, p.course, p.heading),
        (LON_NA, LAT_NA, 1023, 3600, 511)
    );
}

#[test]
fn payload_hash_collapses_exact_duplicates_only() {
    let text = "\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading
1,2022-01-03T00:00:00,30.1,-88.5,1,2,3
1,2022-01-03T00:00:00,30.1,-88.5,1,2,3
1,2022-01-03T00:00:01,30.1,-88.5,1,2,3
1,2022-01-03T00:00:00,30.1,-88.6,1,2,3
2,2022-01-03T00:00:00,30.1,-88.5,1,2,3
";
    let (_, out, _) = parse(text);
    let h: Vec<u64> = out.iter().map(|d| d.payload_hash).collect();
    assert_eq!(h[0], h[1]);
    let distinct: ahash::AHashSet<u64> = h.iter().copied().collect();
    assert_eq!(distinct.len(), 4);
}

#[test]
fn dma_fixture() {
    let (fmt, out, st) = parse(include_str!(
        "../../../../tests/data/history/dma_aisdk_sample.csv"
    ));
    assert_eq!(fmt, HistoryFormat::Dma);
    assert_eq!((st.rows, st.rejected), (8, 1));
    assert_eq!(
        st.first_errors,
        [r#"line 8: bad Timestamp "31/02/2018 00:02:10""#]
    );
    assert_eq!(st.positions, 7);
    assert_sorted(&out);
    // Base station first (00:00:00), as a type 4 with its time.
    assert_eq!(out[0].message.msg_type, 4);
    assert!(
        matches!(&out[0].message.body, Body::BaseStation(b) if b.year == 2018 && b.second == 0)
    );
    let carrier: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000001).collect();
    assert_eq!(carrier.len(), 3, "static repeated in row 5 is dropped");
    let Body::StaticVoyage(sv) = &carrier[0].message.body else {
        panic!()
    };
    assert_eq!(sv.shipname, "TEST CARRIER");
    assert_eq!((sv.imo, sv.shiptype, sv.draught), (9123456, 70, 56));
    assert_eq!(
        (
            sv.dims.to_bow,
            sv.dims.to_stern,
            sv.dims.to_port,
            sv.dims.to_starboard
        ),
        (80, 18, 8, 8)
    );
    assert_eq!((sv.month, sv.day, sv.hour, sv.minute), (2, 27, 6, 0));
    assert_eq!(sv.destination, "AARHUS");
    assert_eq!(class_a(carrier[1]).status, 0);
    // Class B with a quoted name holding a comma.
    let b: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000002).collect();
    assert!(
        matches!(&b[0].message.body, Body::StaticDataB(x) if x.shipname.as_deref() == Some("SEA, SALT"))
    );
    assert!(
        matches!(&b[1].message.body, Body::StaticDataB(x) if x.shiptype == Some(37) && x.callsign.as_deref() == Some("OU1234"))
    );
    assert!(matches!(&b[2].message.body, Body::ClassB(p) if p.speed == 41 && p.heading == 511));
    // Moored then at anchor; IMO "Unknown" is 0.
    let f: Vec<&Decoded> = out.iter().filter(|d| d.message.mmsi == 219000003).collect();
    assert_eq!(f.len(), 3);
    assert!(matches!(&f[0].message.body, Body::StaticVoyage(x) if x.imo == 0 && x.shiptype == 30));
    assert_eq!((class_a(f[1]).status, class_a(f[2]).status), (5, 1));
    assert_eq!(class_a(f[1]).course, 3600);
    // Sentinels; "Engaged in fishing" is 7.
    let s = out.iter().find(|d| d.message.mmsi == 219000004).unwrap();
    let p = class_a(s);
    assert_eq!(
        (p.lon, p.lat, p.speed, p.course, p.status),
        (LON_NA, LAT_NA, 1023, 3600, 7)
    );
}

// Real rows of remip48/AISanalyze (MIT), reordered.
#[test]
fn aisanalyze_text_status_and_types() {
    let text = "\
datetime,mmsi,lon,lat,navigational_status,SOG,Heading,imo,shiptype,length,name,width,draught
2022-11-01 09:38:05,175,8.422753,55.473895,At anchor,0.0,161,Unknown,Fishing,17,Vessel 175,6,
2022-11-01 09:35:36,1,6.835648,55.735305,Under way using engine,12.5,30,9331347,Cargo,90,Vessel 1,13,3.6
2022-11-01 09:35:36,5,8.423378,55.471818,Unknown value,0.0,,Unknown,Reserved,,Vessel 5,,
2022-11-01 09:35:43,99,8.12001,56.369143,Reserved for future amendment [HSC],0.0,3,Unknown,Fishing,18,Vessel 99,6,
2022-11-01 09:35:36,13,8.435837,55.459477,Moored,0.0,184,9383754,Other,95,Vessel 13,20,6.2
2022-11-01 09:35:37,1,6.8357,55.7354,Under way using engine,12.5,30,9331347,Cargo,90,Vessel 1,13,3.6
";
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::AisAnalyze);
    assert_eq!(
        (st.rows, st.positions, st.statics, st.rejected),
        (6, 6, 5, 0)
    );
    assert_sorted(&out);
    let status = |mmsi: u32| {
        out.iter()
            .find(|d| d.message.mmsi == mmsi && d.message.msg_type == 1)
            .map(|d| class_a(d).status)
    };
    assert_eq!(status(175), Some(1));
    assert_eq!(status(1), Some(0));
    assert_eq!(status(5), Some(15));
    assert_eq!(status(99), Some(9));
    assert_eq!(status(13), Some(5));
    let sv = |mmsi: u32| {
        out.iter()
            .find_map(|d| match &d.message.body {
                Body::StaticVoyage(x) if d.message.mmsi == mmsi => Some(x.clone()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        (sv(1).imo, sv(1).shiptype, sv(1).draught),
        (9331347, 70, 36)
    );
    assert_eq!(
        (sv(175).shiptype, sv(13).shiptype, sv(5).shiptype),
        (30, 90, 0)
    );
    assert_eq!(sv(5).shipname, "Vessel 5");
}

// Real rows of movingpandas-examples boat-positions.csv (BSD-3 repository).
#[test]
fn boat_positions_with_bom() {
    let text = "\u{feff}ID,ais_pos_timestamp,longitude,latitude\r
2,21/03/2021 04:38,32.59446,31.74439\r
1,20/03/2021 00:22,32.32925,31.4386\r
1,20/03/2021 01:25,32.3986,31.40955\r
2,21/03/2021 04:40,32.59453,31.74094\r
x,21/03/2021 04:40,32.59453,31.74094\r
";
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::BoatPositions);
    assert_eq!(
        (st.rows, st.positions, st.statics, st.rejected),
        (5, 4, 0, 1)
    );
    assert_eq!(st.first_errors, [r#"line 6: bad ID "x""#]);
    assert_sorted(&out);
    assert_eq!(out[0].message.mmsi, 1);
    assert_eq!(out[0].time, ms("2021-03-20T00:22:00Z"));
    let p = class_a(&out[0]);
    assert_eq!(
        (p.speed, p.course, p.heading, p.status),
        (1023, 3600, 511, 15)
    );
    assert_eq!(out[0].message.position(), Some((32.32925, 31.4386)));
}

// Real lines of GlobalFishingWatch/gpsdio-segment (Apache-2.0).
#[test]
fn gpsdio_json_lines() {
    let text = r#"{"ssvid": 263576000, "lat": -23.2658004761, "lon": 97.163269043, "timestamp": "2015-10-15T02:40:18.000000Z", "speed": 3.4000000954, "course": 236.0, "implied_speed": "4.175164785001302"}
{"ssvid": 263576000, "lat": -23.2656002045, "lon": 97.1636123657, "timestamp": "2015-10-15T02:39:55.000000Z", "speed": 2.2999999523, "course": 267.0, "implied_speed": null}

{"ssvid": 416000000, "lat": 22.554946899414062, "lon": 120.32369232177734, "timestamp": "2014-01-01 01:31:34.000000", "course": 0, "speed": 0}
{"ssvid": 416000000, "lat": 22.5, "lon": 120.3, "timestamp": "yesterday", "course": 0, "speed": 0}
{"ssvid": 416000000, "lat": 22.5
{"ssvid": "338013000", "lat": null, "lon": -170.6182098389, "timestamp": "2017-07-18T00:07:20.000000Z", "speed": null, "course": 0}
"#;
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::GpsdioJson);
    assert_eq!((st.rows, st.positions, st.rejected), (6, 4, 2), "{st:?}");
    assert_eq!(st.first_errors[0], r#"line 5: bad timestamp "yesterday""#);
    assert!(
        st.first_errors[1].starts_with("line 6: bad JSON"),
        "{:?}",
        st.first_errors
    );
    assert_sorted(&out);
    assert_eq!(out[0].message.mmsi, 416000000);
    assert_eq!(out[1].time, ms("2015-10-15T02:39:55Z"));
    let p = class_a(&out[1]);
    assert_eq!((p.speed, p.course, p.heading), (23, 2670, 511));
    assert_eq!(class_a(&out[3]).lat, LAT_NA);
    assert_eq!(out[3].message.mmsi, 338013000);
}

// Real rows of gpsdio-segment's point-pair data (Apache-2.0), decoded.
#[test]
fn gpsdio_csv_types_stations_and_static_merge() {
    let text = "\
timestamp,mmsi,type,lat,lon,speed,course,heading,status,shipname,callsign,tagblock_station,tagblock_timestamp,source_file
2015-01-01T10:12:36.000000Z,224051350,5,,,,,,,BALUEIRO SEGUNDO,EHPX,rORBCOMM111,2015-01-01T10:12:36.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:12:36.000000Z,224051350,5,,,,,,,BALUEIRO SEGUNDO,EHPX,rORBCOMM107,2015-01-01T10:12:36.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:04:08.000000Z,224051350,1,-20.855125427246094,-96.11897277832031,6.199999809265137,97.69999694824219,511.0,15,,,rORBCOMM107,2015-01-01T10:04:08.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:09:27.000000Z,224051350,1,-20.85659408569336,-96.11213684082031,5.099999904632568,109.5,511.0,15,,,rORBCOMM107,2015-01-01T10:09:27.000000Z,point-pair/224051350.msg.gz
2015-01-01T10:09:27.000000Z,224051350,1,-20.85659408569336,-96.11213684082031,5.099999904632568,109.5,511.0,15,,,rORBCOMM109,2015-01-01T10:09:27.000000Z,point-pair/224051350.msg.gz
2014-08-19T00:45:28.000000Z,227317360,24,,,,,,,F/V SAINT THOMAS,,rORBCOMM009u,2014-08-19T00:45:28.000000Z,point-pair/227317360.msg.gz
2014-08-20T03:56:56.000000Z,227317360,24,,,,,,,,FL2743,rORBCOMM009u,2014-08-20T03:56:56.000000Z,point-pair/227317360.msg.gz
2014-08-20T07:50:51.000000Z,227317360,24,,,,,,,F/V SAINT THOMAS,,rORBCOMM009u,2014-08-20T07:50:51.000000Z,point-pair/227317360.msg.gz
2014-08-05T00:04:24.000000Z,227317360,18,50.72907257080078,1.5938750505447388,4.300000190734863,294.8999938964844,511.0,,,,rORBCOMM009u,2014-08-05T00:04:24.000000Z,point-pair/227317360.msg.gz
2014-08-05T00:05:00.000000Z,227317360,x,50.7,1.5,4.3,294.8,511.0,,,,rORBCOMM009u,2014-08-05T00:05:00.000000Z,point-pair/227317360.msg.gz
";
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::GpsdioCsv);
    assert_eq!((st.rows, st.positions, st.rejected), (10, 4, 1));
    assert_eq!(st.first_errors, [r#"line 11: bad type "x""#]);
    assert_sorted(&out);
    assert!(out.iter().all(|d| d.time_source == TimeSource::TagBlock));
    let types: Vec<(u32, u8)> = out
        .iter()
        .map(|d| (d.message.mmsi, d.message.msg_type))
        .collect();
    assert_eq!(
        types,
        [
            (227317360, 18),
            (227317360, 24),
            (227317360, 24),
            (224051350, 1),
            (224051350, 1),
            (224051350, 1),
            (224051350, 5),
        ]
    );
    // Part A at 08-19, part B (call sign) at 08-20; the repeat of the name is dropped.
    assert!(matches!(&out[1].message.body, Body::StaticDataB(x) if x.partno == 0));
    assert!(
        matches!(&out[2].message.body, Body::StaticDataB(x) if x.partno == 1 && x.callsign.as_deref() == Some("FL2743"))
    );
    assert_eq!(out[3].station.as_deref(), Some("rORBCOMM107"));
    // Two stations heard the same report: same hash, the engine collapses them.
    assert_eq!(out[4].payload_hash, out[5].payload_hash);
    assert_ne!(out[4].station, out[5].station);
    assert!(
        matches!(&out[6].message.body, Body::StaticVoyage(x) if x.shipname == "BALUEIRO SEGUNDO" && x.callsign == "EHPX")
    );
    assert_eq!(st.statics, 3);
}

#[test]
fn derived_positions_keep_types_and_time_source() {
    let text = "recv_time_utc,time_source,mmsi,msg_type,lat,lon,sog,cog,heading,nav_status,talker\r
2021-11-01T01:58:29.000Z,tagblock_c,412750020,27,30.903333,117.741667,0.0,25.0,,1,!AIVDM\r
2021-11-01T01:58:09.000Z,tagblock_c,995121034,21,-45.770665,170.719667,,,,,!AIVDM\r
2010-06-11T11:46:12.422Z,PGHP,235066562,1,55.632567,7.627452,2.9,348.8,297,0,!BSVDM\r
2010-06-11T11:46:11.390Z,PGHP,2311200,4,61.423605,-6.754698,,,,,!AIVDM\r
2012-02-01T22:02:00.087Z,trailing_ms,273412710,3,-69.099183,75.8972,0.8,105.6,49,0,!AIVDM\r
";
    let (fmt, out, st) = parse(text);
    assert_eq!(fmt, HistoryFormat::DerivedPositions);
    assert_eq!(
        (st.rows, st.positions, st.statics, st.rejected),
        (5, 5, 0, 0)
    );
    let types: Vec<u8> = out.iter().map(|d| d.message.msg_type).collect();
    assert_eq!(types, [4, 1, 3, 21, 27]);
    assert_eq!(out[0].time, ms("2010-06-11T11:46:11.390Z"));
    assert_eq!(out[0].time_source, TimeSource::Pghp);
    assert_eq!(out[2].time_source, TimeSource::Trailing);
    assert_eq!(out[3].time_source, TimeSource::TagBlock);
    assert!(matches!(out[0].message.body, Body::BaseStation(_)));
    assert!(matches!(out[3].message.body, Body::AidToNav(_)));
    let Body::LongRange(lr) = &out[4].message.body else {
        panic!()
    };
    assert_eq!((lr.speed, lr.course, lr.status), (0, 25, 1));
    let (lon, lat) = out[4].message.position().unwrap();
    assert!((lon - 117.741667).abs() < 0.001 && (lat - 30.903333).abs() < 0.001);
    assert_eq!(class_a(&out[2]).heading, 49);
}

#[test]
fn quoted_line_break_and_unterminated_quote() {
    let text = "MMSI,BaseDateTime,LAT,LON,VesselName\n\
1,2022-01-03T00:00:00,30,-88,\"TWO\nLINES\"\n\
2,2022-01-03T00:00:01,30,-88,\"OPEN\n";
    let (_, out, st) = parse(text);
    assert_eq!((st.rows, st.positions, st.rejected), (2, 1, 1));
    assert_eq!(st.first_errors, ["line 4: unterminated quoted field"]);
    assert!(matches!(&out[0].message.body, Body::StaticVoyage(x) if x.shipname == "TWO\nLINES"));
}

#[test]
fn read_history_files_gz_and_unknown() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("mc.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(MARINECADASTRE.as_bytes()).unwrap();
    enc.finish().unwrap();
    let (fmt, out, st) = read_history(&gz).unwrap();
    assert_eq!(fmt, HistoryFormat::MarineCadastre);
    assert_eq!((st.rows, st.positions, st.rejected), (9, 6, 3));
    assert_eq!(parse(MARINECADASTRE).1, out);
    assert_eq!(sniff(&gz).unwrap(), Some(HistoryFormat::MarineCadastre));

    let nmea = dir.path().join("x.nmea");
    let line = format!("!AIVDM,1,1,,B,{},0*37", "x".repeat(200));
    std::fs::write(&nmea, format!("{line}\n")).unwrap();
    assert_eq!(sniff(&nmea).unwrap(), None);
    match read_history(&nmea) {
        Err(HistoryError::UnknownFormat { path, first_line }) => {
            assert_eq!(path, nmea);
            assert_eq!(first_line.chars().count(), 120);
            assert!(line.starts_with(&first_line));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read_history(&dir.path().join("missing.csv")),
        Err(HistoryError::Open(..))
    ));
}

#[test]
fn garbage_never_panics() {
    let header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass";
    let rows = [
        ",,,,,,,,,,,,,,,,",
        "1,2022-01-03T00:00:00,1,1,1,1,1,\u{0}\u{ff},IMO,x,999,99,-5,1e9,1e9,,Z",
        "99999999999999999999,2022-01-03T00:00:00,1,1,,,,,,,,,,,,,",
        "1,2022-01-03T00:00:00,1,1,,,,,IMO99999999999,,,,,,,,",
        "1,9999-12-31T23:59:59.999999Z,1,1,,,,,,,,,,,,,",
        "1,2022-01-03T00:00:00,1,1,\"\"\"\",,,,,,,,,,,,",
        "\"",
    ];
    let text = format!("{header}\n{}\n", rows.join("\n"));
    let (_, out, st) = parse(&text);
    assert_eq!(st.rows, rows.len() as u64);
    assert_eq!(st.rejected, 4, "{:?}", st.first_errors);
    assert_sorted(&out);
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join(SHARED)
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} not found, test skipped", p.display());
        None
    }
}

#[test]
fn full_marinecadastre_sample() {
    let Some(p) = shared("noaa-marinecadastre-20220103/AIS_2022_01_03_first99999.csv") else {
        return;
    };
    let (fmt, out, st) = read_history(&p).unwrap();
    assert_eq!(fmt, HistoryFormat::MarineCadastre);
    assert_eq!(st.rows, 99_999);
    assert_eq!(st.rejected, 0, "{:?}", st.first_errors);
    assert!(st.positions >= 99_000, "{st:?}");
    let mmsis: ahash::AHashSet<u32> = out.iter().map(|d| d.message.mmsi).collect();
    assert_eq!(mmsis.len(), 10_631);
    assert_sorted(&out);
    assert!(st.statics < 20_000, "{st:?}");
}

/// Counts for every real file (run with `--nocapture` to see them).
#[test]
fn real_files_summary() {
    let files = [
        "noaa-marinecadastre-20220103/AIS_2022_01_03_first99999.csv",
        "aisdb/test_data_noaa_20230101.csv",
        "aisanalyze/ais_anonymized.csv",
        "movingpandas-boat-positions/boat-positions.csv",
        "gfw-gpsdio-segment/263576000.json",
        "gfw-gpsdio-segment/338013000.json",
        "gfw-gpsdio-segment/416000000.json",
        "gfw-gpsdio-segment/segmented-416000000.json",
        "gfw-gpsdio-segment/point-pair-decoded.csv",
        "derived/aisdb__test_data_20211101.positions.csv",
        "derived/amsa-risky__exact-earth-augmented-2.positions.csv",
        "derived/amsa-risky__exact-earth-augmented-3.positions.csv",
        "derived/amsa-risky__exact-earth-augmented.positions.csv",
        "derived/dma-aislib__stream_example.positions.csv",
    ];
    for f in files {
        let Some(p) = shared(f) else { continue };
        let t = std::time::Instant::now();
        let (fmt, out, st) = read_history(&p).unwrap();
        let mmsis: ahash::AHashSet<u32> = out.iter().map(|d| d.message.mmsi).collect();
        eprintln!(
            "{f}: {fmt} rows {} positions {} statics {} rejected {} mmsis {} in {:?} {:?}",
            st.rows,
            st.positions,
            st.statics,
            st.rejected,
            mmsis.len(),
            t.elapsed(),
            st.first_errors
        );
        assert_eq!(st.rejected, 0, "{f}: {:?}", st.first_errors);
        assert_eq!(out.len() as u64, st.positions + st.statics);
        assert_sorted(&out);
    }
    // NMEA files are not history.
    if let Some(p) = shared("amsa-risky/exact-earth-with-tag-block.txt") {
        assert_eq!(sniff(&p).unwrap(), None);
    }
}

#[test]
fn more_time_shapes() {
    let t = ms("2022-01-03T00:00:00Z");
    assert_eq!(parse_time("2022-01-03"), Some(t));
    assert_eq!(parse_time("2022-01-03t00:00"), Some(t));
    assert_eq!(parse_time(" 2022-01-03 00:00:00 UTC "), Some(t));
    assert_eq!(parse_time("2022-01-03T01:00:00+01"), Some(t));
    assert_eq!(parse_time("2022-01-02T23:30:00-0030"), Some(t));
    assert_eq!(parse_time("1641168000000"), Some(t));
    assert_eq!(parse_time("03/01/2022"), Some(t));
    // Fractions are truncated to the millisecond.
    assert_eq!(parse_time("2022-01-03T00:00:00.1239Z"), Some(t + 123));
    for bad in [
        "2022-1-03T00:00:00",
        "2022-01-03T0:00:00",
        "2022-01-03T 0:00:00",
        "2022-01-03T00:00:0",
        "3/01/2022 00:00",
        "2022-01-03T00:00:00+1:00",
        "2022-01-03T00:00:00 +01:00",
        "2022-01-03T00:00:00Zjunk",
        "12",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}

/// `n` MarineCadastre rows from 40 vessels whose static values change now
/// and then, at shuffled times with many ties.
fn shuffled_marinecadastre(n: usize, seed: u64) -> String {
    let mut rng = aiswatch_core::rng::Rng::new(seed);
    let mut s = String::from("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n");
    for i in 0..n {
        let v = rng.below(40);
        let t = chrono::DateTime::from_timestamp(1_641_168_000 + rng.int(0, 600), 0).unwrap();
        let name = format!("SHIP {v} V{}", rng.below(3));
        let class = if v % 5 == 0 { "B" } else { "A" };
        let draft = if rng.chance(0.5) { "3.5" } else { "" };
        if i % 997 == 5 {
            s.push_str("garbage,row\n");
        }
        s.push_str(&format!(
            "{},{},{:.5},{:.5},{:.1},{:.1},511,\"{name}\",,CS{v},70,0,{},10,{draft},,{class}\n",
            367_000_000 + v,
            t.format("%Y-%m-%dT%H:%M:%S"),
            rng.range(20.0, 40.0),
            rng.range(-90.0, -70.0),
            rng.range(0.0, 20.0),
            rng.range(0.0, 359.0),
            50 + v,
        ));
    }
    s
}

#[test]
fn many_spilled_runs_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, shuffled_marinecadastre(3_000, 7)).unwrap();
    let (fmt, one, st1) = read_history(&path).unwrap();
    assert_eq!(fmt, HistoryFormat::MarineCadastre);
    assert_eq!((st1.rows, st1.rejected), (3_004, 4));
    assert_sorted(&one);

    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    for fan_in in [2, 4, 64] {
        let opts = SortOptions {
            run_rows: 100,
            fan_in,
            temp_dir: Some(spill.clone()),
        };
        let mut r = HistoryReader::open(&path, opts).unwrap();
        assert!(r.spilled_runs() >= 1, "{}", r.spilled_runs());
        assert!(r.spilled_runs() <= 30);
        let many: Vec<Decoded> = r.by_ref().collect();
        let st = r.finish().unwrap();
        assert_eq!(st, st1, "fan-in {fan_in}");
        assert_eq!(many, one, "fan-in {fan_in}");
        assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0, "left over");
    }
    assert_eq!(one.len() as u64, st1.positions + st1.statics);
}

#[test]
fn statics_dedup_in_time_order() {
    // File order A@10, A@30, B@20: in time order A, B, A again.
    let text = "\
MMSI,BaseDateTime,LAT,LON,VesselName
1,2022-01-03T00:00:10,30,-88,ALPHA
1,2022-01-03T00:00:30,30,-88,ALPHA
1,2022-01-03T00:00:20,30,-88,BRAVO
1,2022-01-03T00:00:40,30,-88,BRAVO
1,2022-01-03T00:00:35,30,-88,
";
    let (_, out, st) = parse(text);
    let names: Vec<(i64, String)> = out
        .iter()
        .filter_map(|d| match &d.message.body {
            Body::StaticVoyage(x) => Some((d.time / 1000 % 60, x.shipname.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            (10, "ALPHA".into()),
            (20, "BRAVO".into()),
            (30, "ALPHA".into()),
            (40, "BRAVO".into())
        ]
    );
    assert_eq!((st.positions, st.statics), (5, 4));
}

#[test]
fn runaway_quote_is_one_reject_and_reading_resumes() {
    let mut text = String::from("MMSI,BaseDateTime,LAT,LON,VesselName\n");
    text.push_str("1,2022-01-03T00:00:00,30,-88,\"OPEN\n");
    // 200 KB of lines without a quote: swallowed, then given up.
    for i in 0..4_000 {
        text.push_str(&format!(
            "2,2022-01-03T00:01:00,30,-88,LOST {i:05} {}\n",
            "x".repeat(30)
        ));
    }
    text.push_str("3,2022-01-03T00:02:00,30,-88,FOUND\n");
    let (_, out, st) = parse(&text);
    assert_eq!(st.first_errors[0], "line 2: unterminated quoted field");
    assert_eq!(st.rejected, 1, "{:?}", st.first_errors);
    assert!(st.rows > 1 && st.rows < 4_000, "{st:?}");
    assert_eq!(out.last().map(|d| d.message.mmsi), Some(3));
    // Line numbers stay right after the resync.
    let bad = text.replace("FOUND\n", "FOUND\n4,x,30,-88,Z\n");
    let (_, _, st) = parse(&bad);
    assert_eq!(st.first_errors[1], r#"line 4004: bad BaseDateTime "x""#);
}

#[test]
fn invalid_utf8_and_blank_lines() {
    let mut bytes = b"MMSI,BaseDateTime,LAT,LON,VesselName\n\n  \n".to_vec();
    bytes.extend_from_slice(b"1,2022-01-03T00:00:00,30,-88,BAD\xff\xfeNAME\n\r\n");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.csv");
    std::fs::write(&p, &bytes).unwrap();
    let (_, out, st) = read_history(&p).unwrap();
    assert_eq!((st.rows, st.rejected, st.positions), (1, 0, 1), "{st:?}");
    assert!(
        matches!(&out[0].message.body, Body::StaticVoyage(x) if x.shipname == "BAD\u{fffd}\u{fffd}NAME")
    );
}
