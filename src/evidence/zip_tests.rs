//! Crafted zips: a verifier that meets a bundle built to deceive it (renamed,
//! hidden or size-lying members) refuses it before reading its files.

use super::tests::installation;
use super::*;
use crate::storage::Scope;

#[path = "../../tests/common/crafted_zip.rs"]
mod crafted_zip;
use crafted_zip::{declared, renamed, zip_of};

/// `zip` (no comment, not zip64) with its first entry left out of the
/// central directory: its local header and data stay, hidden, before the
/// others (a reader that walks the local headers shows it).
fn hidden_first(zip: &[u8]) -> Vec<u8> {
    let le16 = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let le32 = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap()) as usize;
    let eocd = zip.len() - 22;
    assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06");
    let (count, size, start) = (le16(eocd + 10), le32(eocd + 12), le32(eocd + 16));
    let first = 46 + le16(start + 28) + le16(start + 30) + le16(start + 32);
    let mut out = zip[..start].to_vec();
    out.extend_from_slice(&zip[start + first..start + size]);
    out.extend_from_slice(&zip[eocd..eocd + 8]);
    for n in [count - 1, count - 1] {
        out.extend_from_slice(&(n as u16).to_le_bytes());
    }
    out.extend_from_slice(&((size - first) as u32).to_le_bytes());
    out.extend_from_slice(&(start as u32).to_le_bytes());
    out.extend_from_slice(&zip[eocd + 20..]);
    out
}

/// Whether verifying `zip` failed with one finding about the zip itself
/// that holds `what`.
fn refused(o: &VerifyOutcome, what: &str) -> bool {
    o.findings.len() == 1 && o.findings[0].file == "bundle" && o.findings[0].what.contains(what)
}

#[tokio::test]
async fn crafted_zips_are_refused_before_their_files_are_read() {
    let inst = installation().await;
    let mut ctx = inst.ctx.clone();
    ctx.margin_ms = 0;
    let good = export(&ctx, &inst.alert_id, &Scope::Admin).await.unwrap();
    let public = ctx.key.verifying_key();
    let entries = || good.entries.iter().map(|(p, b)| (p.as_str(), b.as_slice()));
    let zip = zip_of(entries());
    assert!(verify_zip(&zip, Some(&public)).is_ok());

    // A forged positions.csv placed before the genuine one: most readers
    // show the first copy, a map by name keeps the last.
    let forged =
        b"mmsi,time_ms,time,lon,lat,sog_dkn,cog_ddeg,heading,nav_status,msg_type,station,source\n";
    let two = renamed(
        zip_of(std::iter::once(("positions.csX", &forged[..])).chain(entries())),
        "positions.csX",
        files::POSITIONS_CSV,
    );
    let o = verify_zip(&two, Some(&public));
    assert!(
        refused(&o, "positions.csv: appears twice in the zip"),
        "{:?}",
        o.findings
    );
    assert!(Bundle::from_zip(&two).is_err());

    // The same forged file hidden: in the zip before the genuine one, but
    // not in the central directory.
    let hidden = renamed(
        hidden_first(&zip_of(
            std::iter::once(("positions.csX", &forged[..])).chain(entries()),
        )),
        "positions.csX",
        files::POSITIONS_CSV,
    );
    let o = verify_zip(&hidden, Some(&public));
    assert!(
        refused(&o, "belong to no entry of its central directory"),
        "{:?}",
        o.findings
    );

    // A file that is not a bundle's, whatever its place.
    for name in ["extra.txt", "../evil", "raw/lines.nmea.bak"] {
        let z = zip_of(entries().chain(std::iter::once((name, &b"x"[..]))));
        let o = verify_zip(&z, Some(&public));
        assert!(
            refused(&o, &format!("{name}: not a file of an evidence bundle")),
            "{:?}",
            o.findings
        );
    }

    // More entries than a bundle may hold: refused by the count alone.
    let junk: Vec<String> = (0..52).map(|i| format!("junk/{i}")).collect();
    let z = zip_of(entries().chain(junk.iter().map(|n| (n.as_str(), &b""[..]))));
    let o = verify_zip(&z, Some(&public));
    assert!(
        refused(
            &o,
            "65 entries in the zip, more than the 64 a bundle may hold"
        ),
        "{:?}",
        o.findings
    );

    // Sizes past the limits, as the zip declares them: one file, all,
    // those kept in memory.
    let total: u64 = good.entries.iter().map(|(_, b)| b.len() as u64).sum();
    let largest = good.entries.iter().max_by_key(|(_, b)| b.len()).unwrap();
    let within = |l: Limits| verify_reader(std::io::Cursor::new(&zip), Some(&public), &l);
    let d = Limits::default();
    assert!(within(d).is_ok());
    let o = within(Limits {
        max_member_bytes: largest.1.len() as u64 - 1,
        ..d
    });
    assert!(
        refused(
            &o,
            &format!("{}: {} bytes, more than", largest.0, largest.1.len())
        ),
        "{:?}",
        o.findings
    );
    let o = within(Limits {
        max_total_bytes: total - 1,
        ..d
    });
    assert!(
        refused(
            &o,
            &format!(
                "{total} bytes in all when inflated, more than the {}",
                total - 1
            )
        ),
        "{:?}",
        o.findings
    );
    let o = within(Limits {
        max_held_bytes: 1000,
        ..d
    });
    assert!(
        refused(&o, "more than the 1000 verification reads"),
        "{:?}",
        o.findings
    );
    assert!(Bundle::from_zip_within(
        &zip,
        &Limits {
            max_total_bytes: total - 1,
            ..d
        }
    )
    .is_err());

    // A file that inflates past the size the zip declares is cut off there.
    let map = good.get(files::MAP).unwrap();
    let z = declared(zip.clone(), files::MAP, map.len() as u32 - 10);
    let o = verify_zip(&z, Some(&public));
    assert!(
        refused(
            &o,
            &format!(
                "map.svg: inflates to more than the {} bytes the zip declares",
                map.len() - 10
            )
        ),
        "{:?}",
        o.findings
    );

    // Not a zip, or an end record that points nowhere: refused, no panic.
    for bad in [&b""[..], &b"PK\x05\x06"[..], &zip[..zip.len() - 1]] {
        let o = verify_zip(bad, Some(&public));
        assert!(refused(&o, "not a readable zip file"), "{:?}", o.findings);
    }
}
