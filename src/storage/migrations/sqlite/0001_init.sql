-- aiswatch store, SQLite. The same meaning as ../postgres/0001_init.sql.
-- Times are unix milliseconds (event time, UTC); lon/lat degrees; speed and
-- course in 1/10 knot and 1/10 degree.

-- seq is the engine's record sequence number (positions, static changes
-- and ticks share it): the order the engine applied them in, which a
-- restart replays. On SQLite it is the rowid.
CREATE TABLE positions (
    seq        INTEGER PRIMARY KEY,
    mmsi       INTEGER NOT NULL,
    t          INTEGER NOT NULL,
    lon        REAL    NOT NULL,
    lat        REAL    NOT NULL,
    cell       INTEGER NOT NULL,   -- 0.25 degree grid cell: the spatial key
    sog_dkn    INTEGER,
    cog_ddeg   INTEGER,
    heading    INTEGER,
    nav_status INTEGER,
    msg_type   INTEGER NOT NULL,
    station    TEXT,
    source     TEXT    NOT NULL,
    hash       INTEGER NOT NULL
);
-- Unique with the payload hash: the same report imported or received twice
-- (an archive replayed again, a receiver resending its buffer) is kept once,
-- while two different reports of one MMSI in the same instant are both kept.
CREATE UNIQUE INDEX positions_mmsi_t ON positions (mmsi, t, hash);
CREATE INDEX positions_cell_t ON positions (cell, t);
CREATE INDEX positions_t ON positions (t);

-- Static and voyage data, one row per change.
CREATE TABLE statics (
    seq         INTEGER NOT NULL,
    mmsi        INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    name        TEXT,
    callsign    TEXT,
    imo         INTEGER,
    ship_type   INTEGER,
    length_m    INTEGER,
    beam_m      INTEGER,
    draught_dm  INTEGER,
    destination TEXT,
    source      TEXT NOT NULL,
    PRIMARY KEY (mmsi, t)
);
CREATE INDEX statics_seq ON statics (seq);
CREATE INDEX statics_t ON statics (t);

-- Engine ticks (at most one per second of event time): the clock as it went.
CREATE TABLE ticks (
    seq INTEGER PRIMARY KEY,
    t   INTEGER NOT NULL
);
CREATE INDEX ticks_t ON ticks (t);

-- Latest state of each alert; n orders them (newest = highest).
CREATE TABLE alerts (
    n          INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    zone       TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    ended_at   INTEGER,
    changes    INTEGER NOT NULL,
    json       TEXT    NOT NULL
);
CREATE INDEX alerts_zone ON alerts (zone, n);
CREATE INDEX alerts_state ON alerts (state, n);

-- Every state change, in order (seq 1, 2, ... per alert).
CREATE TABLE alert_changes (
    alert_n INTEGER NOT NULL REFERENCES alerts (n),
    seq     INTEGER NOT NULL,
    state   TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    json    TEXT    NOT NULL,
    PRIMARY KEY (alert_n, seq)
);

-- Routing (who may read it) and vessels, for filtering.
CREATE TABLE alert_centres (
    centre  TEXT    NOT NULL,
    alert_n INTEGER NOT NULL REFERENCES alerts (n),
    PRIMARY KEY (centre, alert_n)
);
CREATE TABLE alert_vessels (
    mmsi    INTEGER NOT NULL,
    alert_n INTEGER NOT NULL REFERENCES alerts (n),
    PRIMARY KEY (mmsi, alert_n)
);

-- Small facts about the store (the newest stored event time, 'max_t').
CREATE TABLE store_meta (
    key   TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
