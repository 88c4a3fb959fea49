-- Delivery to the centres: the outbox. The same meaning as ../postgres/0002_delivery.sql.
-- Wall-clock times (unix milliseconds), unlike the event times elsewhere.

-- Every alert state change stored, in commit order: n is the id of the
-- live stream's events (SSE `id:`, `Last-Event-ID`).
CREATE TABLE alert_events (
    n         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_n   INTEGER NOT NULL REFERENCES alerts (n),
    seq       INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    UNIQUE (alert_n, seq)
);

-- One row per (state change, centre, channel), written in the same
-- transaction as the change: nothing is sent that is not stored, and a
-- restart resumes what was pending.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_n      INTEGER NOT NULL REFERENCES alert_events (n),
    alert_n      INTEGER NOT NULL REFERENCES alerts (n),
    seq          INTEGER NOT NULL,
    centre       TEXT    NOT NULL,
    channel      TEXT    NOT NULL,   -- webhook, mqtt, nats
    state        TEXT    NOT NULL,   -- pending, delivered, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,   -- when the engine emitted the change
    since        INTEGER NOT NULL,   -- start of the give-up clock (reset by a retry)
    next_at      INTEGER NOT NULL,   -- next attempt not before
    delivered_at INTEGER,
    last_error   TEXT
);
CREATE INDEX deliveries_pending ON deliveries (centre, channel, alert_n, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);
