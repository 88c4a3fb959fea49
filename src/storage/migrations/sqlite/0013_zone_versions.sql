-- Every version of every zone the daemon has run with. The same meaning as
-- ../postgres/0013_zone_versions.sql.
--
-- A version is a zone's GeoJSON Feature (as one line of JSON) and its
-- SHA-256 (`version`, the value alert changes carry in `zone_version`).
-- It came into force when the daemon accepted a zone set holding it (at
-- start, a file edit, SIGHUP or an API save: `by`) and left it when a later
-- set changed or dropped the zone (until_ms; NULL while in force). Never
-- pruned: an alert's evidence names the versions it was raised under.
CREATE TABLE zone_versions (
    n        INTEGER PRIMARY KEY AUTOINCREMENT,
    zone     TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    feature  TEXT    NOT NULL,
    from_ms  INTEGER NOT NULL,   -- wall clock, unix milliseconds
    until_ms INTEGER,
    by_whom  TEXT    NOT NULL
);
CREATE UNIQUE INDEX zone_versions_in_force ON zone_versions (zone) WHERE until_ms IS NULL;
CREATE INDEX zone_versions_by_version ON zone_versions (zone, version);
