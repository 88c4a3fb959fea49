-- The restart's replay finds positions by sequence number through one JSON
-- list of keys per written batch, not an index on positions (for the
-- write rate).
--
-- An index on positions (seq) holds the whole key beside each seq (41 bytes
-- an entry, 20 MB per 488 k rows) and takes its entries in key order, not
-- seq order: a third of the bytes written and a B-tree insert per row. A
-- row per batch instead: its sequence range and its positions' keys as a
-- JSON array of [seq, cell, hour, mmsi, t] (the key of the position's row
-- without its hash: seq tells the rare same-time copies apart), written in
-- one piece and read back with json_each. A position ignored as a duplicate
-- leaves a key that finds no row with its seq: harmless.
DROP INDEX positions_seq;

CREATE TABLE position_seqs (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    keys      TEXT    NOT NULL
);
INSERT INTO position_seqs (first_seq, last_seq, keys)
SELECT MIN(seq), MAX(seq), json_group_array(json_array(seq, cell, hour, mmsi, t))
FROM (SELECT seq, cell, hour, mmsi, t FROM positions ORDER BY seq)
GROUP BY seq / 65536;
