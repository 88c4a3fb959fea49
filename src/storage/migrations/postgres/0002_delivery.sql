-- Delivery to the centres: the outbox. The same meaning as ../sqlite/0002_delivery.sql.
-- Wall-clock times (unix milliseconds), unlike the event times elsewhere.

-- Every alert state change stored, in commit order: n is the id of the
-- live stream's events (SSE `id:`, `Last-Event-ID`).
CREATE TABLE alert_events (
    n         BIGSERIAL PRIMARY KEY,
    alert_n   BIGINT NOT NULL REFERENCES alerts (n),
    seq       BIGINT NOT NULL,
    stored_at BIGINT NOT NULL,
    UNIQUE (alert_n, seq)
);

-- One row per (state change, centre, channel), written in the same
-- transaction as the change: nothing is sent that is not stored, and a
-- restart resumes what was pending.
CREATE TABLE deliveries (
    id           BIGSERIAL PRIMARY KEY,
    event_n      BIGINT NOT NULL REFERENCES alert_events (n),
    alert_n      BIGINT NOT NULL REFERENCES alerts (n),
    seq          BIGINT NOT NULL,
    centre       TEXT    NOT NULL,
    channel      TEXT    NOT NULL,   -- webhook, mqtt, nats
    state        TEXT    NOT NULL,   -- pending, delivered, failed
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,   -- when the engine emitted the change
    since        BIGINT NOT NULL,   -- start of the give-up clock (reset by a retry)
    next_at      BIGINT NOT NULL,   -- next attempt not before
    delivered_at BIGINT,
    last_error   TEXT
);
CREATE INDEX deliveries_pending ON deliveries (centre, channel, alert_n, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);
