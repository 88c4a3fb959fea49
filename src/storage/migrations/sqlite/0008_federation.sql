-- Sharing with partner installations. The same meaning as ../postgres/0008_federation.sql.

-- A delivery to a partner (channel 'partner', centre = the partner's id)
-- names the agreement it is sent under; NULL for a centre's channels.
ALTER TABLE deliveries ADD COLUMN agreement TEXT;

-- A partner's alert: the partner it came from (its id is PARTNER/ORIGINAL_ID);
-- NULL for this installation's own alerts.
ALTER TABLE alerts ADD COLUMN origin TEXT;

-- Every change accepted from a partner, by the sender's idempotency key:
-- the same message twice (a retry, a replay) is taken once.
CREATE TABLE federation_received (
    partner     TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    agreement   TEXT    NOT NULL,
    alert_n     INTEGER NOT NULL REFERENCES alerts (n),
    received_at INTEGER NOT NULL,   -- wall clock, unix milliseconds
    PRIMARY KEY (partner, key)
);
CREATE INDEX federation_received_agreement ON federation_received (agreement);

-- Partners' requests for the evidence bundle of an alert shared with them,
-- by the requester's id for the request.
CREATE TABLE evidence_requests (
    partner      TEXT    NOT NULL,
    request      TEXT    NOT NULL,
    agreement    TEXT    NOT NULL,
    alert_id     TEXT    NOT NULL,
    state        TEXT    NOT NULL,  -- pending, approved, refused, served
    requested_at INTEGER NOT NULL,  -- wall clock, unix milliseconds
    decided_at   INTEGER,
    decided_by   TEXT,
    PRIMARY KEY (partner, request)
);
