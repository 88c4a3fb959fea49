-- What a restart needs to rebuild receiver coverage as it was: every
-- message the engine heard that left no position or static
-- row -- a second station's copy of a report, a base station's report,
-- unchanged static data -- as one JSON list per written batch of
-- [seq, station, t, mmsi, lon, lat, first], lon and lat in 1/10000 minute
-- (the AIS unit: exact) or null. Pruned with the ticks that order them.
-- And the station that heard each static change (NULL: the source's own).
-- The same meaning on both databases.
CREATE TABLE heard (
    first_seq BIGINT PRIMARY KEY,
    last_seq  BIGINT NOT NULL,
    entries   TEXT    NOT NULL
);
ALTER TABLE statics ADD COLUMN station TEXT;
