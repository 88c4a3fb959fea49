-- aiswatch store, PostgreSQL. The same meaning as ../sqlite/0001_init.sql.
-- Times are unix milliseconds (event time, UTC); lon/lat degrees; speed and
-- course in 1/10 knot and 1/10 degree. Positions are partitioned by UTC day
-- (partitions are created by the writer as data arrives) so that retention
-- drops whole days.

CREATE TABLE positions (
    seq        BIGINT NOT NULL,
    mmsi       BIGINT NOT NULL,
    t          BIGINT           NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    cell       BIGINT NOT NULL,
    sog_dkn    BIGINT,
    cog_ddeg   BIGINT,
    heading    BIGINT,
    nav_status BIGINT,
    msg_type   BIGINT         NOT NULL,
    station    TEXT,
    source     TEXT             NOT NULL,
    hash       BIGINT           NOT NULL
) PARTITION BY RANGE (t);
-- Unique with the payload hash: a report received or imported twice is kept once.
CREATE UNIQUE INDEX positions_mmsi_t ON positions (mmsi, t, hash);
CREATE INDEX positions_cell_t ON positions (cell, t);
-- seq grows with insertion: a block-range index is small and cheap to keep.
CREATE INDEX positions_seq ON positions USING brin (seq);

CREATE TABLE statics (
    seq         BIGINT NOT NULL,
    mmsi        BIGINT NOT NULL,
    t           BIGINT  NOT NULL,
    name        TEXT,
    callsign    TEXT,
    imo         BIGINT,
    ship_type   BIGINT,
    length_m    BIGINT,
    beam_m      BIGINT,
    draught_dm  BIGINT,
    destination TEXT,
    source      TEXT    NOT NULL,
    PRIMARY KEY (mmsi, t)
);
CREATE INDEX statics_seq ON statics (seq);
CREATE INDEX statics_t ON statics (t);

CREATE TABLE ticks (
    seq BIGINT PRIMARY KEY,
    t   BIGINT NOT NULL
);
CREATE INDEX ticks_t ON ticks (t);

CREATE TABLE alerts (
    n          BIGSERIAL PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    zone       TEXT    NOT NULL,
    started_at BIGINT  NOT NULL,
    at         BIGINT  NOT NULL,
    ended_at   BIGINT,
    changes    BIGINT NOT NULL,
    json       TEXT    NOT NULL
);
CREATE INDEX alerts_zone ON alerts (zone, n);
CREATE INDEX alerts_state ON alerts (state, n);

CREATE TABLE alert_changes (
    alert_n BIGINT  NOT NULL REFERENCES alerts (n),
    seq     BIGINT NOT NULL,
    state   TEXT    NOT NULL,
    at      BIGINT  NOT NULL,
    json    TEXT    NOT NULL,
    PRIMARY KEY (alert_n, seq)
);

CREATE TABLE alert_centres (
    centre  TEXT   NOT NULL,
    alert_n BIGINT NOT NULL REFERENCES alerts (n),
    PRIMARY KEY (centre, alert_n)
);
CREATE TABLE alert_vessels (
    mmsi    BIGINT NOT NULL,
    alert_n BIGINT  NOT NULL REFERENCES alerts (n),
    PRIMARY KEY (mmsi, alert_n)
);

CREATE TABLE store_meta (
    key   TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
