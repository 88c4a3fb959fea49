//! Positions are stored in blocks: one row holds the reports of one vessel
//! in one grid cell and one hour that one batch wrote, packed ([`encode`];
//! the layout is in `blocks/points.rs`). A batch of 20 000 positions from
//! 2 000 vessels writes about 2 000 rows, not 20 000: each row costs a key
//! in the table's B-tree (and a page written to the WAL), and each byte its
//! share of the pages, so rows and then bytes are what a write pays for.
//! Queries read the blocks their key finds (cell, hour, vessel) and keep
//! the points that match.
//!
//! A block's key is `(cell, hour, mmsi, first_seq)`, beside it the
//! sequence range, the time range and the count of its points. A block
//! never spans batches: the restart's replay finds the blocks of a
//! sequence range from the batch that holds its start (`position_batches`).
//!
//! The duplicate check is the block's: a report already stored (the same
//! vessel, place, time and payload hash: an input read again after a
//! restart) is dropped before the block is written. Only stored blocks of
//! the same key whose time range overlaps the new one's can hold one.

mod points;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub(super) use points::{decode, encode};
use points::{name_of, Packer};

use super::{cell_of, hour_of, HeardRow, PositionRow, StaticRow, StorageError, Tick};
use aiswatch_core::ids::Mmsi;
use aiswatch_core::time::Millis;

/// The first byte of the messages heard of a batch: the layout that follows.
const FORMAT: u8 = 1;

/// A block's place in the table: (cell, hour, mmsi).
pub(super) type BlockKey = (i64, i64, i64);

/// A stored block: its place and its packed reports.
pub(super) type Stored = (BlockKey, Vec<u8>);

/// A block to write: one vessel's new reports in one cell and hour, packed.
pub(super) struct Block {
    pub cell: i64,
    pub hour: i64,
    pub mmsi: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub t_min: Millis,
    pub t_max: Millis,
    /// [`encode`]d.
    pub points: Vec<u8>,
    /// The reports it holds: indices into the batch's positions, in
    /// sequence order.
    rows: Vec<u32>,
}

impl Block {
    /// The block of `rows` (indices into `all`, sequence and time both
    /// rising), whose reports `points` holds [`encode`]d.
    fn packed(key: BlockKey, rows: Vec<u32>, all: &[PositionRow], points: Vec<u8>) -> Block {
        let row = |i: Option<&u32>| i.map(|&i| &all[i as usize]);
        let (first, last) = (row(rows.first()), row(rows.last()));
        Block {
            cell: key.0,
            hour: key.1,
            mmsi: key.2,
            first_seq: first.map_or(0, |r| r.seq as i64),
            last_seq: last.map_or(0, |r| r.seq as i64),
            t_min: first.map_or(0, |r| r.time),
            t_max: last.map_or(0, |r| r.time),
            points,
            rows,
        }
    }

    /// The block of `rows` (indices into `all`, sequence order), packed.
    fn pack(key: BlockKey, rows: Vec<u32>, all: &[PositionRow]) -> Block {
        let refs: Vec<&PositionRow> = rows.iter().map(|&i| &all[i as usize]).collect();
        let (points, times) = (encode(&refs), refs.iter().map(|r| r.time));
        Block {
            t_min: times.clone().min().unwrap_or(0),
            t_max: times.max().unwrap_or(0),
            ..Block::packed(key, rows, all, points)
        }
    }

    /// Reports in the block.
    pub fn n(&self) -> i64 {
        self.rows.len() as i64
    }
}

/// `rows` grouped into blocks, in key order, each block's rows in
/// sequence order, a report repeated within the batch kept once.
/// `one_each`: a block per row (rows that may span batches, see
/// [`super::Store::move_legacy_positions`]).
pub(super) fn group(rows: &[PositionRow], one_each: bool) -> Vec<Block> {
    // Rows counted by key in one pass (a batch holds a few thousand keys
    // for tens of thousands of rows), then listed, then the keys sorted.
    let mut at: ahash::AHashMap<BlockKey, usize> = ahash::AHashMap::new();
    let mut groups: Vec<Gathered> = Vec::new();
    let mut group_of: Vec<u32> = Vec::with_capacity(rows.len());
    for r in rows {
        let key = (cell_of(r.lon, r.lat), hour_of(r.time), i64::from(r.mmsi.0));
        let g = *at.entry(key).or_insert_with(|| {
            groups.push(Gathered {
                key,
                rows: Vec::new(),
                n: 0,
                rising: true,
                last: (0, Millis::MIN),
            });
            groups.len() - 1
        });
        let grp = &mut groups[g];
        grp.rising &= grp.n == 0 || r.seq > grp.last.0 && r.time > grp.last.1;
        grp.last = (r.seq, r.time);
        grp.n += 1;
        group_of.push(g as u32);
    }
    // Each block's rows listed in one pass over the batch in order, each
    // list made its size at once. A vessel's reports mostly come in
    // sequence and time order: those blocks are packed in the same pass
    // (each block's reports read one by one from all over the batch would
    // each wait for memory).
    let mut packers: Vec<Option<Packer>> = Vec::with_capacity(groups.len());
    for g in &mut groups {
        g.rows.reserve_exact(g.n);
        packers.push((g.rising && !one_each).then(|| Packer::with_room(g.n)));
    }
    for (i, (r, &g)) in rows.iter().zip(&group_of).enumerate() {
        groups[g as usize].rows.push(i as u32);
        if let Some(p) = &mut packers[g as usize] {
            p.push(r);
        }
    }
    let mut groups: Vec<(Gathered, Option<Packer>)> = groups.into_iter().zip(packers).collect();
    groups.sort_unstable_by_key(|g| g.0.key);
    let seq = |&i: &u32| rows[i as usize].seq;
    let mut out = Vec::with_capacity(groups.len());
    for (gathered, packer) in groups {
        let (key, mut g) = (gathered.key, gathered.rows);
        if let Some(p) = packer {
            // Sequence and time both rising: no report repeated.
            out.push(Block::packed(key, g, rows, p.finish()));
            continue;
        }
        // Sequence order: the order a batch holds its rows in already.
        if !g.is_sorted_by_key(seq) {
            g.sort_by_key(seq);
        }
        // A report repeated within the batch (same time and hash): its
        // first copy.
        let same = |&i: &u32| (rows[i as usize].time, rows[i as usize].hash);
        if has_repeat(&g, same) {
            let mut kept = ahash::AHashSet::with_capacity(g.len());
            g.retain(|i| kept.insert(same(i)));
        }
        if one_each {
            out.extend(g.into_iter().map(|i| Block::pack(key, vec![i], rows)));
        } else {
            out.push(Block::pack(key, g, rows));
        }
    }
    out
}

/// One block's rows, as the batch is gathered.
struct Gathered {
    key: BlockKey,
    rows: Vec<u32>,
    /// Rows counted so far.
    n: usize,
    /// Every row's sequence number and time above those of the row
    /// before it.
    rising: bool,
    /// The last row's sequence number and time.
    last: (u64, Millis),
}

/// Whether two of `g` have the same `of` (time, hash). Not when the times
/// only increase, as a vessel's reports mostly do; else compared pairwise
/// in small groups, sorted in larger ones.
fn has_repeat(g: &[u32], of: impl Fn(&u32) -> (Millis, u64)) -> bool {
    if g.windows(2).all(|w| of(&w[0]).0 < of(&w[1]).0) {
        return false;
    }
    if g.len() <= 16 {
        return g
            .iter()
            .enumerate()
            .any(|(n, a)| g[n + 1..].iter().any(|b| of(a) == of(b)));
    }
    let mut seen: Vec<(Millis, u64)> = g.iter().map(of).collect();
    seen.sort_unstable();
    seen.windows(2).any(|w| w[0] == w[1])
}

/// What each database does its own way with the rows a batch brings many
/// of: find the stored blocks that may hold a report of new ones, write
/// new blocks, write ticks and static changes.
pub(super) trait BulkWrites: sqlx::Database {
    /// The stored blocks of the same key as one of `blocks` whose time
    /// range overlaps its own. One statement for the batch.
    async fn stored_overlaps(
        tx: &mut sqlx::Transaction<'_, Self>,
        blocks: &[&Block],
    ) -> Result<Vec<Stored>, StorageError>;

    /// Writes `blocks`, and whatever the database keeps to find them. A
    /// database may move a block's packed reports into its statement
    /// rather than copy them: the blocks of a failed transaction are packed
    /// again before it is tried again.
    async fn insert_blocks(
        tx: &mut sqlx::Transaction<'_, Self>,
        blocks: &mut [Block],
    ) -> Result<(), StorageError>;

    /// Writes `ticks`, through statements prepared once per connection.
    async fn insert_ticks(
        tx: &mut sqlx::Transaction<'_, Self>,
        ticks: &[Tick],
    ) -> Result<(), StorageError>;

    /// Upserts static changes by (mmsi, t), no two of the same key in
    /// `rows`, through statements prepared once per connection.
    async fn upsert_statics(
        tx: &mut sqlx::Transaction<'_, Self>,
        rows: &[&StaticRow],
    ) -> Result<(), StorageError>;
}

/// Writes `blocks` (of the batch `rows`), a report already stored
/// dropped first, then notes the batch's sequence range in
/// `position_batches` (a sequence number is never reused, but if it were,
/// the newest range counts). The same on both databases.
pub(super) async fn write<DB: BulkWrites>(
    tx: &mut sqlx::Transaction<'_, DB>,
    rows: &[PositionRow],
    blocks: &mut Vec<Block>,
) -> Result<(), StorageError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> i64: sqlx::Decode<'a, DB> + sqlx::Type<DB> + sqlx::Encode<'a, DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    if blocks.is_empty() {
        return Ok(());
    }
    let until = stored_until(&mut **tx).await?;
    let check = to_check(blocks, until);
    if !check.is_empty() {
        let stored = DB::stored_overlaps(tx, &check).await?;
        drop_stored(blocks, rows, &stored)?;
    }
    DB::insert_blocks(tx, blocks).await?;
    let first = blocks.iter().map(|b| b.first_seq).min();
    let last = blocks.iter().map(|b| b.last_seq).max();
    if let (Some(first), Some(last)) = (first, last) {
        sqlx::query(
            "INSERT INTO position_batches (first_seq, last_seq) VALUES ($1, $2) \
             ON CONFLICT (first_seq) DO UPDATE SET last_seq = excluded.last_seq",
        )
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The newest report time stored before this batch (`store_meta`'s
/// `max_t`): a block whose reports all come later can hold no report
/// already stored, and needs no look at the stored blocks. In a feed in
/// time order that is nearly every block.
async fn stored_until<'c, DB: sqlx::Database>(
    conn: impl sqlx::Executor<'c, Database = DB>,
) -> Result<Option<Millis>, StorageError>
where
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> i64: sqlx::Decode<'a, DB> + sqlx::Type<DB> + sqlx::Encode<'a, DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let v: Option<(i64,)> = sqlx::query_as("SELECT value FROM store_meta WHERE key = $1")
        .bind("max_t")
        .fetch_optional(conn)
        .await?;
    Ok(v.map(|v| v.0))
}

/// The blocks of `blocks` that may repeat a stored report: those starting
/// at or before `until` (see [`stored_until`]).
fn to_check(blocks: &[Block], until: Option<Millis>) -> Vec<&Block> {
    match until {
        Some(u) => blocks.iter().filter(|b| b.t_min <= u).collect(),
        None => Vec::new(),
    }
}

/// Drops from `blocks` (of the batch `rows`) the reports `stored` (blocks
/// already stored, by key) hold, packs again those that lost some, and
/// drops the blocks left empty.
pub(super) fn drop_stored(
    blocks: &mut Vec<Block>,
    rows: &[PositionRow],
    stored: &[Stored],
) -> Result<(), StorageError> {
    if stored.is_empty() {
        return Ok(());
    }
    let mut seen: ahash::AHashSet<(i64, i64, i64, Millis, u64)> = ahash::AHashSet::new();
    for ((cell, hour, mmsi), points) in stored {
        for p in decode(Mmsi(*mmsi as u32), points)? {
            seen.insert((*cell, *hour, *mmsi, p.time, p.hash));
        }
    }
    for b in blocks.iter_mut() {
        let key = (b.cell, b.hour, b.mmsi);
        let mut kept = std::mem::take(&mut b.rows);
        let before = kept.len();
        kept.retain(|&i| {
            let r = &rows[i as usize];
            !seen.contains(&(key.0, key.1, key.2, r.time, r.hash))
        });
        if kept.len() == before {
            b.rows = kept;
        } else {
            *b = Block::pack(key, kept, rows);
        }
    }
    blocks.retain(|b| !b.rows.is_empty());
    Ok(())
}

/// postcard's output, a byte at a time: the fields of an entry are one to
/// ten bytes, too short to be worth a call to copy each.
struct Bytes(Vec<u8>);

impl postcard::ser_flavors::Flavor for Bytes {
    type Output = Vec<u8>;

    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.0.push(b);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

/// Messages heard (see migration 0007) as stored per batch in
/// `heard_blocks` (postcard): the names the entries refer to, then the
/// entries, sequence number and time as changes from the entry before.
#[derive(Serialize, Deserialize)]
struct HeardPacked<'a> {
    #[serde(borrow)]
    names: Vec<&'a str>,
    entries: Vec<Heard>,
}

#[derive(Serialize, Deserialize)]
struct Heard {
    seq: u64,
    station: u32,
    t: i64,
    mmsi: u32,
    /// 1/10 000 minute, as [`HeardRow::pos`].
    pos: Option<(i32, i32)>,
    first: bool,
}

/// The stored form of a batch's messages heard.
pub(super) fn encode_heard(rows: &[HeardRow]) -> Vec<u8> {
    let (mut seq, mut t) = (0u64, 0i64);
    let mut names: Vec<&str> = Vec::new();
    let entries = rows
        .iter()
        .map(|h| Heard {
            seq: h.seq.wrapping_sub(std::mem::replace(&mut seq, h.seq)),
            station: name_of(&mut names, &h.station) as u32,
            t: h.time.wrapping_sub(std::mem::replace(&mut t, h.time)),
            mmsi: h.mmsi.0,
            pos: h.pos,
            first: h.first,
        })
        .collect();
    let mut out = Vec::with_capacity(64 + rows.len() * 12);
    out.push(FORMAT);
    // Serializing plain integers and strings into a Vec cannot fail.
    postcard::serialize_with_flavor(&HeardPacked { names, entries }, Bytes(out))
        .unwrap_or_else(|_| vec![FORMAT])
}

/// The messages heard of a stored batch with `from <= seq < to`.
pub(super) fn decode_heard(
    bytes: &[u8],
    from: u64,
    to: u64,
) -> Result<Vec<HeardRow>, StorageError> {
    let bad = |why: String| StorageError::Block(format!("messages heard: {why}"));
    let Some((&FORMAT, body)) = bytes.split_first() else {
        return Err(bad(format!("unknown layout ({} bytes)", bytes.len())));
    };
    let p: HeardPacked<'_> = postcard::from_bytes(body).map_err(|e| bad(e.to_string()))?;
    let names: Vec<Arc<str>> = p.names.iter().map(|n| Arc::from(*n)).collect();
    let (mut seq, mut t) = (0u64, 0i64);
    let mut out = Vec::with_capacity(p.entries.len());
    for e in &p.entries {
        seq = seq.wrapping_add(e.seq);
        t = t.wrapping_add(e.t);
        if !(from..to).contains(&seq) {
            continue;
        }
        out.push(HeardRow {
            seq,
            station: names
                .get(e.station as usize)
                .cloned()
                .ok_or_else(|| bad(format!("station {} of {}", e.station, names.len())))?,
            time: t,
            mmsi: Mmsi(e.mmsi),
            pos: e.pos,
            first: e.first,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use points::PER_DEG;

    fn row(seq: u64, t: Millis, station: Option<&str>) -> PositionRow {
        PositionRow {
            seq,
            mmsi: Mmsi(224_000_001),
            time: t,
            lon: 3.123_456_789,
            lat: -6.5,
            sog_dkn: Some(102),
            cog_ddeg: None,
            heading: Some(511),
            nav_status: Some(7),
            msg_type: 1,
            station: station.map(Arc::from),
            source: Arc::from("tcp://rx1:5631"),
            hash: u64::MAX - seq,
        }
    }

    #[test]
    fn a_block_gives_back_every_field_as_written() {
        // Places in AIS units (as decoded) and not, times going back.
        let rows = [
            row(1_000_000_007, 1_714_521_600_000, Some("rx-west")),
            PositionRow {
                lon: -73_012_345.0 / PER_DEG,
                lat: 54_000_001.0 / PER_DEG,
                ..row(1_000_000_009, 1_714_521_590_000, None)
            },
            PositionRow {
                lon: 180.0,
                lat: -90.0,
                ..row(1_000_000_012, 1_714_521_610_000, Some("rx-east"))
            },
            PositionRow {
                lon: 181.0,
                lat: 91.0,
                ..row(u64::MAX, i64::MIN, Some("rx-east"))
            },
        ];
        let refs: Vec<&PositionRow> = rows.iter().collect();
        let back = decode(Mmsi(224_000_001), &encode(&refs)).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn messages_heard_come_back_as_written_within_the_range_asked() {
        let h = |seq: u64, station: &str, time: Millis, pos| HeardRow {
            seq,
            station: Arc::from(station),
            time,
            mmsi: Mmsi(636_012_345),
            pos,
            first: seq % 2 == 0,
        };
        let rows = vec![
            h(
                10,
                "rx-west",
                1_714_521_600_000,
                Some((-43_807_407, 3_240_000)),
            ),
            h(11, "rx-east", 1_714_521_599_000, None),
            h(14, "rx-west", 1_714_521_601_000, Some((0, -1))),
        ];
        let packed = encode_heard(&rows);
        assert_eq!(decode_heard(&packed, 0, u64::MAX).unwrap(), rows);
        assert_eq!(decode_heard(&packed, 11, 14).unwrap(), rows[1..2]);
        assert!(decode_heard(&packed[..packed.len() - 2], 0, u64::MAX).is_err());
    }

    #[test]
    fn a_block_of_an_unknown_layout_or_cut_short_is_an_error_naming_the_vessel() {
        let rows = [row(5, 1_000, None)];
        let mut bytes = encode(&rows.iter().collect::<Vec<_>>());
        bytes.truncate(bytes.len() - 3);
        let e = decode(Mmsi(9), &bytes).unwrap_err().to_string();
        assert!(e.contains("vessel 9"), "{e}");
        let e = decode(Mmsi(9), &[9, 0, 0]).unwrap_err().to_string();
        assert!(e.contains("unknown layout"), "{e}");
        let mut bytes = encode(&rows.iter().collect::<Vec<_>>());
        bytes.push(0);
        let e = decode(Mmsi(9), &bytes).unwrap_err().to_string();
        assert!(e.contains("bytes after the last report"), "{e}");
        assert!(decode(Mmsi(9), &[]).is_err());
    }

    #[test]
    fn a_batch_groups_by_cell_hour_and_vessel_and_keeps_a_repeated_report_once() {
        let mut rows = vec![row(3, 7_200_000, None), row(1, 7_100_000, None)];
        rows.push(PositionRow {
            seq: 4,
            ..row(3, 7_200_000, None)
        });
        rows.push(PositionRow {
            lon: 10.0,
            ..row(2, 7_150_000, None)
        });
        let blocks = group(&rows, false);
        let shape: Vec<(i64, Vec<u64>)> = blocks
            .iter()
            .map(|b| {
                (
                    b.hour,
                    b.rows.iter().map(|&i| rows[i as usize].seq).collect(),
                )
            })
            .collect();
        // Hour 1 and hour 2 of one cell, and another cell: the copy (seq 4) dropped.
        assert_eq!(shape, vec![(1, vec![1]), (2, vec![3]), (1, vec![2])]);
        assert_eq!(group(&rows, true).len(), 3);

        // Rows out of sequence order come out in it; in a block of more
        // than 16 reports, a repeat is found as well.
        let mut rows: Vec<PositionRow> = (0..20)
            .rev()
            .map(|s| row(s, 7_200_000 + s as i64, None))
            .collect();
        rows.push(PositionRow {
            seq: 30,
            ..row(5, 7_200_005, None)
        });
        let blocks = group(&rows, false);
        let seqs: Vec<u64> = blocks[0]
            .rows
            .iter()
            .map(|&i| rows[i as usize].seq)
            .collect();
        assert_eq!(seqs, (0..20).collect::<Vec<u64>>());
    }

    #[test]
    fn blocks_packed_in_one_pass_over_the_batch_are_as_packed_on_their_own() {
        // Three vessels taking turns, their stations changing (shared
        // names and copies of them); one vessel's times going back, so
        // that its block is packed on its own.
        let shared: [Arc<str>; 2] = [Arc::from("rx-a"), Arc::from("rx-b")];
        let rows: Vec<PositionRow> = (0..90u64)
            .map(|seq| {
                let v = seq % 3;
                let step = seq as i64 * 1_000;
                let t = if v == 2 {
                    7_300_000 - step
                } else {
                    7_300_000 + step
                };
                let station = match seq % 5 {
                    0 => None,
                    1 | 2 => Some(shared[0].clone()),
                    3 => Some(shared[1].clone()),
                    _ => Some(Arc::from("rx-a")),
                };
                PositionRow {
                    mmsi: Mmsi(224_000_001 + v as u32),
                    lon: 3.0 + seq as f64 / PER_DEG,
                    sog_dkn: Some(seq as u16 % 7),
                    station,
                    ..row(seq, t, None)
                }
            })
            .collect();
        let blocks = group(&rows, false);
        assert_eq!(blocks.len(), 3);
        let mut all: Vec<u32> = blocks.iter().flat_map(|b| b.rows.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..90).collect::<Vec<u32>>());
        for b in &blocks {
            let refs: Vec<&PositionRow> = b.rows.iter().map(|&i| &rows[i as usize]).collect();
            assert_eq!(b.points, encode(&refs));
            let back = decode(Mmsi(b.mmsi as u32), &b.points).unwrap();
            assert_eq!(back, refs.iter().map(|&r| r.clone()).collect::<Vec<_>>());
            let times = refs.iter().map(|r| r.time);
            assert_eq!(
                (b.first_seq, b.last_seq, b.t_min, b.t_max),
                (
                    refs[0].seq as i64,
                    refs[refs.len() - 1].seq as i64,
                    times.clone().min().unwrap(),
                    times.max().unwrap()
                )
            );
        }
    }

    #[test]
    fn reports_already_stored_are_dropped_and_so_is_a_block_left_empty() {
        let rows = [row(1, 1_000, None), row(2, 2_000, None)];
        let mut blocks = group(&rows, false);
        let key = (blocks[0].cell, blocks[0].hour, blocks[0].mmsi);
        let stored = vec![(key, encode(&[&row(9, 1_000, None)]))];
        // Seq 9 has another hash than seq 1: not the same report.
        drop_stored(&mut blocks, &rows, &stored).unwrap();
        assert_eq!(blocks[0].n(), 2);
        let copy = PositionRow {
            seq: 9,
            ..row(1, 1_000, None)
        };
        drop_stored(&mut blocks, &rows, &[(key, encode(&[&copy]))]).unwrap();
        // Packed again: the block holds the report left, and says so.
        let b = &blocks[0];
        assert_eq!((b.n(), b.first_seq, b.t_min), (1, 2, 2_000));
        assert_eq!(decode(Mmsi(224_000_001), &b.points).unwrap(), rows[1..]);
        let stored = vec![(key, encode(&[&row(2, 2_000, None)]))];
        drop_stored(&mut blocks, &rows, &stored).unwrap();
        assert!(blocks.is_empty());
    }
}
