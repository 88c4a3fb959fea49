-- Legal holds: an alert whose evidence retention must keep. The same
-- meaning as ../postgres/0010_holds.sql.
--
-- The window is the alert's evidence bundle window at hold time (its start
-- less the margin to its end plus the margin; to_ms NULL: the alert was
-- open, everything of its vessels from from_ms on is kept). The zone file
-- is kept as it was at hold time, so that a bundle can still be made when
-- the zone changes or leaves. raw_from_seq: the smallest raw archive
-- sequence number among the alert's lines at hold time (NULL: none found).
CREATE TABLE holds (
    alert_id           TEXT    PRIMARY KEY,
    alert_n            INTEGER NOT NULL REFERENCES alerts (n),
    reason             TEXT    NOT NULL,
    held_by            TEXT    NOT NULL,
    placed_at          INTEGER NOT NULL,   -- wall clock, unix milliseconds
    from_ms            INTEGER NOT NULL,   -- event time, unix milliseconds
    to_ms              INTEGER,
    mmsis              TEXT    NOT NULL,   -- JSON array of MMSIs
    zone               TEXT    NOT NULL,
    zone_file_name     TEXT,               -- NULL: the zone was not in force at hold time
    zone_file          TEXT,
    zone_feature_index INTEGER,
    raw_from_seq       INTEGER
);
