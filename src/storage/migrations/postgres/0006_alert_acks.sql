-- Officers' acknowledgements of alerts (who, when, a note), kept per centre:
-- a centre's officers see their centre's acknowledgements, never another's.
-- The same meaning as ../sqlite/0006_alert_acks.sql.
CREATE TABLE alert_acks (
    n       BIGSERIAL PRIMARY KEY,
    alert_n BIGINT NOT NULL REFERENCES alerts (n),
    centre  TEXT,               -- NULL: acknowledged with an admin token
    by_name TEXT   NOT NULL,
    note    TEXT   NOT NULL,
    at      BIGINT NOT NULL     -- wall clock, unix milliseconds
);
CREATE INDEX alert_acks_alert ON alert_acks (alert_n, n);
