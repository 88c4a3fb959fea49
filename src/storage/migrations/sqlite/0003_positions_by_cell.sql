-- Positions clustered by place and time.
--
-- 0001 kept positions in sequence order (the rowid) with three indexes
-- beside: a box query then read about one page per row, and every insert
-- updated four B-trees. Here the table itself is keyed (cell, t, mmsi,
-- hash), WITHOUT ROWID:
-- * a box-and-time query reads one contiguous key range per grid cell;
-- * the key is also the duplicate check: a report stored twice has the same
--   payload hash, so the same position and cell, so the same key (0001's
--   UNIQUE (mmsi, t, hash) meant the same);
-- * (mmsi, t) serves tracks, (seq) the restart's replay by sequence
--   number; both entries carry the key, so a lookup follows directly;
-- * no (t) index: retention deletes by (cell, t) prefix, cell by cell.
-- Three B-trees per insert instead of four, and no separate row store.
CREATE TABLE positions_by_cell (
    cell       INTEGER NOT NULL,   -- 0.25 degree grid cell: the spatial key
    t          INTEGER NOT NULL,
    mmsi       INTEGER NOT NULL,
    hash       INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    lon        REAL    NOT NULL,
    lat        REAL    NOT NULL,
    sog_dkn    INTEGER,
    cog_ddeg   INTEGER,
    heading    INTEGER,
    nav_status INTEGER,
    msg_type   INTEGER NOT NULL,
    station    TEXT,
    source     TEXT    NOT NULL,
    PRIMARY KEY (cell, t, mmsi, hash)
) WITHOUT ROWID;

INSERT OR IGNORE INTO positions_by_cell
    (cell, t, mmsi, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source)
SELECT cell, t, mmsi, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source
FROM positions ORDER BY cell, t, mmsi, hash;

DROP TABLE positions;
ALTER TABLE positions_by_cell RENAME TO positions;
CREATE INDEX positions_mmsi_t ON positions (mmsi, t);
CREATE INDEX positions_seq ON positions (seq);
