-- Positions keyed by place, hour and vessel; no per-row secondary index
-- but the sequence number's (for the write rate).
--
-- 0003 kept an index on (mmsi, t) for tracks: the most expensive of the
-- three B-trees each position went into (about 0.45 s of CPU per 488 k
-- rows). Here the key itself leads to a vessel's rows once its place and
-- hour are known, and two small tables say where to look:
-- * vessel_cells (mmsi, hour, cell): the cells a vessel was in, hour by
--   hour (about one row per vessel and hour; a position report is 10 to
--   360). A track reads these, then one key range per (cell, hour).
-- * position_cells (hour, cell): the cells holding any position in each
--   hour. A box too big to list its cells (or retention) reads these.
-- Box-and-time queries still read one key range per cell (and hour).
-- The key is the duplicate check as before (the same report has the same
-- payload hash, place and time). Hours are floor(t / 3 600 000).
CREATE TABLE positions_v4 (
    cell       INTEGER NOT NULL,   -- 0.25 degree grid cell: the spatial key
    hour       INTEGER NOT NULL,   -- floor(t / 3 600 000)
    mmsi       INTEGER NOT NULL,
    t          INTEGER NOT NULL,
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
    PRIMARY KEY (cell, hour, mmsi, t, hash)
) WITHOUT ROWID;

INSERT OR IGNORE INTO positions_v4
    (cell, hour, mmsi, t, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source)
SELECT cell, CASE WHEN t >= 0 THEN t / 3600000 ELSE -((-t - 1) / 3600000) - 1 END,
       mmsi, t, hash, seq, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source
FROM positions ORDER BY 1, 2, 3, 4, 5;

DROP TABLE positions;
ALTER TABLE positions_v4 RENAME TO positions;
CREATE INDEX positions_seq ON positions (seq);

CREATE TABLE vessel_cells (
    mmsi INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    PRIMARY KEY (mmsi, hour, cell)
) WITHOUT ROWID;
INSERT INTO vessel_cells SELECT DISTINCT mmsi, hour, cell FROM positions ORDER BY 1, 2, 3;

CREATE TABLE position_cells (
    hour INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    PRIMARY KEY (hour, cell)
) WITHOUT ROWID;
INSERT INTO position_cells SELECT DISTINCT hour, cell FROM positions ORDER BY 1, 2;
