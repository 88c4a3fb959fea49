-- Officers' acknowledgements of alerts (who, when, a note), kept per centre:
-- a centre's officers see their centre's acknowledgements, never another's.
-- The same meaning as ../postgres/0006_alert_acks.sql.
CREATE TABLE alert_acks (
    n       INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_n INTEGER NOT NULL REFERENCES alerts (n),
    centre  TEXT,               -- NULL: acknowledged with an admin token
    by_name TEXT    NOT NULL,
    note    TEXT    NOT NULL,
    at      INTEGER NOT NULL    -- wall clock, unix milliseconds
);
CREATE INDEX alert_acks_alert ON alert_acks (alert_n, n);
