//! Noise: corrupted copies of real lines, and garbage.

use super::{Emission, Item, Record};
use aiswatch_core::rng::Rng;

/// Adds corrupted copies of real lines and garbage (~`rate` of all lines).
/// Returns one trap item per noise line.
pub(crate) fn add_noise(em: &mut Emission, rng: &mut Rng, rate: f64) -> Vec<Item> {
    let candidates: Vec<usize> = em
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.position_of.is_some())
        .map(|(i, _)| i)
        .collect();
    let n = (em.lines as f64 * rate).round() as usize;
    let mut items = Vec::with_capacity(n);
    if candidates.is_empty() {
        return items;
    }
    const JUNK: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,.;:-_#";
    for _ in 0..n {
        let src = &em.records[*rng.pick(&candidates)];
        let (mmsi, c) = src.position_of.unwrap_or_default();
        let line = &src.text;
        let (text, what, mmsi) = match rng.below(5) {
            0 | 1 => {
                // Wrong checksum.
                let (body, sum) = line.split_at(line.len() - 2);
                let old = u8::from_str_radix(sum, 16).unwrap_or(0);
                let new = old ^ (1 + rng.below(255) as u8);
                (format!("{body}{new:02X}"), "bad checksum", vec![mmsi])
            }
            2 | 3 => {
                // Cut inside the sentence, before its checksum.
                let bang = line.find('!').unwrap_or(0);
                let star = line.rfind('*').unwrap_or(line.len());
                let cut = rng.int(bang as i64 + 10, star as i64 - 1) as usize;
                (line[..cut].to_string(), "truncated", vec![mmsi])
            }
            _ => {
                let len = rng.int(10, 60) as usize;
                let s: String = (0..len).map(|_| char::from(*rng.pick(JUNK))).collect();
                (format!("X{s}"), "garbage", Vec::new())
            }
        };
        em.records.push(Record {
            key_ms: src.key_ms + rng.below(100) as i64,
            idx: em.records.len() as u32,
            text,
            position_of: None,
        });
        items.push(Item {
            kind: "trap_noise",
            mmsi,
            zone: None,
            t0: c,
            t1: c,
            note: Some(what.to_string()),
        });
    }
    em.lines += n;
    items
}
